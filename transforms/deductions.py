"""The employer's deduction list checked against computed dues (issue 3).

Grain: one row per member with dues deducted by an employer in the period. ``computed`` is the
member's Σ dues.total (what the member owes for the month), null when the member has no dues row
(blocked or not owing); ``difference = deducted − computed``. Deductions across several employers
of one member are summed (the base is summed across employers, 004 §1 ust. 1 pkt 1).
"""
from __future__ import annotations

import polars as pl

SCHEMA = {"period": pl.String, "member_id": pl.String, "unit_id": pl.String, "source": pl.String,
          "deducted": pl.Int64, "computed": pl.Int64, "difference": pl.Int64}


def deduction_check(deductions: list[dict], dues: pl.DataFrame, members: pl.DataFrame,
                    period: str) -> pl.DataFrame:
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
                    (pl.col("deducted") - pl.col("computed")).alias("difference"))
            .sort("unit_id", "member_id"))
