"""`skladki salary-caps`: officers' pay checked against the caps of 004 §7–§8 (RULES.md §9).

read (officers.csv, GUS quarterly wages, the verified member counts stored by verify-delegates)
→ compute (transforms.salary_caps: the officers' rows staged, then their caps) → store → report.
"""
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import polars as pl

from flows import settings, store
from flows.command import Command, Run, WritesDb, last_month, option, titled
from flows.files import check_input
from flows.rules import rules_for
from flows.inbox import read_table
from reports import salary_caps as caps_reports
from schemas.tables import TABLES
from transforms.errors import UserError, issues_frame
from transforms.money import format_pl, parse_amount
from transforms.salary_caps import CapRules, cap_rules, fte_text, previous_quarter, salary_caps, stage_officers
from transforms.staging import is_period

REFERENCE_QUARTERLY = settings.REFERENCE / "gus_enterprise_wage_quarterly_with_profit.csv"

@dataclass(frozen=True, kw_only=True)
class SalaryCapsParams(WritesDb):
    period: str = last_month("miesiąc wypłaty, RRRR-MM", title="Miesiąc wypłaty (RRRR-MM)")
    officers: Path = option("officers.csv albo .xlsx", title="Wynagrodzenia funkcyjnych (officers.csv albo .xlsx)",
                            form="pełna ścieżka pliku z wynagrodzeniami wybieralnych funkcyjnych")
    wages: Optional[Path] = option("CSV nowszych kwartałów GUS (quarter,amount_pln,source)", None,
                                   title="Nowsze kwartały GUS (CSV)",
                                   form="pełna ścieżka CSV: quarter, amount_pln, source; puste: dane dołączone")



def quarterly_wages(extra: Path | None) -> dict[str, tuple[int, str]]:
    """Shipped GUS quarters plus the user's file; a quarter given twice with two amounts is an error."""
    out: dict[str, tuple[int, str]] = {}
    for path in [REFERENCE_QUARTERLY] + ([check_input(extra)] if extra else []):
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                for i, r in enumerate(csv.DictReader(f), start=1):
                    q, amount = (r.get("quarter") or "").strip(), (r.get("amount_pln") or "").strip()
                    value = parse_amount(amount)
                    if value is None:
                        raise UserError("wage_amount_bad", file=path.name, row=i, value=amount)
                    src = f"{(r.get('source') or '').strip()} [{path.name}]"
                    if q in out and out[q][0] != value:
                        raise UserError("wage_conflict", file=path.name, row=i, quarter=q, amount=format_pl(value),
                                        other_source=out[q][1], other_amount=format_pl(out[q][0]))
                    out.setdefault(q, (value, src))
        except OSError as e:
            raise UserError("unreadable", name=str(path), detail=e.strerror) from None
    return out


def verified_members(db: Path, period: str, body: str) -> dict[tuple[str, str], int]:
    """Recognised members per region from the latest stored delegate verification up to ``period``."""
    if not db.exists():
        return {}
    with store.read_only(db) as con:
        if "delegate_verification" not in store.table_names(con):
            return {}
        rows = con.execute("""
            SELECT region_id, sum(recognised_members) FROM delegate_verification v
            WHERE paid_in = (SELECT max(paid_in) FROM delegate_verification w
                             WHERE w.region_id = v.region_id AND w.paid_in <= ?)
            GROUP BY region_id""", [period]).fetchall()
        return {(body, r): int(n) for r, n in rows}


def check(params: SalaryCapsParams) -> None:
    if not is_period(params.period):
        raise UserError("bad_option", name="--period", detail=f"'{params.period}' to nie okres RRRR-MM")
    if not Path(params.officers).exists():
        raise UserError("missing_file", name=str(params.officers), folder=Path(params.officers).parent,
                        columns="person_id, body_kind, body_id, function, fte, monthly_salary")


@dataclass(frozen=True)
class SalaryCapsInputs:
    caps: CapRules                          # the salary caps of the rulebook in force
    quarter: str                            # the GUS quarter the caps are counted from
    wage: tuple[int, str]                   # its average wage A (grosze) and source
    officers: list[dict]                    # officers.csv's rows, as read
    verified: dict[tuple[str, str], int]    # recognised members by verify-delegates


@dataclass(frozen=True)
class SalaryCapsResult:
    caps: CapRules
    quarter: str
    wage: tuple[int, str]
    rows: list                              # transforms.salary_caps' rows: each function, each person's total
    issues: list


def read(run: Run) -> SalaryCapsInputs:
    p = run.params
    rules = rules_for(p.period)
    caps = cap_rules(rules.version(rules.default))
    quarter = previous_quarter(p.period)
    table = quarterly_wages(p.wages)
    if quarter not in table:
        raise UserError("quarter_missing", quarter=quarter, period=p.period,
                        files=REFERENCE_QUARTERLY.name + (f" i {Path(p.wages).name}" if p.wages else ""))
    return SalaryCapsInputs(caps=caps, quarter=quarter, wage=table[quarter],
                            officers=read_table(Path(p.officers), "officers").to_dicts(),
                            verified=verified_members(Path(p.db), p.period, caps.verified_body))


def compute(run: Run, inputs: SalaryCapsInputs) -> SalaryCapsResult:
    """The officers' rows staged (each row checked), then their caps (transforms.salary_caps)."""
    source, period = Path(run.params.officers).name, run.params.period
    officers, issues = stage_officers(inputs.officers, source, period, inputs.caps)
    rows, missing = salary_caps(officers, inputs.caps, inputs.wage[0], inputs.verified, source, period)
    return SalaryCapsResult(caps=inputs.caps, quarter=inputs.quarter, wage=inputs.wage, rows=rows,
                            issues=issues + missing)


def save(run: Run, res: SalaryCapsResult) -> None:
    con, period = run.database(), run.params.period
    rows = [{"period": period, "person_id": r.person_id, "body_kind": r.body_kind, "body_id": r.body_id,
             "function": r.function, "quarter_used": res.quarter, "average_wage": res.wage[0],
             "cap_basis": r.cap_basis, "cap": r.cap, "fte": fte_text(r.fte), "salary": r.salary, "excess": r.excess,
             "full_time_cap": r.full_time_cap, "flagged": r.flagged} for r in res.rows]
    store.write(con, "salary_caps", TABLES["salary_caps"].frame(rows), period=period)
    store.write(con, "salary_cap_exceptions", issues_frame(res.issues).with_columns(
        period=pl.lit(period)), period=period)


def report(run: Run, res: SalaryCapsResult) -> None:
    if not run.params.out:
        return
    period = run.params.period
    caps_reports.write_salary_caps_workbook(run.database(), period, res.caps,
                                            run.output(f"limity_wynagrodzen_{period}.xlsx"))


def summary(run: Run, res: SalaryCapsResult) -> str:
    return caps_reports.summary_text(res, run.params.period, run.workbook)


SALARY_CAPS = Command(
    params=SalaryCapsParams, help='Wynagrodzenia wybieralnych funkcyjnych wobec limitów uchwały finansowej związku (RULES.md §9).',
    run_name=titled("limity wynagrodzeń", "officers"),
    name="salary-caps", flow_name="salary-caps", check=check, summary=summary,
    read=read, compute=compute, store=save, report=report)
