#!/usr/bin/env python3
"""Benchmark (issue 14): the demo close from the command line, start-up included, with
`--engine plain` and with Prefect against the running local server (`skladki server start`),
N times each; prints the medians and their ratio.

    .venv/bin/python benchmarks/prefect_overhead.py [--runs 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKLADKI = str(Path(sys.executable).parent / "skladki")


def timed(args: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run([SKLADKI, *args], check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    n = ap.parse_args().runs
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}   # as on a user's machine
    print(subprocess.run([SKLADKI, "server", "start"], capture_output=True, text=True, env=env).stdout.strip())
    work = Path(tempfile.mkdtemp(prefix="skladki-prefect-bench-"))
    close = ["close", "--period", "2026-10", "--inbox", str(ROOT / "data" / "demo"), "--out", str(work / "out")]
    timed(close + ["--db", str(work / "warm.duckdb"), "--engine", "plain"], env)          # warm the caches
    plain = [timed(close + ["--db", str(work / "p.duckdb"), "--engine", "plain"], env) for _ in range(n)]
    prefect = [timed(close + ["--db", str(work / "f.duckdb")], env) for _ in range(n)]
    a, b = statistics.median(plain), statistics.median(prefect)
    print(f"demo close, {n} runs each, median: plain {a:.2f} s, Prefect with the running server {b:.2f} s "
          f"({b / a:.2f}×); plain runs {', '.join(f'{x:.2f}' for x in plain)}; "
          f"Prefect runs {', '.join(f'{x:.2f}' for x in prefect)}")


if __name__ == "__main__":
    main()
