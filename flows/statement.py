"""`skladki statement --year YYYY --db FILE --out DIR [--members FILE]`: each member's yearly
statement of union dues received (for the PIT return, RULES.md §12), from the stored member
ledger: a workbook per unit (a row per member) and a PDF per unit with one page per member.
Names only with --members (the unit's own members.csv); otherwise member numbers.

read (the ledger of the year, the limit in force) → compute (transforms.statement) → report.
"""
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import polars as pl

from flows import settings, store
from flows.files import require_database, require_file
from flows.command import Command, MEMBERS, NEEDED_OUT, ReadsDb, Run, option
from flows.inbox import read_table
from reports import statement as statement_reports
from transforms import parsing
from transforms.errors import UserError
from transforms.money import sql_grosze
from transforms.statement import Limit, limit_for, load_limits, yearly

LIMITS = settings.REFERENCE / "pit_union_dues.toml"

@dataclass(frozen=True, kw_only=True)
class StatementParams(ReadsDb):
    year: str = option("rok podatkowy, RRRR", title="Rok podatkowy (RRRR)", check="year",
                       form="rok zaświadczeń, np. 2026")
    out: Path = option("folder na skoroszyty i PDF", **NEEDED_OUT)
    members: Optional[Path] = option("members.csv jednostki (imiona i nazwiska na zaświadczeniach; bez niego "
                                     "numery członków)", None, **MEMBERS)



def check(params: StatementParams) -> None:
    try:
        parsing.year(params.year)        # ASCII digits only: '２０２６' named a folder (issue 27)
    except ValueError as e:
        raise UserError("bad_option", name="--year", detail=str(e)) from None
    require_database(params.db)
    if params.members:
        require_file(params.members, "member_id, full_name")


@dataclass(frozen=True)
class StatementInputs:
    ledger: pl.DataFrame                    # the year's member ledger: received per member and month
    units: dict[str, str]                   # unit -> its name
    names: dict[str, str]                   # member -> full name (--members), else empty
    limit: Limit | None                     # the year's limit of the deduction


@dataclass(frozen=True)
class StatementResult:
    rows: pl.DataFrame                      # a row per member and unit (transforms.statement.yearly)
    units: dict[str, str]
    names: dict[str, str]
    limit: Limit | None
    files: int = 0                          # the files written (report)


def read(run: Run) -> StatementInputs:
    p = run.params
    year = int(p.year)  # checked: four digits
    run.progress(f"[1/3] konta członków {year}")
    with store.read_only(Path(p.db)) as con:
        if "member_ledger" not in store.table_names(con):
            raise UserError("no_ledger", db=p.db, year=year)
        g = sql_grosze
        ledger = pl.DataFrame(con.execute(
            f"SELECT period, unit_id, member_id, {g('received')}, basis FROM member_ledger "
            "WHERE period LIKE ? ORDER BY period", [f"{year}-%"]).fetchall(),
            schema={"period": pl.String, "unit_id": pl.String, "member_id": pl.String, "received": pl.Int64,
                    "basis": pl.String}, orient="row")
        units = dict(con.execute("SELECT unit_id, arg_max(name, period) FROM units "
                                 "WHERE period LIKE ? GROUP BY 1", [f"{year}-%"]).fetchall())
    if ledger.height == 0:
        raise UserError("no_ledger", db=p.db, year=year)
    names = {}
    if p.members:
        m = read_table(Path(p.members), "members")
        names = {k: v for k, v in zip(m["member_id"], m["full_name"]) if k and v}
    return StatementInputs(ledger=ledger, units=units, names=names, limit=limit_for(year, load_limits(LIMITS)))


def compute(run: Run, inputs: StatementInputs) -> StatementResult:
    run.progress("[2/3] zestawienia")
    return StatementResult(rows=yearly(inputs.ledger, int(run.params.year), inputs.limit), units=inputs.units,
                           names=inputs.names, limit=inputs.limit)


def report(run: Run, res: StatementResult) -> StatementResult:
    run.progress("[3/3] skoroszyty i PDF")
    files = statement_reports.write(res.rows, int(run.params.year), res.limit, res.names, res.units, run.output,
                                    settings.DATA / "fonts")
    return dataclasses.replace(res, files=files)


def summary(run: Run, res: StatementResult) -> str:
    return statement_reports.summary_text(res.rows, res.limit, res.files, run.params.year, Path(run.params.out))


STATEMENT = Command(
    params=StatementParams, help='Roczne zaświadczenia o składkach członkowskich (do odliczenia w PIT) z kont członków.',
    run_name=lambda p: f"zaświadczenia PIT {p.get('year')}", flow_function="pit_statement",
    name="statement", flow_name="pit-statement", check=check, summary=summary,
    read=read, compute=compute, report=report)
