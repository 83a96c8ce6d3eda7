"""RULES.md §9 — officers' salary caps (004 Uchwała nr 5 XIX KZD §7–§8)."""
from __future__ import annotations


import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows import salary_caps as caps_flow
from flows.rules import rules_for
from flows.command import run_plain
from flows.delegates import VERIFY_DELEGATES
from flows import settings
from flows.cli import app
from transforms.money import grosze
from transforms.salary_caps import Officer, cap_rules, previous_quarter, salary_caps, stage_officers
from fractions import Fraction

RULES = cap_rules(rules_for("2026-02").version("solidarnosc"))


def officer(row, pid, kind, func, salary="0.00", fte="1", members=None, body="B1"):
    return Officer(row, pid, pid, kind, body, func, members, Fraction(fte), grosze(salary))


def caps_by(rows):
    return {(r.person_id, r.function): r for r in rows}


def test_examples_at_a_8500_with_chairs_paid_at_their_caps():
    a = grosze("8500.00")
    officers = [officer(1, "kkc", "kk", "chair", "24650.00"), officer(2, "kkd", "kk", "deputy"),
                officer(3, "kkp", "kk", "presidium"), officer(4, "kkr", "kkr", "chair"),
                officer(5, "rc", "region", "chair", "17000.00", members=40_000)]
    rows = caps_by(salary_caps(officers, RULES, a)[0])
    assert rows["rc", "chair"].cap == grosze("17000.00")
    assert rows["kkc", "chair"].cap == grosze("24650.00")
    assert rows["kkd", "deputy"].cap == grosze("22185.00")
    assert rows["kkp", "presidium"].cap == grosze("19720.00")
    assert rows["kkr", "chair"].cap == grosze("19720.00")


def test_examples_at_published_2025_q4():
    a = grosze("9228.64")
    officers = [officer(1, "kkc", "kk", "chair", "26763.06"), officer(2, "kkp", "kk", "presidium"),
                officer(3, "rc", "region", "chair", members=100_001)]
    rows = caps_by(salary_caps(officers, RULES, a)[0])
    assert rows["kkc", "chair"].cap == grosze("26763.06")
    assert rows["kkp", "presidium"].cap == grosze("21410.45")   # 0.8 × 26 763.06 = 21 410.448
    assert rows["rc", "chair"].cap == grosze("22148.74")


@pytest.mark.parametrize("members,multiple", [(40_000, "2.0"), (40_001, "2.2"), (100_000, "2.2"),
                                              (100_001, "2.4")])
def test_chair_band_edges(members, multiple):
    rows = salary_caps([officer(1, "c", "region", "chair", members=members)], RULES, grosze("10000.00"))[0]
    assert rows[0].cap == grosze("10000.00") * Fraction(multiple)


def test_deputy_follows_chairs_actual_pay_and_falls_back_to_cap_when_chair_not_employed():
    a = grosze("8500.00")
    paid_below = [officer(1, "c", "region", "chair", "15000.00", members=30_000),
                  officer(2, "d", "region", "deputy")]
    rows = caps_by(salary_caps(paid_below, RULES, a)[0])
    assert rows["d", "deputy"].cap == grosze("13500.00") and not rows["d", "deputy"].flagged
    not_employed = [officer(2, "d", "region", "deputy", members=30_000)]
    row = salary_caps(not_employed, RULES, a)[0][0]
    assert row.cap == grosze("15300.00") and row.flagged
    assert "LIMIT przewodniczącego 17 000,00 zł" in row.cap_basis


def test_chair_salary_above_cap_is_not_the_base_and_part_time_chair_is_scaled_up():
    a = grosze("8500.00")
    rows = caps_by(salary_caps([officer(1, "c", "region", "chair", "20000.00", members=1),
                                officer(2, "d", "region", "deputy")], RULES, a)[0])
    assert rows["d", "deputy"].cap == grosze("15300.00")          # 0.9 × the chair's cap 17 000
    assert rows["c", "chair"].excess == grosze("3000.00")
    rows = caps_by(salary_caps([officer(1, "c", "region", "chair", "7000.00", fte="0.5", members=1),
                                officer(2, "d", "region", "deputy")], RULES, a)[0])
    assert rows["d", "deputy"].cap == grosze("12600.00")          # 0.9 × 14 000 full-time


def test_two_half_time_functions_are_one_post_capped_by_the_higher_cap():
    a = grosze("8500.00")
    officers = [officer(1, "c1", "region", "chair", "17000.00", members=1, body="R1"),
                officer(2, "c2", "branch_secretariat", "chair", "18700.00", members=50_000, body="S1"),
                officer(3, "p", "region", "presidium", "6000.00", fte="0.5", body="R1"),
                officer(4, "p", "branch_secretariat", "deputy", "8000.00", fte="0.5", body="S1")]
    rows = caps_by(salary_caps(officers, RULES, a)[0])
    total = rows["p", "total"]
    # caps: presidium 0.8 × 17 000 = 13 600; deputy 0.9 × 18 700 = 16 830 -> one full post at 16 830
    assert total.full_time_cap == grosze("16830.00") and total.cap == grosze("16830.00")
    assert total.salary == grosze("14000.00") and total.excess == 0
    assert rows["p", "presidium"].excess is None and "§8" in rows["p", "presidium"].cap_basis


def test_functions_summing_above_one_post_are_capped_as_one_post():
    a = grosze("8500.00")
    officers = [officer(1, "p", "region", "chair", "17000.00", fte="1", members=1, body="R1"),
                officer(2, "p", "kseir", "chair", "9000.00", fte="0.5", members=1, body="K1")]
    total = caps_by(salary_caps(officers, RULES, a)[0])["p", "total"]
    assert total.cap == grosze("17000.00") and total.excess == grosze("9000.00")
    assert "ponad jeden etat" in total.cap_basis


def test_previous_quarter():
    assert previous_quarter("2026-02") == "2025-Q4"
    assert previous_quarter("2026-04") == "2026-Q1"
    assert previous_quarter("2026-12") == "2026-Q3"


def test_bad_officer_rows_are_exceptions():
    rows = [{"_row": 1, "person_id": "P1", "body_kind": "region", "body_id": "R", "function": "boss",
             "fte": "1.5", "monthly_salary": "12 000,00"}]
    good, exc = stage_officers(rows, "officers.csv", "2026-02", RULES)
    assert good == []
    assert exc[0].message == (
        "officers.csv, wiersz 1 (osoba P1): function 'boss' musi być jednym z: chair, deputy, presidium, council_member; "
        "fte 1.5 musi być większe od 0 i nie większe niż 1; monthly_salary '12 000,00' nie jest kwotą, np. "
        "9500.00. Wiersz nie jest użyty.")


def test_cli_on_demo_officers_stores_table_and_workbook(tmp_path):
    db, out = tmp_path / "c.duckdb", tmp_path / "out"
    res = CliRunner().invoke(app, ["salary-caps", "--period", "2026-02", "--officers",
                                   str(settings.DEMO_INBOX / "officers" / "officers.csv"),
                                   "--db", str(db), "--out", str(out), "--engine", "plain"])
    assert res.exit_code == 0, res.output
    assert "A = 9 228,64 zł (2025-Q4" in res.output
    con = duckdb.connect(str(db), read_only=True)
    kk = con.execute("SELECT cap, excess FROM salary_caps WHERE person_id='P001'").fetchone()
    assert str(kk[0]) == "26763.06" and str(kk[1]) == "0.00"
    wb = load_workbook(out / "limity_wynagrodzen_2026-02.xlsx")
    assert wb.sheetnames == ["Limity wynagrodzeń", "Wyjątki"]
    n = con.execute("SELECT count(*) FROM salary_caps WHERE period='2026-02'").fetchone()[0]
    assert wb["Limity wynagrodzeń"].max_row == n + 1
    # re-run replaces
    CliRunner().invoke(app, ["salary-caps", "--period", "2026-02", "--officers",
                             str(settings.DEMO_INBOX / "officers" / "officers.csv"), "--db", str(db),
                             "--engine", "plain"])
    assert con.execute("SELECT count(*) FROM salary_caps").fetchone()[0] == n


def test_missing_quarter_is_an_error_naming_it(tmp_path):
    res = CliRunner().invoke(app, ["salary-caps", "--period", "2026-10", "--officers",
                                   str(settings.DEMO_INBOX / "officers" / "officers.csv"),
                                   "--db", str(tmp_path / "c.duckdb"), "--engine", "plain"])
    assert res.exit_code == 1
    assert "Brak przeciętnego wynagrodzenia GUS za 2026-Q3 (kwartał przed 2026-10)" in res.output
    assert not (tmp_path / "c.duckdb").exists()


def test_user_wages_file_adds_quarters_and_conflicts_are_errors(tmp_path):
    wages = tmp_path / "w.csv"
    wages.write_text("quarter,amount_pln,source\n2026-Q3,9400.00,test\n", encoding="utf-8")
    assert caps_flow.quarterly_wages(wages)["2026-Q3"][0] == grosze("9400.00")
    wages.write_text("quarter,amount_pln,source\n2025-Q4,9000.00,test\n", encoding="utf-8")
    with pytest.raises(Exception, match="2025-Q4 wynosi tu 9 000,00 zł, a w .* 9 228,64 zł"):
        caps_flow.quarterly_wages(wages)


def test_chair_band_from_the_stored_verified_count(tmp_path):
    """A region chair's band uses the recognised members stored by verify-delegates, and says so."""
    import csv as _csv
    inbox = tmp_path / "del"
    inbox.mkdir()
    with (inbox / "remittances.csv").open("w", newline="", encoding="utf-8") as f:
        _csv.writer(f).writerows([["region_id", "voivodeship", "paid_in", "amount", "declared_paying_members",
                                   "exempt_members"],
                                  ["SL", "śląskie", "2026-01", "10000000.00", "90000", "15000"]])
    with (inbox / "wages.csv").open("w", newline="", encoding="utf-8") as f:
        _csv.writer(f).writerows([["voivodeship", "month", "amount"], ["śląskie", "2025-12", "8000.00"]])
    db = tmp_path / "c.duckdb"
    assert run_plain(VERIFY_DELEGATES, inbox=inbox, db=db).ok
    outcome = run_plain(caps_flow.SALARY_CAPS, period="2026-02", db=db,
                        officers=settings.DEMO_INBOX / "officers" / "officers.csv")
    chair = next(r for r in outcome.result.rows if r.person_id == "P005")
    # officers.csv says 72 000 members (2.2 ×); the verified count is 105 000 (2.4 ×)
    assert chair.full_time_cap == grosze("22148.74")
    assert "105000 członków (zweryfikowana liczba członków" in chair.cap_basis


def test_issue_17_every_kseir_council_member_is_capped_at_0_8_of_the_chair():
    """004 §7 ust. 1 pkt 5 caps every member of the KSEiR council, not only its presidium: with
    A = 8 500.00 and a KSEiR of 30 000 members, the chair's cap is 2.0 × A = 17 000.00 and she is
    paid 16 000.00; a council member's cap is 0.8 × 16 000.00 = 12 800.00. The function exists only
    in the KSEiR: a region's "council member" row is rejected."""
    a = grosze("8500.00")
    officers = [officer(1, "kc", "kseir", "chair", "16000.00", members=30_000, body="K1"),
                officer(2, "km", "kseir", "council_member", body="K1")]
    rows = caps_by(salary_caps(officers, RULES, a)[0])
    assert rows["km", "council_member"].cap == grosze("12800.00")
    assert "§7 ust. 1 pkt 5" in rows["km", "council_member"].cap_basis
    good, found = stage_officers([{"person_id": "x", "body_kind": "region", "body_id": "R1",
                                   "function": "council_member", "fte": "1", "monthly_salary": "100.00",
                                   "_row": 1}], "officers.csv", "2026-02", RULES)
    assert not good and "istnieje tylko w: KSEiR" in found[0].message
