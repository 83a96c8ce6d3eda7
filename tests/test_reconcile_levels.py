"""Issue 12: reconciliation at every level of the union on the two closed demo months, with the
demo's statements (data/demo/build_statements.py): a region's own units (--region), the national
level (--level national), title patterns as data, and nothing dropped: Σ matched + Σ unmatched =
Σ credits on every statement at every level; every matched grosz reaches transfer_status."""
from __future__ import annotations

from datetime import date

import duckdb
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from openpyxl import load_workbook

from flows import settings
from flows.command import run_plain
from flows.reconcile import RECONCILE
from tests.conftest import close_demo_months
from tests.test_reconcile import REGION_ACCOUNT, mt940
from transforms.reconcile import Expected, Unit, match_credits, read_title, title_patterns, unit_named, verdicts
from transforms.statements import parse_mt940

STATEMENTS = settings.DEMO_INBOX / "statements"
NATIONAL = settings.DEMO_INBOX / "statements_krajowe"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return close_demo_months(tmp_path_factory.mktemp("levels") / "demo.duckdb")


def reconcile(db, statements, out=None, **kw):
    outcome = run_plain(RECONCILE, period="2026-10", statements=statements, db=db, out=out, **kw)
    assert outcome.ok, outcome.message
    return outcome.result


def statuses(res):
    return {(s["unit_id"], s["period"]): s["status"] for s in res.status}


def nothing_dropped(res):
    credits = [c for c in res.credits if c["direction"] == "credit"]
    assert sum(m["amount"] for m in res.matches) + sum(u["amount"] for u in res.unmatched) == \
        sum(c["amount"] for c in credits)
    for statement in {c["statement"] for c in credits}:
        assert sum(m["amount"] for m in res.matches if m["statement"] == statement) + \
            sum(u["amount"] for u in res.unmatched if u["statement"] == statement) == \
            sum(c["amount"] for c in credits if c["statement"] == statement)


def test_the_demo_statements_show_every_verdict_for_all_regions(db, tmp_path):
    res = reconcile(db, STATEMENTS, tmp_path)
    assert statuses(res) == {
        ("SL-0001", "2026-09"): "paid", ("SL-0001", "2026-10"): "late",
        ("SL-0002", "2026-09"): "paid", ("SL-0002", "2026-10"): "short",
        ("SL-0003", "2026-09"): "over", ("SL-0003", "2026-10"): "missing",
        ("GD-0001", "2026-09"): "paid", ("GD-0001", "2026-10"): "paid",
        ("GD-0002", "2026-09"): "missing", ("GD-0002", "2026-10"): "paid"}
    how = {(m["unit_id"], m["period"]): m["matched_by"] for m in res.matches}
    assert how["SL-0001", "2026-09"] == "account, period in title"                  # "KZ SL-0001 skł 09/26"
    assert how["SL-0002", "2026-09"].startswith("region title pattern") or \
        how["SL-0002", "2026-09"].startswith("unit id in title")
    assert [u["amount"] for u in res.unmatched] == [50_000]                          # the donation
    nothing_dropped(res)
    wb = load_workbook(tmp_path / "uzgodnienie_2026-10.xlsx")
    assert wb.sheetnames[:2] == ["Status jednostek", "Nieprzypisane wpływy"]


def test_region_reconciles_its_own_units_only(db, tmp_path):
    """A region's statement no longer marks every other region's units as missing; another
    region's statement is refused (issue 27) and another region's unit paying into the region's
    account is said, never counted."""
    res = reconcile(db, STATEMENTS, tmp_path, region_id="SL")
    assert {u for u, _ in statuses(res)} == {"SL-0001", "SL-0002", "SL-0003"}
    assert statuses(res)["SL-0003", "2026-10"] == "missing"
    assert [i.source for i in res.issues if i.reason_code == "statement_wrong_account"] == ["gdanski_ing.csv"]
    nothing_dropped(res)
    assert (tmp_path / "uzgodnienie_2026-10_region_SL.xlsx").exists()
    con = duckdb.connect(str(db), read_only=True)
    scopes = dict(con.execute("SELECT scope, count(*) FROM transfer_status WHERE reconciled_for = '2026-10' "
                              "GROUP BY 1").fetchall())
    con.close()
    assert scopes["region SL"] == 6
    own = tmp_path / "own"
    own.mkdir()
    mt940([(date(2026, 11, 20), 10_000, "PL93109010140000000000000005", "Stocznia", "SKŁADKI 10/2026")],
          own / "slaski.sta")                                        # GD-0001's account, SL's statement
    res = reconcile(db, own, region_id="SL")
    assert ["należy do regionu GD" in u["reason"] for u in res.unmatched] == [True]
    nothing_dropped(res)


def test_national_level_matches_the_regions_forwards_and_przerobka_contributions(db, tmp_path):
    """004 §10: a region forwards the national board's and the national strike fund's shares by
    the end of the next month; 003 Art. 31 ust. 4: a Przeróbka unit's contribution to the
    national board. Same verdicts, own workbook."""
    res = reconcile(db, NATIONAL, tmp_path, level="national")
    assert statuses(res) == {("SL", "2026-09"): "paid", ("SL", "2026-10"): "late",
                             ("GD", "2026-09"): "short", ("GD", "2026-10"): "missing",
                             ("SL-0004", "2026-09"): "over", ("SL-0004", "2026-10"): "paid"}
    con = duckdb.connect(str(db), read_only=True)
    due = {(p, per): int(a * 100) for p, per, a in con.execute(
        "SELECT payer_id, period, sum(amount) FROM transfers WHERE payee IN ('national', 'national_strike_fund') "
        "GROUP BY 1, 2").fetchall()}
    con.close()
    assert {(s["unit_id"], s["period"]): s["expected"] for s in res.status} == due
    assert res.unmatched == [] and res.forwards == []
    nothing_dropped(res)
    wb = load_workbook(tmp_path / "uzgodnienie_poziom_krajowy_2026-10.xlsx")
    assert wb.sheetnames[0] == "Status regionów"
    assert wb["Status regionów"].cell(1, 1).value == "Region albo jednostka (płatnik)"


def test_levels_are_stored_side_by_side_and_a_rerun_replaces_its_own(db):
    reconcile(db, STATEMENTS)
    reconcile(db, NATIONAL, level="national")
    reconcile(db, NATIONAL, level="national")
    con = duckdb.connect(str(db), read_only=True)
    scopes = dict(con.execute("SELECT scope, count(*) FROM transfer_status WHERE reconciled_for = '2026-10' "
                              "GROUP BY 1").fetchall())
    con.close()
    assert scopes["regiony"] == 10 and scopes["national"] == 6


def test_an_unknown_region_and_region_with_national_are_polish_messages(db):
    bad = run_plain(RECONCILE, period="2026-10", statements=STATEMENTS, db=db, out=None, region_id="XX")
    assert not bad.ok and "Nie ma regionu 'XX'" in bad.message and "GD, SL" in bad.message
    both = run_plain(RECONCILE, period="2026-10", statements=STATEMENTS, db=db, out=None, region_id="SL",
                     level="national")
    assert not both.ok and both.message.startswith("--region:")


def test_title_patterns_as_data_region_first_then_generic():
    """One region requires titles like "KZ 00001 skł 01/24": read with its own pattern (regions.csv
    transfer_title), without regard to case and Polish letters; the number is the region's unit 1."""
    import tomllib
    config = tomllib.loads((settings.DATA / "title_patterns.toml").read_text(encoding="utf-8"))
    pats = title_patterns(config, [{"region_id": "SL", "transfer_title": "KZ {unit_id} skł {MM}/{YY}"}])
    periods, named = read_title("kz 00001 SKL 01/24", pats)
    assert periods == ["2024-01"] and named == [("00001", "SL")]
    units = [Unit("SL-0001", "", None, "SL"), Unit("GD-0001", "", None, "GD")]
    assert unit_named(named, units).unit_id == "SL-0001"
    assert read_title("Składka za październik 2026", pats)[0] == ["2026-10"]
    assert read_title("Składki 09/2026 i 10.2026", pats)[0] == ["2026-09", "2026-10"]


@hsettings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 300_000), st.sampled_from(["U1", "U2", "U3", "X"]),
                          st.sampled_from(["", "ZA 09/20", "ZA 10/2026", "09/2026 10/2026", "11/2026"]),
                          st.integers(0, 40)),
                min_size=1, max_size=20),
       st.lists(st.integers(0, 200_000), min_size=4, max_size=4))
def test_every_matched_grosz_of_a_generated_statement_reaches_transfer_status(payments, amounts):
    """Generated MT940 statements, parsed: the amounts of every matched credit reach
    transfer_status to the grosz, and Σ matched + Σ unmatched = Σ credits."""
    accounts = {"U1": "PL07109010140000000000000001", "U2": None, "U3": None, "X": None}
    units = [Unit("U1", "Jeden", accounts["U1"], "R"), Unit("U2", "Dwa", None, "R"), Unit("U3", "Trzy", None, "R")]
    expected = [Expected("U1", "2026-09", amounts[0], date(2026, 10, 20)),
                Expected("U1", "2026-10", amounts[1], date(2026, 11, 20)),
                Expected("U2", "2026-10", amounts[2], date(2026, 11, 20)),
                Expected("U3", "2026-09", amounts[3], date(2026, 10, 20))]
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.sta"
        mt940([(date(2026, 10, 1 + day % 28), g, accounts[u], u, f"{u} {t}") for g, u, t, day in payments], path)
        from transforms.statements import decode_statement
        credits = parse_mt940(decode_statement(path.read_bytes())[0], "s.sta")
    assert sum(c["amount"] for c in credits) == sum(g for g, _, _, _ in payments)
    matches, unmatched = match_credits(credits, expected, units)
    status = verdicts(expected, matches)
    assert sum(s["paid"] for s in status) == sum(m["amount"] for m in matches)
    for e in expected:
        assert next(s["paid"] for s in status if (s["unit_id"], s["period"]) == (e.unit_id, e.period)) == \
            sum(m["amount"] for m in matches if (m["unit_id"], m["period"]) == (e.unit_id, e.period))
    assert sum(m["amount"] for m in matches) + sum(u["amount"] for u in unmatched) == sum(c["amount"] for c in credits)
    assert REGION_ACCOUNT
