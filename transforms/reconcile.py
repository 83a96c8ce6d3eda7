"""Regional reconciliation (issue 6): bank credits matched to the transfers units owe the region
(RULES.md §5–§6, 004 §10), verdicts per unit and period, and members three months in arrears
(RULES.md §10). Pure: lists of dicts in, lists of dicts out; money in grosze.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from transforms.errors import text

_PERIODS = [
    (re.compile(r"(?<!\d)(\d{4})[-/.](0[1-9]|1[0-2])(?!\d)"), "ym"),
    (re.compile(r"(?<!\d)(0?[1-9]|1[0-2])[-/.](\d{4})(?!\d)"), "my"),
]


def _norm(text: str) -> str:
    s = (text or "").lower().replace("ł", "l")
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def periods_in_title(title: str) -> list[str]:
    """'Składki 09/2026 i 10.2026' -> ['2026-09', '2026-10'] (in order, no repeats)."""
    found = []
    for rx, kind in _PERIODS:
        for m in rx.finditer(title or ""):
            y, mo = (m.group(1), m.group(2)) if kind == "ym" else (m.group(2), m.group(1))
            found.append((m.start(), f"{y}-{int(mo):02d}"))
    out = []
    for _, p in sorted(found):
        if p not in out:
            out.append(p)
    return out


@dataclass(frozen=True)
class Expected:
    unit_id: str
    period: str
    amount: int
    due_on: date


@dataclass
class Unit:
    unit_id: str
    name: str
    bank_account: str | None


def identify_unit(credit: dict, units: list[Unit]) -> tuple[Unit | None, str]:
    """By registered account first, then a unit id in the title, then the unit's name."""
    if credit.get("account"):
        for u in units:
            if u.bank_account and u.bank_account == credit["account"]:
                return u, "account"
    title = _norm(credit.get("title", "")) + " " + _norm(credit.get("counterparty", ""))
    compact = re.sub(r"[^a-z0-9]", "", title)
    for u in sorted(units, key=lambda u: -len(u.unit_id)):
        if re.sub(r"[^a-z0-9]", "", _norm(u.unit_id)) and re.sub(r"[^a-z0-9]", "", _norm(u.unit_id)) in compact:
            return u, "unit id in title"
    for u in units:
        name = re.sub(r"\s+", " ", _norm(u.name)).strip()
        if name and name in re.sub(r"\s+", " ", title):
            return u, "unit name in title"
    return None, ""


def match_credits(credits: list[dict], expected: list[Expected], units: list[Unit]) -> tuple[list[dict], list[dict]]:
    """Every credit ends up in matches (possibly split over periods, overpayment on the last one)
    or in unmatched with a reason: Σ matched + Σ unmatched = Σ credits. Inputs are not changed."""
    by_unit: dict[str, list[Expected]] = {}
    for e in sorted(expected, key=lambda e: e.period):
        by_unit.setdefault(e.unit_id, []).append(e)
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
        unit, how = identify_unit(c, units)
        if unit is None:
            unmatched.append({**c, "reason": text("notes", "unknown_payer")})
            continue
        own = by_unit.get(unit.unit_id, [])
        named = periods_in_title(c.get("title", ""))
        if named:
            targets = [e for e in own if e.period in named]
            missing = [p for p in named if p not in {e.period for e in own}]
            if not targets:
                unmatched.append({**c, "unit_id": unit.unit_id, "reason": text(
                    "notes", "no_transfer_for_periods", unit_id=unit.unit_id, how=how, periods=", ".join(missing))})
                continue
        else:
            targets = [e for e in own if outstanding(e) > 0] or own[-1:]
        if not targets:
            unmatched.append({**c, "unit_id": unit.unit_id,
                              "reason": text("notes", "nothing_to_pay", unit_id=unit.unit_id, how=how)})
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
    matches, unmatched = match_credits(inputs["credits"], inputs["expected"], inputs["units"])
    status = verdicts(inputs["expected"], matches)
    return ReconcileResult(period, inputs["credits"], matches, unmatched, status, inputs["forwards"],
                           inputs["arrears"], inputs["issues"])
