"""Writing sheets for people (labels in Polish): one sheet writer for every workbook of every
command. Written in openpyxl write-only mode (flat memory at national scale). Every text cell is
forced to type string, so input that starts with '=' is never interpreted as a formula.
"""
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


def sheet(wb: Workbook, title: str, headers: list[str], rows, money_cols: set[int],
          widths: list[int]) -> None:
    """One sheet: a bold wrapped header row, then the rows; money columns formatted as złote."""
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    # printed: landscape, as wide as the page, the header row on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"
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
    for r in rows:
        ws.append([text_safe_cell(ws, v, money=i in money_cols) for i, v in enumerate(r)])


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
