"""The Prefect flows: one per command, each made from the command's declaration (the same step
functions the plain engine calls), and their deployments (`skladki serve`). Imported only when
the Prefect engine is used, so a plain run never pays for importing Prefect. Parameters are typed
(the UI's run form needs them); no ``from __future__ import annotations`` here, so Prefect sees
real types. Runs are named after the work ("zamknięcie 2026-10 · demo").
"""
from datetime import date
from pathlib import Path
from typing import Optional

from flows import settings  # noqa: F401  (quiet, offline Prefect settings before importing prefect)
from prefect import flow
from prefect.runtime import flow_run

from flows.approve import APPROVE
from flows.close import CLOSE
from flows.command import Handle, printer, run_flow_steps
from flows.delegates import VERIFY_DELEGATES
from flows.reconcile import RECONCILE
from flows.salary_caps import SALARY_CAPS
from flows.archive import REPLAY
from flows.benefits import BENEFITS
from flows.calendar import CALENDAR
from flows.documents import DOCUMENTS
from flows.elections import ELIGIBILITY, SEATS, TALLY
from flows.explain import EXPLAIN
from flows.statement import STATEMENT


def previous_month(today: date) -> str:
    """The month a scheduled close closes when no period is given: the one before ``today``."""
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


def _period() -> str:
    return flow_run.parameters.get("period") or previous_month(date.today())


def _name(word: str, folder_param: str):
    def name() -> str:
        folder = flow_run.parameters.get(folder_param)
        return f"{word} {_period()}" + (f" · {Path(folder).name}" if folder else "")
    return name


@flow(name=CLOSE.flow_name, flow_run_name=_name("zamknięcie", "inbox"), log_prints=False)
def monthly_close(inbox: str, db: str, out: Optional[str] = None, period: Optional[str] = None,
                  unit_workbooks: Optional[bool] = None, units: Optional[list[str]] = None,
                  only_complete: bool = False, quiet: bool = False) -> Handle:
    """Close one month of one inbox into the DuckDB file ``db`` (and the workbooks into ``out``);
    without a period, the month before today (a schedule on the 5th closes the previous month).
    A month with missing files ends the run "Niekompletny" (not Completed); ``only_complete``
    (the schedule) closes only the units whose files have come and lists the others."""
    return run_flow_steps(CLOSE, dict(period=period or previous_month(date.today()), inbox=inbox, db=db, out=out,
                                      unit_workbooks=unit_workbooks, units=units, only_complete=only_complete),
                          printer(quiet))


@flow(name=APPROVE.flow_name, flow_run_name=lambda: f"zatwierdzenie {flow_run.parameters.get('period')}",
      log_prints=False)
def approve_month(period: str, db: str, by: str, units: Optional[list[str]] = None, all: bool = False,
                  force: bool = False, reason: Optional[str] = None, out: Optional[str] = None,
                  members: Optional[str] = None, quiet: bool = False) -> Handle:
    """A unit's closed month approved (RULES.md §13): who and when are stored; an incomplete month
    only with force and a reason."""
    return run_flow_steps(APPROVE, dict(period=period, db=db, by=by, units=units, all=all, force=force,
                                        reason=reason, out=out, members=members), printer(quiet))


@flow(name=SALARY_CAPS.flow_name, flow_run_name=_name("limity wynagrodzeń", "officers"), log_prints=False)
def salary_caps(officers: str, db: str, out: Optional[str] = None, period: Optional[str] = None,
                wages: Optional[str] = None, quiet: bool = False) -> Handle:
    """Officers' pay against the caps of 004 §7–§8 for one payroll month."""
    return run_flow_steps(SALARY_CAPS, dict(period=period or previous_month(date.today()), officers=officers, db=db,
                                            out=out, wages=wages), printer(quiet))


@flow(name=VERIFY_DELEGATES.flow_name, flow_run_name=_name("weryfikacja delegatów", "inbox"), log_prints=False)
def verify_delegates(inbox: str, db: str, out: Optional[str] = None, seats: Optional[int] = None,
                     key: Optional[str] = None, wage_fallback: Optional[str] = None, quiet: bool = False) -> Handle:
    """Declared paying members against remitted dues (Uchwała XIX KZD nr 6/2005) and seats."""
    return run_flow_steps(VERIFY_DELEGATES, dict(inbox=inbox, db=db, out=out, seats=seats, key=key,
                                                 wage_fallback=wage_fallback), printer(quiet))


@flow(name=RECONCILE.flow_name, flow_run_name=_name("uzgodnienie", "statements"), log_prints=False)
def reconcile(statements: str, db: str, out: Optional[str] = None, period: Optional[str] = None,
              region_id: Optional[str] = None, level: Optional[str] = None, quiet: bool = False) -> Handle:
    """Bank statements against the transfers due: a region's (its units'), or the national
    level's (the regions' forwards and the direct contributions of units)."""
    return run_flow_steps(RECONCILE, dict(period=period or previous_month(date.today()), statements=statements,
                                          db=db, out=out, region_id=region_id, level=level), printer(quiet))


@flow(name=STATEMENT.flow_name, flow_run_name=lambda: f"zaświadczenia PIT {flow_run.parameters.get('year')}",
      log_prints=False)
def pit_statement(year: int, db: str, out: str, members: Optional[str] = None, quiet: bool = False) -> Handle:
    """Each member's yearly statement of union dues received (PIT, art. 26 ust. 1 pkt 2c)."""
    return run_flow_steps(STATEMENT, dict(year=year, db=db, out=out, members=members), printer(quiet))


@flow(name=EXPLAIN.flow_name, flow_run_name=lambda: "wyjaśnienie " + " ".join(
    str(v) for k, v in flow_run.parameters.items() if k.endswith("_id") or k == "period" if v), log_prints=False)
def explain(db: str, period: Optional[str] = None, member_id: Optional[str] = None, unit_id: Optional[str] = None,
            region_id: Optional[str] = None, out: Optional[str] = None, quiet: bool = False) -> Handle:
    """The chain that produced a member's dues, a unit's split or a region's verification."""
    return run_flow_steps(EXPLAIN, dict(db=db, period=period, member_id=member_id, unit_id=unit_id,
                                        region_id=region_id, out=out), printer(quiet))


@flow(name=REPLAY.flow_name, flow_run_name=lambda: f"powtórzenie {flow_run.parameters.get('run')}", log_prints=False)
def replay(run: str, db: str, quiet: bool = False) -> Handle:
    """A close re-run from its archive into a scratch database, every table compared."""
    return run_flow_steps(REPLAY, dict(run=run, db=db), printer(quiet))


@flow(name=BENEFITS.flow_name, flow_run_name=_name("zasiłki", "inbox"), log_prints=False)
def benefits(inbox: str, db: str, out: Optional[str] = None, date: Optional[str] = None, quiet: bool = False) -> Handle:
    """Statutory benefit claims decided (004 §5, §9)."""
    return run_flow_steps(BENEFITS, dict(inbox=inbox, db=db, out=out, date=date), printer(quiet))


def _today() -> str:
    return date.today().isoformat()


@flow(name=CALENDAR.flow_name, flow_run_name=lambda: f"kalendarz {flow_run.parameters.get('date') or _today()}",
      log_prints=False)
def calendar(db: str, out: Optional[str] = None, statements: Optional[str] = None, date: Optional[str] = None,
             quiet: bool = False) -> Handle:
    """What is due or overdue on a day, today by default (a deployment runs it every morning)."""
    return run_flow_steps(CALENDAR, dict(date=date or _today(), db=db, out=out, statements=statements),
                          printer(quiet))


@flow(name=SEATS.flow_name, flow_run_name=lambda: f"mandaty {flow_run.parameters.get('key')}", log_prints=False)
def seats(key: str, db: Optional[str] = None, period: Optional[str] = None, members: Optional[str] = None,
          out: Optional[str] = None, quiet: bool = False) -> Handle:
    """Seats under a key of data/delegate_keys.toml, from a stored close or a plain count file."""
    return run_flow_steps(SEATS, dict(key=key, db=db, period=period, members=members, out=out), printer(quiet))


@flow(name=ELIGIBILITY.flow_name, flow_run_name=lambda: (f"uprawnienia wyborcze {flow_run.parameters.get('body')} "
                                                        f"{flow_run.parameters.get('date')}"), log_prints=False)
def eligibility(date: str, body: str, db: str, members: Optional[str] = None, assembly: Optional[str] = None,
                out: Optional[str] = None, quiet: bool = False) -> Handle:
    """Who may vote and who may stand on a day, under the union's election rules."""
    return run_flow_steps(ELIGIBILITY, dict(date=date, body=body, db=db, members=members, assembly=assembly, out=out),
                          printer(quiet))


@flow(name=TALLY.flow_name, flow_run_name=lambda: f"wyniki głosowania {Path(flow_run.parameters.get('votes')).name}",
      log_prints=False)
def tally(votes: str, rules: str, out: Optional[str] = None, quiet: bool = False) -> Handle:
    """Quorum, validity, winners and runoff of the votes in a protocol file."""
    return run_flow_steps(TALLY, dict(votes=votes, rules=rules, out=out), printer(quiet))


@flow(name=DOCUMENTS.flow_name, flow_run_name=lambda: f"dokumenty jednostek {flow_run.parameters.get('period')}",
      log_prints=False)
def unit_documents(period: str, db: str, out: str, units: Optional[list[str]] = None, members: Optional[str] = None,
                   quiet: bool = False) -> Handle:
    """The unit treasurers' documents of a closed month, on demand (all units, or the ones given)."""
    return run_flow_steps(DOCUMENTS, dict(period=period, db=db, out=out, units=units, members=members),
                          printer(quiet))


FLOWS = {APPROVE.name: approve_month, DOCUMENTS.name: unit_documents, SEATS.name: seats, ELIGIBILITY.name: eligibility, TALLY.name: tally, BENEFITS.name: benefits, CALENDAR.name: calendar, EXPLAIN.name: explain, REPLAY.name: replay, STATEMENT.name: pit_statement, CLOSE.name: monthly_close, SALARY_CAPS.name: salary_caps, VERIFY_DELEGATES.name: verify_delegates,
         RECONCILE.name: reconcile}



def _json_parameters(parameters: dict) -> dict:
    """Every flow here takes JSON values only (paths as text, periods, numbers, flags), so they are
    stored as they are; Prefect's default serialiser would import FastAPI first (0.22 s measured on
    every command). Anything else is stored as its text."""
    def plain(v):
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
    return {k: plain(v) for k, v in parameters.items()}


for _flow in FLOWS.values():
    _flow.serialize_parameters = _json_parameters

# the monthly close on the 5th at 06:00 (before the 20th, 004 §10), for the previous month
CLOSE_SCHEDULE = "0 6 5 * *"
CALENDAR_SCHEDULE = "0 7 * * *"


def deployments(inbox: str, db: str, out: Optional[str], statements: Optional[str] = None,
                officers: Optional[str] = None, delegates_inbox: Optional[str] = None) -> list:
    """The deployments `skladki serve` serves: the close on a schedule; the others on demand
    (each can be run from the UI's form)."""
    # the schedule closes the units whose files have come (the others are listed, the run not Completed)
    out_deps = [monthly_close.to_deployment("zamkniecie-miesieczne", cron=CLOSE_SCHEDULE,
                                            parameters={"inbox": inbox, "db": db, "out": out, "only_complete": True})]
    if statements:
        out_deps.append(reconcile.to_deployment("uzgodnienie", parameters={"statements": statements, "db": db,
                                                                          "out": out}))
    if officers:
        out_deps.append(salary_caps.to_deployment("limity-wynagrodzen", parameters={"officers": officers, "db": db,
                                                                                   "out": out}))
    # the calendar every morning at 07:00: what is due or overdue today
    out_deps.append(calendar.to_deployment("kalendarz-codzienny", cron=CALENDAR_SCHEDULE,
                                           parameters={"db": db, "out": out}))
    # elections: the key, the day and the body are asked for in the UI's run form
    out_deps.append(seats.to_deployment("mandaty", parameters={"db": db, "out": out}))
    out_deps.append(eligibility.to_deployment("uprawnienia-wyborcze", parameters={"db": db, "out": out}))
    # approving a unit's month from the UI: the period, the units and who approves in the run form
    out_deps.append(approve_month.to_deployment("zatwierdzenie-miesiaca", parameters={"db": db, "out": out}))
    if out:    # a unit's documents on demand: the period (and units) asked for in the UI's run form
        out_deps.append(unit_documents.to_deployment("dokumenty-jednostek", parameters={"db": db, "out": out}))
    if out:    # the yearly statements: the year is asked for in the UI's run form
        out_deps.append(pit_statement.to_deployment("zaswiadczenia-pit", parameters={"db": db, "out": out}))
    if delegates_inbox:
        out_deps.append(verify_delegates.to_deployment("weryfikacja-delegatow",
                                                       parameters={"inbox": delegates_inbox, "db": db, "out": out}))
    return out_deps
