"""The words of `skladki status` (flows/months_status.py): the summary printed in the terminal
(and shown in the Prefect UI), the table of the UI's artifact and the workbook — each unit's
closed month as *projekt*, *zatwierdzony* (by whom, when, how) or *niekompletny* (what is
missing), in Polish with the right plural forms. The rows are flows/months_status.py's
``UnitMonth`` values (period, unit_id, name, approved_by, approved_at, approved_via,
approval_reason, missing, closed_at) with their state codes (approved, draft, incomplete).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reports.xlsx import new_workbook, sheet
from transforms.polish import count, count_pl, month_pl

# a state code -> the word for one month, and (one, few, many) to count months of that state
STATES = {
    "approved": ("zatwierdzony", ("zatwierdzony", "zatwierdzone", "zatwierdzonych")),
    "draft": ("projekt", ("projekt", "projekty", "projektów")),
    "incomplete": ("niekompletny", ("niekompletny", "niekompletne", "niekompletnych")),
}
ORDER = ("approved", "draft", "incomplete")


def workbook_name(period: str | None) -> str:
    return f"stan_miesiecy_{period}.xlsx" if period else "stan_miesiecy.xlsx"


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


def approval(month) -> str:
    """'Jan Kowalski, 2026-12-02 15:58 (polecenie skladki approve)'; the reason of one approved
    despite what it lacks."""
    text = ", ".join(p for p in (month.approved_by, _when(month.approved_at)) if p)
    text += f" ({month.approved_via})" if month.approved_via else ""
    return text + (f"; mimo braków, powód: {month.approval_reason}" if month.approval_reason else "")


def note(month, state: str) -> list[str]:
    """What a month's line says after its state: who approved it, or what it lacks."""
    if state == "approved":
        return [approval(month)] + [f"braki: {m}" for m in month.missing if month.approval_reason]
    if state == "incomplete":
        return list(month.missing) or ["niekompletny"]
    return [f"zamknięty {_when(month.closed_at)}, czeka na zatwierdzenie" if month.closed_at
            else "czeka na zatwierdzenie"]


def tally(states) -> str:
    """'4 projekty, 2 niekompletne' — the months of each state, in a fixed order."""
    return ", ".join(count_pl(n, *STATES[s][1]) for s in ORDER if (n := sum(x == s for x in states)))


def summary(result) -> str:
    months, states = result.months, result.states
    where = Path(result.db).name
    if not months:
        return (f"Stan miesięcy w {where}: nie ma jeszcze zamkniętych miesięcy; najpierw skladki close "
                "--period RRRR-MM")
    periods = sorted({m.period for m in months})
    span = periods[0] if len(periods) == 1 else f"{periods[0]} – {periods[-1]}"
    lines = [f"Stan miesięcy w {where}: {count(len(periods), 'miesiąc')} ({span}), "
             f"{count(len({m.unit_id for m in months}), 'jednostka')}, {tally(states)}"]
    for period in periods:
        mine = [s for m, s in zip(months, states) if m.period == period]
        lines.append(f"  {period} ({month_pl(period)}): {count(len(mine), 'jednostka')} — {tally(mine)}")
    width = max(len("jednostka"), *(len(m.unit_id) for m in months))
    lines.append(f"  {'okres':<8} {'jednostka':<{width}}  {'stan':<12}  kto i kiedy zatwierdził / czego brakuje")
    for m, s in zip(months, states):
        first, *more = note(m, s)
        lines.append(f"  {m.period:<8} {m.unit_id:<{width}}  {STATES[s][0]:<12}  {first}")
        lines += [f"  {'':<8} {'':<{width}}  {'':<12}  {line}" for line in more]
    for period in periods:
        drafts = [m.unit_id for m, s in zip(months, states) if m.period == period and s == "draft"]
        if drafts:
            units = " ".join(f"--unit {u}" for u in drafts)
            lines.append(f"  do zatwierdzenia: skladki approve --period {period} {units} --by \"…\"")
    if "incomplete" in states:
        lines.append("  niekompletne: uzupełnij skrzynkę i zamknij miesiąc ponownie albo zatwierdź mimo braków "
                     "(--force --reason \"…\")")
    if result.workbook:
        lines.append(f"  skoroszyt: {result.workbook}")
    return "\n".join(lines)


HEADERS = ["Okres", "Jednostka", "Nazwa", "Stan", "Zatwierdził", "Kiedy zatwierdzono", "Jak zatwierdzono",
           "Powód (mimo braków)", "Czego brakuje", "Zamknięcie"]


def rows(result) -> list[tuple]:
    """One row per unit's month; every cell text or empty (never a formula, xlsx.py)."""
    return [(m.period, m.unit_id, m.name or "", STATES[s][0], m.approved_by or "", _when(m.approved_at),
             m.approved_via or "", m.approval_reason or "", "\n".join(m.missing), _when(m.closed_at))
            for m, s in zip(result.months, result.states)]


def table_rows(result) -> list[dict]:
    """The rows for the Prefect UI's table artifact."""
    return [dict(zip(HEADERS, r)) for r in rows(result)]


def write_workbook(result, path: Path) -> Path:
    wb = new_workbook()
    head = f"Stan miesięcy jednostek — {month_pl(result.period) if result.period else 'wszystkie zamknięte miesiące'}"
    sheet(wb, "Stan miesięcy", HEADERS, rows(result), money_cols=set(),
          widths=[9, 12, 28, 13, 22, 17, 22, 28, 50, 17], page_header=head, key_cols=2)
    wb.save(path)
    return path
