"""Deadlines on working days (RULES.md §6; issue 25).

A rulebook version says whether its deadlines move off days free from work, and on what legal
ground (``deadline_shift`` and ``deadline_shift_source`` in data/rulebooks/*.toml). The one shift
known today is Kodeks cywilny art. 115: a deadline for performing an act that ends on a Saturday, a
Sunday or a statutory public holiday ends on the next day that is none of these. The public
holidays come from the maintained ``holidays`` library (Poland, in Polish), never from a list
written here. Pure: dates in, dates and Polish notes out.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

SHIFTS = ("none", "next_working_day")

WEEKDAYS = ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela")


# where the holidays are read from before the library itself: a table of the library's own days
# kept by the command line (flows/library_tables.py: importing the library costs a unit's close 0.16 s)
SOURCES: list[Callable[[], Mapping[date, str] | None]] = []
TABLE_YEARS = range(2000, 2101)


def library_holidays(years: range | None = None):
    """Poland's statutory public holidays from the ``holidays`` library, named in Polish."""
    import holidays           # imported on first use: most commands never ask
    return holidays.country_holidays("PL", language="pl", years=years)


def holiday_table(years: range = TABLE_YEARS) -> dict[str, str]:
    """The library's holidays of ``years`` as a table: ISO date -> Polish name."""
    return {d.isoformat(): name for d, name in sorted(library_holidays(years).items())}


class _Table:
    """Holidays from a table of the library's days, the library itself outside its years."""

    def __init__(self, days: Mapping[date, str]) -> None:
        self.days = days

    def get(self, day: date) -> str | None:
        if day.year in TABLE_YEARS:
            return self.days.get(day)
        return _library().get(day)


@lru_cache(maxsize=None)
def _library():
    return library_holidays()


@lru_cache(maxsize=None)
def _polish_holidays():
    for source in SOURCES:
        days = source()
        if days is not None:
            return _Table(days)
    return _library()


def holiday_name(day: date) -> str | None:
    """The statutory public holiday in Poland on ``day`` (its Polish name), if any."""
    return _polish_holidays().get(day)


def is_working_day(day: date) -> bool:
    """Neither a Saturday, a Sunday nor a public holiday (the days KC art. 115 names)."""
    return day.weekday() < 5 and holiday_name(day) is None


@dataclass(frozen=True)
class DeadlineShift:
    """How a rulebook's deadlines move off days free from work, with the legal ground."""
    rule: str = "none"        # one of SHIFTS
    source: str = ""          # e.g. "Kodeks cywilny art. 115"

    def due(self, nominal: date) -> date:
        """The day the deadline really ends."""
        if self.rule == "none":
            return nominal
        day = nominal
        while not is_working_day(day):
            day += timedelta(days=1)
        return day

    def moved(self, nominal: date) -> bool:
        return self.due(nominal) != nominal

    def note(self, nominal: date) -> str:
        """Why the deadline moved, in Polish ('20 grudnia 2026 to niedziela — Kodeks cywilny
        art. 115'); empty when it did not."""
        if not self.moved(nominal):
            return ""
        name = holiday_name(nominal)
        what = f"dzień wolny od pracy ({name})" if name else WEEKDAYS[nominal.weekday()]
        from transforms.polish import date_pl       # CLDR's long date: '20 grudnia 2026'
        return f"{date_pl(nominal)} to {what} — {self.source}"

    def short_note(self, nominal: date) -> str:
        """The same in a narrow column: 'niedziela; Kodeks cywilny art. 115' ('święto; …' for a
        public holiday on a weekday); empty when the deadline did not move."""
        if not self.moved(nominal):
            return ""
        what = WEEKDAYS[nominal.weekday()] if nominal.weekday() >= 5 else "święto"
        return f"{what}; {self.source}"

    def shown(self, nominal: date) -> str:
        """The deadline as shown to users: '2026-12-21 (20 grudnia 2026 to niedziela — …)'."""
        note = self.note(nominal)
        return f"{self.due(nominal)}" + (f" ({note})" if note else "")


NO_SHIFT = DeadlineShift()


def parse_shift(version: dict) -> DeadlineShift:
    """A rulebook version's ``deadline_shift`` (default "none") and its ``deadline_shift_source``,
    required whenever deadlines move: a shift is law and the rulebook names it."""
    rule = version.get("deadline_shift", "none")
    if rule not in SHIFTS:
        raise ValueError(f"deadline_shift: nieznana wartość {rule!r} (znane: {', '.join(SHIFTS)})")
    source = version.get("deadline_shift_source", "")
    if not isinstance(source, str):
        raise ValueError(f"deadline_shift_source: oczekiwano tekstu, jest {source!r}")
    if rule != "none" and not source.strip():
        raise ValueError(f"deadline_shift_source: brak podstawy prawnej dla deadline_shift = {rule!r}")
    return DeadlineShift(rule, source.strip())
