"""Elections (issue 17): who may vote and who may stand on a day, and the tally of a vote, under
each union's election rules in data/elections.toml. Pure: dates, counts and Fractions.

Eligibility reads the membership history (members.csv periods, stored by the close as
`memberships`), the member ledger (unpaid months) and the units' transfers (reconciliation). The
tally applies quorum, valid > invalid, the majority a candidate needs, and a runoff.
"""
from __future__ import annotations

import calendar
import math
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

from transforms.delegates import key_seats
from transforms.errors import UserError
from transforms.polish import and_list, count_pl, identity

if TYPE_CHECKING:
    from transforms.rulebook import Rules

CONDITIONS = ("in_force", "dues_settled", "unit_dues_settled", "in_assembly")
MAJORITIES = ("more_than_half_of_valid", "at_least_half_of_valid", "plurality")
RUNOFFS = ("top_two", "tied")


@dataclass(frozen=True)
class Route:
    """One path to a right (vote or stand): all its conditions must hold."""
    conditions: tuple[str, ...]
    source: str
    months: int = 0
    support_share: Fraction | None = None


@dataclass(frozen=True)
class Union:
    code: str
    name: str
    rulebook: str | None
    valid_from: date
    source: str
    vote: tuple[Route, ...]
    stand: tuple[Route, ...]
    assembly: dict      # the union's assembly of units' delegates (`--body UNION`), if it has one
    tally: dict
    unit_meeting: dict = field(default_factory=dict)   # members_up_to: above it a unit elects at its delegates' meeting


def _routes(items: list[dict]) -> tuple[Route, ...]:
    out = []
    for r in items:
        unknown = set(r.get("conditions", [])) - set(CONDITIONS)
        if unknown:
            raise ValueError(f"elections.toml: unknown conditions {sorted(unknown)}")
        share = r.get("support_share")
        out.append(Route(tuple(r.get("conditions", [])), r["source"], int(r.get("months", 0)),
                         Fraction(share) if share is not None else None))
    return tuple(out)


def load(text: str) -> dict[str, Union]:
    unions = {}
    for code, u in tomllib.loads(text)["unions"].items():
        t = u["tally"]
        for rule in (t, *({**t, **o} for o in t.get("offices", []))):
            if rule["majority"] not in MAJORITIES or rule["runoff"] not in RUNOFFS or rule["quorum_kind"] not in ("at_least", "more_than"):
                raise ValueError(f"elections.toml: union {code}: bad tally rule")
        unions[code] = Union(code, u["name"], u.get("rulebook"), date.fromisoformat(u["valid_from"]), u["source"],
                             _routes(u["vote"]), _routes(u["stand"]), u.get("union_assembly", {}), t,
                             u.get("unit_meeting", {}))
    return unions


def union_for(unions: dict[str, Union], code: str, day: date) -> Union:
    if code not in unions:
        raise UserError("unknown_union", union=code, known=", ".join(sorted(unions)))
    u = unions[code]
    if day < u.valid_from:
        raise UserError("rules_not_in_force", union=code, day=day, valid_from=u.valid_from)
    return u


# ------------------------------------------------------------------ membership length

def add_months(d: date, n: int) -> date:
    """The same day n calendar months later (the month's last day if it has fewer days)."""
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def uninterrupted_since(periods: list[tuple[date, date | None]], day: date) -> date | None:
    """The first day of the membership that covers ``day`` without a break, or None if no period
    covers it. Periods that touch (the next starts at most a day after the last ends) are one."""
    periods = sorted(periods)
    cover = [i for i, (j, left) in enumerate(periods) if j <= day and (left is None or left >= day)]
    if not cover:
        return None
    i = cover[-1]
    start = periods[i][0]
    for joined, left in reversed(periods[:i]):
        if left is None or left >= start - timedelta(days=1):
            start = min(start, joined)
        else:
            break
    return start


def full_months(start: date, day: date) -> int:
    n = (day.year - start.year) * 12 + day.month - start.month
    return n if add_months(start, n) <= day else n - 1


# ------------------------------------------------------------------ eligibility

@dataclass
class Member:
    member_id: str
    unit_id: str
    periods: list[tuple[date, date | None]]
    months_unpaid: int = 0
    oldest_unpaid: str | None = None
    in_assembly: bool = True          # a member of the electing body (its members' or delegates' assembly)
    union_periods: list[tuple[date, date | None]] | None = None   # in every unit of the union; None: ``periods``

    def since(self, day: date) -> date | None:
        """The first day of the uninterrupted membership of the union (not of the unit: a change
        of unit without a day between is no break) behind the unit's membership on ``day``, or
        None when the unit's periods do not cover the day."""
        if uninterrupted_since(self.periods, day) is None:
            return None
        return uninterrupted_since(self.union_periods or self.periods, day)


@dataclass
class Eligibility:
    union: Union
    day: date
    members: list[dict] = field(default_factory=list)     # one row per member of the body
    units: list[dict] = field(default_factory=list)       # a delegates' assembly: one row per unit
    signatures_needed: int | None = None


def _failures(route: Route, m: Member, day: date, arrears_months: int, arrears_source: str,
              unit_problem: dict[str, str]) -> list[str]:
    since = m.since(day)
    out = []
    for c in route.conditions:
        if c == "in_force" and since is None:
            out.append("nie jest członkiem w dniu wyborów")
        elif c == "dues_settled" and m.months_unpaid >= arrears_months:
            out.append(f"zaległość w składkach {m.months_unpaid} mies. od {m.oldest_unpaid} ({arrears_source})")
        elif c == "in_assembly" and not m.in_assembly:
            out.append("nie jest członkiem władzy dokonującej wyboru (--assembly)")
        elif c == "unit_dues_settled" and unit_problem.get(m.unit_id):
            out.append(f"jednostka {m.unit_id} nie rozliczyła składek: {unit_problem[m.unit_id]}")
    if route.months and since is not None and add_months(since, route.months) > day:
        out.append(f"członkostwo nieprzerwane od {since}: {full_months(since, day)} pełnych mies., "
                   f"wymagane {route.months} — od {add_months(since, route.months)} ({route.source})")
    return out


def eligibility(union: Union, members: list[Member], day: date, arrears_months: int, arrears_source: str,
                unit_problem: dict[str, str] | None = None) -> Eligibility:
    """Every member of the body with the right to vote and to stand, and the reason for each
    exclusion. A route with a support share is open to a member who meets its other conditions;
    the signatures needed are counted from those entitled to vote."""
    unit_problem = unit_problem or {}
    rows = []
    for m in sorted(members, key=lambda m: (m.unit_id, m.member_id)):
        since = m.since(day)
        vote_fail = [_failures(r, m, day, arrears_months, arrears_source, unit_problem) for r in union.vote]
        may_vote = any(not f for f in vote_fail)
        rows.append({"member_id": m.member_id, "unit_id": m.unit_id, "member_since": since,
                     "months": full_months(since, day) if since else None, "months_unpaid": m.months_unpaid,
                     "may_vote": may_vote, "vote_reason": "" if may_vote else "; ".join(min(vote_fail, key=len)),
                     "_stand": [(r, _failures(r, m, day, arrears_months, arrears_source, unit_problem))
                                for r in union.stand]})
    voters = sum(r["may_vote"] for r in rows)
    needed = None
    for r in rows:
        routes = r.pop("_stand")
        plain = next((route for route, f in routes if not f and route.support_share is None), None)
        backed = next((route for route, f in routes if not f and route.support_share is not None), None)
        if plain:
            r.update(may_stand="tak", stand_rule=plain.source, stand_reason="")
        elif backed:
            needed = math.ceil(backed.support_share * voters)
            r.update(may_stand="z poparciem", stand_rule=backed.source,
                     stand_reason=f"potrzebne pisemne poparcie co najmniej {needed} z {voters} uprawnionych "
                                  f"do głosowania ({str(backed.support_share * 100).replace('/', ':')}%)")
        else:
            r.update(may_stand="nie", stand_rule="",
                     stand_reason="; ".join(dict.fromkeys(x for _, f in routes for x in f)))
    return Eligibility(union, day, rows, [], needed)


def delegates_assembly(union: Union, body: dict, unit_members: dict[str, int], seats: dict[str, int],
                       unit_problem: dict[str, str], day: date) -> Eligibility:
    """An assembly of units' delegates: each unit's seats under the body's key; its delegates are
    entitled when the unit's conditions hold (003 Art. 23 ust. 5)."""
    rows = []
    for u in sorted(unit_members):
        problem = unit_problem.get(u, "") if "unit_dues_settled" in body.get("unit_conditions", []) else ""
        rows.append({"unit_id": u, "members": unit_members[u], "delegates": seats[u], "entitled": not problem,
                     "entitled_delegates": 0 if problem else seats[u],
                     "reason": f"składka nieuregulowana: {problem}" if problem else "", "rule": body["source"]})
    return Eligibility(union, day, [], rows, None)


def unit_problems(transfers: list[dict], day: date) -> dict[str, str]:
    """The first transfer of each unit due before ``day`` that was not paid in full: 'za 2026-09
    (98,40 zł, termin 2026-10-20): wpłacono 0,00 zł' or '… brak uzgodnienia wpływów'."""
    from transforms.money import format_pl
    out: dict[str, str] = {}
    for t in sorted(transfers, key=lambda t: (t["payer_id"], t["due_on"])):
        if t["due_on"] >= day or t["amount"] <= 0 or t["payer_id"] in out:
            continue
        if t["paid"] is None:
            out[t["payer_id"]] = (f"przelew za {t['period']} ({format_pl(t['amount'])}, termin {t['due_on']}): "
                                  "brak uzgodnienia wpływów (skladki reconcile)")
        elif t["paid"] < t["amount"]:
            out[t["payer_id"]] = (f"przelew za {t['period']} ({format_pl(t['amount'])}, termin {t['due_on']}): "
                                  f"wpłacono {format_pl(t['paid'])}")
    return out


# ------------------------------------------------------------------ tally

@dataclass
class Tally:
    election: str
    entitled: int
    participants: int
    invalid: int
    valid: int
    seats: int
    quorum_needed: int
    quorum_met: bool
    valid_over_invalid: bool | None
    votes_needed: int | None
    candidates: list[dict]
    verdict: str
    runoff: list[str]
    sources: str
    term: int = 1               # the meeting's term: 1 the first, 2 the second (a later_quorums share)


def quorum_needed(entitled: int, share: Fraction, kind: str) -> int:
    """The fewest participants that make the vote valid: at least share × entitled, or more."""
    q = share * entitled
    return math.ceil(q) if kind == "at_least" else math.floor(q) + 1


def votes_needed(valid: int, majority: str) -> int | None:
    if majority == "more_than_half_of_valid":
        return valid // 2 + 1
    if majority == "at_least_half_of_valid":
        return -(-valid // 2)
    return None


def tally_rule(union: Union, election: str) -> dict:
    """The union's tally rule for one election: an office of its own (`offices`, matched by the
    start of the election's name, e.g. a chair under 003 Ordynacja Art. 13 ust. 4) or the union's."""
    t = {k: v for k, v in union.tally.items() if k != "offices"}
    for office in union.tally.get("offices", []):
        if identity(election).startswith(identity(office["name_starts"])):
            return {**t, **{k: v for k, v in office.items() if k != "name_starts"}}
    return t


def terms(union: Union) -> int:
    """How many terms of a meeting the union's rules know: the first and one per later quorum."""
    return 1 + len(union.tally.get("later_quorums", []))


TERM_NAMES = ("I", "II", "III", "IV", "V")


def tally(union: Union, election: str, entitled: int, participants: int, invalid: int, seats: int,
          votes: dict[str, int], term: int = 1) -> Tally:
    """Quorum, validity and winners of one vote. Valid ballots = participants − invalid. A
    candidate is elected with the votes the rule needs, best first, up to the seats; seats left
    empty go to a runoff (the rule's candidates), or, with a plurality rule, a tie at the last seat
    does."""
    t = tally_rule(union, election)
    if not 1 <= term <= terms(union):
        raise ValueError(f"{union.code}: no quorum for term {term}")
    if term > 1:        # a meeting called again: the later term's share, cited
        t = {**t, "quorum": t["later_quorums"][term - 2], "quorum_kind": "at_least",
             "quorum_source": t["later_quorums_source"][term - 2]}
    share = Fraction(t["quorum"])
    need_q = quorum_needed(entitled, share, t["quorum_kind"])
    valid = participants - invalid
    quorum_ok = participants >= need_q
    vi = valid > invalid if t["valid_more_than_invalid"] else None
    need_v = votes_needed(valid, t["majority"])
    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
    sources = f"kworum: {t['quorum_source']}; większość: {t['majority_source']}; druga tura: {t['runoff_source']}"
    rows = [{"candidate": c, "votes": v, "share": Fraction(v, valid) if valid else Fraction(0), "result": ""}
            for c, v in ranked]
    if not quorum_ok or vi is False:
        why = (f"brak kworum{f' ({TERM_NAMES[term - 1]} termin)' if term > 1 else ''}: głosowało {participants} z {entitled} uprawnionych, potrzeba co najmniej {need_q}"
               if not quorum_ok else f"głosów nieważnych ({invalid}) nie mniej niż ważnych ({valid})")
        for r in rows:
            r["result"] = "głosowanie nieważne"
        return Tally(election, entitled, participants, invalid, valid, seats, need_q, quorum_ok, vi, need_v,
                     rows, f"wybory nieważne — {why}", [], sources, term)
    elected: list[str] = []
    if need_v is not None:
        elected = [c for c, v in ranked if v >= need_v][:seats]
        if len([c for c, v in ranked if v >= need_v]) > seats:        # a tie at the last seat
            last = votes[elected[-1]]
            if sum(1 for _, v in ranked if v == last) > sum(1 for c in elected if votes[c] == last):
                elected = [c for c in elected if votes[c] > last]
    else:                                                              # plurality
        elected = [c for c, _ in ranked[:seats]]
        if len(ranked) > seats and elected and ranked[seats][1] == votes[elected[-1]]:
            last = votes[elected[-1]]
            elected = [c for c in elected if votes[c] > last]
    empty = seats - len(elected)
    runoff: list[str] = []
    few = (f"kandydatów ({len(ranked)}) było mniej niż mandatów ({seats})" if len(ranked) < seats else "")
    if empty and not few:           # fewer candidates than seats: no runoff, the seats stay vacant (issue 30)
        rest = [(c, v) for c, v in ranked if c not in elected]
        if t["runoff"] == "tied" or need_v is None:
            last = rest[0][1] if rest else 0
            runoff = [c for c, v in rest if v == last]
        else:
            cut = min(2 * empty, len(rest))
            floor_votes = rest[cut - 1][1] if cut else 0
            runoff = [c for c, v in rest if v >= floor_votes]
    for r in rows:
        r["result"] = ("wybrany" if r["candidate"] in elected else "druga tura" if r["candidate"] in runoff
                       else "niewybrany")
    short = [c for c, _ in ranked if c not in elected]
    if empty and runoff:
        verdict = (f"wybrano {len(elected)} z {seats}; druga tura na {count_pl(empty, 'mandat', 'mandaty', 'mandatów')}: "
                   f"{', '.join(runoff)}")
    elif empty:         # fewer candidates than seats: the elected keep their seats, the rest stay vacant
        verdict = (f"wybrano {len(elected)} z {seats}; "
                   f"{count_pl(empty, 'mandat nieobsadzony', 'mandaty nieobsadzone', 'mandatów nieobsadzonych')} — "
                   f"{few}, " + (f"bez wymaganej liczby głosów: {', '.join(short)}; drugiej tury nie zarządza się"
                                 if short else "nie ma kogo poddać drugiej turze")
                   + ": potrzebne nowe zgłoszenia kandydatów"
                   + (f" (liczba kandydatów nie mniejsza od liczby mandatów: {t['candidates_source']})"
                      if t.get("candidates_source") else ""))
    else:
        verdict = f"wybory ważne; wybrano: {', '.join(elected)}"
    return Tally(election, entitled, participants, invalid, valid, seats, need_q, quorum_ok, vi, need_v,
                 rows, verdict, runoff, sources, term)


# ------------------------------------------------------------------ the commands' values (issue 28)
# `seats`, `eligibility` and `tally` (flows/elections.py): what each command's read step hands on,
# and what its compute step makes of it. Everything compute needs is in the inputs.

@dataclass(frozen=True)
class SeatsInputs:
    key: str                    # the seat key (data/delegate_keys.toml, per:N, per-started:N)
    keys_text: str              # data/delegate_keys.toml
    counts: dict[str, int]      # members per body
    by: str                     # what a body is: unit_id, region_id or union
    source: str                 # where the counts come from, for the summary


@dataclass(frozen=True)
class SeatsResult:
    key: str
    by: str
    source: str
    rule: str                   # the key as people read it
    rows: list[dict]            # body, members, seats (None: no seats under this key)
    file: str | None = None     # the workbook's name in --out (the report step)


def seats_result(inputs: SeatsInputs) -> SeatsResult:
    """Every body's seats under the key, bodies in order."""
    seats, _quotas, rule = key_seats(inputs.counts, inputs.key, inputs.keys_text)
    rows = [{"body": b, "members": inputs.counts[b], "seats": seats[b]} for b in sorted(inputs.counts)]
    return SeatsResult(inputs.key, inputs.by, inputs.source, rule, rows)


@dataclass(frozen=True)
class EligibilityInputs:
    body: str                   # a unit, a region or a union's code (its national assembly)
    day: date
    period: str                 # the close whose register is read
    units: list[dict]           # unit_id, region_id, rulebook of that close
    memberships: list[dict]     # member_id, unit_id, joined_on, left_on
    ledger: dict[str, dict]     # member_id → months_unpaid, oldest_unpaid
    transfers: list[dict]       # the units' transfers due before the day, with what was paid
    names: dict[str, str]       # member_id → full name (--members)
    assembly_rows: list[tuple[str, int, str]] | None   # (file, row, member_id) of --assembly; None: members elect
    unions_text: str            # data/elections.toml
    keys_text: str              # data/delegate_keys.toml
    rules: Rules                # the rulebooks in force in the day's month (their arrears months)

    @property
    def assembly(self) -> set[str] | None:
        return None if self.assembly_rows is None else {m for _, _, m in self.assembly_rows}


@dataclass(frozen=True)
class EligibilityResult:
    body: str
    day: date
    period: str
    eligibility: Eligibility
    names: dict[str, str]
    assembly: set[str] | None           # the electing delegates (--assembly); None: the members' assembly
    other_union_units: list[str]        # units of the region left out (another union's rules)
    file: str | None = None


def _body(inputs: EligibilityInputs, unions: dict[str, Union]) -> tuple[Union, list[str], dict | None, list[str]]:
    """The union and the units of the body: a unit, a region (its units of the union most of them
    follow), or a union's national body; and the region's units of another union, left out."""
    body, units = inputs.body, inputs.units
    by_book = {u.rulebook: u for u in unions.values() if u.rulebook}
    if body in unions:
        union = union_for(unions, body, inputs.day)
        chosen = [u["unit_id"] for u in units if u["rulebook"] == union.rulebook]
        return union, chosen, union.assembly or None, []
    chosen = [u for u in units if u["unit_id"] == body] or [u for u in units if u["region_id"] == body]
    if not chosen:
        raise UserError("unknown_body", body=body, period=inputs.period)
    books = sorted({u["rulebook"] for u in chosen}, key=lambda b: (-sum(u["rulebook"] == b for u in chosen), b))
    if books[0] not in by_book:
        raise UserError("unknown_union", union=books[0], known=", ".join(sorted(unions)))
    union = union_for(unions, by_book[books[0]].code, inputs.day)
    others = sorted(u["unit_id"] for u in chosen if u["rulebook"] != books[0])
    return union, [u["unit_id"] for u in chosen if u["rulebook"] == books[0]], None, others


def _assembly_in_body(inputs: EligibilityInputs, units: set[str]) -> None:
    """Every delegate of ``--assembly`` is a member of the body: an id its register does not hold
    (a typo, another unit's member) would silently have no vote."""
    known = {m["member_id"] for m in inputs.memberships if m["unit_id"] in units}
    stray = [(source, row, mid) for source, row, mid in inputs.assembly_rows or [] if mid not in known]
    if stray:
        raise UserError("assembly_not_members", where=f"{stray[0][0]}, {'wiersze' if len(stray) > 1 else 'wiersz'} "
                        f"{and_list([row for _, row, _ in stray])}", ids=", ".join(m for _, _, m in stray),
                        body=inputs.body, period=inputs.period)


def _delegates_meeting(union: Union, members: list[Member], inputs: EligibilityInputs) -> None:
    """A union whose units above ``members_up_to`` members elect at their delegates' meeting, not
    at the members' general meeting (003 Ordynacja Art. 10): without the list of those delegates
    (``--assembly``) the body cannot be told, and every member would wrongly vote."""
    limit = union.unit_meeting.get("members_up_to")
    if limit is None or inputs.assembly is not None:
        return
    in_force: dict[str, int] = defaultdict(int)
    for m in members:
        if uninterrupted_since(m.periods, inputs.day):
            in_force[m.unit_id] += 1
    above = sorted((u, n) for u, n in in_force.items() if n > int(limit))
    if above:
        raise UserError("delegates_meeting_required", units=", ".join(f"{u} ({count_pl(n, 'członek', 'członków', 'członków')})"
                                                                     for u, n in above),
                        limit=limit, source=union.unit_meeting["source"], body=inputs.body)


def eligibility_result(inputs: EligibilityInputs) -> EligibilityResult:
    """Who may vote and stand in the body on the day (or, for a union's assembly of delegates,
    each unit's delegates and whether they are entitled)."""
    unions = load(inputs.unions_text)
    union, unit_ids, assembly, others = _body(inputs, unions)
    units = set(unit_ids)
    _assembly_in_body(inputs, units)
    problems = unit_problems(inputs.transfers, inputs.day)
    periods: dict[tuple[str, str], list] = defaultdict(list)
    # continuity counts membership of the union ("do Związku"), in any of its units: the periods
    # of every unit under the union's rulebook, joined where they touch
    of_union = units | {u["unit_id"] for u in inputs.units if union.rulebook is None or u["rulebook"] == union.rulebook}
    in_union: dict[str, list] = defaultdict(list)
    for m in inputs.memberships:
        if m["unit_id"] in units:
            periods[(m["member_id"], m["unit_id"])].append((m["joined_on"], m["left_on"]))
        if m["unit_id"] in of_union:
            in_union[m["member_id"]].append((m["joined_on"], m["left_on"]))
    electing = inputs.assembly
    members = [Member(mid, uid, p, (inputs.ledger.get(mid) or {}).get("months_unpaid") or 0,
                      (inputs.ledger.get(mid) or {}).get("oldest_unpaid"), electing is None or mid in electing,
                      in_union[mid])
               for (mid, uid), p in periods.items()]
    version = inputs.rules.version(union.rulebook) if union.rulebook else None
    months, source = (version.arrears_months, version.arrears_source) if version else (3, "")
    if assembly:
        in_force: dict[str, int] = defaultdict(int)
        for m in members:
            if uninterrupted_since(m.periods, inputs.day):
                in_force[m.unit_id] += 1
        counts = {u: in_force.get(u, 0) for u in unit_ids}
        seats, _, _ = key_seats(counts, assembly["delegates_key"], inputs.keys_text)
        lists = delegates_assembly(union, assembly, counts, seats, problems, inputs.day)
    else:
        _delegates_meeting(union, members, inputs)
        lists = eligibility(union, members, inputs.day, months, source, problems)
    return EligibilityResult(inputs.body, inputs.day, inputs.period, lists, inputs.names, electing, others)


@dataclass(frozen=True)
class TallyInputs:
    rules: str                  # the union whose election rules apply
    unions_text: str            # data/elections.toml
    elections: dict[str, dict]  # name → entitled, participants, invalid, seats, votes, variants, term (checked)


@dataclass(frozen=True)
class TallyResult:
    union: Union
    results: list[Tally]
    variants: dict[str, dict[str, int]]     # election → its other spellings in the protocol, with their row
    file: str | None = None


def tally_result(inputs: TallyInputs) -> TallyResult:
    """Every vote of the protocol tallied under the union's rules."""
    union = load(inputs.unions_text)[inputs.rules]
    results = [tally(union, name, e["entitled"], e["participants"], e["invalid"], e["seats"], e["votes"],
                     e.get("term", 1))
               for name, e in inputs.elections.items()]
    return TallyResult(union, results, {name: dict(e["variants"]) for name, e in inputs.elections.items()})
