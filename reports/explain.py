"""An explanation for people (Polish): the chain behind an amount as a sheet and as terminal lines
(issue 18)."""
from __future__ import annotations

from pathlib import Path

from reports.xlsx import new_workbook, safe_name, sheet
from transforms.explain import Explanation


def file_name(subject: str, ident: str, period: str | None) -> str:
    """The sheet's name: what is explained (``member_id`` → member), its id and the month, if any."""
    return (f"wyjasnienie_{subject.removesuffix('_id')}_{safe_name(ident)}" + (f"_{period}" if period else "")
            + ".xlsx")


def write(explanation: Explanation, path: Path) -> Path:
    """The explanation (its title and lines) as one sheet."""
    wb = new_workbook()
    sheet(wb, "Wyjaśnienie", [explanation.title], [(line,) for line in explanation.lines], money_cols=set(),
          widths=[160], page_header=explanation.title)
    wb.save(path)
    return path


def summary_text(explanation: Explanation, sheet_path: Path | None = None) -> str:
    """The terminal lines: the title, each line, and the sheet written, if any."""
    out = [explanation.title, *explanation.lines]
    if sheet_path is not None:
        out.append(f"arkusz: {sheet_path}")
    return "\n".join(out)
