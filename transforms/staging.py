"""Staging: raw input rows (all text) -> typed rows, plus exception records for the rows that fail.

Every raw frame carries ``_source`` (file name) and ``_row`` (1-based data row). Checks are small
named functions; a failing row becomes an exception record (CONTRACT.md reason codes) and is not
used. Nothing here raises on bad data: errors are records, collected.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

import polars as pl
from stdnum.pl import pesel as stdnum_pesel

from transforms.money import AMOUNT_RE, grosze, parse_amount_expr
from transforms.rulebook import CATEGORIES, Rulebook, RulebookVersion

VOIVODESHIPS = frozenset({
    "dolnośląskie", "kujawsko-pomorskie", "lubelskie", "lubuskie", "łódzkie", "małopolskie",
    "mazowieckie", "opolskie", "podkarpackie", "podlaskie", "pomorskie", "śląskie",
    "świętokrzyskie", "warmińsko-mazurskie", "wielkopolskie", "zachodniopomorskie",
})
PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_RE)
_PCT = re.compile(r"^\d{1,3}(\.\d{1,2})?$")

EXCEPTION_SCHEMA = {
    "period": pl.String, "source": pl.String, "row": pl.Int64, "member_id": pl.String,
    "reason_code": pl.String, "message": pl.String,
}


def exception(period: str, source: str, row: int | None, member_id: str | None,
              reason: str, message: str) -> dict:
    return {"period": period, "source": source, "row": row, "member_id": member_id,
            "reason_code": reason, "message": message}


def exceptions_frame(records: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(records, schema=EXCEPTION_SCHEMA)


def is_period(text: str | None) -> bool:
    return bool(text) and bool(_PERIOD.match(text))


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def months_between(first: str, last: str) -> int:
    """Inclusive count of months from ``first`` to ``last`` (YYYY-MM): 2026-10..2027-03 -> 6."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1


def _blank(v: str | None) -> bool:
    return v is None or v.strip() == ""


def _date(v: str | None) -> date | None:
    try:
        return date.fromisoformat(v.strip()) if v and re.match(r"^\d{4}-\d{2}-\d{2}$", v.strip()) else None
    except ValueError:
        return None


def bank_account_iban(text: str) -> str | None:
    """NRB ('61 1090 1014 0000 0712 1981 2874') or PL IBAN -> 'PL' + 26 digits; None if invalid."""
    from stdnum import iban
    compact = re.sub(r"[\s\-]", "", text or "").upper()
    if re.fullmatch(r"\d{26}", compact):
        compact = "PL" + compact
    return compact if compact.startswith("PL") and iban.is_valid(compact) else None


# ------------------------------------------------------------------ units

@dataclass
class StagedUnits:
    units: pl.DataFrame            # one row per valid unit
    exceptions: list[dict]
    rejected_ids: set[str]         # unit ids whose rows were rejected (their members are blocked)
    rejected_rows: dict[str, int]  # unit_id -> units.csv row, for messages
    rows_rejected: int


def _unit_problems(r: dict, books: dict[str, Rulebook], period: str) -> tuple[list[str], dict]:
    """Check one units.csv row; returns (problems, typed values)."""
    problems: list[str] = []
    typed: dict = {}
    if _blank(r.get("unit_id")):
        problems.append("unit_id is empty; every unit needs an id")
    if _blank(r.get("region_id")):
        problems.append("region_id is empty; name the region the unit belongs to")
    voiv = (r.get("voivodeship") or "").strip()
    if voiv not in VOIVODESHIPS:
        problems.append(f"voivodeship {voiv!r} is not one of the 16 (Polish lowercase, e.g. 'śląskie')")
    sheltered = (r.get("sheltered") or "").strip().lower()
    if sheltered not in ("", "true", "false"):
        problems.append(f"sheltered {r.get('sheltered')!r} must be true or false")
    typed["sheltered"] = sheltered == "true"
    name = (r.get("rulebook") or "").strip() or "solidarnosc"
    version: RulebookVersion | None = None
    if name not in books:
        problems.append(f"rulebook {name!r} is unknown; known: {', '.join(sorted(books))}")
    else:
        try:
            version = books[name].version_for(period)
        except LookupError as e:
            problems.append(str(e))
    typed["rulebook"] = name
    raised = (r.get("raised_pct") or "").strip() or "100"
    if not _PCT.match(raised):
        problems.append(f"raised_pct {r.get('raised_pct')!r} is not a percentage like 150")
    else:
        pct = Fraction(raised)
        limit = version.max_raised_pct if version else Fraction(200)
        if pct < 100 or pct > limit:
            problems.append(f"raised_pct {raised} is outside 100–{limit} "
                            f"(004 §2 ust. 1: at most 200 % of the §1 dues)")
        typed["raised_bp"] = int(pct * 100)
    for col in ("unemployed_flat", "pensioner_flat"):
        v = (r.get(col) or "").strip() or "0"
        if not re.match(AMOUNT_RE, v) or v.startswith("-"):
            problems.append(f"{col} {r.get(col)!r} is not an amount in PLN like 10.00")
        else:
            typed[col] = grosze(v)
    account = (r.get("bank_account") or "").strip()
    typed["bank_account"] = None
    if account:
        iban = bank_account_iban(account)
        if iban is None:
            problems.append(f"bank_account {account!r} is not a valid Polish account number (NRB, 26 "
                            "digits, or IBAN PL + 26 digits)")
        typed["bank_account"] = iban
    override = (r.get("national_contribution_pct") or "").strip()
    typed["national_contribution_pct"] = None
    if override:
        if not _PCT.match(override) or Fraction(override) > 100:
            problems.append(f"national_contribution_pct {override!r} is not a percentage 0–100")
        elif version and any(s.transfer_to != "national" for s in version.split.values()):
            problems.append(f"national_contribution_pct applies only to rulebooks whose units pay the "
                            f"national board directly (not {name!r}); leave it empty")
        else:
            typed["national_contribution_pct"] = override
    return problems, typed


def stage_units(raw: pl.DataFrame, books: dict[str, Rulebook], period: str) -> StagedUnits:
    rows = raw.to_dicts()
    counts: dict[str, int] = {}
    for r in rows:
        uid = (r.get("unit_id") or "").strip()
        counts[uid] = counts.get(uid, 0) + 1
    good, exc, rejected_ids, rejected_rows = [], [], set(), {}
    for r in rows:
        uid = (r.get("unit_id") or "").strip()
        problems, typed = _unit_problems(r, books, period)
        if uid and counts[uid] > 1:
            problems.append(f"unit_id {uid!r} appears {counts[uid]} times; ids must be unique")
        if problems:
            exc.append(exception(period, r["_source"], r["_row"], None, "bad_unit",
                                 f"{r['_source']} row {r['_row']} (unit {uid or '?'}): "
                                 + "; ".join(problems) + ". Fix the row; members of this unit are "
                                 "blocked until then."))
            if uid:
                rejected_ids.add(uid)
                rejected_rows.setdefault(uid, r["_row"])
            continue
        good.append({"unit_id": uid, "name": (r.get("name") or "").strip(),
                     "region_id": r["region_id"].strip(), "voivodeship": r["voivodeship"].strip(),
                     **typed, "_row": r["_row"]})
    schema = {"unit_id": pl.String, "name": pl.String, "region_id": pl.String,
              "voivodeship": pl.String, "sheltered": pl.Boolean, "rulebook": pl.String,
              "raised_bp": pl.Int64, "unemployed_flat": pl.Int64, "pensioner_flat": pl.Int64,
              "national_contribution_pct": pl.String, "bank_account": pl.String, "_row": pl.Int64}
    units = pl.DataFrame(good, schema=schema)
    return StagedUnits(units, exc, rejected_ids, rejected_rows, len(rows) - len(good))


# ------------------------------------------------------------------ members

@dataclass
class StagedMembers:
    members: pl.DataFrame          # one row per valid member (owes: whether dues are owed in period)
    exceptions: list[dict]
    rejected_ids: set[str]         # member ids with a rejected row (blocked)
    known_ids: set[str]            # every member id named in members.csv


def stage_members(raw: pl.DataFrame, units: StagedUnits, books: dict[str, Rulebook],
                  period: str) -> StagedMembers:
    unit_book = dict(zip(units.units["unit_id"], units.units["rulebook"]))
    unit_categories = {u: books[b].version_for(period).categories for u, b in unit_book.items()}
    rows = raw.to_dicts()
    counts: dict[str, int] = {}
    for r in rows:
        mid = (r.get("member_id") or "").strip()
        counts[mid] = counts.get(mid, 0) + 1
    good, exc, rejected = [], [], set()
    for r in rows:
        mid = (r.get("member_id") or "").strip()
        uid = (r.get("unit_id") or "").strip()
        problems = []
        if not mid:
            problems.append("member_id is empty")
        elif counts[mid] > 1:
            problems.append(f"member_id {mid!r} appears {counts[mid]} times; ids must be unique")
        if uid in units.rejected_ids:
            problems.append(f"its unit {uid!r} is rejected (units.csv row "
                            f"{units.rejected_rows[uid]}); fix the unit first")
        elif uid not in unit_book:
            problems.append(f"unit_id {uid!r} is not in units.csv")
        category = (r.get("category") or "").strip()
        if category not in CATEGORIES:
            problems.append(f"category {category!r} must be one of {', '.join(CATEGORIES)}")
        elif uid in unit_book and category not in unit_categories[uid]:
            problems.append(f"category {category!r} does not exist in rulebook "
                            f"{unit_book[uid]!r} of unit {uid}")
        joined = _date(r.get("joined_on"))
        if joined is None:
            problems.append(f"joined_on {r.get('joined_on')!r} is not a date YYYY-MM-DD")
        left = None
        if not _blank(r.get("left_on")):
            left = _date(r.get("left_on"))
            if left is None:
                problems.append(f"left_on {r.get('left_on')!r} is not a date YYYY-MM-DD")
            elif joined and left < joined:
                problems.append(f"left_on {left} is before joined_on {joined}")
        pesel = (r.get("pesel") or "").strip()
        if pesel and not stdnum_pesel.is_valid(pesel):
            problems.append(f"PESEL {pesel!r} is not valid (11 digits with a correct checksum and "
                            "birth date); correct it or leave the cell empty")
        if problems:
            exc.append(exception(period, r["_source"], r["_row"], mid or None, "bad_member",
                                 f"{r['_source']} row {r['_row']} (member {mid or '?'}): "
                                 + "; ".join(problems) + "."))
            if mid:
                rejected.add(mid)
            continue
        owes = month_of(joined) <= period and (left is None or period <= month_of(left))
        good.append({"member_id": mid, "unit_id": uid, "category": category,
                     "joined_on": joined, "left_on": left, "pesel": pesel or None,
                     "full_name": (r.get("full_name") or "").strip(), "owes": owes,
                     "_row": r["_row"]})
    schema = {"member_id": pl.String, "unit_id": pl.String, "category": pl.String,
              "joined_on": pl.Date, "left_on": pl.Date, "pesel": pl.String,
              "full_name": pl.String, "owes": pl.Boolean, "_row": pl.Int64}
    members = pl.DataFrame(good, schema=schema)
    known = {(r.get("member_id") or "").strip() for r in rows} - {""}
    return StagedMembers(members, exc, rejected, known)


# ------------------------------------------------------------------ income lines

@dataclass
class StagedIncome:
    lines: pl.DataFrame            # in-period lines that passed every check: member_id, component, amount
    exceptions: pl.DataFrame
    blocked_ids: set[str]          # members blocked by a bad line
    status: pl.DataFrame           # _source, _row, status (ok | rejected | skipped)


def stage_income(raw: pl.DataFrame, members: StagedMembers, units: StagedUnits,
                 books: dict[str, Rulebook], period: str) -> StagedIncome:
    """Vectorised checks of the income lines, in the order a treasurer would fix them."""
    components = {name: sorted(b.version_for(period).components) for name, b in books.items()}
    member_book = (members.members.select("member_id", "unit_id", "owes")
                   .join(units.units.select("unit_id", "rulebook"), on="unit_id", how="left"))
    comp_known = pl.DataFrame(
        [{"rulebook": n, "component": c, "known": True} for n, cs in components.items() for c in cs],
        schema={"rulebook": pl.String, "component": pl.String, "known": pl.Boolean})
    rejected_members = pl.DataFrame({"member_id": sorted(members.rejected_ids)},
                                    schema={"member_id": pl.String})
    known_members = pl.DataFrame({"member_id": sorted(members.known_ids)}, schema={"member_id": pl.String})

    df = (raw.with_columns(pl.col(c).str.strip_chars() for c in ("period", "member_id", "component", "amount"))
          .with_columns(amount_gr=parse_amount_expr("amount"))
          .join(member_book, on="member_id", how="left")
          .join(comp_known, on=["rulebook", "component"], how="left")
          .join(known_members.with_columns(in_register=pl.lit(True)), on="member_id", how="left")
          .join(rejected_members.with_columns(member_rejected=pl.lit(True)), on="member_id", how="left")
          .with_columns(pl.col("known", "in_register", "member_rejected").fill_null(False)))

    where = pl.col("_source") + pl.lit(" row ") + pl.col("_row").cast(pl.String)
    bad_period = ~pl.col("period").fill_null("").str.contains(PERIOD_RE)
    in_period = ~bad_period & (pl.col("period") == period)
    unknown_member = in_period & ~pl.col("in_register")
    usable = in_period & pl.col("in_register") & ~pl.col("member_rejected")
    checks = [  # (reason, failing rows, message) — each a named rule of CONTRACT.md
        ("bad_period", bad_period,
         where + pl.lit(": period ") + pl.col("period").fill_null("").map_elements(repr, return_dtype=pl.String)
         + pl.lit(" is not YYYY-MM (e.g. ") + pl.lit(period) + pl.lit("); fix the line.")),
        ("unknown_member", unknown_member,
         where + pl.lit(": member ") + pl.col("member_id").fill_null("?")
         + pl.lit(" is not in members.csv; add the member or correct the id.")),
        ("unknown_component", usable & ~pl.col("known"),
         where + pl.lit(": component ") + pl.col("component").fill_null("").map_elements(repr, return_dtype=pl.String)
         + pl.lit(" is not a code of rulebook ") + pl.col("rulebook").fill_null("?")
         + pl.lit(" (RULES.md §3 lists them, e.g. wage, bonus, award); map it to a code. "
                  "The member's dues are not computed until then.")),
        ("bad_amount", usable & pl.col("amount_gr").is_null(),
         where + pl.lit(": amount ") + pl.col("amount").fill_null("").map_elements(repr, return_dtype=pl.String)
         + pl.lit(" is not a number like 1234.56 (decimal point, at most 2 decimals); fix it. "
                  "The member's dues are not computed until then.")),
        ("not_a_member_in_period", usable & pl.col("known") & pl.col("amount_gr").is_not_null() & ~pl.col("owes"),
         where + pl.lit(": member ") + pl.col("member_id")
         + pl.lit(" does not owe dues for ") + pl.lit(period)
         + pl.lit(" (outside joined_on..left_on in members.csv); the line is not used.")),
    ]
    exc_parts = []
    failed = pl.lit(False)
    for reason, cond, msg in checks:
        part = df.filter(cond).select(
            pl.lit(period).alias("period"), pl.col("_source").alias("source"),
            pl.col("_row").cast(pl.Int64).alias("row"),
            pl.when(pl.col("member_id") == "").then(None).otherwise(pl.col("member_id")).alias("member_id"),
            pl.lit(reason).alias("reason_code"), msg.alias("message"))
        exc_parts.append(part)
        failed = failed | cond
    exceptions = pl.concat(exc_parts) if exc_parts else exceptions_frame([])
    blocking = exceptions.filter(pl.col("reason_code").is_in(["unknown_component", "bad_amount"]))
    blocked = set(blocking["member_id"].drop_nulls().to_list())

    df = df.with_columns(
        status=pl.when(failed).then(pl.lit("rejected"))
        .when(~in_period).then(pl.lit("skipped"))
        .when(pl.col("member_rejected")).then(pl.lit("rejected"))
        .otherwise(pl.lit("ok")))
    lines = (df.filter(pl.col("status") == "ok")
             .select("member_id", "component", pl.col("amount_gr").alias("amount"), "_source", "_row"))
    return StagedIncome(lines, exceptions, blocked, df.select("_source", "_row", "member_id", "status"))


# ------------------------------------------------------------------ adjustments

@dataclass
class StagedAdjustments:
    in_force: pl.DataFrame         # member_id, kind, amount (grosze), decision_ref — applying to period
    exceptions: list[dict]
    blocked_ids: set[str]
    status: list[dict] = field(default_factory=list)  # _row, member_id, status


def stage_adjustments(raw: pl.DataFrame, members: StagedMembers, units: StagedUnits,
                      books: dict[str, Rulebook], period: str) -> StagedAdjustments:
    """004 §2 ust. 3: reductions or suspensions, at most 6 months per decision, no overlaps."""
    member_unit = dict(zip(members.members["member_id"], members.members["unit_id"]))
    unit_book = dict(zip(units.units["unit_id"], units.units["rulebook"]))
    exc, blocked, status, parsed = [], set(), [], []
    for r in raw.to_dicts():
        mid = (r.get("member_id") or "").strip()
        where = f"{r['_source']} row {r['_row']}"
        if mid not in members.known_ids:
            exc.append(exception(period, r["_source"], r["_row"], mid or None, "unknown_member",
                                 f"{where}: member {mid or '?'} is not in members.csv; add the member "
                                 "or correct the id."))
            status.append({"_row": r["_row"], "member_id": mid, "status": "rejected"})
            continue
        if mid in members.rejected_ids:
            status.append({"_row": r["_row"], "member_id": mid, "status": "rejected"})
            continue
        problems = []
        kind = (r.get("kind") or "").strip()
        if kind not in ("reduced", "suspended"):
            problems.append(f"kind {kind!r} must be reduced or suspended")
        amount = None
        a = (r.get("amount") or "").strip()
        if kind == "reduced":
            if not re.match(AMOUNT_RE, a) or a.startswith("-"):
                problems.append(f"amount {a!r} must be the monthly amount owed, like 5.00")
            else:
                amount = grosze(a)
        vf, vt = (r.get("valid_from") or "").strip(), (r.get("valid_to") or "").strip()
        if not is_period(vf) or not is_period(vt):
            problems.append(f"valid_from {vf!r} and valid_to {vt!r} must be YYYY-MM")
        elif vt < vf:
            problems.append(f"valid_to {vt} is before valid_from {vf}")
        else:
            limit = books[unit_book[member_unit[mid]]].version_for(period).max_reduction_months
            n = months_between(vf, vt)
            if n > limit:
                problems.append(f"{vf}..{vt} covers {n} months; one decision may cover at most "
                                f"{limit} (004 §2 ust. 3) — split it into a renewed decision")
        if problems:
            exc.append(exception(period, r["_source"], r["_row"], mid, "bad_adjustment",
                                 f"{where} (member {mid}): " + "; ".join(problems)
                                 + ". The adjustment is not applied and the member's dues are not "
                                 "computed until it is fixed."))
            blocked.add(mid)
            status.append({"_row": r["_row"], "member_id": mid, "status": "rejected"})
            continue
        parsed.append({"member_id": mid, "kind": kind, "amount": amount, "valid_from": vf,
                       "valid_to": vt, "decision_ref": (r.get("decision_ref") or "").strip() or None,
                       "_row": r["_row"], "_source": r["_source"]})
    # Overlapping decisions for one member: both are wrong, neither is guessed at.
    by_member: dict[str, list[dict]] = {}
    for p in parsed:
        by_member.setdefault(p["member_id"], []).append(p)
    in_force = []
    for mid, decisions in by_member.items():
        overlapping = set()
        for i, a in enumerate(decisions):
            for b in decisions[i + 1:]:
                if a["valid_from"] <= b["valid_to"] and b["valid_from"] <= a["valid_to"]:
                    overlapping.update({a["_row"], b["_row"]})
        for d in decisions:
            if d["_row"] in overlapping:
                others = sorted(overlapping - {d["_row"]})
                exc.append(exception(period, d["_source"], d["_row"], mid, "bad_adjustment",
                                     f"{d['_source']} row {d['_row']} (member {mid}): "
                                     f"{d['valid_from']}..{d['valid_to']} overlaps the decision in "
                                     f"row(s) {', '.join(map(str, others))}; keep one decision per "
                                     "month. Neither is applied until fixed."))
                blocked.add(mid)
                status.append({"_row": d["_row"], "member_id": mid, "status": "rejected"})
            elif d["valid_from"] <= period <= d["valid_to"]:
                in_force.append(d)
                status.append({"_row": d["_row"], "member_id": mid, "status": "ok"})
            else:
                status.append({"_row": d["_row"], "member_id": mid, "status": "skipped"})
    frame = pl.DataFrame(
        [{k: d[k] for k in ("member_id", "kind", "amount", "decision_ref", "valid_from", "valid_to")}
         for d in in_force],
        schema={"member_id": pl.String, "kind": pl.String, "amount": pl.Int64,
                "decision_ref": pl.String, "valid_from": pl.String, "valid_to": pl.String})
    return StagedAdjustments(frame, exc, blocked, status)
