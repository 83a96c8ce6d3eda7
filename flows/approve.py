"""`skladki approve --period P --db FILE (--unit ID ... | --all) --by WHO [--force --reason TEXT]
[--out DIR] [--members FILE]` (RULES.md §13): a unit's closed month, a draft until now, becomes
approved — who approved it and when are stored, and from then on a re-close keeps it and carries
any difference into the next month as a correction. An incomplete month is refused unless
``--force`` with a ``--reason`` (stored). With ``--out`` the approved units' documents are made
again (the settlement PDF then says who approved it and when).

read (the units' months) → compute (what is approved, or why not) → store (approve, in one
transaction) → report (documents).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from flows import months, settings, settlement_out, store
from flows.rules import rules_for
from flows.command import Command, MEMBERS, ReadsDb, Run, option
from flows.documents import unit_names
from flows.files import require_database, require_file
from reports import close as close_reports
from transforms.errors import UserError
from transforms.staging import is_period

@dataclass(frozen=True, kw_only=True)
class ApproveParams(ReadsDb):
    period: str = option("zatwierdzany miesiąc, RRRR-MM", title="Okres (RRRR-MM)", check="period",
                         form="zatwierdzany miesiąc w postaci RRRR-MM, np. 2026-10")
    units: Optional[list[str]] = option("zatwierdzana jednostka (można podać kilka razy)", None, flag="--unit",
                                        title="Jednostki",
                                        form="zatwierdzane jednostki; puste: podaj „Wszystkie jednostki”")
    all: bool = option("wszystkie jednostki zamknięte za ten miesiąc", False, title="Wszystkie jednostki")
    by: str = option("kto zatwierdza (imię i nazwisko albo funkcja), zapisywane w bazie", "",
                     title="Kto zatwierdza", form="imię i nazwisko albo funkcja; zapisywane przy zatwierdzeniu",
                     form_required=True)
    force: bool = option("zatwierdź mimo braków (wymaga --reason)", False, title="Mimo braków",
                         form="zatwierdź niekompletny miesiąc (wymaga powodu)")
    reason: Optional[str] = option("powód zatwierdzenia niekompletnego miesiąca", None, title="Powód",
                                   form="dlaczego niekompletny miesiąc jest zatwierdzany")
    members: Optional[Path] = option("members.csv jednostki (imiona i nazwiska w dokumentach)", None, **MEMBERS)
    via: Optional[str] = option("skąd zatwierdzono", None, cli=False, flow=False)


@dataclass(frozen=True)
class ApproveInputs:
    months: dict[str, dict]         # unit_id -> its state, incomplete, missing for the period


@dataclass(frozen=True)
class ApproveResult:
    units: list[str]                # the units asked for
    approved: list[str]             # approved now
    already: list[str]              # approved before (unchanged)
    incomplete: list[str]           # approved now although incomplete (--force)
    written: int = 0                # units whose documents were written (--out)
    files: int = 0                  # settlement files written (--out; issue 29)


def check(params: ApproveParams) -> None:
    if not is_period(str(params.period)):
        raise UserError("bad_option", name="--period", detail=f"'{params.period}' to nie okres RRRR-MM")
    if not params.units and not params.all:
        raise UserError("approve_needs_units")
    if not str(params.by or "").strip():
        raise UserError("approve_needs_who")
    if params.force and not str(params.reason or "").strip():
        raise UserError("approve_needs_reason")
    require_database(params.db)
    if params.members:
        require_file(params.members, "member_id, full_name")


def read(run: Run) -> ApproveInputs:
    """The units' months of the period, in the run's transaction (months closed before units'
    months had states adopted first)."""
    con = run.database()
    months.adopt_earlier_closes(con)
    known = {}
    if "unit_months" in store.table_names(con):
        known = {r["unit_id"]: r for r in store.dicts(
            con, "SELECT unit_id, state, incomplete, missing FROM unit_months WHERE period = ? ORDER BY unit_id",
            [run.params.period])}
    return ApproveInputs(known)


def compute(run: Run, inputs: ApproveInputs) -> ApproveResult:
    """Which of the units asked for are approved now, which were before; an incomplete month
    refused without --force."""
    p, known = run.params, inputs.months
    wanted = sorted(set(p.units or [])) or sorted(known)
    unknown = [u for u in wanted if u not in known]
    if unknown or not wanted:
        raise UserError("nothing_to_approve", db=p.db, period=p.period, units=", ".join(unknown) or "—")
    already = [u for u in wanted if known[u]["state"] == "approved"]
    todo = [u for u in wanted if u not in already]
    incomplete = [u for u in todo if known[u]["incomplete"]]
    if incomplete and not p.force:
        raise UserError("approve_incomplete", period=p.period, missing="; ".join(
            f"{u}: {known[u]['missing'].replace(chr(10), '; ')}" for u in incomplete))
    return ApproveResult(units=wanted, approved=todo, already=already, incomplete=incomplete)


def save(run: Run, result: ApproveResult) -> None:
    if not result.approved:
        return
    p = run.params
    by = str(p.by).strip()
    reason = str(p.reason or "").strip() or None
    via = p.via or "polecenie skladki approve"      # the UI's run form: "Prefect"
    months.approve(run.database(), p.period, result.approved, by, via, reason if result.incomplete else None)


def report(run: Run, result: ApproveResult) -> ApproveResult | None:
    p = run.params
    if not p.out or not result.approved:
        return None
    rules = rules_for(p.period)
    written = close_reports.write_unit_workbooks(
        run.database(), rules, unit_names(p.members), lambda name: run.output(f"jednostki/{name}"),
        settings.DATA / "fonts", run.progress, only=result.approved)
    # the settlement file the unit sends to its region, beside its PDF (issue 29)
    files = settlement_out.write_files(run.database(), p.period, result.approved, rules,
                                       lambda name: run.output(f"jednostki/{name}"))
    return replace(result, written=written, files=files)


def summary(run: Run, result: ApproveResult) -> str:
    p = run.params
    lines = [f"Zatwierdzenie {p.period} ({p.by}):"]
    if result.approved:
        lines.append(f"  zatwierdzono: {', '.join(result.approved)}")
    if result.incomplete:
        lines.append(f"  mimo braków ({', '.join(result.incomplete)}), powód: {p.reason}")
    if result.already:
        lines.append(f"  już wcześniej zatwierdzone (bez zmian): {', '.join(result.already)}")
    if result.written:
        lines.append(f"  dokumenty zatwierdzonych jednostek: {result.written} w {Path(p.out) / 'jednostki'}")
    if result.files:
        lines.append(f"  pliki rozliczenia dla regionu (rozliczenie_…_vN.json): {result.files}")
    lines.append("  ponowne zamknięcie go nie zmieni:")
    lines.append("  różnice trafią do następnego miesiąca jako korekta")
    return "\n".join(lines)


APPROVE = Command(
    params=ApproveParams, help='Zatwierdzenie miesiąca jednostki: projekt staje się rozliczeniem; późniejsze zmiany idą jako korekta.',
    run_name=lambda p: f"zatwierdzenie {p.get('period')}", flow_function="approve_month", engine="plain", flow_values={"via": "Prefect"},
    name="approve", flow_name="approve-month", check=check, read=read, compute=compute, store=save, report=report,
    summary=summary)
