"""The error catalogue, after hledger's: one folder per reason code of every command, holding a
tiny input that produces it, the command line (``args``, after an optional ``setup``) and the exact
Polish message(s) it must record (``expected``, one per line). A new reason code gets a folder.

A run that stops with a fatal message (a ``UserError``: nothing written) is golden too: its folder,
named after the ``fatal`` code, holds ``fatal`` (the exact message, ``{case}`` for the folder's path)
instead of ``expected``, and may set environment variables in ``env`` (``NAME=value`` lines, e.g. a
folder of rulebooks beside the inbox).

Regenerate after a deliberate wording change with ``SKLADKI_GOLDEN=update`` and read the diff.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from schemas.tables import reason_codes

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "args").exists() and not (p / "fatal").exists())
FATAL = sorted(p.name for p in HERE.iterdir() if (p / "args").exists() and (p / "fatal").exists())
TABLES = ("exceptions", "salary_cap_exceptions", "delegate_exceptions", "reconcile_exceptions")
MESSAGE = {"benefit_decisions": ("reason", "claim_id, reason")}    # a table whose message column is another


def _invoke(line: str, case: Path, tmp: Path):
    args = shlex.split(line.format(case=case, tmp=tmp))
    env = {}
    if (case / "env").exists():
        for setting in (case / "env").read_text(encoding="utf-8").splitlines():
            if setting.strip():
                name, value = setting.split("=", 1)
                env[name.strip()] = value.strip().format(case=case, tmp=tmp)
    return CliRunner().invoke(app, args, env=env)


def recorded(db: Path, code: str) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        found = []
        for t in (t for t in TABLES + tuple(MESSAGE) if t in names):
            column, order = MESSAGE.get(t, ("message", 'source, "row", message'))
            found += [m for (m,) in con.execute(f"SELECT {column} FROM {t} WHERE reason_code = ? ORDER BY {order}",
                                                [code]).fetchall()]
        return found
    finally:
        con.close()


def test_every_reason_code_has_a_case():
    assert sorted(reason_codes()) == CASES


@pytest.mark.parametrize("code", CASES)
def test_golden_message(code, tmp_path):
    case = HERE / code
    if (case / "setup").exists():
        res = _invoke((case / "setup").read_text(encoding="utf-8").strip(), case, tmp_path)
        assert res.exit_code == 0, res.output
    res = _invoke((case / "args").read_text(encoding="utf-8").strip(), case, tmp_path)
    assert res.exit_code == 0, res.output
    messages = recorded(tmp_path / "x.duckdb", code)
    expected = case / "expected"
    if os.environ.get("SKLADKI_GOLDEN") == "update":
        expected.write_text("".join(m + "\n" for m in messages), encoding="utf-8")
    assert messages == expected.read_text(encoding="utf-8").splitlines()


def test_every_fatal_case_names_a_fatal_code():
    from transforms.errors import catalogue
    assert set(FATAL) <= set(catalogue()["fatal"])


@pytest.mark.parametrize("code", FATAL)
def test_golden_fatal_message(code, tmp_path):
    case = HERE / code
    res = _invoke((case / "args").read_text(encoding="utf-8").strip(), case, tmp_path)
    assert res.exit_code != 0, res.output
    assert "nieoczekiwany" not in res.output, res.output
    expected = case / "fatal"
    if os.environ.get("SKLADKI_GOLDEN") == "update":
        said = [ln for ln in res.output.splitlines() if ln.startswith("błąd:")]
        expected.write_text("".join(ln.replace(str(case), "{case}") + "\n" for ln in said), encoding="utf-8")
    lines = res.output.splitlines()
    for want in expected.read_text(encoding="utf-8").splitlines():
        assert want.replace("{case}", str(case)) in lines, res.output
    assert not (tmp_path / "x.duckdb").exists()        # nothing written
