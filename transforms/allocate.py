"""Allocations per unit and level, and the transfers due with deadlines (RULES.md §5–§6).

Grain of allocations: one row per valid unit, period and level of the unit's rulebook (zeros
included); they sum to the unit's Σ dues.total. Grain of transfers: one row per payer, payee and
period (a unit's transfer per unit; a region's forwards summed over its units). Every split goes
through ``transforms.split.split_dues``; levels, moves, payers and deadlines are rulebook data.
"""
from __future__ import annotations

from fractions import Fraction

import polars as pl

from transforms.rulebook import Cascade, RulebookVersion, Rules
from transforms.split import moves, split_dues

ALLOCATION_SCHEMA = {"period": pl.String, "unit_id": pl.String, "level": pl.String, "amount": pl.Int64}
TRANSFER_SCHEMA = {"period": pl.String, "payer_kind": pl.String, "payer_id": pl.String,
                   "payee": pl.String, "region_id": pl.String, "amount": pl.Int64,
                   "due_on": pl.Date, "rule": pl.String}


def unit_cascade(unit: dict, version: RulebookVersion) -> Cascade:
    """The unit's cascade: sheltered or not, with the unit's own share where the rulebook lets
    the unit set it (a units.csv column named by the move)."""
    cascade = version.cascade(unit["sheltered"])
    for column in cascade.override_columns:
        if unit.get(column):
            cascade = cascade.with_unit_override(column, Fraction(unit[column]) / 100)
    return cascade


def unit_d(by_category: dict[str, tuple[int, int]], version: RulebookVersion) -> tuple[int, int]:
    """(D, kept): D = Σ §1 dues of the split categories (004 §3 ust. 1); kept = everything else
    (other categories' dues and all surcharges stay with the unit, 004 §3 ust. 3, §2 ust. 2)."""
    d = sum(v[0] for c, v in by_category.items() if c in version.split_categories)
    return d, sum(v[0] + v[1] for v in by_category.values()) - d


def allocate(units: pl.DataFrame, dues: pl.DataFrame, rules: Rules) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Returns (allocations, transfers)."""
    sums: dict[str, dict[str, tuple[int, int]]] = {}
    for r in (dues.group_by("unit_id", "category").agg(pl.col("dues").sum(), pl.col("surcharge").sum())
              .iter_rows(named=True)):
        sums.setdefault(r["unit_id"], {})[r["category"]] = (r["dues"], r["surcharge"])
    alloc_rows: list[dict] = []
    transfers: dict[tuple[str, str, str], dict] = {}
    for unit in units.sort("unit_id").iter_rows(named=True):
        version = rules.version(unit["rulebook"])
        cascade = unit_cascade(unit, version)
        d, kept = unit_d(sums.get(unit["unit_id"], {}), version)
        parts = split_dues(d, cascade)
        parts[cascade.root] += kept
        alloc_rows += [{"period": rules.period, "unit_id": unit["unit_id"], "level": lvl.code,
                        "amount": parts[lvl.code]} for lvl in version.levels]
        flows = moves(d, cascade)
        for rule in version.transfers:
            payer_id = unit[f"{rule.per}_id"]
            for source, target, amount in flows:
                if source != rule.payer:
                    continue
                t = transfers.setdefault((rule.payer, payer_id, target), {
                    "period": rules.period, "payer_kind": rule.payer, "payer_id": payer_id,
                    "payee": target, "region_id": unit["region_id"], "amount": 0,
                    "due_on": rule.due_on(rules.period), "rule": rule.source})
                t["amount"] += amount
    order = {r.payer: i for i, r in enumerate(rules.transfer_rules)}
    rows = sorted(transfers.values(), key=lambda t: (order.get(t["payer_kind"], 99), t["payer_id"]))
    return (pl.DataFrame(alloc_rows, schema=ALLOCATION_SCHEMA),
            pl.DataFrame(rows, schema=TRANSFER_SCHEMA))
