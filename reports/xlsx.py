"""Writing sheets for people (labels in Polish): one sheet writer for every workbook of every
command. A workbook is collected sheet by sheet (``Book``) and written in one pass by XlsxWriter
(measured on our unit workbooks: several times faster than openpyxl's write-only mode, which
``benchmarks/xlsx_writers.py`` compares). Every text cell is written as a string, so input that
starts with '=' is never a formula; money cells hold exact decimal złote, never a float.

Every sheet prints legibly on A4 (issue 26): narrow sheets portrait, wide ones landscape, as wide as
the page with the header row on every page; long text columns wrap instead of widening the sheet; a
number column is at least as wide as its widest number plus a margin, so a right-aligned amount never
touches the column before it; a sheet too wide to read on one page prints over two or three pages
wide with its first column repeated. Citations are printed as the union names them
(``transforms.polish.cite``: '004 §10' -> 'Uchwała nr 5 XIX KZD §10'); stored records keep theirs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable

from transforms.money import to_decimal
from transforms.polish import cite

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
        # top-aligned: beside a wrapped text of several lines a number stays on the row's first line
        self.plain = {None: None, MONEY_FORMAT: self.get(num_format=MONEY_FORMAT, valign="top"),
                      DATE_FORMAT: self.get(num_format=DATE_FORMAT, valign="top")}

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
        ws.write_string(row, col, cite(excel_text(value)), styles.of(None, style))
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


# A4 at 100 %, inside XlsxWriter's default margins (0.7 in each side), in pixels at 96 dpi; a column
# of width w (characters of the default 11 pt font) takes about 7 w + 5 pixels
PORTRAIT_PX, LANDSCAPE_PX = 658, 988
MIN_SCALE = 0.72                # below this a printed page is hard to read: print more pages wide
WRAP_FROM, WRAP_MAX, WRAP_MIN = 30, 60, 22      # long text columns: wrap, at most / at least this wide


def _px(widths) -> int:
    return sum(int(w * 7 + 5) for w in widths)


def text_lines(text: str, width: float, per_unit: float = 0.95) -> int:
    """How many lines a text wraps into in a column ``width`` wide (about one character of the
    default font per width unit); a row is given that height, as not every program grows rows of
    wrapped text by itself (LibreOffice does not)."""
    per_line = max(int(width * per_unit), 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _print_setup(ws, page_header: str | None, landscape: bool = True, pages_wide: int = 1) -> None:
    """A4, as wide as the page (or ``pages_wide`` pages); the unit or region and the month on top,
    'Strona N z M' below."""
    ws.set_landscape() if landscape else ws.set_portrait()
    ws.set_paper(9)                    # A4
    ws.fit_to_pages(pages_wide, 0)
    if page_header:
        # Excel drops a header longer than 255 characters (xlsxwriter warns and writes none): a long
        # one (a unit's name from a damaged units.csv, say) is cut with an ellipsis, never lost
        text = excel_text(cite(page_header)).replace("&", "&&")
        ws.set_header("&C" + (text if len(text) <= 253 else text[:252].rstrip("&") + "…"))
    ws.set_footer("&CStrona &P z &N")


def _shown_width(value, money: bool) -> int:
    """How many characters a number takes as the sheet shows it ('1 234,56 zł')."""
    if money and isinstance(value, int) and not isinstance(value, bool):
        value = to_decimal(value)
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}") + (3 if money else 0)
    if isinstance(value, int) and not isinstance(value, bool):
        return len(f"{value:,}")
    return 0


@dataclass
class Layout:
    widths: list[float]
    wrap: set[int]
    landscape: bool
    pages_wide: int


def print_layout(headers: list[str], rows: list, money_cols: set[int], widths: list[int]) -> Layout:
    """Column widths and page set-up that print legibly on A4 (see the module's docstring)."""
    widths = list(widths) + [12] * (len(headers) - len(widths))
    numeric: dict[int, int] = {}
    text: set[int] = set()
    for r in rows:
        for i, v in enumerate(r):
            if isinstance(v, str):
                text.add(i)
            else:
                shown = _shown_width(v, i in money_cols)
                if shown > numeric.get(i, 0):
                    numeric[i] = shown
    for i, shown in numeric.items():            # a margin of two characters before every number
        widths[i] = max(widths[i], shown + 2)
    wrap = {i for i, w in enumerate(widths) if w >= WRAP_FROM and i not in numeric}
    for i in wrap:
        widths[i] = min(widths[i], WRAP_MAX)
    if _px(widths) <= PORTRAIT_PX:
        return Layout(widths, wrap | text, False, 1)
    # landscape; long text narrower (it wraps onto more lines) before the print gets small
    while _px(widths) > LANDSCAPE_PX / MIN_SCALE and any(widths[i] > WRAP_MIN for i in wrap):
        for i in wrap:
            widths[i] = max(WRAP_MIN, widths[i] - 2)
    pages = 1
    while _px(widths) > pages * LANDSCAPE_PX / MIN_SCALE:
        pages += 1
    return Layout(widths, wrap | text, True, pages)


def sheet(wb: Book, title: str, headers: list[str], rows, money_cols: set[int],
          widths: list[int], page_header: str | None = None, totals: dict[int, str] | None = None,
          key_cols: int = 1) -> None:
    """One sheet: a bold wrapped header row, then the rows; money columns formatted as złote.
    ``totals`` {column: label}: a closing row with the label in that column and the sums of the
    money columns. ``key_cols``: the first columns that say what a row is, repeated on every page
    when the sheet prints more than one page wide."""
    rows = list(rows)
    wb.rows += len(rows)
    # the totals row is as wide as the largest sum: room for it too
    sums = [tuple(sum(abs(r[i]) for r in rows if i < len(r) and isinstance(r[i], (int, Decimal))
                      and not isinstance(r[i], bool)) if i in money_cols else None
                  for i in range(len(headers)))] if totals else []
    layout = print_layout(headers, rows + sums, money_cols, widths)
    widths = layout.widths

    def write(book, styles: _Styles) -> None:
        ws = book.add_worksheet(title)
        ws.freeze_panes(1, 0)
        _print_setup(ws, page_header, layout.landscape, layout.pages_wide)
        ws.repeat_rows(0)               # printed: the header row on every page
        if layout.pages_wide > 1:
            ws.repeat_columns(0, key_cols - 1)
        # text starts a little in from its column's edge: never against a right-aligned number before it
        wrapped = styles.get(text_wrap=True, valign="top", align="left", indent=1)
        for i, w in enumerate(widths):
            # a cell written without a format of its own takes its column's: long text wraps
            ws.set_column(i, i, w, wrapped if i in layout.wrap else styles.get(valign="top"))
        long_text = [(i, widths[i] - 1) for i in sorted(layout.wrap)]
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
            height = max((text_lines(r[i], w) for i, w in long_text if i < len(r) and isinstance(r[i], str)),
                         default=1)
            if height > 1:
                ws.set_row(n, 15 * height)
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


FORM_WIDTHS = (35, 38, 30)       # label, value, note: a portrait A4 page at ~90 %


def form_sheet(wb: Book, title: str, lines: list[tuple], is_money, page_header: str | None = None,
               index: int | None = 0) -> None:
    """A printable form on one portrait page: (label, value, note) lines; a line with a label only
    is a heading (the first three: the title block; later ones: shaded section titles). Headings
    span the page's width and wrap (a long unit name is never cut); labels, values and notes wrap
    in their columns; a date is written in words ('20 listopada 2026')."""
    from transforms.polish import date_pl

    def write(book, styles: _Styles) -> None:
        ws = book.add_worksheet(title)
        _print_setup(ws, page_header, landscape=False)
        wrapped = styles.get(text_wrap=True, valign="top")
        for col, width in enumerate(FORM_WIDTHS):
            # the note starts a little in from the amount before it
            ws.set_column(col, col, width, styles.get(text_wrap=True, valign="top", align="left", indent=1)
                          if col == 2 else wrapped)
        section = ""
        for i, (label, value, note) in enumerate(lines):
            if label is not None and value is None and (note is None or i < 3):
                style = dict(bold=True, font_size=14 if i == 0 else 12 if i < 3 else 11,
                             font_color="#FFFFFF" if i >= 3 else "#000000", text_wrap=True, valign="top")
                if i >= 3:
                    section = label
                    style.update(bg_color=HEADER_FILL, pattern=1)
                text = label + (f"   ({note})" if note and i < 3 else "")
                # a merged row does not grow by itself: as many lines as the text needs across the page
                per_line = sum(FORM_WIDTHS) * (0.75 if i == 0 else 0.85 if i < 3 else 0.95)
                ws.set_row(i, (22 if i == 0 else 18) * max(1, -(-len(text) // int(per_line))))
                ws.merge_range(i, 0, i, 2, "", styles.of(None, style))
                _cell(ws, styles, i, 0, text, **style)
                continue
            money = is_money(label, value, section)
            if isinstance(value, date):
                value = date_pl(value)
            strong = dict(bold=True, font_size=11, text_wrap=True, valign="top") if section == "DO PRZELANIA" else {}
            height = max([text_lines(cite(str(v)), w - 1, 0.85 if strong and c < 2 else 0.95)
                         for c, (v, w) in enumerate(zip((label, value, note), FORM_WIDTHS))
                         if isinstance(v, str) or (v is not None and c == 1 and not money)] or [1])
            if height > 1 or strong:
                ws.set_row(i, (17 if strong else 15) * height)
            _cell(ws, styles, i, 0, label, **strong)
            _cell(ws, styles, i, 1, value, money=money, **strong)
            _cell(ws, styles, i, 2, note)
    wb.sheets.insert(len(wb.sheets) if index is None else index, write)


def new_workbook() -> Book:
    return Book()


WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                   *{f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789¹²³"}}


def safe_name(name: str) -> str:
    """An id from input data (a unit, a region, a body) as a file name, or a part of one, that
    every disk holds and no other id shares — also on disks that ignore case (Windows, macOS) or
    normalise Unicode (macOS). An id of ASCII capitals, digits, '-' and '_' (SL-0001, U1) is used
    as it is, unless it is a Windows device name (CON, NUL, COM1, ...); any other id keeps its
    letters and digits (other characters become '_', at most 60 bytes) and gets a short hash of the
    exact id: 'sl-0001' -> 'sl-0001~5b0c…', 'A/1' -> 'A_1~…', 'CON' -> 'CON~…'. The one function
    every writer names files from ids with (issue 27)."""
    import hashlib
    import re
    import unicodedata
    if re.fullmatch(r"[A-Z0-9_-]{1,60}", name) and name not in WINDOWS_DEVICES:
        return name
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in unicodedata.normalize("NFC", name))
    while len(safe.encode("utf-8")) > 60:
        safe = safe[:-1]
    return f"{safe}~{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
