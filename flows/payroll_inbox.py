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
from dataclasses import dataclass, field
from pathlib import Path

from flows import settings
from transforms.payroll import (Identifiers, PayrollResult, Profile, header_problem, load_dictionary,
                                map_rows, members_named_in, parse_profile)

PROFILES = settings.DATA / "profiles"
CANONICAL = ["period", "member_id", "component", "amount"]


def load_profiles() -> dict[str, Profile]:
    out = {}
    for path in sorted(PROFILES.glob("*.toml")):
        if path.name == "components.toml":
            continue
        p = parse_profile(path.read_text(encoding="utf-8"))
        out[p.name] = p
    return out


def dictionary() -> dict[str, str]:
    return load_dictionary((PROFILES / "components.toml").read_text(encoding="utf-8"))


class BadFile(Exception):
    pass


def decoded_rows(path: Path, profile: Profile) -> list[list[str]]:
    if profile.format == "xlsx":
        from openpyxl import load_workbook
        from flows.inbox import cell_text
        wb = load_workbook(path, read_only=True, data_only=True)
        rows = [[cell_text(v) or "" for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
        return rows
    try:
        text = path.read_bytes().decode(profile.encoding)
    except UnicodeDecodeError as e:
        raise BadFile(f"cannot be decoded as {profile.encoding} (profile {profile.name}) at byte {e.start}; "
                      f"export it again in {profile.encoding} with the columns "
                      f"{', '.join(dict.fromkeys(list(profile.signature) + profile.required_columns()))} "
                      f"on line {profile.header_row}") from None
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=profile.separator))


def _header(path: Path, profile: Profile) -> list[str] | None:
    try:
        rows = decoded_rows(path, profile)
    except Exception:  # noqa: BLE001 - a file that does not decode as this profile does not match it
        return None
    return [(h or "").strip() for h in rows[profile.header_row - 1]] if len(rows) >= profile.header_row else None


def is_canonical(path: Path) -> bool:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook
        try:
            wb = load_workbook(path, read_only=True)
            first = next(wb.worksheets[0].iter_rows(values_only=True), ())
            wb.close()
        except Exception:  # noqa: BLE001
            return False
        return all(c in [str(v).strip() for v in first if v is not None] for c in CANONICAL)
    try:
        first = path.read_bytes().decode("utf-8").lstrip("\ufeff").splitlines()[0]
    except (UnicodeDecodeError, IndexError):
        return False
    return all(c in [h.strip() for h in first.split(",")] for c in CANONICAL)


def choose_profile(path: Path, profiles: dict[str, Profile]) -> Profile | None:
    """The file's profile; None for a canonical file. Raises BadFile when it cannot be told."""
    sidecar = path.with_name(path.name + ".profile")
    if sidecar.exists():
        name = sidecar.read_text(encoding="utf-8").strip()
        if name not in profiles:
            raise BadFile(f"its sidecar {sidecar.name} names profile {name!r}, which does not exist; "
                          f"known: {', '.join(sorted(profiles))}")
        return profiles[name]
    if is_canonical(path):
        return None
    kind = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    matches = [p for p in profiles.values() if p.format == kind
               and (h := _header(path, p)) is not None and all(c in h for c in p.signature)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise BadFile("matches no payroll profile and is not a canonical file; expected the canonical "
                      f"columns {', '.join(CANONICAL)} or the columns of a profile ("
                      + "; ".join(f"{p.name}: {', '.join(p.signature)}" for p in profiles.values()
                                  if p.format == kind)
                      + f"), or put the profile name in {path.name}.profile")
    raise BadFile(f"matches several profiles ({', '.join(p.name for p in matches)}); put the right one "
                  f"in {path.name}.profile")


@dataclass
class PayrollFiles:
    lines: list[dict] = field(default_factory=list)
    deductions: list[dict] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    row_status: list[dict] = field(default_factory=list)
    rows_rejected: int = 0            # rows of whole files that could not be read
    profiles_used: dict[str, str] = field(default_factory=dict)


def read_payroll(path: Path, profile: Profile, ids: Identifiers, period: str, out: PayrollFiles) -> None:
    source = f"income/{path.name}"
    try:
        rows = decoded_rows(path, profile)
        if len(rows) < profile.header_row:
            raise BadFile(f"has {len(rows)} lines, but profile {profile.name} expects the header on line "
                          f"{profile.header_row}")
        problem = header_problem([(h or "").strip() for h in rows[profile.header_row - 1]], profile)
        if problem:
            raise BadFile(problem)
    except BadFile as e:
        bad_file(path, str(e), ids, period, out)
        return
    res: PayrollResult = map_rows(rows, profile, dictionary(), ids, source, period, period)
    out.lines += res.lines
    out.deductions += res.deductions
    out.exceptions += res.exceptions
    out.blocked |= res.blocked
    out.row_status += res.row_status
    out.profiles_used[source] = profile.name


def bad_file(path: Path, why: str, ids: Identifiers, period: str, out: PayrollFiles) -> None:
    """One exception for the file; the members named in it are blocked, the close goes on."""
    source = f"income/{path.name}"
    # identifiers are ASCII: any single-byte decoding finds them
    text = path.read_bytes().decode("cp1250", errors="replace") if path.suffix.lower() != ".xlsx" else ""
    named = sorted(members_named_in(text, ids))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    out.rows_rejected += max(len(lines) - 1, 0)
    out.exceptions.append({"period": period, "source": source, "row": None, "member_id": None,
                           "reason_code": "bad_file",
                           "message": f"{source}: {why}. Nothing in the file was used"
                                      + (f"; {len(named)} member(s) named in it are blocked" if named else "")
                                      + "."})
    for m in named:
        out.exceptions.append({"period": period, "source": source, "row": None, "member_id": m,
                               "reason_code": "bad_file",
                               "message": f"member {m}: named in {source}, which could not be read; their "
                                          "dues are not computed until the file is fixed."})
    out.blocked.update(named)
