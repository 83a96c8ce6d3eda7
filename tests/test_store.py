"""flows/store.py: writes through the registry replace by key and store money exactly."""
from decimal import Decimal

import duckdb
import polars as pl
import pytest

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


def test_issue_10_a_second_run_on_a_locked_database_waits_then_says_so(tmp_path):
    import subprocess
    import sys
    import time

    import pytest

    from transforms.errors import UserError
    db = tmp_path / "x.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('ok', flush=True); time.sleep(20)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        t0 = time.monotonic()
        with pytest.raises(UserError, match=r"x.duckdb: bazę danych używa teraz inny przebieg .*czekano 1 s"):
            store.begin(db, wait_seconds=1)
        assert 0.9 < time.monotonic() - t0 < 10
    finally:
        holder.kill()


def test_issue_10_a_database_path_that_cannot_be_made_is_named(tmp_path):
    import pytest

    from transforms.errors import UserError
    with pytest.raises(UserError, match="brak/folderu/x.duckdb: nie można otworzyć ani zapisać bazy danych"):
        store.begin(tmp_path / "brak" / "folderu" / "x.duckdb")


def test_dicts_return_money_as_grosze_and_other_decimals_as_stored(tmp_path):
    """flows.store.dicts: the registry's money type (DECIMAL(18,2)) through the one boundary."""
    import duckdb
    from decimal import Decimal
    from flows import store
    con = duckdb.connect(str(tmp_path / "d.duckdb"))
    con.execute("CREATE TABLE t (a DECIMAL(18,2), p DECIMAL(5,2), s VARCHAR)")
    con.execute("INSERT INTO t VALUES (1234.56, 150.00, 'x'), (NULL, NULL, NULL)")
    assert store.dicts(con, "SELECT * FROM t ORDER BY a NULLS LAST") == [
        {"a": 123_456, "p": Decimal("150.00"), "s": "x"}, {"a": None, "p": None, "s": None}]


def test_issue_15_categorical_text_is_stored_as_text_and_the_memory_limit_holds_for_the_block_only(tmp_path):
    """A frame may hold repeated texts as categoricals (the derivation's rule, the income lines'
    files): the table stores plain text, equal to the frame's; DuckDB's memory limit for a close's
    writes applies inside the block and is back to its default after it; a failure inside is the
    one reported."""
    con = store.begin(tmp_path / "x.duckdb")
    default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    with store.memory_limit(con, "64MB"):
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] != default
        frame = pl.DataFrame({"period": ["2026-10"] * 2, "member_id": ["M1", "M2"], "unit_id": ["U1"] * 2,
                              "source": ["payroll.csv", "płace.csv"], "row": [2, 3], "line_period": ["2026-10"] * 2,
                              "component": ["wage"] * 2, "amount": [100, 200], "use": ["base", "excluded"]})
        store.write(con, "income_lines", frame.with_columns(pl.col("source", "use").cast(pl.Categorical)),
                    period="2026-10")
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == default
    assert con.execute("SELECT source, typeof(source), use FROM income_lines ORDER BY row").fetchall() == [
        ("payroll.csv", "VARCHAR", "base"), ("płace.csv", "VARCHAR", "excluded")]
    # the failure itself, not the reset's, reaches the run
    with pytest.raises(duckdb.CatalogException), store.memory_limit(con, "64MB"):
        con.execute("SELECT * FROM no_such_table")
    store.rollback(con)


# ------------------------------------------------------------------ issue 32: tables stored unordered

def test_issue_32_an_unordered_table_is_appended_whole_and_the_setting_is_restored(tmp_path):
    """income_lines is appended in parallel (no insertion order kept): every row arrives, with
    its values, and the connection keeps insertion order for everything after."""
    assert store.TABLES["income_lines"].unordered and not store.TABLES["dues"].unordered
    n = 300_000
    frame = pl.DataFrame({"period": ["2026-10"] * n, "member_id": [f"M{i:07d}" for i in range(n)],
                          "unit_id": ["U1"] * n, "source": ["income/a.csv"] * n, "row": list(range(1, n + 1)),
                          "line_period": ["2026-10"] * n, "component": ["wage"] * n, "amount": list(range(n)),
                          "use": ["base"] * n})
    con = store.begin(tmp_path / "x.duckdb")
    store.replace_units(con, "income_lines", frame, "2026-10", ["U1"])
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone() == (True,)
    got = con.execute("SELECT count(*), sum(row), sum(CAST(amount * 100 AS BIGINT)) FROM income_lines").fetchone()
    assert got == (n, n * (n + 1) // 2, n * (n - 1) // 2)
    store.rollback(con)


def test_issue_32_every_reader_of_an_unordered_table_orders_or_aggregates():
    """A query of a table stored in no particular order names an order (ORDER BY) or does not
    depend on one (DISTINCT, GROUP BY, an aggregate): scanned in the code that reads the database."""
    import ast
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    unordered = [t.name for t in store.TABLES.values() if t.unordered]
    found = []
    for folder in ("flows", "transforms", "reports"):
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr | ast.Constant) and not isinstance(getattr(node, "value", None), bytes):
                    sql = ast.unparse(node) if isinstance(node, ast.JoinedStr) else str(node.value)
                    for table in unordered:
                        if re.search(rf"\bFROM {table}\b", sql, re.I):
                            lines = path.read_text(encoding="utf-8").splitlines()
                            # the statement: this literal and the lines it continues on
                            found.append((path.name, node.lineno, " ".join(lines[node.lineno - 1:node.end_lineno + 3])))
    assert found, "no reader found: the scan is broken"
    for name, line, statement in found:
        assert re.search(r"ORDER BY|DISTINCT|GROUP BY|count\(|sum\(", statement, re.I), (name, line, statement)


def test_an_older_databases_table_gets_the_columns_added_since_once_per_connection(tmp_path):
    """Issue 32: a connection reads its tables' columns once; a table of an older database (a
    column missing) gets the column on the first write, a new table is created whole, and a
    second write on the same connection adds nothing and loses nothing."""
    from schemas.tables import TABLES
    db = tmp_path / "stara.duckdb"
    old = duckdb.connect(str(db))
    old.execute("CREATE TABLE runs (run_id VARCHAR, period VARCHAR)")
    old.close()
    con = store.begin(db)
    try:
        for _ in range(2):
            store.ensure(con, "runs")
            store.ensure(con, "archive_files")
        cols = {t: [c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                              "ORDER BY column_index", [t]).fetchall()]
                for t in ("runs", "archive_files")}
    finally:
        store.rollback(con)
    assert cols["runs"][:2] == ["run_id", "period"]
    assert set(cols["runs"]) == {c.name for c in TABLES["runs"].columns}
    assert cols["archive_files"] == [c.name for c in TABLES["archive_files"].columns]


def test_a_table_made_outside_the_store_on_the_same_connection_still_gets_its_columns(tmp_path):
    """The store's knowledge of a connection's tables is read once; a table made on the connection
    since (by another statement) is looked at again when the store first writes to it."""
    from schemas.tables import TABLES
    con = store.begin(tmp_path / "baza.duckdb")
    try:
        store.ensure(con, "dues")
        con.execute("CREATE TABLE runs (run_id VARCHAR, period VARCHAR)")
        store.ensure(con, "runs")
        cols = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'runs'")
                .fetchall()}
    finally:
        store.rollback(con)
    assert cols == {c.name for c in TABLES["runs"].columns}


def test_the_columns_read_are_the_databases_own_whatever_its_file_is_called(tmp_path):
    """A database file named with an apostrophe and a space (DuckDB names the database after the
    file) gets the columns added since; an attached database's table of the same name, with every
    column, is not taken for it."""
    from schemas.tables import TABLES
    db = tmp_path / "baza o'reilly.duckdb"
    old = duckdb.connect(str(db))
    old.execute("CREATE TABLE runs (run_id VARCHAR, period VARCHAR)")
    old.close()
    other = tmp_path / "inna.duckdb"
    full = duckdb.connect(str(other))
    full.execute(f"CREATE TABLE runs ({', '.join(c.name + ' VARCHAR' for c in TABLES['runs'].columns)})")
    full.close()
    con = store._connect(db, 0)
    con.execute(f"ATTACH '{other}' AS inna (READ_ONLY)")
    con.begin()
    try:
        store.ensure(con, "runs")
        cols = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'runs' "
                                          "AND database_name = current_database()").fetchall()}
    finally:
        store.rollback(con)
    assert cols == {c.name for c in TABLES["runs"].columns}


def test_a_small_frame_streamed_and_a_large_one_as_an_arrow_table_are_stored_alike(tmp_path, monkeypatch):
    """Issue 32: a frame of a unit's size goes to DuckDB as an Arrow C stream (no pyarrow), a large
    one as an Arrow table; every table of the registry stores the same rows either way — each kind
    of column (money, shares, decimals as text, dates, timestamps, flags, bytes, text as
    categoricals too), with nulls."""
    import random
    from datetime import date, datetime
    from schemas.tables import TABLES
    rng = random.Random(32)
    values = {"money": [0, 1, -5, 123_456, 99_999_999_99], "int": [0, 7, -1, 10**12], "pct": [10_000, 15_050, 0],
              "text": ["U1", "Łódź — „Solidarność”", "", "x" * 40], "date": [date(2026, 10, 31), date(1999, 1, 1)],
              "timestamp": [datetime(2026, 12, 3, 9, 35, 1, 250_000)], "bool": [True, False],
              "fte": ["1", "0.5", "0.1250"], "dec6": ["0.821234", "12"], "blob": [b"\x00\xff", b"PK"]}
    n = 60
    for table, t in TABLES.items():
        schema = t.frame_schema()
        kinds = {c.source or c.name: c.kind for c in t.columns}
        frame = pl.DataFrame({name: [None if rng.random() < 0.2 else rng.choice(values[kinds[name]]) for _ in range(n)]
                              for name in schema}, schema=schema)
        frame = frame.with_columns(pl.col(name).cast(pl.Categorical) for name, kind in kinds.items()
                                   if kind == "text" and rng.random() < 0.5)
        # a column of nothing but nulls, as a frame made from rows holds it (polars' Null type)
        frame = frame.with_columns(pl.lit(None).alias(rng.choice(list(schema))))
        stored = {}
        for rows in (n, 0):            # streamed; as an Arrow table
            monkeypatch.setattr(store, "STREAMED_ROWS", rows)
            con = store.begin(tmp_path / f"{table}-{rows}.duckdb")
            try:
                store.append(con, table, frame)
                stored[rows] = sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            finally:
                store.rollback(con)
        assert len(stored[n]) == n and stored[n] == stored[0], table


def test_table_names_are_those_information_schema_lists(tmp_path):
    """Tables and views of the database, of an attached one and temporary ones: the names
    information_schema.tables gives (issue 32: read from DuckDB's own catalogue functions)."""
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    con.execute("CREATE TABLE dues (x INT)")
    con.execute("CREATE VIEW widok AS SELECT * FROM dues")
    con.execute("CREATE TEMP TABLE tymczasowa (y INT)")
    con.execute(f"ATTACH '{tmp_path / 'b.duckdb'}' AS inna")
    con.execute("CREATE TABLE inna.main.obca (z INT)")
    listed = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert store.table_names(con) == listed == {"dues", "widok", "tymczasowa", "obca"}
