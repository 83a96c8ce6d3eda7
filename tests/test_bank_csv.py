"""Issue 12: every shipped bank CSV profile (data/bank_profiles/*.toml) reads its fixture
(tests/fixtures/bank_csv/build.py) through the one generic reader, which names no bank."""
from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from flows import settings
from flows.reconcile import bank_profiles, read_bank_csv
from transforms import bank_csv

HERE = Path(__file__).resolve().parent / "fixtures" / "bank_csv"
HUTA, SZPITAL = "PL07109010140000000000000001", "PL77109010140000000000000002"
CREDITS = [(date(2026, 11, 18), 123456, HUTA), (date(2026, 11, 19), 9840, SZPITAL)]
FEE = (date(2026, 11, 30), -1500, None, "Opłata za prowadzenie rachunku")
SHIPPED = ["ing", "mbank_historia", "mbank_lista_operacji", "millennium", "pekao", "pko_bp", "santander"]


def read(name: str):
    entries, found = read_bank_csv((HERE / f"{name}.csv").read_bytes(), f"{name}.csv", "2026-10")
    return entries, found


@pytest.mark.parametrize("name", SHIPPED)
def test_every_profile_reads_its_fixture(name):
    entries, found = read(name)
    credits = [(e["booking_date"], e["amount"], e["account"]) for e in entries if e["direction"] == "credit"]
    assert credits[:2] == CREDITS
    titles = [e["title"] for e in entries if e["direction"] == "credit"][:2]
    assert "10/2026" in titles[0].upper() and "10/2026" in titles[1]
    debits = [(e["booking_date"], e["amount"], e["account"], e["title"]) for e in entries if e["direction"] == "debit"]
    assert debits in ([FEE], [], [(FEE[0], FEE[1], None, "OPŁATA ZA PROWADZENIE RACHUNKU")])
    # a bad row is one record naming its line; the rest of the file is used
    expected_bad = {"mbank_historia": 1, "santander": 1, "pekao": 1}.get(name, 0)
    assert [f.reason_code for f in found] == ["bad_statement_row"] * expected_bad


def test_the_titles_and_payers_read_from_label_value_columns():
    entries, _ = read("pko_bp")
    assert [(e["title"], e["counterparty"]) for e in entries] == [
        ("SKŁADKI 10/2026", "NSZZ SOLIDARNOŚĆ HUTY KATOWICE"), ("Składki 10/2026", "NSZZ Solidarność Szpitala"),
        ("Opłata za prowadzenie rachunku", "")]


def test_a_bad_row_names_its_line_in_the_file():
    _, found = read("pekao")
    assert found[0].message == ("pekao.csv, wiersz 5: kwota '12,3,4' nie jest kwotą (separator dziesiętny ','). "
                                "Pozycja nie jest użyta; pozostałe pozycje pliku są.")
    _, found = read("mbank_historia")
    assert found[0].row == 9 and "2026-11-31" in found[0].message


def test_the_ing_header_is_found_on_line_22():
    content = (HERE / "ing.csv").read_bytes().decode("cp1250")
    profile = next(p for p in bank_profiles() if p["name"] == "ing")
    rows = bank_csv.rows_of(content, profile)
    assert rows[bank_csv.find_header(rows, profile)][0] == 22


def test_every_profile_is_shipped_with_its_documentation_and_a_fixture():
    names = sorted(p.stem for p in settings.BANK_PROFILES.glob("*.toml"))
    assert set(SHIPPED) <= set(names)
    for path in settings.BANK_PROFILES.glob("*.toml"):
        profile = tomllib.loads(path.read_text(encoding="utf-8"))
        assert profile["name"] == path.stem and profile["documentation"] and profile["bank"]
        assert path.stem == "bank_csv_cp1250" or (HERE / f"{path.stem}.csv").exists()


def test_the_reader_names_no_bank():
    source = Path(bank_csv.__file__).read_text(encoding="utf-8").lower()
    banks = {tomllib.loads(p.read_text(encoding="utf-8"))["bank"].split()[0].lower()
             for p in settings.BANK_PROFILES.glob("*.toml")} - {"układ"}
    assert banks >= {"mbank", "ing", "pko", "bank", "santander"}
    banks = {b for b in banks if b != "bank"} | {"millennium", "pekao"}
    assert [b for b in banks if re.search(rf"\b{re.escape(b)}\b", source)] == []


def test_a_file_no_profile_knows_is_one_record_listing_what_is_known(tmp_path):
    entries, found = read_bank_csv("Data;Coś\n01.01.2026;1\n".encode("cp1250"), "x.csv", "2026-10")
    assert entries == [] and found[0].reason_code == "bad_statement"
    assert "mBank: #Data operacji" in found[0].message


OWN = "PL95102023130000310200123456"      # the fixtures' own account (Region Śląsko-Dąbrowski)


@pytest.mark.parametrize("name", SHIPPED)
def test_issue_27_every_profile_reads_the_statements_own_account_where_the_file_says_it(name):
    """The preamble ("Wybrane rachunki", "#Rachunek") or the profile's own_account column; PKO BP's
    and Santander's exports do not say it (unknown, never guessed)."""
    entries, _ = read(name)
    own = {e["own_account"] for e in entries if e["direction"] == "credit"}
    assert own == ({None} if name in ("pko_bp", "santander") else {OWN})


def test_issue_27_a_row_the_csv_module_cannot_read_or_a_monstrous_cell_is_one_bad_row():
    rows = ["Data księgowania;Kwota;Rachunek kontrahenta;Nazwa kontrahenta;Tytuł",
            '18.11.2026;"1,00";;X;"' + "A" * 200_000 + '"', '19.11.2026;"2,00";;X;"' + "B" * 5_000 + '"',
            '20.11.2026;"99999999999999999999,99";;X;"T"', '21.11.2026;"4,00";;X;"T"']
    entries, found = read_bank_csv("\r\n".join(rows).encode("cp1250"), "w.csv", "2026-10")
    assert [e["amount"] for e in entries] == [400]
    assert [(f.reason_code, f.row) for f in found] == [("bad_statement_row", 2), ("bad_statement_row", 3),
                                                       ("bad_statement_row", 4)]
    assert "przekracza 10 000 000,00 zł" in found[2].message and "5000 znaków" in found[1].message


@pytest.mark.parametrize("ends", ["\r\n", "\n", "\r"])
def test_issue_27_any_line_ends_read_the_same_entries_on_the_same_lines(ends):
    """The csv module wants its text with the line ends untouched (newline=''): a file saved with
    old Mac line ends ('\\r') is not a file of unreadable rows."""
    content = (HERE / "ing.csv").read_bytes().decode("cp1250").replace("\r\n", "\n").replace("\n", ends)
    entries, found = read_bank_csv(content.encode("cp1250"), "ing.csv", "2026-10")
    assert found == [] and [(e["entry"], e["amount"]) for e in entries] == [(23, 123456), (24, 9840), (25, -1500)]
