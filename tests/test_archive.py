"""Issue 18: every close archives its exact inputs (content-addressed, in the database); `replay`
re-runs it from the archive and compares every table; `archive --export` gives them to an auditor."""
from __future__ import annotations

import hashlib
import re
import shutil

import duckdb
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from tests.conftest import close_plain


def closed_demo(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(settings.DEMO_INBOX, inbox)
    db = tmp_path / "s.duckdb"
    runs = []
    for period in ("2026-09", "2026-10"):
        outcome = close_plain(period, inbox, db, unit_workbooks=False)
        runs.append(outcome.result.run_id)
    return inbox, db, runs


def test_replay_of_the_first_demo_close_after_its_inbox_is_gone_is_identical(tmp_path):
    inbox, db, (september, october) = closed_demo(tmp_path)
    shutil.rmtree(inbox)
    for run in (september, october):
        res = CliRunner().invoke(app, ["replay", "--run", run, "--db", str(db)])
        assert res.exit_code == 0, res.output
        assert "identyczne" in res.output and "tabele identyczne (19)" in res.output   # issue 26: + unit_exceptions; issue 30: + national_accounts


def test_one_changed_byte_in_the_archive_is_reported(tmp_path):
    _, db, (september, _) = closed_demo(tmp_path)
    con = duckdb.connect(str(db))
    sha, data = con.execute("SELECT b.sha256, b.data FROM archive_blobs b JOIN archive_files f USING (sha256) "
                            "WHERE f.run_id = ? AND f.path = 'units.csv'", [september]).fetchone()
    damaged = bytes(data[:-1]) + bytes([data[-1] ^ 1])
    con.execute("UPDATE archive_blobs SET data = ? WHERE sha256 = ?", [damaged, sha])
    con.close()
    res = CliRunner().invoke(app, ["replay", "--run", september, "--db", str(db)])
    assert res.exit_code == 1
    assert "Archiwum zmienione: inbox/units.csv" in res.output


def test_a_changed_stored_figure_is_reported_by_replay(tmp_path):
    _, db, (_, october) = closed_demo(tmp_path)
    con = duckdb.connect(str(db))
    con.execute("UPDATE dues SET total = total + 0.01 WHERE member_id = 'M0000253' AND period = '2026-10'")
    con.close()
    res = CliRunner().invoke(app, ["replay", "--run", october, "--db", str(db)])
    assert res.exit_code == 1 and "dues: 1 wiersz innych w powtórzeniu, 1 w bazie" in res.output


def test_export_gives_the_exact_files_and_a_manifest_and_a_rerun_stores_nothing_twice(tmp_path):
    inbox, db, (september, _) = closed_demo(tmp_path)
    out = tmp_path / "audit"
    res = CliRunner().invoke(app, ["archive", "--export", september, str(out), "--db", str(db),
                                   "--with-personal-data"])
    assert res.exit_code == 0, res.output
    assert (out / "inbox" / "units.csv").read_bytes() == (inbox / "units.csv").read_bytes()
    for line in (out / "MANIFEST.txt").read_text(encoding="utf-8").splitlines()[3:]:
        sha, path = line.split("  ")
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == sha
    con = duckdb.connect(str(db), read_only=True)
    blobs = con.execute("SELECT count(*) FROM archive_blobs").fetchone()[0]
    con.close()
    close_plain("2026-09", inbox, db, unit_workbooks=False)          # the same inputs again
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM archive_blobs").fetchone()[0] == blobs
    assert re.fullmatch(r"[0-9a-f]{64}", con.execute("SELECT min(sha256) FROM archive_blobs").fetchone()[0])
    con.close()


# ---------------------------------------------------------------- issue 27: who receives what, and safely

import os  # noqa: E402
import random  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st  # noqa: E402

from tests.test_robustness import good_inbox  # noqa: E402
from tests.test_robustness import close as close_cli  # noqa: E402


def export(db: Path, run: str, folder: Path, *more: str):
    return CliRunner().invoke(app, ["archive", "--export", run, str(folder), "--db", str(db), *more])


def manifest(folder: Path) -> dict[str, dict[str, str]]:
    """MANIFEST.txt: {section: {path: sha256}} — the files in the folder and those only hashed."""
    sections, current = {}, None
    for line in (folder / "MANIFEST.txt").read_text(encoding="utf-8").splitlines():
        if line.endswith(":") and "  " not in line:
            current = sections.setdefault(line, {})
        elif current is not None and re.fullmatch(r"[0-9a-f]{64}  \S.*", line):
            sha, path = line.split("  ", 1)
            current[path] = sha
    return sections


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small unit's close (with PESELs and a salary), its database and run id."""
    base = tmp_path_factory.mktemp("small")
    inbox, db = good_inbox(base / "inbox"), base / "c.duckdb"
    assert close_cli(inbox, db, base / "out").exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    (run,) = con.execute("SELECT run_id FROM runs").fetchone()
    con.close()
    return inbox, db, run


def fresh(small, tmp_path) -> Path:
    db = tmp_path / "c.duckdb"
    shutil.copy(small[1], db)
    return db


def tree(folder: Path) -> list[tuple[str, bytes]]:
    return sorted((str(p.relative_to(folder)), p.read_bytes() if p.is_file() else b"/")
                  for p in folder.rglob("*")) if folder.exists() else []


def test_issue_27_the_default_export_holds_no_personal_data_and_hashes_every_input(small, tmp_path):
    inbox, db, run = small[0], fresh(small, tmp_path), small[2]
    out = tmp_path / "audyt"
    res = export(db, run, out)
    assert res.exit_code == 0, res.output
    head = (out / "MANIFEST.txt").read_text(encoding="utf-8").splitlines()[:2]
    assert "bez danych osobowych" in head[1] and "--with-personal-data" in head[1]
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert not [p for p in written if p.startswith(("inbox", "books"))]
    assert "tables/settlement.csv" in written and "catalogue/catalogue.toml" in written
    text = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())
    assert "02070803628" not in text and "5230.17" not in text and "5230,17" not in text
    files, hashed = manifest(out).values()
    assert set(files) == written - {"MANIFEST.txt"}
    for path, sha in files.items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == sha
    assert hashed["inbox/members.csv"] == hashlib.sha256((inbox / "members.csv").read_bytes()).hexdigest()
    assert hashed["inbox/income/lines.csv"] == hashlib.sha256((inbox / "income/lines.csv").read_bytes()).hexdigest()
    assert "books/books.json" in hashed


def test_issue_27_inputs_only_with_the_explicit_option_and_the_manifest_says_so(small, tmp_path):
    inbox, db, run = small[0], fresh(small, tmp_path), small[2]
    out = tmp_path / "audyt"
    res = export(db, run, out, "--with-personal-data")
    assert res.exit_code == 0, res.output
    assert "z danymi osobowymi" in (out / "MANIFEST.txt").read_text(encoding="utf-8").splitlines()[1]
    assert (out / "inbox" / "members.csv").read_bytes() == (inbox / "members.csv").read_bytes()
    (files,) = manifest(out).values()
    assert "inbox/members.csv" in files and "tables/settlement.csv" in files


@pytest.mark.parametrize("name", ["../../escaped.csv", "/tmp/skladki-escaped.csv", "C:/escaped.csv", "C:escaped.csv",
                                  "..\\..\\escaped.csv", "income/../../escaped.csv", "CON", "income/aux.csv",
                                  "nul.txt", "a\x00b.csv", "x./y.csv", ""])
def test_issue_27_a_hostile_stored_name_is_refused_and_nothing_is_written(small, tmp_path, name):
    db, run = fresh(small, tmp_path), small[2]
    con = duckdb.connect(str(db))
    con.execute("UPDATE archive_files SET path = ? WHERE run_id = ? AND path = 'units.csv'", [name, run])
    con.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    for more in ((), ("--with-personal-data",)):
        res = export(db, run, work / "audyt", *more)
        assert res.exit_code == 1, res.output
        assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
        assert "niedozwoloną nazwę" in res.output and "nic nie zostało zapisane" in res.output
    assert not (work / "audyt").exists() and not list(tmp_path.rglob("*escaped*"))
    assert not os.path.exists("/tmp/skladki-escaped.csv")
    assert [p.name for p in tmp_path.rglob("*") if p.name.startswith(".skladki")] == []
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_issue_27_an_export_never_overwrites_and_never_writes_into_a_file(small, tmp_path):
    db, run = fresh(small, tmp_path), small[2]
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "MANIFEST.txt").write_text("audytora\n", encoding="utf-8")
    res = export(db, run, taken)
    assert res.exit_code == 1 and "nie jest pusty" in res.output
    assert tree(taken) == [("MANIFEST.txt", b"audytora\n")]
    a_file = tmp_path / "plik"
    a_file.write_bytes(b"x")
    res = export(db, run, a_file)
    assert res.exit_code == 1 and "to plik" in res.output and a_file.read_bytes() == b"x"
    empty = tmp_path / "pusty"
    empty.mkdir()
    assert export(db, run, empty).exit_code == 0 and (empty / "MANIFEST.txt").exists()


def test_issue_27_a_failed_export_leaves_no_partial_folder(small, tmp_path):
    db, run = fresh(small, tmp_path), small[2]
    con = duckdb.connect(str(db))
    con.execute("UPDATE archive_blobs SET data = 'x'::BLOB WHERE sha256 = (SELECT sha256 FROM archive_files "
                "WHERE run_id = ? AND role = 'rulebooks' LIMIT 1)", [run])
    con.close()
    res = export(db, run, tmp_path / "audyt")
    assert res.exit_code == 1 and "Archiwum zmienione" in res.output and "Traceback" not in res.output
    assert tree(tmp_path / "audyt") == [] and not (tmp_path / "audyt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


DAMAGES = ("truncate_blob", "garble_blob", "null_blob", "hostile_name", "target_not_empty", "target_is_file",
           "no_run", "drop_files")


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(DAMAGES), min_size=0, max_size=3, unique=True), st.booleans(),
       st.integers(0, 2**32))
def test_issue_27_a_damaged_archive_never_tracebacks_and_keeps_the_contract(small, tmp_path_factory, damages,
                                                                            personal, seed):
    """Point 7 for `archive --export`: exit 0 with a complete export and MANIFEST, or exit 1/2 with
    the database and the target as they were."""
    work, rng = tmp_path_factory.mktemp("case"), random.Random(seed)
    db, run, target = work / "c.duckdb", small[2], work / "audyt"
    shutil.copy(small[1], db)
    con = duckdb.connect(str(db))
    shas = [s for (s,) in con.execute("SELECT sha256 FROM archive_files WHERE run_id = ? ORDER BY path", [run]).fetchall()]
    sha = rng.choice(shas)
    (blob,) = con.execute("SELECT data FROM archive_blobs WHERE sha256 = ?", [sha]).fetchone()
    for damage in damages:
        if damage == "truncate_blob":
            con.execute("UPDATE archive_blobs SET data = ? WHERE sha256 = ?", [bytes(blob)[:rng.randrange(len(blob))], sha])
        elif damage == "garble_blob":
            i = rng.randrange(len(blob))
            con.execute("UPDATE archive_blobs SET data = ? WHERE sha256 = ?",
                        [bytes(blob)[:i] + bytes([blob[i] ^ (1 + rng.randrange(255))]) + bytes(blob)[i + 1:], sha])
        elif damage == "null_blob":
            con.execute("DELETE FROM archive_blobs WHERE sha256 = ?", [sha])
        elif damage == "hostile_name":
            con.execute("UPDATE archive_files SET path = ? WHERE run_id = ? AND sha256 = ?",
                        [rng.choice(["../../escaped.csv", "/escaped.csv", "D:\\escaped.csv", "LPT1.csv"]), run, sha])
        elif damage == "drop_files":
            con.execute("DELETE FROM archive_files WHERE run_id = ?", [run])
        elif damage == "no_run":
            run = "nieznany"
        elif damage == "target_not_empty" and not target.is_file():
            target.mkdir(exist_ok=True)
            (target / "notatki.txt").write_text("audytora", encoding="utf-8")
        elif damage == "target_is_file":
            target = work / "plik"
            target.write_text("x", encoding="utf-8")
    con.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest(), tree(target), target.is_file() and target.read_bytes()
    res = export(db, run, target, *(("--with-personal-data",) if personal else ()))
    assert res.exit_code in (0, 1, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and "nieoczekiwany" not in res.output
    assert not list(work.rglob("*escaped*"))
    assert [p.name for p in work.iterdir() if p.name.startswith(".")] == []
    if res.exit_code == 0:
        (files, *_) = manifest(target).values()
        written = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
        assert set(files) == written - {"MANIFEST.txt"} and files
        for path, digest in files.items():
            assert hashlib.sha256((target / path).read_bytes()).hexdigest() == digest
    else:
        assert "błąd: " in res.output and "nic nie zostało zapisane" in res.output
        assert (hashlib.sha256(db.read_bytes()).hexdigest(), tree(target),
                target.is_file() and target.read_bytes()) == before


def test_the_export_manifest_lists_each_file_given_and_hashes_the_inputs_left_out():
    """reports/archive.py: MANIFEST.txt — the run, its scope, the files given, the inputs kept back."""
    from reports.archive import manifest
    text = manifest("r1", "2026-10", False, {"tables/runs.csv": b"a", "catalogue/catalogue.toml": b"b"},
                    [("f" * 64, "inbox/members.csv")])
    lines = text.splitlines()
    assert lines[0] == "skladki: przebieg r1, okres 2026-10" and lines[1].startswith("zakres: ")
    assert lines[2:5] == ["pliki w tym folderze (sha256, ścieżka):",
                          f"{hashlib.sha256(b'b').hexdigest()}  catalogue/catalogue.toml",
                          f"{hashlib.sha256(b'a').hexdigest()}  tables/runs.csv"]
    assert lines[5:] == ["pliki wejściowe tylko w archiwum bazy jednostki (sha256, ścieżka):",
                         f"{'f' * 64}  inbox/members.csv"] and text.endswith("\n")
    assert manifest("r1", "2026-10", True, {}, []).splitlines()[1] != lines[1]
