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

from flows.approve import APPROVE
from flows.close import CLOSE
from flows.command import Handle, failed, printer, run_flow_steps
from flows.delegates import VERIFY_DELEGATES
from flows.reconcile import RECONCILE
from flows.salary_caps import SALARY_CAPS
from flows.replay import REPLAY
from flows.benefits import BENEFITS
from flows.calendar import CALENDAR
from flows.documents import DOCUMENTS
from flows.elections import ELIGIBILITY, SEATS, TALLY
from flows.explain import EXPLAIN
from flows.statement import STATEMENT
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


def _name(word: str, folder_param: str):
    def name() -> str:
        folder = flow_run.parameters.get(folder_param)
        return f"{word} {_period()}" + (f" · {Path(folder).name}" if folder else "")
    return name


def _flow(**kwargs):
    """@flow with the Polish parameter check in place of Prefect's (see polish_parameters)."""
    def make(fn):
        return flow(log_prints=False, validate_parameters=False, **kwargs)(polish_parameters(fn))
    return make


@_flow(name=CLOSE.flow_name, flow_run_name=_name("zamknięcie", "inbox"))
def monthly_close(
        inbox: Annotated[str, _form("Skrzynka (folder)", "pełna ścieżka folderu z units.csv, members.csv, income/ "
                                    "i adjustments.csv")],
        db: Db, out: Out = None, period: Period = None,
        unit_workbooks: Annotated[Optional[bool], _form(
            "Dokumenty jednostek", "z folderem na wyniki także skoroszyt i rozliczenie PDF każdej jednostki; "
            "puste: tak, gdy jednostek jest najwyżej 100")] = None,
        units: Annotated[Optional[list[str]], _form(
            "Jednostki", "zamknij tylko te jednostki skrzynki; puste: wszystkie (inne jednostki w bazie bez zmian)")] = None,
        only_complete: Annotated[bool, _form(
            "Tylko kompletne", "zamknij tylko jednostki, których pliki przyszły; pozostałe zostaną wypisane "
            "(tak działa zamknięcie z harmonogramu)")] = False,
        quiet: Quiet = False) -> Handle:
    """Close one month of one inbox into the DuckDB file ``db`` (and the workbooks into ``out``);
    without a period, the month before today (a schedule on the 5th closes the previous month).
    A month with missing files ends the run "Niekompletny" (not Completed); ``only_complete``
    (the schedule) closes only the units whose files have come and lists the others."""
    return run_flow_steps(CLOSE, dict(period=period or previous_month(date.today()), inbox=inbox, db=db, out=out,
                                      unit_workbooks=unit_workbooks, units=units, only_complete=only_complete),
                          printer(quiet))


@_flow(name=APPROVE.flow_name, flow_run_name=lambda: f"zatwierdzenie {flow_run.parameters.get('period')}")
def approve_month(
        period: Annotated[str, _form("Okres (RRRR-MM)", "zatwierdzany miesiąc w postaci RRRR-MM, np. 2026-10",
                                     pattern=PERIOD)],
        db: ClosedDb,
        by: Annotated[str, _form("Kto zatwierdza", "imię i nazwisko albo funkcja; zapisywane przy zatwierdzeniu")],
        units: Annotated[Optional[list[str]], _form("Jednostki", "zatwierdzane jednostki; puste: podaj "
                                                    "„Wszystkie jednostki”")] = None,
        all: Annotated[bool, _form("Wszystkie jednostki", "wszystkie jednostki zamknięte za ten miesiąc")] = False,
        force: Annotated[bool, _form("Mimo braków", "zatwierdź niekompletny miesiąc (wymaga powodu)")] = False,
        reason: Annotated[Optional[str], _form("Powód", "dlaczego niekompletny miesiąc jest zatwierdzany")] = None,
        out: Out = None, members: Members = None, quiet: Quiet = False) -> Handle:
    """A unit's closed month approved (RULES.md §13): who and when are stored; an incomplete month
    only with force and a reason."""
    return run_flow_steps(APPROVE, dict(period=period, db=db, by=by, units=units, all=all, force=force,
                                        reason=reason, out=out, members=members, via="Prefect"), printer(quiet))


@_flow(name=SALARY_CAPS.flow_name, flow_run_name=_name("limity wynagrodzeń", "officers"))
def salary_caps(
        officers: Annotated[str, _form("Wynagrodzenia funkcyjnych (officers.csv albo .xlsx)",
                                       "pełna ścieżka pliku z wynagrodzeniami wybieralnych funkcyjnych")],
        db: Db, out: Out = None, period: Annotated[Optional[str], _form(
            "Miesiąc wypłaty (RRRR-MM)", "miesiąc w postaci RRRR-MM, np. 2026-02; puste: poprzedni miesiąc",
            pattern=PERIOD)] = None,
        wages: Annotated[Optional[str], _form("Nowsze kwartały GUS (CSV)", "pełna ścieżka CSV: quarter, "
                                              "amount_pln, source; puste: dane dołączone")] = None,
        quiet: Quiet = False) -> Handle:
    """Officers' pay against the caps of 004 §7–§8 for one payroll month."""
    return run_flow_steps(SALARY_CAPS, dict(period=period or previous_month(date.today()), officers=officers, db=db,
                                            out=out, wages=wages), printer(quiet))


@_flow(name=VERIFY_DELEGATES.flow_name, flow_run_name=_name("weryfikacja delegatów", "inbox"))
def verify_delegates(
        inbox: Annotated[str, _form("Skrzynka (folder)", "pełna ścieżka folderu z remittances.csv i wages.csv")],
        db: Db, out: Out = None,
        seats: Annotated[Optional[int], _form("Liczba mandatów", "mandaty do podziału metodą największych reszt; "
                                              "puste: bez podziału", ge=1)] = None,
        key: Annotated[Optional[str], _form("Klucz mandatów", "per:N, per-started:N albo klucz z "
                                            "delegate_keys.toml; puste: bez klucza")] = None,
        wage_fallback: Annotated[Optional[str], _form("Zastępcze przeciętne wynagrodzenie", "national: przeciętne "
                                                      "ogólnopolskie, gdy brak danych województwa")] = None,
        quiet: Quiet = False) -> Handle:
    """Declared paying members against remitted dues (Uchwała XIX KZD nr 6/2005) and seats."""
    return run_flow_steps(VERIFY_DELEGATES, dict(inbox=inbox, db=db, out=out, seats=seats, key=key,
                                                 wage_fallback=wage_fallback), printer(quiet))


@_flow(name=RECONCILE.flow_name, flow_run_name=_name("uzgodnienie", "statements"))
def reconcile(
        statements: Annotated[str, _form("Wyciągi bankowe (folder)", "pełna ścieżka folderu z wyciągami MT940 "
                                         "albo bankowymi CSV")],
        db: ClosedDb, out: Out = None, period: Annotated[Optional[str], _form(
            "Okres (RRRR-MM)", "uzgodnij przelewy do tego miesiąca, RRRR-MM; puste: poprzedni miesiąc",
            pattern=PERIOD)] = None,
        region_id: Annotated[Optional[str], _form("Region", "tylko jednostki tego regionu; puste: wszystkie")] = None,
        level: Annotated[Optional[str], _form("Poziom", "national: wyciągi Komisji Krajowej; puste: poziom "
                                              "regionu")] = None,
        quiet: Quiet = False) -> Handle:
    """Bank statements against the transfers due: a region's (its units'), or the national
    level's (the regions' forwards and the direct contributions of units)."""
    return run_flow_steps(RECONCILE, dict(period=period or previous_month(date.today()), statements=statements,
                                          db=db, out=out, region_id=region_id, level=level), printer(quiet))


@_flow(name=STATEMENT.flow_name, flow_run_name=lambda: f"zaświadczenia PIT {flow_run.parameters.get('year')}")
def pit_statement(
        year: Annotated[int, _form("Rok podatkowy (RRRR)", "rok zaświadczeń, np. 2026", ge=1990, le=2100)],
        db: ClosedDb, out: NeededOut, members: Members = None, quiet: Quiet = False) -> Handle:
    """Each member's yearly statement of union dues received (PIT, art. 26 ust. 1 pkt 2c)."""
    return run_flow_steps(STATEMENT, dict(year=year, db=db, out=out, members=members), printer(quiet))


@_flow(name=EXPLAIN.flow_name, flow_run_name=lambda: "wyjaśnienie " + " ".join(
    str(v) for k, v in flow_run.parameters.items() if k.endswith("_id") or k == "period" if v))
def explain(db: ClosedDb, period: ClosedPeriod = None,
            member_id: Annotated[Optional[str], _form("Członek", "numer członka")] = None,
            unit_id: Annotated[Optional[str], _form("Jednostka", "identyfikator jednostki")] = None,
            region_id: Annotated[Optional[str], _form("Region", "identyfikator regionu (weryfikacja delegatów)")] = None,
            out: Out = None, quiet: Quiet = False) -> Handle:
    """The chain that produced a member's dues, a unit's split or a region's verification."""
    return run_flow_steps(EXPLAIN, dict(db=db, period=period, member_id=member_id, unit_id=unit_id,
                                        region_id=region_id, out=out), printer(quiet))


@_flow(name=REPLAY.flow_name, flow_run_name=lambda: f"powtórzenie {flow_run.parameters.get('run')}")
def replay(run: Annotated[str, _form("Numer przebiegu", "run_id z tabeli runs")], db: ClosedDb,
           quiet: Quiet = False) -> Handle:
    """A close re-run from its archive into a scratch database, every table compared."""
    return run_flow_steps(REPLAY, dict(run=run, db=db), printer(quiet))


@_flow(name=BENEFITS.flow_name, flow_run_name=_name("zasiłki", "inbox"))
def benefits(
        inbox: Annotated[str, _form("Skrzynka (folder)", "pełna ścieżka folderu z units.csv, members.csv i "
                                    "benefit_claims.csv")],
        db: Db, out: Out = None, date: Annotated[Optional[str], _form(
            "Dzień decyzji (RRRR-MM-DD)", "dzień w postaci RRRR-MM-DD; puste: dziś", pattern=DAY)] = None,
        quiet: Quiet = False) -> Handle:
    """Statutory benefit claims decided (004 §5, §9)."""
    return run_flow_steps(BENEFITS, dict(inbox=inbox, db=db, out=out, date=date), printer(quiet))


def _today() -> str:
    return date.today().isoformat()


@_flow(name=CALENDAR.flow_name, flow_run_name=lambda: f"kalendarz {flow_run.parameters.get('date') or _today()}")
def calendar(db: ClosedDb, out: Out = None,
             statements: Annotated[Optional[str], _form("Sprawozdania (statements.csv)", "pełna ścieżka pliku: "
                                                        "body, year, received_on")] = None,
             date: Day = None, quiet: Quiet = False) -> Handle:
    """What is due or overdue on a day, today by default (a deployment runs it every morning)."""
    return run_flow_steps(CALENDAR, dict(date=date or _today(), db=db, out=out, statements=statements),
                          printer(quiet))


Key = Annotated[str, _form("Klucz mandatów", "klucz z delegate_keys.toml, per:N albo per-started:N")]


@_flow(name=SEATS.flow_name, flow_run_name=lambda: f"mandaty {flow_run.parameters.get('key')}")
def seats(key: Key, db: Annotated[Optional[str], _form("Baza danych (plik .duckdb)", "baza z zamkniętym "
                                                       "miesiącem; puste: plik liczebności")] = None,
          period: ClosedPeriod = None,
          members: Annotated[Optional[str], _form("Plik liczebności", "CSV: unit_id albo region_id, members; "
                                                  "zamiast bazy")] = None,
          out: Out = None, quiet: Quiet = False) -> Handle:
    """Seats under a key of data/delegate_keys.toml, from a stored close or a plain count file."""
    return run_flow_steps(SEATS, dict(key=key, db=db, period=period, members=members, out=out), printer(quiet))


@_flow(name=ELIGIBILITY.flow_name, flow_run_name=lambda: (f"uprawnienia wyborcze {flow_run.parameters.get('body')} "
                                                         f"{flow_run.parameters.get('date')}"))
def eligibility(
        date: Annotated[str, _form("Dzień wyborów (RRRR-MM-DD)", "dzień w postaci RRRR-MM-DD", pattern=DAY)],
        body: Annotated[str, _form("Wybierający", "jednostka, region albo związek (zebranie krajowe), np. SL-0001")],
        db: ClosedDb, members: Members = None,
        assembly: Annotated[Optional[str], _form("Delegaci zebrania", "pełna ścieżka pliku z member_id delegatów; "
                                                 "puste: wybiera zebranie członków")] = None,
        out: Out = None, quiet: Quiet = False) -> Handle:
    """Who may vote and who may stand on a day, under the union's election rules."""
    return run_flow_steps(ELIGIBILITY, dict(date=date, body=body, db=db, members=members, assembly=assembly, out=out),
                          printer(quiet))


@_flow(name=TALLY.flow_name, flow_run_name=lambda: f"wyniki głosowania {Path(flow_run.parameters.get('votes')).name}")
def tally(votes: Annotated[str, _form("Protokół głosowania (plik)", "pełna ścieżka pliku: election, entitled, "
                                      "participants, invalid, seats, candidate, votes")],
          rules: Annotated[str, _form("Zasady wyborcze związku", "solidarnosc, przerobka, mzzpsz albo ozz_srl")],
          out: Out = None, quiet: Quiet = False) -> Handle:
    """Quorum, validity, winners and runoff of the votes in a protocol file."""
    return run_flow_steps(TALLY, dict(votes=votes, rules=rules, out=out), printer(quiet))


@_flow(name=DOCUMENTS.flow_name, flow_run_name=lambda: f"dokumenty jednostek {flow_run.parameters.get('period')}")
def unit_documents(
        period: Annotated[str, _form("Okres (RRRR-MM)", "zamknięty miesiąc w postaci RRRR-MM, np. 2026-10",
                                     pattern=PERIOD)],
        db: ClosedDb, out: NeededOut,
        units: Annotated[Optional[list[str]], _form("Jednostki", "identyfikatory jednostek; puste: wszystkie")] = None,
        members: Members = None, quiet: Quiet = False) -> Handle:
    """The unit treasurers' documents of a closed month, on demand (all units, or the ones given)."""
    return run_flow_steps(DOCUMENTS, dict(period=period, db=db, out=out, units=units, members=members),
                          printer(quiet))


FLOWS = {APPROVE.name: approve_month, DOCUMENTS.name: unit_documents, SEATS.name: seats, ELIGIBILITY.name: eligibility, TALLY.name: tally, BENEFITS.name: benefits, CALENDAR.name: calendar, EXPLAIN.name: explain, REPLAY.name: replay, STATEMENT.name: pit_statement, CLOSE.name: monthly_close, SALARY_CAPS.name: salary_caps, VERIFY_DELEGATES.name: verify_delegates,
         RECONCILE.name: reconcile}



def _json_parameters(parameters: dict) -> dict:
    """Every flow here takes JSON values only (paths as text, periods, numbers, flags), so they are
    stored as they are; Prefect's default serialiser would import FastAPI first (0.22 s measured on
    every command). Anything else is stored as its text."""
    def plain(v):
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
    return {k: plain(v) for k, v in parameters.items()}


for _each in FLOWS.values():
    _each.serialize_parameters = _json_parameters

# the monthly close on the 5th at 06:00 (before the 20th, 004 §10), for the previous month; Polish
# time, summer and winter (a schedule without a time zone is UTC: 07:00 or 08:00 in Warsaw)
CLOSE_SCHEDULE = "0 6 5 * *"
CALENDAR_SCHEDULE = "0 7 * * *"
TIME_ZONE = "Europe/Warsaw"


def deployments(inbox: str, db: str, out: Optional[str], statements: Optional[str] = None,
                officers: Optional[str] = None, delegates_inbox: Optional[str] = None) -> list:
    """The deployments `skladki serve` serves: the close on a schedule; the others on demand
    (each can be run from the UI's form)."""
    # the schedule closes the units whose files have come (the others are listed, the run not Completed)
    out_deps = [monthly_close.to_deployment("zamkniecie-miesieczne", schedules=[Cron(CLOSE_SCHEDULE, timezone=TIME_ZONE)],
                                            parameters={"inbox": inbox, "db": db, "out": out,
                                                        "only_complete": True})]
    if statements:
        out_deps.append(reconcile.to_deployment("uzgodnienie", parameters={"statements": statements, "db": db,
                                                                          "out": out}))
    if officers:
        out_deps.append(salary_caps.to_deployment("limity-wynagrodzen", parameters={"officers": officers, "db": db,
                                                                                   "out": out}))
    # the calendar every morning at 07:00: what is due or overdue today
    out_deps.append(calendar.to_deployment("kalendarz-codzienny", schedules=[Cron(CALENDAR_SCHEDULE, timezone=TIME_ZONE)],
                                           parameters={"db": db, "out": out}))
    # elections: the key, the day and the body are asked for in the UI's run form
    out_deps.append(seats.to_deployment("mandaty", parameters={"db": db, "out": out}))
    out_deps.append(eligibility.to_deployment("uprawnienia-wyborcze", parameters={"db": db, "out": out}))
    # approving a unit's month from the UI: the period, the units and who approves in the run form
    out_deps.append(approve_month.to_deployment("zatwierdzenie-miesiaca", parameters={"db": db, "out": out}))
    if out:    # a unit's documents on demand: the period (and units) asked for in the UI's run form
        out_deps.append(unit_documents.to_deployment("dokumenty-jednostek", parameters={"db": db, "out": out}))
    if out:    # the yearly statements: the year is asked for in the UI's run form
        out_deps.append(pit_statement.to_deployment("zaswiadczenia-pit", parameters={"db": db, "out": out}))
    if delegates_inbox:
        out_deps.append(verify_delegates.to_deployment("weryfikacja-delegatow",
                                                       parameters={"inbox": delegates_inbox, "db": db, "out": out}))
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
    "weryfikacja-delegatow": "Weryfikacja liczby członków płacących składki (uchwała 6/2005) i mandatów.",
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
}


def _when(deployment) -> str:
    crons = [s.schedule.cron for s in deployment.schedules]
    if not crons:
        return "na żądanie"
    minute, hour, day, _, _ = crons[0].split()
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
