"""The calendar for people (Polish): what is due or overdue on a day, as a sheet and as the terminal
table (issue 16)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from reports.xlsx import new_workbook, sheet
from transforms.money import format_pl
from transforms.polish import count

STATUS = {"overdue": "PO TERMINIE", "due": "do zrobienia"}


def file_name(day: date) -> str:
    """The sheet's name in the output folder."""
    return f"kalendarz_{day}.xlsx"


def write(items: list[dict], day: date, path: Path) -> Path:
    """The calendar's items (transforms.calendar) as one sheet."""
    wb = new_workbook()
    sheet(wb, "Kalendarz", ["Stan", "Termin", "Kto", "Co", "Kwota", "Podstawa"],
          [(STATUS[i["status"]], i["due_on"], i["who"], i["what"], i["amount"], i["source"]) for i in items],
          money_cols={4}, widths=[14, 12, 12, 80, 14, 40], page_header=f"Kalendarz na {day}")
    wb.save(path)
    return path


def summary_text(items: list[dict], day: date, sheet_path: Path | None = None) -> str:
    """The terminal table: each item's state, deadline, who, amount and what; the sheet written, if any."""
    lines = [f"Kalendarz na {day}: {count(len(items), 'pozycja')} "
             f"({sum(i['status'] == 'overdue' for i in items)} po terminie)",
             f"  {'stan':<13} {'termin':<10} {'kto':<9} {'kwota':>14}  co"]
    lines += [f"  {STATUS[i['status']]:<13} {str(i['due_on'] or ''):<10} {i['who']:<9} "
              f"{format_pl(i['amount']) if i['amount'] is not None else '':>14}  {i['what']}" for i in items]
    if sheet_path is not None:
        lines.append(f"  arkusz: {sheet_path}")
    return "\n".join(lines)
