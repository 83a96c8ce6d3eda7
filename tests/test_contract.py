"""CONTRACT.md: one small bad inbox per reason code, exit codes, re-runs, atomic failure."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from flows import steps, store
from flows.cli import app
from tests.conftest import UNIT, line, member, run_close, write_inbox

P = "2026-10"


def exc_rows(result):
    return [(r["source"], r["row"], r["member_id"], r["reason_code"], r["message"])
            for r in result.exceptions.to_dicts()]


def test_unknown_member(tmp_path):
    write_inbox(tmp_path, members=[member("M1")], income=[line("M1", "wage", "100.00"),
                                                         line("M7", "wage", "100.00")])
    assert exc_rows(run_close(tmp_path)) == [(
        "income/lines.csv", 2, "M7", "unknown_member",
        "income/lines.csv row 2: member M7 is not in members.csv; add the member or correct the id.")]


def test_unknown_component_blocks_member(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00"), line("M1", "premia", "50.00")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income/lines.csv", 2, "M1", "unknown_component",
        "income/lines.csv row 2: component 'premia' is not a code of rulebook solidarnosc "
        "(RULES.md §3 lists them, e.g. wage, bonus, award); map it to a code. "
        "The member's dues are not computed until then.")]
    assert r.dues.height == 0          # blocked: never computed from a partial picture
    assert r.rows_rejected == 3        # the bad line, the member's good line, the member row


def test_bad_amount_blocks_member(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "1 234,56")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income/lines.csv", 1, "M1", "bad_amount",
        "income/lines.csv row 1: amount '1 234,56' is not a number like 1234.56 (decimal point, "
        "at most 2 decimals); fix it. The member's dues are not computed until then.")]
    assert r.dues.height == 0


def test_bad_period(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00"), line("M1", "bonus", "5.00", period="2026/10")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income/lines.csv", 2, "M1", "bad_period",
        "income/lines.csv row 2: period '2026/10' is not YYYY-MM (e.g. 2026-10); fix the line.")]
    assert r.dues["dues"].to_list() == [82]


def test_other_periods_are_skipped_not_errors(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00"), line("M1", "nonsense", "x", period="2026-09")])
    r = run_close(tmp_path)
    assert r.exceptions.height == 0 and r.rows_skipped == 1


def test_not_a_member_in_period(tmp_path):
    write_inbox(tmp_path, members=[member("M1", left_on="2026-08-31")], income=[line("M1", "wage", "100.00")])
    assert exc_rows(run_close(tmp_path)) == [(
        "income/lines.csv", 1, "M1", "not_a_member_in_period",
        "income/lines.csv row 1: member M1 does not owe dues for 2026-10 (outside joined_on..left_on "
        "in members.csv); the line is not used.")]


def test_missing_income(tmp_path):
    write_inbox(tmp_path, members=[member("M1"), member("M2", "unemployed")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income", None, "M1", "missing_income",
        "member M1 (employee, unit U1) owes dues for 2026-10 but has no income line; add the "
        "month's income (or a reduction/suspension decision) and re-run the close.")]
    assert r.dues["member_id"].to_list() == ["M2"]   # the unemployed need no income line


def test_negative_base(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00"), line("M1", "wage", "-150.00")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income", None, "M1", "negative_base",
        "member M1 (unit U1): the dues base for 2026-10 sums to -50.00 zł, below zero; check the "
        "corrections (negative lines) in the payroll file.")]
    assert r.dues.height == 0


def test_negative_correction_within_a_positive_base_is_fine(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "1125.00"), line("M1", "wage", "-100.00")])
    assert run_close(tmp_path).dues["dues"].to_list() == [841]


def test_bad_adjustment_longer_than_six_months(tmp_path):
    adj = [{"member_id": "M1", "kind": "reduced", "amount": "5.00", "valid_from": "2026-10",
            "valid_to": "2027-04", "decision_ref": "KZ 3"}]
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00")], adjustments=adj)
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "adjustments.csv", 1, "M1", "bad_adjustment",
        "adjustments.csv row 1 (member M1): 2026-10..2027-04 covers 7 months; one decision may "
        "cover at most 6 (004 §2 ust. 3) — split it into a renewed decision. The adjustment is not "
        "applied and the member's dues are not computed until it is fixed.")]
    assert r.dues.height == 0


def test_six_months_is_allowed(tmp_path):
    adj = [{"member_id": "M1", "kind": "reduced", "amount": "5.00", "valid_from": "2026-10",
            "valid_to": "2027-03", "decision_ref": "KZ 3"}]
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00")], adjustments=adj)
    r = run_close(tmp_path)
    assert r.exceptions.height == 0 and r.dues["dues"].to_list() == [500]


def test_bad_adjustment_overlapping(tmp_path):
    adj = [{"member_id": "M1", "kind": "suspended", "valid_from": "2026-09", "valid_to": "2026-10"},
           {"member_id": "M1", "kind": "reduced", "amount": "3.00", "valid_from": "2026-10",
            "valid_to": "2026-12"}]
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00")], adjustments=adj)
    r = run_close(tmp_path)
    assert [(e[1], e[3]) for e in exc_rows(r)] == [(1, "bad_adjustment"), (2, "bad_adjustment")]
    assert "overlaps the decision in row(s) 2" in exc_rows(r)[0][4]
    assert r.dues.height == 0


def test_unknown_member_in_adjustments(tmp_path):
    adj = [{"member_id": "M9", "kind": "suspended", "valid_from": "2026-10", "valid_to": "2026-10"}]
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00")], adjustments=adj)
    assert exc_rows(run_close(tmp_path)) == [(
        "adjustments.csv", 1, "M9", "unknown_member",
        "adjustments.csv row 1: member M9 is not in members.csv; add the member or correct the id.")]


def test_bad_member_pesel(tmp_path):
    write_inbox(tmp_path, members=[member("M1", pesel="02070803628"), member("M2", pesel="02070803627")],
                income=[line("M1", "wage", "100.00"), line("M2", "wage", "100.00")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "members.csv", 2, "M2", "bad_member",
        "members.csv row 2 (member M2): PESEL '02070803627' is not valid (11 digits with a correct "
        "checksum and birth date); correct it or leave the cell empty.")]
    assert r.dues["member_id"].to_list() == ["M1"]   # a PESEL with a leading zero is kept as text


def test_bad_member_duplicate_id_and_unknown_unit(tmp_path):
    write_inbox(tmp_path, members=[member("M1"), member("M1"), member("M2", unit="U9")])
    reasons = [(e[1], e[2], e[3]) for e in exc_rows(run_close(tmp_path))]
    assert reasons == [(1, "M1", "bad_member"), (2, "M1", "bad_member"), (3, "M2", "bad_member")]


def test_bad_unit_blocks_its_members(tmp_path):
    write_inbox(tmp_path, units=[UNIT, {**UNIT, "unit_id": "U2", "raised_pct": "201"}],
                members=[member("M1"), member("M2", unit="U2")],
                income=[line("M1", "wage", "100.00"), line("M2", "wage", "100.00")])
    r = run_close(tmp_path)
    rows = exc_rows(r)
    assert rows[0] == ("units.csv", 2, None, "bad_unit",
                       "units.csv row 2 (unit U2): raised_pct 201 is outside 100–200 (004 §2 ust. 1: "
                       "at most 200 % of the §1 dues). Fix the row; members of this unit are blocked "
                       "until then.")
    assert rows[1] == ("members.csv", 2, "M2", "bad_member",
                       "members.csv row 2 (member M2): its unit 'U2' is rejected (units.csv row 2); "
                       "fix the unit first.")
    assert r.dues["member_id"].to_list() == ["M1"]
    assert set(r.allocations["unit_id"]) == {"U1"}


def test_every_blocked_member_has_an_exception_with_their_id(tmp_path):
    write_inbox(tmp_path, members=[member("M1"), member("M2"), member("M3"), member("M4")],
                income=[line("M1", "wage", "x"), line("M2", "bogus", "1.00"), line("M3", "wage", "-1.00")])
    r = run_close(tmp_path)
    owing = {"M1", "M2", "M3", "M4"}
    without_dues = owing - set(r.dues["member_id"])
    assert without_dues == owing
    assert without_dues <= set(r.exceptions["member_id"].drop_nulls())


# ---- CLI exit codes

def test_missing_units_csv_exits_1_names_the_file_and_writes_nothing(tmp_path):
    inbox = write_inbox(tmp_path / "inbox")
    (inbox / "units.csv").unlink()
    db = tmp_path / "x.duckdb"
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "close", "--period", P, "--inbox",
                           str(inbox), "--db", str(db), "--engine", "plain"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "units.csv: missing from the inbox" in proc.stderr
    assert not db.exists()


def test_units_csv_missing_a_required_column_exits_1(tmp_path):
    inbox = write_inbox(tmp_path / "inbox", units=[{"unit_id": "U1", "region_id": "R1"}])
    res = CliRunner().invoke(app, ["close", "--period", P, "--inbox", str(inbox),
                                   "--db", str(tmp_path / "x.duckdb"), "--engine", "plain"])
    assert res.exit_code == 1
    assert "units.csv: missing required column(s) voivodeship" in res.output
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize("args", [["close", "--period", "2026-13", "--inbox", ".", "--db", "x"],
                                  ["close", "--inbox", ".", "--db", "x"], ["frobnicate"]])
def test_wrong_usage_exits_2(args):
    assert CliRunner().invoke(app, args).exit_code == 2


# ---- storage: re-runs replace, failures leave nothing

TABLES = ("dues", "allocations", "exceptions", "transfers", "units")


def dump(db) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
        out["runs"] = con.sql("SELECT run_id FROM runs ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def demo_like_inbox(tmp_path):
    return write_inbox(tmp_path / "inbox", members=[member("M1"), member("M2", "pensioner"), member("M3")],
                       income=[line("M1", "wage", "5230.17"), line("M2", "pension", "2100.00"),
                               line("M3", "bogus", "1.00")])


def test_rerun_replaces_the_period_with_identical_rows(tmp_path):
    inbox, db = demo_like_inbox(tmp_path), tmp_path / "c.duckdb"
    steps.run_plain(P, inbox, db)
    first = dump(db)
    steps.run_plain(P, inbox, db)
    second = dump(db)
    assert {t: first[t] for t in TABLES} == {t: second[t] for t in TABLES}
    assert len(second["runs"]) == 2        # runs is the log of every run


def test_failure_after_first_write_leaves_database_as_before(tmp_path, monkeypatch):
    inbox, db = demo_like_inbox(tmp_path), tmp_path / "c.duckdb"
    steps.run_plain(P, inbox, db)
    before = dump(db)
    real = store._write_table
    calls = []

    def failing(con, table, frame, period):
        calls.append(table)
        real(con, table, frame, period)
        if len(calls) == 2:
            raise RuntimeError("injected failure after the second table was written")

    monkeypatch.setattr(store, "_write_table", failing)
    with pytest.raises(RuntimeError, match="injected"):
        steps.run_plain(P, inbox, db)
    assert calls == ["dues", "allocations"]
    assert dump(db) == before


def test_stored_money_is_exact_decimal(tmp_path):
    inbox, db = demo_like_inbox(tmp_path), tmp_path / "c.duckdb"
    steps.run_plain(P, inbox, db)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT typeof(dues) FROM dues LIMIT 1").fetchone()[0] == "DECIMAL(18,2)"
    from decimal import Decimal
    assert con.execute("SELECT dues FROM dues WHERE member_id = 'M1'").fetchone()[0] == Decimal("42.89")
    run = con.execute("SELECT rows_read, rows_used, rows_rejected, rows_skipped FROM runs").fetchone()
    assert run[0] == run[1] + run[2] + run[3]
