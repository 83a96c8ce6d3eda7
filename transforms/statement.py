"""The yearly statement of union dues a member paid (RULES.md §12): what the unit received from
the member in each close of the year, month by month, and the PIT deduction limit in force for
that year (ustawa o PIT art. 26 ust. 1 pkt 2c; dated data in data/reference/pit_union_dues.toml).
Cash basis: a payment counts in the year it was received, whatever month it pays for. Pure; grosze.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from transforms.money import grosze


@dataclass(frozen=True)
class Limit:
    from_year: int
    amount: int
    source: str


def load_limits(path: Path) -> list[Limit]:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    return sorted((Limit(int(x["from_year"]), grosze(x["amount"]), x["source"]) for x in doc["limits"]),
                  key=lambda x: x.from_year)


def limit_for(year: int, limits: list[Limit]) -> Limit | None:
    """The last limit whose ``from_year`` is not later than ``year`` (None before the first)."""
    found = [x for x in limits if x.from_year <= year]
    return found[-1] if found else None


def yearly(ledger: pl.DataFrame, year: int, limit: Limit | None) -> pl.DataFrame:
    """One row per member and unit with an account in the year: unit_id, member_id, m01..m12
    (received in that month's close), total, assumed (months whose receipts were assumed, not
    known), member_total (received by all the member's units in the year, never below zero),
    units (how many units certify for the member), deductible (this unit's part of the limit).

    The limit (art. 26 ust. 1 pkt 2c) is the taxpayer's, not the unit's: it is applied once to
    what the member paid all units in the year. Where the member's units together received more
    than the limit, the limit is used up in the order the dues were received: the unit the member
    paid first (the earliest month with receipts; unit number on a tie) certifies its receipts up
    to the limit, the next what is left of it, and so on (docs/accounts.md). The certificates'
    "do odliczenia" therefore add up to min(member_total, limit), never more."""
    rows = ledger.filter(pl.col("period").str.starts_with(f"{year}-"))
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    wide = (rows.group_by("unit_id", "member_id")
            .agg([pl.col("received").filter(pl.col("period") == p).sum().alias(f"m{p[5:]}") for p in months]
                 + [pl.col("period").filter(pl.col("basis") == "assumed").sort().str.slice(5, 2).str.join(", ")
                    .alias("assumed"),
                    pl.col("period").filter(pl.col("received") > 0).min().alias("_first"),
                    pl.col("period").min().alias("_any")]))
    cap = limit.amount if limit else 0            # no limit in the data for the year: nothing deductible
    total = pl.sum_horizontal([f"m{p[5:]}" for p in months])
    positive = pl.max_horizontal("total", pl.lit(0))
    ordered = (wide.with_columns(total=total)
               .with_columns(_pos=positive, _order=pl.coalesce("_first", "_any"))
               .sort("member_id", "_order", "unit_id"))
    # used before this unit: what the member's earlier units certified (cumulative, capped once)
    used = pl.min_horizontal(pl.col("_pos").cum_sum().over("member_id") - pl.col("_pos"), pl.lit(cap))
    return (ordered
            .with_columns(member_total=pl.col("_pos").sum().over("member_id"),
                          units=pl.len().over("member_id").cast(pl.Int64),
                          deductible=pl.min_horizontal("_pos", pl.lit(cap) - used))
            .with_columns(pl.when(pl.col("assumed") == "").then(None).otherwise(pl.col("assumed")).alias("assumed"))
            .drop("_first", "_any", "_pos", "_order")
            .sort("unit_id", "member_id"))
