"""transforms/staging.py: a bad units.csv row lists every problem at once; a rulebook may let a
unit set its own share."""
import polars as pl

from flows.rules import rules_for
from transforms.staging import stage_units

RULES = rules_for("2026-10")


def raw(**kw):
    row = {"unit_id": "U1", "region_id": "R1", "voivodeship": "śląskie", "sheltered": None, "raised_pct": None,
           "unemployed_flat": None, "pensioner_flat": None, "rulebook": None, "bank_account": None,
           "national_contribution_pct": None, "name": None, "_source": "units.csv", "_row": 1}
    return pl.DataFrame([{**row, **kw}])


def test_every_problem_of_a_row_in_one_message():
    staged = stage_units(raw(voivodeship="Slaskie", sheltered="tak", raised_pct="250"), RULES)
    assert staged.units.height == 0 and staged.rejected_ids == {"U1"}
    assert staged.issues[0].message == (
        "units.csv, wiersz 1 (jednostka U1): województwo 'Slaskie' nie jest jednym z 16 (małymi literami, np. "
        "'śląskie'); sheltered 'tak' musi mieć wartość true albo false; raised_pct 250 jest poza zakresem "
        "100–200 (004 §2 ust. 1: najwyżej 200 % składki z §1). Popraw wiersz; do tego czasu członkowie tej "
        "jednostki są zablokowani.")


def test_the_default_rulebook_and_an_override_only_where_the_rulebook_allows_it():
    assert stage_units(raw(), RULES).units["rulebook"].to_list() == [RULES.default]
    bad = stage_units(raw(national_contribution_pct="12"), RULES)
    assert "national_contribution_pct dotyczy tylko regulaminów" in bad.issues[0].message
    ok = stage_units(raw(rulebook="przerobka", national_contribution_pct="12"), RULES)
    assert ok.units["national_contribution_pct"].to_list() == ["12"]


from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402
from stdnum.pl import pesel as stdnum_pesel  # noqa: E402

from transforms.staging import valid_pesels  # noqa: E402


def _with_check(first10: str) -> str:
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    return first10 + str((10 - sum(int(c) * w for c, w in zip(first10, weights)) % 10) % 10)


pesel_like = st.one_of(
    st.text("0123456789", min_size=11, max_size=11),                                    # mostly invalid
    st.text("0123456789", min_size=10, max_size=10).map(_with_check),                   # right check digit
    st.builds(lambda y, m, d, s: _with_check(f"{y:02d}{m:02d}{d:02d}{s:04d}"),          # plausible dates
              st.integers(0, 99), st.integers(0, 99), st.integers(0, 39), st.integers(0, 9999)),
    st.text("0123456789 -x", min_size=0, max_size=14))


@hsettings(max_examples=300, deadline=None)
@given(st.lists(pesel_like, min_size=1, max_size=40))
def test_issue_15_the_vectorised_pesel_check_equals_python_stdnum(values):
    assert valid_pesels(values) == {v for v in values if stdnum_pesel.is_valid(v)}


# ---------------------------------------------------------------- issue 15: vectorised member checks

from datetime import date  # noqa: E402

from tests.reference_staging import stage_members_by_row  # noqa: E402
from transforms.staging import WHITESPACE, stage_members  # noqa: E402

UNITS = stage_units(pl.DataFrame([
    {"unit_id": u, "region_id": "R1", "voivodeship": v, "rulebook": b, "_source": "units.csv", "_row": i}
    for i, (u, v, b) in enumerate([("U1", "śląskie", None), ("U2", "śląskie", "przerobka"),
                                   ("U3", "Slaskie", None)], start=1)]), RULES)
cell = st.sampled_from
MEMBER_CELLS = {
    "member_id": cell(["M1", "M2", " M3 ", "", None, "M4"]),
    "unit_id": cell(["U1", "U2", "U3", "U9", "", None, " U1\x1c"]),
    "category": cell(["employee", "pensioner", "unemployed", "business", "retiree", "", " employee ",
                      "pracownik", " Emeryt/Rencista", "PRACA ZAROBKOWA", "inne dochody", "Employee", "emeryt"]),
    "joined_on": cell(["2020-01-15", "2026-10-31", "2026-11-01", "2026-02-30", "0000-01-01", "15.01.2020", "",
                       None, " 2021-05-01\t", "2026-1-05", "19.06.1996", "31.02.2020", "1.02.2020", "01.10.2026",
                       "00.01.0000"]),
    "left_on": cell([None, "", "2026-10-01", "2026-09-30", "2019-12-31", "2021-04-30", "zły", "2027-01-01",
                     "30.09.2026", "31.09.2026"]),
    "pesel": cell([None, "", "44051401359", "44051401358", " 02070803628 ", "0207-0803628", "12345678901", "abc"]),
    "staff_number": cell([None, "", "K1", "K2", " K1"]),
    "full_name": cell([None, "Jan Kowalski", " Anna Nowak "]),
    "_cells": cell([None, None, None, 3]),
}
member_row = st.fixed_dictionaries(MEMBER_CELLS)


@hsettings(max_examples=300, deadline=None)
@given(st.lists(member_row, min_size=1, max_size=12))
def test_issue_15_vectorised_member_checks_equal_the_row_by_row_reference(rows):
    raw = pl.DataFrame([{**r, "_source": "members.csv", "_row": i, "_header_cells": 9}
                        for i, r in enumerate(rows, start=1)],
                       schema={**{c: pl.String for c in MEMBER_CELLS if c != "_cells"},
                               "_cells": pl.Int64, "_source": pl.String, "_row": pl.Int64, "_header_cells": pl.Int64})
    new, old = stage_members(raw, UNITS, RULES), stage_members_by_row(raw, UNITS, RULES)
    assert [i.as_row() for i in new.issues] == [i.as_row() for i in old.issues]
    assert new.members.to_dicts() == old.members.to_dicts()
    assert new.history.to_dicts() == old.history.to_dicts()
    assert new.rejected_ids == old.rejected_ids
    assert sorted(new.register.to_list()) == sorted(old.known_ids)        # issue 32: a Series, not a set
    assert new.known(old.known_ids | {'nie ma takiego'}) == old.known_ids


def test_issue_15_cells_are_stripped_as_python_strips_them():
    assert WHITESPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    assert date(2026, 1, 1).isoformat() == "2026-01-01"


def test_full_width_digits_are_no_percentage_and_a_period_has_no_trailing_newline():
    """'１５０' reads as 150 to Python's int(); a units.csv cell of it is refused like any other typo."""
    from transforms.staging import is_period
    staged = stage_units(raw(raised_pct="１５０"), RULES)
    assert staged.rejected_ids == {"U1"} and "raised_pct" in staged.issues[0].message
    assert is_period("2026-10") and not is_period("2026-10\n")


# ---------------------------------------------------------------- issue 32: amounts read once

def test_issue_32_income_amounts_in_every_spelling_and_the_unreadable_ones_in_one_file():
    """Canonical, Polish-Excel, ambiguous and unreadable amounts side by side: each line gets its
    value or its own message, in its row (the fast path for canonical text moves nothing)."""
    from transforms.staging import stage_income
    members = stage_members(pl.DataFrame([
        {"member_id": "M1", "unit_id": "U1", "category": "employee", "joined_on": "2020-01-15",
         "_source": "members.csv", "_row": 1}]), UNITS, RULES)
    amounts = ["4000.00", "1 234,56", "1.234", "12,3x", "350.5", "1.234,56 zł", "0,50"]
    raw = pl.DataFrame({"period": ["2026-10"] * len(amounts), "member_id": ["M1"] * len(amounts),
                        "component": ["wage"] * len(amounts), "amount": amounts,
                        "_source": ["income/a.csv"] * len(amounts), "_row": list(range(1, len(amounts) + 1))})
    staged = stage_income(raw, members, UNITS, RULES)
    assert staged.status.sort("_row")["amount_gr"].to_list() == [400000, 123456, None, None, 35050, 123456, 50]
    found = {(r["row"], r["reason_code"]): r["message"] for r in staged.issues.iter_rows(named=True)}
    assert set(found) == {(3, "bad_amount"), (4, "bad_amount")}
    assert "'1.234' jest niejednoznaczna" in found[3, "bad_amount"]          # amount_ambiguous
    assert "'12,3x'" in found[4, "bad_amount"] and "niejednoznaczna" not in found[4, "bad_amount"]
    assert staged.blocked_ids == {"M1"}
