"""`skladki replay --run ID --db FILE` (issues 18, 27): a close re-run from its archive into a
scratch database, together with what the recorded runs did to its month since, and compared
with the stored tables — so an auditor tells a recorded re-close from a changed database.

- **The run itself** is closed again from its archived inbox, rulebooks, messages and the
  members' accounts it started from.
- **An approved month closed again** (RULES.md §13) keeps the approved run's settlement and
  register: the approving run is replayed first into the same scratch database and approved
  there, so the replay keeps the same rows and works out the same corrections. The corrections
  it gives must equal those recorded (`corrections`) for the month by the runs up to this one.
- **Corrections put into the month** by re-closes of earlier months (settlement rows with
  ``basis = 'correction'``) must each be recorded in `corrections`; the recorded ones are put
  into the scratch month before its transfers are worked out again.
- **A superseded run** (its month closed again since) is compared with the rows kept in
  `history` when they were replaced.

Every table of the month equal: "zgodne", exit 0. Any stored row no recorded run gives: exit 1,
naming the table, the unit and the rows that differ (nothing is written either way).

read (the archives, into a temporary folder) → compute (closed again into a scratch database,
then compared; the temporary folder removed).
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from flows import store
from flows.archive import BOOKS, archived_rules, check, extract
from flows.command import CLOSED_DB, Command, Params, Run, option, run_plain
from schemas.tables import CLOSE_TABLES, KEPT_IN_HISTORY, TABLES
from transforms.errors import UserError, mask_personal
from transforms.money import format_pl, sql_grosze
from transforms.polish import count

CORRECTION = {"unit_id": pl.String, "level": pl.String, "corrects": pl.String, "amount": pl.Int64}

@dataclass(frozen=True, kw_only=True)
class ReplayParams(Params):
    run: str = option("numer przebiegu (tabela runs)", title="Numer przebiegu", form="run_id z tabeli runs")
    db: Path = option("plik bazy DuckDB", **CLOSED_DB)


@dataclass(frozen=True)
class ReplayInputs:
    tmp: Path                       # the archives extracted (run/, base0/, …) and the scratch database
    run: dict                       # the run's row of `runs` (run_id, period, files, units)
    base: list[tuple[str, list[str]]]   # (approving run, its units) replayed first
    corrections_in: dict            # corrections put into the month: stored and recorded


@dataclass(frozen=True)
class ReplayResult:
    run: dict
    base: list[tuple[str, list[str]]]
    corrections_in: dict
    found: dict                     # table -> (rows only in the replay, rows only in the database), None: not compared


def read(run: Run) -> ReplayInputs:
    """The run's archive, and the archives of the runs whose approved months it closed again."""
    run_id = run.params.run
    tmp = Path(tempfile.mkdtemp(prefix="skladki-replay-"))
    run.progress(f"[1/3] archiwum przebiegu {run_id}")
    try:
        with store.read_only(run.params.db) as con:
            info = extract(con, run_id, tmp / "run")
            base = approved_before(con, run_id, info["period"], info["units"])
            for i, (approving, _) in enumerate(base):
                extract(con, approving, tmp / f"base{i}")
            corrections_in = corrections_into(con, run_id, info["period"], info["units"])
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ReplayInputs(tmp=tmp, run=info, base=base, corrections_in=corrections_in)


def compute(run: Run, inputs: ReplayInputs) -> ReplayResult:
    """The close replayed into a scratch database and every table of the month compared with the
    stored one; the temporary folder removed either way."""
    try:
        replay(run, inputs)
        found = compare(run, inputs)
    finally:
        shutil.rmtree(inputs.tmp, ignore_errors=True)
    return ReplayResult(run=inputs.run, base=inputs.base, corrections_in=inputs.corrections_in, found=found)


def approved_before(con, run_id: str, period: str, units: list[str] | None) -> list[tuple[str, list[str]]]:
    """(approving run, its units) for the units whose month was approved before this run closed
    it again (an approval is never taken back, so the current state says it)."""
    names = store.table_names(con)
    if not units or "unit_months" not in names:
        return []
    rows = con.execute("SELECT m.run_id, list(m.unit_id ORDER BY m.unit_id) FROM unit_months m "
                       "JOIN runs a ON a.run_id = m.run_id, runs r WHERE r.run_id = ? AND m.period = ? "
                       "AND m.state = 'approved' AND list_contains(?, m.unit_id) AND m.run_id <> ? "
                       "AND a.finished_at < r.finished_at GROUP BY m.run_id, a.finished_at ORDER BY a.finished_at",
                       [run_id, period, units, run_id]).fetchall()
    return [(r, list(u)) for r, u in rows]


def _superseding(con, run_id: str, names: set[str]) -> str | None:
    if "history" not in names:
        return None
    (by,) = con.execute("SELECT any_value(superseded_by) FROM history WHERE superseded_run = ?", [run_id]).fetchone()
    return by


def corrections_into(con, run_id: str, period: str, units: list[str] | None) -> dict:
    """The correction rows of the month as stored with the run's rows (now, or in `history` when
    superseded), and those recorded in `corrections` by the runs up to then, per unit and level."""
    names = store.table_names(con)
    by = _superseding(con, run_id, names)
    mine = "(CAST(? AS VARCHAR[]) IS NULL OR list_contains(?, unit_id))"
    if by is None:
        stored = con.execute(f"SELECT unit_id, level, corrects, {sql_grosze('amount')} FROM settlement "
                             f"WHERE period = ? AND basis = 'correction' AND {mine}", [period, units, units]).fetchall() \
            if "settlement" in names else []
    else:
        stored = con.execute(
            "SELECT j->>'unit_id', j->>'level', j->>'corrects', CAST(round(CAST(j->>'amount' AS DECIMAL(18,2)) * 100) "
            "AS BIGINT) FROM (SELECT CAST(row_json AS JSON) AS j FROM history WHERE superseded_run = ? "
            "AND superseded_by = ? AND table_name = 'settlement') WHERE j->>'basis' = 'correction'",
            [run_id, by]).fetchall()
    until = by or run_id
    recorded = con.execute(
        f"SELECT c.unit_id, c.level, c.corrected_period, {sql_grosze('c.amount')} FROM corrections c "
        "JOIN runs w ON w.run_id = c.run_id, runs u WHERE u.run_id = ? AND c.applied_in = ? "
        f"AND w.finished_at <= u.finished_at AND {mine.replace('unit_id', 'c.unit_id')}",
        [until, period, units, units]).fetchall() if "corrections" in names else []
    return {"stored": _sums(stored), "recorded": _sums(recorded)}


def _sums(rows: list) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=CORRECTION, orient="row")
    return frame.group_by("unit_id", "level", "corrects").agg(pl.col("amount").sum()).filter(pl.col("amount") != 0) \
        .sort(pl.all())


def replay(run: Run, inputs: ReplayInputs) -> None:
    """The approving runs first (approved in the scratch database), then the run itself; then the
    month's recorded corrections put in and its transfers worked out again."""
    from flows.close import CLOSE, retransfer
    tmp, info, run_id = inputs.tmp, inputs.run, run.params.run
    period, scratch = info["period"], tmp / "replay.duckdb"
    run.progress(f"[2/3] ponowne zamknięcie {period} z archiwum")
    for i, (approving, units) in enumerate(inputs.base):
        _close(CLOSE, tmp / f"base{i}", period, scratch, units, run_id)
        con = duckdb.connect(str(scratch))
        try:
            con.execute("UPDATE unit_months SET state = 'approved', run_id = last_run_id WHERE period = ? "
                        "AND list_contains(?, unit_id)", [period, units])
        finally:
            con.close()
    _close(CLOSE, tmp / "run", period, scratch, info["units"], run_id)
    stored = inputs.corrections_in["stored"]
    with archived_rules(tmp / "run"):
        con = duckdb.connect(str(scratch))
        try:
            con.execute("DELETE FROM settlement WHERE period = ? AND basis = 'correction'", [period])
            store.append(con, "settlement", stored.select(pl.lit(period).alias("period"), "unit_id", "level", "amount",
                                                          pl.lit("correction").alias("basis"), "corrects"))
            retransfer(con, period)
        finally:
            con.close()


def _close(command, folder: Path, period: str, scratch: Path, units: list[str] | None, run_id: str) -> None:
    with archived_rules(folder):
        outcome = run_plain(command, lambda msg: None, period=period, inbox=folder / "inbox", db=scratch, out=None,
                            unit_workbooks=False, books=folder / "books" / BOOKS, units=units)
    if not outcome.ok:
        raise UserError("replay_failed", run=run_id, detail=outcome.message)


def compare(run: Run, inputs: ReplayInputs) -> dict:
    """Every table of the month, row for row; the corrections out of it and into it against
    those recorded. The tables compared (what differs raises ``replay_differs``)."""
    tmp, period, run_id = inputs.tmp, inputs.run["period"], run.params.run
    units = inputs.run["units"]
    run.progress("[3/3] porównanie tabel")
    found, detail = {}, []
    with store.read_only(run.params.db) as con:
        names = store.table_names(con)          # the stored database's own (before the scratch one is attached)
        con.execute(f"ATTACH '{tmp / 'replay.duckdb'}' AS r (READ_ONLY)")
        if units and "unit_months" in names:     # the run's own units (RULES.md §13)
            (latest,) = con.execute("SELECT any_value(last_run_id) FROM unit_months WHERE period = ? "
                                    "AND list_contains(?, unit_id) AND last_run_id = ?",
                                    [period, units, run_id]).fetchone()
        else:
            (latest,) = con.execute("SELECT arg_max(run_id, finished_at) FROM runs WHERE period = ?",
                                    [period]).fetchone()
        superseded_by = None if latest == run_id else _superseding(con, run_id, names)
        if latest != run_id and superseded_by is None:      # replaced, yet none of its rows kept
            found["history"] = (0, 1)
            detail.append("history: brak wierszy, które zastąpiło ponowne zamknięcie tego miesiąca")
        for table in CLOSE_TABLES + ("settlement",):
            cols = ", ".join(f'"{c.name}"' for c in TABLES[table].columns if c.name != "scope")
            where = "period = ?"
            key = "payer_id" if table == "transfers" else TABLES[table].unit_key
            if units and key:
                where += f" AND (list_contains({units!r}, {key}) OR {key} IS NULL)"
            replayed = f"SELECT {cols} FROM r.{table} WHERE {where}"
            if latest == run_id and table not in names:       # a table of the month gone from the database
                (n,) = con.execute(f"SELECT count(*) FROM ({replayed})", [period]).fetchone()
                found[table] = (n, 0)
                if n:
                    detail.append(f"{table}: brak tabeli w bazie; z powtórzenia {count(n, 'wiersz')}")
                continue
            if latest == run_id:
                stored, params = f"SELECT {cols} FROM main.{table} WHERE {where}", [period]
            elif table in KEPT_IN_HISTORY and superseded_by:  # compared with the rows kept when it was replaced
                stored = ("SELECT row_json FROM history WHERE superseded_run = ? AND superseded_by = ? "
                          "AND table_name = ?")
                params = [run_id, superseded_by, table]
                replayed = f"SELECT CAST(to_json(t) AS VARCHAR) FROM (SELECT * FROM r.{table} WHERE {where}) t"
            else:
                found[table] = None
                continue
            extra = con.execute(f"{replayed} EXCEPT ALL {stored}", [period] + params).fetchall()
            gone = con.execute(f"{stored} EXCEPT ALL {replayed}", params + [period]).fetchall()
            found[table] = (len(extra), len(gone))
            if extra or gone:
                detail.append(differing_rows(table, extra, gone))
        corrections = corrections_out(con, run_id, period, units, names)
    into = inputs.corrections_in
    found["corrections"] = _check(detail, "korekty wpisane do miesiąca", into["stored"], into["recorded"],
                                  "z zapisanych korekt")
    if corrections is not None:
        found["corrections"] = tuple(map(sum, zip(found["corrections"], _check(
            detail, "korekty tego miesiąca", corrections["recorded"], corrections["replayed"], "z powtórzenia"))))
    differing = {t: v for t, v in found.items() if v and (v[0] or v[1])}
    if differing:
        raise UserError("replay_differs", run=run_id, period=period, tables="; ".join(
            f"{t}: {count(a, 'wiersz')} innych w powtórzeniu, {b} w bazie" for t, (a, b) in differing.items()),
            rows=" | ".join(detail))
    return found


def corrections_out(con, run_id: str, period: str, units: list[str] | None, names: set[str]) -> dict | None:
    """The corrections of the month the replay worked out, and those recorded by the runs up to
    this one (a re-close of an approved month); None when the replay made none and none are recorded."""
    mine = "(CAST(? AS VARCHAR[]) IS NULL OR list_contains(?, unit_id))"
    replayed = con.execute(f"SELECT unit_id, level, corrected_period, {sql_grosze('amount')} FROM r.corrections "
                           f"WHERE corrected_period = ? AND {mine}", [period, units, units]).fetchall() \
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'r' AND table_name = 'corrections'"
                       ).fetchone()[0] else []
    recorded = con.execute(
        f"SELECT c.unit_id, c.level, c.corrected_period, {sql_grosze('c.amount')} FROM corrections c "
        "JOIN runs w ON w.run_id = c.run_id, runs u WHERE u.run_id = ? AND c.corrected_period = ? "
        f"AND w.finished_at <= u.finished_at AND {mine.replace('unit_id', 'c.unit_id')}",
        [run_id, period, units, units]).fetchall() if {"corrections", "runs"} <= names else []
    if not replayed and not recorded:
        return None
    return {"replayed": _sums(replayed), "recorded": _sums(recorded)}


def _check(detail: list[str], what: str, stored: pl.DataFrame, expected: pl.DataFrame, source: str) -> tuple[int, int]:
    """Stored corrections against the recorded (or replayed) ones; what differs goes into ``detail``."""
    def shown(frame: pl.DataFrame) -> list:
        return [(u, level, corrects, format_pl(amount)) for u, level, corrects, amount in frame.rows()]
    extra = stored.join(expected, on=stored.columns, how="anti")
    gone = expected.join(stored, on=stored.columns, how="anti")
    if extra.height or gone.height:
        detail.append(f"{what}: w bazie {_rows(shown(extra))}; {source} {_rows(shown(gone))}")
    return gone.height, extra.height


def differing_rows(table: str, extra: list, gone: list) -> str:
    """'settlement: w bazie (2026-10, U1, region, 12.35, …); z powtórzenia (…)' — a few rows."""
    return f"{table}: w bazie {_rows(gone)}; z powtórzenia {_rows(extra)}"


def _rows(rows: list, limit: int = 3) -> str:
    if not rows:
        return "—"
    shown = ", ".join("(" + ", ".join("—" if v is None else str(v) for v in r) + ")" for r in rows[:limit])
    return mask_personal(shown + (f" … (+{len(rows) - limit})" if len(rows) > limit else ""))


def summary(run: Run, result: ReplayResult) -> str:
    found = result.found
    same = [t for t, v in found.items() if v == (0, 0) and t != "corrections"]
    skipped = [t for t, v in found.items() if v is None]
    lines = [f"Powtórzenie przebiegu {run.params.run} ({result.run['period']}, plików w archiwum: "
             f"{result.run['files']}): zgodne",
             f"  tabele identyczne ({len(same)}): {', '.join(same)}"]
    for approving, units in result.base:
        lines.append(f"  miesiąc zatwierdzony wcześniej ({', '.join(units)}): powtórzony razem z przebiegiem "
                     f"{approving}, korekty zgodne z zapisanymi")
    if result.corrections_in["stored"].height:
        lines.append(f"  korekty wpisane do miesiąca ({result.corrections_in['stored'].height}): zgodne z zapisanymi")
    if skipped:
        lines.append(f"  nie porównano (przebieg zastąpiony, wiersze nie przechowane): {', '.join(skipped)}")
    return "\n".join(lines)


REPLAY = Command(
    params=ReplayParams, help='Powtarza zamknięcie z jego archiwum w bazie roboczej i porównuje każdą tabelę miesiąca.',
    run_name=lambda p: f"powtórzenie {p.get('run')}", engine="plain",
    name="replay", flow_name="replay", check=check, read=read, compute=compute, summary=summary)
