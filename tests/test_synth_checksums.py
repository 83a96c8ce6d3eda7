"""Issue 15: the same results, whatever is made faster — a fixed synth inbox is closed and a
checksum of every stored table is compared with the one recorded when this test was written
(2026-11-22, after issues 9, 10 and 13). A speed-up can never change a grosz; a deliberate rule
change updates the figures here, and its note says why."""
from __future__ import annotations

import hashlib

import duckdb

from benchmarks.close_scale import corrupt
from flows.synth import write_inbox
from tests.conftest import close_plain

RECORDED = {
    "allocations": "ce2ad7aa8896db80", "deduction_check": "4f53cda18c2baa0c", "dues": "ed2ebd1d39313d2b",
    "exceptions": "662b069a20730eca", "regions": "4f53cda18c2baa0c", "transfers": "84694394b797d3ec",
    "units": "c4665395f4108777",
}


# columns added since a table's figure was recorded (CONTRACT.md: additions only); the recorded
# figure covers the columns it had, so an addition can never hide a changed grosz
ADDED = {"transfers": "owed_amount", "exceptions": "scope", "deduction_check": "scope",
         "units": "benefit_birth, benefit_death_member, benefit_death_family, section_id"}


def checksums(db) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in RECORDED:
            exclude = f" EXCLUDE ({ADDED[table]})" if table in ADDED else ""
            rows = con.execute(f"SELECT *{exclude} FROM {table} ORDER BY ALL").fetchall()
            out[table] = hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()[:16]
        return out
    finally:
        con.close()


def test_issue_15_a_fixed_synth_close_stores_exactly_the_recorded_tables(tmp_path):
    write_inbox(tmp_path / "inbox", 3_000, "2026-10", seed=2026)
    corrupt(tmp_path / "inbox" / "income" / "payroll.csv", 0.02, seed=7)      # exceptions too, not only dues
    assert close_plain("2026-10", tmp_path / "inbox", tmp_path / "c.duckdb", unit_workbooks=False).ok
    assert checksums(tmp_path / "c.duckdb") == RECORDED


# issue 11: the members' accounts of a synth inbox with receipts (deductions with mistakes, payments)
RECORDED_RECEIPTS = {
    "transfers": "ad09ee18ab11c1e2", "receipts": "c2ab9acf2e142b60", "member_ledger": "f7df2dfb85764c47",
    "ledger_items": "3766faf420b8983d", "settlement": "4715c575defff1c7", "employer_claims": "bd1e4c6188a890b7",
}


def test_issue_11_a_fixed_synth_close_with_receipts_stores_exactly_the_recorded_accounts(tmp_path):
    write_inbox(tmp_path / "inbox", 3_000, "2026-10", seed=2026, receipts=True)
    assert close_plain("2026-10", tmp_path / "inbox", tmp_path / "c.duckdb", unit_workbooks=False).ok
    con = duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True)
    try:
        got = {t: hashlib.sha256(repr(con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()).encode("utf-8"))
               .hexdigest()[:16] for t in RECORDED_RECEIPTS}
    finally:
        con.close()
    assert got == RECORDED_RECEIPTS
