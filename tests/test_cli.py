"""flows/cli.py: one runner for every command — exit codes, Polish messages, --debug."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import write_inbox


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
