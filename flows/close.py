"""`skladki close`: the monthly close of CONTRACT.md, as a command of the one shape.

read (inbox, rulebooks in force) → stage (typed rows + records) → compute (dues, split,
transfers, deduction check; pure, in transforms/) → store (one DuckDB transaction) → report
(the close workbook and the unit treasurers' workbooks, written aside and moved into place).
"""
from datetime import datetime
from pathlib import Path
import uuid

import polars as pl

from flows import settings, store
from flows.command import Command, Run, Step
from flows.inbox import read_inbox
from reports import close as close_reports
from schemas.tables import validate_close, validate_staged
from transforms import close as close_logic
from transforms.errors import UserError
from transforms.rulebook import Rules, load_rulebooks, resolve
from transforms.staging import is_period

CLOSE_TABLES = ("dues", "allocations", "exceptions", "transfers", "units", "deduction_check", "regions")


def rules_for(period: str) -> Rules:
    """The rulebooks in force on the first day of ``period``, resolved once for the whole run."""
    return resolve(load_rulebooks(settings.rulebook_folders()), period)


def check(params: dict) -> None:
    if not is_period(params["period"]):
        raise UserError("unreadable", name="--period", detail=f"'{params['period']}' to nie okres RRRR-MM")
    if not Path(params["inbox"]).is_dir():
        raise UserError("no_folder", path=params["inbox"], what="skrzynki")


def read(run: Run) -> None:
    """The inbox as text frames, and the rulebooks in force."""
    run.progress("[1/5] odczyt skrzynki")
    run.state["rules"] = rules_for(run.period)
    run.state["raw"] = read_inbox(Path(run.inbox), run.period)
    run.state["started_at"] = datetime.now()


def stage(run: Run) -> None:
    raw = run.state["raw"]
    run.progress(f"[2/5] sprawdzanie: {raw.members.height} członków, {raw.income.height} wierszy dochodu")
    staged = close_logic.validate(raw, run.state["rules"])
    validate_staged(staged)
    run.state["staged"] = staged


def compute(run: Run) -> None:
    run.progress("[3/5] składki i podział")
    staged = run.state["staged"]
    rules = run.state["rules"] = run.state["rules"].only(set(staged.units.units["rulebook"]))
    result = close_logic.finish(run.state["raw"], staged, close_logic.compute(staged, rules), rules)
    validate_close(result, [lvl.code for lvl in rules.levels], [c.category for c in rules.categories])
    assert result.rows_read == result.rows_used + result.rows_rejected + result.rows_skipped
    run.state["result"] = result


def save(run: Run) -> None:
    """Every table of the period in the run's one transaction; a re-run replaces the period."""
    result = run.state["result"]
    run.progress(f"[4/5] zapis do {run.db}")
    con = run.database()
    frames = {"dues": result.dues, "allocations": result.allocations, "exceptions": result.exceptions,
              "transfers": result.transfers, "units": result.units.with_columns(period=pl.lit(result.period)),
              "deduction_check": result.deduction_check,
              "regions": result.regions.with_columns(period=pl.lit(result.period))}
    for table in CLOSE_TABLES:
        store.write(con, table, frames[table], period=result.period)
    run.state["run_id"] = str(uuid.uuid4())
    store.append(con, "runs", pl.DataFrame([{
        "run_id": run.state["run_id"], "period": result.period, "started_at": run.state["started_at"],
        "finished_at": datetime.now(), "rulebook_version": result.rulebook_version,
        "rows_read": result.rows_read, "rows_used": result.rows_used, "rows_rejected": result.rows_rejected,
        "rows_skipped": result.rows_skipped, "input_sha256": result.input_sha256}]))


def report(run: Run) -> None:
    """The close workbook and (optionally) one workbook per unit in ``out/jednostki``."""
    if not run.params.get("out"):
        return
    run.progress("[5/5] skoroszyty")
    result, rules = run.state["result"], run.state["rules"]
    con = run.database()
    close_reports.write_close_workbook(con, rules, run.output(f"zamkniecie_{result.period}.xlsx"))
    if run.params.get("unit_workbooks", True):
        run.state["unit_workbooks"] = close_reports.write_unit_workbooks(
            con, rules, result.members, lambda name: run.output(f"jednostki/{name}"), settings.DATA / "fonts",
            run.progress)


CLOSE = Command(
    name="close", flow_name="monthly-close", check=check, summary=close_reports.summary_text,
    table=close_reports.transfers_table,
    steps=(Step("read", read, retries=2), Step("stage", stage), Step("compute", compute),
           Step("store", save, retries=2), Step("report", report, retries=2)))
