"""One month's close, pure (``month``): stage -> dues -> split, post, settle -> the stored tables. No I/O.

``RawInputs`` holds the inbox as text frames (the flow's ingest step reads them); ``MonthInputs``
the inbox, the rulebooks in force and the accounts carried in (what ``month`` takes: the close
command declares it as its compute step, flows/command.py ``pure``); ``CloseResult`` holds every
table the close stores, in grosze.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import polars as pl

from transforms.compact import compact, compact_frame

from transforms.allocate import TRANSFER_SCHEMA, allocations_of
from transforms.deductions import deduction_check
from transforms.dues import STATED_SCHEMA, DuesResult, compute_dues, stated_dues
from transforms.errors import Issue, issues_frame
from transforms.ledger import (RECEIPT_SCHEMA, Books, adjustments_in_force, arrears, arrears_months, assumed_receipts,
                               deduction_receipts, employer_claims, post, receipt_basis, settle)
from transforms.allocate import STEP_SCHEMA, transfers_from
from transforms.earmarks import (frame as earmarks_frame, from_frame as earmarks_from_frame, stage_funds,
                                 stage_sections, stage_secretariats, unknown_sections, check_room)
from transforms.rulebook import Rules
from schemas.tables import validate_close, validate_staged
from transforms.staging import (DEDUCTED_COMPONENT, StagedAdjustments, StagedIncome, StagedMembers,
                                StagedPayments, StagedUnits, stage_adjustments, stage_income, stage_members,
                                stage_national, stage_payments, stage_regions, stage_units)


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
    national: pl.DataFrame | None = None                    # the optional national_accounts.csv (issue 30)
    payments: pl.DataFrame | None = None                    # the optional payments.csv (direct payments)
    files: list[tuple[str, bytes]] = field(default_factory=list)   # every file read: path in the inbox, bytes
    # issue 30: the optional funds.csv (regions' earmarked funds, 004 §4), sections.csv (sections'
    # dues, 004 §3 ust. 4) and secretariats.csv (004 §3 ust. 1 pkt 2 lit. a, §14)
    funds: pl.DataFrame | None = None
    sections: pl.DataFrame | None = None
    secretariats: pl.DataFrame | None = None


@dataclass(frozen=True)
class MonthInputs:
    """What one month's close is computed from: the inbox, the rulebooks in force and what the
    database holds from earlier closes (the accounts the members carry into the month)."""
    raw: RawInputs
    rules: Rules
    books: Books


def release(raw: RawInputs) -> None:
    """What staging read and nothing needs again is let go before the dues are computed (at
    national scale a third of the peak memory): the income frame (its lines live on, checked, in
    the staged frames) and the register's text (only its row count is used again)."""
    raw.income = raw.income.clear()
    raw.members = raw.members.select("_row")


@dataclass
class Staged:
    units: StagedUnits
    members: StagedMembers
    income: StagedIncome
    adjustments: StagedAdjustments
    payments: StagedPayments
    # RULES.md §13: what deductions-only lists say was deducted, per member (transforms.dues)
    stated: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=STATED_SCHEMA))


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
    # issue 30: valid national_accounts.csv rows: rulebook, level, name, bank_account, transfer_title
    national: pl.DataFrame | None = None
    # member accounts (RULES.md §5 "Owed and received", transforms.ledger)
    receipts: pl.DataFrame | None = None
    ledger: pl.DataFrame | None = None
    items: pl.DataFrame | None = None
    settlement: pl.DataFrame | None = None
    employer_claims: pl.DataFrame | None = None
    adjustments_in_force: pl.DataFrame | None = None
    arrears: pl.DataFrame | None = None
    basis: dict[str, str] = field(default_factory=dict)
    derivation: pl.DataFrame | None = None     # issue 18: how each dues row was made (recorded, not recomputed)
    income_lines: pl.DataFrame | None = None   # every income line of a member with dues: used, left out and why
    split_steps: pl.DataFrame | None = None    # every move of every unit's cascade, owed and received
    differences: pl.DataFrame | None = None   # a re-close: what changed, before -> after
    corrections: pl.DataFrame | None = None   # a re-close: what goes into the next month's settlement
    memberships: pl.DataFrame | None = None   # every valid period of membership (issue 17: eligibility)
    earmarks: pl.DataFrame | None = None      # issue 30: the funds and sections' dues in force (transforms.earmarks)
    secretariats: pl.DataFrame | None = None  # issue 30: valid secretariats.csv rows
    unit_exceptions: pl.DataFrame | None = None   # issue 26: each exception with the unit(s) it concerns
    names: pl.DataFrame | None = None         # member_id, unit_id, full_name of every member row, blocked ones too
    # issue 32, a group of a close computed by groups: its exceptions a file ties to units, and the
    # units each of its files lists (``file_attribution``)
    unknown_exceptions: pl.DataFrame | None = None
    file_units: pl.DataFrame | None = None


def month(inputs: MonthInputs, group: bool = False, staged_units: StagedUnits | None = None) -> CloseResult:
    """One month's close, pure, its steps side by side (a reader opens each once): the inbox's
    frames staged table by table (``stage_income``: each income line checked and typed), the dues
    of every owing, unblocked member (``compute_dues``), split among the levels, posted to the
    members' accounts, and what was received settled by level (``settle``: the settlement,
    computed here once); then the stored tables assembled (``tables``) and their schemas checked
    (schemas/tables.py). The transfers are not worked out here: they follow from the month's
    settlement of all its units, known when the month is stored (``transfers`` is left empty).

    Its one effect: once the staged frames are checked, the inbox's text that nothing needs again
    is let go (``release``: ``inputs.raw.income`` emptied, the register's text dropped) — a caller
    that reads them afterwards passes a copy (``close`` does).

    ``group``: the inputs are one group of a close computed by groups (transforms/groups.py); the
    exceptions a file ties to units of other groups are left for the close (``file_attribution``);
    ``staged_units``: its units as staged once for the whole close (``transforms.groups.group_units``)."""
    raw, rules, books = inputs.raw, inputs.rules, inputs.books
    period = rules.period
    units = staged_units if staged_units is not None else stage_units(raw.units, rules)
    members = stage_members(raw.members, units, rules)
    income = stage_income(raw.income, members, units, rules)
    income.blocked_ids |= raw.income_blocked
    adjustments = stage_adjustments(raw.adjustments, members, units, rules)
    payments = stage_payments(raw.payments if raw.payments is not None else pl.DataFrame(
        schema={c: pl.String for c in ("member_id", "paid_on", "amount", "period", "reference", "_source")}
        | {"_row": pl.Int64, "_cells": pl.Int64, "_header_cells": pl.Int64}), members, rules,
        books.booked, books.closed_months)
    staged = Staged(units, members, income, adjustments, payments, stated_dues(raw.deductions, period))
    validate_staged(staged)      # the rows checked and typed, before the dues are computed
    release(raw)
    rules = rules.only(set(units.units["rulebook"]))      # the rulebooks the inbox's units use
    extras = stage_extras(raw, period)
    extras.issues += unknown_sections(units.units, raw.sections, period)
    rules = dataclasses.replace(rules, earmarks=extras.earmarks)    # 004 §4, §3 ust. 4: levels of the units' cascades
    check_room(units.units, rules)
    blocked = members.rejected_ids | income.blocked_ids | adjustments.blocked_ids
    owing = members.members.filter(pl.col("owes") & ~pl.col("member_id").is_in(list(blocked)))
    dues_result = compute_dues(owing, units.units, income.lines_lazy(), adjustments.in_force, rules, staged.stated)
    del owing                # issue 32: a copy of the register, not needed again
    dues = dues_result.dues
    steps: list[dict] = []
    allocations = allocations_of(units.units, dues, rules, steps)
    receipts = pl.concat([deduction_receipts(raw.deductions, income.deducted, members.members, period),
                          payments.receipts.cast(RECEIPT_SCHEMA)])
    basis = receipt_basis(units.units, receipts, books.received_units)
    receipts = pl.concat([receipts, assumed_receipts(dues, basis, period)])
    posted = post(period, dues, receipts, books.items, books.credits, basis)
    settlement = pl.concat([settle(units.units, posted.applied, basis, rules, steps),
                            books.corrections.filter(pl.col("unit_id").is_in(units.units["unit_id"].to_list()))])
    # issue 32: what the stored tables no longer need is let go before they are assembled (at 600 000
    # members: the cascade's 60 000 recorded moves as Python dicts, 0.7 M applied payments)
    split_steps = pl.DataFrame(steps, schema=STEP_SCHEMA)
    del steps
    posted = dataclasses.replace(posted, applied=None)
    result = tables(raw, staged, rules, dues_result, allocations, split_steps, receipts, basis, posted, settlement,
                    extras, keep_lines=group)
    if group:
        file_attribution(result, staged, raw)
    del staged, dues_result, posted, receipts       # issue 32: held by the result now, or let go
    # the register is carried on for its ids, units and categories only: a member's PESEL and name
    # are in ``names`` (the unit treasurer's workbook) and nowhere else (issue 32: ~40 MiB at 600 000)
    result.members = result.members.drop("pesel", "full_name", strict=False)
    compact(result, tuple(t for t in COMPACTED if t not in VALIDATED))
    validate_close(result, [lvl.code for lvl in rules.levels], [c.category for c in rules.categories])
    assert result.rows_read == result.rows_used + result.rows_rejected + result.rows_skipped
    return compact(result, VALIDATED)


# the month's large tables, compacted once computed and checked (transforms/compact.py)
COMPACTED = ("dues", "members", "receipts", "ledger", "derivation", "income_lines", "memberships", "names")
VALIDATED = ("dues",)         # checked against its schema (schemas/tables.py validate_close) as text first


def account(raw: RawInputs, staged: Staged, dues_members: pl.Series) -> tuple[int, int, int, int]:
    """rows_read, used, rejected, skipped over every input row: nothing vanishes. ``dues_members``:
    the member ids of the dues rows."""
    used = rejected = skipped = 0
    # units: a valid unit is used (it gets its six allocation rows)
    used += staged.units.units.height
    rejected += staged.units.rows_rejected
    # members
    # members: one row in force per member; its other periods of membership are skipped rows
    m = staged.members.members
    periods = staged.members.history.height if staged.members.history is not None else m.height
    owes = m.filter(pl.col("owes"))
    m_used = owes.filter(pl.col("member_id").is_in(dues_members.implode())).height
    used += m_used
    skipped += m.height - owes.height + periods - m.height
    rejected += raw.members.height - periods + owes.height - m_used
    # income: counted per physical row of each file (a wide payroll row makes several lines):
    # a row is rejected if any of its lines is, used if a line went into a dues row, else skipped
    income_rows = income_row_status(staged.income.status, raw.income_row_status, dues_members)
    counts = dict(income_rows.group_by("final").len().iter_rows())
    used += counts.get("used", 0)
    rejected += counts.get("rejected", 0)
    skipped += counts.get("skipped", 0)
    # adjustments
    named = list({s["member_id"] for s in staged.adjustments.status})
    owing_ids = set(owes.filter(pl.col("member_id").is_in(named))["member_id"])
    with_dues = set(dues_members.filter(dues_members.is_in(named)))
    for s in staged.adjustments.status:
        if s["status"] == "skipped":
            skipped += 1
        elif s["status"] == "rejected":
            rejected += 1
        elif s["member_id"] in with_dues:
            used += 1
        elif s["member_id"] not in owing_ids:
            skipped += 1      # in force, but the member owes nothing this month
        else:
            rejected += 1
    # payments: booked, rejected with a record, or of another month
    pay = dict(staged.payments.status.group_by("status").len().iter_rows())
    used += pay.get("ok", 0)
    rejected += pay.get("rejected", 0)
    skipped += pay.get("skipped", 0)
    rejected += raw.file_rows_rejected
    read = (raw.units.height + raw.members.height + income_rows.height
            + raw.adjustments.height + raw.file_rows_rejected + staged.payments.status.height)
    return read, used, rejected, skipped


def income_row_status(line_status: pl.DataFrame, row_notes: list[dict], dues_members: pl.Series) -> pl.DataFrame:
    """One row per physical income row: _source, _row, final (used | rejected | skipped)."""
    has_dues = pl.col("member_id").is_in(dues_members.implode())
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
    ranks = {"rejected": 0, "used": 1, "skipped": 2}       # a row is rejected if any of its lines is, ...
    rank = pl.col("final").replace_strict(ranks, return_dtype=pl.Int8)
    both = pl.concat([lines, notes]).select("_source", "_row", rank.alias("rank"))
    # only files with several lines to a row (wide payroll exports, notes) need grouping by row
    several = (both.group_by("_source").agg((pl.len() > pl.col("_row").n_unique()).alias("several"))
               .filter("several")["_source"].implode())
    rows = pl.concat([both.filter(~pl.col("_source").is_in(several)),
                      both.filter(pl.col("_source").is_in(several)).group_by("_source", "_row")
                      .agg(pl.col("rank").min())])
    return rows.select("_source", "_row", pl.col("rank").replace_strict({v: k for k, v in ranks.items()},
                                                                        return_dtype=pl.String).alias("final"))


def close(raw: RawInputs, rules: Rules, books: Books | None = None) -> CloseResult:
    """The whole close of one inbox, in memory (no earlier months stored): its transfers are
    worked out from its own settlement. (The close command works them out once when it stores
    the month, from all its units' settlements: flows/close.py ``retransfer``.)"""
    result = month(MonthInputs(dataclasses.replace(raw), rules, books or Books()))   # the caller's raw kept whole
    rules = dataclasses.replace(rules, earmarks=earmarks_from_frame(result.earmarks))
    result.transfers = transfers_from(result.units, result.settlement, rules, owed=result.allocations)
    return result


@dataclass
class Extras:
    """issue 30: funds.csv, sections.csv and secretariats.csv staged (transforms.earmarks)."""
    earmarks: tuple = ()
    secretariats: pl.DataFrame | None = None
    issues: list[Issue] = field(default_factory=list)
    read: int = 0
    used: int = 0


def stage_extras(raw: RawInputs, period: str) -> Extras:
    funds, fund_issues = stage_funds(raw.funds, period)
    sections, section_issues = stage_sections(raw.sections, period)
    secretariats, secretariat_issues = stage_secretariats(raw.secretariats, period)
    issues = fund_issues + section_issues + secretariat_issues
    read = sum(f.height for f in (raw.funds, raw.sections, raw.secretariats) if f is not None)
    return Extras(funds + sections, secretariats, issues, read, read - len(issues))


def tables(raw: RawInputs, staged: Staged, rules: Rules, dues_result: DuesResult, allocations: pl.DataFrame,
           split_steps: pl.DataFrame, receipts: pl.DataFrame, basis: dict[str, str], posted, settlement: pl.DataFrame,
           extras: Extras | None = None, keep_lines: bool = False) -> CloseResult:
    """The month's stored tables, from what ``month`` computed: the exceptions, the employers'
    claims and the deduction check, the rows accounted for, each income line's use.

    The staged income lines are let go once the tables made from them are (issue 32: a million
    lines, the largest frame of a national close); ``keep_lines``: kept (a group of a close by
    groups needs them afterwards, ``file_attribution``)."""
    period = rules.period
    dues = dues_result.dues
    units = staged.units.units
    members = staged.members.members
    transfers = pl.DataFrame(schema=TRANSFER_SCHEMA)
    months = arrears_months(rules, units.select("unit_id", "rulebook").iter_rows())
    deductions = receipts.filter(pl.col("kind") == "deduction")
    claims = employer_claims(deductions, staged.income.lines_lazy(), dues, period, dues_result.stated_ids)
    in_force = adjustments_in_force(staged.adjustments.in_force, members, period)
    exceptions = pl.concat([
        issues_frame(staged.units.issues + staged.members.issues + raw.income_issues),
        # a wide payroll row makes a line per component: say a row's membership problem once
        staged.income.issues.unique(subset=["source", "row", "reason_code", "member_id"],
                                    keep="first", maintain_order=True),
        issues_frame(staged.adjustments.issues + dues_result.issues),
    ])
    regions, region_issues = stage_regions(raw.regions, period)
    national, national_issues = stage_national(raw.national, period, rules)
    exceptions = pl.concat([exceptions, issues_frame(region_issues + national_issues)])
    read, used, rejected, skipped = account(raw, staged, dues["member_id"])
    for raw_rows, good in ((raw.regions, regions), (raw.national, national)):
        if raw_rows is not None:         # regions.csv / national_accounts.csv rows: used, or rejected with a record
            read += raw_rows.height
            used += good.height
            rejected += raw_rows.height - good.height
    extras = extras or Extras()
    exceptions = pl.concat([exceptions, issues_frame(extras.issues)])
    read, used, rejected = read + extras.read, used + extras.used, rejected + extras.read - extras.used
    versions = sorted({rules.version(b).label for b in staged.units.units["rulebook"].unique().to_list()})
    checked = deduction_check(deductions.select("period", "member_id", "source", pl.col("amount").alias("deducted"),
                                                pl.col("row").alias("_row")).to_dicts(),
                              dues, staged.members.members, period, dues_result.stated_ids)
    exceptions = pl.concat([exceptions, staged.payments.issues.select(exceptions.columns)])
    lines = income_lines(staged.income.status, dues_result.derivation, period)
    by_unit = unit_exceptions(exceptions, staged, raw, period)
    if not keep_lines:
        staged.income.status = staged.income.status.clear()
    result = CloseResult(period, dues, allocations, transfers, exceptions, checked,
                         staged.members.members, staged.units.units, read, used, rejected, skipped,
                         ",".join(versions), raw.input_sha256, raw.formats, regions,
                         receipts=receipts, ledger=posted.ledger, items=posted.items, settlement=settlement,
                         employer_claims=claims, adjustments_in_force=in_force,
                         arrears=arrears(posted.ledger, months), basis=basis, national=national,
                         derivation=dues_result.derivation,
                         income_lines=lines,
                         split_steps=split_steps,
                         unit_exceptions=by_unit,
                         earmarks=earmarks_frame(rules.earmarks, period), secretariats=extras.secretariats)
    # issue 32: the tables made so far compacted before the last two are made, each compacted as made
    compact(result, ("receipts", "ledger", "derivation", "income_lines"))
    result.memberships = compact_frame(memberships(staged.members, period))
    result.names = compact_frame(member_names(staged.members))
    return result


UNIT_EXCEPTION_SCHEMA = {"period": pl.String, "unit_id": pl.String, "basis": pl.String, "source": pl.String,
                         "row": pl.Int64, "member_id": pl.String, "reason_code": pl.String, "message": pl.String}


def member_names(members: StagedMembers) -> pl.DataFrame:
    """Names for the unit treasurer's workbook: the members in force and the blocked rows."""
    blocked = (members.blocked_rows if members.blocked_rows is not None else
               pl.DataFrame(schema={"member_id": pl.String, "unit_id": pl.String, "full_name": pl.String}))
    # the register's members are one row each: only the blocked rows are made unique and added
    # when the register does not hold them (issue 32: not a 600 000-row unique)
    register = members.members.select("member_id", "unit_id", "full_name")
    extra = (blocked.filter(pl.col("member_id").is_not_null()).select("member_id", "unit_id", "full_name")
             .unique("member_id", keep="first", maintain_order=True))
    return pl.concat([register, not_in_register(extra, register, ["member_id"])])


def not_in_register(rows: pl.DataFrame, register: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """``rows`` (a few, with a member id) whose ``on`` values the register does not hold, in their
    order; the register's rows are looked up by ``rows``' ids (issue 32: an anti join against the
    whole register hashed its 600 000 ids: +130 MiB at a national close's peak)."""
    near = register.filter(pl.col("member_id").is_in(rows["member_id"].implode()))
    return rows.join(near.select(on), on=on, how="anti", maintain_order="left")


def unit_exceptions(exceptions: pl.DataFrame, staged: Staged, raw: RawInputs, period: str) -> pl.DataFrame:
    """Issue 26: every exception reaches the treasurer of the unit it concerns. Attributed, in this
    order: to the unit the record names (a unit's row, a member's missing income); else to the
    member's unit in members.csv — blocked members included, as their rejected row names it; else,
    when the member is unknown (a number or PESEL not in members.csv), to every unit whose members
    the same file lists: the file is that employer's or that unit's, and its treasurer is the one
    who can say who the person is. An exception no unit can be named for (a file naming no known
    member, a region's row) stays in the close workbook only. ``basis`` says which rule applied."""
    e, book, named, by_member, unknown = _attributed(exceptions, staged)
    # the units whose members those files list (income lines, payroll rows without lines, payments);
    # only the files with such a record are looked at (a national close has a million lines)
    file_units = listed_units(staged, raw, book, unknown["source"].unique().implode())
    return attributed_frame(e, [named, by_member, by_file(unknown, file_units)], period)


def _attributed(exceptions: pl.DataFrame, staged: Staged):
    """(exceptions numbered, the members' units, attributed by record, by member, the unknown ones)."""
    e = exceptions.select("source", "row", "member_id", "reason_code", "message", "unit_id").with_row_index("_e")
    blocked = staged.members.blocked_rows
    if blocked is None:
        blocked = pl.DataFrame(schema={"member_id": pl.String, "unit_id": pl.String, "_source": pl.String,
                                       "_row": pl.Int64})
    # the register's members are one row each: only the blocked rows' pairs are made unique and
    # added (issue 32: not a 600 000-row unique)
    members = staged.members.members.select("member_id", "unit_id")
    pairs = (blocked.filter(pl.col("member_id").is_not_null() & pl.col("unit_id").is_not_null())
             .select("member_id", "unit_id").unique())
    book = pl.concat([members, not_in_register(pairs, members, ["member_id", "unit_id"])])
    rows = (blocked.filter(pl.col("unit_id").is_not_null())
            .select(pl.col("_source").alias("source"), pl.col("_row").alias("row"), "unit_id"))
    named = e.filter(pl.col("unit_id").is_not_null()).select("_e", "unit_id", basis=pl.lit("record"))
    open_ = e.filter(pl.col("unit_id").is_null())
    by_member = pl.concat([open_.drop("unit_id").join(book, on="member_id"),
                           open_.drop("unit_id").join(rows, on=["source", "row"])]).select(
        "_e", "unit_id", basis=pl.lit("member"))
    # a member the book knows is attributed by member above: the rest, with a file, are unknown (no
    # set of the register's 600 000 ids is made to check it again)
    unknown = open_.filter(~pl.col("_e").is_in(by_member["_e"].implode()) & pl.col("source").is_not_null()
                           ).drop("unit_id")
    return e, book, named, by_member, unknown


def listed_units(staged: Staged, raw: RawInputs, book: pl.DataFrame, files: pl.Series | None) -> pl.DataFrame:
    """source, unit_id: the units whose members each file lists (``files``: only these; None: all)."""
    notes = pl.DataFrame(raw.income_row_status, schema={"_source": pl.String, "_row": pl.Int64,
                                                        "member_id": pl.String, "status": pl.String}, strict=False)
    only = pl.col("_source").is_in(files) if files is not None else pl.lit(True)
    listed = pl.concat([x.select("_source", "member_id").filter(only)
                        for x in (staged.income.status, notes, staged.payments.status)])
    return (listed.filter(pl.col("member_id").is_not_null()).unique()
            .join(book, on="member_id").select(pl.col("_source").alias("source"), "unit_id").unique())


def by_file(unknown: pl.DataFrame, file_units: pl.DataFrame) -> pl.DataFrame:
    return unknown.join(file_units, on="source").select("_e", "unit_id", basis=pl.lit("file"))


def attributed_frame(e: pl.DataFrame, parts: list[pl.DataFrame], period: str) -> pl.DataFrame:
    """The unit_exceptions rows of the numbered exceptions ``e`` from their attributions."""
    return (pl.concat(parts).unique(["_e", "unit_id"], keep="first", maintain_order=True)
            .join(e.drop("unit_id"), on="_e")
            .sort("unit_id", "_e")
            .select(pl.lit(period).alias("period"), "unit_id", "basis", "source", "row", "member_id", "reason_code",
                    "message")
            .cast(UNIT_EXCEPTION_SCHEMA))


def file_attribution(result: CloseResult, staged: Staged, raw: RawInputs) -> None:
    """A group of a close computed by groups (transforms/groups.py): what its exceptions need from
    the other groups — the exceptions tied to a unit only through a file (``unknown_exceptions``)
    and the units whose members each of its files lists (``file_units``); the close attributes
    them once over all groups (``by_file``). Its own ``unit_exceptions`` keep the record's and the
    member's attributions only."""
    e, book, named, by_member, unknown = _attributed(result.exceptions, staged)
    result.unit_exceptions = attributed_frame(e, [named, by_member], result.period)
    result.unknown_exceptions = unknown.drop("_e")
    result.file_units = listed_units(staged, raw, book, None)


def memberships(members, period: str) -> pl.DataFrame:
    """Every valid period of membership of the register, without names or PESEL (issue 17)."""
    history = members.history if members.history is not None else members.members
    return history.select("member_id", "unit_id", "category", "joined_on", "left_on").with_columns(
        period=pl.lit(period))


def income_lines(status: pl.DataFrame, derivation: pl.DataFrame, period: str) -> pl.DataFrame:
    """Every income line of the members with a dues row (issue 18): in the base, or left out and
    why — a component outside the rule's base (its paragraph is the rule's source), a line of
    another month, the floor of a declared base, the employer's deduction (a receipt)."""
    comps, floors = [], []
    rules = derivation.select("rule_json").unique().with_row_index("rule")   # a few rules: lines carry the number
    for rule_id, text_ in rules.iter_rows():
        rule = json.loads(text_)
        comps += [{"rule": rule_id, "component": c, "in_base": True} for c in rule["base_components"]]
        floors.append({"rule": rule_id, "floor": rule.get("floor_component") or ""})
    comps_frame = pl.DataFrame(comps, schema={"rule": pl.UInt32, "component": pl.String, "in_base": pl.Boolean})
    floor_frame = pl.DataFrame(floors, schema={"rule": pl.UInt32, "floor": pl.String})
    member_rule = derivation.select("member_id", "unit_id", "rule_json").join(rules, on="rule_json").drop("rule_json")
    # in the order of the input files (deterministic without sorting a million lines); lazy, so the
    # joins' intermediate frames of a million lines are never all made
    lines = (status.lazy().join(member_rule.lazy(), on="member_id", how="inner", maintain_order="left")
             .join(comps_frame.lazy(), on=["rule", "component"], how="left", maintain_order="left")
             .join(floor_frame.lazy(), on="rule", how="left", maintain_order="left"))
    note = (pl.when(pl.col("status") == "skipped").then(pl.lit("other_period"))
            .when(pl.col("status") != "ok").then(pl.lit("rejected"))
            .when(pl.col("component") == DEDUCTED_COMPONENT).then(pl.lit("deduction"))
            .when(pl.col("component") == pl.col("floor")).then(pl.lit("floor"))
            .when(pl.col("in_base").fill_null(False)).then(pl.lit("base"))
            .otherwise(pl.lit("excluded")))
    # the texts that repeat on every line (a few files, months, components, uses) as categoricals:
    # one copy of each text instead of 1.2 M at national scale; stored as text
    return (lines.select(pl.lit(period).alias("period"), "member_id", "unit_id", pl.col("_source").alias("source"),
                         pl.col("_row").alias("row"), pl.col("period").alias("line_period"), "component",
                         pl.col("amount_gr").alias("amount"), note.alias("use"))
            .with_columns(pl.col("period", "unit_id", "source", "line_period", "component", "use").cast(pl.Categorical))
            .collect())
