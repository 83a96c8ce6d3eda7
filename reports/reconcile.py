"""Reconciliation for people (Polish): the regional treasurer's workbook (amounts only), one per
unit listing its members in arrears (member numbers, for the unit's board), the terminal summary."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import duckdb

from reports.xlsx import new_workbook, safe_name, sheet
from transforms.ledger import ARREARS_CAUSES
from transforms.money import format_pl
from transforms.polish import count, reason_label

STATUS_PL = {"paid": "zapłacono", "late": "po terminie", "short": "niedopłata", "over": "nadpłata",
             "missing": "brak wpłaty"}


def scope_label(scope: str, level_label: str | None = None) -> str:
    return level_label or {"regiony": "wszystkie regiony"}.get(scope, scope)


def workbook_name(period: str, scope: str, level_label: str | None = None) -> str:
    if level_label:
        return f"uzgodnienie_{re.sub(r'[^0-9A-Za-z-]', '_', level_label)}_{period}.xlsx"   # poziom_krajowy
    if scope == "regiony":
        return f"uzgodnienie_{period}.xlsx"
    return f"uzgodnienie_{period}_region_{safe_name(scope.removeprefix('region '))}.xlsx"     # 'region SL' -> region_SL


def write_reconcile_workbooks(con: duckdb.DuckDBPyConnection, res, output: Callable[[str], Path],
                              scope: str = "regiony", level_label: str | None = None) -> Path:
    """``level_label``: a level above the regions (--level): its payers are regions and units."""
    p = [res.period, scope]
    national = level_label is not None
    head = f"Uzgodnienie wpływów do {res.period} ({scope_label(scope, level_label)})"
    wb = new_workbook()
    sheet(wb, "Status regionów" if national else "Status jednostek",
          ["Region albo jednostka (płatnik)" if national else "Jednostka", "Miesiąc składek", "Należne", "Wpłacono", "Różnica", "Termin", "Ostatnia wpłata",
           "Dni po terminie", "Status"],
          [(*r[:8], STATUS_PL.get(r[8], r[8])) for r in con.execute(
              """SELECT unit_id, period, expected, paid, difference, due_on, last_payment_on, days_late, status
                 FROM transfer_status WHERE reconciled_for = ? AND scope = ? ORDER BY period, unit_id""", p).fetchall()],
          money_cols={2, 3, 4}, widths=[12, 14, 14, 14, 14, 12, 14, 12, 14], page_header=head)
    sheet(wb, "Nieprzypisane wpływy",
          ["Wyciąg", "Pozycja", "Data", "Kwota", "Rachunek", "Zleceniodawca", "Tytuł", "Powód"],
          con.execute("""SELECT statement, entry, booking_date, amount, account, counterparty, title, unmatched_reason
                         FROM bank_credits WHERE reconciled_for = ? AND scope = ? AND unmatched_reason IS NOT NULL
                         ORDER BY statement, entry""", p).fetchall(),
          money_cols={3}, widths=[16, 8, 11, 12, 30, 22, 30, 36], page_header=head, key_cols=2)
    if not national:
        sheet(wb, "Do przekazania", ["Region", "Odbiorca", "Kwota", "Termin"],
              [(f["region_id"], f["payee_label"], f["amount"], f["due_on"]) for f in res.forwards],
              money_cols={2}, widths=[10, 34, 14, 12], page_header=head)
    if res.issues:
        sheet(wb, "Wyjątki", ["Plik", "Wiersz", "Kod", "Co poprawić"],
              [(i.source, i.row, reason_label(i.reason_code), i.message) for i in res.issues],
              money_cols=set(), widths=[24, 8, 20, 120], page_header=head)
    path = output(workbook_name(res.period, scope, level_label))
    wb.save(path)
    # per unit: members three or more months in arrears (RULES.md §10) — for the board, never a removal
    by_unit: dict[str, list] = {}
    for a in res.arrears:
        by_unit.setdefault(a["unit_id"], []).append(a)
    for unit_id, rows in sorted(by_unit.items()):
        wb = new_workbook()
        sheet(wb, "Zaległości",
              ["Nr członka", "Pierwszy nieopłacony miesiąc", "Ostatni", "Miesięcy z rzędu", "Kwota", "Przyczyna"],
              [(a["member_id"], a["first_unpaid"], a["last_unpaid"], a["months"], a["amount_due"],
                ARREARS_CAUSES[a["cause"]]) for a in rows],
              money_cols={4}, widths=[14, 16, 12, 12, 14, 36], page_header=head)
        wb.save(output(f"zaleglosci/zaleglosci_{safe_name(unit_id)}_{res.period}.xlsx"))
    return path


def summary_text(r, workbook: Path | None, notes: list[str]) -> str:
    """A short Polish summary of a reconciliation (flows.reconcile.Reconciliation: what was found,
    its scope and level, the unit months approved); ``workbook``: the treasurer's workbook written,
    if any; ``notes``: one line per user's bank profile that replaces a shipped one (issue 31)."""
    credits = [c for c in r.credits if c["direction"] == "credit"]
    counts: dict[str, int] = {}
    for s in r.status:
        counts[s["status"]] = counts.get(s["status"], 0) + 1
    scope, level_label = r.scope, r.level_label
    lines = [f"Uzgodnienie do {r.period} ({scope_label(scope, level_label)}): wpływów {len(credits)}, {format_pl(sum(c['amount'] for c in credits))}; "
             f"przypisano {format_pl(sum(m['amount'] for m in r.matches))}, nieprzypisane "
             f"{format_pl(sum(u['amount'] for u in r.unmatched))} w {count(len(r.unmatched), 'wpływie')}",
             "  przelewy: " + ", ".join(f"{STATUS_PL.get(k, k)} {v}" for k, v in sorted(counts.items()))]
    for s in r.status:
        if s["status"] != "paid":
            lines.append(f"    {s['unit_id']} {s['period']}: {STATUS_PL[s['status']]} (należne {format_pl(s['expected'])}, "
                         f"wpłacono {format_pl(s['paid'])}"
                         + (f", {s['days_late']} dni po terminie" if s["days_late"] else "") + ")")
    approved = r.approved
    if approved:        # RULES.md §13: a transfer found paid approves the unit's draft month
        lines.append(f"  zatwierdzono (przelew zapłacony w całości): "
                     + ", ".join(f"{u} {p}" for u, p in approved))
    for u in r.unmatched:
        lines.append(f"  nieprzypisany {u['statement']}#{u['entry']} {format_pl(u['amount'])}: {u['reason']}")
    for f in r.forwards:
        lines.append(f"  region {f['region_id']} przekazuje {format_pl(f['amount'])}: {f['payee_label']}, termin {f['due_on']}")
    for i in r.issues:
        lines.append(f"  ! {i.message}")
    if level_label is None:
        lines.append(f"  członkowie z zaległościami 3+ miesięcy: {len(r.arrears)}")
    lines += [f"  {note}" for note in notes]      # issue 31: the user's bank profiles that win
    if workbook:
        lines.append(f"  skoroszyt: {workbook}")
    return "\n".join(lines)
