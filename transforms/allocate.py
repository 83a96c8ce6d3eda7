"""Allocations per unit and level, and the transfers due with deadlines (RULES.md §5–§6).

Grain of allocations: one row per valid unit, period and level of the unit's rulebook (zeros
included); they sum to the unit's Σ dues.total. Grain of transfers: one row per payer, payee and
period (a unit's transfer per unit; a region's forwards summed over its units). Every split goes
through ``transforms.split.split_dues``; levels, moves, payers and deadlines are rulebook data.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from functools import lru_cache

import polars as pl

from transforms.rulebook import Cascade, RulebookVersion, Rules
from transforms.money import decimal_text
from transforms.earmarks import extend, unit_earmarks
from transforms.split import moves, split_dues

ALLOCATION_SCHEMA = {"period": pl.String, "unit_id": pl.String, "level": pl.String, "amount": pl.Int64}
TRANSFER_SCHEMA = {"period": pl.String, "payer_kind": pl.String, "payer_id": pl.String,
                   "payee": pl.String, "region_id": pl.String, "amount": pl.Int64,
                   "due_on": pl.Date, "rule": pl.String, "owed_amount": pl.Int64}


def unit_cascade(unit: dict, version: RulebookVersion, earmarks: tuple = ()) -> Cascade:
    """The unit's cascade: sheltered or not, with the unit's own share where the rulebook lets
    the unit set it (a units.csv column named by the move), and a move from the root to each
    earmarked fund of its region and its section's dues in force (issue 30, 004 §4, §3 ust. 4;
    ``earmarks``: ``Rules.earmarks``)."""
    cascade = version.cascade(unit["sheltered"])
    for column in cascade.override_columns:
        if unit.get(column):
            cascade = cascade.with_unit_override(column, Fraction(unit[column]) / 100)
    return extend(cascade, unit_earmarks(unit, earmarks)) if earmarks and version.earmarks else cascade


def unit_d(by_category: dict[str, tuple[int, int]], version: RulebookVersion) -> tuple[int, int]:
    """(D, kept): D = Σ §1 dues of the split categories (004 §3 ust. 1); kept = everything else
    (other categories' dues and all surcharges stay with the unit, 004 §3 ust. 3, §2 ust. 2)."""
    d = sum(v[0] for c, v in by_category.items() if c in version.split_categories)
    return d, sum(v[0] + v[1] for v in by_category.values()) - d


STEP_SCHEMA = {"period": pl.String, "unit_id": pl.String, "basis": pl.String, "step": pl.Int64,
               "source_level": pl.String, "target_level": pl.String, "share": pl.String, "d": pl.Int64,
               "amount": pl.Int64, "rule_source": pl.String}


@lru_cache(maxsize=None)
def percent_text(share: Fraction) -> str:
    """A move's share as a percentage with four decimals ('2.5000')."""
    return decimal_text(share * 100, 4)


def cascade_steps(period: str, unit_id: str, basis: str, d: int, cascade: Cascade,
                  made: list[tuple[str, str, int]] | None = None) -> list[dict]:
    """Every move of the cascade for D as it is made (issue 18: recorded for `skladki explain`)."""
    return [{"period": period, "unit_id": unit_id, "basis": basis, "step": i, "source_level": m.source_level,
             "target_level": m.target_level, "share": percent_text(m.share), "d": d, "amount": amount,
             "rule_source": m.source}
            for i, (m, (_, _, amount)) in enumerate(zip(cascade.moves, moves(d, cascade) if made is None else made, strict=True), start=1)]


def allocate(units: pl.DataFrame, dues: pl.DataFrame, rules: Rules,
             steps: list[dict] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Returns (allocations, transfers) of the dues owed; ``steps`` collects the cascade's moves."""
    allocations = allocations_of(units, dues, rules, steps)
    return allocations, transfers_from(units, allocations, rules)


def allocations_of(units: pl.DataFrame, dues: pl.DataFrame, rules: Rules,
                   steps: list[dict] | None = None) -> pl.DataFrame:
    """The split of the dues owed per unit and level (no transfers: a close works them out once,
    from the settlement); ``steps`` collects the cascade's moves."""
    sums: dict[str, dict[str, tuple[int, int]]] = {}
    for r in (dues.group_by("unit_id", "category").agg(pl.col("dues").sum(), pl.col("surcharge").sum())
              .iter_rows(named=True)):
        sums.setdefault(r["unit_id"], {})[r["category"]] = (r["dues"], r["surcharge"])
    alloc_rows: list[dict] = []
    for unit in units.sort("unit_id").iter_rows(named=True):
        version = rules.version(unit["rulebook"])
        cascade = unit_cascade(unit, version, rules.earmarks)
        d, kept = unit_d(sums.get(unit["unit_id"], {}), version)
        made = moves(d, cascade)
        parts = split_dues(d, cascade, made)
        parts[cascade.root] += kept
        if steps is not None:
            steps += cascade_steps(rules.period, unit["unit_id"], "owed", d, cascade, made)
        alloc_rows += [{"period": rules.period, "unit_id": unit["unit_id"], "level": lvl,
                        "amount": parts[lvl]} for lvl in cascade.levels]
    return pl.DataFrame(alloc_rows, schema=ALLOCATION_SCHEMA)


def flows_between(levels: dict[str, int], cascade: Cascade, below: tuple | None = None) -> list[tuple[str, str, int]]:
    """(from, to, grosze) of every move of the cascade, from what each level ended with: what
    moves into a level is what it and every level below it keep (each level keeps what it
    receives and does not pass on, RULES.md §5), so the flows of any level amounts — owed,
    received, corrected — follow the cascade exactly."""
    return [(source, target, sum(levels.get(lvl, 0) for lvl in below))
            for source, target, below in (below if below is not None else _moves_below(cascade))]


@lru_cache(maxsize=None)
def _moves_below(cascade: Cascade) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(from, to, the target level and every level below it) of each move."""
    below: dict[str, list[str]] = {}
    for m in cascade.moves:
        below.setdefault(m.source_level, []).append(m.target_level)

    def tree(level: str) -> tuple[str, ...]:
        return (level, *[x for t in below.get(level, []) for x in tree(t)])
    return tuple((m.source_level, m.target_level, tree(m.target_level)) for m in cascade.moves)


def earmark_due(earmark, rule, period: str) -> tuple:
    """(deadline, source) of a transfer: the payer's rule's, or — for an earmarked fund or a
    section's dues with a day of its own — that day of the month after the dues month, moved off a
    day free from work as the rule's deadlines are (RULES.md §6)."""
    if earmark is None:
        return rule.due_on(period), rule.source_for(period)
    own = replace(rule, due_day=earmark.due_day, source=earmark.source) if earmark.due_day else \
        replace(rule, source=f"{earmark.source}; termin: {rule.source}")
    return own.due_on(period), own.source_for(period)


def transfers_from(units: pl.DataFrame, levels: pl.DataFrame, rules: Rules,
                   owed: pl.DataFrame | None = None) -> pl.DataFrame:
    """The transfers due (004 §10) from level amounts per unit (``levels``: unit_id, level,
    amount; several rows of one level are summed). With ``owed`` (the allocations), each transfer
    also carries the owed-basis amount beside it."""
    def per_unit(frame: pl.DataFrame) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for u, lvl, a in frame.group_by("unit_id", "level").agg(pl.col("amount").sum()).iter_rows():
            out.setdefault(u, {})[lvl] = a
        return out
    got, owed_by = per_unit(levels), per_unit(owed if owed is not None else levels)
    transfers: dict[tuple[str, str, str], dict] = {}
    # worked out once per cascade and per payee, not per unit (issue 32: 6 000 units, 0.4 s); keyed
    # by identity (hashing a cascade's fractions costs more than the work), the objects kept alive
    moves_of: dict[int, tuple[Cascade, tuple]] = {}
    due_of: dict[tuple[str, int], tuple] = {}
    for unit in units.sort("unit_id").iter_rows(named=True):
        version = rules.version(unit["rulebook"])
        # a fund or section level the unit's stored month has (an approved month keeps the split it had)
        has = got.get(unit["unit_id"], {}).keys() | owed_by.get(unit["unit_id"], {}).keys()
        cascade = unit_cascade(unit, version, tuple(e for e in rules.earmarks if e.level in has))
        if id(cascade) not in moves_of:
            moves_of[id(cascade)] = (cascade, _moves_below(cascade))
        below = moves_of[id(cascade)][1]
        flows = flows_between(got.get(unit["unit_id"], {}), cascade, below)
        owed_flows = flows_between(owed_by.get(unit["unit_id"], {}), cascade, below)
        for rule in version.transfers:
            payer_id = unit[f"{rule.per}_id"]
            for (source, target, amount), (_, _, owed_amount) in zip(flows, owed_flows):
                if source != rule.payer:
                    continue
                key = (rule.payer, payer_id, target)
                if key not in transfers:
                    if (target, id(rule)) not in due_of:
                        due_of[target, id(rule)] = (rule, earmark_due(rules.earmark(target), rule, rules.period))
                    due_on, source = due_of[target, id(rule)][1]
                    transfers[key] = {"period": rules.period, "payer_kind": rule.payer, "payer_id": payer_id,
                                      "payee": target, "region_id": unit["region_id"], "amount": 0,
                                      "due_on": due_on, "rule": source, "owed_amount": 0}
                t = transfers[key]
                t["amount"] += amount
                t["owed_amount"] += owed_amount
    order = {r.payer: i for i, r in enumerate(rules.transfer_rules)}
    rows = sorted(transfers.values(), key=lambda t: (order.get(t["payer_kind"], 99), t["payer_id"]))
    return pl.DataFrame(rows, schema=TRANSFER_SCHEMA)
