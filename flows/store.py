"""DuckDB storage of a close: one transaction per period, a re-run replaces the period.

Money arrives as Int64 grosze and is stored as DECIMAL(18,2) by exact decimal multiplication.
No primary keys on fact tables (TOOLCHAIN.md: a PK makes a re-run ~70× slower); uniqueness is
checked by the pandera models before the write.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from flows.db import write_transaction
from transforms.close import CloseResult

MONEY = "DECIMAL(18,2)"
DDL = [
    f"""CREATE TABLE IF NOT EXISTS dues (period VARCHAR, member_id VARCHAR, unit_id VARCHAR,
        category VARCHAR, base {MONEY}, dues {MONEY}, surcharge {MONEY}, total {MONEY})""",
    f"""CREATE TABLE IF NOT EXISTS allocations (period VARCHAR, unit_id VARCHAR, level VARCHAR,
        amount {MONEY})""",
    """CREATE TABLE IF NOT EXISTS exceptions (period VARCHAR, source VARCHAR, "row" BIGINT,
        member_id VARCHAR, reason_code VARCHAR, message VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR, period VARCHAR, started_at TIMESTAMP,
        finished_at TIMESTAMP, rulebook_version VARCHAR, rows_read BIGINT, rows_used BIGINT,
        rows_rejected BIGINT, rows_skipped BIGINT, input_sha256 VARCHAR)""",
    # Extensions to CONTRACT.md (added, nothing renamed):
    f"""CREATE TABLE IF NOT EXISTS transfers (period VARCHAR, payer_kind VARCHAR, payer_id VARCHAR,
        payee VARCHAR, region_id VARCHAR, amount {MONEY}, due_on DATE, rule VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS deduction_check (period VARCHAR, member_id VARCHAR, unit_id VARCHAR,
        source VARCHAR, deducted {MONEY}, computed {MONEY}, difference {MONEY})""",
    """CREATE TABLE IF NOT EXISTS units (period VARCHAR, unit_id VARCHAR, name VARCHAR,
        region_id VARCHAR, voivodeship VARCHAR, sheltered BOOLEAN, rulebook VARCHAR,
        raised_pct DECIMAL(5,2), bank_account VARCHAR)""",
    # databases made before bank accounts were stored
    "ALTER TABLE units ADD COLUMN IF NOT EXISTS bank_account VARCHAR",
]

# table -> (SELECT list over the registered frame ``src``), money cast exactly from grosze
_g = "CAST(CAST({c} AS DECIMAL(18,0)) * 0.01 AS " + MONEY + ")"
SELECTS = {
    "dues": "period, member_id, unit_id, category, " + ", ".join(
        _g.format(c=c) + f" AS {c}" for c in ("base", "dues", "surcharge", "total")),
    "allocations": "period, unit_id, level, " + _g.format(c="amount"),
    "exceptions": 'period, source, "row", member_id, reason_code, message',
    "transfers": "period, payer_kind, payer_id, payee, region_id, " + _g.format(c="amount")
                 + ", due_on, rule",
    "deduction_check": "period, member_id, unit_id, source, " + ", ".join(
        _g.format(c=c) for c in ("deducted", "computed", "difference")),
    "units": "period, unit_id, name, region_id, voivodeship, sheltered, rulebook, "
             "CAST(CAST(raised_bp AS DECIMAL(18,0)) * 0.01 AS DECIMAL(5,2)), bank_account",
}


def _write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, period: str) -> None:
    con.execute(f"DELETE FROM {table} WHERE period = ?", [period])
    con.register("src", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT {SELECTS[table]} FROM src")
    finally:
        con.unregister("src")


def store_close(db: Path, result: CloseResult, started_at: datetime) -> str:
    """Write every table of the period in one transaction; returns the run id."""
    run_id = str(uuid.uuid4())
    units = result.units.with_columns(pl.lit(result.period).alias("period"))
    frames = {"dues": result.dues, "allocations": result.allocations,
              "exceptions": result.exceptions, "transfers": result.transfers, "units": units,
              "deduction_check": result.deduction_check}
    with write_transaction(db, DDL) as con:
        for table, frame in frames.items():
            _write_table(con, table, frame, result.period)
        con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, result.period, started_at, datetime.now(), result.rulebook_version,
                     result.rows_read, result.rows_used, result.rows_rejected,
                     result.rows_skipped, result.input_sha256])
    return run_id
