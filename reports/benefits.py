"""Benefit decisions for people (Polish): a workbook per unit (with members' names, for its
board), one per region listing the claims it pays under 004 §9 (member numbers only), and the
terminal summary."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from reports.xlsx import new_workbook, safe_name, sheet
from transforms.money import format_pl
from transforms.polish import cite, count, with_code

DECISION = {"granted": "przyznany", "refused": "odmowa", "pending": "czeka na dokumenty"}
HEADERS = ["Wniosek", "Nr członka", "Imię i nazwisko", "Rodzaj", "Zdarzenie", "Dokumenty", "Pokrewieństwo",
           "Decyzja", "Kwota", "Wypłaca", "Uzasadnienie"]


def labels(rules) -> dict[str, dict[str, str]]:
    """The Polish labels of benefit kinds and relations, from the rulebooks in force."""
    out: dict[str, dict[str, str]] = {"kind": {}, "relation": {}, "source": {}}
    for v in rules.versions.values():
        # issue 30: the paragraph under which a region pays (the rulebook's benefits.region_source)
        if (v.benefits or {}).get("region_source"):
            out["source"].setdefault("regional_payer", v.benefits["region_source"])
        for code, kind in (v.benefits or {}).get("kinds", {}).items():
            out["kind"].setdefault(code, kind.get("label", code))
        for code, label in (v.benefits or {}).get("relation_labels", {}).items():
            out["relation"].setdefault(code, label)
    return out


def _rows(frame: pl.DataFrame, names: dict[str, str] | None, payers: dict[str, str],
          label: dict[str, dict[str, str]] | None = None) -> list[tuple]:
    label = label or {"kind": {}, "relation": {}}

    def shown(what: str, code):
        return with_code(label[what].get(code), code) if code else code
    return [(r["claim_id"], r["member_id"], (names or {}).get(r["member_id"]) if names is not None else None,
             shown("kind", r["kind"]), r["event_date"], r["documents_on"], (f"{shown('relation', r['relation'])} — dziecko: {r['child']}" if r.get("child") and names is not None
              else shown("relation", r["relation"])),                  # the child: the unit's workbook only
             DECISION.get(r["decision"], r["decision"]),
             r["amount"], payers.get(r["payer"], r["payer"]), r["reason"]) for r in frame.iter_rows(named=True)]


def write(decisions: pl.DataFrame, names: dict[str, str], output, payers: dict[str, str], regional_payer: str,
          label: dict[str, dict[str, str]] | None = None) -> int:
    """``payers``: level code -> who pays (rulebook labels); ``regional_payer``: the level paying under §9."""
    files = 0
    for (unit_id,), group in decisions.filter(pl.col("unit_id").is_not_null()).group_by("unit_id",
                                                                                       maintain_order=True):
        wb = new_workbook()
        sheet(wb, "Zasiłki", HEADERS, _rows(group, names, payers, label), money_cols={8},
              widths=[10, 12, 22, 22, 11, 11, 20, 14, 12, 18, 44], page_header=f"Zasiłki statutowe — {unit_id}",
              totals={0: "Razem"})
        wb.save(output(f"zasilki/zasilki_{safe_name(unit_id)}.xlsx"))
        files += 1
    regional = decisions.filter(pl.col("payer") == regional_payer)
    for (region_id,), group in regional.group_by("region_id", maintain_order=True):
        wb = new_workbook()
        source = (label or {}).get("source", {}).get("regional_payer")
        sheet(wb, "Zasiłki regionu", [h for h in HEADERS if h != "Imię i nazwisko"],
              [r[:2] + r[3:] for r in _rows(group, None, payers, label)], money_cols={7},
              widths=[10, 12, 22, 11, 11, 20, 14, 12, 18, 44],
              page_header=f"Zasiłki do wypłaty przez zarząd regionu {region_id}" + (f" ({source})" if source else ""),
              totals={0: "Razem"})
        wb.save(output(f"zasilki/zasilki_region_{safe_name(region_id)}.xlsx"))
        files += 1
    return files


def summary_text(decisions: pl.DataFrame, regional_payer: str | None, files: int, out: Path | None,
                 region_source: str | None = None) -> str:
    """The terminal summary: counts and sums by decision, what the region pays (004 §9), the reason of
    each claim not granted and the workbooks written into ``out``."""
    d = decisions
    counts = dict(d.group_by("decision").len().iter_rows())
    granted = d.filter(pl.col("decision") == "granted")
    region = granted.filter(pl.col("payer") == regional_payer)
    lines = [f"Zasiłki statutowe: {count(d.height, 'wniosek')} — przyznane {counts.get('granted', 0)} "
             f"({format_pl(int(granted['amount'].sum() or 0))}), czekają na dokumenty {counts.get('pending', 0)}, "
             f"odmowy {counts.get('refused', 0)}",
             f"  wypłaca region{f' ({cite(region_source)})' if region_source else ''}: {region.height} "
             f"({format_pl(int(region['amount'].sum() or 0))})"]
    lines += [f"  {r['claim_id']}: {r['reason']}" for r in d.filter(pl.col("decision") != "granted").iter_rows(named=True)]
    if files:
        lines.append(f"  skoroszyty: {files} w {Path(out) / 'zasilki'}")
    return "\n".join(lines)
