"""The one approved way to make and show money: integer grosze, rounding half-up.

Money inside skladki is an ``int`` number of grosze (or an Int64 polars column of grosze).
Conversion from and to PLN text happens only here.
"""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import polars as pl

AMOUNT_RE = r"^-?\d+(\.\d{1,2})?$"
_AMOUNT = re.compile(AMOUNT_RE)


def grosze(text: str) -> int:
    """PLN text ('1234.5', '-0.01') -> grosze. Raises ValueError on anything else."""
    t = text.strip()
    if not _AMOUNT.match(t):
        raise ValueError(f"not an amount: {text!r}")
    neg = t.startswith("-")
    whole, _, frac = t.lstrip("-").partition(".")
    value = int(whole) * 100 + int((frac + "00")[:2])
    return -value if neg else value


def pln(gr: int) -> str:
    """grosze -> PLN text with two decimals ('-0.05')."""
    sign = "-" if gr < 0 else ""
    q, r = divmod(abs(gr), 100)
    return f"{sign}{q}.{r:02d}"


def to_decimal(gr: int) -> Decimal:
    return Decimal(gr).scaleb(-2)


def fraction(text: str) -> Fraction:
    """An exact rate or amount from rulebook text ('0.0082' -> 41/5000)."""
    return Fraction(Decimal(text))


def half_up(x: Fraction) -> int:
    """Round to the nearest integer, halves away from zero ("zaokrąglenie matematyczne").

    For money this is half-up: 8.405 zł -> 8.41 zł, -8.405 -> -8.41.
    """
    n, d = x.numerator, x.denominator  # d > 0
    q = (2 * abs(n) + d) // (2 * d)
    return q if n >= 0 else -q


def share(gr: int, rate: Fraction) -> int:
    """rate × amount in grosze, rounded half-up to the grosz."""
    return half_up(gr * rate)


# ---- polars expressions (vectorised, integer only) ----

def parse_amount_expr(col: str) -> pl.Expr:
    """String column of PLN text -> Int64 grosze; null where the text is not an amount."""
    s = pl.col(col).str.strip_chars()
    ok = s.str.contains(AMOUNT_RE)
    neg = s.str.starts_with("-")
    body = s.str.strip_prefix("-")
    whole = body.str.split_exact(".", 1).struct.field("field_0")
    frac = body.str.split_exact(".", 1).struct.field("field_1").fill_null("")
    frac2 = (frac + pl.lit("00")).str.slice(0, 2)
    value = whole.cast(pl.Int64, strict=False) * 100 + frac2.cast(pl.Int64, strict=False)
    return pl.when(ok).then(pl.when(neg).then(-value).otherwise(value)).otherwise(None)


def share_expr(gr: pl.Expr, rate: Fraction) -> pl.Expr:
    """Vectorised ``share``: rate × grosze, half-up, exact in Int64 (|gr × numerator| < 9.2e18)."""
    n, d = rate.numerator, rate.denominator
    scaled = gr * n
    q = (scaled.abs() * 2 + d) // (2 * d)
    return pl.when(scaled >= 0).then(q).otherwise(-q)
