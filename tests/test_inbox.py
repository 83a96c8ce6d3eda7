"""Reading the canonical inbox: CSV and xlsx give the same close; bad files are named."""
from __future__ import annotations

import csv

import pytest
from openpyxl import Workbook

from flows.inbox import read_inbox
from transforms.errors import UserError
from tests.conftest import line, member, run_close, write_inbox


def _to_xlsx(csv_path, xlsx_path):
    wb = Workbook()
    ws = wb.active
    with csv_path.open(encoding="utf-8") as f:
        for row in csv.reader(f):
            ws.append([v if v != "" else None for v in row])
    wb.save(xlsx_path)
    csv_path.unlink()


def test_xlsx_inbox_gives_the_same_dues_as_csv(tmp_path):
    rows = dict(members=[member("M1", pesel="02070803628"), member("M2", "pensioner")],
                income=[line("M1", "wage", "5230.17"), line("M2", "pension", "2100.00")],
                adjustments=[])
    a = write_inbox(tmp_path / "csv", **rows)
    b = write_inbox(tmp_path / "xlsx", **rows)
    for name in ("units", "members"):
        _to_xlsx(b / f"{name}.csv", b / f"{name}.xlsx")
    _to_xlsx(b / "income" / "lines.csv", b / "income" / "lines.xlsx")
    assert run_close(a).dues.equals(run_close(b).dues)
    assert read_inbox(b, "2026-10").members["pesel"].to_list() == ["02070803628", None]


def test_a_file_that_is_not_text_is_named(tmp_path):
    inbox = write_inbox(tmp_path)
    (inbox / "members.csv").write_bytes(b"member_id,unit_id\x81\x00\x01,category,joined_on\n")
    with pytest.raises(UserError, match=r"members.csv: to nie jest plik tekstowy CSV w UTF-8 ani w Windows-1250 "
                                        r"\(bajt \d+\). Zapisz go w Excelu"):
        read_inbox(inbox, "2026-10")


def test_issue_10_polish_excel_csv_semicolons_bom_or_cp1250_read_like_canonical(tmp_path):
    """CONTRACT.md: ';' as the separator, UTF-8 with or without a BOM, or Windows-1250."""
    rows = dict(members=[member("M1", full_name="Łukasz Żółć"), member("M2", "pensioner")],
                income=[line("M1", "wage", "5230.17"), line("M2", "pension", "2100.00")])
    canonical = run_close(write_inbox(tmp_path / "a", **rows))
    for folder, encoding, bom in (("b", "utf-8", b"\xef\xbb\xbf"), ("c", "cp1250", b"")):
        inbox = write_inbox(tmp_path / folder, **rows)
        for path in (inbox / "units.csv", inbox / "members.csv", inbox / "income" / "lines.csv"):
            text = path.read_text(encoding="utf-8").replace(",", ";").replace("\n", "\r\n")   # as Excel saves
            path.write_bytes(bom + text.encode(encoding))
        got = run_close(inbox)
        assert got.dues.equals(canonical.dues) and got.exceptions.height == 0
        assert read_inbox(inbox, "2026-10").members["full_name"].to_list() == ["Łukasz Żółć", None]


def test_issue_10_a_row_with_too_few_or_too_many_cells_is_rejected_not_padded(tmp_path):
    inbox = write_inbox(tmp_path, members=[member("M1"), member("M2"), member("M3")],
                        income=[line("M1", "wage", "100.00"), line("M2", "wage", "100.00"), line("M3", "wage", "100.00")])
    text = (inbox / "income" / "lines.csv").read_text(encoding="utf-8").splitlines()
    text[1] = "2026-10,M1,wage"                     # a cell lost
    text[2] = "2026-10,M2,wage,100.00,5"            # a cell too many
    (inbox / "income" / "lines.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    r = run_close(inbox)
    assert [(e["row"], e["member_id"], e["reason_code"]) for e in r.exceptions.to_dicts()] == [
        (1, "M1", "bad_row"), (2, "M2", "bad_row")]
    assert r.exceptions["message"][0] == (
        "income/lines.csv, wiersz 1: w wierszu jest komórek: 3, a w nagłówku kolumn: 4 (brakuje albo jest za "
        "dużo separatorów). Popraw wiersz; do tego czasu składka członka nie jest liczona.")
    assert r.dues["member_id"].to_list() == ["M3"]


def test_issue_10_a_column_given_twice_stops_the_close(tmp_path):
    inbox = write_inbox(tmp_path)
    (inbox / "units.csv").write_text("unit_id,region_id,voivodeship,raised_pct,raised_pct\nU1,R1,śląskie,100,150\n",
                                     encoding="utf-8")
    with pytest.raises(UserError, match="units.csv: kolumna raised_pct występuje w nagłówku więcej niż raz"):
        read_inbox(inbox, "2026-10")


def test_both_csv_and_xlsx_is_ambiguous(tmp_path):
    inbox = write_inbox(tmp_path)
    (inbox / "units.xlsx").write_bytes(b"")
    with pytest.raises(UserError, match="są jednocześnie units.csv i units.xlsx"):
        read_inbox(inbox, "2026-10")


def test_issue_10_everything_in_income_is_read_or_reported(tmp_path):
    import os
    inbox = write_inbox(tmp_path / "in", income=[line("M1", "wage", "100.00")])
    income = inbox / "income"
    (income / "stare.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (income / "archiwum.csv.gz").write_bytes(b"\x1f\x8b")
    (income / "podfolder").mkdir()
    (income / "zero.csv").symlink_to("/dev/zero")
    os.mkfifo(income / "potok.csv")
    r = run_close(inbox)
    got = {e["source"]: e["message"] for e in r.exceptions.to_dicts()}
    assert got == {
        "income/stare.xls": "income/stare.xls: skladki nie czyta plików .xls; dochody podaje się w plikach .csv albo "
                            ".xlsx (plik .xls zapisz w Excelu jako .xlsx, archiwum rozpakuj). Nic z pliku nie zostało użyte.",
        "income/archiwum.csv.gz": "income/archiwum.csv.gz: skladki nie czyta plików .csv.gz; dochody podaje się w plikach "
                                  ".csv albo .xlsx (plik .xls zapisz w Excelu jako .xlsx, archiwum rozpakuj). Nic z pliku "
                                  "nie zostało użyte.",
        "income/podfolder": "income/podfolder: to folder; pliki w podfolderach nie są czytane — przenieś je bezpośrednio "
                            "do folderu. Nic z pliku nie zostało użyte.",
        "income/zero.csv": "income/zero.csv: to dowiązanie (link), a nie plik; skladki otwiera tylko zwykłe pliki — "
                           "skopiuj do folderu sam plik. Nic z pliku nie zostało użyte.",
        "income/potok.csv": "income/potok.csv: to nie jest zwykły plik (potok, urządzenie); nie został otwarty. Nic z "
                            "pliku nie zostało użyte."}
    assert r.dues["member_id"].to_list() == ["M1"]


def test_issue_10_income_that_is_a_file_or_a_units_file_with_no_unit_stops_the_close(tmp_path):
    inbox = write_inbox(tmp_path / "a")
    (inbox / "income").write_text("nie folder", encoding="utf-8")
    with pytest.raises(UserError, match="income: to nie jest folder; dochody podaje się w plikach w folderze income/"):
        read_inbox(inbox, "2026-10")
    inbox = write_inbox(tmp_path / "b")
    (inbox / "units.csv").write_text("unit_id,region_id,voivodeship\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"units.csv: nie ma w nim żadnej jednostki \(sam nagłówek\)"):
        read_inbox(inbox, "2026-10")


def test_issue_10_a_formula_without_a_stored_value_is_named_not_read_as_empty(tmp_path):
    inbox = write_inbox(tmp_path / "in", income=[line("M1", "wage", "100.00")])
    wb = Workbook()
    wb.active.append(["unit_id", "region_id", "voivodeship", "raised_pct"])
    wb.active.append(["U1", "R1", "śląskie", "=100+50"])       # openpyxl stores no cached value
    wb.save(inbox / "units.xlsx")
    (inbox / "units.csv").unlink()
    r = run_close(inbox)
    assert r.exceptions["message"].to_list()[0] == (
        "units.xlsx, wiersz 1 (jednostka U1): raised_pct '=100+50 (formuła bez zapisanej wartości — otwórz plik w "
        "Excelu i zapisz go ponownie)' nie jest procentem, np. 150. Popraw wiersz; do tego czasu członkowie tej "
        "jednostki są zablokowani.")
    assert r.dues.height == 0      # never the default 100 % for a unit whose rate is unknown


# ---------------------------------------------------------------- issue 15: plain CSVs read all rows at once

import polars as pl  # noqa: E402
from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

from flows import inbox as inbox_module  # noqa: E402

csv_cell = st.sampled_from(["", " ", "M1", " M2 ", "2026-10", "1234,56", "x\x0by", "\u00a0a\u3000", "\x1c"])
csv_line = st.lists(csv_cell, min_size=0, max_size=7)


@hsettings(max_examples=200, deadline=None)
@given(st.lists(csv_line, min_size=0, max_size=8), st.sampled_from([",", ";", "\t"]),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_issue_15_a_plain_csv_is_read_as_the_csv_module_reads_it(tmp_path_factory, lines, sep, newline, last):
    path = tmp_path_factory.mktemp("plain") / "income.csv"
    header = sep.join(["period", "member_id", "component", "amount"])
    path.write_bytes((newline.join([header] + [sep.join(c) for c in lines]) + (newline if last else ""))
                     .encode("utf-8"))
    fast = inbox_module.read_table(path, "income")
    try:
        inbox_module.plain_csv, real = (lambda content: False), inbox_module.plain_csv
        slow = inbox_module.read_table(path, "income")
    finally:
        inbox_module.plain_csv = real
    assert real(path.read_bytes().decode())              # the fast path was the one taken
    assert fast.schema == slow.schema
    assert fast.to_dicts() == slow.to_dicts()


# ---------------------------------------------------------------- issue 32: a regular CSV read by polars

import polars as pl  # noqa: E402
from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

from flows.inbox import _lines_frame, _regular_frame  # noqa: E402

CELL = st.sampled_from(["", " ", "a", " b ", "12.50", "\u00a0x\u2003", "zażółć", "1,5", "M0000001"])


@hsettings(max_examples=300, deadline=None)
@given(st.integers(2, 4), st.lists(st.lists(CELL, min_size=0, max_size=6), min_size=1, max_size=8),
       st.sampled_from([",", ";", "\t"]))
def test_issue_32_a_regular_csv_read_by_polars_is_what_the_lines_make(k, rows, sep):
    """Whatever the lines (empty, short, long, blank cells), the fast reader either declines or
    gives exactly the rows, row numbers and cells the line-by-line reading gives."""
    cells = [[c.replace(sep, "") for c in r] for r in rows]
    text = sep.join(f"h{i}" for i in range(k)) + "\n" + "\n".join(sep.join(r) for r in cells)
    columns = {"x": 0, "y": k - 1, "z": None}
    fast = _regular_frame(text, sep, k, columns)
    slow = _lines_frame(pl.Series([text]).str.split("\n").explode().slice(1), sep, k, columns)
    regular = all(len(r) == k for r in cells) and not any(r == [] for r in cells)
    if fast is None:
        assert not regular or k < 2
    else:
        assert fast.to_dicts() == slow.to_dicts()
        assert fast.schema == slow.schema


def test_issue_32_a_line_with_more_cells_than_another_has_fewer_is_read_line_by_line():
    text = "h1,h2,h3\n1,2,3\n1,2\n1,2,3,4"          # the separators add up; the lines do not
    assert _regular_frame(text, ",", 3, {"a": 0}) is None
