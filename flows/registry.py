"""Every command of the one shape (flows/command.py), in the order `skladki --help` lists them.
The command line (flows/cli.py) and the Prefect flows (flows/orchestration.py) are made from
this list. Adding a command is its module, its report and one line here: ``"module:NAME",``
naming its ``Command`` (README: "Adding a command")."""
from importlib import import_module

from flows.command import Command

COMMANDS: tuple[Command, ...] = tuple(getattr(import_module(ref.partition(":")[0]), ref.partition(":")[2]) for ref in (
    "flows.close:CLOSE",
    "flows.approve:APPROVE",
    "flows.months_status:MONTHS_STATUS",
    "flows.documents:DOCUMENTS",
    "flows.statement:STATEMENT",
    "flows.explain:EXPLAIN",
    "flows.replay:REPLAY",
    "flows.archive:EXPORT",
    "flows.benefits:BENEFITS",
    "flows.calendar:CALENDAR",
    "flows.elections:SEATS",
    "flows.elections:ELIGIBILITY",
    "flows.elections:TALLY",
    "flows.salary_caps:SALARY_CAPS",
    "flows.delegates:VERIFY_DELEGATES",
    "flows.reconcile:RECONCILE",
    "flows.importing:IMPORT",
    "flows.region_settlement:REGION_SETTLEMENT",
    "flows.reminders:REMINDERS",
))

BY_NAME = {c.name: c for c in COMMANDS}
