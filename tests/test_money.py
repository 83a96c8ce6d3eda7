from fractions import Fraction

import polars as pl
from hypothesis import given, settings as hsettings, strategies as st

from transforms.money import grosze, half_up, parse_amount_expr, pln, share, share_expr


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
