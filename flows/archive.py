"""The archive of every close (issue 18): its exact inputs, content-addressed in the database —
each file once, by its sha256, zlib-compressed — with the rulebooks, payroll profiles and message
catalogue it used and the members' accounts it started from. `skladki replay --run ID --db FILE`
re-runs that close from the archive into a scratch database and compares every table of the
month with the stored one (flows/replay.py); `skladki archive --export ID DIR` gives an auditor
what the close used — without the unit's personal data unless asked for (issue 27).
"""
import hashlib
import json
import os
import re
import shutil
import tempfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from flows import settings, store
from flows.command import CLOSED_DB, Command, Params, Run, option
from reports.archive import manifest
from schemas.tables import EXPORT_TABLES, TABLES
from transforms import errors
from transforms.errors import UserError
from transforms.polish import count
from transforms.ledger import BOOKED_SCHEMA, ITEM_SCHEMA, SETTLEMENT_SCHEMA, Books

BOOKS = "books.json"

@dataclass(frozen=True, kw_only=True)
class ExportParams(Params):
    export: str = option("numer przebiegu do wydania", title="Numer przebiegu", form="run_id z tabeli runs")
    folder: Path = option("nowy albo pusty folder, do którego zapisać pliki", argument=True,
                          title="Folder wydania", form="nowy albo pusty folder na pliki archiwum")
    db: Path = option("plik bazy DuckDB", **CLOSED_DB)
    with_personal_data: bool = option(
        "także dokładne wejścia jednostki (members.csv, listy płac: PESEL, imiona i nazwiska, wynagrodzenia); "
        "bez tej opcji tylko ich sumy kontrolne", False, title="Z danymi osobowymi",
        form="także dokładne wejścia jednostki (PESEL, imiona i nazwiska, wynagrodzenia)")



def books_bytes(books: Books) -> bytes:
    """The members' accounts a close started from, as canonical JSON (part of its inputs)."""
    return json.dumps({"items": books.items.sort(pl.all()).to_dicts(), "credits": dict(sorted(books.credits.items())),
                       "corrections": books.corrections.sort(pl.all()).to_dicts(),
                       "received_units": sorted(books.received_units),
                       "booked": books.booked.sort(pl.all()).with_columns(pl.col("paid_on").cast(pl.String)).to_dicts(),
                       "closed_months": dict(sorted(books.closed_months.items()))},
                      ensure_ascii=False, sort_keys=True).encode("utf-8")


def books_from(data: bytes) -> Books:
    doc = json.loads(data)
    return Books(pl.DataFrame(doc["items"], schema=ITEM_SCHEMA), {k: int(v) for k, v in doc["credits"].items()},
                 pl.DataFrame(doc["corrections"], schema=SETTLEMENT_SCHEMA), set(doc["received_units"]),
                 # closes archived before issue 27 carry neither (nothing was booked late then)
                 pl.DataFrame(doc.get("booked", []), schema={**BOOKED_SCHEMA, "paid_on": pl.String})
                 .with_columns(pl.col("paid_on").str.to_date()), doc.get("closed_months", {}))


def used_files(raw, books: Books) -> list[tuple[str, str, bytes]]:
    """(role, path, bytes) of everything a close read."""
    out = [("inbox", rel, data) for rel, data in raw.files]
    for role, folders in (("rulebooks", settings.rulebook_folders()), ("profiles", settings.profile_folders())):
        for i, folder in enumerate(folders):
            out += [(role, f"{i}/{p.name}", p.read_bytes()) for p in sorted(Path(folder).glob("*.toml"))]
    out.append(("catalogue", "catalogue.toml", errors.CATALOGUE.read_bytes()))
    out.append(("books", BOOKS, books_bytes(books)))
    return out


LEVEL = 1   # zlib level: a national inbox (80 MB) in 0.2 s at 31 %, where level 6 takes 1 s for 26 %


def pack(data: bytes) -> tuple[str, bytes]:
    """(sha256, compressed) of one file."""
    return hashlib.sha256(data).hexdigest(), zlib.compress(data, LEVEL)


def pack_ahead(files: list[tuple[str, bytes]]) -> Future:
    """Hash and compress the inbox's files on another thread while the close stages and computes
    (zlib and hashlib release the GIL): a future of {path: (sha256, compressed)} for ``capture``."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="skladki-archive")
    future = pool.submit(lambda: {rel: pack(data) for rel, data in files})
    pool.shutdown(wait=False)
    return future


def capture(con, run_id: str, files: list[tuple[str, str, bytes]], ahead: Future | None = None) -> int:
    """Store the files of a run (each content once); returns the compressed bytes added.
    ``ahead``: the inbox files already packed (``pack_ahead``)."""
    for table in ("archive_blobs", "archive_files"):
        store.ensure(con, table)
    known = {s for (s,) in con.execute("SELECT sha256 FROM archive_blobs").fetchall()}
    packed = ahead.result() if ahead is not None else {}
    rows, blobs, added = [], {}, 0
    for role, path, data in files:      # an inbox file packed ahead may have let its bytes go (data None)
        if role == "inbox" and path in packed:
            sha, compressed = packed[path]
        else:
            sha, compressed = hashlib.sha256(data).hexdigest(), None
        rows.append({"run_id": run_id, "role": role, "path": path, "sha256": sha})
        if sha not in known and sha not in blobs:
            blobs[sha] = compressed if compressed is not None else zlib.compress(data, LEVEL)
            added += len(blobs[sha])
    # the blobs inserted from their bytes as they are (issue 32: through a frame and Arrow, a national
    # inbox's 25 MB of blobs were copied three times at the end of the close: +85 MiB at its peak), in
    # one statement (a unit's 14 files: 8 ms one by one, 2 ms together)
    if blobs:
        con.execute("INSERT INTO archive_blobs (sha256, size, data) VALUES " + ", ".join(["(?, ?, ?)"] * len(blobs)),
                    [v for sha, data in blobs.items() for v in (sha, len(data), data)])
    store.write(con, "archive_files", pl.DataFrame(rows, schema=TABLES["archive_files"].frame_schema()),
                run_id=run_id)
    return added


def archived(con, run_id: str) -> tuple[dict, list[tuple[str, str, str, bytes]]]:
    """The run's row of `runs` and its archived files (role, path, sha256, bytes), each checked
    against its hash and its stored name (``stored_name``)."""
    names = store.table_names(con)
    units = ", units" if "runs" in names and any(
        c == "units" for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = 'runs'").fetchall()) else ", NULL"
    run = con.execute(f"SELECT run_id, period{units} FROM runs WHERE run_id = ?", [run_id]).fetchone() \
        if "runs" in names else None
    if run is None:
        raise UserError("no_run", run=run_id)
    if "archive_files" not in names:
        raise UserError("no_archive", run=run_id)
    files = con.execute("SELECT f.role, f.path, f.sha256, b.data FROM archive_files f LEFT JOIN archive_blobs b "
                        "USING (sha256) WHERE f.run_id = ? ORDER BY f.role, f.path", [run_id]).fetchall()
    if not files:
        raise UserError("no_archive", run=run_id)
    out, seen = [], set()
    for role, path, sha, packed in files:
        name = stored_name(run_id, role, path)
        if name.casefold() in seen:        # one file on a case-insensitive disk: one would overwrite the other
            raise UserError("archive_bad_name", run=run_id, path=shown(name))
        seen.add(name.casefold())
        try:
            data = zlib.decompress(packed) if packed is not None else None
        except zlib.error:
            data = None
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            raise UserError("archive_damaged", role=role, path=path, sha=str(sha)[:16])
        out.append((role, path, sha, data))
    return {"run_id": run[0], "period": run[1], "files": len(files),
            "units": run[2].split(",") if run[2] else None}, out


def extract(con, run_id: str, folder: Path) -> dict:
    """Write the run's archived files under ``folder`` (role/path). Returns the run's row of `runs`."""
    info, files = archived(con, run_id)
    for role, path, _, data in files:
        target = folder / role / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return info


# a stored name that stays inside the folder it is written to, on any disk: relative, no '..' or
# '.', no drive, no character Windows refuses, no name Windows reserves (CON, AUX, LPT1.csv, …)
RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(\..*)?", re.IGNORECASE)
FORBIDDEN = re.compile(r'[\x00-\x1f<>:"|?*]')


def stored_name(run_id: str, role: str, path: str) -> str:
    """``role/path`` as a relative path safe to write under any folder, or ``archive_bad_name``.
    A close stores only names it read from its inbox; anything else is a database changed outside
    the program (path traversal: '../../x.csv', '/etc/x', 'C:x')."""
    parts = [str(role), *re.split(r"[\\/]", str(path))]
    if not all(p and p not in (".", "..") and p == p.rstrip(". ") and not FORBIDDEN.search(p)
               and not RESERVED.fullmatch(p) for p in parts):
        raise UserError("archive_bad_name", run=run_id, path=shown(f"{role}/{path}"))
    return "/".join(parts)


def shown(name: str) -> str:
    """A stored name as a message may quote it (control characters escaped)."""
    return repr(name)[1:-1]


@contextmanager
def archived_rules(folder: Path):
    """Rulebooks, profiles and messages as the archived close had them."""
    before = dict(settings.ARCHIVED), errors.CATALOGUE
    settings.ARCHIVED.update({role: sorted(p for p in (folder / role).iterdir() if p.is_dir())
                              for role in ("rulebooks", "profiles")})
    errors.CATALOGUE = folder / "catalogue" / "catalogue.toml"
    errors.catalogue.cache_clear()
    try:
        yield
    finally:
        settings.ARCHIVED.clear()
        settings.ARCHIVED.update(before[0])
        errors.CATALOGUE = before[1]
        errors.catalogue.cache_clear()


# ------------------------------------------------------------------ skladki archive --export
# Who receives what (RULES.md §14, docs/explain-replay.md): the unit's database keeps its inputs
# verbatim (members.csv, payroll files: replay needs them); an export goes to an auditor, often
# above the unit, so by default it carries the program's own files (rulebooks, profiles,
# messages), the month's stored tables that name no person, and the sha256 of every archived
# input (an auditor checks a unit's copy against them). The inputs themselves (PESEL, names,
# salaries, members' accounts) only with --with-personal-data. MANIFEST.txt says which it is.

PROGRAM_ROLES = ("rulebooks", "profiles", "catalogue")
TABLES_FOLDER = "tables"


@dataclass(frozen=True)
class ExportInputs:
    info: dict                                  # the run's row of `runs` (run_id, period, files, units)
    files: list[tuple[str, str, str, bytes]]    # archived (role, path, sha256, bytes), each checked
    tables: dict[str, bytes]                    # tables/<table>.csv -> the month's rows naming no person


@dataclass(frozen=True)
class ExportResult:
    period: str
    written: int                                # files in the export folder besides MANIFEST.txt


def check(params) -> None:
    """The database a replay or an export reads is there."""
    if not Path(params.db).exists():
        raise UserError("no_database", db=params.db)


def check_export(params: ExportParams) -> None:
    check(params)
    target = Path(params.folder)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UserError("export_target_file", folder=target)
    if target.is_dir() and any(target.iterdir()):
        raise UserError("export_target_not_empty", folder=target)


def read_export(run: Run) -> ExportInputs:
    p = run.params
    with store.read_only(p.db) as con:
        info, files = archived(con, p.export)
        names = store.table_names(con)
        tables = {}
        for table in EXPORT_TABLES:
            if table not in names:
                continue
            if table == "runs":
                where, params = "run_id = ?", [p.export]
            else:
                where, params = "period = ?", [info["period"]]
                key = "payer_id" if table == "transfers" else TABLES[table].unit_key
                if info["units"] and key:
                    where += f" AND list_contains(?, {key})"
                    params.append(info["units"])
            tables[f"{TABLES_FOLDER}/{table}.csv"] = con.sql(
                f"SELECT * FROM {table} WHERE {where}", params=params).pl().write_csv().encode("utf-8")
    return ExportInputs(info=info, files=files, tables=tables)


def write_export(run: Run, inputs: ExportInputs) -> ExportResult:
    """Everything into a fresh staging folder beside the target, MANIFEST.txt last, then the
    folder moved into place in one rename: an export is whole or absent, nothing is overwritten
    (hence not through ``run.output``, which moves file by file into an existing folder)."""
    p = run.params
    target, personal = Path(p.folder), bool(p.with_personal_data)
    given = {stored_name(p.export, role, path): data for role, path, _, data in inputs.files
             if personal or role in PROGRAM_ROLES}
    given.update(inputs.tables)
    hashed = [(sha, stored_name(p.export, role, path)) for role, path, sha, _ in inputs.files
              if not personal and role not in PROGRAM_ROLES]
    home = next(parent for parent in target.absolute().parents if parent.is_dir())
    staging = Path(tempfile.mkdtemp(prefix=".skladki-eksport-", dir=home))
    try:
        for name, data in sorted(given.items()):
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        (staging / "MANIFEST.txt").write_text(manifest(p.export, inputs.info["period"], personal, given, hashed),
                                              encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            target.rmdir()          # empty (checked): fails if anything appeared in it meanwhile
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportResult(period=inputs.info["period"], written=len(given))


def export_summary(run: Run, result: ExportResult) -> str:
    p = run.params
    what = "z danymi osobowymi" if p.with_personal_data else "bez danych osobowych"
    return (f"archiwum przebiegu {p.export} ({result.period}, {what}): "
            f"{count(result.written, 'plik')} w {p.folder} (sumy kontrolne: MANIFEST.txt)")


EXPORT = Command(
    params=ExportParams, help='Wydaje audytorowi archiwum zamknięcia: pliki programu, tabele miesiąca i sumy kontrolne wejść (MANIFEST.txt).',
    engine=None,
    name="archive", flow_name="archive-export", check=check_export, read=read_export, report=write_export,
    summary=export_summary)
