"""flows/cli.py: one runner for every command — exit codes, Polish messages, --debug."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import line, write_inbox


@pytest.mark.parametrize("command", [
    ["close", "--period", "2026-10", "--inbox", "{x}", "--db", "{db}"],
    ["reconcile", "--period", "2026-10", "--statements", "{x}", "--db", "{db}"],
    ["verify-delegates", "--inbox", "{x}", "--db", "{db}"],
    ["salary-caps", "--period", "2026-02", "--officers", "{x}/officers.csv", "--db", "{db}"],
])
def test_a_missing_folder_is_one_polish_line_exit_1_before_any_engine_starts(command, tmp_path):
    args = [a.format(x=tmp_path / "brak", db=tmp_path / "x.duckdb") for a in command] + ["--engine", "prefect"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1
    assert "uruchamianie Prefect" not in res.output          # checked before Prefect starts
    assert res.output.startswith("błąd: ") and "nic nie zostało zapisane." in res.output
    assert not (tmp_path / "x.duckdb").exists()


def test_an_unknown_engine_or_period_is_wrong_usage(tmp_path):
    assert CliRunner().invoke(app, ["close", "--period", "2026-10", "--inbox", ".", "--db", "x",
                                    "--engine", "turbo"]).exit_code == 2
    assert CliRunner().invoke(app, ["close", "--period", "10.2026", "--inbox", ".", "--db", "x"]).exit_code == 2


def test_an_unexpected_error_is_one_line_and_with_debug_a_traceback(tmp_path, monkeypatch):
    from flows import close
    inbox = write_inbox(tmp_path / "in")
    monkeypatch.setattr(close, "read_inbox", lambda *a: 1 / 0)
    args = ["close", "--period", "2026-10", "--inbox", str(inbox), "--db", str(tmp_path / "x.duckdb"),
            "--engine", "plain"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and "nieoczekiwany błąd programu (ZeroDivisionError" in res.output
    res = CliRunner().invoke(app, ["--debug"] + args)
    assert isinstance(res.exception, ZeroDivisionError)


def _state(db, out):
    import hashlib
    return (hashlib.sha256(db.read_bytes()).hexdigest(),
            sorted((str(p.relative_to(out)), p.read_bytes()) for p in out.rglob("*") if p.is_file()))


def _closed_once(tmp_path):
    """A close done once: its database, output folder, command line and their state."""
    inbox = write_inbox(tmp_path / "in")
    db, out = tmp_path / "c.duckdb", tmp_path / "out"
    args = ["close", "--period", "2026-10", "--inbox", str(inbox), "--db", str(db), "--out", str(out), "--engine", "plain"]
    assert CliRunner().invoke(app, args).exit_code == 0
    return db, out, args, _state(db, out)


def test_issue_13_a_workbook_held_open_in_excel_is_named_and_nothing_changes(tmp_path, monkeypatch):
    import os

    from flows import command
    db, out, args, before = _closed_once(tmp_path)
    real = os.replace

    def excel_holds_it(src, dst):
        if str(src) == str(out / "zamkniecie_2026-10.xlsx"):      # Windows: a file open in Excel cannot move
            raise PermissionError(13, "Permission denied", str(src))
        real(src, dst)

    monkeypatch.setattr(command.os, "replace", excel_holds_it)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1
    assert f"błąd: {out / 'zamkniecie_2026-10.xlsx'}: nie można zapisać (Permission denied). Zamknij plik, jeśli " \
           "jest otwarty w Excelu" in res.output
    assert _state(db, out) == before


def test_issue_13_a_locked_database_is_named_and_nothing_changes(tmp_path, monkeypatch):
    import subprocess
    import sys
    db, out, args, before = _closed_once(tmp_path)
    monkeypatch.setenv("SKLADKI_DB_WAIT", "1")
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('ok', flush=True); time.sleep(20)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        res = CliRunner().invoke(app, args)
    finally:
        holder.kill()
        holder.wait()
    assert res.exit_code == 1 and "bazę danych używa teraz inny przebieg" in res.output
    assert _state(db, out) == before


def test_issue_13_demo_refuses_a_folder_it_did_not_make(tmp_path):
    folder = tmp_path / "moje"
    folder.mkdir()
    (folder / "ważne.txt").write_text("nie usuwać", encoding="utf-8")
    res = CliRunner().invoke(app, ["demo", "--folder", str(folder), "--engine", "plain"])
    assert res.exit_code == 1 and "folder nie jest pusty, a nie utworzyło go demo" in res.output
    assert (folder / "ważne.txt").read_text(encoding="utf-8") == "nie usuwać"
    fresh = tmp_path / "demo"
    for _ in range(2):          # a folder the demo made is made afresh
        assert CliRunner().invoke(app, ["demo", "--folder", str(fresh), "--engine", "plain"]).exit_code == 0


def test_issue_13_the_summary_says_how_excel_saved_files_were_read(tmp_path):
    inbox = write_inbox(tmp_path / "in", income=[line("M1", "wage", "100.00")])
    (inbox / "members.csv").write_bytes(b"\xef\xbb\xbf" + (inbox / "members.csv").read_bytes().replace(b",", b";"))
    res = CliRunner().invoke(app, ["close", "--period", "2026-10", "--inbox", str(inbox), "--db",
                                   str(tmp_path / "c.duckdb"), "--engine", "plain"])
    assert res.exit_code == 0 and "odczytano: members.csv (UTF-8 z BOM, separator ';')" in res.output


def test_issue_13_wrong_usage_is_said_in_polish_with_exit_2():
    import subprocess
    import sys
    cases = {("close", "--inbox", ".", "--db", "x"): "błąd użycia: brak wymaganej opcji --period.",
             ("close", "--period", "10.2026", "--inbox", ".", "--db", "x"):
                 "błąd użycia: zła wartość --period: '10.2026' to nie okres RRRR-MM (np. 2026-10).",
             ("zamknij",): "błąd użycia: nieznane polecenie zamknij."}
    for args, message in cases.items():
        proc = subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stderr.startswith(message), proc.stderr
        assert "Traceback" not in proc.stderr and "Error" not in proc.stderr


def test_issue_13_an_output_folder_that_cannot_be_made_or_a_database_that_is_a_folder(tmp_path):
    inbox = write_inbox(tmp_path / "in")
    (tmp_path / "plik").write_text("to nie folder", encoding="utf-8")
    res = CliRunner().invoke(app, ["close", "--period", "2026-10", "--inbox", str(inbox), "--db", str(tmp_path / "c.duckdb"),
                                   "--out", str(tmp_path / "plik"), "--engine", "plain"])
    assert res.exit_code == 1 and f"{tmp_path / 'plik'}: nie można zapisać" in res.output
    assert not (tmp_path / "c.duckdb").exists() and (tmp_path / "plik").read_text(encoding="utf-8") == "to nie folder"
    (tmp_path / "baza").mkdir()
    res = CliRunner().invoke(app, ["close", "--period", "2026-10", "--inbox", str(inbox), "--db", str(tmp_path / "baza"),
                                   "--engine", "plain"])
    assert res.exit_code == 1 and "baza: nie można otworzyć ani zapisać bazy danych" in res.output
    assert list((tmp_path / "baza").iterdir()) == []
