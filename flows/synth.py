"""A deterministic generator of valid canonical inboxes (CONTRACT.md) of any size.

Same (members, period, seed) -> byte-identical files. Amounts are made in grosze and written as
PLN text; no floats touch money.
"""
from __future__ import annotations

import random
import tomllib
from functools import lru_cache
from pathlib import Path

import polars as pl

from flows import settings
from transforms.money import grosze, pln, zloty
from flows.rules import rulebooks
from transforms.staging import VOIVODESHIPS

FIRST_F = ["Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna",
           "Elżbieta", "Zofia", "Joanna", "Magdalena", "Monika", "Teresa", "Danuta", "Jadwiga",
           "Beata", "Dorota", "Grażyna", "Halina", "Irena", "Janina", "Aleksandra", "Żaneta"]
FIRST_M = ["Jan", "Andrzej", "Piotr", "Krzysztof", "Stanisław", "Tomasz", "Paweł", "Józef",
           "Marcin", "Marek", "Michał", "Grzegorz", "Jerzy", "Tadeusz", "Adam", "Łukasz",
           "Zbigniew", "Ryszard", "Dariusz", "Henryk", "Mariusz", "Kazimierz", "Wojciech", "Bogdan"]
# surname stems; feminine form of -ski/-cki/-dzki ends in -ska/-cka/-dzka
SURNAMES = ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
            "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
            "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski",
            "Michalski", "Król", "Wieczorek", "Jabłoński", "Wróbel", "Majewski", "Olszewski",
            "Stępień", "Malinowski", "Jaworski", "Adamczyk", "Dudek", "Nowicki", "Pająk",
            "Górski", "Sikora", "Walczak", "Baran", "Rutkowski", "Michalak", "Szewczyk",
            "Ostrowski", "Tomaszewski", "Pietrzak", "Zalewski", "Wróblewski", "Marciniak",
            "Jasiński", "Zawadzki", "Bąk", "Jakubowski", "Sadowski", "Duda", "Włodarczyk", "Ślusarczyk"]


def full_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.5:
        first = rng.choice(FIRST_F)
        if surname.endswith(("ski", "cki", "dzki")):
            surname = surname[:-1] + "a"
    else:
        first = rng.choice(FIRST_M)
    return f"{first} {surname}"


def pesel_for(rng: random.Random, year: int, used: set[str] | None = None) -> str:
    """A valid PESEL (checksum and birth date) for someone born in ``year`` (1900–2099), unique
    among ``used`` (two people never share one; the serial is moved on, with no extra draw)."""
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    m = month + (20 if year >= 2000 else 0)
    serial = rng.randint(0, 9999)
    while True:
        digits = f"{year % 100:02d}{m:02d}{day:02d}{serial:04d}"
        weights = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]
        check = (10 - sum(int(d) * w for d, w in zip(digits, weights)) % 10) % 10
        pesel = digits + str(check)
        if used is None or pesel not in used:
            break
        serial = (serial + 1) % 10_000
    if used is not None:
        used.add(pesel)
    return pesel


def _amount(rng: random.Random, lo_zl: int, hi_zl: int) -> int:
    return rng.randint(zloty(lo_zl), zloty(hi_zl))


@lru_cache(maxsize=1)
def profile() -> dict:
    """data/synth.toml: the categories' shares and their typical income lines."""
    return tomllib.loads((settings.DATA / "synth.toml").read_text(encoding="utf-8"))


def _lines(rng: random.Random, specs: list[dict]) -> list[tuple[str, int]]:
    out = []
    for s in specs:
        if "chance" in s and rng.random() >= s["chance"]:
            continue
        out.append((s["component"], grosze(profile()["declared_insurance_base"]) if s.get("fixed")
                    else _amount(rng, s["low"], s["high"])))
    return out


def member_lines(rng: random.Random, category: dict, rulebook: str) -> list[tuple[str, int]]:
    """Income lines (component, grosze) typical for a member of the category."""
    either = category.get("either")
    if either and rng.random() < either["chance"]:
        return _lines(rng, either["lines"])
    lines = _lines(rng, category["lines"])
    instead = category.get("instead")
    if instead and rulebook == instead["rulebook"] and rng.random() < instead["chance"]:
        lines = _lines(rng, instead["lines"])
    return lines


@lru_cache(maxsize=None)
def unit_categories(rulebook: str) -> frozenset[str]:
    book = rulebooks()[rulebook]
    return frozenset(book.versions[-1].categories)


def reductions_provided(rulebook: str) -> bool:
    """Whether the rulebook provides reductions and suspensions of dues (003 does not, issue 30)."""
    return bool(rulebooks()[rulebook].versions[-1].max_reduction_months)


def make_units(n_units: int, rng: random.Random) -> list[dict]:
    voivs = sorted(VOIVODESHIPS)
    n_regions = max(1, min(38, n_units // 20 or 1))
    units = []
    for i in range(n_units):
        region = i % n_regions
        units.append({
            "unit_id": f"U{i + 1:05d}", "name": f"Organizacja Zakładowa nr {i + 1}",
            "region_id": f"R{region + 1:02d}", "voivodeship": voivs[region % len(voivs)],
            "sheltered": "true" if rng.random() < 0.05 else "false",
            "raised_pct": rng.choice(["100"] * 8 + ["120", "150"]),
            "unemployed_flat": rng.choice(["0.00", "5.00", "10.00"]),
            "pensioner_flat": "0.00", "rulebook": profile()["rulebook"],
            "national_contribution_pct": None})
    return units


def generate(n_members: int, period: str, seed: int, units: list[dict] | None = None,
             rng: random.Random | None = None) -> dict[str, pl.DataFrame]:
    rng = rng or random.Random(seed)
    units = units or make_units(max(1, n_members // 100), rng)
    year = int(period[:4])
    members, income, adjustments = [], [], []
    used_pesels: set[str] = set()
    for i in range(n_members):
        unit = units[i % len(units)]
        r = rng.random()
        cat = next(c for c in profile()["categories"] if r < c["up_to"])
        if cat["code"] not in unit_categories(unit["rulebook"]):   # e.g. no other_income in przerobka
            cat = profile()["categories"][0]
        category = cat["code"]
        mid = f"M{i + 1:07d}"
        birth = rng.randint(*cat["born"])
        joined = f"{rng.randint(1990, year - 1)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        members.append({"member_id": mid, "unit_id": unit["unit_id"], "category": category,
                        "joined_on": joined, "left_on": None,
                        "pesel": pesel_for(rng, birth, used_pesels), "full_name": full_name(rng)})
        for component, gr in member_lines(rng, cat, unit["rulebook"]):
            income.append({"period": period, "member_id": mid, "component": component,
                           "amount": pln(gr)})
        decisions = profile()["decisions"]
        if rng.random() < decisions["chance"] and reductions_provided(unit["rulebook"]):
            kind = rng.choice(["reduced", "suspended"])
            if category not in decisions["reduced_for"]:   # a reduction must be lower than the §1 dues
                kind = "suspended"
            adjustments.append({"member_id": mid, "kind": kind,
                                "amount": decisions["reduced_amount"] if kind == "reduced" else None,
                                "valid_from": period, "valid_to": period,
                                "decision_ref": f"U/{i + 1}/{year}"})
    s = pl.String
    return {
        "units": pl.DataFrame(units, schema={k: s for k in units[0]}),
        "members": pl.DataFrame(members, schema={k: s for k in ("member_id", "unit_id", "category",
                                                                "joined_on", "left_on", "pesel", "full_name")}),
        "income": pl.DataFrame(income, schema={k: s for k in ("period", "member_id", "component", "amount")}),
        "adjustments": pl.DataFrame(adjustments, schema={k: s for k in ("member_id", "kind", "amount",
                                                                        "valid_from", "valid_to", "decision_ref")}),
    }


def write_frames(out: Path, frames: dict[str, pl.DataFrame], income_name: str = "payroll") -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "income").mkdir(exist_ok=True)
    frames["units"].write_csv(out / "units.csv")
    frames["members"].write_csv(out / "members.csv")
    frames["income"].write_csv(out / "income" / f"{income_name}.csv")
    frames["adjustments"].write_csv(out / "adjustments.csv")


def write_inbox(out: Path, n_members: int, period: str, seed: int = 2026, receipts: bool = False) -> dict[str, int]:
    frames = generate(n_members, period, seed)
    write_frames(out, frames)
    counts = {k: v.height for k, v in frames.items()}
    if receipts:
        counts.update(write_receipts(out, period, random.Random(seed + 1)))
    return counts


def write_receipts(out: Path, period: str, rng: random.Random) -> dict[str, int]:
    """Deductions (income/deductions.csv, `dues_deducted` lines) and payments.csv for the inbox at
    ``out``, from the dues the close itself computes (one dues implementation)."""
    from flows.rules import rules_for
    from flows.inbox import read_inbox
    from transforms import close as close_logic
    from transforms.money import share
    from fractions import Fraction
    conf = profile()["receipts"]
    rules = rules_for(period)
    from transforms.ledger import Books
    dues = close_logic.month(close_logic.MonthInputs(read_inbox(out, period), rules, Books())).dues
    deductions, payments = [], []
    day = f"{period}-15"
    for mid, category, total in dues.select("member_id", "category", "total").iter_rows():
        r = rng.random()
        if category in conf["deducted_for"]:
            if r < conf["deduction_mistakes"] / 2:
                continue                                          # nothing deducted
            amount = share(total, Fraction(80, 82)) if r < conf["deduction_mistakes"] else total
            deductions.append({"period": period, "member_id": mid, "component": "dues_deducted",
                               "amount": pln(amount)})
        elif total and r < conf["direct_pays"]:
            three = r < conf["direct_pays_three_months"]
            payments.append({"member_id": mid, "paid_on": day, "amount": pln(total * (3 if three else 1)),
                             "period": None if three else period, "reference": f"składka {period}"})
    s = pl.String
    pl.DataFrame(deductions, schema={k: s for k in ("period", "member_id", "component", "amount")}).write_csv(
        out / "income" / "deductions.csv")
    pl.DataFrame(payments, schema={k: s for k in ("member_id", "paid_on", "amount", "period", "reference")}).write_csv(
        out / "payments.csv")
    return {"deductions": len(deductions), "payments": len(payments)}
