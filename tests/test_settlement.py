"""reports/settlement.py (issue 13): the unit treasurer's one-page settlement — what to pay, to
whom, to which account, with which title and by when — as the first sheet and as a PDF."""
from __future__ import annotations

from openpyxl import load_workbook
from pypdf import PdfReader

from flows import settings
from reports.settlement import nrb, transfer_title
from tests.conftest import close_plain, line, member, write_inbox

REGION = {"region_id": "R1", "name": "Region Testowy", "bank_account": "95102023130000310200123456",
          "transfer_title": "KZ {unit_id} skł {MM}/{YY}"}


def test_issue_13_the_settlement_pdf_of_a_300_member_unit_is_one_page_with_what_to_pay(tmp_path):
    """300 employees at 1 000.00 zł: D = 300 × 8.20 = 2 460.00 zł; to the region 40 % = 984.00 zł."""
    members = [member(f"M{i:03d}") for i in range(300)]
    inbox = write_inbox(tmp_path / "in", members=members, income=[line(m["member_id"], "wage", "1000.00") for m in members])
    (inbox / "regions.csv").write_text("region_id,name,bank_account,transfer_title\n"
                                       + ",".join(REGION.values()) + "\n", encoding="utf-8")
    outcome = close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out")
    assert outcome.ok, outcome.message
    pdf = PdfReader(tmp_path / "out" / "jednostki" / "rozliczenie_U1_2026-10.pdf")
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    for expected in ("984,00 zł", "95 1020 2313 0000 3102 0012 3456", "KZ U1 skł 10/26", "20 listopada 2026",
                     "Organizacja testowa (U1)", "październik 2026", "Skarbnik", "Przewodniczący",
                     "2 460,00 zł", "Region Testowy"):
        assert expected in text, expected
    wb = load_workbook(tmp_path / "out" / "jednostki" / "skladki_U1_2026-10.xlsx")
    assert wb.sheetnames[0] == "Rozliczenie"
    first = [[c.value for c in row] for row in wb["Rozliczenie"].iter_rows(max_row=10)]
    assert ["Kwota", 984, "z otrzymanych składek (Uchwała nr 5 XIX KZD §10)"] in first and first[5][0] == "DO PRZELANIA"      # what to pay comes first
    assert first[3][0].startswith("PROJEKT — niezatwierdzone")       # after the month's state (RULES.md §13)
    members_sheet = wb["Składki członków"]
    last = [c.value for c in list(members_sheet.iter_rows())[-1]]
    assert last[0] == "Razem" and last[7] == 2460
    assert members_sheet.oddFooter.center.text == "Strona &P z &N"
    assert "Organizacja testowa (U1)" in members_sheet.oddHeader.center.text


def test_without_regions_csv_the_title_is_the_rulebooks_and_the_account_is_asked_for(tmp_path):
    inbox = write_inbox(tmp_path / "in", income=[line("M1", "wage", "1000.00")])
    close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out")
    text = PdfReader(tmp_path / "out" / "jednostki" / "rozliczenie_U1_2026-10.pdf").pages[0].extract_text()
    assert "Składki U1 za 10/2026" in text and "brak w regions.csv" in text


def test_issue_25_a_deadline_moved_off_a_sunday_says_why_on_the_settlement(tmp_path):
    """November 2026's transfer: the 20th of December is a Sunday, so the settlement asks for the
    money by Monday 21 December and says why (Kodeks cywilny art. 115, RULES.md §6)."""
    inbox = write_inbox(tmp_path / "in", income=[line("M1", "wage", "1000.00", "2026-11")])
    assert close_plain("2026-11", inbox, tmp_path / "c.duckdb", tmp_path / "out").ok
    text = PdfReader(tmp_path / "out" / "jednostki" / "rozliczenie_U1_2026-11.pdf").pages[0].extract_text()
    assert "21 grudnia 2026" in text and "z 20 grudnia 2026" in text and "niedziela; Kodeks cywilny art. 115" in text
    first = [[c.value for c in row] for row in load_workbook(tmp_path / "out" / "jednostki" / "skladki_U1_2026-11.xlsx")
             ["Rozliczenie"].iter_rows(max_row=12)]
    assert ["Termin przesunięty", "z 20 grudnia 2026", "niedziela; Kodeks cywilny art. 115"] in first


def test_account_and_title_formats():
    assert nrb("PL61109010140000071219812874") == "61 1090 1014 0000 0712 1981 2874"
    assert transfer_title("KZ {unit_id} skł {MM}/{YY}", "00001", "Koło", "2024-01") == "KZ 00001 skł 01/24"


def test_the_demo_settlements_are_there_for_every_unit(tmp_path):
    outcome = close_plain("2026-10", settings.DEMO_INBOX, tmp_path / "c.duckdb", tmp_path / "out")
    pdfs = sorted(p.name for p in (tmp_path / "out" / "jednostki").glob("*.pdf"))
    assert len(pdfs) == 6 and outcome.ok
    text = PdfReader(tmp_path / "out" / "jednostki" / "rozliczenie_SL-0002_2026-10.pdf").pages[0].extract_text()
    # issue 11: the transfer is the region's share of the dues received (1 187,36 zł), with the
    # share of the dues owed beside it
    assert "1 187,36 zł" in text and "1 219,87 zł" in text and "KZ SL-0002 skł 10/26" in text


def test_issue_26_a_120_character_unit_name_is_printed_whole_on_one_page(tmp_path):
    """Long names wrap inside the page (never clipped: users saw '„Solidar'); counts read in Polish
    ('1 członek'), citations as the resolution ('Uchwała nr 5 XIX KZD §10'), dates in words."""
    name = ("Międzyzakładowa Organizacja Związkowa NSZZ „Solidarność” Pracowników Huty Katowice i Spółek "
            "Zależnych w Dąbrowie Górniczej")[:120]
    assert len(name) == 120
    unit = {"unit_id": "U1", "name": name, "region_id": "R1", "voivodeship": "śląskie"}
    inbox = write_inbox(tmp_path / "in", units=[unit], income=[line("M1", "wage", "1000.00")])
    (inbox / "regions.csv").write_text("region_id,name,bank_account,transfer_title\n"
                                       "R1,Region Testowy,95102023130000310200123456,KZ {unit_name} skł {MM}/{YY}\n",
                                       encoding="utf-8")
    assert close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out").ok
    pdf = PdfReader(tmp_path / "out" / "jednostki" / "rozliczenie_U1_2026-10.pdf")
    assert len(pdf.pages) == 1
    text = " ".join(pdf.pages[0].extract_text().split())
    assert f"{name} (U1)" in text                           # the heading, wrapped, whole
    assert f"KZ {name} skł 10/26" in text                   # the transfer title, wrapped, whole
    assert "Uchwała nr 5 XIX KZD §10" in text and "004 §" not in text
    assert "1 członek" in text and "czł." not in text
    assert "20 listopada 2026" in text
