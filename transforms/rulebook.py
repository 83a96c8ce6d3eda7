"""Rulebooks: dated versions of a union's rates, bands, split and deadlines, read from data/.

The loader parses TOML text into frozen dataclasses with exact values (Fraction, grosze);
selecting the version in force is ``version_for(period)`` (RULES.md §1).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path

from transforms.money import fraction, grosze

LEVELS = ("unit", "region", "national", "branch_secretariats",
          "regional_strike_fund", "national_strike_fund")
CATEGORIES = ("employee", "other_income", "pensioner", "unemployed")


@dataclass(frozen=True)
class CategoryRule:
    category: str
    method: str                      # percent | band | unit_flat
    source: str
    base_components: tuple[str, ...] = ()
    rate: Fraction | None = None     # percent
    threshold: int = 0               # band, grosze
    base_amount: int = 0
    step: int = 1
    step_amount: int = 0
    floor_component: str | None = None
    floor_only_with: str | None = None
    unit_column: str | None = None   # unit_flat

    @property
    def needs_income(self) -> bool:
        return self.method in ("percent", "band")


@dataclass(frozen=True)
class SplitRule:
    """Fractions of D moved up the cascade of RULES.md §5 (004 §3)."""
    source: str
    transfer_to: str                 # region | national
    to_upper: Fraction
    national_total: Fraction
    branch_secretariats: Fraction
    regional_strike_fund: Fraction
    national_strike_fund: Fraction

    def with_upper(self, pct: Fraction) -> "SplitRule":
        """A unit override of the contribution (przerobka: 003 Art. 31 ust. 4)."""
        return SplitRule(self.source + " (unit override)", self.transfer_to, pct, pct,
                         self.branch_secretariats, self.regional_strike_fund,
                         self.national_strike_fund)


@dataclass(frozen=True)
class Deadlines:
    source: str
    unit_transfer_day: int
    region_forward: str
    annual_statements: str


@dataclass(frozen=True)
class RulebookVersion:
    name: str
    valid_from: date
    source: str
    max_raised_pct: Fraction
    max_reduction_months: int
    split_categories: tuple[str, ...]
    raise_categories: tuple[str, ...]
    components: frozenset[str]
    categories: dict[str, CategoryRule]
    split: dict[str, SplitRule]
    deadlines: Deadlines
    # 004 §7–§8 officers' salary caps, as written in the rulebook; read by transforms.salary_caps
    salary_caps: dict | None = None

    @property
    def label(self) -> str:
        return f"{self.name}@{self.valid_from.isoformat()}"


@dataclass(frozen=True)
class Rulebook:
    name: str
    versions: tuple[RulebookVersion, ...]   # sorted by valid_from

    def version_for(self, period: str) -> RulebookVersion:
        """The version in force on the first day of ``period`` (YYYY-MM)."""
        first = date.fromisoformat(period + "-01")
        in_force = [v for v in self.versions if v.valid_from <= first]
        if not in_force:
            raise LookupError(f"rulebook {self.name!r} has no version in force on {first}")
        return in_force[-1]


def _category(name: str, raw: dict) -> CategoryRule:
    method = raw["method"]
    common = dict(category=name, method=method, source=raw["source"],
                  base_components=tuple(raw.get("base_components", ())))
    if method == "percent":
        return CategoryRule(**common, rate=fraction(raw["rate"]))
    if method == "band":
        return CategoryRule(**common, threshold=grosze(raw["threshold"]),
                            base_amount=grosze(raw["base_amount"]), step=grosze(raw["step"]),
                            step_amount=grosze(raw["step_amount"]),
                            floor_component=raw.get("floor_component"),
                            floor_only_with=raw.get("floor_only_with"))
    if method == "unit_flat":
        return CategoryRule(**common, unit_column=raw["unit_column"])
    raise ValueError(f"category {name}: unknown method {method!r}")


def _split(raw: dict) -> SplitRule:
    return SplitRule(raw["source"], raw["transfer_to"], fraction(raw["to_upper"]),
                     fraction(raw["national_total"]), fraction(raw["branch_secretariats"]),
                     fraction(raw["regional_strike_fund"]), fraction(raw["national_strike_fund"]))


def parse_rulebook(text: str) -> Rulebook:
    doc = tomllib.loads(text)
    versions = []
    for v in doc["versions"]:
        versions.append(RulebookVersion(
            name=doc["name"],
            valid_from=date.fromisoformat(v["valid_from"]),
            source=v["source"],
            max_raised_pct=fraction(v["max_raised_pct"]),
            max_reduction_months=int(v["max_reduction_months"]),
            split_categories=tuple(v["split_categories"]),
            raise_categories=tuple(v["raise_categories"]),
            components=frozenset(v["components"]),
            categories={k: _category(k, c) for k, c in v["categories"].items()},
            split={k: _split(s) for k, s in v["split"].items()},
            deadlines=Deadlines(**v["deadlines"]),
            salary_caps=v.get("salary_caps"),
        ))
    versions.sort(key=lambda x: x.valid_from)
    return Rulebook(doc["name"], tuple(versions))


def load_rulebooks(folder: Path) -> dict[str, Rulebook]:
    """Every ``*.toml`` in ``folder`` (the project's data/rulebooks) by name."""
    books = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            book = parse_rulebook(path.read_text(encoding="utf-8"))
        except (KeyError, ValueError, tomllib.TOMLDecodeError) as e:
            raise ValueError(f"{path}: not a valid rulebook ({type(e).__name__}: {e}); every file in "
                             f"{folder.name}/ must have a name and [[versions]]") from None
        books[book.name] = book
    return books
