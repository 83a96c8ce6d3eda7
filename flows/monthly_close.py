"""The Prefect flow of a monthly close: ingest -> validate -> compute -> split -> store -> report.

Tasks are thin wrappers of ``flows.steps``; only the reading task retries (I/O). Caching is off:
the inputs are large frames and a close must always recompute.
"""
from __future__ import annotations

from pathlib import Path

from flows import settings  # noqa: F401  (quiet, offline Prefect settings before import)
from prefect import flow

from flows import steps
from flows.orchestration import tasks_of

TASKS = tasks_of(steps.PLAIN)


@flow(name="monthly-close", log_prints=False)
def monthly_close(period: str, inbox: Path, db: Path, out: Path | None = None,
                  quiet: bool = False, unit_workbooks: bool = True) -> steps.CloseOutcome:
    """Close one month of one inbox into the DuckDB file ``db`` (and the workbooks into ``out``):
    ingest -> validate -> compute -> split -> store -> report, each step a task."""
    def progress(msg: str) -> None:
        if not quiet:
            print(msg, flush=True)

    return steps.run_steps(period, inbox, db, out, progress, unit_workbooks, TASKS)
