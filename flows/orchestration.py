"""The Prefect flows: one per command, each made from the command's declaration (the same step
functions the plain engine calls), and their deployments (`skladki serve`). Imported only when
the Prefect engine is used, so a plain run never pays for importing Prefect. Parameters are typed
(the UI's run form needs them); no ``from __future__ import annotations`` here, so Prefect sees
real types. Runs are named after the work ("zamknięcie 2026-10 · demo").

The run form speaks Polish (issue 26): every parameter carries a Polish title and description and,
where it has one, its format (a period is RRRR-MM), so the form refuses ``10.2026``. A run that
gets past the form anyway (the API with schema enforcement off) is checked by ``polish_parameters``
and ends with the Polish message, never Prefect's English validation error and traceback.
"""
import functools
import inspect
import logging
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import pydantic
from pydantic import Field

from flows import settings  # noqa: F401  (quiet, offline Prefect settings before importing prefect)
from prefect import flow
from prefect.runtime import flow_run
from prefect.schedules import Cron

from flows.command import failed, printer, run_flow_steps
from flows.registry import COMMANDS
from transforms.errors import UserError

class _UserErrorsWithoutTraceback(logging.Filter):
    """A run that ends with a user's mistake (a UserError) is no bug, and its Polish message is
    already the run's error and in its log. At the end of a run started by `skladki serve`,
    Prefect's engine logs the exception it raises again ("Engine execution exited with
    unexpected exception") with a traceback: that record is left out of the run's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, UserError) or incomplete_month(error))


def incomplete_month(error: BaseException | None) -> bool:
    """The failure Prefect raises again after a run ended "Niekompletny" (RULES.md §13): the month
    is stored as a draft and its state and artifact say what is missing — no traceback either."""
    from prefect.exceptions import FailedRun
    return isinstance(error, FailedRun) and bool(re.match(r"Miesiąc \d{4}-\d{2} niekompletny", str(error)))


for _logger in ("prefect.flow_runs", "prefect.task_runs"):
    logging.getLogger(_logger).addFilter(_UserErrorsWithoutTraceback())

PERIOD = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
DAY = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
FORMATS = {PERIOD: "okres RRRR-MM, np. 2026-10", DAY: "dzień RRRR-MM-DD, np. 2026-11-20"}


def _form(title: str, description: str, **constraints):
    """One field of the UI's run form. Prefect titles a parameter with its name and takes the
    description only from a default: json_schema_extra is what reaches the form's schema."""
    return Field(title=title, description=description, json_schema_extra={"title": title, "description": description},
                 **constraints)


Db = Annotated[str, _form("Baza danych (plik .duckdb)", "pełna ścieżka pliku bazy DuckDB; tworzony, jeśli go nie ma")]
ClosedDb = Annotated[str, _form("Baza danych (plik .duckdb)", "pełna ścieżka pliku bazy DuckDB z zamkniętymi "
                                "miesiącami")]
Out = Annotated[Optional[str], _form("Folder na wyniki", "pełna ścieżka folderu na skoroszyty Excel i PDF; "
                                     "puste: bez plików")]
NeededOut = Annotated[str, _form("Folder na wyniki", "pełna ścieżka folderu na skoroszyty Excel i PDF")]
Period = Annotated[Optional[str], _form("Okres (RRRR-MM)", "miesiąc w postaci RRRR-MM, np. 2026-10; puste: "
                                        "poprzedni miesiąc", pattern=PERIOD)]
ClosedPeriod = Annotated[Optional[str], _form("Okres (RRRR-MM)", "zamknięty miesiąc w postaci RRRR-MM, np. 2026-10",
                                              pattern=PERIOD)]
Day = Annotated[Optional[str], _form("Dzień (RRRR-MM-DD)", "dzień w postaci RRRR-MM-DD, np. 2026-11-20; puste: "
                                     "dziś", pattern=DAY)]
Members = Annotated[Optional[str], _form("Lista członków (members.csv)", "pełna ścieżka members.csv jednostki: "
                                         "imiona i nazwiska; puste: numery członków")]
Quiet = Annotated[bool, _form("Bez postępu w oknie procesu", "nie wypisuje kroków w oknie `skladki serve` "
                              "(dziennik przebiegu w UI zostaje)")]


def polish_parameters(fn):
    """Check a flow's parameters against its signature (the same rules as the run form) and end
    a run with wrong ones with the Polish message (a Failed state, no traceback). The flows are
    declared with ``validate_parameters=False`` so that Prefect's English check does not come
    first; the checked (coerced) values are what the flow receives."""
    signature = inspect.signature(fn)
    model = pydantic.create_model(f"{fn.__name__}_parametry", **{
        name: (p.annotation, ... if p.default is p.empty else p.default) for name, p in signature.parameters.items()})

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        given = signature.bind_partial(*args, **kwargs).arguments
        try:
            values = model.model_validate(given)
        except pydantic.ValidationError as e:
            return failed(_polish(e, model))
        return fn(**{name: getattr(values, name) for name in signature.parameters})
    return checked


def _polish(e: "pydantic.ValidationError", model) -> UserError:
    """The first wrong parameter, in the words of the form."""
    error = e.errors()[0]
    name = str(error["loc"][0])
    title = model.model_fields[name].title or name if name in model.model_fields else name
    if error["type"] == "missing":
        return UserError("missing_parameter", title=title)
    ctx = error.get("ctx") or {}
    expected = (FORMATS.get(ctx.get("pattern"), f"wartość w postaci {ctx.get('pattern')}")
                if error["type"] == "string_pattern_mismatch"
                else f"liczba co najmniej {ctx['ge']}" if "ge" in ctx
                else f"liczba najwyżej {ctx['le']}" if "le" in ctx
                else "liczba całkowita" if error["type"].startswith("int")
                else "tak albo nie" if error["type"].startswith("bool")
                else "tekst" if error["type"].startswith("string")
                else "wartość innego rodzaju")
    return UserError("bad_parameter", title=title, value=error.get("input"), expected=expected)


def previous_month(today: date) -> str:
    """The month a scheduled close closes when no period is given: the one before ``today``."""
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


def _period() -> str:
    return flow_run.parameters.get("period") or previous_month(date.today())


def _flow(**kwargs):
    """@flow with the Polish parameter check in place of Prefect's (see polish_parameters)."""
    def make(fn):
        return flow(log_prints=False, validate_parameters=False, **kwargs)(polish_parameters(fn))
    return make


_PATTERNS = {"period": PERIOD, "day": DAY, "key": None}


def flow_options(command) -> list[tuple]:
    """(field, type, Option) of each parameter the command's flow (and the UI's form) asks for."""
    from flows.command import options
    return [(f, kind, f.metadata["option"]) for f, kind in options(command.params)
            if "option" in f.metadata and f.metadata["option"].flow]


def _flow_parameter(f, kind, opt) -> inspect.Parameter:
    """One parameter of a command's flow, from its field in the command's Params: the form's
    Polish title and description, and its format."""
    from flows.command import REQUIRED, _base
    base = _base(kind)
    constraints = {}
    typ = str if base is Path else base
    if opt.check == "year":          # a whole number in the form and the API (as before issue 28)
        typ, constraints = int, {"ge": 1990, "le": 2100}
    elif _PATTERNS.get(opt.check):
        constraints["pattern"] = _PATTERNS[opt.check]
    elif opt.check in ("count0", "count1"):
        constraints["ge"] = int(opt.check[-1])
    required = (f.default is REQUIRED and f.default_factory is REQUIRED) or opt.form_required
    annotation = typ if required or f.default is not None else Optional[typ]
    return inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY,
                             default=inspect.Parameter.empty if required else f.default,
                             annotation=Annotated[annotation, _form(opt.title, opt.form or opt.help, **constraints)])


def _filled(command, values: dict) -> dict:
    """The flow's values with an empty field meaning what its declaration says (the previous month, today)."""
    filled = dict(values)
    for f, _, opt in flow_options(command):
        if opt.check == "year" and isinstance(filled.get(f.name), int):
            filled[f.name] = str(filled[f.name])       # the command's year is its four digits
        if opt.when_empty and not filled.get(f.name):
            filled[f.name] = previous_month(date.today()) if opt.when_empty == "previous_month" else _today()
    return filled


def make_flow(command):
    """The command's Prefect flow: the same typed steps as a plain run, each a task."""
    asked = flow_options(command)

    def body(**values):
        quiet = values.pop("quiet", False)
        values = {**_filled(command, values), **command.flow_values}
        return run_flow_steps(command, values, printer(quiet))
    body.__signature__ = inspect.Signature(
        [_flow_parameter(f, kind, opt) for f, kind, opt in asked]
        + [inspect.Parameter("quiet", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Quiet)])
    body.__name__ = body.__qualname__ = command.flow_function or command.name.replace("-", "_")
    body.__doc__ = command.help
    run_name = command.run_name or (lambda p: command.name)
    made = _flow(name=command.flow_name, flow_run_name=lambda: run_name(_filled(command, flow_run.parameters)))(body)
    made.serialize_parameters = _json_parameters
    return made


def _today() -> str:
    return date.today().isoformat()


def _json_parameters(parameters: dict) -> dict:
    """Every flow here takes JSON values only (paths as text, periods, numbers, flags), so they are
    stored as they are; Prefect's default serialiser would import FastAPI first (0.22 s measured on
    every command). Anything else is stored as its text."""
    def plain(v):
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
    return {k: plain(v) for k, v in parameters.items()}


FLOWS = {}
for _command in COMMANDS:
    if _command.engine is not None:          # a plain-only command (archive) has no flow
        FLOWS[_command.name] = globals()[_command.flow_function or _command.name.replace("-", "_")] = \
            make_flow(_command)

# the region's console (issue 29): the commands' own flows as its subflows (flows/console.py)
Incoming = Annotated[str, _form("Folder przychodzących rozliczeń", "pełna ścieżka folderu, do którego trafiają pliki "
                                "rozliczeń jednostek (rozliczenie_*.json)")]
RegionId = Annotated[str, _form("Region", "identyfikator regionu tej bazy, np. GD: importowane są tylko rozliczenia "
                                "jego jednostek")]
Statements = Annotated[Optional[str], _form("Wyciągi bankowe (folder)", "pełna ścieżka folderu z wyciągami MT940 albo "
                                            "bankowymi CSV; puste: bez uzgodnienia")]


@_flow(name="region-console",
       flow_run_name=lambda: f"konsola regionu {flow_run.parameters.get('region_id')} · {_period()}")
def region_console(incoming: Incoming, region_id: RegionId, db: Db, out: Out = None, statements: Statements = None,
                   period: Period = None, quiet: Quiet = False):
    """Konsola regionu: import nowych plików rozliczeń z folderu, uzgodnienie wyciągów, kalendarz i lista
    jednostek bez rozliczenia za miesiąc."""
    from flows.console import run_console
    return run_console(FLOWS, incoming=incoming, region=region_id, db=db, out=out, statements=statements,
                       period=period or previous_month(date.today()), day=date.today(), quiet=quiet)


region_console.serialize_parameters = _json_parameters

# the monthly close on the 5th at 06:00 (before the 20th, 004 §10), for the previous month; Polish
# time, summer and winter (a schedule without a time zone is UTC: 07:00 or 08:00 in Warsaw)
CLOSE_SCHEDULE = "0 6 5 * *"
CALENDAR_SCHEDULE = "0 7 * * *"
CONSOLE_SCHEDULE = "0 * * * *"        # the region's console: every hour, on the hour
TIME_ZONE = "Europe/Warsaw"


def deployments(inbox: str, db: str, out: Optional[str], statements: Optional[str] = None,
                officers: Optional[str] = None, delegates_inbox: Optional[str] = None,
                incoming: Optional[str] = None, region: Optional[str] = None) -> list:
    """The deployments `skladki serve` serves: the close on a schedule; the others on demand
    (each can be run from the UI's form); with ``incoming`` and ``region`` the region's console
    every hour."""
    # the schedule closes the units whose files have come (the others are listed, the run not Completed)
    out_deps = [FLOWS["close"].to_deployment("zamkniecie-miesieczne", schedules=[Cron(CLOSE_SCHEDULE, timezone=TIME_ZONE)],
                                            parameters={"inbox": inbox, "db": db, "out": out,
                                                        "only_complete": True})]
    if statements:
        out_deps.append(FLOWS["reconcile"].to_deployment("uzgodnienie", parameters={"statements": statements, "db": db,
                                                                          "out": out}))
    if officers:
        out_deps.append(FLOWS["salary-caps"].to_deployment("limity-wynagrodzen", parameters={"officers": officers, "db": db,
                                                                                   "out": out}))
    # the calendar every morning at 07:00: what is due or overdue today
    out_deps.append(FLOWS["calendar"].to_deployment("kalendarz-codzienny", schedules=[Cron(CALENDAR_SCHEDULE, timezone=TIME_ZONE)],
                                           parameters={"db": db, "out": out}))
    # elections: the key, the day and the body are asked for in the UI's run form
    out_deps.append(FLOWS["seats"].to_deployment("mandaty", parameters={"db": db, "out": out}))
    out_deps.append(FLOWS["eligibility"].to_deployment("uprawnienia-wyborcze", parameters={"db": db, "out": out}))
    # approving a unit's month from the UI: the period, the units and who approves in the run form
    out_deps.append(FLOWS["approve"].to_deployment("zatwierdzenie-miesiaca", parameters={"db": db, "out": out}))
    if out:    # a unit's documents on demand: the period (and units) asked for in the UI's run form
        out_deps.append(FLOWS["documents"].to_deployment("dokumenty-jednostek", parameters={"db": db, "out": out}))
    if out:    # the yearly statements: the year is asked for in the UI's run form
        out_deps.append(FLOWS["statement"].to_deployment("zaswiadczenia-pit", parameters={"db": db, "out": out}))
    if delegates_inbox:
        out_deps.append(FLOWS["verify-delegates"].to_deployment("weryfikacja-delegatow",
                                                       parameters={"inbox": delegates_inbox, "db": db, "out": out}))
    if incoming and region:    # the region's console every hour: the files come, the month's picture follows
        out_deps.append(region_console.to_deployment(
            "konsola-regionu", schedules=[Cron(CONSOLE_SCHEDULE, timezone=TIME_ZONE)],
            parameters={"incoming": incoming, "region_id": region, "db": db, "out": out, "statements": statements}))
    for d in out_deps:         # what the UI shows on the deployment's page: Polish, not the docstring
        d.description = DESCRIPTIONS.get(d.name, d.description)
    return out_deps


DESCRIPTIONS = {
    "zamkniecie-miesieczne": "Zamknięcie miesiąca: składki członków, podział między poziomy, przelewy i wyjątki. "
                             "Z harmonogramu 5. dnia miesiąca o 6:00 (czas polski) za poprzedni miesiąc — tylko "
                             "jednostki z kompletnymi plikami; pozostałe są wypisane, a przebieg kończy się stanem "
                             "„Niekompletny”. Wynik to projekt do zatwierdzenia.",
    "zatwierdzenie-miesiaca": "Zatwierdzenie zamkniętego miesiąca jednostki: zapisuje, kto i kiedy zatwierdził. "
                              "Późniejsze zmiany danych trafią do następnego miesiąca jako korekta. Niekompletny "
                              "miesiąc tylko z zaznaczonym „Mimo braków” i powodem.",
    "kalendarz-codzienny": "Co jest do zrobienia dziś: przelewy i ich terminy, sprawozdania, kończące się decyzje, "
                           "zaległości członków. Codziennie o 7:00 (czas polski).",
    "uzgodnienie": "Uzgodnienie wyciągów bankowych z należnymi przelewami jednostek; zapłacony w całości przelew "
                   "zatwierdza miesiąc jednostki.",
    "limity-wynagrodzen": "Wynagrodzenia wybieralnych funkcyjnych wobec limitów uchwały finansowej.",
    "mandaty": "Liczba mandatów delegatów według klucza, z zamkniętego miesiąca.",
    "uprawnienia-wyborcze": "Kto może głosować i kandydować w danym dniu, według ordynacji związku.",
    "dokumenty-jednostek": "Skoroszyt i rozliczenie PDF skarbnika jednostki z zapisanego zamknięcia, na żądanie.",
    "zaswiadczenia-pit": "Roczne zaświadczenia o składkach członkowskich do ulgi w PIT.",
    "weryfikacja-delegatow": "Weryfikacja liczby członków płacących składki (według uchwały z data/delegate_keys.toml) i mandatów.",
    "konsola-regionu": "Konsola regionu, co godzinę (czas polski): import nowych plików rozliczeń jednostek z folderu "
                       "przychodzących, uzgodnienie wyciągów (gdy podano folder wyciągów) i kalendarz terminów. "
                       "Artefakty: co przyszło, co odrzucono i dlaczego, które jednostki nie przysłały rozliczenia "
                       "za miesiąc (domyślnie poprzedni). Odrzucone pliki i braki to informacja: przebieg kończy się "
                       "stanem „Completed”.",
}


# what each deployment does, for the banner of `skladki serve`, and the command that does the same
# from a terminal (with a server running it is a Prefect run too, in the same UI)
_WHAT = {
    "zamkniecie-miesieczne": ("zamknięcie miesiąca", "skladki close --period RRRR-MM --inbox {inbox} --db {db}{out}"),
    "uzgodnienie": ("uzgodnienie wyciągów", "skladki reconcile --period RRRR-MM --statements {statements} --db {db}{out}"),
    "limity-wynagrodzen": ("limity wynagrodzeń", "skladki salary-caps --period RRRR-MM --officers {officers} --db {db}{out}"),
    "kalendarz-codzienny": ("kalendarz terminów", "skladki calendar --date RRRR-MM-DD --db {db}"),
    "mandaty": ("mandaty", "skladki seats --key KLUCZ --db {db} --period RRRR-MM"),
    "uprawnienia-wyborcze": ("uprawnienia wyborcze", "skladki eligibility --date RRRR-MM-DD --body ID --db {db}"),
    "dokumenty-jednostek": ("dokumenty jednostek", "skladki documents --period RRRR-MM --db {db}{out}"),
    "zaswiadczenia-pit": ("zaświadczenia PIT", "skladki statement --year RRRR --db {db}{out}"),
    "weryfikacja-delegatow": ("weryfikacja delegatów", "skladki verify-delegates --inbox {delegates_inbox} --db {db}{out}"),
    "konsola-regionu": ("konsola regionu (import, uzgodnienie, kalendarz, braki)",
                        "skladki import --folder {incoming} --db {db} --region {region}{out}"),
}


def _when(deployment) -> str:
    crons = [s.schedule.cron for s in deployment.schedules]
    if not crons:
        return "na żądanie"
    minute, hour, day, _, _ = crons[0].split()
    if hour == "*":
        return f"co godzinę, {int(minute)} min po pełnej godzinie" if int(minute) else "co godzinę, o pełnej godzinie"
    at = f"o {int(hour)}:{int(minute):02d} czasu polskiego"
    return f"{day}. dnia miesiąca {at}" if day != "*" else f"codziennie {at}"


def banner(served: list, ui: str, paths: dict) -> str:
    """`skladki serve`'s own words (in place of Prefect's English banner, which tells the user to
    run `prefect deployment run …`): what is served, when, and how to start a run."""
    quoted = {k: (f'"{v}"' if v and " " in v else v) for k, v in paths.items()}
    quoted["out"] = f" --out {quoted['out']}" if quoted.get("out") else ""
    lines = [f"skladki serve: wdrożenia na serwerze Prefect, UI: {ui}", ""]
    for d in served:
        what, _ = _WHAT.get(d.name, (d.name, ""))
        lines.append(f"  {d.name:24} {what}: {_when(d)}")
    lines += ["", "Uruchomienie przebiegu: w UI (Deployments → wdrożenie → Run: formularz po polsku)",
              "albo z wiersza poleceń, gdy serwer działa (przebieg też widać w UI), np.:"]
    lines += [f"  {_WHAT[d.name][1].format(**quoted)}" for d in served[:1]]
    lines += ["Zatrzymanie: Ctrl+C (serwer działa dalej; skladki server stop go zatrzymuje)."]
    return "\n".join(lines)
