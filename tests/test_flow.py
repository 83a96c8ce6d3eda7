"""The Prefect flow end to end on the bundled demo inbox, under a test harness."""
from __future__ import annotations

import duckdb
import pytest

from flows import settings, steps


@pytest.fixture(scope="module")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=180):
        yield


def test_monthly_close_flow_on_demo_inbox_matches_plain_steps(prefect_harness, tmp_path):
    from flows.monthly_close import monthly_close
    flow_db, plain_db = tmp_path / "flow.duckdb", tmp_path / "plain.duckdb"
    outcome = monthly_close("2026-10", settings.DEMO_INBOX, flow_db, tmp_path / "out", quiet=True)
    assert outcome.ok and outcome.workbook.exists()
    steps.run_plain("2026-10", settings.DEMO_INBOX, plain_db)
    for table in ("dues", "allocations", "exceptions", "transfers"):
        a = duckdb.connect(str(flow_db), read_only=True).sql(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        b = duckdb.connect(str(plain_db), read_only=True).sql(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        assert a == b, table
    con = duckdb.connect(str(flow_db), read_only=True)
    # the demo shows every kind of exception a treasurer meets
    reasons = {r[0] for r in con.execute("SELECT DISTINCT reason_code FROM exceptions").fetchall()}
    assert {"unknown_member", "unknown_component", "bad_amount", "bad_period", "not_a_member_in_period",
            "missing_income", "negative_base", "bad_adjustment", "bad_member", "bad_unit"} <= reasons
    read, used, rejected, skipped = con.execute(
        "SELECT rows_read, rows_used, rows_rejected, rows_skipped FROM runs").fetchone()
    assert read == used + rejected + skipped and used > 900


def test_flow_reports_a_missing_units_file_without_writing(prefect_harness, tmp_path):
    from flows.monthly_close import monthly_close
    (tmp_path / "inbox").mkdir()
    outcome = monthly_close("2026-10", tmp_path / "inbox", tmp_path / "x.duckdb", quiet=True)
    assert not outcome.ok and "units.csv: missing from the inbox" in outcome.message
    assert not (tmp_path / "x.duckdb").exists()
