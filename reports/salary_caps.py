"""The salary-caps workbook for the audit committee and the terminal summary (Polish)."""
from __future__ import annotations

from pathlib import Path

import duckdb

from reports.xlsx import new_workbook, sheet
from transforms.money import format_pl
from transforms.polish import reason_label
from transforms.salary_caps import TOTAL, CapRules


def write_salary_caps_workbook(con: duckdb.DuckDBPyConnection, period: str, rules: CapRules, path: Path) -> Path:
    """For the audit committee (a national body): officers by their numbers, no names (the brief:
    names only where a unit's treasurer needs them)."""
    rows = con.execute("""
        SELECT person_id, body_kind, body_id, function, quarter_used, average_wage, full_time_cap, fte,
               cap, salary, excess, flagged, cap_basis
        FROM salary_caps WHERE period = ?
        ORDER BY person_id, function = ?, body_kind, body_id, function""", [period, TOTAL]).fetchall()
    # the rule of one post in total, as the rulebook cites it (its salary_caps.one_post_in_total)
    body = dict(rules.body_kinds, **{"*": f"łącznie ({rules.one_post_source})"})
    function = dict(rules.functions, **{TOTAL: f"razem — jeden pełny etat ({rules.one_post_source})"})
    wb = new_workbook()
    head = f"Limity wynagrodzeń wybieralnych funkcyjnych — {period}"
    sheet(wb, "Limity wynagrodzeń",
          ["Osoba", "Organ", "Id organu", "Funkcja", "Kwartał GUS",
           "Przeciętne wynagrodzenie (A)", "Limit na pełny etat", "Etat", "Limit", "Wynagrodzenie",
           "Przekroczenie", "Limit wg limitu przewodniczącego", "Podstawa (przepis)"],
          [(r[0], body.get(r[1], r[1]), r[2], function.get(r[3], r[3]),
            r[4], r[5], r[6], r[7], r[8], r[9], r[10], "tak" if r[11] else "nie", r[12]) for r in rows],
          money_cols={5, 6, 8, 9, 10}, widths=[12, 20, 10, 22, 10, 14, 14, 8, 12, 12, 12, 12, 50], page_header=head)
    sheet(wb, "Wyjątki", ["Plik", "Wiersz", "Osoba", "Kod", "Co poprawić"],
          [(*r[:3], reason_label(r[3]), r[4]) for r in con.execute(
              """SELECT source, "row", person_id, reason_code, message FROM salary_cap_exceptions
                 WHERE period = ? ORDER BY "row" """, [period]).fetchall()],
          money_cols=set(), widths=[20, 8, 12, 24, 60], page_header=head)
    wb.save(path)
    return path


def summary_text(res, period: str, workbook: Path | None) -> str:
    """A short Polish summary of the caps checked (flows.salary_caps.SalaryCapsResult: the rows, the
    records, the quarter and its wage A); ``workbook``: the workbook written, if any."""
    rows, (a, source) = res.rows, res.wage
    over = [r for r in rows if r.excess]
    lines = [f"Limity wynagrodzeń {period}: A = {format_pl(a)} ({res.quarter}; {source})",
             f"  sprawdzone funkcje: {sum(1 for r in rows if r.function != TOTAL)}, "
             f"osoby z kilkoma funkcjami: {sum(1 for r in rows if r.function == TOTAL)}",
             f"  powyżej limitu: {len(over)}" + ("" if not over else " — " + ", ".join(
                 f"{r.person_id} {r.function} +{format_pl(r.excess)}" for r in over)),
             f"  limit liczony od limitu przewodniczącego (przewodniczący niezatrudniony / wynagrodzenie "
             f"nieznane): {sum(1 for r in rows if r.flagged and r.function != TOTAL)}",
             f"  wyjątki: {len(res.issues)}"]
    if workbook:
        lines.append(f"  skoroszyt: {workbook}")
    return "\n".join(lines)
