"""transforms/polish.py: Polish plural forms and dates through Babel, citations as the union names
them, codes with their Polish labels (issue 26 point 8)."""
from __future__ import annotations

from datetime import date

import pytest

from transforms.polish import cite, count, count_pl, date_pl, month_pl, plural_pl, reason_label


@pytest.mark.parametrize("n,word", [(0, "wierszy"), (1, "wiersz"), (2, "wiersze"), (4, "wiersze"), (5, "wierszy"),
                                    (12, "wierszy"), (14, "wierszy"), (22, "wiersze"), (25, "wierszy"),
                                    (101, "wierszy"), (102, "wiersze"), (112, "wierszy"), (1000, "wierszy")])
def test_plural_pl_takes_the_form_that_goes_with_the_count(n, word):
    assert plural_pl(n, "wiersz", "wiersze", "wierszy") == word


def test_counted_words_read_right():
    assert count_pl(3, "wiersz", "wiersze", "wierszy") == "3 wiersze"
    assert count(1, "wpływie") == "1 wpływie"
    assert count(2, "wpływie") == "2 wpływach"
    assert count(1, "członka") == "1 członka"
    assert count(21, "jednostka") == "21 jednostek"
    assert count(23, "jednostka") == "23 jednostki"


def test_dates_for_people_are_in_words():
    assert date_pl(date(2026, 12, 21)) == "21 grudnia 2026"
    assert date_pl(date(2006, 1, 1)) == "1 stycznia 2006"
    assert month_pl("2026-10") == "październik 2026"


@pytest.mark.parametrize("seed,people", [
    ("004 §10", "Uchwała nr 5 XIX KZD §10"),
    ("z otrzymanych składek (004 §10)", "z otrzymanych składek (Uchwała nr 5 XIX KZD §10)"),
    ("004 §5 ust. 1 pkt 3", "Uchwała nr 5 XIX KZD §5 ust. 1 pkt 3"),
    ("004 Uchwała XIX KZD nr 6/2005", "Uchwała XIX KZD nr 6/2005"),
    ("002 §15 pkt 2; 003 Art. 9", "Statut OZZ Służb Ruchu Lotniczego §15 pkt 2; Statut ZZ „PRZERÓBKA” Art. 9"),
    ("003 Ordynacja Art. 17", "ZZ „PRZERÓBKA”: Ordynacja Art. 17"),
    # not a citation: ids and amounts keep their digits
    ("członek M004 §", "członek M004 §"), ("2004 §", "2004 §"), ("kwota 004", "kwota 004"),
])
def test_a_seed_number_is_printed_as_the_document_it_is(seed, people):
    assert cite(seed) == people


def test_a_reason_code_is_read_with_its_polish_label_beside_it():
    assert reason_label("missing_income") == "brak dochodu (missing_income)"
    assert reason_label("something_new") == "something_new"


def test_every_reason_code_has_a_polish_label():
    from transforms.errors import catalogue, is_polish
    for code, e in catalogue()["reasons"].items():
        assert e.get("label") and is_polish(e["label"]), code


def test_a_rulebook_version_is_shown_as_the_union_and_the_day_it_applies_from():
    from pathlib import Path

    from transforms.rulebook import load_rulebooks, resolve
    rules = resolve(load_rulebooks(Path(__file__).resolve().parents[1] / "data" / "rulebooks"), "2026-10")
    assert rules.version("solidarnosc").title == "NSZZ „Solidarność”, od 1 stycznia 2006"
    assert rules.version_titles("solidarnosc@2006-01-01") == "NSZZ „Solidarność”, od 1 stycznia 2006"
