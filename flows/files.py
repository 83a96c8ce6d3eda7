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


def xlsx_values(path: Path) -> list[tuple]:
    """The first sheet's rows as tuples of cell values (cached values of formulas)."""
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
