"""Issue 27, slice "months": what goes wrong across months — replay of re-closed months, months
closed out of order, explain after a re-close, late and duplicated direct payments, and damaged
inputs of explain and replay."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.test_months import P1, P2, cli, close, dump, scalar, unit_inbox

P3 = "2026-11"


def invoke(*args: str):
    return CliRunner().invoke(app, [*args, "--engine", "plain"])


def three_months(folder: Path, unit: str = "U1", deducted: str = "30.00", **kw) -> Path:
    """A unit's inbox of September to November whose members pay less than they owe (A: dues
    41.00, ``deducted`` taken by the employer), so every month carries arrears into the next."""
    return unit_inbox(folder, unit, periods=(P1, P2, P3), deductions={"A": deducted, "B": "34.44"}, **kw)


def runs(db: Path) -> list[tuple[str, str, str | None]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT run_id, period, recomputes FROM runs ORDER BY finished_at").fetchall()
    finally:
        con.close()


def later(tables: dict[str, list]) -> dict[str, list]:
    """The stored rows of October and November."""
    return {t: [r for r in rows if not r.startswith(f"('{P1}'")] for t, rows in tables.items()}


# ------------------------------------------------------------------ 2. months in order

def test_a_gap_is_refused_naming_the_missing_month_and_nothing_is_written(tmp_path):
    """September closed, November refused (October is not); November closed first, September
    refused too (it would leave October out between them). Nothing is written."""
    inbox, db = three_months(tmp_path / "in"), tmp_path / "s.duckdb"
    close(P1, inbox, db)
    before = dump(db)
    res = invoke("close", "--period", P3, "--inbox", str(inbox), "--db", str(db))
    assert res.exit_code == 1, res.output
    assert ("Nie zamknięto 2026-11 jednostki U1: miesiąc 2026-10 tej jednostki nie jest zamknięty, a 2026-09 jest"
            in res.output and "Zamknij najpierw 2026-10" in res.output)
    assert dump(db) == before
    other = tmp_path / "other.duckdb"
    close(P3, inbox, other)
    before = dump(other)
    res = invoke("close", "--period", P1, "--inbox", str(inbox), "--db", str(other))
    assert res.exit_code == 1 and "miesiąc 2026-10 tej jednostki nie jest zamknięty, a 2026-11 jest" in res.output
    assert dump(other) == before


def test_months_closed_out_of_order_give_the_accounts_of_the_months_in_order(tmp_path):
    """November closed first (a unit's first month may be any), then October: November is closed
    again from October's accounts — the same stored accounts as October then November — and the
    summary names November."""
    inbox = three_months(tmp_path / "in")
    ordered, reversed_ = tmp_path / "ordered.duckdb", tmp_path / "reversed.duckdb"
    close(P2, inbox, ordered)
    close(P3, inbox, ordered)
    close(P3, inbox, reversed_)
    summary = close(P2, inbox, reversed_)
    assert "zamknięto ponownie 2026-11 (U1)" in summary
    assert dump(reversed_) == dump(ordered)


def test_a_reclose_updates_the_next_months_accounts_and_says_so(tmp_path):
    """09, 10, 11 closed; October's deduction of A is found to be 41.00 (paid in full): October
    closed again closes November again — its accounts equal a fresh close of the final inputs,
    and the summary names November."""
    inbox, db = three_months(tmp_path / "in"), tmp_path / "s.duckdb"
    for p in (P1, P2, P3):
        close(p, inbox, db)
    arrears_before = scalar(db, "SELECT arrears FROM member_ledger WHERE member_id = 'U1-A' AND period = ?", [P3])
    lines = (inbox / "income" / "u1.csv").read_text(encoding="utf-8")
    (inbox / "income" / "u1.csv").write_text(lines.replace(f"{P2},U1-A,dues_deducted,30.00",
                                                           f"{P2},U1-A,dues_deducted,41.00"), encoding="utf-8")
    summary = close(P2, inbox, db)
    assert "zamknięto ponownie 2026-11 (U1)" in summary
    fresh = tmp_path / "fresh.duckdb"
    for p in (P1, P2, P3):
        close(p, inbox, fresh)
    # (income_lines: every month's archived file records October's line as of another month, with
    # the amount the file had then — the money never depends on it)
    assert later(dump(db)) | {"income_lines": []} == later(dump(fresh)) | {"income_lines": []}
    assert scalar(db, "SELECT arrears FROM member_ledger WHERE member_id = 'U1-A' AND period = ?", [P3]) \
        < arrears_before


# ------------------------------------------------------------------ 1. replay of re-closed months

def replay(db: Path, run: str):
    return invoke("replay", "--run", run, "--db", str(db))


@pytest.mark.parametrize("approved", [False, True], ids=["draft", "approved"])
def test_replay_tells_a_recorded_reclose_from_a_tampered_database(tmp_path, approved):
    """September and October closed (September approved or not); September closed again with A's
    deduction 41.00 — October is closed again in the same run (an approved September: its
    difference goes into October as a correction). Every recorded run replays as "zgodne"; then a
    settlement row edited directly in the database is named by the replay (exit 1)."""
    inbox, db = three_months(tmp_path / "in"), tmp_path / "s.duckdb"
    close(P1, inbox, db)
    if approved:
        cli("approve", "--period", P1, "--db", str(db), "--unit", "U1", "--by", "Skarbnik")
    close(P2, inbox, db)
    final = three_months(tmp_path / "final", deducted="41.00")
    close(P1, final, db)
    if approved:
        assert scalar(db, "SELECT count(*) FROM settlement WHERE basis = 'correction' AND period = ?", [P2]) > 0
    assert [p for _, p, _ in runs(db)] == [P1, P2, P1, P2]
    for run, period, _ in runs(db):
        res = replay(db, run)
        assert res.exit_code == 0, (period, res.output)
        assert "zgodne" in res.output
    latest = runs(db)[-1][0]
    con = duckdb.connect(str(db))
    con.execute("UPDATE settlement SET amount = amount + 1 WHERE period = ? AND unit_id = 'U1' AND level = 'region' "
                "AND basis <> 'correction'", [P2])
    con.close()
    before = dump(db)
    res = replay(db, latest)
    assert res.exit_code == 1, res.output
    assert "settlement" in res.output and "U1" in res.output and "region" in res.output
    assert dump(db) == before


# ------------------------------------------------------------------ 3. explain after a re-close

def test_explain_unit_after_a_reclose_agrees_with_the_stored_transfers(tmp_path):
    """September approved (A deducted 30.00), October closed, September closed again with 41.00:
    September's transfer stays as approved — the explanation says so beside the split of the
    current inputs, and names the correction; October's transfer holds the correction — the
    explanation shows it, so the figures add up to the transfer."""
    inbox, db = three_months(tmp_path / "in"), tmp_path / "s.duckdb"
    close(P1, inbox, db)
    cli("approve", "--period", P1, "--db", str(db), "--unit", "U1", "--by", "Anna Skarbnik")
    close(P2, inbox, db)
    close(P1, three_months(tmp_path / "final", deducted="41.00"), db)
    september = invoke("explain", "--unit", "U1", "--period", P1, "--db", str(db))
    assert september.exit_code == 0, september.output
    assert "Przelew do: region 25,78 zł" in september.output
    assert ("Miesiąc zatwierdzony (Anna Skarbnik" in september.output and "przekazuje się kwotę zatwierdzoną 25,78 zł; "
            "podział z obecnych danych daje 30,18 zł" in september.output)
    assert "różnica +4,40 zł przeniesiona jako korekta do 2026-10" in september.output
    october = invoke("explain", "--unit", "U1", "--period", P2, "--db", str(db))
    assert october.exit_code == 0, october.output
    assert "W tym korekta za 2026-09: +4,40 zł — ponowne zamknięcie po zatwierdzeniu" in october.output
    assert "Do przekazania wyżej: 25,78 zł + korekty +4,40 zł = 30,18 zł" in october.output
    assert "Przelew do: region 30,18 zł" in october.output
    assert "UWAGA" not in september.output + october.output
