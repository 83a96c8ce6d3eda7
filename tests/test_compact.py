"""transforms/compact.py (issue 32): a computed month held compactly, its values unchanged."""
from dataclasses import dataclass

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.compact import REPEATING, as_text, compact


@dataclass
class _Result:
    dues: pl.DataFrame
    settlement: pl.DataFrame


TEXT = st.one_of(st.none(), st.sampled_from(["2026-10", "U00001", "employee", "", "zażółć", "a" * 40]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT, TEXT, st.integers(-10**12, 10**12)), max_size=40))
def test_compact_changes_no_value_and_only_repeating_text_columns_of_the_named_tables(rows):
    frame = pl.DataFrame(rows, schema={"period": pl.String, "unit_id": pl.String, "member_id": pl.String,
                                       "amount": pl.Int64}, orient="row")
    result = compact(_Result(dues=frame, settlement=frame.clone()), ("dues",))
    if frame.height:
        assert [c for c, t in result.dues.schema.items() if t == pl.Categorical] == ["period", "unit_id"]
        assert result.dues.schema["member_id"] == pl.String and result.dues.schema["amount"] == pl.Int64
    assert result.settlement.schema == frame.schema          # not named: left as it was
    assert as_text(result.dues).to_dicts() == frame.to_dicts()
    assert as_text(result.dues).schema == frame.schema
    # filtered, grouped and compared as text, as every reader of the frames does
    assert (result.dues.filter(pl.col("unit_id") == "U00001").height
            == frame.filter(pl.col("unit_id") == "U00001").height)
    assert (sorted(result.dues.group_by("period").agg(pl.col("amount").sum()).rows(), key=repr)
            == sorted(frame.group_by("period").agg(pl.col("amount").sum()).rows(), key=repr))


def test_the_repeating_columns_never_include_a_members_own_value():
    """A member's id, PESEL or name is unique to a member: never a Categorical of its own."""
    assert not {"member_id", "pesel", "full_name", "staff_number", "amount"} & set(REPEATING)


def test_a_compacted_frame_is_stored_as_text(tmp_path):
    from flows import store
    frame = pl.DataFrame({"period": ["2026-10", "2026-10"], "unit_id": ["U1", "U2"], "level": ["unit", "region"],
                          "amount": [1, 2]})
    compacted = frame.with_columns(pl.col("period", "unit_id", "level").cast(pl.Categorical))
    con = store.begin(tmp_path / "x.duckdb")
    store.replace_units(con, "allocations", compacted, "2026-10", ["U1", "U2"])
    got = con.execute("SELECT period, unit_id, level, typeof(unit_id), CAST(amount * 100 AS BIGINT) "
                      "FROM allocations ORDER BY unit_id").fetchall()
    assert got == [("2026-10", "U1", "unit", "VARCHAR", 1), ("2026-10", "U2", "region", "VARCHAR", 2)]
    store.rollback(con)


def test_a_frame_without_repeating_text_or_rows_is_left_as_it_is():
    from transforms.compact import compact_frame
    empty = pl.DataFrame(schema={"period": pl.String, "member_id": pl.String})
    assert compact_frame(empty).schema == empty.schema
    ids = pl.DataFrame({"member_id": ["M1"], "amount": [1]})
    assert compact_frame(ids).schema == ids.schema
