"""`skladki calendar --date YYYY-MM-DD --db FILE [--statements FILE] [--out DIR]`: what is due or
overdue on that date (issue 16), from the stored closes, reconciliations and benefit decisions;
`statements.csv` (body, year, received_on) lists the annual financial statements received.

read (the stored tables) → compute (transforms.calendar) → report (a Polish table; a sheet).
"""
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from flows import store
from flows.rules import rules_for
from flows.files import require_database
from flows.command import CLOSED_DB, Command, OUT, Params, Run, legacy, legacy_view, option
from flows.inbox import read_table
from reports.xlsx import new_workbook, sheet
from transforms import calendar as cal, parsing
from transforms.errors import UserError
from transforms.staging import month_of

STATUS = {"overdue": "PO TERMINIE", "due": "do zrobienia"}

@dataclass(frozen=True, kw_only=True)
class CalendarParams(Params):
    date: str = option("dzień RRRR-MM-DD", None, check="day", when_empty="today", title="Dzień (RRRR-MM-DD)",
                       form="dzień w postaci RRRR-MM-DD, np. 2026-11-20; puste: dziś")
    db: Path = option("plik bazy DuckDB", **CLOSED_DB)
    statements: Optional[Path] = option("statements.csv: body, year, received_on", None,
                                        title="Sprawozdania (statements.csv)",
                                        form="pełna ścieżka pliku: body, year, received_on")
    out: Optional[Path] = option("folder na arkusz", None, **OUT)


def check(params: dict) -> None:
    try:
        parsing.day(params["date"])          # ASCII digits, years 1900–2999 (issue 27)
    except ValueError as e:
        raise UserError("bad_option", name="--date", detail=str(e)) from None
    require_database(params["db"])


def read(run: Run) -> None:
    day = parsing.day(run.date)
    month = month_of(day)
    rules = rules_for(month)
    if not rules.versions:       # before every rulebook's first version: no deadlines to tell
        raise UserError("bad_option", name="--date", detail=f"w dniu {day} nie obowiązuje żaden regulamin "
                        f"({', '.join(sorted(rules.missing))}); podaj późniejszy dzień")
    s = run.state
    s["day"] = day
    with store.read_only(Path(run.db)) as con:
        tables = store.table_names(con)
        paid = ("(SELECT max(paid) FROM transfer_status s WHERE s.unit_id = t.payer_id AND s.period = t.period)"
                if "transfer_status" in tables else "NULL")
        s["transfers"] = store.dicts(con, f"SELECT t.period, t.payer_kind, t.payer_id, t.payee, t.amount, t.due_on, t.rule, "
                                     f"{paid} AS paid FROM transfers t WHERE t.due_on <= last_day(CAST(? AS DATE)) "
                                     "ORDER BY t.due_on, t.payer_kind DESC, t.payer_id, t.payee", [day]) \
            if "transfers" in tables else []
        (last,) = con.execute("SELECT max(period) FROM member_ledger WHERE period <= ?", [month]).fetchone() \
            if "member_ledger" in tables else (None,)
        s["ledger"] = store.dicts(con, "SELECT member_id, unit_id, months_unpaid, arrears FROM member_ledger "
                                  "WHERE period = ? AND months_unpaid > 0 ORDER BY unit_id, member_id", [last]) \
            if last else []
        s["reductions"] = store.dicts(con, "SELECT * FROM adjustments_in_force WHERE period = ? ORDER BY unit_id, member_id",
                                 [last]) if last and "adjustments_in_force" in tables else []
        s["regions"] = [r for (r,) in con.execute("SELECT DISTINCT region_id FROM units ORDER BY 1").fetchall()] \
            if "units" in tables else []
        s["books"] = dict(con.execute("SELECT unit_id, arg_max(rulebook, period) FROM units GROUP BY 1").fetchall()) \
            if "units" in tables else {}
        s["claims"] = store.dicts(con, "SELECT claim_id, member_id, unit_id, event_date FROM benefit_decisions "
                                  "WHERE decision = 'pending' ORDER BY event_date", []) \
            if "benefit_decisions" in tables else []
    received = {}
    if run.params.get("statements"):
        for r in read_table(Path(run.statements), "statements").to_dicts():
            try:        # the options' rule (issue 27): '２０２５' or 9999-12-31 is refused, naming the row
                received[((r["body"] or "").strip(), parsing.year((r["year"] or "").strip()))] = \
                    parsing.day((r["received_on"] or "").strip())
            except ValueError as e:
                raise UserError("unreadable", name=f"{r['_source']}, wiersz {r['_row']}",
                                detail=f"{e}; oczekiwano: body, year RRRR, received_on RRRR-MM-DD") from None
    s["received"], s["rules"] = received, rules


def compute(run: Run) -> None:
    s, rules = run.state, run.state["rules"]
    # the annual statements' date of the rulebook most units use (004 §11 for Solidarność)
    common = Counter(b for b in s["books"].values() if b in rules.versions).most_common(1)
    default = rules.version(common[0][0]) if common else next(iter(rules.versions.values()))
    versions = {u: rules.version(b) for u, b in s["books"].items() if b in rules.versions}
    payees = {lvl.code: lvl.payee for lvl in rules.levels}
    payees |= {(u, lvl.code): lvl.payee for u, v in versions.items() for lvl in v.levels}   # a unit's own rulebook
    with_benefits = next((v for v in rules.versions.values() if v.benefits), None)
    benefits = with_benefits.benefits if with_benefits else None
    items = (cal.transfers(s["transfers"], s["day"], payees, {v.root for v in rules.versions.values()})
             + cal.annual_statements(s["regions"] + sorted({b for b, _ in s["received"]} - set(s["regions"])),
                                     s["received"], s["day"], default.calendar.get("annual_statements", "07-15"),
                                     default.calendar.get("source", "004 §11"), shift=default.deadline_shift)
             + cal.reductions_ending(s["reductions"], s["day"])
             + cal.arrears_reached(s["ledger"], {u: v.arrears_months for u, v in versions.items()},
                                   {u: v.arrears_source for u, v in versions.items()})
             + (cal.benefit_windows(s["claims"], s["day"], int(benefits["documents_months"]),
                                    benefits["documents_source"], shift=with_benefits.deadline_shift)
                if benefits else []))
    s["items"] = sorted(items, key=lambda i: (i["status"] != "overdue", i["due_on"] or s["day"], i["kind"], i["who"]))


def report(run: Run) -> None:
    if not run.params.get("out"):
        return
    wb = new_workbook()
    sheet(wb, "Kalendarz", ["Stan", "Termin", "Kto", "Co", "Kwota", "Podstawa"],
          [(STATUS[i["status"]], i["due_on"], i["who"], i["what"], i["amount"], i["source"]) for i in run.state["items"]],
          money_cols={4}, widths=[14, 12, 12, 80, 14, 40], page_header=f"Kalendarz na {run.state['day']}")
    wb.save(run.output(f"kalendarz_{run.state['day']}.xlsx"))
    run.state["file"] = f"kalendarz_{run.state['day']}.xlsx"


def summary_text(run) -> str:
    from transforms.money import format_pl
    from transforms.polish import count
    items = run.state["items"]
    lines = [f"Kalendarz na {run.state['day']}: {count(len(items), 'pozycja')} "
             f"({sum(i['status'] == 'overdue' for i in items)} po terminie)",
             f"  {'stan':<13} {'termin':<10} {'kto':<9} {'kwota':>14}  co"]
    lines += [f"  {STATUS[i['status']]:<13} {str(i['due_on'] or ''):<10} {i['who']:<9} "
              f"{format_pl(i['amount']) if i['amount'] is not None else '':>14}  {i['what']}" for i in items]
    if run.state.get("file"):
        lines.append(f"  arkusz: {Path(run.params['out']) / run.state['file']}")
    return "\n".join(lines)


CALENDAR = Command(
    params=CalendarParams, help='Co jest do zrobienia albo po terminie w danym dniu: przelewy, sprawozdania, obniżki, zaległości, zasiłki.',
    run_name=lambda p: f"kalendarz {p.get('date')}", engine="plain",
    name="calendar", flow_name="calendar", check=check, summary=legacy_view(summary_text),
                   legacy_steps=(legacy("read", read, retries=2), legacy("compute", compute), legacy("report", report, retries=2)))
