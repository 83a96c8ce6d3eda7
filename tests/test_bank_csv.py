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
SHIPPED = ["alior", "ing", "mbank_historia", "mbank_lista_operacji", "millennium", "pekao", "pko_bp", "santander"]
# issue 31: the 2025 mBank Lista operacji (UTF-8 with a BOM) is read by the same profile
FIXTURES = SHIPPED + ["mbank_lista_operacji_utf8"]


def read(name: str):
    entries, found = read_bank_csv((HERE / f"{name}.csv").read_bytes(), f"{name}.csv", "2026-10")
    return entries, found


@pytest.mark.parametrize("name", FIXTURES)
def test_every_profile_reads_its_fixture(name):
    entries, found = read(name)
    entries = sorted(entries, key=lambda e: e["booking_date"])       # Santander writes the newest first
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
    profile = next(p for p in bank_profiles() if p.name == "ing")
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


@pytest.mark.parametrize("name", FIXTURES)
def test_issue_27_every_profile_reads_the_statements_own_account_where_the_file_says_it(name):
    """The preamble ("Wybrane rachunki", "#Rachunek", Alior's "Produkty:"), Santander's line 1 or
    the profile's own_account column; PKO BP's export does not say it (unknown, never guessed)."""
    entries, _ = read(name)
    own = {e["own_account"] for e in entries if e["direction"] == "credit"}
    assert own == ({None} if name == "pko_bp" else {OWN})


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


# ------------------------------------------------------------------ issue 31: bank CSV as it really comes

def entries_of(raw: bytes, name: str = "x.csv"):
    entries, found = read_bank_csv(raw, name, "2026-10")
    return [(e["entry"], e["booking_date"], e["amount"], e["account"], e["own_account"], e["counterparty"], e["title"])
            for e in entries], [f.message for f in found]


def test_issue_31_the_same_mbank_lista_operacji_in_cp1250_and_in_utf8_with_a_bom_reads_identically():
    """The encoding comes from the bytes (BOM → UTF-8; valid UTF-8 → UTF-8; else Windows-1250), not
    from the profile: mBank's 2025 export is UTF-8 with a BOM while the profile says cp1250."""
    cp1250 = (HERE / "mbank_lista_operacji.csv").read_bytes()
    bom = (HERE / "mbank_lista_operacji_utf8.csv").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf") and bom[3:].decode("utf-8") == cp1250.decode("cp1250")
    read_cp1250, read_bom = entries_of(cp1250), entries_of(bom)
    assert read_cp1250 == read_bom and len(read_cp1250[0]) == 3
    assert "SKŁADKI 10/2026 NSZZ SOLIDARNOŚĆ HUTY" in read_bom[0][0][6]
    # and without the BOM, and a file the profile calls UTF-8 written in Windows-1250
    assert entries_of(bom[3:]) == read_cp1250
    content = (HERE / "millennium.csv").read_bytes().decode("utf-8-sig")
    assert entries_of(content.encode("cp1250")) == entries_of(content.encode("utf-8-sig"))


@pytest.mark.parametrize("encoding", ["utf-8", "cp1250", "utf-8-sig"])
def test_issue_31_alior_reads_in_whichever_encoding_it_comes(encoding):
    """The published descriptions of Alior's export disagree on the encoding (UTF-8 / Windows-1250)."""
    content = (HERE / "alior.csv").read_bytes().decode("utf-8")
    rows, found = entries_of(content.encode(encoding), "alior.csv")
    assert found == []
    assert rows[0] == (3, date(2026, 11, 18), 123456, HUTA, OWN, "NSZZ SOLIDARNOŚĆ HUTY KATOWICE", "SKŁADKI 10/2026")


def test_issue_31_the_headerless_santander_export_is_read_by_position_with_its_account_from_line_1():
    rows, found = entries_of((HERE / "santander.csv").read_bytes(), "santander.csv")
    assert rows == [
        (3, date(2026, 11, 30), -1500, None, OWN, "", "Opłata za prowadzenie rachunku"),
        (4, date(2026, 11, 19), 9840, SZPITAL, OWN, "NSZZ Solidarność Szpitala GLIWICE ELIXIR 19-11-2026",
         "Składki 10/2026"),
        (5, date(2026, 11, 18), 123456, HUTA, OWN,
         "NSZZ SOLIDARNOŚĆ HUTY KATOWICE UL. HUTNICZA 1 KATOWICE ELIXIR 18-11-2026", "SKŁADKI 10/2026")]
    assert found == ["santander.csv, wiersz 2: data '31-11-2026' nie jest datą w formacie DD-MM-YYYY. "
                     "Pozycja nie jest użyta; pozostałe pozycje pliku są."]


def test_issue_31_a_positional_row_of_another_width_is_one_bad_row_never_read_from_shifted_columns():
    lines = (HERE / "santander.csv").read_bytes().decode("utf-8").split("\r\n")
    lines[2] = lines[2].replace("Opłata za prowadzenie rachunku,", "Opłata, za prowadzenie rachunku,")
    rows, found = entries_of("\r\n".join(lines).encode("utf-8"), "santander.csv")
    assert [r[0] for r in rows] == [4, 5] and len(found) == 2
    assert found[1] == ("santander.csv, wiersz 3: wiersz ma 10 pól, a układ santander ma ich 9 (kolumny "
                        "czytane według pozycji). Pozycja nie jest użyta; pozostałe pozycje pliku są.")


def test_issue_31_a_headerless_file_without_the_accounts_line_is_no_santander_file():
    lines = (HERE / "santander.csv").read_bytes().decode("utf-8").split("\r\n")
    entries, found = read_bank_csv("\r\n".join(lines[1:]).encode("utf-8"), "bez_konta.csv", "2026-10")
    assert entries == [] and found[0].reason_code == "bad_statement"


GENERIC = "Data księgowania;Kwota;Rachunek kontrahenta;Nazwa kontrahenta;Tytuł"


def test_issue_31_a_leading_apostrophe_in_a_title_is_kept_unless_the_profile_says_the_file_quotes_with_it():
    rows = [GENERIC, "18.11.2026;\"1,00\";07109010140000000000000001;'Huta' Katowice;'Solidarność' składki 10/2026",
            "19.11.2026;\"2,00\";;X;'tytuł w apostrofach'"]
    got, _ = entries_of("\r\n".join(rows).encode("cp1250"))
    assert [(g[5], g[6]) for g in got] == [("'Huta' Katowice", "'Solidarność' składki 10/2026"),
                                           ("X", "'tytuł w apostrofach'")]
    # ING quotes numbers and references with an apostrophe (apostrophe_quoting = true): removed there
    content = (HERE / "ing.csv").read_bytes().decode("cp1250").replace('"SKŁADKI 10/2026"', "\"'SKŁADKI 10/2026'\"")
    got, _ = entries_of(content.encode("cp1250"), "ing.csv")
    assert got[0][6] == "SKŁADKI 10/2026" and got[0][3] == HUTA


def test_issue_31_the_profiles_that_rely_on_apostrophe_quoting_say_so():
    quoting = {p.name for p in bank_profiles() if p.apostrophe_quoting}
    assert quoting == {"ing", "mbank_historia"}


# ------------------------------------------------------------------ issue 31: profiles validated when loaded

def test_issue_31_every_shipped_profile_is_valid():
    for path in settings.BANK_PROFILES.glob("*.toml"):
        assert bank_csv.load_profile(path.read_text(encoding="utf-8"), str(path)).name == path.stem


@pytest.mark.parametrize("change,key,detail", [
    (("title = {", "titel = {"), "titel", "nieznany klucz"),
    (("date = { position = 1,", "date = { position = 12,"), "date.position", "poza zakresem 1–9"),
    (("amount = { position = 6,", "amount = { postion = 6,"), "amount.postion", "nieznany klucz"),
    (('format = "DD-MM-YYYY"', 'format = "DD-MM-YY"'), "date.format", "DD-MM-YY"),
    (('columns = 9', 'columns = "9"'), "columns", "liczbą"),
    (('name = "santander"', 'name = "santander'), "(składnia TOML)", "TOML"),
])
def test_issue_31_an_unknown_key_or_a_position_out_of_range_names_the_file_and_the_key(change, key, detail):
    from transforms.errors import UserError
    content = (settings.BANK_PROFILES / "santander.toml").read_text(encoding="utf-8")
    assert change[0] in content
    with pytest.raises(UserError) as e:
        bank_csv.load_profile(content.replace(*change), "/home/ala/.config/skladki/bank_profiles/santander.toml")
    assert e.value.code == "bad_bank_profile"
    message = str(e.value)
    assert "/home/ala/.config/skladki/bank_profiles/santander.toml" in message and key in message and detail in message


def test_issue_31_an_old_profile_with_a_header_stays_valid():
    old = ('name = "stary"\nbank = "Bank"\ndocumentation = "opis"\nencoding = "cp1250"\nseparator = ";"\n'
           'signature = ["Data", "Kwota"]\ndate = { column = "Data", format = "DD.MM.YYYY" }\n'
           'amount = { column = "Kwota", decimal = "," }\naccount = { column = "Rachunek" }\n'
           'title = { column = "Tytuł" }\n')
    assert list(bank_csv.load_profile(old, "stary.toml").signature) == ["Data", "Kwota"]


# ------------------------------------------------------------------ issue 31: the user's own bank profiles

@pytest.fixture
def config(tmp_path, monkeypatch):
    """The user's configuration folder, where platformdirs puts it on Linux ($XDG_CONFIG_HOME/skladki)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SKLADKI_BANK_PROFILES", raising=False)
    (tmp_path / "config" / "skladki" / "bank_profiles").mkdir(parents=True)
    return tmp_path / "config" / "skladki" / "bank_profiles"


MY_BANK = ('name = "moj_bank"\nbank = "Bank Spółdzielczy w Mojej Gminie"\ndocumentation = "eksport z e-bankingu BS"\n'
           'encoding = "cp1250"\nseparator = ";"\nsignature = ["Data", "Kwota", "Konto", "Opis"]\n'
           'date = { column = "Data", format = "YYYY.MM.DD" }\namount = { column = "Kwota", decimal = "," }\n'
           'account = { column = "Konto" }\ntitle = { column = "Opis" }\n')
MY_FILE = ("Data;Kwota;Konto;Opis\r\n2026.11.18;1234,56;07109010140000000000000001;SKŁADKI 10/2026\r\n"
           "2026.11.19;98,40;77109010140000000000000002;Składki 10/2026\r\n").encode("cp1250")


def test_issue_31_a_user_bank_profile_in_the_configuration_folder_is_used(config):
    assert read_bank_csv(MY_FILE, "bs.csv", "2026-10")[0] == []          # no shipped profile knows it
    (config / "moj_bank.toml").write_text(MY_BANK, encoding="utf-8")
    entries, found = read_bank_csv(MY_FILE, "bs.csv", "2026-10")
    assert found == [] and [(e["amount"], e["account"]) for e in entries] == [(123456, HUTA), (9840, SZPITAL)]
    assert {p.name for p in bank_profiles()} >= set(SHIPPED) | {"moj_bank"}     # merged with the shipped ones


def test_issue_31_a_folder_of_skladki_bank_profiles_is_read_too(tmp_path, config, monkeypatch):
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "moj_bank.toml").write_text(MY_BANK, encoding="utf-8")
    monkeypatch.setenv("SKLADKI_BANK_PROFILES", str(tmp_path / "env"))
    assert len(read_bank_csv(MY_FILE, "bs.csv", "2026-10")[0]) == 2


def test_issue_31_a_user_file_with_a_shipped_files_name_wins(config):
    shipped = (settings.BANK_PROFILES / "santander.toml").read_text(encoding="utf-8")
    (config / "santander.toml").write_text(shipped.replace('amount = { position = 6,', 'amount = { position = 7,'),
                                           encoding="utf-8")
    entries, _ = read("santander")
    assert [e["amount"] for e in entries] == [131796, 133296, 123456]     # the balances, as the user said
    assert [p for p in bank_profiles() if p.name == "santander"] == [
        bank_csv.load_profile((config / "santander.toml").read_text(encoding="utf-8"), "x")]


def test_issue_31_a_broken_user_bank_profile_is_one_message_naming_its_file(config):
    from transforms.errors import UserError
    (config / "moj_bank.toml").write_text(MY_BANK.replace("title =", "tytul ="), encoding="utf-8")
    with pytest.raises(UserError) as e:
        read_bank_csv(MY_FILE, "bs.csv", "2026-10")
    assert str(config / "moj_bank.toml") in str(e.value) and "tytul" in str(e.value)


# ------------------------------------------------------------------ issue 31: acceptance through reconcile

@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from tests.conftest import close_demo_months
    return close_demo_months(tmp_path_factory.mktemp("bank_csv") / "demo.duckdb")


@pytest.mark.parametrize("name", ["mbank_lista_operacji_utf8", "alior", "santander"])
def test_issue_31_each_real_layout_is_matched_to_its_units_month_and_nothing_is_dropped(demo_db, tmp_path, name):
    """The UTF-8-with-BOM mBank Lista operacji, the Alior export and the headerless Santander export,
    reconciled as Region Śląsko-Dąbrowski's statement on the demo months: SL-0001's and SL-0002's
    October credits are theirs, and Σ matched + Σ unmatched = Σ credits."""
    import shutil

    from flows.command import run_plain
    from flows.reconcile import RECONCILE
    from tests.test_reconcile_levels import nothing_dropped
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    (tmp_path / "wyciagi").mkdir()
    shutil.copy(HERE / f"{name}.csv", tmp_path / "wyciagi" / f"{name}.csv")
    out = run_plain(RECONCILE, period="2026-10", statements=tmp_path / "wyciagi", db=db, out=None, region_id="SL")
    assert out.ok, out.message
    res = out.result
    matched = {(m["unit_id"], m["period"], m["amount"]) for m in res.matches if m["statement"] == f"{name}.csv"}
    assert {("SL-0001", "2026-10", 123456), ("SL-0002", "2026-10", 9840)} <= matched
    assert sum(c["amount"] for c in res.credits if c["direction"] == "credit") == 123456 + 9840
    assert "statement_wrong_account" not in [i.reason_code for i in res.issues]
    nothing_dropped(res)


def test_issue_31_the_reconcile_summary_names_a_user_bank_profile_that_wins(demo_db, tmp_path, config):
    import shutil

    from flows.command import run_plain
    from flows.reconcile import RECONCILE
    shutil.copy(settings.BANK_PROFILES / "alior.toml", config / "alior.toml")
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    (tmp_path / "wyciagi").mkdir()
    shutil.copy(HERE / "alior.csv", tmp_path / "wyciagi" / "alior.csv")
    out = run_plain(RECONCILE, period="2026-10", statements=tmp_path / "wyciagi", db=db, out=None, region_id="SL")
    assert out.ok, out.message
    assert (f"  plik użytkownika {config / 'alior.toml'} zastępuje dostarczony plik o tej samej nazwie"
            in RECONCILE.summary(out.run, out.result).splitlines())
