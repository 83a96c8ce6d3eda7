"""Issue 32: a close computed and stored by groups of units (transforms/groups.py,
flows/close.py ``save_by_groups``) stores exactly what the close computed whole stores — whatever
the group size, with damaged lines, receipts, a re-close and an earlier month carried in."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from benchmarks.close_scale import corrupt
from flows import settings
from flows.inbox import read_inbox
from flows.synth import write_inbox
from tests.conftest import approve_plain, close_plain
from transforms.groups import group_inputs, partition
from transforms.ledger import Books

# what differs between any two runs: their ids and clocks, the archive's blobs
SKIPPED_TABLES = {"runs", "archive_blobs", "archive_files", "archives"}
SKIPPED_COLUMNS = {"run_id", "last_run_id", "started_at", "finished_at", "recorded_at", "created_at", "approved_at"}


def stored(db: Path) -> dict[str, tuple[int, str]]:
    """Every stored table's row count and a hash of its rows in order (ids and clocks left out)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            if t in SKIPPED_TABLES:
                continue
            cols = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_name = ? ORDER BY ordinal_position", [t]).fetchall()
                    if c not in SKIPPED_COLUMNS]
            rows = con.execute(f"SELECT {', '.join(repr(c).replace(chr(39), chr(34)) for c in cols)} FROM {t} "
                               "ORDER BY ALL").fetchall()
            if t == "history":          # the replaced rows as JSON name the run that replaced them
                rows = sorted(r[2:] for r in rows)
            out[t] = (len(rows), hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()[:16])
        return out
    finally:
        con.close()


def close_with(monkeypatch, group: int, inbox: Path, db: Path, period: str = "2026-10"):
    monkeypatch.setattr(settings, "CLOSE_GROUP_MEMBERS", group)
    outcome = close_plain(period, inbox, db, unit_workbooks=False)
    assert outcome.ok
    return outcome


@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.integers(201, 500), seed=st.integers(1, 10_000), group=st.integers(1, 150),
       receipts=st.booleans(), damaged=st.sampled_from([0.0, 0.03]))
def test_the_group_size_never_changes_a_stored_value(tmp_path_factory, monkeypatch, members, seed, group,
                                                     receipts, damaged):
    tmp = tmp_path_factory.mktemp("groups")
    write_inbox(tmp / "inbox", members, "2026-10", seed=seed, receipts=receipts)
    if damaged:
        corrupt(tmp / "inbox" / "income" / "payroll.csv", damaged, seed=seed)
    raw = read_inbox(tmp / "inbox", "2026-10")
    split = partition(raw, Books(), group)
    assert split is not None and split.count >= 2          # the grouped path is the one taken
    whole = close_with(monkeypatch, 0, tmp / "inbox", tmp / "whole.duckdb")
    grouped = close_with(monkeypatch, group, tmp / "inbox", tmp / "grouped.duckdb")
    assert stored(tmp / "grouped.duckdb") == stored(tmp / "whole.duckdb")
    a, b = whole.result.month, grouped.result.month
    assert (a.rows_read, a.rows_used, a.rows_rejected, a.rows_skipped) == \
        (b.rows_read, b.rows_used, b.rows_rejected, b.rows_skipped)
    assert a.dues.height == b.dues.height and a.exceptions.height == b.exceptions.height
    assert whole.result.missing == grouped.result.missing


def test_a_month_carried_in_and_a_reclose_are_the_same_by_groups(tmp_path, monkeypatch):
    """September closed, then October (the accounts carried in); October closed again (a draft
    replaced, kept in history); then approved and closed again (computed whole: the difference
    report compares whole months) — by groups of 40 members as without groups."""
    for period, seed in (("2026-09", 11), ("2026-10", 11)):
        write_inbox(tmp_path / period, 300, period, seed=seed, receipts=True)
    import flows.close as close_flow
    calls = []
    by_groups = close_flow.save_by_groups
    monkeypatch.setattr(close_flow, "save_by_groups", lambda *a: calls.append(a[3]) or by_groups(*a))
    for db, group in (("whole.duckdb", 0), ("grouped.duckdb", 40)):
        for period in ("2026-09", "2026-10", "2026-10"):
            close_with(monkeypatch, group, tmp_path / period, tmp_path / db, period)
    assert len(calls) == 3          # each close of the second database by groups (the first: whole)
    assert stored(tmp_path / "grouped.duckdb") == stored(tmp_path / "whole.duckdb")
    for db, group in (("whole.duckdb", 0), ("grouped.duckdb", 40)):
        assert approve_plain("2026-10", tmp_path / db).ok
        close_with(monkeypatch, group, tmp_path / "2026-10", tmp_path / db, "2026-10")
    assert stored(tmp_path / "grouped.duckdb") == stored(tmp_path / "whole.duckdb")


def _raw(units: list[tuple], members: list[tuple], income: list[tuple]):
    from transforms.close import RawInputs
    u = pl.DataFrame(units, schema=["unit_id"], orient="row")
    m = pl.DataFrame(members, schema=["member_id", "unit_id", "pesel"], orient="row")
    i = pl.DataFrame(income, schema=["member_id", "amount"], orient="row")
    return RawInputs(u, m, i, pl.DataFrame({"member_id": []}, schema={"member_id": pl.String}))


def test_units_sharing_a_member_or_a_pesel_are_one_group_and_whole_units_fill_a_group():
    raw = _raw([("A",), ("B",), ("C",), ("D",)],
               [("m1", "A", "1"), ("m1", " B ", "2"), ("m2", "C", "3"), ("m3", "D", "3"), ("m4", "D", "")],
               [("m1", "1"), ("m4 ", "2"), ("m2", "3")])
    groups = partition(raw, Books(), 1)
    assert groups.count == 2                  # {A, B} by m1, {C, D} by the PESEL of m2 and m3
    assert groups.units.to_list() == [0, 0, 1, 1]
    assert groups.members.to_list() == [0, 0, 1, 1, 1]
    assert groups.income.to_list() == [0, 1, 1]       # matched as staging matches (stripped)
    sub, _ = group_inputs(raw, Books(), groups, 1, first=False)
    assert sub.members["member_id"].to_list() == ["m2", "m3", "m4"] and sub.income.height == 2


def test_an_inbox_that_cannot_be_split_is_closed_whole():
    """A line naming a member the register does not know is attributed to every unit whose
    members its file lists (issue 26): it ties all groups together, so the inbox is one group."""
    raw = _raw([("A",), ("B",)], [("m1", "A", ""), ("m2", "B", "")], [("m1", "1"), ("nobody", "2")])
    assert partition(raw, Books(), 1) is None
    assert partition(_raw([("A",), ("B",)], [("m1", "A", ""), ("m2", "B", "")], [("m1", "1")]),
                     Books(), 1).count == 2
    assert partition(_raw([("A",), ("B",)], [("m1", "A", ""), ("m2", "B", "")], []), Books(), 10) is None


@pytest.mark.parametrize("members", [250])
def test_a_whole_inbox_close_is_split_only_above_the_group_size(tmp_path, monkeypatch, members):
    write_inbox(tmp_path / "inbox", members, "2026-10", seed=5)
    from flows.close import CLOSE, Grouped, compute, read
    from flows.command import Run
    monkeypatch.setattr(settings, "CLOSE_GROUP_MEMBERS", 100)
    run = Run(CLOSE, CLOSE.make_params(dict(period="2026-10", inbox=tmp_path / "inbox", db=tmp_path / "x.duckdb")))
    assert isinstance(compute(read(run)), Grouped)
    run = Run(CLOSE, CLOSE.make_params(dict(period="2026-10", inbox=tmp_path / "inbox", db=tmp_path / "x.duckdb",
                                            units=["U00001"])))
    assert not isinstance(compute(read(run)), Grouped)       # --unit: the month of some units, whole
    monkeypatch.setattr(settings, "CLOSE_GROUP_MEMBERS", 1000)
    run = Run(CLOSE, CLOSE.make_params(dict(period="2026-10", inbox=tmp_path / "inbox", db=tmp_path / "x.duckdb")))
    assert not isinstance(compute(read(run)), Grouped)
