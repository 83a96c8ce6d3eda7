"""Reading employer payroll exports from income/ through mapping profiles (data/profiles).

How a file's profile is chosen:
1. a sidecar ``<file>.profile`` beside it containing a profile name, else
2. a canonical CSV (UTF-8, header period,member_id,component,amount) is read as such, else
3. the header signature: the one profile whose ``signature`` columns are all in the header line
   (decoded with that profile's encoding). None or several matching profiles is an error naming
   the file — never a guess.
A file that cannot be decoded or whose header does not match its profile is one `bad_file`
exception naming the file and the expected columns; only the members named in it are blocked.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flows import settings
from flows.files import cell_text, check_input, decode_text, file_problem, sniff_separator, xlsx_rows, xlsx_values
from transforms.errors import Issue, issue, text
from transforms.folders import files_by_name, replaced_files
from transforms.polish import count
from transforms.payroll import (NOT_INCOME, Identifiers, PayrollResult, Profile, expected_columns, header_problem,
                                load_dictionary, map_rows, members_named_in, parse_profile)

PROFILES = settings.PROFILES
CANONICAL = ["period", "member_id", "component", "amount"]
DICTIONARY = "components.toml"


def load_profiles() -> dict[str, Profile]:
    """Every profile of the shipped folder and the user's (configuration folder, SKLADKI_PROFILES),
    by name; a user's file of the same file name as a shipped one replaces it (issue 31)."""
    out = {}
    for path in files_by_name(settings.profile_folders(), check=check_input).values():
        if path.name == DICTIONARY:
            continue
        p = parse_profile(path.read_text(encoding="utf-8"), str(path))
        out[p.name] = p
    return out


def dictionary_files() -> list[Path]:
    """components.toml of every profile folder, the shipped one first (issue 31: the user's own is read too)."""
    found = [Path(f) / DICTIONARY for f in settings.profile_folders() if os.path.lexists(Path(f) / DICTIONARY)]
    return [check_input(p) for p in found]


def component_labels() -> dict[str, str]:
    """The Polish name of each component code ([labels] of the dictionaries), for what people read."""
    import tomllib
    out: dict[str, str] = {}
    for path in dictionary_files():
        try:
            out |= tomllib.loads(path.read_text(encoding="utf-8")).get("labels", {})
        except tomllib.TOMLDecodeError:
            continue              # a broken user file is reported by dictionary(), which every close reads
    return out


def dictionary() -> dict[str, str]:
    """Normalised name -> code: the shipped dictionary, then the user's; for a name in both, the
    user's code wins. The codes a user's file may use are the shipped [labels] (and not_income)."""
    files = dictionary_files()
    return dict(_dictionary(tuple((str(p), p.stat().st_mtime_ns) for p in files)))


@lru_cache(maxsize=8)        # read once per close, not once per payroll file
def _dictionary(files: tuple[tuple[str, int], ...]) -> tuple[tuple[str, str], ...]:
    import tomllib
    out: dict[str, str] = {}
    codes = None
    for name, _ in files:
        content = Path(name).read_text(encoding="utf-8")
        out |= load_dictionary(content, name, codes)
        if codes is None:         # the first (shipped) dictionary names the codes the user's may use
            codes = set(tomllib.loads(content).get("labels", {})) | {NOT_INCOME}
    return tuple(out.items())


def user_file_notes() -> list[str]:
    """Issue 31: one Polish line for each user's file that replaces a shipped one of the same name
    (a rulebook, a payroll profile) or adds to the shipped dictionary (components.toml)."""
    return [text("notes", "user_dictionary" if path.name == DICTIONARY else "user_file_replaces", file=str(path))
            for folders in (settings.rulebook_folders(), settings.profile_folders())
            for path in replaced_files(folders)]


class BadFile(Exception):
    pass


def decoded_rows(path: Path, profile: Profile) -> list[list[str]]:
    if profile.format == "xlsx":
        pesel_columns = (profile.id_column,) if profile.id_by == "pesel" else ()
        return [[c or "" for c in r] for r in xlsx_rows(path, pesel_columns, profile.header_row)]
    try:
        content = path.read_bytes().decode(profile.encoding)
    except UnicodeDecodeError as e:
        raise BadFile(text("problems", "file_decode", encoding=profile.encoding, profile=profile.name,
                           byte=e.start, columns=expected_columns(profile), header_row=profile.header_row)) from None
    return list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=profile.separator))


def _header(path: Path, profile: Profile) -> list[str] | None:
    try:
        rows = decoded_rows(path, profile)
    except Exception:  # noqa: BLE001 - a file that does not decode as this profile does not match it
        return None
    return [(h or "").strip() for h in rows[profile.header_row - 1]] if len(rows) >= profile.header_row else None


def is_canonical(path: Path) -> bool:
    if path.suffix.lower() == ".xlsx":
        try:
            first = next(iter(xlsx_values(path)), ())
        except Exception:  # noqa: BLE001 - an unreadable workbook is not canonical
            return False
        return all(c in [str(v).strip() for v in first if v is not None] for c in CANONICAL)
    try:
        first = decode_text(path.read_bytes())[0].splitlines()[0]
    except (UnicodeDecodeError, IndexError):
        return False
    return all(c in [h.strip() for h in first.split(sniff_separator(first))] for c in CANONICAL)


def choose_profile(path: Path, profiles: dict[str, Profile]) -> Profile | None:
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
    if is_canonical(path):
        return None
    kind = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    matches = [p for p in profiles.values() if p.format == kind
               and (h := _header(path, p)) is not None and all(c in h for c in p.signature)]
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


def read_payroll(path: Path, profile: Profile, ids: Identifiers, period: str, out: PayrollFiles) -> None:
    source = f"income/{path.name}"
    try:
        rows = decoded_rows(path, profile)
        if len(rows) < profile.header_row:
            raise BadFile(text("problems", "too_few_lines", lines=count(len(rows), "wiersz"), profile=profile.name,
                               header_row=profile.header_row))
        problem = header_problem([(h or "").strip() for h in rows[profile.header_row - 1]], profile)
        if problem:
            raise BadFile(problem)
    except BadFile as e:
        bad_file(path, str(e), ids, period, out)
        return
    res: PayrollResult = map_rows(rows, profile, dictionary(), ids, source, period, period)
    out.lines += res.lines
    out.deductions += res.deductions
    out.issues += res.issues
    out.blocked |= res.blocked
    out.row_status += res.row_status


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
