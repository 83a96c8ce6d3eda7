"""The openpyxl sheet writer skladki used until issue 15 (write-only mode), kept as the baseline of
benchmarks/xlsx_writers.py. Not used by skladki."""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from transforms.money import to_decimal

MONEY_FORMAT = '#,##0.00 "zł"'

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="305496")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")


def excel_text(value: str) -> str:
    """Text as Excel can hold it: control characters (NUL, \\x0b, …), which would make the file
    unwritable, become a visible '�' — the cell says something was there."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


def text_safe_cell(ws, value, money: bool = False):
    if money and isinstance(value, int) and not isinstance(value, bool):
        value = to_decimal(value)               # grosze -> złote for the cell
    if isinstance(value, str):
        value = excel_text(value)
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"          # never a formula, whatever the text starts with
    if money:
        c.number_format = MONEY_FORMAT
    elif hasattr(value, "isoformat"):
        c.number_format = "yyyy-mm-dd"
    return c


def _print_setup(ws, page_header: str | None, landscape: bool = True) -> None:
    """A4, as wide as the page; the unit or region and the month on top, 'Strona N z M' below."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if page_header:
        ws.oddHeader.center.text = excel_text(page_header).replace("&", "&&")
    ws.oddFooter.center.text = "Strona &P z &N"


def sheet(wb: Workbook, title: str, headers: list[str], rows, money_cols: set[int],
          widths: list[int], page_header: str | None = None, totals: dict[int, str] | None = None) -> None:
    """One sheet: a bold wrapped header row, then the rows; money columns formatted as złote.
    ``totals`` {column: label}: a closing row with the label in that column and the sums of the
    money columns."""
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    _print_setup(ws, page_header)
    ws.print_title_rows = "1:1"       # printed: the header row on every page
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    # tall enough for the longest label wrapped into its column (bold: ~0.9 characters per width unit)
    lines = max(-(-len(h) // max(int(w * 0.9), 1)) for h, w in zip(headers, widths))
    ws.row_dimensions[1].height = 15 * max(lines, 1) + 3
    head = []
    for h in headers:
        c = text_safe_cell(ws, h)
        c.font, c.fill, c.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
        head.append(c)
    ws.append(head)
    sums = {i: 0 for i in money_cols}
    for r in rows:
        ws.append([text_safe_cell(ws, v, money=i in money_cols) for i, v in enumerate(r)])
        for i in money_cols:
            if i < len(r) and r[i] is not None and not isinstance(r[i], str):
                sums[i] += r[i]
    if totals:
        row = [None] * len(headers)
        for i, label in totals.items():
            row[i] = label
        for i, s in sums.items():
            row[i] = s
        cells = [text_safe_cell(ws, v, money=i in money_cols) for i, v in enumerate(row)]
        for c in cells:
            c.font = Font(bold=True)
        ws.append(cells)


def form_sheet(wb: Workbook, title: str, lines: list[tuple], is_money, page_header: str | None = None,
               index: int | None = 0) -> None:
    """A printable form on one portrait page: (label, value, note) lines; a line with a label only
    is a heading (the first three: the title block; later ones: shaded section titles)."""
    ws = wb.create_sheet(title, index)
    _print_setup(ws, page_header, landscape=False)
    for col, width in zip("ABC", (44, 40, 34)):
        ws.column_dimensions[col].width = width
    section = ""
    for i, (label, value, note) in enumerate(lines):
        if label is not None and value is None and (note is None or i < 3):
            c = text_safe_cell(ws, label + (f"   ({note})" if note and i < 3 else ""))
            c.font = Font(bold=True, size=14 if i == 0 else 12 if i < 3 else 11,
                          color="FFFFFF" if i >= 3 else "000000")
            if i >= 3:
                section = label
                c.fill = _HEADER_FILL
            ws.append([c])
            continue
        money = is_money(label, value, section)
        cells = [text_safe_cell(ws, label), text_safe_cell(ws, value, money=money), text_safe_cell(ws, note)]
        if section == "DO PRZELANIA":
            for c in cells[:2]:
                c.font = Font(bold=True, size=12)
        ws.append(cells)


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def safe_name(name: str) -> str:
    """A unit id as a file-name part (ids come from input data). Two ids never share a name:
    where characters had to be replaced ('A/1' and 'A_1') or the id is too long for a file
    name, a short hash of the exact id is added."""
    import hashlib
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60]
    if safe == name:
        return safe
    return f"{safe}~{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"
