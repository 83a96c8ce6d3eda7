"""Issue 31 point 5: the payroll systems' own names of their standard pay elements, each classified in
or out of the base of 004 §1 ust. 1 pkt 1 (or as no income at all) with the public page it comes from."""
from __future__ import annotations

import tomllib

import pytest

from flows import payroll_inbox, settings
from tests.conftest import dues_of, member, run_close, write_inbox
from transforms.payroll import NOT_INCOME, normalise

DOC = tomllib.loads((settings.PROFILES / "components.toml").read_text(encoding="utf-8"))
CODES = set(DOC["labels"])


def test_every_systems_names_are_sourced_and_counted():
    systems = {s["name"]: s for s in DOC["system"]}
    assert {"enova365", "comarch_optima", "comarch_xl_hr"} <= set(systems)
    for s in systems.values():
        names = [n for b in s["block"] for n in b.get("names", [])]
        left = [n for b in s["block"] for n in b.get("left_out", [])]
        assert s["listed"] == len(names) + len(left), s["name"]           # every listed name accounted for
        assert all(b["source"].startswith("https://") for b in s["block"])
        assert len({n["name"] for n in names + left}) == len(names) + len(left)
        assert all(n["code"] in CODES for n in names)
        assert all(n["why"] for n in left) and all(n.get("judgement", "x") for n in names)
    assert systems["enova365"]["listed"] == 105
    assert set(DOC["codes"]) <= CODES                 # the shipped dictionary keeps to its own codes


@pytest.mark.parametrize("name,code", [
    ("Wynagrodzenie zasadnicze mies.", "wage"), ("Wynagr.urlop wypoczynkowy", "wage"),
    ("Dopłata godz.nocne 20%", "allowance"), ("Dopłata do n.godz. 50%", "overtime"), ("Premia", "bonus"),
    ("Wynagr.chorobowe", "sick_pay"), ("Zas.chorobowy", "benefit"), ("Zas.macierzyński", "benefit"),
    ("Nagroda pieniężna", "award"), ("Ekwiwalent za czas urlopu", "leave_equivalent"),
    ("Świadczenie socjalne", "social_fund"), ("PIT-11.6.Umowa zlecenia (20% k.u.)", "other_income"),
    ("Alimenty", NOT_INCOME), ("Przychód od skł. pracodawcy PPK (etat)", NOT_INCOME),
    ("Ekwiwalent za niewykorzystany urlop", "leave_equivalent"), ("Odprawa pośmiertna", "severance"),
    ("Potrącenie komornicze", NOT_INCOME), ("Wynagrodzenie za czas url. okoliczn.", "wage"),
])
def test_standard_names_of_enova365_and_comarch_are_classified(name, code):
    assert payroll_inbox.dictionary()[normalise(name)] == code


@pytest.mark.parametrize("name", ["Składki członkowskie", "Premia z błędem", "IFT-1.2.Dywidendy"])
def test_names_left_out_stay_unknown(name):
    assert normalise(name) not in payroll_inbox.dictionary()


PROFILE = """name = "enova_wide"
format = "csv"
encoding = "utf-8"
separator = ";"
decimal = ","
layout = "wide"
signature = ["Kod", "Okres", "Składki członkowskie"]
ignore = ["Nazwisko"]
[identify]
by = "member_id"
column = "Kod"
[period]
column = "Okres"
format = "YYYY-MM"
[deducted]
column = "Składki członkowskie"
"""


def test_an_enova365_list_with_its_own_names_closes_without_exceptions(tmp_path, monkeypatch):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "enova_wide.toml").write_text(PROFILE, encoding="utf-8")
    monkeypatch.setenv("SKLADKI_PROFILES", str(profiles))
    inbox = write_inbox(tmp_path / "inbox", members=[member("M1")])
    (inbox / "income").mkdir()
    (inbox / "income" / "enova.csv").write_text(
        "Kod;Nazwisko;Okres;Wynagrodzenie zasadnicze mies.;Dopłata do n.godz. 50%;Zas.chorobowy;"
        "Nagroda pieniężna;Alimenty;Przychód od skł. pracodawcy PPK (etat);Składki członkowskie\n"
        'M1;X;2026-10;"5 000,00";"250,00";"300,00";"1 000,00";"500,00";"75,00";"45,51"\n', encoding="utf-8")
    r = run_close(inbox)
    assert r.exceptions.height == 0, r.exceptions["message"].to_list()
    assert dues_of(r, "M1")["base"] == 555_000               # wage + overtime + benefit; not the award, not alimony
    assert dues_of(r, "M1")["dues"] == 4_551
