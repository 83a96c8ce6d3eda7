"""`skladki salary-caps`: officers' pay checked against the caps of 004 §7–§8, as a Prefect flow.

read -> compute -> store -> report. Tasks wrap the plain functions here; logic is in
``transforms.salary_caps``.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace


from flows import settings
from flows.db import read_only, table_names, write_transaction
from flows.inbox import InboxError, read_table
from transforms.money import grosze, pln
from transforms.salary_caps import (CapRow, cap_rules_from_rulebook, previous_quarter, salary_caps,
                                    stage_officers)

REFERENCE_QUARTERLY = settings.DATA / "reference" / "gus_enterprise_wage_quarterly_with_profit.csv"


@dataclass
class CapsInputs:
    period: str
    quarter: str
    average_wage: int
    wage_source: str
    officers: list
    exceptions: list[dict] = field(default_factory=list)
    verified_members: dict = field(default_factory=dict)


@dataclass
class CapsOutcome:
    period: str
    ok: bool
    message: str = ""
    rows: list[CapRow] = field(default_factory=list)
    inputs: CapsInputs | None = None
    workbook: Path | None = None


def quarterly_wages(extra: Path | None) -> dict[str, tuple[int, str]]:
    """Shipped GUS quarters plus the user's file; a quarter given twice with two amounts is an error."""
    out: dict[str, tuple[int, str]] = {}
    for path in [REFERENCE_QUARTERLY] + ([extra] if extra else []):
        try:
            with path.open(encoding="utf-8", newline="") as f:
                for i, r in enumerate(csv.DictReader(f), start=1):
                    q, amount = (r.get("quarter") or "").strip(), (r.get("amount_pln") or "").strip()
                    try:
                        value = grosze(amount)
                    except ValueError:
                        raise InboxError(f"{path.name} row {i}: amount_pln {amount!r} is not an amount") from None
                    src = f"{(r.get('source') or '').strip()} [{path.name}]"
                    if q in out and out[q][0] != value:
                        raise InboxError(f"{path.name} row {i}: {q} is {pln(value)} here but "
                                         f"{pln(out[q][0])} in {out[q][1]}; keep one figure")
                    out.setdefault(q, (value, src))
        except OSError as e:
            raise InboxError(f"{path}: cannot be read ({e.strerror})") from None
    return out


def verified_members(db: Path, period: str) -> dict[tuple[str, str], int]:
    """Recognised members per region from the latest stored delegate verification up to ``period``."""
    if not db.exists():
        return {}
    with read_only(db) as con:
        if "delegate_verification" not in table_names(con):
            return {}
        rows = con.execute("""
            SELECT region_id, sum(recognised_members) FROM delegate_verification v
            WHERE paid_in = (SELECT max(paid_in) FROM delegate_verification w
                             WHERE w.region_id = v.region_id AND w.paid_in <= ?)
            GROUP BY region_id""", [period]).fetchall()
        return {("region", r): int(n) for r, n in rows}


def read_inputs(period: str, officers: Path, db: Path, wages: Path | None) -> CapsInputs | InboxError:
    try:
        quarter = previous_quarter(period)
        table = quarterly_wages(wages)
        if quarter not in table:
            raise InboxError(
                f"the GUS average wage for {quarter} (the quarter before {period}) is missing from "
                f"{REFERENCE_QUARTERLY.name}{' and ' + wages.name if wages else ''}; add it with "
                "--wages FILE (columns quarter,amount_pln,source) as announced in Monitor Polski")
        frame = read_table(officers, "officers")
    except InboxError as e:
        return e
    staged, exc = stage_officers(frame.to_dicts(), officers.name, period)
    a, src = table[quarter]
    return CapsInputs(period, quarter, a, src, staged, exc, verified_members(db, period))


def compute(inputs: CapsInputs) -> tuple[list[CapRow], list[dict]]:
    text = (settings.RULEBOOKS / "solidarnosc.toml").read_text(encoding="utf-8")
    rules = cap_rules_from_rulebook(text, inputs.period)
    rows, missing = salary_caps(inputs.officers, rules, inputs.average_wage, inputs.verified_members)
    exc = inputs.exceptions + [
        {"period": inputs.period, "source": "officers", "row": m["row"], "person_id": m["person_id"],
         "reason_code": "bad_officer", "message": m["message"]} for m in missing]
    return rows, exc


DDL = [
    """CREATE TABLE IF NOT EXISTS salary_caps (period VARCHAR, person_id VARCHAR, body_kind VARCHAR,
       body_id VARCHAR, function VARCHAR, quarter_used VARCHAR, average_wage DECIMAL(18,2),
       cap_basis VARCHAR, cap DECIMAL(18,2), fte DECIMAL(6,4), salary DECIMAL(18,2),
       excess DECIMAL(18,2), full_time_cap DECIMAL(18,2), flagged BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS salary_cap_exceptions (period VARCHAR, source VARCHAR, "row" BIGINT,
       person_id VARCHAR, reason_code VARCHAR, message VARCHAR)""",
]


def store(db: Path, inputs: CapsInputs, rows: list[CapRow], exc: list[dict]) -> None:
    """One transaction; a re-run replaces the period."""
    from decimal import Decimal
    from transforms.money import to_decimal
    from transforms.salary_caps import fte_text
    with write_transaction(db, DDL) as con:
        con.execute("DELETE FROM salary_caps WHERE period = ?", [inputs.period])
        con.execute("DELETE FROM salary_cap_exceptions WHERE period = ?", [inputs.period])
        con.executemany("INSERT INTO salary_caps VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
            [inputs.period, r.person_id, r.body_kind, r.body_id, r.function, inputs.quarter,
             to_decimal(inputs.average_wage), r.cap_basis, to_decimal(r.cap), Decimal(fte_text(r.fte)),
             to_decimal(r.salary), None if r.excess is None else to_decimal(r.excess),
             to_decimal(r.full_time_cap), r.flagged] for r in rows])
        if exc:
            con.executemany("INSERT INTO salary_cap_exceptions VALUES (?,?,?,?,?,?)",
                            [[e["period"], e["source"], e["row"], e["person_id"], e["reason_code"],
                              e["message"]] for e in exc])


def report(db: Path, period: str, names: dict[str, str], out: Path | None) -> Path | None:
    if out is None:
        return None
    from reports.salary_caps import write_salary_caps_workbook
    with read_only(db) as con:
        return write_salary_caps_workbook(con, period, names, out / f"limity_wynagrodzen_{period}.xlsx")


def run_steps(period: str, officers: Path, db: Path, out: Path | None, wages: Path | None,
              step) -> CapsOutcome:
    inputs = step.read_inputs(period, officers, db, wages)
    if isinstance(inputs, InboxError):
        return CapsOutcome(period, False, str(inputs))
    rows, exc = step.compute(inputs)
    step.store(db, inputs, rows, exc)
    names = {o.person_id: o.full_name for o in inputs.officers}
    workbook = step.report(db, period, names, out)
    return CapsOutcome(period, True, "", rows, inputs, workbook)


PLAIN = SimpleNamespace(read_inputs=read_inputs, compute=compute, store=store, report=report)


def run_plain(period: str, officers: Path, db: Path, out: Path | None = None,
              wages: Path | None = None) -> CapsOutcome:
    return run_steps(period, officers, db, out, wages, PLAIN)


def salary_caps_flow(period: str, officers: Path, db: Path, out: Path | None = None,
                     wages: Path | None = None) -> CapsOutcome:
    """Run as a Prefect flow (built on first use so plain runs never import Prefect)."""
    from prefect import flow
    from flows.orchestration import tasks_of
    tasks = tasks_of(PLAIN)

    @flow(name="salary-caps")
    def salary_caps_check(period: str, officers: Path, db: Path, out: Path | None = None,
                          wages: Path | None = None) -> CapsOutcome:
        """Officers' pay against the caps of 004 §7–§8 for one payroll month."""
        return run_steps(period, officers, db, out, wages, tasks)

    return salary_caps_check(period, officers, db, out, wages)


def summary_text(outcome: CapsOutcome) -> str:
    inp = outcome.inputs
    over = [r for r in outcome.rows if r.excess]
    lines = [f"Salary caps {outcome.period}: A = {pln(inp.average_wage)} zł ({inp.quarter}; {inp.wage_source})",
             f"  officers' functions checked: {sum(1 for r in outcome.rows if r.function != 'total')}, "
             f"people with several functions: {sum(1 for r in outcome.rows if r.function == 'total')}",
             f"  above the cap: {len(over)}" + ("" if not over else " — " + ", ".join(
                 f"{r.person_id} {r.function} +{pln(r.excess)} zł" for r in over)),
             f"  cap based on the chair's cap (chair not employed / salary unknown): "
             f"{sum(1 for r in outcome.rows if r.flagged and r.function != 'total')}",
             f"  exceptions: {len(inp.exceptions)}"]
    if outcome.workbook:
        lines.append(f"  workbook: {outcome.workbook}")
    return "\n".join(lines)
