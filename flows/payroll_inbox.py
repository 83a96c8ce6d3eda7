"""Reading employer payroll exports from income/ through mapping profiles (data/profiles).

How a file's profile is chosen:
1. a sidecar ``<file>.profile`` beside it containing a profile name, else
2. a canonical CSV (UTF-8, header period,member_id,component,amount) is read as such, else
3. the header signature: the one profile whose ``signature`` columns are all in the header line
   (decoded with that profile's encoding). None or several matching profiles is an error naming
   the file — never a guess.
A file that cannot be decoded or whose header does not match its profile is one `bad_file`
exception naming the file and the expected columns; only the members named in it are blocked.

Issue 28: each income file is read once in a close (an ``InboxFile``: its bytes decoded once by
transforms.importers, a workbook's sheet read once) and every profile looks at that one reading
through the importer interface (``Profile.identify`` / ``Profile.extract``); the profiles and the
dictionaries are read once per run.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flows import settings
from flows.files import check_input, file_problem, sniff_separator, xlsx_rows, xlsx_values
from transforms.errors import Issue, UserError, issue, text
from transforms.folders import files_by_name, replaced_files
from transforms.importers import Head
from transforms.polish import count
from transforms.payroll import (NOT_INCOME, Identifiers, PayrollResult, Profile, dictionary_document,
                                dictionary_from, expected_columns, header_problem, load_dictionary, members_named_in,
                                parse_profile)

PROFILES = settings.PROFILES
CANONICAL = ["period", "member_id", "component", "amount"]
DICTIONARY = "components.toml"


def load_profiles() -> dict[str, Profile]:
    """Every profile of the shipped folder and the user's (configuration folder, SKLADKI_PROFILES),
    by name; a user's file of the same file name as a shipped one replaces it (issue 31). Each is
    checked when read (``parse_profile``), its [columns] codes among the dictionary's (issue 28)."""
    out = {}
    codes = component_codes()
    for path in files_by_name(settings.profile_folders(), check=check_input).values():
        if path.name == DICTIONARY:
            continue
        p = parse_profile(path.read_text(encoding="utf-8"), str(path))
        wrong = {name: code for name, code in p.columns.items() if code not in codes}
        if wrong and codes:
            name, code = next(iter(wrong.items()))
            raise UserError("bad_profile", file=str(path), key="columns",
                            detail=f"'{name}' = '{code}': kod składnika spoza słownika ({', '.join(sorted(codes))})")
        out[p.name] = p
    return out


def dictionary_files() -> list[Path]:
    """components.toml of every profile folder, the shipped one first (issue 31: the user's own is read too)."""
    found = [Path(f) / DICTIONARY for f in settings.profile_folders() if os.path.lexists(Path(f) / DICTIONARY)]
    return [check_input(p) for p in found]


def _files() -> tuple[tuple[str, int], ...]:
    return tuple((str(p), p.stat().st_mtime_ns) for p in dictionary_files())


def _documents() -> tuple[tuple[str, dict | str], ...]:
    """(file, its TOML document — or the text of a broken one) of every dictionary, parsed once."""
    return _parsed(_files())


@lru_cache(maxsize=8)        # each dictionary parsed once per run, not once per payroll file
def _parsed(files: tuple[tuple[str, int], ...]) -> tuple[tuple[str, dict | str], ...]:
    out = []
    for name, _ in files:
        content = Path(name).read_text(encoding="utf-8")
        try:
            out.append((name, dictionary_document(content, name)))
        except UserError:
            out.append((name, content))        # reported by dictionary(), which every close reads
    return tuple(out)


def component_codes() -> set[str]:
    """The component codes a profile or a user's dictionary may use: the shipped [labels] (and not_income)."""
    docs = _documents()
    return set(docs[0][1].get("labels", {})) | {NOT_INCOME} if docs and isinstance(docs[0][1], dict) else set()


def component_labels() -> dict[str, str]:
    """The Polish name of each component code ([labels] of the dictionaries), for what people read."""
    out: dict[str, str] = {}
    for _, doc in _documents():
        if isinstance(doc, dict):
            out |= doc.get("labels", {})
    return out


def dictionary() -> dict[str, str]:
    """Normalised name -> code: the shipped dictionary, then the user's; for a name in both, the
    user's code wins. The codes a user's file may use are the shipped [labels] (and not_income)."""
    return dict(_dictionary(_files()))


@lru_cache(maxsize=8)
def _dictionary(files: tuple[tuple[str, int], ...]) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    codes = None
    for name, doc in _parsed(files):
        if isinstance(doc, str):
            load_dictionary(doc, name, codes)        # raises bad_dictionary, naming the codes
        out |= dictionary_from(doc, name, codes)
        if codes is None:         # the first (shipped) dictionary names the codes the user's may use
            codes = set(doc.get("labels", {})) | {NOT_INCOME}
    return tuple(out.items())


def user_file_notes() -> list[str]:
    """Issue 31: one Polish line for each user's file that replaces a shipped one of the same name
    (a rulebook, a payroll profile) or adds to the shipped dictionary (components.toml)."""
    return [text("notes", "user_dictionary" if path.name == DICTIONARY else "user_file_replaces", file=str(path))
            for folders in (settings.rulebook_folders(), settings.profile_folders())
            for path in replaced_files(folders)]


class BadFile(Exception):
    pass


class InboxFile(Head):
    """An income file as read once in a close (issue 28): a CSV's bytes (decoded once, by
    transforms.importers), a workbook's first visible sheet (read once)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.workbook = self.path.suffix.lower() == ".xlsx"
        super().__init__(b"" if self.workbook else self.path.read_bytes(), self.path.name)
        self._values: list[tuple] | None = None
        self._cells: dict[tuple, list[list[str | None]]] = {}

    def values(self) -> list[tuple]:
        if self._values is None:
            self._values = xlsx_values(self.path)
        return self._values

    def cells(self, pesel_columns: tuple[str, ...] = (), header_row: int = 1) -> list[list[str | None]]:
        key = (pesel_columns, header_row)
        if key not in self._cells:
            self._cells[key] = xlsx_rows(self.path, pesel_columns, header_row, self.values())
        return self._cells[key]


def decoded_rows(path: Path, profile: Profile, head: Head | None = None) -> list[list[str]]:
    """The file's rows through its profile (``head``: the file as already read), its header row
    checked; a text file not in the profile's encoding, too short or with another header is a BadFile."""
    try:
        rows = profile.extract(path, head or InboxFile(path))
    except UnicodeDecodeError as e:
        raise BadFile(text("problems", "file_decode", encoding=profile.encoding, profile=profile.name,
                           byte=e.start, columns=expected_columns(profile), header_row=profile.header_row)) from None
    if len(rows) < profile.header_row:
        raise BadFile(text("problems", "too_few_lines", lines=count(len(rows), "wiersz"), profile=profile.name,
                           header_row=profile.header_row))
    problem = header_problem([(h or "").strip() for h in rows[profile.header_row - 1]], profile)
    if problem:
        raise BadFile(problem)
    return rows


def first_line(text: str) -> str:
    """``text.splitlines()[0]`` without splitting the whole file (a national register: a list of
    a million lines, 0.1 s). IndexError when there is no line."""
    n = 4096
    while True:
        lines = text[:n].splitlines()
        if len(lines) > 1 or n >= len(text):
            return lines[0]
        n *= 4


def is_canonical(path: Path, head: InboxFile | None = None) -> bool:
    head = head or InboxFile(path)
    if head.workbook:
        try:
            first = next(iter(head.values()), ())
        except Exception:  # noqa: BLE001 - an unreadable workbook is not canonical
            return False
        return all(c in [str(v).strip() for v in first if v is not None] for c in CANONICAL)
    try:
        first = first_line(head.excel()[0])
    except (UnicodeDecodeError, IndexError):
        return False
    return all(c in [h.strip() for h in first.split(sniff_separator(first))] for c in CANONICAL)


def choose_profile(path: Path, profiles: dict[str, Profile], head: InboxFile | None = None) -> Profile | None:
    """The file's profile; None for a canonical file. Raises BadFile when it cannot be told."""
    sidecar = path.with_name(path.name + ".profile")
    if sidecar.exists():
        if why := file_problem(sidecar):      # a pipe named like a profile would hang the read
            raise BadFile(f"{sidecar.name}: {why}")
        name = sidecar.read_text(encoding="utf-8").strip()
        if name not in profiles:
            raise BadFile(text("problems", "sidecar_unknown", sidecar=sidecar.name, profile=name,
                               known=", ".join(sorted(profiles))))
        return profiles[name]
    head = head or InboxFile(path)
    if is_canonical(path, head):
        return None
    kind = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    matches = [p for p in profiles.values() if p.identify(path, head)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise BadFile(text("problems", "no_profile", canonical=", ".join(CANONICAL), name=path.name,
                           profiles="; ".join(f"{p.name}: {', '.join(p.signature)}"
                                              for p in profiles.values() if p.format == kind)))
    raise BadFile(text("problems", "several_profiles", profiles=", ".join(p.name for p in matches), name=path.name))


@dataclass
class PayrollFiles:
    lines: list[dict] = field(default_factory=list)
    deductions: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    row_status: list[dict] = field(default_factory=list)
    rows_rejected: int = 0            # rows of whole files that could not be read

    def add(self, res: PayrollResult) -> None:
        """One payroll file's income lines (``transforms.payroll.map_rows``) and what came with them."""
        self.lines += res.lines
        self.deductions += res.deductions
        self.issues += res.issues
        self.blocked |= res.blocked
        self.row_status += res.row_status


def bad_file(path: Path, why: str, ids: Identifiers, period: str, out: PayrollFiles, readable: bool = True) -> None:
    """One exception for the file; the members named in it are blocked, the close goes on.
    ``readable=False``: the file is not opened at all (a folder, a link, a pipe, …)."""
    source = f"income/{path.name}"
    # identifiers are ASCII: any single-byte decoding finds them
    content = (path.read_bytes().decode("cp1250", errors="replace")
               if readable and path.suffix.lower() != ".xlsx" else "")
    named = sorted(members_named_in(content, ids))
    lines = [ln for ln in content.splitlines() if ln.strip()]
    out.rows_rejected += max(len(lines) - 1, 0)
    out.issues.append(issue("bad_file_blocking" if named else "bad_file", source=source, period=period,
                            why=why, count=len(named)))
    for m in named:
        out.issues.append(issue("bad_file_member", source=source, located=False, period=period, member_id=m))
    out.blocked.update(named)
