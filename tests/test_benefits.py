"""Issue 16: statutory benefits (004 Uchwała nr 5 §5 ust. 1–3, §9) — a test per rule, each citing
its paragraph, on hand-made membership histories; then the demo's claims end to end."""
from __future__ import annotations

from datetime import date

import duckdb
import pytest
from openpyxl import load_workbook

from flows import settings
from flows.benefits import BENEFITS
from flows.rules import rules_for
from flows.command import run_plain
from tests.conftest import close_plain, member, write_inbox
from transforms.benefits import Claim, add_months, decide

RULES = rules_for("2026-10").version("solidarnosc").benefits
SHIFT = rules_for("2026-10").version("solidarnosc").deadline_shift
UNIT = {"unit_id": "U1", "region_id": "R1", "rulebook": "solidarnosc", "benefit_birth": "500.00",
        "benefit_death_member": "200.00", "benefit_death_family": ""}
SINCE_2020 = [{"joined_on": date(2020, 1, 1), "left_on": None}]


def claim(kind="birth", event=date(2026, 10, 1), documents=date(2026, 10, 5), relation="child", single=False,
          lacks=False, member_id="A", claim_id="C1"):
    return Claim(claim_id, member_id, kind, event, documents, relation, single, None, lacks, None, 1)


def decided(c, history=SINCE_2020, paid=None, today=date(2026, 11, 15)):
    return decide(c, history, UNIT, RULES, paid if paid is not None else set(), today, shift=SHIFT)


def test_six_months_of_membership_to_the_day():
    """004 §5 ust. 3 pkt 1: joined 2026-01-15 → entitled from 2026-07-15 (the same day six months
    on); a birth on 2026-07-14 is refused, on 2026-07-15 granted."""
    history = [{"joined_on": date(2026, 1, 15), "left_on": None}]
    assert add_months(date(2026, 1, 15), 6) == date(2026, 7, 15)
    early = decided(claim(event=date(2026, 7, 14), documents=date(2026, 7, 20)), history)
    assert (early["decision"], early["reason_code"]) == ("refused", "membership_too_short")
    assert "004 §5 ust. 3 pkt 1" in early["reason"] and "od 2026-07-15" in early["reason"]
    assert decided(claim(event=date(2026, 7, 15), documents=date(2026, 7, 20)), history)["decision"] == "granted"


def test_death_benefits_need_no_six_months():
    """004 §5 ust. 3 pkt 1: "z wyłączeniem § 5 ust. 1 pkt 2 i 3" — a member of one month."""
    history = [{"joined_on": date(2026, 9, 1), "left_on": None}]
    d = decided(claim("death_family", relation="parent"), history)
    assert d["decision"] == "granted"


def test_documents_on_day_183():
    """004 §5 ust. 3 pkt 2: documents within 6 months of the event. Event 2026-01-01: the window
    ends 2026-07-01 (day 181), so documents on day 183 (2026-07-03) are late. Event 2026-03-01:
    the window ends 2026-09-01 (day 184), so day 183 (2026-08-31) is in time."""
    late = decided(claim(event=date(2026, 1, 1), documents=date(2026, 7, 3)))
    assert (late["decision"], late["reason_code"]) == ("refused", "documents_late")
    assert "004 §5 ust. 3 pkt 2" in late["reason"] and "2026-07-01" in late["reason"]
    assert (date(2026, 8, 31) - date(2026, 3, 1)).days == 183
    assert decided(claim(event=date(2026, 3, 1), documents=date(2026, 8, 31)))["decision"] == "granted"


def test_documents_not_yet_in_wait_until_the_window_closes():
    d = decided(claim(event=date(2026, 9, 20), documents=None))
    assert (d["decision"], d["reason_code"]) == ("pending", "documents_awaited")
    gone = decided(claim(event=date(2026, 3, 20), documents=None))
    assert (gone["decision"], gone["reason_code"]) == ("refused", "documents_late")


def test_issue_25_a_documents_window_ending_on_sunday_runs_to_monday():
    """004 §5 ust. 3 pkt 2 with Kodeks cywilny art. 115 (RULES.md §11): submitting the documents is
    an act with a deadline; six months from 2026-06-20 end on Sunday 2026-12-20, so documents on
    Monday the 21st are in time and on the 22nd late."""
    on_time = decided(claim(event=date(2026, 6, 20), documents=date(2026, 12, 21)), today=date(2026, 12, 28))
    assert on_time["decision"] == "granted"
    late = decided(claim(event=date(2026, 6, 20), documents=date(2026, 12, 22)), today=date(2026, 12, 28))
    assert (late["decision"], late["reason_code"]) == ("refused", "documents_late")
    assert "po terminie 2026-12-21 (20 grudnia 2026 to niedziela — Kodeks cywilny art. 115)" in late["reason"]
    waiting = decided(claim(event=date(2026, 6, 20), documents=None), today=date(2026, 12, 21))
    assert waiting["decision"] == "pending" and "mija 2026-12-21" in waiting["reason"]


def test_a_second_death_benefit_is_refused():
    """004 §5 ust. 1 pkt 2: the death benefit is paid "tylko jednej osobie uprawnionej": the spouse
    gets it, the funeral payer's claim for the same member is refused."""
    paid: set = set()
    first = decided(claim("death_member", relation="spouse", claim_id="C1"), paid=paid)
    second = decided(claim("death_member", relation="funeral_payer", claim_id="C2"), paid=paid)
    assert first["decision"] == "granted" and first["amount"] == 100_000      # unit 200.00 < KK minimum 1000.00
    assert (second["decision"], second["reason_code"]) == ("refused", "already_paid")
    assert "004 §5 ust. 1 pkt 2" in second["reason"]


def test_single_parent_gets_double():
    """004 §5 ust. 1 pkt 1: "w przypadku rodzica wychowującego samotnie dziecko zasiłek wypłacany
    jest w podwójnej wysokości": the unit's 500.00 × 2 = 1 000.00."""
    d = decided(claim(single=True))
    assert (d["decision"], d["amount"], d["payer"]) == ("granted", 100_000, "unit")


def test_stillbirth_is_covered():
    """004 §5 ust. 1 pkt 1: "również na dziecko urodzone martwe"."""
    assert decided(claim(relation="stillborn_child"))["amount"] == 50_000


def test_relation_not_covered_is_refused():
    """004 §5 ust. 1 pkt 3: spouse, parents, parents-in-law, child, dependant — not a cousin."""
    d = decided(claim("death_family", relation="cousin"))
    assert (d["decision"], d["reason_code"]) == ("refused", "relation_not_covered")


def test_the_minimum_is_applied():
    """004 §5 ust. 2: the unit's amount, never below the KK minimum (rulebook, EXAMPLE VALUES):
    no unit amount for a family death → the minimum 400.00; the unit's 200.00 for a member's death
    → the minimum 1 000.00."""
    assert decided(claim("death_family", relation="parent"))["amount"] == 40_000


def test_the_region_pays_under_section_9():
    """004 §9: a unit keeping proper books but without the funds — the region pays, at the amount
    the KK set (the minimum), not the unit's own 500.00."""
    d = decided(claim(lacks=True))
    assert (d["decision"], d["payer"], d["amount"]) == ("granted", "region", 30_000)
    assert "004 §9" in d["reason"]


def test_a_member_with_two_periods_of_membership():
    """004 §5 ust. 3 pkt 1 asks for *uninterrupted* membership: a member from 2010 to 2026-03-31
    who came back on 2026-07-01 has three months on 2026-10-01, not sixteen years; on the day of a
    gap she is not a member at all."""
    history = [{"joined_on": date(2010, 1, 1), "left_on": date(2026, 3, 31)},
               {"joined_on": date(2026, 7, 1), "left_on": None}]
    d = decided(claim(event=date(2026, 10, 1)), history)
    assert (d["decision"], d["reason_code"]) == ("refused", "membership_too_short")
    gap = decided(claim(event=date(2026, 5, 1), documents=date(2026, 5, 5)), history)
    assert (gap["decision"], gap["reason_code"]) == ("refused", "not_a_member")


def test_members_csv_with_two_periods_closes_the_month_of_the_later_one(tmp_path):
    """CONTRACT.md addition: members.csv may hold a row per period; overlapping periods are both
    rejected (bad_member)."""
    from tests.conftest import line, run_close
    inbox = write_inbox(tmp_path / "a", members=[
        member("A", joined_on="2010-01-01", left_on="2026-03-31"), member("A", joined_on="2026-07-01")],
        income=[line("A", "wage", "5000.00")])
    r = run_close(inbox)
    assert r.dues["member_id"].to_list() == ["A"] and r.rows_read == r.rows_used + r.rows_rejected + r.rows_skipped
    inbox = write_inbox(tmp_path / "b", members=[
        member("A", joined_on="2010-01-01", left_on="2026-08-31"), member("A", joined_on="2026-07-01")],
        income=[line("A", "wage", "5000.00")])
    r = run_close(inbox)
    assert r.dues.height == 0
    assert r.exceptions.filter(r.exceptions["reason_code"] == "bad_member")["row"].to_list() == [1, 2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("benefits")
    db = tmp / "s.duckdb"
    assert close_plain("2026-10", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    outcome = run_plain(BENEFITS, lambda m: None, inbox=settings.DEMO_INBOX, db=db, out=tmp / "out", date="2026-11-15")
    assert outcome.ok
    return db, tmp / "out"


def test_demo_claims_are_decided_as_the_rules_say(demo):
    db, out = demo
    con = duckdb.connect(str(db), read_only=True)
    rows = {c: (d, r, float(a) if a is not None else None, p) for c, d, r, a, p in con.execute(
        "SELECT claim_id, decision, reason_code, amount, payer FROM benefit_decisions").fetchall()}
    con.close()
    assert rows == {
        "C01": ("granted", "granted", 300.0, "unit"),          # SL-0003 sets no amount: the minimum
        "C02": ("granted", "granted", 1000.0, "unit"),         # single parent: 2 × the unit's 500.00
        "C03": ("refused", "membership_too_short", None, None),  # came back on 2026-11-03
        "C04": ("granted", "granted", 1500.0, "unit"),         # the unit's own amount for a member's death
        "C05": ("refused", "already_paid", None, None),
        "C06": ("refused", "relation_not_covered", None, None),
        "C07": ("refused", "documents_late", None, None),
        "C08": ("granted", "granted", 300.0, "region"),        # stillborn, the unit lacks funds: §9
        "C09": ("pending", "documents_awaited", None, None),
        "C10": ("pending", "documents_awaited", None, None),
        "C11": ("refused", "no_rules", None, None),            # ZZ „Przeróbka”: no benefits in its rulebook
    }
    region = load_workbook(out / "zasilki" / "zasilki_region_GD.xlsx")
    assert [r[0] for r in region.active.iter_rows(min_row=2, values_only=True)][:1] == ["C08"]
    unit = load_workbook(out / "zasilki" / "zasilki_SL-0001.xlsx")
    assert any(r[2] for r in unit.active.iter_rows(min_row=2, max_row=2, values_only=True))   # names, for the unit


# ---------------------------------------------------------------- issue 27: inputs accepted without a word

def test_issue_27_an_event_after_the_decision_date_is_refused():
    """A birth dated after `--date` (the day of the decision) has not happened yet: refused, with
    both dates, never granted."""
    d = decided(claim(event=date(2026, 12, 1), documents=date(2026, 12, 2)), today=date(2026, 11, 15))
    assert (d["decision"], d["reason_code"], d["amount"]) == ("refused", "date_after_decision", None)
    assert "event_date 2026-12-01" in d["reason"] and "2026-11-15" in d["reason"]


def test_issue_27_documents_dated_after_the_decision_date_are_refused():
    d = decided(claim(event=date(2026, 11, 1), documents=date(2026, 11, 20)), today=date(2026, 11, 15))
    assert (d["decision"], d["reason_code"]) == ("refused", "date_after_decision")
    assert "documents_on 2026-11-20" in d["reason"]


def test_issue_27_documents_dated_before_the_event_are_refused():
    """004 §5 ust. 3 pkt 2: the documents (a birth or death certificate) are presented within six
    months *from* the event; documents dated 21 months before it cannot be its documents."""
    d = decided(claim(event=date(2026, 10, 1), documents=date(2025, 1, 1)))
    assert (d["decision"], d["reason_code"], d["amount"]) == ("refused", "documents_before_event", None)
    assert "2025-01-01" in d["reason"] and "2026-10-01" in d["reason"] and "004 §5 ust. 3 pkt 2" in d["reason"]
    assert decided(claim(event=date(2026, 10, 1), documents=date(2026, 10, 1)))["decision"] == "granted"


UNIT_ROW = {**UNIT, "_source": "units.csv", "_row": 3}


@pytest.mark.parametrize("value", ["pięćset", "500,5,0", "1.500", "-500.00", "12e3", "5" * 300])
def test_issue_27_a_unit_amount_that_cannot_be_read_is_not_replaced_by_the_minimum(value):
    """A unit's own amount (units.csv benefit_birth) that cannot be read used to fall back to the
    KK minimum without a word: the claim is held (refused until units.csv is corrected), and the
    reason names the file, the row, the unit, the column and the value."""
    d = decide(claim(), SINCE_2020, {**UNIT_ROW, "benefit_birth": value}, RULES, set(), date(2026, 11, 15),
               shift=SHIFT)
    assert (d["decision"], d["reason_code"], d["amount"]) == ("refused", "unit_amount_bad", None)
    assert d["reason"].startswith("wniosek wstrzymany: units.csv, wiersz 3 (jednostka U1): benefit_birth")
    assert f"'{value}'" in d["reason"] if len(value) < 200 else "benefit_birth ma 300 znaków" in d["reason"]


def test_issue_27_a_unit_amount_spelled_as_polish_excel_writes_it_is_read():
    """The spellings every canonical file accepts (issue 26): '1 500,00 zł' is 1 500,00 zł."""
    d = decide(claim(), SINCE_2020, {**UNIT_ROW, "benefit_birth": "1 500,00 zł"}, RULES, set(), date(2026, 11, 15),
               shift=SHIFT)
    assert (d["decision"], d["amount"]) == ("granted", 150_000)


@pytest.mark.parametrize("value", ["9 999 999 999 999,99", "9999999999999.99", "20000.01"])
def test_issue_27_an_implausible_unit_amount_is_not_granted(value):
    """No rule of 004 caps a unit's benefit; a plausibility limit does (rulebook
    `[versions.benefits] max_amount`, 20 000,00 zł unless the rulebook says otherwise): above it
    the claim waits for the amount to be confirmed (corrected, or the limit raised)."""
    d = decide(claim(), SINCE_2020, {**UNIT_ROW, "benefit_birth": value}, RULES, set(), date(2026, 11, 15),
               shift=SHIFT)
    assert (d["decision"], d["reason_code"], d["amount"]) == ("refused", "unit_amount_implausible", None)
    assert "units.csv, wiersz 3 (jednostka U1)" in d["reason"] and "20 000,00 zł" in d["reason"]
    assert decide(claim(), SINCE_2020, {**UNIT_ROW, "benefit_birth": "20000.00"}, RULES, set(), date(2026, 11, 15),
                  shift=SHIFT)["amount"] == 2_000_000
    raised = {**RULES, "max_amount": "50000.00"}
    assert decide(claim(), SINCE_2020, {**UNIT_ROW, "benefit_birth": "20000.01"}, raised, set(), date(2026, 11, 15),
                  shift=SHIFT)["decision"] == "granted"


def _benefits_inbox(tmp_path, claims: str, units_edit=None):
    import shutil
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("units.csv", "members.csv"):
        shutil.copy(settings.DEMO_INBOX / name, inbox / name)
    if units_edit:
        text = (inbox / "units.csv").read_text(encoding="utf-8")
        (inbox / "units.csv").write_text(units_edit(text), encoding="utf-8")
    header = (settings.DEMO_INBOX / "benefit_claims.csv").read_text(encoding="utf-8").splitlines()[0]
    (inbox / "benefit_claims.csv").write_text(header + "\n" + claims, encoding="utf-8")
    return inbox


def test_issue_27_two_claims_with_one_claim_id_are_neither_granted(tmp_path):
    """Two rows with one claim_id (C01 and ' c01') were both granted. The claim id is how a
    decision is stored and found again: until the duplicate is resolved neither is granted, and the
    one decision names both rows."""
    inbox = _benefits_inbox(tmp_path, "C01,M0000003,birth,2026-10-10,2026-10-20,child,false,,false,\n"
                                      "C02,M0000007,birth,2026-09-01,2026-09-15,child,true,,false,\n"
                                      " c01,M0000003,birth,2026-10-10,2026-10-21,child,false,,false,\n")
    outcome = run_plain(BENEFITS, lambda m: None, inbox=inbox, db=tmp_path / "b.duckdb", out=None, date="2026-11-15")
    assert outcome.ok, outcome.message
    d = outcome.result.decisions
    assert d["claim_id"].to_list() == ["C01", "C02"]
    dup = d.row(0, named=True)
    assert (dup["decision"], dup["reason_code"], dup["amount"]) == ("refused", "duplicate_claim", None)
    assert dup["reason"].startswith("benefit_claims.csv, wiersze 1 i 3: numer wniosku 'C01' powtarza się")
    assert dup["unit_id"] == "SL-0003"          # the unit's workbook shows it
    assert d.row(1, named=True)["decision"] == "granted"


def test_issue_27_a_claim_row_with_a_missing_separator_is_not_read(tmp_path):
    """A row with fewer cells than the header was read as if its last columns were empty."""
    inbox = _benefits_inbox(tmp_path, "C01,M0000003,birth,2026-10-10,2026-10-20,child,false,,false\n"
                                      "C02,M0000007,birth,2026-09-01,2026-09-15,child,true,,false,\n")
    outcome = run_plain(BENEFITS, lambda m: None, inbox=inbox, db=tmp_path / "b.duckdb", out=None, date="2026-11-15")
    d = outcome.result.decisions
    bad = d.row(0, named=True)
    assert (bad["claim_id"], bad["decision"], bad["reason_code"]) == ("C01", "refused", "bad_claim")
    assert "benefit_claims.csv, wiersz 1: " in bad["reason"] and "komórek: 9" in bad["reason"]


def test_issue_27_the_unit_amount_of_the_demo_typed_wrong_end_to_end(tmp_path):
    inbox = _benefits_inbox(tmp_path, "C01,M0000019,birth,2026-10-10,2026-10-20,child,false,,false,\n",
                            lambda t: t.replace(",500.00,1500.00,600.00", ",pięćset,1500.00,600.00"))
    outcome = run_plain(BENEFITS, lambda m: None, inbox=inbox, db=tmp_path / "b.duckdb", out=None, date="2026-11-15")
    r = outcome.result.decisions.row(0, named=True)
    assert (r["decision"], r["reason_code"]) == ("refused", "unit_amount_bad")
    assert "units.csv, wiersz 1 (jednostka SL-0001): benefit_birth 'pięćset'" in r["reason"]


@pytest.mark.parametrize("value,read", [("2026-W41-1", None), ("20261010", None), ("2026-10-10", date(2026, 10, 10)),
                                        ("10.10.2026", date(2026, 10, 10)), ("31.09.2026", None)])
def test_issue_27_a_claims_dates_are_read_as_every_canonical_files(value, read):
    """date.fromisoformat took '2026-W41-1' (an ISO week: 5 October) and '20261010' without a
    word, and refused the DD.MM.RRRR its own message offers; claims read dates as the close does."""
    from transforms.benefits import parse_claim
    row = {"claim_id": "C1", "member_id": "A", "kind": "birth", "event_date": value, "relation": "child"}
    got, problems = parse_claim(row, 1)
    assert (got.event_date if got else None) == read
    assert bool(problems) == (read is None)


@pytest.mark.parametrize("day,said", [
    ("0001-01-01", "--date: w dniu 0001-01-01 nie obowiązuje żaden regulamin"),
    ("9999-12-31", "--date: dzień decyzji 9999-12-31 jest ponad rok po dzisiejszym"),
])
def test_issue_27_a_decision_date_no_rulebook_covers_is_refused(tmp_path, day, said):
    """`--date 9999-12-31` crashed (six months after it is no date) and `--date 0001-01-01`
    refused every claim as if its member's row were wrong."""
    inbox = _benefits_inbox(tmp_path, "C01,M0000003,birth,2026-10-10,2026-10-20,child,false,,false,\n")
    outcome = run_plain(BENEFITS, lambda m: None, inbox=inbox, db=tmp_path / "b.duckdb", out=None, date=day)
    assert not outcome.ok and said in outcome.message, outcome.message
    assert not (tmp_path / "b.duckdb").exists()


@pytest.mark.parametrize("column", ["claim_id", "member_id", "event_date", "relation", "payee"])
def test_issue_27_a_cell_longer_than_any_value_is_not_read(tmp_path, column):
    """A 200 000-character cell was stored as a claim id (and quoted whole in the reason, cut by
    the workbook to 32 767): such a row is refused, numbered by its row, the value not quoted."""
    cells = dict(zip(["claim_id", "member_id", "kind", "event_date", "documents_on", "relation", "single_parent",
                      "payee", "unit_lacks_funds", "amount_claimed"],
                     ["C01", "M0000003", "birth", "2026-10-10", "2026-10-20", "child", "false", "", "false", ""]))
    cells[column] = "x" * 200_000
    inbox = _benefits_inbox(tmp_path, ",".join(cells.values()) + "\n")
    outcome = run_plain(BENEFITS, lambda m: None, inbox=inbox, db=tmp_path / "b.duckdb", out=None, date="2026-11-15")
    r = outcome.result.decisions.row(0, named=True)
    shown = "wiersz 1" if column == "claim_id" else "C01"
    assert (r["claim_id"], r["decision"], r["reason_code"]) == (shown, "refused", "bad_claim")
    assert r["reason"] == (f"benefit_claims.csv, wiersz 1: wiersz nie jest odczytany: {column} ma 200000 znaków, "
                           "najwięcej 200")


def test_issue_27_an_unreadable_amount_claimed_is_named_as_what_it_is():
    """amount_claimed was refused as 'amount … musi być miesięczną kwotą należną' (the words of a
    dues decision); it is read as every canonical amount and named by its column."""
    from transforms.benefits import parse_claim
    row = {"claim_id": "C1", "member_id": "A", "kind": "birth", "event_date": "2026-10-01", "relation": "child"}
    assert parse_claim({**row, "amount_claimed": "1 000,00 zł"}, 1)[0].amount_claimed == 100_000
    got, problems = parse_claim({**row, "amount_claimed": "tysiąc"}, 1)
    assert got is None and problems == ["amount_claimed 'tysiąc' nie jest kwotą w zł, np. 10.00 albo 10,00"]


# ---------------------------------------------------------------- issue 30: benefits (004 §5)

def test_issue_30_touching_periods_and_a_change_of_unit_are_one_membership():
    """004 §5 ust. 3 pkt 1: "po 6-miesięcznym nieprzerwanym okresie przynależności do NSZZ
    „Solidarność”" — membership of the union, not of a unit: a member of U0 until 2026-03-31 and of
    U1 from 2026-04-01 has been a member without a break since 2026-01-01, so a birth on 2026-08-01
    is granted (six months ran out on 2026-07-01). A day's gap (left 2026-03-30) still breaks it."""
    moved = [{"unit_id": "U0", "joined_on": date(2026, 1, 1), "left_on": date(2026, 3, 31)},
             {"unit_id": "U1", "joined_on": date(2026, 4, 1), "left_on": None}]
    d = decided(claim(event=date(2026, 8, 1), documents=date(2026, 8, 5)), moved)
    assert (d["decision"], d["reason_code"]) == ("granted", "granted")
    broken = [{**moved[0], "left_on": date(2026, 3, 30)}, moved[1]]
    d = decided(claim(event=date(2026, 8, 1), documents=date(2026, 8, 5)), broken)
    assert (d["decision"], d["reason_code"]) == ("refused", "membership_too_short")
    assert "od 2026-10-01" in d["reason"]


def test_issue_30_a_pending_death_claim_is_refused_once_the_death_benefit_is_granted(tmp_path):
    """004 §5 ust. 1 pkt 2: the member's death benefit goes "tylko jednej osobie uprawnionej": the
    funeral payer's claim awaiting documents (listed first) stayed pending after the spouse's claim
    for the same death was granted; it is decided — refused as already paid, with the paragraph."""
    paid = {("death_member", "A")}
    d = decided(claim("death_member", relation="funeral_payer", documents=None), paid=paid)
    assert (d["decision"], d["reason_code"]) == ("refused", "already_paid") and "004 §5 ust. 1 pkt 2" in d["reason"]
    inbox = _benefits_inbox(tmp_path, "C01,M0000003,death_member,2026-10-10,,funeral_payer,false,,false,\n"
                                      "C02,M0000003,death_member,2026-10-10,2026-10-20,spouse,false,,false,\n")
    outcome = run_plain(BENEFITS, lambda m: None, inbox=inbox, db=tmp_path / "b.duckdb", out=None, date="2026-11-15")
    assert outcome.ok, outcome.message
    got = {r["claim_id"]: (r["decision"], r["reason_code"]) for r in outcome.result.decisions.to_dicts()}
    assert got == {"C01": ("refused", "already_paid"), "C02": ("granted", "granted")}


def test_issue_30_the_units_own_amount_is_the_one_in_force_on_the_day_of_the_event(tmp_path):
    """004 §5 ust. 3 pkt 3: "wysokość wypłacanych zasiłków ustalana jest na dzień zaistnienia
    zdarzenia". SL-0001 paid 500,00 zł for a birth when October 2026 was closed and raised it to
    800,00 zł in units.csv since: a birth of 10 October gets October's 500,00 zł (the units table
    the close stored), a birth of 2 November — the month of the decision, not closed — 800,00 zł."""
    db = tmp_path / "s.duckdb"
    assert close_plain("2026-10", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    inbox = _benefits_inbox(tmp_path, "C01,M0000019,birth,2026-10-10,2026-10-20,child,false,,false,\n"
                                      "C02,M0000019,birth,2026-11-02,2026-11-05,child,false,,false,\n",
                            lambda t: t.replace(",500.00,1500.00,600.00", ",800.00,1500.00,600.00"))
    outcome = run_plain(BENEFITS, lambda m: None, inbox=inbox, db=db, out=None, date="2026-11-15")
    assert outcome.ok, outcome.message
    got = {r["claim_id"]: (r["decision"], r["amount"]) for r in outcome.result.decisions.to_dicts()}
    assert got == {"C01": ("granted", 50_000), "C02": ("granted", 80_000)}


def test_issue_30_twins_are_two_births_and_a_duplicate_of_one_child_is_still_refused(tmp_path):
    """004 §5 ust. 1 pkt 1: "na każde urodzone dziecko" — twins born on one day are two benefits:
    the optional `child` column of benefit_claims.csv tells them apart (Jan, Anna: both granted);
    a second claim for the same child (Jan again) is refused as already paid, and so is a claim
    that names no child next to one that does (empty: the birth's one child, as before)."""
    paid: set = set()
    jan = decided(Claim("C1", "A", "birth", date(2026, 10, 1), date(2026, 10, 5), "child", False, None, False,
                        None, 1, child="Jan"), paid=paid)
    anna = decided(Claim("C2", "A", "birth", date(2026, 10, 1), date(2026, 10, 5), "child", False, None, False,
                         None, 2, child="Anna"), paid=paid)
    again = decided(Claim("C3", "A", "birth", date(2026, 10, 1), date(2026, 10, 5), "child", False, None, False,
                          None, 3, child="Jan"), paid=paid)
    unnamed = decided(claim(claim_id="C4"), paid=paid)
    assert [d["decision"] for d in (jan, anna)] == ["granted", "granted"]
    assert (again["reason_code"], unnamed["reason_code"]) == ("already_paid", "already_paid")
    assert "004 §5 ust. 1 pkt 1" in again["reason"]
    inbox = _benefits_inbox(tmp_path, "")
    header = (inbox / "benefit_claims.csv").read_text(encoding="utf-8").strip() + ",child\n"
    (inbox / "benefit_claims.csv").write_text(
        header + "C01,M0000019,birth,2026-10-10,2026-10-20,child,false,,false,,Jan\n"
                 "C02,M0000019,birth,2026-10-10,2026-10-20,child,false,,false,,Anna\n"
                 "C03,M0000019,birth,2026-10-10,2026-10-21,child,false,,false,,jan \n", encoding="utf-8")
    db = tmp_path / "b.duckdb"
    outcome = run_plain(BENEFITS, lambda m: None, inbox=inbox, db=db, out=None, date="2026-11-15")
    assert outcome.ok, outcome.message
    got = {r["claim_id"]: (r["decision"], r["reason_code"], r["child"]) for r in outcome.result.decisions.to_dicts()}
    assert got == {"C01": ("granted", "granted", "Jan"), "C02": ("granted", "granted", "Anna"),
                   "C03": ("refused", "already_paid", "jan")}
    (inbox / "benefit_claims.csv").write_text(header + "C04,M0000019,birth,2026-10-10,2026-10-22,child,false,,false,,"
                                              "Anna\n", encoding="utf-8")   # a later run: the stored decisions
    outcome = run_plain(BENEFITS, lambda m: None, inbox=inbox, db=db, out=None, date="2026-11-15")
    assert outcome.result.decisions.row(0, named=True)["reason_code"] == "already_paid"


def test_issue_30_the_exceptional_waiver_lets_a_short_membership_pass():
    """004 §5 ust. 3 pkt 4: "w wyjątkowych przypadkach organizacja wypłacająca zasiłek może przyznać
    prawo do zasiłku z pominięciem zasad określonych w ust. 3": a member of two months is refused
    (§5 ust. 3 pkt 1) unless the claim records the body's decision (`waiver`: the resolution's
    reference) — then granted, and the decision names the resolution and the paragraph."""
    history = [{"joined_on": date(2026, 8, 1), "left_on": None}]
    assert decided(claim(), history)["reason_code"] == "membership_too_short"
    waived = Claim("C1", "A", "birth", date(2026, 10, 1), date(2026, 10, 5), "child", False, None, False, None, 1,
                   waiver="uchwała KZ 12/2026")
    d = decided(waived, history)
    assert (d["decision"], d["amount"]) == ("granted", 50_000)
    assert "uchwała KZ 12/2026" in d["reason"] and "004 §5 ust. 3 pkt 4" in d["reason"]
    assert d["waiver"] == "uchwała KZ 12/2026"
    from transforms.benefits import parse_claim
    row = {"claim_id": "C1", "member_id": "A", "kind": "birth", "event_date": "2026-10-01", "relation": "child"}
    assert parse_claim({**row, "waiver": " uchwała KZ 12/2026 "}, 1)[0].waiver == "uchwała KZ 12/2026"
    assert parse_claim(row, 1)[0].waiver is None


def test_issue_30_the_region_pays_the_amount_the_kk_set_for_section_9_not_the_minimum():
    """004 §9: "Zarząd regionu zobowiązany jest do wypłaty zasiłku statutowego, w wysokości
    uchwalonej przez Komisję Krajową" — the KK's amount for §9 (rulebook
    `[versions.benefits.region_amount]`, dated with its version), which need not be the §5 ust. 2
    minimum: 450,00 zł against a 300,00 zł minimum; doubled for a single parent."""
    rules = {**RULES, "region_amount": {**RULES["region_amount"], "birth": "450.00"}}
    d = decide(claim(lacks=True), SINCE_2020, UNIT, rules, set(), date(2026, 11, 15), shift=SHIFT)
    assert (d["decision"], d["payer"], d["amount"]) == ("granted", "region", 45_000)
    assert "004 §9" in d["reason"] and RULES["region_amount"]["source"] in d["reason"]
    single = decide(claim(lacks=True, single=True), SINCE_2020, UNIT, rules, set(), date(2026, 11, 15), shift=SHIFT)
    assert single["amount"] == 90_000
    # the shipped rulebook names the amount and cites §9
    assert "004 §9" in RULES["region_amount"]["source"]
    assert set(RULES["region_amount"]) >= {"birth", "death_member", "death_family"}
