"""Issue 27: an .xlsx register or payroll list whose first sheet is hidden (an old version, a
lookup list) is read from the first VISIBLE sheet — what the treasurer sees on opening it — and
the run's summary says which sheet was read and which hidden ones were left out."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from tests.conftest import line, member, write_inbox


def with_hidden_first_sheet(csv_path: Path, hidden_rows: list[list[str]], state: str = "hidden") -> Path:
    """``csv_path`` as an .xlsx whose visible sheet holds its rows, behind a hidden first sheet."""
    wb = Workbook()
    hidden = wb.active
    hidden.title = "stara wersja"
    for r in hidden_rows:
        hidden.append(r)
    hidden.sheet_state = state
    visible = wb.create_sheet("Członkowie")
    with csv_path.open(encoding="utf-8") as f:
        for r in csv.reader(f):
            visible.append(r)
    wb.active = 1
    xlsx = csv_path.with_suffix(".xlsx")
    wb.save(xlsx)
    csv_path.unlink()
    return xlsx


def close(inbox: Path, db: Path):
    return CliRunner().invoke(app, ["close", "--period", "2026-10", "--inbox", str(inbox), "--db", str(db),
                                    "--engine", "plain"])


def test_issue_27_a_members_register_with_a_hidden_first_sheet_is_read_from_the_visible_one(tmp_path):
    inbox = write_inbox(tmp_path / "in", members=[member("M1"), member("M2")],
                        income=[line("M1", "wage", "5000.00"), line("M2", "wage", "4000.00")])
    with_hidden_first_sheet(inbox / "members.csv", [["member_id", "unit_id", "category", "joined_on"],
                                                    ["M1", "U1", "pensioner", "2020-01-01"]])
    res = close(inbox, tmp_path / "c.duckdb")
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True)
    dues = con.execute("SELECT member_id, category FROM dues ORDER BY 1").fetchall()
    con.close()
    assert dues == [("M1", "employee"), ("M2", "employee")]
    assert "members.xlsx (xlsx, arkusz 'Członkowie', pominięte ukryte: stara wersja)" in res.output


def test_issue_27_a_payroll_list_with_a_very_hidden_first_sheet_is_read_from_the_visible_one(tmp_path):
    """The demo's payroll export (a mapping profile) with a very hidden sheet of other figures in
    front: the close gives the same dues as the clean file."""
    clean, damaged = tmp_path / "clean", tmp_path / "damaged"
    shutil.copytree(settings.DEMO_INBOX, clean)
    shutil.copytree(settings.DEMO_INBOX, damaged)
    payroll = next((damaged / "income").glob("*.xlsx"))
    wb = load_workbook(payroll)
    first = wb.worksheets[0]
    decoy = wb.copy_worksheet(first)
    for row in decoy.iter_rows():
        for cell in row:
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.value = cell.value * 3
    wb.move_sheet(decoy, offset=-len(wb.worksheets) + 1)
    decoy.sheet_state = "veryHidden"
    wb.active = 1
    wb.save(payroll)
    assert load_workbook(payroll, read_only=True).worksheets[0].sheet_state == "veryHidden"
    totals = []
    for inbox in (clean, damaged):
        assert close(inbox, tmp_path / f"{inbox.name}.duckdb").exit_code == 0
        con = duckdb.connect(str(tmp_path / f"{inbox.name}.duckdb"), read_only=True)
        totals.append(con.execute("SELECT count(*), sum(total) FROM dues").fetchone())
        con.close()
    assert totals[0] == totals[1]
