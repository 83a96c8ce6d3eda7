"""The yearly statements of union dues for the members (Polish): per unit a workbook with a row
per member and a PDF with one printable page per member. Unit outputs: names appear here (from
the unit's own members.csv, when given), nowhere else."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from transforms.polish import months_pl
from reports.xlsx import new_workbook, safe_name, sheet
from transforms.money import format_pl
from transforms.polish import plural_pl
from transforms.statement import Limit


def _limit_text(limit: Limit | None) -> str:
    return f"{format_pl(limit.amount)} ({limit.source})" if limit else "brak limitu w danych dla tego roku"


def write(rows: pl.DataFrame, year: int, limit: Limit | None, names: dict[str, str], units: dict[str, str],
          output, fonts: Path) -> int:
    """Writes zaswiadczenia_YYYY/<unit>.xlsx and <unit>.pdf; returns the number of files."""
    files = 0
    months = [f"m{m:02d}" for m in range(1, 13)]
    shared = _shared(rows, units)
    for (unit_id,), group in rows.group_by("unit_id", maintain_order=True):
        base = f"zaswiadczenia_{year}/{safe_name(unit_id)}"
        wb = new_workbook()
        sheet(wb, f"Składki {year}", ["Nr członka", "Imię i nazwisko"] + [name[:3] for name in months_pl()]
              + ["Razem otrzymano", "Do odliczenia (do limitu)", "Uwagi", "Otrzymano we wszystkich jednostkach"],
              [(r["member_id"], names.get(r["member_id"]), *[r[m] for m in months], r["total"], r["deductible"],
                _note(r, shared), r["member_total"]) for r in group.iter_rows(named=True)],
              money_cols=set(range(2, 16)) | {17}, widths=[12, 24] + [9] * 12 + [14, 14, 40, 16],
              page_header=f"{units.get(unit_id) or unit_id}: składki członkowskie otrzymane w {year} r. — "
                          f"limit odliczenia {_limit_text(limit)}", totals={0: "Razem"})
        wb.save(output(base + ".xlsx"))
        _pdf(group, year, limit, names, unit_id, units.get(unit_id) or unit_id, output(base + ".pdf"), fonts,
             shared)
        files += 2
    return files


def _shared(rows: pl.DataFrame, units: dict[str, str]) -> dict[tuple[str, str], str]:
    """(unit, member) -> a Polish note for a member certified by more than one unit in the year:
    the other units' receipts and parts of the limit, and how the limit is shared."""
    out = {}
    many = rows.filter(pl.col("units") > 1)
    for (member_id,), group in many.group_by("member_id", maintain_order=True):
        parts = list(group.iter_rows(named=True))
        whole = sum(p["deductible"] for p in parts)
        for r in parts:
            others = "; ".join(f"{units.get(o['unit_id']) or o['unit_id']} ({o['unit_id']}): otrzymano "
                               f"{format_pl(o['total'])}, do odliczenia {format_pl(o['deductible'])}"
                               for o in parts if o["unit_id"] != r["unit_id"])
            text = (f"w roku członek płacił także do: {others}; razem otrzymano {format_pl(r['member_total'])}, "
                    f"razem do odliczenia {format_pl(whole)}")
            if r["member_total"] > whole:
                text += (" — limit odliczenia jest jeden na podatnika i wyczerpuje się w kolejności wpływów: "
                         "najpierw jednostka, do której członek wpłacał wcześniej")
            out[(r["unit_id"], member_id)] = text
    return out


def _note(r: dict, shared: dict[tuple[str, str], str] | None = None) -> str | None:
    notes = []
    if not r["total"]:
        notes.append("brak wpłat w roku")
    if r["assumed"]:
        n = len([m for m in str(r["assumed"]).replace(";", ",").split(",") if m.strip()])
        notes.append(f"{plural_pl(n, 'miesiąc', 'miesiące', 'miesięcy')} {r['assumed']}: wpływy przyjęte "
                     "(brak danych o wpłatach)")
    if shared and (r["unit_id"], r["member_id"]) in shared:
        notes.append(shared[(r["unit_id"], r["member_id"])])
    return "; ".join(notes) or None


def _pdf(group: pl.DataFrame, year: int, limit: Limit | None, names: dict[str, str], unit_id: str, unit_name: str,
         path: Path, fonts: Path, shared: dict[tuple[str, str], str] | None = None) -> None:
    from reports.pdf import document, one_line_size
    pdf = document(fonts, f"Zaświadczenie o składkach {year} — {unit_id}")
    # above the signature lines; a member's page that a long name or note overfills goes on to the next
    pdf.set_auto_page_break(True, 42)

    def amount_line(label: str, amount: int, h: float, style: str, size: float) -> None:
        text = format_pl(amount)           # made smaller rather than wrapped or run off the page (issue 27)
        pdf.set_font("DejaVu", style, size)
        pdf.cell(60, h, label)
        pdf.set_font_size(one_line_size(pdf, text, 50, style, size))
        pdf.cell(50, h, text, align="R", new_x="LMARGIN", new_y="NEXT")

    for r in group.iter_rows(named=True):
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 15)
        pdf.cell(0, 9, f"Zaświadczenie o składkach członkowskich za {year} r.", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 5.5, f"{unit_name} ({unit_id})", new_x="LMARGIN", new_y="NEXT")
        who = names.get(r["member_id"])
        # a long name wraps inside the page (issue 26), never runs off it
        pdf.multi_cell(0, 7, f"Członek nr {r['member_id']}" + (f": {who}" if who else ""), new_x="LMARGIN",
                       new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(60, 6.5, "Miesiąc")
        pdf.cell(50, 6.5, "Otrzymano", align="R", new_x="LMARGIN", new_y="NEXT")
        for i in range(12):
            amount_line(f"{months_pl()[i]} {year}", r[f"m{i + 1:02d}"], 6, "", 10)
        amount_line("Razem otrzymano", r["total"], 8, "B", 11)
        if r.get("units", 1) > 1:
            amount_line("Razem we wszystkich jednostkach", r["member_total"], 8, "", 10)
        amount_line("Do odliczenia w PIT", r["deductible"], 8, "B", 11)
        pdf.ln(3)
        pdf.set_font("DejaVu", "", 8.5)
        pdf.multi_cell(0, 4.5, "Składki członkowskie zapłacone na rzecz związku zawodowego można odliczyć od dochodu "
                               f"do limitu roku podatkowego: {_limit_text(limit)}. Kwoty to wpływy otrzymane przez "
                               "jednostkę w danym miesiącu (potrącenia pracodawcy i wpłaty członka), bez względu na "
                               "miesiąc, za który są.", new_x="LMARGIN", new_y="NEXT")
        if _note(r, shared):
            pdf.ln(2)
            pdf.multi_cell(0, 4.5, f"Uwagi: {_note(r, shared)}.", new_x="LMARGIN", new_y="NEXT")
        pdf.set_auto_page_break(False)
        pdf.set_y(-40)
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(95, 6, "Skarbnik: ..........................................")
        pdf.cell(95, 6, "Pieczęć jednostki", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(95, 6, "data: ....................")
        pdf.set_auto_page_break(True, 42)
    pdf.output(str(path))


def summary_text(rows: pl.DataFrame, limit: Limit | None, files: int, year, out: Path) -> str:
    """A short Polish summary of the statements: ``rows`` a row per member, ``files`` the number of
    files written into ``out``."""
    nothing = rows.filter(pl.col("total") == 0).height
    return "\n".join([
        f"Zaświadczenia o składkach {year}: członków {rows['member_id'].n_unique()}, "
        f"jednostek {rows['unit_id'].n_unique()}",
        f"  otrzymano razem {format_pl(int(rows['total'].sum()))}; bez wpłat w roku: {nothing}",
        f"  limit odliczenia: {_limit_text(limit)}",
        f"  pliki: {files} w {out / f'zaswiadczenia_{year}'}"])
