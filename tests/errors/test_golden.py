"""The error catalogue, after hledger's: one folder per reason code of every command, holding a
tiny input that produces it, the command line (``args``, after an optional ``setup``) and the exact
Polish message(s) it must record (``expected``, one per line). A new reason code gets a folder.
A folder named after a ``fatal`` message of the catalogue (issue 28: ``bad_profile``) is a command
that must stop with that message (after its ``setup``, if any): ``expected`` holds its output after the progress lines, the
case's folder written ``{case}``. An optional ``env``
holds ``NAME=value`` lines (``{case}``, ``{tmp}`` filled in) set while the commands run.

Regenerate after a deliberate wording change with ``SKLADKI_GOLDEN=update`` and read the diff.
"""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from schemas.tables import reason_codes
from transforms.errors import catalogue

HERE = Path(__file__).parent
FATAL = set(catalogue()["fatal"]) - set(catalogue()["reasons"])   # issue 29: a reason code is also raised
CASES = sorted(p.name for p in HERE.iterdir() if (p / "args").exists() and p.name not in FATAL)
FATAL_CASES = sorted(p.name for p in HERE.iterdir() if (p / "args").exists() and p.name in FATAL)
TABLES = ("exceptions", "salary_cap_exceptions", "delegate_exceptions", "reconcile_exceptions")
MESSAGE = {"benefit_decisions": ("reason", "claim_id, reason"),     # a table whose message column is another
           "import_exceptions": ("message", "file, message")}


def _invoke(line: str, case: Path, tmp: Path):
    args = shlex.split(line.format(case=case, tmp=tmp))
    env = case / "env"
    env = dict(v.format(case=case, tmp=tmp).split("=", 1)
               for v in env.read_text(encoding="utf-8").splitlines() if v.strip()) if env.exists() else None
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


@pytest.mark.parametrize("code", FATAL_CASES)
def test_golden_fatal_message(code, tmp_path):
    """Issue 28: a mistake in a file the command reads first (a payroll profile) stops it with its
    own Polish message — never "nieoczekiwany błąd programu" later."""
    case = HERE / code
    if (case / "setup").exists():
        res = _invoke((case / "setup").read_text(encoding="utf-8").strip(), case, tmp_path)
        assert res.exit_code == 0, res.output
    res = _invoke((case / "args").read_text(encoding="utf-8").strip(), case, tmp_path)
    assert res.exit_code != 0 and "nieoczekiwany" not in res.output, res.output
    last = [ln.replace(str(case), "{case}") for ln in res.output.splitlines()
            if ln.strip() and not re.match(r"\[\d+/\d+\]", ln)]
    expected = case / "expected"
    if os.environ.get("SKLADKI_GOLDEN") == "update":
        expected.write_text("".join(m + "\n" for m in last), encoding="utf-8")
    assert last == expected.read_text(encoding="utf-8").splitlines()
