"""Splitting a unit's dues across the union's levels (RULES.md §5, 004 §3) and the transfers due.

``split_dues`` is the one function that moves money between levels; everything else calls it.
"""
from __future__ import annotations

import calendar
from datetime import date

from transforms.money import share
from transforms.rulebook import Deadlines, SplitRule


def split_dues(d: int, rule: SplitRule) -> dict[str, int]:
    """Split D grosze by the cash-flow cascade: each transfer is its share of D rounded half-up,
    and whoever holds the money keeps the remainder, so the parts sum to D exactly.

    D = 1.23 zł (normal): unit 0.74, region 0.31, national 0.10, branch 0.02, funds 0.03 + 0.03.
    """
    to_upper = share(d, rule.to_upper)
    national_total = share(d, rule.national_total)
    branch = share(d, rule.branch_secretariats)
    regional_fund = share(d, rule.regional_strike_fund)
    national_fund = share(d, rule.national_strike_fund)
    return {
        "unit": d - to_upper,
        "region": to_upper - national_total - regional_fund - national_fund,
        "national": national_total - branch,
        "branch_secretariats": branch,
        "regional_strike_fund": regional_fund,
        "national_strike_fund": national_fund,
    }


def _next_month(period: str) -> tuple[int, int]:
    y, m = int(period[:4]), int(period[5:7])
    return (y + 1, 1) if m == 12 else (y, m + 1)


def unit_transfer_due(period: str, deadlines: Deadlines) -> date:
    """A unit pays the region its share by the given day of the following month (004 §10)."""
    y, m = _next_month(period)
    return date(y, m, min(deadlines.unit_transfer_day, calendar.monthrange(y, m)[1]))


def region_forward_due(period: str, deadlines: Deadlines) -> date:
    """A region forwards the national and fund shares by the end of the following month (004 §10)."""
    y, m = _next_month(period)
    if deadlines.region_forward != "end_of_month":
        raise ValueError(f"unsupported region_forward rule {deadlines.region_forward!r}")
    return date(y, m, calendar.monthrange(y, m)[1])
