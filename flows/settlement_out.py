"""A unit's settlement file written from the database (issue 29; format: docs/settlement-file.md,
pure part: transforms/settlement_file.py). `skladki approve --out` writes one for each unit it
approves and `skladki documents` writes the current one again for an approved month, beside the
unit's settlement PDF (``jednostki/rozliczenie_<unit>_<RRRR-MM>_v<N>.json``). A draft month never
gets one.

Versions (table ``settlement_issued``): a unit-month's file keeps its version number while its
content stays the same (the same bytes, the same hash); when the content changes — a re-approval,
a re-close that changed the month's owed figures — the next file is the next version.

What the file says comes from the stored tables: the unit's register row and the settlement
(basis received or assumed, and correction rows) as approved, the owed split (allocations) and
dues as stored now, the unit's own transfers with the payee's account and title as its
settlement PDF gives them. D (``dues.split_base_gr``) is the close's recorded D when the approved
settlement follows from it (``split_steps``), else the D the approved settlement was split from.
"""
from __future__ import annotations

from datetime import datetime

from flows import store
from reports.settlement import transfer_title
from schemas.tables import TABLES
from reports.xlsx import safe_name
from transforms import settlement_file as sf
from transforms.allocate import percent_text, unit_cascade
from transforms.earmarks import extend
from transforms.money import sql_grosze
from transforms.rulebook import Rules

ISSUED = "settlement_issued"


def approved_units(con, period: str, units: list[str] | None = None) -> list[str]:
    """The units (of ``units``, or all) whose month is approved: only those get a file."""
    if "unit_months" not in store.table_names(con):
        return []
    return [u for (u,) in con.execute(
        "SELECT unit_id FROM unit_months WHERE period = ? AND state = 'approved' "
        "AND (? IS NULL OR list_contains(?, unit_id)) ORDER BY unit_id", [period, units, units]).fetchall()]


def _one(con, sql: str, params: list) -> dict:
    rows = store.dicts(con, sql, params)
    return rows[0] if rows else {}


def _overrides(con, period: str, unit_id: str, cascade) -> dict[str, str]:
    """The unit's own shares (units.csv override columns of ``cascade``, the rulebook's cascade for
    the unit) as the close recorded them in split_steps, where they differ from the rulebook's."""
    moves = {i: m for i, m in enumerate(cascade.moves, start=1) if m.unit_override}
    if not moves or "split_steps" not in store.table_names(con):
        return {}
    out = {}
    for step, share in con.execute("SELECT step, any_value(share) FROM split_steps WHERE period = ? AND unit_id = ? "
                                   "GROUP BY step ORDER BY step", [period, unit_id]).fetchall():
        m = moves.get(step)
        if m and share != percent_text(m.share):
            out[m.unit_override] = share.rstrip("0").rstrip(".") if "." in share else share
    return out


def settlement_document(con, period: str, unit_id: str, rules: Rules, version: int) -> dict:
    """The settlement document of an approved unit-month, as file ``version``."""
    g = store.dicts
    unit = _one(con, "SELECT unit_id, name, region_id, voivodeship, sheltered, rulebook, "
                     "CAST(raised_pct AS VARCHAR) AS raised_pct, bank_account FROM units WHERE period = ? AND unit_id = ?",
                [period, unit_id])
    month = _one(con, "SELECT state, run_id, incomplete, approved_at, approved_via FROM unit_months "
                      "WHERE period = ? AND unit_id = ?", [period, unit_id])
    if not unit or month.get("state") != "approved":
        raise ValueError(f"{unit_id} {period} is not an approved month")     # callers ask for approved months only
    v = rules.version(unit["rulebook"])
    unit["overrides"] = _overrides(con, period, unit_id, v.cascade(bool(unit["sheltered"])))
    earmarks = _earmarks(con, period, unit_id)
    cascade = extend(unit_cascade({"sheltered": unit["sheltered"], **unit["overrides"]}, v), earmarks)
    run = _one(con, "SELECT input_sha256 FROM runs WHERE run_id = ?", [month["run_id"]])
    dues = g(con, f"SELECT category, count(*) AS n, {sql_grosze('sum(dues)')} AS dues, {sql_grosze('sum(total)')} AS total FROM dues "
                  "WHERE period = ? AND unit_id = ? GROUP BY ALL ORDER BY ALL", [period, unit_id])
    received = _one(con, f"SELECT {sql_grosze('coalesce(sum(received), 0)')} AS r FROM member_ledger WHERE period = ? AND unit_id = ?",
                    [period, unit_id]) if "member_ledger" in store.table_names(con) else {}
    order = {lvl: i for i, lvl in enumerate(cascade.levels)}
    allocations = sorted(g(con, "SELECT level, amount FROM allocations WHERE period = ? AND unit_id = ?",
                           [period, unit_id]), key=lambda r: order.get(r["level"], 99))
    settlement = sorted(g(con, "SELECT level, amount, basis, corrects FROM settlement WHERE period = ? AND unit_id = ?",
                          [period, unit_id]),
                        key=lambda r: (r["basis"] == "correction", r["corrects"] or "", order.get(r["level"], 99)))
    corrections = g(con, "SELECT corrected_period, level, amount, reason FROM corrections "
                         "WHERE applied_in = ? AND unit_id = ? ORDER BY corrected_period, level",
                    [period, unit_id]) if "corrections" in store.table_names(con) else []
    levels: dict[str, int] = {}
    for r in settlement:
        if r["basis"] in sf.MONTH_BASES:
            levels[r["level"]] = levels.get(r["level"], 0) + r["amount"]
    hint = _one(con, "SELECT any_value(d) AS d FROM split_steps WHERE period = ? AND unit_id = ? AND basis <> 'owed'",
                [period, unit_id]).get("d") if "split_steps" in store.table_names(con) else None
    found = sf.split_base_of(levels, cascade, hint)
    if found is None:       # a settlement the cascade did not make: a bug, never the treasurer's data
        raise AssertionError(f"settlement of {unit_id} {period} does not follow from its rulebook's cascade")
    d, kept = found
    return sf.build(
        union=v.union, rulebook=v.name, rulebook_version=v.valid_from, period=period, version=version,
        unit=unit, approved_at=month["approved_at"], approved_via=month["approved_via"] or "polecenie skladki approve",
        incomplete=bool(month["incomplete"]), by_category={r["category"]: r["n"] for r in dues},
        owed_gr=sum(r["total"] for r in dues),
        owed_split_base_gr=sum(r["dues"] for r in dues if r["category"] in v.split_categories),
        received_gr=received.get("r") or 0, split_base_gr=d, kept_gr=kept,
        allocations=[{"level": r["level"], "amount_gr": r["amount"]} for r in allocations],
        settlement=[{"level": r["level"], "amount_gr": r["amount"], "basis": r["basis"], "corrects": r["corrects"]}
                    for r in settlement],
        corrections=[{"corrected_period": r["corrected_period"], "level": r["level"], "amount_gr": r["amount"],
                      "reason": r["reason"]} for r in corrections],
        transfers=_transfers(con, period, unit, v, rules, earmarks), run_id=month["run_id"],
        input_sha256=run.get("input_sha256"), earmarks=[e.as_row() for e in earmarks])


def _earmarks(con, period: str, unit_id: str) -> tuple:
    """issue 30: the stored funds and sections' dues whose levels the unit's month has."""
    from transforms.earmarks import EARMARK_SCHEMA, Earmark
    if "earmarks" not in store.table_names(con):
        return ()
    return tuple(Earmark.from_row(r) for r in store.dicts(
        con, f"SELECT {', '.join(EARMARK_SCHEMA)} FROM earmarks WHERE period = ? AND level IN (SELECT level FROM "
             "allocations WHERE period = ? AND unit_id = ? UNION SELECT level FROM settlement WHERE period = ? "
             "AND unit_id = ?) ORDER BY kind <> 'fund', level", [period, period, unit_id, period, unit_id]))


def _transfers(con, period: str, unit: dict, version, rules: Rules, earmarks: tuple = ()) -> list[dict]:
    """The unit's own transfers of the month, with the payee, account and title its settlement PDF gives."""
    tables = store.table_names(con)
    region = _one(con, "SELECT name, bank_account, transfer_title FROM regions WHERE period = ? AND region_id = ?",
                  [period, unit["region_id"]]) if "regions" in tables else {}
    to_region = next((t.payer for t in version.transfers if t.per != version.root), None)
    rule = next((t for t in version.transfers if t.payer == version.root), None)
    if rule is None:          # issue 30: a rulebook of one level (001, 002): the unit passes nothing on
        return []
    out = []
    for t in store.dicts(con, "SELECT payee, amount, due_on FROM transfers WHERE period = ? AND payer_kind = ? "
                              "AND payer_id = ? ORDER BY payee", [period, version.root, unit["unit_id"]]):
        regional = t["payee"] == to_region
        # issue 30: a body the unit pays directly (not its region): national_accounts.csv's row, as on the PDF;
        # a fund's or section's dues: its own payee, account and title pattern (funds.csv / sections.csv)
        own = next((e for e in earmarks if e.level == t["payee"]), None)
        body = region if regional else _one(
            con, "SELECT name, bank_account, transfer_title FROM national_accounts WHERE period = ? AND rulebook = ? "
                 "AND level = ?", [period, version.name, t["payee"]]) if "national_accounts" in tables else {}
        if own is not None:
            body = {"name": own.payee, "bank_account": own.bank_account, "transfer_title": own.transfer_title}
        pattern = body.get("transfer_title")
        out.append({"payee": version.payee_label(t["payee"]) + (f" ({region.get('name') or unit['region_id']})"
                                                              if regional else "") if regional or not body.get("name")
                    else body["name"],
                    "level": t["payee"], "account": body.get("bank_account"),
                    "title": transfer_title(pattern or rule.title, unit["unit_id"], unit["name"] or unit["unit_id"],
                                            period),
                    "amount_gr": t["amount"], "due_on": t["due_on"]})
    return out


def issue(con, period: str, unit_id: str, rules: Rules) -> tuple[str, bytes]:
    """The unit-month's current settlement file (name, bytes): the latest issued version again when
    nothing changed, else the next version, recorded in ``settlement_issued``."""
    store.ensure(con, ISSUED)
    latest = _one(con, f"SELECT version, sha256 FROM {ISSUED} WHERE unit_id = ? AND period = ? "
                       "ORDER BY version DESC LIMIT 1", [unit_id, period])
    version = latest.get("version") or 1
    doc = settlement_document(con, period, unit_id, rules, version)
    if latest and doc["sha256"] != latest["sha256"]:
        version += 1
        doc = settlement_document(con, period, unit_id, rules, version)
    name = sf.file_name(unit_id, period, version, safe_name)
    if not latest or version != latest["version"]:
        store.append(con, ISSUED, TABLES[ISSUED].frame([{
            "unit_id": unit_id, "period": period, "version": version, "sha256": doc["sha256"],
            "issued_at": datetime.now().replace(microsecond=0), "file_name": name}]))
    return name, sf.to_bytes(doc)


def write_files(con, period: str, units: list[str] | None, rules: Rules, path_for) -> int:
    """Each approved unit's (of ``units``, or all) current settlement file through ``path_for(name)``;
    returns how many were written."""
    n = 0
    for unit_id in approved_units(con, period, units):
        name, data = issue(con, period, unit_id, rules)
        path_for(name).write_bytes(data)
        n += 1
    return n
