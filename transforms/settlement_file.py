"""A unit's settlement file (issue 29): one machine-readable, verifiable settlement per unit and
month, the file a unit sends up to its region (docs/settlement-file.md). Pure: plain values in,
a document (dict) and its bytes out; no database, no files.

- ``build(...)`` makes the document from plain values and stamps its ``sha256``;
- ``to_bytes(doc)`` is the file: canonical JSON (sorted keys, no spaces, UTF-8);
- ``digest(doc)`` is the hex sha256 of the canonical JSON of the document without ``sha256``;
- ``validate(doc)`` checks it against ``schemas/settlement.schema.json`` (JSON Schema 2020-12);
- ``read(data, name)`` turns a file's bytes back into the document, or raises a ``UserError``:
  ``settlement_not_settlement``, ``settlement_bad_schema``, ``settlement_bad_hash``;
- ``check_split(doc, version)`` recomputes the split by level from the declared totals under the
  rulebook version's cascade for the unit (RULES.md §5, transforms/ledger.settle) and
  ``check_transfers(doc, version)`` the unit's transfers from the declared settlement
  (transforms/allocate.transfers_from); both raise ``settlement_split_mismatch``.

The recompute is exact to the grosz because the file declares what the cascade is applied to:
``dues.split_base_gr`` = D, the §1 dues of the split categories received (applied) in the close,
and ``dues.kept_gr`` = everything else received that stays with the unit (other categories'
dues, surcharges); the settlement of the month (basis ``received`` or ``assumed``) is
``split_dues(D)`` with ``kept_gr`` added to the root level. Likewise the owed split
(``allocations``) from ``dues.owed_split_base_gr`` and ``dues.owed_gr``. Rows of basis
``correction`` (differences to earlier approved months) are carried as declared; they take part
in the transfers, exactly as in a close.

No PESEL, name of a person, salary or member number is ever carried: the document only has
counts and sums.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import polars as pl

from transforms.allocate import unit_cascade
from transforms.errors import UserError
from transforms.money import format_pl
from transforms.rulebook import Cascade, RulebookVersion, Rules
from transforms.split import split_dues

FORMAT = "skladki-rozliczenie"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "settlement.schema.json"
# the document's key of the unit's register row: a field of the format, not the level code that
# happens to be spelled the same (tests/test_layout.py: no level code decides code)
UNIT = "unit"
MONTH_BASES = ("received", "assumed")      # the month's own settlement rows; "correction" rows correct earlier months


def file_name(unit_id: str, period: str, version: int, safe=lambda s: s) -> str:
    """'rozliczenie_GD-0001_2026-10_v1.json' (``safe``: reports' safe_name for the unit id)."""
    return f"rozliczenie_{safe(unit_id)}_{period}_v{version}.json"


# ------------------------------------------------------------------ building and bytes

def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _gr(value) -> int:
    """Money must arrive as integer grosze: a Decimal or float of złote is a bug, never rounded here."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"money must be integer grosze, got {value!r}")
    return value


def build(*, union: str, rulebook: str, rulebook_version, period: str, version: int, unit: dict,
          approved_at, approved_via: str, incomplete: bool, by_category: dict[str, int],
          owed_gr: int, owed_split_base_gr: int, received_gr: int, split_base_gr: int, kept_gr: int,
          allocations: list[dict], settlement: list[dict], corrections: list[dict], transfers: list[dict],
          run_id: str, input_sha256: str, kind: str = "unit", earmarks: list[dict] | None = None) -> dict:
    """The settlement document of one unit's month from plain values (money in grosze), with its
    ``sha256`` stamped. ``unit``: unit_id, name, region_id, voivodeship, sheltered, raised_pct
    (text), bank_account, and optionally ``overrides`` (units.csv share columns the cascade uses,
    as percent text). Lists are kept in the order given (levels in the rulebook's order)."""
    u = {"unit_id": unit["unit_id"], "name": unit.get("name") or unit["unit_id"], "region_id": unit["region_id"],
         "voivodeship": unit.get("voivodeship"), "sheltered": bool(unit.get("sheltered")),
         "raised_pct": None if unit.get("raised_pct") is None else str(unit["raised_pct"]),
         "bank_account": unit.get("bank_account") or None,
         "overrides": {k: str(v) for k, v in sorted((unit.get("overrides") or {}).items())}}
    doc = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind,
        "union": union, "rulebook": rulebook, "rulebook_version": _iso(rulebook_version),
        "period": period, "version": int(version), UNIT: u,
        "approved_at": _iso(approved_at), "approved_via": approved_via, "incomplete": bool(incomplete),
        "members": {"paying": int(sum(by_category.values())),
                    "by_category": {k: int(v) for k, v in sorted(by_category.items())}},
        "dues": {"owed_gr": _gr(owed_gr), "owed_split_base_gr": _gr(owed_split_base_gr),
                 "received_gr": _gr(received_gr), "split_base_gr": _gr(split_base_gr), "kept_gr": _gr(kept_gr)},
        "allocations": [{"level": a["level"], "amount_gr": _gr(a["amount_gr"])} for a in allocations],
        "settlement": [{"level": s["level"], "amount_gr": _gr(s["amount_gr"]), "basis": s["basis"],
                        "corrects": s.get("corrects")} for s in settlement],
        "corrections": [{"corrected_period": c["corrected_period"], "level": c["level"],
                         "amount_gr": _gr(c["amount_gr"]), "reason": c.get("reason") or ""} for c in corrections],
        "transfers": [{"payee": t["payee"], "level": t["level"], "account": t.get("account") or None,
                       "title": t["title"], "amount_gr": _gr(t["amount_gr"]), "due_on": _iso(t["due_on"])}
                      for t in transfers],
        "run": {"run_id": run_id, "input_sha256": input_sha256},
    }
    if earmarks:      # issue 30: only a unit bound by a fund or a section's dues carries the key
        doc["earmarks"] = [{"level": e["level"], "kind": e["kind"], "owner_id": e["owner_id"], "label": e["label"],
                            "payee": e["payee"], "share": e["share"], "valid_from": _iso(e["valid_from"]),
                            "valid_to": _iso(e.get("valid_to")), "bank_account": e.get("bank_account"),
                            "transfer_title": e.get("transfer_title"), "due_day": e.get("due_day"),
                            "source": e["source"]} for e in earmarks]
    return stamp(doc)


def doc_earmarks(doc: dict) -> tuple:
    """issue 30: the funds and sections' dues the file declares binding its unit (004 §4, §3 ust. 4)."""
    from transforms.earmarks import Earmark
    return tuple(Earmark.from_row({**e, "valid_from": date.fromisoformat(e["valid_from"]),
                                   "valid_to": date.fromisoformat(e["valid_to"]) if e.get("valid_to") else None})
                 for e in doc.get("earmarks", []))


def canonical(doc: dict) -> bytes:
    """The canonical JSON of a document: sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def digest(doc: dict) -> str:
    """Hex sha256 of the canonical JSON of the document without its ``sha256`` key."""
    return hashlib.sha256(canonical({k: v for k, v in doc.items() if k != "sha256"})).hexdigest()


def stamp(doc: dict) -> dict:
    """The document with its ``sha256`` (re)computed."""
    out = {k: v for k, v in doc.items() if k != "sha256"}
    out["sha256"] = digest(out)
    return out


def to_bytes(doc: dict) -> bytes:
    """The file's bytes (the document validated first: a file that fails its schema is a bug)."""
    validate(doc)
    return canonical(doc)


# ------------------------------------------------------------------ schema

@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


_WHAT = {"required": "brak wymaganego pola", "type": "zły typ wartości", "additionalProperties": "pole spoza formatu",
         "pattern": "wartość w złej postaci", "enum": "niedozwolona wartość", "const": "niedozwolona wartość",
         "minimum": "wartość poniżej dopuszczalnej", "minLength": "pusta wartość", "format": "wartość w złej postaci"}


def schema_problems(doc) -> list[str]:
    """What in ``doc`` does not follow the schema, in Polish ('pole dues.owed_gr: zły typ wartości'), sorted."""
    out = []
    for e in _validator().iter_errors(doc):
        path = ".".join(str(p) for p in e.absolute_path) or "dokument"
        what = _WHAT.get(e.validator, "wartość niezgodna ze schematem")
        if e.validator == "required":
            missing = [r for r in e.validator_value if not isinstance(e.instance, dict) or r not in e.instance]
            what += f" {', '.join(missing)}"
        elif e.validator == "additionalProperties" and isinstance(e.instance, dict):
            extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
            what += f" ({', '.join(extra)})"
        out.append(f"pole {path}: {what}")
    return sorted(set(out))


def validate(doc, name: str = "rozliczenie") -> None:
    """Raises ``settlement_bad_schema`` naming the first problems when ``doc`` fails the schema."""
    problems = schema_problems(doc)
    if problems:
        raise UserError("settlement_bad_schema", file=name, detail="; ".join(problems[:3])
                        + (f" (i {len(problems) - 3} innych)" if len(problems) > 3 else ""))


# ------------------------------------------------------------------ reading

def read(data: bytes, name: str = "rozliczenie") -> dict:
    """A settlement file's bytes -> its document: JSON of this format, following the schema, its
    hash right. ``name``: the file's name, for the messages."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UserError("settlement_not_settlement", file=name, what="to nie jest plik JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise UserError("settlement_not_settlement", file=name,
                        what=f"pole format ma wartość '{found}'" if found else "brak pola format")
    validate(doc, name)
    computed = digest(doc)
    if computed != doc["sha256"]:
        raise UserError("settlement_bad_hash", file=name, declared=doc["sha256"][:12], computed=computed[:12])
    return doc


# ------------------------------------------------------------------ checks against the rulebook

def _labels(version: RulebookVersion, doc: dict | None = None) -> dict[str, str]:
    return {lvl.code: lvl.label for lvl in version.levels} | {e.level: e.label for e in doc_earmarks(doc or {})}


def cascade_of(doc: dict, version: RulebookVersion) -> Cascade:
    """The unit's cascade under ``version``: sheltered or not, with its declared share overrides."""
    from transforms.earmarks import extend
    unit = doc[UNIT]
    return extend(unit_cascade({"sheltered": unit["sheltered"], **unit.get("overrides", {})}, version),
                  doc_earmarks(doc))


def expected_split(base: int, kept: int, cascade: Cascade) -> dict[str, int]:
    """Per level: the cascade of ``base`` with ``kept`` added to the root level."""
    parts = split_dues(base, cascade)
    parts[cascade.root] += kept
    return parts


def _by_level(rows: list[dict], levels: tuple[str, ...]) -> dict[str, int]:
    out = {lvl: 0 for lvl in levels}
    for r in rows:
        out[r["level"]] = out.get(r["level"], 0) + r["amount_gr"]
    return out


def _compare(name: str, what: str, declared: dict[str, int], expected: dict[str, int],
             labels: dict[str, str] | None = None) -> None:
    """The first level whose declared amount differs, named by its label (``labels``: the
    rulebook version's, where the keys are its levels)."""
    for level in [*expected, *sorted(set(declared) - set(expected))]:      # the rulebook's order
        if level not in expected or declared.get(level, 0) != expected[level]:
            shown = f"{labels[level]} ({level})" if labels and level in labels else level
            raise UserError("settlement_split_mismatch", file=name, what=what, level=shown,
                            declared=format_pl(declared.get(level, 0)),
                            expected=format_pl(expected.get(level, 0)) if level in expected else "brak poziomu")


def check_split(doc: dict, version: RulebookVersion, name: str = "rozliczenie") -> None:
    """The declared split by level equals, to the grosz, the split recomputed from the declared
    totals under ``version`` (the rulebook version the file names): the month's settlement from
    ``split_base_gr`` and ``kept_gr``; the owed allocations from ``owed_split_base_gr`` and ``owed_gr``."""
    cascade = cascade_of(doc, version)
    levels = cascade.levels
    d = doc["dues"]
    month = [r for r in doc["settlement"] if r["basis"] in MONTH_BASES]
    _compare(name, "podział wpłaconych składek", _by_level(month, levels),
             _by_level([{"level": k, "amount_gr": v} for k, v in
                        expected_split(d["split_base_gr"], d["kept_gr"], cascade).items()], levels), _labels(version, doc))
    _compare(name, "podział należnych składek", _by_level(doc["allocations"], levels),
             _by_level([{"level": k, "amount_gr": v} for k, v in
                        expected_split(d["owed_split_base_gr"], d["owed_gr"] - d["owed_split_base_gr"],
                                       cascade).items()], levels), _labels(version, doc))
    if d["owed_split_base_gr"] > d["owed_gr"]:
        raise UserError("settlement_split_mismatch", file=name, what="podział należnych składek",
                        level=cascade.root, declared=format_pl(d["owed_split_base_gr"]),
                        expected=f"najwyżej {format_pl(d['owed_gr'])}")


def expected_transfers(doc: dict, version: RulebookVersion) -> pl.DataFrame:
    """The unit's own transfers (payer the unit) that follow from the declared settlement, all
    bases (corrections included), exactly as a close works them out (allocate.transfers_from)."""
    from transforms.allocate import transfers_from
    unit = doc[UNIT]
    earmarks = doc_earmarks(doc)
    # the file's earmarks are its unit's: each binds it (its region's funds, its section's dues)
    section = next((e.owner_id for e in earmarks if e.kind == "section"), None)
    units = pl.DataFrame([{"unit_id": unit["unit_id"], "region_id": unit["region_id"], "sheltered": unit["sheltered"],
                           "rulebook": version.name, "section_id": section, **unit.get("overrides", {})}])
    levels = pl.DataFrame([{"unit_id": unit["unit_id"], "level": r["level"], "amount": r["amount_gr"]}
                           for r in doc["settlement"]],
                          schema={"unit_id": pl.String, "level": pl.String, "amount": pl.Int64})
    rules = Rules(period=doc["period"], versions={version.name: version}, default=version.name, missing={},
                  earmarks=earmarks)
    out = transfers_from(units, levels, rules)
    return out.filter(pl.col("payer_id") == unit["unit_id"])


def check_transfers(doc: dict, version: RulebookVersion, name: str = "rozliczenie") -> None:
    """The declared transfers are those that follow from the declared settlement: the same payee
    levels, amounts to the grosz and deadlines."""
    expected = {r["payee"]: (r["amount"], r["due_on"].isoformat()) for r in expected_transfers(doc, version).to_dicts()}
    declared: dict[str, tuple[int, str]] = {}
    for t in doc["transfers"]:
        a, due = declared.get(t["level"], (0, t["due_on"]))
        declared[t["level"]] = (a + t["amount_gr"], t["due_on"])
    _compare(name, "przelew", {k: v[0] for k, v in declared.items()}, {k: v[0] for k, v in expected.items()},
             _labels(version, doc))
    for level, (_, due) in declared.items():
        if due != expected[level][1]:
            raise UserError("settlement_split_mismatch", file=name, what="termin przelewu", level=level,
                            declared=due, expected=expected[level][1])



def split_base_of(levels: dict[str, int], cascade: Cascade, hint: int | None = None) -> tuple[int, int] | None:
    """(D, kept) whose cascade gives exactly these month settlement amounts per level: ``hint``
    (the close's recorded D) when it does, else the D found next to (root's outflow) / (root's
    shares); None when none does (a settlement not made by the cascade)."""
    total = sum(levels.values())
    want = {lvl: levels.get(lvl, 0) for lvl in cascade.levels}

    def fits(d: int) -> bool:
        return expected_split(d, total - d, cascade) == want
    if hint is not None and fits(hint):
        return hint, total - hint
    share = sum((m.share for m in cascade.moves if m.source_level == cascade.root), start=0)
    if not share:
        return (0, total) if fits(0) else None
    guess = round((total - want[cascade.root]) / share)
    for d in sorted(range(guess - 3, guess + 4), key=lambda x: abs(x - guess)):
        if fits(d):
            return d, total - d
    return None


# ------------------------------------------------------------------ a region's file (kind "region")

REGION = "region"          # the kind of a region's file, and its own block's key in the document


def _summed(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """Rows with the same ``keys`` summed (amount_gr), in the order they first appear."""
    out: dict[tuple, dict] = {}
    for r in rows:
        k = tuple(r.get(c) for c in keys)
        if k not in out:
            out[k] = {**{c: r.get(c) for c in keys}, "amount_gr": 0}
        out[k]["amount_gr"] += _gr(r["amount_gr"])
    return list(out.values())


def build_region(*, union: str, rulebook: str, rulebook_version, period: str, version: int, region: dict,
                 approved_at, approved_via: str, incomplete: bool, covered: list[dict], transfers: list[dict],
                 remitted_gr: int, run_id: str, input_sha256: str | None) -> dict:
    """A region's settlement of a month to the national level (kind "region"), with its ``sha256``.
    ``region``: region_id, name, bank_account, transfer_title. ``covered``: each unit it covers —
    unit (as ``build``'s), rulebook, rulebook_version, file_sha256 / file_version (the unit's file
    it relied on; None for a month the region closed itself), incomplete, by_category, owed_gr,
    received_gr, allocations, settlement (rows as a unit's file has them). The document's members,
    dues, allocations and settlement are the covered units' summed (split bases 0: a region's file
    is not split again); ``transfers`` the region's own to the national level(s); ``remitted_gr``
    what its units transferred to it."""
    units = [{**c, UNIT: build(union=union, rulebook=c["rulebook"], rulebook_version=c["rulebook_version"],
                                 period=period, version=1, unit=c[UNIT], approved_at=approved_at,
                                 approved_via=approved_via, incomplete=False, by_category={}, owed_gr=0,
                                 owed_split_base_gr=0, received_gr=0, split_base_gr=0, kept_gr=0, allocations=[],
                                 settlement=[], corrections=[], transfers=[], run_id=run_id,
                                 input_sha256=input_sha256)[UNIT]} for c in covered]
    by_category: dict[str, int] = {}
    for c in units:
        for k, n in c["by_category"].items():
            by_category[k] = by_category.get(k, 0) + int(n)
    doc = build(union=union, rulebook=rulebook, rulebook_version=rulebook_version, period=period, version=version,
                unit={"unit_id": region["region_id"], "name": region.get("name"), "region_id": region["region_id"],
                      "voivodeship": region.get("voivodeship"), "sheltered": False, "raised_pct": None,
                      "bank_account": region.get("bank_account")},
                approved_at=approved_at, approved_via=approved_via, incomplete=incomplete, by_category=by_category,
                owed_gr=sum(_gr(c["owed_gr"]) for c in units), owed_split_base_gr=0,
                received_gr=sum(_gr(c["received_gr"]) for c in units), split_base_gr=0, kept_gr=0,
                allocations=_summed([a for c in units for a in c["allocations"]], ("level",)),
                settlement=_summed([s for c in units for s in c["settlement"]], ("level", "basis", "corrects")),
                corrections=[], transfers=transfers, run_id=run_id, input_sha256=input_sha256, kind=REGION)
    doc[REGION] = {
        "transfer_title": region.get("transfer_title") or None, "remitted_gr": _gr(remitted_gr),
        "covered": [{UNIT: c[UNIT], "rulebook": c["rulebook"], "rulebook_version": _iso(c["rulebook_version"]),
                     "file_sha256": c.get("file_sha256"),
                     "file_version": None if c.get("file_version") is None else int(c["file_version"]),
                     "incomplete": bool(c.get("incomplete")),
                     "members": {"paying": int(sum(c["by_category"].values())),
                                 "by_category": {k: int(v) for k, v in sorted(c["by_category"].items())}},
                     "owed_gr": _gr(c["owed_gr"]), "received_gr": _gr(c["received_gr"]),
                     "allocations": [{"level": a["level"], "amount_gr": _gr(a["amount_gr"])} for a in c["allocations"]],
                     "settlement": [{"level": s["level"], "amount_gr": _gr(s["amount_gr"]), "basis": s["basis"],
                                     "corrects": s.get("corrects")} for s in c["settlement"]]}
                    for c in sorted(units, key=lambda c: c[UNIT]["unit_id"])]}
    return stamp(doc)


def region_flows(doc: dict, rules: Rules) -> pl.DataFrame:
    """The transfers that follow from the covered units' settlements (every payer: the units' own
    and the region's forwards), as a close works them out (allocate.transfers_from)."""
    from transforms.allocate import transfers_from
    covered = doc[REGION]["covered"]
    units = pl.DataFrame([{"unit_id": c[UNIT]["unit_id"], "region_id": c[UNIT]["region_id"],
                           "sheltered": c[UNIT]["sheltered"], "rulebook": c["rulebook"],
                           **c[UNIT].get("overrides", {})} for c in covered],
                         schema_overrides={"unit_id": pl.String, "region_id": pl.String, "sheltered": pl.Boolean,
                                           "rulebook": pl.String})
    levels = pl.DataFrame([{"unit_id": c[UNIT]["unit_id"], "level": s["level"], "amount": s["amount_gr"]}
                           for c in covered for s in c["settlement"]],
                          schema={"unit_id": pl.String, "level": pl.String, "amount": pl.Int64})
    return transfers_from(units, levels, rules.only({c["rulebook"] for c in covered}))


def check_region(doc: dict, rules: Rules, name: str = "rozliczenie") -> None:
    """A region's file adds up: its totals are its covered units' summed, and its transfers to the
    national level and what its units remitted to it follow from the units' settlements under the
    rulebooks in force (``rules``: the month's; each unit's rulebook version checked before).
    Raises ``settlement_split_mismatch``."""
    block, region = doc[REGION], doc[UNIT]["unit_id"]
    covered = block["covered"]
    levels = tuple(dict.fromkeys(lvl.code for lvl in rules.levels))
    _compare(name, "suma podziału należnych składek jednostek", _by_level(doc["allocations"], levels),
             _by_level([a for c in covered for a in c["allocations"]], levels))
    _compare(name, "suma rozliczeń jednostek", _by_level(doc["settlement"], levels),
             _by_level([s for c in covered for s in c["settlement"]], levels))
    by_category: dict[str, int] = {}
    for c in covered:
        for k, n in c["members"]["by_category"].items():
            by_category[k] = by_category.get(k, 0) + n
        if c["members"]["paying"] != sum(c["members"]["by_category"].values()):
            raise UserError("settlement_split_mismatch", file=name, what="liczba płacących członków",
                            level=c[UNIT]["unit_id"], declared=str(c["members"]["paying"]),
                            expected=str(sum(c["members"]["by_category"].values())))
    for what, declared, expected in (
            ("liczba płacących członków", doc["members"]["by_category"], by_category),
            ("należne składki jednostek", {"owed": doc["dues"]["owed_gr"]}, {"owed": sum(c["owed_gr"] for c in covered)}),
            ("wpłacone składki jednostek", {"received": doc["dues"]["received_gr"]},
             {"received": sum(c["received_gr"] for c in covered)})):
        if declared != expected:
            key = next((k for k in sorted(set(declared) | set(expected)) if declared.get(k) != expected.get(k)), "")
            raise UserError("settlement_split_mismatch", file=name, what=what, level=key,
                            declared=str(declared.get(key, 0)), expected=str(expected.get(key, 0)))
    flows = region_flows(doc, rules)
    units = {c[UNIT]["unit_id"] for c in covered}
    own = flows.filter((pl.col("payer_id") == region) & ~pl.col("payer_id").is_in(list(units)))
    forwarded = {r["payee"] for r in flows.filter(pl.col("payer_id").is_in(list(units))).to_dicts()} & set(
        own["payer_kind"].to_list())
    expected = {r["payee"]: (r["amount"], r["due_on"].isoformat()) for r in own.to_dicts()}
    declared: dict[str, tuple[int, str]] = {}
    for t in doc["transfers"]:
        a, _ = declared.get(t["level"], (0, t["due_on"]))
        declared[t["level"]] = (a + t["amount_gr"], t["due_on"])
    _compare(name, "przelew regionu", {k: v[0] for k, v in declared.items()}, {k: v[0] for k, v in expected.items()})
    for level, (_, due) in declared.items():
        if due != expected[level][1]:
            raise UserError("settlement_split_mismatch", file=name, what="termin przelewu regionu", level=level,
                            declared=due, expected=expected[level][1])
    remitted = int(flows.filter(pl.col("payer_id").is_in(list(units)) & pl.col("payee").is_in(list(forwarded)))
                   ["amount"].sum() or 0)
    if block["remitted_gr"] != remitted:
        raise UserError("settlement_split_mismatch", file=name, what="wpłaty jednostek do regionu", level=region,
                        declared=format_pl(block["remitted_gr"]), expected=format_pl(remitted))
