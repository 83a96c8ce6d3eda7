"""Verification of delegate counts against remitted dues (RULES.md §7; 004 Uchwała XIX KZD
nr 6/2005) and apportionment of seats (RULES.md §8). Pure, exact: grosze and Fractions.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from fractions import Fraction

from transforms.money import fraction


@dataclass(frozen=True)
class Verification:
    threshold: Fraction          # grosze, exact (may have fractions of a grosz)
    verdict: str                 # passed | reduced
    recognised_paying: int
    recognised_members: int
    needed: int                  # grosze the region had to remit to keep its declared count


def per_member_factor(keys_text: str) -> Fraction:
    """0.70 × 0.001 = 0.0007 of W per declared member (lit. a–b)."""
    v = tomllib.loads(keys_text)["verification"]
    return fraction(v["share_of_wage"]) * fraction(v["per_member_rate"])


def verify(wage: int, declared: int, remitted: int, exempt: int, factor: Fraction) -> Verification:
    """T = factor × W × N. R ≥ T passes with N; otherwise the largest N' with factor × W × N' ≤ R
    (lit. b). Exempt members (lit. d) are added either way."""
    per_member = factor * wage
    threshold = per_member * declared
    if remitted >= threshold:
        paying, verdict = declared, "passed"
    else:
        paying, verdict = int(Fraction(remitted) / per_member), "reduced"   # floor, remitted ≥ 0
        paying = max(0, min(paying, declared))
    return Verification(threshold, verdict, paying, paying + exempt, math.ceil(threshold))


# ------------------------------------------------------------------ apportionment

def largest_remainder(members: dict[str, int], seats: int) -> tuple[dict[str, int], dict[str, Fraction]]:
    """Hare–Niemeyer: floor of each quota, the rest to the largest remainders; ties by larger
    membership, then by id (RULES.md §8). Returns (seats, quotas)."""
    total = sum(members.values())
    if total == 0:
        return {r: 0 for r in members}, {r: Fraction(0) for r in members}
    quotas = {r: Fraction(seats * n, total) for r, n in members.items()}
    alloc = {r: math.floor(q) for r, q in quotas.items()}
    left = seats - sum(alloc.values())
    order = sorted(members, key=lambda r: (-(quotas[r] - alloc[r]), -members[r], r))
    for r in order[:left]:
        alloc[r] += 1
    return alloc, quotas


def key_seats(members: dict[str, int], key: str, keys_text: str) -> tuple[dict[str, int | None], dict[str, Fraction], str]:
    """Seats by a fixed key: ``per:N``, ``per-started:N`` or a named key of delegate_keys.toml.
    Returns (seats per region, quota per region, description)."""
    if key.startswith("per:") or key.startswith("per-started:"):
        kind, _, n = key.partition(":")
        per = int(n)
        quotas = {r: Fraction(m, per) for r, m in members.items()}
        if kind == "per":
            return {r: m // per for r, m in members.items()}, quotas, f"one seat per each full {per} members"
        return {r: -(-m // per) for r, m in members.items()}, quotas, f"one seat per each started {per} members"
    keys = tomllib.loads(keys_text)["keys"]
    if key not in keys:
        raise KeyError(f"unknown key {key!r}; known: per:N, per-started:N, {', '.join(sorted(keys))}")
    spec = keys[key]
    desc = f"{key} ({spec['source']})"
    if spec["kind"] == "per_full":
        per = spec["per"]
        return ({r: m // per for r, m in members.items()}, {r: Fraction(m, per) for r, m in members.items()}, desc)
    if spec["kind"] == "base_plus_per_full":
        base, per = spec["base"], spec["per"]
        return ({r: base + m // per for r, m in members.items()},
                {r: Fraction(m, per) for r, m in members.items()}, desc)
    if spec["kind"] == "bands":
        if sum(members.values()) <= spec["applies_above_total"]:
            return ({r: None for r in members}, {r: Fraction(0) for r in members},
                    desc + f": not applicable, {sum(members.values())} members in all "
                           f"(applies above {spec['applies_above_total']})")
        out = {}
        for r, m in members.items():
            out[r] = next(b["seats"] for b in spec["bands"] if "up_to_members" not in b or m <= b["up_to_members"])
        return out, {r: Fraction(m) for r, m in members.items()}, desc
    if spec["kind"] == "assembly_threshold":
        above = sum(members.values()) > spec["threshold"]
        return ({r: None for r in members}, {r: Fraction(0) for r in members},
                desc + (": a delegates' assembly is required" if above else ": the members' assembly decides")
                + f" ({sum(members.values())} members, threshold {spec['threshold']})")
    raise ValueError(f"key {key}: unknown kind {spec['kind']!r}")
