"""Issue 27, processes, files and crashes: a damaged or foreign database, a database held by a
close, a pipe or a device where a file is expected — one Polish message, never a traceback or a
hang."""
from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from schemas.tables import TABLES
from tests.conftest import close_demo_months

DEMO = settings.DEMO_INBOX


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    return close_demo_months(tmp_path_factory.mktemp("demo") / "d.duckdb")


def invoke(*args) -> "object":
    return CliRunner().invoke(app, [str(a) for a in args])


@contextlib.contextmanager
def bounded(seconds: int = 10):
    """A command that hangs (a pipe) fails the test after ``seconds``; one that reads a device
    until memory runs out fails fast (its address space is capped) instead of starving the machine."""
    def hung(signum, frame):
        raise TimeoutError(f"hung for {seconds} s")
    before = signal.signal(signal.SIGALRM, hung)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * resource.getpagesize()
    cap = used + 2 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, before)


def one_polish_message(res, codes=(1, 2)) -> str:
    assert res.exit_code in codes, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and "nieoczekiwany" not in res.output, res.output
    if res.exit_code:
        assert "błąd" in res.output, res.output
    return res.output


# ---------------------------------------------------------------- a DuckDB error is a Polish message

def not_duckdb(path: Path) -> Path:
    path.write_text("to nie jest baza danych\n", encoding="utf-8")
    return path


def older_schema(path: Path) -> Path:
    """Every table of the registry, with none of its columns (a database of an older skladki)."""
    con = duckdb.connect(str(path))
    for name in TABLES:
        con.execute(f'CREATE TABLE "{name}" (x INTEGER)')
    con.execute("INSERT INTO runs VALUES (1)")
    con.close()
    return path


READERS = {
    "explain": lambda db, out: ["explain", "--db", db, "--period", "2026-10", "--unit", "SL-0001"],
    "explain-member": lambda db, out: ["explain", "--db", db, "--period", "2026-10", "--member", "M0000001"],
    "replay": lambda db, out: ["replay", "--run", "1", "--db", db],
    "calendar": lambda db, out: ["calendar", "--date", "2026-10-15", "--db", db],
    "documents": lambda db, out: ["documents", "--period", "2026-10", "--db", db, "--out", out],
    "statement": lambda db, out: ["statement", "--year", "2026", "--db", db, "--out", out, "--engine", "plain"],
    "eligibility": lambda db, out: ["eligibility", "--date", "2026-10-15", "--body", "SL-0001", "--db", db],
    "seats": lambda db, out: ["seats", "--key", "per:100", "--db", db, "--period", "2026-10"],
    "approve": lambda db, out: ["approve", "--period", "2026-10", "--db", db, "--all", "--by", "Skarbnik"],
    "reconcile": lambda db, out: ["reconcile", "--period", "2026-10", "--statements", DEMO / "statements",
                                  "--db", db, "--engine", "plain"],
    "benefits": lambda db, out: ["benefits", "--inbox", DEMO, "--db", db, "--date", "2026-11-05",
                                 "--engine", "plain"],
    "verify-delegates": lambda db, out: ["verify-delegates", "--inbox", delegates_inbox(out.parent / "in"),
                                         "--db", db, "--engine", "plain"],
}


def delegates_inbox(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "remittances.csv").write_text("region_id,voivodeship,paid_in,amount,declared_paying_members\n"
                                            "SL,śląskie,2026-11,1000.00,10\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("damage", [not_duckdb, older_schema], ids=["not-duckdb", "older-schema"])
@pytest.mark.parametrize("command", sorted(READERS))
def test_issue_27_a_database_error_is_one_polish_message_in_every_reading_command(tmp_path, command, damage):
    db = damage(tmp_path / "x.duckdb")
    before = db.read_bytes()
    res = invoke(*READERS[command](db, tmp_path / "out"))
    out = one_polish_message(res, codes=(0, 1))
    if res.exit_code:
        assert "x.duckdb" in out or "--" in out, out
    assert db.read_bytes() == before
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.*"))


def test_issue_27_a_database_of_an_older_schema_says_so(tmp_path):
    res = invoke(*READERS["calendar"](older_schema(tmp_path / "x.duckdb"), tmp_path / "out"))
    assert res.exit_code == 1
    assert "x.duckdb: baza danych nie ma tabel albo kolumn, których potrzebuje ta wersja programu" in res.output


# ---------------------------------------------------------------- reading commands wait for a close

def hold(db: Path, seconds: float) -> subprocess.Popen:
    """Another process holding ``db`` for writing (as a running close does) for ``seconds``."""
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               f"c.begin(); print('ok', flush=True); time.sleep({seconds}); c.close()"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ok"
    return holder


@pytest.mark.parametrize("command", ["explain", "calendar", "documents", "replay", "eligibility"])
def test_issue_27_a_reading_command_waits_for_a_close_then_reads(tmp_path, demo_db, monkeypatch, command):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    if command == "replay":
        run_id = duckdb.connect(str(db), read_only=True).execute("SELECT max(run_id) FROM runs").fetchone()[0]
        args = ["replay", "--run", run_id, "--db", db]
    else:
        args = READERS[command](db, tmp_path / "out")
    monkeypatch.setenv("SKLADKI_DB_WAIT", "60")
    holder = hold(db, 2)
    try:
        t0 = time.monotonic()
        res = invoke(*args)
        assert time.monotonic() - t0 > 1
    finally:
        holder.kill()
        holder.wait()
    one_polish_message(res, codes=(0, 1))
    assert "bazę danych używa teraz inny przebieg; czekam, aż się skończy (najwyżej 60 s)" in res.output
    assert "czekano" not in res.output


def test_issue_27_a_reading_command_gives_up_after_the_wait_with_a_message(tmp_path, demo_db, monkeypatch):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("SKLADKI_DB_WAIT", "1")
    holder = hold(db, 30)
    try:
        res = invoke(*READERS["explain"](db, tmp_path / "out"))
    finally:
        holder.kill()
        holder.wait()
    assert res.exit_code == 1
    assert "d.duckdb: bazę danych używa teraz inny przebieg (np. drugie zamknięcie); czekano 1 s" in res.output
