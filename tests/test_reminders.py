"""Issue 29: the region's reminders — units whose settlement for a month has not arrived or whose
transfer is late or short — as a list, a workbook and one Polish letter (PDF) per unit, with no
person's data in any of them."""
from __future__ import annotations

import csv
import re
from datetime import date

import duckdb
import pytest
from openpyxl import load_workbook

from flows import settings
from flows.command import run_plain
from flows.reconcile import RECONCILE
from flows.reminders import REMINDERS
from tests.conftest import approve_plain, close_plain
from tests.test_months import pdf_text
from transforms.reminders import ExpectedUnit, Verdict, reminders


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The demo's two months closed, three October months approved, the demo statements
    reconciled (SL-0001 late, SL-0002 short, SL-0003 not paid), reminders on 1 December 2026."""
    folder = tmp_path_factory.mktemp("reminders")
    db = folder / "demo.duckdb"
    for period in ("2026-09", "2026-10"):
        assert close_plain(period, settings.DEMO_INBOX, db, unit_workbooks=False).ok
    assert approve_plain("2026-10", db, units=["SL-0001", "SL-0002", "GD-0001"]).ok
    assert run_plain(RECONCILE, period="2026-10", statements=settings.DEMO_INBOX / "statements", db=db).ok
    out = run_plain(REMINDERS, period="2026-10", db=db, out=folder / "out", date="2026-12-01")
    assert out.ok, out.message
    return folder, db, out


def test_the_list_names_missing_settlements_and_late_short_or_unpaid_transfers(region):
    _, _, out = region
    got = {r.unit_id: (r.settlement, r.transfer, r.owed) for r in out.result.reminders}
    assert got == {"GD-0002": ("draft", None, None), "SL-0004": ("draft", None, None),
                   "SL-0001": (None, "late", 0), "SL-0002": (None, "short", 59368),
                   "SL-0003": ("draft", "missing", 43967)}
    assert (out.result.expected, out.result.approved) == (6, 3)


def test_the_summary_in_polish_with_plurals(region):
    _, _, out = region
    text = REMINDERS.summary(out.run, out.result)
    assert text.startswith("Przypomnienia za październik 2026 (wszystkie regiony, stan na 1 grudnia 2026): "
                           "oczekiwano rozliczeń od 6 jednostek, zatwierdzonych 3; bez rozliczenia: 3 jednostki, "
                           "z przelewem spóźnionym lub niepełnym: 3 jednostki")
    assert "SL-0002    przelew niepełny: wpłynęło 593,68 zł z 1 187,36 zł, brakuje 593,68 zł" in text
    assert "SL-0001    przelew po terminie: wpłynęło 1 164,06 zł 24 listopada 2026, 4 dni po terminie" in text
    assert "pisma: 5 pism PDF" in text


def test_the_workbook_lists_the_units(region):
    folder, _, out = region
    wb = load_workbook(folder / "out" / "przypomnienia_2026-10.xlsx")
    rows = list(wb["Przypomnienia"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["GD-0002", "SL-0001", "SL-0002", "SL-0003", "SL-0004"]
    short = rows[2]
    assert (short[4], short[9], short[13]) == ("przelew niepełny", 593.68, "KZ SL-0002 skł 10/26")


def test_each_letter_says_amount_account_title_and_deadline_in_polish(region):
    folder, _, out = region
    letters = {p.name: p for p in out.result.letters}
    assert len(letters) == 5
    short = pdf_text(letters["przypomnienie_SL-0002_2026-10.pdf"])
    for part in ("Region Śląsko-Dąbrowski", "NSZZ Solidarność Szpitala", "Przypomnienie: przelew składek za "
                 "październik 2026", "593,68 zł", "95 1020 2313 0000 3102 0012 3456", "KZ SL-0002 skł 10/26",
                 "20 listopada 2026", "Szanowni Państwo", "Z wyrazami szacunku"):
        assert part in short, part
    missing = pdf_text(letters["przypomnienie_SL-0003_2026-10.pdf"])
    for part in ("rozliczenie składek za październik 2026", "skladki approve --period 2026-10 --unit",
                 "rozliczenie_SL-0003_2026-10_v1.json", "439,67 zł", "(minął)"):
        assert part in re.sub(r"\s+", " ", missing), part
    from pypdf import PdfReader
    assert all(len(PdfReader(str(p)).pages) == 1 for p in letters.values())


def test_no_person_in_any_letter_or_the_workbook(region):
    folder, _, out = region
    with (settings.DEMO_INBOX / "members.csv").open(encoding="utf-8") as f:
        people = list(csv.DictReader(f))
    secrets = {p["pesel"] for p in people if p["pesel"]} | {p["full_name"] for p in people if p["full_name"]} \
        | {p["member_id"] for p in people}
    texts = [pdf_text(p) for p in out.result.letters]
    texts += [str(c.value) for ws in load_workbook(folder / "out" / "przypomnienia_2026-10.xlsx")
              for row in ws.iter_rows() for c in row if c.value is not None]
    texts.append(REMINDERS.summary(out.run, out.result))
    words = {w for t in texts for w in re.findall(r"[\w-]+", t)}
    assert not {s for s in secrets if s in words or any(s in t for t in texts if " " in s)}
    assert not any(re.search(r"\b\d{11}\b", t) for t in texts)       # no PESEL-like number


def test_one_region_and_an_unknown_region(region, tmp_path):
    _, db, _ = region
    out = run_plain(REMINDERS, period="2026-10", db=db, out=tmp_path, region_id="GD", date="2026-12-01")
    assert [r.unit_id for r in out.result.reminders] == ["GD-0002"]
    assert (tmp_path / "przypomnienia_2026-10_GD" / "przypomnienie_GD-0002_2026-10.pdf").exists()
    bad = run_plain(REMINDERS, period="2026-10", db=db, out=tmp_path, region_id="XX")
    assert not bad.ok and "Nie ma regionu 'XX'" in bad.message


def test_a_unit_known_from_an_earlier_month_without_a_settlement_is_missing(region, tmp_path):
    """November: nothing closed, nothing imported: every unit of the region is reminded, with the
    deadline from the rulebook (20 December 2026 is a Sunday: Monday the 21st)."""
    _, db, _ = region
    out = run_plain(REMINDERS, period="2026-11", db=db, out=tmp_path, region_id="SL", date="2027-01-04")
    got = {r.unit_id: (r.settlement, r.due_on) for r in out.result.reminders}
    assert set(got) == {"SL-0001", "SL-0002", "SL-0003", "SL-0004"}
    assert got["SL-0001"] == ("missing", date(2026, 12, 21))
    assert "nie otrzymaliśmy rozliczenia" in re.sub(r"\s+", " ", pdf_text(out.result.letters[0]))


def test_imported_settlement_files_name_expected_units(tmp_path):
    """A unit the region knows only from an imported file is expected too (table settlement_files)."""
    from datetime import datetime

    from flows import store
    from schemas.tables import TABLES
    db = tmp_path / "r.duckdb"
    with duckdb.connect(str(db)) as con:
        store.write(con, "settlement_files", TABLES["settlement_files"].frame([{
            "unit_id": "U7", "period": "2026-09", "version": 1, "kind": "unit", "sha256": "a" * 64,
            "file_name": "rozliczenie_U7_2026-09_v1.json", "imported_at": datetime(2026, 10, 5), "run_id": "r",
            "input_sha256": "i", "paying_members": 3, "by_category": "{}", "owed": 100, "received": 100,
            "superseded_by": None}]), sha256="a" * 64)
    out = run_plain(REMINDERS, period="2026-10", db=db, out=tmp_path / "out", date="2026-12-01")
    assert out.ok, out.message
    assert [(r.unit_id, r.settlement) for r in out.result.reminders] == [("U7", "missing")]


def test_an_unpaid_transfer_is_not_owed_before_its_deadline():
    unit = ExpectedUnit("U1", "KZ", "R1", "Region", None, "Składki U1 10/2026", date(2026, 11, 20))
    unpaid = Verdict("missing", 1000, 0, date(2026, 11, 20), None, None, "2026-10")
    assert reminders([unit], {"U1": "approved"}, {"U1": unpaid}, date(2026, 11, 20)) == []
    (r,) = reminders([unit], {"U1": "approved"}, {"U1": unpaid}, date(2026, 11, 23))
    assert (r.transfer, r.owed, r.days_late) == ("missing", 1000, 3)


def test_issue_30_a_przerobka_units_letter_comes_from_its_national_board(region):
    """003 Art. 31 ust. 4: a Przeróbka unit pays the Zarząd Krajowy directly, not a region: its
    reminder names that board (national_accounts.csv), its account and title, and no region."""
    _, _, out = region
    letters = {p.name: p for p in out.result.letters}
    text = re.sub(r"\s+", " ", pdf_text(letters["przypomnienie_SL-0004_2026-10.pdf"]))
    for part in ("Zarząd Krajowy ZZ „Przeróbka”", "68 1090 1014 0000 9999 0000 0001",
                 "Składka na Zarząd Krajowy SL-0004 za 10/2026"):
        assert part in text, part
    assert "Region" not in text and "Śląsko" not in text
    solidarnosc = re.sub(r"\s+", " ", pdf_text(letters["przypomnienie_SL-0003_2026-10.pdf"]))
    assert "Skarbnik Regionu" in solidarnosc and "do Regionu" in solidarnosc
