"""DuckDB storage shared by every command: one write transaction per run, tables from the one
registry (``schemas.tables.TABLES``), a re-run replacing its rows, read-only views for reports.

Money arrives as Int64 grosze and is stored as DECIMAL(18,2) by exact decimal multiplication. No
primary keys on fact tables (TOOLCHAIN.md: a PK makes a re-run ~70× slower); uniqueness is
checked by the schemas before the write.
"""
from __future__ import annotations

import os
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl

from schemas.tables import SQL_TYPES, TABLES
from transforms.errors import UserError


WAITING = {"say": None}     # where a wait for the database is announced (the running command's progress)


def _connect(db: Path, wait_seconds: float | None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to ``db``; another process holding the file is waited for, a bounded time
    (SKLADKI_DB_WAIT seconds, default 30) with one Polish progress line, then a Polish message.
    Writers (a close) and readers (explain, documents, ...) wait the same way. Only a regular
    file is ever opened (a pipe would hang the open)."""
    from flows.files import input_problem
    if (read_only or Path(db).exists()) and (why := input_problem(db, sized=False)):
        raise UserError("database_unavailable", db=db, detail=why)
    wait = float(os.environ.get("SKLADKI_DB_WAIT", "30")) if wait_seconds is None else wait_seconds  # ok-float: seconds
    deadline = time.monotonic() + wait
    said = False
    while True:
        try:
            return duckdb.connect(str(db), read_only=read_only)
        except duckdb.IOException as e:
            if "lock" not in str(e).lower():
                raise UserError("database_unavailable", db=db, detail=str(e).splitlines()[0]) from None
            if time.monotonic() >= deadline:
                raise UserError("database_locked", db=db, seconds=int(wait)) from None
            if not said:
                said = True
                (WAITING["say"] or _stderr)(f"{db}: bazę danych używa teraz inny przebieg; czekam, aż się "
                                            f"skończy (najwyżej {int(wait)} s)…")
            time.sleep(0.5)
        except duckdb.Error as e:
            raise UserError("database_unavailable", db=db, detail=str(e).splitlines()[0]) from None


def _stderr(msg: str) -> None:
    import sys
    print(msg, file=sys.stderr, flush=True)


@contextmanager
def announcing(say) -> Iterator[None]:
    """Waits for the database during a command are announced on its progress lines."""
    before, WAITING["say"] = WAITING["say"], say
    try:
        yield
    finally:
        WAITING["say"] = before


def begin(db: Path, wait_seconds: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open ``db`` (created if absent) and begin the run's one transaction; another run holding
    the file is waited for (``_connect``) — the second close is never lost in a traceback."""
    con = _connect(db, wait_seconds)
    con.begin()
    return con


def commit(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.commit()
    finally:
        forget(con)
        con.close()


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.rollback()
    finally:
        forget(con)
        con.close()


def memory_limit(con: duckdb.DuckDBPyConnection, limit: str):
    """DuckDB's memory limit for a block of work (a close's writes), its default again after."""
    return setting(con, "memory_limit", f"'{limit}'")


@contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: str | None) -> Iterator[None]:
    """A DuckDB setting for a block of work, its default again after (``value`` None: unchanged)."""
    if value is None:
        yield
        return
    con.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        try:
            con.execute(f"RESET {name}")
        except duckdb.Error:        # a failed transaction: it is rolled back and the connection closed
            pass


def write(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, **keys) -> None:
    """Replace the rows of ``table`` that have these key values (a re-run replaces, never
    duplicates; no keys: the whole table) with ``frame``, cast exactly by the registry."""
    t = TABLES[table]
    ensure(con, table)
    assert set(keys) == set(t.replace_by), f"{table} is replaced by {t.replace_by}, got {sorted(keys)}"
    if keys:
        where = " AND ".join(f'list_contains(${k}, "{k}")' if isinstance(v, list) else f'"{k}" = ${k}'
                             for k, v in keys.items())
        con.execute(f"DELETE FROM {table} WHERE {where}", keys)
    else:
        con.execute(f"DELETE FROM {table}")
    _insert(con, table, frame)


def replace_units(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, period: str,
                  units: list[str]) -> None:
    """Replace one month's rows of these units only (RULES.md §13: a close covers its own units;
    every other unit's rows stay as they were). ``frame`` holds the new rows.

    A table with a ``scope`` column (the units of the close that wrote the row) holds findings a
    close may tie to no unit of its own (an unknown member, a refused unit row, a member of
    another unit): a row is this close's to replace when it is about one of these units and was
    written by a close of that unit, or when it is about none of its writer's units and its
    writer closed any of these units."""
    t = TABLES[table]
    ensure(con, table)
    key = f'"{t.unit_key}"'
    where = f"list_contains($units, {key})"
    if any(c.name == "scope" for c in t.columns):
        writers = "string_split(coalesce(scope, ''), ',')"
        where = (f"(({where} AND (scope IS NULL OR list_contains({writers}, {key}))) OR "
                 f"(({key} IS NULL OR NOT list_contains({writers}, {key})) AND list_has_any({writers}, $units)))")
    # a month not stored yet has nothing to replace: no DELETE binding the close's list of units
    # (issue 32: 16 ms a table for 6 000 units, 0.3 s of a national close)
    if con.execute(f"SELECT 1 FROM {table} WHERE period = ? LIMIT 1", [period]).fetchone() is not None:
        con.execute(f"DELETE FROM {table} WHERE period = $period AND {where}", {"period": period, "units": units})
    _insert(con, table, frame)


# what each open connection knows of its database's tables: their names, read once, and each
# table's columns, read when first written (issue 32: a table's DDL is a statement per column,
# ~0.3 ms each — 0.15 s of a unit's close when run before every write; DuckDB's catalogue of every
# column, duckdb_columns(), costs ~3 ms a query, one table's pragma_table_info ~0.4 ms); held
# weakly, so a connection closed without ``commit``/``rollback`` is not kept
_KNOWN: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, _Catalogue]" = weakref.WeakKeyDictionary()


class _Catalogue:
    """One connection's view of its own database's tables (not an attached one's, not a temporary one)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        database, schema = con.execute("SELECT current_database(), current_schema()").fetchone()
        # the qualified name pragma_table_info is given: each part quoted (a file named "a.b" is database a.b)
        self.prefix = "".join('"' + part.replace('"', '""') + '".' for part in (database, schema))
        self.tables: dict[str, set[str] | None] = {name: None for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = current_schema()").fetchall()}       # columns: read when first needed

    def columns(self, con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
        qualified = (self.prefix + '"' + table.replace('"', '""') + '"').replace("'", "''")
        return {name for (name,) in con.execute(f"SELECT name FROM pragma_table_info('{qualified}')").fetchall()}


def ensure(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create ``table``, or add the columns added since (CONTRACT.md: additions only), if needed."""
    known = _KNOWN.get(con)
    if known is None:
        known = _KNOWN[con] = _Catalogue(con)
    t = TABLES[table]
    if table not in known.tables:                       # not there when the connection looked
        con.execute(t.ddl[0])                           # CREATE TABLE IF NOT EXISTS
    have = known.tables.get(table)
    if have is None:        # an existing table's columns, or a new one's (made since by another statement: its own)
        have = known.columns(con, table)
    for column, stmt in zip(t.columns, t.ddl[1:], strict=True):
        if column.name not in have:                     # ALTER TABLE ... ADD COLUMN IF NOT EXISTS
            con.execute(stmt)
    known.tables[table] = have | {c.name for c in t.columns}


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """A connection's transaction ended: what it knew of its tables is not known again."""
    _KNOWN.pop(con, None)


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Add rows without replacing (the ``runs`` log)."""
    ensure(con, table)
    _insert(con, table, frame)


# frames up to this many rows go to DuckDB through the Arrow C stream interface (issue 32: pyarrow,
# imported by ``to_arrow``, is 25–30 ms of a unit's close); a larger one as an Arrow table, as measured
# for a national close
STREAMED_ROWS = 50_000


class _Stream:
    """A frame as an Arrow C stream (``__arrow_c_stream__``, with polars' string views): DuckDB
    scans it without pyarrow. Not the frame itself: DuckDB converts a polars frame with pyarrow.
    Each scan gets a stream of its own."""

    __slots__ = ("frame",)

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema=None):
        return self.frame.__arrow_c_stream__(requested_schema)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if not frame.height:
        return
    name = f"frame_{table}"
    # handed over as Arrow with string views: DuckDB reads polars' strings where they are, where the
    # frame itself would be converted to plain Arrow strings first (a copy: 0.7 GB at 600 000 members)
    if frame.height <= STREAMED_ROWS:
        # a column of nothing but nulls (polars' Null type) streams without a validity bitmap, which
        # DuckDB refuses: it goes with the registry's type of the column
        nulls = [column for column, dtype in frame.schema.items() if dtype == pl.Null]
        if nulls:
            types = TABLES[table].frame_schema()
            frame = frame.with_columns(pl.col(c).cast(types.get(c, pl.String)) for c in nulls)
        con.register(name, _Stream(frame))
    else:
        con.register(name, frame.to_arrow(compat_level=pl.CompatLevel.newest()))
    try:
        with setting(con, "preserve_insertion_order", "false" if TABLES[table].unordered else None):
            con.execute(TABLES[table].select_from(name))
    finally:
        con.unregister(name)


@contextmanager
def read_only(db: Path, wait_seconds: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """``db`` for reading; a close holding it is waited for as a second close waits (``_connect``)."""
    con = _connect(db, wait_seconds, read_only=True)
    try:
        yield con
    finally:
        con.close()


def dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """Rows of a query as dicts; money columns (DECIMAL(18,2), the registry's money type) come back
    as integer grosze through the one conversion boundary, everything else as stored."""
    from transforms.money import from_decimal
    cur = con.execute(sql, params or [])
    money = [str(d[1]) == SQL_TYPES["money"] for d in cur.description]
    names = [d[0] for d in cur.description]
    return [{k: (from_decimal(v) if m and v is not None else v) for k, m, v in zip(names, money, r, strict=True)}
            for r in cur.fetchall()]


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The names of the tables and views of every database the connection has (as
    information_schema.tables lists them, in half its time: issue 32)."""
    return {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() UNION ALL "
                                      "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
