"""The close workbook opened back: totals equal DuckDB, text stays text, layout for people."""
from __future__ import annotations

from decimal import Decimal

import duckdb
from openpyxl import load_workbook

from tests.conftest import UNIT, close_plain, line, member, write_inbox


def close_with_workbook(tmp_path):
    inbox = write_inbox(
        tmp_path / "inbox", units=[UNIT, {**UNIT, "unit_id": "U2", "sheltered": "true", "raised_pct": "120"}],
        members=[member("M1", full_name="=HYPERLINK(\"http://x\",\"klik\")"),
                 member("M2", "pensioner", unit="U2", full_name="+48 600 100 200"),
                 member("M3", unit="U2", full_name="Żaneta Ślusarczyk"),
                 member("M4", full_name="@SUM(A1)")],
        income=[line("M1", "wage", "5230.17"), line("M2", "pension", "2100.00"),
                line("M3", "wage", "7011.99"), line("M4", "=1+1", "1.00")])
    db, out = tmp_path / "c.duckdb", tmp_path / "out"
    outcome = close_plain("2026-10", inbox, db, out)
    return outcome, db


def unit_workbook(outcome, unit_id):
    return load_workbook(outcome.workbook.parent / "jednostki" / f"skladki_{unit_id}_2026-10.xlsx")


def test_workbook_totals_equal_duckdb_totals(tmp_path):
    outcome, db = close_with_workbook(tmp_path)
    wb = load_workbook(outcome.workbook)
    assert wb.sheetnames == ["Podsumowanie", "Przelewy", "Wyjątki", "Kontrola potrąceń"]
    con = duckdb.connect(str(db), read_only=True)
    dues_total = con.execute("SELECT sum(total) FROM dues").fetchone()[0]
    alloc_total = con.execute("SELECT sum(amount) FROM allocations").fetchone()[0]
    transfers = con.execute("SELECT sum(amount) FROM transfers WHERE payer_kind='unit'").fetchone()[0]

    summary = wb["Podsumowanie"]
    header = [c.value for c in summary[1]]
    col = {h: i for i, h in reversed(list(enumerate(header)))}
    rows = list(summary.iter_rows(min_row=2, values_only=True))
    as_dec = lambda v: Decimal(str(v)).quantize(Decimal("0.01"))  # xlsx stores numbers as doubles
    assert sum(as_dec(r[col["Razem składki"]]) for r in rows) == dues_total
    assert sum(as_dec(v) for r in rows for v in r[13:19]) == alloc_total
    assert sum(as_dec(r[col["Kwota przelewu"]]) for r in rows) == transfers

    member_rows = [r for u in ("U1", "U2")
                   for r in unit_workbook(outcome, u)["Składki członków"].iter_rows(min_row=2, values_only=True)]
    assert sum(as_dec(r[7]) for r in member_rows) == dues_total
    members = unit_workbook(outcome, "U1")["Składki członków"]
    assert summary.freeze_panes == "A2" and members.freeze_panes == "A2"
    assert summary.column_dimensions["B"].width >= 20
    assert members["F2"].number_format.startswith("#,##0.00")


def test_input_text_starting_with_formula_characters_is_stored_as_text(tmp_path):
    outcome, _ = close_with_workbook(tmp_path)
    wb = load_workbook(outcome.workbook)
    names = {}
    for unit in ("U1", "U2"):
        for row in unit_workbook(outcome, unit)["Składki członków"].iter_rows(min_row=2):
            names[row[1].value] = row[2]
    assert names["M1"].value == '=HYPERLINK("http://x","klik")'
    assert names["M1"].data_type == "s"
    assert names["M2"].value == "+48 600 100 200" and names["M2"].data_type == "s"
    # the exceptions sheet quotes the bad component text, still as text
    messages = [r[4].value for r in wb["Wyjątki"].iter_rows(min_row=2)]
    assert any("'=1+1'" in m for m in messages)
    assert all(r[4].data_type == "s" for r in wb["Wyjątki"].iter_rows(min_row=2))


def test_names_only_in_the_unit_workbook_and_pesel_nowhere(tmp_path):
    inbox = write_inbox(tmp_path / "inbox", members=[member("M1", pesel="02070803628", full_name="Jan Nowak"),
                                                     member("M2", full_name="Anna Bąk")],
                        income=[line("M1", "wage", "100.00")])
    outcome = close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out")
    cells = lambda wb: [c.value for ws in wb for row in ws.iter_rows() for c in row]
    close_cells = cells(load_workbook(outcome.workbook))
    unit_cells = cells(unit_workbook(outcome, "U1"))
    assert "Jan Nowak" not in close_cells and "Anna Bąk" not in close_cells
    assert "Jan Nowak" in unit_cells and "02070803628" not in unit_cells + close_cells
    # the unit treasurer sees the exception about their member M2 (no income line)
    assert "M2" in [r[2] for r in unit_workbook(outcome, "U1")["Wyjątki"].iter_rows(min_row=2, values_only=True)]


def test_unit_workbooks_can_be_left_out(tmp_path):
    inbox = write_inbox(tmp_path / "inbox", income=[line("M1", "wage", "100.00")])
    outcome = close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out", unit_workbooks=False)
    assert outcome.workbook.exists() and not (tmp_path / "out" / "jednostki").exists()
