"""The error catalogue, after hledger's: one folder per reason code of every command, holding a
tiny input that produces it, the command line (``args``, after an optional ``setup``) and the exact
Polish message(s) it must record (``expected``, one per line). A new reason code gets a folder.

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
CASES = sorted(p.name for p in HERE.iterdir() if (p / "args").exists())
TABLES = ("exceptions", "salary_cap_exceptions", "delegate_exceptions", "reconcile_exceptions")
MESSAGE = {"benefit_decisions": ("reason", "claim_id, reason")}    # a table whose message column is another


def _invoke(line: str, case: Path, tmp: Path):
    args = shlex.split(line.format(case=case, tmp=tmp))
    return CliRunner().invoke(app, args)


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
