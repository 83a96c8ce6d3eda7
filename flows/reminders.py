"""`skladki reminders --period RRRR-MM --db FILE [--region ID] --out DIR [--date RRRR-MM-DD]`
(issue 29): the region's list of units whose settlement for the month has not arrived (nothing
imported, or a close not approved) or whose transfer is late or short, and a Polish reminder
letter (PDF) to each such unit: what is missing or owed, the amount, the region's account, the
transfer title and the deadline. Nothing is written to the database.

The units expected are the region's units the database knows (``units`` of the month or any
earlier one, and imported ``settlement_files``); a settlement has arrived when the unit's month is
``approved`` in ``unit_months``; the transfers are judged by the latest reconciliation stored
(``transfer_status``, written by `skladki reconcile`), deadlines as the close stored them
(``transfers.due_on``, working days applied) or, for a month not settled, by the rulebook.

read (the stored tables, the rulebooks) → compute (transforms.reminders) → report (a workbook and
the letters, reports/reminders.py). No person's data: units, amounts and accounts only.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Optional

from flows import settings, store
from flows.command import NEEDED_OUT, Command, ReadsDb, Run, option
from flows.files import require_database
from flows.reconcile import REGIONS_SCOPE
from flows.rules import rules_for
from reports import reminders as report_text
from reports.settlement import nrb, transfer_title
from transforms import parsing
from transforms.errors import UserError
from transforms.rulebook import TransferRule
from transforms.reminders import ExpectedUnit, Reminder, Verdict, reminders


UNIT_FILE = "unit"            # settlement_files.kind of a unit's month (the file format's word, CONTRACT)
DEFAULT_TITLE = TransferRule("", "", None, "", "").title      # a rulebook's title when it sets none
DEFAULT_RULE = TransferRule("", "", 20, "", "")   # a unit of no rulebook in force: the 20th of the month after (004 §10)
REGION_SCOPE = "region "      # a reconciliation of one region's statement: 'region SL' (flows.reconcile.scope_of)


@dataclass(frozen=True, kw_only=True)
class RemindersParams(ReadsDb):
    period: str = option("miesiąc rozliczeń, RRRR-MM", title="Okres (RRRR-MM)", check="period",
                         form="miesiąc rozliczeń w postaci RRRR-MM, np. 2026-10")
    out: Path = option("folder na listę (skoroszyt) i pisma PDF", **NEEDED_OUT)
    region_id: Optional[str] = option("tylko jednostki tego regionu", None, flag="--region", title="Region",
                                      form="tylko jednostki tego regionu; puste: wszystkie")
    date: Optional[str] = option("dzień pisma i stanu, RRRR-MM-DD (bez: dziś)", None, check="day",
                                 title="Dzień (RRRR-MM-DD)", form="dzień pisma w postaci RRRR-MM-DD; puste: dziś")


@dataclass(frozen=True)
class RemindersInputs:
    period: str
    region_id: str | None
    day: date
    units: list[ExpectedUnit]
    states: dict[str, str]            # unit -> approved | draft (absent: no settlement)
    verdicts: dict[str, Verdict]      # unit -> the latest reconciliation's verdict on its transfer
    reconciled: bool                  # the month's transfers were reconciled at all
    region_names: dict[str, str]


@dataclass(frozen=True)
class RemindersResult:
    period: str
    region_id: str | None
    day: date
    expected: int                     # units expected
    approved: int                     # of them with an approved settlement
    reconciled: bool
    reminders: list[Reminder]
    region_names: dict[str, str]
    workbook: Path | None = None
    letters: tuple[Path, ...] = ()


def check(params: RemindersParams) -> None:
    try:
        parsing.period(params.period)
    except ValueError as e:
        raise UserError("bad_option", name="--period", detail=str(e)) from None
    if params.date is not None:
        try:
            parsing.day(params.date)
        except ValueError as e:
            raise UserError("bad_option", name="--date", detail=str(e)) from None
    require_database(params.db)


def _regions(con, tables: set[str], period: str) -> dict[str, dict]:
    if "regions" not in tables:
        return {}
    return {r["region_id"]: r for r in store.dicts(
        con, "SELECT region_id, arg_max(name, period) AS name, arg_max(bank_account, period) AS bank_account, "
             "arg_max(transfer_title, period) AS transfer_title FROM regions WHERE period <= ? GROUP BY 1", [period])}


def read(run: Run) -> RemindersInputs:
    p = run.params
    period, region = p.period, p.region_id
    day = parsing.day(p.date) if p.date else date.today()
    rules = rules_for(period)
    with store.read_only(p.db) as con:
        tables = store.table_names(con)
        known = {r["unit_id"]: r for r in store.dicts(
            con, "SELECT unit_id, arg_max(name, period) AS name, arg_max(region_id, period) AS region_id, "
                 "arg_max(rulebook, period) AS rulebook FROM units WHERE period <= ? GROUP BY unit_id", [period])
        } if "units" in tables else {}
        if "settlement_files" in tables:      # imported months (issue 29): units the region knows from files
            for (unit,) in con.execute("SELECT DISTINCT unit_id FROM settlement_files WHERE kind = ? "
                                       "AND period <= ?", [UNIT_FILE, period]).fetchall():
                known.setdefault(unit, {"unit_id": unit, "name": None, "region_id": None, "rulebook": None})
        regions = _regions(con, tables, period)
        known_regions = {u["region_id"] for u in known.values()} - {None} | set(regions)
        if region is not None and region not in known_regions:
            raise UserError("unknown_region", region=region, known=", ".join(sorted(known_regions)) or "—")
        if not known:
            raise UserError("no_close", db=p.db, period=period)
        mine = [u for u in known.values() if region is None or u["region_id"] == region]
        states: dict[str, str] = {}
        if "unit_months" in tables:
            states = dict(con.execute("SELECT unit_id, state FROM unit_months WHERE period = ?", [period]).fetchall())
        elif "units" in tables:               # closed before months had states: drafts (as `status` reads them)
            states = {u: "draft" for (u,) in con.execute("SELECT DISTINCT unit_id FROM units WHERE period = ?",
                                                         [period]).fetchall()}
        verdicts: dict[str, Verdict] = {}
        reconciled = False
        if "transfer_status" in tables:
            # the latest reconciliation at a region's level (not the national level's) that judged the month
            rows = store.dicts(con, """
                SELECT unit_id, arg_max(status, reconciled_for) AS status, arg_max(expected, reconciled_for) AS expected,
                       arg_max(paid, reconciled_for) AS paid, arg_max(due_on, reconciled_for) AS due_on,
                       arg_max(last_payment_on, reconciled_for) AS last_payment_on,
                       arg_max(days_late, reconciled_for) AS days_late, max(reconciled_for) AS reconciled_for
                FROM transfer_status WHERE period = ? AND (scope IS NULL OR scope = ? OR starts_with(scope, ?))
                GROUP BY unit_id""", [period, REGIONS_SCOPE, REGION_SCOPE])
            reconciled = bool(rows)
            verdicts = {r["unit_id"]: Verdict(r["status"], r["expected"], r["paid"], r["due_on"], r["last_payment_on"],
                                              r["days_late"], r["reconciled_for"]) for r in rows}
        # issue 30: the accounts of the bodies units pay directly, not through a region
        national = {(r["rulebook"], r["level"]): r for r in store.dicts(
            con, "SELECT rulebook, level, arg_max(name, period) AS name, arg_max(bank_account, period) AS bank_account, "
                 "arg_max(transfer_title, period) AS transfer_title FROM national_accounts WHERE period <= ? "
                 "GROUP BY 1, 2", [period])} if "national_accounts" in tables else {}
        due, payees = {}, {}
        if "transfers" in tables:     # the unit's own transfer of the month as the close stored it
            for unit, payee, due_on in con.execute("SELECT payer_id, arg_min(payee, due_on), min(due_on) FROM transfers "
                                                   "WHERE period = ? GROUP BY 1", [period]).fetchall():
                due[unit], payees[unit] = due_on, payee
    units = []
    for u in sorted(mine, key=lambda u: u["unit_id"]):
        unit_id, name = u["unit_id"], u["name"] or u["unit_id"]
        version = rules.version(u["rulebook"]) if u["rulebook"] in rules.versions else None
        rule = next((t for t in version.transfers if t.payer == version.root), None) if version else None
        # the level that forwards onwards is the region's: its account and title apply (as on the settlement)
        forwarding = next((t.payer for t in version.transfers if t.per != version.root), None) if version else None
        to_region = payees[unit_id] == forwarding if unit_id in payees else forwarding is not None or version is None
        g = regions.get(u["region_id"] or "", {}) if to_region else national.get((u["rulebook"], payees.get(unit_id)), {})
        pattern = g.get("transfer_title") or (rule.title if rule else DEFAULT_TITLE)
        deadline = due.get(unit_id) or (rule or DEFAULT_RULE).due_on(period)
        payee = (g.get("name") or f"region {u['region_id'] or '—'}") if to_region else g.get("name") or (
            rules.payee_label(payees[unit_id], u["rulebook"]) if unit_id in payees else "odbiorca według rozliczenia")
        units.append(ExpectedUnit(unit_id, name, u["region_id"], payee, nrb(g.get("bank_account")),
                                  transfer_title(pattern, unit_id, name, period), deadline, to_region))
    return RemindersInputs(period, region, day, units, states, verdicts, reconciled,
                           {r: g.get("name") or r for r, g in regions.items()})


def compute(run: Run, inputs: RemindersInputs) -> RemindersResult:
    found = reminders(inputs.units, inputs.states, inputs.verdicts, inputs.day)
    approved = sum(inputs.states.get(u.unit_id) == "approved" for u in inputs.units)
    return RemindersResult(inputs.period, inputs.region_id, inputs.day, len(inputs.units), approved,
                           inputs.reconciled, found, inputs.region_names)


def report(run: Run, result: RemindersResult) -> RemindersResult:
    workbook = report_text.workbook_name(result.period, result.region_id)
    report_text.write_workbook(result, run.output(workbook))
    letters = []
    for r in result.reminders:
        relative = report_text.letter_name(result.period, result.region_id, r.unit_id)
        report_text.write_letter(r, result, run.output(relative), settings.DATA / "fonts")
        letters.append(Path(run.params.out) / relative)
    return dataclasses.replace(result, workbook=Path(run.params.out) / workbook, letters=tuple(letters))


REMINDERS = Command(
    name="reminders", flow_name="reminders", params=RemindersParams, engine="plain",
    help="Przypomnienia: jednostki bez rozliczenia za miesiąc albo ze spóźnionym lub niepełnym przelewem, "
         "lista i pismo PDF do każdej.",
    check=check, read=read, compute=compute, report=report,
    summary=lambda run, result: report_text.summary(result),
    table=lambda run, result: ("Przypomnienia dla jednostek", report_text.table_rows(result)),
    run_name=lambda p: f"przypomnienia {p.get('period')}" + (f" · {p['region_id']}" if p.get("region_id") else ""))
