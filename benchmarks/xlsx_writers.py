#!/usr/bin/env python3
"""Benchmark (issue 15): a unit's workbook written by XlsxWriter (reports/xlsx.py) and by the
openpyxl write-only writer skladki used before (benchmarks/xlsx_openpyxl.py), the same sheets
and cells as a unit treasurer's workbook (summary, members' dues with totals, exceptions, the
one-page settlement form).

    .venv/bin/python benchmarks/xlsx_writers.py [--units 200] [--members 100]

Prints each writer's time per workbook and workbooks per second on one core.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import xlsx_openpyxl  # noqa: E402
from reports import xlsx  # noqa: E402
from reports.close import EXCEPTION_HEADERS, MEMBER_HEADERS  # noqa: E402


def unit_workbook(module, path: Path, members: int) -> None:
    head = "Organizacja Zakładowa nr 1 (U00001) — październik 2026"
    rows = [("U00001", f"M{i:07d}", "Jan Kowalski", "pracownik", 512345, 4201, 0, 4201, 4201, 0, 0, 0,
             "0,82 % z 5 123,45 zł = 42,01 zł (004 §1 ust. 1)") for i in range(members)]
    wb = module.new_workbook()
    module.sheet(wb, "Podsumowanie", ["Jednostka", "Członków", "Składki", "Do przelania"],
                 [("U00001", members, 4201 * members, 1680 * members)], {2, 3}, [14, 10, 14, 14], head)
    module.sheet(wb, "Składki członków", MEMBER_HEADERS, rows, money_cols={4, 5, 6, 7, 8, 9, 10},
                 widths=[12, 14, 30, 24, 14, 12, 14, 12, 14, 12, 12, 12, 60], page_header=head, totals={0: "Razem"})
    module.sheet(wb, "Wyjątki", EXCEPTION_HEADERS, [("income/lista.csv", 7, "M0000001", "bad_amount",
                                                   "income/lista.csv, wiersz 7: kwota 'x' nie jest kwotą.")],
                 money_cols=set(), widths=[24, 8, 14, 24, 120], page_header=head)
    lines = [("ROZLICZENIE SKŁADEK", None, None), ("Organizacja Zakładowa nr 1", None, "U00001"),
             ("październik 2026", None, None), ("DO PRZELANIA", None, None),
             ("Zarząd Regionu", 1680 * members, f"do {date(2026, 11, 15)}"), ("Komisja Krajowa", 336 * members, None)]
    module.form_sheet(wb, "Rozliczenie", lines, lambda label, value, section: isinstance(value, int), head)
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=200)
    ap.add_argument("--members", type=int, default=100)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="skladki-xlsx-"))
    try:
        results = {}
        for name, module in (("openpyxl (before)", xlsx_openpyxl), ("XlsxWriter (now)", xlsx)):
            unit_workbook(module, work / "warm.xlsx", args.members)          # imports and caches outside the timing
            t0 = time.perf_counter()
            for i in range(args.units):
                unit_workbook(module, work / f"{i}.xlsx", args.members)
            results[name] = (time.perf_counter() - t0) / args.units
        base = results["openpyxl (before)"]
        for name, per in results.items():
            print(f"{name:<18}: {per * 1000:6.1f} ms a workbook ({1 / per:5.0f} a second on one core; "
                  f"{base / per:.1f}× openpyxl) — {args.members} members, {args.units} workbooks")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
