"""The words of `skladki reminders` (flows/reminders.py): the summary printed in the terminal (and
shown in the Prefect UI), the table of the UI's artifact, the workbook listing the units, and the
reminder letter (one A4 PDF per unit) from the region's treasurer — the unit, the month, what is
missing or owed, the amount, the region's account, the transfer title and the deadline, politely,
in Polish. Units, amounts and accounts only: no person's name, PESEL or member number.
The rows are transforms.reminders' ``Reminder`` values.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from reports.xlsx import new_workbook, safe_name, sheet
from transforms.money import format_pl
from transforms.polish import count, count_pl, date_pl, month_pl

# what a reminder is about, as the list and the summary say it
SETTLEMENT_PL = {"missing": "brak rozliczenia", "draft": "rozliczenie niezatwierdzone"}
TRANSFER_PL = {"missing": "przelew nie wpłynął", "short": "przelew niepełny", "late": "przelew po terminie"}


def workbook_name(period: str, region: str | None) -> str:
    return f"przypomnienia_{period}" + (f"_{safe_name(region)}" if region else "") + ".xlsx"


def letter_name(period: str, region: str | None, unit_id: str) -> str:
    folder = f"przypomnienia_{period}" + (f"_{safe_name(region)}" if region else "")
    return f"{folder}/przypomnienie_{safe_name(unit_id)}_{period}.pdf"


def what(r) -> str:
    """'brak rozliczenia; przelew niepełny' — what a unit is reminded of."""
    return "; ".join(p for p in (SETTLEMENT_PL.get(r.settlement), TRANSFER_PL.get(r.transfer)) if p)


def days(n: int | None) -> str:
    return count(n, "dzień") if n else ""


def detail(r) -> str:
    """One line on the transfer: what came in against what was due, and by when."""
    if r.transfer == "short":
        return (f"wpłynęło {format_pl(r.paid)} z {format_pl(r.expected)}, brakuje {format_pl(r.owed)}; "
                f"termin {date_pl(r.due_on)}")
    if r.transfer == "missing":
        return f"{format_pl(r.expected)} do zapłaty, termin {date_pl(r.due_on)} minął {days(r.days_late)} temu"
    if r.transfer == "late":
        paid_on = f" {date_pl(r.last_payment_on)}" if r.last_payment_on else ""
        return f"wpłynęło {format_pl(r.paid)}{paid_on}, {days(r.days_late)} po terminie ({date_pl(r.due_on)})"
    return f"przelew z rozliczenia, termin {date_pl(r.due_on)}"


def _scope(result) -> str:
    if result.region_id:
        return result.region_names.get(result.region_id) or f"region {result.region_id}"
    return "wszystkie regiony"


def summary(result) -> str:
    rs = result.reminders
    missing = sum(r.settlement is not None for r in rs)
    transfers = sum(r.transfer is not None for r in rs)
    lines = [f"Przypomnienia za {month_pl(result.period)} ({_scope(result)}, stan na {date_pl(result.day)}): "
             f"oczekiwano rozliczeń od {count_pl(result.expected, 'jednostki', 'jednostek', 'jednostek')}, "
             f"zatwierdzonych {result.approved}; bez rozliczenia: {count(missing, 'jednostka')}, "
             f"z przelewem spóźnionym lub niepełnym: {count(transfers, 'jednostka')}"]
    if not result.reconciled:
        lines.append(f"  przelewów za {result.period} jeszcze nie uzgodniono z wyciągiem (skladki reconcile "
                     f"--period …): lista obejmuje tylko brakujące rozliczenia")
    if not rs:
        lines.append("  wszystkie rozliczenia dotarły i przelewy wpłynęły — nie ma komu przypominać")
    width = max([len("jednostka"), *(len(r.unit_id) for r in rs)])
    for r in rs:
        lines.append(f"  {r.unit_id:<{width}}  {what(r)}" + (f": {detail(r)}" if r.transfer else
                                                              f"; termin przelewu {date_pl(r.due_on)}"))
    if result.workbook:
        lines.append(f"  skoroszyt: {result.workbook}")
    if result.letters:
        lines.append(f"  pisma: {count_pl(len(result.letters), 'pismo', 'pisma', 'pism')} PDF w "
                     f"{Path(result.letters[0]).parent}")
    return "\n".join(lines)


HEADERS = ["Okres", "Jednostka", "Nazwa", "Region", "Czego dotyczy", "Rozliczenie", "Przelew",
           "Kwota przelewu", "Wpłynęło", "Do zapłaty", "Termin", "Dni po terminie", "Rachunek", "Tytuł przelewu",
           "Pismo"]


def rows(result) -> list[tuple]:
    """One row per unit reminded; every cell text, a number or empty (never a formula)."""
    letters = {Path(p).name: p for p in result.letters}
    out = []
    for r in result.reminders:
        letter = Path(letter_name(result.period, result.region_id, r.unit_id)).name
        out.append((result.period, r.unit_id, r.unit.name, r.unit.region_id or "", what(r),
                    SETTLEMENT_PL.get(r.settlement, "zatwierdzone"), TRANSFER_PL.get(r.transfer, ""),
                    r.expected, r.paid, r.owed, r.due_on, r.days_late, r.unit.account or "", r.unit.title,
                    letter if letter in letters or not letters else ""))
    return out


def table_rows(result) -> list[dict]:
    """The rows for the Prefect UI's table artifact (dates and amounts as text)."""
    def shown(i, v):
        if i in (7, 8, 9):
            return format_pl(v) if v is not None else ""
        return date_pl(v) if isinstance(v, date) else "" if v is None else v
    return [dict(zip(HEADERS, (shown(i, v) for i, v in enumerate(r)))) for r in rows(result)]


def write_workbook(result, path: Path) -> Path:
    wb = new_workbook()
    head = f"Przypomnienia — {month_pl(result.period)} — {_scope(result)}"
    sheet(wb, "Przypomnienia", HEADERS, rows(result), money_cols={7, 8, 9},
          widths=[9, 12, 36, 8, 30, 22, 20, 14, 14, 14, 12, 10, 34, 30, 36], page_header=head, key_cols=2)
    wb.save(path)
    return path


# ------------------------------------------------------------------ the letter

def paragraphs(r, result) -> list[str]:
    """The letter's body, paragraph by paragraph."""
    month = month_pl(result.period)
    out = []
    if r.settlement == "missing":
        out.append(f"do dnia {date_pl(result.day)} nie otrzymaliśmy rozliczenia składek członkowskich "
                   f"Państwa jednostki za {month}.")
    elif r.settlement == "draft":
        out.append(f"rozliczenie składek członkowskich Państwa jednostki za {month} zostało zamknięte, "
                   f"ale do dnia {date_pl(result.day)} nie zostało zatwierdzone, więc nie jest jeszcze "
                   "rozliczeniem jednostki.")
    lead = "" if out else f"dziękujemy za rozliczenie składek za {month}. "
    if r.transfer == "short":
        out.append(f"{lead}Z należnych {format_pl(r.expected)} wpłynęło dotąd {format_pl(r.paid)}. "
                   f"Prosimy o dopłatę brakującej kwoty {format_pl(r.owed)}.")
    elif r.transfer == "missing":
        out.append(f"{lead}Nie odnotowaliśmy jeszcze przelewu składek za {month} na kwotę {format_pl(r.expected)}, "
                   f"którego termin minął {date_pl(r.due_on)}. Prosimy o przelew.")
    elif r.transfer == "late":
        paid_on = f" {date_pl(r.last_payment_on)}" if r.last_payment_on else ""
        out.append(f"{lead}Przelew składek za {month} ({format_pl(r.paid)}) wpłynął{paid_on}, "
                   f"{days(r.days_late)} po terminie ({date_pl(r.due_on)}). Uprzejmie prosimy o przelewy "
                   "w terminie w kolejnych miesiącach"
                   + (" — Region przekazuje część składek dalej w swoich terminach." if r.unit.to_region else "."))
    return out


STEPS = ("zamknąć miesiąc w programie skladki (skladki close --period {period}), jeśli nie jest zamknięty;",
         "sprawdzić rozliczenie i je zatwierdzić (skladki approve --period {period} --unit {unit});",
         "przesłać {whom} plik rozliczenia {file} — zapisuje go zatwierdzenie obok PDF rozliczenia, "
         "w folderze jednostki; skladki documents zapisuje go ponownie.")


def transfer_lines(r, result) -> list[tuple[str, str]]:
    """The transfer's details as (label, value) lines: the amount first."""
    if r.transfer in ("short", "missing"):
        amount = [("Kwota do zapłaty", format_pl(r.owed))]
        if r.transfer == "short":
            amount += [("Należne", format_pl(r.expected)), ("Wpłynęło", format_pl(r.paid))]
    elif r.transfer == "late":
        amount = [("Kwota przelewu", format_pl(r.expected)), ("Wpłynęło", format_pl(r.paid))]
    else:
        amount = [("Kwota", "jak w rozliczeniu za " + month_pl(result.period))]
    passed = r.due_on < result.day
    deadline = date_pl(r.due_on) + (" (minął)" if passed and r.transfer != "late" else "")
    return amount + [("Odbiorca", r.unit.payee),
                     ("Rachunek", r.unit.account or f"— prosimy o kontakt ze skarbnikiem {treasurer_of(r)}"),
                     ("Tytuł przelewu", r.unit.title), ("Termin", deadline)]


def treasurer_of(r) -> str:
    """Whose treasurer writes (issue 30): the region's, or the body the unit pays directly."""
    return "Regionu" if r.unit.to_region else "odbiorcy przelewu"


def sender(r, result) -> str:
    """The region writing: its name from regions.csv, else its id; for a unit that pays a body
    above it directly (not its region), that body (national_accounts.csv's name, or the level's
    payee in the unit's rulebook)."""
    if not r.unit.to_region:
        return r.unit.payee
    region = r.unit.region_id
    return result.region_names.get(region) or (f"Region {region}" if region else "Region")


def write_letter(r, result, path: Path, fonts: Path) -> Path:
    """One A4 page (reports.pdf: DejaVu Sans embedded, every text wrapped inside the page)."""
    from reports.pdf import document, one_line_size, row
    pdf = document(fonts, f"Przypomnienie {r.unit_id} {result.period}")
    pdf.set_auto_page_break(True, 20)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    # the sender and the date
    row(pdf, 5.5, [(110, sender(r, result), "L", "B", 11), (0, date_pl(result.day), "R", "", 10)])
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(110, 5, "Skarbnik Regionu" if r.unit.to_region else "Skarbnik", align="L", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.ln(10)
    # the addressee
    pdf.set_x(100)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, "Do", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(100)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 5.5, r.unit.name, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(100)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, f"({r.unit_id}) — Skarbnik jednostki", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    # the subject
    subject = ("Przypomnienie: rozliczenie składek za " if r.settlement else "Przypomnienie: przelew składek za ") \
        + month_pl(result.period)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, subject, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 10.5)
    pdf.multi_cell(0, 5.5, "Szanowni Państwo,", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for text in paragraphs(r, result):
        pdf.multi_cell(0, 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if r.settlement:
        pdf.multi_cell(0, 5.5, "Prosimy:", align="L", new_x="LMARGIN", new_y="NEXT")
        file = f"rozliczenie_{safe_name(r.unit_id)}_{result.period}_v1.json (albo jego nowszą wersję)"
        for i, step in enumerate(STEPS, start=1):
            row(pdf, 5.5, [(8, f"{i}.", "R", "", 10.5),
                           (0, step.format(period=result.period, unit=r.unit_id, file=file,
                                           whom="do Regionu" if r.unit.to_region else f"odbiorcy ({r.unit.payee})"),
                            "L", "", 10.5)])
        pdf.ln(2)
    # the transfer, as on a transfer form
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_fill_color(48, 84, 150)
    pdf.set_text_color(255, 255, 255)
    pdf.multi_cell(0, 7, f"PRZELEW ZA {month_pl(result.period).upper()}", align="L", new_x="LMARGIN", new_y="NEXT", fill=True)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    for label, value in transfer_lines(r, result):
        money = value.endswith(" zł")
        size = one_line_size(pdf, value, 60, "B", 11) if money else 10.5
        row(pdf, 6.5, [(45, label, "L", "", 10.5), (0, value, "L", "B" if money or label == "Termin" else "", size)])
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 10.5)
    closing = ("Jeśli przelew lub rozliczenie zostały już wysłane, prosimy uznać to pismo za nieaktualne. "
               f"W razie pytań lub wątpliwości prosimy o kontakt ze skarbnikiem {treasurer_of(r)}.")
    pdf.multi_cell(0, 5.5, closing, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_x(110)
    pdf.multi_cell(0, 5.5, "Z wyrazami szacunku", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_x(110)
    pdf.multi_cell(0, 5.5, "..........................................", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(110)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 4.5, f"Skarbnik — {sender(r, result)}", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_auto_page_break(False)
    footer = (f"skladki — przypomnienie {r.unit_id} za {result.period}, stan na {result.day.isoformat()}; "
              "z rozliczeń i uzgodnień zapisanych w bazie danych" + (" Regionu" if r.unit.to_region else ""))
    pdf.set_font("DejaVu", "", one_line_size(pdf, footer, pdf.epw, "", 7))
    pdf.set_y(pdf.h - 14)
    pdf.multi_cell(0, 3.5, footer, align="C")
    pdf.output(str(path))
    return path
