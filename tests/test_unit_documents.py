"""Issue 30, point 3: every document speaks its own union. A unit's settlement PDF and workbook take
their citations, payees, level labels and accounts from the unit's own rulebook and inputs: a
Przeróbka unit (demo SL-0004, rulebook przerobka, seed 003) never shows Solidarność's paragraphs
(004) or levels, shows its transfer to the Zarząd Krajowy with the account of national_accounts.csv and cites
003 Art. 31 ust. 4 ("Od wpływów ze składek członkowskich … odprowadzają obowiązkową składkę na
rzecz Krajowego Zarządu Związku"); a level no money of a unit can reach is never listed."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from flows import settings
from flows.rules import rules_for
from tests.conftest import close_plain
from transforms.rulebook import parse_rulebook

SOLIDARNOSC_TERMS = ("XIX KZD", "Komisja Krajowa", "KSEiR", "Kraj. Fundusz Strajkowy", "Krajowy Fundusz Strajkowy",
                     "fundusz strajkowy", "sekretariaty", "zarząd regionu", "Region Śląsko-Dąbrowski", "inne dochody")
SEED_004 = re.compile(r"(?<![\d-])004(?!\d)")       # "SL-0004" is the unit's id, not the seed
PRZEROBKA_ACCOUNT = "68 1090 1014 0000 9999 0000 0001"


@pytest.fixture(scope="module")
def demo_documents(tmp_path_factory) -> Path:
    """The demo's September and October closed, October's unit documents written."""
    tmp = tmp_path_factory.mktemp("demo")
    db, out = tmp / "demo.duckdb", tmp / "out"
    assert close_plain("2026-09", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    assert close_plain("2026-10", settings.DEMO_INBOX, db, out=out, unit_workbooks=True).ok
    return out / "jednostki"


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def workbook_text(path: Path) -> str:
    wb = load_workbook(path, read_only=True)
    return " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                    if v is not None)


def foreign(text: str) -> list[str]:
    return [t for t in SOLIDARNOSC_TERMS if t in text] + SEED_004.findall(text)


def test_a_przerobka_units_settlement_pdf_speaks_only_przerobka(demo_documents):
    """003 Art. 31 ust. 4: the unit pays the Zarząd Krajowy from the dues received; the PDF names it,
    its account (national_accounts.csv) and Przeróbka's article, and nothing of Solidarność (004)."""
    text = pdf_text(demo_documents / "rozliczenie_SL-0004_2026-10.pdf")
    assert not foreign(text), foreign(text)
    assert "Art. 31 ust. 4" in text and "PRZERÓBKA" in text
    assert "Zarząd Krajowy ZZ „Przeróbka”" in text
    assert PRZEROBKA_ACCOUNT in text
    assert "Składka na Zarząd Krajowy SL-0004 za 10/2026" in text


def test_a_przerobka_units_workbook_speaks_only_przerobka(demo_documents):
    """Every sheet of SL-0004's workbook: no Solidarność level, label or paragraph; the split is the
    unit and the Zarząd Krajowy only (the two levels money reaches under 003 Art. 31 ust. 4)."""
    path = demo_documents / "skladki_SL-0004_2026-10.xlsx"
    text = workbook_text(path)
    assert not foreign(text), foreign(text)
    assert "Art. 31 ust. 4" in text and PRZEROBKA_ACCOUNT in text
    wb = load_workbook(path, read_only=True)
    labels = [r[0] for r in wb["Podsumowanie"].iter_rows(values_only=True) if r and r[0]]
    assert [x for x in labels if str(x).startswith("Podział:")] == ["Podział: jednostka", "Podział: Zarząd Krajowy"]
    assert "Składki: praca zarobkowa" in labels            # Przeróbka's word for the category, not "inne dochody"
    # no money of the unit goes to a region, and 003 Art. 31 has no sheltered workplaces' rule (004 §3 ust. 2)
    assert "Region" not in labels and "Zakład pracy chronionej" not in labels


def test_a_solidarnosc_units_documents_keep_their_paragraphs_and_levels(demo_documents):
    """004 §10: a Solidarność unit's transfer of the dues received by the 20th, to its region's
    account; the split lists the Solidarność levels (004 §3 ust. 1)."""
    text = pdf_text(demo_documents / "rozliczenie_SL-0002_2026-10.pdf")
    assert "z otrzymanych składek (Uchwała nr 5 XIX KZD §10)" in text
    assert "Uchwała nr 5 XIX KZD §10: do 20. dnia następnego miesiąca" in text
    assert "95 1020 2313 0000 3102 0012 3456" in text and "Region Śląsko-Dąbrowski" in text
    for label in ("Komisja Krajowa", "sekretariaty branżowe i KSEiR", "reg. fundusz strajkowy",
                  "Kraj. Fundusz Strajkowy"):
        assert label in text
    assert "Zarząd Krajowy" not in text and "PRZERÓBKA" not in text
    book = workbook_text(demo_documents / "skladki_SL-0002_2026-10.xlsx")
    assert "Podział: Komisja Krajowa" in book and "Zarząd Krajowy" not in book


def test_a_sheltered_unit_never_lists_a_level_its_split_gives_nothing(demo_documents):
    """004 §3 ust. 2: a sheltered workplace's dues give the branch secretariats nothing (share 0), so
    SL-0003's documents do not list them at 0,00 zł."""
    text = pdf_text(demo_documents / "rozliczenie_SL-0003_2026-10.pdf")
    assert "sekretariaty" not in text and "Komisja Krajowa" in text
    assert "sekretariaty" not in workbook_text(demo_documents / "skladki_SL-0003_2026-10.xlsx")


def test_a_close_workbook_of_both_unions_names_each_unions_level(tmp_path, demo_documents):
    """The close workbook spans both unions: a level column says whose body it is for each."""
    wb = load_workbook(demo_documents.parent / "zamkniecie_2026-10.xlsx", read_only=True)
    headers = next(wb["Podsumowanie"].iter_rows(values_only=True))
    assert "Podział: Komisja Krajowa / Zarząd Krajowy" in headers
    payees = {r[2] for r in wb["Przelewy"].iter_rows(min_row=2, values_only=True) if r[1] == "SL-0004"}
    assert payees == {"Zarząd Krajowy ZZ „Przeróbka”"}


def test_without_national_csv_the_settlement_says_where_the_account_belongs(tmp_path):
    """No national_accounts.csv: the Przeróbka unit's settlement asks for the account in national_accounts.csv (never
    the regions' file: its transfer does not go to a region)."""
    inbox = tmp_path / "inbox"
    shutil.copytree(settings.DEMO_INBOX, inbox)
    (inbox / "national_accounts.csv").unlink()
    out = tmp_path / "out"
    assert close_plain("2026-10", inbox, tmp_path / "x.duckdb", out=out, unit_workbooks=True).ok
    text = pdf_text(out / "jednostki" / "rozliczenie_SL-0004_2026-10.pdf")
    assert "brak w national_accounts.csv" in text and "Zarząd Krajowy ZZ „Przeróbka”" in text


# ------------------------------------------------------------------ the rulebook's part

def test_paid_levels_are_the_levels_money_reaches():
    rules = rules_for("2026-10")
    sol, prz = rules.version("solidarnosc"), rules.version("przerobka")
    assert prz.paid_levels(False) == ("unit", "national")
    assert sol.paid_levels(False) == ("unit", "region", "national", "branch_secretariats", "regional_strike_fund",
                                      "national_strike_fund")
    assert "branch_secretariats" not in sol.paid_levels(True)       # 004 §3 ust. 2: share 0
    assert sol.region_payer == "region" and prz.region_payer is None


def test_labels_are_the_units_rulebooks_and_joined_without_one():
    rules = rules_for("2026-10")
    assert rules.level_label("national", "przerobka") == "Zarząd Krajowy"
    assert rules.level_label("national", "solidarnosc") == "Komisja Krajowa"
    assert rules.level_label("national") == "Komisja Krajowa / Zarząd Krajowy"
    assert rules.category_label("other_income", "przerobka") == "praca zarobkowa"
    assert rules.only({"solidarnosc"}).level_label("national") == "Komisja Krajowa"


def test_every_transfer_names_the_paragraph_of_the_dues_received():
    """A rulebook whose transfer names no ``received_source`` is refused when loaded: the
    settlement would otherwise print no paragraph, or another union's."""
    text = (settings.DATA / "rulebooks" / "przerobka.toml").read_text(encoding="utf-8")
    assert parse_rulebook(text).versions[0].transfers[0].received_source == "003 Art. 31 ust. 4"
    without = re.sub(r"\n\s*received_source = .*", "", text)
    with pytest.raises(ValueError, match="received_source"):
        parse_rulebook(without)


def test_the_units_settlement_file_carries_the_national_boards_account(demo_documents):
    """The settlement file a Przeróbka unit sends (issue 29's JSON) names the payee and account its
    PDF gives: the Zarząd Krajowy of national_accounts.csv (003 Art. 31 ust. 4)."""
    import json

    import duckdb

    from flows.settlement_out import issue
    from tests.conftest import approve_plain
    db = demo_documents.parent.parent / "demo.duckdb"
    assert approve_plain("2026-10", db, units=["SL-0004"]).ok
    con = duckdb.connect(str(db))
    try:
        _, data = issue(con, "2026-10", "SL-0004", rules_for("2026-10"))
    finally:
        con.close()
    transfers = json.loads(data)["transfers"]
    assert [(t["payee"], t["account"]) for t in transfers] == [("Zarząd Krajowy ZZ „Przeróbka”",
                                                                "PL68109010140000999900000001")]


# ------------------------------------------------------------------ unions 001 and 002: one level, no region

ONE_LEVEL = {
    # 001 §32 ust. 2 / 002 §30 ust. 1: the general meeting's amount; §23 / §18: the union's bodies only
    "mzzpsz": ("MZZPSZ", "Międzyzakładowy Związek Zawodowy Pracowników Systemów Zmianowych Ziemi Opolskiej",
               "Statut MZZ Pracowników Systemów Zmianowych §6 ust. 1, §32 ust. 2"),
    "ozz_srl": ("OZZSRL", "Ogólnopolski Związek Zawodowy Służb Ruchu Lotniczego",
                "Statut OZZ Służb Ruchu Lotniczego §8 ust. 1, §30 ust. 1"),
}
# what a union of one level, with no region, no sheltered-workplace rule and no raised dues never
# shows: Solidarność's names and levels, a region (or its empty placeholder), a "unit" below the
# union, 004 §3 ust. 2's sheltered workplace and 004 §2's raised dues
ONE_LEVEL_FOREIGN = ("Solidarność", "KZD", "Komisja Krajowa", "Region", "region", "(region -)", "jednost",
                     "Jednost", "chronionej", "odwyższ", "urlop bezpłatny")


@pytest.fixture(scope="module")
def one_level_documents(tmp_path_factory) -> dict[str, Path]:
    """The demo inboxes of unions 001 and 002 closed for October with their unit documents."""
    out = {}
    for name in ONE_LEVEL:
        tmp = tmp_path_factory.mktemp(name)
        assert close_plain("2026-10", settings.DATA / "demo_unions" / name, tmp / "x.duckdb", out=tmp / "out",
                           unit_workbooks=True).ok
        out[name] = tmp / "out" / "jednostki"
    return out


def one_level_foreign(text: str) -> list[str]:
    return [t for t in SOLIDARNOSC_TERMS + ONE_LEVEL_FOREIGN if t in text] + SEED_004.findall(text)


@pytest.mark.parametrize("name", sorted(ONE_LEVEL))
def test_a_one_level_unions_settlement_pdf_speaks_only_its_union(name, one_level_documents):
    """001 §32 ust. 2–§33 / 002 §30: the dues are the union's own, nothing is remitted, the union has
    no region (001 §23, 002 §18) and no raised dues or sheltered-workplace rule: the PDF names the
    union and says nothing of another union's levels, regions, units or paragraphs."""
    unit, union, _ = ONE_LEVEL[name]
    text = pdf_text(one_level_documents[name] / f"rozliczenie_{unit}_2026-10.pdf")
    assert not one_level_foreign(text), one_level_foreign(text)
    assert union in text and "Związek" in text
    # a line of its own under DO PRZELANIA, not a second blue heading; why there is nothing to pay
    assert "DO PRZELANIA Przelew nic do przelania w tym miesiącu (składki zostają w związku)" in text


@pytest.mark.parametrize("name", sorted(ONE_LEVEL))
def test_a_one_level_unions_workbook_speaks_only_its_union(name, one_level_documents):
    """Every sheet and page header of the union's workbook: its own name, its statute's paragraphs
    (001 §32 ust. 2 / 002 §30 ust. 1), the union as its only level; no region row, no unit, no
    sheltered workplace, no raised dues."""
    unit, union, citation = ONE_LEVEL[name]
    path = one_level_documents[name] / f"skladki_{unit}_2026-10.xlsx"
    wb = load_workbook(path)
    headers = " ".join(str(ws.oddHeader.center.text) for ws in wb.worksheets)
    text = workbook_text(path) + " " + headers
    assert not one_level_foreign(text), one_level_foreign(text)
    assert union in text and citation in text
    labels = [r[0] for r in wb["Podsumowanie"].iter_rows(values_only=True) if r and r[0]]
    assert [x for x in labels if str(x).startswith("Podział:")] == ["Podział: Związek"]
    assert "Związek" in labels


def test_przerobkas_category_labels_are_its_statutes_words():
    """003 Art. 31 ust. 3 pkt 2: pensioners and members "przebywających na zasiłku wychowawczym,
    zasiłku dla bezrobotnych lub zasiłku i świadczeniu przedemerytalnym" — not Solidarność's
    "bezrobotny/urlop bezpłatny" (004 §1 ust. 1 pkt 4)."""
    rules = rules_for("2026-10")
    label = rules.category_label("unemployed", "przerobka")
    assert "urlop bezpłatny" not in label and "zasiłku" in label
    assert rules.category_label("unemployed", "solidarnosc") == "bezrobotny/urlop bezpłatny"
