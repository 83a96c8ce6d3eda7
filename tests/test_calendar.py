"""Issue 16: `skladki calendar` on fixed dates of the demo lists what is due or overdue: unit
transfers by the 20th (004 §10), region forwards by the month's end, annual statements by 15 July
(004 §11), reductions ending, members reaching three unpaid months, benefit windows closing."""
from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from flows import settings
from flows.benefits import BENEFITS
from flows.calendar import CALENDAR
from flows.command import run_plain
from reports import calendar as calendar_reports
from tests.conftest import close_plain
from transforms import calendar as cal
from transforms.deadlines import NO_SHIFT, DeadlineShift

KC_115 = DeadlineShift("next_working_day", "Kodeks cywilny art. 115")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calendar")
    db = tmp / "s.duckdb"
    for period in ("2026-09", "2026-10"):
        assert close_plain(period, settings.DEMO_INBOX, db, unit_workbooks=False).ok
    assert run_plain(BENEFITS, lambda m: None, inbox=settings.DEMO_INBOX, db=db, out=None, date="2026-11-15").ok
    return db


def items(db, day, out=None):
    outcome = run_plain(CALENDAR, lambda m: None, date=day, db=db, statements=settings.DEMO_INBOX / "statements.csv",
                        out=out)
    assert outcome.ok
    return outcome.result.items


def test_demo_calendar_on_20_november(db, tmp_path):
    found = items(db, "2026-11-20", tmp_path)
    kinds = {(i["kind"], i["who"], i["status"]) for i in found}
    assert ("unit_transfer", "SL-0001", "due") in kinds                  # October's, due today (004 §10)
    assert ("unit_transfer", "SL-0001", "overdue") in kinds              # September's, never reconciled
    assert ("region_forward", "GD", "due") in kinds                       # by 30 November
    assert ("annual_statement", "GD", "overdue") in kinds and ("annual_statement", "SL", "overdue") not in kinds
    windows = [i for i in found if i["kind"] == "benefit_documents"]
    assert [(i["who"], i["due_on"]) for i in windows] == [("GD-0001", date(2026, 11, 25))]     # claim C10
    sl = next(i for i in found if i["kind"] == "unit_transfer" and i["who"] == "SL-0001" and i["status"] == "due")
    assert sl["amount"] == 116_406                     # the share of the dues received, not yet matched
    assert (tmp_path / "kalendarz_2026-11-20.xlsx").exists()


def test_issue_28_the_sheet_and_the_summary_list_the_same_items(db, tmp_path):
    """reports/calendar.py: every item on the sheet and in the terminal table, overdue first, in
    the same order; the summary names the sheet written (and none when no --out is given)."""
    outcome = run_plain(CALENDAR, lambda m: None, date="2026-11-20", db=db,
                        statements=settings.DEMO_INBOX / "statements.csv", out=tmp_path)
    found = outcome.result.items
    overdue = sum(i["status"] == "overdue" for i in found)
    assert 0 < overdue < len(found) and outcome.result.file == "kalendarz_2026-11-20.xlsx"
    lines = CALENDAR.summary(outcome.run, outcome.result).splitlines()
    assert lines[0].startswith("Kalendarz na 2026-11-20: ") and lines[0].endswith(f"({overdue} po terminie)")
    assert lines[-1] == f"  arkusz: {tmp_path / 'kalendarz_2026-11-20.xlsx'}"
    table = lines[2:-1]
    assert len(table) == len(found)
    assert all(row.startswith("  PO TERMINIE") for row in table[:overdue])
    assert all(row.startswith("  do zrobienia") for row in table[overdue:])
    assert all(row.endswith(i["what"]) for row, i in zip(table, found))
    ws = load_workbook(tmp_path / "kalendarz_2026-11-20.xlsx")["Kalendarz"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[0] == ("Stan", "Termin", "Kto", "Co", "Kwota", "Podstawa")
    assert [(r[0], r[2], r[3]) for r in rows[1:len(found) + 1]] == [
        (calendar_reports.STATUS[i["status"]], i["who"], i["what"]) for i in found]
    plain = run_plain(CALENDAR, lambda m: None, date="2026-11-20", db=db,
                      statements=settings.DEMO_INBOX / "statements.csv", out=None)
    assert "arkusz" not in CALENDAR.summary(plain.run, plain.result) and plain.result.file is None


def test_demo_calendar_in_october_lists_the_reduction_ending(db):
    found = items(db, "2026-10-25", None)
    ending = [i for i in found if i["kind"] == "reduction_ends"]
    assert [i["who"] for i in ending] == ["SL-0002"]                     # M0000326, 2026-10..2026-10 (004 §2 ust. 3)
    assert "M0000326" in ending[0]["what"]


def test_annual_statements_appear_in_july_only_when_missing():
    assert cal.annual_statements(["GD", "SL"], {("SL", 2025): date(2026, 7, 10)}, date(2026, 6, 30), "07-15", "004 §11",
                                 shift=NO_SHIFT) == []
    due = cal.annual_statements(["GD", "SL"], {("SL", 2025): date(2026, 7, 10)}, date(2026, 7, 10), "07-15", "004 §11",
                                shift=NO_SHIFT)
    assert [(i["who"], i["status"]) for i in due] == [("GD", "due")]


def test_issue_25_annual_statements_due_on_a_saturday_are_due_on_monday():
    """004 §11: by 15 July; 15 July 2028 is a Saturday, so Monday 17 July is still in time."""
    (due,) = cal.annual_statements(["GD"], {}, date(2028, 7, 17), "07-15", "004 §11", shift=KC_115)
    assert (due["due_on"], due["status"]) == (date(2028, 7, 17), "due")
    assert "15 lipca 2028 to sobota — Kodeks cywilny art. 115" in due["source"]
    (late,) = cal.annual_statements(["GD"], {}, date(2028, 7, 18), "07-15", "004 §11", shift=KC_115)
    assert late["status"] == "overdue"


def test_issue_25_a_benefit_window_ending_on_sunday_closes_on_monday():
    rows = [{"claim_id": "C1", "member_id": "M1", "unit_id": "U1", "event_date": date(2026, 6, 20)}]
    (window,) = cal.benefit_windows(rows, date(2026, 12, 21), 6, "004 §5 ust. 3 pkt 2", shift=KC_115)
    assert window["due_on"] == date(2026, 12, 21) and "dokumenty do 2026-12-21" in window["what"]
    assert cal.benefit_windows(rows, date(2026, 12, 21), 6, "004 §5 ust. 3 pkt 2", shift=NO_SHIFT) == []


def test_members_reaching_three_unpaid_months():
    rows = [{"member_id": "A", "unit_id": "U1", "months_unpaid": 3, "arrears": 1350},
            {"member_id": "B", "unit_id": "U1", "months_unpaid": 2, "arrears": 900},
            {"member_id": "C", "unit_id": "U1", "months_unpaid": 4, "arrears": 1800}]
    assert [i["what"][:10] for i in cal.arrears_reached(rows, {"U1": 3}, {"U1": "002 §15 pkt 2"})] == ["członek A:"]


GD_OCTOBER = [  # the region's forwards for October (004 §3 ust. 1 pkt 3–6), due by 30 November (004 §10)
    {"period": "2026-10", "payer_kind": "region", "payer_id": "GD", "payee": p, "amount": a,
     "due_on": date(2026, 11, 30), "rule": "004 §10"}
    for p, a in (("national", 40_000), ("regional_strike_fund", 10_000), ("national_strike_fund", 10_000))]
LEVELS = {"national": ("national", "poziom krajowy"), "national_strike_fund": ("national", "poziom krajowy")}


def test_issue_30_a_forward_is_checked_against_its_own_levels_statement():
    """004 §3 ust. 1 pkt 3–6 and §10: the region forwards the Komisja Krajowa's and the Krajowy
    Fundusz Strajkowy's parts (500,00 together) to the national accounts; the regional strike fund
    (100,00, pkt 5) stays in the region. The national statement shows 495,00 from GD: a 5,00 zł
    shortfall — which the region's total (600,00 ≥ every forward) used to hide — and the regional
    strike fund is never expected on the national statement."""
    paid = {("GD", "2026-10", "national"): 49_500}
    (short,) = [i for i in cal.transfers(GD_OCTOBER, date(2026, 12, 1), {}, {"unit"}, levels=LEVELS, paid=paid)]
    assert (short["kind"], short["who"], short["status"], short["amount"]) == ("region_forward", "GD", "overdue", 500)
    assert "national, national_strike_fund" in short["what"] and "495,00 zł z 500,00 zł" in short["what"]
    # in the month it is due, the regional strike fund is listed as the region's own move, not as unpaid nationally
    due = cal.transfers(GD_OCTOBER, date(2026, 11, 20), {}, {"unit"}, levels=LEVELS, paid=paid)
    fund = next(i for i in due if "regional_strike_fund" in i["what"])
    assert fund["status"] == "due" and fund["amount"] == 10_000 and "zostaje w regionie" in fund["what"]
    # paid in full on the national statement: nothing national is open
    full = {("GD", "2026-10", "national"): 50_000}
    assert cal.transfers(GD_OCTOBER, date(2026, 12, 1), {}, {"unit"}, levels=LEVELS, paid=full) == []
    # a region-level reconciliation (the region's own statement) says nothing of the national credit
    regional = {("GD", "2026-10", cal.REGION): 60_000}
    (open_,) = cal.transfers(GD_OCTOBER, date(2026, 12, 1), {}, {"unit"}, levels=LEVELS, paid=regional)
    assert open_["amount"] == 50_000 and "brak uzgodnienia" in open_["what"]


def test_issue_30_a_units_transfer_is_checked_against_the_region_statements():
    rows = [{"period": "2026-10", "payer_kind": "unit", "payer_id": "SL-0001", "payee": "region", "amount": 116_406,
             "due_on": date(2026, 11, 20), "rule": "004 §10"}]
    paid = {("SL-0001", "2026-10", cal.REGION): 100_000, ("SL-0001", "2026-10", "national"): 116_406}
    (item,) = cal.transfers(rows, date(2026, 11, 21), {}, {"unit"}, levels=LEVELS, paid=paid)
    assert (item["amount"], item["status"]) == (16_406, "overdue") and "uzgodniono 1 000,00 zł" in item["what"]


def test_issue_30_the_demo_national_statement_shows_gds_5_zl_shortfall(db, tmp_path):
    """The demo's national statement (data/demo/statements_krajowe) shows 856,00 zł from GD for
    September where the Komisja Krajowa and the Krajowy Fundusz Strajkowy are owed 688,80 + 172,20 =
    861,00 (004 §3 ust. 1 pkt 3–4, 6; §10): 5,00 zł open. The regional strike fund (pkt 5) is not
    on that statement and is not listed as unpaid once its day has passed."""
    import shutil
    from flows.reconcile import RECONCILE
    mine = tmp_path / "s.duckdb"
    shutil.copy(db, mine)
    assert run_plain(RECONCILE, lambda m: None, period="2026-10", statements=settings.DEMO_INBOX / "statements_krajowe",
                     db=mine, out=None, level="national").ok
    found = items(mine, "2026-12-01")
    forwards = [(i["who"], i["status"], i["amount"]) for i in found if i["kind"] == "region_forward"]
    assert ("GD", "overdue", 500) in forwards
    assert not [i for i in found if "regionalny fundusz strajkowy" in i["what"]]
    assert [i for i in items(mine, "2026-11-20") if "regionalny fundusz strajkowy" in i["what"]
            and "zostaje w regionie" in i["what"] and i["status"] == "due"]
