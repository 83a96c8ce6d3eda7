"""A unit's month (RULES.md §13): the close covers its own units, a draft until approved,
incomplete when expected inputs are missing, corrected in the open once approved.

- **Scope.** A close stores the months of the units it closes (the inbox's valid units, or the
  ones named with ``--unit``); every other unit's rows of that month stay as they were. What a
  region moves on (its forwards) is worked out again from all units' current months.
- **States** (table ``unit_months``): ``draft`` after every close; ``approved`` after
  ``skladki approve`` (or a reconciliation that found the unit's transfer paid). Re-closing a
  draft replaces it wholly; re-closing an approved month keeps its settlement and transfers and
  carries the difference into the unit's next month that is not approved, as correction lines
  with their reason.
- **Incomplete** (decided here, documented in docs/months.md and docs/poradnik_skarbnika.md): a unit's month is
  incomplete when (1) a member who owes dues from income has no income line (``missing_income``),
  or (2) an employer's file is missing: every member it brought regular pay for (the components of
  data/months.toml) in the unit's previous closed month, and who owes dues now, has no regular pay
  from it this month and from fewer files than then (a member working for two employers whose second
  file did not come counts; a one-off bonus list is not expected again). Files are
  the same employer's when their names are equal apart from their digits
  (``huta_lista_plac_2026-09.csv`` and ``huta_lista_plac_2026-10.csv``); a file counts when it
  holds income of the month closed (last month's file left in the inbox does not); an employer
  whose export got a new name is not missing (its members still have their income).
- **In order** (decided for issue 27): a unit's closed months are one unbroken run. A month is
  refused when it would leave a gap (an earlier month of the unit closed and the month before
  this one not, or a later one closed and the month after this one not); the message names the
  month to close first. A unit's first month may be any month.
- **Later months.** When a month is closed again after later months of the same units were
  closed, those later months are closed again in the same run from their archived inboxes, in
  order, from the accounts the earlier month now leaves: a later draft is replaced, a later
  approved month gets corrections. No month keeps a stale carried balance.
"""
from __future__ import annotations

import re
import tomllib
from datetime import datetime
from functools import lru_cache

import polars as pl

from flows import settings, store
from transforms.errors import UserError
from transforms.polish import count


def employer_key(source: str) -> str:
    """The same employer's file in any month: its name with every run of digits as '#'."""
    return re.sub(r"\d+", "#", source.lower())


@lru_cache(maxsize=1)
def regular_components() -> list[str]:
    """The components whose file is expected every month (data/months.toml)."""
    return list(tomllib.loads((settings.DATA / "months.toml").read_text(encoding="utf-8"))["regular_components"])


def adopt_earlier_closes(con) -> None:
    """Months closed before units' months had states (a database from before issue 25) become
    drafts of the run that closed them, so they can be approved and later closes see them."""
    names = store.table_names(con)
    if "units" not in names or "runs" not in names:
        return
    store.ensure(con, "unit_months")
    con.execute("""
        INSERT INTO unit_months (period, unit_id, state, run_id, last_run_id, incomplete)
        SELECT u.period, u.unit_id, 'draft', r.run_id, r.run_id, false
        FROM (SELECT DISTINCT period, unit_id FROM units) u
        JOIN (SELECT period, arg_max(run_id, finished_at) AS run_id FROM runs GROUP BY period) r USING (period)
        WHERE NOT EXISTS (SELECT 1 FROM unit_months m WHERE m.period = u.period AND m.unit_id = u.unit_id)""")


def stored_months(con, period: str, units: list[str]) -> dict[str, dict]:
    """unit_id -> its row of ``unit_months`` for ``period`` (closed months of these units)."""
    if "unit_months" not in store.table_names(con) or not units:
        return {}
    return {r["unit_id"]: r for r in store.dicts(
        con, "SELECT * FROM unit_months WHERE period = ? AND list_contains(?, unit_id)", [period, units])}


def previous_closed(con, period: str, units: list[str]) -> dict[str, str]:
    """unit_id -> the unit's latest closed month before ``period``."""
    names = store.table_names(con)
    table = "unit_months" if "unit_months" in names else "units" if "units" in names else None
    if table is None or not units:
        return {}
    return dict(con.execute(f"SELECT unit_id, max(period) FROM {table} WHERE period < ? AND list_contains(?, unit_id) "
                            "GROUP BY unit_id", [period, units]).fetchall())


def closed_months(con, units: list[str]) -> dict[str, set[str]]:
    """unit_id -> the months of the unit already closed."""
    names = store.table_names(con)
    table = "unit_months" if "unit_months" in names else "units" if "units" in names else None
    if table is None or not units:
        return {}
    out: dict[str, set[str]] = {}
    for unit, period in con.execute(f"SELECT DISTINCT unit_id, period FROM {table} WHERE list_contains(?, unit_id)",
                                    [units]).fetchall():
        out.setdefault(unit, set()).add(period)
    return out


def require_in_order(con, period: str, units: list[str]) -> None:
    """A unit's closed months stay one unbroken run (decided for issue 27, docs/months.md): a month
    is refused when an earlier month of the unit is closed and the month before it is not, or when a
    later month is closed and the month after it is not — the message names the month to close
    first. A unit's first month may be any; a month before the closed ones closes them again."""
    from transforms.ledger import shift_period
    before, after = shift_period(period, -1), shift_period(period, 1)
    for unit, closed in sorted(closed_months(con, units).items()):
        if any(p < period for p in closed) and before not in closed:
            raise UserError("month_gap", unit=unit, period=period, missing=before,
                            closed=max(p for p in closed if p < period))
        if any(p > period for p in closed) and after not in closed:
            raise UserError("month_gap", unit=unit, period=period, missing=after,
                            closed=min(p for p in closed if p > period))


def missing_inputs(con, result, units: list[str]) -> dict[str, list[str]]:
    """unit_id -> what is missing from its month (Polish lines); no entry: the month is complete.
    An employer's file has come when it brought income of this month (last month's file left in
    the inbox has not)."""
    return missing_from(con, result.period, units, *missing_parts(result, units, files_matter(con, result.period, units)))


def files_matter(con, period: str, units: list[str]) -> bool:
    """Whether an employer's file can be missing: a month of these units was closed before."""
    return bool(previous_closed(con, period, units)) and "income_lines" in store.table_names(con)


def missing_parts(result, units: list[str], files: bool) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """What ``missing_from`` needs of a computed month (or of each group of a close computed by
    groups, concatenated): members without income (member_id, unit_id), the members considered
    (with dues or without income) and each one's files of this month's regular income (member_id, key;
    only when ``files``: an earlier month closed)."""
    unit_of = result.members.select("member_id", "unit_id")
    missing = (result.exceptions.filter(pl.col("reason_code") == "missing_income").select("member_id")
               .join(unit_of, on="member_id", how="inner").filter(pl.col("unit_id").is_in(units))
               .unique())
    considered = pl.concat([result.dues.select("member_id"), missing.select("member_id")])
    key = pl.col("source").str.to_lowercase().str.replace_all(r"\d+", "#").alias("key")
    regular = pl.col("component").cast(pl.String).is_in(regular_components())
    if not files:
        return missing, considered, pl.DataFrame(schema={"member_id": pl.String, "key": pl.String})
    now = (result.income_lines.lazy().filter((pl.col("line_period") == result.period) & regular)
           .select("member_id", pl.col("source").cast(pl.String)).unique().with_columns(key)
           .select("member_id", "key").unique().collect())
    return missing, considered, now


def missing_from(con, period: str, units: list[str], missing: pl.DataFrame, considered: pl.DataFrame,
                 now: pl.DataFrame) -> dict[str, list[str]]:
    """``missing_inputs`` from its parts (``missing_parts``)."""
    out: dict[str, list[str]] = {}
    missing = missing.sort("unit_id", "member_id")
    for (unit,), rows in missing.group_by("unit_id", maintain_order=True):
        ids = rows["member_id"].to_list()
        more = " …" if len(ids) > 10 else ""
        out.setdefault(unit, []).append(f"członkowie bez żadnego wiersza dochodu ({len(ids)}): {', '.join(ids[:10])}{more}")
    # an employer's file is missing when a member it brought income for last month now has income
    # from fewer employers' files (a renamed file of the same member still counts as come)
    before = previous_closed(con, period, units)
    if not before or "income_lines" not in store.table_names(con):
        return out
    key = pl.col("source").str.to_lowercase().str.replace_all(r"\d+", "#").alias("key")
    rows = con.execute("SELECT DISTINCT i.unit_id, i.period, i.member_id, i.source FROM income_lines i "
                       "JOIN (SELECT unnest(?) AS unit_id, unnest(?) AS period) p USING (unit_id, period) "
                       "WHERE i.line_period = i.period AND list_contains(?, i.component)",
                       [list(before), list(before.values()), regular_components()]).fetchall()
    last = (pl.DataFrame(rows, schema={c: pl.String for c in ("unit_id", "period", "member_id", "source")},
                         orient="row")
            .join(considered, on="member_id", how="semi").with_columns(key))
    counts = (last.group_by("member_id").agg(pl.col("key").n_unique().alias("before"))
              .join(now.group_by("member_id").agg(pl.col("key").n_unique().alias("now")), on="member_id", how="left")
              .select("member_id", (pl.col("now").fill_null(0) < pl.col("before")).alias("fewer")))
    # a file is missing when every member it brought income for (and who owes dues now) has none of
    # it this month and income from fewer files than then
    lost = (last.join(now.with_columns(pl.lit(True).alias("here")), on=["member_id", "key"], how="left")
            .join(counts, on="member_id", how="left")
            .group_by("unit_id", "key").agg(pl.col("period").min(), pl.col("source").min(),
                                            pl.col("member_id").unique().sort(),
                                            (pl.col("fewer") & pl.col("here").is_null()).all().alias("gone"))
            .filter("gone").drop("gone").sort("unit_id", "source"))
    for unit, _, month, source, ids in lost.iter_rows():
        out.setdefault(unit, []).append(
            f"brak pliku pracodawcy: w {month} był {source}, za {period} nie ma dochodu z tego pliku "
            f"({count(len(ids), 'członek')}: {', '.join(ids[:5])}{' …' if len(ids) > 5 else ''})")
    return out


def restrict(result, scope: list[str]) -> None:
    """Keep only the rows of the units in ``scope`` (a close of some units of an inbox).
    Rows tied to no unit stay unless they concern a member of a unit left out."""
    keep = pl.Series(scope, dtype=pl.String)
    others = result.members.filter(~pl.col("unit_id").is_in(keep.implode()))["member_id"].implode()

    def mine(frame: pl.DataFrame | None) -> pl.DataFrame | None:
        if frame is None or "unit_id" not in frame.columns:
            return frame
        unit = pl.col("unit_id")
        if "member_id" in frame.columns:
            return frame.filter(unit.is_in(keep.implode()) | (unit.is_null() & ~pl.col("member_id").is_in(others)))
        return frame.filter(unit.is_in(keep.implode()) | unit.is_null())
    for name in ("dues", "allocations", "exceptions", "deduction_check", "receipts", "ledger", "items", "settlement",
                 "employer_claims", "adjustments_in_force", "arrears", "derivation", "income_lines", "split_steps",
                 "memberships", "units", "transfers", "unit_exceptions"):
        setattr(result, name, mine(getattr(result, name)))
    result.members = result.members.filter(pl.col("unit_id").is_in(keep.implode()))
    result.basis = {u: b for u, b in result.basis.items() if u in set(scope)}


def next_open_month(con, unit: str, period: str) -> str:
    """The unit's first month after ``period`` that is not approved (where a correction goes)."""
    from transforms.ledger import shift_period
    approved = {p for (p,) in con.execute("SELECT period FROM unit_months WHERE unit_id = ? AND period > ? "
                                          "AND state = 'approved'", [unit, period]).fetchall()}
    month = shift_period(period, 1)
    while month in approved:
        month = shift_period(month, 1)
    return month


def correction_reason(report: pl.DataFrame, unit: str) -> str:
    """What changed in a unit's month, in a line (the correction's reason)."""
    members = report.filter((pl.col("subject") == "member") & (pl.col("unit_id") == unit))
    parts = []
    for measure, label in (("owed", "należne składki"), ("received", "wpływy")):
        n = members.filter(pl.col("measure") == measure)["subject_id"].n_unique()
        if n:
            parts.append(f"{label} zmienione u {count(n, 'członka')}")
    return "ponowne zamknięcie po zatwierdzeniu: " + ("; ".join(parts) if parts else "zmienione dane wejściowe")


def month_rows(period: str, run_id: str, scope: list[str], before: dict[str, dict],
               missing: dict[str, list[str]]) -> pl.DataFrame:
    """The ``unit_months`` rows after a close: drafts replaced, approved months kept approved."""
    rows = []
    for unit in scope:
        old = before.get(unit)
        approved = old is not None and old["state"] == "approved"
        rows.append({"period": period, "unit_id": unit, "state": "approved" if approved else "draft",
                     "run_id": old["run_id"] if approved else run_id, "last_run_id": run_id,
                     "incomplete": bool(missing.get(unit)), "missing": "\n".join(missing.get(unit, [])) or None,
                     "approved_by": old["approved_by"] if approved else None,
                     "approved_at": old["approved_at"] if approved else None,
                     "approval_reason": old["approval_reason"] if approved else None,
                     "approved_via": old["approved_via"] if approved else None})
    schema = {"period": pl.String, "unit_id": pl.String, "state": pl.String, "run_id": pl.String,
              "last_run_id": pl.String, "incomplete": pl.Boolean, "missing": pl.String, "approved_by": pl.String,
              "approved_at": pl.Datetime, "approval_reason": pl.String, "approved_via": pl.String}
    return pl.DataFrame(rows, schema=schema)


def approve(con, period: str, units: list[str], by: str, via: str, reason: str | None = None) -> None:
    """Mark these units' months approved (checks are the caller's)."""
    con.execute("UPDATE unit_months SET state = 'approved', approved_by = ?, approved_at = ?, approval_reason = ?, "
                "approved_via = ?, run_id = last_run_id WHERE period = ? AND list_contains(?, unit_id)",
                [by, datetime.now().replace(microsecond=0), reason, via, period, units])


def later_runs(con, period: str, units: list[str]) -> list[tuple[str, str, list[str]]]:
    """(month, run_id, units) of the later closed months of these units, oldest first: the run
    whose inbox each was last closed from."""
    if "unit_months" not in store.table_names(con) or not units:
        return []
    rows = con.execute("SELECT period, last_run_id, list(unit_id ORDER BY unit_id) FROM unit_months "
                       "WHERE period > ? AND list_contains(?, unit_id) GROUP BY ALL ORDER BY period, last_run_id",
                       [period, units]).fetchall()
    return [(p, r, list(u)) for p, r, u in rows]
