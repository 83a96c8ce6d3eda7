"""transforms/statements.py: accounts from :86: subfields or the text; transforms/bank_csv.py: a
bad bank-CSV row is a record and the rest of the file is used."""
from datetime import date

from transforms.bank_csv import BankProfile, Place, amount_of, parse, parse_date
from transforms.statements import account_from_86

PROFILE = BankProfile.of({"signature": ["Data", "Kwota"], "date": {"column": "Data", "format": "DD.MM.YYYY"},
                          "amount": {"column": "Kwota", "decimal": ","}, "account": {"column": "Rachunek"},
                          "title": {"column": "Tytuł"}})


def test_account_from_iban_or_bank_plus_account_or_the_text():
    assert account_from_86("~20X~38PL61109010140000071219812874") == "PL61109010140000071219812874"
    assert account_from_86("~3010901014~310000071219812874") == "PL61109010140000071219812874"
    assert account_from_86("~20tylko tytuł") is None
    assert account_from_86("~20Z RACH.: 61 1090 1014 0000 0712 1981 2874") == "PL61109010140000071219812874"
    assert account_from_86("~20NA RACH.: 61 1090 1014 0000 0712 1981 2875") is None        # bad check digits


def test_an_impossible_date_is_a_record_and_the_other_rows_are_used():
    rows = list(enumerate([["Data", "Kwota", "Rachunek", "Tytuł"], ["30.02.2026", "10,00", "", "a"],
                           ["20.11.2026", "1 234,56", "", "b"], ["21.11.2026", "1.234,56", "", "c"]], start=1))
    entries, issues = parse(rows, 1, PROFILE, "w.csv", "2026-10")   # entries from row 1 (find_rows)
    assert [(e["entry"], e["amount"], e["booking_date"]) for e in entries] == [(3, 123_456, date(2026, 11, 20))]
    assert [(i.row, i.reason_code) for i in issues] == [(2, "bad_statement_row"), (4, "bad_statement_row")]
    assert issues[1].message == ("w.csv, wiersz 4: kwota '1.234,56' nie jest kwotą (separator dziesiętny ','). "
                                 "Pozycja nie jest użyta; pozostałe pozycje pliku są.")
    assert parse_date("31.12.2026", "DD.MM.YYYY") == date(2026, 12, 31) and parse_date("2026-12-31", "DD.MM.YYYY") is None


def test_amount_forms():
    comma = Place(decimal=",", thousands=" ")
    assert amount_of("1 234,56 PLN", comma) == 123456
    assert amount_of("'98,40'", comma) == 9840
    assert amount_of("+415.97", Place(decimal=".")) == 41597
    assert amount_of("-1.234,56", Place(decimal=",", thousands=".")) == -123456
    assert amount_of("1,2,3", comma) is None and amount_of("12,345", comma) is None


# ------------------------------------------------------------------ issue 31: real layouts end to end

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from flows import settings  # noqa: E402
from flows.command import run_plain  # noqa: E402
from flows.reconcile import RECONCILE  # noqa: E402
from tests.conftest import close_plain  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    for period in ("2026-09", "2026-10"):
        close_plain(period, settings.DEMO_INBOX, db)
    return db


def reconciled(db, tmp_path, *files):
    folder = tmp_path / "wyciagi"
    folder.mkdir()
    for f in files:
        shutil.copy(FIXTURES / f, folder / Path(f).name)
    outcome = run_plain(RECONCILE, period="2026-10", statements=folder, db=db, out=None)
    assert outcome.ok, outcome.message
    r = outcome.result
    credits = sum(c["amount"] for c in r.credits if c["direction"] == "credit")
    assert sum(m["amount"] for m in r.matches) + sum(u["amount"] for u in r.unmatched) == credits
    return r, {(m["unit_id"], m["period"]): m["amount"] for m in r.matches}


@pytest.mark.parametrize("name", ["mt940/mbank_iph.sta", "camt053/ing_camt053.xml"])
def test_issue_31_mbank_iph_and_a_polish_camt053_are_matched_to_their_units_and_month(demo_db, tmp_path, name):
    """mBank IPH ('TYT.: SKLADKI 10/2026', 'Z RACH.:', 'PAZDZIERNIK \\r\\n2026') and ING camt.053 (IBAN
    and NRB payers' accounts, a batch entry, Ustrd pieces): October's transfers of SL-0001 and SL-0002
    found, not September's (both are outstanding)."""
    r, matched = reconciled(demo_db, tmp_path, name)
    assert matched == {("SL-0001", "2026-10"): 116406, ("SL-0002", "2026-10"): 59368}
    assert [u["amount"] for u in r.unmatched] == ([] if name.endswith(".sta") else [40000])


def test_issue_31_a_companynet_file_uses_only_the_regions_zloty_statement(demo_db, tmp_path):
    r, matched = reconciled(demo_db, tmp_path, "mt940/mbank_companynet.sta")
    assert matched == {("SL-0001", "2026-10"): 116406}
    assert sorted(c["amount"] for c in r.credits) == [-1500, 116406]
    codes = [(i.reason_code, i.params.get("currency")) for i in r.issues if i.source == "mbank_companynet.sta"]
    assert codes == [("bad_statement", "EUR"), ("bad_statement", "USD"), ("statement_wrong_account", None)]
