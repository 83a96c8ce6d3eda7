"""reports/xlsx.py: text is never a formula; money is shown as złote from exact grosze."""
from decimal import Decimal

from openpyxl import load_workbook

from reports.xlsx import new_workbook, safe_name, sheet


def test_text_stays_text_and_grosze_become_zlote(tmp_path):
    wb = new_workbook()
    sheet(wb, "Arkusz", ["Tekst", "Kwota"], [("=SUM(A1)", 123456), ("@x", Decimal("0.01"))], money_cols={1},
          widths=[10, 10])
    wb.save(tmp_path / "x.xlsx")
    ws = load_workbook(tmp_path / "x.xlsx")["Arkusz"]
    assert ws["A2"].value == "=SUM(A1)" and ws["A2"].data_type == "s"
    assert ws["B2"].value == 1234.56 and ws["B2"].number_format == '#,##0.00 "zł"'
    assert ws.freeze_panes == "A2"


def test_safe_name_keeps_letters_digits_and_dashes():
    assert safe_name("SL-0001/ą b") == "SL-0001_ą_b"
