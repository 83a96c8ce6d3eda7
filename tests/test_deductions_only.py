"""Issue 25 part 4: an employer's deductions-only list (Lp., name, PESEL, month, amount deducted — no
pay components). RULES.md §13: the member's dues for that month are the deducted amounts, marked as
not checked; the split and the transfer follow from them; no overpayment is invented; the employer
section says the deduction could not be checked without pay components."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import PERIOD, UNIT, line, member, run_close, write_inbox
from transforms.errors import UserError, text
from transforms.payroll import parse_profile

FIX = Path(__file__).parent / "fixtures"
LIST = "przychodnia_potracenia_2026-10.csv"
PESEL = {"M1": "78031501236", "M2": "85112245673", "M3": "69070834119", "M4": "92021298760",
         "M5": "74123054323", "M6": "88060167891", "M7": "01221013574"}
DEDUCTED = {"M1": 6324, "M2": 4100, "M3": 5218, "M4": 3895, "M5": 7001, "M6": 2788, "M7": 3567}
UNCHECKED = "nie można sprawdzić potrącenia bez składników płacowych"
MARK = "wg pracodawcy, niesprawdzone"


@pytest.fixture(autouse=True)
def user_profiles(monkeypatch):
    """The deductions-only profile is the user's own (SKLADKI_PROFILES), as a treasurer would add it."""
    monkeypatch.setenv("SKLADKI_PROFILES", str(FIX / "profiles"))


def inbox(tmp_path, units=None, income=()):
    folder = write_inbox(tmp_path / "inbox", units=units,
                         members=[member(m, pesel=p, full_name=f"Osoba {m}") for m, p in PESEL.items()],
                         income=list(income) or None)
    (folder / "income").mkdir(exist_ok=True)
    shutil.copy(FIX / "payroll" / LIST, folder / "income" / LIST)
    return folder


def profile_text(**changes) -> str:
    content = (FIX / "profiles" / "przychodnia_potracenia.toml").read_text(encoding="utf-8")
    for old, new in changes.items():
        content = content.replace(old, new)
    return content


# ------------------------------------------------------------------ the profile key

def test_content_defaults_to_components_and_deductions_only_is_read():
    assert parse_profile(profile_text()).content == "deductions_only"
    shipped = (Path(__file__).parents[1] / "data" / "profiles" / "huta_wide_cp1250.toml").read_text(encoding="utf-8")
    assert parse_profile(shipped).content == "components"


def test_an_unknown_content_names_the_file_and_the_key():
    bad = profile_text(**{'content = "deductions_only"': 'content = "potracenia"'})
    with pytest.raises(UserError) as e:
        parse_profile(bad, "profile/przychodnia.toml")
    assert str(e.value).startswith("profile/przychodnia.toml: to nie jest poprawny profil (content = 'potracenia'")
    assert "components" in str(e.value) and "deductions_only" in str(e.value)
    assert "Popraw klucz content" in str(e.value)


def test_a_deductions_only_profile_must_name_its_deducted_column():
    bad = profile_text(**{'[deducted]\ncolumn = "Kwota potrącenia"': ""})
    with pytest.raises(UserError, match=r"Popraw klucz deducted"):
        parse_profile(bad, "przychodnia.toml")


# ------------------------------------------------------------------ the close

def test_issue_25_a_deductions_only_list_gives_the_dues_marked_unchecked(tmp_path):
    r = run_close(inbox(tmp_path))
    dues = {d["member_id"]: d for d in r.dues.to_dicts()}
    assert {m: d["total"] for m, d in dues.items()} == DEDUCTED
    assert all(d["dues"] == d["total"] and d["surcharge"] == 0 for d in dues.values())
    # the base of RULES.md §3 is not known without pay components: null, not a made-up zero
    assert all(d["base"] is None for d in dues.values())
    assert "missing_income" not in r.exceptions["reason_code"].to_list()
    # the deductions pay the dues: no overpayment invented, nothing in arrears
    assert r.ledger["credit"].to_list() == [0] * 7 and r.ledger["arrears"].to_list() == [0] * 7
    # the derivation says where the figure comes from
    deriv = r.derivation.with_columns(r.derivation["rule_source"].cast(str), r.derivation["rule_json"].cast(str))
    assert all(MARK in s and LIST in s for s in deriv["rule_source"].to_list())
    # the employer's section: not checked, never "differences"
    assert r.deduction_check["checked"].to_list() == [False] * 7
    assert set(r.employer_claims["note"].to_list()) == {UNCHECKED}
    assert r.employer_claims["difference"].to_list() == [0] * 7
    assert r.rows_read == r.rows_used + r.rows_rejected + r.rows_skipped
    assert r.rows_used >= 7


def test_issue_25_the_settlement_splits_the_deducted_amounts(tmp_path):
    from tests.conftest import rules_for
    from transforms.allocate import unit_cascade
    from transforms.split import split_dues
    r = run_close(inbox(tmp_path))
    d = sum(DEDUCTED.values())                                   # 328,93 zł
    rules = rules_for(PERIOD)
    unit = r.units.to_dicts()[0]
    expected = split_dues(d, unit_cascade(unit, rules.version("solidarnosc")))
    got = {lvl: amount for lvl, amount in r.settlement.select("level", "amount").iter_rows()}
    assert got == expected and sum(got.values()) == d
    owed = {lvl: amount for lvl, amount in r.allocations.select("level", "amount").iter_rows()}
    assert owed == expected


def test_components_elsewhere_win_and_the_deduction_is_checked_as_usual(tmp_path):
    # M7 has pay components in another file: the dues are computed from them (004 §1 ust. 1 pkt 1)
    # and the listed deduction is a receipt checked against them
    r = run_close(inbox(tmp_path, income=[line("M7", "wage", "5000.00")]))
    m7 = r.dues.filter(r.dues["member_id"] == "M7").to_dicts()[0]
    assert (m7["base"], m7["total"]) == (500_000, 4_100)
    check = {c["member_id"]: c for c in r.deduction_check.to_dicts()}
    assert check["M7"]["checked"] is True and check["M7"]["difference"] == 3_567 - 4_100
    assert check["M1"]["checked"] is False
    claim = r.employer_claims.filter(r.employer_claims["member_id"] == "M7").to_dicts()[0]
    assert claim["note"] is None and claim["difference"] == -533
    ledger = r.ledger.filter(r.ledger["member_id"] == "M7").to_dicts()[0]
    assert ledger["arrears"] == 533 and ledger["credit"] == 0


def test_in_a_raised_unit_the_deducted_amount_is_the_raised_dues(tmp_path):
    # 004 §2 ust. 2: the surcharge stays with the unit; the deducted amount holds both parts
    r = run_close(inbox(tmp_path, units=[{**UNIT, "raised_pct": "150"}]))
    m1 = r.dues.filter(r.dues["member_id"] == "M1").to_dicts()[0]
    assert (m1["dues"], m1["surcharge"], m1["total"]) == (4_216, 2_108, 6_324)     # 63,24 / 1,5 = 42,16
    assert r.ledger["credit"].to_list() == [0] * 7
    d = int(r.dues["dues"].sum())
    assert int(r.settlement.filter(r.settlement["level"] != "unit")["amount"].sum()) == round(d * 0.40 + 1e-9)


# ------------------------------------------------------------------ end to end through the CLI

def test_issue_25_d_deductions_only_list_end_to_end_through_the_cli(tmp_path):
    folder, db, out = inbox(tmp_path), tmp_path / "c.duckdb", tmp_path / "out"
    res = CliRunner().invoke(app, ["close", "--period", PERIOD, "--inbox", str(folder), "--db", str(db),
                                   "--out", str(out), "--engine", "plain"])
    assert res.exit_code == 0, res.output
    # the transfer is the split of the deducted amounts, to the grosz: D = 328,93 zł,
    # to the region round(D × 40 %) = 131,57 zł (RULES.md §5)
    con = duckdb.connect(str(db), read_only=True)
    try:
        (transfer,) = con.execute("SELECT CAST(sum(amount) AS VARCHAR) FROM transfers WHERE payer_id = 'U1'").fetchone()
        (credit,) = con.execute("SELECT CAST(sum(credit) AS VARCHAR) FROM member_ledger").fetchone()
        (base,) = con.execute("SELECT count(*) FROM dues WHERE base IS NULL").fetchone()
    finally:
        con.close()
    assert (transfer, credit, base) == ("131.57", "0.00", 7)
    assert "Do przelania 0,00" not in res.output
    assert UNCHECKED in res.output and "różnice u" not in res.output
    assert "nadpłaty u 0" in res.output
    # the member sheet marks every such member
    wb = load_workbook(out / "jednostki" / f"skladki_U1_{PERIOD}.xlsx", read_only=True)
    rows = list(wb["Składki członków"].values)
    marked = [r for r in rows[1:] if r[1] in DEDUCTED]
    assert len(marked) == 7 and all(MARK in r[-1] for r in marked)
    # and the settlement says the dues are the employer's, not checked
    settlement = [c for r in wb["Rozliczenie"].values for c in r if isinstance(c, str)]
    assert any(MARK in c for c in settlement) and any(UNCHECKED in c for c in settlement)
    assert not any(c.startswith("RÓŻNICE") for c in settlement)
    # the close workbook's deduction check and the letter to the employer say the same
    close_wb = load_workbook(out / f"zamkniecie_{PERIOD}.xlsx", read_only=True)
    check = [r for r in close_wb["Kontrola potrąceń"].values][1:]
    assert len(check) == 1 and UNCHECKED in check[0][2] and "różnych" not in check[0][2]
    letter = [c for r in close_wb["Pismo 1"].values for c in r if isinstance(c, str)]
    assert UNCHECKED in letter and "brak różnic" not in letter
    # explain shows where the figure comes from
    res = CliRunner().invoke(app, ["explain", "--member", "M1", "--period", PERIOD, "--db", str(db),
                                   "--engine", "plain"])
    assert res.exit_code == 0, res.output
    assert MARK in res.output and "63,24" in res.output and UNCHECKED in res.output


def test_the_message_texts_come_from_the_catalogue():
    assert text("notes", "deduction_unchecked") == UNCHECKED
    assert text("notes", "dues_by_employer") == MARK


def test_the_explanation_of_stated_dues_equals_the_stored_row_in_a_raised_unit(tmp_path):
    from flows.rules import rules_for
    from transforms import explain
    r = run_close(inbox(tmp_path, units=[{**UNIT, "raised_pct": "175"}]))
    RAISED = rules_for(PERIOD).versions["solidarnosc"].citations["raised"]
    derivations = {d["member_id"]: d for d in r.derivation.to_dicts()}
    receipts = r.receipts.to_dicts()
    for d in r.dues.to_dicts():
        mine = [x for x in receipts if x["member_id"] == d["member_id"]]
        # the paragraph as flows/explain.py hands it: the member's rulebook's [versions.citations] (issue 30)
        shown = {**derivations[d["member_id"]], "raised_source": RAISED}
        e = explain.member(d["member_id"], PERIOD, shown, d, [], None, mine)
        assert (e.base, e.dues, e.surcharge) == (d["base"], d["dues"], d["surcharge"]), d["member_id"]
        assert MARK in e.title and any("004 §2 ust. 1–2" in ln for ln in e.lines)
