"""Allocations per unit and level, and the transfers due with deadlines (RULES.md §5–§6).

Grain of allocations: six rows per valid unit per period (zeros included); they sum to the
unit's Σ dues.total. Every split goes through ``transforms.split.split_dues``.
"""
from __future__ import annotations

from fractions import Fraction

import polars as pl

from transforms.rulebook import LEVELS, Rulebook, SplitRule
from transforms.split import region_forward_due, split_dues, unit_transfer_due

ALLOCATION_SCHEMA = {"period": pl.String, "unit_id": pl.String, "level": pl.String, "amount": pl.Int64}
TRANSFER_SCHEMA = {"period": pl.String, "payer_kind": pl.String, "payer_id": pl.String,
                   "payee": pl.String, "region_id": pl.String, "amount": pl.Int64,
                   "due_on": pl.Date, "rule": pl.String}


def unit_split_rule(unit: dict, books: dict[str, Rulebook], period: str) -> SplitRule:
    version = books[unit["rulebook"]].version_for(period)
    rule = version.split["sheltered" if unit["sheltered"] else "normal"]
    if unit.get("national_contribution_pct"):
        rule = rule.with_upper(Fraction(unit["national_contribution_pct"]) / 100)
    return rule


def allocate(units: pl.DataFrame, dues: pl.DataFrame, books: dict[str, Rulebook],
             period: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Returns (allocations, transfers)."""
    sums = {}
    for r in dues.group_by("unit_id", "category").agg(pl.col("dues").sum(), pl.col("surcharge").sum()).iter_rows(named=True):
        s = sums.setdefault(r["unit_id"], {})
        s[r["category"]] = (r["dues"], r["surcharge"])
    alloc_rows, unit_transfers, forwards = [], [], {}
    for unit in units.sort("unit_id").iter_rows(named=True):
        version = books[unit["rulebook"]].version_for(period)
        rule = unit_split_rule(unit, books, period)
        by_cat = sums.get(unit["unit_id"], {})
        d = sum(v[0] for c, v in by_cat.items() if c in version.split_categories)
        kept = sum(v[0] + v[1] for v in by_cat.values()) - d   # 004 §3 ust. 3, §2 ust. 2: stays with the unit
        parts = split_dues(d, rule)
        parts["unit"] += kept
        alloc_rows += [{"period": period, "unit_id": unit["unit_id"], "level": lvl, "amount": parts[lvl]}
                       for lvl in LEVELS]
        upward = d - (parts["unit"] - kept)
        unit_transfers.append({
            "period": period, "payer_kind": "unit", "payer_id": unit["unit_id"],
            "payee": rule.transfer_to, "region_id": unit["region_id"], "amount": upward,
            "due_on": unit_transfer_due(period, version.deadlines), "rule": version.deadlines.source})
        if rule.transfer_to == "region":
            f = forwards.setdefault(unit["region_id"], {"national": 0, "regional_strike_fund": 0,
                                                        "national_strike_fund": 0,
                                                        "due_on": region_forward_due(period, version.deadlines),
                                                        "rule": version.deadlines.source})
            f["national"] += parts["national"] + parts["branch_secretariats"]
            f["regional_strike_fund"] += parts["regional_strike_fund"]
            f["national_strike_fund"] += parts["national_strike_fund"]
    region_transfers = [
        {"period": period, "payer_kind": "region", "payer_id": region, "payee": payee,
         "region_id": region, "amount": f[payee], "due_on": f["due_on"], "rule": f["rule"]}
        for region, f in sorted(forwards.items())
        for payee in ("national", "regional_strike_fund", "national_strike_fund")]
    return (pl.DataFrame(alloc_rows, schema=ALLOCATION_SCHEMA),
            pl.DataFrame(unit_transfers + region_transfers, schema=TRANSFER_SCHEMA))
