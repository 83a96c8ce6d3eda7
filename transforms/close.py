"""One month's close as pure steps: validate -> compute dues -> split. No I/O.

``RawInputs`` holds the inbox as text frames (the flow's ingest step reads them);
``CloseResult`` holds every table the close stores, in grosze.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from transforms.allocate import allocate
from transforms.deductions import deduction_check
from transforms.dues import DuesResult, compute_dues
from transforms.errors import Issue, issues_frame
from transforms.rulebook import Rules
from transforms.staging import (StagedAdjustments, StagedIncome, StagedMembers, StagedUnits,
                                stage_adjustments, stage_income, stage_members, stage_regions, stage_units)


@dataclass
class RawInputs:
    units: pl.DataFrame
    members: pl.DataFrame
    income: pl.DataFrame             # all income files concatenated; _source names the file
    adjustments: pl.DataFrame
    file_rows_rejected: int = 0      # data rows of whole files that could not be read
    input_sha256: str = ""
    # from payroll exports (flows.payroll_inbox): problems found while mapping, members blocked by
    # them, rows that made no canonical line, and the dues the employer deducted
    income_issues: list[Issue] = field(default_factory=list)
    income_blocked: set[str] = field(default_factory=set)
    income_row_status: list[dict] = field(default_factory=list)
    deductions: list[dict] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)   # file -> what was detected (encoding, separator)
    regions: pl.DataFrame | None = None                     # the optional regions.csv (accounts, titles)


@dataclass
class Staged:
    units: StagedUnits
    members: StagedMembers
    income: StagedIncome
    adjustments: StagedAdjustments


@dataclass
class CloseResult:
    period: str
    dues: pl.DataFrame
    allocations: pl.DataFrame
    transfers: pl.DataFrame
    exceptions: pl.DataFrame
    deduction_check: pl.DataFrame
    members: pl.DataFrame            # staged members (names for the unit treasurer's sheet)
    units: pl.DataFrame
    rows_read: int
    rows_used: int
    rows_rejected: int
    rows_skipped: int
    rulebook_version: str
    input_sha256: str
    formats: dict[str, str] = field(default_factory=dict)
    regions: pl.DataFrame | None = None       # valid regions.csv rows: region_id, name, bank_account, transfer_title


def validate(raw: RawInputs, rules: Rules) -> Staged:
    units = stage_units(raw.units, rules)
    members = stage_members(raw.members, units, rules)
    income = stage_income(raw.income, members, units, rules)
    income.blocked_ids |= raw.income_blocked
    adjustments = stage_adjustments(raw.adjustments, members, units, rules)
    return Staged(units, members, income, adjustments)


def compute(staged: Staged, rules: Rules) -> DuesResult:
    """Dues of every owing, unblocked member."""
    blocked = (staged.members.rejected_ids | staged.income.blocked_ids
               | staged.adjustments.blocked_ids)
    owing = staged.members.members.filter(pl.col("owes") & ~pl.col("member_id").is_in(sorted(blocked)))
    return compute_dues(owing, staged.units.units, staged.income.lines,
                        staged.adjustments.in_force, rules)


def account(raw: RawInputs, staged: Staged, dues_members: set[str]) -> tuple[int, int, int, int]:
    """rows_read, used, rejected, skipped over every input row: nothing vanishes."""
    used = rejected = skipped = 0
    # units: a valid unit is used (it gets its six allocation rows)
    used += staged.units.units.height
    rejected += staged.units.rows_rejected
    # members
    m = staged.members.members
    owes = m.filter(pl.col("owes"))
    m_used = owes.filter(pl.col("member_id").is_in(sorted(dues_members))).height
    used += m_used
    skipped += m.height - owes.height
    rejected += raw.members.height - m.height + owes.height - m_used
    # income: counted per physical row of each file (a wide payroll row makes several lines):
    # a row is rejected if any of its lines is, used if a line went into a dues row, else skipped
    income_rows = income_row_status(staged.income.status, raw.income_row_status, dues_members)
    counts = dict(income_rows.group_by("final").len().iter_rows())
    used += counts.get("used", 0)
    rejected += counts.get("rejected", 0)
    skipped += counts.get("skipped", 0)
    # adjustments
    owing_ids = set(owes["member_id"])
    for s in staged.adjustments.status:
        if s["status"] == "skipped":
            skipped += 1
        elif s["status"] == "rejected":
            rejected += 1
        elif s["member_id"] in dues_members:
            used += 1
        elif s["member_id"] not in owing_ids:
            skipped += 1      # in force, but the member owes nothing this month
        else:
            rejected += 1
    rejected += raw.file_rows_rejected
    read = (raw.units.height + raw.members.height + income_rows.height
            + raw.adjustments.height + raw.file_rows_rejected)
    return read, used, rejected, skipped


def income_row_status(line_status: pl.DataFrame, row_notes: list[dict], dues_members: set[str]) -> pl.DataFrame:
    """One row per physical income row: _source, _row, final (used | rejected | skipped)."""
    has_dues = pl.col("member_id").is_in(sorted(dues_members))
    lines = line_status.select(
        "_source", "_row",
        final=pl.when(pl.col("status") == "skipped").then(pl.lit("skipped"))
        .when((pl.col("status") == "ok") & has_dues).then(pl.lit("used"))
        .otherwise(pl.lit("rejected")))
    notes = pl.DataFrame(row_notes, schema={"_source": pl.String, "_row": pl.Int64, "member_id": pl.String,
                                            "status": pl.String}, strict=False)
    notes = notes.select(
        "_source", "_row",
        final=pl.when(pl.col("status") == "skipped").then(pl.lit("skipped"))
        .when((pl.col("status") == "ok-no-lines") & has_dues).then(pl.lit("used"))
        .otherwise(pl.lit("rejected")))
    rank = pl.col("final").replace_strict({"rejected": 0, "used": 1, "skipped": 2}, return_dtype=pl.Int8)
    return (pl.concat([lines, notes]).with_columns(rank=rank)
            .group_by("_source", "_row").agg(pl.col("final").sort_by("rank").first()))


def close(raw: RawInputs, rules: Rules) -> CloseResult:
    staged = validate(raw, rules)
    return finish(raw, staged, compute(staged, rules), rules)


def finish(raw: RawInputs, staged: Staged, dues_result: DuesResult, rules: Rules) -> CloseResult:
    """Split the computed dues and assemble the stored tables."""
    period = rules.period
    dues = dues_result.dues
    allocations, transfers = allocate(staged.units.units, dues, rules)
    exceptions = pl.concat([
        issues_frame(staged.units.issues + staged.members.issues + raw.income_issues),
        # a wide payroll row makes a line per component: say a row's membership problem once
        staged.income.issues.unique(subset=["source", "row", "reason_code", "member_id"],
                                    keep="first", maintain_order=True),
        issues_frame(staged.adjustments.issues + dues_result.issues),
    ])
    regions, region_issues = stage_regions(raw.regions, period)
    exceptions = pl.concat([exceptions, issues_frame(region_issues)])
    read, used, rejected, skipped = account(raw, staged, set(dues["member_id"]))
    if raw.regions is not None:          # regions.csv rows: used, or rejected with a record
        read += raw.regions.height
        used += regions.height
        rejected += raw.regions.height - regions.height
    versions = sorted({rules.version(b).label for b in staged.units.units["rulebook"].unique().to_list()})
    checked = deduction_check(raw.deductions, dues, staged.members.members, period)
    return CloseResult(period, dues, allocations, transfers, exceptions, checked,
                       staged.members.members, staged.units.units, read, used, rejected, skipped,
                       ",".join(versions), raw.input_sha256, raw.formats, regions)
