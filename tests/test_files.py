"""flows/files.py: cells as text, as Excel stores them."""
from datetime import date, datetime

from openpyxl import Workbook

from flows.files import cell_text, xlsx_values


def test_cells_become_text_without_losing_what_matters():
    assert cell_text(None) is None
    assert cell_text(6250.0) == "6250"                      # Excel's whole doubles lose '.0'
    assert cell_text(1462.5) == "1462.5"
    assert cell_text(datetime(2026, 10, 1)) == "2026-10-01"
    assert cell_text(date(2026, 10, 31)) == "2026-10-31"
    assert cell_text("02070803628") == "02070803628"        # a PESEL stays text with its zero


def test_xlsx_values_reads_the_first_sheet(tmp_path):
    wb = Workbook()
    wb.active.append(["a", 1])
    wb.save(tmp_path / "x.xlsx")
    assert xlsx_values(tmp_path / "x.xlsx") == [("a", 1)]
