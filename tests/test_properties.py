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
