"""`skladki close`: the monthly close of CONTRACT.md, as a command of the one shape.

read (inbox, rulebooks in force) → stage (typed rows + records) → compute (dues, split,
transfers, deduction check; pure, in transforms/) → store (one DuckDB transaction) → report
(the close workbook and the unit treasurers' workbooks, written aside and moved into place).
"""
from datetime import datetime
from pathlib import Path
import uuid

import polars as pl

from flows import settings, store
from flows.command import Command, Run, Step
from flows.inbox import read_inbox
from reports import close as close_reports
from schemas.tables import validate_close, validate_staged
from transforms import close as close_logic
from transforms.allocate import transfers_from
from transforms.errors import UserError, mask_personal
from transforms.ledger import (ITEM_SCHEMA, LEDGER_SCHEMA, SETTLEMENT_SCHEMA, Books, differences,
                               settlement_delta, shift_period)
from transforms.money import sql_grosze
from transforms.rulebook import Rules, load_rulebooks, resolve
from transforms.staging import is_period

CLOSE_TABLES = ("dues", "allocations", "exceptions", "transfers", "units", "deduction_check", "regions",
                "receipts", "member_ledger", "ledger_items", "employer_claims", "adjustments_in_force",
                "dues_derivation", "income_lines", "split_steps", "memberships", "unit_exceptions")
# what a re-close replaces is kept in `history` first (nothing of the past is silently rewritten)
KEPT_IN_HISTORY = ("dues", "allocations", "transfers", "receipts", "member_ledger", "employer_claims")


def rules_for(period: str) -> Rules:
    """The rulebooks in force on the first day of ``period``, resolved once for the whole run."""
    return resolve(load_rulebooks(settings.rulebook_folders()), period)


def check(params: dict) -> None:
    if not is_period(params["period"]):
        raise UserError("bad_option", name="--period", detail=f"'{params['period']}' to nie okres RRRR-MM")
    if not Path(params["inbox"]).is_dir():
        raise UserError("no_folder", path=params["inbox"], what="skrzynki")


def read(run: Run) -> None:
    """The inbox as text frames, and the rulebooks in force."""
    run.progress("[1/5] odczyt skrzynki")
    run.state["rules"] = rules_for(run.period)
    run.state["raw"] = read_inbox(Path(run.inbox), run.period)
    from flows.archive import pack_ahead
    raw = run.state["raw"]
    run.state["packed"] = pack_ahead(raw.files)
    raw.files = [(rel, None) for rel, _ in raw.files]    # the packing thread holds the bytes until packed
    if run.params.get("books"):          # a replay: the accounts the archived close started from
        from flows.archive import books_from
        run.state["books"] = books_from(Path(run.books).read_bytes())
    else:
        run.state["books"] = load_books(run.database(), run.period)
    run.state["started_at"] = datetime.now()


def _frame(con, sql: str, params: list, schema: dict) -> pl.DataFrame:
    return pl.DataFrame(con.execute(sql, params).fetchall(), schema=schema, orient="row")


def load_books(con, period: str) -> Books:
    """The previous close's open items and credits, and corrections already put into this month."""
    names = store.table_names(con)
    books = Books()
    if "member_ledger" in names:
        (previous,) = con.execute("SELECT max(period) FROM member_ledger WHERE period < ?", [period]).fetchone()
        if previous:
            g = sql_grosze
            books.items = _frame(con, f"SELECT period, member_id, unit_id, for_period, category, {g('dues_open')}, "
                                      f"{g('surcharge_open')} FROM ledger_items WHERE period = ?", [previous],
                                 ITEM_SCHEMA)
            books.credits = dict(con.execute(f"SELECT member_id, {g('credit')} FROM member_ledger "
                                             "WHERE period = ? AND credit <> 0", [previous]).fetchall())
        books.received_units = {u for (u,) in con.execute(
            "SELECT DISTINCT unit_id FROM member_ledger WHERE period < ? AND basis = 'received'", [period]).fetchall()}
    if "settlement" in names:
        books.corrections = _frame(con, f"SELECT period, unit_id, level, {sql_grosze('amount')}, basis, corrects "
                                        "FROM settlement WHERE period = ? AND basis = 'correction'", [period],
                                   SETTLEMENT_SCHEMA)
    return books


def stage(run: Run) -> None:
    raw = run.state["raw"]
    run.progress(f"[2/5] sprawdzanie: {raw.members['member_id'].n_unique()} członków, {raw.income.height} wierszy dochodu")
    staged = close_logic.validate(raw, run.state["rules"])
    validate_staged(staged)
    run.state["staged"] = staged
    release(raw)


def release(raw) -> None:
    """What staging read and nothing needs again is let go before the month is computed (at
    national scale a third of the peak memory): the income frame (its lines live on, checked, in
    the staged frames) and the register's text (only its row count is used again)."""
    raw.income = raw.income.clear()
    raw.members = raw.members.select("_row")


def compute(run: Run) -> None:
    run.progress("[3/5] składki i podział")
    staged = run.state.pop("staged")        # the month's result replaces it (memory at national scale)
    rules = run.state["rules"] = run.state["rules"].only(set(staged.units.units["rulebook"]))
    result = close_logic.finish(run.state["raw"], staged, close_logic.compute(staged, rules), rules,
                                run.state["books"])
    validate_close(result, [lvl.code for lvl in rules.levels], [c.category for c in rules.categories])
    assert result.rows_read == result.rows_used + result.rows_rejected + result.rows_skipped
    run.state["result"] = result


def save(run: Run) -> None:
    """Every table of the period in the run's one transaction; a re-run replaces the period's
    rows, keeping what it replaces in `history`. A re-close never rewrites the month's settlement:
    what changed goes into the next month's settlement as a correction (issue 11)."""
    result = run.state["result"]
    run.progress(f"[4/5] zapis do {run.db}")
    con = run.database()
    with store.memory_limit(con, settings.STORE_MEMORY_LIMIT):
        _save(run, result, con)


def _save(run: Run, result, con) -> None:
    run_id = run.state["run_id"] = str(uuid.uuid4())
    reclose = reclose_settlement(con, run_id, result)
    frames = {"dues": result.dues, "allocations": result.allocations, "exceptions": result.exceptions,
              "transfers": result.transfers, "units": result.units.with_columns(period=pl.lit(result.period)),
              "deduction_check": result.deduction_check,
              "regions": result.regions.with_columns(period=pl.lit(result.period)),
              "receipts": result.receipts.with_columns(reference=pl.col("reference").map_elements(
                  mask_personal, return_dtype=pl.String)),
              "member_ledger": result.ledger, "ledger_items": result.items,
              "employer_claims": result.employer_claims, "adjustments_in_force": result.adjustments_in_force,
              "dues_derivation": result.derivation, "income_lines": result.income_lines,
              "split_steps": result.split_steps, "memberships": result.memberships,
              "unit_exceptions": result.unit_exceptions}
    for table in CLOSE_TABLES:
        store.write(con, table, frames[table], period=result.period)
    store.ensure(con, "settlement")
    if not reclose:
        for basis in sorted(set(result.basis.values())):
            store.write(con, "settlement", result.settlement.filter(pl.col("basis") == basis),
                        period=result.period, basis=basis)
    from flows.archive import capture, used_files
    run.state["archived_bytes"] = capture(con, run_id, used_files(run.state["raw"], run.state["books"]),
                                          run.state.get("packed"))
    store.append(con, "runs", pl.DataFrame([{
        "run_id": run_id, "period": result.period, "started_at": run.state["started_at"],
        "finished_at": datetime.now(), "rulebook_version": result.rulebook_version,
        "rows_read": result.rows_read, "rows_used": result.rows_used, "rows_rejected": result.rows_rejected,
        "rows_skipped": result.rows_skipped, "input_sha256": result.input_sha256}]))


def _stored(con, table: str, period: str, columns: str, money: tuple[str, ...], schema: dict,
            where: str = "") -> pl.DataFrame:
    cols = ", ".join(sql_grosze(c) if c in money else c for c in columns.split(", "))
    return _frame(con, f"SELECT {cols} FROM {table} WHERE period = ? {where}", [period], schema)


def reclose_settlement(con, run_id: str, result) -> bool:
    """On a re-close of a settled month: keep the replaced rows in `history`, store the difference
    report, and put what the settlement would change into the next month's settlement
    (`corrections`; the next month's transfers are recomputed if it is closed). The month's own
    settlement and transfers stay as they were. Returns whether the month was settled before."""
    names = store.table_names(con)
    period = result.period
    if "settlement" not in names or not con.execute(
            "SELECT count(*) FROM settlement WHERE period = ? AND basis <> 'correction'", [period]).fetchone()[0]:
        return False
    (previous_run,) = con.execute("SELECT arg_max(run_id, finished_at) FROM runs WHERE period = ?",
                                  [period]).fetchone()
    store.ensure(con, "history")
    for table in KEPT_IN_HISTORY:
        if table in names:
            con.execute(f"INSERT INTO history SELECT ?, ?, period, ?, CAST(to_json(t) AS VARCHAR) FROM {table} t "
                        "WHERE period = ?", [run_id, previous_run, table, period])
    settled = _stored(con, "settlement", period, "period, unit_id, level, amount, basis, corrects", ("amount",),
                      SETTLEMENT_SCHEMA, "AND basis <> 'correction'")
    corrected = _frame(con, f"SELECT period, unit_id, level, {sql_grosze('amount')}, basis, corrects FROM settlement "
                            "WHERE corrects = ?", [period], SETTLEMENT_SCHEMA)
    before = pl.concat([settled, corrected])
    fresh = result.settlement.filter(pl.col("basis") != "correction")
    ledger_before = (_stored(con, "member_ledger", period, "period, member_id, unit_id, owed, received, "
                             "applied_dues, applied_surcharge, credit, arrears, balance, months_unpaid, oldest_unpaid, "
                             "basis", ("owed", "received", "applied_dues", "applied_surcharge", "credit", "arrears",
                                       "balance"), LEDGER_SCHEMA)
                     if "member_ledger" in names else pl.DataFrame(schema=LEDGER_SCHEMA))
    report = differences(period, ledger_before, result.ledger, before, fresh)
    store.write(con, "close_differences", report.with_columns(run_id=pl.lit(run_id)), run_id=run_id)
    delta = settlement_delta(fresh, before)
    following = shift_period(period, 1)
    store.write(con, "corrections", delta.with_columns(run_id=pl.lit(run_id), corrected_period=pl.lit(period),
                                                      applied_in=pl.lit(following)), run_id=run_id)
    store.append(con, "settlement", delta.select(pl.lit(following).alias("period"), "unit_id", "level", "amount",
                                                 pl.lit("correction").alias("basis"),
                                                 pl.lit(period).alias("corrects")))
    # the month keeps its settlement (what was due and moved); its transfers follow it
    kept = pl.concat([settled, result.settlement.filter(pl.col("basis") == "correction")])
    result.settlement = kept
    result.transfers = transfers_from(result.units, kept, rules_for(period).only(set(result.units["rulebook"])),
                                      owed=result.allocations)
    if delta.height and con.execute("SELECT count(*) FROM units WHERE period = ?", [following]).fetchone()[0]:
        retransfer(con, following)
    result.differences = report
    result.corrections = delta
    return True


def retransfer(con, period: str) -> None:
    """A closed month's transfers again, from its stored settlement (corrections included)."""
    # the cascade's shape (not its shares) decides the flows, so the stored register is enough
    units = _frame(con, "SELECT unit_id, region_id, sheltered, rulebook FROM units WHERE period = ?", [period],
                   {"unit_id": pl.String, "region_id": pl.String, "sheltered": pl.Boolean, "rulebook": pl.String})
    rules = rules_for(period).only(set(units["rulebook"]))
    settlement = _stored(con, "settlement", period, "period, unit_id, level, amount, basis, corrects", ("amount",),
                         SETTLEMENT_SCHEMA)
    allocations = _frame(con, f"SELECT unit_id, level, {sql_grosze('amount')} FROM allocations WHERE period = ?",
                         [period], {"unit_id": pl.String, "level": pl.String, "amount": pl.Int64})
    store.write(con, "transfers", transfers_from(units, settlement, rules, owed=allocations), period=period)


def report(run: Run) -> None:
    """The close workbook and (optionally) one workbook per unit in ``out/jednostki``."""
    if not run.params.get("out"):
        return
    run.progress("[5/5] skoroszyty")
    result, rules = run.state["result"], run.state["rules"]
    con = run.database()
    close_reports.write_close_workbook(con, rules, run.output(f"zamkniecie_{result.period}.xlsx"))
    want = run.params.get("unit_workbooks")
    if want is None:     # a unit's or a region's close writes them; a national close leaves them on demand
        want = result.units.height <= settings.UNIT_DOCUMENTS_AT_CLOSE
        run.state["unit_documents_deferred"] = not want
    if want:
        run.state["unit_workbooks"] = close_reports.write_unit_workbooks(
            con, rules, result.names, lambda name: run.output(f"jednostki/{name}"), settings.DATA / "fonts",
            run.progress)


CLOSE = Command(
    name="close", flow_name="monthly-close", check=check, summary=close_reports.summary_text,
    table=close_reports.transfers_table,
    steps=(Step("read", read, retries=2), Step("stage", stage), Step("compute", compute),
           Step("store", save, retries=2), Step("report", report, retries=2)))
