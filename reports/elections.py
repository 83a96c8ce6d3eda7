"""The elections' workbooks and summaries (issue 17; moved out of flows/elections.py, issue 28):
the seats under a key, the lists of who may vote and stand, the tally of a protocol — in Polish.

The report steps ``*_report(run, result)`` write one workbook through ``run.output(name)`` when
``--out`` is given and hand the result on with the file's name; ``*_summary(run, result)`` is
the text the command line prints. ``run`` is the command's run (its ``params`` and ``output``).
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from reports.xlsx import new_workbook, safe_name, sheet
from transforms import elections as el

# ------------------------------------------------------------------ seats

BODY_LABELS = {"unit_id": "Jednostka", "region_id": "Region", "union": "Związek"}


def seats_report(run, result: el.SeatsResult) -> el.SeatsResult | None:
    if not run.params.out:
        return None
    wb = new_workbook()
    sheet(wb, "Mandaty", [BODY_LABELS[result.by], "Członkowie", "Mandaty"],
          [(r["body"], r["members"], r["seats"] if r["seats"] is not None else "—") for r in result.rows],
          money_cols=set(), widths=[20, 14, 12], page_header=f"Mandaty: {result.rule}")
    name = f"mandaty_{re.sub(r'[^0-9A-Za-z_-]', '_', result.key)}.xlsx"
    wb.save(run.output(name))
    return replace(result, file=name)


def seats_summary(run, result: el.SeatsResult) -> str:
    rows = result.rows
    total = sum(r["seats"] or 0 for r in rows)
    lines = [f"Mandaty: {result.rule}", f"  źródło: {result.source}",
             f"  {'':<14} {'członkowie':>11} {'mandaty':>8}"]
    lines += [f"  {r['body']:<14} {r['members']:>11} {r['seats'] if r['seats'] is not None else '—':>8}"
              for r in rows]
    lines.append(f"  {'razem':<14} {sum(r['members'] for r in rows):>11} {total:>8}")
    if result.file:
        lines.append(f"  arkusz: {Path(run.params.out) / result.file}")
    return "\n".join(lines)


# ------------------------------------------------------------------ eligibility

def _yes(b: bool) -> str:
    return "tak" if b else "nie"


def eligibility_report(run, result: el.EligibilityResult) -> el.EligibilityResult | None:
    if not run.params.out:
        return None
    res = result.eligibility
    wb = new_workbook()
    head = f"{res.union.name}: {result.body}, {result.day}"
    if res.units:
        sheet(wb, "Delegaci jednostek", ["Jednostka", "Członkowie", "Delegaci", "Uprawnieni", "Powód", "Podstawa"],
              [(u["unit_id"], u["members"], u["delegates"], u["entitled_delegates"], u["reason"], u["rule"])
               for u in res.units], money_cols=set(), widths=[14, 12, 10, 12, 70, 24], page_header=head)
    else:
        names = result.names
        sheet(wb, "Głosowanie", ["Członek", "Imię i nazwisko", "Jednostka", "Członek nieprzerwanie od",
                                 "Pełnych miesięcy", "Może głosować", "Powód"],
              [(r["member_id"], names.get(r["member_id"], ""), r["unit_id"], r["member_since"], r["months"],
                _yes(r["may_vote"]), r["vote_reason"]) for r in res.members],
              money_cols=set(), widths=[12, 26, 12, 16, 10, 10, 70], page_header=head)
        sheet(wb, "Kandydowanie", ["Członek", "Imię i nazwisko", "Jednostka", "Członek nieprzerwanie od",
                                   "Pełnych miesięcy", "Może kandydować", "Podstawa", "Powód / warunek"],
              [(r["member_id"], names.get(r["member_id"], ""), r["unit_id"], r["member_since"], r["months"],
                r["may_stand"], r["stand_rule"], r["stand_reason"]) for r in res.members],
              money_cols=set(), widths=[12, 26, 12, 16, 10, 12, 40, 70], page_header=head)
    name = f"uprawnieni_{safe_name(result.body)}_{result.day}.xlsx"
    wb.save(run.output(name))
    return replace(result, file=name)


def eligibility_summary(run, result: el.EligibilityResult) -> str:
    res = result.eligibility
    lines = [f"Uprawnienia wyborcze: {res.union.name}, {result.body}, {result.day} "
             f"(rejestr z zamknięcia {result.period}; zasady: {res.union.source}); wybiera "
             + (f"zebranie delegatów ({len(result.assembly)} z --assembly)" if result.assembly is not None
                else "zebranie członków")]
    if res.units:
        entitled = sum(u["entitled_delegates"] for u in res.units)
        t = res.union.assembly
        quorum = (f"kworum: co najmniej {el.quorum_needed(entitled, Fraction(t['quorum']), t['quorum_kind'])} "
                  f"({t['quorum_source']})" if entitled else "brak uprawnionych delegatów: zebranie nie może się odbyć")
        lines.append(f"  delegaci: {sum(u['delegates'] for u in res.units)}, uprawnieni {entitled} "
                     f"({res.units[0]['rule']}); {quorum}")
        lines += [f"  {u['unit_id']:<10} delegatów {u['delegates']:>3}, uprawnionych {u['entitled_delegates']:>3}"
                  f"{'  — ' + u['reason'] if u['reason'] else ''}" for u in res.units]
    else:
        rows = res.members
        voters = sum(r["may_vote"] for r in rows)
        stand = sum(r["may_stand"] == "tak" for r in rows)
        backed = sum(r["may_stand"] == "z poparciem" for r in rows)
        lines.append(f"  członków {len(rows)}: może głosować {voters}, nie może {len(rows) - voters}; "
                     f"może kandydować {stand}" + (f", z poparciem {backed} (potrzeba {res.signatures_needed} podpisów)"
                                                  if backed else ""))
        reasons: dict[str, int] = defaultdict(int)
        for r in rows:
            if not r["may_vote"]:
                reasons[r["vote_reason"].split(" (")[0].split(":")[0]] += 1
        lines += [f"  nie głosuje: {k} — {n}" for k, n in sorted(reasons.items())]
    if result.other_union_units:
        lines.append(f"  pominięte jednostki innego związku: {', '.join(result.other_union_units)}")
    if result.file:
        lines.append(f"  arkusz: {Path(run.params.out) / result.file}")
    return "\n".join(lines)


# ------------------------------------------------------------------ tally

def _pct(f: Fraction) -> str:
    hundredths = int((f * 20000 + 1) // 2)            # exact, half-up: 46,15%
    return f"{hundredths // 100},{hundredths % 100:02d}%"


def result_name(votes: Path) -> str:
    """'wyniki_protokol_1a2b3c4d.xlsx': the protocol's name and a short mark of its full path, so
    two protocols of one name (a/protokol.csv, b/protokol.csv) never share a result file, while
    the same protocol tallied again replaces its own."""
    mark = hashlib.sha256(str(votes.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"wyniki_{safe_name(votes.stem)}_{mark}.xlsx"


def tally_report(run, result: el.TallyResult) -> el.TallyResult | None:
    if not run.params.out:
        return None
    results = result.results
    wb = new_workbook()
    sheet(wb, "Wyniki", ["Głosowanie", "Uprawnieni", "Głosujący", "Kworum (co najmniej)", "Nieważne", "Ważne",
                         "Potrzeba głosów", "Mandaty", "Wynik"],
          [(t.election, t.entitled, t.participants, t.quorum_needed, t.invalid, t.valid,
            t.votes_needed if t.votes_needed is not None else "najwięcej", t.seats, t.verdict)
           for t in results], money_cols=set(), widths=[30, 11, 11, 12, 10, 10, 11, 9, 70],
          page_header=f"Wyniki głosowań: {result.union.name}")
    rules = result.union.tally
    sheet(wb, "Podstawa", ["Zasada", "Przepis"],
          [("kworum", rules["quorum_source"]), ("większość", rules["majority_source"]),
           ("druga tura", rules["runoff_source"])]
          + [row for o in rules.get("offices", [])
             for row in ((f"większość: {o['name_starts']}…", o.get("majority_source", rules["majority_source"])),
                         (f"druga tura: {o['name_starts']}…", o.get("runoff_source", rules["runoff_source"])))],
          money_cols=set(), widths=[16, 100])
    sheet(wb, "Kandydaci", ["Głosowanie", "Kandydat", "Głosy", "Udział w ważnych", "Wynik"],
          [(t.election, c["candidate"], c["votes"], _pct(c["share"]), c["result"]) for t in results
           for c in t.candidates], money_cols=set(), widths=[24, 28, 10, 14, 20])
    name = result_name(Path(run.params.votes))
    wb.save(run.output(name))
    return replace(result, file=name)


def tally_summary(run, result: el.TallyResult) -> str:
    lines = [f"Wyniki głosowań ({result.union.name}):"]
    for t in result.results:
        lines.append(f"  {t.election}: uprawnionych {t.entitled}, głosowało {t.participants} (kworum {t.quorum_needed}"
                     f"{f', {el.TERM_NAMES[t.term - 1]} termin' if t.term > 1 else ''}), "
                     f"ważnych {t.valid}, nieważnych {t.invalid}"
                     + (f", potrzeba {t.votes_needed} głosów" if t.votes_needed is not None else ""))
        lines += [f"    {c['candidate']:<28} {c['votes']:>5}  {_pct(c['share']):>8}  {c['result']}" for c in t.candidates]
        lines.append(f"    → {t.verdict}")
        lines += [f"    uwaga: głosowanie '{t.election}' zapisane też jako '{v}' (wiersz {row})"
                  for v, row in result.variants[t.election].items()]
    lines += [f"  podstawa: {s}" for s in dict.fromkeys(t.sources for t in result.results)] or [""]
    if result.file:
        lines.append(f"  arkusz: {Path(run.params.out) / result.file}")
    return "\n".join(lines)
