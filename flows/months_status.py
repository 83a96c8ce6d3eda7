"""`skladki status --db FILE [--period RRRR-MM] [--out DIR]`: the state of every unit's closed
month (RULES.md §13, docs/months.md) — a draft (*projekt*), approved (*zatwierdzony*, by whom,
when and how) or incomplete (*niekompletny*, with what is missing) — for every closed month of
the database, or only ``--period``. Nothing is written to the database; with ``--out`` the same
table as a workbook.

read (the ``unit_months`` rows) → compute (each month's state in Polish) → report (a workbook).
The Polish words are reports/months_status.py's.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

from flows import store
from flows.command import Command, ReadsDb, Run, option
from flows.files import require_database
from reports import months_status as report_text
from transforms import parsing
from transforms.errors import UserError


@dataclass(frozen=True, kw_only=True)
class StatusParams(ReadsDb):
    period: Optional[str] = option("tylko ten miesiąc, RRRR-MM (bez: wszystkie zamknięte miesiące)", None,
                                   check="period", title="Okres (RRRR-MM)",
                                   form="miesiąc w postaci RRRR-MM, np. 2026-10; puste: wszystkie zamknięte miesiące")


@dataclass(frozen=True)
class UnitMonth:
    """One unit's closed month as stored in ``unit_months``."""
    period: str
    unit_id: str
    name: str | None
    state: str                    # draft | approved (the stored code)
    incomplete: bool
    missing: tuple[str, ...]      # what is missing, one Polish line each (stored by the close)
    approved_by: str | None
    approved_at: datetime | None
    approved_via: str | None
    approval_reason: str | None
    closed_at: datetime | None    # when the close whose figures stand finished


@dataclass(frozen=True)
class StatusInputs:
    db: Path
    period: str | None
    months: tuple[UnitMonth, ...]


@dataclass(frozen=True)
class StatusResult:
    db: Path
    period: str | None
    months: tuple[UnitMonth, ...]
    states: tuple[str, ...]       # each month's state: approved, incomplete (a draft with something missing) or draft
    workbook: Path | None = None


def check(params: StatusParams) -> None:
    if params.period is not None:
        try:
            parsing.period(params.period)
        except ValueError as e:
            raise UserError("bad_option", name="--period", detail=str(e)) from None
    require_database(params.db)


def read(run: Run) -> StatusInputs:
    period = run.params.period
    where, given = ("WHERE period = ?", [period]) if period else ("", [])
    with store.read_only(run.params.db) as con:
        tables = store.table_names(con)
        if "unit_months" in tables:
            name = ("(SELECT arg_max(u.name, u.period) FROM units u WHERE u.unit_id = m.unit_id AND u.period <= m.period)"
                    if "units" in tables else "NULL")
            closed = ("(SELECT r.finished_at FROM runs r WHERE r.run_id = m.run_id)" if "runs" in tables else "NULL")
            rows = store.dicts(con, f"SELECT m.*, {name} AS name, {closed} AS closed_at FROM unit_months m "
                               f"{where} ORDER BY m.period, m.unit_id", given)
        elif "units" in tables:       # closed before months had states (issue 25): drafts, as approve adopts them
            rows = store.dicts(con, "SELECT period, unit_id, any_value(name) AS name, 'draft' AS state FROM units "
                               f"{where} GROUP BY ALL ORDER BY period, unit_id", given)
        else:
            rows = []
    if period is not None and not rows:
        raise UserError("no_close", db=run.params.db, period=period)
    return StatusInputs(run.params.db, period, tuple(UnitMonth(
        period=r["period"], unit_id=r["unit_id"], name=r.get("name"), state=r["state"],
        incomplete=bool(r.get("incomplete")), missing=tuple((r.get("missing") or "").splitlines()),
        approved_by=r.get("approved_by"), approved_at=r.get("approved_at"), approved_via=r.get("approved_via"),
        approval_reason=r.get("approval_reason"), closed_at=r.get("closed_at")) for r in rows))


def compute(run: Run, inputs: StatusInputs) -> StatusResult:
    """An approved month is approved (also one approved despite what it lacks: the reason is shown);
    a draft is incomplete when the close found something missing, a plain draft otherwise."""
    return StatusResult(inputs.db, inputs.period, inputs.months, tuple(
        "approved" if m.state == "approved" else "incomplete" if m.incomplete else "draft" for m in inputs.months))


def report(run: Run, result: StatusResult) -> StatusResult | None:
    if run.params.out is None:
        return None
    relative = report_text.workbook_name(result.period)
    report_text.write_workbook(result, run.output(relative))
    return dataclasses.replace(result, workbook=Path(run.params.out) / relative)


MONTHS_STATUS = Command(
    name="status", flow_name="months-status", params=StatusParams, engine="plain",
    help="Stan miesięcy: dla każdej jednostki i zamkniętego miesiąca projekt, zatwierdzony (kto i kiedy) "
         "albo niekompletny (czego brakuje).",
    check=check, read=read, compute=compute, report=report,
    summary=lambda run, result: report_text.summary(result),
    table=lambda run, result: ("Stan miesięcy jednostek", report_text.table_rows(result)),
    run_name=lambda p: f"stan miesięcy {p.get('period') or 'wszystkich'}")
