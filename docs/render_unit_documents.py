"""Render a unit's settlement PDF and the first printed page of its workbook to PNG, as a treasurer
sees them on A4 (issue 30: every document speaks its own union).

    python docs/render_unit_documents.py --out /tmp/render SL-0004            # closes data/demo first
    python docs/render_unit_documents.py --documents out/demo/jednostki --out docs SL-0004 \
        --pdf-png rozliczenie_przerobka_SL-0004_2026-10.png --xlsx-png skoroszyt_przerobka_SL-0004_strona1.png

Without ``--documents`` the shipped demo (``skladki demo``) is closed into a temporary folder and
its unit documents are used; with it, the folder of ``rozliczenie_<UNIT>_<PERIOD>.pdf`` and
``skladki_<UNIT>_<PERIOD>.xlsx`` (a close's ``jednostki/`` folder, or ``skladki documents --out``).
Needs ``pdftoppm`` (poppler-utils) and, for the workbook, LibreOffice (``soffice``) on the PATH:
``apt-get install poppler-utils libreoffice-calc-nogui``. Run it for any unit, e.g. the demo units
of the other unions once their inboxes ship (``--inbox data/demo_unions/…``).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def close_demo(folder: Path, inbox: Path | None, period: str) -> Path:
    """The unit documents of a demo inbox closed into ``folder``: `skladki demo` for the shipped
    demo, `skladki close` for another inbox."""
    skladki = str(Path(sys.executable).with_name("skladki"))
    if inbox is None:
        subprocess.run([skladki, "demo", "--folder", str(folder / "demo")], check=True, stdout=subprocess.DEVNULL)
        return folder / "demo" / "jednostki"
    subprocess.run([skladki, "close", "--period", period, "--inbox", str(inbox), "--db", str(folder / "s.duckdb"),
                    "--out", str(folder / "out"), "--unit-workbooks"], check=True, stdout=subprocess.DEVNULL)
    return folder / "out" / "jednostki"


def first_page_png(pdf: Path, png: Path, dpi: int) -> Path:
    """The PDF's first page as a PNG (pdftoppm)."""
    stem = png.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True)
    return png


def workbook_pdf(xlsx: Path, folder: Path) -> Path:
    """The workbook printed to PDF by LibreOffice, as its print settings say (A4, the sheets in order)."""
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(xlsx)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return folder / (xlsx.stem + ".pdf")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("unit", help="the unit's id, e.g. SL-0004")
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--documents", type=Path, help="folder with the unit's PDF and workbook (default: close a demo)")
    ap.add_argument("--inbox", type=Path, help="an inbox to close instead of the shipped demo")
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--pdf-png", help="file name of the settlement's PNG (default rozliczenie_<UNIT>_<PERIOD>.png)")
    ap.add_argument("--xlsx-png", help="file name of the workbook's PNG (default skoroszyt_<UNIT>_strona1.png)")
    ap.add_argument("--dpi", type=int, default=60)
    a = ap.parse_args(argv)
    for tool in ("pdftoppm", "soffice"):
        if shutil.which(tool) is None:
            print(f"{tool} not found: apt-get install poppler-utils libreoffice-calc-nogui", file=sys.stderr)
            return 2
    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = a.documents or close_demo(tmp, a.inbox, a.period)
        pdf = folder / f"rozliczenie_{a.unit}_{a.period}.pdf"
        xlsx = folder / f"skladki_{a.unit}_{a.period}.xlsx"
        made = [first_page_png(pdf, a.out / (a.pdf_png or f"rozliczenie_{a.unit}_{a.period}.png"), a.dpi),
                first_page_png(workbook_pdf(xlsx, tmp), a.out / (a.xlsx_png or f"skoroszyt_{a.unit}_strona1.png"),
                               a.dpi)]
    for path in made:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
