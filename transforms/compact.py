"""Frames held compactly (issue 32): the repeating text columns of a computed month as polars
Categoricals, and back to text where a frame meets one read from the database.

A text column of polars takes sixteen bytes a row (a view, plus the text itself when longer than
twelve bytes); a Categorical four. The stored tables of a month repeat a few values in many
columns — the month, the unit, the category, how a row came about — so at 600 000 members the
computed month holds ~165 MiB less from the end of the compute to the end of the store. Values
never change: DuckDB stores a Categorical as the same VARCHAR, and polars compares, filters and
groups it as text; only a join needs both sides alike (``as_text``).
"""
from __future__ import annotations

import polars as pl

# the columns that repeat a few values, by name, wherever they are text
REPEATING = ("period", "unit_id", "category", "kind", "for_period", "basis", "source", "level", "status",
             "adjustment", "rulebook_version", "rule_source", "line_period", "component", "use", "reason_code",
             "source_level", "target_level", "share")


def compact(result, tables: tuple[str, ...]):
    """``result``'s frames named in ``tables`` compacted (in place; returns ``result``)."""
    for name in tables:
        frame = getattr(result, name, None)
        if isinstance(frame, pl.DataFrame):
            setattr(result, name, compact_frame(frame))
    return result


def compact_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its ``REPEATING`` text columns as Categoricals."""
    columns = [c for c in REPEATING if frame.schema.get(c) == pl.String]
    return frame.with_columns(pl.col(columns).cast(pl.Categorical)) if columns and frame.height else frame


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its Categorical columns as text again (to be joined with a frame read from
    the database, or compared with one in a test)."""
    columns = [c for c, t in frame.schema.items() if t == pl.Categorical]
    return frame.with_columns(pl.col(columns).cast(pl.String)) if columns else frame
