"""Dues methods (issue 28), one named operation each, after dinero.js's one operation per file.

A method holds together everything one way of computing the §1 dues means:
- ``fields``: the rulebook keys of a category using it, parsed and checked when the rulebook is
  loaded (a mistake is a ValueError/KeyError naming the key, which the loader turns into one
  ``bad_rulebook`` message naming the file);
- ``expr``: the polars expression of the dues from the member's ``base`` column (grosze);
- ``explain`` and ``short``: the Polish text explaining a recorded dues row (``skladki explain``, the
  members' sheets), from the rule as recorded beside it (``rule_json``).

The rulebook, the close and ``explain`` use the methods only through ``METHODS``. A union whose
rulebook uses only these methods is one TOML file; a new method is one class here.
"""
from __future__ import annotations

from fractions import Fraction

import polars as pl

from transforms.money import decimal_text, format_pl, fraction, grosze, half_up, share_expr

# units.csv's per-unit flat-due columns: the amounts a unit sets by its own resolution (staged as
# grosze by transforms.staging); a rulebook's `unit_column` must name one of them
UNIT_FLAT_COLUMNS = ("unemployed_flat", "pensioner_flat")


def pct_text(x: Fraction) -> str:
    """A share as Polish text: Fraction(41, 5000) -> '0,82 %'."""
    return decimal_text(x * 100, 4).rstrip("0").rstrip(".").replace(".", ",") + " %"


def exact_text(x: Fraction) -> str:
    """An exact amount in grosze as złoty with up to 4 decimals, e.g. 6605.124 -> '66,05124'."""
    return decimal_text(x / 100, 5).rstrip("0").rstrip(".").replace(".", ",")


class Method:
    """One dues method; subclasses fill in each part."""
    name: str
    needs_income = True        # the dues come from the member's income lines (RULES.md §3)
    keeps_base = True          # the stored base is the member's base; else 0 (the base plays no part)

    def fields(self, category: str, raw: dict) -> dict:
        """The CategoryRule fields of this method from a rulebook category's keys."""
        raise NotImplementedError

    def expr(self, rule) -> pl.Expr:
        """§1 dues from the ``base`` column (grosze)."""
        raise NotImplementedError

    def explain(self, rule: dict, base: int, stored_dues: int) -> tuple[int, int, list[str]]:
        """(the explanation's base, its dues, its lines) from the recorded rule and the base used."""
        raise NotImplementedError

    def short(self, rule: dict, rule_source: str, base: int, dues: int) -> str:
        """The derivation in one cell (before a surcharge)."""
        raise NotImplementedError


class Percent(Method):
    """A share of the base, half-up (004 §1 ust. 1 pkt 1: 0,82 %)."""
    name = "percent"

    def fields(self, category, raw):
        return {"rate": fraction(raw["rate"])}

    def expr(self, rule):
        return share_expr(pl.col("base"), rule.rate)

    def explain(self, rule, base, stored_dues):
        rate = Fraction(rule["rate"])
        computed = half_up(base * rate)
        return base, computed, [f"Podstawa: {format_pl(base)}",
                                f"Wyliczenie: {format_pl(base)} × {pct_text(rate)} = {exact_text(base * rate)} zł → "
                                f"{format_pl(computed)} (zaokrąglenie połówkowe w górę)"]

    def short(self, rule, rule_source, base, dues):
        return f"{format_pl(base)} × {pct_text(Fraction(rule['rate']))} = {format_pl(dues)} ({rule_source})"


class Band(Method):
    """A fixed amount plus ``step_amount`` per full ``step`` of the base above ``threshold``; the
    declared insurance base may be a floor (004 §1 ust. 2)."""
    name = "band"

    def fields(self, category, raw):
        return {"threshold": grosze(raw["threshold"]), "base_amount": grosze(raw["base_amount"]),
                "step": grosze(raw["step"]), "step_amount": grosze(raw["step_amount"]),
                "floor_component": raw.get("floor_component"), "floor_only_with": raw.get("floor_only_with")}

    def expr(self, rule):
        full_steps = pl.max_horizontal(pl.col("base") - rule.threshold, pl.lit(0)) // rule.step
        return rule.base_amount + full_steps * rule.step_amount

    def explain(self, rule, base, stored_dues):
        steps = max(base - rule["threshold"], 0) // rule["step"]
        computed = rule["base_amount"] + steps * rule["step_amount"]
        return base, computed, [f"Podstawa: {format_pl(base)}",
                                f"Wyliczenie: {format_pl(rule['base_amount'])} + {steps} × "
                                f"{format_pl(rule['step_amount'])} (pełne {format_pl(rule['step'])} ponad "
                                f"{format_pl(rule['threshold'])}) = {format_pl(computed)}"]

    def short(self, rule, rule_source, base, dues):
        return f"podstawa {format_pl(base)} → {format_pl(dues)} wg progów ({rule_source})"


class UnitFlat(Method):
    """The amount the unit sets by its own resolution, read from a units.csv column."""
    name = "unit_flat"
    needs_income = False
    keeps_base = False

    def fields(self, category, raw):
        column = raw["unit_column"]
        if column not in UNIT_FLAT_COLUMNS:
            raise ValueError(f"categories.{category}.unit_column: {column!r} nie jest kolumną kwot jednostki "
                             f"w units.csv (są: {', '.join(UNIT_FLAT_COLUMNS)})")
        return {"unit_column": column}

    def expr(self, rule):
        return pl.col(rule.unit_column)

    def explain(self, rule, base, stored_dues):
        return 0, stored_dues, [f"Składka ustalona przez jednostkę ({rule['unit_column']}): {format_pl(stored_dues)}"]

    def short(self, rule, rule_source, base, dues):
        return f"kwota jednostki {format_pl(dues)} ({rule_source})"


METHODS: dict[str, Method] = {m.name: m for m in (Percent(), Band(), UnitFlat())}


def method(name: str, category: str = "?") -> Method:
    """The method of that name; an unknown one names the rulebook key."""
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"categories.{category}.method: unknown method {name!r}") from None
