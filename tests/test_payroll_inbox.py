"""flows/payroll_inbox.py: how a payroll file's profile is chosen; a bad profile is named."""
from __future__ import annotations

from pathlib import Path

import pytest

from flows import payroll_inbox
from flows.payroll_inbox import BadFile, choose_profile, load_profiles
from transforms.errors import UserError


def test_canonical_sidecar_and_signature(tmp_path):
    profiles = load_profiles()
    canonical = tmp_path / "a.csv"
    canonical.write_text("period,member_id,component,amount\n", encoding="utf-8")
    assert choose_profile(canonical, profiles) is None
    other = tmp_path / "b.csv"
    other.write_text("Nr ewid.;Data wypłaty;Składnik;Kwota\n", encoding="utf-8")
    assert choose_profile(other, profiles).name == "szpital_long"
    (tmp_path / "b.csv.profile").write_text("nie_ma_takiego\n", encoding="utf-8")
    with pytest.raises(BadFile, match="plik b.csv.profile wskazuje profil 'nie_ma_takiego', który nie istnieje"):
        choose_profile(other, profiles)


def test_a_profile_with_a_missing_key_names_the_file_and_the_key(tmp_path, monkeypatch):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "azoty.toml").write_text('name = "azoty"\nlayout = "wide"\nsignature = ["Nr"]\n', encoding="utf-8")
    monkeypatch.setenv("SKLADKI_PROFILES", str(folder))
    with pytest.raises(UserError, match=r"azoty.toml: to nie jest poprawny profil \(brak klucza 'identify'\)"):
        payroll_inbox.load_profiles()


# ---------------------------------------------------------------- issue 28: profiles checked when read

from transforms.payroll import parse_profile  # noqa: E402

SHIPPED = (Path(__file__).resolve().parents[1] / "data" / "profiles" / "huta_wide_cp1250.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("change,key", [
    (('format = "MM.YYYY"', 'format = "MM/YYYY"'), "period.format"),
    (('encoding = "cp1250"', 'encoding = "cp9999"'), "encoding"),
    (('format = "csv"', 'format = "ods"'), "format"),
    (('layout = "wide"', 'layout = "tall"'), "layout"),
    (('by = "pesel"', 'by = "nip"'), "identify.by"),
    (('decimal = ","', 'decimal = "x"'), "decimal"),
    (('separator = ";"', 'separator = ";;"'), "separator"),
    (('header_row = 4', 'header_row = 0'), "header_row"),
    (('column = "PESEL"', 'column = "Pesel pracownika"'), "identify.column"),
    (('signature = ["Lp.", "Nazwisko i imię", "PESEL", "Okres", "Składka związkowa"]', 'signature = []'), "signature"),
    (('"Dod. hutniczy" = "allowance"', '"Dod. hutniczy" = 1'), "columns"),
    (('layout = "wide"', 'layout = "long"'), "component_column"),
])
def test_issue_28_a_profile_mistake_is_bad_profile_naming_the_file_and_the_key(change, key):
    assert change[0] in SHIPPED
    with pytest.raises(UserError) as e:
        parse_profile(SHIPPED.replace(*change, 1), "moje/huta.toml")
    assert e.value.code == "bad_profile" and e.value.params["key"] == key
    assert str(e.value).startswith("moje/huta.toml: to nie jest poprawny profil (")


def test_issue_28_every_shipped_profile_reads_as_before():
    profiles = load_profiles()
    assert sorted(profiles) == ["huta_wide_cp1250", "poczta_xlsx", "szpital_long"]
    assert {p.period_format for p in profiles.values()} == {"MM.YYYY", "YYYY-MM", "DD.MM.YYYY"}


@pytest.mark.parametrize("text", ["", "\n", "a;b\r\nc", "a,b\rc\n", "x" * 5000 + "\r\ny", "x" * 4095 + "\r\ny",
                                  "\u2028a", "a\x0bb", "x" * 20000, "h1,h2\n" + "1,2\n" * 3000])
def test_issue_32_first_line_is_splitlines_first(text):
    """The canonical header is read from the first line only, as splitlines would give it."""
    from flows.payroll_inbox import first_line
    if not text.splitlines():
        with pytest.raises(IndexError):
            first_line(text)
    else:
        assert first_line(text) == text.splitlines()[0]
