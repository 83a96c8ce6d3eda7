"""The region's console (issue 29, point 5): every hour the settlement files that have come into
the region's incoming folder are imported (`skladki import`), the month's transfers reconciled
with the region's statements (`skladki reconcile`, when a statements folder is given) and the
calendar refreshed (`skladki calendar`); then the units whose settlement for the month has not
arrived (or whose transfer is late or short) are listed by the reminders' logic
(flows/reminders.py's read and compute: a list, no letters).

The Prefect flow ``region-console`` (flows/orchestration.py; deployment ``konsola-regionu`` of
``skladki serve --incoming DIR --region ID``) calls ``run_console`` with the commands' own flows:
each command is a subflow of the console's run, with its own log and artifacts. The console's
artifacts say it all on one page, in Polish: the summary (Markdown), the files imported or
refused (with the reason) and the units missing for the month.

Refused files and missing units are information: the run ends Completed. A run fails (its Polish
message as its error, no traceback) only when the import itself cannot be done, or when the
reconciliation or the calendar cannot (each says why).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from reports import importing as import_text
from reports import reminders as reminders_text
from transforms.errors import UserError
from transforms.polish import count_pl, month_pl

KEY = "konsola-regionu"          # the artifacts' keys: one page per key in the UI, a version per run
NOTHING_NEW = "nic nowego w folderze"
NONE_MISSING = "wszystkie rozliczenia dotarły"


@dataclass(frozen=True)
class Step:
    """One command the console ran (or not): its Polish name, whether it was done, its summary
    (the command's own words) or why it was not done."""
    name: str
    done: bool
    text: str


@dataclass(frozen=True)
class Console:
    region: str
    period: str
    at: datetime
    folder: str
    imported: Any                     # flows/importing.py's ImportResult (None: the import failed)
    steps: tuple[Step, ...]
    missing: Any                      # flows/reminders.py's RemindersResult, or None
    missing_problem: str | None       # why the missing list could not be made (e.g. nothing imported yet)

    @property
    def failed(self) -> list[Step]:
        return [s for s in self.steps if not s.done]


def missing_units(db: str, period: str, region: str, day: date):
    """The reminders' list for the month (flows/reminders.py's read and compute, nothing written):
    (RemindersResult, None), or (None, the Polish reason) when it cannot be made — e.g. the
    database knows no unit of the region yet."""
    from flows.command import Run
    from flows.reminders import REMINDERS, RemindersParams, compute, read
    try:
        params = RemindersParams(period=period, db=Path(db), out=Path(db).parent, region_id=region,
                                 date=day.isoformat())      # out: not used, no letters are written
        REMINDERS.check(params)
        run = Run(REMINDERS, params)
        return compute(run, read(run)), None
    except UserError as e:
        return None, str(e)


def file_rows(imported) -> list[dict]:
    """The files this run imported or refused, with the reason (those imported before are only
    counted in the summary: the folder keeps them)."""
    if imported is None:
        return []
    fresh = dataclasses.replace(imported, plan=dataclasses.replace(imported.plan, already=()))
    return import_text.table_rows(fresh) or [{import_text.HEADERS[0]: "—", import_text.HEADERS[1]: NOTHING_NEW}]


def missing_rows(console: Console) -> list[dict]:
    """The units with a settlement missing (or a transfer late or short) for the month."""
    unit, what = reminders_text.HEADERS[1], reminders_text.HEADERS[4]      # Jednostka, Czego dotyczy
    if console.missing is None:
        return [{unit: "—", what: console.missing_problem or ""}]
    letter = reminders_text.HEADERS[-1]          # Pismo: the console writes no letters (skladki reminders does)
    return [{k: v for k, v in row.items() if k != letter} for row in reminders_text.table_rows(console.missing)] \
        or [{unit: "—", what: NONE_MISSING}]


def summary(console: Console) -> str:
    """The console's Markdown summary: what came, what was refused and why, what was done, which
    units are missing for the month."""
    lines = [f"## Konsola regionu {console.region} — {month_pl(console.period)}",
             f"Stan na {console.at:%Y-%m-%d %H:%M}; folder: `{console.folder}`.", ""]
    plan = console.imported.plan if console.imported is not None else None
    if plan is not None:
        lines.append(f"- **Pliki:** przeczytano {count_pl(plan.files, 'plik', 'pliki', 'plików')}; zaimportowano "
                     f"{len(plan.accepted)}, już zaimportowane wcześniej: {len(plan.already)}, "
                     f"odrzucone: {len(plan.refused)}")
    for step in console.steps:
        lines.append(f"- **{step.name}:** " + ("wykonano" if step.done else f"nie wykonano — {step.text}"))
    if console.missing is not None:
        rs = console.missing.reminders
        absent = [r.unit_id for r in rs if r.settlement is not None]
        owing = [r.unit_id for r in rs if r.transfer is not None]
        lines.append(f"- **Brak rozliczenia za {console.period}:** "
                     + (f"{len(absent)} ({', '.join(absent)})" if absent else "nie brakuje żadnego")
                     + f" z {count_pl(console.missing.expected, 'jednostki', 'jednostek', 'jednostek')}")
        if owing:
            lines.append(f"- **Przelew spóźniony lub niepełny:** {len(owing)} ({', '.join(owing)})")
    else:
        lines.append(f"- **Brakujące rozliczenia:** nie do ustalenia — {console.missing_problem}")
    if plan is not None and plan.refused:
        lines += ["", "### Odrzucone pliki (nie zaimportowane; pozostałe są)"]
        lines += [f"- {i.message}" for i in plan.refused]          # each message names its file
    for step in console.steps:
        if step.done and step.text:
            lines += ["", f"### {step.name}", "```", step.text, "```"]
    return "\n".join(lines)


def headline(console: Console) -> str:
    """The run's state message: one line."""
    if console.failed:
        return "; ".join(f"{s.name}: {s.text}" for s in console.failed)
    plan = console.imported.plan
    absent = sum(r.settlement is not None for r in console.missing.reminders) if console.missing else None
    return (f"zaimportowano {len(plan.accepted)}, odrzucono {len(plan.refused)}"
            + (f"; bez rozliczenia za {console.period}: {absent}" if absent is not None else ""))


def _outcome(state, name: str) -> tuple[Step, Any]:
    """A subflow's final state as the console's step (and the finished command's result)."""
    if state.is_completed():
        handle = state.result()
        run = handle.run
        from transforms.polish import cite
        return Step(name, True, cite(run.command.summary(run, run.result))), run.result
    return Step(name, False, state.message or state.name), None


def run_console(flows: dict[str, Callable], *, incoming: str, region: str, db: str, out: str | None,
                statements: str | None, period: str, day: date, quiet: bool = False):
    """Inside the ``region-console`` flow: the commands' flows as subflows, then the missing list
    (a task), the artifacts and the run's final state."""
    from prefect import task
    from prefect.artifacts import create_markdown_artifact, create_table_artifact
    from prefect.cache_policies import NONE
    from prefect.logging import get_run_logger
    from prefect.states import Completed, Failed

    log = get_run_logger()
    at = datetime.now().replace(second=0, microsecond=0)
    imported_step, imported = _outcome(flows["import"](folder=incoming, region=region, db=db, out=out, quiet=quiet,
                                                       return_state=True), "Import rozliczeń")
    steps = [imported_step]
    if imported is not None:
        if statements:
            steps.append(_outcome(flows["reconcile"](period=period, statements=statements, region_id=region, db=db,
                                                     out=out, quiet=quiet, return_state=True),
                                  "Uzgodnienie wyciągów")[0])
        steps.append(_outcome(flows["calendar"](date=day.isoformat(), db=db, out=out, quiet=quiet,
                                                return_state=True), "Kalendarz terminów")[0])
    missing, problem = (None, "import się nie udał") if imported is None else task(
        missing_units, name="braki", cache_policy=NONE, persist_result=False)(db, period, region, day)
    console = Console(region, period, at, incoming, imported, tuple(steps), missing, problem)
    text = summary(console)
    log.info(text)
    create_markdown_artifact(text, key=f"{KEY}-podsumowanie", description="Podsumowanie konsoli regionu")
    create_table_artifact(file_rows(imported), key=f"{KEY}-pliki",
                          description="Pliki rozliczeń: zaimportowane i odrzucone (z powodem)")
    create_table_artifact(missing_rows(console), key=f"{KEY}-braki",
                          description=f"Jednostki bez rozliczenia (albo z przelewem spóźnionym lub niepełnym) za "
                                      f"{period}")
    if console.failed:
        log.error(f"błąd: {headline(console)}")
        return Failed(message=headline(console))
    return Completed(message=headline(console))
