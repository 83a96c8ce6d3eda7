"""Statutory benefits (004 Uchwała nr 5 §5 ust. 1–3, §9; RULES.md §11): each claim checked against
the membership history and decided — granted with its amount and payer, pending documents, or
refused naming the paragraph. The rules (kinds, relations, months, minimums) are rulebook data
(`[versions.benefits]`); the minimum and the KK's amount under §9 (`region_amount`) are those of
the rulebook version in force on the event date. Pure: dicts in, dicts out; money in grosze.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from transforms.deadlines import DeadlineShift
from transforms.elections import uninterrupted_since
from transforms.errors import text, where
from transforms.money import format_pl, grosze, is_ambiguous_amount, parse_typed_amount
from transforms.polish import identity, with_code
from transforms.staging import _date as typed_date, shape_problems

# No paragraph of 004 caps a unit's own benefit amount; a plausibility limit (the rulebook's
# `[versions.benefits] max_amount`; this one when a rulebook sets none) only catches a slipped
# decimal point. Above it a claim is held until the amount is corrected or the limit raised
# (docs/benefits-calendar.md).
MAX_AMOUNT = "20000.00"
CELL_LIMIT = 200                  # characters of any value of a claim (an id, a date, a name)


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day:
    2026-01-31 + 1 → 2026-02-28. Six months of membership from 2026-01-15 end on 2026-07-15."""
    n = d.year * 12 + d.month - 1 + months
    year, month = divmod(n, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Claim:
    claim_id: str
    member_id: str
    kind: str
    event_date: date
    documents_on: date | None
    relation: str
    single_parent: bool
    payee: str | None
    unit_lacks_funds: bool
    amount_claimed: int | None
    row: int
    child: str | None = None      # which child of a birth (twins: two claims); None: the birth's one child
    waiver: str | None = None     # the paying body's decision (§5 ust. 3 pkt 4) lifting the six months


TRUE = {"true", "tak", "1", "t", "yes"}
FALSE = {"false", "nie", "0", "n", "no", ""}


def parse_claim(r: dict, row: int) -> tuple[Claim | None, list[str]]:
    """A benefit_claims.csv row -> Claim, or the problems that stop it being read."""
    problems = shape_problems(r) or [text("problems", "cell_too_long", column=k, length=len(v), limit=CELL_LIMIT)
                                     for k, v in r.items() if k[:1] != "_" and len(v or "") > CELL_LIMIT]
    if problems:                  # a separator missing or extra (every column after it shifted), a paste gone wrong
        return None, problems
    get = lambda k: (r.get(k) or "").strip()  # noqa: E731

    def day(column: str, required: bool) -> date | None:
        value = get(column)
        if not value and not required:
            return None
        parsed = typed_date(value)       # RRRR-MM-DD or DD.MM.RRRR, as every canonical file (issue 26)
        if parsed is None:
            problems.append(text("problems", "date_bad", column=column, value=value))
        return parsed

    def flag(column: str) -> bool:
        value = get(column).lower()
        if value not in TRUE | FALSE:
            problems.append(text("problems", "flag_bad", column=column, value=get(column)))
        return value in TRUE
    event, documents = day("event_date", True), day("documents_on", False)
    single, lacks = flag("single_parent"), flag("unit_lacks_funds")
    amount = None
    if get("amount_claimed"):
        amount = parse_typed_amount(get("amount_claimed"))
        if amount is None:
            problems.append(text("problems", "amount_ambiguous" if is_ambiguous_amount(get("amount_claimed"))
                                 else "flat_bad", column="amount_claimed", value=get("amount_claimed")))
    for column in ("claim_id", "member_id", "kind"):
        if not get(column):
            problems.append(text("problems", "id_empty", column=column))
    if problems:
        return None, problems
    return Claim(get("claim_id"), get("member_id"), get("kind"), event, documents, get("relation"), single,
                 get("payee") or None, lacks, amount, row, get("child") or None, get("waiver") or None), []


def member_on(history: list[dict], day: date) -> dict | None:
    """The period of membership covering ``day`` (joined_on ≤ day ≤ left_on), if any."""
    return next((p for p in history if p["joined_on"] <= day and (p["left_on"] is None or day <= p["left_on"])), None)


def unit_amount(unit: dict | None, column: str, rules: dict) -> tuple[int | None, tuple | None]:
    """The unit's own amount of a benefit (units.csv ``column``; empty: none, the minimum applies),
    or why the claim is held: an amount that cannot be read is never replaced by the minimum, and
    one above the plausibility limit waits to be confirmed."""
    value = ((unit or {}).get(column) or "").strip()
    if not value:
        return None, None
    at = where(unit.get("_source") or "units.csv", unit.get("_row"), f"jednostka {unit['unit_id']}")
    amount = parse_typed_amount(value)
    if amount is None or amount < 0 or value.startswith("-"):
        problem = (text("problems", "cell_too_long", column=column, length=len(value), limit=CELL_LIMIT)
                   if len(value) > CELL_LIMIT else
                   text("problems", "amount_ambiguous" if is_ambiguous_amount(value) else "flat_bad",
                        column=column, value=value))
        return None, ("unit_amount_bad", {"where": at, "problem": problem})
    limit = grosze(str(rules.get("max_amount", MAX_AMOUNT)))
    if amount > limit:
        return None, ("unit_amount_implausible", {"where": at, "column": column, "value": format_pl(amount),
                                                  "limit": format_pl(limit)})
    return amount, None


def paid_keys(claim: Claim, once_per_member: bool) -> set[tuple]:
    """What a granted claim marks as paid: the member's benefit of a kind paid once (a member's
    death), or the event — (kind, member, day, relation) — and, within it, the child
    (kind, member, day, relation, child; None: the event's one child). 004 §5 ust. 1 pkt 1 pays for
    each child born, so twins are two claims told apart by their `child`."""
    if once_per_member:
        return {(claim.kind, claim.member_id)}
    event = (claim.kind, claim.member_id, claim.event_date, claim.relation)
    return {event, (*event, claim.child and identity(claim.child))}


def already_paid(claim: Claim, keys: set[tuple], paid: set[tuple]) -> bool:
    """A claim naming no child conflicts with any paid claim of the event; one naming a child with
    the same child, or with a paid claim that named none (it was the event's one child)."""
    if len(keys) == 1 or claim.child is None:
        return bool(keys & paid)
    event = min(keys, key=len)
    return bool((keys - {event}) & paid) or (*event, None) in paid


def decide(claim: Claim, history: list[dict], unit: dict | None, rules: dict | None, paid_before: set[tuple],
           today: date, *, shift: DeadlineShift) -> dict:
    """One claim's decision: granted (amount, payer), pending (documents not yet in, the window
    still open) or refused (reason_code, the paragraph in the reason). ``shift``: the rulebook's
    deadline_shift — the documents are an act with a deadline (§5 ust. 3 pkt 2), so a window
    ending on a day free from work runs to the next working day (KC art. 115; docs/rules-decisions.md); the
    six months of membership (§5 ust. 3 pkt 1) are a duration, not a deadline, and never move."""
    out = {"claim_id": claim.claim_id, "member_id": claim.member_id, "unit_id": unit and unit["unit_id"],
           "region_id": unit and unit["region_id"], "kind": claim.kind, "event_date": claim.event_date,
           "documents_on": claim.documents_on, "relation": claim.relation, "amount": None, "payer": None,
           "amount_claimed": claim.amount_claimed, "child": claim.child, "waiver": claim.waiver}

    def refuse(code: str, **params) -> dict:
        return {**out, "decision": "refused", "reason_code": code, "reason": text("benefits", code, **params)}
    for column, day in (("event_date", claim.event_date), ("documents_on", claim.documents_on)):
        if day is not None and day > today:      # not happened yet on the day of the decision
            return refuse("date_after_decision", column=column, value=day, today=today)
    if claim.documents_on is not None and claim.documents_on < claim.event_date:
        return refuse("documents_before_event", documents=claim.documents_on, event=claim.event_date,
                      source=rules["documents_source"] if rules else "—")
    if not rules:
        return refuse("no_rules", rulebook=unit["rulebook"] if unit else "?")
    kind = rules["kinds"].get(claim.kind)
    if kind is None:
        return refuse("unknown_kind", kind=claim.kind,
                      known=", ".join(with_code(k.get("label"), code) for code, k in rules["kinds"].items()))
    if claim.relation not in kind["relations"]:
        return refuse("relation_not_covered", relation=claim.relation, label=kind["label"], source=kind["source"],
                      covered=", ".join(with_code(rules.get("relation_labels", {}).get(r), r)
                                        for r in kind["relations"]))
    period = member_on(history, claim.event_date)
    if period is None:
        return refuse("not_a_member", day=claim.event_date, source=kind["source"])
    waived = None
    if kind.get("needs_membership", True):     # uninterrupted membership of the union: touching periods,
        joined = uninterrupted_since([(p["joined_on"], p["left_on"]) for p in history], claim.event_date)
        since = add_months(joined, int(rules["membership_months"]))     # in any unit, are one
        if claim.event_date < since and claim.waiver:       # an exceptional case the paying body decided
            waived = text("benefits", "membership_waived", waiver=claim.waiver, joined=joined, since=since,
                          source=rules.get("waiver_source", rules["source"]))
        elif claim.event_date < since:
            return refuse("membership_too_short", joined=joined, since=since,
                          months=rules["membership_months"], source=rules["membership_source"])
    keys = paid_keys(claim, kind.get("once_per_member", False))
    window_ends = add_months(claim.event_date, int(rules["documents_months"]))
    deadline, shown = shift.due(window_ends), shift.shown(window_ends)
    if claim.documents_on is None:
        if already_paid(claim, keys, paid_before):     # granted to another claim: nothing left to wait for (§5 ust. 1 pkt 2)
            return refuse("already_paid", label=kind["label"], source=kind["source"])
        if today <= deadline:
            return {**out, "decision": "pending", "reason_code": "documents_awaited",
                    "reason": text("benefits", "documents_awaited", deadline=shown, source=rules["documents_source"])}
        return refuse("documents_late", documents="—", deadline=shown, source=rules["documents_source"])
    if claim.documents_on > deadline:
        return refuse("documents_late", documents=claim.documents_on, deadline=shown,
                      source=rules["documents_source"])
    if already_paid(claim, keys, paid_before):
        return refuse("already_paid", label=kind["label"], source=kind["source"])
    minimum = grosze(rules["minimum"][claim.kind])
    factor = int(rules["single_parent_factor"]) if claim.kind == "birth" and claim.single_parent else 1
    if claim.unit_lacks_funds:        # §9: the region pays, at the amount the KK set (not necessarily the minimum)
        kk = rules.get("region_amount") or {}
        payer = rules["payer_under_9"]
        why = text("benefits", "paid_by_region", source=rules["region_source"])
        if claim.kind in kk:
            amount = grosze(kk[claim.kind]) * factor
            why += " " + text("benefits", "region_amount", amount=format_pl(amount), source=kk["source"])
        else:                         # a rulebook that names no §9 amount: the minimum, said so
            amount = minimum * factor
            why += " " + text("benefits", "region_amount_missing", amount=format_pl(amount),
                              source=rules["minimum"].get("source", rules["region_source"]))
    else:
        own, held = unit_amount(unit, kind["unit_column"], rules)
        if held:
            code, params = held
            return refuse(code, **params)
        amount = max(own or 0, minimum) * factor
        payer = rules["payer"]
        why = text("benefits", "granted", own="—" if own is None else format_pl(own),
                   source=rules["amount_source"])
    if factor > 1:
        why += " " + text("benefits", "single_parent", factor=factor, source=kind["source"])
    if waived:
        why += " " + waived
    paid_before.update(keys)
    return {**out, "decision": "granted", "amount": amount, "payer": payer, "reason_code": "granted", "reason": why}
