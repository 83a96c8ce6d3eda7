"""Reading files as people save them: xlsx cells as text. No interpretation of values here."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path


def cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    # ok-float: Excel stores numbers as doubles; whole ones lose the '.0', others keep Python's
    # shortest repr, and anything not a 2-decimal amount is then rejected by staging (bad_amount).
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


SHEETS_READ: dict[str, str] = {}    # str(path) -> which sheet was read, when the workbook has several


def sheet_to_read(wb, path: Path):
    """The first VISIBLE sheet (issue 27): a hidden or very hidden sheet — an old version, a
    lookup list — is not what the treasurer sees on opening the file. With more than one sheet,
    which one was read is noted in ``SHEETS_READ`` for the run's summary."""
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    ws = (visible or wb.worksheets)[0]
    if len(wb.worksheets) > 1:
        hidden = [w.title for w in wb.worksheets if w.sheet_state != "visible"]
        SHEETS_READ[str(path)] = f"arkusz '{ws.title}'" + (f", pominięte ukryte: {', '.join(hidden)}" if hidden else
                                                           f" (pierwszy z {len(visible)} widocznych)")
    else:
        SHEETS_READ.pop(str(path), None)
    return ws


def xlsx_values(path: Path) -> list[tuple]:
    """The first visible sheet's rows as tuples of cell values (cached values of formulas)."""
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return list(sheet_to_read(wb, path).iter_rows(values_only=True))
    finally:
        wb.close()


FORMULA_WITHOUT_VALUE = " (formuła bez zapisanej wartości — otwórz plik w Excelu i zapisz go ponownie)"


def pesel_from_number(v) -> str | None:
    """A PESEL Excel stored as a number (typed without a leading apostrophe) has lost its leading
    zeros: everyone born 2000–2009 (02271409867 -> 2271409867). A whole number cell of a PESEL
    column is the PESEL's digits, so it gets them back; anything else is left to the checks."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float) and not v.is_integer():
        return None
    n = int(v)
    return str(n).zfill(11) if 0 < n < 10**11 else None


def xlsx_rows(path: Path, pesel_columns: tuple[str, ...] = (), header_row: int = 1,
              values: list[tuple] | None = None) -> list[list[str | None]]:
    """The first visible sheet's rows as text. A formula whose value Excel never stored (a file written
    by a program, not saved by Excel) is not read as empty: it becomes its formula text with a
    note, so the check of that cell names it instead of silently using nothing. Number cells of
    the ``pesel_columns`` (named in row ``header_row``) are read as 11-digit PESELs
    (``pesel_from_number``). ``values``: the sheet's ``xlsx_values``, when already read."""
    from openpyxl import load_workbook
    values = xlsx_values(path) if values is None else values
    if pesel_columns and len(values) >= header_row:
        header = [cell_text(v) for v in values[header_row - 1]]
        wanted = {i for i, h in enumerate(header) if h and h.strip().lstrip("\ufeff") in pesel_columns}
        values = values[:header_row] + [tuple(pesel_from_number(v) or v if i in wanted else v
                                              for i, v in enumerate(row)) for row in values[header_row:]]
    if not any(v is None for row in values for v in row):
        return [[cell_text(v) for v in row] for row in values]
    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        formulas = list(sheet_to_read(wb, path).iter_rows(values_only=True))
    finally:
        wb.close()
    out = []
    for row, frow in zip(values, formulas):   # ``values`` keeps the PESEL columns' text
        out.append([cell_text(v) if v is not None or not (isinstance(f, str) and f.startswith("="))
                    else f + FORMULA_WITHOUT_VALUE for v, f in zip(row, frow)])
    return out


def decode_text(raw: bytes) -> tuple[str, str]:
    """Bytes of a CSV as Polish Excel and payroll systems save it -> (text, encoding): UTF-8 with
    or without a BOM, else Windows-1250. Raises UnicodeDecodeError for anything else (binary).
    The bytes go through the one decoding of input files (transforms.importers.decode)."""
    from transforms.importers import Head
    return Head(raw).excel()


def sniff_separator(first_line: str) -> str:
    """',' (canonical), ';' (Polish Excel) or a tab: whichever splits the header line most."""
    return max((",", ";", "\t"), key=lambda s: (first_line.count(s), s == ","))


def csv_rows(text: str, separator: str) -> list[list[str]]:
    import csv
    import io
    return list(csv.reader(io.StringIO(text), delimiter=separator))


def file_problem(path: Path, follow_links: bool = False, sized: bool = True) -> str | None:
    """Why ``path`` must not be opened (a folder, a link, a device or pipe, too large), else None.
    Only regular files are ever opened: a pipe would hang the run, /dev/zero would fill memory.
    ``sized=False``: no size limit (a database file)."""
    import os
    import stat
    from flows import settings
    from transforms.errors import text
    try:
        if path.is_symlink() and not follow_links:
            return text("problems", "file_is_link")
        st = os.stat(path)
    except OSError as e:
        return text("problems", "file_unreadable", detail=e.strerror or type(e).__name__)
    if stat.S_ISDIR(st.st_mode):
        return text("problems", "file_is_folder")
    if not stat.S_ISREG(st.st_mode):
        return text("problems", "file_not_regular")
    if sized and st.st_size > settings.max_input_bytes():
        return text("problems", "file_too_large", size=st.st_size // 2**20, limit=settings.max_input_bytes() // 2**20)
    if not os.access(path, os.R_OK):
        return text("problems", "file_unreadable", detail="brak uprawnień do odczytu")
    return None


def check_input(path, name: str | None = None, follow_links: bool = True, sized: bool = True) -> Path:
    """The one check of every file a command opens (the close's inbox files, every file option of
    every command, the database): a regular, readable file within the size limit, else one Polish
    message naming it (``not_a_file``). Called right before the file is opened, so a pipe, a
    device or a link to one never hangs a command or fills its memory."""
    from transforms.errors import UserError
    why = input_problem(path, follow_links, sized)
    if why:
        raise UserError("not_a_file", name=name or str(path), why=why)
    return Path(path)


def input_problem(path, follow_links: bool = True, sized: bool = True) -> str | None:
    """``file_problem`` of a file named by the user (an option, the database), a folder said as such."""
    from transforms.errors import text
    why = file_problem(Path(path), follow_links=follow_links, sized=sized)
    return text("problems", "path_is_folder") if why and Path(path).is_dir() else why


def require_database(db) -> None:
    """A command that reads stored closes stops, in Polish, when the database is not there."""
    from transforms.errors import UserError
    if not Path(db).exists():
        raise UserError("no_database", db=db)
    if why := input_problem(db, sized=False):
        raise UserError("database_unavailable", db=db, detail=why)


def require_file(path, columns: str) -> None:
    """An input file named on the command line must exist: one Polish message naming it."""
    from transforms.errors import UserError
    if not Path(path).exists():
        raise UserError("missing_file", name=str(path), folder=str(Path(path).parent), columns=columns)
    check_input(path)

