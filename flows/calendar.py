"""`skladki calendar --date YYYY-MM-DD --db FILE [--statements FILE] [--out DIR]`: what is due or
overdue on that date (issue 16), from the stored closes, reconciliations and benefit decisions;
`statements.csv` (body, year, received_on) lists the annual financial statements received.

read (the stored tables) → compute (transforms.calendar) → report (a Polish table; a sheet).
"""
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Optional

from flows import store
from flows.rules import rules_for
from flows.files import require_database
from flows.command import Command, ReadsDb, Run, option
from flows.inbox import read_table
from reports import calendar as calendar_reports
from transforms import calendar as cal, parsing
from transforms.earmarks import agreement_items
from transforms.errors import UserError
from transforms.rulebook import Rules
from transforms.staging import month_of

@dataclass(frozen=True, kw_only=True)
class CalendarParams(ReadsDb):
    date: str = option("dzień RRRR-MM-DD", None, check="day", when_empty="today", title="Dzień (RRRR-MM-DD)",
                       form="dzień w postaci RRRR-MM-DD, np. 2026-11-20; puste: dziś")
    statements: Optional[Path] = option("statements.csv: body, year, received_on", None,
                                        title="Sprawozdania (statements.csv)",
                                        form="pełna ścieżka pliku: body, year, received_on")


def check(params: CalendarParams) -> None:
    try:
        parsing.day(params.date)          # ASCII digits, years 1900–2999 (issue 27)
    except ValueError as e:
        raise UserError("bad_option", name="--date", detail=str(e)) from None
    require_database(params.db)


@dataclass(frozen=True)
class CalendarInputs:
    day: date
    rules: Rules                         # the rulebooks in force in the day's month
    transfers: list[dict]                # transfers due by the month's end
    paid: dict                           # (payer, month, statement level) -> what that statement shows
    ledger: list[dict]                   # members in arrears in the last closed month
    reductions: list[dict]               # reductions in force in that month
    regions: list[str]
    books: dict[str, str]                # unit_id -> its latest rulebook
    claims: list[dict]                   # benefit claims waiting for documents
    received: dict[tuple[str, int], date]    # (body, year) -> the day its annual statement came
    # issue 30: the funds' and sections' payees (level code -> payee) and the secretariats (004 §14)
    earmarks: dict = field(default_factory=dict)
    secretariats: list = field(default_factory=list)


@dataclass(frozen=True)
class CalendarResult:
    day: date
    items: list[dict]                    # transforms.calendar's items, overdue first
    file: str | None = None              # the sheet written into --out


def read(run: Run) -> CalendarInputs:
    day = parsing.day(run.params.date)
    month = month_of(day)
    rules = rules_for(month)
    if not rules.versions:       # before every rulebook's first version: no deadlines to tell
        raise UserError("bad_option", name="--date", detail=f"w dniu {day} nie obowiązuje żaden regulamin "
                        f"({', '.join(sorted(rules.missing))}); podaj późniejszy dzień")
    with store.read_only(Path(run.params.db)) as con:
        tables = store.table_names(con)
        transfers = store.dicts(con, "SELECT t.period, t.payer_kind, t.payer_id, t.payee, t.amount, t.due_on, t.rule "
                                "FROM transfers t WHERE t.due_on <= last_day(CAST(? AS DATE)) "
                                "ORDER BY t.due_on, t.payer_kind DESC, t.payer_id, t.payee", [day]) \
            if "transfers" in tables else []
        # what each statement shows paid, by payer, month and statement level (issue 30): the region
        # statements' scopes ('regiony', 'region XX') are one level, a --level reconciliation its own
        paid = {(r["unit_id"], r["period"], r["level"]): r["paid"] for r in store.dicts(
            con, f"SELECT unit_id, period, CASE WHEN scope IS NULL OR scope = 'regiony' OR starts_with(scope, 'region ') "
            f"THEN '{cal.REGION}' ELSE scope END AS level, max(paid) AS paid FROM transfer_status GROUP BY 1, 2, 3")
        } if "transfer_status" in tables else {}
        (last,) = con.execute("SELECT max(period) FROM member_ledger WHERE period <= ?", [month]).fetchone() \
            if "member_ledger" in tables else (None,)
        ledger = store.dicts(con, "SELECT member_id, unit_id, months_unpaid, arrears FROM member_ledger "
                             "WHERE period = ? AND months_unpaid > 0 ORDER BY unit_id, member_id", [last]) \
            if last else []
        reductions = store.dicts(con, "SELECT * FROM adjustments_in_force WHERE period = ? ORDER BY unit_id, member_id",
                                 [last]) if last and "adjustments_in_force" in tables else []
        regions = [r for (r,) in con.execute("SELECT DISTINCT region_id FROM units ORDER BY 1").fetchall()] \
            if "units" in tables else []
        books = dict(con.execute("SELECT unit_id, arg_max(rulebook, period) FROM units GROUP BY 1").fetchall()) \
            if "units" in tables else {}
        claims = store.dicts(con, "SELECT claim_id, member_id, unit_id, event_date FROM benefit_decisions "
                             "WHERE decision = 'pending' ORDER BY event_date", []) \
            if "benefit_decisions" in tables else []
        earmarks = dict(con.execute("SELECT level, arg_max(payee, period) FROM earmarks GROUP BY 1").fetchall()) \
            if "earmarks" in tables else {}
        secretariats = store.dicts(con, "SELECT secretariat_id, arg_max(name, period) AS name, "
                                   "arg_max(council_term_from, period) AS council_term_from, "
                                   "arg_max(agreement_on, period) AS agreement_on FROM secretariats GROUP BY 1 "
                                   "ORDER BY 1", []) if "secretariats" in tables else []
    received = {}
    if run.params.statements:
        for r in read_table(Path(run.params.statements), "statements").to_dicts():
            try:        # the options' rule (issue 27): '２０２５' or 9999-12-31 is refused, naming the row
                received[((r["body"] or "").strip(), parsing.year((r["year"] or "").strip()))] = \
                    parsing.day((r["received_on"] or "").strip())
            except ValueError as e:
                raise UserError("unreadable", name=f"{r['_source']}, wiersz {r['_row']}",
                                detail=f"{e}; oczekiwano: body, year RRRR, received_on RRRR-MM-DD") from None
    return CalendarInputs(day=day, rules=rules, transfers=transfers, paid=paid, ledger=ledger, reductions=reductions,
                          regions=regions, books=books, claims=claims, received=received, earmarks=earmarks,
                          secretariats=secretariats)


def compute(run: Run, s: CalendarInputs) -> CalendarResult:
    rules = s.rules
    # the annual statements' date of the rulebook most units use (004 §11 for Solidarność); its source
    common = Counter(b for b in s.books.values() if b in rules.versions).most_common(1)
    default = rules.version(common[0][0]) if common else next(iter(rules.versions.values()))
    versions = {u: rules.version(b) for u, b in s.books.items() if b in rules.versions}
    payees = {lvl.code: lvl.payee for lvl in rules.levels}
    payees |= {(u, lvl.code): lvl.payee for u, v in versions.items() for lvl in v.levels}   # a unit's own rulebook
    payees |= s.earmarks
    with_secretariats = next((v for v in rules.versions.values() if v.secretariats), None)
    with_benefits = next((v for v in rules.versions.values() if v.benefits), None)
    benefits = with_benefits.benefits if with_benefits else None
    # the payees a level above the region receives on its own statement (rulebooks' [versions.reconcile])
    levels = {payee: (code, spec.get("label", code)) for v in rules.versions.values()
              for code, spec in v.reconcile_levels.items() for payee in spec["payees"]}
    items = (cal.transfers(s.transfers, s.day, payees, {v.root for v in rules.versions.values()},
                           levels=levels, paid=s.paid, own=set(s.earmarks))
             + cal.annual_statements(s.regions + sorted({b for b, _ in s.received} - set(s.regions)),
                                     s.received, s.day, default.calendar.get("annual_statements", "07-15"),
                                     default.calendar.get("source", default.source), shift=default.deadline_shift)
             + cal.reductions_ending(s.reductions, s.day, {u: v.citations["reductions"] for u, v in versions.items()})
             + cal.arrears_reached(s.ledger, {u: v.arrears_months for u, v in versions.items()},
                                   {u: v.arrears_source for u, v in versions.items()})
             + (cal.benefit_windows(s.claims, s.day, int(benefits["documents_months"]),
                                    benefits["documents_source"], shift=with_benefits.deadline_shift)
                if benefits else [])
             + (agreement_items(s.secretariats, s.day, int(with_secretariats.secretariats.get("agreement_days", 14)),
                                with_secretariats.secretariats.get("agreement_source", ""),
                                shift=with_secretariats.deadline_shift)
                if with_secretariats else []))
    return CalendarResult(day=s.day, items=sorted(
        items, key=lambda i: (i["status"] != "overdue", i["due_on"] or s.day, i["kind"], i["who"])))


def report(run: Run, result: CalendarResult) -> CalendarResult | None:
    if not run.params.out:
        return None
    name = calendar_reports.file_name(result.day)
    calendar_reports.write(result.items, result.day, run.output(name))
    return replace(result, file=name)


def summary(run: Run, result: CalendarResult) -> str:
    return calendar_reports.summary_text(result.items, result.day,
                                         Path(run.params.out) / result.file if result.file else None)


CALENDAR = Command(
    params=CalendarParams, help='Co jest do zrobienia albo po terminie w danym dniu: przelewy, sprawozdania, obniżki, zaległości, zasiłki.',
    run_name=lambda p: f"kalendarz {p.get('date')}", engine="plain",
    name="calendar", flow_name="calendar", check=check, read=read, compute=compute, report=report, summary=summary)
