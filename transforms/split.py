"""Splitting a unit's D across the union's levels (RULES.md §5, 004 §3).

``split_dues`` is the one function that moves money between levels; everything else calls it.
The cascade is rulebook data: each move passes its share of D, rounded half-up, from one level to
another, and every level keeps what it receives and does not pass on — so the parts sum to D
exactly, whatever the levels are.
"""
from __future__ import annotations

from transforms.money import share
from transforms.rulebook import Cascade


def moves(d: int, cascade: Cascade) -> list[tuple[str, str, int]]:
    """(from, to, grosze) of every move of the cascade for D."""
    return [(m.source_level, m.target_level, share(d, m.share)) for m in cascade.moves]


def split_dues(d: int, cascade: Cascade, made: list[tuple[str, str, int]] | None = None) -> dict[str, int]:
    """D grosze -> amount per level (every level of the cascade, zeros included).

    D = 1.23 zł (Solidarność, normal): unit 0.74, region 0.31, national 0.10, branch 0.02,
    strike funds 0.03 + 0.03. ``made``: ``moves(d, cascade)`` when the caller has them already
    (the steps it records are the same moves, worked out once).
    """
    parts = {lvl: 0 for lvl in cascade.levels}
    parts[cascade.root] = d
    for source, target, amount in (moves(d, cascade) if made is None else made):
        parts[source] -= amount
        parts[target] += amount
    return parts
