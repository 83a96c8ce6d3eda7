"""Benefit decisions for people (Polish): a workbook per unit (with members' names, for its
board), one per region listing the claims it pays under 004 §9 (member numbers only), and the
terminal summary."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from reports.xlsx import new_workbook, safe_name, sheet
from transforms.money import format_pl

DECISION = {"granted": "przyznany", "refused": "odmowa", "pending": "czeka na dokumenty"}
HEADERS = ["Wniosek", "Nr członka", "Imię i nazwisko", "Rodzaj", "Zdarzenie", "Dokumenty", "Pokrewieństwo",
           "Decyzja", "Kwota", "Wypłaca", "Uzasadnienie"]


def _rows(frame: pl.DataFrame, names: dict[str, str] | None, payers: dict[str, str]) -> list[tuple]:
    return [(r["claim_id"], r["member_id"], (names or {}).get(r["member_id"]) if names is not None else None,
             r["kind"], r["event_date"], r["documents_on"], r["relation"], DECISION.get(r["decision"], r["decision"]),
             r["amount"], payers.get(r["payer"], r["payer"]), r["reason"]) for r in frame.iter_rows(named=True)]


def write(decisions: pl.DataFrame, names: dict[str, str], output, payers: dict[str, str], regional_payer: str) -> int:
    """``payers``: level code -> who pays (rulebook labels); ``regional_payer``: the level paying under §9."""
    files = 0
    for (unit_id,), group in decisions.filter(pl.col("unit_id").is_not_null()).group_by("unit_id",
                                                                                       maintain_order=True):
        wb = new_workbook()
        sheet(wb, "Zasiłki", HEADERS, _rows(group, names, payers), money_cols={8},
              widths=[10, 12, 26, 14, 12, 12, 14, 18, 14, 20, 90], page_header=f"Zasiłki statutowe — {unit_id}",
              totals={0: "Razem"})
        wb.save(output(f"zasilki/zasilki_{safe_name(unit_id)}.xlsx"))
        files += 1
    regional = decisions.filter(pl.col("payer") == regional_payer)
    for (region_id,), group in regional.group_by("region_id", maintain_order=True):
        wb = new_workbook()
        sheet(wb, "Zasiłki §9", [h for h in HEADERS if h != "Imię i nazwisko"],
              [r[:2] + r[3:] for r in _rows(group, None, payers)], money_cols={7},
              widths=[10, 12, 14, 12, 12, 14, 18, 14, 20, 90],
              page_header=f"Zasiłki do wypłaty przez zarząd regionu {region_id} (004 §9)", totals={0: "Razem"})
        wb.save(output(f"zasilki/zasilki_region_{safe_name(region_id)}.xlsx"))
        files += 1
    return files


def summary_text(run) -> str:
    d = run.state["decisions"]
    counts = dict(d.group_by("decision").len().iter_rows())
    granted = d.filter(pl.col("decision") == "granted")
    region = granted.filter(pl.col("payer") == run.state["regional_payer"])
    lines = [f"Zasiłki statutowe: wniosków {d.height} — przyznane {counts.get('granted', 0)} "
             f"({format_pl(int(granted['amount'].sum() or 0))}), czekają na dokumenty {counts.get('pending', 0)}, "
             f"odmowy {counts.get('refused', 0)}",
             f"  wypłaca region (004 §9): {region.height} ({format_pl(int(region['amount'].sum() or 0))})"]
    lines += [f"  {r['claim_id']}: {r['reason']}" for r in d.filter(pl.col("decision") != "granted").iter_rows(named=True)]
    if run.state.get("files"):
        lines.append(f"  skoroszyty: {run.state['files']} w {Path(run.params['out']) / 'zasilki'}")
    return "\n".join(lines)
