"""Issue 15: the unit treasurers' documents on demand from a stored close (`skladki documents`),
so a national close writes none and a unit asks for its own."""
from __future__ import annotations

import openpyxl

from flows import settings
from flows.command import run_plain
from flows.documents import DOCUMENTS
from tests.conftest import close_plain


def test_one_units_documents_on_demand_equal_the_closes_own(tmp_path):
    db = tmp_path / "s.duckdb"
    assert close_plain("2026-10", settings.DEMO_INBOX, db, out=tmp_path / "close").ok
    out = run_plain(DOCUMENTS, lambda m: None, period="2026-10", db=db, out=tmp_path / "docs", units=["SL-0002"],
                    members=settings.DEMO_INBOX / "members.csv")
    assert out.ok and out.result.written == 1
    made = tmp_path / "docs" / "jednostki"
    assert sorted(p.name for p in made.iterdir()) == ["rozliczenie_SL-0002_2026-10.pdf", "skladki_SL-0002_2026-10.xlsx"]
    on_demand = openpyxl.load_workbook(made / "skladki_SL-0002_2026-10.xlsx")
    at_close = openpyxl.load_workbook(tmp_path / "close" / "jednostki" / "skladki_SL-0002_2026-10.xlsx")
    assert on_demand.sheetnames == at_close.sheetnames
    for name in on_demand.sheetnames:
        assert [[c.value for c in r] for r in on_demand[name].iter_rows()] == \
            [[c.value for c in r] for r in at_close[name].iter_rows()], name
    assert (made / "rozliczenie_SL-0002_2026-10.pdf").read_bytes()[:5] == b"%PDF-"


def test_without_members_no_names_and_every_unit(tmp_path):
    db = tmp_path / "s.duckdb"
    assert close_plain("2026-10", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    out = run_plain(DOCUMENTS, lambda m: None, period="2026-10", db=db, out=tmp_path, units=None, members=None)
    assert out.ok and out.result.written == 6
    ws = openpyxl.load_workbook(tmp_path / "jednostki" / "skladki_SL-0001_2026-10.xlsx")["Składki członków"]
    assert all(row[2] is None for row in ws.iter_rows(min_row=2, max_row=ws.max_row - 1, values_only=True))
    assert "bez imion i nazwisk" in DOCUMENTS.summary(out.run, out.result)


def test_unknown_unit_and_unclosed_month_are_polish_messages(tmp_path):
    db = tmp_path / "s.duckdb"
    assert close_plain("2026-10", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    bad = run_plain(DOCUMENTS, lambda m: None, period="2026-10", db=db, out=tmp_path, units=["XX"], members=None)
    assert not bad.ok and bad.message.startswith("Jednostek XX nie ma w zamknięciu 2026-10")
    none = run_plain(DOCUMENTS, lambda m: None, period="2026-08", db=db, out=tmp_path, units=None, members=None)
    assert not none.ok and "miesiąc 2026-08 nie jest zamknięty" in none.message
    assert not (tmp_path / "jednostki").exists()
