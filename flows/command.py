"""One shape for every command: read → compute → store → report, declared once.

A command is a ``Command``, declared beside its code: its name, its parameters (a frozen
``Params`` dataclass whose fields carry their Polish help, form title and format), a check of its
arguments (run before anything starts), its typed steps and its summary. The command line
(``flows/cli.py``) and the Prefect flows (``flows/orchestration.py``) are both made from the
declarations listed in ``flows/registry.py``; nothing else names a command's parameters.

The steps pass typed values along, each to the next::

    read(run) -> Inputs
    compute(run, inputs) -> Result             # or pure(compute): compute(inputs) -> Result
    store(run, result) -> Result | None        # into run.database(), the run's one transaction
    report(run, result) -> Result | None       # files through run.output(...)
    summary(run, result) -> str

``run`` is the ``Run``: the typed parameters (``run.params``), the progress line, the database
transaction and the output folder. A store or report step that returns a value (e.g. the result
with the run's id, or with the files written) hands it on; None keeps the result as it was. The
plain engine calls the steps in order; the Prefect engine calls the very same functions as tasks
of one flow. Logic lives in transforms/; a step only reads, calls transforms, stores or writes.

A compute that needs nothing of the run is declared as the pure function itself:
``compute=pure(transforms.close.month)`` — ``month(inputs) -> Result``, called by the engine with
the inputs only (no run, no progress line, no database). Its store step then gets both, as
``Computed(inputs, result)``: what was read is not lost on the way (the close's store archives
the inbox and decides from the stored months which units it keeps).

The contract of every command (CONTRACT.md): nothing is committed before everything that can
fail has been done. ``store`` writes into one open DuckDB transaction; ``report`` writes its
files into a staging folder beside ``--out``; then the files are moved into place and the
transaction is committed, last. On any failure the transaction is rolled back, the staging
folder removed and replaced files restored: the database and the output folder are as before.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import shutil
import sys
import time
import typing
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generic, Optional, TypeVar

from flows import store
from transforms.errors import UserError

# ---- parameters: declared once, with their Polish words

CHECKS = ("period", "year", "day", "key", "count0", "count1")


@dataclass(frozen=True)
class Option:
    """How one parameter is asked for. ``help`` is the command line's help and (unless ``form``
    says otherwise) the run form's description; ``title`` the run form's label. ``check`` names
    the format both check (a period RRRR-MM, a day, a year, a seat key, a whole number from 0 or
    1). ``flag`` is the option's name on the command line when it is not ``--<name>``, with a
    ``/--no-…`` part for a three-state switch; ``argument`` makes it positional. ``when_empty``
    (flows only): what an empty form field means — ``previous_month`` or ``today``; the command
    line requires the value. ``cli`` / ``flow`` False: not asked for there."""
    help: str
    title: str = ""
    form: str = ""
    check: str | None = None
    flag: str | None = None
    argument: bool = False
    when_empty: str | None = None
    cli: bool = True
    flow: bool = True
    form_required: bool = False      # required in the run form though the command line has a default

    def __post_init__(self):
        if self.check not in (None, *CHECKS):
            raise ValueError(f"unknown check {self.check!r}")
        if self.when_empty not in (None, "previous_month", "today"):
            raise ValueError(f"unknown when_empty {self.when_empty!r}")


REQUIRED: Any = dataclasses.MISSING

# the words of parameters many commands share (the run form's title and description)
DB = dict(title="Baza danych (plik .duckdb)", form="pełna ścieżka pliku bazy DuckDB; tworzony, jeśli go nie ma")
CLOSED_DB = dict(title="Baza danych (plik .duckdb)", form="pełna ścieżka pliku bazy DuckDB z zamkniętymi miesiącami")
OUT = dict(title="Folder na wyniki", form="pełna ścieżka folderu na skoroszyty Excel i PDF; puste: bez plików")
NEEDED_OUT = dict(title="Folder na wyniki", form="pełna ścieżka folderu na skoroszyty Excel i PDF")
MEMBERS = dict(title="Lista członków (members.csv)",
               form="pełna ścieżka members.csv jednostki: imiona i nazwiska; puste: numery członków")


def option(help: str, default: Any = REQUIRED, **how) -> Any:
    """A field of a command's ``Params``: its default (none: required) and how it is asked for."""
    meta = {"option": Option(help, **how)}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


class Params:
    """Base of every command's parameters (a frozen dataclass): paths given as text become Path."""

    def __post_init__(self):
        for f, kind in options(type(self)):
            value = getattr(self, f.name)
            if value is not None and _base(kind) is Path and not isinstance(value, Path):
                object.__setattr__(self, f.name, Path(value))


def last_month(help: str, title: str = "Okres (RRRR-MM)", form: str = "") -> Any:
    """A month RRRR-MM: required on the command line; in a run form, empty means the previous month
    (a schedule on the 5th works on the month before)."""
    return option(help, None, title=title, check="period", when_empty="previous_month",
                  form=form or "miesiąc w postaci RRRR-MM, np. 2026-10; puste: poprzedni miesiąc")


@dataclass(frozen=True, kw_only=True)
class WritesDb(Params):
    """The parameters of a command that stores into a database (created when missing)."""
    db: Path = option("plik bazy DuckDB (tworzony, jeśli go nie ma)", **DB)
    out: Optional[Path] = option("folder na wyniki: skoroszyty Excel i PDF; bez niego bez plików", None, **OUT)


@dataclass(frozen=True, kw_only=True)
class ReadsDb(Params):
    """The parameters of a command that works from the months closed into a database."""
    db: Path = option("plik bazy DuckDB z zamkniętymi miesiącami", **CLOSED_DB)
    out: Optional[Path] = option("folder na wyniki: skoroszyty Excel i PDF; bez niego bez plików", None, **OUT)


def options(params: type) -> list[tuple[dataclasses.Field, Any]]:
    """The declared fields of a Params type with their resolved types: its own in declaration
    order, then the shared ones."""
    hints = typing.get_type_hints(params)
    own = params.__dict__.get("__annotations__", {})
    fields = dataclasses.fields(params)      # the command's own first, the shared ones (db, out) after
    return [(f, hints[f.name]) for f in sorted(fields, key=lambda f: f.name not in own)]


def _base(kind: Any) -> Any:
    """``Optional[X]`` → X; ``X`` → X."""
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    return args[0] if typing.get_origin(kind) in (typing.Union, getattr(__import__("types"), "UnionType", None)) \
        and len(args) == 1 else kind


P = TypeVar("P", bound=Params)
I = TypeVar("I")     # noqa: E741 - a command's inputs
R = TypeVar("R")     # a command's result


@dataclass(frozen=True)
class Step:
    name: str
    fn: Callable[["Run", Any], Any]     # (run, the value the previous step handed on) -> the next value
    retries: int = 0          # reading and writing steps retry (I/O that may pass on a second try)


class Computed(typing.NamedTuple):
    """What a pure compute hands on: the inputs it was given and the result it made."""
    inputs: Any
    result: Any


@dataclass(frozen=True)
class Pure:
    """A compute step declared as a pure function of the inputs (``pure``)."""
    fn: Callable[[Any], Any]


def pure(fn: Callable[[Any], Any]) -> Pure:
    """Declares ``fn(inputs) -> Result`` as a command's compute: the engine calls it with the read
    step's value only and hands ``Computed(inputs, result)`` on to the store step."""
    return Pure(fn)


def _no_check(params) -> None:
    return None


@dataclass(frozen=True)
class Command(Generic[P, I, R]):
    name: str                               # the CLI word: close, reconcile, ...
    flow_name: str                          # the Prefect flow
    params: type                            # the command's Params dataclass
    help: str                               # the command line's help (Polish), first line for the list
    summary: Callable[["Run", Any], str]
    read: Callable[["Run"], Any] | None = None
    compute: Callable[["Run", Any], Any] | Pure | None = None     # pure(fn): fn(inputs) -> Result
    store: Callable[["Run", Any], Any] | None = None
    report: Callable[["Run", Any], Any] | None = None
    check: Callable[[Any], None] = _no_check      # argument checks, before any engine starts
    table: Callable[["Run", Any], tuple[str, list[dict]]] | None = None   # a table for the UI (Prefect artifact)
    # what a finished run still lacks (RULES.md §13: an incomplete month), in Polish; a Prefect run
    # with something missing does not end Completed
    incomplete: Callable[["Run", Any], str | None] | None = None
    run_name: Callable[[dict], str] | None = None   # the Prefect run's name from its parameters
    flow_function: str = ""                 # the flow's Python name in flows/orchestration (default: name)
    engine: str | None = "auto"             # the command line's default engine; None: plain only
    flow_values: dict = field(default_factory=dict)   # parameters a flow sets itself (approve: via)
    exclusive: tuple[tuple[str, str], ...] = ()       # options not to be given together (usage error)

    @property
    def steps(self) -> tuple[Step, ...]:
        steps = [Step("read", lambda run, _: self.read(run), retries=2)]
        if isinstance(self.compute, Pure):
            fn = self.compute.fn
            steps.append(Step("compute", lambda run, inputs: Computed(inputs, fn(inputs))))
        elif self.compute is not None:
            steps.append(Step("compute", self.compute))
        if self.store is not None:
            steps.append(Step("store", self.store, retries=2))
        if self.report is not None:
            steps.append(Step("report", self.report, retries=2))
        return tuple(steps)

    def make_params(self, values: dict) -> Params:
        """The typed parameters from names and values (the command line's, a flow's, a test's)."""
        known = {f.name for f in dataclasses.fields(self.params)}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"{self.name}: unknown parameters {sorted(unknown)}")
        return self.params(**values)


def titled(word: str, folder: str | None = None) -> Callable[[dict], str]:
    """A run's name: the work, its month (the previous one when none is given) and the folder's name."""
    def name(p: dict) -> str:
        from datetime import date
        from transforms.ledger import shift_period
        period = p.get("period") or shift_period(date.today().isoformat()[:7], -1)
        where = p.get(folder) if folder else None
        return f"{word} {period}" + (f" · {Path(where).name}" if where else "")
    return name


@dataclass
class Run:
    command: Command
    params: Any                             # the command's Params
    progress: Callable[[str], None] = lambda msg: None
    con: Any = None                         # the open DuckDB transaction (store step)
    staging: Path | None = None             # where report writes, moved to --out on success
    outputs: list[Path] = field(default_factory=list)   # final paths of the files written
    value: Any = None                       # what the last step handed on: the result when done
    _backups: list[tuple[Path, Path | None]] = field(default_factory=list)
    _db_was_new: bool = False

    # ---- the database: one transaction per run
    def database(self):
        """The run's DuckDB connection inside its one write transaction (opened on first use)."""
        if self.con is None:
            db = Path(self.params.db)
            self._db_was_new = not db.exists()
            db.parent.mkdir(parents=True, exist_ok=True)
            self.con = store.begin(db)
        return self.con

    # ---- outputs: written aside, moved into place at the end
    def output(self, relative: str) -> Path:
        """A path to write an output file to; it reaches ``--out/relative`` only if the run succeeds."""
        out = Path(self._out)
        if self.staging is None:
            out.mkdir(parents=True, exist_ok=True)
            self.staging = out / f".skladki-{uuid.uuid4().hex[:12]}"
            self.staging.mkdir()
            _write_atomic(self.staging / OWNER, _owner())
        path = self.staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        final = out / relative
        if final not in self.outputs:          # a retried report step writes the same files again
            self.outputs.append(final)
        return path

    @property
    def _out(self):
        return getattr(self.params, "out", None)

    @property
    def workbook(self) -> Path | None:
        return self.outputs[0] if self.outputs else None

    @property
    def result(self):
        return self.value


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
        out = Path(run._out)
        backup = out / f"{run.staging.name}-poprzednie"
        journal = {"db": str(Path(run.params.db).resolve()) if run.con is not None else None, "phase": "moving",
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
            journal.update(phase="committing", database=_fingerprint(Path(run.params.db)))
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
        if run._db_was_new:      # a database this run created: not left behind
            db = Path(run.params.db)
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
        if getattr(run.params, "out", None):     # a killed run's half-done moves and staging folders
            for line in recover(Path(run.params.out)):
                run.progress(line)
        with store.announcing(run.progress):     # a wait for the database is said on the progress lines
            for step in run.command.steps:
                value = call(step, run)
                if value is not None:
                    run.value = value
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
        return UserError("cannot_write", path=_final(os_error.filename) or getattr(params, "out", None) or "",
                         detail=os_error.strerror or str(os_error))
    import duckdb
    if isinstance(e, (duckdb.BinderException, duckdb.CatalogException)):   # an older skladki's database
        return UserError("database_schema", db=getattr(params, "db", None), detail=str(e).splitlines()[0])
    if isinstance(e, duckdb.Error):    # a damaged file, another program's file
        return UserError("database_unavailable", db=getattr(params, "db", None), detail=str(e).splitlines()[0])
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
        return step.fn(run, run.value)
    t0 = time.perf_counter()
    value = step.fn(run, run.value)
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"krok {step.name}: {time.perf_counter() - t0:.2f} s, szczyt pamięci {peak} MiB", file=sys.stderr)
    return value


def run_plain(command: Command, progress: Callable[[str], None] = lambda m: None, **params) -> Outcome:
    """The command's steps as plain functions (no Prefect); the same steps the flow runs."""
    typed = command.make_params(params)
    return _guarded(command, typed, lambda: execute(Run(command, typed, progress), _plain_call))


class Handle:
    """A finished run handed back by a Prefect flow. Neither a dataclass nor a collection, so
    Prefect does not walk it (every frame, every row of a large inbox) looking for futures in the
    flow's return value — seconds at 600 000 members."""
    __slots__ = ("run",)

    def __init__(self, run: Run):
        self.run = run


def run_flow_steps(command: Command, values: dict, progress: Callable[[str], None]):
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
        def attempt(run: Run, _value=None):      # the value travels in the run (Prefect never walks it)
            try:
                value = step.fn(run, run.value)
                if value is not None:          # handed on through the run: Prefect never walks it
                    run.value = value
            except Exception as e:  # noqa: BLE001 - anticipated failures become values, bugs raise
                said = anticipated(e, run.params)
                if said is None or (said is not e and task_run.run_count <= step.retries):
                    raise                           # a bug, or an I/O error with a retry left
                return said
        # quote(): Prefect would otherwise walk the whole run (its frames, every row of a large
        # inbox) looking for futures to resolve before each task — measured 0.7 s on the demo
        said = task(attempt, name=step.name, cache_policy=NONE, retries=step.retries,
                    retry_delay_seconds=[1, 5, 15][:step.retries] or 0, persist_result=False)(quote(run), None)
        if isinstance(said, UserError):
            raise said

    try:
        params = command.make_params(values)
        command.check(params)
        run = execute(Run(command, params, log), call)
    except UserError as e:
        return failed(e)
    publish_artifacts(run)
    handle = Handle(run)
    missing = command.incomplete(run, run.result) if command.incomplete else None
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
    summary = cite(run.command.summary(run, run.result))
    get_run_logger().info(summary)
    key = run.command.name.replace("_", "-")
    create_markdown_artifact("```\n" + summary + "\n```", key=f"{key}-podsumowanie",
                             description="Podsumowanie przebiegu")
    if run.command.table is not None:
        title, rows = run.command.table(run, run.result)
        if rows:
            create_table_artifact(rows, key=f"{key}-tabela", description=title)
    if run.outputs:
        create_markdown_artifact("\n".join(f"- `{p}`" for p in run.outputs), key=f"{key}-pliki",
                                 description="Zapisane pliki")
    from prefect.logging.handlers import APILogHandler
    APILogHandler().flush()      # the run's log is in the UI when the command returns


def _guarded(command: Command, params: Params, go: Callable[[], Run]) -> Outcome:
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
    return _guarded(command, command.make_params({k: v for k, v in params.items() if k != "quiet"}), go)


def printer(quiet: bool = False) -> Callable[[str], None]:
    return (lambda msg: None) if quiet else (lambda msg: print(msg, flush=True, file=sys.stdout))
