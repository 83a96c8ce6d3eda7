"""Every command of the one shape (flows/command.py), in the order `skladki --help` lists them.
The command line (flows/cli.py) and the Prefect flows (flows/orchestration.py) are made from
this list. Adding a command is its module, its report and one line here:
``"name = module:NAME",`` — the command's name on the command line, then its ``Command``
(README: "Adding a command"; tests/test_registry.py checks that the name is the command's).

Nothing is imported to read the list (issue 32): the command line makes only the command it runs
(``load``: that command's module and what it imports), so a unit's close does not import the
modules of the eighteen other commands. ``COMMANDS`` and ``BY_NAME`` import every command's
module when first asked for (the Prefect flows, `skladki --help`, the tests).
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.command import Command

LINES: tuple[str, ...] = (
    "close = flows.close:CLOSE",
    "approve = flows.approve:APPROVE",
    "status = flows.months_status:MONTHS_STATUS",
    "documents = flows.documents:DOCUMENTS",
    "statement = flows.statement:STATEMENT",
    "explain = flows.explain:EXPLAIN",
    "replay = flows.replay:REPLAY",
    "archive = flows.archive:EXPORT",
    "benefits = flows.benefits:BENEFITS",
    "calendar = flows.calendar:CALENDAR",
    "seats = flows.elections:SEATS",
    "eligibility = flows.elections:ELIGIBILITY",
    "tally = flows.elections:TALLY",
    "salary-caps = flows.salary_caps:SALARY_CAPS",
    "verify-delegates = flows.delegates:VERIFY_DELEGATES",
    "reconcile = flows.reconcile:RECONCILE",
    "import = flows.importing:IMPORT",
    "region-settlement = flows.region_settlement:REGION_SETTLEMENT",
    "reminders = flows.reminders:REMINDERS",
)


def _split(line: str) -> tuple[str, str, str]:
    """(name, module, attribute) of a line. A line in the form before issue 32, ``"module:NAME"``
    (a branch that added a command meanwhile), still works: its module is imported to learn the
    name (tests/test_registry.py asks for the new form)."""
    name, _, ref = (part.strip() for part in line.rpartition("="))
    module, _, attr = ref.partition(":")
    return name or getattr(import_module(module), attr).name, module, attr


WHERE: dict[str, tuple[str, str]] = {name: (module, attr) for name, module, attr in map(_split, LINES)}
NAMES: tuple[str, ...] = tuple(WHERE)      # the commands' names, in the registry's order


def load(name: str) -> "Command":
    """The command named ``name`` on the command line; imports its module only."""
    module, attr = WHERE[name]
    return getattr(import_module(module), attr)


def __getattr__(attr: str):
    """COMMANDS (every command, in order) and BY_NAME, made when first asked for."""
    if attr == "COMMANDS":
        globals()["COMMANDS"] = value = tuple(load(name) for name in NAMES)
        return value
    if attr == "BY_NAME":
        globals()["BY_NAME"] = value = {c.name: c for c in __getattr__("COMMANDS")}
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
