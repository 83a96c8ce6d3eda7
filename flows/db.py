"""DuckDB access shared by every command: one write transaction per run, read-only views."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb


@contextmanager
def write_transaction(db: Path, ddl: list[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """Create the tables if needed, then one transaction: committed if the block ends normally,
    rolled back (the database as it was) if it raises."""
    con = duckdb.connect(str(db))
    try:
        for stmt in ddl:
            con.execute(stmt)
        con.begin()
        try:
            yield con
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        con.close()


@contextmanager
def read_only(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        yield con
    finally:
        con.close()


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
