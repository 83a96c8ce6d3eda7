"""The Prefect flow of a monthly close: ingest -> validate -> compute -> split -> store -> report.

Tasks are thin wrappers of ``flows.steps``; only the reading task retries (I/O). Caching is off:
the inputs are large frames and a close must always recompute.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flows import settings  # noqa: F401  (quiet, offline Prefect settings before import)
from prefect import flow, task
from prefect.cache_policies import NONE

from flows import steps
from flows.inbox import InboxError

ingest = task(steps.ingest, name="ingest", retries=1, retry_delay_seconds=1, cache_policy=NONE)
validate = task(steps.validate, name="validate", cache_policy=NONE)
compute = task(steps.compute, name="compute-dues", cache_policy=NONE)
split = task(steps.split, name="split", cache_policy=NONE)
store = task(steps.store, name="store", cache_policy=NONE)
report = task(steps.report, name="report", cache_policy=NONE)


@flow(name="monthly-close", log_prints=False)
def monthly_close(period: str, inbox: Path, db: Path, out: Path | None = None,
                  quiet: bool = False, unit_workbooks: bool = True) -> steps.CloseOutcome:
    """Close one month of one inbox into the DuckDB file ``db`` (and the workbook into ``out``)."""
    def progress(msg: str) -> None:
        if not quiet:
            print(msg, flush=True)
    started = datetime.now()
    progress("[1/6] ingest")
    raw = ingest(inbox)
    if isinstance(raw, InboxError):
        return steps.CloseOutcome(period, False, str(raw))
    progress(f"[2/6] validate: {raw.members.height} members, {raw.income.height} income lines")
    staged = validate(raw, period)
    progress("[3/6] compute dues")
    dues_result = compute(staged, period)
    progress(f"[4/6] split: {dues_result.dues.height} members with dues")
    result = split(raw, staged, dues_result, period)
    progress(f"[5/6] store into {db}")
    run_id = store(db, result, started)
    progress("[6/6] report")
    workbook, n_units = report(db, result, out, unit_workbooks, progress)
    return steps.CloseOutcome(period, True, "", run_id, db, workbook, n_units, result)
