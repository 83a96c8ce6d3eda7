"""MANIFEST.txt of an archive export (`skladki archive --export`, issues 18 and 27): what the
export holds and, without the personal data, the sha256 of every input kept only in the unit's
database (an auditor checks a unit's copy against them)."""
from __future__ import annotations

import hashlib

from transforms import errors


def manifest(run_id: str, period: str, personal: bool, given: dict[str, bytes],
             hashed: list[tuple[str, str]]) -> str:
    """The manifest's text: the run, the scope (with or without personal data), each file given
    with its sha256, then (sha256, name) of the inputs left out."""
    lines = [f"skladki: przebieg {run_id}, okres {period}",
             "zakres: " + errors.text("notes", "export_personal" if personal else "export_default", run=run_id),
             "pliki w tym folderze (sha256, ścieżka):"]
    lines += [f"{hashlib.sha256(data).hexdigest()}  {name}" for name, data in sorted(given.items())]
    if hashed:
        lines.append("pliki wejściowe tylko w archiwum bazy jednostki (sha256, ścieżka):")
        lines += [f"{sha}  {name}" for sha, name in hashed]
    return "\n".join(lines) + "\n"
