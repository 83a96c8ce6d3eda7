"""Regional reconciliation (issue 6): bank credits matched to the transfers units owe the region
(RULES.md §5–§6, 004 §10), verdicts per unit and period, and members three months in arrears
(RULES.md §10). Pure: lists of dicts in, lists of dicts out; money in grosze.
"""
from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import date

from transforms.errors import text

def _norm(text: str) -> str:
    s = (text or "").lower().replace("ł", "l")
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch))


@dataclass(frozen=True)
class TitlePattern:
    name: str
    regex: re.Pattern
    region_id: str | None = None      # a region's own pattern (regions.csv transfer_title)


@dataclass(frozen=True)
class TitlePatterns:
    """The region patterns first, then the generic ones (data/title_patterns.toml)."""
    patterns: tuple[TitlePattern, ...]
    month_names: dict[str, int]

    def first(self, region_id: str | None) -> "TitlePatterns":
        """The same patterns with ``region_id``'s own in front (the region whose statement it is)."""
        own = tuple(p for p in self.patterns if p.region_id == region_id)
        return TitlePatterns(own + tuple(p for p in self.patterns if p not in own), self.month_names)


_PLACEHOLDERS = {"unit_id": r"(?P<unit_ref>[a-z0-9][a-z0-9-]*)", "MM": r"(?P<month>\d{1,2})", "YY": r"(?P<yy>\d{2})",
                 "YYYY": r"(?P<year>\d{4})", "period": r"(?P<year>\d{4})-(?P<month>\d{2})", "unit_name": r".*?"}


def template_regex(template: str) -> re.Pattern:
    """A region's transfer title template ('KZ {unit_id} skł {MM}/{YY}') as a pattern that reads
    titles without regard to case, Polish letters or spacing."""
    out = []
    for literal, field_name, _, _ in string.Formatter().parse(template):
        for part in re.split(r"(\s+)", _norm(literal)):
            out.append(r"\s*" if part.isspace() else re.escape(part))
        if field_name is not None:
            out.append(_PLACEHOLDERS.get(field_name, r".*?"))
    return re.compile("".join(out))


def title_patterns(config: dict, regions: list[dict] | None = None) -> TitlePatterns:
    """``config``: data/title_patterns.toml; ``regions``: region_id and transfer_title."""
    own = [TitlePattern(f"wzór regionu {r['region_id']}", template_regex(r["transfer_title"]), r["region_id"])
           for r in regions or [] if r.get("transfer_title")]
    generic = [TitlePattern(g["name"], re.compile(g["regex"])) for g in config["generic"]]
    return TitlePatterns(tuple(own + generic), {k: int(v) for k, v in config.get("month_names", {}).items()})


def _default_patterns() -> TitlePatterns:
    import tomllib
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "data" / "title_patterns.toml"
    return title_patterns(tomllib.loads(path.read_text(encoding="utf-8")))


def read_title(title: str, patterns: TitlePatterns | None = None) -> tuple[list[str], list[tuple[str, str | None]]]:
    """(periods named in order, without repeats; (unit text, region) named by a region's pattern)."""
    patterns = patterns or _default_patterns()
    t = _norm(title)
    found: list[tuple[int, str]] = []
    units: list[tuple[str, str | None]] = []
    for p in patterns.patterns:
        for m in p.regex.finditer(t):
            g = m.groupdict()
            year = g.get("year") or (f"20{g['yy']}" if g.get("yy") else None)
            month = int(g["month"]) if g.get("month") else patterns.month_names.get(g.get("month_name") or "")
            if year and month and 1 <= month <= 12:
                found.append((m.start(), f"{year}-{month:02d}"))
            if g.get("unit_ref"):
                units.append((g["unit_ref"], p.region_id))
    out: list[str] = []
    for _, period in sorted(found):
        if period not in out:
            out.append(period)
    return out, units


def periods_in_title(title: str, patterns: TitlePatterns | None = None) -> list[str]:
    """'Składki 09/2026 i 10.2026' -> ['2026-09', '2026-10'] (in order, no repeats)."""
    return read_title(title, patterns)[0]


@dataclass(frozen=True)
class Expected:
    unit_id: str              # the payer: a unit, or at the national level a region or a unit
    period: str
    amount: int
    due_on: date


@dataclass
class Unit:
    unit_id: str              # a payer: a unit, or a region (national level)
    name: str
    bank_account: str | None
    region_id: str | None = None


def _alnum(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _norm(value))


def unit_named(named: list[tuple[str, str | None]], units: list[Unit]) -> Unit | None:
    """The unit a region's title pattern names: by its id, or by its number within that region
    ('KZ 00001' is the region's unit 1)."""
    for text_, region in named:
        wanted = _alnum(text_)
        for u in units:
            if _alnum(u.unit_id) == wanted:
                return u
        if wanted.isdigit():
            same = [u for u in units if (region is None or u.region_id == region)
                    and re.search(r"(\d+)$", u.unit_id) and int(re.search(r"(\d+)$", u.unit_id).group(1)) == int(wanted)]
            if len(same) == 1:
                return same[0]
    return None


def identify_unit(credit: dict, units: list[Unit], named: list[tuple[str, str | None]] | None = None
                  ) -> tuple[Unit | None, str]:
    """By registered account first, then the region's title pattern, then a unit id in the title,
    then the unit's name."""
    if credit.get("account"):
        for u in units:
            if u.bank_account and u.bank_account == credit["account"]:
                return u, "account"
    by_pattern = unit_named(named or [], units)
    if by_pattern is not None:
        return by_pattern, "region title pattern"
    title = _norm(credit.get("title", "")) + " " + _norm(credit.get("counterparty", ""))
    compact = re.sub(r"[^a-z0-9]", "", title)
    for u in sorted(units, key=lambda u: -len(u.unit_id)):
        if _alnum(u.unit_id) and _alnum(u.unit_id) in compact:
            return u, "unit id in title"
    for u in units:
        name = re.sub(r"\s+", " ", _norm(u.name)).strip()
        if name and name in re.sub(r"\s+", " ", title):
            return u, "unit name in title"
    return None, ""


HOW_PL = {"account": "po rachunku", "region title pattern": "wg wzoru tytułu regionu",
          "unit id in title": "wg numeru w tytule", "unit name in title": "wg nazwy w tytule"}


def match_credits(credits: list[dict], expected: list[Expected], units: list[Unit],
                  patterns: TitlePatterns | None = None) -> tuple[list[dict], list[dict]]:
    """Every credit ends up in matches (possibly split over periods, overpayment on the last one)
    or in unmatched with a reason: Σ matched + Σ unmatched = Σ credits. Inputs are not changed."""
    by_unit: dict[str, list[Expected]] = {}
    for e in sorted(expected, key=lambda e: e.period):
        by_unit.setdefault(e.unit_id, []).append(e)
    # the regions this reconciliation covers: a unit of another region is not "missing" here
    region_of = {u.unit_id: u.region_id for u in units}
    scope_regions = {region_of.get(u) for u in by_unit} - {None}
    paid: dict[tuple[str, str], int] = {}

    def outstanding(e: Expected) -> int:
        return e.amount - paid.get((e.unit_id, e.period), 0)

    matches, unmatched = [], []
    # a debit entry reversing an earlier credit (same amount and payer) cancels it
    credit_rows = [c for c in credits if c["direction"] == "credit"]
    reversed_by: dict[str, str] = {}
    for d in (c for c in credits if c["direction"] == "debit"):
        twin = next((c for c in credit_rows if c["amount"] == -d["amount"] and c["key"] not in reversed_by
                     and (c.get("account") == d.get("account") or not d.get("account"))
                     and c["booking_date"] <= d["booking_date"]), None)
        if twin is not None:
            reversed_by[twin["key"]] = d["key"]
    for c in sorted(credit_rows, key=lambda c: (c["booking_date"], c["key"])):
        if c["key"] in reversed_by:
            unmatched.append({**c, "reason": text("notes", "reversed", entry=reversed_by[c["key"]])})
            continue
        named, named_units = read_title(c.get("title", ""), patterns)
        unit, how = identify_unit(c, units, named_units)
        if unit is None:
            unmatched.append({**c, "reason": text("notes", "unknown_payer")})
            continue
        own = by_unit.get(unit.unit_id, [])
        if not own and scope_regions and unit.region_id not in scope_regions:
            unmatched.append({**c, "unit_id": unit.unit_id, "reason": text(
                "notes", "not_in_scope", unit_id=unit.unit_id, how=HOW_PL.get(how, how), region=unit.region_id or "—")})
            continue
        if named:
            targets = [e for e in own if e.period in named]
            missing = [p for p in named if p not in {e.period for e in own}]
            if not targets:
                unmatched.append({**c, "unit_id": unit.unit_id, "reason": text(
                    "notes", "no_transfer_for_periods", unit_id=unit.unit_id, how=HOW_PL.get(how, how), periods=", ".join(missing))})
                continue
        else:
            targets = [e for e in own if outstanding(e) > 0] or own[-1:]
        if not targets:
            unmatched.append({**c, "unit_id": unit.unit_id,
                              "reason": text("notes", "nothing_to_pay", unit_id=unit.unit_id, how=HOW_PL.get(how, how))})
            continue
        left = c["amount"]
        for i, e in enumerate(targets):
            last = i == len(targets) - 1
            part = left if last else min(max(outstanding(e), 0), left)
            if part == 0 and not last:
                continue
            paid[(e.unit_id, e.period)] = paid.get((e.unit_id, e.period), 0) + part
            matches.append({"statement": c["statement"], "entry": c["entry"], "unit_id": unit.unit_id,
                            "period": e.period, "amount": part, "booking_date": c["booking_date"],
                            "matched_by": how + (", period in title" if named else ", oldest outstanding")})
            left -= part
            if left == 0:
                break
    return matches, unmatched


def verdicts(expected: list[Expected], matches: list[dict]) -> list[dict]:
    """paid | late | short | over | missing per unit and period, with the difference and days late."""
    payments: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for m in matches:
        payments.setdefault((m["unit_id"], m["period"]), []).append((m["booking_date"], m["amount"]))
    out = []
    for e in sorted(expected, key=lambda e: (e.unit_id, e.period)):
        got = sorted(payments.get((e.unit_id, e.period), []))
        paid = sum(a for _, a in got)
        completed_on = None
        running = 0
        for d, amount in got:
            running += amount
            if running >= e.amount and completed_on is None:
                completed_on = d
        last = max((d for d, _ in got), default=None)
        reference = completed_on or last
        days_late = max(0, (reference - e.due_on).days) if reference else None
        if e.amount == 0 and paid == 0:
            status = "paid"
        elif paid == 0:
            status = "missing"
        elif paid < e.amount:
            status = "short"
        elif paid > e.amount:
            status = "over"
        elif days_late:
            status = "late"
        else:
            status = "paid"
        out.append({"unit_id": e.unit_id, "period": e.period, "expected": e.amount, "paid": paid,
                    "difference": paid - e.amount, "due_on": e.due_on, "last_payment_on": last,
                    "days_late": days_late, "status": status})
    return out


@dataclass
class ReconcileResult:
    period: str
    credits: list[dict]
    matches: list[dict]
    unmatched: list[dict]
    status: list[dict]
    forwards: list[dict]
    arrears: list[dict]
    issues: list


def reconcile(period: str, inputs: dict) -> ReconcileResult:
    """Credits matched to the transfers due, verdicts, and the members in arrears (read from the
    members' accounts by the caller). ``inputs``: credits, expected, units, forwards, arrears, issues."""
    matches, unmatched = match_credits(inputs["credits"], inputs["expected"], inputs["units"], inputs.get("patterns"))
    status = verdicts(inputs["expected"], matches)
    return ReconcileResult(period, inputs["credits"], matches, unmatched, status, inputs["forwards"],
                           inputs["arrears"], inputs["issues"])
