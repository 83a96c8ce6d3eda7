"""The settlement a unit treasurer files: one A4 page per unit and month, as a sheet (the first of
the unit's workbook) and as a PDF. It reads top-down: what to pay, to whom, to which account,
with which title and by when first; then the dues by category, the split, the employers'
differences, and the signature lines. Every figure comes from the stored tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import duckdb

from transforms.errors import text as note_text
from transforms.money import format_pl, from_decimal
from transforms.polish import cite, count, date_pl, month_pl
from transforms.rulebook import Rules



@dataclass
class Payment:
    payee: str
    amount: int
    account: str | None
    title: str
    due_on: date
    owed: int | None = None          # the same transfer from the dues owed (RULES.md §5: owed and received)
    nominal_due_on: date | None = None   # the rule's own day when due_on moved off a day free from work
    moved_because: str = ""              # why, briefly ('niedziela; Kodeks cywilny art. 115')
    # issue 30: the unit's own rulebook's paragraphs: why the amount is of the dues received, the deadline
    received_source: str = ""
    due_source: str = ""
    account_file: str = "regions.csv"    # where the payee's account is written (what to fill in when missing)
    payee_code: str = ""                 # the payee's level code


@dataclass
class Settlement:
    unit_id: str
    name: str
    region_id: str
    region_name: str | None
    period: str
    members: int = 0
    categories: list[tuple[str, int, int]] = field(default_factory=list)   # label, members, dues
    surcharge: int = 0
    total: int = 0
    split: list[tuple[str, int]] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    employers: list[tuple[str, int, int, int]] = field(default_factory=list)   # file, checked, differing, difference
    # RULES.md §13: the month's state, what it is missing, and corrections of approved months it carries
    state: str = "draft"
    approved_by: str | None = None
    approved_at: object = None
    approval_reason: str | None = None
    missing: list[str] = field(default_factory=list)
    corrections: list[tuple[str, int, str]] = field(default_factory=list)   # month corrected, moved, reason
    # RULES.md §13: deductions-only lists whose amounts are the dues: file, members, amount
    unchecked: list[tuple[str, int, int]] = field(default_factory=list)
    rulebook: str | None = None          # the unit's rulebook (issue 30: its labels and paragraphs only)
    in_region: bool = True               # money of the unit reaches a region (else no region is named)
    paid_levels: tuple[str, ...] | None = None   # the levels its money can reach (None: rulebook not in force)
    raises: bool = True                  # its rulebook allows raised dues (else no surcharge line at 0,00 zł)
    whole_union: bool = False            # the union is its only level (001, 002): "związek", never "jednostka"

    @property
    def words(self) -> tuple[str, str, str]:
        """The unit as its documents name it: (nominative, genitive, locative) — a union of one
        level is the union itself, not a unit of one."""
        return UNIT_WORDS[self.whole_union]

    @property
    def month(self) -> str:
        return month_pl(self.period)


UNIT_WORDS = {False: ("Jednostka", "jednostki", "w jednostce"), True: ("Związek", "związku", "w związku")}
NATIONAL_FILE = "national_accounts.csv"      # issue 30: the inbox file of the union-wide bodies' accounts


def nrb(iban: str | None) -> str | None:
    """'PL61109010140000071219812874' -> '61 1090 1014 0000 0712 1981 2874' (as on a transfer form)."""
    if not iban:
        return None
    digits = iban[2:] if iban.startswith("PL") else iban
    return digits[:2] + " " + " ".join(digits[i:i + 4] for i in range(2, len(digits), 4))


def transfer_title(pattern: str, unit_id: str, unit_name: str, period: str) -> str:
    return pattern.format(unit_id=unit_id, unit_name=unit_name, period=period, MM=period[5:], YYYY=period[:4],
                          YY=period[2:4])


def settlements(con: duckdb.DuckDBPyConnection, rules: Rules) -> dict[str, Settlement]:
    """Every unit's settlement of the period, from the stored tables."""
    p = {"period": rules.period}
    g = from_decimal
    names = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    out = {}
    for u, n, r, rn, rulebook, sheltered in con.execute(
            "SELECT u.unit_id, u.name, u.region_id, g.name, u.rulebook, u.sheltered FROM units u LEFT JOIN regions g "
            "ON g.region_id = u.region_id AND g.period = u.period WHERE u.period = $period ORDER BY u.unit_id",
            p).fetchall():
        version = rules.versions.get(rulebook)
        paid = version.paid_levels(bool(sheltered)) if version else None
        out[u] = Settlement(u, n or u, r, rn, rules.period, rulebook=rulebook,
                            in_region=version is None or version.region_payer in paid, paid_levels=paid,
                            raises=version is None or version.raises,
                            whole_union=version is not None and version.one_level)
    for u, category, n, dues, surcharge, total in con.execute(
            "SELECT unit_id, category, count(*), sum(dues), sum(surcharge), sum(total) FROM dues "
            "WHERE period = $period GROUP BY ALL ORDER BY ALL", p).fetchall():
        s = out[u]
        s.categories.append((rules.category_label(category, s.rulebook), n, g(dues)))
        s.members += n
        s.surcharge += g(surcharge)
        s.total += g(total)
    order = {lvl.code: i for i, lvl in enumerate(rules.levels)}
    names = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    # issue 30: a region's earmarked funds and a section's dues: their own payee, account, title, day
    earmarks = {r[0]: r[1:] for r in con.execute(
        "SELECT level, label, payee, bank_account, transfer_title, due_day FROM earmarks WHERE period = $period",
        p).fetchall()} if "earmarks" in names else {}
    for u, level, amount in sorted(con.execute("SELECT unit_id, level, amount FROM allocations WHERE period = $period",
                                               p).fetchall(), key=lambda r: (r[0], order.get(r[1], 99), r[1])):
        s = out[u]
        # issue 30: a level no money of this unit can reach under its rulebook is not shown (never at 0,00 zł);
        # a region's fund or a section's dues by its own label
        if level in earmarks:
            s.split.append((earmarks[level][0], g(amount)))
        elif s.paid_levels is None or level in s.paid_levels or g(amount):
            s.split.append((rules.level_label(level, s.rulebook), g(amount)))
    # issue 30: the accounts of the bodies a unit pays directly, not through its region (national_accounts.csv)
    national = {(b, lvl): (name, account, pattern) for b, lvl, name, account, pattern in con.execute(
        "SELECT rulebook, level, name, bank_account, transfer_title FROM national_accounts WHERE period = $period",
        p).fetchall()} if "national_accounts" in names else {}
    roots = {v.root: v for v in rules.versions.values()}
    for u, payer_kind, payee, amount, due_on, rulebook, account, pattern, owed in con.execute("""
            SELECT t.payer_id, t.payer_kind, t.payee, t.amount, t.due_on, u.rulebook, g.bank_account, g.transfer_title,
                   t.owed_amount
            FROM transfers t JOIN units u ON u.unit_id = t.payer_id AND u.period = t.period
            LEFT JOIN regions g ON g.region_id = u.region_id AND g.period = t.period
            WHERE t.period = $period ORDER BY t.payer_id, t.payee""", p).fetchall():
        if payer_kind not in roots:
            continue
        s = out[u]
        rule = next(t for t in rules.version(rulebook).transfers if t.payer == payer_kind)
        # the region's account and title pattern apply to what is paid to the region's level; the
        # national_accounts.csv row of the unit's rulebook and the payee's level to what is paid to another body
        version = rules.version(rulebook)
        to_region = payee == version.region_payer
        name, account_file = None, "regions.csv" if to_region else NATIONAL_FILE
        if payee in earmarks:         # issue 30: a fund's or section's dues: its own payee, account, title, day
            name, account, pattern, day = earmarks[payee][1:]
            rule = replace(rule, due_day=day or rule.due_day)
            account_file = "funds.csv" if payee.startswith("fund:") else "sections.csv"
        elif not to_region:
            name, account, pattern = national.get((rulebook, payee), (None, None, None))
        nominal = rule.nominal_due_on(rules.period)
        moved = due_on != nominal        # as the close stored it (RULES.md §6)
        s.payments.append(Payment(
            (name or rules.payee_label(payee, rulebook)) + (f" ({s.region_name or s.region_id})" if to_region else ""),
            g(amount), nrb(account), transfer_title(pattern or rule.title, u, s.name, rules.period), due_on,
            g(owed) if owed is not None else None, nominal if moved else None,
            rule.shift.short_note(nominal) if moved else "", rule.received_source, rule.source,
            account_file, payee))
    if "unit_months" in names:
        for u, state, by, at, reason, missing in con.execute(
                "SELECT unit_id, state, approved_by, approved_at, approval_reason, missing FROM unit_months "
                "WHERE period = $period", p).fetchall():
            if u in out:
                s = out[u]
                s.state, s.approved_by, s.approved_at, s.approval_reason = state, by, at, reason
                s.missing = (missing or "").splitlines()
        roots_sql = sorted(roots)
        reasons = ("(SELECT applied_in, unit_id, corrected_period, level, reason FROM corrections)" if "corrections"
                   in names else "(SELECT NULL AS applied_in, NULL AS unit_id, NULL AS corrected_period, NULL AS level, "
                                 "NULL AS reason)")
        for u, corrects, moved, reason in con.execute(f"""
                SELECT s.unit_id, s.corrects, sum(s.amount) FILTER (WHERE NOT list_contains($roots, s.level)),
                       any_value(c.reason)
                FROM settlement s LEFT JOIN {reasons} c ON c.applied_in = s.period AND c.unit_id = s.unit_id
                     AND c.corrected_period = s.corrects AND c.level = s.level
                WHERE s.period = $period AND s.basis = 'correction' GROUP BY ALL ORDER BY ALL""",
                                                       p | {"roots": roots_sql}).fetchall():
            if u in out:
                out[u].corrections.append((corrects, g(moved or 0), reason or "ponowne zamknięcie"))
    for u, source, checked, n, differing, diff, deducted in con.execute("""
            SELECT unit_id, source, coalesce(checked, true), count(*),
                   count(*) FILTER (WHERE difference <> 0 OR computed IS NULL),
                   coalesce(sum(difference), 0), sum(deducted) FROM deduction_check
            WHERE period = $period AND unit_id IS NOT NULL GROUP BY ALL ORDER BY ALL""", p).fetchall():
        if checked:
            out[u].employers.append((source, n, differing, g(diff)))
        else:
            out[u].unchecked.append((source, n, g(deducted)))
    return out


def rows(s: Settlement) -> list[tuple]:
    """The settlement as (label, value, note) lines, top-down, for the sheet and the PDF."""
    out: list[tuple] = [("Rozliczenie składek członkowskich", None, None),
                        (f"{s.name} ({s.unit_id})", None, None),
                        (f"Miesiąc: {s.month}", None, (s.region_name or f"region {s.region_id}") if s.in_region
                         else None),
                        (state_line(s), None, None)]
    if s.missing:
        out.append((MISSING, None, None))
        out += [(f"• {m}", None, None) for m in s.missing]
    out += [(None, None, None), ("DO PRZELANIA", None, None)]
    if not s.payments:
        # a line under the heading (a label alone would print as a second heading)
        out.append(("Przelew", "nic do przelania w tym miesiącu" + (f" (składki zostają {s.words[2]})"
                                                                    if s.whole_union else ""), None))
    for pay in s.payments:
        # the amount owed on a line of its own: a wrapped amount ('1' | '221,52 zł') would misread
        # issue 30: the unit's own rulebook's paragraphs (the transfer rule's), never another union's
        basis = "z otrzymanych składek" + (f" ({pay.received_source})" if pay.received_source else "") + (
            f";\nod należnych byłoby {format_pl(pay.owed)}" if pay.owed is not None and pay.owed != pay.amount else "")
        out += [("Kwota", pay.amount, basis), ("Odbiorca", pay.payee, None),
                ("Rachunek", pay.account or f"— brak w {pay.account_file}; zapytaj odbiorcę", None),
                ("Tytuł przelewu", pay.title, None), ("Termin", pay.due_on, pay.due_source or None)]
        if pay.nominal_due_on is not None:
            out.append(("Termin przesunięty", f"z {date_pl(pay.nominal_due_on)}", pay.moved_because or None))
        out.append((None, None, None))
    for month, moved, reason in s.corrections:
        out.append((f"w tym korekta za {month}", moved, reason))
    out += [("SKŁADKI", None, None), ("Członkowie ze składką", s.members, None)]
    out += [(f"Składki: {label}", dues, count(n, "członek")) for label, n, dues in s.categories]
    if s.unchecked:
        out.append((f"Składki: w tym {note_text('notes', 'dues_by_employer')}", sum(a for _, _, a in s.unchecked),
                    f"{count(sum(n for _, n, _ in s.unchecked), 'członek')} (RULES.md §13)"))
    if s.raises or s.surcharge:          # a rulebook without raised dues never shows a surcharge of 0,00 zł
        out.append((f"Podwyższenie (zostaje {s.words[2]})", s.surcharge, None))
    out += [("Razem składki", s.total, None), (None, None, None), ("PODZIAŁ", None, None)]
    out += [(label, amount, None) for label, amount in s.split]
    if s.employers:
        out += [(None, None, None), ("RÓŻNICE W POTRĄCENIACH PRACODAWCÓW", None, None)]
        out += [(source, diff, f"różnice u {differing} z {count(n, 'członka')}")
                for source, n, differing, diff in s.employers]
    if s.unchecked:
        out += [(None, None, None), (UNCHECKED_SECTION, None, None)]
        out += [(source, amount, f"{note_text('notes', 'deduction_unchecked')} ({count(n, 'członek')})")
                for source, n, amount in s.unchecked]
    return out


UNCHECKED_SECTION = "POTRĄCENIA BEZ SKŁADNIKÓW PŁACOWYCH"
MONEY_LABELS = ("Kwota", "Składki:", "Podwyższenie", "Razem składki", "w tym korekta")
MISSING = "MIESIĄC NIEKOMPLETNY — kwota może się jeszcze zmienić; brakuje:"
DRAFT = "PROJEKT — niezatwierdzone"


def state_line(s: Settlement) -> str:
    """What the page is: a draft, or approved (by whom, when; with the reason if incomplete)."""
    if s.state != "approved":
        return DRAFT + " (skladki approve po sprawdzeniu)"
    when = s.approved_at.strftime("%Y-%m-%d %H:%M") if hasattr(s.approved_at, "strftime") else str(s.approved_at)
    return f"ZATWIERDZONE: {s.approved_by}, {when}" + (f"; mimo braków: {s.approval_reason}" if s.approval_reason else "")


def is_status(label: str | None) -> bool:
    return bool(label) and (label.startswith((DRAFT, "ZATWIERDZONE", MISSING, "• ")))


def is_money(label: str | None, value, section: str) -> bool:
    return isinstance(value, int) and (section in ("PODZIAŁ", "RÓŻNICE W POTRĄCENIACH PRACODAWCÓW", UNCHECKED_SECTION)
                                       or (label or "").startswith(MONEY_LABELS))


def write_pdf(s: Settlement, path: Path, font_folder: Path) -> Path:
    """One A4 page (fpdf2, DejaVu Sans embedded: every letter of members' names, reports.pdf). Every
    text wraps inside its column (a long unit name, title or note is never clipped or run off the
    page) and an amount is made smaller rather than wrapped; a page that would still overflow is
    laid out again a little smaller, so it stays one page, and what does not fit one page at the
    smallest size goes on to the next (issue 27: nothing is drawn past the page)."""
    from reports.pdf import document
    for scale in SCALES:
        pdf = document(font_folder, f"Rozliczenie {s.unit_id} {s.period}")
        pdf.set_auto_page_break(False)
        pdf.add_page()
        if _settlement_page(pdf, s, scale) <= pdf.h - SIGNATURES:
            break
    else:
        pdf = document(font_folder, f"Rozliczenie {s.unit_id} {s.period}")
        pdf.set_auto_page_break(True, SIGNATURES)
        pdf.add_page()
        _settlement_page(pdf, s, SCALES[-1])
        pdf.set_auto_page_break(False)
    _signatures(pdf, s)
    pdf.output(str(path))
    return path


SCALES = (1.0, 0.92, 0.84, 0.76, 0.68)
SIGNATURES = 47                   # mm from the page's bottom edge: the signature lines and the footer
LABEL_W, VALUE_W = 70, 60         # mm; the note takes the rest of the line


def _settlement_page(pdf, s: Settlement, k: float) -> float:
    """The settlement's lines from the top of the page at scale ``k``; returns where they end."""
    from reports.pdf import one_line_size, row
    section = ""
    for i, (label, value, note) in enumerate(rows(s)):
        label = cite(label) if label else label
        note = cite(note) if isinstance(note, str) else note
        if label is None:
            pdf.ln(3 * k)
            continue
        if is_status(label):           # the month's state: a draft and what is missing in red
            red = label.startswith((DRAFT, MISSING, "• "))
            pdf.set_text_color(*((190, 0, 0) if red else (0, 110, 40)))
            bullet = label.startswith("• ")
            pdf.set_font("DejaVu", "" if bullet else "B", (9 if bullet else 10) * k)
            pdf.multi_cell(0, 5.5 * k, label, new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            continue
        if label.startswith("w tym korekta"):      # a correction of an approved month, its reason wrapped
            moved = ("+" if value > 0 else "") + format_pl(value)
            row(pdf, 5.5 * k, [(LABEL_W, label, "L", "", 10 * k),
                               (VALUE_W, moved, "R", "", one_line_size(pdf, moved, VALUE_W, "", 10 * k))])
            pdf.set_font("DejaVu", "", 8 * k)
            pdf.multi_cell(0, 4.5 * k, note or "", new_x="LMARGIN", new_y="NEXT")
            continue
        if value is None and note is None or i < 3:
            size = (15 if i == 0 else 12 if i < 3 else 11) * k
            pdf.set_font("DejaVu", "B", size)
            if i >= 3:
                section = label
                pdf.set_fill_color(48, 84, 150)
                pdf.set_text_color(255, 255, 255)
            pdf.multi_cell(0, (8 if i < 3 else 7) * k, label + (f"   ({note})" if note else ""), new_x="LMARGIN",
                           new_y="NEXT", fill=i >= 3)
            pdf.set_text_color(0, 0, 0)
            continue
        big = section == "DO PRZELANIA"
        money = is_money(label, value, section)
        text = format_pl(value) if money else date_pl(value) if isinstance(value, date) else str(value)
        size, style = (11 if big else 10) * k, "B" if big else ""
        # a money amount is right-aligned with a gap before the note; a text without a note (a name, an
        # account number, a transfer title) has the whole rest of the line
        cells = [(LABEL_W, label, "L", style, size)]
        value_size = one_line_size(pdf, text, VALUE_W, style, size) if money else size
        cells += ([(VALUE_W, text, "R" if money else "L", style, value_size), (3, "", "L", "", size),
                   (0, note or "", "L", "", 8 * k)] if note or money else [(0, text, "L", style, size)])
        row(pdf, (6.5 if big else 5.5) * k, cells)
    return pdf.get_y()


def _signatures(pdf, s: Settlement) -> None:
    from reports.pdf import one_line_size
    pdf.set_y(-45)
    pdf.set_font("DejaVu", "", 9)
    for who in ("Skarbnik", "Przewodniczący"):
        pdf.cell(95, 6, f"{who}: ..........................................")
    pdf.ln(8)
    pdf.cell(95, 6, "data: ....................")
    pdf.cell(95, 6, "data: ....................")
    footer = f"skladki — rozliczenie {s.unit_id} za {s.period}; kwoty z zamknięcia zapisanego w bazie danych"
    pdf.set_font("DejaVu", "", one_line_size(pdf, footer, pdf.epw, "", 7))
    pdf.set_x(pdf.l_margin)
    lines = len(pdf.multi_cell(0, 3.5, footer, dry_run=True, output="LINES"))    # a long unit id wraps
    pdf.set_y(pdf.h - 10 - 3.5 * lines)
    pdf.multi_cell(0, 3.5, footer, align="C")


def correction_note(con: duckdb.DuckDBPyConnection, rules: Rules, unit_id: str, period: str, path: Path,
                    font_folder: Path) -> Path:
    """The one-page note of an approved month closed again (RULES.md §13): what was approved, what
    the inputs now give, the difference by level and into which month it goes, and why."""
    from reports.pdf import document, one_line_size, row
    g = from_decimal
    name = con.execute("SELECT coalesce(name, unit_id) FROM units WHERE period = ? AND unit_id = ?",
                       [period, unit_id]).fetchone()
    state = con.execute("SELECT approved_by, approved_at FROM unit_months WHERE period = ? AND unit_id = ?",
                        [period, unit_id]).fetchone() or (None, None)
    run = con.execute("SELECT arg_max(run_id, finished_at) FROM runs WHERE period = ?", [period]).fetchone()[0]
    rows = con.execute("SELECT level, amount, applied_in, reason FROM corrections WHERE run_id = ? AND unit_id = ? "
                       "ORDER BY level", [run, unit_id]).fetchall()
    changed = con.execute("SELECT subject_id, measure, before, after FROM close_differences WHERE run_id = ? "
                          "AND unit_id = ? AND subject = 'member' ORDER BY subject_id, measure", [run, unit_id]).fetchall()
    pdf = document(font_folder, f"Korekta {unit_id} {period}")
    pdf.set_auto_page_break(True, 45)      # above the signature lines; a long note goes on to the next page
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, f"Nota korygująca rozliczenie za {period}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    when = state[1].strftime("%Y-%m-%d %H:%M") if hasattr(state[1], "strftime") else (state[1] or "—")
    into = rows[0][2] if rows else "—"
    lines = [f"{name[0] if name else unit_id} ({unit_id})",
             f"Rozliczenie za {period} zatwierdził(a): {state[0] or '—'}, {when}. Zatwierdzone kwoty i przelewy "
             "tego miesiąca pozostają bez zmian.",
             f"Ponowne zamknięcie {period} daje inny podział otrzymanych składek. Różnica przechodzi do "
             f"rozliczenia za {into} jako osobna pozycja „korekta za {period}”.",
             f"Powód: {rows[0][3] if rows else '—'}"]
    for text in lines:
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, "Korekta podziału według poziomów", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for level, amount, _, _ in rows:
        moved = ("+" if amount > 0 else "") + format_pl(g(amount))
        row(pdf, 6, [(90, rules.level_label(level), "L", "", 10),
                     (50, moved, "R", "", one_line_size(pdf, moved, 50, "", 10))])
    if changed:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, f"Zmienione konta członków ({len({c[0] for c in changed})})", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        labels = {"owed": "należne", "received": "wpływy", "balance": "saldo"}
        for member, measure, before, after in changed[:40]:
            row(pdf, 5, [(40, member, "L", "", 9), (30, labels.get(measure, measure), "L", "", 9),
                         (0, f"było {format_pl(g(before))}, jest {format_pl(g(after))}", "L", "", 9)])
        if len(changed) > 40:
            pdf.cell(0, 5, f"… i {len(changed) - 40} dalszych zmian (tabela close_differences)", new_x="LMARGIN",
                     new_y="NEXT")
    pdf.set_auto_page_break(False)
    pdf.set_y(-40)
    pdf.set_font("DejaVu", "", 9)
    for who in ("Skarbnik", "Przewodniczący"):
        pdf.cell(95, 6, f"{who}: ..........................................")
    pdf.output(str(path))
    return path
