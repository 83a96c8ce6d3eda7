"""transforms/folders.py and flows/settings.search_folders (issue 31 point 4): payroll profiles,
rulebooks and component names are also read from the user's configuration folder (platformdirs),
merged with the shipped ones; a user file of the same name as a shipped one wins and the close
summary says so."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows import payroll_inbox, settings
from flows.close import CLOSE
from tests.conftest import close_plain, dues_of, member, run_close, write_inbox
from transforms.errors import UserError
from transforms.rulebook import load_rulebooks

FIX = Path(__file__).parent / "fixtures" / "payroll"
PESEL = {"M1": "02070803628", "M2": "85010112345", "M3": "64022798174"}


@pytest.fixture
def config(tmp_path, monkeypatch):
    """The user's configuration folder, where platformdirs puts it on Linux ($XDG_CONFIG_HOME/skladki)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SKLADKI_PROFILES", raising=False)
    monkeypatch.delenv("SKLADKI_RULEBOOKS", raising=False)
    return tmp_path / "config" / "skladki"


def huta_inbox(tmp_path, replace=("Premia kwartalna", "Dopłata węglowa")) -> Path:
    inbox = write_inbox(tmp_path / "inbox", members=[member(m, pesel=p) for m, p in PESEL.items()])
    (inbox / "income").mkdir(exist_ok=True)
    text = (FIX / "huta_2026-10.csv").read_bytes().decode("cp1250").replace(*replace)
    (inbox / "income" / "huta.csv").write_bytes(text.encode("cp1250"))
    return inbox


def test_the_user_folders_come_after_the_shipped_ones_and_before_the_variables(config, tmp_path, monkeypatch):
    assert settings.user_config_folder() == config
    assert settings.profile_folders() == [settings.PROFILES]            # no user folder yet: nothing added
    for kind in ("profiles", "rulebooks", "bank_profiles"):
        (config / kind).mkdir(parents=True)
    monkeypatch.setenv("SKLADKI_PROFILES", str(tmp_path / "env"))
    assert settings.profile_folders() == [settings.PROFILES, config / "profiles", tmp_path / "env"]
    assert settings.rulebook_folders() == [settings.RULEBOOKS, config / "rulebooks"]
    # the hook the bank-profile loader can use
    assert settings.search_folders("bank_profiles") == [settings.BANK_PROFILES, config / "bank_profiles"]


def test_the_users_own_components_toml_is_read_with_the_shipped_one(config, tmp_path):
    (config / "profiles").mkdir(parents=True)
    (config / "profiles" / "components.toml").write_text(
        '[codes]\nallowance = ["Dopłata węglowa"]\n', encoding="utf-8")
    r = run_close(huta_inbox(tmp_path))
    assert r.exceptions.filter(r.exceptions["reason_code"] == "unknown_component").height == 0
    assert dues_of(r, "M1")["base"] == 771_250            # the user's name counts; the shipped ones still do
    assert payroll_inbox.dictionary()["wynagr zasadnicze"] == "wage"


def test_a_users_classification_of_a_shipped_name_wins(config, tmp_path):
    (config / "profiles").mkdir(parents=True)
    (config / "profiles" / "components.toml").write_text(
        '[codes]\naward = ["Premia kwartalna"]\n', encoding="utf-8")
    r = run_close(huta_inbox(tmp_path, replace=("", "")))
    assert dues_of(r, "M1")["base"] == 771_250 - 100_000     # 'Premia kwartalna' is now an award: out of the base


@pytest.mark.parametrize("content,detail", [
    ('[codes]\nwagee = ["Dopłata"]\n', "kod 'wagee' nie jest kodem składnika"),
    ('[codes\n', "składnia TOML"),
    ('[codes]\nwage = ["Dopłata"]\naward = ["dopłata"]\n', "'dopłata' stoi pod dwoma kodami: wage i award"),
])
def test_a_broken_user_dictionary_names_the_file(config, content, detail):
    (config / "profiles").mkdir(parents=True)
    (config / "profiles" / "components.toml").write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as e:
        payroll_inbox.dictionary()
    assert str(config / "profiles" / "components.toml") in str(e.value) and detail in str(e.value)


def test_a_user_profile_with_a_shipped_files_name_replaces_it(config, tmp_path):
    (config / "profiles").mkdir(parents=True)
    shipped = (settings.PROFILES / "huta_wide_cp1250.toml").read_text(encoding="utf-8")
    (config / "profiles" / "huta_wide_cp1250.toml").write_text(
        shipped.replace('name = "huta_wide_cp1250"', 'name = "huta_moja"')
        + '"Dopłata węglowa" = "bonus"\n', encoding="utf-8")
    profiles = payroll_inbox.load_profiles()
    assert "huta_moja" in profiles and "huta_wide_cp1250" not in profiles
    r = run_close(huta_inbox(tmp_path))
    assert dues_of(r, "M1")["base"] == 771_250


def test_a_user_rulebook_with_a_shipped_files_name_replaces_it(config):
    (config / "rulebooks").mkdir(parents=True)
    shipped = (settings.RULEBOOKS / "solidarnosc.toml").read_text(encoding="utf-8")
    (config / "rulebooks" / "solidarnosc.toml").write_text(
        shipped.replace('name = "solidarnosc"', 'name = "solidarnosc_nasza"'), encoding="utf-8")
    books = load_rulebooks(settings.rulebook_folders())
    assert "solidarnosc_nasza" in books and "solidarnosc" not in books     # the file, not only the name, wins


def test_the_close_summary_names_each_user_file_that_wins(config, tmp_path):
    (config / "profiles").mkdir(parents=True)
    shutil.copy(settings.PROFILES / "huta_wide_cp1250.toml", config / "profiles" / "huta_wide_cp1250.toml")
    (config / "profiles" / "components.toml").write_text('[codes]\nallowance = ["Dopłata węglowa"]\n',
                                                         encoding="utf-8")
    (config / "rulebooks").mkdir()
    shutil.copy(settings.RULEBOOKS / "solidarnosc.toml", config / "rulebooks" / "solidarnosc.toml")
    outcome = close_plain("2026-10", huta_inbox(tmp_path), tmp_path / "x.duckdb", tmp_path / "out")
    assert outcome.ok, outcome.message
    summary = CLOSE.summary(outcome.run, outcome.result)
    assert (f"  plik użytkownika {config / 'profiles' / 'huta_wide_cp1250.toml'} zastępuje dostarczony "
            "plik o tej samej nazwie") in summary.splitlines()
    assert (f"  plik użytkownika {config / 'rulebooks' / 'solidarnosc.toml'} zastępuje dostarczony "
            "plik o tej samej nazwie") in summary.splitlines()
    assert (f"  słownik składników użytkownika {config / 'profiles' / 'components.toml'} uzupełnia dostarczony; "
            "przy tej samej nazwie wygrywa jego kod") in summary.splitlines()


def test_a_close_with_the_users_dictionary_replays_identically_after_the_folder_is_gone(config, tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app
    (config / "profiles").mkdir(parents=True)
    (config / "profiles" / "components.toml").write_text('[codes]\nallowance = ["Dopłata węglowa"]\n',
                                                         encoding="utf-8")
    outcome = close_plain("2026-10", huta_inbox(tmp_path), tmp_path / "x.duckdb", unit_workbooks=False)
    assert dues_of(outcome.result.month, "M1")["base"] == 771_250
    shutil.rmtree(config)                   # the archive holds the user's dictionary as the close read it
    res = CliRunner().invoke(app, ["replay", "--run", outcome.result.run_id, "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 0, res.output
    assert "identyczne" in res.output


@pytest.mark.parametrize("kind,name", [("rulebooks", "moj.toml"), ("profiles", "moj.toml"),
                                       ("profiles", "components.toml"), ("bank_profiles", "moj.toml")])
def test_a_pipe_or_a_folder_in_the_users_configuration_folder_is_one_message_not_a_hang(config, kind, name):
    """Issue 27 point 1 for the folders of issue 31: a user's file goes through the one input check
    (a pipe would hang every close, a folder named *.toml gave a wrong 'cannot write')."""
    import os
    import signal
    from flows import reconcile
    from flows.rules import rules_for
    (config / kind).mkdir(parents=True)
    os.mkfifo(config / kind / name)
    load = {"rulebooks": lambda: rules_for("2026-10"), "profiles": lambda: (payroll_inbox.load_profiles(),
            payroll_inbox.dictionary()), "bank_profiles": reconcile.bank_profiles}[kind]
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("hangs on a pipe"))
    signal.alarm(10)
    try:
        with pytest.raises(UserError) as e:
            load()
    finally:
        signal.alarm(0)
    assert str(e.value) == f"{config / kind / name}: to nie jest zwykły plik (potok, urządzenie); nie został otwarty."
