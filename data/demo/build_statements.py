"""Builds the demo's bank statements (data/demo/statements, data/demo/statements_krajowe) from the
two demo months (issue 12). Run it after the demo inbox changes:

    .venv/bin/python data/demo/build_statements.py

It closes 2026-09 and 2026-10 of data/demo into a scratch database, reads the transfers due, and
writes what the banks would send, so that `skladki reconcile --period 2026-10` shows every verdict:

- statements/slaski_mt940.sta — Region Śląsko-Dąbrowski's account, MT940 as PKO BP writes it
  (cp1250, '~' subfields in 27-character pieces, 0xFF filler), titles in the region's own pattern
  "KZ {unit_id} skł {MM}/{YY}" or free text;
- statements/gdanski_ing.csv — Region Gdański's account, the ING CSV export (header on line 22);
- statements_krajowe/kk_mt940.sta — the national board's account, MT940 as Pekao writes it ('^'),
  the regions' forwards and ZZ „Przeróbka” unit's national contribution.
Deterministic.
"""
from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import duckdb  # noqa: E402

from flows.close import CLOSE  # noqa: E402
from flows.command import run_plain  # noqa: E402
from flows.reconcile import load_books  # noqa: E402

KK = "PL25124000010000111122223333"          # the national board's account (the rulebook's example)
STRANGER = "PL27114020040000300201355387"


def amount_mt(g: int) -> str:
    return f"{g // 100},{g % 100:02d}"


def amount_pl(g: int) -> str:
    sign = "-" if g < 0 else ""
    q, r = divmod(abs(g), 100)
    return f"{sign}{q:,}".replace(",", " ") + f",{r:02d}"


def pieces(text: str, sep: str = "~", first: int = 20, width: int = 27) -> str:
    return "".join(f"{sep}{first + i}{text[k:k + width]}" for i, k in enumerate(range(0, len(text), width)))


def mt940(account: str, entries: list[tuple], sep: str, filler: bool) -> bytes:
    """entries: (booking date, grosze, payer account, payer name, title)."""
    lines = [":20:DEMO", f":25:/{account}", ":28C:00011/001", ":60F:C261001PLN0,00"]
    balance = 0
    for d, g, acc, payer, title in sorted(entries, key=lambda e: e[0]):
        balance += g
        lines.append(f":61:{d:%y%m%d}{d:%m%d}{'C' if g > 0 else 'D'}N{amount_mt(abs(g))}NTRFNONREF")
        details = f":86:020{sep}00PRZELEW" + ("\xff\xff" if filler else "") + pieces(title, sep)
        details += f"{sep}32{payer[:27]}" + (f"{sep}33{payer[27:54]}" if payer[27:] else "")
        if acc:
            details += f"{sep}38{acc}"
        lines.append(details)
    lines.append(f":62F:C{date(2026, 12, 5):%y%m%d}PLN{amount_mt(balance)}")
    text = "\r\n".join(lines) + "\r\n-\r\n"
    return b"\xff".join(part.encode("cp1250") for part in text.split("\xff"))


def ing_csv(account: str, entries: list[tuple]) -> bytes:
    head = ['"Lista transakcji"', '', '"Dokument nr 0001/2026"', '', '"Wygenerowany dnia:";"2026-12-05"', '',
            '"Dane Użytkownika:"', '"REGION GDAŃSKI NSZZ SOLIDARNOŚĆ"', '"UL. WAŁY PIASTOWSKIE 24"', '"80-855 GDAŃSK"', '',
            '"Zestawienie transakcji za okres od 2026-10-01 do 2026-12-05"', '', '"Wybrane rachunki:"',
            f'"Konto Direct dla Firm";"\'{account[2:]}\'";"PLN"', '', '"Wybrane karty:"', '"Brak"', '',
            '"Zakres kwot:"', '"Dowolna kwota"',
            '"Data transakcji";"Data księgowania";"Dane kontrahenta";"Tytuł";"Nr rachunku";"Nazwa banku";"Szczegóły";'
            '"Nr transakcji";"Kwota transakcji (waluta rachunku)";"Waluta";"Kwota blokady/zwolnienie blokady";'
            '"Waluta";"Kwota płatności w walucie";"Waluta";"Saldo po transakcji";"Waluta";;;']
    balance, rows = 0, []
    for i, (d, g, acc, payer, title) in enumerate(sorted(entries, key=lambda e: e[0]), start=1):
        balance += g
        rows.append(f'{d:%Y-%m-%d};{d:%Y-%m-%d};"{payer}";"{title}";"\'{(acc or "")[2:]}\'";"";"PRZELEW";'
                    f'"\'2026{i:08d}\'";{amount_pl(g).replace(" ", "")};PLN;;;;;{amount_pl(balance).replace(" ", "")};PLN;;;')
    tail = ['"Dokument ma charakter informacyjny, nie stanowi dowodu księgowego"']
    return ("\r\n".join(head + rows + tail) + "\r\n").encode("cp1250")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        for period in ("2026-09", "2026-10"):
            assert run_plain(CLOSE, period=period, inbox=HERE, db=db, out=None, unit_workbooks=False).ok
        due = {(e.unit_id, e.period): e.amount for e in load_books(db, "2026-10")["expected"]}
        national = {(e.unit_id, e.period): e.amount for e in load_books(db, "2026-10", level="national")["expected"]}
        con = duckdb.connect(str(db), read_only=True)
        acc = {u: a for u, a in con.execute("SELECT unit_id, any_value(bank_account) FROM units GROUP BY 1")
               .fetchall()}
        regions = {r: a for r, a in con.execute("SELECT region_id, any_value(bank_account) FROM regions GROUP BY 1")
                   .fetchall()}
        names = dict(con.execute("SELECT unit_id, any_value(name) FROM units GROUP BY 1").fetchall())
        con.close()
    d = date
    slaski = [   # SL-0001: 09 paid on time, 10 late; SL-0002: 09 paid, 10 short; SL-0003: 09 over, 10 missing
        (d(2026, 10, 19), due["SL-0001", "2026-09"], acc["SL-0001"], names["SL-0001"], "KZ SL-0001 skł 09/26"),
        (d(2026, 11, 24), due["SL-0001", "2026-10"], acc["SL-0001"], names["SL-0001"], "KZ SL-0001 skł 10/26"),
        (d(2026, 10, 16), due["SL-0002", "2026-09"], None, names["SL-0002"], "Składki SL-0002 za 09/2026"),
        (d(2026, 11, 18), due["SL-0002", "2026-10"] // 2, acc["SL-0002"], names["SL-0002"], "KZ SL-0002 skł 10/26"),
        (d(2026, 10, 20), due["SL-0003", "2026-09"] + 1000, acc["SL-0003"], names["SL-0003"],
         "Składki za wrzesień 2026"),
        (d(2026, 11, 5), 50_000, STRANGER, "JAN OBCY", "DAROWIZNA NA CELE STATUTOWE"),
    ]
    gdanski = [  # GD-0001: 09 paid, 10 paid; GD-0002: 09 missing, 10 paid (by unit id in the title)
        (d(2026, 10, 20), due["GD-0001", "2026-09"], acc["GD-0001"], names["GD-0001"], "SKŁADKI 09/2026"),
        (d(2026, 11, 20), due["GD-0001", "2026-10"], acc["GD-0001"], names["GD-0001"], "SKŁADKI 10/2026"),
        (d(2026, 11, 19), due["GD-0002", "2026-10"], None, "POCZTA POLSKA ODDZIAŁ GDAŃSK", "GD-0002 składki 10/2026"),
    ]
    krajowe = [  # SL: 09 paid, 10 late; GD: 09 short, 10 missing; SL-0004 (Przeróbka): 09 over, 10 paid
        (d(2026, 10, 30), national["SL", "2026-09"], regions["SL"], "REGION SLASKO-DABROWSKI", "PRZEKAZANIE 09/2026"),
        (d(2026, 12, 2), national["SL", "2026-10"], regions["SL"], "REGION SLASKO-DABROWSKI", "PRZEKAZANIE 10/2026"),
        (d(2026, 10, 28), national["GD", "2026-09"] - 500, regions["GD"], "REGION GDANSKI", "PRZEKAZANIE 09/2026"),
        (d(2026, 10, 19), national["SL-0004", "2026-09"] + 200, acc["SL-0004"], "ZZ PRZEROBKA WIECZOREK",
         "SKLADKA NA ZARZAD KRAJOWY 09/2026"),
        (d(2026, 11, 20), national["SL-0004", "2026-10"], acc["SL-0004"], "ZZ PRZEROBKA WIECZOREK",
         "SKLADKA NA ZARZAD KRAJOWY 10/2026"),
    ]
    (HERE / "statements").mkdir(exist_ok=True)
    (HERE / "statements_krajowe").mkdir(exist_ok=True)
    (HERE / "statements" / "slaski_mt940.sta").write_bytes(mt940(regions["SL"], slaski, "~", filler=True))
    (HERE / "statements" / "gdanski_ing.csv").write_bytes(ing_csv(regions["GD"], gdanski))
    (HERE / "statements_krajowe" / "kk_mt940.sta").write_bytes(mt940(KK, krajowe, "^", filler=False))
    print("statements written:", sorted(p.name for p in (HERE / "statements").iterdir()),
          sorted(p.name for p in (HERE / "statements_krajowe").iterdir()))


if __name__ == "__main__":
    main()
