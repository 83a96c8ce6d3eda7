"""The delegate-verification workbook for the national audit committee (labels in Polish).
Counts and amounts only: no personal data."""
from __future__ import annotations

from pathlib import Path

import duckdb
from reports.xlsx import new_workbook, sheet
from transforms.money import format_pl
from transforms.polish import count, reason_label

VERDICT_PL = {"passed": "potwierdzona", "reduced": "zmniejszona"}


READING_PL = {"equality_passes": "równość przechodzi (lit. b)", "literal": "dosłownie: R musi być większe (lit. a)"}


def write_delegates_workbook(con: duckdb.DuckDBPyConnection, path: Path, source: str = "") -> Path:
    """``source``: the resolution the verification applies (data/delegate_keys.toml's
    [verification] source), named in the page header."""
    wb = new_workbook()
    head = "Weryfikacja liczby delegatów" + (f" ({source})" if source else "")
    rows = con.execute("""
        SELECT region_id, voivodeship, paid_in, wage, declared_paying_members, refused_members,
               exempt_members, remitted, CAST(threshold AS DECIMAL(24,2)), verdict, recognised_paying,
               recognised_members, CASE WHEN verdict = 'reduced' THEN needed END, note, wage_source,
               refused_exempt_members, verdict_other_reading, recognised_members_other_reading, reading
        FROM delegate_verification ORDER BY paid_in, region_id, voivodeship""").fetchall()
    sheet(wb, "Weryfikacja",
           ["Region", "Województwo", "Wpływ w miesiącu", "W: przeciętne wynagrodzenie w sektorze przedsiębiorstw z wypłatami z zysku (województwo, miesiąc poprzedni)",
            "Zadeklarowani płacący", "W jednostkach bez kontroli (liczeni 0)", "Zwolnieni ze składki KK",
            "Przekazano (R)", "Próg (70% × W × 0,1% × N)", "Wynik", "Uznani płacący", "Uznani członkowie",
            "Kwota potrzebna do utrzymania liczby", "Uwagi", "Źródło W",
            "Zwolnieni w jednostkach bez kontroli (liczeni 0, lit. e)", "Wynik przy drugim odczytaniu lit. a",
            "Uznani członkowie przy drugim odczytaniu", "Odczytanie lit. a"],
           [(*r[:9], VERDICT_PL.get(r[9], r[9]), *r[10:16], VERDICT_PL.get(r[16], r[16]), r[17],
             READING_PL.get(r[18], r[18])) for r in rows],
           money_cols={3, 7, 8, 12}, widths=[8, 14, 10, 24, 12, 12, 12, 12, 16, 12, 12, 12, 14, 50, 30, 14, 14, 14, 24],
           page_header=head, key_cols=3)
    sheet(wb, "Mandaty",
           ["Region", "Uznani członkowie", "Członkowie wg deklaracji", "Iloraz", "Mandaty",
            "Mandaty wg deklaracji", "Zasada"],
           con.execute("""SELECT region_id, recognised_members, declared_members, quota, seats,
                          seats_if_declared, rule FROM delegate_seats ORDER BY region_id""").fetchall(),
           money_cols=set(), widths=[10, 16, 16, 14, 10, 14, 80], page_header=head)
    sheet(wb, "Kontrola z księgami",
           ["Region", "Województwo", "Wpływ w miesiącu", "Składki za miesiąc", "Przekazano",
            "Wg zamknięć (KK + sekretariaty)", "Różnica", "Zwolnieni: deklaracja", "Zwolnieni: wg zamknięć",
            "Zwolnieni: uwagi"],
           con.execute("""SELECT region_id, voivodeship, paid_in, dues_period, remitted, expected_from_books,
                          difference, declared_exempt, exempt_from_books, exempt_note
                          FROM remittance_check ORDER BY paid_in, region_id""").fetchall(),
           money_cols={4, 5, 6}, widths=[10, 18, 12, 12, 16, 20, 14, 12, 12, 80], page_header=head)
    sheet(wb, "Wyjątki", ["Plik", "Wiersz", "Region", "Kod", "Co poprawić"],
           [(*r[:3], reason_label(r[3]), r[4]) for r in con.execute(
               """SELECT source, "row", region_id, reason_code, message FROM delegate_exceptions
                  ORDER BY source, "row" """).fetchall()],
           money_cols=set(), widths=[20, 8, 10, 16, 120], page_header=head)
    wb.save(path)
    return path


def summary_text(r, workbook: Path | None) -> str:
    """A short Polish summary of a delegate verification (transforms.delegates.DelegateResult);
    ``workbook``: the workbook written, if any."""
    reduced = [v for v in r.verification if v["verdict"] == "reduced"]
    lines = [f"Weryfikacja delegatów: zweryfikowano {count(len(r.verification), 'wiersz')} region × województwo, "
             f"zmniejszono {len(reduced)}, wyjątki: {len(r.issues)}"]
    for v in reduced:
        lines.append(f"  {v['region_id']} {v['voivodeship']} {v['paid_in']}: zadeklarowano "
                     f"{v['declared_paying_members']}, uznano {v['recognised_paying']} "
                     f"(przekazano {format_pl(v['remitted'])}, potrzeba {format_pl(v['needed'])})")
    for c in r.checks:
        if c["difference"]:
            lines.append(f"  księgi: {c['region_id']} {c['voivodeship']} przekazał {format_pl(c['remitted'])}, "
                         f"wg ksiąg {format_pl(c['expected_from_books'])} (różnica {format_pl(c['difference'])})")
        if c.get("exempt_note"):
            lines.append(f"  zwolnieni: {c['exempt_note']}")
    if r.seats:
        lines.append(f"  mandaty: {r.seats_rule}")
        for s in r.seats:
            lines.append(f"    {s['region_id']:<8} {s['recognised_members']:>8} członków  mandaty "
                         f"{s['seats']} (wg deklaracji: {s['seats_if_declared']})")
    for e in r.issues:
        lines.append(f"  ! {e.message}")
    if workbook:
        lines.append(f"  skoroszyt: {workbook}")
    return "\n".join(lines)
