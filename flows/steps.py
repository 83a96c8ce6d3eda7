"""The steps of a monthly close as plain functions; the Prefect flow wraps each one as a task.

ingest -> validate -> compute -> split -> store -> report
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace


from flows import settings
from flows.db import read_only
from flows.inbox import InboxError, read_inbox
from flows.store import store_close
from reports import queries
from reports.workbook import write_close_workbook, write_unit_workbooks
from schemas.tables import validate_outputs, validate_staged
from transforms import close as close_logic
from transforms.close import CloseResult, RawInputs, Staged
from transforms.rulebook import Rulebook, load_rulebooks


@dataclass
class CloseOutcome:
    period: str
    ok: bool
    message: str = ""
    run_id: str | None = None
    db: Path | None = None
    workbook: Path | None = None
    unit_workbooks: int = 0
    result: CloseResult | None = None


def rulebooks() -> dict[str, Rulebook]:
    return load_rulebooks(settings.RULEBOOKS)


def ingest(inbox: Path, period: str) -> RawInputs | InboxError:
    """Read the inbox; a missing or unreadable required file is returned, not raised."""
    try:
        return read_inbox(inbox, period)
    except InboxError as e:
        return e


def validate(raw: RawInputs, period: str) -> Staged:
    staged = close_logic.validate(raw, rulebooks(), period)
    validate_staged(staged.units.units, staged.members.members, staged.income.lines,
                    staged.adjustments.in_force)
    return staged


def compute(staged: Staged, period: str):
    return close_logic.compute(staged, rulebooks(), period)


def split(raw: RawInputs, staged: Staged, dues_result, period: str) -> CloseResult:
    result = close_logic.finish(raw, staged, dues_result, rulebooks(), period)
    validate_outputs(result.dues, result.allocations, result.exceptions)
    assert result.rows_read == result.rows_used + result.rows_rejected + result.rows_skipped
    return result


def store(db: Path, result: CloseResult, started_at: datetime) -> str:
    return store_close(db, result, started_at)


def report(db: Path, result: CloseResult, out: Path | None, unit_workbooks: bool = True,
           progress=lambda msg: None) -> tuple[Path | None, int]:
    """The close workbook and (optionally) one workbook per unit in ``out/jednostki``."""
    if out is None:
        return None, 0
    with read_only(db) as con:
        path = write_close_workbook(con, result.period, out / f"zamkniecie_{result.period}.xlsx")
        units = []
        if unit_workbooks:
            units = write_unit_workbooks(con, result.period, result.members, out / "jednostki",
                                         progress)
        return path, len(units)


def run_steps(period: str, inbox: Path, db: Path, out: Path | None, progress, unit_workbooks: bool,
              step) -> CloseOutcome:
    """The close, in order. ``step`` supplies the step callables: this module's plain functions,
    or the flow's Prefect tasks wrapping the very same functions."""
    started = datetime.now()
    progress("[1/6] ingest")
    raw = step.ingest(inbox, period)
    if isinstance(raw, InboxError):
        return CloseOutcome(period, False, str(raw))
    progress(f"[2/6] validate: {raw.members.height} members, {raw.income.height} income lines")
    staged = step.validate(raw, period)
    progress("[3/6] compute dues")
    dues_result = step.compute(staged, period)
    progress(f"[4/6] split: {dues_result.dues.height} members with dues")
    result = step.split(raw, staged, dues_result, period)
    progress(f"[5/6] store into {db}")
    run_id = step.store(db, result, started)
    progress("[6/6] report")
    workbook, n_units = step.report(db, result, out, unit_workbooks, progress)
    return CloseOutcome(period, True, "", run_id, db, workbook, n_units, result)


PLAIN = SimpleNamespace(ingest=ingest, validate=validate, compute=compute, split=split,
                        store=store, report=report)


def run_plain(period: str, inbox: Path, db: Path, out: Path | None = None,
              progress=lambda msg: None, unit_workbooks: bool = True) -> CloseOutcome:
    """The same steps as the flow, without Prefect (tests, quick checks)."""
    return run_steps(period, inbox, db, out, progress, unit_workbooks, PLAIN)


def summary_text(outcome: CloseOutcome) -> str:
    """A short summary of a stored close for the terminal (figures from DuckDB)."""
    if not outcome.ok:
        return f"close {outcome.period} NOT done: {outcome.message}"
    r = outcome.result
    p = {"period": outcome.period}
    with read_only(outcome.db) as con:
        by_cat = con.execute(queries.DUES_BY_CATEGORY, p).fetchall()
        by_level = dict(con.execute(queries.SPLIT_BY_LEVEL, p).fetchall())
        transfers = con.execute(queries.TRANSFERS, p).fetchall()
        by_reason = con.execute(queries.EXCEPTIONS_BY_REASON, p).fetchall()
        deductions = con.execute(queries.DEDUCTIONS_BY_SOURCE, p).fetchall()
    lines = [f"Close {outcome.period}: run {outcome.run_id}",
             f"  rows read {r.rows_read} = used {r.rows_used} + rejected {r.rows_rejected} "
             f"+ skipped {r.rows_skipped}",
             f"  members with dues: {r.dues.height}   rulebooks: {r.rulebook_version}",
             "  dues by category:"]
    lines += [f"    {c:<14} {n:>7} members  {t:>14,.2f} zł" for c, n, t in by_cat]
    lines.append("  split by level:")
    lines += [f"    {lvl:<22} {by_level.get(lvl, 0):>14,.2f} zł"
              for lvl in ("unit", "region", "national", "branch_secretariats",
                          "regional_strike_fund", "national_strike_fund")]
    unit_tr = [t for t in transfers if t[0] == "unit"]
    region_tr = [t for t in transfers if t[0] == "region"]
    if unit_tr:
        total = sum(t[4] for t in unit_tr)
        lines.append(f"  transfers due: {len(unit_tr)} unit transfers, {total:,.2f} zł, "
                     f"by {min(t[5] for t in unit_tr)}")
    for t in region_tr:
        lines.append(f"    region {t[1]} -> {t[2]:<22} {t[4]:>12,.2f} zł by {t[5]}")
    if deductions:
        checked = sum(d[1] for d in deductions)
        differing = sum(d[5] for d in deductions)
        lines.append(f"  deductions: {checked} members checked, {differing} differ")
        for source, n, deducted, computed, diff, bad in deductions:
            if bad:
                lines.append(f"    {source}: {bad} of {n} members differ; deducted {deducted:,.2f} zł, "
                             f"computed {computed or 0:,.2f} zł, difference {diff or 0:+,.2f} zł")
    n_exc = sum(n for _, n in by_reason)
    lines.append(f"  exceptions: {n_exc}" + ("" if not n_exc else " (" + ", ".join(
        f"{code} {n}" for code, n in by_reason) + ")"))
    lines.append(f"  database: {outcome.db}")
    if outcome.workbook:
        lines.append(f"  workbook: {outcome.workbook}")
    if outcome.unit_workbooks:
        lines.append(f"  unit treasurers' workbooks: {outcome.unit_workbooks} in "
                     f"{outcome.workbook.parent / 'jednostki'}")
    return "\n".join(lines)
