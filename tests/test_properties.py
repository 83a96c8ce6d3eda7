"""Hypothesis properties over generated inboxes: no grosz created or lost, no row vanishes."""
from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings, strategies as st

from transforms.close import RawInputs, close
from transforms.money import pln
from flows.rules import rules_for

P = "2026-10"
RULES = rules_for(P)
COMPONENTS = ["wage", "allowance", "bonus", "award", "pension", "other_income", "business_income",
              "declared_insurance_base", "mining_leave_benefit", "bogus"]


def _frame(rows: list[dict], cols: list[str], source: str) -> pl.DataFrame:
    df = pl.DataFrame(rows, schema={c: pl.String for c in cols})
    return df.with_columns(pl.lit(source).alias("_source"),
                           pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row"))


amount = st.one_of(st.integers(-50_000, 2_000_000).map(pln),
                   st.sampled_from(["12,50", "", "abc"]))


@st.composite
def inboxes(draw):
    n_units = draw(st.integers(1, 4))
    units = [{"unit_id": f"U{i}", "region_id": f"R{i % 2}", "voivodeship": "mazowieckie",
              "sheltered": draw(st.sampled_from(["true", "false"])),
              "raised_pct": draw(st.sampled_from(["100", "137.5", "200", "250"])),
              "unemployed_flat": draw(st.sampled_from(["0.00", "3.33"])), "pensioner_flat": "1.11",
              "rulebook": draw(st.sampled_from(sorted(RULES.versions)))}     # issue 30: mzzpsz, ozz_srl too
             for i in range(n_units)]
    n_members = draw(st.integers(0, 12))
    members = [{"member_id": f"M{i}", "unit_id": f"U{draw(st.integers(0, n_units))}",
                "category": draw(st.sampled_from(["employee", "other_income", "pensioner", "unemployed"])),
                "joined_on": draw(st.sampled_from(["2001-05-05", "2026-10-31", "2026-11-01"])),
                "left_on": draw(st.sampled_from([None, "2026-09-30", "2026-10-01"]))}
               for i in range(n_members)]
    lines = [{"period": draw(st.sampled_from([P, P, P, "2026-09", "10/2026"])),
              "member_id": f"M{draw(st.integers(0, n_members + 1))}",
              "component": draw(st.sampled_from(COMPONENTS)), "amount": draw(amount)}
             for _ in range(draw(st.integers(0, 30)))]
    adjustments = [{"member_id": f"M{draw(st.integers(0, n_members))}",
                    "kind": draw(st.sampled_from(["reduced", "suspended"])),
                    "amount": draw(st.sampled_from(["2.00", None])),
                    "valid_from": draw(st.sampled_from(["2026-05", "2026-10"])),
                    "valid_to": draw(st.sampled_from(["2026-10", "2026-12", "2027-06"]))}
                   for _ in range(draw(st.integers(0, 3)))]
    return RawInputs(
        _frame(units, ["unit_id", "name", "region_id", "voivodeship", "sheltered", "raised_pct",
                       "unemployed_flat", "pensioner_flat", "rulebook", "national_contribution_pct"], "units.csv"),
        _frame(members, ["member_id", "unit_id", "category", "joined_on", "left_on", "pesel", "full_name"],
               "members.csv"),
        _frame(lines, ["period", "member_id", "component", "amount"], "income/x.csv"),
        _frame(adjustments, ["member_id", "kind", "valid_from", "valid_to", "amount", "decision_ref"],
               "adjustments.csv"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inboxes())
def test_allocations_sum_to_dues_total_per_unit_and_no_row_vanishes(raw):
    r = close(raw, RULES)
    per_unit = dict(r.dues.group_by("unit_id").agg(pl.col("total").sum()).iter_rows())
    alloc = r.allocations.group_by("unit_id").agg(pl.col("amount").sum(), pl.len())
    books = dict(zip(raw.units["unit_id"], raw.units["rulebook"]))
    for unit_id, total, n in alloc.iter_rows():
        assert n == len(RULES.version(books[unit_id]).levels)     # one row per level of the unit's rulebook
        assert total == per_unit.get(unit_id, 0)
    assert set(per_unit) <= set(alloc["unit_id"])
    assert r.rows_read == r.rows_used + r.rows_rejected + r.rows_skipped
    assert r.rows_read == sum(f.height for f in (raw.units, raw.members, raw.income, raw.adjustments))
    # every owing member without a dues row has an exception carrying their id
    owing = set(r.members.filter(pl.col("owes"))["member_id"])
    missing = owing - set(r.dues["member_id"])
    assert missing <= set(r.exceptions["member_id"].drop_nulls())
    # transfers upward equal what the levels above the unit received
    up = r.transfers.filter(pl.col("payer_kind") == "unit")["amount"].sum()
    above = r.allocations.filter(pl.col("level") != "unit")["amount"].sum()
    assert up == above


@st.composite
def inboxes_with_funds(draw):
    """issue 30: the same inboxes with random regions' funds (004 §4) and sections' dues (004 §3
    ust. 4), dated before or after the month, each unit in a section or none."""
    raw = draw(inboxes())
    sections = draw(st.lists(st.sampled_from(["S1", "S2"]), unique=True, max_size=2))
    raw.units = raw.units.with_columns(section_id=pl.Series(
        [draw(st.sampled_from([None, "S1", "S2"])) for _ in range(raw.units.height)], dtype=pl.String))
    pct = st.sampled_from(["0.01", "0.5", "1", "2.5", "7.77"])
    when = st.sampled_from(["2026-01-01", "2026-10-01", "2026-11-01"])
    funds = [{"region_id": region, "fund": f"F{i}", "pct": draw(pct), "valid_from": draw(when), "source": "WZD"}
             for region in ("R0", "R1") for i in range(draw(st.integers(0, 2)))]
    raw.funds = _frame(funds, ["region_id", "fund", "pct", "valid_from", "source"], "funds.csv") \
        .with_columns(_cells=pl.lit(None, pl.Int64), _header_cells=pl.lit(None, pl.Int64)) if funds else None
    rows = [{"section_id": s, "pct": draw(pct), "valid_from": draw(when), "source": "rada"} for s in sections]
    raw.sections = _frame(rows, ["section_id", "pct", "valid_from", "source"], "sections.csv") \
        .with_columns(_cells=pl.lit(None, pl.Int64), _header_cells=pl.lit(None, pl.Int64)) if rows else None
    return raw


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inboxes_with_funds())
def test_with_random_funds_and_section_dues_every_split_still_sums_exactly(raw):
    """004 §4, §3 ust. 4 (issue 30): with funds and section dues, each unit's allocations and
    settlement still sum to its dues owed and received to the grosz, none is negative, a unit has
    one more row per fund or section binding it (of its region / section, in force on 1 October,
    under a rulebook they bind), and every fund's or section's part is a transfer of the unit."""
    r = close(raw, RULES)
    per_unit = dict(r.dues.group_by("unit_id").agg(pl.col("total").sum()).iter_rows())
    in_force = {e["level"] for e in r.earmarks.to_dicts()}
    for unit in r.units.iter_rows(named=True):
        rows = r.allocations.filter(pl.col("unit_id") == unit["unit_id"])
        assert rows["amount"].sum() == per_unit.get(unit["unit_id"], 0)
        assert rows["amount"].min() is None or rows["amount"].min() >= 0
        bound = {lvl for lvl in in_force if unit["rulebook"] == "solidarnosc" and (
            lvl.startswith(f"fund:{unit['region_id']}:") or lvl == f"section:{unit['section_id']}")}
        assert set(rows["level"]) - {lvl.code for lvl in RULES.version(unit["rulebook"]).levels} == bound
    received = r.settlement.group_by("unit_id").agg(pl.col("amount").sum())
    applied = r.ledger.group_by("unit_id").agg((pl.col("applied_dues") + pl.col("applied_surcharge")).sum())
    applied = dict(applied.iter_rows())
    assert all(a == applied.get(u, 0) for u, a in received.iter_rows())
    earmarked = r.settlement.filter(pl.col("level").is_in(list(in_force)))
    paid = r.transfers.filter(pl.col("payee").is_in(list(in_force)))
    assert earmarked["amount"].sum() == paid["amount"].sum()
