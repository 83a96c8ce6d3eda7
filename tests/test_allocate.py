"""transforms/allocate.py: allocations and transfers from the rulebook's cascade and payers."""
import polars as pl

from flows.rules import rules_for
from transforms.allocate import allocate

RULES = rules_for("2026-10")


def units(**kw):
    base = {"unit_id": "U1", "region_id": "R1", "sheltered": False, "rulebook": "solidarnosc",
            "national_contribution_pct": None}
    return pl.DataFrame([{**base, **kw}])


def dues(*rows):
    return pl.DataFrame([{"unit_id": "U1", "category": c, "dues": d, "surcharge": s} for c, d, s in rows],
                        schema={"unit_id": pl.String, "category": pl.String, "dues": pl.Int64, "surcharge": pl.Int64})


def test_rules_example_d_10000_with_a_pensioner_and_a_surcharge_kept_by_the_unit():
    alloc, transfers = allocate(units(), dues(("employee", 1_000_000, 500), ("pensioner", 250, 0)), RULES)
    assert dict(zip(alloc["level"], alloc["amount"])) == {
        "unit": 600_000 + 500 + 250, "region": 250_000, "national": 80_000, "branch_secretariats": 20_000,
        "regional_strike_fund": 25_000, "national_strike_fund": 25_000}
    got = {(r["payer_kind"], r["payee"]): r["amount"] for r in transfers.to_dicts()}
    assert got == {("unit", "region"): 400_000, ("region", "national"): 100_000,
                   ("region", "regional_strike_fund"): 25_000, ("region", "national_strike_fund"): 25_000}


def test_przerobka_unit_pays_the_national_board_its_own_override():
    alloc, transfers = allocate(units(rulebook="przerobka", national_contribution_pct="15"),
                                dues(("employee", 10_000, 0)), RULES)
    assert dict(zip(alloc["level"], alloc["amount"]))["national"] == 1_500
    assert transfers.select("payer_kind", "payee", "amount").rows() == [("unit", "national", 1_500)]
