"""transforms/earmarks.py (issue 30): regions' earmarked funds (004 §4), sections' dues (004 §3
ust. 4), the branch secretariats' 2 % shared to the grosz (004 §3 ust. 1 pkt 2 lit. a) and the
agreement's deadline (004 §14)."""
from __future__ import annotations

import csv
from datetime import date
from fractions import Fraction
from pathlib import Path

import duckdb
import polars as pl
from pypdf import PdfReader

from flows.rules import rules_for
from tests.conftest import UNIT, close_plain, line, member, write_inbox
from transforms.earmarks import agreement_items, share_pot, stage_funds, stage_sections

FUNDS = [{"region_id": "R1", "fund": "FS", "label": "fundusz celowy regionu FS", "pct": "1",
          "valid_from": "2026-11-01", "valid_to": "", "payee": "Zarząd Regionu R1 — fundusz celowy",
          "bank_account": "PL61109010140000071219812874", "transfer_title": "FC {unit_id} {MM}/{YYYY}",
          "due_day": "15", "source": "uchwała WZD Regionu R1 nr 3/2026"}]
SECTIONS = [{"section_id": "S1", "name": "Sekcja Krajowa Hutnictwa", "pct": "0.5", "valid_from": "2026-01-01",
             "valid_to": "", "payee": "Sekcja Krajowa Hutnictwa", "bank_account": "95102023130000310200123456",
             "transfer_title": "SKH {unit_id} {MM}/{YY}", "due_day": "", "source": "uchwała Rady SKH nr 2/2026"}]
UNITS = [UNIT | {"section_id": "S1"},
         UNIT | {"unit_id": "U2", "name": "Druga", "section_id": ""},
         UNIT | {"unit_id": "U3", "name": "Trzecia", "region_id": "R2", "section_id": ""}]


def _csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _inbox(folder: Path, period: str, extras: bool = True) -> Path:
    members = [member("M1"), member("M2", unit="U2"), member("M3", unit="U3")]
    inbox = write_inbox(folder, units=UNITS, members=members,
                        income=[line(m, "wage", "10000.00", period) for m in ("M1", "M2", "M3")])
    if extras:
        _csv(inbox / "funds.csv", FUNDS)
        _csv(inbox / "sections.csv", SECTIONS)
    return inbox


def _rows(db: Path, sql: str, *params) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_a_region_fund_from_a_date_and_a_section_dues_are_separate_transfers_and_the_unit_keeps_the_rest(tmp_path):
    """004 §4: the region's general meeting earmarks a fund "w ramach środków wymienionych w § 3
    ust. 1 pkt 1" (the unit's 60 %), binding every unit of the region; 004 §3 ust. 4: a section
    sets the dues its units owe it. D = 82,00 zł (10 000 zł × 0,82 %). October (the fund adopted
    from 1 November): region 32,80, section 0,5 % = 0,41, the unit keeps 48,79. November: the
    fund's 1 % = 0,82 too, the unit keeps 47,97. Each is a transfer of its own with its payee,
    account, title and deadline; a unit of another region without a section is unchanged."""
    db, out = tmp_path / "c.duckdb", tmp_path / "out"
    for period in ("2026-10", "2026-11"):
        assert close_plain(period, _inbox(tmp_path / period, period), db, out).ok
    alloc = {(p, u, lvl): float(a) for p, u, lvl, a in _rows(db, "SELECT period, unit_id, level, amount FROM allocations")}
    assert ("2026-10", "U1", "fund:R1:FS") not in alloc                          # a month before: no fund
    assert alloc[("2026-10", "U1", "section:S1")] == 0.41
    assert alloc[("2026-10", "U1", "unit")] == 48.79
    assert alloc[("2026-11", "U1", "fund:R1:FS")] == 0.82 and alloc[("2026-11", "U2", "fund:R1:FS")] == 0.82
    assert alloc[("2026-11", "U1", "unit")] == 47.97 and alloc[("2026-11", "U2", "unit")] == 48.38
    assert ("2026-11", "U2", "section:S1") not in alloc and ("2026-11", "U3", "fund:R1:FS") not in alloc
    assert alloc[("2026-11", "U3", "unit")] == 49.20
    for period in ("2026-10", "2026-11"):
        for u in ("U1", "U2", "U3"):           # every split still sums to D exactly
            assert round(sum(a for (p, uu, _), a in alloc.items() if p == period and uu == u), 2) == 82.00
        settled = dict(_rows(db, "SELECT unit_id, sum(amount) FROM settlement WHERE period = ? GROUP BY ALL", period))
        assert all(float(v) == 82.00 for v in settled.values())
    transfers = {(p, u, payee): (float(a), d, rule) for p, u, payee, a, d, rule in _rows(
        db, "SELECT period, payer_id, payee, amount, due_on, rule FROM transfers WHERE payer_kind = 'unit'")}
    assert transfers[("2026-11", "U1", "fund:R1:FS")][:2] == (0.82, date(2026, 12, 15))
    assert "uchwała WZD Regionu R1 nr 3/2026" in transfers[("2026-11", "U1", "fund:R1:FS")][2]
    assert transfers[("2026-11", "U1", "section:S1")][:2] == (0.41, date(2026, 12, 21))   # the unit's day, off a Sunday
    assert transfers[("2026-11", "U1", "region")][0] == 32.80
    text = PdfReader(out / "jednostki" / "rozliczenie_U1_2026-11.pdf").pages[0].extract_text()
    for expected in ("Zarząd Regionu R1 — fundusz celowy", "61 1090 1014 0000 0712 1981 2874", "FC U1 11/2026",
                     "0,82 zł", "15 grudnia 2026", "Sekcja Krajowa Hutnictwa", "SKH U1 11/26", "0,41 zł",
                     "95 1020 2313 0000 3102 0012 3456"):
        assert expected in text, expected


def test_a_unit_without_fund_or_section_keeps_every_grosz_it_had(tmp_path):
    """004 §4 binds only the region's units, §3 ust. 4 only the section's: closing with funds.csv
    and sections.csv changes nothing of U3 (region R2, no section) — allocations, settlement and
    transfers are those of a close without the files."""
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert close_plain("2026-11", _inbox(tmp_path / "a", "2026-11"), a, unit_workbooks=False).ok
    assert close_plain("2026-11", _inbox(tmp_path / "b", "2026-11", extras=False), b, unit_workbooks=False).ok
    for sql in ("SELECT level, amount FROM allocations WHERE unit_id = 'U3' ORDER BY ALL",
                "SELECT level, amount, basis FROM settlement WHERE unit_id = 'U3' ORDER BY ALL",
                "SELECT payee, amount, due_on, rule FROM transfers WHERE payer_id = 'U3' ORDER BY ALL"):
        assert _rows(a, sql) == _rows(b, sql)


def test_a_fund_or_section_row_that_cannot_be_used_is_one_polish_message_each():
    """004 §4 needs a decision: a row with a bad percentage, no source or overlapping dates is not used."""
    raw = pl.DataFrame([FUNDS[0] | {"pct": "1,5%", "source": ""}, FUNDS[0] | {"fund": "FX", "valid_from": "x"}]
                       ).with_columns(_source=pl.lit("funds.csv"), _row=pl.Series([1, 2]), _cells=pl.lit(None),
                                      _header_cells=pl.lit(None))
    funds, issues = stage_funds(raw, "2026-11")
    assert funds == () and [i.reason_code for i in issues] == ["bad_fund", "bad_fund"]
    assert "pct '1,5%'" in issues[0].message and "brak źródła" in issues[0].message
    assert "valid_from 'x' nie jest datą" in issues[1].message
    overlap = pl.DataFrame([SECTIONS[0], SECTIONS[0] | {"valid_from": "2026-06-01"}]).with_columns(
        _source=pl.lit("sections.csv"), _row=pl.Series([1, 2]), _cells=pl.lit(None), _header_cells=pl.lit(None))
    sections, issues = stage_sections(overlap, "2026-11")
    assert sections == () and all("nakłada się" in i.message for i in issues)


def test_the_secretariats_share_of_the_2_percent_is_exact_to_the_grosz():
    """004 §3 ust. 1 pkt 2 lit. a: 2 % of D goes to the branch secretariats and KSEiR; shared by
    the members of their organisations (largest remainder): 100,00 zł among 1 : 1 : 1 is 33,34 +
    33,33 + 33,33, never 99,99 or 100,02."""
    secretariats = [{"secretariat_id": s, "name": s, "organisations": 1, "members": 7} for s in ("A", "B", "C")]
    shares = share_pot(10000, secretariats, "004 §3 ust. 1 pkt 2 lit. a")
    assert [s["amount"] for s in shares] == [3334, 3333, 3333] and sum(s["amount"] for s in shares) == 10000
    uneven = share_pot(12345, [{"secretariat_id": "K", "name": "KSEiR", "organisations": 40, "members": 3000},
                               {"secretariat_id": "M", "name": "metal", "organisations": 12, "members": 1000}], "x")
    assert [s["amount"] for s in uneven] == [9259, 3086] and uneven[0]["quota"] == "9258.7500"


def test_the_agreement_is_due_within_14_days_of_the_councils_new_term():
    """004 §14: "nie później niż w terminie 14 dni od dnia rozpoczęcia przez właściwą radę
    sekretariatu nowej kadencji" — term from 1 March: due 15 March; no agreement date recorded is
    due, then overdue; one signed on 20 March is late; one signed on 10 March is not listed."""
    rows = [{"secretariat_id": "A", "name": "metal", "council_term_from": date(2026, 3, 1), "agreement_on": None},
            {"secretariat_id": "B", "name": "oświata", "council_term_from": date(2026, 3, 1),
             "agreement_on": date(2026, 3, 20)},
            {"secretariat_id": "C", "name": "KSEiR", "council_term_from": date(2026, 3, 1),
             "agreement_on": date(2026, 3, 10)},
            {"secretariat_id": "D", "name": "przyszła", "council_term_from": date(2026, 6, 1), "agreement_on": None}]
    on_10th = agreement_items(rows, date(2026, 3, 10), 14, "004 §14")
    assert [(i["who"][:13], i["due_on"], i["status"]) for i in on_10th] == [
        ("sekretariat A", date(2026, 3, 15), "due"), ("sekretariat B", date(2026, 3, 15), "overdue")]
    assert on_10th[0]["source"] == "004 §14" and "brak daty zawarcia" in on_10th[0]["what"]
    assert agreement_items(rows, date(2026, 3, 16), 14, "004 §14")[0]["status"] == "overdue"


def test_the_close_shares_the_months_pot_among_the_stored_secretariats(tmp_path):
    """004 §3 ust. 1 pkt 2 lit. a: the month's pot (the settlement's secretariats level of all
    units) shared among the secretariats of secretariats.csv, summing to the pot exactly."""
    db = tmp_path / "c.duckdb"
    inbox = _inbox(tmp_path / "in", "2026-11")
    _csv(inbox / "secretariats.csv", [
        {"secretariat_id": "SKH", "name": "Sekretariat Metalowców", "organisations": "2", "members": "2",
         "council_term_from": "2026-03-01", "agreement_on": "2026-03-10", "source": ""},
        {"secretariat_id": "KSEIR", "name": "KSEiR", "organisations": "1", "members": "1",
         "council_term_from": "2026-03-01", "agreement_on": "", "source": ""}])
    assert close_plain("2026-11", inbox, db, unit_workbooks=False).ok
    pot = float(_rows(db, "SELECT sum(amount) FROM settlement WHERE level = 'branch_secretariats'")[0][0])
    shares = dict(_rows(db, "SELECT secretariat_id, amount FROM secretariat_shares WHERE period = '2026-11'"))
    assert pot == 4.92 and float(sum(shares.values())) == pot
    assert (float(shares["SKH"]), float(shares["KSEIR"])) == (3.28, 1.64)


def test_the_rulebook_names_the_secretariats_level_and_the_14_days():
    """004 §3 ust. 1 pkt 2 lit. a, §14 as rulebook data (no level named in code)."""
    version = rules_for("2026-11").version("solidarnosc")
    assert version.secretariats["level"] in {lvl.code for lvl in version.levels}
    assert version.secretariats["agreement_days"] == 14 and Fraction(1) == 1


def test_the_calendar_lists_the_agreement_deadline_and_the_funds_transfers(tmp_path):
    """004 §14 in `skladki calendar`: a council's term from 1 December 2026 with no agreement date
    recorded is due on 15 December, overdue after; the fund's and the section's transfers (004
    §4, §3 ust. 4) are listed by their payees' names, as reminders (no statement of theirs is read)."""
    from flows.calendar import CALENDAR
    from flows.command import run_plain
    db = tmp_path / "c.duckdb"
    inbox = _inbox(tmp_path / "in", "2026-11")
    _csv(inbox / "secretariats.csv", [
        {"secretariat_id": "SKH", "name": "Sekretariat Metalowców", "organisations": "2", "members": "2",
         "council_term_from": "2026-12-01", "agreement_on": "", "source": ""}])
    assert close_plain("2026-11", inbox, db, unit_workbooks=False).ok

    def items(day):
        outcome = run_plain(CALENDAR, lambda m: None, date=day, db=db, statements=None, out=None)
        assert outcome.ok, outcome.message
        return outcome.result.items
    due = [i for i in items("2026-12-10") if i["kind"] == "secretariat_agreement"]
    assert [(i["due_on"], i["status"], i["source"]) for i in due] == [(date(2026, 12, 15), "due", "004 §14")]
    assert [i["status"] for i in items("2026-12-16") if i["kind"] == "secretariat_agreement"] == ["overdue"]
    transfers = [i["what"] for i in items("2026-12-10") if i["kind"] == "unit_transfer" and i["who"] == "U1"]
    assert any("Zarząd Regionu R1 — fundusz celowy" in w and "na rachunek odbiorcy" in w for w in transfers), transfers
    assert any("Sekcja Krajowa Hutnictwa" in w for w in transfers), transfers


def test_the_settlement_file_carries_the_funds_and_the_import_recomputes_them(tmp_path):
    """004 §4 and §3 ust. 4 in the unit's settlement file (issue 29's format, extended): the file
    lists the fund and the section's dues as levels and transfers of their own, with the fund's
    data; the region's import checks the split and the transfers from the declared totals and
    stores exactly what the central close stored."""
    import json

    from typer.testing import CliRunner

    from flows.cli import app
    from tests.conftest import approve_plain
    central = tmp_path / "central.duckdb"
    assert close_plain("2026-11", _inbox(tmp_path / "in", "2026-11"), central, unit_workbooks=False).ok
    assert approve_plain("2026-11", central, force=True, reason="test", out=tmp_path / "wyniki").ok
    folder = tmp_path / "wyniki" / "jednostki"
    doc = json.loads((folder / "rozliczenie_U1_2026-11_v1.json").read_text(encoding="utf-8"))
    assert [e["level"] for e in doc["earmarks"]] == ["fund:R1:FS", "section:S1"]
    transfers = {t["level"]: t for t in doc["transfers"]}
    assert transfers["fund:R1:FS"]["amount_gr"] == 82 and transfers["fund:R1:FS"]["title"] == "FC U1 11/2026"
    assert transfers["fund:R1:FS"]["account"] == "PL61109010140000071219812874"
    assert transfers["section:S1"]["amount_gr"] == 41 and transfers["section:S1"]["payee"] == "Sekcja Krajowa Hutnictwa"
    assert "earmarks" not in json.loads((folder / "rozliczenie_U3_2026-11_v1.json").read_text(encoding="utf-8"))
    db = tmp_path / "R1.duckdb"
    res = CliRunner().invoke(app, ["import", "--folder", str(folder), "--db", str(db), "--region", "R1"])
    assert res.exit_code == 0, res.output
    for sql in ("SELECT period, payer_kind, payer_id, payee, amount, due_on, rule, owed_amount FROM transfers "
                "WHERE region_id = 'R1' ORDER BY ALL",
                "SELECT s.* FROM settlement s JOIN units u USING (period, unit_id) WHERE u.region_id = 'R1' ORDER BY ALL",
                "SELECT a.* FROM allocations a JOIN units u USING (period, unit_id) WHERE u.region_id = 'R1' ORDER BY ALL",
                "SELECT unit_id, section_id FROM units WHERE region_id = 'R1' ORDER BY ALL"):
        assert _rows(db, sql) == _rows(central, sql), sql


def test_the_agreement_deadline_on_a_sunday_moves_to_monday():
    """004 §14 with RULES.md §6 (Kodeks cywilny art. 115): a term from 1 November 2026 makes day 14
    Sunday 15 November; the agreement is due on Monday 16 November, and the item says why."""
    from transforms.deadlines import parse_shift
    shift = parse_shift({"deadline_shift": "next_working_day", "deadline_shift_source": "Kodeks cywilny art. 115"})
    rows = [{"secretariat_id": "A", "name": "metal", "council_term_from": date(2026, 11, 1), "agreement_on": None}]
    (got,) = agreement_items(rows, date(2026, 11, 16), 14, "004 §14", shift=shift)
    assert (got["due_on"], got["status"]) == (date(2026, 11, 16), "due") and "art. 115" in got["source"]


def test_a_regions_file_with_a_fund_reaches_the_national_level_with_the_same_forwards(tmp_path):
    """004 §4: a fund stays within the unit's share, so the region's forwards to the national
    level (004 §3 ust. 1 pkt 2) are those of a central close; the region's file (issue 29) carries
    its units' fund levels and the national import takes it, forwards and the secretariats' pot
    (004 §3 ust. 1 pkt 2 lit. a) unchanged."""
    from typer.testing import CliRunner

    from flows.cli import app
    from tests.conftest import approve_plain

    def cli(*args):
        res = CliRunner().invoke(app, list(args))
        assert res.exit_code == 0, res.output
    central = tmp_path / "central.duckdb"
    assert close_plain("2026-11", _inbox(tmp_path / "in", "2026-11"), central, unit_workbooks=False).ok
    assert approve_plain("2026-11", central, force=True, reason="test", out=tmp_path / "wyniki").ok
    region_db, out = tmp_path / "R1.duckdb", tmp_path / "regiony"
    cli("import", "--folder", str(tmp_path / "wyniki" / "jednostki"), "--db", str(region_db), "--region", "R1")
    cli("region-settlement", "--period", "2026-11", "--db", str(region_db), "--region", "R1", "--out", str(out))
    national = tmp_path / "krajowa.duckdb"
    cli("import", "--folder", str(out), "--db", str(national), "--level", "national")
    sql = "SELECT payer_id, payee, amount, due_on FROM transfers WHERE payer_kind = 'region' AND payer_id = 'R1' " \
          "ORDER BY ALL"
    assert _rows(national, sql) == _rows(central, sql) and _rows(national, sql)
    pot = "SELECT sum(amount) FROM settlement s JOIN units u USING (period, unit_id) WHERE u.region_id = 'R1' " \
          "AND level = 'branch_secretariats'"
    assert _rows(national, pot) == _rows(central, pot)


def test_an_id_with_a_colon_or_a_space_cannot_make_a_level_code():
    """004 §4: the fund becomes the level 'fund:<region_id>:<fund>' — an id with ':' or a space
    would make another level's code, so the row is refused with its reason."""
    raw = pl.DataFrame([FUNDS[0] | {"fund": "FS 1"}, FUNDS[0] | {"region_id": "R:1", "fund": "FT"}]).with_columns(
        _source=pl.lit("funds.csv"), _row=pl.Series([1, 2]), _cells=pl.lit(None), _header_cells=pl.lit(None))
    funds, issues = stage_funds(raw, "2026-11")
    assert funds == () and ["fund 'FS 1'" in issues[0].message, "region_id 'R:1'" in issues[1].message] == [True, True]


def test_a_funds_own_statement_is_reconciled_against_the_units_transfers_to_it(tmp_path):
    """004 §4: the fund's money goes to the fund's own account, so its statement is reconciled on a
    level of its own (`skladki reconcile --level fund:R1:FS`): U1's 0,82 zł found paid, U2's
    missing; a statement of another account is not the fund's."""
    from flows.command import run_plain
    from flows.reconcile import RECONCILE
    from tests.test_reconcile import mt940
    db = tmp_path / "c.duckdb"
    assert close_plain("2026-11", _inbox(tmp_path / "in", "2026-11"), db, unit_workbooks=False).ok
    statements = tmp_path / "wyciagi"
    statements.mkdir()
    mt940([(date(2026, 12, 10), 82, None, "Organizacja testowa", "FC U1 11/2026")], statements / "fs.sta")
    text = (statements / "fs.sta").read_bytes().replace(b"PL95102023130000310200123456",
                                                        b"PL61109010140000071219812874")
    (statements / "fs.sta").write_bytes(text)
    outcome = run_plain(RECONCILE, period="2026-11", statements=statements, db=db, out=None, level="fund:R1:FS")
    assert outcome.ok, outcome.message
    status = {(s["unit_id"], s["status"]) for s in outcome.result.status}
    assert ("U1", "paid") in status and any(u == "U2" and st != "paid" for u, st in status), status


def test_the_close_summary_names_the_funds_and_sections_payees(tmp_path):
    """004 §4, §3 ust. 4: the close's transfers table names the fund's and section's payees, not codes."""
    outcome = close_plain("2026-11", _inbox(tmp_path / "in", "2026-11"), tmp_path / "c.duckdb", unit_workbooks=False)
    assert outcome.ok
    from flows.close import table
    _, rows = table(None, outcome.result)
    payees = {r["odbiorca"] for r in rows}
    assert {"Zarząd Regionu R1 — fundusz celowy", "Sekcja Krajowa Hutnictwa"} <= payees, payees


def test_the_close_workbook_has_a_column_per_fund_and_section(tmp_path):
    """004 §4, §3 ust. 4: the region's books (the close workbook) show the fund and the section as
    levels of the split, so each unit's row of the split still adds up to its dues."""
    from openpyxl import load_workbook
    out = tmp_path / "out"
    assert close_plain("2026-11", _inbox(tmp_path / "in", "2026-11"), tmp_path / "c.duckdb", out,
                       unit_workbooks=False).ok
    (book,) = [p for p in out.glob("*.xlsx")]
    found = []
    for ws in load_workbook(book, read_only=True).worksheets:
        for row in ws.iter_rows(values_only=True):
            found += [c for c in row if isinstance(c, str) and ("fundusz celowy regionu FS" in c
                                                                or "Sekcja Krajowa Hutnictwa" in c)]
    assert any(c.startswith("Podział: fundusz celowy regionu FS") for c in found), found
    assert any(c.startswith("Podział: Sekcja Krajowa Hutnictwa") for c in found), found


from hypothesis import given, strategies as st  # noqa: E402


@given(st.integers(0, 10**10), st.lists(st.integers(0, 200_000), min_size=1, max_size=12).filter(any))
def test_the_secretariats_shares_always_sum_to_the_pot_and_each_is_its_quota_rounded(pot, members):
    """004 §3 ust. 1 pkt 2 lit. a: whatever the pot and the members, the shares sum to the pot to
    the grosz and each is its exact quota rounded down or up by less than one grosz."""
    rows = [{"secretariat_id": f"S{i:02d}", "name": "x", "organisations": 1, "members": n}
            for i, n in enumerate(members)]
    shares = share_pot(pot, rows, "x")
    assert sum(s["amount"] for s in shares) == pot
    total = sum(members)
    for s in shares:
        quota = Fraction(pot * s["members"], total)
        assert quota - 1 < s["amount"] < quota + 1


def test_a_funds_dates_as_polish_excel_writes_them_are_read_like_iso_ones():
    """A funds.csv saved by Polish Excel writes '01.11.2026' (issue 26, as every canonical file's
    dates): the fund of 004 §4 is in force from the same day as with '2026-11-01'."""
    raw = pl.DataFrame([FUNDS[0] | {"valid_from": "01.11.2026", "valid_to": "31.12.2027"}]).with_columns(
        _source=pl.lit("funds.csv"), _row=pl.Series([1]), _cells=pl.lit(None), _header_cells=pl.lit(None))
    funds, issues = stage_funds(raw, "2026-11")
    assert issues == [] and [(f.valid_from, f.valid_to) for f in funds] == [(date(2026, 11, 1), date(2027, 12, 31))]
