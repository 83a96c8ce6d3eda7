"""Rulebooks are data selected by period (RULES.md §1)."""
from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from flows import settings
from transforms.errors import UserError
from transforms.rulebook import load_rulebooks, parse_rulebook


def test_shipped_rulebooks_cite_their_sources():
    books = load_rulebooks(settings.RULEBOOKS)
    assert set(books) == {"solidarnosc", "przerobka", "mzzpsz", "ozz_srl"}      # issue 30: 001 and 002
    for name, seed in (("mzzpsz", "001 §"), ("ozz_srl", "002 §")):
        v = books[name].version_for("2026-10")
        cited = ([c.source for c in v.categories.values()] + [c.amount_source for c in v.categories.values()]
                 + [s.source for s in v.split.values()] + [v.arrears_source])
        assert all(c.startswith(seed) for c in cited), cited
    sol = books["solidarnosc"].version_for("2026-10")
    assert sol.categories["employee"].rate == Fraction("0.0082")
    assert sol.categories["employee"].source == "004 §1 ust. 1 pkt 1"
    assert sol.split["normal"].source == "004 §3 ust. 1"
    assert "overtime" in sol.categories["employee"].base_components   # the seed's text
    assert books["przerobka"].version_for("2026-10").categories["employee"].rate == Fraction("0.01")


def test_version_in_force_on_first_day_of_period():
    text = (Path(settings.RULEBOOKS) / "solidarnosc.toml").read_text(encoding="utf-8")
    # a later amendment that moves overtime out of the base (reference/README.md)
    later = text.split("[[versions]]", 1)[1].replace('valid_from = "2006-01-01"', 'valid_from = "2027-01-01"')
    later = later.replace('"wage", "allowance", "overtime", "bonus", "sick_pay", "benefit"]',
                          '"wage", "allowance", "bonus", "sick_pay", "benefit"]')
    book = parse_rulebook(text + "\n[[versions]]" + later)
    assert "overtime" in book.version_for("2026-12").categories["employee"].base_components
    assert "overtime" not in book.version_for("2027-01").categories["employee"].base_components
    with pytest.raises(LookupError, match="nie ma wersji obowiązującej 2005-12-01"):
        book.version_for("2005-12")


def test_every_file_in_the_rulebook_folder_is_a_rulebook():
    # regression: a non-rulebook TOML placed in data/rulebooks broke every close (KeyError 'versions')
    for path in Path(settings.RULEBOOKS).glob("*.toml"):
        assert parse_rulebook(path.read_text(encoding="utf-8")).versions


def test_a_broken_rulebook_file_is_named(tmp_path):
    (tmp_path / "x.toml").write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"x.toml: to nie jest poprawny regulamin"):
        load_rulebooks(tmp_path)


def test_issue_25_shipped_transfer_deadlines_move_to_the_next_working_day():
    books = load_rulebooks(settings.RULEBOOKS)
    sol = books["solidarnosc"].version_for("2026-11")
    unit, region = sol.transfers
    assert sol.deadline_shift.rule == "next_working_day"
    assert sol.deadline_shift.source == "Kodeks cywilny art. 115"
    assert unit.nominal_due_on("2026-11") == date(2026, 12, 20)          # a Sunday
    assert unit.due_on("2026-11") == date(2026, 12, 21)
    assert unit.due_on("2026-10") == date(2026, 11, 20)                 # a Friday: unchanged
    assert region.due_on("2026-12") == date(2027, 2, 1)                 # 31 January 2027 is a Sunday
    assert "20 grudnia 2026 to niedziela" in unit.due_note("2026-11")
    assert unit.due_note("2026-10") == ""
    assert books["przerobka"].version_for("2026-11").transfers[0].due_on("2026-11") == date(2026, 12, 21)


def test_issue_25_a_transfer_due_on_a_public_holiday_moves_to_the_next_day():
    text = (Path(settings.RULEBOOKS) / "solidarnosc.toml").read_text(encoding="utf-8")
    book = parse_rulebook(text.replace("due_day = 20", "due_day = 11", 1))
    assert book.version_for("2026-10").transfers[0].due_on("2026-10") == date(2026, 11, 12)


@pytest.mark.parametrize("change, detail", [
    (('deadline_shift = "next_working_day"', 'deadline_shift = "weekday"'),
     "deadline_shift: nieznana wartość 'weekday'"),
    (('deadline_shift_source = "Kodeks cywilny art. 115"', ''), "deadline_shift_source"),
])
def test_issue_25_a_bad_deadline_shift_is_a_bad_rulebook(tmp_path, change, detail):
    text = (Path(settings.RULEBOOKS) / "solidarnosc.toml").read_text(encoding="utf-8")
    assert change[0] in text
    (tmp_path / "solidarnosc.toml").write_text(text.replace(*change), encoding="utf-8")
    with pytest.raises(UserError, match=f"solidarnosc.toml: to nie jest poprawny regulamin .*{detail}"):
        load_rulebooks(tmp_path)


def test_issue_30_the_solidarnosc_rulebook_names_its_text_as_the_seed_heads_it():
    """004, heading of Uchwała nr 5 XIX KZD: "(zmieniona Uchwałą nr 13 XXVI KZD, … oraz Uchwałą
    nr 3 XXXI KZD)" — the text is the resolution as amended up to Uchwała nr 3 XXXI KZD, not "the
    2005 wording"."""
    sol = load_rulebooks(settings.RULEBOOKS)["solidarnosc"].version_for("2026-10")
    assert "XXXI KZD" in sol.source and "2005" not in sol.source
    assert "2005 wording" not in (Path(settings.RULEBOOKS) / "solidarnosc.toml").read_text(encoding="utf-8")


def test_issue_30_przerobka_provides_no_reduction_or_suspension_of_dues():
    """003 Art. 31 ust. 3: 1 % of pay, or the amount the unit's board sets for pensioners and the
    unemployed — the statute has no individual reduction or suspension (004 §2 ust. 3 is
    Solidarność's): the Przeróbka rulebook allows none, Solidarność's six months stay."""
    books = load_rulebooks(settings.RULEBOOKS)
    assert books["przerobka"].version_for("2026-10").max_reduction_months == 0
    assert "003 Art. 31" in books["przerobka"].version_for("2026-10").reduction_source
    assert books["solidarnosc"].version_for("2026-10").max_reduction_months == 6
