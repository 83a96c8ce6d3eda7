#!/usr/bin/env python3
"""Benchmark: `skladki synth --members N` then `skladki close`, with wall time and peak memory.

    .venv/bin/python benchmarks/close_scale.py [--members 200000] [--period 2026-10] [--corrupt 0.01]
        [--baseline] [--no-out --repeat 3]

Runs the close twice — with Prefect (the default engine) and with `--engine plain` (the same
steps without Prefect) — under /usr/bin/time -v, so the difference is Prefect's start-up and
orchestration. ``--corrupt F`` damages a fraction F of the income lines the way real files are
damaged (amounts with a comma or an overflowing number, a lost cell, a bad month, an unknown code,
a control character, a copied line) to show that a close with bad rows still finishes and
accounts for every row. Prints one line per measurement; copy them into the README.

``--baseline`` runs both bare baselines (benchmarks/baseline_polars.py) on the same inbox: the
arithmetic only (issue 15), and the fair limit (``--fair``, issue 32: the same arithmetic and every
table the close stores, in one transaction), and prints each close's ratio to both. ``--no-out``
measures only the close without ``--out`` (no workbooks), ``--repeat N`` times, each run beside a
run of each baseline (this machine's 2 cores are shared: the ratio of neighbouring runs is the
figure), then the best and the median.
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of a command run under /usr/bin/time -v."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return wall, rss_kb / 1024, proc.stdout


def corrupt(path: Path, fraction: float, seed: int = 7) -> int:
    """Damage ``fraction`` of the data lines of a canonical income CSV; returns how many."""
    rng = random.Random(seed)
    lines = path.read_text(encoding="utf-8").splitlines()
    faults = [lambda f: [f[0], f[1], f[2], f[3].replace(".", ",")],
              lambda f: [f[0], f[1], f[2], "184467440737100516.16"],
              lambda f: f[:3],
              lambda f: ["2026/10", f[1], f[2], f[3]],
              lambda f: [f[0], f[1], "premia_kwartalna", f[3]],
              lambda f: [f[0], f[1] + "\x0b", f[2], f[3]]]
    out, damaged = [lines[0]], 0
    for ln in lines[1:]:
        if rng.random() < fraction:
            damaged += 1
            if rng.random() < 1 / 7:
                out += [ln, ln]                     # a copied line
                continue
            ln = ",".join(rng.choice(faults)(ln.split(",")))
        out.append(ln)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return damaged


def no_out(args, work: Path, skladki: str) -> None:
    """The close without --out (``--engine plain``), each run beside both baselines, ``--repeat`` times."""
    import statistics
    here = Path(__file__).with_name("baseline_polars.py")
    figures = {"arithmetic": [], "fair": [], "close": [], "ratio": [], "rss": []}
    for i in range(args.repeat):
        for db in ("a.duckdb", "f.duckdb", "c.duckdb"):
            (work / db).unlink(missing_ok=True)
        arith, _, _ = timed([sys.executable, str(here), str(work / "inbox"), str(work / "a.duckdb")])
        fair, frss, _ = timed([sys.executable, str(here), str(work / "inbox"), str(work / "f.duckdb"), "--fair"])
        wall, rss, out = timed([skladki, "close", "--period", args.period, "--inbox", str(work / "inbox"), "--db",
                                str(work / "c.duckdb"), "--engine", "plain"])
        rows = re.search(r"wiersze odczytane (\d+ = .*)", out).group(1)
        for k, v in (("arithmetic", arith), ("fair", fair), ("close", wall), ("ratio", wall / fair), ("rss", rss)):
            figures[k].append(v)
        print(f"run {i + 1}: arithmetic baseline {arith:5.2f} s, fair baseline {fair:5.2f} s ({frss:5.0f} MiB), "
              f"close --engine plain (no --out) {wall:5.2f} s = {wall / fair:.2f}× the fair baseline, "
              f"{rss:5.0f} MiB peak; rows read {rows}", flush=True)
    for k, unit in (("arithmetic", "s"), ("fair", "s"), ("close", "s"), ("ratio", "×"), ("rss", "MiB")):
        v = figures[k]
        print(f"{k:<10} best {min(v):7.2f} {unit}  median {statistics.median(v):7.2f} {unit}  (of {len(v)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=200_000)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--corrupt", type=float, default=0.0, help="fraction of income lines to damage")
    ap.add_argument("--engines", default="plain,prefect")
    ap.add_argument("--receipts", action="store_true", help="synth with deductions and payments (issue 11)")
    ap.add_argument("--baseline", action="store_true",
                    help="also run benchmarks/baseline_polars.py (issue 15) and print each close's ratio to it")
    ap.add_argument("--no-out", action="store_true", help="only the close without --out (issue 32)")
    ap.add_argument("--repeat", type=int, default=1, help="with --no-out: how many times")
    ap.add_argument("--no-unit-workbooks", action="store_true",
                    help="only the runs without unit workbooks: a first close and a re-close")
    args = ap.parse_args()
    if not Path("/usr/bin/time").exists():
        sys.exit("needs /usr/bin/time (Debian package `time`)")
    work = Path(tempfile.mkdtemp(prefix="skladki-bench-"))
    skladki = str(BIN / "skladki")
    try:
        wall, rss, out = timed([skladki, "synth", "--members", str(args.members), "--period",
                                args.period, "--out", str(work / "inbox")] + (["--receipts"] if args.receipts else []))
        print(f"synth   {args.members:>8} members: {wall:6.1f} s wall, {rss:7.0f} MiB peak  ({out.strip()})")
        if args.corrupt:
            n = corrupt(work / "inbox" / "income" / "payroll.csv", args.corrupt)
            print(f"corrupted {n} income lines ({args.corrupt:.1%})")
        base = fair = None
        if args.no_out:
            no_out(args, work, skladki)
            return
        if args.baseline:
            base, rss, out = timed([sys.executable, str(Path(__file__).with_name("baseline_polars.py")),
                                    str(work / "inbox"), str(work / "baseline.duckdb")])
            print(f"baseline (bare polars, the same arithmetic): {base:6.1f} s wall, {rss:7.0f} MiB peak  "
                  f"({out.strip()})", flush=True)
            fair, rss, out = timed([sys.executable, str(Path(__file__).with_name("baseline_polars.py")),
                                    str(work / "inbox"), str(work / "fair.duckdb"), "--fair"])
            print(f"fair baseline (the same arithmetic, every table the close stores): {fair:6.1f} s wall, "
                  f"{rss:7.0f} MiB peak  ({out.strip()})", flush=True)
        runs = [("plain", "first run, all unit documents", ["--unit-workbooks"]),
                ("plain", "re-run, all unit documents", ["--unit-workbooks"]),
                ("plain", "without unit workbooks", ["--no-unit-workbooks"]),
                ("prefect", "first run, all unit documents", ["--unit-workbooks"]),
                ("prefect", "without unit workbooks", ["--no-unit-workbooks"])]
        if args.no_unit_workbooks:
            runs = [(e, kind, ["--no-unit-workbooks"]) for e in ("plain", "prefect")
                    for kind in ("first run, no unit workbooks", "re-close, no unit workbooks")]
        for engine, kind, extra in [r for r in runs if r[0] in args.engines.split(",")]:
            db = work / f"{engine}.duckdb"
            wall, rss, out = timed([skladki, "close", "--period", args.period, "--inbox",
                                    str(work / "inbox"), "--db", str(db), "--out",
                                    str(work / f"out-{engine}"), "--engine", engine, *extra])
            rows = re.search(r"wiersze odczytane (\d+ = .*)", out).group(1)
            exc = re.search(r"wyjątki: (.*)", out).group(1)
            ratio = f" ({wall / fair:.2f}× the fair baseline, {wall / base:.1f}× the arithmetic)" if base else ""
            print(f"close   engine={engine:<7} {kind:<29}: {wall:6.1f} s wall{ratio}, {rss:7.0f} MiB peak,"
                  f" rows read {rows}; exceptions {exc}", flush=True)
        first = args.engines.split(",")[0]
        wb = work / f"out-{first}" / f"zamkniecie_{args.period}.xlsx"
        db_size = (work / f"{first}.duckdb").stat().st_size
        print(f"workbook {wb.stat().st_size / 1e6:.1f} MB, database {db_size / 1e6:.1f} MB")
        # issue 18: the archive of the close's inputs, against the size of the inputs
        import duckdb
        inputs = sum(p.stat().st_size for p in (work / "inbox").rglob("*") if p.is_file())
        con = duckdb.connect(str(work / f"{first}.duckdb"), read_only=True)
        stored, n = con.execute("SELECT sum(octet_length(data)), count(*) FROM archive_blobs").fetchone()
        con.close()
        print(f"archive {stored / 1e6:.1f} MB in {n} blobs for {inputs / 1e6:.1f} MB of inputs "
              f"({stored / inputs:.0%}; a re-close of the same inputs adds none)")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
