"""Issue 30 point 2: unions MZZPSZ (seed 001) and OZZ SRL (seed 002) close a month out of the box.

Both statutes leave the amount of the dues to the union's general meeting (001 §32 ust. 2: "składki
członkowskie, ustanawiane wyłącznie przez Walne Zebranie Delegatów/Członków Związku"; 002 §30 ust. 1:
"Wysokość indywidualnej składki członkowskiej uchwala Walne Zebranie Członków Związku"): a union-wide
flat due, its own dues method (``union_flat``), whose amount is a dated rulebook parameter shipped
as a labelled example. Each union is one organisation with one treasury: one level, nothing
remitted upward. The demo inboxes (data/demo_unions/) close, and `tally` and `eligibility` give the
verdicts of each union's election rules.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from flows.command import run_plain
from flows.elections import ELIGIBILITY, TALLY
from flows.explain import EXPLAIN
from transforms import elections as el
from transforms.dues import rule_json
from transforms.errors import UserError
from transforms.methods import METHODS
from transforms.rulebook import load_rulebooks, parse_rulebook

DEMOS = settings.DATA / "demo_unions"
BOOKS = settings.DATA / "rulebooks"
# the hand-worked October 2026 of each demo: the owing members and the example amount of each rulebook
UNIONS = {
    # 7 members owe October (Z0000006 resigned in October: 001 §15 pkt 1 ends membership on the
    # month's last day; Z0000007 joined on 10 October), 25,00 zł each: 175,00 zł, all the union's
    "mzzpsz": {"unit": "MZZPSZ", "amount": 2500, "members": ["Z0000001", "Z0000002", "Z0000003", "Z0000004",
                                                             "Z0000005", "Z0000006", "Z0000007"], "total": "175.00"},
    # 6 members, 60,00 zł each: 360,00 zł
    "ozz_srl": {"unit": "OZZSRL", "amount": 6000, "members": ["L0000001", "L0000002", "L0000003", "L0000004",
                                                              "L0000005", "L0000006"], "total": "360.00"},
}


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def close(inbox: Path, tmp: Path, period: str = "2026-10", env: dict | None = None) -> Path:
    db = tmp / "x.duckdb"
    res = CliRunner().invoke(app, ["close", "--period", period, "--inbox", str(inbox), "--db", str(db),
                                   "--out", str(tmp / "out"), "--engine", "plain"], env=env)
    assert res.exit_code == 0, res.output
    return db


def run(command, **params):
    outcome = run_plain(command, lambda m: None, **params)
    assert outcome.ok, outcome.message
    return outcome.run.result


# ------------------------------------------------------------------ close

@pytest.mark.parametrize("name", sorted(UNIONS))
def test_the_demo_inbox_closes_with_the_meetings_amount_for_every_member(name, tmp_path):
    """001 §32 ust. 2 / 002 §30 ust. 1: one amount for every member, whatever the income; the whole
    D stays with the union, the only level (no region, no national board: 001 §23, 002 §18)."""
    u = UNIONS[name]
    db = close(DEMOS / name, tmp_path)
    dues = query(db, "SELECT member_id, unit_id, CAST(base AS VARCHAR), CAST(dues AS VARCHAR), "
                     "CAST(surcharge AS VARCHAR), CAST(total AS VARCHAR) FROM dues ORDER BY 1")
    gr = f"{u['amount'] // 100}.{u['amount'] % 100:02d}"
    assert dues == [(m, u["unit"], "0.00", gr, "0.00", gr) for m in u["members"]]
    assert query(db, "SELECT unit_id, level, CAST(amount AS VARCHAR) FROM allocations") == [
        (u["unit"], "unit", u["total"])]
    assert query(db, "SELECT CAST(sum(total) AS VARCHAR) FROM dues") == [(u["total"],)]
    assert query(db, "SELECT count(*) FROM transfers") == [(0,)]          # nothing remitted upward
    assert query(db, "SELECT count(*) FROM exceptions") == [(0,)]
    versions = query(db, "SELECT DISTINCT rulebook_version FROM dues_derivation")
    assert versions == [(f"{name}@{'2019-05-01' if name == 'mzzpsz' else '2000-01-01'}",)]


@pytest.mark.parametrize("name", sorted(UNIONS))
def test_the_explanation_names_the_meeting_the_paragraph_and_the_example(name, tmp_path):
    u = UNIONS[name]
    db = close(DEMOS / name, tmp_path)
    text = "\n".join(run(EXPLAIN, period="2026-10", member_id=u["members"][0], unit_id=None, region_id=None,
                         db=db, out=None).explanation.lines)
    body, paragraph = (("Walne Zebranie Delegatów/Członków Związku", "§32 ust. 2") if name == "mzzpsz"
                       else ("Walne Zebranie Członków Związku", "§30 ust. 1"))
    amount = f"{u['amount'] // 100},00 zł"
    assert f"Składka w kwocie ustalonej dla całego związku: {amount} ({body}," in text
    assert paragraph in text and "WARTOŚĆ PRZYKŁADOWA" in text
    assert "nie dotyczy (kwota stała" in text


def test_the_flat_amount_changes_by_date(tmp_path):
    """A new resolution of the meeting is a new dated version: October at the example 25,00 zł,
    November at 30,00 zł (the version from 1 November 2026), each close under its own version."""
    books = tmp_path / "books"
    books.mkdir()
    text = (BOOKS / "mzzpsz.toml").read_text(encoding="utf-8")
    start = text.index("[[versions]]")
    newer = (text[start:].replace('valid_from = "2019-05-01"', 'valid_from = "2026-11-01"')
             .replace('amount = "25.00"', 'amount = "30.00"')
             .replace('amount_example = true', 'amount_example = false')
             .replace('amount_source = "001 §32 ust. 2"', 'amount_source = "001 §32 ust. 2; uchwała WZD nr 3/2026"'))
    (books / "mzzpsz.toml").write_text(text + "\n" + newer, encoding="utf-8")
    book = load_rulebooks([BOOKS, books])["mzzpsz"]
    assert [v.valid_from for v in book.versions] == [date(2019, 5, 1), date(2026, 11, 1)]
    assert book.version_for("2026-10").categories["employee"].amount == 2500
    assert book.version_for("2026-11").categories["employee"].amount == 3000
    assert not book.version_for("2026-11").categories["employee"].amount_example
    env = {"SKLADKI_RULEBOOKS": str(books)}
    october = close(DEMOS / "mzzpsz", tmp_path / "oct", "2026-10", env)
    november = close(DEMOS / "mzzpsz", tmp_path / "nov", "2026-11", env)
    assert query(october, "SELECT DISTINCT CAST(dues AS VARCHAR) FROM dues") == [("25.00",)]
    # November: Z0000006 left on 31 October; 6 members at 30,00 zł
    assert query(november, "SELECT DISTINCT CAST(dues AS VARCHAR) FROM dues") == [("30.00",)]
    assert query(november, "SELECT CAST(sum(amount) AS VARCHAR) FROM allocations") == [("180.00",)]
    assert query(november, "SELECT DISTINCT rulebook_version FROM dues_derivation") == [("mzzpsz@2026-11-01",)]


def test_the_rulebooks_link_to_their_election_rules():
    """`eligibility` finds a unit's election rules by its rulebook (data/elections.toml)."""
    unions = el.load(settings.DATA.joinpath("elections.toml").read_text(encoding="utf-8"))
    assert unions["mzzpsz"].rulebook == "mzzpsz" and unions["ozz_srl"].rulebook == "ozz_srl"
    books = load_rulebooks(BOOKS)
    for name in UNIONS:
        version = books[name].version_for("2026-10")
        assert [lvl.code for lvl in version.levels] == ["unit"]          # a level it does not have is not listed
        assert all(c.method == "union_flat" and c.amount_example for c in version.categories.values())
        assert version.transfers == ()
    assert books["ozz_srl"].version_for("2026-10").arrears_months == 3
    assert books["ozz_srl"].version_for("2026-10").arrears_source == "002 §15 pkt 2"


# ------------------------------------------------------------------ the method and its checks at load

def _with(replacement: str) -> str:
    return (BOOKS / "ozz_srl.toml").read_text(encoding="utf-8").replace('amount = "60.00"', replacement, 1)


@pytest.mark.parametrize("replacement,detail", [
    ("", "categories.employee.amount: brak kwoty składki (metoda union_flat: kwota ustalona przez walne "
         "zebranie związku)"),
    ('amount = "sześćdziesiąt"', "categories.employee.amount: 'sześćdziesiąt' to nie kwota w złotych (np. \"25.00\")"),
    ('amount = "-60.00"', "categories.employee.amount: kwota -60.00 jest ujemna"),
    ("amount = 60", "categories.employee.amount: kwotę zapisz jako tekst w złotych, np. \"25.00\" (jest: 60)"),
])
def test_a_missing_non_numeric_or_negative_amount_is_a_bad_rulebook_at_load(tmp_path, replacement, detail):
    path = tmp_path / "ozz_srl.toml"
    path.write_text(_with(replacement), encoding="utf-8")
    with pytest.raises(UserError) as e:
        load_rulebooks(tmp_path)
    assert e.value.code == "bad_rulebook"
    assert str(e.value) == (f"{path}: to nie jest poprawny regulamin (ValueError: {detail}); każdy plik w folderze "
                            "regulaminów musi mieć name, [[versions]], levels i split.")


def test_the_amounts_source_and_body_are_required():
    text = (BOOKS / "mzzpsz.toml").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match=r"categories\.employee\.amount_source: brak \(przepis statutu\)"):
        parse_rulebook(text.replace('amount_source = "001 §32 ust. 2"\n', "", 1))
    with pytest.raises(ValueError, match=r"amount_set_by: brak \(organ, który ustala kwotę\)"):
        parse_rulebook(text.replace('amount_set_by = "Walne Zebranie Delegatów/Członków Związku"\n', "", 1))


@hsettings(max_examples=40, deadline=None)
@given(base=st.integers(0, 5_000_000), amount=st.integers(0, 100_000))
def test_the_expression_and_the_explanation_of_union_flat_agree(base, amount):
    zl = f"{amount // 100}.{amount % 100:02d}"
    book = parse_rulebook(_with(f'amount = "{zl}"'))
    rule = book.versions[0].categories["employee"]
    how = METHODS[rule.method]
    recorded = json.loads(rule_json(rule))
    assert recorded["amount"] == amount and recorded["amount_example"] is True
    dues = pl.DataFrame({"base": [base]}).select(how.expr(rule))[0, 0]
    shown_base, computed, lines = how.explain(recorded, base, dues)
    assert dues == computed == amount and shown_base == 0 and lines
    assert how.short(recorded, rule.source, base, dues).endswith(f"({rule.source})")


# ------------------------------------------------------------------ elections

def test_mzzpsz_tally_most_votes_a_tie_a_new_round_and_the_quorum_of_25_6(tmp_path):
    """001 Ordynacja §9: the most votes elect (12 of 30 is no majority, still elected); a tie at the
    last seat: a further round between the tied; §25 ust. 6: at least 50 % in the first term (18 of
    40 is void), whoever is present in the second."""
    results = {t.election: t for t in run(TALLY, votes=DEMOS / "mzzpsz" / "votes.csv", rules="mzzpsz",
                                          out=tmp_path).results}
    chair = results["Przewodniczący Zarządu Związku"]
    assert chair.verdict == "wybory ważne; wybrano: Marek Kowalczyk" and chair.runoff == []
    audit = results["Komisja Rewizyjna"]
    assert audit.runoff == ["Agnieszka Duda", "Krzysztof Wójcik"]
    assert audit.verdict.startswith("wybrano 2 z 3")
    first = results["Zarząd Związku (I termin)"]
    assert not first.quorum_met and first.quorum_needed == 20
    second = results["Zarząd Związku (II termin)"]
    assert second.quorum_met and second.term == 2 and second.verdict == "wybory ważne; wybrano: Ewa Mazur"
    assert "§25 ust. 6" in first.sources and "Ordynacja Wyborcza §9" in chair.sources


def test_ozz_srl_tally_quorum_half_quarter_eighth_by_term(tmp_path):
    """002 §23 ust. 12–13: ½ of the members, ¼ in the second term, ⅛ in a further one; §20 ust. 9:
    the most votes, a tie at the last seat votes again among the tied."""
    results = {t.election: t for t in run(TALLY, votes=DEMOS / "ozz_srl" / "votes.csv", rules="ozz_srl",
                                          out=tmp_path).results}
    first = results["Zarząd Związku (I termin)"]
    assert (first.term, first.quorum_needed, first.quorum_met) == (1, 40, False)        # 39 of 80
    second = results["Zarząd Związku (II termin)"]
    assert (second.term, second.quorum_needed, second.quorum_met) == (2, 20, True)      # 20 of 80
    third = results["Komisja Rewizyjna (kolejny termin)"]
    assert (third.term, third.quorum_needed, third.quorum_met) == (3, 10, True)         # 10 of 80
    assert third.runoff == ["Beata Wieczorek", "Stanisław Król"]
    void = results["Komisja Rewizyjna (III termin bez kworum)"]
    assert (void.term, void.quorum_met) == (3, False)                                   # 9 of 80


def test_eligibility_of_each_demo_union(tmp_path):
    """001 §17 pkt 2 (a member votes), Załącznik nr 1 pkt 11 (two years of membership to stand);
    002 §14 ust. 3, §20 ust. 3 (a member votes and stands). On 20 November 2026 Z0000006 is no longer
    a member (left 31 October); Z0000003 (since 1 February 2025) and Z0000007 (since 10 October 2026)
    may vote but not stand."""
    dbs = {name: close(DEMOS / name, tmp_path / name) for name in UNIONS}
    r = run(ELIGIBILITY, date="2026-11-20", body="MZZPSZ", db=dbs["mzzpsz"], members=DEMOS / "mzzpsz" / "members.csv",
            assembly=None, out=tmp_path / "e1")
    rows = {m["member_id"]: m for m in r.eligibility.members}
    assert r.eligibility.union.code == "mzzpsz"
    assert {m for m, x in rows.items() if x["may_vote"]} == set(UNIONS["mzzpsz"]["members"]) - {"Z0000006"}
    assert {m for m, x in rows.items() if x["may_stand"] == "tak"} == {"Z0000001", "Z0000002", "Z0000004", "Z0000005"}
    assert rows["Z0000003"]["stand_reason"] == ("członkostwo nieprzerwane od 2025-02-01: 21 pełnych mies., wymagane 24 "
                                                "— od 2027-02-01 (001 Załącznik nr 1 pkt 11)")
    assert rows["Z0000006"]["vote_reason"] == "nie jest członkiem w dniu wyborów"
    r = run(ELIGIBILITY, date="2026-11-20", body="OZZSRL", db=dbs["ozz_srl"], members=DEMOS / "ozz_srl" / "members.csv",
            assembly=None, out=None)
    assert r.eligibility.union.code == "ozz_srl"
    assert all(m["may_vote"] and m["may_stand"] == "tak" for m in r.eligibility.members)
    assert len(r.eligibility.members) == 6


def test_the_demo_folders_ship_with_the_package():
    text = (settings.DATA.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"demo_unions/*/*.csv"' in text
    assert sorted(p.name for p in DEMOS.iterdir() if p.is_dir()) == sorted(UNIONS)
    assert all(p.suffix == ".csv" for d in DEMOS.iterdir() for p in d.iterdir())


@pytest.mark.parametrize("name", sorted(UNIONS))
def test_the_units_explanation_of_a_union_of_one_level(name, tmp_path):
    """A union of one level stores no split step (no move: 001 §32–§33, 002 §29–§30); `explain
    --unit` said "brak zapisanego wyliczenia … najpierw zamknij ten miesiąc" of a closed month.
    It now says that the whole D stays with the union, citing the rulebook's split."""
    u = UNIONS[name]
    db = close(DEMOS / name, tmp_path)
    e = run(EXPLAIN, period="2026-10", member_id=None, unit_id=u["unit"], region_id=None, db=db, out=None).explanation
    total = u["total"].replace(".", ",")
    assert e.lines[0].startswith(f"Podział składek należnych: D = {total} zł — regulamin nie przewiduje "
                                 "odprowadzeń; całość zostaje: Związek (")
    assert ("001 §32 ust. 2, §33 ust. 1" if name == "mzzpsz" else "002 §29 ust. 1 pkt 1, §30") in e.lines[0]
    assert e.transfer == 0 and not any(line.startswith("Przelew do") for line in e.lines)


@pytest.mark.parametrize("name", sorted(UNIONS))
def test_the_month_is_approved_and_its_settlement_file_written(name, tmp_path):
    """`approve --out` crashed (StopIteration: the settlement file looked for the root's transfer
    rule, which a union of one level does not have — it passes nothing on)."""
    u = UNIONS[name]
    db = close(DEMOS / name, tmp_path)
    res = CliRunner().invoke(app, ["approve", "--period", "2026-10", "--db", str(db), "--unit", u["unit"], "--by",
                                   "Skarbnik", "--out", str(tmp_path / "appr"), "--engine", "plain"])
    assert res.exit_code == 0, res.output
    assert query(db, "SELECT state FROM unit_months") == [("approved",)]
    assert [p for p in (tmp_path / "appr").rglob("*") if p.is_file()]
