"""Reconciliation workbooks (labels in Polish): one for the regional treasurer (amounts only),
one per unit listing its members in arrears (names: for the unit's board)."""
from __future__ import annotations

from pathlib import Path

import duckdb
from openpyxl import Workbook

from reports.workbook import PAYEE_PL, safe_name, sheet
from transforms.money import to_decimal

STATUS_PL = {"paid": "zapłacono", "late": "po terminie", "short": "niedopłata", "over": "nadpłata",
             "missing": "brak wpłaty"}


def write_reconcile_workbooks(con: duckdb.DuckDBPyConnection, res, out: Path) -> Path:
    p = [res.period]
    wb = Workbook(write_only=True)
    sheet(wb, "Status jednostek",
           ["Jednostka", "Miesiąc składek", "Należne", "Wpłacono", "Różnica", "Termin", "Ostatnia wpłata",
            "Dni po terminie", "Status"],
           [(*r[:8], STATUS_PL.get(r[8], r[8])) for r in con.execute(
               """SELECT unit_id, period, expected, paid, difference, due_on, last_payment_on, days_late, status
                  FROM transfer_status WHERE reconciled_for = ? ORDER BY period, unit_id""", p).fetchall()],
           money_cols={2, 3, 4}, widths=[12, 14, 14, 14, 14, 12, 14, 12, 14])
    sheet(wb, "Nieprzypisane wpływy",
           ["Wyciąg", "Pozycja", "Data", "Kwota", "Rachunek", "Zleceniodawca", "Tytuł", "Powód"],
           con.execute("""SELECT statement, entry, booking_date, amount, account, counterparty, title, unmatched_reason
                          FROM bank_credits WHERE reconciled_for = ? AND unmatched_reason IS NOT NULL
                          ORDER BY statement, entry""", p).fetchall(),
           money_cols={3}, widths=[20, 8, 12, 14, 30, 30, 40, 80])
    sheet(wb, "Do przekazania", ["Region", "Odbiorca", "Kwota", "Termin"],
           [(f["region_id"], PAYEE_PL.get(f["payee"], f["payee"]), to_decimal(f["amount"]), f["due_on"])
            for f in res.forwards],
           money_cols={2}, widths=[10, 34, 14, 12])
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"uzgodnienie_{res.period}.xlsx"
    wb.save(path)
    # per unit: members three or more months in arrears (RULES.md §10) — for the board, never a removal
    names = {}
    for a in res.arrears:
        names.setdefault(a["unit_id"], []).append(a)
    folder = out / "zaleglosci"
    for unit_id, rows in sorted(names.items()):
        wb = Workbook(write_only=True)
        sheet(wb, "Zaległości",
               ["Nr członka", "Pierwszy nieopłacony miesiąc", "Ostatni", "Miesięcy z rzędu", "Kwota"],
               [(a["member_id"], a["first_unpaid"], a["last_unpaid"], a["months"], to_decimal(a["amount_due"]))
                for a in rows], money_cols={4}, widths=[14, 16, 12, 12, 14])
        folder.mkdir(parents=True, exist_ok=True)
        wb.save(folder / f"zaleglosci_{safe_name(unit_id)}_{res.period}.xlsx")
    return path
