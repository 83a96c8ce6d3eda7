"""One shape for every command: read → stage → compute → store → report, declared once.

A command is a ``Command``: its name, its Prefect flow name, a check of its arguments (run before
anything starts), its steps and its summary. Each step is a plain function of the ``Run`` (the
parameters and what earlier steps left); the plain engine calls them in order, the Prefect engine
calls the very same functions as tasks of one flow. Logic lives in transforms/; a step only
reads, calls transforms, stores or writes.

The contract of every command (CONTRACT.md): nothing is committed before everything that can
fail has been done. ``store`` writes into one open DuckDB transaction; ``report`` writes its
files into a staging folder beside ``--out``; then the files are moved into place and the
transaction is committed, last. On any failure the transaction is rolled back, the staging
folder removed and replaced files restored: the database and the output folder are as before.
"""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from flows import store
from transforms.errors import UserError


@dataclass(frozen=True)
class Step:
    name: str
    fn: Callable[["Run"], None]
    retries: int = 0          # reading steps retry once (I/O that may pass on a second try)


@dataclass(frozen=True)
class Command:
    name: str                               # the CLI word: close, reconcile, ...
    flow_name: str                          # the Prefect flow
    steps: tuple[Step, ...]
    summary: Callable[["Run"], str]
    check: Callable[[dict], None] = lambda params: None   # argument checks, before any engine starts
    table: Callable[["Run"], tuple[str, list[dict]]] | None = None   # a table for the UI (Prefect artifact)
    # what a finished run still lacks (RULES.md §13: an incomplete month), in Polish; a Prefect run
    # with something missing does not end Completed
    incomplete: Callable[["Run"], str | None] | None = None


@dataclass
class Run:
    command: Command
    params: dict
    progress: Callable[[str], None] = lambda msg: None
    state: dict = field(default_factory=dict)
    con: Any = None                         # the open DuckDB transaction (store step)
    staging: Path | None = None             # where report writes, moved to --out on success
    outputs: list[Path] = field(default_factory=list)   # final paths of the files written
    _backups: list[tuple[Path, Path | None]] = field(default_factory=list)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["params"][name]
        except KeyError:
            raise AttributeError(name) from None

    # ---- the database: one transaction per run
    def database(self):
        """The run's DuckDB connection inside its one write transaction (opened on first use)."""
        if self.con is None:
            db = Path(self.params["db"])
            self.state["_db_was_new"] = not db.exists()
            db.parent.mkdir(parents=True, exist_ok=True)
            self.con = store.begin(db)
        return self.con

    # ---- outputs: written aside, moved into place at the end
    def output(self, relative: str) -> Path:
        """A path to write an output file to; it reaches ``--out/relative`` only if the run succeeds."""
        out = Path(self.params["out"])
        if self.staging is None:
            out.mkdir(parents=True, exist_ok=True)
            self.staging = out / f".skladki-{uuid.uuid4().hex[:12]}"
            self.staging.mkdir()
            _write_atomic(self.staging / OWNER, _owner())
        path = self.staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        final = Path(self.params["out"]) / relative
        if final not in self.outputs:          # a retried report step writes the same files again
            self.outputs.append(final)
        return path

    @property
    def workbook(self) -> Path | None:
        return self.outputs[0] if self.outputs else None

    @property
    def result(self):
        return self.state.get("result")


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    run: Run | None = None

    @property
    def result(self):
        return self.run.result if self.run else None

    @property
    def workbook(self) -> Path | None:
        return self.run.workbook if self.run else None


def publish(run: Run) -> None:
    """Move the staged files into place (keeping what they replace), then commit, last.

    A run killed on the way (kill -9, a power cut of the process) leaves its staging folder with
    a journal: the moves it meant to make and, right before the commit, the database file's state.
    The next run writing into the same folder (``recover``) rolls the moves back when the commit
    did not happen (the database unchanged since) and finishes them when it did, so the files in
    --out always match the database once a command has run there again."""
    if run.staging is not None:
        out = Path(run.params["out"])
        backup = out / f"{run.staging.name}-poprzednie"
        journal = {"db": str(Path(run.params["db"]).resolve()) if run.con is not None else None, "phase": "moving",
                   "moves": [[final.relative_to(out).as_posix(), final.exists()] for final in run.outputs]}
        _write_atomic(run.staging / JOURNAL, json.dumps(journal))
        for number, final in enumerate(run.outputs, start=1):
            staged = run.staging / final.relative_to(out)
            final.parent.mkdir(parents=True, exist_ok=True)
            kept = None
            try:
                if final.exists():
                    kept = backup / final.relative_to(out)
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(final, kept)
                run._backups.append((final, kept))
                os.replace(staged, final)
            except OSError as e:      # name the user's file (e.g. held open in Excel), not our staging copy
                raise OSError(e.errno, e.strerror, str(final)) from e
            _hook(f"moved:{number}")
        if run.con is not None:
            journal.update(phase="committing", database=_fingerprint(Path(run.params["db"])))
            _write_atomic(run.staging / JOURNAL, json.dumps(journal))
    if run.con is not None:
        store.commit(run.con)
        run.con = None
    _hook("committed")
    _cleanup(run, restore=False)


OWNER, JOURNAL = ".wlasciciel", ".dziennik.json"      # inside a staging folder: its run's process, its moves
STAGING = re.compile(r"\.skladki-[0-9a-f]{12}")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _owner() -> str:
    from flows.server import identity
    return json.dumps({"pid": os.getpid(), "identity": identity(os.getpid())})


def _alive(owner_file: Path) -> bool:
    """Whether the process that made a staging folder still runs (the same process, not a later
    one given its number). A folder without a readable owner is a killed run's when it is more
    than a minute old."""
    from flows.server import identity
    try:
        owner = json.loads(owner_file.read_text(encoding="utf-8"))
        return identity(int(owner["pid"])) == owner["identity"]
    except (OSError, ValueError, KeyError, TypeError):
        try:
            return time.time() - owner_file.parent.stat().st_mtime < 60
        except OSError:
            return False


def _fingerprint(db: Path) -> list:
    """The database files' sizes and times: a commit changes them, a killed transaction does not."""
    out = []
    for path in (db, db.with_name(db.name + ".wal")):
        try:
            st = path.stat()
            out.append([st.st_size, st.st_mtime_ns])
        except OSError:
            out.append(None)
    return out


def recover(out: Path) -> list[str]:
    """Staging folders of killed runs in ``out`` (never one whose process still runs): a half-done
    move is rolled back (its database not committed) or finished (committed), then the folder
    and its kept files are removed. Returns what was done, for the progress line."""
    done = []
    try:
        entries = sorted(p for p in out.iterdir() if STAGING.fullmatch(p.name) and p.is_dir())
    except OSError:
        return done
    for staging in entries:
        if _alive(staging / OWNER):
            continue
        backup = staging.with_name(staging.name + "-poprzednie")
        try:
            journal = json.loads((staging / JOURNAL).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            journal = None
        if journal is not None:
            committed = journal["db"] is None or (journal["phase"] == "committing" and
                                                  _fingerprint(Path(journal["db"])) != journal["database"])
            for relative, existed in journal["moves"]:
                final, kept, staged = out / relative, backup / relative, staging / relative
                if committed:
                    if staged.exists():
                        if final.exists() and not kept.exists():
                            kept.parent.mkdir(parents=True, exist_ok=True)
                            os.replace(final, kept)
                        os.replace(staged, final)
                elif kept.exists():
                    os.replace(kept, final)
                elif not existed and not staged.exists():
                    final.unlink(missing_ok=True)
            done.append(("dokończono" if committed else "wycofano") + f" przenoszenie plików przerwanego przebiegu "
                        f"({staging.name})")
        else:
            done.append(f"usunięto folder roboczy przerwanego przebiegu ({staging.name})")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(backup, ignore_errors=True)
    for backup in out.glob(".skladki-*-poprzednie"):      # kept files of a run that finished its commit
        if STAGING.fullmatch(backup.name.removesuffix("-poprzednie")) and not backup.with_name(
                backup.name.removesuffix("-poprzednie")).exists():
            shutil.rmtree(backup, ignore_errors=True)
    return done


def _hook(moment: str) -> None:
    """Tests of kill -9 (SKLADKI_TEST_PAUSE=moved:1 or committed): say the moment on stderr and
    wait there to be killed."""
    if os.environ.get("SKLADKI_TEST_PAUSE") == moment:
        print(f"skladki-test-pause {moment}", file=sys.stderr, flush=True)
        time.sleep(120)


def abandon(run: Run) -> None:
    """A failed run: roll back the transaction, restore replaced files, remove staged ones."""
    if run.con is not None:
        with suppress(Exception):
            store.rollback(run.con)
        run.con = None
        if run.state.get("_db_was_new"):      # a database this run created: not left behind
            db = Path(run.params["db"])
            for path in (db, db.with_name(db.name + ".wal")):
                with suppress(OSError):
                    path.unlink()
    _cleanup(run, restore=True)


def _cleanup(run: Run, restore: bool) -> None:
    if restore:
        for final, kept in reversed(run._backups):
            with suppress(OSError):
                if kept is not None:
                    os.replace(kept, final)
                else:
                    final.unlink()
    if run.staging is not None:
        shutil.rmtree(run.staging, ignore_errors=True)
        shutil.rmtree(Path(str(run.staging) + "-poprzednie"), ignore_errors=True)
        run.staging = None
    if not restore:
        run._backups.clear()


def execute(run: Run, call: Callable[[Step, Run], None]) -> Run:
    """The steps in order, then publish; any failure leaves everything as it was.

    Python's cyclic garbage collector is paused for the run: a large close holds millions of
    small objects (rows, dicts) that each collection walks again and again, while almost nothing
    it makes is cyclic garbage (reference counting frees it). Measured at 200 000 members:
    17.8 s → 13.8 s, the same peak memory."""
    import gc
    collect = gc.isenabled()
    gc.disable()
    try:
        if run.params.get("out"):                # a killed run's half-done moves and staging folders
            for line in recover(Path(run.params["out"])):
                run.progress(line)
        with store.announcing(run.progress):     # a wait for the database is said on the progress lines
            for step in run.command.steps:
                call(step, run)
            publish(run)
    except BaseException as e:
        abandon(run)
        said = anticipated(e, run.params)
        if said is not None and said is not e:
            raise said from e
        raise
    finally:
        if collect:
            gc.enable()
    return run


def anticipated(e: BaseException, params: dict) -> UserError | None:
    """The Polish message of a failure a user can meet and fix, or None for a bug."""
    if isinstance(e, UserError):
        return e
    os_error = _write_error(e)
    if os_error is not None:         # a locked, read-only or full folder: say which, in Polish
        return UserError("cannot_write", path=_final(os_error.filename) or params.get("out") or "",
                         detail=os_error.strerror or str(os_error))
    import duckdb
    if isinstance(e, (duckdb.BinderException, duckdb.CatalogException)):   # an older skladki's database
        return UserError("database_schema", db=params.get("db"), detail=str(e).splitlines()[0])
    if isinstance(e, duckdb.Error):    # a damaged file, another program's file
        return UserError("database_unavailable", db=params.get("db"), detail=str(e).splitlines()[0])
    return None


def _write_error(e: BaseException) -> OSError | None:
    """The OSError behind a failed write: itself, or the one a writer wrapped (XlsxWriter's
    FileCreateError, raised on a full disk or a locked file, is not an OSError)."""
    if isinstance(e, OSError):
        return e
    from xlsxwriter.exceptions import FileCreateError
    if isinstance(e, FileCreateError):
        inner = e.args[0] if e.args and isinstance(e.args[0], OSError) else e.__context__
        return inner if isinstance(inner, OSError) else OSError(None, str(e))
    return None


def _final(path) -> str | None:
    """A file in a run's staging folder named as the user knows it (its place in --out)."""
    if not path:
        return None
    parts = Path(str(path)).parts
    return str(Path(*[p for p in parts if not STAGING.fullmatch(p)])) if parts else None


def _plain_call(step: Step, run: Run) -> None:
    if not os.environ.get("SKLADKI_STEP_TIMES"):   # benchmarks: each step's wall time on stderr
        step.fn(run)
        return
    t0 = time.perf_counter()
    step.fn(run)
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"krok {step.name}: {time.perf_counter() - t0:.2f} s, szczyt pamięci {peak} MiB", file=sys.stderr)


def run_plain(command: Command, progress: Callable[[str], None] = lambda m: None, **params) -> Outcome:
    """The command's steps as plain functions (no Prefect); the same steps the flow runs."""
    return _guarded(command, params, lambda: execute(Run(command, params, progress), _plain_call))


class Handle:
    """A finished run handed back by a Prefect flow. Neither a dataclass nor a collection, so
    Prefect does not walk it (every frame, every row of a large inbox) looking for futures in the
    flow's return value — seconds at 600 000 members."""
    __slots__ = ("run",)

    def __init__(self, run: Run):
        self.run = run


def run_flow_steps(command: Command, params: dict, progress: Callable[[str], None]):
    """Inside a Prefect flow: each step a task (the I/O steps retry, with backoff); every progress
    line goes to the run's log as well, and the finished run leaves its summary, its table and
    the paths of its files as artifacts — all in Polish, as the CLI prints them.

    A run that cannot be done ends as a Failed state carrying the Polish message (the UI shows
    it as the run's error, the log has it once, with no traceback: issue 26); the command line
    gets the UserError back from Prefect. A step's anticipated failure is handed back by its
    task as a value for the same reason (a task that raises logs its traceback): a UserError at
    once, a file or database error once its retries are spent."""
    from prefect import task
    from prefect.cache_policies import NONE   # inputs are large frames; a run always recomputes
    from prefect.logging import get_run_logger
    from prefect.runtime import task_run
    from prefect.utilities.annotations import quote

    def log(msg: str) -> None:
        progress(msg)
        get_run_logger().info(msg)

    def call(step: Step, run: Run) -> None:
        @functools.wraps(step.fn)              # the task is the step's (its name, its key)
        def attempt(run: Run):
            try:
                step.fn(run)
            except Exception as e:  # noqa: BLE001 - anticipated failures become values, bugs raise
                said = anticipated(e, run.params)
                if said is None or (said is not e and task_run.run_count <= step.retries):
                    raise                           # a bug, or an I/O error with a retry left
                return said
        # quote(): Prefect would otherwise walk the whole run (its frames, every row of a large
        # inbox) looking for futures to resolve before each task — measured 0.7 s on the demo
        said = task(attempt, name=step.name, cache_policy=NONE, retries=step.retries,
                    retry_delay_seconds=[1, 5, 15][:step.retries] or 0, persist_result=False)(quote(run))
        if isinstance(said, UserError):
            raise said

    try:
        command.check(params)
        run = execute(Run(command, params, log), call)
    except UserError as e:
        return failed(e)
    publish_artifacts(run)
    handle = Handle(run)
    missing = command.incomplete(run) if command.incomplete else None
    if missing:      # stored as a draft, but not done: the run's state and an artifact say what is missing
        from prefect.artifacts import create_markdown_artifact
        from prefect.states import Failed
        create_markdown_artifact(missing, key=f"{command.name.replace('_', '-')}-braki",
                                 description="Czego brakuje (miesiąc niekompletny)")
        get_run_logger().warning(missing)
        FINISHED["handle"] = handle
        return Failed(name="Niekompletny", message=missing.splitlines()[0])
    return handle


# the run a flow finished although its final state is not Completed (an incomplete month): the
# command line shows its summary as for any other run
FINISHED: dict[str, "Handle"] = {}


def failed(e: UserError):
    """The Failed state of a run that cannot be done: the Polish message in the run's log and as
    its state message, no traceback; calling the flow raises ``e`` again."""
    from prefect.logging import get_run_logger
    from prefect.states import Failed
    get_run_logger().error(f"błąd: {e} Nic nie zostało zapisane.")
    return Failed(message=str(e), data=e)


def publish_artifacts(run: Run) -> None:
    """The run's summary (Markdown), its table (e.g. the transfers due) and its files, in the UI."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact
    from prefect.logging import get_run_logger
    from transforms.polish import cite
    summary = cite(run.command.summary(run))
    get_run_logger().info(summary)
    key = run.command.name.replace("_", "-")
    create_markdown_artifact("```\n" + summary + "\n```", key=f"{key}-podsumowanie",
                             description="Podsumowanie przebiegu")
    if run.command.table is not None:
        title, rows = run.command.table(run)
        if rows:
            create_table_artifact(rows, key=f"{key}-tabela", description=title)
    if run.outputs:
        create_markdown_artifact("\n".join(f"- `{p}`" for p in run.outputs), key=f"{key}-pliki",
                                 description="Zapisane pliki")
    from prefect.logging.handlers import APILogHandler
    APILogHandler().flush()      # the run's log is in the UI when the command returns


def _guarded(command: Command, params: dict, go: Callable[[], Run]) -> Outcome:
    try:
        command.check(params)
        return Outcome(True, "", go())
    except UserError as e:
        return Outcome(False, str(e))


def run_prefect(command: Command, flow_fn: Callable, progress: Callable[[str], None] = lambda m: None,
                **params) -> Outcome:
    """The command as its Prefect flow (a temporary local server unless PREFECT_API_URL is set).

    A run started from the command line sends no heartbeats: heartbeats let a server notice a run
    whose process died, but here the process is the user's terminal, which reports the outcome
    itself, and stopping the heartbeat thread costs up to a second at the end of every command
    (measured: the demo's Prefect runs were bimodal, 4.5 s and 5.8 s). Runs of `skladki serve`
    deployments keep them (they run in processes the runner starts, not through here)."""
    from prefect.flow_engine import FlowRunEngine
    FlowRunEngine.heartbeat_seconds = property(lambda self: None)   # this process runs this one flow

    def go() -> Run:
        FINISHED.clear()
        state = flow_fn(**params, return_state=True)
        if "handle" in FINISHED:          # an incomplete month: stored as a draft, the run not Completed
            return FINISHED.pop("handle").run
        done = state.result()
        return done.run if isinstance(done, Handle) else done
    return _guarded(command, params, go)


def printer(quiet: bool = False) -> Callable[[str], None]:
    return (lambda msg: None) if quiet else (lambda msg: print(msg, flush=True, file=sys.stdout))
