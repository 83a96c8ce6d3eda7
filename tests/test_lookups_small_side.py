"""Issue 32: the register's 600 000 ids are never hashed to find the few ids a blocked row or an
exception names. The lookups made from the small side (transforms/close.py ``member_names``,
``_attributed``) give exactly what the plain whole-register operations give."""
from __future__ import annotations

from types import SimpleNamespace

import polars as pl
from hypothesis import given, settings as hsettings, strategies as st

from transforms.close import _attributed, member_names

IDS = st.sampled_from(["M1", "M2", "M3", "M4", "M5", "M6", None])
UNITS = st.sampled_from(["U1", "U2", None])


@st.composite
def register_and_blocked(draw):
    ids = draw(st.lists(st.sampled_from(["M1", "M2", "M3", "M4"]), unique=True, max_size=4))
    members = pl.DataFrame({"member_id": ids, "unit_id": [draw(st.sampled_from(["U1", "U2"])) for _ in ids],
                            "full_name": [f"Imię {i}" for i in ids]},
                           schema={"member_id": pl.String, "unit_id": pl.String, "full_name": pl.String})
    rows = draw(st.lists(st.tuples(IDS, UNITS, st.integers(2, 6)), max_size=8))
    blocked = pl.DataFrame({"member_id": [r[0] for r in rows], "unit_id": [r[1] for r in rows],
                            "full_name": [f"Zablokowany {r[0]}" for r in rows], "_source": ["members.csv"] * len(rows),
                            "_row": [r[2] for r in rows]},
                           schema={"member_id": pl.String, "unit_id": pl.String, "full_name": pl.String,
                                   "_source": pl.String, "_row": pl.Int64})
    return members, blocked


@hsettings(max_examples=80, deadline=None)
@given(register_and_blocked())
def test_the_names_are_the_register_and_each_blocked_member_once(data):
    members, blocked = data
    got = member_names(SimpleNamespace(members=members, blocked_rows=blocked))
    plain = (pl.concat([members, blocked.filter(pl.col("member_id").is_not_null()).select(members.columns)])
             .unique("member_id", keep="first", maintain_order=True))
    assert got.to_dicts() == plain.to_dicts()


@hsettings(max_examples=80, deadline=None)
@given(register_and_blocked(), st.lists(st.tuples(IDS, UNITS, st.integers(2, 6)), max_size=6))
def test_exceptions_are_attributed_as_by_the_whole_register(data, found):
    members, blocked = data
    exceptions = pl.DataFrame({"source": ["members.csv"] * len(found), "row": [f[2] for f in found],
                               "member_id": [f[0] for f in found], "reason_code": ["x"] * len(found),
                               "message": ["m"] * len(found), "unit_id": [f[1] for f in found]},
                              schema={"source": pl.String, "row": pl.Int64, "member_id": pl.String,
                                      "reason_code": pl.String, "message": pl.String, "unit_id": pl.String})
    staged = SimpleNamespace(members=SimpleNamespace(members=members, blocked_rows=blocked))
    _, book, _, by_member, unknown = _attributed(exceptions, staged)
    pairs = members.select("member_id", "unit_id")
    plain_book = pl.concat([pairs, blocked.filter(pl.col("member_id").is_not_null() & pl.col("unit_id").is_not_null())
                            .select("member_id", "unit_id").unique().join(pairs, on=["member_id", "unit_id"],
                                                                          how="anti")])
    assert sorted(book.rows()) == sorted(plain_book.rows())
    known = set(plain_book["member_id"].to_list())
    open_ = exceptions.with_row_index("_e").filter(pl.col("unit_id").is_null())
    expect = {r["_e"] for r in open_.iter_rows(named=True)
              if r["_e"] not in set(by_member["_e"].to_list()) and (r["member_id"] or "") not in known}
    assert set(unknown["_e"].to_list()) == expect
