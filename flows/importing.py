"""`skladki import --folder DIR --db FILE --region ID [--level national] [--out DIR]` (issue 29):
a region takes its units' settlement files (one per unit and month, written on approval by the
unit's own skladki) into its database; the national board (``--level national``) takes the
regions' files the same way.

read (every ``*.json`` of the folder, in name order, decoded once and checked against the
schema and its hash by transforms/settlement_file.py; the versions imported before; the
rulebooks in force for the files' months) → compute (transforms/importing.py: which files are
imported, which are the same file again, which are refused and why) → store (each imported
file into the tables a close writes — ``units``, ``allocations``, ``settlement``,
``corrections``, ``unit_months`` approved via "import <file>" — replacing that unit's month,
what it replaces kept in ``history``; then each touched month's ``transfers`` worked out again
by the close's ``retransfer``, from all stored settlements; ``settlement_files`` and
``import_exceptions``) → report (with ``--out`` a workbook; reports/importing.py).

A bad file is one Polish message naming it and what is wrong; every other file is still used.
The same folder imported twice changes nothing but the list of notices.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Optional

import polars as pl

from flows import months, store
from flows.close import keep_history, retransfer
from flows.command import Command, Run, WritesDb, option
from flows.rules import rules_for
from reports import importing as report_text
from schemas.tables import TABLES, UNIT_TABLES
from transforms import importing as logic
from transforms import settlement_file
from transforms.errors import Issue, UserError, issue
from transforms.polish import count_pl
from transforms.rulebook import Rules


@dataclass(frozen=True, kw_only=True)
class ImportParams(WritesDb):
    folder: Path = option("folder z plikami rozliczeń (*.json) jednostek albo regionów",
                          title="Folder z rozliczeniami",
                          form="pełna ścieżka folderu, do którego trafiają pliki rozliczeń (rozliczenie_*.json)")
    region: Optional[str] = option("identyfikator regionu tej bazy: importowane są tylko rozliczenia jego jednostek "
                                   "(na poziomie krajowym niepotrzebny)", None, title="Region",
                                   form="identyfikator regionu, np. GD; puste tylko na poziomie krajowym")
    level: str = option("poziom importu: region (rozliczenia jednostek) albo national (rozliczenia regionów, "
                        "organ krajowy związku)", "region", title="Poziom",
                        form="region: rozliczenia jednostek; national: rozliczenia regionów (organ krajowy związku)")


@dataclass(frozen=True)
class ImportInputs:
    files: list[logic.Read]
    imported: list[logic.Stored]                          # every version imported before
    stored: dict[tuple[str, str], dict[str, int]]          # (unit, period) in the database -> settlement per level
    rules: dict[str, Rules]                               # the files' months -> the rulebooks in force
    known: frozenset[tuple[str, str]] = frozenset()       # the files' units' months in the database


@dataclass(frozen=True)
class ImportResult:
    folder: Path
    plan: logic.Plan
    labels: dict[str, str]           # level code -> its Polish label (the summary's differences)
    workbook: Path | None = None
    regions: tuple[dict, ...] = ()   # the region's own row of ``regions`` per month, from its units' files


def check(params: ImportParams) -> None:
    if params.level not in logic.KINDS:
        raise UserError("bad_option", name="--level",
                        detail=f"'{params.level}' to nie poziom importu ({', '.join(logic.KINDS)})")
    if params.level == logic.REGION_LEVEL and not str(params.region or "").strip():
        raise UserError("bad_option", name="--region", detail="podaj identyfikator regionu tej bazy")
    if not Path(params.folder).is_dir():
        raise UserError("no_folder", path=params.folder, what="z rozliczeniami")


# ---- read

def read_file(path: Path) -> logic.Read:
    """One file of the folder, decoded once and checked (schema, hash) by settlement_file."""
    from flows.files import file_problem
    why = file_problem(path)
    try:
        if why:
            raise UserError("settlement_not_settlement", file=path.name, what=why)
        return logic.Read(path.name, settlement_file.read(path.read_bytes(), path.name))
    except UserError as e:
        return logic.Read(path.name, None, logic.refusal(e, path.name))


def read(run: Run) -> ImportInputs:
    p = run.params
    run.progress(f"[1/4] pliki rozliczeń z {p.folder}")
    files = [read_file(path) for path in sorted(Path(p.folder).glob("*.json"), key=lambda x: x.name)]
    docs = [f.doc for f in files if f.doc is not None]
    con = run.database()
    names = store.table_names(con)
    imported = []
    if "settlement_files" in names:
        imported = [logic.Stored(r["unit_id"], r["period"], int(r["version"]), r["sha256"], r["file_name"],
                                 r["superseded_by"])
                    for r in store.dicts(con, "SELECT unit_id, period, version, sha256, file_name, superseded_by "
                                              "FROM settlement_files WHERE kind = ? ORDER BY period, unit_id, version",
                                         [logic.KINDS[p.level]])]
    stored: dict[tuple[str, str], dict[str, int]] = {}
    keys = sorted({logic.key(d) for d in docs})
    if keys and "settlement" in names:
        for r in store.dicts(con, "SELECT unit_id, period, level, CAST(sum(amount) AS DECIMAL(18, 2)) AS amount "
                                  "FROM settlement WHERE list_contains(?, unit_id || '|' || period) GROUP BY ALL ORDER BY ALL",
                             [[f"{u}|{m}" for u, m in keys]]):
            stored.setdefault((r["unit_id"], r["period"]), {})[r["level"]] = int(r["amount"])
    if keys and "unit_months" in names:     # a month closed here without a settlement row still counts
        for u, m in con.execute("SELECT unit_id, period FROM unit_months WHERE list_contains(?, unit_id || '|' || "
                                "period)", [[f"{u}|{m}" for u, m in keys]]).fetchall():
            stored.setdefault((u, m), {})
    known: set[tuple[str, str]] = set()      # the months a file's corrections may name
    units = sorted({u for u, _ in keys})
    if units and "unit_months" in names:
        known = {(u, m) for u, m in con.execute("SELECT unit_id, period FROM unit_months WHERE list_contains(?, "
                                                "unit_id)", [units]).fetchall()}
    return ImportInputs(files, imported, stored, {period: rules_for(period) for period in sorted({d["period"]
                                                                                                  for d in docs})},
                        frozenset(known))


# ---- compute

def content_problem(name: str, doc: dict, rules: Rules) -> Issue | None:
    """The rulebook version the file names is the one in force here for its month; its split
    follows from its totals under it, its transfers from its split (settlement_file's checks)."""
    unit, period = logic.key(doc)
    version = rules.versions.get(doc["rulebook"])
    if version is None or version.valid_from.isoformat() != doc["rulebook_version"]:
        here = f"{version.name} od {version.valid_from.isoformat()}" if version else "żadna"
        return issue("settlement_unknown_rulebook", source=name, command="import", rulebook=doc["rulebook"],
                     version=doc["rulebook_version"], period=period, here=here, unit_id=unit)
    if doc["kind"] == settlement_file.REGION:
        return region_problem(name, doc, rules)
    try:
        settlement_file.check_split(doc, version, name)
        settlement_file.check_transfers(doc, version, name)
    except UserError as e:
        return logic.refusal(e, name, doc)
    return None


def region_problem(name: str, doc: dict, rules: Rules) -> Issue | None:
    """A region's file (national level): each unit it covers is the region's and was settled under
    the rulebook version in force here; its totals, its forwards and what its units remitted to it
    follow from the units' settlements (settlement_file.check_region)."""
    region, period = logic.key(doc)
    for c in doc[settlement_file.REGION]["covered"]:
        unit = c[settlement_file.UNIT]["unit_id"]
        if c[settlement_file.UNIT]["region_id"] != region:
            return issue("settlement_other_region", source=name, command="import", unit=unit,
                         other=c[settlement_file.UNIT]["region_id"], region=region, unit_id=region, period=period)
        version = rules.versions.get(c["rulebook"])
        if version is None or version.valid_from.isoformat() != c["rulebook_version"]:
            here = f"{version.name} od {version.valid_from.isoformat()}" if version else "żadna"
            return issue("settlement_unknown_rulebook", source=name, command="import", rulebook=c["rulebook"],
                         version=c["rulebook_version"], period=period, here=here, unit_id=region)
    try:
        settlement_file.check_region(doc, rules, name)
    except UserError as e:
        return logic.refusal(e, name, doc)
    return None


def compute(run: Run, inputs: ImportInputs) -> ImportResult:
    p = run.params
    run.progress(f"[2/4] sprawdzenie: {count_pl(len(inputs.files), 'plik', 'pliki', 'plików')}")
    plan = logic.decide(inputs.files, level=p.level, region=p.region if p.level == logic.REGION_LEVEL else None,
                        imported=inputs.imported, stored=inputs.stored, known=inputs.known,
                        content=lambda name, doc: content_problem(name, doc, inputs.rules[doc["period"]]))
    labels = {lvl.code: lvl.label for rules in inputs.rules.values() for lvl in rules.levels}
    return ImportResult(Path(p.folder), plan, labels, regions=own_region_rows(p, plan, inputs.rules))


def own_region_rows(p: ImportParams, plan: logic.Plan, rules: dict[str, Rules]) -> tuple[dict, ...]:
    """The region's own ``regions`` row (name, account, transfer-title pattern) for each month a
    unit's file was imported in, as the units' transfers to the region show them — the region's
    treasurer supplies nothing more, and its reconcile knows its account and title pattern as a
    central close with regions.csv does (transforms/importing.region_row)."""
    if p.level != logic.REGION_LEVEL:
        return ()
    docs = [a.doc for a in plan.accepted]
    out = []
    for period in sorted({d["period"] for d in docs}):
        r = rules[period]
        labels = {lvl: r.payee_label(lvl) for d in docs for t in d["transfers"] for lvl in [t["level"]]}
        defaults = {}
        for name in {d["rulebook"] for d in docs if d["period"] == period}:
            v = r.versions.get(name)
            rule = next((t for t in v.transfers if t.payer == v.root), None) if v else None
            defaults[name] = rule.title if rule else ""
        row = logic.region_row(docs, p.region, period, labels, defaults)
        if row is not None:
            out.append(row)
    return tuple(out)


# ---- store

def _raised_bp(pct) -> int | None:
    """'100' / '150.5' (percent, as the file writes it) -> basis points."""
    return None if pct is None else int(Decimal(str(pct)) * 100)


def _frame(table: str, rows: list[dict]) -> pl.DataFrame:
    return TABLES[table].frame(rows)


def store_region_file(con, accepted: logic.Accepted, imported_at: datetime) -> None:
    """A region's file (national level): each unit it covers into ``units``, ``allocations``,
    ``settlement`` and ``unit_months`` (approved via "import <file>"), replacing the region's
    units of the month an older version brought (kept in ``history``); the region's row of
    ``regions`` (name, account, title pattern); the units' paying members by category in
    ``settlement_units``; the file's row of ``settlement_files``. The month's ``transfers`` —
    the units' own, the regions' forwards — are then worked out by ``retransfer`` as a central
    close does, so the national reconciliation reads exactly what a central database holds."""
    doc, name = accepted.doc, accepted.name
    region, period = logic.key(doc)
    block, run_id = doc[settlement_file.REGION], doc["run"]["run_id"]
    ids = [c[settlement_file.UNIT]["unit_id"] for c in block["covered"]]
    names = store.table_names(con)
    before = [u for (u,) in con.execute("SELECT unit_id FROM units WHERE period = ? AND region_id = ?",
                                        [period, region]).fetchall()] if "units" in names else []
    gone = sorted(set(before) | set(ids))
    if before and months.stored_months(con, period, before):
        keep_history(con, doc["sha256"], period, before)
    for table in ("units", "allocations", "settlement", "unit_months"):
        store.ensure(con, table)
        con.execute(f"DELETE FROM {table} WHERE period = ? AND list_contains(?, unit_id)", [period, gone])
    store.append(con, "units", _frame("units", [{
        "period": period, "unit_id": c[settlement_file.UNIT]["unit_id"], "name": c[settlement_file.UNIT]["name"], "region_id": region,
        "voivodeship": c[settlement_file.UNIT]["voivodeship"], "sheltered": c[settlement_file.UNIT]["sheltered"], "rulebook": c["rulebook"],
        "raised_bp": _raised_bp(c[settlement_file.UNIT]["raised_pct"]), "bank_account": c[settlement_file.UNIT].get("bank_account")}
        for c in block["covered"]]))
    store.append(con, "allocations", _frame("allocations", [
        {"period": period, "unit_id": c[settlement_file.UNIT]["unit_id"], "level": a["level"], "amount": a["amount_gr"]}
        for c in block["covered"] for a in c["allocations"]]))
    store.append(con, "settlement", _frame("settlement", [
        {"period": period, "unit_id": c[settlement_file.UNIT]["unit_id"], "level": s["level"], "amount": s["amount_gr"],
         "basis": s["basis"], "corrects": s.get("corrects")} for c in block["covered"] for s in c["settlement"]]))
    store.append(con, "unit_months", _frame("unit_months", [{
        "period": period, "unit_id": c[settlement_file.UNIT]["unit_id"], "state": "approved", "run_id": run_id,
        "last_run_id": run_id, "incomplete": bool(c["incomplete"]), "missing": None, "approved_by": None,
        "approved_at": datetime.fromisoformat(doc["approved_at"]), "approval_reason": None,
        "approved_via": f"import {name}"} for c in block["covered"]]))
    _replace_region(con, period, region, doc)
    store.write(con, "settlement_units", _frame("settlement_units", [{
        "region_id": region, "period": period, "unit_id": c[settlement_file.UNIT]["unit_id"], "region_sha256": doc["sha256"],
        "file_sha256": c["file_sha256"], "file_version": c["file_version"],
        "paying_members": int(c["members"]["paying"]),
        "by_category": json.dumps(c["members"]["by_category"], ensure_ascii=False, sort_keys=True),
        "owed": c["owed_gr"], "received": c["received_gr"]} for c in block["covered"]]),
        region_id=region, period=period)
    _file_row(con, accepted, imported_at)


def _replace_region(con, period: str, region: str, doc: dict) -> None:
    """The region's row of ``regions`` for the month, from its file."""
    u = doc[logic.UNIT]
    store.ensure(con, "regions")
    con.execute("DELETE FROM regions WHERE period = ? AND region_id = ?", [period, region])
    store.append(con, "regions", _frame("regions", [{
        "period": period, "region_id": region, "name": u["name"], "bank_account": u.get("bank_account"),
        "transfer_title": doc[settlement_file.REGION].get("transfer_title")}]))


def _own_region(con, row: dict) -> None:
    """The region's own row of ``regions`` for the month, derived from its units' files: written
    where the month has none, and filling what a stored row leaves empty (a close here with
    regions.csv, or an earlier import, keeps its values)."""
    store.ensure(con, "regions")
    old = store.dicts(con, "SELECT name, bank_account, transfer_title FROM regions WHERE period = ? AND region_id = ?",
                      [row["period"], row["region_id"]])
    if old:
        row = {**row, **{k: v for k, v in old[0].items() if v is not None}}
        con.execute("DELETE FROM regions WHERE period = ? AND region_id = ?", [row["period"], row["region_id"]])
    store.append(con, "regions", _frame("regions", [row]))


def _file_row(con, accepted: logic.Accepted, imported_at: datetime) -> None:
    """The file's row of ``settlement_files`` (the version it replaces marked superseded)."""
    doc, name = accepted.doc, accepted.name
    unit_id, period = logic.key(doc)
    store.ensure(con, "settlement_files")
    if accepted.replaces is not None:
        con.execute("UPDATE settlement_files SET superseded_by = ? WHERE sha256 = ?",
                    [doc["sha256"], accepted.replaces.sha256])
    store.append(con, "settlement_files", _frame("settlement_files", [{
        "unit_id": unit_id, "period": period, "version": int(doc["version"]), "kind": doc["kind"],
        "sha256": doc["sha256"], "file_name": name, "imported_at": imported_at, "run_id": doc["run"]["run_id"],
        "input_sha256": doc["run"].get("input_sha256"), "paying_members": int(doc["members"]["paying"]),
        "by_category": json.dumps(doc["members"]["by_category"], ensure_ascii=False, sort_keys=True),
        "owed": doc["dues"]["owed_gr"], "received": doc["dues"]["received_gr"], "superseded_by": None}]))


def store_file(con, accepted: logic.Accepted, imported_at: datetime) -> None:
    """One file's unit-month into the tables a close writes, replacing what was there (kept in
    ``history``), and its row of ``settlement_files``."""
    doc, name = accepted.doc, accepted.name
    if doc["kind"] == settlement_file.REGION:
        return store_region_file(con, accepted, imported_at)
    unit_id, period = logic.key(doc)
    run_id, u = doc["run"]["run_id"], doc[logic.UNIT]
    if months.stored_months(con, period, [unit_id]):
        keep_history(con, doc["sha256"], period, [unit_id])
    # a month this database closed itself: its members' rows go (the file carries none; the
    # figures that matter are kept in history above)
    names = store.table_names(con)
    for table in (t for t in UNIT_TABLES if t in names and t not in ("units", "allocations")):
        store.replace_units(con, table, _frame(table, []), period, [unit_id])
    store.replace_units(con, "units", _frame("units", [{
        "period": period, "unit_id": unit_id, "name": u["name"], "region_id": u["region_id"],
        "voivodeship": u["voivodeship"], "sheltered": u["sheltered"], "rulebook": doc["rulebook"],
        "raised_bp": _raised_bp(u["raised_pct"]), "bank_account": u.get("bank_account"),
        "section_id": next((e["owner_id"] for e in doc.get("earmarks", []) if e["kind"] == "section"), None)}]),
        period, [unit_id])
    _earmarks(con, period, doc)
    store.replace_units(con, "allocations", _frame("allocations", [
        {"period": period, "unit_id": unit_id, "level": a["level"], "amount": a["amount_gr"]}
        for a in doc["allocations"]]), period, [unit_id])
    store.ensure(con, "settlement")
    con.execute("DELETE FROM settlement WHERE period = ? AND unit_id = ?", [period, unit_id])
    store.append(con, "settlement", _frame("settlement", [
        {"period": period, "unit_id": unit_id, "level": s["level"], "amount": s["amount_gr"], "basis": s["basis"],
         "corrects": s.get("corrects")} for s in doc["settlement"]]))
    store.ensure(con, "corrections")
    con.execute("DELETE FROM corrections WHERE applied_in = ? AND unit_id = ?", [period, unit_id])
    store.append(con, "corrections", _frame("corrections", [
        {"run_id": run_id, "corrected_period": c["corrected_period"], "applied_in": period, "unit_id": unit_id,
         "level": c["level"], "amount": c["amount_gr"], "reason": c.get("reason")} for c in doc["corrections"]]))
    store.replace_units(con, "unit_months", _frame("unit_months", [{
        "period": period, "unit_id": unit_id, "state": "approved", "run_id": run_id, "last_run_id": run_id,
        "incomplete": bool(doc["incomplete"]), "missing": None, "approved_by": None,
        "approved_at": datetime.fromisoformat(doc["approved_at"]), "approval_reason": None,
        "approved_via": f"import {name}"}]), period, [unit_id])
    _file_row(con, accepted, imported_at)


def _earmarks(con, period: str, doc: dict) -> None:
    """issue 30: the funds and sections' dues a unit's file declares (004 §4, §3 ust. 4), stored as
    a close stores them, so ``retransfer`` makes the unit's transfer to each of them."""
    from transforms.earmarks import frame
    earmarks = settlement_file.doc_earmarks(doc)
    if earmarks:
        store.replace_units(con, "earmarks", frame(earmarks, period), period, [e.level for e in earmarks])


def save(run: Run, result: ImportResult) -> None:
    p, plan = run.params, result.plan
    run.progress(f"[3/4] zapis do {p.db}")
    con = run.database()
    months.adopt_earlier_closes(con)
    imported_at = datetime.now().replace(microsecond=0)
    for accepted in plan.accepted:
        store_file(con, accepted, imported_at)
    for row in result.regions:
        _own_region(con, row)
    for period in plan.periods:      # the month's transfers from all its units' settlements, as a close does
        retransfer(con, period)
    store.write(con, "import_exceptions", _frame("import_exceptions", [
        {"folder": str(result.folder), "file": i.source, "reason_code": i.reason_code, "message": i.message,
         "unit_id": i.unit_id, "period": i.period} for i in plan.refused + plan.already]), folder=str(result.folder))


# ---- report

def report(run: Run, result: ImportResult) -> ImportResult | None:
    if run.params.out is None:
        return None
    run.progress("[4/4] skoroszyt importu")
    relative = report_text.WORKBOOK
    report_text.write_workbook(result, run.output(relative))
    return dataclasses.replace(result, workbook=Path(run.params.out) / relative)


IMPORT = Command(
    name="import", flow_name="import-settlements", flow_function="import_settlements", params=ImportParams,
    engine="plain",
    help="Import plików rozliczeń jednostek (albo regionów) do bazy regionu (albo krajowej): sprawdzone, "
         "nowsza wersja zastępuje starszą, błędny plik odrzucony z powodem.",
    check=check, read=read, compute=compute, store=save, report=report,
    summary=lambda run, result: report_text.summary(result, run.params),
    table=lambda run, result: ("Import rozliczeń", report_text.table_rows(result)),
    run_name=lambda p: f"import rozliczeń · {Path(p.get('folder') or '.').name}")
