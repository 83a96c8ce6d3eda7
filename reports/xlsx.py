"""Writing sheets for people (labels in Polish): one sheet writer for every workbook of every
command. A workbook is collected sheet by sheet (``Book``) and written in one pass by XlsxWriter
(measured on our unit workbooks: several times faster than openpyxl's write-only mode, which
``benchmarks/xlsx_writers.py`` compares). Every text cell is written as a string, so input that
starts with '=' is never a formula; money cells hold exact decimal złote, never a float.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable

from transforms.money import to_decimal

MONEY_FORMAT = '#,##0.00 "zł"'
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FILL = "#305496"
LARGE_ROWS = 10_000
# the characters an xlsx cell cannot hold (XML 1.0 control characters), as openpyxl names them
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def excel_text(value: str) -> str:
    """Text as Excel can hold it: control characters (NUL, \\x0b, …), which would make the file
    unwritable, become a visible '�' — the cell says something was there."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


@dataclass
class Book:
    """A workbook being made: its sheets in order, written by ``save``."""
    sheets: list[Callable] = field(default_factory=list)
    rows: int = 0

    def save(self, path: Path | str) -> None:
        import xlsxwriter
        # a large workbook is written row by row to disk (flat memory); a small one, the many unit
        # treasurers' workbooks, ~10 % faster in memory
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": self.rows > LARGE_ROWS, "strings_to_formulas": False,
                                             "strings_to_numbers": False, "strings_to_urls": False})
        styles = _Styles(wb)
        try:
            for write in self.sheets:
                write(wb, styles)
        finally:
            wb.close()


class _Styles:
    """The workbook's cell formats, made once each (XlsxWriter keeps one object per format)."""

    def __init__(self, wb):
        self.wb, self.cache = wb, {}
        self.plain = {None: None, MONEY_FORMAT: self.get(num_format=MONEY_FORMAT),
                      DATE_FORMAT: self.get(num_format=DATE_FORMAT)}

    def get(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self.cache:
            self.cache[key] = self.wb.add_format(props) if props else None
        return self.cache[key]

    def of(self, num_format: str | None, style: dict):
        """A cell's format: a dictionary lookup for the many cells with no style of their own."""
        if not style:
            return self.plain[num_format]
        return self.get(**style, **({"num_format": num_format} if num_format else {}))


def _cell(ws, styles: _Styles, row: int, col: int, value, money: bool = False, **style) -> None:
    """One cell by its value's type: text always as text, money as exact złote."""
    if money and isinstance(value, int) and not isinstance(value, bool):
        value = to_decimal(value)               # grosze -> złote for the cell
    if value is None:
        if style:
            ws.write_blank(row, col, None, styles.of(None, style))
    elif isinstance(value, str):
        ws.write_string(row, col, excel_text(value), styles.of(None, style))
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, styles.of(None, style))
    elif isinstance(value, (int, Decimal)):
        # a Decimal reaches the file as its exact digits (the number element is written with
        # format(), which Decimal does exactly); never converted to a float on the way
        ws.write_number(row, col, value, styles.of(MONEY_FORMAT if money else None, style))
    elif isinstance(value, (date, datetime)):
        ws.write_datetime(row, col, value, styles.of(DATE_FORMAT, style))
    else:
        ws.write(row, col, value, styles.of(None, style))


def _print_setup(ws, page_header: str | None, landscape: bool = True) -> None:
    """A4, as wide as the page; the unit or region and the month on top, 'Strona N z M' below."""
    ws.set_landscape() if landscape else ws.set_portrait()
    ws.set_paper(9)                    # A4
    ws.fit_to_pages(1, 0)
    if page_header:
        ws.set_header("&C" + excel_text(page_header).replace("&", "&&"))
    ws.set_footer("&CStrona &P z &N")


def sheet(wb: Book, title: str, headers: list[str], rows, money_cols: set[int],
          widths: list[int], page_header: str | None = None, totals: dict[int, str] | None = None) -> None:
    """One sheet: a bold wrapped header row, then the rows; money columns formatted as złote.
    ``totals`` {column: label}: a closing row with the label in that column and the sums of the
    money columns."""
    rows = list(rows)
    wb.rows += len(rows)

    def write(book, styles: _Styles) -> None:
        ws = book.add_worksheet(title)
        ws.freeze_panes(1, 0)
        _print_setup(ws, page_header)
        ws.repeat_rows(0)               # printed: the header row on every page
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        # tall enough for the longest label wrapped into its column (bold: ~0.9 characters per width unit)
        lines = max(-(-len(h) // max(int(w * 0.9), 1)) for h, w in zip(headers, widths))
        ws.set_row(0, 15 * max(lines, 1) + 3)
        head = dict(bold=True, font_color="#FFFFFF", bg_color=HEADER_FILL, pattern=1, text_wrap=True,
                    valign="vcenter")
        for i, h in enumerate(headers):
            _cell(ws, styles, 0, i, h, **head)
        sums = {i: 0 for i in money_cols}
        n = 0
        for n, r in enumerate(rows, start=1):
            for i, v in enumerate(r):
                _cell(ws, styles, n, i, v, money=i in money_cols)
            for i in money_cols:
                if i < len(r) and r[i] is not None and not isinstance(r[i], str):
                    sums[i] += r[i]
        if totals:
            row = [None] * len(headers)
            for i, label in totals.items():
                row[i] = label
            for i, s in sums.items():
                row[i] = s
            for i, v in enumerate(row):
                _cell(ws, styles, n + 1, i, v, money=i in money_cols, bold=True)
    wb.sheets.append(write)


def form_sheet(wb: Book, title: str, lines: list[tuple], is_money, page_header: str | None = None,
               index: int | None = 0) -> None:
    """A printable form on one portrait page: (label, value, note) lines; a line with a label only
    is a heading (the first three: the title block; later ones: shaded section titles)."""
    def write(book, styles: _Styles) -> None:
        ws = book.add_worksheet(title)
        _print_setup(ws, page_header, landscape=False)
        for col, width in enumerate((44, 40, 34)):
            ws.set_column(col, col, width)
        section = ""
        for i, (label, value, note) in enumerate(lines):
            if label is not None and value is None and (note is None or i < 3):
                style = dict(bold=True, font_size=14 if i == 0 else 12 if i < 3 else 11,
                             font_color="#FFFFFF" if i >= 3 else "#000000")
                if i >= 3:
                    section = label
                    style.update(bg_color=HEADER_FILL, pattern=1)
                _cell(ws, styles, i, 0, label + (f"   ({note})" if note and i < 3 else ""), **style)
                continue
            money = is_money(label, value, section)
            strong = dict(bold=True, font_size=12) if section == "DO PRZELANIA" else {}
            _cell(ws, styles, i, 0, label, **strong)
            _cell(ws, styles, i, 1, value, money=money, **strong)
            _cell(ws, styles, i, 2, note)
    wb.sheets.insert(len(wb.sheets) if index is None else index, write)


def new_workbook() -> Book:
    return Book()


def safe_name(name: str) -> str:
    """A unit id as a file-name part (ids come from input data). Two ids never share a name:
    where characters had to be replaced ('A/1' and 'A_1') or the id is too long for a file
    name, a short hash of the exact id is added."""
    import hashlib
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60]
    if safe == name:
        return safe
    return f"{safe}~{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"
