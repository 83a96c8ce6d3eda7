"""Issue 11: members' accounts — receipts, the ledger, the split of dues received, employer claims,
arrears, re-closes. Worked examples computed by hand in each docstring (RULES.md §5 "Owed and
received", §10; 004 §3 ust. 1, §10, §2 ust. 3), then properties over generated months. The
worked example of a `reduced` amount above the computed dues (50.00 against 8.20, refused under
§2 ust. 3) is tests/test_contract.py::test_issue_10_a_reduction_not_lower_than_the_dues_is_rejected."""
from __future__ import annotations

import duckdb
import polars as pl
from hypothesis import given, settings as hsettings, strategies as st

from tests.conftest import approve_plain, close_plain, line, member, run_close, write_inbox
from transforms.ledger import ITEM_SCHEMA, RECEIPT_SCHEMA, post, shift_period

UNIT150 = {"unit_id": "U1", "name": "Organizacja 150 %", "region_id": "R1", "voivodeship": "śląskie",
           "sheltered": "false", "raised_pct": "150", "unemployed_flat": "0.00", "rulebook": "solidarnosc"}


def payments(folder, rows):
    (folder / "payments.csv").write_text("member_id,paid_on,amount,period,reference\n" + "".join(
        f"{m},{d},{a},{p},\n" for m, d, a, p in rows), encoding="utf-8")


def deducted(mid, amount, period="2026-10"):
    return line(mid, "dues_deducted", amount, period)


def levels(frame, unit="U1"):
    return {r["level"]: r["amount"] for r in frame.filter(pl.col("unit_id") == unit)
            .group_by("level").agg(pl.col("amount").sum()).to_dicts()}


def ledger_row(result, mid):
    return result.ledger.filter(pl.col("member_id") == mid).to_dicts()[0]


# ------------------------------------------------------------------ worked examples

def test_employer_deducted_exactly_the_dues(tmp_path):
    """Wage 5 000.00 → dues 0.82 % = 41.00; the employer deducted 41.00.
    Ledger: owed 41.00, received 41.00, balance 0. The settlement is the owed split of D = 41.00:
    to_region 16.40, national_total 4.10 (branch 0.82, national 3.28), funds 1.03 + 1.03,
    region 16.40 − 4.10 − 2.06 = 10.24, unit 24.60 — equal to the allocations."""
    inbox = write_inbox(tmp_path, members=[member("A")], income=[line("A", "wage", "5000.00"), deducted("A", "41.00")])
    r = run_close(inbox)
    row = ledger_row(r, "A")
    assert (row["owed"], row["received"], row["balance"], row["months_unpaid"]) == (4100, 4100, 0, 0)
    assert levels(r.settlement) == levels(r.allocations) == {
        "unit": 2460, "region": 1024, "national": 328, "branch_secretariats": 82,
        "regional_strike_fund": 103, "national_strike_fund": 103}
    assert r.basis == {"U1": "received"}
    assert r.employer_claims["difference"].to_list() == [0]


def test_employer_deducted_one_zloty_too_little(tmp_path):
    """Dues 41.00, deducted 40.00: the member's balance is 1.00 (one month unpaid), the employer
    claim says −1.00, and the settlement splits D = 40.00: to_region 16.00, national_total 4.00
    (branch 0.80, national 3.20), funds 1.00 + 1.00, region 10.00, unit 24.00 — less than the owed
    split (region 10.24). The unit's transfer is 16.00 beside an owed 16.40."""
    inbox = write_inbox(tmp_path, members=[member("A")], income=[line("A", "wage", "5000.00"), deducted("A", "40.00")])
    r = run_close(inbox)
    row = ledger_row(r, "A")
    assert (row["owed"], row["received"], row["arrears"], row["balance"], row["months_unpaid"]) == (4100, 4000, 100, 100, 1)
    claim = r.employer_claims.to_dicts()[0]
    assert (claim["owed"], claim["deducted"], claim["difference"]) == (4100, 4000, -100)
    assert levels(r.settlement) == {"unit": 2400, "region": 1000, "national": 320, "branch_secretariats": 80,
                                    "regional_strike_fund": 100, "national_strike_fund": 100}
    unit_transfer = r.transfers.filter(pl.col("payer_kind") == "unit").to_dicts()[0]
    assert (unit_transfer["amount"], unit_transfer["owed_amount"]) == (1600, 1640)


def post_months(category: str, dues: int, months: list[tuple[str, int]]):
    """One member owing ``dues`` a month, paying ``cash`` (naming no month) in each close."""
    items, credits, rows, posted = pl.DataFrame(schema=ITEM_SCHEMA), {}, [], None
    for period, cash in months:
        owed = pl.DataFrame([{"member_id": "P", "unit_id": "U1", "category": category, "dues": dues, "surcharge": 0}])
        receipts = pl.DataFrame([{"period": period, "member_id": "P", "unit_id": "U1", "kind": "payment",
                                  "amount": cash, "for_period": None}] if cash else [], schema=RECEIPT_SCHEMA)
        posted = post(period, owed, receipts, items, credits, {"U1": "received"})
        rows.append(posted.ledger.to_dicts()[0])
        items, credits = posted.items, {"P": rows[-1]["credit"]}
    return rows, posted


def test_direct_payer_paying_three_months_at_once():
    """A pensioner owes 9.00 a month; on 5 October pays 27.00 naming no month. October is paid
    (9.00), 18.00 is credit. November and December are paid from the credit with no new money:
    credit 9.00, then 0; received 27.00, 0, 0; balance −18.00, −9.00, 0."""
    rows, _ = post_months("pensioner", 900, [("2026-10", 2700), ("2026-11", 0), ("2026-12", 0)])
    assert [(r["received"], r["applied_dues"], r["credit"], r["balance"], r["months_unpaid"]) for r in rows] == [
        (2700, 900, 1800, -1800, 0), (0, 900, 900, -900, 0), (0, 900, 0, 0, 0)]


def test_three_unpaid_months_then_a_payment_settles_the_oldest():
    """Owes 10.00 a month; August, September, October unpaid: months_unpaid 1, 2, 3 (October: in
    arrears, RULES.md §10, 30.00). In November 10.00 arrives naming no month: it pays August, the
    oldest; November's own 10.00 stays open, so open months are Sep, Oct, Nov — still 3 in a row,
    arrears 30.00."""
    rows, posted = post_months("other_income", 1000, [("2026-08", 0), ("2026-09", 0), ("2026-10", 0),
                                                       ("2026-11", 1000)])
    assert [(r["months_unpaid"], r["arrears"], r["oldest_unpaid"]) for r in rows] == [
        (1, 1000, "2026-08"), (2, 2000, "2026-08"), (3, 3000, "2026-08"), (3, 3000, "2026-09")]
    assert posted.applied.to_dicts() == [{"member_id": "P", "unit_id": "U1", "for_period": "2026-08",
                                          "category": "other_income", "part": "dues", "amount": 1000}]


def test_raised_unit_member_paying_only_the_section_1_part(tmp_path):
    """A 150 % unit: wage 5 000.00 → §1 dues 41.00 + surcharge 20.50 = 61.50. The member pays
    41.00: the §1 dues are paid first, so the region's share is complete — the settlement equals
    the split of D = 41.00 (region 10.24, unit 24.60) — and the surcharge 20.50 is unpaid."""
    inbox = write_inbox(tmp_path, units=[UNIT150], members=[member("A")], income=[line("A", "wage", "5000.00")])
    payments(inbox, [("A", "2026-10-12", "41.00", "2026-10")])
    r = run_close(inbox)
    d = r.dues.to_dicts()[0]
    assert (d["dues"], d["surcharge"], d["total"]) == (4100, 2050, 6150)
    row = ledger_row(r, "A")
    assert (row["applied_dues"], row["applied_surcharge"], row["arrears"]) == (4100, 0, 2050)
    assert levels(r.settlement) == {"unit": 2460, "region": 1024, "national": 328, "branch_secretariats": 82,
                                    "regional_strike_fund": 103, "national_strike_fund": 103}
    assert r.items.to_dicts()[0]["surcharge_open"] == 2050


def test_unit_with_no_receipt_information_is_assumed_received(tmp_path):
    """Canonical lines only, no deduction, no payments: the dues count as received in full,
    every ledger row says basis 'assumed', and the settlement equals the allocations."""
    inbox = write_inbox(tmp_path, members=[member("A"), member("B", "pensioner")],
                        income=[line("A", "wage", "5000.00"), line("B", "pension", "1000.00")])
    r = run_close(inbox)
    assert set(r.ledger["basis"]) == {"assumed"} and r.basis == {"U1": "assumed"}
    assert levels(r.settlement) == levels(r.allocations)
    assert set(r.receipts["kind"]) == {"assumed"}
    assert r.ledger["balance"].to_list() == [0, 0]


def test_reductions_in_force_are_listed_for_the_region(tmp_path):
    """004 §2 ust. 3: copies of reductions go to the region. A 6-month reduction 2026-07..2026-12 in
    the October close: months covered 6, months left after October 2."""
    inbox = write_inbox(tmp_path, members=[member("A")], income=[line("A", "wage", "5000.00")],
                        adjustments=[{"member_id": "A", "kind": "reduced", "amount": "10.00",
                                      "valid_from": "2026-07", "valid_to": "2026-12", "decision_ref": "U/7"}])
    row = run_close(inbox).adjustments_in_force.to_dicts()[0]
    assert (row["kind"], row["amount"], row["months_covered"], row["months_left"], row["decision_ref"]) == (
        "reduced", 1000, 6, 2, "U/7")


def test_bad_payment_rows_are_records_and_other_months_are_skipped(tmp_path):
    """payments.csv: a date that does not exist, an amount that is no amount, an unknown member
    are records; a payment made in November is skipped in October's close; nothing vanishes."""
    inbox = write_inbox(tmp_path, members=[member("A", "pensioner")], income=[line("A", "pension", "1000.00")])
    payments(inbox, [("A", "31.09.2026", "4.50", ""), ("A", "2026-10-02", "4,5 zł", ""),
                     ("Z", "2026-10-03", "4.50", ""), ("A", "2026-11-02", "4.50", "2026-11"),
                     ("A", "2026-10-04", "4.50", "")])
    r = run_close(inbox)
    codes = sorted(r.exceptions.filter(pl.col("source") == "payments.csv")["reason_code"].to_list())
    assert codes == ["bad_payment", "bad_payment", "unknown_member"]
    assert r.receipts.filter(pl.col("kind") == "payment")["amount"].to_list() == [450]
    assert r.rows_read == r.rows_used + r.rows_rejected + r.rows_skipped


# ------------------------------------------------------------------ re-close and the demo

def test_reclose_reports_the_difference_and_corrects_the_next_month(tmp_path):
    """Two months closed (assumed basis). September re-closed with A's wage 5 000.00 → 6 000.00:
    A's dues 41.00 → 49.20 (owed and received +8.20). The September settlement is not rewritten;
    the difference of the split (D 41.00 → 49.20: region 10.24 → 12.30, +2.06; unit 24.60 → 29.52,
    +4.92; …) goes into October's settlement as a correction, and October's transfer grows by
    to_region(49.20) − to_region(41.00) = 19.68 − 16.40 = 3.28."""
    inc = [line("A", "wage", "5000.00", "2026-09"), line("A", "wage", "5000.00", "2026-10")]
    inbox = write_inbox(tmp_path / "in", members=[member("A")], income=inc)
    db = tmp_path / "s.duckdb"
    close_plain("2026-09", inbox, db)
    assert approve_plain("2026-09", db).ok        # approved: a re-close corrects it in the open
    close_plain("2026-10", inbox, db)
    con = duckdb.connect(str(db), read_only=True)
    before = con.execute("SELECT amount FROM transfers WHERE period='2026-10' AND payer_kind='unit'").fetchone()[0]
    sept = con.execute("SELECT level, amount FROM settlement WHERE period='2026-09' ORDER BY 1").fetchall()
    con.close()
    write_inbox(tmp_path / "in", members=[member("A")], income=[line("A", "wage", "6000.00", "2026-09"), inc[1]])
    outcome = close_plain("2026-09", inbox, db)
    assert outcome.result.month.differences is not None
    con = duckdb.connect(str(db), read_only=True)
    changed = con.execute("SELECT subject, subject_id, measure, before, after FROM close_differences "
                          "WHERE subject = 'member' ORDER BY measure").fetchall()
    assert [(s, i, m, float(b), float(a)) for s, i, m, b, a in changed] == [
        ("member", "A", "owed", 41.0, 49.2), ("member", "A", "received", 41.0, 49.2)]
    assert con.execute("SELECT level, amount FROM settlement WHERE period='2026-09' AND basis <> 'correction' "
                       "ORDER BY 1").fetchall() == sept
    corr = dict(con.execute("SELECT level, amount FROM settlement WHERE period='2026-10' AND basis='correction' "
                            "AND corrects='2026-09'").fetchall())
    assert {k: float(v) for k, v in corr.items()} == {"unit": 4.92, "region": 2.06, "national": 0.66,
                                                      "branch_secretariats": 0.16, "regional_strike_fund": 0.20,
                                                      "national_strike_fund": 0.20}
    after = con.execute("SELECT amount FROM transfers WHERE period='2026-10' AND payer_kind='unit'").fetchone()[0]
    assert float(after - before) == 3.28
    assert con.execute("SELECT count(*) FROM history WHERE table_name = 'dues' AND period = '2026-09'").fetchone()[0] == 1
    # October, a draft, was closed again in the same run from its archived inbox (RULES.md §13)
    assert con.execute("SELECT count(*) FROM runs WHERE recomputes IS NOT NULL AND period = '2026-10'").fetchone()[0] == 1
    assert con.execute("SELECT applied_in FROM corrections").fetchall()[0] == ("2026-10",)


def test_reclosing_with_the_same_inputs_changes_nothing(tmp_path):
    inbox = write_inbox(tmp_path / "in", members=[member("A"), member("B", "pensioner")],
                        income=[line("A", "wage", "5000.00"), line("B", "pension", "1000.00"), deducted("A", "40.00")])
    payments(inbox, [("B", "2026-10-03", "2.00", "")])
    db = tmp_path / "s.duckdb"
    tables = ("dues", "allocations", "transfers", "settlement", "member_ledger", "ledger_items", "receipts",
              "employer_claims")

    def snapshot():
        con = duckdb.connect(str(db), read_only=True)
        try:
            return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=str) for t in tables}
        finally:
            con.close()
    close_plain("2026-10", inbox, db)
    first = snapshot()
    close_plain("2026-10", inbox, db)                 # a draft closed again
    assert snapshot() == first
    assert approve_plain("2026-10", db).ok
    close_plain("2026-10", inbox, db)                 # an approved month closed again: nothing to correct
    assert snapshot() == first
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM close_differences").fetchone()[0] == 0


def test_reclosing_the_first_demo_month_with_one_corrected_line(tmp_path):
    """The demo's two months closed; then September re-closed with M0000010's wage 5 769.75 →
    6 769.75 (ZZ „Przeróbka”, 1 %: dues 64.34 → 74.34). Exactly that member's figures change
    (owed and received +10.00, the month being 'assumed'); the September settlement stays; the
    corrective split (+1.00 to the national board at the example 10 %, +9.00 kept by the unit)
    appears in October's settlement, and October's transfer to the national board grows by 1.00."""
    import shutil
    from flows import settings
    inbox = tmp_path / "inbox"
    shutil.copytree(settings.DEMO_INBOX, inbox)
    db = tmp_path / "s.duckdb"
    close_plain("2026-09", inbox, db)
    assert approve_plain("2026-09", db, force=True, reason="demo: wyjątki znane").ok
    close_plain("2026-10", inbox, db)
    path = inbox / "income" / "listy_plac_2026-09.csv"
    text = path.read_text(encoding="utf-8")
    assert "2026-09,M0000010,wage,5769.75\n" in text
    path.write_text(text.replace("2026-09,M0000010,wage,5769.75\n", "2026-09,M0000010,wage,6769.75\n"),
                    encoding="utf-8")
    close_plain("2026-09", inbox, db)
    con = duckdb.connect(str(db), read_only=True)
    members = con.execute("SELECT DISTINCT subject_id FROM close_differences WHERE subject = 'member'").fetchall()
    assert members == [("M0000010",)]
    assert {(lvl, float(a)) for lvl, a in con.execute(
        "SELECT level, amount FROM settlement WHERE period = '2026-10' AND basis = 'correction' "
        "AND corrects = '2026-09' AND unit_id = 'SL-0004'").fetchall()} == {("national", 1.0), ("unit", 9.0)}
    assert [tuple(map(float, r)) for r in con.execute(
        "SELECT amount, owed_amount FROM transfers WHERE period = '2026-10' AND payer_id = 'SL-0004'").fetchall()] == [
        (410.54, 409.54)]      # M0000004's suspension is not applied under 003 (issue 30): +7,58 zł


# ------------------------------------------------------------------ properties

months = st.lists(st.tuples(st.integers(0, 5000),                  # §1 dues owed
                            st.integers(0, 2500),                  # surcharge
                            st.lists(st.tuples(st.integers(-500, 12000), st.sampled_from([None, -1, 0, 1])),
                                     max_size=3)),                 # receipts: amount, month named (offset)
                  min_size=1, max_size=8)


@hsettings(max_examples=80, deadline=None)
@given(months)
def test_ledger_properties_over_generated_months(seq):
    """Σ owed − Σ received = balance; Σ received = Σ applied + credit; within a month the §1 dues
    are paid before the surcharge; re-posting a month gives the same result; Σ applied = Σ settled."""
    from flows import settings
    from transforms.allocate import transfers_from
    from transforms.rulebook import load_rulebooks, resolve
    items, credits = pl.DataFrame(schema=ITEM_SCHEMA), {}
    owed_total = received_total = applied_total = 0
    period = "2026-01"
    for d, s, recs in seq:
        dues = pl.DataFrame([{"member_id": "M", "unit_id": "U1", "category": "employee", "dues": d, "surcharge": s}])
        receipts = pl.DataFrame([{"period": period, "member_id": "M", "unit_id": "U1", "kind": "payment",
                                  "amount": a, "for_period": None if o is None else shift_period(period, o)}
                                 for a, o in recs], schema=RECEIPT_SCHEMA)
        posted = post(period, dues, receipts, items, credits, {"U1": "received"})
        again = post(period, dues, receipts, items, credits, {"U1": "received"})
        assert posted.ledger.equals(again.ledger) and posted.items.equals(again.items)
        row = posted.ledger.to_dicts()[0]
        owed_total += d + s
        received_total += sum(a for a, _ in recs)
        applied = int(posted.applied["amount"].sum() or 0)
        applied_total += applied
        assert row["balance"] == owed_total - received_total
        assert row["credit"] == received_total - applied_total
        assert row["arrears"] == owed_total - applied_total >= 0
        for it in posted.items.to_dicts():        # a month's surcharge is never paid while its §1 dues are open
            assert it["dues_open"] == 0 or it["surcharge_open"] == (
                s if it["for_period"] == period else it["surcharge_open"])
        units = pl.DataFrame([{"unit_id": "U1", "region_id": "R1", "sheltered": False, "rulebook": "solidarnosc"}])
        rules = resolve(load_rulebooks(settings.rulebook_folders()), period)
        from transforms.ledger import settle
        settled = settle(units, posted.applied, {"U1": "received"}, rules)
        assert int(settled["amount"].sum()) == applied
        # the unit's transfer is exactly what the settlement leaves the unit with (no grosz lost)
        moved = transfers_from(units, settled, rules).filter(pl.col("payer_kind") == "unit")["amount"].sum()
        assert moved == int(settled.filter(pl.col("level") != "unit")["amount"].sum())
        items, credits = posted.items, {"M": row["credit"]}
        period = shift_period(period, 1)


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 2500),
                          st.lists(st.tuples(st.integers(-300, 9000), st.sampled_from([None, "2026-10", "2026-09"])),
                                   max_size=3),
                          st.integers(-500, 500)),                       # carried credit
                min_size=1, max_size=12))
def test_the_fast_path_gives_the_accounts_the_rule_gives(members):
    """`post` takes members with nothing carried and this month's money only all at once; the
    month-by-month rule (`post_each`) must give the same ledger, open items and applications."""
    from transforms.ledger import post_each
    dues = pl.DataFrame([{"member_id": f"M{i}", "unit_id": "U1", "category": "employee", "dues": d, "surcharge": s}
                         for i, (d, s, _, _) in enumerate(members)])
    receipts = pl.DataFrame([{"period": "2026-10", "member_id": f"M{i}", "unit_id": "U1", "kind": "payment",
                              "amount": a, "for_period": fp} for i, (_, _, recs, _) in enumerate(members)
                             for a, fp in recs], schema=RECEIPT_SCHEMA)
    credits = {f"M{i}": c for i, (_, _, _, c) in enumerate(members) if i % 3 == 0}
    args = ("2026-10", dues, receipts, pl.DataFrame(schema=ITEM_SCHEMA), credits, {"U1": "received"})
    fast, slow = post(*args), post_each(*args)
    assert fast.ledger.sort("member_id").equals(slow.ledger.sort("member_id"))
    assert fast.items.sort("member_id", "for_period").equals(slow.items.sort("member_id", "for_period"))
    assert fast.applied.sort("member_id", "for_period", "part").equals(
        slow.applied.sort("member_id", "for_period", "part"))


def test_issue_28_arrears_months_come_from_each_units_rulebook():
    from types import SimpleNamespace

    from transforms.ledger import arrears_months
    rules = SimpleNamespace(versions={"a": SimpleNamespace(arrears_months=3), "b": SimpleNamespace(arrears_months=6)},
                            version=lambda b: rules.versions[b])
    assert arrears_months(rules, [("U1", "a"), ("U2", "b"), ("U3", "gone")]) == {"U1": 3, "U2": 6}


def test_issue_30_arrears_tell_a_member_who_did_not_pay_from_an_employer_who_did_not_deduct():
    """RULES.md §10 with issue 30: the three-month list separates a member who did not pay (no
    employer reported a shortfall for them) from a member whose employer did not deduct (the
    employer claims — deducted below owed — cover every unpaid month), and says when the employer
    failed only in some of them."""
    from transforms.ledger import ARREARS_CAUSES, arrears
    ledger = pl.DataFrame({"period": ["2026-10"] * 3, "member_id": ["A", "B", "C"], "unit_id": ["U1"] * 3,
                           "months_unpaid": [3, 3, 4], "arrears": [1350, 2460, 3280]})
    short = pl.DataFrame({"period": ["2026-08", "2026-09", "2026-10", "2026-10", "2026-06"],
                          "member_id": ["B", "B", "B", "C", "A"]})     # A's June is before the run
    got = arrears(ledger, {"U1": 3}, short)
    assert got.select("member_id", "first_unpaid", "cause").rows() == [
        ("A", "2026-08", "member"), ("B", "2026-08", "employer"), ("C", "2026-07", "both")]
    assert arrears(ledger, {"U1": 3})["cause"].to_list() == ["member"] * 3     # no employer reports
    assert set(ARREARS_CAUSES) == {"member", "employer", "both"}
    assert all(ARREARS_CAUSES.values())


def test_issue_30_the_close_workbooks_arrears_sheet_names_the_cause(tmp_path):
    """Issue 30 (RULES.md §10, the employer claims of RULES.md §13): over three closes pensioner A
    pays nothing himself; employee B's employer reports deductions (C's 8,20 zł each month) but
    deducts nothing for B. Both are three months in arrears: A because he did not pay, B because
    the employer did not deduct — the arrears sheet says so in its cause column."""
    from openpyxl import load_workbook
    months = ("2026-08", "2026-09", "2026-10")
    inbox = write_inbox(tmp_path / "in", members=[member("A", "pensioner"), member("B"), member("C")],
                        income=[x for p in months for x in (line("B", "wage", "1000.00", period=p),
                                                            line("C", "wage", "1000.00", period=p),
                                                            line("C", "dues_deducted", "8.20", period=p))])
    (inbox / "income" / "emerytury.csv").write_text("period,member_id,component,amount\n" + "".join(
        f"{p},A,pension,1000.00\n" for p in months), encoding="utf-8")
    db = tmp_path / "a.duckdb"
    for p in months:
        outcome = close_plain(p, inbox, db, tmp_path / "out")
        assert outcome.ok, outcome.message
    wb = load_workbook(outcome.workbook)
    sheet = wb["Zaległości 3 mies."]
    header = [c.value for c in sheet[1]]
    rows = {r[1]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] in ("A", "B", "C")}
    assert set(rows) == {"A", "B"}
    assert rows["A"]["Przyczyna"] == "członek nie wpłacił"
    assert rows["B"]["Przyczyna"] == "pracodawca nie potrącił"


def test_the_accounts_come_in_member_order_when_someone_pays_without_dues():
    """Issue 32: the fast path keeps the dues' member order through its join instead of sorting the
    made accounts; a member paying without dues this month (joined after the others) still puts
    the accounts and open items in member order."""
    dues = pl.DataFrame([{"member_id": m, "unit_id": "U1", "category": "employee", "dues": 1000, "surcharge": 0}
                         for m in ("M4", "M2", "M3")])
    receipts = pl.DataFrame([{"period": "2026-10", "member_id": m, "unit_id": "U1", "kind": "payment",
                              "amount": a, "for_period": None} for m, a in (("M3", 1000), ("M1", 500))],
                            schema=RECEIPT_SCHEMA)
    posted = post("2026-10", dues, receipts, pl.DataFrame(schema=ITEM_SCHEMA), {}, {"U1": "received"})
    assert posted.ledger["member_id"].to_list() == ["M1", "M2", "M3", "M4"]
    assert posted.ledger.filter(pl.col("member_id") == "M1")["credit"].to_list() == [500]
    assert posted.items["member_id"].to_list() == ["M2", "M4"]


def test_issue_32_no_payments_made_directly_are_what_staging_an_empty_file_gives(tmp_path):
    """A payments.csv of no rows (or none at all) is staged directly (transforms.staging.no_payments):
    the same frames, with the same columns and types, as the whole staging gives for it."""
    from flows.inbox import read_inbox
    from flows.rules import rules_for
    from transforms import staging
    inbox = write_inbox(tmp_path, members=[member("A"), member("B", "pensioner")],
                        income=[line("A", "wage", "5000.00"), line("B", "pension", "1000.00")])
    (inbox / "payments.csv").write_text("member_id,paid_on,amount,period,reference\n", encoding="utf-8")
    rules = rules_for("2026-10")
    raw = read_inbox(inbox, "2026-10")
    units = staging.stage_units(raw.units, rules)
    members = staging.stage_members(raw.members, units, rules)
    absent = pl.DataFrame(schema={c: pl.String for c in ("member_id", "paid_on", "amount", "period", "reference",
                                                          "_source")} | {"_row": pl.Int64, "_cells": pl.Int64,
                                                                         "_header_cells": pl.Int64})
    for empty in (raw.payments, absent):
        assert empty.height == 0
        direct = staging.no_payments(empty)
        whole = staging._staged_payments(empty, members, rules, None, {"U1": ["2026-09"]})
        for name in ("receipts", "issues", "status"):
            assert getattr(direct, name).schema == getattr(whole, name).schema, name
            assert getattr(direct, name).height == getattr(whole, name).height == 0, name
        assert staging.stage_payments(empty, members, rules).receipts.schema == whole.receipts.schema
