"""Issue 32: a close computed by groups of units, pure (no I/O).

``partition`` splits an inbox into groups of whole units, each group holding every row that can
concern its units: the units' rows, their members' rows (a member with rows in several units, or a
PESEL or staff number shared by members of several units, puts those units into one group), the
members' income lines, adjustments, payments, payroll notes and deductions, and the accounts they
carry in. A group is then closed by ``transforms.close.month`` like any inbox; what spans the
groups (the regions' register, the rows of whole files that could not be read, the exceptions
tied to a unit only through a file, the transfers and what a region moves on for its units) is
worked out once, after the groups (flows/close.py). ``partition`` returns None when an inbox
cannot be split without one group depending on another (a row naming a member the register does
not know, a finding of a payroll export naming no member): such an inbox is closed as one group.

Groups are filled with whole units in the order of their ids, up to ``max_members`` register rows
(a unit larger than that is a group of its own), so a group's memory is bounded by its size and
not by the inbox's.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import polars as pl

from transforms.ledger import Books
from transforms.staging import stripped

GROUP = "_group"


@dataclass(frozen=True)
class Groups:
    """The inbox split: the group of each unit id (as typed, stripped), of each member id, and of
    each row of the inbox's frames (a Series aligned with the frame)."""
    count: int
    units: pl.Series                  # group of each units.csv row
    members: pl.Series                # group of each members.csv row
    income: pl.Series                 # group of each income line
    adjustments: pl.Series
    payments: pl.Series | None
    member_group: dict[str, int]      # member id -> group, of the ids named outside the frames only
    by_member: pl.DataFrame           # the same as a frame: mid, _group
    unit_group: dict[str, int]        # unit id (stripped) -> group


class _Sets:
    """Union-find over a few unit ids (only units tied together by a shared member are joined)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, xs: list[str]) -> None:
        roots = sorted({self.find(x) for x in xs})
        for r in roots[1:]:
            self.parent[r] = roots[0]


def _ties(members: pl.DataFrame) -> list[list[str]]:
    """The sets of units that staging looks at together: a member id, a PESEL or a staff number
    found in rows of several units (staging checks them across the register)."""
    ties = []
    for key in ("mid", "pesel_s", "staff_number_s"):
        if key not in members.columns:
            continue
        shared = (members.filter(pl.col(key) != "").group_by(key).agg(pl.col("uid").unique())
                  .filter(pl.col("uid").list.len() > 1))
        ties += shared["uid"].to_list()
    return ties


def _keyed(frame: pl.DataFrame | None) -> pl.Series | None:
    """The member id of each row as staging matches it (stripped)."""
    if frame is None:
        return None
    if "member_id" not in frame.columns:
        return pl.Series("member_id", [""] * frame.height, dtype=pl.String)
    return frame.select(pl.col("member_id").fill_null("").str.strip_chars())["member_id"]


def partition(raw, books: Books, max_members: int) -> Groups | None:
    """The inbox's groups (module docstring), or None when it cannot be split (then, and when it
    makes a single group, the close is computed whole)."""
    if raw.income_issues and any(not i.member_id for i in raw.income_issues):
        return None
    # issue 30: funds, sections, secretariats and national accounts are read for every unit: computed whole
    if any(getattr(raw, name, None) is not None for name in ("funds", "sections", "secretariats", "national")):
        return None
    if "unit_id" not in raw.units.columns or not {"member_id", "unit_id"} <= set(raw.members.columns):
        return None
    cols = [c for c in ("pesel", "staff_number") if c in raw.members.columns]
    members = raw.members.select(mid=stripped("member_id"), uid=stripped("unit_id"),
                                 **{f"{c}_s": stripped(c) for c in cols})
    unit_ids = raw.units.select(uid=stripped("unit_id"))["uid"]
    sizes = dict(members.group_by("uid").len().iter_rows())
    sets = _Sets()
    for tied in _ties(members):
        sets.union(tied)
    every = sorted(set(unit_ids.to_list()) | set(sizes))
    roots: dict[str, list[str]] = {}
    for u in every:
        roots.setdefault(sets.find(u), []).append(u)
    group_of: dict[str, int] = {}
    group, filled = 0, 0
    for root in sorted(roots):             # whole sets of units, in the order of their first id
        size = sum(sizes.get(u, 0) for u in roots[root])
        if filled and filled + size > max_members:
            group, filled = group + 1, 0
        for u in roots[root]:
            group_of[u] = group
        filled += size
    count = group + 1
    if count < 2:
        return None
    mapping = pl.DataFrame({"uid": list(group_of), GROUP: list(group_of.values())},
                           schema={"uid": pl.String, GROUP: pl.Int32})
    member_rows = members.select("mid", "uid").join(mapping, on="uid", how="left", maintain_order="left")[GROUP]
    by_member = (members.select("mid", "uid").with_columns(member_rows).filter(pl.col("mid") != "")
                 .select("mid", GROUP).unique())

    def rows_of(frame: pl.DataFrame | None) -> pl.Series | None:
        keys = _keyed(frame)
        if keys is None:
            return None
        return keys.to_frame("mid").join(by_member, on="mid", how="left", maintain_order="left")[GROUP]

    income, adjustments = rows_of(raw.income), rows_of(raw.adjustments)
    payments = rows_of(raw.payments) if raw.payments is not None and raw.payments.height else None
    for rows in (income, adjustments, payments):
        if rows is not None and rows.null_count():      # a member the register does not know
            return None
    # the members named outside the frames (payroll findings and notes, deductions, the accounts
    # carried in): only theirs are looked up one by one (a national register is 600 000 ids)
    named = {*(i.member_id for i in raw.income_issues), *raw.income_blocked,
             *(n.get("member_id") or "" for n in raw.income_row_status),
             *(d.get("member_id") or "" for d in raw.deductions),
             *books.items["member_id"].to_list(), *books.credits, *books.booked["member_id"].to_list()}
    member_group = dict(by_member.filter(pl.col("mid").is_in(pl.Series(list(named), dtype=pl.String).implode()))
                        .iter_rows()) if named else {}
    if any(m not in member_group for m in named):
        return None
    return Groups(count, unit_ids.to_frame().join(mapping, on="uid", how="left", maintain_order="left")[GROUP],
                  member_rows, income, adjustments, payments, member_group, by_member, group_of)


def split(raw, groups: Groups) -> list[dict[str, pl.DataFrame]]:
    """The inbox's frames cut into the groups' (each row once, in the inbox's order): the close
    then lets the whole frames go, and each group's as soon as the group is stored."""
    out: list[dict[str, pl.DataFrame]] = [{} for _ in range(groups.count)]
    for name, where in (("units", groups.units), ("members", groups.members), ("income", groups.income),
                        ("adjustments", groups.adjustments), ("payments", groups.payments)):
        frame = getattr(raw, name)
        if frame is None or where is None:
            continue
        parts = frame.with_columns(where.alias(GROUP)).partition_by(GROUP, as_dict=True, maintain_order=True,
                                                                    include_key=False)
        for g in range(groups.count):
            out[g][name] = parts.pop((g,), None) if (g,) in parts else frame.clear()
    return out


def group_inputs(raw, books: Books, groups: Groups, g: int, first: bool, frames: dict | None = None):
    """Group ``g``'s inbox and carried accounts (a RawInputs and Books of its rows only; ``frames``:
    its frames cut already by ``split``, else cut here). The rows of whole files that could not be
    read are counted once, with the first group; the regions' register is the close's, staged once
    after the groups."""
    mine = groups.member_group

    def of(member_id) -> bool:
        return mine.get(member_id) == g

    if frames is None:
        frames = {name: getattr(raw, name).filter(where == g)
                  for name, where in (("units", groups.units), ("members", groups.members),
                                      ("income", groups.income), ("adjustments", groups.adjustments),
                                      ("payments", groups.payments))
                  if where is not None and getattr(raw, name) is not None}
    sub = dataclasses.replace(
        raw, **frames, file_rows_rejected=raw.file_rows_rejected if first else 0,
        income_issues=[i for i in raw.income_issues if of(i.member_id)],
        income_blocked={m for m in raw.income_blocked if of(m)},
        income_row_status=[n for n in raw.income_row_status if of(n.get("member_id"))],
        deductions=[d for d in raw.deductions if of(d.get("member_id"))], regions=None, files=[])
    if books.items.height or books.credits or books.booked.height:
        ids = groups.by_member.filter(pl.col(GROUP) == g)["mid"].implode()
        books = dataclasses.replace(
            books, items=books.items.filter(pl.col("member_id").is_in(ids)),
            credits={m: c for m, c in books.credits.items() if of(m)},
            booked=books.booked.filter(pl.col("member_id").is_in(ids)))
    return sub, books


def group_units(staged, groups: Groups, g: int):
    """Group ``g``'s part of the inbox's units as staged once for the whole close
    (``transforms.staging.stage_units``: each row is checked on its own, a duplicate id within its
    group, as the rows of one id are in one group)."""
    from transforms.staging import StagedUnits
    of = groups.unit_group
    units = staged.units.filter(pl.col("unit_id").replace_strict(of, default=-1, return_dtype=pl.Int64) == g)
    rows = int((groups.units == g).sum())
    return StagedUnits(units, [i for i in staged.issues if of.get(i.unit_id or "") == g],
                       {u for u in staged.rejected_ids if of.get(u) == g},
                       {u: r for u, r in staged.rejected_rows.items() if of.get(u) == g}, rows - units.height)
