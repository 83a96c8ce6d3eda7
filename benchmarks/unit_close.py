#!/usr/bin/env python3
"""Benchmark (issue 15): the monthly close of one 300-member unit from the command line, start-up
included — what a unit treasurer waits for. A synth inbox is narrowed to one unit, then

    skladki close --period P --inbox DIR --db FILE --out DIR --engine plain

runs ``--runs`` times (each into a fresh database and folder: the close workbook, the unit's
workbook and its settlement PDF); prints the median, the fastest and the slowest.

    .venv/bin/python benchmarks/unit_close.py [--members 300] [--runs 9]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def one_unit_inbox(folder: Path, members: int, period: str) -> None:
    """``skladki synth`` spreads members over units of 100; every member is moved into the first."""
    subprocess.run([str(BIN / "skladki"), "synth", "--members", str(members), "--period", period,
                    "--out", str(folder)], check=True, capture_output=True)
    units = (folder / "units.csv").read_text(encoding="utf-8").splitlines()
    first = units[1].split(",")[0]
    (folder / "units.csv").write_text("\n".join(units[:2]) + "\n", encoding="utf-8")
    lines = (folder / "members.csv").read_text(encoding="utf-8").splitlines()
    out = [lines[0]] + [",".join(c[:1] + [first] + c[2:]) for c in (ln.split(",") for ln in lines[1:])]
    (folder / "members.csv").write_text("\n".join(out) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=300)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--period", default="2026-10")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="skladki-unit-"))
    try:
        one_unit_inbox(work / "inbox", args.members, args.period)
        times = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            proc = subprocess.run([str(BIN / "skladki"), "close", "--period", args.period, "--inbox",
                                   str(work / "inbox"), "--db", str(work / f"{i}.duckdb"), "--out",
                                   str(work / f"out{i}"), "--engine", "plain"], capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                sys.exit(proc.stdout + proc.stderr)
        made = sorted(p.name for p in (work / "out0").rglob("*") if p.is_file())
        print(f"close of one {args.members}-member unit, --engine plain, from the command line ({args.runs} runs): "
              f"median {statistics.median(times):.2f} s, fastest {min(times):.2f} s, slowest {max(times):.2f} s; "
              f"wrote {', '.join(made)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
