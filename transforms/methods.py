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

    def record(self, rule) -> dict:
        """The method's own parameters recorded beside each dues row (``rule_json``) beyond the
        common ones, for ``explain`` to read back; none by default."""
        return {}


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


class UnionFlat(Method):
    """One amount for every member of the category, set for the whole union by its general meeting
    (issue 30: 001 §32 ust. 2 and 002 §30 ust. 1 leave the amount to the Walne Zebranie). The
    rulebook names the amount, the body that sets it, the paragraph, and whether it is only an
    example (no resolution among the materials); a new resolution is a new dated version."""
    name = "union_flat"
    needs_income = False
    keeps_base = False

    def fields(self, category, raw):
        key = f"categories.{category}"
        if "amount" not in raw:
            raise ValueError(f"{key}.amount: brak kwoty składki (metoda {self.name}: kwota ustalona przez "
                             "walne zebranie związku)")
        text = str(raw["amount"]).strip()
        if not isinstance(raw["amount"], str):      # a TOML number: a float is not exact, an integer ambiguous
            raise ValueError(f"{key}.amount: kwotę zapisz jako tekst w złotych, np. \"25.00\" (jest: {text})")
        try:
            amount = grosze(text)
        except ValueError:
            raise ValueError(f"{key}.amount: {text!r} to nie kwota w złotych (np. \"25.00\")") from None
        if amount < 0:
            raise ValueError(f"{key}.amount: kwota {text} jest ujemna")
        for k in ("amount_set_by", "amount_source"):
            if not str(raw.get(k) or "").strip():
                raise ValueError(f"{key}.{k}: brak ({'organ, który ustala kwotę' if k == 'amount_set_by' else 'przepis statutu'})")
        example = raw.get("amount_example", False)
        if not isinstance(example, bool):
            raise ValueError(f"{key}.amount_example: {example!r} — dozwolone true albo false")
        return {"amount": amount, "amount_set_by": raw["amount_set_by"].strip(),
                "amount_source": raw["amount_source"].strip(), "amount_example": example}

    def expr(self, rule):
        return pl.lit(rule.amount, pl.Int64)

    def record(self, rule):
        return {"amount": rule.amount, "amount_set_by": rule.amount_set_by, "amount_source": rule.amount_source,
                "amount_example": rule.amount_example}

    @staticmethod
    def _whose(rule: dict) -> str:
        example = " — WARTOŚĆ PRZYKŁADOWA (brak uchwały w materiałach)" if rule["amount_example"] else ""
        return f"{rule['amount_set_by']}, {rule['amount_source']}{example}"

    def explain(self, rule, base, stored_dues):
        return 0, rule["amount"], [f"Składka w kwocie ustalonej dla całego związku: {format_pl(rule['amount'])} "
                                   f"({self._whose(rule)})",
                                   "Podstawa: nie dotyczy (kwota stała, niezależna od dochodu)"]

    def short(self, rule, rule_source, base, dues):
        example = ", wartość przykładowa" if rule["amount_example"] else ""
        return f"kwota ustalona przez {rule['amount_set_by']} {format_pl(dues)}{example} ({rule_source})"


METHODS: dict[str, Method] = {m.name: m for m in (Percent(), Band(), UnitFlat(), UnionFlat())}


def method(name: str, category: str = "?") -> Method:
    """The method of that name; an unknown one names the rulebook key."""
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"categories.{category}.method: unknown method {name!r}") from None
