"""flows/store.py: writes through the registry replace by key and store money exactly."""
from decimal import Decimal

import duckdb
import polars as pl

from flows import store


def test_write_replaces_the_rows_of_its_key_only_and_money_is_exact(tmp_path):
    db = tmp_path / "x.duckdb"
    frame = lambda p, g: pl.DataFrame({"period": [p], "unit_id": ["U1"], "level": ["x"], "amount": [g]})  # noqa: E731
    for period, grosze in (("2026-09", 1), ("2026-10", 841), ("2026-10", 123456789012)):
        con = store.begin(db)
        store.write(con, "allocations", frame(period, grosze), period=period)
        store.commit(con)
    rows = duckdb.connect(str(db), read_only=True).execute(
        "SELECT period, amount, typeof(amount) FROM allocations ORDER BY period").fetchall()
    assert rows == [("2026-09", Decimal("0.01"), "DECIMAL(18,2)"), ("2026-10", Decimal("1234567890.12"), "DECIMAL(18,2)")]


def test_rollback_keeps_what_was(tmp_path):
    db = tmp_path / "x.duckdb"
    con = store.begin(db)
    store.write(con, "allocations", pl.DataFrame({"period": ["p"], "unit_id": ["U"], "level": ["l"], "amount": [5]}),
                period="p")
    store.rollback(con)
    con = duckdb.connect(str(db), read_only=True)
    assert "allocations" not in {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
