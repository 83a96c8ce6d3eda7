"""Issue 10: a PESEL or a member's name never appears in region-level or national outputs — every
output of every command on the demo data is searched for the demo's PESELs and names. Names are
allowed in one place only: the unit treasurer's own workbook (jednostki/)."""
from __future__ import annotations

import csv
from datetime import date

import duckdb
from openpyxl import load_workbook

from flows import settings
from flows.command import run_plain
from flows.delegates import VERIFY_DELEGATES
from flows.reconcile import RECONCILE
from flows.salary_caps import SALARY_CAPS
from tests.conftest import close_plain
from tests.test_reconcile import mt940


def demo_people() -> tuple[set[str], set[str]]:
    with (settings.DEMO_INBOX / "members.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {r["pesel"] for r in rows if r["pesel"]}, {r["full_name"] for r in rows if r["full_name"]}


def cells(path) -> list[str]:
    return [str(c.value) for ws in load_workbook(path) for row in ws.iter_rows() for c in row if c.value is not None]


def test_issue_10_no_pesel_or_name_in_any_region_or_national_output(tmp_path):
    pesels, names = demo_people()
    db, out = tmp_path / "demo.duckdb", tmp_path / "out"
    for period in ("2026-09", "2026-10"):
        assert close_plain(period, settings.DEMO_INBOX, db, out).ok
    # a member paying the region directly, with her PESEL in the title and her name as the payer
    pesel, name = sorted(pesels)[0], sorted(names)[0]
    st = tmp_path / "st"
    st.mkdir()
    mt940([(date(2026, 11, 5), 4_200, "PL27114020040000300201355387", name, f"Skladka {pesel}")], st / "w.sta")
    assert run_plain(RECONCILE, period="2026-10", statements=st, db=db, out=out).ok
    inbox = tmp_path / "del"
    inbox.mkdir()
    (inbox / "remittances.csv").write_text("region_id,voivodeship,paid_in,amount,declared_paying_members\n"
                                           "SL,śląskie,2026-11,1000.00,200\n", encoding="utf-8")
    (inbox / "wages.csv").write_text("voivodeship,month,amount\nśląskie,2026-10,8000.00\n", encoding="utf-8")
    assert run_plain(VERIFY_DELEGATES, inbox=inbox, db=db, out=out, seats=5).ok
    assert run_plain(SALARY_CAPS, period="2026-02", officers=settings.DEMO_INBOX / "officers" / "officers.csv",
                     db=db, out=out).ok
    workbooks = sorted(out.rglob("*.xlsx"))
    assert len(workbooks) >= 10
    for path in workbooks:
        text = "\n".join(cells(path))
        assert not [p for p in pesels if p in text], path
        if "jednostki" not in path.parts:
            assert not [n for n in names if n in text], path
    con = duckdb.connect(str(db), read_only=True)
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        text = "\n".join(str(v) for row in con.execute(f"SELECT * FROM {table}").fetchall() for v in row)
        assert not [p for p in pesels if p in text], table
        assert not [n for n in names if n in text], table
