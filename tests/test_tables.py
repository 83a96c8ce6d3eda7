"""schemas/tables.py: the one registry — DDL, exact storage casts, schemas with vocabulary."""
import pandera.errors
import polars as pl
import pytest

from schemas.tables import TABLES, schema


def test_ddl_creates_and_adds_columns_of_older_databases():
    ddl = TABLES["units"].ddl
    assert ddl[0].startswith('CREATE TABLE IF NOT EXISTS units ("period" VARCHAR')
    assert 'ALTER TABLE units ADD COLUMN IF NOT EXISTS "bank_account" VARCHAR' in ddl


def test_money_is_cast_from_grosze_exactly_and_raised_pct_from_basis_points():
    sql = TABLES["units"].select_from("f")
    assert 'CAST(CAST("raised_bp" AS DECIMAL(18,0)) * 0.01 AS DECIMAL(5,2))' in sql
    assert 'CAST(CAST("amount" AS DECIMAL(18,0)) * 0.01 AS DECIMAL(18,2))' in TABLES["allocations"].select_from("f")


def test_vocabulary_comes_from_the_caller():
    frame = pl.DataFrame({"period": ["p"], "unit_id": ["U"], "level": ["nieznany"], "amount": [1]})
    schema("allocations", {"level": ["nieznany"]}).validate(frame)
    with pytest.raises(pandera.errors.SchemaError):
        schema("allocations", {"level": ["unit"]}).validate(frame.with_columns(level=pl.lit("x")))


def test_issue_28_the_stored_table_groups_name_registered_tables_only():
    from schemas.tables import CLOSE_TABLES, EXPORT_TABLES, KEPT_IN_HISTORY, UNIT_TABLES
    assert set(CLOSE_TABLES + UNIT_TABLES + KEPT_IN_HISTORY + EXPORT_TABLES) <= set(TABLES)
    assert set(UNIT_TABLES) < set(CLOSE_TABLES) and len(set(CLOSE_TABLES)) == len(CLOSE_TABLES)
