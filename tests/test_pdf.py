"""Issue 27, PDFs: every name members in Poland have is printed (Latin with every diacritic,
Vietnamese, Cyrillic, Greek; a letter the font still lacks is shown by its code, never left
blank), and nothing is drawn past the page's printable area, whatever the length of a name,
title, account, reason or amount — in every PDF the project writes."""
from __future__ import annotations

import logging
import warnings
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from fpdf import FPDF
from pypdf import PdfReader

from flows import settings
from flows.rules import rules_for
from reports import settlement, statement
from reports.settlement import Payment, Settlement

FONTS = settings.DATA / "fonts"
NAMES = ["Олександр Шевченко", "Nguyễn Thị Ánh", "Παπαδόπουλος", "Łukasz Żółć", "Šťastný Kęstutis Žemaitis",
         "Аляксандр Лукашэнка", "Ґенадій Їжак", "Đặng Quốc Bảo", "Mühlenbäcker Øster Çelik Ğürsoy"]
HUGE = 10**18 - 1          # DECIMAL(18,2)'s largest: 9 999 999 999 999 999,99 zł
LONG = "Przedsiębiorstwo" * 12 + " " + "bardzo długa nazwa " * 12


def text_of(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_issue_27_the_font_has_every_letter_of_latin_vietnamese_cyrillic_and_greek_names():
    from fontTools.ttLib import TTFont
    for style in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        cmap = TTFont(FONTS / style).getBestCmap()
        ranges = [(0x20, 0x7E), (0xA0, 0x17F), (0x391, 0x3A1), (0x3A3, 0x3CE), (0x400, 0x45F), (0x490, 0x4FF)]
        missing = [hex(c) for a, b in ranges for c in range(a, b + 1) if c not in cmap]
        missing += [c for c in "".join(NAMES) + "ẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡ"
                    "ỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹƠơƯư" if ord(c) not in cmap]
        assert not missing, (style, missing)


def settlement_of(name: str, long: str = "", amount: int = 12300) -> Settlement:
    return Settlement(
        "SL-0001" + long[:60].replace(" ", ""), f"{name} {long}", "R1", f"Region {name} {long}", "2026-10", members=3,
        categories=[(f"pracownicy {long}", 3, amount)], surcharge=amount, total=amount,
        split=[(f"jednostka {long}", amount)] * 6, missing=[f"lista płac {name} {long}"] * (3 if long else 1),
        payments=[Payment(f"Zarząd Regionu {name} {long}", amount, "61 1090 1014 0000 0712 1981 2874" + "9" * len(long),
                          f"KZ {name} {long}", date(2026, 11, 20), owed=amount - 1)] * 2,
        employers=[(f"income/{name}{long}.csv", 3, 2, amount)], corrections=[("2026-09", amount, f"powód {name} {long * 3}")],
        unchecked=[(f"income/{long}.csv", 2, amount)] if long else [])


def statement_pdf(tmp_path: Path, names: dict[str, str], unit_name: str, amount: int = 1200) -> Path:
    rows = pl.DataFrame([{"unit_id": "SL-0001", "member_id": m, **{f"m{i:02d}": amount for i in range(1, 13)},
                          "total": amount, "deductible": amount, "assumed": "2026-01, 2026-02" * 3}
                         for m in names])
    path = tmp_path / "zaswiadczenia.pdf"
    statement._pdf(rows, 2026, None, names, "SL-0001", unit_name, path, FONTS)
    return path


def pln(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


def correction_note_pdf(tmp_path: Path, name: str, long: str = "", amount: int = 12300) -> Path:
    """A correction note (reports.settlement.correction_note) from the few tables it reads."""
    con = duckdb.connect()
    con.execute("CREATE TABLE units AS SELECT '2026-09' AS period, 'SL-0001' AS unit_id, ? AS name", [f"{name} {long}"])
    con.execute("CREATE TABLE unit_months AS SELECT '2026-09' AS period, 'SL-0001' AS unit_id, ? AS approved_by, "
                "TIMESTAMP '2026-10-05 10:00' AS approved_at", [f"{name} {long}"])
    con.execute("CREATE TABLE runs AS SELECT 'r1' AS run_id, '2026-09' AS period, now() AS finished_at")
    con.execute("CREATE TABLE corrections AS SELECT 'r1' AS run_id, 'SL-0001' AS unit_id, unnest(['unit', 'region']) "
                "AS level, CAST(? AS DECIMAL(18,2)) AS amount, '2026-10' AS applied_in, ? AS reason",
                [pln(amount), f"{name} {long * 3}"])
    con.execute("CREATE TABLE close_differences AS SELECT 'r1' AS run_id, 'SL-0001' AS unit_id, 'member' AS subject, "
                "'M' || range || ? AS subject_id, 'owed' AS measure, CAST(? AS DECIMAL(18,2)) AS before, "
                "CAST(? AS DECIMAL(18,2)) AS after FROM range(45)", [long[:80], "-" + pln(amount), pln(amount)])
    path = tmp_path / "korekta.pdf"
    settlement.correction_note(con, rules_for("2026-10"), "SL-0001", "2026-09", path, FONTS)
    return path


@pytest.mark.parametrize("name", NAMES + ["王秀英 Wang"])
def test_issue_27_every_pdf_prints_the_names_whole(tmp_path, caplog, name):
    """The name is extracted again from each PDF as written; a letter without a glyph (Chinese
    here) is printed as its code point, visibly, never left out; fpdf2 never warns of a
    missing glyph (it logs them)."""
    expected = name.replace("王秀英", "[U+738B][U+79C0][U+82F1]")
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="fpdf"):
        warnings.simplefilter("error")
        pdfs = {"settlement": settlement.write_pdf(settlement_of(name), tmp_path / "s.pdf", FONTS),
                "statement": statement_pdf(tmp_path, {"M1": name}, name),
                "correction note": correction_note_pdf(tmp_path, name)}
    assert not [r for r in caplog.records if "missing" in r.getMessage()], caplog.text
    for kind, path in pdfs.items():
        assert text_of(path).count(expected) >= 2, (kind, expected, text_of(path)[:400])


@pytest.fixture
def drawn(monkeypatch):
    """Every line of text fpdf2 draws in a document it then writes (not in a trial layout):
    (page, left, right, top, bottom, text), in mm."""
    lines, written = [], []
    real, output = FPDF._render_styled_text_line, FPDF.output

    def record(self, text_line, h=None, *args, **kwargs):
        x, y = self.x, self.y
        width = text_line.text_width or sum(f.get_width(initial_cs=i != 0) for i, f in enumerate(text_line.fragments))
        w = text_line.max_width
        w = width + 2 * self.c_margin if w is None else self.w - self.r_margin - x if w == 0 else w
        align = str(text_line.align)
        left = x + (w - self.c_margin - width if align.endswith("R") else (w - width) / 2 if align.endswith("C")
                    else self.c_margin)
        text = "".join(f.string for f in text_line.fragments)
        if text.strip():
            lines.append((self, (self.page, left, left + width, y, y + (h or 0), text)))
        return real(self, text_line, h, *args, **kwargs)

    def write(self, *args, **kwargs):
        written.extend(line for pdf, line in lines if pdf is self)
        return output(self, *args, **kwargs)

    monkeypatch.setattr(FPDF, "_render_styled_text_line", record)
    monkeypatch.setattr(FPDF, "output", write)
    return written


def outside_the_page(lines: list) -> list:
    a4_w, a4_h, margin, slack = 210, 297, 10, 0.01
    return [line for line in lines if line[1] < margin - slack or line[2] > a4_w - margin + slack
            or line[3] < margin - slack or line[4] > a4_h - margin + slack]


def test_issue_27_nothing_is_drawn_past_the_settlement_page(tmp_path, drawn):
    """Long names, payees, titles, accounts, reasons and the largest amount the database holds:
    every line is drawn inside the printable area (before: the footer ran off both sides, the
    lines below the signatures off the bottom). What no longer fits one page goes on to the next."""
    path = settlement.write_pdf(settlement_of(NAMES[0], LONG, HUGE), tmp_path / "s.pdf", FONTS)
    assert drawn and not outside_the_page(drawn), outside_the_page(drawn)[:5]
    text = text_of(path)
    assert "9 999 999 999 999 999,99 zł" in text and "Skarbnik" in text and "Przewodniczący" in text


def test_issue_27_a_short_settlement_stays_one_page(tmp_path, drawn):
    path = settlement.write_pdf(settlement_of(NAMES[1]), tmp_path / "s.pdf", FONTS)
    assert len(PdfReader(path).pages) == 1 and not outside_the_page(drawn)


def test_issue_27_nothing_is_drawn_past_the_statement_page(tmp_path, drawn):
    path = statement_pdf(tmp_path, {"M1": f"{NAMES[0]} {LONG}", "M2" + "9" * 60: LONG * 4}, LONG * 2, HUGE)
    assert drawn and not outside_the_page(drawn), outside_the_page(drawn)[:5]
    text = text_of(path)
    assert "9 999 999 999 999 999,99 zł" in text and text.count("Skarbnik") == 2


def test_issue_27_nothing_is_drawn_past_the_correction_note_page(tmp_path, drawn):
    path = correction_note_pdf(tmp_path, NAMES[2], LONG, HUGE)
    assert drawn and not outside_the_page(drawn), outside_the_page(drawn)[:5]
    assert "9 999 999 999 999 999,99 zł" in text_of(path)


def test_issue_32_fpdf2_is_imported_without_pillow_and_cryptography_which_stay_importable():
    """The PDFs embed no image and are neither encrypted nor signed: fpdf2's optional Pillow and
    cryptography (a quarter of its import) are not loaded with it, without a warning, and a later
    import of either still works."""
    import subprocess
    import sys
    code = ("import sys, warnings\nwarnings.simplefilter('error')\nimport reports.pdf\n"
            "print(sorted(m for m in ('PIL', 'cryptography') if m in sys.modules))\n"
            "import PIL.Image, cryptography\nprint(PIL.Image.__name__, cryptography.__name__)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:2] == ["[]", "PIL.Image cryptography"]
