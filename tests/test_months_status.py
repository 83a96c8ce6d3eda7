"""flows/months_status.py and reports/months_status.py: `skladki status` — each unit's closed month
as a draft, approved (by whom, when) or incomplete (what is missing), from the demo's database."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from flows.command import run_plain
from flows.months_status import MONTHS_STATUS
from reports.months_status import tally
from tests.conftest import approve_plain, close_plain


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """The demo's September closed and approved by its treasurer, October closed: drafts, and
    GD-0002's month incomplete (a member with no income line)."""
    db = tmp_path_factory.mktemp("status") / "skladki.duckdb"
    assert close_plain("2026-09", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    assert approve_plain("2026-09", db, by="Anna Nowak").ok
    assert close_plain("2026-10", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    return db


def stable(text: str) -> str:
    """The summary with the moments of the runs (approval, close) as CZAS."""
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "CZAS", text)


SUMMARY = """\
Stan miesięcy w skladki.duckdb: 2 miesiące (2026-09 – 2026-10), 6 jednostek, 6 zatwierdzonych, 5 projektów, 1 niekompletny
  2026-09 (wrzesień 2026): 6 jednostek — 6 zatwierdzonych
  2026-10 (październik 2026): 6 jednostek — 5 projektów, 1 niekompletny
  okres    jednostka  stan          kto i kiedy zatwierdził / czego brakuje
  2026-09  GD-0001    zatwierdzony  Anna Nowak, CZAS (polecenie skladki approve)
  2026-09  GD-0002    zatwierdzony  Anna Nowak, CZAS (polecenie skladki approve)
  2026-09  SL-0001    zatwierdzony  Anna Nowak, CZAS (polecenie skladki approve)
  2026-09  SL-0002    zatwierdzony  Anna Nowak, CZAS (polecenie skladki approve)
  2026-09  SL-0003    zatwierdzony  Anna Nowak, CZAS (polecenie skladki approve)
  2026-09  SL-0004    zatwierdzony  Anna Nowak, CZAS (polecenie skladki approve)
  2026-10  GD-0001    projekt       zamknięty CZAS, czeka na zatwierdzenie
  2026-10  GD-0002    niekompletny  członkowie bez żadnego wiersza dochodu (1): M0000006
  2026-10  SL-0001    projekt       zamknięty CZAS, czeka na zatwierdzenie
  2026-10  SL-0002    projekt       zamknięty CZAS, czeka na zatwierdzenie
  2026-10  SL-0003    projekt       zamknięty CZAS, czeka na zatwierdzenie
  2026-10  SL-0004    projekt       zamknięty CZAS, czeka na zatwierdzenie
  do zatwierdzenia: skladki approve --period 2026-10 --unit GD-0001 --unit SL-0001 --unit SL-0002 --unit SL-0003 \
--unit SL-0004 --by "…"
  niekompletne: uzupełnij skrzynkę i zamknij miesiąc ponownie albo zatwierdź mimo braków (--force --reason "…")"""


def test_the_summary_names_each_units_month_its_state_who_approved_it_and_what_is_missing(demo_db):
    outcome = run_plain(MONTHS_STATUS, db=demo_db)
    assert outcome.ok, outcome.message
    assert len(outcome.result.months) == 12 and outcome.result.workbook is None
    assert stable(MONTHS_STATUS.summary(outcome.run, outcome.result)) == SUMMARY


def test_one_month_as_a_workbook_of_text_cells(demo_db, tmp_path):
    outcome = run_plain(MONTHS_STATUS, db=demo_db, period="2026-10", out=tmp_path)
    assert outcome.ok, outcome.message
    path = tmp_path / "stan_miesiecy_2026-10.xlsx"
    lines = MONTHS_STATUS.summary(outcome.run, outcome.result).splitlines()
    assert lines[0] == "Stan miesięcy w skladki.duckdb: 1 miesiąc (2026-10), 6 jednostek, 5 projektów, 1 niekompletny"
    assert lines[-1] == f"  skoroszyt: {path}"
    ws = openpyxl.load_workbook(path)["Stan miesięcy"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Okres", "Jednostka", "Nazwa", "Stan", "Zatwierdził", "Kiedy zatwierdzono", "Jak zatwierdzono",
                       "Powód (mimo braków)", "Czego brakuje", "Zamknięcie")
    assert [r[:2] + r[3:4] for r in rows[1:3]] == [("2026-10", "GD-0001", "projekt"),
                                                   ("2026-10", "GD-0002", "niekompletny")]
    assert rows[2][8] == "członkowie bez żadnego wiersza dochodu (1): M0000006" and len(rows) == 7
    assert all(c is None or isinstance(c, str) for r in rows for c in r)       # text cells, never a formula
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]          # no staging folder left


def test_an_incomplete_month_approved_despite_it_shows_who_why_and_what_it_lacked(demo_db, tmp_path):
    db = tmp_path / "skladki.duckdb"
    shutil.copy(demo_db, db)
    assert approve_plain("2026-10", db, units=["GD-0002"], by="Jan Kowalski", force=True,
                         reason="dochód M0000006 przyjdzie w listopadzie").ok
    outcome = run_plain(MONTHS_STATUS, db=db, period="2026-10")
    lines = stable(MONTHS_STATUS.summary(outcome.run, outcome.result)).splitlines()
    assert lines[1] == "  2026-10 (październik 2026): 6 jednostek — 1 zatwierdzony, 5 projektów"
    assert lines[4:6] == [
        "  2026-10  GD-0002    zatwierdzony  Jan Kowalski, CZAS (polecenie skladki approve); mimo braków, powód: "
        "dochód M0000006 przyjdzie w listopadzie",
        "                                    braki: członkowie bez żadnego wiersza dochodu (1): M0000006"]


def test_the_command_line_prints_the_summary_and_refuses_a_month_not_closed(demo_db, tmp_path):
    res = CliRunner().invoke(app, ["status", "--db", str(demo_db), "--period", "2026-09"])
    assert res.exit_code == 0, res.output
    assert "Stan miesięcy w skladki.duckdb: 1 miesiąc (2026-09), 6 jednostek, 6 zatwierdzonych" in res.output
    assert "silnik: plain (bez Prefect)" in res.output           # a lookup: plain by default
    res = CliRunner().invoke(app, ["status", "--db", str(demo_db), "--period", "2026-08"])
    assert res.exit_code == 1 and "miesiąc 2026-08 nie jest zamknięty w tej bazie" in res.output
    res = CliRunner().invoke(app, ["status", "--db", str(demo_db), "--period", "10.2026"])
    assert res.exit_code == 2
    res = CliRunner().invoke(app, ["status", "--db", str(tmp_path / "brak.duckdb")])
    assert res.exit_code == 1 and res.output.startswith("błąd: ") and not (tmp_path / "brak.duckdb").exists()


def test_an_empty_database_has_no_months_yet(tmp_path):
    import duckdb
    duckdb.connect(str(tmp_path / "pusta.duckdb")).close()
    outcome = run_plain(MONTHS_STATUS, db=tmp_path / "pusta.duckdb")
    assert outcome.ok and MONTHS_STATUS.summary(outcome.run, outcome.result) == (
        "Stan miesięcy w pusta.duckdb: nie ma jeszcze zamkniętych miesięcy; najpierw skladki close --period RRRR-MM")


def test_a_database_from_before_months_had_states_shows_its_months_as_drafts(demo_db, tmp_path):
    """Closed before `unit_months` existed (issue 25): each closed unit's month is a draft, as
    `approve` would adopt it — and the lookup writes nothing."""
    import duckdb
    db = tmp_path / "skladki.duckdb"
    shutil.copy(demo_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE unit_months")
    before = db.read_bytes()
    outcome = run_plain(MONTHS_STATUS, db=db, period="2026-09")
    assert outcome.ok and outcome.result.states == ("draft",) * 6 and db.read_bytes() == before
    assert stable(MONTHS_STATUS.summary(outcome.run, outcome.result)).splitlines()[3] == \
        "  2026-09  GD-0001    projekt       czeka na zatwierdzenie"


def test_the_plural_forms_of_the_counted_states():
    assert tally(["approved"]) == "1 zatwierdzony"
    assert tally(["draft"] * 2 + ["incomplete"] * 3) == "2 projekty, 3 niekompletne"
    assert tally(["draft"] * 5 + ["incomplete"] * 22 + ["approved"] * 12) == \
        "12 zatwierdzonych, 5 projektów, 22 niekompletne"
