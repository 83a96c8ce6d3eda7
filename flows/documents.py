"""`skladki documents --period P --db FILE --out DIR [--unit ID ...] [--members FILE]` (issue 15): the
unit treasurers' documents of a closed month made on demand from the stored close — the unit
workbook (settlement, summary, members' dues, exceptions) and the one-page settlement PDF — so a
national close (`--no-unit-workbooks`) writes none and a unit asks for its own. Names only with the
unit's own members.csv (--members); otherwise member numbers.

read (the stored close, the rulebooks in force) → report (reports.close.write_unit_workbooks).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import polars as pl

from flows import settings, settlement_out, store
from flows.rules import rules_for
from flows.files import require_database, require_file
from flows.command import Command, MEMBERS, NEEDED_OUT, ReadsDb, Run, option
from flows.inbox import read_table
from reports import close as close_reports
from transforms.errors import UserError
from transforms.rulebook import Rules
from transforms.staging import is_period

NAMES = {"member_id": pl.String, "unit_id": pl.String, "full_name": pl.String}

@dataclass(frozen=True, kw_only=True)
class DocumentsParams(ReadsDb):
    period: str = option("zamknięty miesiąc, RRRR-MM", title="Okres (RRRR-MM)", check="period",
                         form="zamknięty miesiąc w postaci RRRR-MM, np. 2026-10")
    out: Path = option("folder na dokumenty (podfolder jednostki/)", **NEEDED_OUT)
    units: Optional[list[str]] = option("jednostka (można podać kilka razy); bez niej wszystkie jednostki", None,
                                        flag="--unit", title="Jednostki",
                                        form="identyfikatory jednostek; puste: wszystkie")
    members: Optional[Path] = option("members.csv jednostki (imiona i nazwiska)", None, **MEMBERS)


@dataclass(frozen=True)
class DocumentsInputs:
    units: list[str] | None         # the units asked for; None: every unit of the close
    names: pl.DataFrame             # member_id, unit_id, full_name (empty without --members)
    rules: Rules
    known: int                      # the units of the stored close


@dataclass(frozen=True)
class DocumentsResult:
    written: int                    # units whose documents were written
    known: int
    named: bool                     # with the members' names
    seconds: float
    files: int = 0                  # settlement files of approved months written again (issue 29)


def check(params: DocumentsParams) -> None:
    if not is_period(str(params.period)):
        raise UserError("bad_option", name="--period", detail=f"'{params.period}' to nie okres RRRR-MM")
    require_database(params.db)
    if params.members:
        require_file(params.members, "member_id, full_name")


def unit_names(members: Path | None) -> pl.DataFrame:
    """Members' names from a unit's members.csv, one row per member (the latest period of
    membership: members.csv may hold several); empty without one."""
    if not members:
        return pl.DataFrame(schema=NAMES)
    m = read_table(Path(members), "members")
    return (m.sort("joined_on", nulls_last=False).unique("member_id", keep="last", maintain_order=True)
            .select("member_id", "unit_id", "full_name").cast(NAMES))


def read(run: Run) -> DocumentsInputs:
    p = run.params
    with store.read_only(p.db) as con:
        known = [u for (u,) in con.execute("SELECT unit_id FROM units WHERE period = ? ORDER BY 1",
                                           [p.period]).fetchall()] if "units" in store.table_names(con) else []
    if not known:
        raise UserError("no_close", db=p.db, period=p.period)
    wanted = list(p.units or [])
    unknown = [u for u in wanted if u not in known]
    if unknown:
        raise UserError("unknown_units", units=", ".join(unknown), period=p.period,
                        known=", ".join(known[:10]) + (" …" if len(known) > 10 else ""))
    return DocumentsInputs(units=wanted or None, names=unit_names(p.members), rules=rules_for(p.period),
                           known=len(known))


def report(run: Run, inputs: DocumentsInputs) -> DocumentsResult:
    t0 = time.perf_counter()
    with store.read_only(run.params.db) as con:
        written = close_reports.write_unit_workbooks(
            con, inputs.rules, inputs.names, lambda name: run.output(f"jednostki/{name}"), settings.DATA / "fonts",
            run.progress, only=inputs.units)
        approved = settlement_out.approved_units(con, run.params.period, inputs.units)
    files = 0
    if approved:        # an approved month's settlement file, the current version (a draft gets none)
        files = settlement_out.write_files(run.database(), run.params.period, approved, inputs.rules,
                                           lambda name: run.output(f"jednostki/{name}"))
    return DocumentsResult(written=written, known=inputs.known, named=bool(inputs.names.height),
                           seconds=time.perf_counter() - t0, files=files)


def summary(run: Run, result: DocumentsResult) -> str:
    n = result.written
    per = result.seconds / n if n else 0
    return (f"Dokumenty jednostek za {run.params.period}: {n} z {result.known} jednostek (skoroszyt i rozliczenie "
            f"PDF), {result.seconds:.1f} s, {per * 1000:.0f} ms na jednostkę -> {run.params.out / 'jednostki'}"
            + ("" if result.named else "; bez imion i nazwisk (podaj --members z members.csv jednostki)")
            + (f"; pliki rozliczenia zatwierdzonych miesięcy (JSON): {result.files}" if result.files else ""))


DOCUMENTS = Command(
    params=DocumentsParams, help='Skoroszyt i rozliczenie PDF skarbnika jednostki z zapisanego zamknięcia, na żądanie.',
    run_name=lambda p: f"dokumenty jednostek {p.get('period')}", flow_function="unit_documents", engine="plain",
    name="documents", flow_name="unit-documents", check=check, read=read, report=report, summary=summary)
