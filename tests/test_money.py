from fractions import Fraction

import polars as pl
from hypothesis import given, settings as hsettings, strategies as st

from transforms.money import grosze, half_up, parse_amount, parse_amount_expr, pln, share, share_expr


def test_rules_example_half_up_not_half_even():
    # RULES.md: 1 025.00 × 0.82 % = 8.405 -> 8.41 (half-even would give 8.40)
    assert share(grosze("1025.00"), Fraction("0.0082")) == 841


def test_half_up_is_symmetric_away_from_zero():
    assert half_up(Fraction(5, 2)) == 3
    assert half_up(Fraction(-5, 2)) == -3
    assert half_up(Fraction(249, 100)) == 2


def test_grosze_parses_exact_text_and_rejects_the_rest():
    assert grosze("1234.5") == 123450
    assert grosze("-0.01") == -1
    assert grosze("7") == 700
    for bad in ("1 234,56", "12,50", "1.234", "", "abc", "1e3"):
        try:
            grosze(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} accepted")


def test_pln_round_trips():
    assert pln(-5) == "-0.05"
    assert pln(123450) == "1234.50"


@given(st.integers(min_value=-10**11, max_value=10**11))
def test_parse_amount_expr_matches_grosze(g):
    text = pln(g)
    df = pl.DataFrame({"a": [text, "12,5"]}).with_columns(v=parse_amount_expr("a"))
    assert df["v"].to_list() == [g, None]


@hsettings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="0123456789.-+ e\u0663\uff11", max_size=18),
                          st.integers(-10**13 + 1, 10**13 - 1).map(lambda g: pln(g)),
                          st.sampled_from(["9999999999999.99", "-9999999999999.99", "99999999999999", "0.5", "-0",
                                           "007.50", "12.", ".5", "NaN", "inf", "1e3"])), max_size=20))
def test_issue_32_parse_amount_expr_equals_the_scalar_parser_on_any_text(texts):
    frame = pl.DataFrame({"a": texts}, schema={"a": pl.String}).with_columns(v=parse_amount_expr("a"))
    assert frame["v"].to_list() == [parse_amount(t) for t in texts]


@given(st.integers(min_value=-10**10, max_value=10**10),
       st.sampled_from(["0.0082", "0.01", "0.40", "0.025", "0.15", "0.02", "0.5"]))
def test_share_expr_matches_scalar_share(g, rate):
    r = Fraction(rate)
    out = pl.DataFrame({"g": [g]}).select(share_expr(pl.col("g"), r))[0, 0]
    assert out == share(g, r)


@hsettings(max_examples=500, deadline=None)
@given(st.integers(-10**12, 10**12), st.fractions(min_value=0, max_value=3, max_denominator=10**6))
def test_issue_15_integer_share_equals_half_up_of_the_exact_product(g, rate):
    assert share(g, rate) == half_up(g * rate)


# ---------------------------------------------------------------- issue 26: amounts as Polish Excel types them

from transforms.money import (ambiguous_amount_expr, is_ambiguous_amount, parse_typed_amount,  # noqa: E402
                              typed_amount_expr)


def test_issue_26_canonical_files_accept_the_polish_spellings_of_an_amount():
    for text, gr in [("5,00", 500), ("15,50", 1550), ("1 234,56", 123456), ("1\u00a0234,56", 123456),
                     ("1\u202f234,5", 123450), ("1.234,56", 123456), ("12.345.678,90", 1234567890),
                     ("-50,00", -5000), ("1 234", 123400), ("1 234.56", 123456), ("1234.56", 123456),
                     ("7", 700), ("0,5", 50), (" 15,50 ", 1550), ("15,50 zł", 1550), ("1 234,56zł", 123456)]:
        assert parse_typed_amount(text) == gr, text


def test_issue_26_an_ambiguous_or_malformed_amount_is_refused_never_guessed():
    for text in ("1.234", "1,234", "12.345.678", "1,234.56", "-1.250"):
        assert parse_typed_amount(text) is None and is_ambiguous_amount(text), text
    for text in ("1.234.56", "12 34,56", "1234,567", "1,2,3", "1.234.5", "1 234.567", "", "abc", "1e3",
                 "12.5.0", "1234.567", "zł"):
        assert parse_typed_amount(text) is None, text
    assert not is_ambiguous_amount("1234.567") and not is_ambiguous_amount("12,5")


SPELLINGS = st.sampled_from(["{s}{w}.{f}", "{s}{w},{f}", "{s}{g},{f}", "{s}{d},{f}", "{s}{g}", "{s}{d}",
                             "{s}{w}", "{s}{w},{f} zł", "{s}{g}.{f}", "{s}{w}.{f}{f}"])


@hsettings(max_examples=400, deadline=None)
@given(st.integers(0, 10**13 - 1), st.integers(0, 99), st.booleans(), SPELLINGS,
       st.sampled_from([" ", "\u00a0", "\u202f"]))
def test_issue_26_typed_amount_expr_equals_the_scalar_parser(whole, frac, negative, spelling, space):
    grouped = f"{whole:,}"
    text = spelling.format(s="-" if negative else "", w=whole, f=f"{frac:02d}", g=grouped.replace(",", space),
                           d=grouped.replace(",", "."))
    frame = pl.DataFrame({"a": [text]}).with_columns(v=typed_amount_expr("a"), amb=ambiguous_amount_expr("a"))
    assert frame["v"].to_list() == [parse_typed_amount(text)]
    assert frame["amb"].to_list() == [is_ambiguous_amount(text)]
    value = whole * 100 + (frac if "{f}" in spelling else 0)
    expected = (None if spelling.endswith("{f}{f}") or (spelling == "{s}{d}" and whole >= 1000)
                else -value if negative else value)
    assert parse_typed_amount(text) == expected


@hsettings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 .,-\u00a0zł", max_size=16))
def test_issue_26_typed_amount_expr_equals_the_scalar_parser_on_any_text(text):
    frame = pl.DataFrame({"a": [text]}).with_columns(v=typed_amount_expr("a"), amb=ambiguous_amount_expr("a"))
    assert frame["v"].to_list() == [parse_typed_amount(text)]
    assert frame["amb"].to_list() == [is_ambiguous_amount(text)]


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="0123456789 .,-\u00a0zł\uff11", max_size=16), st.none(),
                          st.decimals(-10**6, 10**6, places=2).map(str)), max_size=30))
def test_issue_32_typed_amounts_of_a_frame_mixing_spellings_equal_the_scalar_parser(texts):
    """Canonical texts take the fast path and the others the patterns, in one frame: each value
    is the scalar parser's, in its row (a wrong scatter would move or lose one)."""
    frame = pl.DataFrame({"a": texts}, schema={"a": pl.String}).with_columns(v=typed_amount_expr("a"))
    assert frame["v"].to_list() == [None if t is None else parse_typed_amount(t) for t in texts]
    frame = pl.DataFrame({"a": texts}, schema={"a": pl.String}).with_columns(amb=ambiguous_amount_expr("a"))
    assert frame["amb"].to_list() == [False if t is None else is_ambiguous_amount(t) for t in texts]
    lazy = pl.LazyFrame({"a": texts}, schema={"a": pl.String}).filter(pl.col("a").is_not_null())
    kept = [t for t in texts if t is not None]
    assert lazy.select(typed_amount_expr("a")).collect()["a"].to_list() == [parse_typed_amount(t) for t in kept]


# ---------------------------------------------------------------- issue 28: the one amount parser

from transforms.money import parse_amount  # noqa: E402


def test_issue_28_bank_options_of_the_one_parser():
    bank = dict(plus=True, currency=True, max_digits=None)
    assert parse_amount("1 234,56 PLN", ",", " ", **bank) == 123456
    assert parse_amount("+415.97", ".", **bank) == 41597 and parse_amount("+415.97", ".") is None
    assert parse_amount("-1.234,56", ",", ".", **bank) == -123456 and parse_amount("-1.234,56", ",") is None
    assert parse_amount("99999999999999999999,99", ",", **bank) == 9999999999999999999999
    assert parse_amount("99999999999999999999,99", ",") is None          # 13 digits of złoty at most
    assert parse_amount("1,2,3", ",", " ", **bank) is None and parse_amount("12,345", ",", **bank) is None
    assert parse_amount("+-5", ".", **bank) is None and parse_amount("12 PLN", ".") is None


@given(st.integers(min_value=-10**15 + 1, max_value=10**15 - 1))
def test_issue_28_every_spelling_of_an_amount_reads_back_the_same(g):
    whole, frac = divmod(abs(g), 100)
    sign = "-" if g < 0 else ""
    spaced = f"{whole:,}".replace(",", " ")
    assert parse_amount(f"{sign}{whole}.{frac:02d}") == g
    assert parse_amount(f"{sign}{spaced},{frac:02d}", ",") == g
    assert parse_amount(f"{sign}{whole:,},{frac:02d}".replace(",", ".", f"{whole:,}".count(",")), ",", ".",
                        plus=True, currency=True, max_digits=None) == g
