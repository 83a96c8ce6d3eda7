"""`skladki close`: the monthly close of CONTRACT.md, as a command of the one shape.

read (inbox, rulebooks in force, the accounts carried in) → ``CloseInputs`` → compute
(``transforms.close.month`` itself, declared pure: typed rows + records, dues, split,
settlement, deduction check, schemas checked) → ``Computed(inputs, CloseResult)`` → store (the
units this close stores chosen from the stored months → ``Closed``; one DuckDB transaction; the
month's transfers, from all its units' settlements, worked out once here; later months closed
again with the same steps) → report (reports/close.py ``report``: the close workbook and the
unit treasurers' workbooks and PDFs, from the settlements read once, written aside and moved
into place).

Issue 32, by groups of units (``SKLADKI_CLOSE_GROUP_MEMBERS``, off by default): compute only
splits the inbox (``Grouped``); store computes each group with the same ``month`` and appends it
in the same one transaction, then works out what spans the groups (``save_by_groups``).
"""
from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple, Optional
import shutil
import tempfile
import uuid

import polars as pl

from flows import months, settings, store
from flows.command import Command, Computed, Run, WritesDb, last_month, option, pure, titled
from flows.inbox import read_inbox
from flows.payroll_inbox import user_file_notes
from reports import close as close_reports
from schemas.tables import KEPT_IN_HISTORY, UNIT_TABLES
from transforms import close as close_logic
from transforms.allocate import transfers_from
from transforms.earmarks import from_frame as earmarks_from_frame
from transforms.close import CloseResult, MonthInputs, RawInputs
from transforms.errors import UserError, issues_frame, mask_personal
from transforms.polish import count
from transforms.ledger import (BOOKED_SCHEMA, ITEM_SCHEMA, LEDGER_SCHEMA, SETTLEMENT_SCHEMA, Books, differences,
                               settlement_delta)
from transforms.money import sql_grosze
from flows.rules import rules_for
from transforms.rulebook import Rules
from transforms.staging import is_period


@dataclass(frozen=True, kw_only=True)
class CloseParams(WritesDb):
    period: str = last_month("zamykany miesiąc, RRRR-MM")
    inbox: Path = option("folder z units.csv, members.csv, income/, adjustments.csv", title="Skrzynka (folder)",
                         form="pełna ścieżka folderu z units.csv, members.csv, income/ i adjustments.csv")
    unit_workbooks: Optional[bool] = option(
        "z --out także skoroszyt i rozliczenie PDF każdej jednostki w OUT/jednostki; domyślnie tak, gdy zamknięcie "
        "ma najwyżej 100 jednostek (większe: skladki documents na żądanie)", None,
        flag="--unit-workbooks/--no-unit-workbooks", title="Dokumenty jednostek",
        form="z folderem na wyniki także skoroszyt i rozliczenie PDF każdej jednostki; puste: tak, gdy jednostek "
             "jest najwyżej 100")
    units: Optional[list[str]] = option(
        "zamknij tylko tę jednostkę skrzynki (można podać kilka razy); inne jednostki w bazie zostają bez zmian",
        None, flag="--unit", title="Jednostki",
        form="zamknij tylko te jednostki skrzynki; puste: wszystkie (inne jednostki w bazie bez zmian)")
    only_complete: bool = option(
        "zamknij tylko jednostki z kompletnymi plikami; pozostałe wypisz (tak działa zamknięcie z harmonogramu)",
        False, title="Tylko kompletne",
        form="zamknij tylko jednostki, których pliki przyszły; pozostałe zostaną wypisane (tak działa zamknięcie "
             "z harmonogramu)")
    # set by skladki itself, never asked for: a replay's starting accounts, the run a later month's re-close follows
    books: Optional[Path] = None
    recomputes: Optional[str] = None
    # the report's settings (reports/close.py ``report``; reports/ reads no flows/settings)
    fonts: Path = settings.DATA / "fonts"
    unit_documents_at_close: int = settings.UNIT_DOCUMENTS_AT_CLOSE


@dataclass(frozen=True)
class CloseInputs(MonthInputs):
    """What a close reads: the inbox (as text frames), the rulebooks in force, the accounts the
    members carry into the month (``MonthInputs``: what ``transforms.close.month`` computes the
    month from), and the inbox's files being packed for the archive."""
    packed: Future | None
    started_at: datetime
    group_members: int | None = None    # issue 32: computed and stored by groups of about this many members


@dataclass(frozen=True)
class Grouped:
    """Issue 32: the compute step's value for a close computed by groups (transforms/groups.py): the
    inbox's split. Each group is computed (``transforms.close.month``, pure) and appended in the
    store step's one transaction, one after another (``save_by_groups``)."""
    groups: object


def compute(inputs: CloseInputs):
    """The month computed whole (``transforms.close.month``), or, for an inbox larger than a group
    that splits into groups of units, the split (``Grouped``): its groups are computed one by one
    as they are stored, so the memory a close needs is a group's, not the inbox's."""
    if inputs.group_members:
        from transforms.groups import partition
        groups = partition(inputs.raw, inputs.books, inputs.group_members)
        if groups is not None:
            return Grouped(groups)
    return close_logic.month(inputs)


class Recomputed(NamedTuple):
    """A later month of this close's units closed again in the same run (RULES.md §13), with the
    rulebooks its documents are written with."""
    month: str
    units: list[str]
    run_id: str
    rules: Rules


@dataclass(frozen=True)
class Closed:
    """The close's result, step by step. ``compute`` gives the month's tables (``month``, pure,
    from transforms/close.py); ``store`` chooses which units this close stores (``closed_month``) and
    adds the run's id, the states it found and what it closed again; ``report`` the documents it
    wrote."""
    month: CloseResult
    rules: Rules                     # the rulebooks in force, only those the inbox's units use
    raw: RawInputs                   # the inbox as read (its files go into the archive)
    books: Books
    packed: Future | None
    started_at: datetime
    scope: list[str]                 # the units whose month this close stores
    missing: dict[str, list[str]]    # unit -> what its month lacks (stored as incomplete)
    left_out: dict[str, list[str]]   # a scheduled close: units left out, incomplete
    refused: list[str]               # units named in units.csv whose row was refused
    run_id: str | None = None
    approved: list[str] = field(default_factory=list)   # approved months kept, corrected
    gone: list[str] = field(default_factory=list)       # drafts of refused units removed
    recomputed: list[Recomputed] = field(default_factory=list)
    followers: list[tuple[str, list[str], int]] = field(default_factory=list)
    archived_bytes: int = 0
    unit_workbooks: int = 0
    unit_documents_deferred: bool = False
    # the summary's figures as stored, read on the close's own connection after its last write, before
    # its commit (issue 32: no second DuckDB opened for them, ~20 ms of a unit's close); set by ``save``
    figures: dict | None = None


def check(params: CloseParams) -> None:
    if not is_period(params.period):
        raise UserError("bad_option", name="--period", detail=f"'{params.period}' to nie okres RRRR-MM")
    if not Path(params.inbox).is_dir():
        raise UserError("no_folder", path=params.inbox, what="skrzynki")


def read(run: Run) -> CloseInputs:
    """The inbox as text frames, the rulebooks in force (parsed once per set of files:
    flows/rules.py) and the accounts carried into the month."""
    run.progress("[1/5] odczyt skrzynki")
    period = run.params.period
    rules = rules_for(period)
    raw = read_inbox(Path(run.params.inbox), period)
    from flows.archive import pack_ahead
    packed = pack_ahead(raw.files)
    raw.files = [(rel, None) for rel, _ in raw.files]    # the packing thread holds the bytes until packed
    if run.params.books:          # a replay: the accounts the archived close started from
        from flows.archive import books_from
        books = books_from(Path(run.params.books).read_bytes())
    else:
        books = load_books(run.database(), period, inbox_units(raw), lambda: inbox_members(raw))
    started_at = datetime.now()
    p = run.params    # the whole inbox of a first close, not a replay: it may be split into groups of units
    group = None if p.units or p.only_complete or p.recomputes or p.books else settings.CLOSE_GROUP_MEMBERS
    run.progress(f"[2/5] sprawdzanie: {count(raw.members['member_id'].n_unique(), 'członek')}, "
                 f"{count(raw.income.height, 'wiersz')} dochodu")
    run.progress("[3/5] składki i podział")      # the compute step: transforms.close.month, pure
    return CloseInputs(raw, rules, books, packed, started_at, group)


def _frame(con, sql: str, params: list, schema: dict) -> pl.DataFrame:
    return pl.DataFrame(con.execute(sql, params).fetchall(), schema=schema, orient="row")


def inbox_units(raw) -> list[str]:
    """The unit ids named in the inbox's units.csv (as typed; staging checks them later)."""
    return sorted({u.strip() for u in raw.units["unit_id"].drop_nulls().to_list() if u and u.strip()}) \
        if "unit_id" in raw.units.columns else []


def inbox_members(raw) -> list[str]:
    """The member ids named in the inbox's members.csv (as typed)."""
    if "member_id" not in raw.members.columns:
        return []
    return raw.members["member_id"].drop_nulls().str.strip_chars().unique().to_list()


def load_books(con, period: str, units: list[str] | None = None,
               members: list[str] | Callable[[], list[str]] | None = None) -> Books:
    """What the members' accounts carry into ``period``: each member's open items and credit from
    the latest month before it in which the member had an account (in whichever unit: a member who
    moved brings them along), corrections already put into this month for these units, and (issue
    27) the direct payments earlier closes booked and the units' closed months.
    ``units``, ``members``: the inbox's (None: every unit, every member; ``members`` may be a
    function giving them, called only when an earlier month is stored: 0.13 s at 600 000)."""
    names = store.table_names(con)
    books = Books()
    mine = "(CAST(? AS VARCHAR[]) IS NULL OR list_contains(?, unit_id))"
    if "member_ledger" in names:
        members = members() if callable(members) else members
        g = sql_grosze
        con.register("books_members", pl.DataFrame({"member_id": members or []}, schema={"member_id": pl.String}))
        try:
            pick = ("" if members is None else "AND member_id IN (SELECT member_id FROM books_members) ")
            prev = (f"WITH prev AS (SELECT member_id, max(period) AS period FROM member_ledger WHERE period < ? {pick}"
                    "GROUP BY member_id) ")
            books.items = _frame(con, prev + f"SELECT period, member_id, unit_id, for_period, category, "
                                             f"{g('dues_open')}, {g('surcharge_open')} FROM ledger_items "
                                             "JOIN prev USING (member_id, period) ORDER BY member_id, for_period",
                                 [period], ITEM_SCHEMA)
            books.credits = dict(con.execute(prev + f"SELECT member_id, {g('credit')} FROM member_ledger "
                                                    "JOIN prev USING (member_id, period) WHERE credit <> 0",
                                             [period]).fetchall())
            if "receipts" in names:      # direct payments earlier closes booked (issue 27: none booked twice)
                books.booked = _frame(con, f"SELECT member_id, paid_on, {g('amount')} FROM receipts WHERE "
                                           f"kind = 'payment' AND period < ? {pick}ORDER BY ALL", [period], BOOKED_SCHEMA)
        finally:
            con.unregister("books_members")
        books.received_units = {u for (u,) in con.execute(
            f"SELECT DISTINCT unit_id FROM member_ledger WHERE period < ? AND basis = 'received' AND {mine}",
            [period, units, units]).fetchall()}
    books.closed_months = {u: sorted(p for p in m if p < period)          # only earlier months matter
                           for u, m in months.closed_months(con, units or []).items() if min(m) < period}
    if "settlement" in names:
        books.corrections = _frame(con, f"SELECT period, unit_id, level, {sql_grosze('amount')}, basis, corrects "
                                        f"FROM settlement WHERE period = ? AND basis = 'correction' AND {mine}",
                                   [period, units, units], SETTLEMENT_SCHEMA)
    return books


def closed_month(run: Run, computed: Computed) -> Closed:
    """The computed month with the units this close stores (``choose_scope``: from the stored
    months) and the rulebooks its units use."""
    inputs, result = computed
    rules = inputs.rules.only(set(result.units["rulebook"]))       # as ``month`` narrowed them
    if result.earmarks is not None and result.earmarks.height:     # issue 30: the funds' and sections' labels
        rules = dataclasses.replace(rules, earmarks=earmarks_from_frame(result.earmarks))
    scope, missing, left_out, refused = choose_scope(run, result, inputs.raw)
    return Closed(result, rules, inputs.raw, inputs.books, inputs.packed, inputs.started_at, scope, missing,
                  left_out, refused)


def choose_scope(run: Run, result: CloseResult, raw: RawInputs) -> tuple[list[str], dict, dict, list[str]]:
    """The units whose month this close stores (RULES.md §13): the inbox's valid units, or those
    named with --unit; with ``only_complete`` (the scheduled close) the incomplete ones are left
    out and listed. What each unit's month is missing is worked out here. Returns (scope,
    missing, left out, refused)."""
    valid = result.units["unit_id"].to_list()
    wanted = run.params.units
    if wanted:
        unknown = sorted(set(wanted) - set(valid))
        if unknown:
            raise UserError("units_not_in_inbox", units=", ".join(unknown), inbox=run.params.inbox,
                            known=", ".join(sorted(valid)) or "—")
        scope = sorted(set(wanted))
    else:
        scope = sorted(valid)
    if not run.params.recomputes:        # the later months closed again are in order already
        months.require_in_order(run.database(), result.period, scope)
    missing = months.missing_inputs(run.database(), result, scope)
    # units named in units.csv whose row was refused: their month is not computed, and a draft of
    # it stored earlier goes (never a stale amount beside this close's findings); not with --unit
    refused = [] if wanted else sorted(set(inbox_units(raw)) - set(valid))
    left_out = {}
    if run.params.only_complete:
        left_out = {u: missing[u] for u in scope if missing.get(u)}
        left_out |= {u: ["wiersz jednostki w units.csv odrzucony"] for u in refused}
        scope = [u for u in scope if u not in left_out]
        refused = []
    if len(scope) != len(valid):
        months.restrict(result, scope)
    return scope, {u: m for u, m in missing.items() if u in scope}, left_out, refused


def save(run: Run, computed: Computed) -> Closed:
    """The units this close stores chosen (``closed_month``), then every table of their month in
    the run's one transaction (RULES.md §13): only the units of this close are replaced (what they
    replace is kept in `history`); an approved month keeps its settlement and transfers and what
    changed goes into the unit's next open month as a correction; the transfers of the month are worked out (once) from all units' current
    months; later months of these units already closed are closed again from their archives."""
    if isinstance(computed.result, Grouped):
        run.progress(f"[4/5] zapis do {run.params.db}")
        con = run.database()
        with store.memory_limit(con, settings.STORE_MEMORY_LIMIT):
            chosen = save_by_groups(run, computed.inputs, computed.result.groups, con)
        if chosen is not None:
            return _with_figures(chosen, con)
        computed = Computed(computed.inputs, close_logic.month(computed.inputs))   # computed whole after all
    chosen = closed_month(run, computed)
    run.progress(f"[4/5] zapis do {run.params.db}")
    con = run.database()
    with store.memory_limit(con, settings.STORE_MEMORY_LIMIT):
        chosen = _save(run, chosen, con)
        if not run.params.recomputes:
            chosen = recompute_later(run, chosen, con)
    return _with_figures(chosen, con)


def _with_figures(closed: Closed, con) -> Closed:
    """The summary's figures of the month as this close stored it, read on its own connection
    after its last write (issue 32: no second DuckDB opened for them after the commit)."""
    return dataclasses.replace(closed, figures=close_reports.stored_figures(con, closed.month.period, closed.scope))


def _save(run: Run, closed: Closed, con) -> Closed:
    result, scope, refused = closed.month, closed.scope, closed.refused
    run_id = str(uuid.uuid4())
    period = result.period
    months.adopt_earlier_closes(con)
    before = months.stored_months(con, period, scope)
    approved = sorted(u for u, m in before.items() if m["state"] == "approved")
    stored_refused = months.stored_months(con, period, refused)
    gone = sorted(u for u, m in stored_refused.items() if m["state"] != "approved")
    # what this close replaces: its units, drafts of refused units, findings about refused units
    # that never had a month (an approved month of a refused unit stays as it was)
    gone_too = gone + [u for u in refused if u not in stored_refused]
    if before or gone:      # a draft closed again is replaced (kept in history); an approved month is corrected
        keep_history(con, run_id, period, sorted(set(before) | set(gone)))
    if approved:
        result = reclose_report(con, run_id, result, approved)
    # the units this close wrote for: its own and those named in units.csv whose row was refused
    scope_text = ",".join(sorted(set(scope) | set(refused)))
    frames = unit_frames(result, scope, scope_text)
    drafts = [u for u in scope if u not in approved]
    for table in UNIT_TABLES:
        if table == "units":      # an approved month keeps the register its transfers were made with
            store.replace_units(con, table, frames[table].filter(pl.col("unit_id").is_in(drafts)), period,
                                drafts + gone)
        else:
            store.replace_units(con, table, frames[table], period, scope + gone_too)
    regions = result.regions.with_columns(period=pl.lit(period))
    store.replace_units(con, "regions", regions, period, regions["region_id"].to_list())
    # issue 30: the funds and sections' dues this close's units used, and the secretariats it read
    if result.earmarks is not None and result.earmarks.height:
        store.replace_units(con, "earmarks", result.earmarks, period, result.earmarks["level"].to_list())
    if result.secretariats is not None and result.secretariats.height:
        store.replace_units(con, "secretariats", result.secretariats.with_columns(period=pl.lit(period)), period,
                            result.secretariats["secretariat_id"].to_list())
    national = result.national.with_columns(period=pl.lit(period))
    store.replace_units(con, "national_accounts", national, period, national["rulebook"].unique().to_list())
    # the settlement: a draft's is replaced; an approved month's stays (its corrections are made above)
    store.ensure(con, "settlement")
    con.execute("DELETE FROM settlement WHERE period = ? AND basis <> 'correction' AND list_contains(?, unit_id)",
                [period, drafts + gone])
    store.append(con, "settlement", result.settlement.filter((pl.col("basis") != "correction")
                                                             & pl.col("unit_id").is_in(drafts)))
    return _finish(run, closed, con, result, run_id, before, approved, gone)


def unit_frames(result: CloseResult, scope: list[str], scope_text: str) -> dict[str, pl.DataFrame]:
    """The rows of the unit tables (schemas/tables.py UNIT_TABLES) a computed month stores."""
    return {"dues": result.dues, "allocations": result.allocations,
            "exceptions": result.exceptions.with_columns(scope=pl.lit(scope_text)),
            "units": result.units.with_columns(period=pl.lit(result.period)),
            "deduction_check": result.deduction_check.with_columns(scope=pl.lit(scope_text)),
            "receipts": result.receipts.with_columns(reference=pl.col("reference").map_elements(
                mask_personal, return_dtype=pl.String)),
            "member_ledger": result.ledger, "ledger_items": result.items,
            "employer_claims": result.employer_claims, "adjustments_in_force": result.adjustments_in_force,
            "dues_derivation": result.derivation, "income_lines": result.income_lines,
            "split_steps": result.split_steps, "memberships": result.memberships,
            # which unit's treasurer sees a finding: only this close's units (closing one unit never
            # writes into another unit's month)
            "unit_exceptions": result.unit_exceptions.filter(pl.col("unit_id").is_in(scope))
            .with_columns(scope=pl.lit(scope_text))}


def _finish(run: Run, closed: Closed, con, result: CloseResult, run_id: str, before: dict, approved: list[str],
            gone: list[str], archived: int | None = None) -> Closed:
    """After the month's unit tables: the transfers (once, from all units' stored settlements), the
    units' month states, the archive (unless stored already: ``archived`` bytes) and the run's record."""
    scope, period = closed.scope, result.period
    # the month's settlement of all its units as stored now, read once: the transfers are worked
    # out from it (once per close), and this close's units' part is the result's
    month = _stored(con, "settlement", period, "period, unit_id, level, amount, basis, corrects", ("amount",),
                    SETTLEMENT_SCHEMA)
    retransfer(con, period, settlement=month)
    result = dataclasses.replace(result, settlement=month.filter(pl.col("unit_id").is_in(scope)),
                                 transfers=scoped_transfers(con, period, result.units))
    store.replace_units(con, "unit_months", months.month_rows(period, run_id, scope, before, closed.missing),
                        period, scope + gone)
    if archived is None:
        from flows.archive import capture, used_files
        archived = capture(con, run_id, used_files(closed.raw, closed.books), closed.packed)
    store.append(con, "runs", pl.DataFrame([{
        "run_id": run_id, "period": period, "started_at": closed.started_at,
        "finished_at": datetime.now(), "rulebook_version": result.rulebook_version,
        "rows_read": result.rows_read, "rows_used": result.rows_used, "rows_rejected": result.rows_rejected,
        "rows_skipped": result.rows_skipped, "input_sha256": result.input_sha256, "units": ",".join(scope),
        "recomputes": run.params.recomputes}]))
    return dataclasses.replace(closed, month=result, run_id=run_id, approved=approved, gone=gone,
                               archived_bytes=archived)


def save_by_groups(run: Run, inputs: CloseInputs, groups, con) -> Closed | None:
    """Issue 32: the month stored group by group in the run's one transaction (all or nothing, as
    ``_save``): this close's rows of every unit table cleared once, then each group computed
    (``transforms.close.month``, pure) and its rows appended, and what spans the groups worked out
    once after them from what they left — the regions' register, the exceptions a file ties to
    units (``by_file``), what each unit's month misses, and the transfers (``_finish``, from the
    stored settlements). The stored rows are those of the month computed whole (a property test:
    tests/test_groups.py). Returns None, having written nothing, when the month must be computed
    whole: an approved month of its units is closed again (the difference report compares whole
    months)."""
    from transforms.groups import group_inputs, group_units, split
    from transforms.staging import NATIONAL_SCHEMA, stage_regions, stage_units
    raw, rules, books = inputs.raw, inputs.rules, inputs.books
    period = rules.period
    staged_units = stage_units(raw.units, rules)        # once: each group takes its part
    scope = sorted(staged_units.units["unit_id"].to_list())     # the valid units, as ``month``
    months.require_in_order(con, period, scope)
    files = months.files_matter(con, period, scope)
    refused = sorted(set(inbox_units(raw)) - set(scope))
    if any(m["state"] == "approved" for m in months.stored_months(con, period, scope).values()):
        return None
    run_id = str(uuid.uuid4())
    months.adopt_earlier_closes(con)
    before = months.stored_months(con, period, scope)
    stored_refused = months.stored_months(con, period, refused)
    gone = sorted(u for u, m in stored_refused.items() if m["state"] != "approved")
    gone_too = gone + [u for u in refused if u not in stored_refused]
    if before or gone:
        keep_history(con, run_id, period, sorted(set(before) | set(gone)))
    scope_text = ",".join(sorted(set(scope) | set(refused)))
    empty = pl.DataFrame()
    for table in UNIT_TABLES:         # this close's rows go; each group appends its own
        store.replace_units(con, table, empty, period, scope + gone if table == "units" else scope + gone_too)
    store.ensure(con, "settlement")
    con.execute("DELETE FROM settlement WHERE period = ? AND basis <> 'correction' AND list_contains(?, unit_id)",
                [period, scope + gone])
    kept = {k: [] for k in ("units", "exceptions", "dues", "arrears", "names", "members", "unknown", "file_units",
                            "missing", "considered", "now")}
    counts, basis = [0, 0, 0, 0], {}
    # the archive first, while the transaction is small (its compressed files then let go)
    from flows.archive import capture, used_files
    archived = capture(con, run_id, used_files(raw, books), inputs.packed)
    offset = 0
    cut = split(raw, groups)               # the whole frames go; each group's as it is stored
    close_logic.release(raw)
    raw.units = raw.units.clear()
    raw.adjustments = raw.adjustments.clear()
    con.execute(f"SET memory_limit = '{settings.GROUP_STORE_MEMORY_LIMIT}'")    # while the groups append
    for g in range(groups.count):
        sub, carried = group_inputs(raw, books, groups, g, first=g == 0, frames=cut[g])
        cut[g] = None
        r = close_logic.month(MonthInputs(sub, rules, carried), group=True,
                              staged_units=group_units(staged_units, groups, g))
        del sub, carried
        frames = unit_frames(r, scope, scope_text)
        for table in UNIT_TABLES:
            store.append(con, table, frames[table])
        store.append(con, "settlement", r.settlement.filter(pl.col("basis") != "correction"))
        del frames
        for i, n in enumerate((r.rows_read, r.rows_used, r.rows_rejected, r.rows_skipped)):
            counts[i] += n
        basis |= r.basis
        missing, considered, now = months.missing_parts(r, scope, files)
        kept["missing"].append(missing)
        kept["considered"].append(considered if files else considered.clear())
        kept["now"].append(now)
        kept["units"].append(r.units)
        kept["exceptions"].append(r.exceptions)
        kept["dues"].append(r.dues.select("member_id", "unit_id"))
        kept["arrears"].append(r.arrears)
        kept["names"].append(r.names)
        kept["members"].append(r.members.select("member_id", "unit_id"))
        kept["unknown"].append(r.unknown_exceptions.with_row_index("_e", offset))
        kept["file_units"].append(r.file_units)
        offset += r.unknown_exceptions.height
        del r
    con.execute(f"SET memory_limit = '{settings.STORE_MEMORY_LIMIT}'")
    # what spans the groups: the regions' register, the exceptions a file ties to units of any group
    regions, region_issues = stage_regions(raw.regions, period)
    if raw.regions is not None:          # regions.csv rows: used, or rejected with a record
        counts[0] += raw.regions.height
        counts[1] += regions.height
        counts[2] += raw.regions.height - regions.height
    assert counts[0] == counts[1] + counts[2] + counts[3]
    found = issues_frame(region_issues)
    store.append(con, "exceptions", found.with_columns(scope=pl.lit(scope_text)))
    regions = regions.with_columns(period=pl.lit(period))
    store.replace_units(con, "regions", regions, period, regions["region_id"].to_list())
    # issue 30: no national_accounts.csv in a grouped inbox (transforms.groups.partition); the table as a
    # whole close leaves it, empty
    store.replace_units(con, "national_accounts", pl.DataFrame(schema=NATIONAL_SCHEMA).with_columns(
        period=pl.lit(period)), period, [])
    e = pl.concat([pl.concat(kept["unknown"]).with_columns(unit_id=pl.lit(None, pl.String)),
                   found.select("source", "row", "member_id", "reason_code", "message", "unit_id")
                   .with_row_index("_e", offset)], how="diagonal_relaxed")
    listed = pl.concat(kept["file_units"]).unique()
    attributed = close_logic.attributed_frame(
        e, [e.filter(pl.col("unit_id").is_not_null()).select("_e", "unit_id", basis=pl.lit("record")),
            close_logic.by_file(e.filter(pl.col("unit_id").is_null()).drop("unit_id"), listed)], period)
    store.append(con, "unit_exceptions", attributed.filter(pl.col("unit_id").is_in(scope))
                 .with_columns(scope=pl.lit(scope_text)))
    missing = months.missing_from(con, period, scope, pl.concat(kept["missing"]), pl.concat(kept["considered"]),
                                  pl.concat(kept["now"]))
    units = pl.concat(kept["units"])
    versions = sorted({rules.version(b).label for b in units["rulebook"].unique().to_list()})
    exceptions = pl.concat([pl.concat(kept["exceptions"]), found.select(kept["exceptions"][0].columns)])
    result = CloseResult(
        period, pl.concat(kept["dues"]), pl.DataFrame(schema={"unit_id": pl.String}), pl.DataFrame(), exceptions,
        pl.DataFrame(), pl.concat(kept["members"]), units, *counts, ",".join(versions), raw.input_sha256,
        raw.formats, regions.drop("period"), basis=basis, arrears=pl.concat(kept["arrears"]),
        names=pl.concat(kept["names"]))
    closed = Closed(result, rules.only(set(units["rulebook"])), raw, books, None, inputs.started_at,
                    scope, {u: m for u, m in missing.items() if u in scope}, {}, refused)
    return _finish(run, closed, con, result, run_id, before, [], gone, archived)


def _stored(con, table: str, period: str, columns: str, money: tuple[str, ...], schema: dict,
            where: str = "", extra: list | None = None) -> pl.DataFrame:
    cols = ", ".join(sql_grosze(c) if c in money else c for c in columns.split(", "))
    return _frame(con, f"SELECT {cols} FROM {table} WHERE period = ? {where}", [period] + (extra or []), schema)


def keep_history(con, run_id: str, period: str, units: list[str]) -> None:
    """The rows of these units' month that a close replaces, kept in `history` (nothing of the
    past is silently rewritten; a superseded draft stays readable)."""
    names = store.table_names(con)
    (previous_run,) = con.execute("SELECT arg_max(last_run_id, period) FROM unit_months WHERE period = ? "
                                  "AND list_contains(?, unit_id)", [period, units]).fetchone()
    store.ensure(con, "history")
    for table in KEPT_IN_HISTORY:
        if table in names:
            unit = "payer_id" if table == "transfers" else "unit_id"
            con.execute(f"INSERT INTO history SELECT ?, ?, period, ?, CAST(to_json(t) AS VARCHAR) FROM {table} t "
                        f"WHERE period = ? AND list_contains(?, {unit})", [run_id, previous_run, table, period, units])


def reclose_report(con, run_id: str, result: CloseResult, approved: list[str]) -> CloseResult:
    """A re-close of these units' approved month: the difference report (every member figure and
    level of the split that changed) and the corrections: what the settlement would change goes
    into the unit's next month that is not approved. Returns the result with both."""
    units, period = approved, result.period
    names = store.table_names(con)
    only = "AND list_contains(?, unit_id)"
    settled = _stored(con, "settlement", period, "period, unit_id, level, amount, basis, corrects", ("amount",),
                      SETTLEMENT_SCHEMA, "AND basis <> 'correction' " + only, [units])
    corrected = _frame(con, f"SELECT period, unit_id, level, {sql_grosze('amount')}, basis, corrects FROM settlement "
                            "WHERE corrects = ? AND list_contains(?, unit_id)", [period, approved], SETTLEMENT_SCHEMA)
    fresh = result.settlement.filter((pl.col("basis") != "correction") & pl.col("unit_id").is_in(units))
    ledger_before = (_stored(con, "member_ledger", period, "period, member_id, unit_id, owed, received, "
                             "applied_dues, applied_surcharge, credit, arrears, balance, months_unpaid, oldest_unpaid, "
                             "basis", ("owed", "received", "applied_dues", "applied_surcharge", "credit", "arrears",
                                       "balance"), LEDGER_SCHEMA, only, [units])
                     if "member_ledger" in names else pl.DataFrame(schema=LEDGER_SCHEMA))
    report = differences(period, ledger_before, result.ledger.filter(pl.col("unit_id").is_in(units)),
                         settled, fresh)
    store.write(con, "close_differences", report.with_columns(run_id=pl.lit(run_id)), run_id=run_id)
    is_approved = pl.col("unit_id").is_in(approved)
    delta = settlement_delta(fresh.filter(is_approved), pl.concat([settled.filter(is_approved), corrected]))
    into = {u: months.next_open_month(con, u, period) for u in approved}
    reasons = {u: months.correction_reason(report, u) for u in approved}     # once per unit, not per level
    delta = delta.with_columns(applied_in=pl.col("unit_id").replace_strict(into, default=None, return_dtype=pl.String),
                               reason=pl.col("unit_id").replace_strict(reasons, default=None, return_dtype=pl.String))
    store.write(con, "corrections", delta.with_columns(run_id=pl.lit(run_id), corrected_period=pl.lit(period)),
                run_id=run_id)
    store.append(con, "settlement", delta.select(pl.col("applied_in").alias("period"), "unit_id", "level", "amount",
                                                 pl.lit("correction").alias("basis"),
                                                 pl.lit(period).alias("corrects")))
    closed = {p for (p,) in con.execute("SELECT DISTINCT period FROM units").fetchall()}
    for month in sorted(set(into.values()) & closed):
        if delta.filter(pl.col("applied_in") == month).height:
            retransfer(con, month)
    return dataclasses.replace(result, differences=report, corrections=delta)


def retransfer(con, period: str, settlement: pl.DataFrame | None = None) -> None:
    """A closed month's transfers, from all its units' stored settlements (corrections included):
    a unit's own transfer and what its region moves on for all the region's units. The one place
    a close works out transfers (``settlement``: the month's, when the caller has just read it)."""
    # the cascade's shape (not its shares) decides the flows, so the stored register is enough
    store.ensure(con, "units")
    units = _frame(con, "SELECT unit_id, region_id, sheltered, rulebook, section_id FROM units WHERE period = ?",
                   [period], {"unit_id": pl.String, "region_id": pl.String, "sheltered": pl.Boolean,
                              "rulebook": pl.String, "section_id": pl.String})
    rules = dataclasses.replace(rules_for(period).only(set(units["rulebook"])), earmarks=stored_earmarks(con, period))
    if settlement is None:
        settlement = _stored(con, "settlement", period, "period, unit_id, level, amount, basis, corrects",
                             ("amount",), SETTLEMENT_SCHEMA)
    allocations = _frame(con, f"SELECT unit_id, level, {sql_grosze('amount')} FROM allocations WHERE period = ?",
                         [period], {"unit_id": pl.String, "level": pl.String, "amount": pl.Int64})
    store.write(con, "transfers", transfers_from(units, settlement, rules, owed=allocations), period=period)
    share_secretariats(con, period, settlement, rules)


def stored_earmarks(con, period: str) -> tuple:
    """issue 30: the month's stored funds and sections' dues (levels of their units' cascades)."""
    from transforms.earmarks import EARMARK_SCHEMA, from_frame
    store.ensure(con, "earmarks")
    return from_frame(_frame(con, f"SELECT {', '.join(EARMARK_SCHEMA)} FROM earmarks WHERE period = ? ORDER BY "
                                  "kind <> 'fund', level", [period], EARMARK_SCHEMA))


def share_secretariats(con, period: str, settlement: pl.DataFrame, rules) -> None:
    """issue 30 (004 §3 ust. 1 pkt 2 lit. a): the month's pot of the rulebooks' secretariats level,
    from all its units' settlements, shared among the stored secretariats to the grosz."""
    from transforms.earmarks import SHARE_SCHEMA, SECRETARIAT_SCHEMA, share_pot
    store.ensure(con, "secretariats")
    secretariats = _frame(con, f"SELECT {', '.join(SECRETARIAT_SCHEMA)} FROM secretariats WHERE period = ?",
                          [period], SECRETARIAT_SCHEMA)
    rows = []
    for version in rules.versions.values():
        level = version.secretariats.get("level")
        if not level or not secretariats.height:
            continue
        pot = int(settlement.filter(pl.col("level") == level)["amount"].sum())
        rows += share_pot(pot, secretariats.to_dicts(), version.secretariats.get("source", ""))
    frame = pl.DataFrame(rows, schema=SHARE_SCHEMA).with_columns(period=pl.lit(period))
    store.write(con, "secretariat_shares", frame, period=period)


def scoped_transfers(con, period: str, units: pl.DataFrame) -> pl.DataFrame:
    """The month's stored transfers paid by these units and by their regions."""
    from transforms.allocate import TRANSFER_SCHEMA
    g = sql_grosze
    payers = units["unit_id"].to_list() + units["region_id"].unique().to_list()
    return _frame(con, f"SELECT period, payer_kind, payer_id, payee, region_id, {g('amount')}, due_on, rule, "
                       f"{g('owed_amount')} FROM transfers WHERE period = ? AND list_contains(?, payer_id) "
                       "ORDER BY payer_kind, payer_id, payee", [period, payers], TRANSFER_SCHEMA)


def recompute_later(run: Run, closed: Closed, con) -> Closed:
    """Later months of these units already closed, closed again from their archived inboxes in
    the same transaction, oldest first: each from the accounts the month before it now leaves, by
    the same typed steps (read, compute, store) in a run of its own on the same transaction. The
    rulebooks are those flows/rules.py keeps for the run's files: a later month's are resolved
    for it, nothing is parsed again."""
    from flows.archive import extract
    scope, period = closed.scope, closed.month.period
    done = []
    for month, run_id, units in months.later_runs(con, period, scope):
        tmp = Path(tempfile.mkdtemp(prefix="skladki-later-"))
        try:
            extract(con, run_id, tmp)
            units = [u for u in units if u in scope]
            run.progress(f"      ponowne zamknięcie {month} ({', '.join(units)}): z archiwum przebiegu {run_id[:8]}")
            later = Run(run.command, run.command.make_params(dict(
                period=month, inbox=tmp / "inbox", db=run.params.db, out=None, units=units,
                recomputes=closed.run_id)), con=con)
            inputs = read(later)
            again = _save(later, closed_month(later, Computed(inputs, close_logic.month(inputs))), con)
            done.append(Recomputed(month, units, again.run_id,
                                   rules_for(month).only(set(closed.month.units["rulebook"]))))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return dataclasses.replace(closed, recomputed=done, followers=followers(con, period, scope))


def followers(con, period: str, scope: list[str]) -> list[tuple[str, list[str], int]]:
    """(month, units, members): later months of other units holding members whose accounts this
    close's units' month carries. A close covers its own units (RULES.md §13), so those months are
    not closed again here — the summary names them (issue 27: never a stale account unsaid)."""
    if con.execute("SELECT 1 FROM member_ledger WHERE period > ? LIMIT 1", [period]).fetchone() is None:
        return []               # no later month stored (the usual close): not a scan of this month's members
    return [(p, list(u), n) for p, u, n in con.execute(
        "SELECT l.period, list(DISTINCT l.unit_id ORDER BY l.unit_id), count(DISTINCT l.member_id) FROM member_ledger l "
        "WHERE l.period > ? AND NOT list_contains(?, l.unit_id) AND l.member_id IN (SELECT member_id FROM member_ledger "
        "WHERE period = ? AND list_contains(?, unit_id)) GROUP BY l.period ORDER BY l.period",
        [period, scope, period, scope]).fetchall()]


def incomplete(run: Run, closed: Closed) -> str | None:
    """What the close's units still miss (RULES.md §13), in Polish; None when every month is complete.
    The first line says it all (the Prefect run's state message)."""
    missing, left = closed.missing or {}, closed.left_out or {}
    if not missing and not left:
        return None
    period = closed.month.period
    lines = [f"Miesiąc {period} niekompletny: " + "; ".join(f"{u}: {m}" for u, ms in sorted((missing | left).items())
                                                            for m in ms)]
    lines += [f"- {u} (projekt zapisany): {m}" for u, ms in sorted(missing.items()) for m in ms]
    lines += [f"- {u} (pominięta: miesiąc niekompletny, nie zamknięty): {m}" for u, ms in sorted(left.items()) for m in ms]
    return "\n".join(lines)


def summary(run: Run, closed: Closed) -> str:
    """The close's summary (reports/close.py), given the figures it stored and the user's files that win."""
    return close_reports.summary_text(closed, run.params, run.workbook, user_file_notes())


def table(run: Run, closed: Closed) -> tuple[str, list[dict]]:
    """The transfers due of this close's units and their regions, for the Prefect UI."""
    return close_reports.transfers_table(closed.month, closed.rules)


# the month's tables that only the store and the documents read: let go once both are done
RELEASED = ("receipts", "ledger", "items", "income_lines", "derivation", "split_steps", "memberships", "names",
            "employer_claims", "adjustments_in_force", "members", "deduction_check", "allocations")


def report(run: Run, closed: Closed) -> Closed:
    """The report step (reports/close.py: the workbooks and documents, with ``--out``), then the
    month's tables that only the store and the documents read are let go before the run commits:
    the summary, the state message and the UI's table read the transfers, exceptions, arrears,
    the dues' count and the stored figures (issue 32: at 600 000 members the commit was the close's
    peak, ~150 MiB of frames beside DuckDB's). Each is emptied, keeping its columns."""
    closed = close_reports.report(run, closed) or closed
    month = closed.month
    kept = {name: frame.clear() for name in RELEASED if (frame := getattr(month, name)) is not None}
    return dataclasses.replace(closed, month=dataclasses.replace(month, **kept), packed=None)


CLOSE = Command(
    params=CloseParams, help='Zamknięcie miesiąca: składki, podział, przelewy, wyjątki -> DuckDB (+ Excel). Projekt do zatwierdzenia.',
    run_name=titled("zamknięcie", "inbox"), flow_function="monthly_close",
    name="close", flow_name="monthly-close", check=check, summary=summary, table=table, incomplete=incomplete,
    read=read, compute=pure(compute), store=save, report=report)
