#!/usr/bin/env python3
"""Benchmark (issue 32): a close's groups of units computed in parallel on Prefect's Dask task
runner, on a local cluster — what running the groups on a distributed engine would give.

    .venv/bin/pip install prefect-dask      # not in requirements.lock: only for this measurement
    .venv/bin/python benchmarks/groups_dask.py [--members 200000] [--group-members 50000] [--workers 2]

A synth inbox is split into groups of whole units as a grouped close splits it
(``transforms.groups``), then every group's month (``transforms.close.month``, pure) is computed
three ways, each timed: one after another in this process; as Prefect tasks of one flow on a
``DaskTaskRunner`` over a ``LocalCluster`` of ``--workers`` processes (one thread each, polars
in each worker limited to ``--polars-threads``); and directly on the same cluster through
``distributed`` (the runner's own cost is the difference). The results of the three are compared
(every table of every group: the same rows and types), and the bytes that travel — each group's inputs to a
worker and its result back, pickled — are measured. The store stays single-writer: a close by
groups on a cluster would append each result in the flow's process, inside its one transaction.
"""
from __future__ import annotations

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def group_jobs(inbox: Path, period: str, max_members: int):
    """(MonthInputs, StagedUnits) of each group of the inbox, as flows/close.py save_by_groups makes them."""
    from flows.inbox import read_inbox
    from flows.rules import rules_for
    from transforms.close import MonthInputs
    from transforms.groups import group_inputs, group_units, partition, split
    from transforms.ledger import Books
    from transforms.staging import stage_units
    raw, rules, books = read_inbox(inbox, period), rules_for(period), Books()
    groups = partition(raw, books, max_members)
    if groups is None:
        sys.exit("this inbox cannot be split into groups (see transforms/groups.py)")
    staged_units = stage_units(raw.units, rules)
    cut = split(raw, groups)
    jobs = []
    for g in range(groups.count):
        sub, carried = group_inputs(raw, books, groups, g, first=g == 0, frames=cut[g])
        jobs.append((MonthInputs(sub, rules, carried), group_units(staged_units, groups, g)))
    return jobs


def compute(job):
    """One group's month (the unit of work a task runner runs)."""
    from transforms.close import month
    inputs, staged_units = job
    return month(inputs, group=True, staged_units=staged_units)


def differing(a, b) -> list[str]:
    """The fields of two groups' results that differ (frames: the same rows and types)."""
    import polars as pl
    out = []
    for name, x in vars(a).items():
        y = getattr(b, name)
        if isinstance(x, pl.DataFrame) and isinstance(y, pl.DataFrame):
            if not x.equals(y) and not x.sort(pl.all()).equals(y.sort(pl.all())):   # (file_units: no order)
                out.append(name)
        elif not isinstance(x, pl.DataFrame) and x != y:
            out.append(name)
        elif isinstance(x, pl.DataFrame) != isinstance(y, pl.DataFrame):
            out.append(name)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=200_000)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--group-members", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--polars-threads", type=int, default=1)
    args = ap.parse_args()
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        sys.exit("needs prefect-dask: .venv/bin/pip install prefect-dask (not part of requirements.lock)")
    from distributed import Client, LocalCluster
    from prefect import flow, task

    work = Path(tempfile.mkdtemp(prefix="skladki-dask-"))
    subprocess.run([str(BIN / "skladki"), "synth", "--members", str(args.members), "--period", args.period,
                    "--out", str(work / "inbox")], check=True, capture_output=True)
    t0 = time.perf_counter()
    jobs = group_jobs(work / "inbox", args.period, args.group_members)
    print(f"{args.members} members: read and split into {len(jobs)} groups in {time.perf_counter() - t0:.1f} s")
    blobs = [pickle.dumps(j, protocol=5) for j in jobs]
    sizes_in = [len(b) for b in blobs]
    copies = [pickle.loads(b) for b in blobs]     # ``month`` lets its inputs' text go: each way gets its own

    t0 = time.perf_counter()
    serial = [compute(j) for j in copies]
    t_serial = time.perf_counter() - t0
    sizes_out = [len(pickle.dumps(r, protocol=5)) for r in serial]
    print(f"one after another, this process: {t_serial:.2f} s "
          f"(inputs {sum(sizes_in) / 1e6:.0f} MB, results {sum(sizes_out) / 1e6:.0f} MB pickled; "
          f"per group {statistics.median(sizes_in) / 1e6:.1f} MB in, {statistics.median(sizes_out) / 1e6:.1f} MB out)")

    env = {"POLARS_MAX_THREADS": str(args.polars_threads)}
    cluster_kwargs = {"n_workers": args.workers, "threads_per_worker": 1, "processes": True,
                      "memory_limit": "6GiB", "env": env}

    with LocalCluster(**cluster_kwargs) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("transforms.close"))        # workers import skladki once
        t0 = time.perf_counter()
        direct = client.gather(client.map(compute, jobs, pure=False))
        t_direct = time.perf_counter() - t0
    print(f"distributed directly, LocalCluster of {args.workers} processes: {t_direct:.2f} s")

    compute_task = task(compute, name="grupa", persist_result=False, cache_policy=None)

    @flow(name="zamkniecie-grupami", task_runner=DaskTaskRunner(cluster_kwargs=cluster_kwargs), persist_result=False)
    def by_groups(jobs):
        return [f.result() for f in compute_task.map(jobs)]

    from prefect.testing.utilities import prefect_test_harness
    t0 = time.perf_counter()
    with prefect_test_harness():         # a temporary Prefect server (its start-up not counted below)
        started = time.perf_counter()
        on_prefect = by_groups(jobs)
        t_prefect = time.perf_counter() - started
    print(f"Prefect flow, DaskTaskRunner ({args.workers} processes; the cluster's start and Prefect's "
          f"bookkeeping included, the temporary server's {started - t0:.1f} s start not): {t_prefect:.2f} s")
    diff = sorted({f for a, b, c in zip(serial, direct, on_prefect, strict=True)
                   for f in differing(a, b) + differing(a, c)})
    print(f"results identical in all three: {'yes' if not diff else 'no: ' + ', '.join(diff)}; "
          f"cores here: {os.cpu_count()}")


if __name__ == "__main__":
    main()
