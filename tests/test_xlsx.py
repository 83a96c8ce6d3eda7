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


def test_issue_10_two_unit_ids_never_share_a_file_name():
    assert safe_name("SL-0001") == "SL-0001"
    assert safe_name("A/1") != safe_name("A_1") and safe_name("A/1").startswith("A_1~")
    long = "U" * 300
    assert len(safe_name(long)) < 80 and safe_name(long) != safe_name(long + "x")


def test_issue_10_control_characters_become_a_visible_mark(tmp_path):
    wb = new_workbook()
    sheet(wb, "A", ["Tekst"], [("Jan\x00Nowak\x0b",)], money_cols=set(), widths=[10])
    wb.save(tmp_path / "x.xlsx")
    assert load_workbook(tmp_path / "x.xlsx")["A"]["A2"].value == "Jan\ufffdNowak\ufffd"


def test_issue_15_money_reaches_the_file_as_exact_digits_and_pages_print_as_before(tmp_path):
    import zipfile
    wb = new_workbook()
    sheet(wb, "A", ["Kwota", "Dzień"], [(1234567890123, None), (-1, None), (10, None)], money_cols={0},
          widths=[10, 10], page_header="Jednostka A&B — 2026-10", totals={1: "Razem"})
    wb.save(tmp_path / "x.xlsx")
    xml = zipfile.ZipFile(tmp_path / "x.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert "<v>12345678901.23</v>" in xml and "<v>-0.01</v>" in xml and "<v>0.10</v>" in xml
    ws = load_workbook(tmp_path / "x.xlsx")["A"]
    assert ws["A5"].value == 12345678901.32 and ws["B5"].value == "Razem" and ws["B5"].font.b
    assert ws.oddHeader.center.text == "Jednostka A&&B — 2026-10" and ws.oddFooter.center.text == "Strona &P z &N"
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"


def test_issue_15_a_large_workbook_is_written_row_by_row_with_the_same_cells(tmp_path):
    from reports.xlsx import LARGE_ROWS
    wb = new_workbook()
    rows = [(f"=M{i}", i) for i in range(LARGE_ROWS + 1)]
    sheet(wb, "Duży", ["Tekst", "Kwota"], rows, money_cols={1}, widths=[10, 10], totals={0: "Razem"})
    wb.save(tmp_path / "x.xlsx")
    ws = load_workbook(tmp_path / "x.xlsx", read_only=True)["Duży"]
    last = list(ws.iter_rows(min_row=LARGE_ROWS + 2, max_row=LARGE_ROWS + 3, values_only=True))
    assert last == [(f"=M{LARGE_ROWS}", LARGE_ROWS / 100), ("Razem", sum(range(LARGE_ROWS + 1)) / 100)]
