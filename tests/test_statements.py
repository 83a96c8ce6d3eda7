"""transforms/statements.py: accounts from :86: subfields or the text; transforms/bank_csv.py: a
bad bank-CSV row is a record and the rest of the file is used."""
from datetime import date

from transforms.bank_csv import parse, parse_amount, parse_date
from transforms.statements import account_from_86

PROFILE = {"signature": ["Data", "Kwota"], "date": {"column": "Data", "format": "DD.MM.YYYY"},
           "amount": {"column": "Kwota", "decimal": ","}, "account": {"column": "Rachunek"},
           "title": {"column": "Tytuł"}}


def test_account_from_iban_or_bank_plus_account_or_the_text():
    assert account_from_86("~20X~38PL61109010140000071219812874") == "PL61109010140000071219812874"
    assert account_from_86("~3010901014~310000071219812874") == "PL61109010140000071219812874"
    assert account_from_86("~20tylko tytuł") is None
    assert account_from_86("~20Z RACH.: 61 1090 1014 0000 0712 1981 2874") == "PL61109010140000071219812874"
    assert account_from_86("~20NA RACH.: 61 1090 1014 0000 0712 1981 2875") is None        # bad check digits


def test_an_impossible_date_is_a_record_and_the_other_rows_are_used():
    rows = list(enumerate([["Data", "Kwota", "Rachunek", "Tytuł"], ["30.02.2026", "10,00", "", "a"],
                           ["20.11.2026", "1 234,56", "", "b"], ["21.11.2026", "1.234,56", "", "c"]], start=1))
    entries, issues = parse(rows, 0, PROFILE, "w.csv", "2026-10")
    assert [(e["entry"], e["amount"], e["booking_date"]) for e in entries] == [(3, 123_456, date(2026, 11, 20))]
    assert [(i.row, i.reason_code) for i in issues] == [(2, "bad_statement_row"), (4, "bad_statement_row")]
    assert issues[1].message == ("w.csv, wiersz 4: kwota '1.234,56' nie jest kwotą (separator dziesiętny ','). "
                                 "Pozycja nie jest użyta; pozostałe pozycje pliku są.")
    assert parse_date("31.12.2026", "DD.MM.YYYY") == date(2026, 12, 31) and parse_date("2026-12-31", "DD.MM.YYYY") is None


def test_amount_forms():
    comma = {"decimal": ",", "thousands": " "}
    assert parse_amount("1 234,56 PLN", comma) == 123456
    assert parse_amount("'98,40'", comma) == 9840
    assert parse_amount("+415.97", {"decimal": "."}) == 41597
    assert parse_amount("-1.234,56", {"decimal": ",", "thousands": "."}) == -123456
    assert parse_amount("1,2,3", comma) is None and parse_amount("12,345", comma) is None
