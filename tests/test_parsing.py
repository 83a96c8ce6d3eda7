"""Issue 27, edge values: dates, years, periods and counts in options follow one rule
(transforms.parsing: ASCII digits, one form, years 1900–2999) — anything else is a Polish usage
message naming the option (exit 2), never a crash, negative seats or a folder named
``zaswiadczenia_２０２６``; a calendar input row with such a value is refused naming the row, and a
stored claim dated 9999-12-31 is shown as a row to correct."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import close_plain, line, member, write_inbox
from transforms import parsing
from transforms.delegates import key_seats
from transforms.errors import UserError


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("edges")
    inbox = write_inbox(tmp / "in", members=[member("M1"), member("M2")],
                        income=[line("M1", "wage", "5000.00"), line("M2", "wage", "4000.00")])
    assert close_plain("2026-10", inbox, tmp / "c.duckdb").ok
    return tmp / "c.duckdb"


def skladki(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, timeout=300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


USAGE = [
    (("calendar", "--date", "0001-01-01"), "--date", "rok spoza zakresu 1900–2999"),
    (("calendar", "--date", "9999-12-31"), "--date", "rok spoza zakresu 1900–2999"),
    (("calendar", "--date", "２０２６-10-01"), "--date", "tylko cyfry 0–9"),
    (("calendar", "--date", "20261001"), "--date", "to nie data RRRR-MM-DD"),
    (("calendar", "--date", "2026-02-30"), "--date", "nie ma takiego dnia"),
    (("seats", "--key", "per:0", "--period", "2026-10"), "--key", "liczba całkowita od 1"),
    (("seats", "--key", "per:-100", "--period", "2026-10"), "--key", "liczba całkowita od 1"),
    (("seats", "--key", "per-started:abc", "--period", "2026-10"), "--key", "liczba całkowita od 1"),
    (("seats", "--key", "per:１０", "--period", "2026-10"), "--key", "liczba całkowita od 1"),
    (("seats", "--key", "per:50", "--period", "２０２６-10"), "--period", "tylko cyfry 0–9"),
    (("statement", "--year", "２０２６", "--out", "{out}"), "--year", "tylko cyfry 0–9"),
    (("statement", "--year", "²", "--out", "{out}"), "--year", "tylko cyfry 0–9"),
    (("statement", "--year", "0000", "--out", "{out}"), "--year", "rok spoza zakresu"),
    (("explain", "--period", "２０２６-10", "--unit", "U1"), "--period", "tylko cyfry 0–9"),
    (("close", "--period", "0000-01", "--inbox", "{out}"), "--period", "rok spoza zakresu"),
]


@pytest.mark.parametrize("args, option, says", USAGE, ids=[" ".join(a[:3]) for a, _, _ in USAGE])
def test_issue_27_edge_values_of_options_are_usage_errors_naming_the_option(db, tmp_path, args, option, says):
    out = tmp_path / "out"
    before = digest(db)
    proc = skladki(*[a.format(out=out) for a in args], "--db", str(db))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"błąd użycia: zła wartość {option}: ") and says in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert digest(db) == before and not out.exists()


def test_issue_27_whole_number_options_take_ascii_digits_only(tmp_path):
    proc = skladki("synth", "--members", "１０", "--period", "2026-10", "--out", str(tmp_path / "s"))
    assert proc.returncode == 2 and "zła wartość --members: '１０': tylko cyfry 0–9" in proc.stderr, proc.stderr
    assert not (tmp_path / "s").exists()


def test_issue_27_the_one_rule():
    assert parsing.year("2026") == 2026 and parsing.period("2026-10") == "2026-10"
    assert str(parsing.day("2999-12-31")) == "2999-12-31" and parsing.count("50") == 50
    for parse, text in [(parsing.year, "２０２６"), (parsing.year, "1899"), (parsing.year, " 2026"),
                        (parsing.period, "2026-10\n"), (parsing.period, "3000-01"), (parsing.day, "2026-W40-1"),
                        (parsing.count, "0"), (parsing.count, "+5"), (parsing.count, "٣")]:
        with pytest.raises(ValueError):
            parse(text)


def test_issue_27_a_key_of_zero_or_negative_members_per_seat_is_refused_outside_the_cli_too():
    for key in ("per:0", "per:-100", "per-started:0", "per:"):
        with pytest.raises(UserError) as e:
            key_seats({"R1": 100}, key, "[keys]\n")
        assert e.value.code == "bad_option" and "--key" in str(e.value)
    assert key_seats({"R1": 100}, "per:30", "[keys]\n")[0] == {"R1": 3}


def test_issue_27_a_calendar_day_before_every_rulebook_is_refused_naming_the_option(db):
    proc = skladki("calendar", "--date", "1990-01-01", "--db", str(db))
    assert proc.returncode == 1 and "--date: w dniu 1990-01-01 nie obowiązuje żaden regulamin" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("row", ["SL,２０２５,2025-06-01", "SL,2025,9999-12-31", "SL,99999999999999999999,2025-06-01"])
def test_issue_27_a_calendar_statements_row_with_an_edge_value_is_refused_naming_the_row(db, tmp_path, row):
    statements = tmp_path / "statements.csv"
    statements.write_text("body,year,received_on\n" + row + "\n", encoding="utf-8")
    proc = skladki("calendar", "--date", "2026-10-01", "--db", str(db), "--statements", str(statements),
                   "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "statements.csv, wiersz 1" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


def test_issue_27_a_stored_claim_dated_9999_12_31_is_a_row_to_correct_not_a_crash(db, tmp_path):
    copy = tmp_path / "c.duckdb"
    copy.write_bytes(db.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("CREATE TABLE benefit_decisions AS SELECT * FROM (VALUES ('W-1', 'M1', 'U1', DATE '9999-12-31', "
                "'pending'), ('W-2', 'M2', 'U1', DATE '2026-05-10', 'pending')) t(claim_id, member_id, unit_id, "
                "event_date, decision)")
    con.close()
    proc = skladki("calendar", "--date", "2026-10-20", "--db", str(copy))
    assert proc.returncode == 0, proc.stderr
    assert "wniosek W-1 (członek M1): data zdarzenia 9999-12-31 spoza lat 1900–2999; popraw wniosek" in proc.stdout
    assert "wniosek W-2 (członek M2): dokumenty do 2026-11-10" in proc.stdout


def test_issue_27_a_seats_counts_file_with_full_width_digits_is_refused_naming_the_row(tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text("region_id,members\nR1,120\nR2,１２０\n", encoding="utf-8")
    proc = skladki("seats", "--key", "per:50", "--members", str(counts), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "counts.csv, wiersz 2" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()
