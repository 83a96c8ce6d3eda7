"""Prefect tasks made from a namespace of plain step functions (TOOLCHAIN.md: logic stays in plain
functions; tasks are thin). Only reading steps retry: they are the I/O that may pass on retry."""
from __future__ import annotations

from types import SimpleNamespace

READING_STEPS = ("ingest", "read_inputs")


def tasks_of(steps: SimpleNamespace) -> SimpleNamespace:
    from prefect import task
    from prefect.cache_policies import NONE   # inputs are large frames; a run always recomputes
    return SimpleNamespace(**{
        name: task(fn, name=name.replace("_", "-"), cache_policy=NONE,
                   **({"retries": 1, "retry_delay_seconds": 1} if name in READING_STEPS else {}))
        for name, fn in vars(steps).items()})
