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

from transforms.errors import Issue, issue, text
from transforms.money import AMOUNT_RE, format_pl, fraction, grosze, half_up
from transforms.rulebook import RulebookVersion


@dataclass(frozen=True)
class Band:
    up_to_members: int | None
    multiple: Fraction
    source: str


@dataclass(frozen=True)
class CapRules:
    source: str
    body_kinds: dict[str, str]              # code -> Polish label
    functions: dict[str, str]               # code -> Polish label
    function_bodies: dict[str, tuple[str, ...]]   # a function held only in these bodies (e.g. KSEiR council)
    chair_function: str
    verified_body: str                      # whose chair's band may use the verified member count
    chair_bands: tuple[Band, ...]
    top_body: str                           # the Komisja Krajowa: its chair has a fixed multiple
    top_chair: Fraction
    top_chair_source: str
    of_chair_salary: dict[str, tuple[Fraction, str]]   # function -> (share of the chair's salary, source)
    audit_body: str                         # the KKR: only its chair has a cap, paid as below
    audit_paid_as: tuple[str, str]          # (body, function)
    audit_source: str
    one_post_source: str
    # issue 30: the paragraph on officers not employed by the union (a deputy's cap then follows the
    # chair's cap), as the rulebook cites it
    unemployed_chair_source: str = ""


def cap_rules(version: RulebookVersion) -> CapRules:
    """The salary caps of a rulebook version (004 §7–§8)."""
    c = version.salary_caps
    if not c:
        raise LookupError(f"rulebook {version.label} has no salary caps")
    return CapRules(
        source=c["source"], body_kinds={b["code"]: b["label"] for b in c["body_kinds"]},
        functions={f["code"]: f["label"] for f in c["functions"]},
        function_bodies={f["code"]: tuple(f["bodies"]) for f in c["functions"] if f.get("bodies")},
        chair_function=c["chair_function"],
        verified_body=c["verified_body"],
        chair_bands=tuple(Band(b.get("up_to_members"), fraction(b["multiple"]), b["source"])
                          for b in c["chair_bands"]),
        top_body=c["kk_chair"]["body"], top_chair=fraction(c["kk_chair"]["multiple"]),
        top_chair_source=c["kk_chair"]["source"],
        of_chair_salary={s["function"]: (fraction(s["share"]), s["source"]) for s in c["of_chair_salary"]},
        audit_body=c["kkr_chair"]["body"],
        audit_paid_as=(c["kkr_chair"]["paid_as_body"], c["kkr_chair"]["paid_as_function"]),
        audit_source=c["kkr_chair"]["source"], one_post_source=c["one_post_in_total"],
        unemployed_chair_source=c.get("unemployed_chair_source", ""))


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


def stage_officers(rows: list[dict], source: str, period: str, rules: CapRules) -> tuple[list[Officer], list[Issue]]:
    good, found = [], []
    seen: dict[tuple, int] = {}
    for r in rows:
        get = lambda k: (r.get(k) or "").strip()  # noqa: E731
        problems = []
        pid, kind, func = get("person_id"), get("body_kind"), get("function")
        if not pid:
            problems.append(text("problems", "id_empty", column="person_id"))
        if kind not in rules.body_kinds:
            problems.append(text("problems", "choice_bad", column="body_kind", value=kind,
                                 known=", ".join(rules.body_kinds)))
        if func not in rules.functions:
            problems.append(text("problems", "choice_bad", column="function", value=func,
                                 known=", ".join(rules.functions)))
        elif kind == rules.audit_body and func != rules.chair_function:
            problems.append(text("problems", "kkr_only_chair"))
        elif func in rules.function_bodies and kind not in rules.function_bodies[func]:
            problems.append(text("problems", "function_not_in_body", function=rules.functions[func],
                                 bodies=", ".join(rules.body_kinds.get(b, b) for b in rules.function_bodies[func])))
        members = None
        if get("body_members"):
            if not re.fullmatch(r"\d+", get("body_members")):
                problems.append(text("problems", "whole_number_bad", column="body_members", value=get("body_members")))
            else:
                members = int(get("body_members"))
        fte = None
        if not re.fullmatch(r"\d+(\.\d+)?", get("fte") or "x"):
            problems.append(text("problems", "fte_bad", value=get("fte")))
        else:
            fte = Fraction(get("fte"))
            if not 0 < fte <= 1:
                problems.append(text("problems", "fte_range", value=get("fte")))
        salary = None
        if not re.match(AMOUNT_RE, get("monthly_salary")) or get("monthly_salary").startswith("-"):
            problems.append(text("problems", "amount_bad", column="monthly_salary", value=get("monthly_salary"),
                                 sample="9500.00"))
        else:
            salary = grosze(get("monthly_salary"))
        key = (pid, kind, get("body_id"), func)
        if key in seen:
            problems.append(text("problems", "duplicate_function", other=seen[key]))
        seen.setdefault(key, r["_row"])
        if problems:
            found.append(issue("bad_officer", source=source, row=r["_row"], subject=f"osoba {pid or '?'}",
                               command="salary-caps", period=period, person_id=pid or None, problems=problems))
            continue
        good.append(Officer(r["_row"], pid, get("full_name"), kind, get("body_id"), func, members,
                            fte, salary))
    return good, found


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


def full_time_caps(officers: list[Officer], rules: CapRules, a: int, verified_members: dict[tuple[str, str], int],
                   source: str = "officers", period: str | None = None
                   ) -> tuple[dict[int, tuple[int, str, bool]], list[Issue]]:
    """Full-time cap per officer row -> (cap, basis text in Polish, flagged). ``a`` is A in grosze."""
    caps: dict[int, tuple[int, str, bool]] = {}
    problems: list[Officer] = []
    top_chair_cap = half_up(a * rules.top_chair)
    chair_fn = rules.chair_function

    def chair_cap(kind: str, body_id: str | None, members_hint: int | None) -> tuple[int, str] | None:
        if kind == rules.top_body:
            return top_chair_cap, f"{rules.top_chair} × A ({rules.top_chair_source})"
        members, whence = verified_members.get((kind, body_id)), "zweryfikowana liczba członków"
        if members is None:
            members, whence = members_hint, "body_members z pliku funkcyjnych"
        if members is None:
            return None
        band = chair_band(rules, members)
        return half_up(a * band.multiple), f"{band.multiple} × A dla {members} członków ({whence}; {band.source})"

    chairs = {(o.body_kind, o.body_id): o for o in officers if o.function == chair_fn}
    for o in officers:
        if o.function == chair_fn and o.body_kind != rules.audit_body:
            c = chair_cap(o.body_kind, o.body_id, o.body_members)
            if c is None:
                problems.append(o)
                continue
            caps[o.row] = (c[0], f"{rules.functions[chair_fn]}: {c[1]}", False)
    for o in officers:
        if o.row in caps or o in problems:
            continue
        if o.body_kind == rules.audit_body:          # §7 ust. 2: paid as a KK presidium member
            kind, function = rules.audit_paid_as
            body_id, src = None, rules.audit_source
            multiple = rules.of_chair_salary[function][0]
            role = (f"{rules.functions[chair_fn]} {rules.body_kinds[o.body_kind]} = "
                    f"{rules.functions[function]} {rules.body_kinds[kind]}")
        else:
            kind, body_id = o.body_kind, o.body_id
            multiple, src = rules.of_chair_salary[o.function]
            role = rules.functions[o.function]
        chair = next((c for (k, b), c in chairs.items() if k == kind and (kind == rules.top_body or b == body_id)), None)
        c_cap = chair_cap(kind, chair.body_id if chair else body_id,
                          chair.body_members if chair else o.body_members)
        if c_cap is None:
            problems.append(o)
            continue
        if chair is not None and chair.salary > 0:
            # the chair's actual full-time-equivalent salary, never above the chair's own cap
            fte_salary = min(half_up(chair.salary / chair.fte), c_cap[0])
            base, basis, flagged = fte_salary, f"wynagrodzenie przewodniczącego na pełny etat {format_pl(fte_salary)}", False
        else:
            base, flagged = c_cap[0], True
            why = "przewodniczący niezatrudniony przez związek albo wynagrodzenie nieznane"
            basis = (f"LIMIT przewodniczącego {format_pl(c_cap[0])} ({why}"
                     + (f" — {rules.unemployed_chair_source})" if rules.unemployed_chair_source else ")"))
        caps[o.row] = (half_up(base * multiple), f"{role}: {multiple} × {basis} ({src})", flagged)
    missing = [issue("officer_needs_members", source=source, row=o.row, subject=f"osoba {o.person_id}",
                     command="salary-caps", period=period, person_id=o.person_id, body_kind=o.body_kind,
                     body_id=o.body_id) for o in problems]
    return caps, missing


def salary_caps(officers: list[Officer], rules: CapRules, a: int,
                verified_members: dict[tuple[str, str], int] | None = None, source: str = "officers",
                period: str | None = None) -> tuple[list[CapRow], list[Issue]]:
    """Per-function rows and, for people with several functions, one ``total`` row (§8)."""
    caps, missing = full_time_caps(officers, rules, a, verified_members or {}, source, period)
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
                basis += f"; przeliczony na etat {fte_text(o.fte)}"
            if several:
                basis += f"; oceniany łącznie z pozostałymi funkcjami osoby ({rules.one_post_source})"
            out.append(CapRow(pid, o.full_name, o.body_kind, o.body_id, o.function, basis, ft_cap,
                              cap, o.fte, o.salary, excess, flagged))
        if several:
            top = max(caps[o.row][0] for o in functions)
            total_fte = sum((o.fte for o in functions), Fraction(0))
            paid_fte = min(total_fte, Fraction(1))
            cap = half_up(top * paid_fte)
            salary = sum(o.salary for o in functions)
            note = (f"{rules.one_post_source}: łącznie jeden pełny etat za {len(functions)} "
                    f"funkcje, limit według najwyższego limitu {format_pl(top)}")
            note += (f"; funkcje sumują się do etatu {fte_text(total_fte)}, ponad jeden etat: limit jak za "
                     "jeden pełny etat" if total_fte > 1 else f"; łączny etat {fte_text(total_fte)}")
            out.append(CapRow(pid, functions[0].full_name, "*", "*", TOTAL, note, top, cap,
                              paid_fte, salary, max(0, salary - cap),
                              any(caps[o.row][2] for o in functions)))
    return out, missing


TOTAL = "total"   # the function code of a person's one-post row (§8)
