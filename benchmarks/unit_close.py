#!/usr/bin/env python3
"""Benchmark (issues 15 and 32): the monthly close of one 300-member unit from the command line,
start-up included — what a unit treasurer waits for. A synth inbox is narrowed to one unit, then

    skladki close --period P --inbox DIR --db FILE --engine plain              (no files)
    skladki close --period P --inbox DIR --db FILE --out DIR --engine plain    (with its files)

run ``--runs`` times each, alternating (each into a fresh database and folder; with ``--out``: the
close workbook, the unit's workbook and its settlement PDF). Prints, for each, the median wall
time of the command (issue 32's figure: under 1.2 s without ``--out``), the fastest and the
slowest, the median CPU time (user + system: steadier than the wall time on a shared machine)
and the load average before and after — on 2 shared cores a loaded machine shows in the wall
time first.

    .venv/bin/python benchmarks/unit_close.py [--members 300] [--runs 9] [--only plain|out]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


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


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``command``; exits on its failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(proc.stdout + proc.stderr)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=300)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--only", choices=("plain", "out"), help="one of the two closes only")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="skladki-unit-"))
    kinds = [args.only] if args.only else ["plain", "out"]
    # the project's modules byte-compiled as an installed tool's are (dev.py's own step): where
    # PYTHONDONTWRITEBYTECODE is set, each run would otherwise compile them again
    sys.path.insert(0, str(ROOT))
    from dev import compile_sources
    compile_sources()
    try:
        one_unit_inbox(work / "inbox", args.members, args.period)
        load = os.getloadavg()[0]
        times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
        for i in range(args.runs):
            for kind in kinds:
                command = [str(BIN / "skladki"), "close", "--period", args.period, "--inbox", str(work / "inbox"),
                           "--db", str(work / f"{kind}{i}.duckdb"), "--engine", "plain"]
                if kind == "out":
                    command += ["--out", str(work / f"out{i}")]
                times[kind].append(timed(command))
        for kind in kinds:
            wall = [w for w, _ in times[kind]]
            cpu = [c for _, c in times[kind]]
            made = (", wrote " + ", ".join(sorted(p.name for p in (work / "out0").rglob("*") if p.is_file()))
                    if kind == "out" else "")
            print(f"close of one {args.members}-member unit, --engine plain, {'--out' if kind == 'out' else 'no --out'}, "
                  f"from the command line ({args.runs} runs): median {statistics.median(wall):.2f} s, fastest "
                  f"{min(wall):.2f} s, slowest {max(wall):.2f} s; CPU median {statistics.median(cpu):.2f} s{made}")
        print(f"load average (1 min) before {load:.2f}, after {os.getloadavg()[0]:.2f} (2 cores)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
