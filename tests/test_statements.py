"""transforms/statements.py: accounts from :86: subfields; a bad bank-CSV row is a record and the
rest of the file is used."""
from datetime import date

from transforms.statements import account_from_86, parse_bank_csv, parse_date

PROFILE = {"header_row": 1, "date_column": "Data", "date_format": "DD.MM.YYYY", "amount_column": "Kwota",
           "decimal": ",", "account_column": "Rachunek", "title_column": "Tytuł"}


def test_account_from_iban_or_bank_plus_account():
    assert account_from_86("~20X~38PL61109010140000071219812874") == "PL61109010140000071219812874"
    assert account_from_86("~3010901014~310000071219812874") == "PL61109010140000071219812874"
    assert account_from_86("~20tylko tytuł") is None


def test_an_impossible_date_is_a_record_and_the_other_rows_are_used():
    rows = [["Data", "Kwota", "Rachunek", "Tytuł"], ["30.02.2026", "10,00", "", "a"],
            ["20.11.2026", "1 234,56", "", "b"], ["21.11.2026", "1.234,56", "", "c"]]
    entries, issues = parse_bank_csv(rows, PROFILE, "w.csv", "2026-10")
    assert [(e["entry"], e["amount"], e["booking_date"]) for e in entries] == [(2, 123_456, date(2026, 11, 20))]
    assert [(i.row, i.reason_code) for i in issues] == [(1, "bad_statement_row"), (3, "bad_statement_row")]
    assert issues[1].message == ("w.csv, wiersz 3: kwota '1.234,56' nie jest kwotą (separator dziesiętny ','). "
                                 "Pozycja nie jest użyta; pozostałe pozycje pliku są.")
    assert parse_date("31.12.2026", "DD.MM.YYYY") == date(2026, 12, 31) and parse_date("2026-12-31", "DD.MM.YYYY") is None
