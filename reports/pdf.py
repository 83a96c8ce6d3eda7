"""What every PDF shares (fpdf2; imported only by the functions that write a PDF): an A4 document
with the shipped DejaVu Sans embedded (data/fonts/README.md), on which every letter is drawn —
a letter the font lacks is drawn from its base letter and accent when the font has those, else
printed as its code point ``[U+738B]``, visibly, never left blank (issue 27) — and the layout
helpers that keep every text inside the printable area: cells side by side that wrap in their
own width, and a one-line size for what must not wrap (an amount)."""
from __future__ import annotations

import sys
import unicodedata
import warnings
from pathlib import Path


def _fpdf():
    """fpdf2's FPDF, imported without its optional extras (issue 32). fpdf2 loads Pillow (to embed
    images) and cryptography (to encrypt and sign) whenever they are installed; these PDFs do
    neither, and the two are about a quarter of importing fpdf2 — the largest import of a unit's
    close with --out. They are hidden only while fpdf2 is imported, and only if nothing loaded them
    before: a later ``import PIL`` or ``import cryptography`` works as usual."""
    hidden = [name for name in ("PIL", "cryptography") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None            # import PIL -> ImportError: fpdf2 does without it
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Pillow could not be imported", UserWarning)
            from fpdf import FPDF
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return FPDF


FPDF = _fpdf()


def drawable(text: str, cmap: dict[int, str]) -> str:
    """``text`` with every character the font's ``cmap`` lacks replaced as the module says."""
    if all(ord(c) in cmap for c in text):
        return text
    out = []
    for c in text:
        if ord(c) in cmap or c in "\n\r":
            out.append(c)
            continue
        parts = unicodedata.normalize("NFD", c)
        out.append(parts if len(parts) > 1 and all(ord(p) in cmap for p in parts)
                   else " " if c.isspace() else f"[U+{ord(c):04X}]")
    return "".join(out)


class Document(FPDF):
    def normalize_text(self, text: str) -> str:
        # fpdf2 passes every text (drawn or measured) through here
        if self.is_ttf_font:
            text = drawable(text, self.current_font.cmap)
        return super().normalize_text(text)


def document(fonts: Path, title: str) -> Document:
    pdf = Document(format="A4")
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title)
    return pdf


def one_line_size(pdf: FPDF, text: str, width: float, style: str, size: float, smallest: float = 4.5) -> float:
    """The font size (at most ``size``) at which ``text`` fits ``width`` mm on one line: an amount
    is made smaller rather than wrapped ('1' | '221,52 zł' would misread) or run past the page."""
    pdf.set_font("DejaVu", style, size)
    room = width - 2 * pdf.c_margin
    wide = pdf.get_string_width(text)
    return size if wide <= room else max(smallest, int(size * room / wide * 10) / 10)


def row(pdf: FPDF, h: float, cells: list[tuple]) -> None:
    """One line of a page: (width, text, align, style, size) cells side by side, each wrapped
    in its own width (0: to the right margin); the next line starts below the tallest. Small
    print (a note) wraps at a line height to match its size. With automatic page breaks, a line
    that would cross the bottom margin starts on the next page, its cells together."""
    largest = max(size for *_, size in cells)
    if pdf.auto_page_break:
        x, tallest = pdf.l_margin, 0.0
        for width, text, _align, style, size in cells:
            pdf.set_font("DejaVu", style, size)
            w = width or pdf.w - pdf.r_margin - x
            tallest = max(tallest, pdf.multi_cell(w, h * size / largest if size < largest else h, text,
                                                  dry_run=True, output="HEIGHT"))
            x += w
        if pdf.get_y() + tallest > pdf.page_break_trigger and pdf.get_y() > pdf.t_margin:
            pdf.add_page()
    top, x, bottom = pdf.get_y(), pdf.l_margin, pdf.get_y()
    for width, text, align, style, size in cells:
        pdf.set_font("DejaVu", style, size)
        pdf.set_xy(x, top)
        w = width or pdf.w - pdf.r_margin - x
        pdf.multi_cell(w, h * size / largest if size < largest else h, text, align=align, new_x="LMARGIN",
                       new_y="NEXT")
        bottom, x = max(bottom, pdf.get_y()), x + w
    pdf.set_y(bottom)
