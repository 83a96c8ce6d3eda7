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
Categories, rates, bands, the surcharge's categories and the cascade are read from the
rulebook (`data/rulebooks/solidarnosc.toml`, its latest version), so the arithmetic is the close's.
"""
from __future__ import annotations

import sys
import time
import tomllib
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


def cents(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def main(inbox: Path, db: Path) -> None:
    t0 = time.perf_counter()
    book = tomllib.loads((Path(__file__).resolve().parents[1] / "data" / "rulebooks" / "solidarnosc.toml")
                         .read_text(encoding="utf-8"))["versions"][-1]
    units = pl.read_csv(inbox / "units.csv", infer_schema=False)
    members = pl.read_csv(inbox / "members.csv", infer_schema=False)
    income = pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted((inbox / "income").glob("*.csv"))])
    adjustments = pl.read_csv(inbox / "adjustments.csv", infer_schema=False)
    members = members.filter(pesel_ok("pesel"))
    income = income.with_columns(amount=grosze("amount"))
    base = income.pivot(on="component", index="member_id", values="amount", aggregate_function="sum").fill_null(0)
    base = base.with_columns([pl.lit(0, pl.Int64).alias(c) for c in book["components"] if c not in base.columns])
    u = units.select("unit_id", "sheltered", raised=pl.col("raised_pct").cast(pl.Int64),
                     **{c["unit_column"]: grosze(c["unit_column"]) for c in book["categories"].values()
                        if c["method"] == "unit_flat"})
    m = members.join(base, on="member_id", how="left").fill_null(0).join(u, on="unit_id")
    dues = pl.lit(None, pl.Int64)
    for code, c in book["categories"].items():      # the rulebook's own categories, rates and bands
        b = pl.sum_horizontal(*c.get("base_components", ["wage"]))
        if c.get("floor_component"):                 # only business income: at least the declared base
            only = (pl.col(c["floor_only_with"]) > 0) & (b == pl.col(c["floor_only_with"]))
            b = pl.when(only).then(pl.max_horizontal(b, pl.col(c["floor_component"]))).otherwise(b)
        if c["method"] == "percent":
            rate = c["rate"].split(".")[1]
            amount = half_up(b * int(rate), 10 ** len(rate))
        elif c["method"] == "band":
            amount = cents(c["base_amount"]) + pl.max_horizontal(b - cents(c["threshold"]), pl.lit(0)) \
                // cents(c["step"]) * cents(c["step_amount"])
        else:
            amount = pl.col(c["unit_column"])
        dues = pl.when(pl.col("category") == code).then(amount).otherwise(dues)
    m = m.with_columns(dues=dues)
    adj = adjustments.with_columns(amount=grosze("amount")).select("member_id", "kind", adj_amount="amount")
    m = m.join(adj, on="member_id", how="left").with_columns(
        dues=pl.when(pl.col("kind") == "suspended").then(0)
        .when(pl.col("kind") == "reduced").then(pl.min_horizontal("dues", "adj_amount")).otherwise(pl.col("dues")))
    m = m.with_columns(surcharge=pl.when(pl.col("category").is_in(book["raise_categories"]))
                       .then(half_up(pl.col("dues") * (pl.col("raised") - 100), 100)).otherwise(0))
    m = m.with_columns(total=pl.col("dues") + pl.col("surcharge"))
    split = pl.col("category").is_in(book["split_categories"])
    d = m.group_by("unit_id", "sheltered").agg(D=pl.col("dues").filter(split).sum(),
                                               kept=pl.col("total").sum() - pl.col("dues").filter(split).sum())
    # the §5 cascade: each move its share of D, half-up; whoever holds the money keeps the rest
    levels = [lvl["code"] for lvl in book["levels"]]
    parts = []
    for kind, frame in (("normal", d.filter(pl.col("sheltered") != "true")), ("sheltered", d.filter(pl.col("sheltered") == "true"))):
        held = {lvl: pl.lit(0, pl.Int64) for lvl in levels}
        held[book["root"]] = pl.col("D")
        for move in book["split"][kind]["moves"]:
            frac = move["share"].split(".")[1] if "." in move["share"] else ""
            amount = half_up(pl.col("D") * int(frac or "0"), 10 ** len(frac)) if frac else pl.lit(0, pl.Int64)
            held[move["from"]] = held[move["from"]] - amount
            held[move["to"]] = held[move["to"]] + amount
        held[book["root"]] = held[book["root"]] + pl.col("kept")     # + surcharges and unsplit dues
        parts.append(frame.select("unit_id", "D", "kept", *[h.alias(lvl) for lvl, h in held.items()]))
    wide = pl.concat(parts)
    allocations = wide.select("unit_id", *levels).unpivot(index="unit_id", variable_name="level", value_name="amount")
    assert (allocations.group_by("unit_id").agg(pl.col("amount").sum()).join(wide, on="unit_id")
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
