"""The Prefect flows: one per command, each made from the command's declaration (the same step
functions the plain engine calls). Imported only when the Prefect engine is used, so a plain run
never pays for importing Prefect. Parameters are typed (the UI's run form needs them); no
``from __future__ import annotations`` here, so Prefect sees real types.
"""
from typing import Optional

from flows import settings  # noqa: F401  (quiet, offline Prefect settings before importing prefect)
from prefect import flow

from flows.close import CLOSE
from flows.command import Run, printer, run_flow_steps
from flows.delegates import VERIFY_DELEGATES
from flows.reconcile import RECONCILE
from flows.salary_caps import SALARY_CAPS


@flow(name=CLOSE.flow_name, log_prints=False)
def monthly_close(period: str, inbox: str, db: str, out: Optional[str] = None, unit_workbooks: bool = True,
                  quiet: bool = False) -> Run:
    """Close one month of one inbox into the DuckDB file ``db`` (and the workbooks into ``out``)."""
    return run_flow_steps(CLOSE, dict(period=period, inbox=inbox, db=db, out=out, unit_workbooks=unit_workbooks),
                          printer(quiet))


@flow(name=SALARY_CAPS.flow_name, log_prints=False)
def salary_caps(period: str, officers: str, db: str, out: Optional[str] = None, wages: Optional[str] = None,
                quiet: bool = False) -> Run:
    """Officers' pay against the caps of 004 §7–§8 for one payroll month."""
    return run_flow_steps(SALARY_CAPS, dict(period=period, officers=officers, db=db, out=out, wages=wages),
                          printer(quiet))


@flow(name=VERIFY_DELEGATES.flow_name, log_prints=False)
def verify_delegates(inbox: str, db: str, out: Optional[str] = None, seats: Optional[int] = None,
                     key: Optional[str] = None, wage_fallback: Optional[str] = None, quiet: bool = False) -> Run:
    """Declared paying members against remitted dues (Uchwała XIX KZD nr 6/2005) and seats."""
    return run_flow_steps(VERIFY_DELEGATES, dict(inbox=inbox, db=db, out=out, seats=seats, key=key,
                                                 wage_fallback=wage_fallback), printer(quiet))


@flow(name=RECONCILE.flow_name, log_prints=False)
def reconcile(period: str, statements: str, db: str, out: Optional[str] = None, quiet: bool = False) -> Run:
    """A region's bank statements against the transfers its units owe."""
    return run_flow_steps(RECONCILE, dict(period=period, statements=statements, db=db, out=out), printer(quiet))


FLOWS = {CLOSE.name: monthly_close, SALARY_CAPS.name: salary_caps, VERIFY_DELEGATES.name: verify_delegates,
         RECONCILE.name: reconcile}
