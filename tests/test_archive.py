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
        runs.append(outcome.run.state["run_id"])
    return inbox, db, runs


def test_replay_of_the_first_demo_close_after_its_inbox_is_gone_is_identical(tmp_path):
    inbox, db, (september, october) = closed_demo(tmp_path)
    shutil.rmtree(inbox)
    for run in (september, october):
        res = CliRunner().invoke(app, ["replay", "--run", run, "--db", str(db)])
        assert res.exit_code == 0, res.output
        assert "identyczne" in res.output and "tabele identyczne (18)" in res.output   # issue 26: + unit_exceptions


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
    res = CliRunner().invoke(app, ["archive", "--export", september, str(out), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert (out / "inbox" / "units.csv").read_bytes() == (inbox / "units.csv").read_bytes()
    for line in (out / "MANIFEST.txt").read_text(encoding="utf-8").splitlines()[1:]:
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
