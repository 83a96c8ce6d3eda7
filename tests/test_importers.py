"""transforms/importers.py (issue 28): the one decoding of an input file's bytes, and payroll
profiles read through the importer interface — each payroll file decoded once in a close."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from flows import payroll_inbox, settings
from transforms import importers
from transforms.importers import Head, Importer, decode
from transforms.payroll import Profile
from tests.conftest import close_plain

INCOME = settings.DEMO_INBOX / "income"


def test_utf8_bytes_are_utf8_whatever_code_page_is_asked_and_others_are_the_code_page():
    text = "Składka związkowa;Okres\n"
    assert decode(text.encode("utf-8")).encoding == "utf-8"
    assert decode(text.encode("cp1250")).text == text
    head = Head(text.encode("cp1250"))
    assert head.text("cp1250") == text and head.excel() == (text, "Windows-1250")
    with pytest.raises(UnicodeDecodeError):
        head.text("utf-8")               # a profile declaring UTF-8 gets the UTF-8 error
    bom = Head(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert bom.excel() == (text, "UTF-8 z BOM") and bom.text("cp1250") == "\ufeff" + text
    with pytest.raises(UnicodeDecodeError):
        Head("ł".encode("cp1250") + b"\x98").text("cp1250")     # 0x98 is no character of cp1250
    with pytest.raises(UnicodeDecodeError):
        Head("ł\x01".encode("cp1250")).excel()                  # control characters: binary, not text


def test_a_payroll_profile_is_an_importer():
    profile = payroll_inbox.load_profiles()["szpital_long"]
    assert isinstance(profile, Profile) and isinstance(profile, Importer)
    path = INCOME / "szpital_skladniki_2026-10.csv"
    head = payroll_inbox.InboxFile(path)
    assert profile.identify(path, head)
    assert not payroll_inbox.load_profiles()["huta_wide_cp1250"].identify(path, head)
    assert {"Nr ewid.", "Data wypłaty", "Składnik", "Kwota"} <= set(profile.extract(path, head)[0])


def test_each_payroll_file_of_a_close_is_decoded_once(tmp_path, monkeypatch):
    """The demo's October close: its two payroll CSVs (cp1250 and UTF-8) are each decoded once —
    checking for a canonical header, trying every profile and reading the rows use that one
    decoding — and the workbook's sheet is read once."""
    names = {p.read_bytes(): p.name for p in INCOME.iterdir() if p.suffix == ".csv"}
    decoded: Counter[str] = Counter()
    real = importers.decode

    def counted(raw, *args, **kwargs):
        decoded[names.get(raw, "?")] += 1
        return real(raw, *args, **kwargs)

    sheets: Counter[str] = Counter()
    real_values = payroll_inbox.xlsx_values

    def counted_values(path):
        sheets[Path(path).name] += 1
        return real_values(path)

    monkeypatch.setattr(importers, "decode", counted)
    monkeypatch.setattr(payroll_inbox, "xlsx_values", counted_values)
    assert close_plain("2026-10", settings.DEMO_INBOX, tmp_path / "x.duckdb", unit_workbooks=False).ok
    assert decoded["huta_lista_plac_2026-10.csv"] == 1
    assert decoded["szpital_skladniki_2026-10.csv"] == 1
    # every income file, canonical ones too, is decoded once
    assert all(decoded[n] == 1 for n in names.values()), decoded
    assert sheets == Counter({"poczta_lista_plac_2026-10.xlsx": 1})


def test_a_bank_profile_is_an_importer_over_the_same_head():
    from flows.reconcile import bank_profiles
    from transforms.bank_csv import BankProfile
    path = settings.DEMO_INBOX / "statements" / "gdanski_ing.csv"
    head = Head(path.read_bytes(), path.name)
    mine = [p for p in bank_profiles() if p.identify(path, head)]
    assert [p.name for p in mine] == ["ing"] and isinstance(mine[0], BankProfile) and isinstance(mine[0], Importer)
    entries, issues = mine[0].extract(path, head, period="2026-10")
    assert entries and all(e["statement"] == "gdanski_ing.csv" for e in entries)


@pytest.mark.parametrize("change,key", [
    (('decimal = ","', 'decimal = ";"'), "amount.decimal"),
    (('amount = { column = "Kwota", decimal = "," }', 'amount = { debit_column = "Kwota" }'), "amount.credit_column"),
    (('signature = ["Data księgowania"', 'signature = [1, "Data księgowania"'), "signature"),
])
def test_issue_28_a_bank_profile_mistake_that_would_crash_a_read_is_bad_bank_profile(change, key):
    from transforms.bank_csv import load_profile
    from transforms.errors import UserError
    content = (settings.BANK_PROFILES / "bank_csv_cp1250.toml").read_text(encoding="utf-8")
    assert change[0] in content
    with pytest.raises(UserError) as e:
        load_profile(content.replace(*change), "moj.toml")
    assert e.value.code == "bad_bank_profile" and e.value.params["key"] == key
