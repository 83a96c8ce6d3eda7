"""The `skladki` command line (CONTRACT.md). One runner for every command: the engine switch,
the Polish message and exit status 1 for a run that cannot be done (nothing written), 2 for
wrong usage, the summary on success. ``--debug`` shows tracebacks, for developers.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Optional

from typing import TYPE_CHECKING

import typer
from typer.core import TyperCommand, TyperGroup

from flows import registry, settings

if TYPE_CHECKING:
    from flows.command import Command, Outcome


class _Commands(dict):
    """The command line's commands by name, the registry's first (`skladki --help` lists them in
    this order). A registry command is made when first asked for (issue 32): `skladki close`
    imports the close's modules and not those of the eighteen other commands; the help, a typo's
    suggestions and the tests see every name."""

    def __init__(self, made: dict):
        super().__init__((name, None) for name in registry.NAMES)
        super().update(made)

    def __getitem__(self, name: str):
        command = super().__getitem__(name)
        if command is None:
            command = _registry_command(name)
            super().__setitem__(name, command)
        return command

    def get(self, name, default=None):
        return self[name] if name in self else default

    def values(self):
        return [self[name] for name in self]

    def items(self):
        return [(name, self[name]) for name in self]


class LazyGroup(TyperGroup):
    """`skladki`'s group: the registry's commands made on demand (``_Commands``)."""

    def __init__(self, *, commands=None, **attrs):
        super().__init__(commands=_Commands(dict(commands or {})), **attrs)

    def list_commands(self, ctx) -> list[str]:
        return list(self.commands)

    def get_params(self, ctx):
        return _plain_params(super().get_params(ctx))


class PlainCommand(TyperCommand):
    """A registry command whose options' values are taken as typed (``plain_values``)."""

    def get_params(self, ctx):
        return _plain_params(super().get_params(ctx))


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=LazyGroup,
                  help="skladki: dokładne składki związkowe — zamknięcie miesiąca, podział, uzgodnienia.")
DEBUG = {"on": False}
ENGINES = ("auto", "prefect", "plain")
DEMO_MARKER = ".skladki-demo"
ENGINE_HELP = ("auto (domyślnie): przebieg Prefect, gdy działa serwer (PREFECT_API_URL albo skladki server start), "
               "inaczej te same kroki bez Prefect; prefect: zawsze Prefect (bez serwera tymczasowy, 10–30 s); "
               "plain: bez Prefect")
LOOKUP_ENGINE_HELP = "plain (domyślnie): bez Prefect; prefect: przebieg Prefect; auto: Prefect, gdy działa serwer"


@app.callback()
def main_options(debug: bool = typer.Option(False, "--debug", help="tracebacks for developers")) -> None:
    DEBUG["on"] = debug


def _parsed(parse, value):
    """An option's value by the one rule of transforms.parsing (ASCII digits, one form, years
    1900–2999; issue 27), or a usage error naming the option (exit 2). None: not given."""
    if value is None:
        return None
    try:
        parse(value)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    return value


def _period(value: str | None) -> str | None:
    from transforms import parsing
    return _parsed(parsing.period, value)


def _year(value: str | None) -> str | None:
    from transforms import parsing
    return _parsed(parsing.year, value)


def _date(value: str | None) -> str | None:
    from transforms import parsing
    return _parsed(parsing.day, value)


def _key(value: str | None) -> str | None:
    """per:N / per-started:N with N from 1; a named key is checked against data/delegate_keys.toml
    by the command."""
    from transforms.delegates import KEY_FORM
    if value is not None and value.startswith(("per:", "per-started:")):
        from transforms import parsing
        try:
            parsing.count(value.partition(":")[2])
        except ValueError:
            raise typer.BadParameter(KEY_FORM.format(key=value)) from None
    return value


def _number(smallest: int):
    """A parser of a whole-number option (ASCII digits, at least ``smallest``)."""
    def parse(value: str) -> int:
        from transforms import parsing
        try:
            return parsing.count(value, smallest)
        except ValueError as e:
            raise typer.BadParameter(str(e)) from None
    return parse


def _engine(value: str) -> str:
    if value not in ENGINES:
        raise typer.BadParameter("silnik to auto, prefect albo plain")
    return value


def execute(command: Command, engine: str, quiet: bool = False, **params) -> Outcome:
    """Run ``command`` on the chosen engine; print its summary, or its one Polish message and
    exit 1 (nothing written). An unexpected error is a bug: exit 1, traceback with --debug."""
    from flows.command import Outcome, printer, run_plain, run_prefect
    t0 = time.perf_counter()
    progress = printer(quiet)
    try:
        typed = command.make_params(params)
        if engine == "auto":            # Prefect when a server runs, plain otherwise (issue 26)
            from flows.server import auto_engine
            engine, line = auto_engine()
            if engine == "prefect":
                command.check(typed)    # arguments are checked before Prefect starts
            print(line, flush=True)
        elif engine == "prefect":
            command.check(typed)        # arguments are checked before Prefect starts
            from flows.server import choose_api
            print(choose_api(), flush=True)
        if engine == "plain":
            outcome = run_plain(command, progress, **params)
        else:
            from flows.orchestration import FLOWS
            outcome = run_prefect(command, FLOWS[command.name], progress,
                                  **{k: str(v) if isinstance(v, Path) else v for k, v in params.items()},
                                  quiet=quiet)
    except Exception as e:  # noqa: BLE001 - an unanticipated failure: one line, or the traceback with --debug
        from transforms.errors import UserError
        if isinstance(e, UserError):
            outcome = Outcome(False, str(e))
        elif DEBUG["on"]:
            raise
        else:
            print(f"błąd: nieoczekiwany błąd programu ({type(e).__name__}: {e}); nic nie zostało zapisane. "
                  "Uruchom ponownie z --debug i zgłoś go.", file=sys.stderr)
            raise typer.Exit(1) from None
    if not outcome.ok:
        print(f"błąd: {outcome.message}", file=sys.stderr)
        print("nic nie zostało zapisane.", file=sys.stderr)
        raise typer.Exit(1)
    from transforms.polish import cite       # citations as the union names them (issue 26)
    print(cite(command.summary(outcome.run, outcome.run.result)))
    print(f"  czas: {time.perf_counter() - t0:.1f} s, silnik: " + (
        "plain (bez Prefect)" if engine == "plain" else f"prefect ({os.environ.get('PREFECT_API_URL') or 'serwer tymczasowy'})"))
    return outcome


# ---- the commands of the one shape, made from their declarations (flows/registry.py)

CALLBACKS = {"period": _period, "year": _year, "day": _date, "key": _key}


def _cli_parameter(f, kind, opt) -> inspect.Parameter:
    """One option (or argument) of a command, from its field in the command's Params."""
    from flows.command import REQUIRED, _base
    base = _base(kind)
    required = (f.default is REQUIRED and f.default_factory is REQUIRED) or opt.when_empty is not None
    default = ... if required else f.default
    decls = [opt.flag] if opt.flag else (
        ["--" + f.name.replace("_", "-")] if base is bool and default is False and not opt.argument else [])
    extra = {}
    if opt.check in CALLBACKS:
        extra["callback"] = CALLBACKS[opt.check]
    elif opt.check in ("count0", "count1"):
        extra["parser"] = _number(int(opt.check[-1]))
    info = (typer.Argument(default, help=opt.help) if opt.argument
            else typer.Option(default, *decls, help=opt.help, **extra))
    return inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=info,
                             annotation=base if required else kind)


def cli_options(command) -> list[tuple]:
    """(field, type, Option) of each parameter the command line asks for."""
    from flows.command import options
    return [(f, kind, f.metadata["option"]) for f, kind in options(command.params)
            if "option" in f.metadata and f.metadata["option"].cli]


def _cli_command(command):
    """The command line's function of a registry command (its options from its Params)."""
    asked = cli_options(command)
    parameters = [_cli_parameter(f, kind, opt) for f, kind, opt in asked]
    if command.engine is not None:
        parameters.append(inspect.Parameter(
            "engine", inspect.Parameter.KEYWORD_ONLY, annotation=str,
            default=typer.Option(command.engine, callback=_engine,
                                 help=ENGINE_HELP if command.engine == "auto" else LOOKUP_ENGINE_HELP)))
    lists = [f.name for f, kind, _ in asked if "list" in str(kind)]

    def run(**values):
        engine = values.pop("engine", None) or "plain"
        for a, b in command.exclusive:
            if values.get(a) is not None and values.get(b) is not None:
                raise typer.BadParameter(f"podaj --{a} albo --{b}, nie oba", param_hint=f"--{a}/--{b}")
        for name in lists:
            values[name] = list(values[name]) or None if values[name] else None
        execute(command, engine, **values)
    run.__signature__ = inspect.Signature(parameters)
    run.__name__ = run.__qualname__ = command.name.replace("-", "_")
    run.__doc__ = command.help
    return run


def _registry_command(name: str):
    """The click command of the registry's command ``name``, made as ``@app.command(name)``
    would make it; imports that command's module only — with the cyclic garbage collector paused,
    as flows/launch.py pauses it for the imports before (importing makes many objects and no
    cyclic garbage)."""
    import typer.main
    with paused_gc():
        command = registry.load(name)
    app.command(command.name, cls=PlainCommand)(_cli_command(command))
    info = app.registered_commands.pop()     # the group is made already: only its CommandInfo is wanted
    return typer.main.get_command_from_info(info,
                                            pretty_exceptions_short=app.pretty_exceptions_short,
                                            rich_markup_mode=app.rich_markup_mode)


# the console script (flows/launch.py) freezes what its imports made: a one-off process whose
# modules live as long as it does (tests and other callers leave the collector as it is)
FREEZE_IMPORTS = {"on": False}


@contextlib.contextmanager
def paused_gc():
    """Python's cyclic garbage collector paused for a block of imports (they make many objects and
    no cyclic garbage: each collection would walk them all again), as it was after. In the console
    script the objects made are then frozen (``gc.freeze``): the collection that would follow the
    pause walks none of them (issue 32: 35 ms of a unit's close)."""
    import gc
    collect = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if FREEZE_IMPORTS["on"]:
            gc.freeze()
        if collect:
            gc.enable()


def _plain_params(params: list) -> list:
    for param in params:
        plain_values(param)
    return params


def plain_values(param) -> None:
    """Issue 32: an option's value taken as typed when it is text, a path, a list of texts, a flag or
    a number read by the option's own parser — what typer's coercion gives such a value — without
    typer building a pydantic validator for every option of the command (~35 ms of a unit's
    close). Any other value or option is left to typer (tests/test_cli_values.py compares the two
    for every option of every command). A typer without these internals is left as it is."""
    plain = _plain_param()
    if plain is None or getattr(param, "_runtime_param", False) is not None or not hasattr(param, "type_descriptor"):
        return
    desc = param.type_descriptor
    info, annotation = desc.parameter_info, desc.annotation
    if desc.is_file or desc.is_choice or (info.parser is None and annotation not in (str, Path, list[str], bool)
                                          or info.parser is not None and (desc.is_list or desc.is_tuple)):
        return                          # (typer applies a parser to each item of a list: left to it)
    param._runtime_param = plain(parameter_info=info, annotation=annotation)


@functools.cache
def _plain_param():
    """typer's runtime coercion of one option, for the values ``plain_values`` takes as typed."""
    try:
        from typer._coercion import RuntimeParam, build_runtime_param
        from typer._param_types import coerce_cli_path
    except ImportError:
        return None

    class PlainParam(RuntimeParam):
        def _coerce_value(self, value, param, ctx):
            info, annotation = self.parameter_info, self.annotation
            if info.parser is not None:
                try:
                    return info.parser(value)
                except ValueError:       # typer's own message for it
                    pass
            elif annotation in (str, bool) and type(value) is annotation:
                return value
            elif annotation is Path and isinstance(value, (str, Path)):
                return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
            elif annotation == list[str] and isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
                return list(value)
            return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)
    return PlainParam


# the commands below follow the registry's in `skladki --help` (LazyGroup lists the registry first)


@app.command()
def demo(folder: Path = typer.Option(Path("out/demo"), help="gdzie zapisać bazę i skoroszyty"),
         period: str = typer.Option("2026-10", callback=_period),
         engine: str = typer.Option("auto", callback=_engine, help=ENGINE_HELP)):
    """Zamyka dołączoną skrzynkę demonstracyjną (data/demo) w nowym folderze i drukuje podsumowanie."""
    from flows.close import CLOSE
    from transforms.errors import UserError
    marker = folder / DEMO_MARKER
    if folder.exists() and any(folder.iterdir()) and not marker.exists():
        print(f"błąd: {UserError('demo_folder_taken', folder=folder)}", file=sys.stderr)
        raise typer.Exit(1)
    if folder.exists():
        shutil.rmtree(folder)              # a folder the demo made before: made afresh
    folder.mkdir(parents=True)
    marker.write_text("folder utworzony przez `skladki demo`; demo może go usunąć i utworzyć ponownie\n",
                      encoding="utf-8")
    # two months: the first has no receipt information (its dues are assumed received), the second
    # has the employers' deductions and payments.csv, so the members' accounts carry over
    from transforms.ledger import shift_period
    first = shift_period(period, -1)
    print(f"demo: zamknięcie {first} z {settings.DEMO_INBOX} do {folder}", flush=True)
    execute(CLOSE, "plain", period=first, inbox=settings.DEMO_INBOX,
            db=folder / "skladki.duckdb", out=folder, unit_workbooks=False)
    from flows.approve import APPROVE           # RULES.md §13: a checked month is approved
    print(f"\ndemo: zatwierdzenie {first} przez skarbników", flush=True)
    execute(APPROVE, "plain", period=first, db=folder / "skladki.duckdb", units=None, all=True,
            by="demo: skarbnik jednostki", force=False, reason=None, out=None, members=None)
    print(f"\ndemo: zamknięcie {period} z {settings.DEMO_INBOX} do {folder}", flush=True)
    execute(CLOSE, engine, period=period, inbox=settings.DEMO_INBOX, db=folder / "skladki.duckdb", out=folder,
            unit_workbooks=True)
    from flows.statement import STATEMENT
    print(f"\ndemo: zaświadczenia o składkach za {period[:4]} r. (PIT)", flush=True)
    execute(STATEMENT, "plain", quiet=True, year=int(period[:4]), db=folder / "skladki.duckdb", out=folder,
            members=settings.DEMO_INBOX / "members.csv")
    from flows.reconcile import RECONCILE
    print(f"\ndemo: uzgodnienie wyciągów regionów do {period} (data/demo/statements)", flush=True)
    execute(RECONCILE, "plain", quiet=True, period=period, statements=settings.DEMO_INBOX / "statements",
            db=folder / "skladki.duckdb", out=folder)
    from flows.reconcile import reconcile_levels
    for level, spec in sorted(reconcile_levels(period).items()):     # the levels above the regions
        print(f"\ndemo: uzgodnienie wyciągu, {spec['label']}, do {period} (data/demo/statements_krajowe)", flush=True)
        execute(RECONCILE, "plain", quiet=True, period=period, statements=settings.DEMO_INBOX / "statements_krajowe",
                db=folder / "skladki.duckdb", out=folder, level=level)


@app.command()
def synth(members: int = typer.Option(..., parser=_number(1), help="liczba członków"),
          period: str = typer.Option(..., callback=_period),
          out: Path = typer.Option(..., help="folder skrzynki do zapisania"),
          seed: int = typer.Option(2026, parser=_number(0), help="ziarno losowania (to samo ziarno, ta sama skrzynka)"),
          receipts: bool = typer.Option(False, help="także wpływy: potrącenia pracodawców (z częścią błędów) "
                                        "i wpłaty członków (payments.csv)")):
    """Zapisuje deterministyczną, poprawną skrzynkę dowolnej wielkości (testy skali, pomiary)."""
    from flows.synth import write_inbox
    t0 = time.perf_counter()
    counts = write_inbox(out, members, period, seed, receipts=receipts)
    extra = (f", potrąceń {counts['deductions']}, wpłat {counts['payments']}" if receipts else "")
    print(f"synth: jednostek {counts['units']}, członków {counts['members']}, wierszy dochodu "
          f"{counts['income']}, decyzji {counts['adjustments']}{extra} -> {out} ({time.perf_counter() - t0:.1f} s)")


server_app = typer.Typer(help="Lokalny serwer Prefect z ustawieniami skladki (UI: http://127.0.0.1:4200).")
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start():
    """Uruchamia lokalny serwer Prefect w tle; każde polecenie z silnikiem prefect go używa."""
    from flows import server
    from transforms.errors import UserError
    try:
        print(server.start())
    except UserError as e:
        print(f"błąd: {e}", file=sys.stderr)
        raise typer.Exit(1) from None


@server_app.command("stop")
def server_stop():
    """Zatrzymuje serwer uruchomiony przez `skladki server start`."""
    from flows import server
    from transforms.errors import UserError
    try:
        print(server.stop())
    except UserError as e:
        print(f"błąd: {e}", file=sys.stderr)
        raise typer.Exit(1) from None


@server_app.command("status")
def server_status():
    """Czy serwer Prefect działa (PREFECT_API_URL albo lokalny)."""
    from flows import server
    print(server.status())


@app.command()
def serve(inbox: Path = typer.Option(..., help="skrzynka zamknięcia miesięcznego"),
          db: Path = typer.Option(..., help="plik DuckDB"),
          out: Optional[Path] = typer.Option(None, help="folder na skoroszyty"),
          statements: Optional[Path] = typer.Option(None, help="folder wyciągów (wdrożenie uzgodnienia)"),
          officers: Optional[Path] = typer.Option(None, help="officers.csv (wdrożenie limitów wynagrodzeń)"),
          delegates_inbox: Optional[Path] = typer.Option(None, help="skrzynka weryfikacji delegatów"),
          incoming: Optional[Path] = typer.Option(None, help="folder przychodzących plików rozliczeń jednostek "
                                                  "(konsola regionu co godzinę; z --region)"),
          region: Optional[str] = typer.Option(None, help="identyfikator regionu tej bazy (konsola regionu; "
                                               "z --incoming)")):
    """Udostępnia wdrożenia Prefect: zamknięcie co miesiąc 5. dnia o 6:00 czasu polskiego (za poprzedni
    miesiąc) i pozostałe polecenia na żądanie z UI; z --incoming i --region konsolę regionu co godzinę
    (import rozliczeń, uzgodnienie, kalendarz, braki); działa do przerwania (Ctrl+C). Bez działającego
    serwera najpierw uruchamia lokalny (jak skladki server start)."""
    from flows import server
    from transforms.errors import UserError
    if wrong := server.serve_paths_problem(inbox, db, out, statements, officers, delegates_inbox):
        raise typer.BadParameter(wrong[1], param_hint=wrong[0])     # exit 2: the runs could never use it
    if (incoming is None) != (not (region or "").strip()):
        raise typer.BadParameter("konsola regionu potrzebuje obu: --incoming i --region",
                                 param_hint="--incoming/--region")
    if incoming is not None and not incoming.is_dir():
        raise typer.BadParameter(f"folder {incoming} nie istnieje" if not incoming.exists() else f"{incoming} to nie folder",
                                 param_hint="--incoming")
    try:
        engine, line = server.auto_engine()
        if engine == "plain" and os.environ.get("PREFECT_API_URL"):
            raise UserError("server_unreachable", api=os.environ["PREFECT_API_URL"])
        if engine == "plain":       # serving needs a server that stays: the local one, started for good
            print(f"skladki serve: {server.start()} (zatrzymanie: skladki server stop)", flush=True)
            engine, line = server.auto_engine()
    except UserError as e:
        print(f"błąd: {e}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(line, flush=True)
    from prefect import serve as prefect_serve
    from flows.orchestration import banner, deployments
    absolute = lambda p: str(Path(p).resolve()) if p else None  # noqa: E731
    paths = dict(inbox=absolute(inbox), db=absolute(db), out=absolute(out), statements=absolute(statements),
                 officers=absolute(officers), delegates_inbox=absolute(delegates_inbox), incoming=absolute(incoming),
                 region=region.strip() if region else None)
    served = deployments(**paths)
    print(banner(served, os.environ["PREFECT_API_URL"].removesuffix("/api"), paths), flush=True)
    prefect_serve(*served, print_starting_message=False)


def _kind(e: BaseException) -> set[str]:
    # typer vendors its own copy of click: its exception classes are told apart by name
    return {c.__name__ for c in type(e).__mro__}


def usage_message(e) -> str:
    """click's usage errors in Polish (exit status 2 stays: wrong usage, CONTRACT.md)."""
    kind = _kind(e)
    param = getattr(e, "param", None)
    opt = "/".join(param.opts) if param is not None and getattr(param, "opts", None) else ""
    if "MissingParameter" in kind:
        return f"brak wymaganej opcji {opt}"
    if "NoSuchOption" in kind:
        return f"nieznana opcja {e.option_name}"
    if "BadParameter" in kind:
        return f"zła wartość {opt or getattr(e, 'param_hint', '') or ''}: {e.message}"
    if e.message.startswith("No such command") and "'" in e.message:
        return "nieznane polecenie " + e.message.split("'")[1]
    return e.message


def main() -> None:
    """The console script: usage errors in Polish, exit 2; everything else as the commands say."""
    with paused_gc():
        from flows import library_tables
        library_tables.install()     # the holidays, Babel's Polish data, the catalogue: from their cached tables
    try:
        rv = app(standalone_mode=False)
    except Exception as e:  # noqa: BLE001 - only click's usage errors and aborts are handled here
        kind = _kind(e)
        if "UsageError" in kind:
            ctx = getattr(e, "ctx", None)
            command = ctx.command_path.replace("root", "skladki") if ctx else "skladki"
            print(f"błąd użycia: {usage_message(e)}. Pomoc: {command} --help", file=sys.stderr)
            sys.exit(2)
        if "Abort" in kind:
            sys.exit(1)
        raise
    leave(rv if isinstance(rv, int) else 0)


def leave(code: int) -> None:
    """Exit without the interpreter's teardown when nothing needs it: the work is done (the
    database committed, the files in place, the summary printed). After a Prefect run against a
    server (PREFECT_API_URL) the teardown of its worker threads and thousands of modules takes
    ~1 s, so the logs and events still queued for the UI are delivered first, then the process
    ends. A temporary Prefect server is stopped by Prefect's own exit handlers: then the normal
    exit runs."""
    if "prefect" in sys.modules and not os.environ.get("PREFECT_API_URL"):
        sys.exit(code)
    if "prefect" in sys.modules:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker
        APILogWorker.drain_all()
        EventsWorker.drain_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
