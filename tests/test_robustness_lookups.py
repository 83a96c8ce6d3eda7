"""Issue 27, point 7 for `calendar`, `seats` and `statement`: whatever their options and input
files hold, they answer — exit 0 with their invariants, or exit 1/2 with one message, the
database and the output folder unchanged; never a traceback (modelled on test_robustness's
damaged-inbox property)."""
from __future__ import annotations

import random
import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import close_plain, line, member, write_inbox
from tests.test_robustness import CORRUPTIONS, corrupt, state

HOSTILE = ["", " ", "0", "-1", "-100", "２０２６", "²", "1e3", "99999999999999999999", "0000", "0001-01-01",
           "9999-12-31", "2026-13", "2026-02-30", "20261001", "2026-10-01\n", "\x00", "per:", "per:0", "per:-100",
           "per:１０", "per-started:0", "nieznany_klucz"]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    base = tmp_path_factory.mktemp("lookups")
    inbox = write_inbox(base / "in", members=[member("M1", full_name="Олександр Шевченко"),
                                              member("M2", full_name="Nguyễn Thị Ánh"), member("M3", "pensioner")],
                        income=[line("M1", "wage", "5000.00"), line("M2", "wage", "4000.00"),
                                line("M3", "pension", "2100.00")])
    db = base / "c.duckdb"
    assert close_plain("2026-10", inbox, db).ok
    (base / "statements.csv").write_text("body,year,received_on\nR1,2025,2026-06-30\n", encoding="utf-8")
    (base / "counts.csv").write_text("region_id,members\nR1,120\nR2,45\n", encoding="utf-8")
    (base / "out").mkdir()
    return base


def option(good: list[str]):
    return st.one_of(st.sampled_from(good), st.sampled_from(HOSTILE), st.text(max_size=12))


COMMANDS = {
    "calendar": (lambda v, f, out, db: ["calendar", "--date", v, "--db", db, "--statements", f, "--out", out],
                 ["2026-10-20", "2026-07-16", "2100-12-31", "1980-01-01"], "statements.csv"),
    "seats": (lambda v, f, out, db: ["seats", "--key", v, "--members", f, "--out", out],
              ["per:50", "per-started:40", "per:1"], "counts.csv"),
    "statement": (lambda v, f, out, db: ["statement", "--year", v, "--db", db, "--members", f, "--out", out,
                                                 "--engine", "plain"],
                  ["2026", "2025"], "in/members.csv"),
}


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(COMMANDS)), st.data(), st.lists(st.sampled_from(CORRUPTIONS), max_size=2),
       st.integers(0, 2**32))
def test_issue_27_damaged_options_and_inputs_of_calendar_seats_statement_never_traceback(baseline, tmp_path_factory,
                                                                                         command, data, damage, seed):
    args, good, input_name = COMMANDS[command]
    value = data.draw(option(good), label="option")
    work = tmp_path_factory.mktemp("case")
    db, out, given_file = work / "c.duckdb", work / "out", work / input_name.split("/")[-1]
    shutil.copy(baseline / "c.duckdb", db)
    shutil.copytree(baseline / "out", out)
    shutil.copy(baseline / input_name, given_file)
    rng = random.Random(seed)
    for how in damage:
        corrupt(given_file, how, rng)
    before = state(db, out)
    res = CliRunner().invoke(app, args(value, str(given_file), str(out), str(db)))
    assert res.exit_code in (0, 1, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and "nieoczekiwany błąd" not in res.output, res.output
    assert state(db, out)[0] == before[0]                        # a lookup never writes the database
    if res.exit_code == 0:
        written = [p for p in out.rglob("*") if p.is_file()]
        assert written and all(re.fullmatch(r"[ -~]+", str(p.relative_to(out))) for p in written), written
        if command == "seats":               # whole seats, never negative
            sheet = load_workbook(written[0], read_only=True).worksheets[0]
            seats = [r[2] for r in sheet.iter_rows(min_row=2, values_only=True) if isinstance(r[2], int)]
            assert seats and min(seats) >= 0
    else:
        if res.exit_code == 1:
            assert "błąd: " in res.output and "nic nie zostało zapisane" in res.output
        assert state(db, out) == before
