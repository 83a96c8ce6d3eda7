"""The archive of every close (issue 18): its exact inputs, content-addressed in the database —
each file once, by its sha256, zlib-compressed — with the rulebooks, payroll profiles and message
catalogue it used and the members' accounts it started from. `skladki replay --run ID --db FILE`
re-runs that close from the archive into a scratch database and compares every table of the
month with the stored one (flows/replay.py); `skladki archive --export ID DIR` gives an auditor the files.
"""
import hashlib
import json
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from flows import settings, store
from schemas.tables import TABLES
from transforms import errors
from transforms.errors import UserError
from transforms.ledger import BOOKED_SCHEMA, ITEM_SCHEMA, SETTLEMENT_SCHEMA, Books

BOOKS = "books.json"


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
    store.append(con, "archive_blobs", pl.DataFrame(
        [{"sha256": k, "size": len(v), "data": v} for k, v in blobs.items()],
        schema={"sha256": pl.String, "size": pl.Int64, "data": pl.Binary}))
    store.write(con, "archive_files", pl.DataFrame(rows, schema=TABLES["archive_files"].frame_schema()),
                run_id=run_id)
    return added


def extract(con, run_id: str, folder: Path) -> dict:
    """Write the run's archived files under ``folder`` (role/path), each checked against its hash.
    Returns the run's row of `runs`."""
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
    for role, path, sha, packed in files:
        try:
            data = zlib.decompress(packed) if packed is not None else None
        except zlib.error:
            data = None
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            raise UserError("archive_damaged", role=role, path=path, sha=sha[:16])
        target = folder / role / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return {"run_id": run[0], "period": run[1], "files": len(files),
            "units": run[2].split(",") if run[2] else None}


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


# ------------------------------------------------------------------ skladki replay: flows/replay.py


def export(db: Path, run_id: str, folder: Path) -> int:
    """`skladki archive --export`: the run's files for an auditor, with a manifest of hashes."""
    if not Path(db).exists():
        raise UserError("no_database", db=db)
    folder.mkdir(parents=True, exist_ok=True)
    with store.read_only(Path(db)) as con:
        info = extract(con, run_id, folder)
        rows = con.execute("SELECT role, path, sha256 FROM archive_files WHERE run_id = ? ORDER BY role, path",
                           [run_id]).fetchall()
    (folder / "MANIFEST.txt").write_text(
        f"skladki: przebieg {run_id}, okres {info['period']}\n" + "".join(f"{sha}  {role}/{path}\n"
                                                                         for role, path, sha in rows),
        encoding="utf-8")
    return info["files"]
