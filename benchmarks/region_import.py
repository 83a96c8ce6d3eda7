#!/usr/bin/env python3
"""Benchmark (issue 29): a region's month from its units' settlement files, from the command line,
start-up included — what a region's treasurer waits for.

The demo's October is closed and unit GD-0001 approved with ``--out``; its settlement file is the
template of ``--units`` units GD-1000, GD-1001, … (the same figures, each file's unit id, name and
transfer titles its own, re-stamped with transforms/settlement_file.stamp, so every file passes
every check of the import). An MT940 statement of the region's account pays each unit's October
transfer to the region (title ``GD-1000 składki 10/2026``). Then, ``--runs`` times each, into a
fresh database:

    skladki import --folder DIR --db FILE --region GD --out DIR --engine plain
    skladki reconcile --period 2026-10 --statements DIR --db FILE --region GD --out DIR --engine plain

and prints the median, the fastest and the slowest of each.

    .venv/bin/python benchmarks/region_import.py [--units 2000] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms import settlement_file as sf  # noqa: E402
from transforms.money import pln  # noqa: E402

BIN = Path(sys.executable).parent
PERIOD = "2026-10"
REGION_ACCOUNT = "PL48124010371111001099887766"     # data/demo/regions.csv, GD
UNIT_KEY = "unit"             # the settlement file's key of the unit (docs/settlement-file.md)
TO_REGION = "region"          # the demo rulebook's level the units pay


def skladki(*args) -> str:
    proc = subprocess.run([str(BIN / "skladki"), *map(str, args), "--engine", "plain"], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.exit(proc.stdout + proc.stderr)
    return proc.stdout


def template(work: Path) -> dict:
    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    skladki("close", "--period", PERIOD, "--inbox", demo, "--db", work / "demo.duckdb", "--no-unit-workbooks")
    skladki("approve", "--period", PERIOD, "--db", work / "demo.duckdb", "--unit", "GD-0001", "--by", "Skarbnik",
            "--out", work / "demo_out")
    (path,) = (work / "demo_out" / "jednostki").glob(f"rozliczenie_GD-0001_{PERIOD}_v*.json")
    return json.loads(path.read_bytes())


def unit_files(doc: dict, units: int, folder: Path) -> list[tuple[str, int]]:
    """The settlement files of ``units`` units; returns (unit id, its transfer to the region)."""
    folder.mkdir(parents=True)
    paid = []
    for i in range(1000, 1000 + units):
        uid = f"GD-{i:04d}"
        d = json.loads(json.dumps(doc).replace("GD-0001", uid))
        d[UNIT_KEY]["name"] = f"KZ NSZZ Solidarność nr {i}"
        d[UNIT_KEY]["bank_account"] = None
        d.pop("sha256", None)
        d = sf.stamp(d)
        (folder / sf.file_name(uid, PERIOD, d["version"])).write_bytes(sf.to_bytes(d))
        paid += [(uid, t["amount_gr"]) for t in d["transfers"] if t["level"] == TO_REGION]
    return paid


def statement(paid: list[tuple[str, int]], path: Path) -> None:
    """An MT940 statement of the region's account: each unit's October transfer, on time."""
    lines = [":20:ST2026", f":25:/{REGION_ACCOUNT}", ":28C:00001/001", ":60F:C261101PLN0,00"]
    total = 0
    for n, (uid, grosze) in enumerate(paid):
        total += grosze
        d = date(2026, 11, 1 + n % 19)
        lines.append(f":61:{d:%y%m%d}{d:%m%d}CN{pln(grosze).replace('.', ',')}NTRFNONREF")
        lines.append(f":86:020~00PRZELEW~20{uid} składki 10/2026~27KZ {uid}")
    lines.append(f":62F:C261130PLN{pln(total).replace('.', ',')}")
    path.parent.mkdir(parents=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n-").encode("cp1250"))


def timed(args: list, runs: int, fresh) -> list[float]:
    times = []
    for i in range(runs):
        fresh(i)
        t0 = time.perf_counter()
        skladki(*[a(i) if callable(a) else a for a in args])
        times.append(time.perf_counter() - t0)
    return times


def line(what: str, times: list[float]) -> str:
    return (f"{what} ({len(times)} runs): median {statistics.median(times):.2f} s, "
            f"fastest {min(times):.2f} s, slowest {max(times):.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="skladki-region-"))
    try:
        paid = unit_files(template(work), args.units, work / "przychodzace")
        statement(paid, work / "wyciagi" / "region_gd.sta")
        db = lambda i: work / f"region{i}.duckdb"          # noqa: E731
        imports = timed(["import", "--folder", work / "przychodzace", "--db", db, "--region", "GD", "--out",
                         lambda i: work / f"out{i}"], args.runs, lambda i: None)
        out = skladki("reconcile", "--period", PERIOD, "--statements", work / "wyciagi", "--db", db(0),
                      "--region", "GD")
        reconciles = timed(["reconcile", "--period", PERIOD, "--statements", work / "wyciagi", "--db", db,
                            "--region", "GD", "--out", lambda i: work / f"rec{i}"], args.runs, lambda i: None)
        print(line(f"import of {args.units} units' settlement files (--region GD --out)", imports))
        print(line(f"reconcile --region GD of one MT940 statement with {len(paid)} credits", reconciles))
        print(next(ln.strip() for ln in out.splitlines() if ln.strip().startswith("przelewy:")))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
