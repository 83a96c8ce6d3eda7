"""The rulebooks of a run (issue 28): found in the search folders (the shipped one, the user's
configuration folder, SKLADKI_RULEBOOKS; an archive's on a replay), parsed once per set of files
and resolved once per period.

What a run sees is decided by the files themselves: every call looks the files up again (through
the one input check) and reads their bytes, and the parsed rulebooks are kept under the files'
paths and content hashes. A benefits run asking for the rules of each claim's month, or a re-close,
parses nothing again; a rulebook file edited between two calls (by a user, or a test) is read anew.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

from flows import settings
from flows.files import check_input
from transforms import rulebook
from transforms.folders import files_by_name
from transforms.rulebook import Rulebook, Rules, resolve

KEPT = 8                 # sets of rulebook files kept parsed (a test suite edits many)
_BOOKS: OrderedDict[tuple, dict[str, Rulebook]] = OrderedDict()
_RULES: dict[tuple[tuple, str], Rules] = {}


def _books() -> tuple[tuple, dict[str, Rulebook]]:
    """(the key of the files found, their rulebooks by name), parsed only for a new set of files."""
    found = [(path, path.read_bytes()) for path in
             files_by_name(settings.rulebook_folders(), check=check_input).values()]
    key = tuple((str(path), hashlib.sha256(data).hexdigest()) for path, data in found)
    books = _BOOKS.get(key)
    if books is None:
        books = _BOOKS[key] = rulebook.books_from(found)
        while len(_BOOKS) > KEPT:
            old, _ = _BOOKS.popitem(last=False)
            for k in [k for k in _RULES if k[0] == old]:
                del _RULES[k]
    else:
        _BOOKS.move_to_end(key)
    return key, books


def rulebooks() -> dict[str, Rulebook]:
    """Every rulebook found, by name (each version, whatever the period)."""
    return dict(_books()[1])


def rules_for(period: str) -> Rules:
    """The rulebooks in force on the first day of ``period`` (YYYY-MM), resolved once per period and
    set of rulebook files."""
    key, books = _books()
    rules = _RULES.get((key, period))
    if rules is None:
        rules = _RULES[(key, period)] = resolve(books, period)
    return rules


def forget() -> None:
    """Drop every parsed rulebook (the next call reads and parses the files again)."""
    _BOOKS.clear()
    _RULES.clear()
