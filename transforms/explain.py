"""Why an amount is what it is (issue 18): the chain that produced a member's dues, a unit's split
and transfer, a region's delegate verification — composed from what the close recorded as it
computed (`dues_derivation`, `income_lines`, `split_steps`, `member_ledger`, `receipts`), never
from a second computation of the rules. The explanation's own figures (the base as the sum of
the lines marked as used, the dues from the recorded rule) are checked against the stored ones.
Pure; grosze; Polish lines for people.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction

from transforms.errors import text
from transforms.methods import METHODS, exact_text, pct_text
from transforms.money import format_pl, half_up


@dataclass
class Explanation:
    title: str
    lines: list[str] = field(default_factory=list)
    base: int | None = None          # the explanation's own figures, compared with the stored ones
    dues: int | None = None
    surcharge: int | None = None
    transfer: int | None = None      # a unit's: what it passes up, as the stored transfers


USE = {"base": "w podstawie", "excluded": "pominięty: składnik poza podstawą ({source})",
       "other_period": "pominięty: inny miesiąc ({line_period})", "floor": "zadeklarowana podstawa (próg)",
       "deduction": "potrącenie pracodawcy (wpływ, nie dochód)", "rejected": "odrzucony (zob. wyjątki)"}
KIND = {"deduction": "potrącenie pracodawcy", "payment": "wpłata członka", "assumed": "przyjęte jako otrzymane"}


def member(member_id: str, period: str, derivation: dict, dues: dict, lines: list[dict], ledger: dict | None,
           receipts: list[dict]) -> Explanation:
    """A member's dues from the recorded lines and rule: every line with its file and row, the base,
    the rule and its paragraph, the rounding, the surcharge, a reduction, and what was received."""
    rule = json.loads(derivation["rule_json"])
    if rule["method"] == "stated":
        return stated(member_id, period, derivation, dues, lines, ledger, receipts, rule)
    e = Explanation(f"Członek {member_id}, jednostka {dues['unit_id']}, {period}: składka {format_pl(dues['total'])}")
    e.lines.append(f"Kategoria: {rule['label']}; regulamin {derivation['rulebook_version']}; "
                   f"reguła {derivation['rule_source']}")
    e.lines.append("Wiersze dochodu:")
    for ln in lines:
        use = USE[ln["use"]].format(source=derivation["rule_source"], line_period=ln["line_period"])
        amount = format_pl(ln["amount"]) if ln["amount"] is not None else "—"
        e.lines.append(f"  {ln['source']}, wiersz {ln['row']}: {ln['component']} {amount} — {use}")
    used = sum(ln["amount"] for ln in lines if ln["use"] == "base")
    floor = [ln for ln in lines if ln["use"] == "floor"]
    if derivation["floor_used"] and floor:
        used = max(used, sum(ln["amount"] for ln in floor))
        e.lines.append(f"Podstawa: zadeklarowana podstawa ubezpieczenia {format_pl(used)} (wyższa niż dochód)")
    e.base, computed, how = METHODS[rule["method"]].explain(rule, used, dues["dues"])
    e.lines += how
    # issue 30: the paragraphs of the member's own rulebook (its [versions.citations]), never another union's
    reductions = _with(derivation.get("reductions_source"))
    if derivation["adjustment"] == "reduced":
        computed = derivation["adjustment_amount"]
        e.lines.append(f"Obniżenie składki ({reductions}decyzja {derivation['decision_ref'] or '—'}): "
                       f"{format_pl(computed)}, bez podwyższenia")
    elif derivation["adjustment"] == "suspended":
        computed = 0
        e.lines.append(f"Zawieszenie składki ({reductions}decyzja {derivation['decision_ref'] or '—'}): 0,00 zł")
    e.dues = computed
    bp = derivation.get("raised_bp")
    bp = int(derivation["raised_pct"] * 100) if bp is None else bp        # stored as a percentage
    raised = Fraction(bp - 10_000, 10_000)
    e.surcharge = 0 if derivation["adjustment"] else half_up(computed * raised)
    if e.surcharge or raised and not derivation["adjustment"]:
        e.lines.append(f"Podwyższenie{_cited(derivation.get('raised_source'))}: {format_pl(computed)} × "
                       f"{pct_text(raised)} = "
                       f"{exact_text(computed * raised)} zł → {format_pl(e.surcharge)}")
    e.lines.append(f"Razem: {format_pl(e.dues)} + {format_pl(e.surcharge)} = {format_pl(e.dues + e.surcharge)}")
    _received(e, ledger, receipts)
    return e


def stated(member_id: str, period: str, derivation: dict, dues: dict, lines: list[dict], ledger: dict | None,
           receipts: list[dict], rule: dict) -> Explanation:
    """Dues taken from an employer's deductions-only list (RULES.md §13): the listed deductions, the
    marking, and — in a unit with raised dues — the §1 part and the surcharge."""
    mark, unchecked = text("notes", "dues_by_employer"), text("notes", "deduction_unchecked")
    e = Explanation(f"Członek {member_id}, jednostka {dues['unit_id']}, {period}: składka {format_pl(dues['total'])} "
                    f"({mark})")
    e.lines.append(f"Kategoria: {rule['label']}; regulamin {derivation['rulebook_version']}; składka {mark} "
                   f"(RULES.md §13): kwota potrącona przez pracodawcę ({', '.join(rule['employers'])})")
    e.lines.append(f"Lista samych potrąceń, bez składników płacowych: {unchecked}")
    listed = [r for r in receipts if r["kind"] == "deduction" and r["source"] in rule["sources"]]
    e.lines += [f"  {r['source']}, wiersz {r['row']}: potrącono {format_pl(r['amount'])}" for r in listed]
    for ln in lines:          # other months' lines, if any (none of them is in the month's dues)
        use = USE[ln["use"]].format(source=derivation["rule_source"], line_period=ln["line_period"])
        e.lines.append(f"  {ln['source']}, wiersz {ln['row']}: {ln['component']} {format_pl(ln['amount'])} — {use}")
    total = sum(r["amount"] for r in listed)
    e.base = None
    e.lines.append("Podstawa: nieznana (brak składników płacowych)")
    bp = derivation.get("raised_bp")
    bp = int(derivation["raised_pct"] * 100) if bp is None else bp        # stored as a percentage
    if bp != 10_000:          # 004 §2 ust. 1–2: the deducted amount holds the surcharge, which stays with the unit
        e.dues = half_up(Fraction(total * 10_000, bp))
        e.surcharge = total - e.dues
        e.lines.append(f"Składka podwyższona do {pct_text(Fraction(bp, 10_000))}: {format_pl(total)} ÷ "
                       f"{pct_text(Fraction(bp, 10_000))} = {format_pl(e.dues)}{_cited(derivation['rule_source'])}, "
                       f"podwyższenie {format_pl(e.surcharge)}{_cited(derivation.get('raised_source'))}")
    else:
        e.dues, e.surcharge = total, 0
    e.lines.append(f"Razem: {format_pl(e.dues)} + {format_pl(e.surcharge)} = {format_pl(e.dues + e.surcharge)} "
                   f"({mark})")
    _received(e, ledger, receipts)
    return e


def _received(e: Explanation, ledger: dict | None, receipts: list[dict]) -> None:
    if ledger:
        e.lines.append("Otrzymano:")
        e.lines += [f"  {KIND.get(r['kind'], r['kind'])} {format_pl(r['amount'])}"
                    + (f" ({r['source']}, wiersz {r['row']})" if r["source"] else "") for r in receipts] or ["  nic"]
        e.lines.append(f"Konto: zaległość {format_pl(ledger['arrears'])}, nadpłata {format_pl(ledger['credit'])}, "
                       f"miesiące bez pełnej wpłaty {ledger['months_unpaid']}")


def _cited(source: str | None) -> str:
    """' (003 Art. 31 ust. 5)': a paragraph in brackets after a figure; nothing when none is known."""
    return f" ({source})" if source else ""


def _with(source: str | None) -> str:
    """'004 §2 ust. 3, ': a paragraph before what follows it in brackets; nothing when none is known."""
    return f"{source}, " if source else ""


def unit(unit_id: str, period: str, steps: list[dict], levels: dict[str, str], transfers: list[dict],
         settlement: list[dict] | None = None, month: dict | None = None,
         corrections: list[dict] | None = None, roots: frozenset[str] = frozenset(),
         split_source: str = "", whole: dict | None = None) -> Explanation:
    """A unit's D, every move of its cascade with its rounding, the transfers and their deadlines.
    What is passed up is what is stored (RULES.md §13): an approved month closed again keeps the
    approved settlement — the explanation says so, and where its difference went as a correction —
    and corrections put into this month are shown line by line. ``settlement``: the unit's stored
    rows of the month; ``month``: its row of unit_months; ``corrections``: the recorded ones out
    of this month and into it; ``roots``: the rulebooks' own level of a unit (what stays in it).
    ``split_source``: the paragraph of the unit's rulebook that splits D (its cascade's source).
    ``e.transfer`` is what the explanation passes up, to be checked against the stored transfers.
    ``whole`` (issue 30): a rulebook whose cascade moves nothing (a union of one level) — D, the level
    that keeps it and the rule's source; there are no steps to show."""
    e = Explanation(f"Jednostka {unit_id}, {period}: podział i przelewy")
    if whole is not None and not steps:
        e.lines.append(f"Podział składek należnych: D = {format_pl(whole['d'])} — regulamin nie przewiduje "
                       f"odprowadzeń; całość zostaje: {whole['level']} ({whole['source']})")
    for basis in ("owed", "received", "assumed"):
        rows = [s for s in steps if s["basis"] == basis]
        if not rows:
            continue
        e.lines.append({"owed": "Podział składek należnych", "received": "Podział składek otrzymanych",
                        "assumed": "Podział składek otrzymanych (przyjętych w całości)"}[basis]
                       + f": D = {format_pl(rows[0]['d'])}{_cited(split_source)}")
        for s in rows:
            share = Fraction(s["share"]) / 100
            e.lines.append(f"  {s['step']}. {levels.get(s['source_level'], s['source_level'])} → "
                           f"{levels.get(s['target_level'], s['target_level'])}: {format_pl(s['d'])} × {pct_text(share)} = "
                           f"{exact_text(s['d'] * share)} zł → {format_pl(s['amount'])} ({s['rule_source']})")
    if settlement is not None:
        _passed_up(e, period, steps, levels, settlement, month or {}, corrections or [], roots)
    for t in transfers:
        e.lines.append(f"Przelew do: {levels.get(t['payee'], t['payee'])} {format_pl(t['amount'])} "
                       f"(od należnych {format_pl(t['owed_amount'])}), termin {t['due_on']} ({t['rule']})")
    stored = sum(t["amount"] for t in transfers)
    if e.transfer is not None and transfers and stored != e.transfer:     # never silently contradictory
        e.lines.append(f"UWAGA: zapisane przelewy ({format_pl(stored)}) różnią się od rozliczenia "
                       f"({format_pl(e.transfer)}); sprawdź bazę (skladki replay)")
    return e


def _signed(amount: int) -> str:
    return ("+" if amount > 0 else "") + format_pl(amount)


def _passed_up(e: Explanation, period: str, steps: list[dict], levels: dict[str, str], settlement: list[dict],
               month: dict, corrections: list[dict], roots: frozenset[str]) -> None:
    """What the unit passes up as stored: the split of what it received (or, for an approved month
    closed again, the approved settlement) plus the corrections put into the month."""
    split = sum(s["amount"] for s in steps if s["basis"] in ("received", "assumed") and s["source_level"] in roots)
    kept = sum(r["amount"] for r in settlement if r["basis"] != "correction" and r["level"] not in roots)
    e.transfer = kept
    if month.get("state") == "approved":
        e.lines.append(f"Miesiąc zatwierdzony ({month.get('approved_by') or '—'}, {month.get('approved_at') or '—'}): "
                       f"przekazuje się kwotę zatwierdzoną {format_pl(kept)}"
                       + (f"; podział z obecnych danych daje {format_pl(split)} (RULES.md §13)" if kept != split else ""))
        if kept != split:
            e.lines.append("  zatwierdzony podział: " + ", ".join(
                f"{levels.get(r['level'], r['level'])} {format_pl(r['amount'])}"
                for r in settlement if r["basis"] != "correction"))
        out: dict[str, list] = {}
        for c in corrections:
            if c["corrected_period"] == period and c["level"] not in roots:
                out.setdefault(c["applied_in"], [0, c["reason"]])[0] += c["amount"]
        e.lines += [f"  różnica {_signed(amount)} przeniesiona jako korekta do {into}: {reason}"
                    for into, (amount, reason) in sorted(out.items()) if amount]
    into: dict[str, int] = {}
    for r in settlement:
        if r["basis"] == "correction" and r["level"] not in roots:
            into[r["corrects"]] = into.get(r["corrects"], 0) + r["amount"]
    reasons = {c["corrected_period"]: c["reason"] for c in corrections if c["applied_in"] == period}
    for corrects, amount in sorted(into.items()):
        if amount:
            e.lines.append(f"W tym korekta za {corrects}: {_signed(amount)} — {reasons.get(corrects) or 'bez powodu'}")
            e.transfer += amount
    if e.transfer != kept:
        e.lines.append(f"Do przekazania wyżej: {format_pl(kept)} + korekty {_signed(e.transfer - kept)} = "
                       f"{format_pl(e.transfer)}")


def region(region_id: str, rows: list[dict]) -> Explanation:
    """A region's delegate verification (Uchwała XIX KZD nr 6/2005): W, N, T, R, N′, the exempt."""
    e = Explanation(f"Region {region_id}: weryfikacja liczby członków")
    for r in rows:
        e.lines.append(text("notes", "explain_region", voivodeship=r["voivodeship"], paid_in=r["paid_in"],
                            wage=format_pl(r["wage"]), declared=r["declared_paying_members"],
                            threshold=r["threshold"], remitted=format_pl(r["remitted"]),
                            recognised=r["recognised_paying"], exempt=r["exempt_members"],
                            members=r["recognised_members"], verdict=r["verdict"]))
    return e


def short(rule_text: str, rule_source: str, base: int, dues: int, surcharge: int, adjustment: str | None,
          reductions_source: str = "") -> str:
    """The derivation in one cell, for the members' sheets: '8 055,03 zł × 0,82 % = 66,05 zł (004 §1 ust. 1 pkt 1)'."""
    rule = json.loads(rule_text)
    if rule["method"] == "stated":       # RULES.md §13
        how = (f"{text('notes', 'dues_by_employer')}: potrącono {format_pl(dues + surcharge)} "
               f"({', '.join(rule['sources'])})")
        return how + (f", w tym podwyższenie {format_pl(surcharge)}" if surcharge else "")
    if adjustment == "reduced":           # the paragraph of the member's rulebook (issue 30)
        how = f"obniżona decyzją do {format_pl(dues)}{_cited(reductions_source)}"
    elif adjustment == "suspended":
        how = f"zawieszona decyzją{_cited(reductions_source)}"
    else:
        how = METHODS[rule["method"]].short(rule, rule_source, base, dues)
    return how + (f" + podwyższenie {format_pl(surcharge)}" if surcharge else "")
