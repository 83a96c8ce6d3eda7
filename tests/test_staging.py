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
