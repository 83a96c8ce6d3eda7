"""flows/payroll_inbox.py: how a payroll file's profile is chosen; a bad profile is named."""
from __future__ import annotations

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
