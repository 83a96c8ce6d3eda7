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
    # issue 26: a narrow sheet prints portrait (a wide one landscape: test_issue_26_… below)
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"


def test_issue_15_a_large_workbook_is_written_row_by_row_with_the_same_cells(tmp_path):
    from reports.xlsx import LARGE_ROWS
    wb = new_workbook()
    rows = [(f"=M{i}", i) for i in range(LARGE_ROWS + 1)]
    sheet(wb, "Duży", ["Tekst", "Kwota"], rows, money_cols={1}, widths=[10, 10], totals={0: "Razem"})
    wb.save(tmp_path / "x.xlsx")
    ws = load_workbook(tmp_path / "x.xlsx", read_only=True)["Duży"]
    last = list(ws.iter_rows(min_row=LARGE_ROWS + 2, max_row=LARGE_ROWS + 3, values_only=True))
    assert last == [(f"=M{LARGE_ROWS}", LARGE_ROWS / 100), ("Razem", sum(range(LARGE_ROWS + 1)) / 100)]


# ---------------------------------------------------------------- issue 26: every sheet prints legibly on A4

def _printed(tmp_path, headers, rows, widths, money_cols=frozenset(), **kw):
    wb = new_workbook()
    sheet(wb, "A", headers, rows, money_cols=set(money_cols), widths=widths, **kw)
    wb.save(tmp_path / "x.xlsx")
    return load_workbook(tmp_path / "x.xlsx")["A"]


def test_issue_26_a_wide_sheet_prints_landscape_as_wide_as_the_page_with_its_header_on_every_page(tmp_path):
    ws = _printed(tmp_path, ["Plik", "Wiersz", "Nr członka", "Kod", "Co poprawić"],
                  [("income/a.csv", 3, "M1", "brak dochodu (missing_income)", "długi opis " * 30)], [24, 8, 14, 24, 120])
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert ws.page_setup.fitToHeight == 0 and ws.print_title_rows == "$1:$1"
    # the long text wraps in a column no wider than 60 characters instead of shrinking the print
    assert ws["E2"].alignment.wrap_text and ws.column_dimensions["E"].width <= 61


def test_issue_26_a_number_never_touches_the_column_before_it(tmp_path):
    """Users read '0' and '7 000,84 zł' side by side as '07 000,84': a number column is as wide as
    its widest number (as shown) plus two characters."""
    ws = _printed(tmp_path, ["Członkowie", "Kwota"], [(0, 700084), (12, 123456789)], [4, 6], money_cols={1})
    assert ws.column_dimensions["B"].width >= len("1 234 567,89 zł") + 2
    assert ws.column_dimensions["A"].width >= 4


def test_issue_26_a_sheet_too_wide_for_one_legible_page_prints_two_pages_wide_with_its_key_repeated(tmp_path):
    headers = ["Jednostka"] + [f"Kolumna {i}" for i in range(30)]
    ws = _printed(tmp_path, headers, [("SL-0001", *range(30))], [12] + [14] * 30)
    assert ws.page_setup.fitToWidth >= 2 and ws.print_title_cols == "$A:$A"


# ---------------------------------------------------------------- issue 27: names every disk can hold

WINDOWS_DEVICES = ["CON", "PRN", "AUX", "NUL", "COM1", "COM9", "LPT1", "LPT9", "con", "Nul", "COM¹", "CONIN$"]
HOSTILE_IDS = ["SL-0001", "sl-0001", "Sl-0001", "A/1", "A_1", "A:1", "A.", "A ", "A.1", "A 1", "..", ".", "",
               "ŁÓDŹ-1", "ŁÓDŹ-1".lower(), "K", "\u212a", "O\u0301", "\u00d3", "x" * 300, "ą" * 200,
               "a\\b", "a*b", "a?b", 'a"b', "a<b>", "a|b", "a\x00b", "\x1f"] + WINDOWS_DEVICES


def windows_valid(name: str) -> bool:
    import re
    stem = name.split(".")[0].upper()
    return (bool(name) and not re.search(r'[<>:"/\\|?*\x00-\x1f]', name) and not name.endswith((".", " "))
            and stem not in {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                             *{f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789¹²³"}}
            and len(name.encode("utf-8")) <= 255)


def test_issue_27_names_from_ids_are_unique_on_a_case_insensitive_disk_and_valid_on_windows():
    import unicodedata
    for suffix in ("", ".xlsx"):           # as a whole file name (statements: <unit>.xlsx) and as a part
        names = [safe_name(i) + suffix for i in HOSTILE_IDS]
        for name in names:
            assert windows_valid(name), name
        # a disk that ignores case (Windows, macOS) and one that normalises Unicode (macOS)
        on_disk = {unicodedata.normalize("NFD", n).casefold() for n in names}
        assert len(on_disk) == len(set(HOSTILE_IDS)), sorted(names)
    assert safe_name("SL-0001") == "SL-0001" and safe_name("U1") == "U1"     # ordinary ids read as they are
    assert safe_name("sl-0001").startswith("sl-0001~") and safe_name("CON").startswith("CON~")


def test_issue_27_every_writer_names_its_files_through_safe_name():
    """No file name is built from an id any other way (grep of the writers; a delegate key and a
    level's label are the program's own words, not ids from input)."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in [*root.glob("flows/*.py"), *root.glob("reports/*.py")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"re\.sub\(r'\[\^0-9A-Za-z", line) and not re.search(r"'_', (result\.key|level_label)\)", line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def test_a_page_header_longer_than_excel_allows_is_cut_not_dropped(tmp_path):
    """Excel's page header holds 255 characters; xlsxwriter writes none for a longer one (a unit's
    long name from a damaged units.csv): the header is printed cut with an ellipsis."""
    long_name = "Jednostka " + "bardzo długa nazwa & co " * 20
    ws = _printed(tmp_path, ["Kod"], [("a",)], [10], page_header=long_name)
    header = ws.oddHeader.center.text
    assert header and header.startswith("Jednostka bardzo długa nazwa") and header.endswith("…")
    assert len(header) <= 255
