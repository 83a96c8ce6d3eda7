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


# ------------------------------------------------------------------ 4, 5. direct payments across months

def payments(folder: Path, rows: list[str]) -> None:
    (folder / "payments.csv").write_text("member_id,paid_on,amount,period,reference\n" + "".join(r + "\n" for r in rows),
                                         encoding="utf-8")


def exceptions(db: Path, code: str) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [m for (m,) in con.execute("SELECT message FROM exceptions WHERE reason_code = ? ORDER BY row",
                                          [code]).fetchall()]
    finally:
        con.close()


def test_a_payment_of_an_already_closed_month_is_booked_late_and_said(tmp_path):
    """September closed without C's direct payment of 28 September; it arrives in October's
    payments.csv. It is booked in October's close (a receipt of October paying September), with an
    exception row naming the file, row and member — never only counted as skipped. The payments
    file keeps the row in November: it is not booked again; nor when September is closed again
    with it (then September books it and October does not)."""
    inbox, db = three_months(tmp_path / "in"), tmp_path / "s.duckdb"
    close(P1, inbox, db)
    payments(inbox, ["U1-C,2026-09-28,17.22,,składka 09/2026"])
    close(P2, inbox, db)
    assert scalar(db, "SELECT count(*) FROM receipts WHERE kind = 'payment' AND period = ? AND member_id = 'U1-C' "
                      "AND for_period = ? AND amount = 17.22", [P2, P1]) == 1
    [late] = exceptions(db, "late_payment")
    assert "payments.csv, wiersz 1" in late and "U1-C" in late and "2026-09" in late
    close(P3, inbox, db)
    assert scalar(db, "SELECT count(*) FROM receipts WHERE kind = 'payment'") == 1
    close(P1, inbox, db)            # September closed again, now with the payment: October's goes
    assert scalar(db, "SELECT list(period ORDER BY period) FROM receipts WHERE kind = 'payment'") == [P1]
    assert exceptions(db, "late_payment") == []


def test_a_payments_row_copied_twice_is_booked_once_and_said(tmp_path):
    """Two rows equal in every column: one payment, booked once; an exception row names both rows
    and says how to record two genuine payments (different titles) — which are then both booked."""
    inbox, db = three_months(tmp_path / "in"), tmp_path / "s.duckdb"
    payments(inbox, ["U1-C,2026-09-10,17.22,2026-09,składka 09/2026", "U1-C,2026-09-10,17.22,2026-09,składka 09/2026"])
    close(P1, inbox, db)
    assert float(scalar(db, "SELECT sum(amount) FROM receipts WHERE kind = 'payment'")) == 17.22
    [copy] = exceptions(db, "duplicate_payment")
    assert "payments.csv, wiersz 2" in copy and "wiersz 1" in copy and "reference" in copy
    payments(inbox, ["U1-C,2026-09-10,17.22,2026-09,składka 09/2026 (1)",
                     "U1-C,2026-09-10,17.22,2026-09,składka 09/2026 (2)"])
    close(P1, inbox, db)
    assert float(scalar(db, "SELECT sum(amount) FROM receipts WHERE kind = 'payment'")) == 34.44
    assert exceptions(db, "duplicate_payment") == []


# ------------------------------------------------------------------ 6. damaged inputs of explain and replay

import hashlib  # noqa: E402
import random  # noqa: E402

from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st  # noqa: E402

GARBAGE = ("", " ", "'; DROP TABLE dues; --", "U1\x00", "ż" * 300, "../../etc/passwd", "%", "*", "NULL", "2026-13",
           "0000-00", "9999-12", "２０２６-１０", "U1 ", "u1")


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """September approved and closed again after October: re-closes, corrections, history."""
    base = tmp_path_factory.mktemp("books")
    inbox, db = three_months(base / "in"), base / "s.duckdb"
    close(P1, inbox, db)
    cli("approve", "--period", P1, "--db", str(db), "--unit", "U1", "--by", "Skarbnik")
    close(P2, inbox, db)
    close(P1, three_months(base / "final", deducted="41.00"), db)
    return db, [r for r, _, _ in runs(db)]


DROPPABLE = ("unit_months", "corrections", "history", "split_steps", "settlement", "transfers", "runs", "member_ledger",
             "dues_derivation", "receipts")


def damage_db(db: Path, how: str, rng: random.Random, run_ids: list[str]) -> None:
    """One kind of damage to the database explain and replay read."""
    if how == "truncate_file":
        data = db.read_bytes()
        db.write_bytes(data[:rng.randrange(len(data))])
        return
    if how == "garbage_file":
        db.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5000))))
        return
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error:
        return                         # the file was damaged by an earlier damage: nothing more to damage
    try:
        if how in ("truncate_blob", "drop_blobs", "drop_archive_rows", "missing_month", "tamper", "null_ids") and \
                not {"archive_blobs", "archive_files", "unit_months", "runs", "settlement", "dues", "transfers",
                     "corrections", "member_ledger"} <= {t for (t,) in con.execute("SHOW TABLES").fetchall()}:
            return                     # a table dropped by an earlier damage: this one has nothing to damage
        if how == "truncate_blob":
            con.execute("UPDATE archive_blobs SET data = CAST(substr(CAST(data AS VARCHAR), 1, 5) AS BLOB) "
                        "WHERE sha256 IN (SELECT sha256 FROM archive_blobs ORDER BY sha256 LIMIT 1 OFFSET ?)",
                        [rng.randrange(5)])
        elif how == "drop_blobs":
            con.execute("DELETE FROM archive_blobs WHERE sha256 IN (SELECT sha256 FROM archive_files WHERE run_id = ?)",
                        [rng.choice(run_ids)])
        elif how == "drop_archive_rows":
            con.execute("DELETE FROM archive_files WHERE run_id = ?", [rng.choice(run_ids)])
        elif how == "drop_table":
            con.execute(f"DROP TABLE IF EXISTS {rng.choice(DROPPABLE)}")
        elif how == "missing_month":
            con.execute("DELETE FROM unit_months WHERE period = ?", [rng.choice([P1, P2])])
        elif how == "tamper":
            table, column = rng.choice([("settlement", "amount"), ("dues", "total"), ("transfers", "amount"),
                                        ("corrections", "amount"), ("member_ledger", "arrears")])
            con.execute(f"UPDATE {table} SET {column} = {column} + 1")
        elif how == "null_ids":
            con.execute("UPDATE runs SET units = NULL, period = NULL")
    except duckdb.Error:
        return                         # a file truncated by an earlier damage opens, then fails to read
    finally:
        con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


DAMAGES = ["none", "truncate_blob", "drop_blobs", "drop_archive_rows", "drop_table", "missing_month", "tamper",
           "null_ids", "truncate_file", "garbage_file"]


@hsettings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["explain_unit", "explain_member", "explain_region", "replay"]),
       st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=2),
       st.sampled_from(["good", "garbage", "other_month", "missing_db"]), st.integers(0, 2**32))
# found by this property on the code before issue 27: replay read the attached scratch database's
# table list (unit_months dropped: a crash); explain read a dropped transfers table
@example(command="replay", damages=["drop_table"], option="good", seed=2)
@example(command="explain_unit", damages=["drop_table"], option="good", seed=7)
def test_damaged_inputs_of_explain_and_replay_never_traceback_and_keep_the_contract(books, tmp_path_factory, command,
                                                                                    damages, option, seed):
    """Issue 27 point 7 for explain and replay: a damaged database or archive, garbage ids, months
    not closed, a missing database — never a traceback or the unexpected-error path; exit 0 with
    the invariants (replay: "zgodne", and never after a stored figure was changed; explain: its
    figures add up), or exit 1/2 with the database and outputs unchanged (both only read)."""
    db0, run_ids = books
    rng = random.Random(seed)
    work = tmp_path_factory.mktemp("damaged")
    db, out = work / "s.duckdb", work / "out"
    shutil.copy(db0, db)
    for how in damages:
        if how != "none":
            damage_db(db, how, rng, run_ids)
    where = str(work / "nie_ma.duckdb") if option == "missing_db" else str(db)
    ident = rng.choice(GARBAGE) if option == "garbage" else None
    period = P3 if option == "other_month" else rng.choice([P1, P2])
    run = ident if ident is not None else rng.choice(run_ids)
    if command == "replay":
        args = ["replay", "--run", run, "--db", where]
    else:
        kind = command.removeprefix("explain_")
        subject = ident if ident is not None else {"unit": "U1", "member": "U1-A", "region": "R1"}[kind]
        args = ["explain", f"--{kind}", subject, "--period", period if ident is None else rng.choice([period, ident]),
                "--db", where, "--out", str(out)]
    before = digest(db)
    res = invoke(*args)
    assert res.exit_code in (0, 1, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and "nieoczekiwany błąd" not in res.output, res.output
    assert digest(db) == before                  # both commands only read
    if res.exit_code == 0:
        if command == "replay":
            assert "zgodne" in res.output, res.output
            assert "tamper" not in damages or run not in run_ids[-2:], res.output    # the months' latest runs
        else:
            assert "UWAGA" not in res.output or "tamper" in damages, res.output
    else:
        assert not out.exists() or not any(out.iterdir())


def test_a_reclose_names_another_units_later_month_whose_member_came_from_it(tmp_path):
    """MOVER owes in U1 in September (20.00 deducted of 41.00) and is in U2's October. U1's
    September closed again (41.00 deducted) cannot change U2's October (a close covers its own
    units, RULES.md §13), so its summary says that U2's October starts from the old account and
    must be closed again — which then gives the new one."""
    def inbox(root: Path, month: str, unit: str, deducted: str) -> Path:
        folder = unit_inbox(root / unit, unit, periods=(month,))
        with (folder / "members.csv").open("a", encoding="utf-8") as f:
            f.write(f"MOVER,{unit},employee,2020-01-01\n")
        with (folder / "income" / f"{unit.lower()}.csv").open("a", encoding="utf-8") as f:
            f.write(f"{month},MOVER,wage,5000.00\n{month},MOVER,dues_deducted,{deducted}\n")
        return folder
    db = tmp_path / "s.duckdb"
    close(P1, inbox(tmp_path / "a", P1, "U1", "20.00"), db)
    october = inbox(tmp_path / "b", P2, "U2", "41.00")
    close(P2, october, db)
    summary = close(P1, inbox(tmp_path / "c", P1, "U1", "41.00"), db)
    assert "członek przeszedł do innej jednostki: jego konto w 2026-10 (U2)" in summary
    assert "zamknij ponownie 2026-10 jednostek U2" in summary
    arrears = "SELECT arrears FROM member_ledger WHERE member_id = 'MOVER' AND period = ?"
    assert float(scalar(db, arrears, [P2])) == 21.00          # U2's month as it was
    close(P2, october, db)
    assert float(scalar(db, arrears, [P2])) == 0
