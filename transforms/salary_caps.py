"""Elected officers' salary caps (RULES.md §9; 004 Uchwała nr 5 XIX KZD §7–§8). Pure logic.

Grain of the result: one row per officer function; plus, for a person holding more than one
paid function, one row ``function = "total"`` judging the person's pay as one full-time post (§8).
Money is integer grosze; every cap is rounded half-up before anything is derived from it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from transforms.money import AMOUNT_RE, fraction, grosze, half_up, pln
from transforms.rulebook import RulebookVersion, parse_rulebook

BODY_KINDS = ("kk", "region", "branch_secretariat", "kseir", "kkr")
FUNCTIONS = ("chair", "deputy", "presidium")


@dataclass(frozen=True)
class Band:
    up_to_members: int | None
    multiple: Fraction
    source: str


@dataclass(frozen=True)
class CapRules:
    source: str
    chair_bodies: tuple[str, ...]
    chair_bands: tuple[Band, ...]
    kk_chair: Fraction
    kk_chair_source: str
    deputy: Fraction
    deputy_source: str
    presidium: Fraction
    presidium_source: str
    kkr_chair_source: str
    one_post_source: str


def cap_rules(version: RulebookVersion) -> CapRules:
    """The salary caps of a rulebook version (004 §7–§8)."""
    c = version.salary_caps
    if not c:
        raise LookupError(f"rulebook {version.label} has no salary caps")
    return CapRules(
        source=c["source"], chair_bodies=tuple(c["chair_bodies"]),
        chair_bands=tuple(Band(b.get("up_to_members"), fraction(b["multiple"]), b["source"])
                          for b in c["chair_bands"]),
        kk_chair=fraction(c["kk_chair"]["multiple"]), kk_chair_source=c["kk_chair"]["source"],
        deputy=fraction(c["deputy"]["of_chair_salary"]), deputy_source=c["deputy"]["source"],
        presidium=fraction(c["presidium"]["of_chair_salary"]), presidium_source=c["presidium"]["source"],
        kkr_chair_source=c["kkr_chair"]["source"], one_post_source=c["one_post_in_total"])


def cap_rules_from_rulebook(text: str, period: str) -> CapRules:
    """The salary caps of the rulebook version in force on the first day of ``period``."""
    return cap_rules(parse_rulebook(text).version_for(period))


def fte_text(fte: Fraction) -> str:
    """1/2 -> '0.5', 3/4 -> '0.75' (FTE values come from decimal text, so they terminate)."""
    return str((Decimal(fte.numerator) / Decimal(fte.denominator)).normalize())


def previous_quarter(period: str) -> str:
    """2026-02 -> 2025-Q4; 2026-05 -> 2026-Q1."""
    y, m = int(period[:4]), int(period[5:7])
    q = (m - 1) // 3 + 1
    return f"{y - 1}-Q4" if q == 1 else f"{y}-Q{q - 1}"


def chair_band(rules: CapRules, members: int) -> Band:
    for band in rules.chair_bands:
        if band.up_to_members is None or members <= band.up_to_members:
            return band
    raise ValueError("chair bands must end with an open band")


# ------------------------------------------------------------------ staging of officers.csv

@dataclass
class Officer:
    row: int
    person_id: str
    full_name: str
    body_kind: str
    body_id: str
    function: str
    body_members: int | None
    fte: Fraction
    salary: int            # grosze


def stage_officers(rows: list[dict], source: str, period: str) -> tuple[list[Officer], list[dict]]:
    good, exc = [], []
    seen: dict[tuple, int] = {}
    for r in rows:
        get = lambda k: (r.get(k) or "").strip()  # noqa: E731
        problems = []
        pid, kind, func = get("person_id"), get("body_kind"), get("function")
        if not pid:
            problems.append("person_id is empty")
        if kind not in BODY_KINDS:
            problems.append(f"body_kind {kind!r} must be one of {', '.join(BODY_KINDS)}")
        if func not in FUNCTIONS:
            problems.append(f"function {func!r} must be one of {', '.join(FUNCTIONS)}")
        elif kind == "kkr" and func != "chair":
            problems.append("only the chair of the Krajowa Komisja Rewizyjna has a cap (004 §7 ust. 2)")
        members = None
        if get("body_members"):
            if not re.fullmatch(r"\d+", get("body_members")):
                problems.append(f"body_members {get('body_members')!r} is not a whole number")
            else:
                members = int(get("body_members"))
        fte = None
        if not re.fullmatch(r"\d+(\.\d+)?", get("fte") or "x"):
            problems.append(f"fte {get('fte')!r} is not a number like 0.5")
        else:
            fte = Fraction(get("fte"))
            if not 0 < fte <= 1:
                problems.append(f"fte {get('fte')} must be above 0 and at most 1")
        salary = None
        if not re.match(AMOUNT_RE, get("monthly_salary")) or get("monthly_salary").startswith("-"):
            problems.append(f"monthly_salary {get('monthly_salary')!r} is not an amount like 9500.00")
        else:
            salary = grosze(get("monthly_salary"))
        key = (pid, kind, get("body_id"), func)
        if key in seen:
            problems.append(f"the same function is listed twice (also row {seen[key]})")
        seen.setdefault(key, r["_row"])
        if problems:
            exc.append({"period": period, "source": source, "row": r["_row"], "person_id": pid or None,
                        "reason_code": "bad_officer",
                        "message": f"{source} row {r['_row']} (person {pid or '?'}): "
                                   + "; ".join(problems) + "."})
            continue
        good.append(Officer(r["_row"], pid, get("full_name"), kind, get("body_id"), func, members,
                            fte, salary))
    return good, exc


# ------------------------------------------------------------------ caps

@dataclass
class CapRow:
    person_id: str
    full_name: str
    body_kind: str
    body_id: str
    function: str
    cap_basis: str
    full_time_cap: int
    cap: int
    fte: Fraction
    salary: int
    excess: int | None
    flagged: bool = False


def full_time_caps(officers: list[Officer], rules: CapRules, a: int,
                   verified_members: dict[tuple[str, str], int]) -> tuple[dict[int, tuple[int, str, bool]], list[dict]]:
    """Full-time cap per officer row -> (cap, basis text, flagged). ``a`` is A in grosze."""
    caps: dict[int, tuple[int, str, bool]] = {}
    problems: list[dict] = []
    kk_chair_cap = half_up(a * rules.kk_chair)

    def chair_cap(kind: str, body_id: str, members_hint: int | None) -> tuple[int, str] | None:
        if kind == "kk":
            return kk_chair_cap, f"{rules.kk_chair} × A ({rules.kk_chair_source})"
        members, whence = verified_members.get((kind, body_id)), "verified member count"
        if members is None:
            members, whence = members_hint, "body_members from officers file"
        if members is None:
            return None
        band = chair_band(rules, members)
        return half_up(a * band.multiple), f"{band.multiple} × A for {members} members ({whence}; {band.source})"

    chairs = {(o.body_kind, o.body_id): o for o in officers if o.function == "chair"}
    for o in officers:
        if o.function == "chair" and o.body_kind != "kkr":
            c = chair_cap(o.body_kind, o.body_id, o.body_members)
            if c is None:
                problems.append(o)
                continue
            caps[o.row] = (c[0], f"chair: {c[1]}", False)
    for o in officers:
        if o.row in caps or o in problems:
            continue
        if o.body_kind == "kkr":          # §7 ust. 2: paid as a KK presidium member
            kind, body_id, multiple, src, role = "kk", None, rules.presidium, rules.kkr_chair_source, "KKR chair = KK presidium member"
        else:
            kind, body_id = o.body_kind, o.body_id
            multiple = rules.deputy if o.function == "deputy" else rules.presidium
            src = rules.deputy_source if o.function == "deputy" else rules.presidium_source
            role = o.function
        chair = next((c for (k, b), c in chairs.items() if k == kind and (kind == "kk" or b == body_id)), None)
        c_cap = chair_cap(kind, chair.body_id if chair else body_id,
                          chair.body_members if chair else o.body_members)
        if c_cap is None:
            problems.append(o)
            continue
        if chair is not None and chair.salary > 0:
            # the chair's actual full-time-equivalent salary, never above the chair's own cap
            fte_salary = min(half_up(chair.salary / chair.fte), c_cap[0])
            base, basis, flagged = fte_salary, f"chair's full-time salary {pln(fte_salary)}", False
        else:
            base, flagged = c_cap[0], True
            basis = (f"chair's CAP {pln(c_cap[0])} (chair not employed by the union or salary "
                     "unknown — Uchwała nr 8 §2 ust. 3)")
        caps[o.row] = (half_up(base * multiple), f"{role}: {multiple} × {basis} ({src})", flagged)
    missing = [{"row": o.row, "person_id": o.person_id,
                "message": f"row {o.row} (person {o.person_id}): the chair's band needs the body's "
                           f"member count; give body_members for {o.body_kind} {o.body_id}"} for o in problems]
    return caps, missing


def salary_caps(officers: list[Officer], rules: CapRules, a: int,
                verified_members: dict[tuple[str, str], int] | None = None) -> tuple[list[CapRow], list[dict]]:
    """Per-function rows and, for people with several functions, one ``total`` row (§8)."""
    caps, missing = full_time_caps(officers, rules, a, verified_members or {})
    by_person: dict[str, list[Officer]] = {}
    for o in officers:
        if o.row in caps:
            by_person.setdefault(o.person_id, []).append(o)
    out: list[CapRow] = []
    for pid, functions in by_person.items():
        several = len(functions) > 1
        for o in functions:
            ft_cap, basis, flagged = caps[o.row]
            cap = half_up(ft_cap * o.fte)
            excess = None if several else max(0, o.salary - cap)
            if o.fte != 1:
                basis += f"; scaled to FTE {fte_text(o.fte)}"
            if several:
                basis += f"; judged together with the person's other functions ({rules.one_post_source})"
            out.append(CapRow(pid, o.full_name, o.body_kind, o.body_id, o.function, basis, ft_cap,
                              cap, o.fte, o.salary, excess, flagged))
        if several:
            top = max(caps[o.row][0] for o in functions)
            total_fte = sum((o.fte for o in functions), Fraction(0))
            paid_fte = min(total_fte, Fraction(1))
            cap = half_up(top * paid_fte)
            salary = sum(o.salary for o in functions)
            note = (f"{rules.one_post_source}: one full-time post in total across {len(functions)} "
                    f"functions, capped by the highest cap {pln(top)}")
            note += (f"; the functions add up to FTE {fte_text(total_fte)}, above one post: capped as one "
                     "full-time post" if total_fte > 1 else f"; total FTE {fte_text(total_fte)}")
            out.append(CapRow(pid, functions[0].full_name, "*", "*", "total", note, top, cap,
                              paid_fte, salary, max(0, salary - cap),
                              any(caps[o.row][2] for o in functions)))
    return out, missing
