"""The close command (flows/close.py, transforms/close.py, reports/close.py): the workbooks opened
back (totals equal DuckDB, text stays text, layout for people), and a union the code has never
heard of closed from a rulebook file alone."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from pathlib import Path

import duckdb
from openpyxl import load_workbook

from tests.conftest import UNIT, close_plain, line, member, rulebook_folder, write_inbox


def close_with_workbook(tmp_path):
    inbox = write_inbox(
        tmp_path / "inbox", units=[UNIT, {**UNIT, "unit_id": "U2", "sheltered": "true", "raised_pct": "120"}],
        members=[member("M1", full_name="=HYPERLINK(\"http://x\",\"klik\")"),
                 member("M2", "pensioner", unit="U2", full_name="+48 600 100 200"),
                 member("M3", unit="U2", full_name="Żaneta Ślusarczyk"),
                 member("M4", full_name="@SUM(A1)")],
        income=[line("M1", "wage", "5230.17"), line("M2", "pension", "2100.00"),
                line("M3", "wage", "7011.99"), line("M4", "=1+1", "1.00")])
    db, out = tmp_path / "c.duckdb", tmp_path / "out"
    outcome = close_plain("2026-10", inbox, db, out)
    return outcome, db


def unit_workbook(outcome, unit_id):
    return load_workbook(outcome.workbook.parent / "jednostki" / f"skladki_{unit_id}_2026-10.xlsx")


def test_workbook_totals_equal_duckdb_totals(tmp_path):
    outcome, db = close_with_workbook(tmp_path)
    wb = load_workbook(outcome.workbook)
    # issue 13: a front sheet answers "who owes us what, by when"
    assert wb.sheetnames == ["Należności", "Podsumowanie", "Przelewy", "Wyjątki", "Kontrola potrąceń",
                             # issue 11: owed and received
                             "Podział wpływów", "Konta członków", "Zaległości 3 mies.", "Roszczenia do pracodawców",
                             "Obniżki i zawieszenia"]
    con = duckdb.connect(str(db), read_only=True)
    dues_total = con.execute("SELECT sum(total) FROM dues").fetchone()[0]
    alloc_total = con.execute("SELECT sum(amount) FROM allocations").fetchone()[0]
    transfers = con.execute("SELECT sum(amount) FROM transfers WHERE payer_kind='unit'").fetchone()[0]

    summary = wb["Podsumowanie"]
    header = [c.value for c in summary[1]]
    col = {h: i for i, h in reversed(list(enumerate(header)))}
    rows = [r for r in summary.iter_rows(min_row=2, values_only=True) if r[0] != "Razem"]   # the totals row
    as_dec = lambda v: Decimal(str(v)).quantize(Decimal("0.01"))  # xlsx stores numbers as doubles
    assert sum(as_dec(r[col["Razem składki"]]) for r in rows) == dues_total
    assert sum(as_dec(v) for r in rows for v in r[13:19]) == alloc_total
    assert sum(as_dec(r[col["Kwota przelewu"]]) for r in rows) == transfers

    member_rows = [r for u in ("U1", "U2")
                   for r in unit_workbook(outcome, u)["Składki członków"].iter_rows(min_row=2, values_only=True)
                   if r[0] != "Razem"]
    assert sum(as_dec(r[7]) for r in member_rows) == dues_total
    members = unit_workbook(outcome, "U1")["Składki członków"]
    assert summary.freeze_panes == "A2" and members.freeze_panes == "A2"
    assert summary.column_dimensions["B"].width >= 20
    assert members["F2"].number_format.startswith("#,##0.00")


def test_input_text_starting_with_formula_characters_is_stored_as_text(tmp_path):
    outcome, _ = close_with_workbook(tmp_path)
    wb = load_workbook(outcome.workbook)
    names = {}
    for unit in ("U1", "U2"):
        for row in unit_workbook(outcome, unit)["Składki członków"].iter_rows(min_row=2):
            names[row[1].value] = row[2]
    assert names["M1"].value == '=HYPERLINK("http://x","klik")'
    assert names["M1"].data_type == "s"
    assert names["M2"].value == "+48 600 100 200" and names["M2"].data_type == "s"
    # the unit's exceptions sheet quotes the bad component text, still as text (the region's
    # never quotes a typed cell: issue 27)
    sheet = unit_workbook(outcome, "U1")["Wyjątki"]
    assert any("'=1+1'" in (r[5].value or "") for r in sheet.iter_rows(min_row=2))
    assert all(r[5].data_type == "s" for r in sheet.iter_rows(min_row=2) if r[5].value)
    assert all(r[4].data_type == "s" for r in wb["Wyjątki"].iter_rows(min_row=2))


def test_names_only_in_the_unit_workbook_and_pesel_nowhere(tmp_path):
    inbox = write_inbox(tmp_path / "inbox", members=[member("M1", pesel="02070803628", full_name="Jan Nowak"),
                                                     member("M2", full_name="Anna Bąk")],
                        income=[line("M1", "wage", "100.00")])
    outcome = close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out")
    cells = lambda wb: [c.value for ws in wb for row in ws.iter_rows() for c in row]
    close_cells = cells(load_workbook(outcome.workbook))
    unit_cells = cells(unit_workbook(outcome, "U1"))
    assert "Jan Nowak" not in close_cells and "Anna Bąk" not in close_cells
    assert "Jan Nowak" in unit_cells and "02070803628" not in unit_cells + close_cells
    # the unit treasurer sees the exception about their member M2 (no income line)
    assert "M2" in [r[2] for r in unit_workbook(outcome, "U1")["Wyjątki"].iter_rows(min_row=2, values_only=True)]


def test_unit_workbooks_can_be_left_out(tmp_path):
    inbox = write_inbox(tmp_path / "inbox", income=[line("M1", "wage", "100.00")])
    outcome = close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out", unit_workbooks=False)
    assert outcome.workbook.exists() and not (tmp_path / "out" / "jednostki").exists()


FEDERATION = """
name = "federacja"
label = "Federacja testowa"

[[versions]]
valid_from = "2020-01-01"
source = "a made-up statute (test only)"
max_raised_pct = "150"
max_reduction_months = 3
root = "unit"
levels = [
  { code = "unit", label = "koło", payee = "koło" },
  { code = "federation", label = "federacja", payee = "zarząd federacji" },
  { code = "strike_fund", label = "fundusz strajkowy", payee = "fundusz strajkowy federacji" },
]
split_categories = ["worker"]
raise_categories = ["worker"]
components = ["pay", "gift"]

  [versions.citations]
  raised = "statute §2"
  reductions = "statute §2"

  [versions.categories.worker]
  label = "pracujący"
  source = "statute §1"
  method = "percent"
  rate = "0.015"
  base_components = ["pay"]

  [versions.categories.retired]
  label = "senior"
  source = "statute §2"
  method = "unit_flat"
  unit_column = "pensioner_flat"

  [versions.split.normal]
  source = "statute §3"
  moves = [
    { from = "unit", to = "federation", share = "0.20" },
    { from = "unit", to = "strike_fund", share = "0.10" },
  ]
  [versions.split.sheltered]
  source = "statute §3"
  moves = [
    { from = "unit", to = "federation", share = "0.20" },
    { from = "unit", to = "strike_fund", share = "0.10" },
  ]

  [[versions.transfers]]
  payer = "unit"
  per = "unit"
  due_day = 10
  label = "koło"
  source = "statute §4: do 10. dnia następnego miesiąca"
  received_source = "statute §4"
"""


def test_issue_9_a_third_union_with_other_levels_needs_no_code_change(tmp_path, monkeypatch):
    """unit 70 %, federation 20 %, strike fund 10 %, no region: a TOML file in a temporary folder.

    D = 1.5 % × 1 234.56 = 18.5184 -> 18.52; federation round(18.52 × 20 %) = 3.70,
    strike fund round(18.52 × 10 %) = 1.85, the unit keeps 18.52 − 3.70 − 1.85 = 12.97, plus the
    retired member's flat 4.00 and the 150 % surcharge round(18.52 × 50 %) = 9.26."""
    rulebook_folder(tmp_path, monkeypatch, "federacja", FEDERATION)
    unit = {"unit_id": "K1", "name": "Koło nr 1", "region_id": "-", "voivodeship": "mazowieckie",
            "raised_pct": "150", "pensioner_flat": "4.00", "rulebook": "federacja"}
    inbox = write_inbox(tmp_path / "inbox", units=[unit],
                        members=[member("A", "worker", unit="K1"), member("B", "retired", unit="K1")],
                        income=[line("A", "pay", "1234.56"), line("A", "gift", "500.00")])
    outcome = close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out")
    assert outcome.ok, outcome.message
    con = duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True)
    assert con.execute("SELECT member_id, category, CAST(base AS VARCHAR), CAST(dues AS VARCHAR), "
                       "CAST(surcharge AS VARCHAR) FROM dues ORDER BY 1").fetchall() == [
        ("A", "worker", "1234.56", "18.52", "9.26"), ("B", "retired", "0.00", "4.00", "0.00")]
    assert con.execute("SELECT level, CAST(amount AS VARCHAR) FROM allocations").fetchall() == [
        ("unit", "26.23"), ("federation", "3.70"), ("strike_fund", "1.85")]
    assert con.execute("SELECT payer_kind, payer_id, payee, CAST(amount AS VARCHAR), due_on FROM transfers "
                       "ORDER BY payee").fetchall() == [
        ("unit", "K1", "federation", "3.70", date(2026, 11, 10)), ("unit", "K1", "strike_fund", "1.85", date(2026, 11, 10))]
    assert con.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0
    header = [c.value for c in load_workbook(outcome.workbook)["Podsumowanie"][1]]
    assert [h for h in header if h.startswith(("Podział:", "Składki:"))] == [
        "Składki: pracujący", "Składki: senior", "Podział: koło", "Podział: federacja", "Podział: fundusz strajkowy"]
    row = list(load_workbook(outcome.workbook)["Podsumowanie"].iter_rows(min_row=2, values_only=True))[0]
    assert row[header.index("Przelew do")] == "zarząd federacji; fundusz strajkowy federacji"


def test_issue_10_a_unit_workbook_worker_dies_with_its_close(tmp_path):
    """kill -9 of a close must not leave workers writing workbooks: the pool's initializer ties each
    worker to its parent (PR_SET_PDEATHSIG on Linux)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    script = tmp_path / "parent.py"
    script.write_text(
        "import multiprocessing, os, sys, time\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from reports.close import die_with_parent\n"
        "def work(seconds):\n    time.sleep(seconds)\n    return os.getpid()\n"
        "if __name__ == '__main__':\n"
        "    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context('spawn'),"
        " initializer=die_with_parent, initargs=(os.getpid(),))\n"
        "    print(pool.submit(work, 0).result(), flush=True)\n"
        "    pool.submit(work, 60)\n"                      # the worker is busy, as with a workbook
        "    time.sleep(60)\n", encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).parents[1], env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    worker = int(parent.stdout.readline())
    time.sleep(0.5)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        raise AssertionError("the worker outlived its killed parent")


def test_issue_28_the_arrears_sheet_is_named_from_the_rulebook(tmp_path, monkeypatch):
    """RULES.md §10's number of months is the rulebook's ([versions.arrears]): the close workbook's
    sheet says it (3 for the shipped rulebooks: "Zaległości 3 mies.")."""
    books = tmp_path / "rulebooks"
    books.mkdir()
    (books / "federacja.toml").write_text(FEDERATION + '\n  [versions.arrears]\n  months = 2\n'
                                          '  source = "statute §9"\n', encoding="utf-8")
    monkeypatch.setenv("SKLADKI_RULEBOOKS", str(books))
    unit = {"unit_id": "K1", "name": "Koło nr 1", "region_id": "-", "voivodeship": "mazowieckie",
            "raised_pct": "150", "pensioner_flat": "4.00", "rulebook": "federacja"}
    inbox = write_inbox(tmp_path / "inbox", units=[unit], members=[member("A", "worker", unit="K1")],
                        income=[line("A", "pay", "1234.56")])
    outcome = close_plain("2026-10", inbox, tmp_path / "c.duckdb", tmp_path / "out")
    assert outcome.ok, outcome.message
    names = load_workbook(outcome.workbook).sheetnames
    assert "Zaległości 2 mies." in names and "Zaległości 3 mies." not in names


def test_issue_28_the_arrears_title_names_each_rulebooks_months():
    from types import SimpleNamespace

    from reports.close import arrears_title
    rules = SimpleNamespace(versions={"a": SimpleNamespace(arrears_months=3), "b": SimpleNamespace(arrears_months=6)})
    assert arrears_title({"U1": 3, "U2": 3}, rules) == "Zaległości 3 mies."
    assert arrears_title({"U1": 6, "U2": 3}, rules) == "Zaległości 3, 6 mies."
    assert arrears_title({}, rules) == "Zaległości 3, 6 mies."


def test_issue_32_the_summarys_figures_read_before_the_commit_are_those_stored(tmp_path, monkeypatch):
    """The summary's figures are read on the close's own connection after its last write (no
    second database opened after the commit): they equal those read from the committed database
    — the demo's second month closed again (deductions, payments, members' accounts, received and
    due) — and the summary is written from them without opening the database."""
    import duckdb

    from reports.close import stored_figures
    from tests.conftest import close_demo_months
    db = close_demo_months(tmp_path / "demo.duckdb")
    con = duckdb.connect(str(db), read_only=True)
    try:
        periods = [p for (p,) in con.execute("SELECT DISTINCT period FROM runs ORDER BY period").fetchall()]
    finally:
        con.close()
    from flows import settings
    again = close_plain(periods[-1], settings.DEMO_INBOX, db, unit_workbooks=False)
    assert again.ok, again.message
    closed = again.run.result
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert closed.figures == stored_figures(con, periods[-1], closed.scope)
    finally:
        con.close()
    assert closed.figures["by_cat"] and closed.figures["received"] and closed.figures["deductions"]
    from flows import store
    from flows.close import CLOSE

    def no_reader(*a, **k):
        raise AssertionError("the summary opened the database")
    monkeypatch.setattr(store, "read_only", no_reader)
    assert "składki według kategorii" in CLOSE.summary(again.run, closed)
