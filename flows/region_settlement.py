"""`skladki region-settlement --period P --db F --region R --out DIR [--regions regions.csv]`
(issue 29): a region's settlement of a month to the national level, as a file (kind "region";
docs/settlement-file.md) the national board imports with `skladki import --level national`.

read (the region's database: the units of the region whose month is approved — imported from
their files or closed here —, each with its register row, owed split (allocations), settlement,
paying members by category and the file it relied on; the region's own transfers of the month
(table ``transfers``, payer the region) as the close's ``retransfer`` worked them out; the
region's name and account from ``--regions`` or the stored ``regions``) → compute (the document,
transforms/settlement_file.build_region, checked by check_region as the national board will)
→ store (``settlement_issued``: the region's file versions) → report
(``OUT/rozliczenie_<region>_<P>_v<N>.json``).

No person's data is carried: unit names and accounts, counts and sums only.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

from flows import store
from flows.command import Command, Run, WritesDb, option, titled
from flows.rules import rules_for
from reports.settlement import transfer_title
from reports.xlsx import safe_name
from schemas.tables import TABLES
from transforms import settlement_file as sf
from transforms.errors import UserError
from transforms.money import sql_grosze
from transforms.rulebook import Rules

ISSUED = "settlement_issued"
VIA = "polecenie skladki region-settlement"


@dataclass(frozen=True, kw_only=True)
class RegionSettlementParams(WritesDb):
    period: str = option("miesiąc rozliczenia regionu, RRRR-MM", title="Okres (RRRR-MM)", check="period")
    region: str = option("identyfikator regionu tej bazy, np. GD", title="Region")
    regions: Optional[Path] = option("regions.csv z nazwą i rachunkiem regionu (bez niego: zapisane w bazie)",
                                     None, title="Plik regionów (regions.csv)",
                                     form="pełna ścieżka pliku regions.csv; puste: dane regionu zapisane w bazie")


@dataclass(frozen=True)
class RegionMonth:
    """What the region's database says of the month (plain values for build_region)."""
    region: dict
    covered: list[dict]
    transfers: list[dict]
    remitted_gr: int
    incomplete: bool
    rulebook: str
    previous: dict                 # the latest issued version: {version, sha256} or {}


@dataclass(frozen=True)
class RegionSettlement:
    doc: dict
    name: str
    file: Path | None = None


def check(params: RegionSettlementParams) -> None:
    if params.out is None:
        raise UserError("bad_option", name="--out", detail="podaj folder, do którego trafi plik rozliczenia regionu")
    if not str(params.region or "").strip():
        raise UserError("bad_option", name="--region", detail="podaj identyfikator regionu tej bazy")
    if not Path(params.db).exists():
        raise UserError("no_database", db=params.db)


# ---- read

def _region_row(con, params: RegionSettlementParams) -> dict:
    """The region's name, account and title pattern: --regions' row, else the stored one."""
    if params.regions is not None:
        from flows.inbox import read_table
        for r in read_table(Path(params.regions), "regions").to_dicts():
            if r.get("region_id") == params.region:
                from transforms.statements import bank_account_iban
                row = {k: r.get(k) or None for k in ("name", "bank_account", "transfer_title")}
                return {**row, "bank_account": bank_account_iban(row["bank_account"] or "") or row["bank_account"]}
    if "regions" in store.table_names(con):
        rows = store.dicts(con, "SELECT arg_max(name, period) AS name, arg_max(bank_account, period) AS bank_account, "
                                "arg_max(transfer_title, period) AS transfer_title FROM regions "
                                "WHERE region_id = ? AND period <= ?", [params.region, params.period])
        if rows and rows[0]["name"] is not None:
            return rows[0]
    return {"name": None, "bank_account": None, "transfer_title": None}


def _covered(con, period: str, unit: dict, rules: Rules) -> dict:
    """One approved unit-month of the region as build_region takes it: from the settlement file it
    was imported from (its members and dues), or, closed here, from the close's dues rows."""
    names = store.table_names(con)
    v = rules.version(unit["rulebook"])
    order = {lvl.code: i for i, lvl in enumerate(v.levels)}
    allocations = sorted(store.dicts(con, "SELECT level, amount AS amount_gr FROM allocations WHERE period = ? "
                                          "AND unit_id = ?", [period, unit["unit_id"]]),
                         key=lambda r: order.get(r["level"], 99))
    settlement = sorted(store.dicts(con, "SELECT level, amount AS amount_gr, basis, corrects FROM settlement "
                                         "WHERE period = ? AND unit_id = ?", [period, unit["unit_id"]]),
                        key=lambda r: (r["basis"] == "correction", r["corrects"] or "", order.get(r["level"], 99)))
    file = store.dicts(con, "SELECT sha256, version, paying_members, by_category, owed, received FROM settlement_files "
                            "WHERE period = ? AND unit_id = ? AND kind = ? AND superseded_by IS NULL",
                       [period, unit["unit_id"], sf.UNIT]) if "settlement_files" in names else []
    closed_here = "dues" in names and con.execute("SELECT count(*) FROM dues WHERE period = ? AND unit_id = ?",
                                                  [period, unit["unit_id"]]).fetchone()[0] > 0
    if file and not closed_here:
        f = file[0]
        by_category = {k: int(n) for k, n in json.loads(f["by_category"] or "{}").items()}
        owed, received, sha, version = int(f["owed"]), int(f["received"]), f["sha256"], int(f["version"])
    else:
        by_category = dict(con.execute("SELECT category, count(*) FROM dues WHERE period = ? AND unit_id = ? "
                                       "GROUP BY ALL ORDER BY ALL", [period, unit["unit_id"]]).fetchall()
                           ) if "dues" in names else {}
        owed = con.execute(f"SELECT {sql_grosze('coalesce(sum(total), 0)')} FROM dues WHERE period = ? AND unit_id = ?",
                           [period, unit["unit_id"]]).fetchone()[0] if "dues" in names else 0
        received = con.execute(f"SELECT {sql_grosze('coalesce(sum(received), 0)')} FROM member_ledger WHERE period = ? "
                               "AND unit_id = ?", [period, unit["unit_id"]]).fetchone()[0] \
            if "member_ledger" in names else 0
        sha = version = None
    return {sf.UNIT: {k: unit[k] for k in ("unit_id", "name", "region_id", "voivodeship", "sheltered", "raised_pct",
                                          "bank_account")},
            "rulebook": v.name, "rulebook_version": v.valid_from, "file_sha256": sha, "file_version": version,
            "incomplete": bool(unit["incomplete"]), "by_category": by_category, "owed_gr": int(owed),
            "received_gr": int(received), "allocations": allocations, "settlement": settlement}


def _account(rules: Rules, payee: str) -> str | None:
    """The account of a level above the region: the first its rulebooks' [versions.reconcile] give."""
    for v in rules.versions.values():
        for spec in v.reconcile_levels.values():
            if payee in spec.get("payees", []) and spec.get("accounts"):
                from transforms.statements import bank_account_iban
                return bank_account_iban(spec["accounts"][0]) or spec["accounts"][0]
    return None


def read(run: Run) -> RegionMonth:
    p = run.params
    run.progress(f"[1/3] miesiąc {p.period} regionu {p.region} z {p.db}")
    con = run.database()
    names = store.table_names(con)
    if "units" not in names or "unit_months" not in names:
        raise UserError("no_close", db=p.db, period=p.period)
    units = store.dicts(con, "SELECT u.unit_id, u.name, u.region_id, u.voivodeship, u.sheltered, u.rulebook, "
                             "CAST(u.raised_pct AS VARCHAR) AS raised_pct, u.bank_account, m.state, m.incomplete "
                             "FROM units u LEFT JOIN unit_months m USING (period, unit_id) "
                             "WHERE u.period = ? AND u.region_id = ? ORDER BY u.unit_id", [p.period, p.region])
    if not units:
        known = [r for (r,) in con.execute("SELECT DISTINCT region_id FROM units WHERE period = ? ORDER BY 1",
                                           [p.period]).fetchall()]
        if not known:
            raise UserError("no_close", db=p.db, period=p.period)
        raise UserError("unknown_region", region=p.region, known=", ".join(known))
    approved = [u for u in units if u["state"] == "approved"]
    if not approved:
        raise UserError("no_close", db=p.db, period=p.period)
    rules = rules_for(p.period)
    covered = [_covered(con, p.period, u, rules) for u in approved]
    ids = [u["unit_id"] for u in approved]
    region = {"region_id": p.region, **_region_row(con, p)}
    voivodeships = {u["voivodeship"] for u in approved}
    region["voivodeship"] = voivodeships.pop() if len(voivodeships) == 1 else None
    own = store.dicts(con, "SELECT payer_kind, payee, amount, due_on FROM transfers WHERE period = ? AND payer_id = ? "
                           "AND NOT list_contains(?, payer_id) ORDER BY payee", [p.period, p.region, ids])
    kinds = sorted({t["payer_kind"] for t in own})
    remitted = con.execute(f"SELECT {sql_grosze('coalesce(sum(amount), 0)')} FROM transfers WHERE period = ? "
                           "AND list_contains(?, payer_id) AND list_contains(?, payee)",
                           [p.period, ids, kinds]).fetchone()[0]
    transfers = []
    for t in own:
        rule = next((r for r in rules.transfer_rules if r.payer == t["payer_kind"]), None)
        pattern = rule.title if rule is not None else "Składki {unit_id} {MM}/{YYYY}"
        transfers.append({"payee": rules.payee_label(t["payee"], rules.paying(t["payer_kind"])), "level": t["payee"],
                          "account": _account(rules, t["payee"]),
                          "title": transfer_title(pattern, p.region, region["name"] or p.region, p.period),
                          "amount_gr": int(t["amount"]), "due_on": t["due_on"]})
    # the region's rulebook: the one whose transfer rule moves the region's money on, else the units' first
    forwarding = sorted({c["rulebook"] for c in covered
                         if any(r.payer in kinds for r in rules.version(c["rulebook"]).transfers)})
    rulebook = (forwarding or sorted({c["rulebook"] for c in covered}))[0]
    previous = store.dicts(con, f"SELECT version, sha256 FROM {ISSUED} WHERE unit_id = ? AND period = ? "
                                "ORDER BY version DESC LIMIT 1", [p.region, p.period]) if ISSUED in names else []
    incomplete = len(approved) < len(units) or any(c["incomplete"] for c in covered)
    return RegionMonth(region, covered, transfers, int(remitted), incomplete, rulebook,
                       previous[0] if previous else {})


# ---- compute

def document(month: RegionMonth, period: str, version: int, run_id: str, approved_at: datetime) -> dict:
    rules = rules_for(period)
    v = rules.version(month.rulebook)
    shas = sorted(c["file_sha256"] or "" for c in month.covered)
    return sf.build_region(
        union=v.union, rulebook=v.name, rulebook_version=v.valid_from, period=period, version=version,
        region=month.region, approved_at=approved_at, approved_via=VIA, incomplete=month.incomplete,
        covered=month.covered, transfers=month.transfers, remitted_gr=month.remitted_gr, run_id=run_id,
        input_sha256=hashlib.sha256("\n".join(shas).encode()).hexdigest())


def compute(run: Run, month: RegionMonth) -> RegionSettlement:
    p = run.params
    run.progress("[2/3] rozliczenie regionu")
    version = int(month.previous.get("version") or 0) + 1
    doc = document(month, p.period, version, _run_id(),
                   datetime.now().replace(microsecond=0))
    sf.validate(doc)
    sf.check_region(doc, rules_for(p.period))        # what the national board will check
    return RegionSettlement(doc, sf.file_name(p.region, p.period, version, safe_name))


def _run_id() -> str:
    import uuid
    return uuid.uuid4().hex


# ---- store and report

def save(run: Run, res: RegionSettlement) -> None:
    con = run.database()
    store.ensure(con, ISSUED)
    d = res.doc
    store.append(con, ISSUED, TABLES[ISSUED].frame([{
        "unit_id": d[sf.UNIT]["unit_id"], "period": d["period"], "version": d["version"], "sha256": d["sha256"],
        "issued_at": datetime.now().replace(microsecond=0), "file_name": res.name}]))


def report(run: Run, res: RegionSettlement) -> RegionSettlement:
    run.progress("[3/3] plik rozliczenia regionu")
    run.output(res.name).write_bytes(sf.to_bytes(res.doc))
    return dataclasses.replace(res, file=Path(run.params.out) / res.name)


def summary(run: Run, res: RegionSettlement) -> str:
    d = res.doc
    covered = d[sf.REGION]["covered"]
    region = d[sf.UNIT]["unit_id"]
    lines = [f"Rozliczenie regionu {region} za {d['period']} (wersja {d['version']}): "
             f"{len(covered)} jednostek, płacących członków {d['members']['paying']}"
             + (" — niepełne: nie wszystkie miesiące jednostek są zatwierdzone" if d["incomplete"] else ""),
             f"  plik: {res.file or res.name}"]
    for t in d["transfers"]:
        lines.append(f"  przelew do {t['payee']}: {_zl(t['amount_gr'])}, termin {t['due_on']}")
    return "\n".join(lines)


def _zl(gr: int) -> str:
    from transforms.money import format_pl
    return format_pl(gr)


REGION_SETTLEMENT = Command(
    name="region-settlement", flow_name="region-settlement", flow_function="region_settlement",
    params=RegionSettlementParams, engine="plain",
    help="Rozliczenie regionu do poziomu krajowego jako plik (rozliczenie_<region>_<RRRR-MM>_v<N>.json) z "
         "zatwierdzonych miesięcy jednostek regionu: przekazania, jednostki, płacący członkowie.",
    check=check, read=read, compute=compute, store=save, report=report, summary=summary,
    run_name=titled("rozliczenie regionu"))
