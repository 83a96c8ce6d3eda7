"""Issue 12: MT940 as Polish banks really write it. Each fixture (tests/fixtures/mt940/build.py)
is one dialect: its encoding, :86: separator and quirks; every credit's amount, date, account and
title is asserted."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from flows.reconcile import read_mt940, read_statements
from transforms.statements import decode_statement, separator_86, subfields_86

HERE = Path(__file__).resolve().parent / "fixtures" / "mt940"


def entries(name: str):
    got, found, identity = read_mt940((HERE / name).read_bytes(), name, "2026-10")
    return [(e["booking_date"], e["amount"], e["account"], e["title"]) for e in got], found, identity


@pytest.mark.parametrize("name,encoding", [
    ("mbank_utf8.sta", "utf-8"), ("pekao_caret_cp1250.sta", "cp1250"), ("bnp_caret_iso88592.sta", "iso-8859-2"),
    ("cp852_lt.sta", "cp852"), ("pko_filler.sta", "cp1250")])
def test_the_encoding_is_detected(name, encoding):
    assert decode_statement((HERE / name).read_bytes())[1] == encoding


def test_mbank_utf8_with_the_account_written_in_the_text():
    got, found, _ = entries("mbank_utf8.sta")
    assert found == []
    assert got == [(date(2026, 11, 18), 123456, "PL07109010140000000000000001",
                    "SKŁADKI 10/2026 NSZZ SOLIDARNOŚĆ HUTY KATOWICE Z RACH.: 07 1090 1014 0000 0000 0000 0001")]


def test_pekao_caret_separator_and_iban_in_38():
    got, found, _ = entries("pekao_caret_cp1250.sta")
    assert found == [] and got == [(date(2026, 11, 19), 9840, "PL77109010140000000000000002",
                                    "Składki 10/2026 szpital Gliwice")]


def test_bnp_caret_separator_iso_8859_2_and_bank_plus_account_subfields():
    got, found, _ = entries("bnp_caret_iso88592.sta")
    assert found == [] and got == [(date(2026, 11, 20), 41597, "PL23109010140000000000000004",
                                    "ZZ PRZERÓBKA składka 10/2026")]


def test_cp852_and_the_lt_separator():
    got, found, _ = entries("cp852_lt.sta")
    assert found == [] and got == [(date(2026, 11, 17), 5000, None, "Składka członkowska źródło 10/2026")]


def test_plus_separator():
    got, _, _ = entries("plus_separator.sta")
    assert got == [(date(2026, 11, 16), 1000, None, "SKL 10/2026")]


def test_pko_filler_bytes_line_breaks_and_pieces_that_cut_a_period_and_a_name():
    """'ZA 10/20' + '26' is October 2026 again, 'HUTY KATO' + 'WICE' is the unit's name again."""
    got, found, _ = entries("pko_filler.sta")
    assert found == []
    assert got == [(date(2026, 11, 20), 200000, None, "ZA 10/2026 NSZZ SOLIDARNOSC HUTY KATOWICE"),
                   (date(2026, 11, 21), -1500, None, "Prowizja za przelew")]


def test_a_foreign_currency_statement_is_one_record_never_zloty():
    got, found, _ = entries("eur.sta")
    assert got == []
    assert [f.message for f in found] == [
        "eur.sta: wyciąg rachunku /PL95102023130000310200123456 jest w walucie EUR, nie w złotych; jego pozycje "
        "nie są liczone jako złote. Uzgodnij składki z wyciągu rachunku złotowego; wpływy w walucie rozlicz osobno."]


@pytest.mark.parametrize("name,number,amount", [
    ("number_01_2023_M.sta", "01/2023/M", 100), ("number_00001_001.sta", "00001/001", 200), ("number_5.sta", "5", 300)])
def test_every_form_of_the_statement_number(name, number, amount):
    got, found, identity = entries(name)
    assert found == [] and [g[1] for g in got] == [amount] and identity[1] == number


def test_an_unreadable_statement_is_one_record_naming_the_file_and_line_and_the_others_are_used(tmp_path):
    for name in ("unreadable.sta", "pekao_caret_cp1250.sta"):
        shutil.copy(HERE / name, tmp_path / name)
    credits, found = read_statements(tmp_path, "2026-10")
    assert [c["amount"] for c in credits] == [9840]
    assert [f.message for f in found] == [
        "unreadable.sta, wiersz 4: nie można odczytać pola :60F: 'X261031PLN0,00' (plik odczytany jako utf-8). "
        "Wyciąg nie jest użyty; pozostałe pliki są."]


def test_separator_detection_and_exact_joining():
    assert separator_86("020^00PRZELEW^20A") == "^" and separator_86("NOTPROVIDED") == "~"
    assert subfields_86("020~20ZA 10/20~2126\r\n~32HUTA KATO\nWICE") == {"20": "ZA 10/20", "21": "26",
                                                                       "32": "HUTA KATOWICE"}
