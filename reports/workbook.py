"""Workbooks for people (labels in Polish). The close workbook: a summary per unit, transfers
due, and the exceptions with what to fix. One workbook per unit for its treasurer: the unit's
summary, per-member dues with names, and the exceptions about its members.

Written in openpyxl write-only mode (flat memory at national scale). Every text cell is forced
to type string, so input that starts with '=' is never interpreted as a formula.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

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
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")


def text_safe_cell(ws, value, money: bool = False):
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


SUMMARY_HEADERS = [
    "Jednostka", "Nazwa", "Region", "Regulamin", "Zakład pracy chronionej", "Składka podwyższona %",
    "Członkowie ze składką", "Składki: pracownicy", "Składki: inne dochody",
    "Składki: emeryci i renciści", "Składki: bezrobotni", "Podwyższenie (zostaje w jednostce)",
    "Razem składki", "Podział: jednostka", "Podział: region", "Podział: Komisja Krajowa",
    "Podział: sekretariaty branżowe i KSEiR", "Podział: reg. fundusz strajkowy",
    "Podział: Kraj. Fundusz Strajkowy", "Przelew do", "Kwota przelewu",
    "Termin przelewu"]
SUMMARY_MONEY = set(range(7, 19)) | {20}
MEMBER_HEADERS = ["Jednostka", "Nr członka", "Imię i nazwisko", "Kategoria", "Podstawa", "Składka",
                  "Podwyższenie", "Razem"]
EXCEPTION_HEADERS = ["Plik", "Wiersz", "Nr członka", "Kod", "Co poprawić"]


def _summary_rows(con, period: str) -> list[tuple]:
    return [(*r[:4], "tak" if r[4] else "nie", r[5], *r[6:19], PAYEE_PL.get(r[19], r[19]), r[20], r[21])
            for r in con.execute(queries.UNIT_SUMMARY, {"period": period}).fetchall()]


def write_close_workbook(con: duckdb.DuckDBPyConnection, period: str, path: Path) -> Path:
    """The close workbook: per-unit summary, transfers, exceptions. Counts and amounts only —
    no names or PESEL (it may go to the region or national level)."""
    p = {"period": period}
    wb = Workbook(write_only=True)
    sheet(wb, "Podsumowanie", SUMMARY_HEADERS, _summary_rows(con, period), SUMMARY_MONEY,
           widths=[12, 28, 10, 12, 12, 12, 12] + [16] * 12 + [22, 16, 14])
    sheet(wb, "Przelewy",
           ["Płatnik", "Id płatnika", "Odbiorca", "Region", "Kwota", "Termin", "Podstawa"],
           [("jednostka" if r[0] == "unit" else "zarząd regionu", r[1], PAYEE_PL.get(r[2], r[2]),
             *r[3:]) for r in con.execute(queries.TRANSFERS, p).fetchall()],
           money_cols={4}, widths=[16, 14, 32, 10, 16, 12, 40])
    sheet(wb, "Wyjątki", EXCEPTION_HEADERS, con.execute(queries.EXCEPTIONS, p).fetchall(),
           money_cols=set(), widths=[24, 8, 14, 24, 120])
    # every member whose deducted dues differ from the computed ones, then each employer's totals
    differences = [("członek", r[0], r[2], r[1], *r[3:]) for r in con.execute(queries.DEDUCTION_DIFFERENCES, p).fetchall()]
    totals = [("pracodawca (razem)", r[0], f"{r[5]} z {r[1]} różnych", None, *r[2:5])
              for r in con.execute(queries.DEDUCTIONS_BY_SOURCE, p).fetchall()]
    sheet(wb, "Kontrola potrąceń",
           ["Poziom", "Plik pracodawcy", "Nr członka", "Jednostka", "Potrącono", "Należna składka", "Różnica"],
           differences + totals, money_cols={4, 5, 6}, widths=[20, 32, 18, 12, 14, 16, 14])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_unit_workbooks(con: duckdb.DuckDBPyConnection, period: str, members: pl.DataFrame,
                         folder: Path, progress=lambda msg: None) -> list[Path]:
    """One workbook per unit for its treasurer: the unit's summary, its members' dues (with
    names, the only place names appear), and the exceptions about its members."""
    con.register("member_names", members.select("member_id", "unit_id", "full_name"))
    p = {"period": period}
    try:
        summary = {r[0]: r for r in _summary_rows(con, period)}
        by_unit: dict[str, list] = {u: [] for u in summary}
        for r in con.execute(queries.MEMBER_DUES, p).fetchall():
            by_unit.setdefault(r[0], []).append((r[0], r[1], r[2], CATEGORY_PL[r[3]], *r[4:]))
        exc: dict[str, list] = {}
        for r in con.execute(queries.UNIT_EXCEPTIONS, p).fetchall():
            exc.setdefault(r[0], []).append(r[1:])
    finally:
        con.unregister("member_names")
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(folder / f"skladki_{safe_name(u)}_{period}.xlsx", summary[u], rows, exc.get(u, []))
            for u, rows in sorted(by_unit.items())]
    # openpyxl spends ~30 µs a cell and ~50 ms a file: spread the files over the cores.
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < 50 or workers == 1:
        return [_write_unit_workbook(job) for job in jobs]
    paths = []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for i, path in enumerate(pool.map(_write_unit_workbook, jobs, chunksize=25), start=1):
            paths.append(path)
            if i % 250 == 0:
                progress(f"      unit workbooks: {i}/{len(jobs)}")
    return paths


def _write_unit_workbook(job) -> Path:
    path, summary_row, member_rows, exception_rows = job
    wb = Workbook(write_only=True)
    sheet(wb, "Podsumowanie", SUMMARY_HEADERS, [summary_row], SUMMARY_MONEY,
           widths=[12, 28, 10, 12, 12, 12, 12] + [16] * 12 + [22, 16, 14])
    sheet(wb, "Składki członków", MEMBER_HEADERS, member_rows, money_cols={4, 5, 6, 7},
           widths=[12, 14, 30, 24, 14, 12, 14, 12])
    sheet(wb, "Wyjątki", EXCEPTION_HEADERS, exception_rows, money_cols=set(),
           widths=[24, 8, 14, 24, 120])
    wb.save(path)
    return path


def safe_name(name: str) -> str:
    """A unit id as a file-name part (ids come from input data)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
