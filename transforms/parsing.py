"""Years, periods, days and counts typed by people — in options, and in the few input cells read
outside staging (calendar's statements.csv): one rule everywhere (issue 27). ASCII digits only
(Python's ``int()``, ``str.isdigit()`` and ``\\d`` take any Unicode digit: ``--year ２０２６`` made
a folder ``zaswiadczenia_２０２６``), in one fixed form, and a year within the years the rulebooks,
reference figures and calendars can hold. Each function returns the value or raises ValueError with
a Polish explanation that shows the expected form (the caller names the option or the row)."""
from __future__ import annotations

import re
from datetime import date

from transforms.staging import FIRST_YEAR, LAST_YEAR   # one range of years for every period and day (1900–2999)
_YEAR, _PERIOD, _DAY = re.compile(r"[0-9]{4}"), re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])"), re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COUNT = re.compile(r"[0-9]{1,9}")


def _not(text: str, what: str, example: str) -> ValueError:
    if any(c.isdigit() and not c.isascii() for c in text):
        return ValueError(f"'{text}': tylko cyfry 0–9 — {what}, np. {example}")
    return ValueError(f"'{text}' to nie {what} (np. {example})")


def _in_range(text: str) -> None:
    if not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
        raise ValueError(f"'{text}': rok spoza zakresu {FIRST_YEAR}–{LAST_YEAR}")


def year(text) -> int:
    text = str(text)
    if not _YEAR.fullmatch(text):
        raise _not(text, "rok RRRR", "2026")
    _in_range(text)
    return int(text)


def period(text) -> str:
    text = str(text)
    if not _PERIOD.fullmatch(text):
        raise _not(text, "okres RRRR-MM", "2026-10")
    _in_range(text)
    return text


def day(text) -> date:
    text = str(text)
    if not _DAY.fullmatch(text):
        raise _not(text, "data RRRR-MM-DD", "2026-10-31")
    _in_range(text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}': nie ma takiego dnia") from None


def count(text, smallest: int = 1) -> int:
    """A whole number of at least ``smallest`` (seats, members, a key's N)."""
    text = str(text)
    if not _COUNT.fullmatch(text) or int(text) < smallest:
        raise _not(text, f"liczba całkowita od {smallest}", "50")
    return int(text)
