"""The union's calendar (issue 16; 004 §10, §11, §2 ust. 3, §5 ust. 3 pkt 2; RULES.md §6, §10): what
is due or overdue on a date, from the stored data. Pure: rows in, items out; money in grosze."""
from __future__ import annotations

from datetime import date

from transforms.benefits import add_months
from transforms.deadlines import DeadlineShift
from transforms.money import format_pl
from transforms.parsing import FIRST_YEAR, LAST_YEAR

SOON_DAYS = 30      # a benefit claim's document window "closing": within this many days


def item(kind: str, what: str, who: str, due: date | None, status: str, amount: int | None = None,
         source: str = "") -> dict:
    return {"kind": kind, "what": what, "who": who, "due_on": due, "status": status, "amount": amount,
            "source": source}


REGION = "region"        # the region statements' scope ('regiony', 'region XX') in ``paid``'s keys


def transfers(rows: list[dict], day: date, labels: dict, roots: set[str], *,
              levels: dict[str, tuple[str, str]] | None = None,
              paid: dict[tuple[str, str, str], int] | None = None, own: set[str] | None = None) -> list[dict]:
    """Transfers due this month or overdue and not fully paid; ``roots``: the payer kinds that are
    units (the others forward what they received).

    Each transfer is checked against the statement of the level that receives it (issue 30):
    ``levels`` maps a payee to the level (code, label) whose own statement shows it (the rulebooks'
    [versions.reconcile]); a payer's transfers to one level are one expected credit on that level's
    statement, so they are checked together against what it shows (``paid[(payer, period, level)]``,
    from `skladki reconcile --level`). A unit's transfer to its region is checked against the
    region's statements (``paid[(unit, period, REGION)]``). A region's forward to a payee of no
    level stays in the region (004 §3 ust. 1 pkt 5: the regional strike fund): no statement above
    the region shows it, so it is a reminder in the month it is due until its day, never unpaid on
    another level's statement (no statement can confirm it or find it missing). A transfer to a
    payee in ``own`` (issue 30: a region's earmarked fund, a section's dues, each with its own
    account) is a reminder the same way: no statement skladki reads shows it."""
    levels, paid, own = levels or {}, paid or {}, own or set()
    groups: dict[tuple, list[dict]] = {}
    for t in rows:
        if t["payee"] in own:      # issue 30: a fund's or section's own account, no statement of it read
            key = (t["payer_id"], t["period"], None, t["payee"])
        elif t["payee"] in levels:
            key = (t["payer_id"], t["period"], levels[t["payee"]][0], None)
        elif t["payer_kind"] in roots:
            key = (t["payer_id"], t["period"], REGION, t["payee"])
        else:
            key = (t["payer_id"], t["period"], None, t["payee"])      # stays in the region
        groups.setdefault(key, []).append(t)
    out = []
    for (payer, period, scope, _), ts in groups.items():
        due_on, amount = min(t["due_on"] for t in ts), sum(t["amount"] for t in ts)
        got = paid.get((payer, period, scope)) if scope else None
        open_amount = amount - (got or 0)
        this_month = (due_on.year, due_on.month) == (day.year, day.month)
        if open_amount <= 0 or (due_on > day and not this_month) or (scope is None and (due_on < day or not this_month)):
            continue
        names = ", ".join(labels.get((payer, t["payee"])) or labels.get(t["payee"], t["payee"]) for t in ts)
        what = f"przelew za {period} do: {names}"
        if scope is None and ts[0]["payee"] in own:
            what += " (na rachunek odbiorcy; skladki nie czyta jego wyciągu)"
        elif scope is None:
            what += " (zostaje w regionie; nie ma go na wyciągu poziomu krajowego)"
        elif scope != REGION:
            label = levels[ts[0]["payee"]][1]
            what += (f" ({label}: brak uzgodnienia z wyciągiem)" if got is None else
                     f" ({label}: wyciąg pokazuje {format_pl(got)} z {format_pl(amount)})")
        elif got is not None:
            what += f" (uzgodniono {format_pl(got)})"
        status = "overdue" if due_on < day else "due"
        out.append(item("unit_transfer" if ts[0]["payer_kind"] in roots else "region_forward", what, payer,
                        due_on, status, open_amount, "; ".join(dict.fromkeys(t["rule"] for t in ts if t["rule"]))))
    return out


def annual_statements(bodies: list[str], received: dict[tuple[str, int], date], day: date, month_day: str,
                      source: str, *, shift: DeadlineShift) -> list[dict]:
    """Last year's financial statements, due by ``month_day`` (004 §11: 15 July) of this year,
    moved off a day free from work by the rulebook's ``shift`` (RULES.md §6)."""
    nominal = date.fromisoformat(f"{day.year}-{month_day}")
    if day < date(day.year, nominal.month, 1):
        return []          # not yet the month they are due in
    due, note = shift.due(nominal), shift.note(nominal)
    return [item("annual_statement", f"sprawozdanie finansowe za {day.year - 1}", body, due,
                 "overdue" if day > due else "due", None, f"{source}; {note}" if note else source)
            for body in bodies if (body, day.year - 1) not in received]


def reductions_ending(rows: list[dict], day: date, sources: dict[str, str] | None = None) -> list[dict]:
    """Reductions and suspensions ending this month; ``sources``: unit -> its rulebook's paragraph
    on them (issue 30: the unit's own union's, never another's)."""
    month = f"{day.year:04d}-{day.month:02d}"
    return [item("reduction_ends", f"{'obniżenie' if r['kind'] == 'reduced' else 'zawieszenie'} składki członka "
                 f"{r['member_id']} kończy się ({r['decision_ref'] or 'bez numeru decyzji'})", r["unit_id"],
                 None, "due", None, (sources or {}).get(r["unit_id"], "")) for r in rows if r["valid_to"] == month]


def arrears_reached(rows: list[dict], months: dict[str, int], sources: dict[str, str]) -> list[dict]:
    return [item("arrears", f"członek {r['member_id']}: {r['months_unpaid']} miesiące bez pełnej wpłaty "
                 f"(zaległość {format_pl(r['arrears'])})", r["unit_id"], None, "due", r["arrears"],
                 sources.get(r["unit_id"], "RULES.md §10"))
            for r in rows if r["months_unpaid"] == months.get(r["unit_id"], 3)]


def benefit_windows(rows: list[dict], day: date, months: int, source: str, *, shift: DeadlineShift) -> list[dict]:
    """Claims still waiting for documents whose six-month window closes within SOON_DAYS (on the
    next working day when it ends on a day free from work, as transforms.benefits.decide)."""
    out = []
    for r in rows:
        if r["event_date"] is None or not FIRST_YEAR <= r["event_date"].year <= LAST_YEAR:     # stored before the dates were checked
            out.append(item("benefit_documents", f"wniosek {r['claim_id']} (członek {r['member_id']}): data zdarzenia "
                            f"{r['event_date']} spoza lat {FIRST_YEAR}–{LAST_YEAR}; popraw wniosek", r["unit_id"],
                            None, "due", None, source))
            continue
        window_ends = add_months(r["event_date"], months)
        deadline, note = shift.due(window_ends), shift.note(window_ends)
        if day <= deadline and (deadline - day).days <= SOON_DAYS:
            out.append(item("benefit_documents", f"wniosek {r['claim_id']} (członek {r['member_id']}): dokumenty "
                            f"do {deadline}", r["unit_id"], deadline, "due", None,
                            f"{source}; {note}" if note else source))
    return out
