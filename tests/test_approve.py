"""flows/approve.py: `skladki approve` — who approved a unit's month, when, and why if incomplete."""
from __future__ import annotations

import duckdb
from typer.testing import CliRunner

from flows.cli import app
from tests.test_months import P1, close, unit_inbox


def test_approve_stores_who_and_when_and_a_second_approval_changes_nothing(tmp_path):
    inbox, db = unit_inbox(tmp_path / "in", "U1"), tmp_path / "s.duckdb"
    close(P1, inbox, db)
    res = CliRunner().invoke(app, ["approve", "--period", P1, "--db", str(db), "--all", "--by", "Jan Kowalski"])
    assert res.exit_code == 0 and "zatwierdzono: U1" in res.output
    con = duckdb.connect(str(db), read_only=True)
    first = con.execute("SELECT state, approved_by, approved_at, approved_via, run_id = last_run_id FROM unit_months"
                        ).fetchall()
    con.close()
    assert first[0][:2] == ("approved", "Jan Kowalski") and first[0][2] is not None and first[0][4]
    res = CliRunner().invoke(app, ["approve", "--period", P1, "--db", str(db), "--unit", "U1", "--by", "Ktoś inny"])
    assert res.exit_code == 0 and "już wcześniej zatwierdzone (bez zmian): U1" in res.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT state, approved_by, approved_at, approved_via, run_id = last_run_id FROM unit_months"
                       ).fetchall() == first
    con.close()


def test_approving_without_a_database_is_one_polish_line(tmp_path):
    res = CliRunner().invoke(app, ["approve", "--period", P1, "--db", str(tmp_path / "brak.duckdb"), "--all",
                                   "--by", "X"])
    assert res.exit_code == 1 and res.output.startswith("błąd: ") and not (tmp_path / "brak.duckdb").exists()


def test_approving_a_month_that_was_not_closed_is_one_polish_line(tmp_path):
    inbox, db = unit_inbox(tmp_path / "in", "U1"), tmp_path / "s.duckdb"
    close(P1, inbox, db)
    res = CliRunner().invoke(app, ["approve", "--period", P1, "--db", str(db), "--unit", "U9", "--by", "X"])
    assert res.exit_code == 1 and "nie ma zamkniętych miesięcy jednostek U9" in res.output
    res = CliRunner().invoke(app, ["approve", "--period", P1, "--db", str(db), "--by", "X"])
    assert res.exit_code == 1 and "--all" in res.output
    res = CliRunner().invoke(app, ["approve", "--period", P1, "--db", str(db), "--all"])
    assert res.exit_code == 1 and "kto zatwierdza" in res.output
