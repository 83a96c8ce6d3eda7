"""The salary-caps workbook for the audit committee (labels in Polish)."""
from __future__ import annotations

from pathlib import Path

import duckdb
from openpyxl import Workbook

from reports.workbook import sheet

BODY_PL = {"kk": "Komisja Krajowa", "region": "zarząd regionu", "branch_secretariat": "sekretariat branżowy",
           "kseir": "KSEiR", "kkr": "Krajowa Komisja Rewizyjna", "*": "łącznie (§8)"}
FUNCTION_PL = {"chair": "przewodniczący", "deputy": "zastępca przewodniczącego",
               "presidium": "członek prezydium", "total": "razem — jeden pełny etat (§8)"}


def write_salary_caps_workbook(con: duckdb.DuckDBPyConnection, period: str, names: dict[str, str],
                               path: Path) -> Path:
    rows = con.execute("""
        SELECT person_id, body_kind, body_id, function, quarter_used, average_wage, full_time_cap, fte,
               cap, salary, excess, flagged, cap_basis
        FROM salary_caps WHERE period = ?
        ORDER BY person_id, function = 'total', body_kind, body_id, function""", [period]).fetchall()
    wb = Workbook(write_only=True)
    sheet(wb, "Limity wynagrodzeń",
           ["Osoba", "Imię i nazwisko", "Organ", "Id organu", "Funkcja", "Kwartał GUS",
            "Przeciętne wynagrodzenie (A)", "Limit na pełny etat", "Etat", "Limit", "Wynagrodzenie",
            "Przekroczenie", "Limit wg limitu przewodniczącego", "Podstawa (przepis)"],
           [(r[0], names.get(r[0], ""), BODY_PL.get(r[1], r[1]), r[2], FUNCTION_PL.get(r[3], r[3]),
             r[4], r[5], r[6], r[7], r[8], r[9], r[10], "tak" if r[11] else "nie", r[12]) for r in rows],
           money_cols={6, 7, 9, 10, 11}, widths=[12, 26, 22, 12, 28, 10, 16, 16, 8, 14, 14, 14, 14, 100])
    sheet(wb, "Wyjątki", ["Plik", "Wiersz", "Osoba", "Kod", "Co poprawić"],
           con.execute("""SELECT source, "row", person_id, reason_code, message FROM salary_cap_exceptions
                          WHERE period = ? ORDER BY "row" """, [period]).fetchall(),
           money_cols=set(), widths=[20, 8, 12, 14, 120])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
