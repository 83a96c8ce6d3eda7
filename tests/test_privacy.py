"""Issues 10 and 27: a PESEL (in any spelling) or a member's name never appears beyond the unit —
every output of every command on the demo data (workbooks, PDFs, the auditor's exports, the
database's tables, and the archive's compressed inputs, decompressed) is searched for the demo's
PESELs and names. Names are allowed in the unit treasurer's own documents (jednostki/, the PIT
statements), in the unit's findings quoting a typed cell, and in the unit's archived inputs."""
from __future__ import annotations

import csv
import random
import shutil
import zlib
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from hypothesis import given, settings as hsettings, strategies as st
from openpyxl import load_workbook
from stdnum.pl import pesel as stdnum_pesel

from flows import settings
from flows.benefits import BENEFITS
from flows.calendar import CALENDAR
from flows.archive import EXPORT, PROGRAM_ROLES
from flows.command import run_plain
from flows.delegates import VERIFY_DELEGATES
from flows.elections import ELIGIBILITY
from flows.explain import EXPLAIN
from flows.reconcile import RECONCILE, reconcile_levels
from flows.salary_caps import SALARY_CAPS
from flows.statement import STATEMENT
from tests.conftest import UNIT, _write, approve_plain, close_plain, line, member, write_inbox
from tests.test_months import pdf_text
from tests.test_reconcile import mt940
from transforms.errors import CATALOGUE, MASK, mask_expr, mask_personal


def demo_people() -> tuple[set[str], set[str]]:
    with (settings.DEMO_INBOX / "members.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {r["pesel"] for r in rows if r["pesel"]}, {r["full_name"] for r in rows if r["full_name"]}


def cells(path) -> list[str]:
    return [str(c.value) for ws in load_workbook(path) for row in ws.iter_rows() for c in row if c.value is not None]


# ---------------------------------------------------------------- issue 27: a PESEL in any spelling


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


# ---------------------------------------------------------------- issues 10 and 27: every output, read inside

def hostile_demo(tmp_path) -> tuple[Path, list[dict]]:
    """The demo inbox where people wrote PESELs as they do (spaced, dashed) into a decision
    reference and a payment's reference, and a name into an amount cell."""
    inbox = tmp_path / "inbox"
    shutil.copytree(settings.DEMO_INBOX, inbox)
    with (inbox / "members.csv").open(encoding="utf-8") as f:
        people = [r for r in csv.DictReader(f) if r["pesel"] and r["full_name"]]
    a, b, c = people[2], people[3], people[4]

    def append(name: str, line: str) -> None:
        with (inbox / name).open("a", encoding="utf-8") as f:
            f.write(line + "\n")
    append("adjustments.csv", f"{a['member_id']},reduced,5.00,2026-10,2026-10,decyzja {a['pesel'][:6]}  {a['pesel'][6:]}")
    append("payments.csv", f"{b['member_id']},2026-10-10,14.40,2026-10,skladka {b['pesel'][:6]} - {b['pesel'][6:]}")
    append("income/inne_dochody_i_korekty_2026-10.csv", f"2026-10,{c['member_id']},wage,{c['full_name']}")
    return inbox, people


UNIT_LEVEL = ("jednostki", "zaswiadczenia_2026")       # the unit treasurer's own documents: names allowed


def unit_level(relative: Path) -> bool:
    """A unit treasurer's own document (names allowed): its folders, or a unit's benefit claims
    (zasilki/zasilki_<unit>.xlsx; the region's zasilki_region_<id>.xlsx names nobody)."""
    return bool(set(UNIT_LEVEL) & set(relative.parts)) or (
        relative.parts[0] == "zasilki" and not relative.name.startswith("zasilki_region_"))


def output_texts(folder: Path) -> dict[Path, str]:
    """Every workbook, PDF, CSV, TOML and text file under ``folder``, as text."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            out[path] = "\n".join(cells(path))
        elif path.suffix == ".pdf":
            out[path] = pdf_text(path)
        elif path.suffix in (".csv", ".toml", ".txt", ".json"):
            out[path] = path.read_bytes().decode("utf-8", errors="replace")
    return out


def test_issues_10_27_no_pesel_in_any_spelling_nor_name_beyond_the_unit_inside_or_outside_the_archive(tmp_path):
    pesels, names = demo_people()
    inbox, people = hostile_demo(tmp_path)
    db, out = tmp_path / "demo.duckdb", tmp_path / "out"
    runs = []
    for period in ("2026-09", "2026-10"):
        outcome = close_plain(period, inbox, db, out)
        assert outcome.ok, outcome.message
        runs.append(outcome.result.run_id)
        if period == "2026-09":
            assert approve_plain(period, db).ok
    assert run_plain(STATEMENT, year="2026", db=db, out=out, members=inbox / "members.csv").ok
    # a member paying the region directly, her PESEL spaced in the title and her name as the payer
    st = tmp_path / "st"
    st.mkdir()
    p, name = people[5]["pesel"], people[5]["full_name"]
    mt940([(date(2026, 11, 5), 4_200, "PL27114020040000300201355387", name, f"Skladka {p[:2]}-{p[2:4]}-{p[4:6]}-{p[6:]}")],
          st / "w.sta")
    assert run_plain(RECONCILE, period="2026-10", statements=st, db=db, out=out).ok
    for level in reconcile_levels("2026-10"):
        assert run_plain(RECONCILE, period="2026-10", statements=settings.DEMO_INBOX / "statements_krajowe", db=db,
                         out=out, level=level).ok
    dl = tmp_path / "del"
    dl.mkdir()
    (dl / "remittances.csv").write_text("region_id,voivodeship,paid_in,amount,declared_paying_members\n"
                                        f"SL,śląskie,2026-11,1000.00,{p[:6]}  {p[6:]}\n", encoding="utf-8")
    (dl / "wages.csv").write_text("voivodeship,month,amount\nśląskie,2026-10,8000.00\n", encoding="utf-8")
    assert run_plain(VERIFY_DELEGATES, inbox=dl, db=db, out=out, seats=5).ok
    assert run_plain(SALARY_CAPS, period="2026-02", officers=settings.DEMO_INBOX / "officers" / "officers.csv",
                     db=db, out=out).ok
    # the lookups a region runs, with their workbooks: benefits, the calendar, explain, eligibility
    assert run_plain(BENEFITS, inbox=inbox, db=db, out=out, date="2026-11-15").ok
    assert run_plain(CALENDAR, date="2026-11-15", db=db, statements=inbox / "statements.csv", out=out).ok
    assert run_plain(EXPLAIN, period="2026-10", db=db, member_id=None, unit_id="SL-0001", region_id=None, out=out).ok
    assert run_plain(ELIGIBILITY, date="2026-11-15", body="SL", db=db, members=None, assembly=None, out=out).ok
    # the auditor's exports of both closes, as given by default and on explicit request
    exports = tmp_path / "eksport"
    for run in runs:
        assert run_plain(EXPORT, export=run, folder=exports / "audyt" / run, db=db, with_personal_data=False).ok
        assert run_plain(EXPORT, export=run, folder=exports / "pelne" / run, db=db, with_personal_data=True).ok

    # the catalogue's example of a mistyped PESEL happens to be the demo's mistyped one (M0000011):
    # the program's own files (catalogue, rulebooks, profiles) are searched for the others
    shipped = {x for x in pesels if x in CATALOGUE.read_text(encoding="utf-8")}

    def found(text: str, program: bool = False) -> list[str]:
        return [x for x in pesels - (shipped if program else set()) if spelled_in(text, x)]

    texts = output_texts(out)
    assert sum(p.suffix == ".xlsx" for p in texts) >= 15 and sum(p.suffix == ".pdf" for p in texts) >= 10
    for path, text in texts.items():
        assert not found(text), path
        if not unit_level(path.relative_to(out)):
            assert not [n for n in names if n in text], path
    salaries = {r.split(",")[-1] for r in (settings.DEMO_INBOX / "income" / "inne_dochody_i_korekty_2026-10.csv")
                .read_text(encoding="utf-8").splitlines()[1:] if len(r.split(",")[-1]) >= 7}
    for path, text in output_texts(exports / "audyt").items():      # default: nobody in it
        program = path.relative_to(exports / "audyt").parts[1] in PROGRAM_ROLES
        assert not found(text, program) and not [n for n in names if n in text], path
        assert not [s for s in salaries if s in text] and (program or "member_id" not in text), path
    personal = output_texts(exports / "pelne")
    assert all("z danymi osobowymi" in t for q, t in personal.items() if q.name == "MANIFEST.txt")
    assert [q for q, t in personal.items() if [n for n in names if n in t]]     # the option does what it says

    tables = stored_text(db)
    for table, text in tables.items():
        assert not found(text), table
        if table not in ("exceptions", "unit_exceptions"):   # the unit's findings may quote a typed cell
            assert not [n for n in names if n in text], table
    # the unit's archive keeps its inputs verbatim (replay needs them): decompressed, personal data
    # is in the unit's inbox files only, never in the program's files or the members' accounts
    con = duckdb.connect(str(db), read_only=True)
    blobs = con.execute("SELECT DISTINCT f.role, b.data FROM archive_files f JOIN archive_blobs b USING (sha256)").fetchall()
    con.close()
    holding = {role for role, data in blobs if (lambda t: found(t, role in PROGRAM_ROLES) or [n for n in names if n in t])(
        zlib.decompress(data).decode("utf-8", "replace"))}
    assert holding == {"inbox"}
