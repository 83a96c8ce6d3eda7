"""Shared helpers: tiny canonical inboxes written from lists of dicts."""
from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

# A developer's own configuration folder (~/.config/skladki, %APPDATA%\skladki) and folder variables
# must not change what the tests see: every test run starts with an empty user configuration folder.
os.environ["XDG_CONFIG_HOME"] = os.environ["APPDATA"] = tempfile.mkdtemp(prefix="skladki-test-config-")
# and its cache folder (the public holidays' table, flows/library_tables.py): one of the test run's own
os.environ["XDG_CACHE_HOME"] = os.environ["LOCALAPPDATA"] = tempfile.mkdtemp(prefix="skladki-test-cache-")
for _variable in ("SKLADKI_RULEBOOKS", "SKLADKI_PROFILES", "SKLADKI_BANK_PROFILES"):
    os.environ.pop(_variable, None)


from flows import settings  # noqa: F401  (quiet Prefect settings before any prefect import)
from flows.close import CLOSE
from flows.rules import rules_for
from flows.command import run_plain

PERIOD = "2026-10"

UNIT = {"unit_id": "U1", "name": "Organizacja testowa", "region_id": "R1", "voivodeship": "śląskie",
        "sheltered": "false", "raised_pct": "100", "unemployed_flat": "0.00", "rulebook": "solidarnosc"}


def member(mid: str, category: str = "employee", unit: str = "U1", **kw) -> dict:
    return {"member_id": mid, "unit_id": unit, "category": category,
            "joined_on": kw.pop("joined_on", "2020-01-01"), **kw}


def line(mid: str, component: str, amount: str, period: str = PERIOD) -> dict:
    return {"period": period, "member_id": mid, "component": component, "amount": amount}


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


def write_inbox(folder: Path, units=None, members=(), income=(), adjustments=None) -> Path:
    _write(folder / "units.csv", list(units or [UNIT]))
    _write(folder / "members.csv", list(members) or [member("M1")])
    if income:
        _write(folder / "income" / "lines.csv", list(income))
    if adjustments is not None:
        _write(folder / "adjustments.csv", list(adjustments))
    return folder


def run_close(folder: Path, period: str = PERIOD):
    """The pure close (no DuckDB, no Prefect) of an inbox folder."""
    from flows.inbox import read_inbox
    from transforms.close import close
    return close(read_inbox(folder, period), rules_for(period))


def close_plain(period: str, inbox: Path, db: Path, out: Path | None = None, unit_workbooks: bool = True):
    """The close command on the plain engine (DuckDB and workbooks, no Prefect)."""
    return run_plain(CLOSE, period=period, inbox=inbox, db=db, out=out, unit_workbooks=unit_workbooks)


def approve_plain(period: str, db: Path, units: list[str] | None = None, by: str = "Skarbnik", **more):
    """The approve command on the plain engine: these units' month (or all) approved."""
    from flows.approve import APPROVE
    return run_plain(APPROVE, period=period, db=db, units=units, all=units is None, by=by, **more)


def close_demo_months(db: Path) -> Path:
    """The demo's two months (September assumed received, October with receipts) closed into ``db``."""
    from flows import settings
    for period in ("2026-09", "2026-10"):
        assert close_plain(period, settings.DEMO_INBOX, db, unit_workbooks=False).ok
    return db


def dues_of(result, member_id: str) -> dict | None:
    rows = result.dues.filter(result.dues["member_id"] == member_id).to_dicts()
    return rows[0] if rows else None


def rulebook_folder(tmp_path: Path, monkeypatch, name: str, text: str) -> Path:
    """A union's rulebook as one TOML file in a folder of its own, the folder skladki reads."""
    books = tmp_path / "rulebooks"
    books.mkdir(exist_ok=True)
    (books / f"{name}.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("SKLADKI_RULEBOOKS", str(books))
    return books
