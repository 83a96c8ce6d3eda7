"""Worked examples of RULES.md §2–§4 through the pure close. Amounts in grosze."""
import pytest

from tests.conftest import UNIT, dues_of, line, member, run_close, write_inbox


def close_one(tmp_path, category, lines, unit=None, adjustments=None, **member_kw):
    write_inbox(tmp_path, units=[unit or UNIT], members=[member("M1", category, **member_kw)],
                income=lines, adjustments=adjustments)
    return run_close(tmp_path)


def test_employee_0_82_percent_half_up(tmp_path):
    d = dues_of(close_one(tmp_path, "employee", [line("M1", "wage", "1025.00")]), "M1")
    assert (d["base"], d["dues"], d["surcharge"], d["total"]) == (102_500, 841, 0, 841)


def test_employee_base_summed_across_employers_then_rounded_once(tmp_path):
    # 512.50 + 512.50 = 1025.00 -> 8.41 (two separate roundings would give 4.20 + 4.20 = 8.40)
    r = close_one(tmp_path, "employee", [line("M1", "wage", "512.50"), line("M1", "wage", "512.50")])
    assert dues_of(r, "M1")["dues"] == 841


def test_employee_exclusions_are_outside_the_base(tmp_path):
    excluded = ["award", "jubilee_award", "severance", "leave_equivalent", "compensation",
                "in_kind", "social_fund", "tax_exempt"]
    lines = [line("M1", "wage", "5000.00"), line("M1", "allowance", "300.00"),
             line("M1", "overtime", "200.00"), line("M1", "bonus", "400.00"),
             line("M1", "sick_pay", "100.00"), line("M1", "benefit", "0.50")]
    lines += [line("M1", c, "1000.00") for c in excluded]
    d = dues_of(close_one(tmp_path, "employee", lines), "M1")
    assert d["base"] == 600_050           # 6000.50 zł
    assert d["dues"] == 4_920             # 6000.50 × 0.82 % = 49.2041 -> 49.20


@pytest.mark.parametrize("income,expected", [
    ("1000.00", 800), ("1099.99", 800), ("1100.00", 900), ("2450.00", 2200), ("300.00", 800)])
def test_other_income_full_hundreds(tmp_path, income, expected):
    d = dues_of(close_one(tmp_path, "other_income", [line("M1", "other_income", income)]), "M1")
    assert d["dues"] == expected


@pytest.mark.parametrize("benefit,expected", [
    ("500.00", 200), ("599.99", 200), ("600.00", 250), ("3210.40", 1550)])
def test_pensioner_full_hundreds(tmp_path, benefit, expected):
    d = dues_of(close_one(tmp_path, "pensioner", [line("M1", "pension", benefit)]), "M1")
    assert d["dues"] == expected


def test_business_income_floored_at_declared_insurance_base(tmp_path):
    # 004 §1 ust. 2: only business income -> base is max(income, declared ZUS base)
    r = close_one(tmp_path, "other_income", [line("M1", "business_income", "800.00"),
                                             line("M1", "declared_insurance_base", "5052.60")])
    d = dues_of(r, "M1")
    assert d["base"] == 505_260 and d["dues"] == 800 + 40 * 100


def test_declared_base_is_no_floor_when_there_is_other_income(tmp_path):
    r = close_one(tmp_path, "other_income", [line("M1", "business_income", "800.00"),
                                             line("M1", "other_income", "400.00"),
                                             line("M1", "declared_insurance_base", "5052.60")])
    assert dues_of(r, "M1")["base"] == 120_000 and dues_of(r, "M1")["dues"] == 1_000  # 8 + 2


def test_unemployed_pay_the_unit_flat_amount_without_income(tmp_path):
    unit = {**UNIT, "unemployed_flat": "7.50"}
    d = dues_of(close_one(tmp_path, "unemployed", [], unit=unit), "M1")
    assert (d["base"], d["dues"], d["total"]) == (0, 750, 750)


def test_raised_rate_surcharge_stays_with_unit(tmp_path):
    unit = {**UNIT, "raised_pct": "150"}
    r = close_one(tmp_path, "employee", [line("M1", "wage", "1025.00")], unit=unit)
    d = dues_of(r, "M1")
    assert (d["dues"], d["surcharge"], d["total"]) == (841, 421, 1262)  # 8.41 × 50 % = 4.205 -> 4.21
    alloc = {row["level"]: row["amount"] for row in r.allocations.to_dicts()}
    # D = 8.41: to_region 3.36, unit keeps 5.05 + surcharge 4.21
    assert alloc["unit"] == 505 + 421
    assert sum(alloc.values()) == 1262


def test_reduction_replaces_dues_and_drops_surcharge(tmp_path):
    unit = {**UNIT, "raised_pct": "200"}
    adj = [{"member_id": "M1", "kind": "reduced", "amount": "5.00", "valid_from": "2026-10",
            "valid_to": "2027-03", "decision_ref": "KZ 1/2026"}]
    d = dues_of(close_one(tmp_path, "employee", [line("M1", "wage", "6000.00")], unit=unit,
                          adjustments=adj), "M1")
    assert (d["dues"], d["surcharge"], d["total"]) == (500, 0, 500)


def test_suspension_owes_nothing_and_needs_no_income(tmp_path):
    adj = [{"member_id": "M1", "kind": "suspended", "amount": "", "valid_from": "2026-09",
            "valid_to": "2026-10", "decision_ref": "KZ 2/2026"}]
    r = close_one(tmp_path, "employee", [], adjustments=adj)
    assert dues_of(r, "M1")["total"] == 0
    assert r.exceptions.height == 0


def test_membership_months_inclusive(tmp_path):
    write_inbox(tmp_path, members=[member("M1", joined_on="2026-10-31"),
                                   member("M2", left_on="2026-10-01"),
                                   member("M3", joined_on="2026-11-01"),
                                   member("M4", left_on="2026-09-30")],
                income=[line(m, "wage", "1000.00") for m in ("M1", "M2")])
    r = run_close(tmp_path)
    assert sorted(r.dues["member_id"]) == ["M1", "M2"]
    assert r.rows_skipped == 2 and r.exceptions.height == 0


def test_przerobka_one_percent_including_mining_leave_benefit(tmp_path):
    unit = {**UNIT, "rulebook": "przerobka", "pensioner_flat": "6.00"}
    write_inbox(tmp_path, units=[unit], members=[member("M1"), member("M2"), member("M3", "pensioner")],
                income=[line("M1", "wage", "7000.00"), line("M1", "jubilee_award", "9000.00"),
                        line("M1", "benefit", "500.00"), line("M2", "mining_leave_benefit", "6543.21")])
    r = run_close(tmp_path)
    assert dues_of(r, "M1")["dues"] == 7_000      # 1 % of 7 000 zł; award and ZUS benefit outside
    assert dues_of(r, "M2")["dues"] == 6_543      # 65.4321 -> 65.43
    assert dues_of(r, "M3")["dues"] == 600        # unit-set flat amount for pensioners
    alloc = {row["level"]: row["amount"] for row in r.allocations.to_dicts()}
    assert alloc["national"] == 1_354             # 10 % (example value) of D = 135.43 -> 13.54
    assert alloc["unit"] == 13_543 - 1_354 + 600
    assert alloc["region"] == alloc["branch_secretariats"] == alloc["regional_strike_fund"] == 0


def test_issue_17_przerobka_member_with_a_civil_contract_pays_one_percent(tmp_path):
    """003 Art. 31 ust. 3 pkt 1 charges 1 % also of "pracy zarobkowej": a Przeróbka member earning
    3 000.00 on a civil contract owes 30.00 (no longer rejected), and the national contribution
    (Art. 31 ust. 4, "od wpływów ze składek … określonych w ust. 3 pkt 1", example 10 %) takes 3.00."""
    from tests.conftest import line, member, run_close, write_inbox
    unit = {"unit_id": "P1", "name": "ZZ Przeróbka", "region_id": "R1", "voivodeship": "śląskie",
            "sheltered": "false", "raised_pct": "100", "unemployed_flat": "0.00", "rulebook": "przerobka"}
    r = run_close(write_inbox(tmp_path, units=[unit], members=[member("A", "other_income", unit="P1")],
                              income=[line("A", "other_income", "3000.00")]))
    d = r.dues.to_dicts()
    assert [(x["category"], x["base"], x["dues"]) for x in d] == [("other_income", 300_000, 3_000)]
    levels = {a["level"]: a["amount"] for a in r.allocations.to_dicts()}
    assert (levels["national"], levels["unit"]) == (300, 2_700)


def test_issue_30_an_empty_unit_amount_is_no_decision_not_a_zero(tmp_path):
    """004 §1 ust. 1 pkt 4: the unemployed member's dues are what the unit's body decides. An empty
    `unemployed_flat` is no decision: the member gets no dues row but a `unit_flat_missing`
    exception naming the unit, the column and the paragraph as the unit's rulebook cites it (003 Art.
    31 ust. 3 pkt 2 for a Przeróbka pensioner); an explicit 0.00 is a decision of zero; a suspended
    member owes nothing whatever the amount."""
    from tests.conftest import line, member, run_close, write_inbox
    empty = {**UNIT, "name": "Huta", "unemployed_flat": ""}
    przerobka = {"unit_id": "P1", "name": "ZZ Przeróbka", "region_id": "R1", "voivodeship": "śląskie",
                 "sheltered": "false", "raised_pct": "100", "unemployed_flat": "0.00", "pensioner_flat": "",
                 "rulebook": "przerobka"}
    r = run_close(write_inbox(tmp_path, units=[empty, przerobka],
                              members=[member("M1", "unemployed"), member("M2", "employee"),
                                       member("P2", "pensioner", unit="P1"), member("P3", "unemployed", unit="P1")],
                              income=[line("M2", "wage", "1000.00")]))
    assert dues_of(r, "M1") is None and dues_of(r, "P2") is None
    assert dues_of(r, "M2")["dues"] == 820 and dues_of(r, "P3")["dues"] == 0     # 0.00: the unit decided zero
    found = {m: msg for m, code, msg in r.exceptions.select("member_id", "reason_code", "message").iter_rows()
             if code == "unit_flat_missing"}
    assert set(found) == {"M1", "P2"}
    assert f"organ jednostki {UNIT['unit_id']} (Huta) (004 §1 ust. 1 pkt 4)" in found["M1"]
    assert "kolumna unemployed_flat w units.csv jest pusta" in found["M1"]
    assert "003 Art. 31 ust. 3 pkt 2" in found["P2"] and "pensioner_flat" in found["P2"]
