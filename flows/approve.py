"""`skladki approve --period P --db FILE (--unit ID ... | --all) --by WHO [--force --reason TEXT]
[--out DIR] [--members FILE]` (RULES.md §13): a unit's closed month, a draft until now, becomes
approved — who approved it and when are stored, and from then on a re-close keeps it and carries
any difference into the next month as a correction. An incomplete month is refused unless
``--force`` with a ``--reason`` (stored). With ``--out`` the approved units' documents are made
again (the settlement PDF then says who approved it and when).

read (the units' months) → store (approve, in one transaction) → report (documents).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import polars as pl

from flows import months, settings, store
from flows.rules import rules_for
from flows.command import CLOSED_DB, Command, MEMBERS, OUT, Params, Run, legacy, legacy_view, option
from flows.documents import NAMES
from flows.files import require_database, require_file
from flows.inbox import read_table
from reports import close as close_reports
from transforms.errors import UserError
from transforms.staging import is_period

@dataclass(frozen=True, kw_only=True)
class ApproveParams(Params):
    period: str = option("zatwierdzany miesiąc, RRRR-MM", title="Okres (RRRR-MM)", check="period",
                         form="zatwierdzany miesiąc w postaci RRRR-MM, np. 2026-10")
    db: Path = option("plik bazy DuckDB z zamkniętym miesiącem", **CLOSED_DB)
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
    out: Optional[Path] = option("folder na dokumenty zatwierdzonych jednostek", None, **OUT)
    members: Optional[Path] = option("members.csv jednostki (imiona i nazwiska w dokumentach)", None, **MEMBERS)
    via: Optional[str] = option("skąd zatwierdzono", None, cli=False, flow=False)


def check(params: dict) -> None:
    if not is_period(str(params["period"])):
        raise UserError("bad_option", name="--period", detail=f"'{params['period']}' to nie okres RRRR-MM")
    if not params.get("units") and not params.get("all"):
        raise UserError("approve_needs_units")
    if not str(params.get("by") or "").strip():
        raise UserError("approve_needs_who")
    if params.get("force") and not str(params.get("reason") or "").strip():
        raise UserError("approve_needs_reason")
    require_database(params["db"])
    if params.get("members"):
        require_file(params["members"], "member_id, full_name")


def approve(run: Run) -> None:
    con = run.database()
    period = run.period
    months.adopt_earlier_closes(con)
    known = {}
    if "unit_months" in store.table_names(con):
        known = {r["unit_id"]: r for r in store.dicts(
            con, "SELECT unit_id, state, incomplete, missing FROM unit_months WHERE period = ? ORDER BY unit_id",
            [period])}
    wanted = sorted(set(run.params.get("units") or [])) or sorted(known)
    unknown = [u for u in wanted if u not in known]
    if unknown or not wanted:
        raise UserError("nothing_to_approve", db=run.db, period=period, units=", ".join(unknown) or "—")
    already = [u for u in wanted if known[u]["state"] == "approved"]
    todo = [u for u in wanted if u not in already]
    incomplete = [u for u in todo if known[u]["incomplete"]]
    if incomplete and not run.params.get("force"):
        raise UserError("approve_incomplete", period=period, missing="; ".join(
            f"{u}: {known[u]['missing'].replace(chr(10), '; ')}" for u in incomplete))
    if todo:
        by = str(run.by).strip()
        reason = str(run.params.get("reason") or "").strip() or None
        via = run.params.get("via") or "polecenie skladki approve"      # the UI's run form: "Prefect"
        months.approve(con, period, todo, by, via, reason if incomplete else None)
    run.state.update(approved=todo, already=already, incomplete=incomplete, units=wanted)


def report(run: Run) -> None:
    if not run.params.get("out") or not run.state["approved"]:
        return
    names = pl.DataFrame(schema=NAMES)
    if run.params.get("members"):
        m = read_table(Path(run.members), "members")
        names = (m.sort("joined_on", nulls_last=False).unique("member_id", keep="last", maintain_order=True)
                 .select("member_id", "unit_id", "full_name").cast(NAMES))
    run.state["written"] = close_reports.write_unit_workbooks(
        run.database(), rules_for(run.period), names, lambda name: run.output(f"jednostki/{name}"),
        settings.DATA / "fonts", run.progress, only=run.state["approved"])


def summary_text(run) -> str:
    s = run.state
    lines = [f"Zatwierdzenie {run.period} ({run.by}):"]
    if s["approved"]:
        lines.append(f"  zatwierdzono: {', '.join(s['approved'])}")
    if s["incomplete"]:
        lines.append(f"  mimo braków ({', '.join(s['incomplete'])}), powód: {run.params.get('reason')}")
    if s["already"]:
        lines.append(f"  już wcześniej zatwierdzone (bez zmian): {', '.join(s['already'])}")
    if s.get("written"):
        lines.append(f"  dokumenty zatwierdzonych jednostek: {s['written']} w {Path(run.out) / 'jednostki'}")
    lines.append("  ponowne zamknięcie go nie zmieni:")
    lines.append("  różnice trafią do następnego miesiąca jako korekta")
    return "\n".join(lines)


APPROVE = Command(
    params=ApproveParams, help='Zatwierdzenie miesiąca jednostki: projekt staje się rozliczeniem; późniejsze zmiany idą jako korekta.',
    run_name=lambda p: f"zatwierdzenie {p.get('period')}", flow_function="approve_month", engine="plain", flow_values={"via": "Prefect"},
    name="approve", flow_name="approve-month", check=check, summary=legacy_view(summary_text),
                  legacy_steps=(legacy("approve", approve), legacy("report", report, retries=2)))
