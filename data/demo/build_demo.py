"""Builds the bundled demo inbox (data/demo) for the close of 2026-10. Run it to regenerate:

    .venv/bin/python data/demo/build_demo.py

Two regions (Śląsko-Dąbrowski, Gdański), seven units: one sheltered workplace, one with raised
dues, one under the `przerobka` rulebook, and one deliberately broken unit row. About 330 members
in every category, a few reductions and suspensions, and a handful of bad rows so the exceptions
sheet has something to show. Deterministic.
"""
from __future__ import annotations

import csv
import io
import random
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from openpyxl import Workbook  # noqa: E402

from flows.synth import generate, write_frames  # noqa: E402
from transforms.money import grosze, share  # noqa: E402

PERIOD = "2026-10"
PREVIOUS = "2026-09"
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


# the regions' accounts for their units' transfers, and the Śląsko-Dąbrowski region's required title
REGIONS = [
    {"region_id": "SL", "name": "Region Śląsko-Dąbrowski", "bank_account": "95102023130000310200123456",
     "transfer_title": "KZ {unit_id} skł {MM}/{YY}"},
    {"region_id": "GD", "name": "Region Gdański", "bank_account": "48124010371111001099887766",
     "transfer_title": ""},
]
# issue 30: the account of the Przeróbka national board its units pay directly (national_accounts.csv; the
# account the przerobka rulebook's national reconciliation expects, an example value)
NATIONAL = [
    {"rulebook": "przerobka", "level": "national", "name": "Zarząd Krajowy ZZ „Przeróbka”",
     "bank_account": "68109010140000999900000001", "transfer_title": "Składka na Zarząd Krajowy {unit_id} za {MM}/{YYYY}"},
]


def nrb(bank: str, account: str) -> str:
    """A valid Polish account number (NRB) from an 8-digit bank code and a 16-digit account."""
    from stdnum import iban
    bban = bank + account
    return iban.calc_check_digits("PL00" + bban) + bban


for _i, _u in enumerate(UNITS, start=1):
    _u["bank_account"] = nrb("10901014", f"{_i:016d}")
    # the steelworks' union pays more than the KK minimum (004 §5 ust. 2); the others pay the minimum
    _u.update({"benefit_birth": "500.00", "benefit_death_member": "1500.00", "benefit_death_family": "600.00"}
              if _u["unit_id"] == "SL-0001" else
              {"benefit_birth": None, "benefit_death_member": None, "benefit_death_family": None})


def main() -> None:
    rng = random.Random(20261)
    frames = generate(330, PERIOD, seed=20261, units=UNITS[:6], rng=rng)
    frames["units"] = pl.DataFrame(UNITS, schema={**frames["units"].schema, "bank_account": pl.String})
    # September: the same pay as canonical lines, so two months can be closed (reconciliation)
    september = frames["income"].with_columns(pl.lit(PREVIOUS).alias("period"))
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
    # … after an earlier period of membership (two rows for one member: issue 16's history)
    earlier = {**employees[1], "joined_on": "2015-01-01", "left_on": "2026-06-30"}
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
         "amount": "1.250"},                                     # bad_amount (ambiguous: 1250 or 1.25?)
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
    special = {m["member_id"] for m in employees[:12]} | {a["member_id"] for a in adjustments}
    for i, m in enumerate(members):
        m["staff_number"] = f"S-{i + 1:04d}" if m["unit_id"] == "SL-0002" else None
    (HERE / "income").mkdir(exist_ok=True)
    for old in (HERE / "income").glob("*"):
        old.unlink()
    income = write_payroll_exports(members, income, special)
    members.insert(members.index(employees[1]), earlier)
    frames["members"] = pl.DataFrame(members, schema={**frames["members"].schema, "staff_number": pl.String})
    frames["income"] = pl.DataFrame(income, schema=frames["income"].schema)
    frames["adjustments"] = pl.DataFrame(adjustments, schema=frames["adjustments"].schema)
    write_frames(HERE, frames, income_name="inne_dochody_i_korekty_2026-10")
    september.write_csv(HERE / "income" / f"listy_plac_{PREVIOUS}.csv")
    pl.DataFrame(REGIONS).write_csv(HERE / "regions.csv")
    pl.DataFrame(NATIONAL).write_csv(HERE / "national_accounts.csv")
    write_payments()
    write_claims_and_statements()
    print({k: v.height for k, v in frames.items()})


# ---- members' direct payments (payments.csv): the non-employees of the three units whose employers
# report deductions pay their October dues directly (September has no receipts: its dues are assumed
# received in full). The amounts are the members' October dues, except where a case is shown.
OCTOBER_DUES = {
    "M0000048": "14.40", "M0000168": "57.60", "M0000216": "84.00", "M0000312": "23.40",
    "M0000067": "5.00", "M0000091": "5.00", "M0000145": "16.00", "M0000211": "45.00", "M0000229": "29.00",
    "M0000271": "19.50", "M0000277": "5.00", "M0000295": "21.00", "M0000313": "11.00",
    "M0000026": "91.50", "M0000038": "72.00", "M0000050": "13.50", "M0000056": "72.00", "M0000062": "5.25",
    "M0000080": "72.00", "M0000104": "7.50", "M0000116": "73.50", "M0000152": "26.25", "M0000158": "72.00",
    "M0000212": "21.00", "M0000236": "10.00", "M0000284": "10.00", "M0000290": "10.00",
}
PAYMENT_CASES = [
    # a pensioner paying three months at once, naming no month: October, then credit for two months
    {"member_id": "M0000043", "paid_on": "2026-10-05", "amount": "27.00", "period": "", "reference": "składki 3 miesiące"},
    # a 150 % unit's member paying only the §1 part of 70.50 (47.00 + 23.50 surcharge)
    {"member_id": "M0000008", "paid_on": "2026-10-16", "amount": "47.00", "period": "2026-10", "reference": "składka"},
    # a date that does not exist: bad_payment, the member stays unpaid until it is fixed
    {"member_id": "M0000115", "paid_on": "31.09.2026", "amount": "36.00", "period": "2026-10", "reference": "składka"},
    # a member number not in members.csv: unknown_member
    {"member_id": "M0009999", "paid_on": "2026-10-20", "amount": "20.00", "period": "2026-10", "reference": "składka"},
    # paid in November: the close of November books it (skipped in October's)
    {"member_id": "M0000145", "paid_on": "2026-11-03", "amount": "16.00", "period": "2026-11", "reference": "składka 11/2026"},
]   # M0000037 (other income, 15.00 zł) pays nothing in October


# ---- statutory benefit claims (004 §5, §9) and the annual statements received (004 §11), decided
# with `--date 2026-11-15`: one claim for each rule (see tests/test_benefits.py)
CLAIMS = [
    ("C01", "M0000003", "birth", "2026-10-10", "2026-10-20", "child", "false", "", "false", ""),
    ("C02", "M0000007", "birth", "2026-09-01", "2026-09-15", "child", "true", "", "false", "1000.00"),
    ("C03", "M0000002", "birth", "2026-11-10", "2026-11-12", "child", "false", "", "false", ""),
    ("C04", "M0000013", "death_member", "2026-10-05", "2026-10-20", "spouse", "false", "Anna Nowak", "false", ""),
    ("C05", "M0000013", "death_member", "2026-10-05", "2026-10-22", "funeral_payer", "false", "Jan Kowal", "false", ""),
    ("C06", "M0000014", "death_family", "2026-08-01", "2026-08-10", "cousin", "false", "", "false", ""),
    ("C07", "M0000019", "death_family", "2026-03-01", "2026-09-15", "parent", "false", "", "false", ""),
    ("C08", "M0000023", "birth", "2026-10-02", "2026-10-30", "stillborn_child", "false", "", "true", ""),
    ("C09", "M0000015", "birth", "2026-09-20", "", "child", "false", "", "false", ""),
    ("C10", "M0000017", "death_family", "2026-05-25", "", "spouse", "false", "", "false", ""),
    ("C11", "M0000004", "birth", "2026-10-01", "2026-10-05", "child", "false", "", "false", ""),
]
STATEMENTS = [("SL", "2025", "2026-07-10")]      # Gdański has not sent its 2025 statements


def write_claims_and_statements() -> None:
    cols = ["claim_id", "member_id", "kind", "event_date", "documents_on", "relation", "single_parent", "payee",
            "unit_lacks_funds", "amount_claimed"]
    pl.DataFrame([dict(zip(cols, c, strict=True)) for c in CLAIMS], schema={c: pl.String for c in cols},
                 orient="row").write_csv(HERE / "benefit_claims.csv")
    pl.DataFrame([dict(zip(("body", "year", "received_on"), r, strict=True)) for r in STATEMENTS],
                 orient="row").write_csv(HERE / "statements.csv")


def write_payments() -> None:
    rows = [{"member_id": m, "paid_on": f"2026-10-{10 + i % 15:02d}", "amount": a, "period": PERIOD,
             "reference": f"składka {PERIOD[5:]}/{PERIOD[:4]}"} for i, (m, a) in enumerate(OCTOBER_DUES.items())]
    pl.DataFrame(rows + PAYMENT_CASES).write_csv(HERE / "payments.csv")


# ---- the three employers' payroll exports (data/profiles/*.toml)

NAMES = {"wage": "Wynagr. zasadnicze", "allowance": "Dod. stażowy", "overtime": "Nadgodziny",
         "bonus": "Premia kwartalna", "sick_pay": "Wynagr. chorobowe", "benefit": "Zasiłek chorobowy",
         "jubilee_award": "Nagroda jubileuszowa", "social_fund": "Świadczenie urlopowe"}
IN_BASE = {"wage", "allowance", "overtime", "bonus", "sick_pay", "benefit"}
EMPLOYERS = {"SL-0001": "huta", "SL-0002": "szpital", "GD-0002": "poczta"}


def _pl(gr: int) -> str:
    """grosze -> Polish payroll text: '1 234,56' (space or NBSP thousands separator)."""
    sign = "-" if gr < 0 else ""
    zl, g = divmod(abs(gr), 100)
    return f"{sign}{zl:,}".replace(",", " ") + f",{g:02d}"


def _dues(base: int, raised_pct: int, rate=Fraction(82, 10_000)) -> int:
    d = share(base, rate)
    return d + share(d, Fraction(raised_pct - 100, 100))


def write_payroll_exports(members: list[dict], income: list[dict], special: set[str]) -> list[dict]:
    """Move the October lines of the three employers' employees into their exports; return the
    canonical lines that stay (other units, other categories, deliberately bad lines)."""
    by_id = {m["member_id"]: m for m in members}
    raised = {u["unit_id"]: int(u["raised_pct"]) for u in UNITS}
    payroll: dict[str, dict[str, dict[str, int]]] = {e: {} for e in EMPLOYERS.values()}
    keep = []
    for ln in income:
        m = by_id.get(ln["member_id"])
        employer = EMPLOYERS.get(m["unit_id"]) if m else None
        if (employer is None or m["category"] != "employee" or ln["period"] != PERIOD
                or ln["component"] not in NAMES or m["member_id"] in special):
            keep.append(ln)
            continue
        comps = payroll[employer].setdefault(m["member_id"], {})
        comps[ln["component"]] = comps.get(ln["component"], 0) + grosze(ln["amount"])
    # Huta: wide cp1250; its payroll office makes mistakes in the union deduction
    cols = list(NAMES)
    header = ["Lp.", "Nazwisko i imię", "PESEL", "Stanowisko", "Okres"] + [NAMES[c] for c in cols] + [
        "Razem brutto", "Składka związkowa", "Do wypłaty"]
    rows = [["Huta Katowice S.A."], ["Lista płac za październik 2026"],
            ['Wydział: Walcownia; Stalownia (wydruk z systemu płacowego)'], header]
    totals = [0] * len(cols)
    mistakes = 0
    for i, (mid, comps) in enumerate(sorted(payroll["huta"].items()), start=1):
        m = by_id[mid]
        base = sum(v for c, v in comps.items() if c in IN_BASE)
        deducted = _dues(base, raised["SL-0001"])
        if "jubilee_award" in comps:        # mistake: jubilee award put into the base
            deducted = _dues(base + comps["jubilee_award"], raised["SL-0001"])
            mistakes += 1
        elif i % 17 == 0:                   # mistake: 0.8 % instead of 0.82 %
            deducted = share(base, Fraction(8, 1000))
            mistakes += 1
        gross = sum(comps.values())
        rows.append([str(i), m["full_name"], m["pesel"], "hutnik", "10.2026"]
                    + [_pl(comps[c]).replace(" ", "\u00a0" if i % 2 else " ") if c in comps else "" for c in cols]
                    + [_pl(gross), _pl(deducted), _pl(gross - deducted - gross // 4)])
        totals = [t + comps.get(c, 0) for t, c in zip(totals, cols)]
    rows.append(["Razem", "", "", "", ""] + [_pl(t) for t in totals] + ["", "", ""])
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    (HERE / "income" / "huta_lista_plac_2026-10.csv").write_bytes(buf.getvalue().encode("cp1250"))
    # Szpital: long UTF-8 CSV by staff number, deductions as a component line (all correct)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow(["Nr ewid.", "Nazwisko i imię", "Data wypłaty", "Składnik", "Kwota"])
    for mid, comps in sorted(payroll["szpital"].items()):
        m = by_id[mid]
        for c, v in comps.items():
            w.writerow([m["staff_number"], m["full_name"], "10.10.2026", {"wage": "Wynagrodzenie zasadnicze",
                        "allowance": "Dodatek stażowy", "bonus": "Premia regulaminowa"}.get(c, NAMES[c]), _pl(v)])
        base = sum(v for c, v in comps.items() if c in IN_BASE)
        w.writerow([m["staff_number"], m["full_name"], "10.10.2026", "Potrącenie: składka związkowa",
                    _pl(_dues(base, raised["SL-0002"]))])
    (HERE / "income" / "szpital_skladniki_2026-10.csv").write_text(buf.getvalue(), encoding="utf-8")
    # Poczta: xlsx with a title block, by member number (all correct)
    wb = Workbook()
    ws = wb.active
    ws.title = "Lista płac"
    ws.append(["Poczta Polska S.A. Oddział Gdańsk"])
    ws.append(["Lista płac — październik 2026"])
    ws.append([])
    ws.append(["Sporządził: Dział Kadr i Płac"])
    ws.append(["Nr członka", "Imię i nazwisko", "Miesiąc"] + [NAMES[c] for c in cols]
              + ["Brutto razem", "Potrącona składka ZZ"])
    for mid, comps in sorted(payroll["poczta"].items()):
        base = sum(v for c, v in comps.items() if c in IN_BASE)
        ws.append([mid, by_id[mid]["full_name"], PERIOD]
                  + [Decimal(comps[c]) / 100 if c in comps else None for c in cols]
                  + [Decimal(sum(comps.values())) / 100, Decimal(_dues(base, raised["GD-0002"])) / 100])
    ws.append(["Razem"])
    wb.save(HERE / "income" / "poczta_lista_plac_2026-10.xlsx")
    print({e: len(v) for e, v in payroll.items()}, "huta mistakes:", mistakes)
    return keep


if __name__ == "__main__":
    main()
