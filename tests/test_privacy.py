"""Issue 10: a PESEL or a member's name never appears in region-level or national outputs — every
output of every command on the demo data is searched for the demo's PESELs and names. Names are
allowed in one place only: the unit treasurer's own workbook (jednostki/)."""
from __future__ import annotations

import csv
from datetime import date

import polars as pl

import duckdb
from openpyxl import load_workbook

from flows import settings
from flows.command import run_plain
from flows.delegates import VERIFY_DELEGATES
from flows.reconcile import RECONCILE
from flows.salary_caps import SALARY_CAPS
from tests.conftest import close_plain
from tests.test_reconcile import mt940


def demo_people() -> tuple[set[str], set[str]]:
    with (settings.DEMO_INBOX / "members.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {r["pesel"] for r in rows if r["pesel"]}, {r["full_name"] for r in rows if r["full_name"]}


def cells(path) -> list[str]:
    return [str(c.value) for ws in load_workbook(path) for row in ws.iter_rows() for c in row if c.value is not None]


def test_issue_10_no_pesel_or_name_in_any_region_or_national_output(tmp_path):
    pesels, names = demo_people()
    db, out = tmp_path / "demo.duckdb", tmp_path / "out"
    for period in ("2026-09", "2026-10"):
        assert close_plain(period, settings.DEMO_INBOX, db, out).ok
    # a member paying the region directly, with her PESEL in the title and her name as the payer
    pesel, name = sorted(pesels)[0], sorted(names)[0]
    st = tmp_path / "st"
    st.mkdir()
    mt940([(date(2026, 11, 5), 4_200, "PL27114020040000300201355387", name, f"Skladka {pesel}")], st / "w.sta")
    assert run_plain(RECONCILE, period="2026-10", statements=st, db=db, out=out).ok
    inbox = tmp_path / "del"
    inbox.mkdir()
    (inbox / "remittances.csv").write_text("region_id,voivodeship,paid_in,amount,declared_paying_members\n"
                                           "SL,śląskie,2026-11,1000.00,200\n", encoding="utf-8")
    (inbox / "wages.csv").write_text("voivodeship,month,amount\nśląskie,2026-10,8000.00\n", encoding="utf-8")
    assert run_plain(VERIFY_DELEGATES, inbox=inbox, db=db, out=out, seats=5).ok
    assert run_plain(SALARY_CAPS, period="2026-02", officers=settings.DEMO_INBOX / "officers" / "officers.csv",
                     db=db, out=out).ok
    workbooks = sorted(out.rglob("*.xlsx"))
    assert len(workbooks) >= 10
    for path in workbooks:
        text = "\n".join(cells(path))
        assert not [p for p in pesels if p in text], path
        if "jednostki" not in path.parts:
            assert not [n for n in names if n in text], path
    con = duckdb.connect(str(db), read_only=True)
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        text = "\n".join(str(v) for row in con.execute(f"SELECT * FROM {table}").fetchall() for v in row)
        assert not [p for p in pesels if p in text], table
        assert not [n for n in names if n in text], table


# ---------------------------------------------------------------- issue 27: a PESEL in any spelling

import random  # noqa: E402

from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402
from stdnum.pl import pesel as stdnum_pesel  # noqa: E402

from transforms.errors import MASK, mask_expr, mask_personal  # noqa: E402

GAPS = (" ", "  ", "\t", "\u00a0", "\u202f", "-", " - ", "\u2013", " \u2013 ")


def spellings(p: str, gap: str = " ") -> list[str]:
    """How people write a PESEL: run together, 6+5, 2-2-2-5, in pairs."""
    return [p, f"{p[:6]}{gap}{p[6:]}", gap.join([p[:2], p[2:4], p[4:6], p[6:]]),
            gap.join([p[0:2], p[2:4], p[4:6], p[6:8], p[8:10], p[10]])]


def spelled_in(text: str, p: str) -> bool:
    return any(s in text for gap in GAPS for s in spellings(p, gap))


def test_issue_27_a_pesel_is_masked_in_any_spacing_and_other_numbers_are_kept():
    for shown in ("850101  12346", "850101 - 12346", "850101\t12346", "850101\u202f12346", "850101\u201312346",
                  "85 01 01 12 34 6", "850101-12346", "85-01-01-12346"):
        assert mask_personal(f"tytuł: składka {shown}.") == f"tytuł: składka {MASK}.", shown
    assert mask_personal("wiersz 394 85010112346") == f"wiersz 394 {MASK}"        # a PESEL's own spelling
    assert mask_personal("lp. 7 850101 12345") == f"lp. 7 {MASK}"                 # valid PESEL after a number
    for kept in ("NIP 1234563218", "NIP 123-456-32-18", "KRS 0000123456", "tel. 600 123 456",
                 "PL61 1090 1014 0000 0712 1981 2874", "61 1090 1014 0000 0712 1981 2874",
                 "faktura 2026/10/0001234", "12 345 678,90 zł", "2026-10-05 14:30", ":61:2611201120CN1272,68"):
        assert mask_personal(kept) == kept, kept


def valid_pesel(rng: random.Random) -> str:
    born = date(1900, 1, 1).toordinal() + rng.randrange(200 * 365)
    d = date.fromordinal(born)
    month = d.month + {19: 0, 20: 20}[d.year // 100]
    head = f"{d.year % 100:02d}{month:02d}{d.day:02d}{rng.randrange(10000):04d}"
    return head + stdnum_pesel.calc_check_digit(head)


def account(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(26))
    grouped = " ".join([digits[:2]] + [digits[i:i + 4] for i in range(2, 26, 4)])
    return rng.choice([digits, "PL" + digits, grouped, "PL" + grouped, "/PL" + digits])


def amount(rng: random.Random) -> str:
    zl, gr = rng.randrange(100_000_000), rng.randrange(100)
    thousands = f"{zl:,}".replace(",", rng.choice([" ", "\u00a0", ".", ""]))
    return rng.choice([f"{zl}.{gr:02d}", f"{thousands},{gr:02d}", f"{thousands},{gr:02d} zł", f"{zl},{gr:02d}"])


CONTEXTS = ("{}", "Składka {}", "tytuł: {}.", "decyzja nr {} z dnia 2026-10-01", "({})", "PESEL '{}' jest niepoprawny",
            "wpłata {} M0000001", "KZ SL-0001 skł 10/26 {}")


@hsettings(max_examples=400, deadline=None)
@given(st.integers(0, 2**32))
def test_issue_27_property_pesels_always_masked_accounts_and_amounts_never(seed):
    rng = random.Random(seed)
    p, context = valid_pesel(rng), rng.choice(CONTEXTS)
    shown = rng.choice(spellings(p, rng.choice(GAPS)))
    masked = mask_personal(context.format(shown))
    assert masked == context.format(MASK), (shown, masked)
    for kept in (account(rng), amount(rng), f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.2026"):
        text = context.format(kept)
        assert mask_personal(text) == text, text
    assert pl.DataFrame({"m": [context.format(shown)]}).select(mask_expr(pl.col("m")))["m"].to_list() == [masked]


def stored_text(db) -> dict[str, str]:
    """Every table's values as text (archive blobs decompressed separately, see below)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: "\n".join(str(v) for row in con.execute(f"SELECT * FROM {t}").fetchall() for v in row)
                for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
                if t != "archive_blobs"}
    finally:
        con.close()


def test_issue_27_a_spaced_pesel_in_a_decision_or_payment_reference_is_masked_where_stored(tmp_path):
    from tests.conftest import UNIT, line, member, write_inbox, _write
    p = "02070803628"
    inbox = write_inbox(tmp_path / "inbox", units=[UNIT], members=[member("M1", pesel=p)],
                        income=[line("M1", "wage", "5230.17")],
                        adjustments=[{"member_id": "M1", "kind": "reduced", "amount": "5.00", "valid_from": "2026-10",
                                      "valid_to": "2026-10", "decision_ref": "decyzja 020708  03628"}])
    _write(inbox / "payments.csv", [{"member_id": "M1", "paid_on": "2026-10-10", "amount": "5.00",
                                     "period": "2026-10", "reference": "składka 020708 - 03628"}])
    assert close_plain("2026-10", inbox, tmp_path / "x.duckdb", tmp_path / "out").ok
    leaks = {t for t, text in stored_text(tmp_path / "x.duckdb").items() if spelled_in(text, p)}
    assert leaks == set(), leaks


def test_issue_27_the_region_close_workbook_never_quotes_a_typed_cell(tmp_path):
    """A name typed into an amount cell: the unit's own workbook quotes it (the treasurer must find
    it), the region's close workbook says where (file, row, column) but not what was typed."""
    from tests.conftest import UNIT, line, member, write_inbox
    inbox = write_inbox(tmp_path / "inbox", units=[UNIT], members=[member("M1"), member("M2", full_name="Jan O'Brien")],
                        income=[line("M1", "wage", "Anna Nowak"), line("M2", "wage", "Jan O'Brien"),
                                line("M2", "bonus", "10.00", period="10/2026")])
    out = tmp_path / "out"
    assert close_plain("2026-10", inbox, tmp_path / "x.duckdb", out).ok
    (region,) = out.glob("zamkniecie_*.xlsx")
    text = "\n".join(cells(region))
    assert "Anna Nowak" not in text and "Brien" not in text and "10/2026" not in text
    assert "income/lines.csv, wiersz 1: kwota [wartość ukryta] nie jest liczbą" in text
    assert "income/lines.csv, wiersz 3: okres [wartość ukryta] nie ma postaci RRRR-MM" in text
    (unit,) = (out / "jednostki").glob("*.xlsx")
    assert "Anna Nowak" in "\n".join(cells(unit))
