"""Dues per member for one period (RULES.md §2–§4). Grain of the result: one row per member
owing dues in the period whose dues could be computed. All money is Int64 grosze.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from transforms.errors import Issue, issue, text
from transforms.methods import METHODS, UNIT_FLAT_COLUMNS
from transforms.money import format_pl, ratio_expr
from transforms.rulebook import CategoryRule, Rules

DUES_SCHEMA = {"period": pl.String, "member_id": pl.String, "unit_id": pl.String,
               "category": pl.String, "base": pl.Int64, "dues": pl.Int64,
               "surcharge": pl.Int64, "total": pl.Int64}


# the rule's texts repeat on every member's row: held as categoricals (one copy of each text; at
# 600 000 members 165 MiB less held through the close), stored as text
DERIVATION_SCHEMA = {"period": pl.String, "member_id": pl.String, "unit_id": pl.String,
                     "rulebook_version": pl.Categorical, "category": pl.String, "rule_source": pl.Categorical,
                     "rule_json": pl.Categorical,
                     "floor_used": pl.Boolean, "raised_bp": pl.Int64, "adjustment": pl.String,
                     "adjustment_amount": pl.Int64, "decision_ref": pl.String}


# RULES.md §13: per member, what deductions-only lists say the employers deducted in the month
STATED_SCHEMA = {"member_id": pl.String, "stated": pl.Int64, "sources": pl.String, "employers": pl.String}


def stated_dues(deductions: list[dict], period: str) -> pl.DataFrame:
    """The deductions of the period from deductions-only lists (``stated``), summed per member
    across such lists; ``sources`` and ``employers`` name them (sorted, ", "-joined)."""
    rows = [d for d in deductions if d.get("stated") and d["period"] == period]
    if not rows:
        return pl.DataFrame(schema=STATED_SCHEMA)
    return (pl.DataFrame(rows, schema={"member_id": pl.String, "deducted": pl.Int64, "source": pl.String,
                                       "employer": pl.String})
            .group_by("member_id")
            .agg(pl.col("deducted").sum().alias("stated"),
                 pl.col("source").unique().sort().str.join(", ").alias("sources"),
                 pl.col("employer").unique().sort().str.join(", ").alias("employers"))
            .cast(STATED_SCHEMA))


def stated_rule_json(rule: CategoryRule, sources: str, employers: str) -> str:
    """The recorded rule of dues taken from deductions-only lists (RULES.md §13): no rate, no base."""
    return json.dumps({"method": "stated", "label": rule.label, "category_source": rule.source,
                       "sources": sources.split(", "), "employers": employers.split(", "),
                       "base_components": [], "floor_component": None,
                       "note": text("notes", "dues_by_employer")}, ensure_ascii=False, sort_keys=True)


def stated_parts(raised: bool) -> tuple[pl.Expr, pl.Expr]:
    """(dues, surcharge) of a stated amount. The employer deducted the member's whole dues; in a
    unit with raised dues that holds the surcharge too (004 §2 ust. 1–2), which stays with the
    unit: the §1 dues are stated × 100 / raised_pct, half-up, the surcharge the rest."""
    if not raised:
        return pl.col("stated"), pl.lit(0, pl.Int64)
    dues = (pl.col("stated") * 20_000 + pl.col("raised_bp")) // (2 * pl.col("raised_bp"))   # stated >= 0
    return dues, pl.col("stated") - dues


@dataclass
class DuesResult:
    dues: pl.DataFrame
    issues: list[Issue]
    # how each dues row was made, recorded as it was computed (issue 18: `skladki explain` reads it)
    derivation: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DERIVATION_SCHEMA))
    # members whose dues are the deducted amounts of deductions-only lists (RULES.md §13: not checked)
    stated_ids: list[str] = field(default_factory=list)


def rule_json(rule: CategoryRule) -> str:
    """The category rule's parameters as recorded beside each dues row (exact text, grosze)."""
    return json.dumps({"method": rule.method, "label": rule.label, "rate": None if rule.rate is None else str(rule.rate),
                       "threshold": rule.threshold, "base_amount": rule.base_amount, "step": rule.step,
                       "step_amount": rule.step_amount, "unit_column": rule.unit_column,
                       "base_components": list(rule.base_components), "floor_component": rule.floor_component,
                       **METHODS[rule.method].record(rule)},
                      ensure_ascii=False, sort_keys=True)


def member_base(lines: pl.LazyFrame, rule: CategoryRule) -> pl.LazyFrame:
    """Dues base per member from their lines: the sum of the rule's base components, across
    employers; for §1 ust. 2 the declared ZUS base is a floor when business income is the only
    income. Returns member_id, base, has_lines."""
    comps = list(rule.base_components)
    aggs = [pl.col("amount").filter(pl.col("component").is_in(comps)).sum().alias("base"),
            pl.len().alias("n_lines")]
    if rule.floor_component:
        others = [c for c in comps if c != rule.floor_only_with]
        aggs += [pl.col("amount").filter(pl.col("component") == rule.floor_component).sum().alias("floor"),
                 (pl.col("component") == rule.floor_component).any().alias("has_floor"),
                 pl.col("component").is_in(others).any().alias("has_other")]
    out = lines.group_by("member_id").agg(aggs)
    if rule.floor_component:
        floor = pl.col("has_floor") & ~pl.col("has_other") & (pl.col("floor") > pl.col("base"))
        out = out.with_columns(floor_used=floor, base=pl.when(floor).then(pl.col("floor")).otherwise(pl.col("base")))
    else:
        out = out.with_columns(floor_used=pl.lit(False))
    return out.select("member_id", "base", (pl.col("n_lines") > 0).alias("has_lines"), "floor_used")


def dues_expr(rule: CategoryRule) -> pl.Expr:
    """§1 dues from the base column (grosze), as the rule's method computes them."""
    return METHODS[rule.method].expr(rule)


def surcharge_expr() -> pl.Expr:
    """Raised dues (004 §2 ust. 1–2): dues × (raised_pct − 100) %, half-up; raised_bp is pct×100."""
    return ratio_expr(pl.col("dues"), pl.col("raised_bp") - 10_000, 10_000)


def compute_dues(members: pl.DataFrame, units: pl.DataFrame, lines: pl.DataFrame | pl.LazyFrame,
                 adjustments: pl.DataFrame, rules: Rules, stated: pl.DataFrame | None = None) -> DuesResult:
    """members: owing and not blocked; lines: good in-period lines (a frame or a plan); adjustments: in force;
    stated: what deductions-only lists say was deducted (``stated_dues``).

    RULES.md §13: a member whose rule needs income, with no income line in the month and no
    decision of the unit, but listed on a deductions-only list, owes the deducted amount — marked
    as not checked, with a null base (the §3 base is not known). A member with pay components
    anywhere has the dues computed from them: the listed deduction is then a receipt, checked as
    usual (an amount that can be checked is never replaced by one that cannot)."""
    base_cols = ["member_id", "unit_id", "category"]
    m = (members.select(base_cols + ["_row"])
         .join(units.select("unit_id", pl.col("name").alias("unit_name"), "rulebook", "raised_bp",
                            *UNIT_FLAT_COLUMNS),
               on="unit_id", how="inner")
         .join(adjustments.select("member_id", pl.col("kind").alias("adj_kind"), pl.col("amount").alias("adj_amount"),
                                  pl.col("_source").alias("adj_source"), pl.col("_row").alias("adj_row"),
                                  pl.col("decision_ref").alias("adj_ref")),
               on="member_id", how="left"))
    # most closes have no deductions-only list: then no extra columns or copies at national scale
    any_stated = stated is not None and stated.height > 0
    m = m.join(stated, on="member_id", how="left") if any_stated else m.with_columns(stated=pl.lit(None, pl.Int64))
    period = rules.period
    parts, found, derivs, stated_ids = [], [], [], []
    lines = lines.lazy().select("member_id", "component", "amount")
    for (book_name, category), group in m.group_by(["rulebook", "category"], maintain_order=True):
        version = rules.version(book_name)
        rule = version.categories[category]
        # the group's members' lines summed as they are read (issue 32: the lines joined to every
        # member's rule and split by it were two copies of a million lines, +100 MiB at 600 000)
        g_lines = lines.join(group.lazy().select("member_id"), on="member_id", how="semi")
        base = member_base(g_lines, rule).collect(engine="streaming")
        g = (group.join(base, on="member_id", how="left")
             .with_columns(pl.col("base").fill_null(0), pl.col("has_lines").fill_null(False),
                           pl.col("floor_used").fill_null(False)))
        by_employer = (pl.lit(rule.needs_income) & ~pl.col("has_lines") & pl.col("adj_kind").is_null()
                       & pl.col("stated").is_not_null())
        employer_stated = g.filter(by_employer) if any_stated else g.clear()
        if employer_stated.height:
            g = g.filter(~by_employer)
        missing = g.filter(pl.lit(rule.needs_income) & ~pl.col("has_lines") & pl.col("adj_kind").is_null())
        negative = pl.concat([g.filter(pl.col("base") < 0),
                              employer_stated.filter(pl.col("stated") < 0).with_columns(base=pl.col("stated"))])
        employer_stated = employer_stated.filter(pl.col("stated") >= 0)
        for r in missing.iter_rows(named=True):
            found.append(issue("missing_income", source="income", located=False, period=period, member_id=r["member_id"],
                               unit_id=r["unit_id"], category=rule.label))
        # issue 30: an amount the unit's body sets (004 §1 ust. 1 pkt 4) left empty in units.csv is no
        # decision, not a zero: the member's dues wait for it (a reduction or suspension decides alone)
        undecided = (g.filter(pl.col(rule.unit_column).is_null() & pl.col("adj_kind").is_null())
                     if rule.unit_column else g.clear())
        for r in undecided.iter_rows(named=True):
            found.append(issue("unit_flat_missing", source="units.csv", located=False, period=period,
                               member_id=r["member_id"], unit_id=r["unit_id"], column=rule.unit_column,
                               category=rule.label, rule=rule.source,
                               unit=f"{r['unit_id']} ({r['unit_name']})" if r["unit_name"] else r["unit_id"]))
        for r in negative.iter_rows(named=True):
            found.append(issue("negative_base", source="income", located=False, period=period, member_id=r["member_id"],
                               unit_id=r["unit_id"], amount=format_pl(r["base"])))
        g = g.with_columns(dues=dues_expr(rule))
        # 004 §2 ust. 3: a reduction is a "niższy wymiar składki" — lower than the §1 dues. Judged
        # where the §1 dues are known (income lines, or a unit-set amount); a reduced member with no
        # income line owes the decided amount, as the decision says.
        known = pl.lit(not rule.needs_income) | pl.col("has_lines")
        not_lower = g.filter((pl.col("adj_kind") == "reduced") & known & (pl.col("adj_amount") >= pl.col("dues")))
        for r in not_lower.iter_rows(named=True):
            found.append(issue("bad_adjustment", source=r["adj_source"], row=r["adj_row"], period=period,
                               subject=f"członek {r['member_id']}", member_id=r["member_id"], problems=[text(
                                   "problems", "reduced_not_lower", reduced=format_pl(r["adj_amount"]),
                                   computed=format_pl(r["dues"]))]))
        bad = (set(missing["member_id"]) | set(negative["member_id"]) | set(not_lower["member_id"])
               | set(undecided["member_id"]))
        g = g.filter(~pl.col("member_id").is_in(list(bad)))
        raised = category in version.raise_categories
        g = (g
             .with_columns(surcharge=surcharge_expr() if raised else pl.lit(0, pl.Int64))
             # 004 §2 ust. 3: a reduced member owes the decided amount, a suspended one nothing;
             # no surcharge on top of an individual decision.
             .with_columns(
                 dues=pl.when(pl.col("adj_kind") == "reduced").then(pl.col("adj_amount"))
                 .when(pl.col("adj_kind") == "suspended").then(pl.lit(0, pl.Int64))
                 .otherwise(pl.col("dues")),
                 surcharge=pl.when(pl.col("adj_kind").is_not_null()).then(pl.lit(0, pl.Int64))
                 .otherwise(pl.col("surcharge")))
             .with_columns(
                 base=pl.when(pl.lit(not METHODS[rule.method].keeps_base)).then(0).otherwise(pl.col("base")),
                 total=pl.col("dues") + pl.col("surcharge")))
        derivs.append(g.select(pl.lit(period).alias("period"), "member_id", "unit_id",
                               pl.lit(version.label).alias("rulebook_version"), "category",
                               pl.lit(rule.source).alias("rule_source"), pl.lit(rule_json(rule)).alias("rule_json"),
                               "floor_used", pl.col("raised_bp") if raised else pl.lit(10_000, pl.Int64).alias("raised_bp"),
                               pl.col("adj_kind").alias("adjustment"), pl.col("adj_amount").alias("adjustment_amount"),
                               pl.col("adj_ref").alias("decision_ref")).cast(DERIVATION_SCHEMA))
        if employer_stated.height:
            stated_ids += employer_stated["member_id"].to_list()
            dues_part, surcharge_part = stated_parts(raised)
            mapping = {(s, e): stated_rule_json(rule, s, e) for s, e in
                       employer_stated.select("sources", "employers").unique().iter_rows()}
            g = pl.concat([g, employer_stated.with_columns(dues=dues_part, surcharge=surcharge_part)
                          .with_columns(base=pl.lit(None, pl.Int64), total=pl.col("stated"), floor_used=pl.lit(False))
                          .select(g.columns)], how="vertical_relaxed")
            derivs.append(employer_stated.select(
                pl.lit(period).alias("period"), "member_id", "unit_id", pl.lit(version.label).alias("rulebook_version"),
                "category", pl.format("{} ({})", pl.lit(text("notes", "dues_by_employer")), "sources").alias("rule_source"),
                pl.struct("sources", "employers").map_elements(lambda r: mapping[(r["sources"], r["employers"])],
                                                               return_dtype=pl.String).alias("rule_json"),
                pl.lit(False).alias("floor_used"),
                pl.col("raised_bp") if raised else pl.lit(10_000, pl.Int64).alias("raised_bp"),
                pl.lit(None, pl.String).alias("adjustment"), pl.lit(None, pl.Int64).alias("adjustment_amount"),
                pl.lit(None, pl.String).alias("decision_ref")).cast(DERIVATION_SCHEMA))
        parts.append(g.select(pl.lit(period).alias("period"), *base_cols,
                              pl.col("base").cast(pl.Int64), pl.col("dues").cast(pl.Int64),
                              pl.col("surcharge").cast(pl.Int64), pl.col("total").cast(pl.Int64)))
    dues = pl.concat(parts) if parts else pl.DataFrame(schema=DUES_SCHEMA)
    derivation = pl.concat(derivs) if derivs else pl.DataFrame(schema=DERIVATION_SCHEMA)
    return DuesResult(dues.sort("unit_id", "member_id"), found, derivation.sort("unit_id", "member_id"),
                      sorted(stated_ids))
