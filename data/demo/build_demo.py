"""Builds the bundled demo inbox (data/demo) for the close of 2026-10. Run it to regenerate:

    .venv/bin/python data/demo/build_demo.py

Two regions (Śląsko-Dąbrowski, Gdański), seven units: one sheltered workplace, one with raised
dues, one under the `przerobka` rulebook, and one deliberately broken unit row. About 330 members
in every category, a few reductions and suspensions, and a handful of bad rows so the exceptions
sheet has something to show. Deterministic.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from flows.synth import generate, write_frames  # noqa: E402

PERIOD = "2026-10"
UNITS = [
    {"unit_id": "SL-0001", "name": "NSZZ Solidarność Huty Katowice", "region_id": "SL",
     "voivodeship": "śląskie", "sheltered": "false", "raised_pct": "100", "unemployed_flat": "5.00",
     "pensioner_flat": "0.00", "rulebook": "solidarnosc", "national_contribution_pct": None},
    {"unit_id": "SL-0002", "name": "NSZZ Solidarność Szpitala Wojewódzkiego w Gliwicach",
     "region_id": "SL", "voivodeship": "śląskie", "sheltered": "false", "raised_pct": "150",
     "unemployed_flat": "10.00", "pensioner_flat": "0.00", "rulebook": "solidarnosc",
     "national_contribution_pct": None},
    {"unit_id": "SL-0003", "name": "NSZZ Solidarność Spółdzielni Inwalidów „Naprzód”", "region_id": "SL",
     "voivodeship": "śląskie", "sheltered": "true", "raised_pct": "100", "unemployed_flat": "0.00",
     "pensioner_flat": "0.00", "rulebook": "solidarnosc", "national_contribution_pct": None},
    {"unit_id": "SL-0004", "name": "ZZ PRZERÓBKA przy Zakładzie Przeróbki Mechanicznej Węgla „Wieczorek”",
     "region_id": "SL", "voivodeship": "śląskie", "sheltered": "false", "raised_pct": "100",
     "unemployed_flat": "3.00", "pensioner_flat": "6.00", "rulebook": "przerobka",
     "national_contribution_pct": None},
    {"unit_id": "GD-0001", "name": "NSZZ Solidarność Gdańskiej Stoczni Remontowej", "region_id": "GD",
     "voivodeship": "pomorskie", "sheltered": "false", "raised_pct": "100", "unemployed_flat": "4.00",
     "pensioner_flat": "0.00", "rulebook": "solidarnosc", "national_contribution_pct": None},
    {"unit_id": "GD-0002", "name": "NSZZ Solidarność Poczty Polskiej — Oddział Gdańsk", "region_id": "GD",
     "voivodeship": "pomorskie", "sheltered": "false", "raised_pct": "120", "unemployed_flat": "0.00",
     "pensioner_flat": "0.00", "rulebook": "solidarnosc", "national_contribution_pct": None},
    # deliberately bad: raised above 200 % (004 §2 ust. 1) -> bad_unit, its members blocked
    {"unit_id": "GD-0003", "name": "NSZZ Solidarność Portu Gdynia", "region_id": "GD",
     "voivodeship": "pomorskie", "sheltered": "false", "raised_pct": "250", "unemployed_flat": "0.00",
     "pensioner_flat": "0.00", "rulebook": "solidarnosc", "national_contribution_pct": None},
]


def main() -> None:
    rng = random.Random(20261)
    frames = generate(330, PERIOD, seed=20261, units=UNITS[:6], rng=rng)
    frames["units"] = pl.DataFrame(UNITS, schema=frames["units"].schema)
    members = frames["members"].to_dicts()
    # three members of the broken unit GD-0003: blocked until its row is fixed
    for i, name in enumerate(["Henryk Bąk", "Żaneta Pająk", "Łukasz Ślusarczyk"]):
        members.append({"member_id": f"M09000{i + 1:02d}", "unit_id": "GD-0003", "category": "employee",
                        "joined_on": "2015-03-01", "left_on": None, "pesel": None, "full_name": name})
        frames["income"] = pl.concat([frames["income"], pl.DataFrame(
            [{"period": PERIOD, "member_id": f"M09000{i + 1:02d}", "component": "wage",
              "amount": "6480.00"}], schema=frames["income"].schema)])
    income = frames["income"].to_dicts()
    adjustments = frames["adjustments"].to_dicts()
    employees = [m for m in members if m["category"] == "employee" and m["unit_id"] != "GD-0003"]

    # a member who left in August: a late payroll line for October is not theirs to pay
    leaver = employees[0]
    leaver["left_on"] = "2026-08-31"
    # a member who joined in November: not yet owing for October
    employees[1]["joined_on"] = "2026-11-03"
    # adjustments: a 6-month reduction (the most one decision may cover) and a suspension
    adjustments += [
        {"member_id": employees[2]["member_id"], "kind": "reduced", "amount": "10.00",
         "valid_from": "2026-07", "valid_to": "2026-12", "decision_ref": "Uchwała KZ 14/2026"},
        {"member_id": employees[3]["member_id"], "kind": "suspended", "amount": None,
         "valid_from": "2026-10", "valid_to": "2027-01", "decision_ref": "Uchwała KZ 15/2026"},
        # bad: 8 months in one decision (004 §2 ust. 3 allows 6)
        {"member_id": employees[4]["member_id"], "kind": "reduced", "amount": "5.00",
         "valid_from": "2026-06", "valid_to": "2027-01", "decision_ref": "Uchwała KZ 9/2026"},
    ]
    # bad member rows: an invalid PESEL
    members[10]["pesel"] = "85010112346"  # checksum should be 5
    # an employee with no payroll line this month -> missing_income
    missing = employees[5]["member_id"]
    income = [r for r in income if r["member_id"] != missing]
    # bad income lines
    income += [
        {"period": PERIOD, "member_id": employees[6]["member_id"], "component": "premia_kwartalna",
         "amount": "850.00"},                                     # unknown_component
        {"period": PERIOD, "member_id": employees[7]["member_id"], "component": "bonus",
         "amount": "1 250,50"},                                  # bad_amount (decimal comma)
        {"period": "10.2026", "member_id": employees[8]["member_id"], "component": "bonus",
         "amount": "300.00"},                                     # bad_period
        {"period": PERIOD, "member_id": "M9999999", "component": "wage",
         "amount": "5200.00"},                                    # unknown_member
        {"period": PERIOD, "member_id": leaver["member_id"], "component": "wage",
         "amount": "6100.00"},                                    # not_a_member_in_period
        {"period": PERIOD, "member_id": employees[9]["member_id"], "component": "wage",
         "amount": "-99999.00"},                                  # negative_base (a wrong correction)
        {"period": "2026-09", "member_id": employees[10]["member_id"], "component": "wage",
         "amount": "5400.00"},                                    # other period: skipped
        {"period": PERIOD, "member_id": employees[11]["member_id"], "component": "jubilee_award",
         "amount": "9600.00"},                                    # fine: excluded from the base
    ]
    frames["members"] = pl.DataFrame(members, schema=frames["members"].schema)
    frames["income"] = pl.DataFrame(income, schema=frames["income"].schema)
    frames["adjustments"] = pl.DataFrame(adjustments, schema=frames["adjustments"].schema)
    write_frames(HERE, frames, income_name="listy_plac_2026-10")
    print({k: v.height for k, v in frames.items()})


if __name__ == "__main__":
    main()
