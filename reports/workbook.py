"""The close workbook for people (labels in Polish): a summary per unit, transfers due,
per-member dues for the unit treasurers, and the exceptions with what to fix.

Written in openpyxl write-only mode (flat memory at national scale). Every text cell is forced
to type string, so input that starts with '=' is never interpreted as a formula.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from reports import queries

MONEY_FORMAT = '#,##0.00 "zł"'
CATEGORY_PL = {"employee": "pracownik", "other_income": "inne dochody", "pensioner": "emeryt/rencista",
               "unemployed": "bezrobotny/urlop bezpłatny"}
LEVEL_PL = {"unit": "jednostka", "region": "region", "national": "Komisja Krajowa",
            "branch_secretariats": "sekretariaty branżowe i KSEiR",
            "regional_strike_fund": "regionalny fundusz strajkowy",
            "national_strike_fund": "Krajowy Fundusz Strajkowy"}
PAYEE_PL = {"region": "zarząd regionu", "national": "Komisja Krajowa / zarząd krajowy",
            "regional_strike_fund": "regionalny fundusz strajkowy",
            "national_strike_fund": "Krajowy Fundusz Strajkowy"}

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="305496")


def _cell(ws, value, money: bool = False):
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"          # never a formula, whatever the text starts with
    if money:
        c.number_format = MONEY_FORMAT
    elif hasattr(value, "isoformat"):
        c.number_format = "yyyy-mm-dd"
    return c


def _sheet(wb: Workbook, title: str, headers: list[str], rows, money_cols: set[int],
           widths: list[int]) -> None:
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    head = []
    for h in headers:
        c = _cell(ws, h)
        c.font, c.fill = _HEADER_FONT, _HEADER_FILL
        head.append(c)
    ws.append(head)
    for r in rows:
        ws.append([_cell(ws, v, money=i in money_cols) for i, v in enumerate(r)])


def write_close_workbook(con: duckdb.DuckDBPyConnection, period: str, members: pl.DataFrame,
                         path: Path) -> Path:
    """Render the stored period into ``path``. ``members`` supplies names for the treasurer sheet."""
    con.register("member_names", members.select("member_id", "full_name"))
    p = {"period": period}
    wb = Workbook(write_only=True)
    summary = con.execute(queries.UNIT_SUMMARY, p).fetchall()
    _sheet(wb, "Podsumowanie",
           ["Jednostka", "Nazwa", "Region", "Regulamin", "Zakład pracy chronionej", "Składka podwyższona %",
            "Członkowie ze składką", "Składki: pracownicy", "Składki: inne dochody",
            "Składki: emeryci i renciści", "Składki: bezrobotni", "Podwyższenie (zostaje w jednostce)",
            "Razem składki", "Jednostka", "Region", "Komisja Krajowa", "Sekretariaty branżowe i KSEiR",
            "Reg. fundusz strajkowy", "Kraj. Fundusz Strajkowy", "Przelew do", "Kwota przelewu",
            "Termin przelewu"],
           [(*r[:4], "tak" if r[4] else "nie", r[5], *r[6:19], PAYEE_PL.get(r[19], r[19]), r[20], r[21])
            for r in summary],
           money_cols=set(range(7, 19)) | {20},
           widths=[12, 28, 10, 12, 12, 12, 12] + [16] * 12 + [22, 16, 14])
    _sheet(wb, "Przelewy",
           ["Płatnik", "Id płatnika", "Odbiorca", "Region", "Kwota", "Termin", "Podstawa"],
           [("jednostka" if r[0] == "unit" else "zarząd regionu", r[1], PAYEE_PL.get(r[2], r[2]),
             *r[3:]) for r in con.execute(queries.TRANSFERS, p).fetchall()],
           money_cols={4}, widths=[16, 14, 32, 10, 16, 12, 40])
    _sheet(wb, "Składki członków",
           ["Jednostka", "Nr członka", "Imię i nazwisko", "Kategoria", "Podstawa", "Składka",
            "Podwyższenie", "Razem"],
           ((r[0], r[1], r[2], CATEGORY_PL[r[3]], *r[4:])
            for r in con.execute(queries.MEMBER_DUES, p).fetchall()),
           money_cols={4, 5, 6, 7}, widths=[12, 14, 30, 24, 14, 12, 14, 12])
    _sheet(wb, "Wyjątki",
           ["Plik", "Wiersz", "Nr członka", "Kod", "Co poprawić"],
           con.execute(queries.EXCEPTIONS, p).fetchall(),
           money_cols=set(), widths=[24, 8, 14, 24, 120])
    con.unregister("member_names")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
