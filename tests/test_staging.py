"""transforms/staging.py: a bad units.csv row lists every problem at once; a rulebook may let a
unit set its own share."""
import polars as pl

from flows.close import rules_for
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
