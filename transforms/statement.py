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
    """One row per member with an account in the year: unit_id, member_id, m01..m12 (received in
    that month's close), total, assumed (months whose receipts were assumed, not known),
    deductible (the total up to the limit, never below zero)."""
    rows = ledger.filter(pl.col("period").str.starts_with(f"{year}-"))
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    wide = (rows.group_by("unit_id", "member_id")
            .agg([pl.col("received").filter(pl.col("period") == p).sum().alias(f"m{p[5:]}") for p in months]
                 + [pl.col("period").filter(pl.col("basis") == "assumed").sort().str.slice(5, 2).str.join(", ")
                    .alias("assumed")]))
    cap = limit.amount if limit else None
    total = pl.sum_horizontal([f"m{p[5:]}" for p in months])
    return (wide.with_columns(total=total)
            .with_columns(deductible=pl.min_horizontal(pl.max_horizontal("total", pl.lit(0)),
                                                       pl.lit(cap if cap is not None else 0)))
            .with_columns(pl.when(pl.col("assumed") == "").then(None).otherwise(pl.col("assumed")).alias("assumed"))
            .sort("unit_id", "member_id"))
