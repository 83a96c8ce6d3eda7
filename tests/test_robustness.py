"""Issue 10: whatever the inbox holds, a close answers — exit 0 with every contract invariant, or
exit 1 with the database byte-identical and no output written; and a failure of any output step
leaves the database and the output folder as they were."""
from __future__ import annotations

import hashlib
import os
import random
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import UNIT, line, member, write_inbox

P = "2026-10"


def good_inbox(folder: Path) -> Path:
    return write_inbox(folder, units=[UNIT, {**UNIT, "unit_id": "U2", "sheltered": "true", "raised_pct": "150"}],
                       members=[member("M1", pesel="02070803628"), member("M2", "pensioner", unit="U2"),
                                member("M3", unit="U2", staff_number="S-3"), member("M4", "unemployed")],
                       income=[line("M1", "wage", "5230.17"), line("M2", "pension", "2100.00"),
                               line("M3", "wage", "7011.99"), line("M3", "bonus", "100.00")],
                       adjustments=[{"member_id": "M3", "kind": "reduced", "amount": "5.00", "valid_from": P,
                                     "valid_to": P, "decision_ref": "KZ 1"}])


def close(inbox: Path, db: Path, out: Path):
    return CliRunner().invoke(app, ["close", "--period", P, "--inbox", str(inbox), "--db", str(db), "--out", str(out),
                                    "--engine", "plain"])


def state(db: Path, out: Path) -> tuple[str, list]:
    digest = hashlib.sha256(db.read_bytes()).hexdigest() if db.exists() else ""
    files = sorted((str(p.relative_to(out)), p.read_bytes()) for p in out.rglob("*") if p.is_file()) if out.exists() else []
    return digest, files


def check_invariants(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        for read, used, rejected, skipped in con.execute("SELECT rows_read, rows_used, rows_rejected, rows_skipped "
                                                         "FROM runs").fetchall():
            assert read == used + rejected + skipped
        assert con.execute("""
            SELECT count(*) FROM (SELECT unit_id, sum(amount) AS a FROM allocations WHERE period = ? GROUP BY unit_id) x
            LEFT JOIN (SELECT unit_id, sum(total) AS t FROM dues WHERE period = ? GROUP BY unit_id) y USING (unit_id)
            WHERE x.a <> coalesce(y.t, 0)""", [P, P]).fetchone()[0] == 0
        blocked = con.execute("""SELECT count(*) FROM dues d WHERE d.member_id IN
            (SELECT member_id FROM exceptions WHERE reason_code IN ('bad_amount','unknown_component','bad_row'))""").fetchone()[0]
        assert blocked == 0      # a member with a blocking problem never has dues from a partial picture
    finally:
        con.close()


CORRUPTIONS = ("bytes", "truncate", "duplicate_line", "huge_number", "control", "drop_separator", "empty")


def corrupt(path: Path, how: str, rng: random.Random) -> None:
    data = path.read_bytes()
    if how == "bytes":
        i = rng.randrange(len(data) + 1)
        data = data[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + data[i:]
    elif how == "truncate":
        data = data[:rng.randrange(len(data) + 1)]
    elif how == "duplicate_line":
        lines = data.split(b"\n")
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        data = b"\n".join(lines)
    elif how == "huge_number":
        data = data.replace(b"5230.17", b"184467440737100516.16").replace(b"2100.00", b"99999999999999.99")
    elif how == "control":
        i = rng.randrange(len(data) + 1)
        data = data[:i] + rng.choice([b"\x00", b"\x0b", b"\x01", b"\x1b"]) + data[i:]
    elif how == "drop_separator":
        data = data.replace(b",", b"", 1)
    elif how == "empty":
        data = b""
    path.write_bytes(data)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    base = tmp_path_factory.mktemp("base")
    inbox = good_inbox(base / "inbox")
    db, out = base / "c.duckdb", base / "out"
    assert close(inbox, db, out).exit_code == 0
    return inbox, db, out


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["units.csv", "members.csv", "income/lines.csv", "adjustments.csv"]),
                          st.sampled_from(CORRUPTIONS)), min_size=1, max_size=3), st.integers(0, 2**32))
def test_issue_10_corrupted_inboxes_never_traceback_and_keep_the_contract(baseline, tmp_path_factory, damage, seed):
    inbox0, db0, out0 = baseline
    work = tmp_path_factory.mktemp("case")
    inbox, db, out = work / "inbox", work / "c.duckdb", work / "out"
    shutil.copytree(inbox0, inbox)
    shutil.copy(db0, db)
    shutil.copytree(out0, out)
    rng = random.Random(seed)
    for name, how in damage:
        corrupt(inbox / name, how, rng)
    before = state(db, out)
    res = close(inbox, db, out)
    assert res.exit_code in (0, 1), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    if res.exit_code == 0:
        check_invariants(db)
    else:
        assert "błąd: " in res.output and "nic nie zostało zapisane" in res.output
        assert state(db, out) == before


@pytest.mark.parametrize("failing", ["close workbook", "unit workbook", "settlement pdf", "move into place", "commit"])
def test_issue_10_each_output_step_failing_leaves_everything_as_it_was(baseline, tmp_path, monkeypatch, failing):
    inbox0, db0, out0 = baseline
    db, out = tmp_path / "c.duckdb", tmp_path / "out"
    shutil.copy(db0, db)
    shutil.copytree(out0, out)
    before = state(db, out)
    from flows import command, store
    from reports import close as close_reports

    def boom(*a, **k):
        raise OSError(28, "No space left on device", "x.xlsx")

    if failing == "close workbook":
        monkeypatch.setattr(close_reports, "write_close_workbook", boom)
    elif failing == "unit workbook":
        monkeypatch.setattr(close_reports, "_write_unit_workbook", boom)
    elif failing == "settlement pdf":
        from reports import settlement
        monkeypatch.setattr(settlement, "write_pdf", boom)
    elif failing == "move into place":
        real, calls = os.replace, []

        def replace(a, b):
            calls.append(a)
            if len(calls) == 3:
                boom()
            real(a, b)
        monkeypatch.setattr(command.os, "replace", replace)
    else:
        def failing_commit(con):
            store.rollback(con)
            boom()
        monkeypatch.setattr(store, "commit", failing_commit)
    res = close(inbox0, db, out)
    assert res.exit_code == 1 and "nie można zapisać (No space left on device)" in res.output
    assert state(db, out) == before
