#!/usr/bin/env python3
"""The baseline of issue 15: a bare polars script doing the close's arithmetic on a canonical
`skladki synth` inbox, with none of skladki's checks, records, accounts or reports — what a
careful analyst would write in an afternoon. `benchmarks/close_scale.py --baseline` runs it
beside the close and prints the ratio.

    .venv/bin/python benchmarks/baseline_polars.py INBOX DB

It reads every CSV as text; checks PESEL checksums and birth dates (vectorised); converts amounts
to grosze; computes the dues of the four categories of `solidarnosc` (0.82 % of the employee base,
the bands of other income with the business-income floor and of pensions, the unit's flat amount
for the unemployed), the raised surcharge, reductions and suspensions, and the §5 cascade per unit
(normal and sheltered shares, half-up, remainders kept); writes dues and allocations to DuckDB.
The rates are written here as numbers on purpose: this is the yardstick, not the product.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb
import polars as pl


def grosze(col: str) -> pl.Expr:
    s = pl.col(col).str.strip_chars()
    whole = s.str.split_exact(".", 1).struct.field("field_0").cast(pl.Int64, strict=False)
    frac = (s.str.split_exact(".", 1).struct.field("field_1").fill_null("") + "00").str.slice(0, 2)
    return whole * 100 + frac.cast(pl.Int64, strict=False)


def half_up(num: pl.Expr, den: int) -> pl.Expr:
    return (num * 2 + den) // (2 * den)


def pesel_ok(col: str) -> pl.Expr:
    digits = [pl.col(col).str.slice(i, 1).cast(pl.Int64, strict=False) for i in range(11)]
    weights = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]
    total = sum(d * w for d, w in zip(digits[:10], weights))
    month = digits[2] * 10 + digits[3]
    century = (month // 20).replace_strict({0: 1900, 1: 2000, 2: 2100, 3: 2200, 4: 1800}, default=None)
    year = century + digits[0] * 10 + digits[1]
    born = pl.date(year, month % 20, digits[4] * 10 + digits[5])
    return (pl.col(col).str.len_chars() == 11) & ((10 - total % 10) % 10 == digits[10]) & born.is_not_null()


def main(inbox: Path, db: Path) -> None:
    t0 = time.perf_counter()
    units = pl.read_csv(inbox / "units.csv", infer_schema=False)
    members = pl.read_csv(inbox / "members.csv", infer_schema=False)
    income = pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted((inbox / "income").glob("*.csv"))])
    adjustments = pl.read_csv(inbox / "adjustments.csv", infer_schema=False)
    members = members.filter(pesel_ok("pesel"))
    income = income.with_columns(amount=grosze("amount"))
    base = income.pivot(on="component", index="member_id", values="amount", aggregate_function="sum").fill_null(0)
    for c in ("wage", "allowance", "overtime", "bonus", "sick_pay", "benefit", "other_income", "business_income",
              "declared_insurance_base", "pension"):
        if c not in base.columns:
            base = base.with_columns(pl.lit(0, pl.Int64).alias(c))
    u = units.select("unit_id", "sheltered", raised=pl.col("raised_pct").cast(pl.Int64),
                     unemployed_flat=grosze("unemployed_flat"))
    m = members.join(base, on="member_id", how="left").fill_null(0).join(u, on="unit_id")
    employee = pl.sum_horizontal("wage", "allowance", "overtime", "bonus", "sick_pay", "benefit")
    other = pl.sum_horizontal("other_income", "business_income")
    other = pl.when((pl.col("other_income") == 0) & (pl.col("business_income") > 0)) \
        .then(pl.max_horizontal(other, pl.col("declared_insurance_base"))).otherwise(other)
    band = (lambda b, threshold, base_amount, step_amount:
            base_amount + pl.max_horizontal(b - threshold, pl.lit(0)) // 10000 * step_amount)
    dues = (pl.when(pl.col("category") == "employee").then(half_up(employee * 82, 10000))
            .when(pl.col("category") == "other_income").then(band(other, 100000, 800, 100))
            .when(pl.col("category") == "pensioner").then(band(pl.col("pension"), 50000, 200, 50))
            .otherwise(pl.col("unemployed_flat")))
    m = m.with_columns(dues=dues)
    adj = adjustments.with_columns(amount=grosze("amount")).select("member_id", "kind", adj_amount="amount")
    m = m.join(adj, on="member_id", how="left").with_columns(
        dues=pl.when(pl.col("kind") == "suspended").then(0)
        .when(pl.col("kind") == "reduced").then(pl.min_horizontal("dues", "adj_amount")).otherwise(pl.col("dues")))
    m = m.with_columns(surcharge=pl.when(pl.col("category") != "unemployed")
                       .then(half_up(pl.col("dues") * (pl.col("raised") - 100), 100)).otherwise(0))
    m = m.with_columns(total=pl.col("dues") + pl.col("surcharge"))
    split = pl.col("category").is_in(["employee", "other_income"])
    d = m.group_by("unit_id", "sheltered").agg(D=pl.col("dues").filter(split).sum(),
                                               kept=pl.col("total").sum() - pl.col("dues").filter(split).sum())
    sheltered = pl.col("sheltered") == "true"
    d = d.with_columns(
        to_region=pl.when(sheltered).then(half_up(pl.col("D") * 15, 100)).otherwise(half_up(pl.col("D") * 40, 100)),
        to_national=pl.when(sheltered).then(half_up(pl.col("D") * 2, 100)).otherwise(half_up(pl.col("D") * 10, 100)),
        branch=pl.when(sheltered).then(0).otherwise(half_up(pl.col("D") * 2, 100)),
        rsf=half_up(pl.col("D") * 25, 1000), nsf=half_up(pl.col("D") * 25, 1000))
    allocations = d.select(
        "unit_id", unit=pl.col("D") - pl.col("to_region") + pl.col("kept"),   # + surcharges, unsplit dues
        region=pl.col("to_region") - pl.col("to_national") - pl.col("rsf") - pl.col("nsf"),
        national=pl.col("to_national") - pl.col("branch"), branch_secretariats="branch",
        regional_strike_fund="rsf", national_strike_fund="nsf"
    ).unpivot(index="unit_id", variable_name="level", value_name="amount")
    assert (allocations.group_by("unit_id").agg(pl.col("amount").sum()).join(d, on="unit_id")
            .filter(pl.col("amount") != pl.col("D") + pl.col("kept")).height == 0)
    con = duckdb.connect(str(db))
    dues_out = m.select("member_id", "unit_id", "category", "dues", "surcharge", "total")
    con.execute("CREATE OR REPLACE TABLE dues AS SELECT * FROM dues_out")
    con.execute("CREATE OR REPLACE TABLE allocations AS SELECT * FROM allocations")
    con.close()
    print(f"baseline: {dues_out.height} dues rows, {allocations.height} allocation rows, "
          f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
