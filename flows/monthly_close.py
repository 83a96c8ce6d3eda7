"""The Prefect flow of a monthly close: ingest -> validate -> compute -> split -> store -> report.

Tasks are thin wrappers of ``flows.steps``; only the reading task retries (I/O). Caching is off:
the inputs are large frames and a close must always recompute.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from flows import settings  # noqa: F401  (quiet, offline Prefect settings before import)
from prefect import flow, task
from prefect.cache_policies import NONE

from flows import steps

TASKS = SimpleNamespace(
    ingest=task(steps.ingest, name="ingest", retries=1, retry_delay_seconds=1, cache_policy=NONE),
    validate=task(steps.validate, name="validate", cache_policy=NONE),
    compute=task(steps.compute, name="compute-dues", cache_policy=NONE),
    split=task(steps.split, name="split", cache_policy=NONE),
    store=task(steps.store, name="store", cache_policy=NONE),
    report=task(steps.report, name="report", cache_policy=NONE),
)


@flow(name="monthly-close", log_prints=False)
def monthly_close(period: str, inbox: Path, db: Path, out: Path | None = None,
                  quiet: bool = False, unit_workbooks: bool = True) -> steps.CloseOutcome:
    """Close one month of one inbox into the DuckDB file ``db`` (and the workbooks into ``out``):
    ingest -> validate -> compute -> split -> store -> report, each step a task."""
    def progress(msg: str) -> None:
        if not quiet:
            print(msg, flush=True)

    return steps.run_steps(period, inbox, db, out, progress, unit_workbooks, TASKS)
