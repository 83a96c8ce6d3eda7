"""Every command of the one shape (flows/command.py), in the order `skladki --help` lists them.
The command line (flows/cli.py) and the Prefect flows (flows/orchestration.py) are made from
this list; adding a command is its module, its report and one line here (README: "Adding a
command")."""
from flows.approve import APPROVE
from flows.archive import EXPORT
from flows.benefits import BENEFITS
from flows.calendar import CALENDAR
from flows.close import CLOSE
from flows.command import Command
from flows.delegates import VERIFY_DELEGATES
from flows.documents import DOCUMENTS
from flows.elections import ELIGIBILITY, SEATS, TALLY
from flows.explain import EXPLAIN
from flows.months_status import MONTHS_STATUS
from flows.reconcile import RECONCILE
from flows.replay import REPLAY
from flows.salary_caps import SALARY_CAPS
from flows.statement import STATEMENT

COMMANDS: tuple[Command, ...] = (
    CLOSE,
    APPROVE,
    MONTHS_STATUS,
    DOCUMENTS,
    STATEMENT,
    EXPLAIN,
    REPLAY,
    EXPORT,
    BENEFITS,
    CALENDAR,
    SEATS,
    ELIGIBILITY,
    TALLY,
    SALARY_CAPS,
    VERIFY_DELEGATES,
    RECONCILE,
)

BY_NAME = {c.name: c for c in COMMANDS}
