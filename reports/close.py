"""The close for people (Polish): the close workbook for the region and national level (amounts
and counts only), one workbook per unit for its treasurer (members' names), and the terminal
summary. Every figure comes from the stored tables by SQL; the category and level columns are
derived from the rulebooks in force, never written here.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import duckdb
import polars as pl

from reports import settlement
from reports.settlement import NATIONAL_FILE
from reports.xlsx import form_sheet, new_workbook, safe_name, sheet
from transforms import explain
from transforms.errors import text, without_values
from transforms.ledger import ARREARS_CAUSES, arrears, arrears_months, employer_shortfalls, shift_period
from transforms.money import format_pl, from_decimal
from transforms.polish import count, reason_label, with_code
from transforms.rulebook import Rules

MEMBER_HEADERS = ["Jednostka", "Nr członka", "Imię i nazwisko", "Kategoria", "Podstawa", "Składka",
                  "Podwyższenie", "Razem", "Otrzymano w miesiącu", "Nadpłata", "Zaległość", "Miesiące bez pełnej wpłaty",
                  "Wyliczenie (pełne: skladki explain --member)"]
EXCEPTION_HEADERS = ["Plik", "Wiersz", "Nr członka", "Kod", "Co poprawić"]
CLOSE_EXCEPTION_HEADERS = EXCEPTION_HEADERS + ["Wyjaśnienie składki członka"]
# issue 26: the unit's treasurer sees every problem of the unit, by name, and why it is theirs
UNIT_EXCEPTION_HEADERS = ["Plik", "Wiersz", "Nr członka", "Imię i nazwisko", "Kod", "Co poprawić",
                          "Dlaczego w tym skoroszycie"]
BASIS_OF_EXCEPTION = {
    "record": "dotyczy jednostki",
    "member": "członek jednostki (wg members.csv, także zablokowany)",
    "file": "osoba spoza members.csv w pliku, w którym są członkowie jednostki",
}
BASIS_OF_EXCEPTION_UNION = {
    BASIS_OF_EXCEPTION["record"]: "dotyczy związku",
    BASIS_OF_EXCEPTION["member"]: "członek związku (wg members.csv, także zablokowany)",
}
DEDUCTION_HEADERS = ["Plik pracodawcy", "Nr członka", "Imię i nazwisko", "Potrącono", "Należna składka", "Różnica",
                     "Co zrobić"]


def _params(rules: Rules, period: str) -> dict:
    p = {"period": period, "roots": sorted({v.root for v in rules.versions.values()})}
    p.update({f"c{i}": c.category for i, c in enumerate(rules.categories)})
    p.update({f"l{i}": lvl.code for i, lvl in enumerate(rules.levels)})
    return p


def unit_summary_sql(rules: Rules) -> str:
    """One row per unit: dues by category, surcharge, total, the split by level, its transfer."""
    cats = ",\n    ".join(f"CAST(sum(CASE WHEN category = $c{i} THEN dues ELSE 0 END) AS DECIMAL(18,2)) AS c{i}"
                          for i, _ in enumerate(rules.categories))
    levels = ",\n    ".join(f"CAST(coalesce(sum(amount) FILTER (WHERE level = $l{i}), 0) AS DECIMAL(18,2)) AS l{i}"
                            for i, _ in enumerate(rules.levels))
    return f"""
WITH d AS (
  SELECT unit_id, count(*) AS members,
    {cats},
    CAST(sum(surcharge) AS DECIMAL(18,2)) AS surcharge, CAST(sum(total) AS DECIMAL(18,2)) AS total
  FROM dues WHERE period = $period GROUP BY unit_id),
a AS (SELECT unit_id, {levels} FROM allocations WHERE period = $period GROUP BY unit_id),
t AS (SELECT payer_id AS unit_id, string_agg(payee, ';' ORDER BY payee) AS payees,
             CAST(sum(amount) AS DECIMAL(18,2)) AS amount, min(due_on) AS due_on
      FROM transfers WHERE period = $period AND list_contains($roots, payer_kind) GROUP BY payer_id)
SELECT u.unit_id, u.name, u.region_id, u.rulebook, u.sheltered, u.raised_pct,
  coalesce(d.members, 0),
  {", ".join(f"coalesce(d.c{i}, 0.00)" for i, _ in enumerate(rules.categories))},
  coalesce(d.surcharge, 0.00), coalesce(d.total, 0.00),
  {", ".join(f"a.l{i}" for i, _ in enumerate(rules.levels))},
  t.payees, t.amount, t.due_on
FROM units u LEFT JOIN d USING (unit_id) LEFT JOIN a USING (unit_id) LEFT JOIN t USING (unit_id)
WHERE u.period = $period ORDER BY u.region_id, u.unit_id
"""


def summary_headers(rules: Rules) -> list[str]:
    return (["Jednostka", "Nazwa", "Region", "Regulamin", "Zakład pracy chronionej", "Składka podwyższona %",
             "Członkowie ze składką"]
            + [f"Składki: {c.label}" for c in rules.categories]
            + ["Podwyższenie (zostaje w jednostce)", "Razem składki"]
            + [f"Podział: {lvl.label}" for lvl in rules.levels]
            + ["Przelew do", "Kwota przelewu", "Termin przelewu"])


def _summary_layout(rules: Rules) -> tuple[set[int], list[int]]:
    n_cat, n_lvl = len(rules.categories), len(rules.levels)
    money = set(range(7, 7 + n_cat + 2 + n_lvl)) | {7 + n_cat + 2 + n_lvl + 1}
    # narrow, with wrapped headers: a money column widens to its widest amount when written (reports.xlsx)
    widths = [10, 22, 8, 16, 10, 12, 11] + [12] * (n_cat + 2 + n_lvl) + [22, 12, 11]
    return money, widths


def summary_rows(con: duckdb.DuckDBPyConnection, rules: Rules, period: str) -> list[tuple]:
    n = 7 + len(rules.categories) + 2 + len(rules.levels)
    out = []
    for r in con.execute(unit_summary_sql(rules), _params(rules, period)).fetchall():
        payees = "; ".join(rules.payee_label(p, r[3]) for p in (r[n] or "").split(";") if p)
        book = rules.versions.get(r[3])
        out.append((*r[:3], with_code(book.union if book else None, r[3]), "tak" if r[4] else "nie", *r[5:n],
                    payees or None, r[n + 1], r[n + 2]))
    return out


def write_close_workbook(con: duckdb.DuckDBPyConnection, rules: Rules, path: Path,
                         settled: dict[str, settlement.Settlement] | None = None) -> Path:
    """The close workbook: per-unit summary, transfers, exceptions, deduction check. Counts and
    amounts only — no names or PESEL (it may go to the region or national level). ``settled``:
    the units' settlements when the caller has them (a close reads them once for all its documents)."""
    if settled is None:
        settled = settlement.settlements(con, rules)
    period = rules.period
    p = {"period": period}
    head = f"Zamknięcie {period} — wszystkie jednostki"
    wb = new_workbook()
    # the front sheet answers the region's question: who owes us what, by when
    dues_to = [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in sorted(
        ((s.region_id, s.unit_id, s.name, pay.payee, pay.amount, pay.due_on, pay.title)
         for s in settled.values() for pay in s.payments), key=lambda r: (r[5], r[0], r[1]))]
    sheet(wb, "Należności", ["Region", "Jednostka", "Nazwa", "Odbiorca", "Kwota", "Termin"], dues_to,
          money_cols={4}, widths=[10, 12, 40, 34, 16, 12], page_header=head + ": należności od jednostek",
          totals={0: "Razem"})
    money, widths = _summary_layout(rules)
    sheet(wb, "Podsumowanie", summary_headers(rules), summary_rows(con, rules, period), money, widths, head,
          totals={0: "Razem"}, key_cols=2)
    sheet(wb, "Przelewy",
          ["Płatnik", "Id płatnika", "Odbiorca", "Region", "Kwota", "Termin", "Podstawa"],
          # issue 30: a unit's transfer is labelled by its own rulebook (a Przeróbka unit's "national" is
          # its Zarząd Krajowy), with the payee's name of national_accounts.csv when it gives one
          [(rules.payer_label(r[0]), r[1], payee_name(settled.get(r[1]), r[2], rules, r[7]), *r[3:7])
           for r in con.execute(
              "SELECT t.payer_kind, t.payer_id, t.payee, t.region_id, t.amount, t.due_on, t.rule, u.rulebook "
              "FROM transfers t LEFT JOIN units u ON u.unit_id = t.payer_id AND u.period = t.period "
              "AND list_contains($roots, t.payer_kind) "
              "WHERE t.period = $period ORDER BY t.due_on, t.payer_kind DESC, t.payer_id, t.payee",
              p | {"roots": sorted({v.root for v in rules.versions.values()})}).fetchall()],
          money_cols={4}, widths=[16, 14, 32, 10, 16, 12, 40], page_header=head)
    # each member named links to their explanation (issue 18): the command that prints it
    # issue 27: where and why, never a member's cell as typed (the unit's own workbook quotes it)
    sheet(wb, "Wyjątki", CLOSE_EXCEPTION_HEADERS, [
        (*r[:3], reason_label(r[3]), without_values(r[4], r[6]), f"skladki explain --member {r[2]} --period {period}"
         if r[2] and r[5] else ("brak składki w tym miesiącu — zob. kod" if r[2] else None)) for r in con.execute(
            'SELECT e.source, e."row", e.member_id, e.reason_code, e.message, d.member_id IS NOT NULL, e.value '
            'FROM exceptions e '
            'LEFT JOIN dues d ON d.member_id = e.member_id AND d.period = e.period WHERE e.period = $period '
            'ORDER BY e.source, e."row" NULLS LAST, e.member_id', p).fetchall()],
          money_cols=set(), widths=[22, 7, 12, 24, 60, 30], page_header=head, key_cols=3)
    # every member whose deducted dues differ from the computed ones, then each employer's totals
    differences = [("członek", r[0], r[2], r[1], *r[3:]) for r in con.execute(DEDUCTION_DIFFERENCES, p).fetchall()]
    by_source = con.execute(DEDUCTIONS_BY_SOURCE, p).fetchall()
    totals = [("pracodawca (razem)", r[0], f"{r[5]} z {r[1]} różnych", None, *r[2:5]) for r in by_source if r[1]]
    totals += [("pracodawca (razem)", r[0], f"{r[6]} członków: {text('notes', 'deduction_unchecked')}; składki "
                f"{text('notes', 'dues_by_employer')}", None, r[7], None, None) for r in by_source if r[6]]
    sheet(wb, "Kontrola potrąceń",
          ["Poziom", "Plik pracodawcy", "Nr członka", "Jednostka", "Potrącono", "Należna składka", "Różnica"],
          differences + totals, money_cols={4, 5, 6}, widths=[20, 32, 18, 12, 14, 16, 14], page_header=head)
    account_sheets(wb, con, rules, head)
    wb.save(path)
    return path


def payee_name(settled: settlement.Settlement | None, payee: str, rules: Rules, rulebook: str | None) -> str:
    """A transfer's payee as the unit's settlement names it (national_accounts.csv's name, the region's), else
    as the payer's rulebook labels the level."""
    label = rules.payee_label(payee, rulebook)
    if settled is not None and rulebook:
        found = [pay.payee for pay in settled.payments if pay.payee_code == payee and pay.account_file == NATIONAL_FILE]
        if found:
            return found[0]
    return label


BASIS = {"received": "wpływy (potrącenia i wpłaty)", "assumed": "przyjęte w całości — brak danych o wpływach",
         "correction": "korekta"}
KIND = {"reduced": "obniżenie", "suspended": "zawieszenie", "deduction": "potrącenie pracodawcy",
        "payment": "wpłata członka", "assumed": "przyjęte jako otrzymane"}
MEASURE = {"owed": "należna składka", "received": "otrzymano", "balance": "saldo"}


def received_sources(rules: Rules) -> str:
    """The paragraphs, of each rulebook in force, under which the units' transfers are of the dues
    received (issue 30: each union's own, '004 §10; 003 Art. 31 ust. 4')."""
    return "; ".join(dict.fromkeys(t.received_source for v in rules.versions.values() for t in v.transfers
                                   if t.payer == v.root and t.received_source)) or "RULES.md §5"


def arrears_title(months: dict[str, int], rules: Rules) -> str:
    """The arrears sheet's name from the rulebooks' number of months (RULES.md §10): the units' own,
    or those of the rulebooks in force when the month has no unit ("Zaległości 3 mies.")."""
    n = sorted(set(months.values()) or {v.arrears_months for v in rules.versions.values()})
    return f"Zaległości {', '.join(map(str, n))} mies."


def account_sheets(wb, con: duckdb.DuckDBPyConnection, rules: Rules, head: str) -> None:
    """Owed and received (RULES.md §5, §10; 004 §3 ust. 1, §10, §2 ust. 3): the split of what was
    received beside the split of what is owed, members' accounts with a balance, arrears, the
    employers' claims and a letter per employer, reductions and suspensions, a re-close's changes."""
    p = {"period": rules.period}
    levels = [lvl.code for lvl in rules.levels]
    per_unit = {}
    for u, lvl, basis, amount, corrects in con.execute(
            "SELECT unit_id, level, basis, amount, corrects FROM settlement WHERE period = $period", p).fetchall():
        row = per_unit.setdefault(u, {"basis": set(), "corrects": set(), **{x: 0 for x in levels}})
        row[lvl] = row.get(lvl, 0) + from_decimal(amount)
        row["basis"].add(basis)
        if corrects:
            row["corrects"].add(corrects)
    recv = dict(con.execute("SELECT unit_id, sum(amount) FROM receipts WHERE period = $period GROUP BY 1", p).fetchall())
    owed = dict(con.execute("SELECT unit_id, sum(total) FROM dues WHERE period = $period GROUP BY 1", p).fetchall())
    rows = [(u, "; ".join(BASIS[b] for b in sorted(r["basis"])) + (f" (korekta {', '.join(sorted(r['corrects']))})"
                                                                  if r["corrects"] else ""),
             owed.get(u), recv.get(u), *[r[x] for x in levels]) for u, r in sorted(per_unit.items())]
    sheet(wb, "Podział wpływów", ["Jednostka", "Podstawa", "Należne składki", "Otrzymano"]
          + [f"Podział wpływów: {lvl.label}" for lvl in rules.levels],
          rows, money_cols=set(range(2, 4 + len(levels))), widths=[12, 36, 14, 14] + [14] * len(levels),
          page_header=head + f": podział składek otrzymanych ({received_sources(rules)})", totals={0: "Razem"})
    sheet(wb, "Konta członków",
          ["Jednostka", "Nr członka", "Należna", "Otrzymano", "Nadpłata (na przyszłe miesiące)", "Zaległość",
           "Saldo", "Miesiące bez pełnej wpłaty", "Najstarszy niezapłacony", "Podstawa"],
          [(*r[:-1], BASIS[r[-1]]) for r in con.execute(
              "SELECT unit_id, member_id, owed, received, credit, arrears, balance, months_unpaid, oldest_unpaid, basis "
              "FROM member_ledger WHERE period = $period AND balance <> 0 ORDER BY unit_id, member_id", p).fetchall()],
          money_cols={2, 3, 4, 5, 6}, widths=[12, 12, 12, 12, 16, 12, 12, 14, 14, 30],
          page_header=head + ": konta członków z saldem (nadpłata albo zaległość)", totals={0: "Razem"})
    # RULES.md §10: the one rule (transforms.ledger.arrears) over the stored accounts, each unit's
    # number of months from its rulebook — and the sheet named after it
    months = arrears_months(rules, con.execute("SELECT unit_id, rulebook FROM units WHERE period = $period",
                                               p).fetchall())
    ledger = pl.DataFrame(con.execute(
        "SELECT period, member_id, unit_id, months_unpaid, arrears FROM member_ledger "
        "WHERE period = $period AND months_unpaid > 0", p).fetchall(),
        schema={"period": pl.String, "member_id": pl.String, "unit_id": pl.String, "months_unpaid": pl.Int64,
                "arrears": pl.Decimal(18, 2)}, orient="row")
    # issue 30: who failed — the member, or the employer who deducted less than owed (employer claims)
    claims = pl.DataFrame(con.execute(
        "SELECT period, member_id, owed, deducted FROM employer_claims WHERE period <= $period", p).fetchall(),
        schema={"period": pl.String, "member_id": pl.String, "owed": pl.Decimal(18, 2),
                "deducted": pl.Decimal(18, 2)}, orient="row")
    sheet(wb, arrears_title(months, rules),
          ["Jednostka", "Nr członka", "Miesiące bez pełnej wpłaty", "Od", "Do", "Zaległość", "Przyczyna"],
          [(*r[:-1], ARREARS_CAUSES[r[-1]]) for r in arrears(ledger, months, employer_shortfalls(claims)).select(
              "unit_id", "member_id", "months", "first_unpaid", "last_unpaid", "amount_due", "cause").rows()],
          money_cols={5}, widths=[12, 12, 14, 10, 10, 14, 36],
          page_header=head + ": członkowie bez pełnej wpłaty przez kolejne miesiące (do decyzji zarządu, RULES.md §10)")
    claims = con.execute("SELECT employer, unit_id, member_id, owed, deducted, difference, note FROM employer_claims "
                         "WHERE period = $period ORDER BY employer, unit_id, member_id", p).fetchall()
    by_employer: dict[str, list] = {}
    for r in claims:
        by_employer.setdefault(r[0], []).append(r)
    sheet(wb, "Roszczenia do pracodawców",
          ["Pracodawca (plik)", "Jednostka", "Nr członka", "Należna", "Potrącono", "Różnica", "Uwagi"],
          [r for r in claims if r[5]] + [(e, "razem", count(len(rs), "członek"), sum(r[3] for r in rs),
                                          sum(r[4] for r in rs), sum(r[5] for r in rs), _unchecked_note(rs))
                                         for e, rs in by_employer.items()],
          money_cols={3, 4, 5}, widths=[34, 12, 14, 12, 12, 12, 40],
          page_header=head + ": potrącenia pracodawców a składki należne")
    for n, (employer, rs) in enumerate(by_employer.items(), start=1):
        form_sheet(wb, f"Pismo {n}", employer_letter(employer, rs, rules.period), lambda *a: False,
                   head + f": pismo do pracodawcy ({employer})", index=None)
    sheet(wb, "Obniżki i zawieszenia",
          ["Jednostka", "Nr członka", "Rodzaj", "Kwota miesięczna", "Od", "Do", "Miesięcy razem",
           "Pozostało miesięcy", "Decyzja"],
          [(r[0], r[1], KIND.get(r[2], r[2]), *r[3:]) for r in con.execute(
              "SELECT unit_id, member_id, kind, amount, valid_from, valid_to, months_covered, months_left, decision_ref "
              "FROM adjustments_in_force WHERE period = $period ORDER BY unit_id, member_id", p).fetchall()],
          money_cols={3}, widths=[12, 12, 14, 14, 10, 10, 12, 12, 30],
          page_header=head + ": obniżenia i zawieszenia składki — kopie decyzji ("
          + "; ".join(dict.fromkeys(v.citations["reductions"] for v in rules.versions.values())) + ")")
    if "close_differences" in _tables(con):
        changed = con.execute(
            "SELECT subject, subject_id, unit_id, measure, before, after, change FROM close_differences "
            "WHERE run_id = (SELECT arg_max(run_id, finished_at) FROM runs WHERE period = $period) "
            "ORDER BY subject, unit_id, subject_id, measure", p).fetchall()
        if changed:
            label = {lvl.code: f"podział: {lvl.label}" for lvl in rules.levels} | MEASURE
            sheet(wb, "Zmiany po korekcie", ["Kto", "Numer", "Jednostka", "Wielkość", "Było", "Jest", "Zmiana"],
                  [({"member": "członek", "split": "podział jednostki"}[r[0]], r[1], r[2], label.get(r[3], r[3]), *r[4:])
                   for r in changed], money_cols={4, 5, 6}, widths=[12, 12, 12, 28, 14, 14, 14],
                  page_header=head + ": co zmieniło ponowne zamknięcie (korekta trafia do podziału następnego miesiąca)")


def _unchecked_note(rows: list[tuple]) -> str | None:
    """On an employer's totals: how many of its members' deductions could not be checked (RULES.md §13)."""
    n = sum(1 for r in rows if r[6] == text("notes", "deduction_unchecked"))
    return f"{n} z {len(rows)} członków: {text('notes', 'deduction_unchecked')}" if n else None


def _tables(con) -> set[str]:
    return {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def employer_letter(employer: str, rows: list[tuple], period: str) -> list[tuple]:
    """A one-page letter to the employer's payroll office: the members whose deduction differs."""
    fmt = lambda v: format_pl(from_decimal(v))  # noqa: E731
    lines = [(f"Do działu płac — {employer}", None, None),
             (f"Dotyczy: składki związkowej potrąconej z wynagrodzeń za {period}", None, None)]
    unchecked_note = text("notes", "deduction_unchecked")
    unchecked = [r for r in rows if r[6] == unchecked_note]
    if unchecked:        # RULES.md §13: a list of deducted amounts only — nothing to compare them with
        lines += [("NIESPRAWDZONE", None, None),
                  ("Lista zawiera tylko potrącone kwoty, bez składników płacowych:", unchecked_note, None),
                  (f"składki przyjęte {text('notes', 'dues_by_employer')}", fmt(sum(r[4] for r in unchecked)),
                   f"{len(unchecked)} członków"),
                  ("Prosimy o listę płac ze składnikami wynagrodzenia", f"za {period},", "by sprawdzić potrącenia.")]
        rows = [r for r in rows if r[6] != unchecked_note]
        if not rows:
            return lines + [("Skarbnik", "………………………………", "data, podpis")]
    lines += [("Na podstawie list płac porównaliśmy potrącone składki z należnymi.", None, None),
              ("RÓŻNICE", None, None)]
    differing = [r for r in rows if r[5]]
    lines += [(f"członek nr {r[2]} (jednostka {r[1]})", f"potrącono {fmt(r[4])}, należna {fmt(r[3])}",
               f"{'nadpłata' if r[5] > 0 else 'niedopłata'} {fmt(abs(r[5]))}") for r in differing]
    if not differing:
        lines.append(("brak różnic", "—", None))
    total = sum(r[5] for r in rows)
    lines += [("RAZEM", None, None),
              ("Potrącono razem", fmt(sum(r[4] for r in rows)), count(len(rows), "członek")),
              ("Należne razem", fmt(sum(r[3] for r in rows)), None),
              ("Różnica", fmt(total), "do zwrotu członkom" if total > 0 else "do dopłaty" if total < 0 else None),
              ("PROŚBA", None, None),
              ("Prosimy o potrącanie składki w wysokości należnej", "i wyrównanie różnic", "w najbliższej liście płac."),
              ("Skarbnik", "………………………………", "data, podpis")]
    return lines


# `checked` is false where the dues are a deductions-only list's amounts (RULES.md §13): nothing to
# compare, so never a difference; null in databases closed before the column was added (checked)
DEDUCTIONS_BY_SOURCE = """
SELECT source, count(*) FILTER (WHERE coalesce(checked, true)) AS members,
  CAST(coalesce(sum(deducted) FILTER (WHERE coalesce(checked, true)), 0) AS DECIMAL(18,2)) AS deducted,
  CAST(sum(computed) FILTER (WHERE coalesce(checked, true)) AS DECIMAL(18,2)) AS computed,
  CAST(sum(difference) FILTER (WHERE coalesce(checked, true)) AS DECIMAL(18,2)) AS difference,
  count(*) FILTER (WHERE coalesce(checked, true) AND (difference <> 0 OR computed IS NULL)) AS differing,
  count(*) FILTER (WHERE NOT coalesce(checked, true)) AS unchecked,
  CAST(coalesce(sum(deducted) FILTER (WHERE NOT coalesce(checked, true)), 0) AS DECIMAL(18,2)) AS unchecked_deducted
FROM deduction_check WHERE period = $period GROUP BY source ORDER BY source
"""

DEDUCTION_DIFFERENCES = """
SELECT source, unit_id, member_id, deducted, computed, difference FROM deduction_check
WHERE period = $period AND coalesce(checked, true) AND (difference <> 0 OR computed IS NULL)
ORDER BY source, unit_id, member_id
"""


def write_unit_workbooks(con: duckdb.DuckDBPyConnection, rules: Rules, members: pl.DataFrame,
                         path_for: Callable[[str], Path], fonts: Path, progress=lambda msg: None,
                         only: list[str] | None = None,
                         settled: dict[str, settlement.Settlement] | None = None,
                         pdfs: bool = True, pool: ProcessPoolExecutor | None = None) -> int:
    """One workbook per unit for its treasurer — first the one-page settlement (what to pay, to
    whom, by when), then the unit's summary, its members' dues (with names, the only place names
    appear) and the exceptions about its members — and (``pdfs``) the settlement as a one-page PDF.
    ``only``: these units (`skladki documents`, on demand), else every unit of the period;
    ``settled``: the units' settlements when the caller has them (else read here); ``pool``: the
    caller's ``workers`` (else its own)."""
    period = rules.period
    if settled is None:
        settled = settlement.settlements(con, rules)
    p = {"period": period, "only": only}
    con.register("member_names", members.select("member_id", "unit_id", "full_name"))
    try:
        summary = {r[0]: r for r in summary_rows(con, rules, period) if only is None or r[0] in only}
        by_unit: dict[str, list] = {u: [] for u in summary}
        for r in con.execute("""
                SELECT d.unit_id, d.member_id, m.full_name, d.category, d.base, d.dues, d.surcharge, d.total,
                       l.received, l.credit, l.arrears, l.months_unpaid, x.rule_json, x.rule_source, x.adjustment
                FROM dues d LEFT JOIN member_names m USING (member_id)
                LEFT JOIN member_ledger l ON l.member_id = d.member_id AND l.period = d.period
                LEFT JOIN dues_derivation x ON x.member_id = d.member_id AND x.period = d.period
                WHERE d.period = $period AND ($only IS NULL OR list_contains($only, d.unit_id))
                ORDER BY d.unit_id, d.member_id""", p).fetchall():
            book = settled[r[0]].rulebook if r[0] in settled else None
            how = explain.short(r[12], r[13], from_decimal(r[4]), from_decimal(r[5]), from_decimal(r[6]), r[14],
                                rules.versions[book].citations["reductions"] if book in rules.versions else ""
                                ) if r[12] else None
            by_unit.setdefault(r[0], []).append((r[0], r[1], r[2], rules.category_label(r[3], book), *r[4:12], how))
        exc: dict[str, list] = {}
        for r in con.execute(UNIT_EXCEPTIONS if "unit_exceptions" in _tables(con) else UNIT_EXCEPTIONS_BEFORE_26,
                             p).fetchall():
            exc.setdefault(r[0], []).append((*r[1:5], reason_label(r[5]), r[6], BASIS_OF_EXCEPTION.get(r[7], r[7])))
        deducted: dict[str, list] = {}
        for r in con.execute("""
                SELECT c.unit_id, c.source, c.member_id, m.full_name, c.deducted, c.computed, c.difference
                FROM deduction_check c LEFT JOIN member_names m USING (member_id)
                WHERE c.period = $period AND (c.difference <> 0 OR c.computed IS NULL)
                  AND ($only IS NULL OR list_contains($only, c.unit_id))
                ORDER BY c.unit_id, c.source, c.member_id""", p).fetchall():
            deducted.setdefault(r[0], []).append((*r[1:], DEDUCTION_NOTE[
                "none" if r[5] is None else "over" if r[6] > 0 else "under"]))
    finally:
        con.unregister("member_names")
    units = sorted(by_unit.items())
    jobs = [(path_for(f"skladki_{safe_name(u)}_{period}.xlsx"), settled[u], *unit_summary(rules, settled[u], summary[u]),
             rows, exc.get(u, []), deducted.get(u, [])) for u, rows in units]
    with nullcontext(pool) if pool is not None else workers(len(jobs)) as pool:
        for i, _ in enumerate(pool.map(_write_unit_workbook, jobs, chunksize=25) if pool else
                              map(_write_unit_workbook, jobs), start=1):
            if pool and i % 250 == 0:
                progress(f"      skoroszyty jednostek: {i}/{len(jobs)}")
        if pdfs:
            pages = ([job[1] for job in jobs], [path_for(f"rozliczenie_{safe_name(u)}_{period}.pdf") for u, _ in units],
                     [fonts] * len(jobs))
            for _ in pool.map(settlement.write_pdf, *pages, chunksize=25) if pool else map(settlement.write_pdf, *pages):
                pass
    return len(jobs)


@contextmanager
def workers(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """Processes to spread this many units' documents over the cores (openpyxl spends ~30 µs a
    cell and ~50 ms a file), or None: fewer than 50 are written here, as on one core."""
    cores = min(os.cpu_count() or 1, 8)
    if jobs < 50 or cores == 1:
        yield None
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=cores, mp_context=ctx, initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        yield pool


UNIT_EXCEPTIONS = """
SELECT x.unit_id, x.source, x."row", x.member_id, m.full_name, x.reason_code, x.message, x.basis
FROM unit_exceptions x LEFT JOIN member_names m USING (member_id)
WHERE x.period = $period AND ($only IS NULL OR list_contains($only, x.unit_id))
ORDER BY x.unit_id, x.source, x."row" NULLS LAST, x.member_id, x.message
"""
# a database closed before issue 26 has no unit_exceptions: its members' exceptions, as then
UNIT_EXCEPTIONS_BEFORE_26 = """
SELECT m.unit_id, e.source, e."row", e.member_id, m.full_name, e.reason_code, e.message, 'member'
FROM exceptions e JOIN member_names m USING (member_id)
WHERE e.period = $period AND ($only IS NULL OR list_contains($only, m.unit_id))
ORDER BY m.unit_id, e.source, e."row" NULLS LAST, e.member_id
"""
DEDUCTION_NOTE = {
    "none": "brak należnej składki za ten miesiąc (nie jest członkiem w tym miesiącu albo zablokowany — zob. "
            "Wyjątki): potrącenie do wyjaśnienia z działem płac albo do zwrotu",
    "over": "potrącono więcej niż należna składka: nadwyżka na poczet następnych miesięcy albo do zwrotu",
    "under": "potrącono mniej niż należna składka: brakującą część członek dopłaca albo pracodawca wyrównuje",
}


class Run(Protocol):
    """What a report step is given (flows/command.py's ``Run``; reports/ imports nothing of flows/)."""
    params: Any

    def progress(self, msg: str) -> None: ...

    def output(self, relative: str) -> Path: ...

    def database(self) -> duckdb.DuckDBPyConnection: ...


def report(run: Run, closed):
    """The close's report step: the close workbook and (optionally) one workbook per unit in
    ``out/jednostki``, each with its settlement PDF beside it: the drafts' documents anew, for an
    approved month re-closed a one-page correction note instead (its approved settlement stays as
    it was), and the documents of later months closed again in this run. The units' settlements
    are read from the stored tables once, for the close workbook and the units' documents both.
    ``closed``: flows/close.py's ``Closed``; returns it with what was written (None: no --out)."""
    if not run.params.out:
        return None
    run.progress("[5/5] skoroszyty")
    result, rules = closed.month, closed.rules
    con = run.database()
    settled = settlement.settlements(con, rules)
    write_close_workbook(con, rules, run.output(f"zamkniecie_{result.period}.xlsx"), settled)
    want = run.params.unit_workbooks
    deferred = False
    if want is None:     # a unit's or a region's close writes them; a national close leaves them on demand
        want = result.units.height <= run.params.unit_documents_at_close
        deferred = not want
    if not want:
        return dataclasses.replace(closed, unit_documents_deferred=deferred)
    corrected = sorted(set(result.corrections["unit_id"])) if result.corrections is not None else []
    drafts = [u for u in closed.scope if u not in corrected and u not in closed.approved]
    path = lambda name: run.output(f"jednostki/{name}")  # noqa: E731
    fonts = run.params.fonts
    # the drafts' documents (their count is the summary's), then those of the later months closed
    # again, each month from its own settlements: the workbooks, and beside them the PDFs
    documents = [(True, rules, drafts, settled)] if drafts else []
    documents += [(False, later.rules, later.units, None) for later in closed.recomputed]
    written = 0
    for drafted, book, units, theirs in documents:
        if theirs is None:
            theirs = settlement.settlements(con, book)
        with workers(len(units)) as pool:
            done = write_unit_workbooks(con, book, result.names, path, fonts, run.progress, only=units,
                                        settled=theirs, pdfs=False, pool=pool)
            pages = ([theirs[u] for u in sorted(units)],
                     [path(f"rozliczenie_{safe_name(u)}_{book.period}.pdf") for u in sorted(units)],
                     [fonts] * len(units))
            for _ in pool.map(settlement.write_pdf, *pages, chunksize=25) if pool else map(settlement.write_pdf, *pages):
                pass
        written += done if drafted else 0
    for unit in corrected:
        note = path(f"korekta_{safe_name(unit)}_{result.period}.pdf")
        settlement.correction_note(con, rules, unit, result.period, note, fonts)
    return dataclasses.replace(closed, unit_workbooks=written, unit_documents_deferred=deferred)


def die_with_parent(parent: int) -> None:
    """A worker must not outlive a killed close (kill -9 leaves no one to stop it): on Linux the
    kernel sends it SIGKILL when its parent dies; elsewhere it checks its parent's pid."""
    import signal
    import sys
    import threading
    import time
    if sys.platform.startswith("linux"):
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def unit_summary(rules: Rules, settled: settlement.Settlement, row: tuple) -> tuple[list[str], tuple, tuple]:
    """One unit's summary row in its own union's words (issue 30): the categories of its rulebook and
    the levels its money can reach, each as its rulebook labels it; the columns of other unions'
    categories and levels are left out. Returns (headers, (money, widths), row)."""
    headers, (money, widths) = summary_headers(rules), _summary_layout(rules)
    version = rules.versions.get(settled.rulebook)
    if version is None:          # a rulebook not in force: the whole row, as the close workbook has it
        return headers, (money, widths), row
    n_cat = len(rules.categories)
    keep, names = [], {0: settled.words[0]}
    for i in range(len(headers)):
        # a unit whose money reaches no region names none (never "Region: -"); a rulebook without a
        # sheltered workplace's rule (004 §3 ust. 2) or raised dues (004 §2) does not list them
        if (i == 2 and not settled.in_region) or (i == 4 and not version.sheltered_rule and row[i] != "tak") or (
                i in (5, 7 + n_cat) and not version.raises and not row[7 + n_cat]):
            continue
        if i == 7 + n_cat:
            names[i] = f"Podwyższenie (zostaje {settled.words[2]})"
        if 7 <= i < 7 + n_cat:
            code = rules.categories[i - 7].category
            if code not in version.categories and not row[i]:
                continue
            names[i] = f"Składki: {version.category_label(code)}"
        elif 7 + n_cat + 2 <= i < 7 + n_cat + 2 + len(rules.levels):
            code = rules.levels[i - 7 - n_cat - 2].code
            if settled.paid_levels is not None and code not in settled.paid_levels and not row[i]:
                continue
            names[i] = f"Podział: {version.level_label(code)}"
        keep.append(i)
    return ([names.get(i, headers[i]) for i in keep], ({k for k, i in enumerate(keep) if i in money},
                                                       [widths[i] for i in keep]), tuple(row[i] for i in keep))


def summary_form(settled, headers: list[str], money: set[int], row: tuple) -> list[tuple]:
    """The unit's summary row as a form: a title block, then one line per column."""
    lines = [("Podsumowanie miesiąca", None, None), (f"{settled.name} ({settled.unit_id})", None, None),
             (f"Miesiąc: {settled.month}", None, None)]
    return lines + [(h, "—" if v is None else v, None) for h, v in zip(headers, row)]


def _summary_money(headers: list[str], money: set[int]):
    labels = {headers[i] for i in money}
    return lambda label, value, section: label in labels and not isinstance(value, str)


def _write_unit_workbook(job) -> Path:
    """One unit's workbook (a job of ``write_unit_workbooks``; its PDF is written beside it)."""
    path, settled, headers, (money, widths), summary_row, member_rows, exception_rows, deducted_rows = job
    head = f"{settled.name} ({settled.unit_id}) — {settled.month}"
    if settled.whole_union:      # the union is its only level: its documents never speak of a unit
        exception_rows = [(*r[:-1], BASIS_OF_EXCEPTION_UNION.get(r[-1], r[-1])) for r in exception_rows]
    wb = new_workbook()
    # one unit's 22 figures: a page of label and value, not a row too wide to print (issue 26)
    form_sheet(wb, "Podsumowanie", summary_form(settled, headers, money, summary_row), _summary_money(headers, money),
               head, index=None)
    headers = [settled.words[0], *MEMBER_HEADERS[1:]]
    widths = [10, 11, 22, 16, 12, 10, 12, 10, 12, 10, 10, 10, 40]
    money_cols = {4, 5, 6, 7, 8, 9, 10}
    if not settled.raises and not any(r[6] for r in member_rows):     # no raised dues: no surcharge column
        headers, widths = headers[:6] + headers[7:], widths[:6] + widths[7:]
        member_rows, money_cols = [(*r[:6], *r[7:]) for r in member_rows], {4, 5, 6, 7, 8, 9}
    sheet(wb, "Składki członków", headers, member_rows, money_cols=money_cols, widths=widths, page_header=head,
          totals={0: "Razem"}, key_cols=3)
    sheet(wb, "Wyjątki", UNIT_EXCEPTION_HEADERS, exception_rows, money_cols=set(),
          widths=[22, 7, 12, 22, 24, 60, 24], page_header=head + f": wszystkie problemy {settled.words[1]}", key_cols=3)
    sheet(wb, "Potrącenia do wyjaśnienia", DEDUCTION_HEADERS, deducted_rows, money_cols={3, 4, 5},
          widths=[30, 12, 24, 12, 12, 12, 50],
          page_header=head + ": potrącenia pracodawcy różne od należnej składki albo bez niej")
    form_sheet(wb, "Rozliczenie", settlement.rows(settled), settlement.is_money, head)
    wb.save(path)
    return path


def transfers_table(result, rules: Rules) -> tuple[str, list[dict]]:
    """The transfers due of a close's units and their regions (``result``: the stored month of
    transforms.close, its transfers in grosze), for the Prefect UI."""
    rows = result.transfers.sort("due_on", "payer_kind", "payer_id", "payee", descending=[False, True, False, False])
    # issue 30: a unit's payee in its own rulebook's word, a region's in the word of the rulebook it pays under
    books = dict(result.units.select("unit_id", "rulebook").iter_rows()) if result.units is not None else {}
    return (f"Przelewy należne za {result.period}",
            [{"płatnik": f"{rules.payer_label(k)} {i}", "odbiorca": rules.payee_label(p, books.get(i) or rules.paying(k)),
              "kwota": format_pl(a), "termin": str(d)}
             for k, i, p, a, d in rows.select("payer_kind", "payer_id", "payee", "amount", "due_on").iter_rows()])


# ------------------------------------------------------------------ terminal summary

def month_state_lines(closed) -> list[str]:
    """The units' months this close left (``closed``: the close's result, flows/close.py):
    drafts to approve, incomplete ones and what they miss, units left out (a scheduled close),
    approved months corrected, later months closed again."""
    scope, missing, approved = closed.scope, closed.missing, set(closed.approved)
    drafts = [u for u in scope if u not in approved]
    out = []
    if drafts:
        out.append(f"  PROJEKT do zatwierdzenia ({count(len(drafts), 'jednostka')}): {', '.join(drafts[:8])}"
                   f"{' …' if len(drafts) > 8 else ''} — skladki approve --period {closed.month.period} --db … "
                   "--unit ID --by \"…\"")
    for unit in sorted(missing):
        out.append(f"  NIEKOMPLETNY {unit}: " + "; ".join(missing[unit]))
    for unit, what in sorted(closed.left_out.items()):
        out.append(f"  pominięta (miesiąc niekompletny, nie zamknięty) {unit}: " + "; ".join(what))
    if approved:
        out.append(f"  zatwierdzone wcześniej, nie zmienione ({len(approved)}): {', '.join(sorted(approved))}; "
                   "różnice jako korekta w następnym otwartym miesiącu")
    if closed.gone:
        out.append(f"  wiersz w units.csv odrzucony — projekt miesiąca usunięty: {', '.join(closed.gone)}")
    kept = sorted(set(closed.refused) - set(closed.gone))
    if kept:
        out.append(f"  wiersz w units.csv odrzucony — wcześniejsze zamknięcie bez zmian: {', '.join(kept)}")
    for month, units, *_ in closed.recomputed:
        out.append(f"  zamknięto ponownie {month} ({', '.join(units)}): z bieżących kont po tej zmianie")
    for month, units, n in closed.followers:       # issue 27: another unit's month is its own to close
        who = "członek przeszedł do innej jednostki: jego konto" if n == 1 else \
            f"{count(n, 'członek')} przeszło do innych jednostek: ich konta"
        out.append(f"  UWAGA: {who} w {month} ({', '.join(units)}) wychodzi ze stanu sprzed tej zmiany — "
                   f"zamknij ponownie {month} jednostek {', '.join(units)}")
    return out


def stored_figures(con: duckdb.DuckDBPyConnection, period: str, units: list[str]) -> dict:
    """The figures the summary gives of a close, as stored for its units (read on the close's own
    connection after its last write, before its commit)."""
    # the units this close stored (RULES.md §13): other units' months in the same database are theirs
    p = {"period": period, "units": units}
    mine = "list_contains($units, unit_id)"
    return {
        "by_cat": con.execute("SELECT category, count(*), CAST(sum(total) AS DECIMAL(18,2)) FROM dues "
                              f"WHERE period = $period AND {mine} GROUP BY category ORDER BY category", p).fetchall(),
        "by_level": dict(con.execute("SELECT level, CAST(sum(amount) AS DECIMAL(18,2)) FROM allocations "
                                     f"WHERE period = $period AND {mine} GROUP BY level", p).fetchall()),
        "deductions": con.execute(DEDUCTIONS_BY_SOURCE.replace(
            "WHERE period = $period", f"WHERE period = $period AND ({mine} OR unit_id IS NULL)"), p).fetchall(),
        "received": con.execute("SELECT kind, count(*), CAST(sum(amount) AS DECIMAL(18,2)) FROM receipts "
                                f"WHERE period = $period AND {mine} GROUP BY kind ORDER BY kind", p).fetchall(),
        "settled": dict(con.execute("SELECT level, CAST(sum(amount) AS DECIMAL(18,2)) FROM settlement "
                                    f"WHERE period = $period AND {mine} GROUP BY level", p).fetchall()),
        "accounts": con.execute("SELECT count(*) FILTER (WHERE arrears > 0), CAST(sum(arrears) AS DECIMAL(18,2)), "
                                "count(*) FILTER (WHERE credit > 0), CAST(sum(credit) AS DECIMAL(18,2)) "
                                f"FROM member_ledger WHERE period = $period AND {mine}", p).fetchone()}


def summary_text(closed, params, workbook: Path | None, notes: list[str]) -> str:
    """A short Polish summary of a stored close (``closed``: the close's result, flows/close.py,
    with the figures it stored, ``stored_figures``; ``params``: its parameters; ``workbook``: the
    close workbook written, if any); ``notes``: one line per user's file that replaces a shipped
    one (issue 31)."""
    r, rules = closed.month, closed.rules
    by_cat, by_level, deductions = closed.figures["by_cat"], closed.figures["by_level"], closed.figures["deductions"]
    received, settled, accounts = closed.figures["received"], closed.figures["settled"], closed.figures["accounts"]
    g = from_decimal
    # this close's units' and their regions' transfers, in grosze (not DECIMAL from the database)
    transfers = [(t["payer_kind"], t["payer_id"], t["payee"], t["amount"], t["due_on"])
                 for t in r.transfers.iter_rows(named=True)]
    by_reason = (r.exceptions.group_by("reason_code").len()
                 .sort(["len", "reason_code"], descending=[True, False]).rows())
    lines = [f"Zamknięcie {r.period}: przebieg {closed.run_id}", *month_state_lines(closed),
             f"  wiersze odczytane {r.rows_read} = użyte {r.rows_used} + odrzucone {r.rows_rejected} "
             f"+ pominięte {r.rows_skipped}",
             f"  członkowie ze składką: {r.dues.height}   regulaminy: {rules.version_titles(r.rulebook_version)}",
             "  składki według kategorii:"]
    lines += [f"    {rules.category_label(c):<28} {count(n, 'członek'):>15}  {format_pl(g(t)):>16}" for c, n, t in by_cat]
    lines.append("  podział według poziomów (należne | otrzymane):")
    lines += [f"    {lvl.label:<30} {format_pl(g(by_level.get(lvl.code, 0))):>16} | "
              f"{format_pl(g(settled.get(lvl.code, 0))):>16}" for lvl in rules.levels]
    lines.append("  otrzymano: " + ", ".join(f"{KIND.get(k, k)} {n} × razem {format_pl(g(a))}"
                                             for k, n, a in received))
    assumed = sorted(u for u, b in r.basis.items() if b == "assumed")
    if assumed:       # RULES.md §5: said, never silent
        lines.append(f"  jednostki bez danych o wpływach ({len(assumed)}): składki przyjęte jako otrzymane "
                     f"w całości: {', '.join(assumed[:8])}{' …' if len(assumed) > 8 else ''}")
    lines.append(f"  konta członków: zaległości u {accounts[0]} ({format_pl(g(accounts[1] or 0))}), "
                 f"nadpłaty u {accounts[2]} ({format_pl(g(accounts[3] or 0))}); "
                 f"3+ miesiące bez pełnej wpłaty: {r.arrears.height if r.arrears is not None else 0}")
    if r.differences is not None:
        members = r.differences.filter(pl.col("subject") == "member")["subject_id"].n_unique()
        corr = r.corrections if r.corrections is not None else pl.DataFrame({"amount": [], "applied_in": []})
        into = ", ".join(sorted(set(corr["applied_in"].drop_nulls()))) or shift_period(r.period, 1)
        lines.append(f"  ponowne zamknięcie: zmiany u {count(members, 'członka')}; korekta podziału zatwierdzonych do "
                     f"{into}: {count(corr.height, 'pozycja')}, razem {format_pl(int(corr['amount'].sum() or 0))}")
    roots = {v.root for v in rules.versions.values()}
    unit_tr = [t for t in transfers if t[0] in roots]
    if unit_tr:
        lines.append(f"  przelewy jednostek (z otrzymanych składek): {len(unit_tr)}, razem "
                     f"{format_pl(sum(t[3] for t in unit_tr))}, termin {min(t[4] for t in unit_tr)}")
    for t in transfers:
        if t[0] not in roots:
            lines.append(f"    {rules.payer_label(t[0])} {t[1]} -> {rules.payee_label(t[2], rules.paying(t[0])):<30} "
                         f"{format_pl(t[3]):>16} do {t[4]}")
    if any(d[1] for d in deductions):
        lines.append(f"  potrącenia: sprawdzono {count(sum(d[1] for d in deductions), 'członka')}, różnice u "
                     f"{sum(d[5] for d in deductions)}")
        for source, n, deducted, computed, diff, bad, _, _ in deductions:
            if bad:
                lines.append(f"    {source}: różnice u {bad} z {count(n, 'członka')}; potrącono {format_pl(g(deducted))}, "
                             f"należne {format_pl(g(computed or 0))}, różnica {format_pl(g(diff or 0))}")
    for source, _, _, _, _, _, unchecked, stated in deductions:
        if unchecked:     # RULES.md §13: a deductions-only list — the dues are its amounts
            lines.append(f"  potrącenia {source}: {text('notes', 'deduction_unchecked')}; składki {unchecked} "
                         f"członków {text('notes', 'dues_by_employer')}: {format_pl(g(stated))}")
    n_exc = sum(n for _, n in by_reason)
    lines.append(f"  wyjątki: {n_exc}" + ("" if not n_exc else " (" + ", ".join(
        f"{reason_label(code)}: {n}" for code, n in by_reason) + ")"))
    unusual = {f: how for f, how in r.formats.items() if how not in ("xlsx", "UTF-8, separator ','")}
    if unusual:     # files saved by Polish Excel: say what was found, so nothing is a surprise
        lines.append("  odczytano: " + "; ".join(f"{f} ({how})" for f, how in sorted(unusual.items())))
    lines += [f"  {note}" for note in notes]      # issue 31: the user's files that win
    lines.append(f"  baza danych: {params.db}")
    if workbook:
        lines.append(f"  skoroszyt: {workbook}")
    if closed.unit_documents_deferred:
        lines.append(f"  dokumenty jednostek: na żądanie ({r.units.height} jednostek; "
                     f"skladki documents --period {r.period} --db … --out … [--unit ID]; "
                     "albo zamknij z --unit-workbooks)")
    if closed.unit_workbooks:
        lines.append(f"  skoroszyty skarbników jednostek: {closed.unit_workbooks} w "
                     f"{Path(params.out) / 'jednostki'}")
    return "\n".join(lines)
