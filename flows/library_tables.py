"""Tables of libraries' own data kept beside the user's files (issue 32: start-up of a unit's close).

A unit's close from the command line is mostly start-up. Two libraries are asked for little and
cost much to ask: the ``holidays`` library (importing it and building Poland's calendar: 0.16 s,
for a few deadlines) and Babel (loading its Polish locale and importing its dates: ~45 ms, for the
plural form of a counted word and a rulebook's date in the summary). The command line therefore
keeps what it asks of each in the user's cache folder, one file per version of the library: the
public holidays of 2000–2100 (``transforms.deadlines.holiday_table``) and Babel's Polish plural
rules, months' names and long date pattern (``transforms.polish.cldr_table``). Made by the library
the first time, read (a few milliseconds) after; a new version of a library makes a new file; an
unreadable or damaged one is made again; a folder that cannot be written leaves the library in use.
Nothing is written here by hand: every value comes from the library (tests/test_library_tables.py
compares them). The messages' catalogue is kept the same way, as parsed, under its text's SHA-256.
"""
from __future__ import annotations

import json
import os
from datetime import date
from importlib.util import find_spec
from pathlib import Path
from typing import Callable

from transforms import deadlines, errors, polish


def library_version(name: str = "holidays") -> str | None:
    """An installed library's version from its distribution's folder name (no import); None when
    it is not found or more than one is (a stale folder left beside it: then nothing is kept)."""
    spec = find_spec(name)
    if spec is None or spec.origin is None:
        return None
    prefix = f"{name.lower()}-"
    found = [p.name for p in Path(spec.origin).parent.parent.glob("*.dist-info")
             if p.name.lower().startswith(prefix)]
    return found[0][len(prefix):-len(".dist-info")] if len(found) == 1 else None


def cache_file(version: str, what: str = "swieta_PL") -> Path:
    import platformdirs
    return platformdirs.user_cache_path("skladki", appauthor=False) / f"{what}-{version}.json"


def _kept(library: str, what: str, key: dict, build: Callable[[], object], read: Callable[[object], object]):
    """``read`` of ``build()``'s value (JSON), from the cache file of this version of ``library``
    when it holds it for ``key``, else made and written there; None: the library's version is not
    known."""
    version = library_version(library)
    if version is None:
        return None
    return _kept_file(cache_file(version, what), {"library": version, **key}, build, read)


def _kept_file(path: Path, stamp: dict, build: Callable[[], object], read: Callable[[object], object]):
    """``read`` of ``build()``'s value (JSON) from ``path`` when the file carries ``stamp`` and
    ``read`` takes its value, else made and written there (a folder that cannot be written, or a
    value JSON cannot hold: made, not kept). ``read`` raises ValueError for a value it refuses."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if all(data.get(k) == v for k, v in stamp.items()):
            return read(data["value"])
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        pass                                  # missing or damaged: made again
    value = build()
    tmp = None
    try:
        import tempfile
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({**stamp, "value": value}, f, ensure_ascii=False)
        os.replace(tmp, path)
        tmp = None
    except (OSError, TypeError, ValueError):  # not writable, or not JSON: the value is used anyway
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return read(value)


def _days(value) -> dict[date, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("not a table of days")
    return {date.fromisoformat(k): v for k, v in value.items()}


def cached() -> dict[date, str] | None:
    """Poland's holidays of the table's years (made when missing); None: the library's version is
    not known (then the library is asked directly)."""
    years = [deadlines.TABLE_YEARS.start, deadlines.TABLE_YEARS.stop - 1]
    return _kept("holidays", "swieta_PL", {"years": years}, deadlines.holiday_table, _days)


def _cldr(value) -> dict:
    if not polish.valid_cldr_table(value):
        raise ValueError("not Babel's Polish table")
    return value


def cldr_table() -> dict | None:
    """What the command line asks of Babel's Polish locale (``transforms.polish.cldr_table``: the
    plural rules, the months' names, the long date's pattern; made when missing); None: Babel's
    version is not known (then Babel's locale is loaded)."""
    return _kept("babel", "cldr_pl_babel", {"locale": "pl"}, polish.cldr_table, _cldr)


def _parsed_catalogue(value) -> dict:
    if not isinstance(value, dict) or not all(isinstance(value.get(k), dict) for k in ("messages", "fatal")):
        raise ValueError("not a catalogue")
    return value


def catalogue(text: str) -> dict:
    """The messages' catalogue (data/catalogue.toml) as parsed, kept under its text's SHA-256 (a
    changed catalogue is parsed again, into the one file kept): parsing its 75 kB is 13–20 ms of
    every command."""
    import hashlib
    import tomllib
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    path = cache_file(digest[:16], "katalog")
    if not path.is_file():              # the catalogue changed (another skladki): the older files go
        for older in path.parent.glob("katalog-*.json"):
            older.unlink(missing_ok=True)
    return _kept_file(path, {"sha256": digest}, lambda: tomllib.loads(text), _parsed_catalogue)


def install() -> None:
    """The command line reads the holidays, Babel's Polish data and the messages' catalogue from
    their cached tables (``transforms.deadlines.SOURCES``, ``transforms.polish.CLDR_SOURCES``,
    ``transforms.errors.CATALOGUE_SOURCES``)."""
    if cached not in deadlines.SOURCES:
        deadlines.SOURCES.append(cached)
    if cldr_table not in polish.CLDR_SOURCES:
        polish.CLDR_SOURCES.append(cldr_table)
    if catalogue not in errors.CATALOGUE_SOURCES:
        errors.CATALOGUE_SOURCES.append(catalogue)
