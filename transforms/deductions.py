"""The employer's deduction list checked against computed dues (issue 3).

Grain: one row per member with dues deducted by an employer in the period. ``computed`` is the
member's Σ dues.total (what the member owes for the month), null when the member has no dues row
(blocked or not owing); ``difference = deducted − computed``. Deductions across several employers
of one member are summed (the base is summed across employers, 004 §1 ust. 1 pkt 1).

``checked`` is false for a member whose dues are the deducted amounts of a deductions-only list
(RULES.md §13): with no pay components there is nothing to check the deduction against, so its
zero difference is no finding.
"""
from __future__ import annotations

import polars as pl

SCHEMA = {"period": pl.String, "member_id": pl.String, "unit_id": pl.String, "source": pl.String,
          "deducted": pl.Int64, "computed": pl.Int64, "difference": pl.Int64, "checked": pl.Boolean}


def deduction_check(deductions: list[dict], dues: pl.DataFrame, members: pl.DataFrame,
                    period: str, unchecked: list[str] = ()) -> pl.DataFrame:
    """``unchecked``: the members whose dues were taken from deductions-only lists."""
    if not deductions:
        return pl.DataFrame(schema=SCHEMA)
    d = (pl.DataFrame(deductions, schema={"period": pl.String, "member_id": pl.String, "source": pl.String,
                                          "deducted": pl.Int64, "_row": pl.Int64})
         .filter(pl.col("period") == period)
         .group_by("member_id")
         .agg(pl.col("deducted").sum(), pl.col("source").unique().sort().str.join(", ")))
    return (d.join(dues.select("member_id", pl.col("total").alias("computed")), on="member_id", how="left")
            .join(members.select("member_id", "unit_id"), on="member_id", how="left")
            .select(pl.lit(period).alias("period"), "member_id", "unit_id", "source", "deducted", "computed",
                    (pl.col("deducted") - pl.col("computed")).alias("difference"),
                    ~pl.col("member_id").is_in(pl.Series(list(unchecked), dtype=pl.String).implode()).alias("checked"))
            .sort("unit_id", "member_id"))
