"""Verification of delegate counts against remitted dues (RULES.md §7; 004 Uchwała XIX KZD
nr 6/2005) and apportionment of seats (RULES.md §8). Pure, exact: grosze and Fractions.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction

from transforms.errors import Issue, UserError, issue, text
from transforms.money import AMOUNT_RE, format_pl, fraction, grosze
from transforms.staging import VOIVODESHIPS, is_period


@dataclass(frozen=True)
class Verification:
    threshold: Fraction          # grosze, exact (may have fractions of a grosz)
    verdict: str                 # passed | reduced
    recognised_paying: int
    recognised_members: int
    needed: int                  # grosze the region had to remit to keep its declared count


def per_member_factor(keys_text: str) -> Fraction:
    """0.70 × 0.001 = 0.0007 of W per declared member (lit. a–b)."""
    v = tomllib.loads(keys_text)["verification"]
    return fraction(v["share_of_wage"]) * fraction(v["per_member_rate"])


def verify(wage: int, declared: int, remitted: int, exempt: int, factor: Fraction,
           equality_passes: bool = True) -> Verification:
    """T = factor × W × N. R ≥ T passes with N; otherwise the largest N' with factor × W × N' ≤ R
    (lit. b). Exempt members (lit. d) are added either way. ``equality_passes=False`` is lit. a
    read literally — R "musi być większa" than T: R = T does not pass, and N' is the largest with
    factor × W × N' < R."""
    per_member = factor * wage
    threshold = per_member * declared
    if remitted > threshold or (equality_passes and remitted == threshold):
        paying, verdict = declared, "passed"
    else:
        ratio = Fraction(remitted) / per_member
        paying = int(ratio) if equality_passes or ratio.denominator != 1 else int(ratio) - 1
        paying, verdict = max(0, min(paying, declared)), "reduced"
    return Verification(threshold, verdict, paying, paying + exempt, math.ceil(threshold))


# ------------------------------------------------------------------ apportionment

def largest_remainder(members: dict[str, int], seats: int) -> tuple[dict[str, int], dict[str, Fraction]]:
    """Hare–Niemeyer: floor of each quota, the rest to the largest remainders; ties by larger
    membership, then by id (RULES.md §8). Returns (seats, quotas)."""
    total = sum(members.values())
    if total == 0:
        return {r: 0 for r in members}, {r: Fraction(0) for r in members}
    quotas = {r: Fraction(seats * n, total) for r, n in members.items()}
    alloc = {r: math.floor(q) for r, q in quotas.items()}
    left = seats - sum(alloc.values())
    order = sorted(members, key=lambda r: (-(quotas[r] - alloc[r]), -members[r], r))
    for r in order[:left]:
        alloc[r] += 1
    return alloc, quotas


def per_count(key: str) -> int:
    """N of ``per:N`` / ``per-started:N``: a whole number from 1, ASCII digits (issue 27: ``per:0``
    crashed, ``per:-100`` gave negative seats)."""
    from transforms.parsing import count
    try:
        return count(key.partition(":")[2])
    except ValueError:
        raise UserError("bad_option", name="--key", detail=KEY_FORM.format(key=key)) from None


KEY_FORM = "'{key}': N w per:N i per-started:N to liczba całkowita od 1 (cyfry 0–9, np. per:50)"


def key_seats(members: dict[str, int], key: str, keys_text: str) -> tuple[dict[str, int | None], dict[str, Fraction], str]:
    """Seats by a fixed key: ``per:N``, ``per-started:N`` or a named key of delegate_keys.toml.
    Returns (seats per region, quota per region, description)."""
    if key.startswith("per:") or key.startswith("per-started:"):
        kind, _, n = key.partition(":")
        per = per_count(key)
        quotas = {r: Fraction(m, per) for r, m in members.items()}
        if kind == "per":
            return {r: m // per for r, m in members.items()}, quotas, f"jeden mandat na każdych pełnych {per} członków"
        return {r: -(-m // per) for r, m in members.items()}, quotas, f"jeden mandat na każdych rozpoczętych {per} członków"
    keys = tomllib.loads(keys_text)["keys"]
    if key not in keys:
        raise UserError("unknown_key", key=key, known=", ".join(sorted(keys)))
    spec = keys[key]
    desc = f"{key} ({spec['source']})"
    if spec["kind"] == "per_full":
        per = spec["per"]
        return ({r: m // per for r, m in members.items()}, {r: Fraction(m, per) for r, m in members.items()}, desc)
    if spec["kind"] == "base_plus_per_full":
        base, per = spec["base"], spec["per"]
        return ({r: base + m // per for r, m in members.items()},
                {r: Fraction(m, per) for r, m in members.items()}, desc)
    if spec["kind"] == "bands":
        if sum(members.values()) <= spec["applies_above_total"]:
            return ({r: None for r in members}, {r: Fraction(0) for r in members},
                    desc + f": nie stosuje się, łącznie {sum(members.values())} członków "
                           f"(stosuje się powyżej {spec['applies_above_total']})")
        out = {}
        for r, m in members.items():
            out[r] = next(b["seats"] for b in spec["bands"] if "up_to_members" not in b or m <= b["up_to_members"])
        return out, {r: Fraction(m) for r, m in members.items()}, desc
    if spec["kind"] == "assembly_threshold":
        above = sum(members.values()) > spec["threshold"]
        return ({r: None for r in members}, {r: Fraction(0) for r in members},
                desc + (": wymagane jest zebranie delegatów" if above else ": decyduje zebranie członków")
                + f" ({sum(members.values())} członków, próg {spec['threshold']})")
    raise ValueError(f"key {key}: unknown kind {spec['kind']!r}")


# ------------------------------------------------------------------ verification of a remittances file

def month_before(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def month_after(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y + 1}-01" if m == 12 else f"{y}-{m + 1:02d}"


def remittances_from_books(units: list[dict], members: dict[tuple[str, str], int],
                           exempt: dict[tuple[str, str], int], remitted: dict[tuple[str, str], int]) -> list[dict]:
    """Issue 29: the remittances.csv rows the stored settlements say, when the inbox has none — one
    per region, voivodeship and month the national level received the money (paid_in: the month
    after the dues month): the declared paying and exempt members of the region's units there, and
    what their settlements moved to the national share's levels. ``units``: period, unit_id,
    region_id, voivodeship of the verified rulebook's units; ``members`` / ``exempt``: (period,
    unit) -> counts; ``remitted``: (period, unit) -> grosze. Rows shaped as read_table gives them."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for u in units:
        k = (u["period"], u["region_id"], u["voivodeship"] or "")
        g = groups.setdefault(k, [0, 0, 0])
        key = (u["period"], u["unit_id"])
        g[0] += members.get(key, 0)
        g[1] += exempt.get(key, 0)
        g[2] += remitted.get(key, 0)
    out = []
    for i, ((period, region, voivodeship), (paying, free, amount)) in enumerate(sorted(groups.items()), start=2):
        out.append({"region_id": region, "voivodeship": voivodeship, "paid_in": month_after(period),
                    "amount": f"{amount // 100}.{amount % 100:02d}", "declared_paying_members": str(paying),
                    "exempt_members": str(free), "refused_units": None, "refused_members": None,
                    "refused_exempt_members": None, "_row": i})
    return out


def _int(v: str | None) -> int | None:
    return int(v) if v is not None and re.fullmatch(r"\d+", v.strip()) else None


@dataclass
class DelegateResult:
    verification: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    seats: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    seats_rule: str = ""


def stage_wages(rows: list[dict], source: str) -> tuple[dict[tuple[str, str], tuple[int, str]], list[Issue]]:
    """wages.csv -> {(voivodeship, month): (grosze, source)}; bad or conflicting rows are records."""
    wages: dict[tuple[str, str], tuple[int, str]] = {}
    found = []
    for r in rows:
        v, m, a = r["voivodeship"] or "", r["month"] or "", r["amount"] or ""
        if v not in VOIVODESHIPS or not is_period(m) or not re.match(AMOUNT_RE, a):
            found.append(issue("bad_wage", source=r.get("_source") or source, row=r["_row"], command="verify-delegates",
                               voivodeship=v, month=m, amount=a))
            continue
        if (v, m) in wages and wages[(v, m)][0] != grosze(a):
            found.append(issue("bad_wage_twice", source=r.get("_source") or source, row=r["_row"], command="verify-delegates",
                               voivodeship=v, month=m))
            continue
        wages[(v, m)] = (grosze(a), r.get("source") or r.get("_source") or source)
    return wages, found


def verify_remittances(inputs: dict, paying_members: dict[tuple[str, str], int], factor: Fraction,
                       fallback: dict[str, tuple[int, str]] | None,
                       exempt_members: dict[tuple[str, str], int] | None = None,
                       equality_passes: bool = True) -> DelegateResult:
    """Every remittances.csv row verified (lit. a–e). ``paying_members`` / ``exempt_members``:
    (period, unit_id) -> the unit's paying / exempt members in a stored close (for units that
    refused inspection: lit. e recognises none of them, the exempt included);
    ``fallback``: month -> (W, source) of the ``--wage-fallback`` figures, if one was chosen;
    ``equality_passes``: the rulebook's reading of lit. a (the other reading is shown beside it)."""
    exempt_members = exempt_members or {}
    res = DelegateResult()
    wages, res.issues = stage_wages(inputs["wages"], inputs["wages_name"])
    src = inputs["remittances_name"]
    seen: set[tuple] = set()
    for r in inputs["remittances"]:
        region, v, paid_in = r["region_id"], r["voivodeship"] or "", r["paid_in"] or ""
        declared, exempt = _int(r["declared_paying_members"]), _int(r["exempt_members"] or "0")

        def bad(*problems: str) -> None:
            res.issues.append(issue("bad_remittance", source=src, row=r["_row"], command="verify-delegates",
                                    region_id=region, problems=list(problems)))

        problems = []
        if not region:
            problems.append(text("problems", "id_empty", column="region_id"))
        if v not in VOIVODESHIPS:
            problems.append(text("problems", "voivodeship_unknown", value=v))
        if not is_period(paid_in):
            problems.append(text("problems", "paid_in_bad", value=paid_in))
        if not re.match(AMOUNT_RE, r["amount"] or "") or (r["amount"] or "").startswith("-"):
            problems.append(text("problems", "amount_bad", column="amount", value=r["amount"], sample="50000.00"))
        if declared is None:
            problems.append(text("problems", "whole_number_bad", column="declared_paying_members",
                                 value=r["declared_paying_members"]))
        if exempt is None:
            problems.append(text("problems", "whole_number_bad", column="exempt_members", value=r["exempt_members"]))
        if (region, v, paid_in) in seen:
            problems.append(text("problems", "remittance_twice", region_id=region, voivodeship=v, paid_in=paid_in))
        seen.add((region, v, paid_in))
        if problems:
            bad(*problems)
            continue
        dues_month = month_before(paid_in)
        notes = []
        # lit. e: members of units that refused inspection count zero — the paying and the exempt alike
        refused = refused_exempt = 0
        refused_units = [u for u in re.split(r"[;,\s]+", r["refused_units"] or "") if u]
        if r["refused_members"] or r.get("refused_exempt_members"):
            refused = _int(r["refused_members"] or "0")
            if refused is None or refused > declared:
                bad(text("problems", "refused_bad", value=r["refused_members"], declared=declared))
                continue
            refused_exempt = _int(r.get("refused_exempt_members") or "0")
            if refused_exempt is None or refused_exempt > exempt:
                bad(text("problems", "refused_bad", value=r.get("refused_exempt_members"), declared=exempt))
                continue
            if refused or refused_exempt:
                notes.append(text("notes", "refused_given", count=refused + refused_exempt))
        elif refused_units:
            if not any(p == dues_month for p, _ in paying_members):
                bad(text("problems", "refused_unknown", units=", ".join(refused_units), period=dues_month))
                continue
            refused = min(sum(paying_members.get((dues_month, u), 0) for u in refused_units), declared)
            refused_exempt = min(sum(exempt_members.get((dues_month, u), 0) for u in refused_units), exempt)
            notes.append(text("notes", "refused_from_books", count=refused + refused_exempt,
                              units=", ".join(refused_units), period=dues_month))
        wage = wages.get((v, dues_month))
        if wage is None:
            if fallback and dues_month in fallback:
                wage = fallback[dues_month]
                notes.append(text("notes", "national_wage_used", month=dues_month, voivodeship=v))
            else:
                res.issues.append(issue("missing_wage_no_fallback" if fallback is not None else "missing_wage",
                                        source=src, row=r["_row"], command="verify-delegates", region_id=region,
                                        voivodeship=v, month=dues_month, paid_in=paid_in,
                                        file=inputs["wages_name"]))
                continue
        remitted = grosze(r["amount"])
        ver = verify(wage[0], declared - refused, remitted, exempt - refused_exempt, factor, equality_passes)
        other = verify(wage[0], declared - refused, remitted, exempt - refused_exempt, factor, not equality_passes)
        if ver.verdict == "reduced":
            notes.append(text("notes", "reduced", remitted=format_pl(remitted), declared=declared - refused,
                              needed=format_pl(ver.needed)))
        res.verification.append({
            "region_id": region, "voivodeship": v, "paid_in": paid_in, "wage": wage[0],
            "wage_source": wage[1], "declared_paying_members": declared, "exempt_members": exempt,
            "refused_members": refused, "remitted": remitted, "threshold": ver.threshold,
            "needed": ver.needed, "recognised_paying": ver.recognised_paying,
            "recognised_members": ver.recognised_members, "verdict": ver.verdict, "note": "; ".join(notes),
            "refused_exempt_members": refused_exempt, "reading": "equality_passes" if equality_passes else "literal",
            "verdict_other_reading": other.verdict, "recognised_members_other_reading": other.recognised_members})
    return res


# What the declared exempt members are against the stored closes' count (issue 30, lit. c–d)
EXEMPT_VERDICTS = ("agrees", "declared_more", "declared_fewer")


def exempt_by_region(exempt: dict[tuple[str, str], int], places: dict[tuple[str, str], tuple[str, str]]
                     ) -> dict[tuple[str, str, str], int]:
    """The stored closes' exempt members per (period, region, voivodeship): ``exempt``: (period,
    unit) -> count; ``places``: (period, unit) -> (region, voivodeship) of the verified rulebook's units."""
    out: dict[tuple[str, str, str], int] = {}
    for key, n in exempt.items():
        if key in places:
            k = (key[0], *places[key])
            out[k] = out.get(k, 0) + n
    return out


def books_check(verification: list[dict], remitted_in_books: dict[tuple[str, str, str], int],
                closed_periods: set[str], exempt_in_books: dict[tuple[str, str, str], int] | None = None
                ) -> list[dict]:
    """Declared remittances against the national share of the region's units by voivodeship in
    the stored close of the month before paid_in. ``remitted_in_books``: (period, region,
    voivodeship) -> grosze. The declared exempt members against the closes' count of the members
    of the categories outside the paying ones (``exempt_in_books``, same key; lit. c–d: the
    count must be shown by the units' questionnaires — a discrepancy is a verdict and a note, the
    verification keeps the declared count)."""
    out = []
    exempt_in_books = exempt_in_books or {}
    for v in verification:
        period = month_before(v["paid_in"])
        if period not in closed_periods:
            continue
        expected = remitted_in_books.get((period, v["region_id"], v["voivodeship"]), 0)
        declared, books = v["exempt_members"], exempt_in_books.get((period, v["region_id"], v["voivodeship"]), 0)
        verdict = "agrees" if declared == books else "declared_more" if declared > books else "declared_fewer"
        note = "" if verdict == "agrees" else text(
            "notes", "exempt_" + verdict, region_id=v["region_id"], voivodeship=v["voivodeship"], period=period,
            declared=declared, books=books, difference=abs(declared - books))
        out.append({"region_id": v["region_id"], "voivodeship": v["voivodeship"], "paid_in": v["paid_in"],
                    "dues_period": period, "remitted": v["remitted"], "expected_from_books": expected,
                    "difference": v["remitted"] - expected, "declared_exempt": declared,
                    "exempt_from_books": books, "exempt_verdict": verdict, "exempt_note": note})
    return out


def apportion(verification: list[dict], seats: int | None, key: str | None, keys_text: str) -> tuple[list[dict], str]:
    recognised: dict[str, int] = {}
    declared: dict[str, int] = {}
    for v in verification:
        recognised[v["region_id"]] = recognised.get(v["region_id"], 0) + v["recognised_members"]
        declared[v["region_id"]] = (declared.get(v["region_id"], 0) + v["declared_paying_members"]
                                    + v["exempt_members"])
    if seats is not None:
        got, quotas = largest_remainder(recognised, seats)
        if_declared, _ = largest_remainder(declared, seats)
        # the paragraph naming the method is data (delegate_keys.toml's [largest_remainder]), never code
        source = tomllib.loads(keys_text).get("largest_remainder", {}).get("source") if keys_text else None
        rule = f"{seats} mandatów metodą największych reszt (Hare–Niemeyer" + (f"; {source})" if source else ")")
    elif key is not None:
        got, quotas, rule = key_seats(recognised, key, keys_text)
        if_declared, _, _ = key_seats(declared, key, keys_text)
    else:
        return [], ""
    return [{"region_id": r, "recognised_members": recognised[r], "declared_members": declared[r],
             "quota": quotas[r], "seats": got[r], "seats_if_declared": if_declared[r]}
            for r in sorted(recognised)], rule
