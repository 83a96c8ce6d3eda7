#!/usr/bin/env python3
"""The baseline of issue 15: a bare polars script doing the close's arithmetic on a canonical
`skladki synth` inbox, with none of skladki's checks, records, accounts or reports — what a
careful analyst would write in an afternoon. `benchmarks/close_scale.py --baseline` runs it
beside the close and prints the ratio.

    .venv/bin/python benchmarks/baseline_polars.py INBOX DB [--fair]

With ``--fair`` (issue 32: the fair limit) it also writes every table the close stores, with the
same rows and the same column types, computed the bare way from the same frames — the dues with
their base, each dues row's derivation (the rule's paragraph and JSON), every income line with its
use, the members' accounts (assumed received), the receipts, the memberships, the adjustments in
force, the allocations and settlement, every step of each unit's cascade, the transfers (each
unit's to its region, each region's onwards), the units, their month states, the run's record and
the archive of the inputs (sha256, zlib level 1) — all in one transaction into a fresh DuckDB. No
checks beyond the PESEL's, no accounting of rows, no schemas validated, no exceptions.

It reads every CSV as text; checks PESEL checksums and birth dates (vectorised); converts amounts
to grosze; computes the dues of the four categories of `solidarnosc` (0.82 % of the employee base,
the bands of other income with the business-income floor and of pensions, the unit's flat amount
for the unemployed), the raised surcharge, reductions and suspensions, and the §5 cascade per unit
(normal and sheltered shares, half-up, remainders kept); writes dues and allocations to DuckDB.
Categories, rates, bands, the surcharge's categories and the cascade are read from the
rulebook (`data/rulebooks/solidarnosc.toml`, its latest version), so the arithmetic is the close's.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import tomllib
import uuid
import zlib
from datetime import date, datetime
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


def main(inbox: Path, db: Path, fair: bool = False) -> None:
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
    base_of = pl.lit(0, pl.Int64)
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
        base_of = pl.when(pl.col("category") == code).then(b).otherwise(base_of)
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
    dues_out = m.select("member_id", "unit_id", "category", "dues", "surcharge", "total")
    if not fair:
        con = duckdb.connect(str(db))
        con.execute("CREATE OR REPLACE TABLE dues AS SELECT * FROM dues_out")
        con.execute("CREATE OR REPLACE TABLE allocations AS SELECT * FROM allocations")
        con.close()
        print(f"baseline: {dues_out.height} dues rows, {allocations.height} allocation rows, "
              f"{time.perf_counter() - t0:.1f} s")
        return
    if os.environ.get("BASELINE_TIMES"):
        print(f"  computed: {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    n = store_all(inbox, db, book, units, members, income, adjustments, m, base_of, d, allocations, levels)
    print(f"baseline (fair): {n} rows in {len(TYPES)} tables, {time.perf_counter() - t0:.1f} s")


MONEY = "DECIMAL(18,2)"
# the close's tables and their column types (as schemas/tables.py makes them); M: money, DECIMAL(18,2),
# from grosze; P: a percentage, DECIMAL(5,2), from basis points
TYPES = {
    "dues": "period VARCHAR, member_id VARCHAR, unit_id VARCHAR, category VARCHAR, base M, dues M, surcharge M, total M",
    "dues_derivation": "period VARCHAR, member_id VARCHAR, unit_id VARCHAR, rulebook_version VARCHAR, category VARCHAR, "
                       "rule_source VARCHAR, rule_json VARCHAR, floor_used BOOLEAN, raised_pct P, "
                       "adjustment VARCHAR, adjustment_amount M, decision_ref VARCHAR",
    "income_lines": "period VARCHAR, member_id VARCHAR, unit_id VARCHAR, source VARCHAR, row BIGINT, "
                    "line_period VARCHAR, component VARCHAR, amount M, use VARCHAR",
    "member_ledger": "period VARCHAR, member_id VARCHAR, unit_id VARCHAR, owed M, received M, applied_dues M, "
                     "applied_surcharge M, credit M, arrears M, balance M, months_unpaid BIGINT, oldest_unpaid VARCHAR, "
                     "basis VARCHAR",
    "memberships": "period VARCHAR, member_id VARCHAR, unit_id VARCHAR, category VARCHAR, joined_on DATE, left_on DATE",
    "receipts": "period VARCHAR, member_id VARCHAR, unit_id VARCHAR, kind VARCHAR, source VARCHAR, row BIGINT, "
                "paid_on DATE, for_period VARCHAR, amount M, reference VARCHAR",
    "adjustments_in_force": "period VARCHAR, unit_id VARCHAR, member_id VARCHAR, kind VARCHAR, amount M, "
                            "valid_from VARCHAR, valid_to VARCHAR, months_covered BIGINT, months_left BIGINT, "
                            "decision_ref VARCHAR",
    "allocations": "period VARCHAR, unit_id VARCHAR, level VARCHAR, amount M",
    "settlement": "period VARCHAR, unit_id VARCHAR, level VARCHAR, amount M, basis VARCHAR, corrects VARCHAR",
    "split_steps": "period VARCHAR, unit_id VARCHAR, basis VARCHAR, step BIGINT, source_level VARCHAR, "
                   "target_level VARCHAR, share VARCHAR, d M, amount M, rule_source VARCHAR",
    "transfers": "period VARCHAR, payer_kind VARCHAR, payer_id VARCHAR, payee VARCHAR, region_id VARCHAR, amount M, "
                 "due_on DATE, rule VARCHAR, owed_amount M",
    "units": "period VARCHAR, unit_id VARCHAR, name VARCHAR, region_id VARCHAR, voivodeship VARCHAR, sheltered BOOLEAN, "
             "rulebook VARCHAR, raised_pct P, bank_account VARCHAR",
    "unit_months": "period VARCHAR, unit_id VARCHAR, state VARCHAR, run_id VARCHAR, last_run_id VARCHAR, "
                   "incomplete BOOLEAN, missing VARCHAR",
    "runs": "run_id VARCHAR, period VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, rulebook_version VARCHAR, "
            "rows_read BIGINT, input_sha256 VARCHAR, units VARCHAR",
    "archive_blobs": "sha256 VARCHAR, size BIGINT, data BLOB",
    "archive_files": "run_id VARCHAR, role VARCHAR, path VARCHAR, sha256 VARCHAR",
}


def insert(con, table: str, frame: pl.DataFrame) -> int:
    """CREATE the table with the close's types and INSERT the frame (Arrow), money cast from grosze."""
    cols = [c.strip().split(" ", 1) for c in TYPES[table].split(",")]
    sql = {"M": MONEY, "P": "DECIMAL(5,2)"}
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {sql.get(t, t)}' for c, t in cols)})")
    arrow = frame.select([c for c, _ in cols]).to_arrow(compat_level=pl.CompatLevel.newest())
    con.register("frame", arrow)
    sel = ", ".join(f"CAST(CAST({c} AS DECIMAL(18,0)) * 0.01 AS {MONEY})" if t == "M" else
                    f"CAST(CAST({c} AS DECIMAL(18,0)) * 0.01 AS DECIMAL(5,2))" if t == "P" else
                    f"CAST({c} AS {t})" for c, t in cols)
    con.execute(f"INSERT INTO {table} SELECT {sel} FROM frame")
    con.unregister("frame")
    return frame.height


def store_all(inbox, db, book, units, members, income, adjustments, m, base_of, wide, allocations, levels) -> int:
    """Every table the close stores, computed the bare way, in one transaction (``--fair``)."""
    period = sorted(income["period"].unique().drop_nulls().to_list())[-1]
    started = datetime.now()
    run_id = str(uuid.uuid4())
    files = sorted(p for p in inbox.rglob("*") if p.is_file())
    packed = {}
    for p in files:                      # the archive: each file hashed and compressed (level 1)
        data = p.read_bytes()
        packed[str(p.relative_to(inbox))] = (hashlib.sha256(data).hexdigest(), len(data), zlib.compress(data, 1))
    cats = book["categories"]
    rule = pl.DataFrame([{"category": c, "rule_source": d.get("source", ""), "rule_json": json.dumps(d, sort_keys=True),
                          "floor": d.get("floor_component") or ""} for c, d in cats.items()])
    in_base = pl.DataFrame([{"category": c, "component": x, "in_base": True}
                            for c, d in cats.items() for x in d.get("base_components", ["wage"])])
    p = pl.lit(period)
    m = m.with_columns(base=base_of)
    zero = pl.lit(0, pl.Int64)

    def dues():
        return m.select(period=p, member_id="member_id", unit_id="unit_id", category="category", base="base",
                        dues="dues", surcharge="surcharge", total="total")

    def derivation():
        return m.join(rule, on="category", how="left").select(
            period=p, member_id="member_id", unit_id="unit_id",
            rulebook_version=pl.lit(f"solidarnosc@{book['valid_from']}"), category="category",
            rule_source="rule_source", rule_json="rule_json", floor_used=(pl.col("floor") != "") & (pl.col("base") > 0),
            raised_pct="raised", adjustment="kind", adjustment_amount="adj_amount", decision_ref=pl.lit(None, pl.String))

    def income_lines():      # each line with its use: in the category's base, its floor, or left out
        lines = (income.lazy().with_row_index("row", 1)
                 .join(m.lazy().select("member_id", "unit_id", "category"), on="member_id")
                 .join(rule.lazy().select("category", "floor"), on="category", how="left")
                 .join(in_base.lazy(), on=["category", "component"], how="left"))
        use = (pl.when(pl.col("component") == pl.col("floor")).then(pl.lit("floor"))
               .when(pl.col("in_base").fill_null(False)).then(pl.lit("base")).otherwise(pl.lit("excluded")))
        return lines.select(period=p, member_id="member_id", unit_id="unit_id", source=pl.lit("income/payroll.csv"),
                            row=pl.col("row").cast(pl.Int64), line_period="period", component="component",
                            amount="amount", use=use).collect()

    def ledger():
        return m.select(period=p, member_id="member_id", unit_id="unit_id", owed="total", received="total",
                        applied_dues="dues", applied_surcharge="surcharge", credit=zero, arrears=zero, balance=zero,
                        months_unpaid=zero, oldest_unpaid=pl.lit(None, pl.String), basis=pl.lit("assumed"))

    def receipts():
        return m.filter(pl.col("total") > 0).select(
            period=p, member_id="member_id", unit_id="unit_id", kind=pl.lit("assumed"), source=pl.lit(None, pl.String),
            row=pl.lit(None, pl.Int64), paid_on=pl.lit(None, pl.Date), for_period=p, amount="total",
            reference=pl.lit(None, pl.String))

    def memberships():
        return members.select(period=p, member_id="member_id", unit_id="unit_id", category="category",
                              joined_on=pl.col("joined_on").str.to_date(strict=False),
                              left_on=pl.col("left_on").str.to_date(strict=False))

    in_force = (adjustments.join(members.select("member_id", "unit_id"), on="member_id")
                .select(period=p, unit_id="unit_id", member_id="member_id", kind="kind",
                        amount=grosze("amount"), valid_from=p, valid_to=p, months_covered=pl.lit(1, pl.Int64),
                        months_left=zero, decision_ref=pl.lit(None, pl.String)))
    alloc = allocations.select(period=p, unit_id="unit_id", level="level", amount="amount")
    settlement = alloc.with_columns(basis=pl.lit("assumed"), corrects=pl.lit(None, pl.String))
    steps = []
    unit_region = units.select("unit_id", "region_id")
    for kind, frame in (("normal", wide.filter(pl.col("sheltered") != "true")),
                        ("sheltered", wide.filter(pl.col("sheltered") == "true"))):
        for i, move in enumerate(book["split"][kind]["moves"], 1):
            frac = move["share"].split(".")[1] if "." in move["share"] else ""
            amount = half_up(pl.col("D") * int(frac or "0"), 10 ** len(frac)) if frac else zero
            for basis in ("owed", "received"):      # received in full (assumed): the same moves
                steps.append(frame.select(period=p, unit_id="unit_id", basis=pl.lit(basis), step=pl.lit(i, pl.Int64),
                                          source_level=pl.lit(move["from"]), target_level=pl.lit(move["to"]),
                                          share=pl.lit(move["share"]), d="D", amount=amount,
                                          rule_source=pl.lit(book["split"][kind].get("source", ""))))
    split_steps = pl.concat(steps)
    moved = split_steps.filter(pl.col("basis") == "owed").join(unit_region, on="unit_id")
    region_level = next(m["to"] for m in book["split"]["normal"]["moves"] if m["from"] == book["root"])
    unit_tr = (moved.filter(pl.col("source_level") == book["root"]).group_by("unit_id", "region_id")
               .agg(pl.col("amount").sum()).select(period=p, payer_kind=pl.lit(book["root"]), payer_id="unit_id",
                                                   payee=pl.lit(region_level), region_id="region_id", amount="amount"))
    region_tr = (moved.filter(pl.col("source_level") != book["root"]).group_by("region_id", "target_level")
                 .agg(pl.col("amount").sum()).select(period=p, payer_kind=pl.lit(region_level), payer_id="region_id",
                                                     payee="target_level", region_id="region_id", amount="amount"))
    due = date(int(period[:4]) + int(period[5:]) // 12, int(period[5:]) % 12 + 1, 20)
    transfers = pl.concat([unit_tr, region_tr]).with_columns(due_on=pl.lit(due), rule=pl.lit("§10"),
                                                             owed_amount="amount")
    unit_rows = units.select(period=p, unit_id="unit_id", name="name", region_id="region_id",
                             voivodeship="voivodeship", sheltered=pl.col("sheltered") == "true",
                             rulebook="rulebook", raised_pct=pl.col("raised_pct").cast(pl.Int64) * 100,
                             bank_account=pl.lit(None, pl.String))
    months = units.select(period=p, unit_id="unit_id", state=pl.lit("draft"), run_id=pl.lit(run_id),
                          last_run_id=pl.lit(run_id), incomplete=pl.lit(False), missing=pl.lit(None, pl.String))
    blobs = pl.DataFrame([{"sha256": s, "size": n, "data": z} for s, n, z in packed.values()])
    archived = pl.DataFrame([{"run_id": run_id, "role": "inbox", "path": f, "sha256": v[0]} for f, v in packed.items()])
    run = pl.DataFrame([{"run_id": run_id, "period": period, "started_at": started, "finished_at": datetime.now(),
                         "rulebook_version": f"solidarnosc@{book['valid_from']}", "rows_read": income.height,
                         "input_sha256": "", "units": ",".join(units["unit_id"].to_list())}])
    con = duckdb.connect(str(db))
    con.execute(f"SET memory_limit = '256MB'")
    con.begin()
    n = 0
    for table, frame in (("dues", dues), ("dues_derivation", derivation), ("income_lines", income_lines),
                         ("member_ledger", ledger), ("memberships", memberships), ("receipts", receipts),
                         ("adjustments_in_force", in_force), ("allocations", alloc), ("settlement", settlement),
                         ("split_steps", split_steps), ("transfers", transfers), ("units", unit_rows),
                         ("unit_months", months), ("runs", run), ("archive_blobs", blobs), ("archive_files", archived)):
        t = time.perf_counter()
        n += insert(con, table, frame() if callable(frame) else frame)     # the large ones made as written
        if os.environ.get("BASELINE_TIMES"):
            print(f"  {table}: {time.perf_counter() - t:.2f} s", file=sys.stderr)
    con.commit()
    con.close()
    return n


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), fair="--fair" in sys.argv[3:])
