"""flows/rules.py (issue 28): the rulebooks of a run are parsed once per set of rulebook files (the
search folders, the user's configuration folder included) and resolved once per period; an edited
rulebook file is read anew."""
from __future__ import annotations

import pytest

from flows import rules, settings
from flows.benefits import BENEFITS
from flows.command import run_plain
from transforms import rulebook
from transforms.errors import UserError


@pytest.fixture
def parses(monkeypatch):
    """Counts of parsed sets of rulebook files and of parsed rulebook files, from a cold start."""
    counts = {"sets": 0, "files": 0}
    books_from, parse = rulebook.books_from, rulebook.parse_rulebook

    def counted_books(files):
        counts["sets"] += 1
        return books_from(files)

    def counted_parse(text):
        counts["files"] += 1
        return parse(text)
    monkeypatch.setattr(rulebook, "books_from", counted_books)
    monkeypatch.setattr(rulebook, "parse_rulebook", counted_parse)
    rules.forget()
    yield counts
    rules.forget()


@pytest.fixture
def user_books(tmp_path, monkeypatch):
    folder = tmp_path / "rulebooks"
    folder.mkdir()
    monkeypatch.setenv("SKLADKI_RULEBOOKS", str(folder))
    return folder


def shipped() -> int:
    return len(list(settings.RULEBOOKS.glob("*.toml")))


def test_a_benefits_run_with_several_claims_parses_the_rulebooks_once(parses, tmp_path):
    """benefits asks for the rules in force on each claim's event month (11 claims of the demo)."""
    claims = (settings.DEMO_INBOX / "benefit_claims.csv").read_text(encoding="utf-8").splitlines()
    assert len(claims) - 1 >= 5
    outcome = run_plain(BENEFITS, lambda m: None, inbox=settings.DEMO_INBOX, db=tmp_path / "b.duckdb", out=None,
                        date="2026-11-15")
    assert outcome.ok, outcome.message
    assert outcome.result.decisions.height == len(claims) - 1
    assert parses == {"sets": 1, "files": shipped()}


def test_a_benefits_run_asks_for_the_rules_once_per_month(monkeypatch, tmp_path):
    """issue 28: the rules of the decision day's month and of each claim's event month, each asked for once."""
    import flows.benefits
    asked = []

    def counted(period):
        asked.append(period)
        return rules.rules_for(period)
    monkeypatch.setattr(flows.benefits, "rules_for", counted)
    outcome = run_plain(BENEFITS, lambda m: None, inbox=settings.DEMO_INBOX, db=tmp_path / "b.duckdb", out=None,
                        date="2026-11-15")
    assert outcome.ok, outcome.message
    events = {d.isoformat()[:7] for d in outcome.result.decisions["event_date"].drop_nulls()}
    assert asked[0] == "2026-11" and sorted(asked) == sorted(set(asked)) and set(asked) == events | {"2026-11"}


def test_each_period_and_each_set_of_files_is_resolved_once(parses, user_books):
    first = rules.rules_for("2026-10")
    assert rules.rules_for("2026-10") is first and rules.rules_for("2026-09") is not first
    assert parses == {"sets": 1, "files": shipped()}
    text = (settings.RULEBOOKS / "solidarnosc.toml").read_text(encoding="utf-8")
    (user_books / "nasz.toml").write_text(text.replace('name = "solidarnosc"', 'name = "nasz"'), encoding="utf-8")
    assert "nasz" in rules.rules_for("2026-10").versions            # a new file: a new set, parsed once
    assert "nasz" in rules.rulebooks()
    assert parses == {"sets": 2, "files": 2 * shipped() + 1}


def test_an_edited_rulebook_file_is_seen(parses, user_books):
    """Even an edit that keeps the file's size (and, within the clock's step, its mtime) is seen:
    the files are known by their content."""
    text = (settings.RULEBOOKS / "solidarnosc.toml").read_text(encoding="utf-8")
    path = user_books / "solidarnosc.toml"
    path.write_text(text.replace('max_reduction_months = 6', 'max_reduction_months = 4'), encoding="utf-8")
    assert rules.rules_for("2026-10").version("solidarnosc").max_reduction_months == 4
    path.write_text(text.replace('max_reduction_months = 6', 'max_reduction_months = 5'), encoding="utf-8")
    assert rules.rules_for("2026-10").version("solidarnosc").max_reduction_months == 5
    path.write_text(text.replace('[[versions]]', '[[versionz]]'), encoding="utf-8")
    with pytest.raises(UserError) as e:                          # a broken edit is named, not cached
        rules.rules_for("2026-10")
    assert str(path) in str(e.value)


def test_an_old_set_of_files_is_let_go(parses, user_books):
    for i in range(rules.KEPT + 2):
        (user_books / "extra.toml").write_text((settings.RULEBOOKS / "solidarnosc.toml").read_text(
            encoding="utf-8").replace('name = "solidarnosc"', f'name = "extra{i}"'), encoding="utf-8")
        assert f"extra{i}" in rules.rules_for("2026-10").versions
    assert len(rules._BOOKS) == rules.KEPT
    assert {key for key, _ in rules._RULES} <= set(rules._BOOKS)


def test_a_close_that_closes_a_later_month_again_parses_the_rulebooks_once(parses, tmp_path):
    """Closing September again after October was closed closes October again in the same run (from
    its archived inbox, by the same typed steps): the rulebooks are read for both months, the
    transfers worked out and the documents written — and the rulebook files parsed once."""
    import duckdb

    from tests.conftest import close_plain, line, member, write_inbox
    inbox = write_inbox(tmp_path / "in", members=[member("M1")],
                        income=[line("M1", "wage", "5000.00", "2026-09"), line("M1", "wage", "5000.00", "2026-10")])
    db, out = tmp_path / "s.duckdb", tmp_path / "out"
    for period in ("2026-09", "2026-10"):
        assert close_plain(period, inbox, db).ok
    rules.forget()
    parses.update(sets=0, files=0)
    outcome = close_plain("2026-09", inbox, db, out)
    assert outcome.ok, outcome.message
    assert [(r.month, r.units) for r in outcome.result.recomputed] == [("2026-10", ["U1"])]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs WHERE period = '2026-10' AND recomputes = ?",
                           [outcome.result.run_id]).fetchone() == (1,)
    assert parses == {"sets": 1, "files": shipped()}
