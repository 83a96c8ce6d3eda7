"""Issue 12: MT940 as Polish banks really write it. Each fixture (tests/fixtures/mt940/build.py)
is one dialect: its encoding, :86: separator and quirks; every credit's amount, date, account and
title is asserted."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from flows.reconcile import read_mt940, read_statements
from transforms.statements import account_from_86, decode_statement, mbank_parts, separator_86, subfields_86

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
    assert separator_86("020^00PRZELEW^20A") == "^" and separator_86("NOTPROVIDED") is None
    assert subfields_86("020~20ZA 10/20~2126\r\n~32HUTA KATO\nWICE") == {"20": "ZA 10/20", "21": "26",
                                                                       "32": "HUTA KATOWICE"}


# ------------------------------------------------------------------ issue 31: mBank, several statements, MT942

def test_issue_31_mbank_iph_without_subfields_reads_the_payers_account_and_the_mm_rrrr_title():
    """'TYT.: SKLADKI 10/2026' is a title, not a '/20' subfield; the account after 'Z RACH.:' is the
    payer's; the space before a line break is kept ('PAZDZIERNIK \\r\\n2026')."""
    got, found, identity = entries("mbank_iph.sta")
    assert found == []
    assert got == [(date(2026, 11, 30), 116406, "PL07109010140000000000000001", "SKLADKI 10/2026"),
                   (date(2026, 11, 30), 59368, "PL77109010140000000000000002", "SKLADKA ZA PAZDZIERNIK 2026"),
                   (date(2026, 11, 30), -1500, None, "794 OPŁATY GRUPOWE; TNR: 154960005384269.330001")]
    assert identity == ("PL95102023130000310200123456", "330/1", "C261130PLN0,00")


def test_issue_31_a_space_before_a_line_break_is_content_and_a_break_inside_a_word_is_not():
    assert subfields_86("020~20SKLADKA ZA PAZDZIERNIK \r\n2026~32HUTA KATO\r\nWICE") == {
        "20": "SKLADKA ZA PAZDZIERNIK 2026", "32": "HUTA KATOWICE"}
    assert mbank_parts("770 PRZELEW KRAJOWY; TYT.: ZAPLATA ZA F-RE NR \r\n110F02574; TNR: 1")["TYT."] == \
        "ZAPLATA ZA F-RE NR 110F02574"


def test_issue_31_every_statement_of_a_companynet_file_is_checked_on_its_own(tmp_path):
    """PLN, EUR, USD and another account's PLN statement in one file: only the region's złoty credits
    are used; the EUR and USD statements are one record each naming the account and currency; the
    other account's statement is refused by the level check."""
    shutil.copy(HERE / "mbank_companynet.sta", tmp_path / "mbank_companynet.sta")
    credits, found = read_statements(tmp_path, "2026-10", {"PL95102023130000310200123456"}, "region SL")
    assert [(c["entry"], c["amount"], c["own_account"]) for c in credits] == [
        (1, 116406, "PL95102023130000310200123456"), (2, -1500, "PL95102023130000310200123456")]
    assert [(f.reason_code, f.params.get("currency"), f.params.get("account")) for f in found] == [
        ("bad_statement", "EUR", "PL68102023130000310200123457"),
        ("bad_statement", "USD", "PL41102023130000310200123458"),
        ("statement_wrong_account", None, "PL57114020040000300201234567")]
    assert all(f.source == "mbank_companynet.sta" for f in found)


def test_issue_31_a_statement_that_does_not_add_up_is_refused_by_itself():
    good = (HERE / "pekao_caret_cp1250.sta").read_bytes().decode("cp1250")
    bad = good.replace(":62F:C261130PLN98,40", ":62F:C261130PLN198,40").replace(":28C:00001/001", ":28C:00002/001")
    got, found, identity = read_mt940((good + bad).encode("cp1250"), "dwa.sta", "2026-10")
    assert [g["amount"] for g in got] == [9840] and len(identity) == 2
    assert [f.message for f in found] == [
        "dwa.sta: wyciąg rachunku /PL95102023130000310200123456 nie sumuje się: saldo otwarcia z pozycjami daje "
        "98,40 zł, a saldo końcowe to 198,40 zł — brakuje pozycji albo jest nadmiarowa. Pobierz wyciąg z "
        "banku ponownie; ten wyciąg nie jest użyty (pozostałe wyciągi pliku są)."]


def test_issue_31_a_statement_without_its_number_is_refused():
    text_ = (HERE / "plus_separator.sta").read_bytes().decode("cp1250").replace(":28C:00001/001\r\n", "")
    got, found, _ = read_mt940(text_.encode("cp1250"), "bez.sta", "2026-10")
    assert got == [] and [f.params["missing"] for f in found] == [":28C:"]


def test_issue_31_an_mt942_interim_report_is_refused_with_the_right_advice():
    got, found, _ = entries("interim_mt942.sta")
    assert got == []
    assert [f.message for f in found] == [
        "interim_mt942.sta: to raport śródzienny MT942 (pola :34F:/:13D:), nie wyciąg: nie ma salda końcowego, a jego "
        "pozycje mogą się jeszcze zmienić. Uzgodnij składki z wyciągu dziennego MT940 (albo CAMT.053) za ten dzień; "
        "raport śródzienny nie jest użyty."]
    assert "pobierz" not in found[0].message


# each dialect: its fixture, a text after which a title may be written, and the :86: of its first credit
DIALECTS = {"mbank_utf8.sta": "SKŁADKI", "pekao_caret_cp1250.sta": "^20Składki", "bnp_caret_iso88592.sta": "^20ZZ",
            "cp852_lt.sta": "<20Składka", "plus_separator.sta": "+20SKL", "pko_filler.sta": "~20ZA",
            "mbank_iph.sta": "TYT.: SKLADKI"}
MONTHS = ["styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień",
          "październik", "listopad", "grudzień"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def first_86(name: str) -> str:
    content = decode_statement((HERE / name).read_bytes())[0]
    lines = content.splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.startswith(":86:"))
    end = next(i for i in range(start + 1, len(lines) + 1) if i == len(lines) or lines[i].startswith(":"))
    return "".join(lines[start:end])[4:]


@st.composite
def polish_dates(draw):
    m, y = draw(st.integers(1, 12)), draw(st.integers(2000, 2099))
    return draw(st.sampled_from([f"{m:02d}/{y}", f"{m}/{y}", f"{m:02d}.{y}", f"{m:02d}-{y}", f"{ROMAN[m - 1]} {y}",
                                 f"{MONTHS[m - 1]} {y}", f"{MONTHS[m - 1].upper().translate(ASCII)} {y}",
                                 f"{m:02d}/{y % 100:02d}", f"ZA {m:02d}/{y} I {m:02d}.{y}"]))


@pytest.mark.parametrize("name", sorted(DIALECTS))
@hsettings(max_examples=60, deadline=None)
@given(before=st.text("ABCKLSZ ", max_size=8), when=polish_dates(), after=st.text("ABC 0123456789", max_size=8))
def test_issue_31_dates_in_titles_never_change_the_separator_or_the_account(name, before, when, after):
    details = first_86(name)
    anchor = DIALECTS[name]
    assert anchor in details
    changed = details.replace(anchor, f"{anchor} {before}{when}{after}", 1)
    assert separator_86(changed) == separator_86(details)
    assert account_from_86(changed) == account_from_86(details)
