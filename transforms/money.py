"""The one approved way to make and show money: integer grosze, rounding half-up.

Money inside skladki is an ``int`` number of grosze (or an Int64 polars column of grosze).
Every conversion — text (canonical '1234.56' or Polish '1 234,56'), ``Decimal`` from DuckDB,
DuckDB's DECIMAL(18,2) for storage, '1 234,56 zł' for people — happens only here, with one
half-up rounding (``half_up``) and one parser (``parse_amount``).
"""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import polars as pl

# At most 13 digits of złoty: no amount text can overflow Int64 grosze (|x| < 10^15 ≪ 9.2·10^18),
# and every product the rules form (× a rate's numerator, × a raised rate in basis points) stays exact.
AMOUNT_RE = r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$"      # ASCII digits: '٣' or '３' is no amount (issue 32)
_AMOUNT = re.compile(AMOUNT_RE)


_SPACES = re.compile(r"[\s\u00a0\u202f]+")


_CURRENCY_CODE = re.compile(r"\s*[A-Z]{3}$")


def parse_amount(text: str | None, decimal: str = ".", thousands: str = "", *, plus: bool = False,
                 currency: bool = False, max_digits: int | None = 13) -> int | None:
    """PLN text -> grosze, or None when it is not an amount: the one text parser of money.

    ``decimal='.'``: canonical ('1234.5', '-0.01'); ``decimal=','``: as Polish payroll and bank
    files write it ('1 234,56', '1\u00a0234,56', '-50,00'; a point is then never accepted unless it
    separates thousands). Spaces (also no-break and narrow no-break ones) separate thousands with a
    decimal comma or when ``thousands`` holds a space; ``thousands`` names further separators
    ('.' in '-1.234,56'). Issue 28, what bank exports need: ``plus`` accepts a leading '+',
    ``currency`` a trailing currency code ('1 234,56 PLN'), ``max_digits=None`` any number of
    whole złoty (the caller then applies its limit of a credible amount). Exactly two decimal
    places or fewer; nothing else is guessed."""
    t = (text or "").strip()
    if currency:
        t = _CURRENCY_CODE.sub("", t)
    if decimal == "," or " " in thousands:
        t = _SPACES.sub("", t)
    for sep in thousands.replace(" ", ""):
        if sep != decimal:
            t = t.replace(sep, "")
    if decimal == ",":
        if "." in t:
            return None
        t = t.replace(",", ".")
    found = re.fullmatch(("([+-]?)" if plus else "(-?)") + (r"([0-9]+)" if max_digits is None else
                                                             rf"([0-9]{{1,{max_digits}}})")
                         + r"(?:\.([0-9]{1,2}))?", t)
    if not found:
        return None
    value = int(found.group(2)) * 100 + int((found.group(3) or "").ljust(2, "0"))
    return -value if found.group(1) == "-" else value


# ---- amounts as people type them into canonical files (issue 26) ----
#
# A canonical file's amount may be spelled as Polish Excel writes it. Accepted, and only these:
#   1234.56 / 1234,56            one decimal separator, at most 2 places (a comma is only possible in
#                                a ';'-separated file, an xlsx cell or a quoted CSV field)
#   1 234,56 / 1 234.56          groups of three digits separated by a space, NBSP or narrow NBSP
#   1.234,56                     groups separated by points *with* a decimal comma
#   … zł                         a currency cell saved as text keeps its 'zł'
# Refused, never guessed: '1.234' or '1,234' (a thousands separator or three decimal places?) —
# ``is_ambiguous_amount`` names them so the message can say why.
_GROUP_SPACES = "[ \u00a0\u202f]"
TYPED_PLAIN_RE = r"^-?[0-9]{1,13}([.,][0-9]{1,2})?$"
TYPED_SPACED_RE = r"^-?[0-9]{1,3}(" + _GROUP_SPACES + r"[0-9]{3})+([.,][0-9]{1,2})?$"
TYPED_DOTTED_RE = r"^-?[0-9]{1,3}(\.[0-9]{3})+,[0-9]{1,2}$"
AMBIGUOUS_AMOUNT_RE = r"^-?[0-9]{1,3}([.,][0-9]{3})+(\.[0-9]{1,2})?$"
_CURRENCY_RE = r"\s*zł$"
_TYPED = [re.compile(r) for r in (TYPED_PLAIN_RE, TYPED_SPACED_RE, TYPED_DOTTED_RE)]


def _typed_text(text: str | None) -> str:
    return re.sub(_CURRENCY_RE, "", (text or "").strip())


def parse_typed_amount(text: str | None) -> int | None:
    """PLN text of a canonical file -> grosze, in the canonical spelling or as Polish Excel writes
    it (the spellings above), or None. Exact: no float ever."""
    t = _typed_text(text)
    if not any(r.match(t) for r in _TYPED):
        return None
    t = re.sub(_GROUP_SPACES, "", t)
    if "," in t:
        t = t.replace(".", "").replace(",", ".")
    return parse_amount(t)


def is_ambiguous_amount(text: str | None) -> bool:
    """'1.234', '1,234', '12.345.678': a point or comma before three digits might separate
    thousands or decimals — refused with its own message rather than guessed."""
    return bool(re.match(AMBIGUOUS_AMOUNT_RE, _typed_text(text)))


def typed_amount_expr(col: str) -> pl.Expr:
    """The vectorised ``parse_typed_amount`` (property tests compare them, value by value and in
    frames mixing spellings). Issue 32: a text in the canonical spelling ('1234.56', nearly every
    line of a national close) is parsed by the canonical parser alone; only the others go through
    the typed spellings' patterns (1.23 M lines: 0.8 s → under 0.2 s). The value is the same either
    way: a canonical text is a typed one that the patterns leave as it is."""
    return pl.col(col).map_batches(_typed_series, return_dtype=pl.Int64, is_elementwise=True)


def _typed_series(s: pl.Series) -> pl.Series:
    return _beyond_canonical(s, lambda canonical: canonical, _typed_amount_expr)


def _beyond_canonical(s: pl.Series, fast, slow) -> pl.Series:
    """``fast(canonical values)``, with the texts the canonical parser cannot read (and only
    those) given ``slow("a")``'s value instead, each in its row."""
    frame = s.cast(pl.String).to_frame("a")
    canonical = frame.select(parse_amount_expr("a")).to_series()
    value = fast(canonical)
    rest = canonical.is_null() & frame["a"].is_not_null()
    if rest.any():
        where = rest.arg_true()
        value = value.scatter(where, frame["a"].gather(where).to_frame("a").select(slow("a")).to_series())
    return value.alias(s.name)


def _typed_amount_expr(col: str) -> pl.Expr:
    """Every typed spelling, as patterns (for the texts that are not canonical)."""
    s = pl.col(col).str.strip_chars().str.replace(_CURRENCY_RE, "")
    ok = s.str.contains(TYPED_PLAIN_RE) | s.str.contains(TYPED_SPACED_RE) | s.str.contains(TYPED_DOTTED_RE)
    bare = s.str.replace_all(_GROUP_SPACES, "")
    norm = (pl.when(bare.str.contains(",", literal=True))
            .then(bare.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
            .otherwise(bare))
    return pl.when(ok).then(parse_amount_expr(norm))


def ambiguous_amount_expr(col: str) -> pl.Expr:
    """The vectorised ``is_ambiguous_amount``. A canonical amount is never ambiguous (one point,
    then at most two digits), so only the other texts are matched against the pattern (issue 32)."""
    return pl.col(col).map_batches(lambda s: _beyond_canonical(s, lambda c: pl.repeat(False, c.len(), eager=True),
                                                               _ambiguous_expr),
                                   return_dtype=pl.Boolean, is_elementwise=True)


def _ambiguous_expr(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().str.replace(_CURRENCY_RE, "").str.contains(AMBIGUOUS_AMOUNT_RE).fill_null(False)


def grosze(text: str) -> int:
    """PLN text ('1234.5', '-0.01') -> grosze. Raises ValueError on anything else."""
    value = parse_amount(text)
    if value is None:
        raise ValueError(f"not an amount: {text!r}")
    return value


def pln(gr: int) -> str:
    """grosze -> PLN text with two decimals ('-0.05')."""
    sign = "-" if gr < 0 else ""
    q, r = divmod(abs(gr), 100)
    return f"{sign}{q}.{r:02d}"


def format_pl(gr: int | None) -> str:
    """grosze -> '1 234,56 zł', as people read amounts (a non-breaking thin space would not
    survive every terminal; a plain space does)."""
    if gr is None:
        return "—"
    sign = "-" if gr < 0 else ""
    q, r = divmod(abs(gr), 100)
    return f"{sign}{q:,}".replace(",", " ") + f",{r:02d} zł"


def to_decimal(gr: int | None) -> Decimal | None:
    """grosze -> exact Decimal with two places (for DuckDB parameters and openpyxl)."""
    return None if gr is None else Decimal(gr).scaleb(-2)


def from_decimal(value: Decimal | None) -> int | None:
    """A DECIMAL(18,2) read back from DuckDB -> grosze, exactly (never through a float)."""
    if value is None:
        return None
    scaled = Decimal(value).scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} is not a whole number of grosze")
    return int(scaled)


def sql_money(column: str) -> str:
    """DuckDB expression storing an Int64 grosze column as DECIMAL(18,2), exactly."""
    return f"CAST(CAST({column} AS DECIMAL(18,0)) * 0.01 AS DECIMAL(18,2))"


def sql_grosze(column: str) -> str:
    """DuckDB expression reading a DECIMAL(18,2) column back as BIGINT grosze, exactly."""
    return f"CAST({column} * 100 AS BIGINT)"


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


def decimal_text(x: Fraction, places: int) -> str:
    """An exact fraction rounded half-up to ``places`` decimals, as text (for DECIMAL(24,6) columns
    such as a delegate threshold in grosze, which may hold fractions of a grosz)."""
    scaled = half_up(Fraction(x) * 10 ** places)
    sign = "-" if scaled < 0 else ""
    q, rem = divmod(abs(scaled), 10 ** places)
    return f"{sign}{q}.{rem:0{places}d}"


def zloty(whole: int) -> int:
    """Whole złoty -> grosze."""
    return whole * 100


def share(gr: int, rate: Fraction) -> int:
    """rate × amount in grosze, rounded half-up to the grosz (``half_up(gr * rate)`` in integers:
    a national close makes a hundred thousand of them)."""
    n, d = gr * rate.numerator, rate.denominator
    q = (2 * abs(n) + d) // (2 * d)
    return q if n >= 0 else -q


# ---- polars expressions (vectorised, integer only) ----

def parse_amount_expr(col: str | pl.Expr) -> pl.Expr:
    """String column of PLN text -> Int64 grosze; null where the text is not an amount. Text the
    canonical pattern accepts (at most 13 digits of złoty, at most two decimals) is read by polars'
    exact decimal parser (issue 32: three times faster than splitting it; a property test compares
    it with ``parse_amount`` on any text)."""
    s = (pl.col(col) if isinstance(col, str) else col).str.strip_chars()
    value = (s.cast(pl.Decimal(16, 2), strict=False) * 100).cast(pl.Int64, strict=False)
    return pl.when(s.str.contains(AMOUNT_RE)).then(value)


def ratio_expr(gr: pl.Expr, numerator: pl.Expr | int, denominator: int) -> pl.Expr:
    """Vectorised half-up of grosze × numerator / denominator, exact in Int64 (the one vectorised
    rounding; ``numerator`` may be a column, e.g. a unit's raised rate)."""
    scaled = gr * numerator
    q = (scaled.abs() * 2 + denominator) // (2 * denominator)
    return pl.when(scaled >= 0).then(q).otherwise(-q)


def share_expr(gr: pl.Expr, rate: Fraction) -> pl.Expr:
    """Vectorised ``share``: rate × grosze, half-up, exact in Int64 (|gr × numerator| < 9.2e18)."""
    return ratio_expr(gr, rate.numerator, rate.denominator)
