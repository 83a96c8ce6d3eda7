"""The public holidays' table kept beside the user's files (issue 32: start-up of a unit's close).

Importing the ``holidays`` library and building Poland's calendar takes 0.16 s, a tenth of a
unit's close from the command line, for a few deadlines. The command line therefore keeps the
library's own days of 2000–2100 (``transforms.deadlines.holiday_table``) in the user's cache
folder, one file per version of the library: made by the library the first time, read (a few
milliseconds) after. A new version of the library makes a new file; an unreadable or damaged one
is made again; a folder that cannot be written leaves the library in use. Nothing is written here
by hand: every day comes from the library (tests/test_deadlines.py compares the two).
"""
from __future__ import annotations

import json
import os
from datetime import date
from importlib.util import find_spec
from pathlib import Path

from transforms import deadlines


def library_version() -> str | None:
    """The installed ``holidays`` version from its distribution's folder name (no import)."""
    spec = find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    found = sorted(Path(spec.origin).parent.parent.glob("holidays-*.dist-info"))
    return found[-1].name[len("holidays-"):-len(".dist-info")] if found else None


def cache_file(version: str) -> Path:
    import platformdirs
    return platformdirs.user_cache_path("skladki", appauthor=False) / f"swieta_PL_holidays-{version}.json"


def cached() -> dict[date, str] | None:
    """Poland's holidays of the table's years, from the cache file (made when missing); None: the
    library's version is not known (then the library is asked directly)."""
    version = library_version()
    if version is None:
        return None
    path = cache_file(version)
    years = [deadlines.TABLE_YEARS.start, deadlines.TABLE_YEARS.stop - 1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("library") == version and data.get("years") == years:
            return {date.fromisoformat(k): v for k, v in data["days"].items()}
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        pass                                  # missing or damaged: made again
    days = deadlines.holiday_table()
    tmp = None
    try:
        import tempfile
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".swieta-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"library": version, "years": years, "days": days}, f, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:                           # a folder that cannot be written: the days are used anyway
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return {date.fromisoformat(k): v for k, v in days.items()}


def install() -> None:
    """The command line reads the holidays from the cached table (``transforms.deadlines.SOURCES``)."""
    if cached not in deadlines.SOURCES:
        deadlines.SOURCES.append(cached)
