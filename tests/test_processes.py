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


# ---------------------------------------------------------------- one file check for every input

def demo_copy(tmp: Path) -> Path:
    inbox = tmp / "inbox"
    shutil.copytree(DEMO, inbox)
    return inbox


def csv_file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# each input a command opens: (the command line, the path it opens), built in a scratch folder
INPUTS = {
    "close units.csv": lambda t, db: (["close", "--period", "2026-10", "--inbox", demo_copy(t), "--db", db,
                                       "--engine", "plain"], t / "inbox" / "units.csv"),
    "close members.csv": lambda t, db: (["close", "--period", "2026-10", "--inbox", demo_copy(t), "--db", db,
                                         "--engine", "plain"], t / "inbox" / "members.csv"),
    "close payments.csv": lambda t, db: (["close", "--period", "2026-10", "--inbox", demo_copy(t), "--db", db,
                                          "--engine", "plain"], t / "inbox" / "payments.csv"),
    "close --db": lambda t, db: (["close", "--period", "2026-10", "--inbox", DEMO, "--db", t / "new.duckdb",
                                  "--engine", "plain"], t / "new.duckdb"),
    "benefits benefit_claims.csv": lambda t, db: (["benefits", "--inbox", demo_copy(t), "--db", db, "--date",
                                                   "2026-11-05", "--engine", "plain"],
                                                  t / "inbox" / "benefit_claims.csv"),
    "benefits units.csv": lambda t, db: (["benefits", "--inbox", demo_copy(t), "--db", db, "--date", "2026-11-05",
                                          "--engine", "plain"], t / "inbox" / "units.csv"),
    "calendar --statements": lambda t, db: (["calendar", "--date", "2026-10-15", "--db", db, "--statements",
                                             t / "statements.csv"], t / "statements.csv"),
    "calendar --db": lambda t, db: (["calendar", "--date", "2026-10-15", "--db", t / "x.duckdb"], t / "x.duckdb"),
    "explain --db": lambda t, db: (["explain", "--db", t / "x.duckdb", "--period", "2026-10", "--unit", "SL-0001"],
                                   t / "x.duckdb"),
    "documents --members": lambda t, db: (["documents", "--period", "2026-10", "--db", db, "--out", t / "out",
                                           "--members", t / "members.csv"], t / "members.csv"),
    "statement --members": lambda t, db: (["statement", "--year", "2026", "--db", db, "--out", t / "out",
                                           "--members", t / "members.csv", "--engine", "plain"], t / "members.csv"),
    "approve --members": lambda t, db: (["approve", "--period", "2026-10", "--db", db, "--all", "--by", "Skarbnik",
                                         "--out", t / "out", "--members", t / "members.csv"], t / "members.csv"),
    "eligibility --members": lambda t, db: (["eligibility", "--date", "2026-10-15", "--body", "SL-0001", "--db", db,
                                             "--members", t / "members.csv"], t / "members.csv"),
    "eligibility --assembly": lambda t, db: (["eligibility", "--date", "2026-10-15", "--body", "SL-0001", "--db", db,
                                              "--assembly", t / "assembly.csv"], t / "assembly.csv"),
    "seats --members": lambda t, db: (["seats", "--key", "per:100", "--members", t / "counts.csv"], t / "counts.csv"),
    "tally --votes": lambda t, db: (["tally", "--votes", t / "votes.csv", "--rules", "solidarnosc"], t / "votes.csv"),
    "salary-caps --officers": lambda t, db: (["salary-caps", "--period", "2026-02", "--officers", t / "officers.csv",
                                              "--db", t / "c.duckdb", "--engine", "plain"], t / "officers.csv"),
    "salary-caps --wages": lambda t, db: (["salary-caps", "--period", "2026-02", "--officers",
                                           DEMO / "officers" / "officers.csv", "--db", t / "c.duckdb",
                                           "--wages", t / "wages.csv", "--engine", "plain"], t / "wages.csv"),
    "verify-delegates remittances.csv": lambda t, db: (["verify-delegates", "--inbox", t / "in", "--db", db,
                                                        "--engine", "plain"], t / "in" / "remittances.csv"),
}
# files inside a folder whose bad files are exception rows (the close's income/, the statements folder)
ROWS = {
    "close income/": lambda t, db: (["close", "--period", "2026-10", "--inbox", demo_copy(t), "--db", db,
                                     "--engine", "plain"], t / "inbox" / "income" / "huta.csv"),
    "close income/ profile": lambda t, db: (["close", "--period", "2026-10", "--inbox", demo_copy(t), "--db", db,
                                             "--engine", "plain"], t / "inbox" / "income" / "lines.csv.profile"),
    "close income/ sidecar": lambda t, db: (["close", "--period", "2026-10", "--inbox", demo_copy(t), "--db", db,
                                             "--engine", "plain"],
                                            t / "inbox" / "income" / "huta_lista_plac_2026-10.csv.profile"),
    "reconcile statements/": lambda t, db: (["reconcile", "--period", "2026-10", "--statements",
                                             shutil.copytree(DEMO / "statements", t / "st"), "--db", db,
                                             "--engine", "plain"], t / "st" / "wyciag.csv"),
}


def make_pipe(path: Path) -> None:
    os.mkfifo(path)


def make_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def make_folder(path: Path) -> None:
    path.mkdir()


def run_with(cases: dict, case: str, make, tmp_path: Path, demo_db: Path):
    """The command of ``case`` with its input path replaced by what ``make`` makes; a hang fails."""
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db, db)
    args, path = cases[case](tmp_path, db)
    if path.exists() or path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    t0 = time.monotonic()
    with bounded(20):
        res = invoke(*args)
    assert time.monotonic() - t0 < 15
    return res, path


@pytest.mark.parametrize("make", [make_pipe, make_zero, make_folder], ids=["fifo", "dev-zero", "folder"])
@pytest.mark.parametrize("case", sorted(INPUTS))
def test_issue_27_a_pipe_or_a_device_as_any_input_is_refused_at_once(tmp_path, demo_db, case, make):
    res, path = run_with(INPUTS, case, make, tmp_path, demo_db)
    out = one_polish_message(res, codes=(1, 2))
    assert path.name in out, out
    assert ("to folder, a nie plik" if make is make_folder else "to nie jest zwykły plik (potok, urządzenie)") in out, out


@pytest.mark.parametrize("make", [make_pipe, make_zero], ids=["fifo", "dev-zero"])
@pytest.mark.parametrize("case", sorted(ROWS))
def test_issue_27_a_pipe_or_a_device_inside_an_input_folder_is_reported_at_once(tmp_path, demo_db, case, make):
    res, _ = run_with(ROWS, case, make, tmp_path, demo_db)
    one_polish_message(res, codes=(0, 1))


# ---------------------------------------------------------------- a full disk while a workbook is written

@pytest.mark.parametrize("command", ["close", "documents", "calendar"])
def test_issue_27_a_full_disk_while_xlsxwriter_writes_is_cannot_write(tmp_path, demo_db, monkeypatch, command):
    from xlsxwriter.workbook import Workbook

    def full(self):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Workbook, "_store_workbook", full)
    db, out = tmp_path / "d.duckdb", tmp_path / "out"
    shutil.copy(demo_db, db)
    before = db.read_bytes()
    args = {"close": ["close", "--period", "2026-10", "--inbox", DEMO, "--db", db, "--out", out, "--engine", "plain"],
            "documents": READERS["documents"](db, out),
            "calendar": READERS["calendar"](db, out) + ["--out", out]}[command]
    res = invoke(*args)
    assert res.exit_code == 1, res.output
    assert "nie można zapisać (No space left on device)" in res.output and "nieoczekiwany" not in res.output
    assert str(out) in res.output and ".skladki-" not in res.output
    assert db.read_bytes() == before
    assert not [p for p in out.rglob("*")] if out.exists() else True


# ---------------------------------------------------------------- file names every disk can hold

def test_issue_27_units_differing_in_case_or_named_like_devices_get_files_every_disk_holds(tmp_path):
    from tests.conftest import UNIT, line, member, write_inbox
    from tests.test_xlsx import windows_valid
    ids = ["SL-0001", "sl-0001", "CON", "nul", "A:1."]
    inbox = write_inbox(tmp_path / "in", units=[{**UNIT, "unit_id": u} for u in ids],
                        members=[member(f"M{i}", unit=u) for i, u in enumerate(ids)],
                        income=[line(f"M{i}", "wage", "5000.00") for i, _ in enumerate(ids)])
    out = tmp_path / "out"
    res = invoke("close", "--period", "2026-10", "--inbox", inbox, "--db", tmp_path / "x.duckdb", "--out", out,
                 "--engine", "plain", "--unit-workbooks")
    assert res.exit_code == 0, res.output
    files = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    unit_files = [f for f in files if f.startswith("jednostki/")]
    assert len(unit_files) == 2 * len(ids), files            # a workbook and a settlement PDF per unit
    assert len({f.casefold() for f in files}) == len(files)   # nothing collides on a case-insensitive disk
    assert all(windows_valid(part) for f in files for part in f.split("/")), files


# ---------------------------------------------------------------- kill -9 while files are moved into place

def files_in(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def runs_of(db: Path) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(con.execute("SELECT run_id, period FROM runs").fetchall())
    finally:
        con.close()


def killed_close(inbox: Path, db: Path, out: Path, moment: str) -> None:
    """A close in its own process, killed (SIGKILL) at ``moment`` of moving its files into place."""
    close = subprocess.Popen([sys.executable, "-c", "from flows.launch import main; main()", "close", "--period",
                              "2026-10", "--inbox", str(inbox), "--db", str(db), "--out", str(out), "--engine",
                              "plain"], env={**os.environ, "SKLADKI_TEST_PAUSE": moment},
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        for line in close.stderr:
            if line.startswith(f"skladki-test-pause {moment}") or time.monotonic() > deadline:
                break
        assert close.poll() is None, "the close ended before the moment"
    finally:
        os.killpg(close.pid, signal.SIGKILL)
        close.wait()


@pytest.mark.parametrize("moment", ["moved:1", "moved:4", "committed"])
def test_issue_27_kill_9_while_files_are_moved_into_place_outputs_match_the_database(tmp_path, moment):
    inbox, db, out = demo_copy(tmp_path), tmp_path / "d.duckdb", tmp_path / "out"
    res = invoke("close", "--period", "2026-10", "--inbox", inbox, "--db", db, "--out", out, "--engine", "plain")
    assert res.exit_code == 0, res.output
    before, runs_before = files_in(out), runs_of(db)
    payroll = inbox / "income" / "szpital_skladniki_2026-10.csv"
    payroll.unlink()                         # the re-close computes other figures: other workbooks
    killed_close(inbox, db, out, moment)
    res = invoke("calendar", "--date", "2026-10-15", "--db", db, "--out", out)      # the next command here
    assert res.exit_code == 0, res.output
    after = {k: v for k, v in files_in(out).items() if not k.startswith("kalendarz_")}
    assert not [p for p in out.iterdir() if p.name.startswith(".skladki-")]      # no staging folder left
    if moment == "committed":
        assert len(runs_of(db)) == len(runs_before) + 1
        assert after.keys() == before.keys()
        assert after["zamkniecie_2026-10.xlsx"] != before["zamkniecie_2026-10.xlsx"]
        assert "dokończono przenoszenie plików przerwanego przebiegu" in res.output
    else:
        assert runs_of(db) == runs_before                   # not committed: the old files are back, all of them
        assert after == before
        assert "wycofano przenoszenie plików przerwanego przebiegu" in res.output


def test_issue_27_staging_folders_of_killed_runs_are_removed_and_a_running_ones_kept(tmp_path, demo_db):
    import json

    from flows.server import identity
    out = tmp_path / "out"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folders = {}
    for name, owner in [("0123456789ab", {"pid": dead.pid, "identity": "1 python"}),
                        ("0123456789ac", {"pid": os.getpid(), "identity": identity(os.getpid())}),
                        ("0123456789ad", None)]:
        folder = out / f".skladki-{name}"
        (folder / "jednostki").mkdir(parents=True)
        (folder / "jednostki" / "x.xlsx").write_bytes(b"half")
        if owner:
            (folder / ".wlasciciel").write_text(json.dumps(owner), encoding="utf-8")
        else:                                   # a folder of an older skladki, no owner recorded
            os.utime(folder, (time.time() - 3600, time.time() - 3600))
        folders[name] = folder
    (out / ".skladki-0123456789ab-poprzednie").mkdir()
    (out / ".skladki-demo").write_text("", encoding="utf-8")       # the demo's marker is no staging folder
    res = invoke("calendar", "--date", "2026-10-15", "--db", demo_db, "--out", out)
    assert res.exit_code == 0, res.output
    left = sorted(p.name for p in out.iterdir() if p.name.startswith(".skladki-"))
    assert left == [".skladki-0123456789ac", ".skladki-demo"]
    assert res.output.count("usunięto folder roboczy przerwanego przebiegu") == 2


# ---------------------------------------------------------------- documents: damaged inputs never a traceback

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st  # noqa: E402

from tests.test_robustness import CORRUPTIONS, corrupt  # noqa: E402

DB_DAMAGE = ("none", "truncate", "flip_bytes", "text", "drop_table", "drop_column", "empty_units", "wrong_type")
OUT_DAMAGE = ("none", "is_a_file", "under_a_file", "read_only_file", "stale_staging", "existing")


def damage_db(db: Path, how: str, rng) -> None:
    if how in ("truncate", "flip_bytes"):
        data = bytearray(db.read_bytes())
        if how == "truncate":
            data = data[:rng.randrange(len(data))]
        else:
            for _ in range(rng.randint(1, 16)):
                data[rng.randrange(4096, len(data))] ^= 0xFF      # past the header: inside the blocks
        db.write_bytes(bytes(data))
    elif how == "text":
        db.write_text("period,unit_id\n2026-10,SL-0001\n", encoding="utf-8")
    elif how != "none":
        con = duckdb.connect(str(db))
        try:
            con.execute({"drop_table": f"DROP TABLE {rng.choice(['settlement', 'dues', 'allocations', 'transfers'])}",
                         "drop_column": "ALTER TABLE dues DROP COLUMN total",
                         "empty_units": "DELETE FROM units",
                         "wrong_type": "ALTER TABLE settlement ALTER amount TYPE VARCHAR"}[how])
        finally:
            con.close()


def damage_out(out: Path, how: str) -> None:
    if how == "is_a_file":
        out.write_text("to nie folder", encoding="utf-8")
    elif how == "under_a_file":
        out.parent.joinpath("plik").write_text("x", encoding="utf-8")
    elif how in ("read_only_file", "existing", "stale_staging"):
        (out / "jednostki").mkdir(parents=True)
        (out / "jednostki" / "skladki_SL-0001_2026-10.xlsx").write_bytes(b"stary plik")
        if how == "read_only_file":
            (out / "jednostki").chmod(0o500)
        if how == "stale_staging":
            (out / ".skladki-00000000000f" / "jednostki").mkdir(parents=True)     # a killed older run's
            os.utime(out / ".skladki-00000000000f", (time.time() - 3600, time.time() - 3600))


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(db_damage=st.sampled_from(DB_DAMAGE), out_damage=st.sampled_from(OUT_DAMAGE),
       period=st.sampled_from(["2026-10", "2026-10", "2026-09", "2025-01", "2026-13", "0000-01", "２０２６-10"]),
       units=st.lists(st.sampled_from(["SL-0001", "GD-0002", "sl-0001", "XX-9", "", "CON", "SL-0001 "]),
                      min_size=1, max_size=2),
       members=st.sampled_from(["none", "good", "pipe", "folder", "missing", *CORRUPTIONS]), seed=st.integers(0, 2**32))
def test_issue_27_documents_with_damaged_inputs_never_traceback_and_keep_the_contract(
        tmp_path_factory, demo_db, db_damage, out_damage, period, units, members, seed):
    import random
    rng = random.Random(seed)
    work = tmp_path_factory.mktemp("documents")
    db, out = work / "d.duckdb", work / "out"
    shutil.copy(demo_db, db)
    damage_db(db, db_damage, rng)
    damage_out(out, out_damage)
    target = work / "plik" / "out" if out_damage == "under_a_file" else out
    args = ["documents", "--period", period, "--db", db, "--out", target]
    for unit in units:
        args += ["--unit", unit]
    if members != "none":
        m = work / "members.csv"
        if members == "pipe":
            os.mkfifo(m)
        elif members == "folder":
            m.mkdir()
        elif members != "missing":
            shutil.copy(DEMO / "members.csv", m)
            if members in CORRUPTIONS:
                corrupt(m, members, rng)
        args += ["--members", m]
    db_before, out_before = db.read_bytes(), files_in(out) if out.is_dir() else None
    try:
        with bounded(60):
            res = invoke(*args)
    finally:
        if out_damage == "read_only_file":
            (out / "jednostki").chmod(0o700)
    assert res.exit_code in (0, 1, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and "nieoczekiwany" not in res.output, res.output
    assert db.read_bytes() == db_before                   # documents never writes the database
    if res.exit_code == 0:
        written = files_in(target)
        wanted = units or ["SL-0001", "SL-0002", "SL-0003", "SL-0004", "GD-0001", "GD-0002"]
        from reports.xlsx import safe_name
        for unit in wanted:
            assert f"jednostki/skladki_{safe_name(unit)}_{period}.xlsx" in written, (unit, sorted(written))
            assert f"jednostki/rozliczenie_{safe_name(unit)}_{period}.pdf" in written
        assert not [p for p in target.iterdir() if p.name.startswith(".skladki-")]
    else:
        if res.exit_code == 1:              # (2: a usage error, click's message; the CLI prints it in Polish)
            assert "błąd" in res.output and "nic nie zostało zapisane" in res.output, res.output
        assert (files_in(out) if out.is_dir() else None) == out_before
