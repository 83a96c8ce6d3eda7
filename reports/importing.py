"""The words of `skladki import` (flows/importing.py): the summary printed in the terminal (and
shown in the Prefect UI), the table of the UI's artifact and the workbook — the files read, those
imported (new, or superseding an older version, with the difference per level), those imported
before (nothing changed) and those refused, each with its Polish reason.

``result`` is flows/importing.py's ``ImportResult``: ``plan`` (transforms/importing.py's
``Plan``), ``labels`` (level code -> Polish label), ``folder``, ``workbook``.
"""
from __future__ import annotations

from pathlib import Path

from reports.xlsx import new_workbook, sheet
from transforms.errors import catalogue
from transforms.importing import key
from transforms.money import format_pl
from transforms.polish import count_pl

WORKBOOK = "import_rozliczen.xlsx"


def _files(n: int) -> str:
    return count_pl(n, "plik", "pliki", "plików")


def state(accepted) -> str:
    """'nowy' or 'zastępuje wersję 1'."""
    if accepted.replaces is not None:
        return f"zastępuje wersję {accepted.replaces.version}"
    return "zastępuje miesiąc zamknięty w tej bazie" if accepted.had_month else "nowy"


def difference_lines(accepted, labels: dict[str, str]) -> list[str]:
    """'region: 1 234,56 zł → 1 240,00 zł (+5,44 zł)' per level whose settlement changed."""
    out = []
    for level, before, after in accepted.differences:
        change = after - before
        out.append(f"{labels.get(level, level)}: {format_pl(before)} → {format_pl(after)} "
                   f"({'+' if change > 0 else ''}{format_pl(change)})")
    return out


def _what(accepted) -> str:
    doc = accepted.doc
    unit, period = key(doc)
    return f"{unit}, {period}, wersja {doc['version']}"


def summary(result, params) -> str:
    plan = result.plan
    new = [a for a in plan.accepted if a.replaces is None]
    newer = [a for a in plan.accepted if a.replaces is not None]
    where = f"region {params.region}" if params.region else f"poziom {params.level}"
    lines = [f"Import rozliczeń z {result.folder} do {Path(params.db).name} ({where}):",
             f"  przeczytano {_files(plan.files)}; zaimportowano {len(plan.accepted)} (nowe: {len(new)}, "
             f"zastępujące starszą wersję: {len(newer)}); już zaimportowane: {len(plan.already)}; "
             f"odrzucone: {len(plan.refused)}"]
    for a in plan.accepted:
        lines.append(f"  {state(a)}: {a.name} ({_what(a)})")
        lines += [f"      {line}" for line in difference_lines(a, result.labels)]
    if plan.already:
        lines.append("  już zaimportowane (bez zmian):")
        lines += [f"    {i.source}" for i in plan.already]
    if plan.refused:
        lines.append("  odrzucone (nie zaimportowane; pozostałe pliki są):")
        lines += [f"    {i.message}" for i in plan.refused]
    if plan.periods:
        lines.append(f"  przelewy przeliczone od nowa za: {', '.join(plan.periods)}")
    if result.workbook:
        lines.append(f"  skoroszyt: {result.workbook}")
    return "\n".join(lines)


HEADERS = ["Plik", "Wynik", "Jednostka", "Okres", "Wersja", "Powód / różnice"]


def rows(result) -> list[tuple]:
    """One row per file: imported (new or superseding, with the differences), already imported,
    refused (the reason's label and message). Every cell text or a number."""
    plan = result.plan
    labels = catalogue()["reasons"]
    out = []
    for a in plan.accepted:
        unit, period = key(a.doc)
        out.append((a.name, f"zaimportowany ({state(a)})", unit, period, int(a.doc["version"]),
                    "\n".join(difference_lines(a, result.labels))))
    for i in plan.already:
        out.append((i.source, "już zaimportowany (bez zmian)", i.unit_id or "", i.period or "", None, i.message))
    for i in plan.refused:
        label = labels.get(i.reason_code, {}).get("label", i.reason_code)
        out.append((i.source, f"odrzucony: {label}", i.unit_id or "", i.period or "", None, i.message))
    return out


def table_rows(result) -> list[dict]:
    """The rows for the Prefect UI's table artifact."""
    return [dict(zip(HEADERS, ("" if v is None else v for v in r))) for r in rows(result)]


def write_workbook(result, path: Path) -> Path:
    wb = new_workbook()
    sheet(wb, "Import rozliczeń", HEADERS, rows(result), money_cols=set(), widths=[38, 30, 12, 9, 8, 70],
          page_header=f"Import rozliczeń — {result.folder.name}", key_cols=1)
    wb.save(path)
    return path
