"""Which units of a region a reminder goes to for a month (issue 29): a unit whose settlement has
not arrived (no approved month: nothing imported, or a close not approved) and a unit whose
transfer the reconciliation found late, short or not paid after its deadline. Pure: the stored
facts in, one ``Reminder`` per such unit out, in unit order. Money in grosze.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# the settlement's state for a reminder: none arrived, or a close not approved (a draft)
SETTLEMENT_MISSING, SETTLEMENT_DRAFT = "missing", "draft"
# the reconciliation's verdicts (transforms.reconcile.verdicts) a reminder is about
TRANSFER_VERDICTS = ("missing", "short", "late")


@dataclass(frozen=True)
class ExpectedUnit:
    """A unit the region expects a settlement and a transfer from for the month, with where and
    by when it pays: the region's account (NRB, or None when regions.csv gives none), the transfer
    title and the deadline (working days applied)."""
    unit_id: str
    name: str
    region_id: str | None
    payee: str                    # the region's name as the letter names the payee
    account: str | None
    title: str
    due_on: date
    # issue 30: the unit pays its region (regions.csv); False: a body above it directly (a Przeróbka
    # unit's Zarząd Krajowy, national_accounts.csv), which then writes the letter
    to_region: bool = True


@dataclass(frozen=True)
class Verdict:
    """The reconciliation's latest verdict on the unit's transfer of the month (transfer_status)."""
    status: str                   # paid | late | short | over | missing
    expected: int
    paid: int
    due_on: date
    last_payment_on: date | None
    days_late: int | None
    reconciled_for: str


@dataclass(frozen=True)
class Reminder:
    unit: ExpectedUnit
    settlement: str | None        # missing | draft | None (approved)
    transfer: str | None          # missing | short | late | None (nothing to say)
    expected: int | None          # the transfer's amount, when known (reconciled)
    paid: int | None
    owed: int | None              # what is still to be paid; None: follows from the settlement
    due_on: date
    days_late: int | None         # days after the deadline: of the payment, or of ``day`` when unpaid
    last_payment_on: date | None

    @property
    def unit_id(self) -> str:
        return self.unit.unit_id


def reminders(units: list[ExpectedUnit], states: dict[str, str], verdicts: dict[str, Verdict],
              day: date) -> list[Reminder]:
    """One reminder per unit with something missing or owed on ``day``. ``states``: unit -> its
    month's state (``approved`` or ``draft``; absent: no settlement at all). ``verdicts``: unit ->
    the reconciliation's verdict on its transfer of the month. A transfer found not paid is owed
    only once its deadline has passed (before, nothing is late yet)."""
    out = []
    for unit in sorted(units, key=lambda u: u.unit_id):
        state = states.get(unit.unit_id)
        settlement = None if state == "approved" else SETTLEMENT_DRAFT if state else SETTLEMENT_MISSING
        v = verdicts.get(unit.unit_id)
        transfer = v.status if v is not None and v.status in TRANSFER_VERDICTS else None
        if transfer == "missing" and v.due_on >= day:
            transfer = None
        if settlement is None and transfer is None:
            continue
        if transfer is not None:
            days = v.days_late if transfer == "late" else max(0, (day - v.due_on).days)
            out.append(Reminder(unit, settlement, transfer, v.expected, v.paid, max(0, v.expected - v.paid),
                                v.due_on, days, v.last_payment_on))
        else:
            days = max(0, (day - unit.due_on).days)
            out.append(Reminder(unit, settlement, None, None, None, None, unit.due_on, days or None, None))
    return out
