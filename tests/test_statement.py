"""Issue 11: the demo's two months with payments.csv — the ledger, the split of what was received,
the employer claims and the 2026 PIT statement against a hand calculation, and in the workbooks;
the statement command (`skladki statement`) and its limit data."""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from flows import settings
from flows.command import run_plain
from flows.statement import LIMITS, STATEMENT
from tests.conftest import close_plain
from transforms.statement import limit_for, load_limits


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    db, out = tmp / "s.duckdb", tmp / "out"
    for period in ("2026-09", "2026-10"):
        assert close_plain(period, settings.DEMO_INBOX, db, out, unit_workbooks=False).ok
    statement = run_plain(STATEMENT, lambda msg: None, year=2026, db=db, out=out,
                          members=settings.DEMO_INBOX / "members.csv")
    return db, out, statement


def q(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_demo_ledger_and_settlement_match_a_hand_calculation(demo):
    """September has no receipts: every unit 'assumed'. October: SL-0001 (the steelworks' export
    with its deduction column, and payments.csv) is 'received'. Its D owed is 3 053.80; received
    is less by what did not come in: M0000013 (employee, no deduction: 89.02), M0000037 (pays
    nothing: 15.00), M0000115 (the payment with a date that does not exist: 36.00), and the
    employer's 0.8 % instead of 0.82 % for M0000151 (72.29 − 70.53 = 1.76) and M0000265
    (75.95 − 74.09 = 1.86): 3 053.80 − 143.64 = 2 910.16. The unit's transfer is therefore
    round(2 910.16 × 40 %) = 1 164.06 beside an owed round(3 053.80 × 40 %) = 1 221.52.
    M0000043 (pensioner, 9.00) paid 27.00 naming no month: October paid, 18.00 credit.
    M0000008 (150 % unit, 47.00 + 23.50) paid 47.00: the §1 part; the surcharge 23.50 is open."""
    db, _, _ = demo
    assert q(db, "SELECT DISTINCT basis FROM member_ledger WHERE period = '2026-09'") == [("assumed",)]
    d = q(db, "SELECT sum(l.applied_dues), sum(d.dues) FROM member_ledger l JOIN dues d USING (member_id, period) "
              "WHERE period = '2026-10' AND l.unit_id = 'SL-0001' AND d.category IN ('employee', 'other_income')")[0]
    assert d == (Decimal("2910.16"), Decimal("3053.80"))
    assert q(db, "SELECT amount, owed_amount FROM transfers WHERE period = '2026-10' AND payer_id = 'SL-0001'") == [
        (Decimal("1164.06"), Decimal("1221.52"))]
    assert q(db, "SELECT member_id, arrears FROM member_ledger WHERE period = '2026-10' AND unit_id = 'SL-0001' "
                 "AND arrears > 0 ORDER BY 1") == [
        ("M0000013", Decimal("89.02")), ("M0000037", Decimal("15.00")), ("M0000115", Decimal("36.00")),
        ("M0000151", Decimal("1.76")), ("M0000265", Decimal("1.86"))]
    assert q(db, "SELECT received, credit, balance FROM member_ledger WHERE member_id = 'M0000043' "
                 "AND period = '2026-10'") == [(Decimal("27.00"), Decimal("18.00"), Decimal("-18.00"))]
    assert q(db, "SELECT dues_open, surcharge_open FROM ledger_items WHERE member_id = 'M0000008'") == [
        (Decimal("0.00"), Decimal("23.50"))]
    # Σ receipts = Σ applied + Σ credit, and Σ applied = Σ settlement, in each month
    for period in ("2026-09", "2026-10"):
        (recv, applied, credit), = q(db, f"SELECT sum(received), sum(applied_dues + applied_surcharge), sum(credit) "
                                         f"FROM member_ledger WHERE period = '{period}'")
        (settled,) = q(db, f"SELECT sum(amount) FROM settlement WHERE period = '{period}'")[0]
        assert recv == applied + credit and applied == settled


def test_demo_employer_claims_and_the_letter(demo):
    """The steelworks deducted for 40 members; three differ: M0000151 base 8 816.27 → dues 72.29,
    deducted 0.8 % = 70.53 (−1.76); M0000265 base 9 261.74 → 75.95, deducted 74.09 (−1.86);
    M0000253 dues 66.05 but the jubilee award was put into the base: 156.55 deducted (+90.50).
    The employer's total difference is +86.88."""
    db, out, _ = demo
    rows = q(db, "SELECT member_id, owed, deducted, difference FROM employer_claims WHERE period = '2026-10' "
                 "AND difference <> 0 ORDER BY 1")
    assert rows == [("M0000151", Decimal("72.29"), Decimal("70.53"), Decimal("-1.76")),
                    ("M0000253", Decimal("66.05"), Decimal("156.55"), Decimal("90.50")),
                    ("M0000265", Decimal("75.95"), Decimal("74.09"), Decimal("-1.86"))]
    wb = load_workbook(out / "zamkniecie_2026-10.xlsx")
    claims = [r for r in wb["Roszczenia do pracodawców"].iter_rows(min_row=2, values_only=True)]
    assert ("income/huta_lista_plac_2026-10.csv", "razem", "40 członków", Decimal("2839.78"), Decimal("2926.66"),
            Decimal("86.88"), None) in [tuple(Decimal(str(v)) if isinstance(v, float) else v for v in r) for r in claims]
    letters = [n for n in wb.sheetnames if n.startswith("Pismo")]
    assert letters and any("M0000253" in str(c) for r in wb[letters[0]].iter_rows(values_only=True) for c in r)
    accounts = {r[1]: r for r in wb["Konta członków"].iter_rows(min_row=2, values_only=True)}
    assert accounts["M0000043"][4] == 18 and accounts["M0000037"][5] == 15
    reductions = [r[:3] for r in wb["Obniżki i zawieszenia"].iter_rows(min_row=2, values_only=True)]
    assert ("SL-0003", "M0000003", "obniżenie") in reductions
    # issue 30: M0000004 is a Przeróbka member — 003 Art. 31 provides no suspension, so none is in force
    assert not [r for r in reductions if r[1] == "M0000004"]
    # the split of what SL-0001 received, D = 2 910,16: to the region round(40 %) = 1 164,06, of which the
    # national levels round(10 %) = 291,02 and the funds round(2,5 %) = 72,75 twice: the region keeps 727,54
    split = {r[0]: r for r in wb["Podział wpływów"].iter_rows(min_row=2, values_only=True)}
    assert split["SL-0001"][1].startswith("wpływy") and Decimal(str(split["SL-0001"][5])) == Decimal("727.54")


def test_demo_pit_statement_2026(demo):
    """M0000043: September 9.00 (assumed) + October 27.00 = 36.00 received in 2026, all of it
    deductible (limit 840.00 from 2023 income). M0000037: 15.00 in September (assumed), nothing in
    October. The unit's PDF has one page per member; names only there and in its workbook."""
    db, out, statement = demo
    assert statement.ok
    wb = load_workbook(out / "zaswiadczenia_2026" / "SL-0001.xlsx")
    rows = {r[0]: r for r in wb.active.iter_rows(min_row=2, values_only=True)}
    m43 = rows["M0000043"]
    assert m43[2 + 8] == 9 and m43[2 + 9] == 27 and m43[14] == 36 and m43[15] == 36 and "09" in m43[16]
    assert rows["M0000037"][14] == 15 and rows["M0000037"][1]      # a name, from the unit's members.csv
    pdf = PdfReader(out / "zaswiadczenia_2026" / "SL-0001.pdf")
    assert len(pdf.pages) == len([k for k in rows if k and k.startswith("M")])
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "M0000043" in text and "36,00 zł" in text and "840,00 zł" in text


def test_pit_limits_are_dated_data_with_their_source():
    limits = load_limits(LIMITS)
    assert limit_for(2021, limits) is None
    assert (limit_for(2022, limits).amount, limit_for(2023, limits).amount, limit_for(2026, limits).amount) == (
        50_000, 84_000, 84_000)
    assert all("art. 26 ust. 1 pkt 2c" in x.source for x in limits)


def _ledger(rows):
    import polars as pl
    return pl.DataFrame(rows, schema={"period": pl.String, "unit_id": pl.String, "member_id": pl.String,
                                      "received": pl.Int64, "basis": pl.String}, orient="row")


def test_the_pit_limit_is_the_members_once_across_units(tmp_path):
    """Issue 30: ustawa o PIT art. 26 ust. 1 pkt 2c limits the deduction per taxpayer (840 zł from
    2023 income), not per unit. M1 paid SL-0001 60,00 a month January–June (360,00) and, after moving,
    SL-0002 100,00 a month July–December (600,00): 960,00 in the year. Each unit's certificate alone
    is under the limit, but together they may certify only 840,00: the limit is used up in the order
    the dues were received — SL-0001 (paid first) 360,00, SL-0002 what is left, 480,00. M2 stays in
    one unit and is unaffected; M3 moved but paid 300,00 in all: both parts in full."""
    from reports import statement as statement_reports
    from transforms.statement import yearly
    limit = limit_for(2026, load_limits(LIMITS))
    rows = [(f"2026-{m:02d}", "SL-0001", "M1", 6000, "received") for m in range(1, 7)]
    rows += [(f"2026-{m:02d}", "SL-0002", "M1", 10000, "received") for m in range(7, 13)]
    rows += [(f"2026-{m:02d}", "SL-0002", "M2", 10000, "received") for m in range(1, 13)]
    rows += [("2026-03", "SL-0002", "M3", 10000, "received"), ("2026-09", "SL-0001", "M3", 20000, "received")]
    out = yearly(_ledger(rows), 2026, limit)
    got = {(r["unit_id"], r["member_id"]): (r["total"], r["member_total"], r["deductible"])
           for r in out.iter_rows(named=True)}
    assert got == {("SL-0001", "M1"): (36000, 96000, 36000), ("SL-0002", "M1"): (60000, 96000, 48000),
                   ("SL-0002", "M2"): (120000, 120000, 84000),
                   ("SL-0002", "M3"): (10000, 30000, 10000), ("SL-0001", "M3"): (20000, 30000, 20000)}
    for member, (total,) in [("M1", (96000,)), ("M2", (120000,)), ("M3", (30000,))]:
        assert out.filter(out["member_id"] == member)["deductible"].sum() == min(total, limit.amount)

    def output(rel):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
    statement_reports.write(out, 2026, limit, {}, {"SL-0001": "Huta", "SL-0002": "Szpital"}, output,
                            settings.DATA / "fonts")
    wb = load_workbook(tmp_path / "zaswiadczenia_2026" / "SL-0002.xlsx")
    m1 = {r[0]: r for r in wb.active.iter_rows(min_row=2, values_only=True)}["M1"]
    assert (m1[14], m1[15], m1[17]) == (600, 480, 960)
    assert "Huta (SL-0001): otrzymano 360,00 zł, do odliczenia 360,00 zł" in m1[16]
    assert "razem do odliczenia 840,00 zł" in m1[16] and "kolejności wpływów" in m1[16]
    text = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "zaswiadczenia_2026" / "SL-0002.pdf").pages)
    assert "Razem we wszystkich jednostkach" in text and "960,00 zł" in text and "480,00 zł" in text
