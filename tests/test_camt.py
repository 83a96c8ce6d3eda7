"""Issue 31: CAMT.053 (ISO 20022 BkToCstmrStmt) statements of a Polish bank (transforms/camt.py),
each statement checked on its own like an MT940 statement (flows/reconcile.read_camt053)."""
from pathlib import Path

import pytest

from flows.reconcile import read_camt053

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_issue_31_camt053_every_statement_checked_on_its_own():
    raw = (FIXTURES / "camt053" / "ing_camt053.xml").read_bytes()
    got, found, identity = read_camt053(raw, "ing.xml", "2026-10")
    assert [(e["entry"], e["amount"], e["account"], e["title"]) for e in got] == [
        (1, 116406, "PL07109010140000000000000001", "SKLADKI 10/2026"),
        (2, 59368, "PL77109010140000000000000002", "SKLADKA ZA PAZDZIERNIK 2026"),
        (3, 40000, "PL27114020040000300201355387", "DAROWIZNA"),
        (4, -1500, None, "OPLATA ZA PROWADZENIE RACHUNKU")]
    assert {e["own_account"] for e in got} == {"PL95102023130000310200123456"}
    assert [f.message for f in found] == [
        "ing.xml: wyciąg rachunku PL68102023130000310200123457 jest w walucie EUR, nie w złotych; jego pozycje "
        "nie są liczone jako złote. Uzgodnij składki z wyciągu rachunku złotowego; wpływy w walucie rozlicz osobno."]
    assert identity[0] == ("PL95102023130000310200123456", "330", "10000")
    short = raw.replace(b"<Amt Ccy=\"PLN\">2242.74</Amt>", b"<Amt Ccy=\"PLN\">2243.74</Amt>")
    got, found, _ = read_camt053(short, "ing.xml", "2026-10")
    assert got == [] and [f.params.get("closing") for f in found][0] == "2 243,74 zł"


@pytest.mark.parametrize("raw,why", [
    (b"<Document><BkToCstmrStmt>", "to nie jest poprawny dokument XML"),
    (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'><CstmrCdtTrfInitn/></Document>",
     "to nie jest wyciąg CAMT.053 (brak elementu BkToCstmrStmt; dokument Document)"),
    (b"<?xml version='1.0'?><!DOCTYPE d [<!ENTITY a 'x'>]><Document>&a;</Document>", "to nie jest poprawny dokument XML"),
])
def test_issue_31_an_unreadable_camt_document_is_one_record(raw, why):
    got, found, _ = read_camt053(raw, "zly.xml", "2026-10")
    assert got == [] and len(found) == 1 and found[0].reason_code == "bad_statement"
    assert found[0].message.startswith(f"zly.xml: nie można odczytać wyciągu CAMT.053: {why}")


def test_issue_31_a_camt_amount_above_the_credible_limit_is_one_record_and_the_rest_is_used():
    """A batch transfer of 99 999 999 400,00 zł (the statement still adds up): that transfer is one
    record naming its number; the statement's other transfers are used."""
    raw = (FIXTURES / "camt053" / "ing_camt053.xml").read_bytes()
    huge = (raw.replace(b'<Amt Ccy="PLN">400.00</Amt>', b'<Amt Ccy="PLN">99999999400.00</Amt>')
            .replace(b'<Amt Ccy="PLN">993.68</Amt>', b'<Amt Ccy="PLN">99999999993.68</Amt>')
            .replace(b'<Amt Ccy="PLN">2242.74</Amt>', b'<Amt Ccy="PLN">100000001242.74</Amt>'))
    got, found, _ = read_camt053(huge, "ing.xml", "2026-10")
    assert [e["amount"] for e in got] == [116406, 59368, -1500]
    assert [f.message for f in found if f.reason_code == "bad_statement_entry"] == [
        "ing.xml: pozycja nr 3 (Ntry) na kwotę 99 999 999 400,00 zł ma kwotę ponad 10 000 000,00 zł — "
        "granicę wiarygodnej kwoty. Ta pozycja nie jest użyta; pozostałe pozycje wyciągu są — sprawdź ją w banku."]


def test_issue_31_a_camt_statement_without_its_number_is_refused_naming_the_element():
    raw = (FIXTURES / "camt053" / "ing_camt053.xml").read_bytes()
    raw = raw.replace(b"<ElctrncSeqNb>330</ElctrncSeqNb>", b"").replace(b"<Id>330/2026/PLN</Id>", b"")
    got, found, _ = read_camt053(raw, "ing.xml", "2026-10")
    assert got == [] and found[0].message.startswith(
        "ing.xml: wyciągowi rachunku PL95102023130000310200123456 brakuje pola ElctrncSeqNb")
