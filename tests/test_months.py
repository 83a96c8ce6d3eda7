"""Issue 25 (RULES.md §13): a unit's month is a draft until approved, corrected in the open after
that, incomplete when inputs are missing — and a close covers its own units only.

End-to-end through the CLI (typer's runner, plain engine): the stored tables and the documents."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import UNIT, line, member, write_inbox

P1, P2 = "2026-09", "2026-10"
# bookkeeping of runs, not figures: left out when two databases are compared
RUN_TABLES = {"runs", "history", "close_differences", "corrections", "archive_files", "archive_blobs"}
RUN_COLUMNS = {"run_id", "last_run_id", "superseded_by", "superseded_run", "started_at", "finished_at", "scope",
               "recomputes", "approved_at"}


def cli(*args: str) -> str:
    res = CliRunner().invoke(app, [*args, "--engine", "plain"] if args[0] != "approve" else list(args))
    assert res.exit_code == 0, res.output
    return res.output


def close(period: str, inbox: Path, db: Path, out: Path | None = None, *more: str) -> str:
    return cli("close", "--period", period, "--inbox", str(inbox), "--db", str(db),
               *(["--out", str(out)] if out else []), *more)


def dump(db: Path, units: list[str] | None = None) -> dict[str, list]:
    """Every stored table (a unit's rows only, with ``units``), run bookkeeping left out."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (t,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
            if t in RUN_TABLES:
                continue
            cols = [c for (c,) in con.execute(f"SELECT column_name FROM information_schema.columns "
                                              f"WHERE table_name = '{t}' ORDER BY ordinal_position").fetchall()]
            keep = [c for c in cols if c not in RUN_COLUMNS]
            where = ""
            if units is not None:
                key = "payer_id" if t == "transfers" else "unit_id" if "unit_id" in cols else None
                if key is None:
                    continue
                where = f" WHERE list_contains({units!r}, {key})"
            out[t] = sorted(map(repr, con.execute(f"SELECT {', '.join(map(chr(34).__add__, [k + chr(34) for k in keep]))} "
                                                  f"FROM {t}{where}").fetchall()))
        return out
    finally:
        con.close()


def scalar(db: Path, sql: str, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchone()[0]
    finally:
        con.close()


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    import re
    return re.sub(r"[ \t]+", " ", "\n".join(page.extract_text() for page in PdfReader(str(path)).pages))


def workbook_cells(path: Path) -> dict:
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True)
    return {ws.title: [tuple(c for c in row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def unit_inbox(folder: Path, unit: str, region: str = "R1", wages: dict | None = None,
               deductions: dict | None = None, periods=(P1, P2), changed_in=(P1, P2)) -> Path:
    """A unit's own inbox: three members (A employee, B employee, C pensioner), both months' lines;
    ``wages`` change the wages of the months ``changed_in``."""
    ids = {k: f"{unit}-{k}" for k in "ABC"}
    members = [member(ids["A"], unit=unit), member(ids["B"], unit=unit), member(ids["C"], "pensioner", unit=unit)]
    income = []
    for p in periods:
        w = {"A": "5000.00", "B": "4200.00"} | (wages or {} if p in changed_in else {})
        income += [line(ids["A"], "wage", w["A"], p), line(ids["B"], "wage", w["B"], p),
                   line(ids["C"], "pension", "2100.00", p)]
        for k, amount in (deductions or {}).items():
            income.append(line(ids[k], "dues_deducted", amount, p))
    write_inbox(folder, units=[UNIT | {"unit_id": unit, "region_id": region, "name": f"Organizacja {unit}"}],
                members=members, income=income)
    (folder / "income" / "lines.csv").rename(folder / "income" / f"{unit.lower()}.csv")
    return folder


def merged_inbox(folder: Path, *inboxes: Path, income: bool | tuple = True) -> Path:
    """One inbox of several units (a region keeping their books): the registers joined, the
    payroll files side by side (``income``: which inboxes' files come; all by default)."""
    folder.mkdir()
    (folder / "income").mkdir()
    for name in ("units.csv", "members.csv"):
        parts = [(i / name).read_text(encoding="utf-8").splitlines(keepends=True) for i in inboxes]
        (folder / name).write_text("".join(parts[0] + [x for p in parts[1:] for x in p[1:]]), encoding="utf-8")
    for i, inbox in enumerate(inboxes):
        if income is True or i in income:
            for f in (inbox / "income").iterdir():
                shutil.copy(f, folder / "income" / f.name)
    return folder


# ------------------------------------------------------------------ (a) re-close of a draft

def test_a_reclosing_a_draft_equals_a_first_close_of_the_final_inputs(tmp_path):
    """A close with B's payroll line missing (B blocked: missing_income), then the line arrives and
    the month is closed again: every table and every document equal a fresh close of the final
    inputs — nothing moved into the next month as a correction."""
    first = unit_inbox(tmp_path / "first", "U1")
    lines = (first / "income" / "u1.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (first / "income" / "u1.csv").write_text("".join(x for x in lines if "U1-B,wage" not in x), encoding="utf-8")
    db, out = tmp_path / "s.duckdb", tmp_path / "out"
    close(P1, first, db, out)
    assert scalar(db, "SELECT count(*) FROM exceptions WHERE reason_code = 'missing_income'") == 1
    final = unit_inbox(tmp_path / "final", "U1")
    shutil.rmtree(first)
    shutil.copytree(final, first)
    close(P1, first, db, out)
    fresh_db, fresh_out = tmp_path / "fresh.duckdb", tmp_path / "fresh_out"
    close(P1, final, fresh_db, fresh_out)
    assert dump(db) == dump(fresh_db)
    assert scalar(db, "SELECT count(*) FROM settlement WHERE basis = 'correction'") == 0
    assert scalar(db, "SELECT count(*) FROM history WHERE table_name = 'dues'") == 2     # the superseded draft kept
    for name in ("jednostki/skladki_U1_2026-09.xlsx", "zamkniecie_2026-09.xlsx"):
        assert workbook_cells(out / name) == workbook_cells(fresh_out / name), name
    pdf = pdf_text(out / "jednostki" / "rozliczenie_U1_2026-09.pdf")
    assert pdf == pdf_text(fresh_out / "jednostki" / "rozliczenie_U1_2026-09.pdf")
    assert "PROJEKT — niezatwierdzone" in pdf


# ------------------------------------------------------------------ (b) re-close of an approved month

def transfers_of(db: Path, unit: str) -> dict[str, float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {p: float(a) for p, a in con.execute("SELECT period, sum(amount) FROM transfers WHERE payer_id = ? "
                                                    "GROUP BY period ORDER BY period", [unit]).fetchall()}
    finally:
        con.close()


@pytest.mark.parametrize("order", ["reclose_then_next", "next_then_reclose"])
def test_b_an_approved_month_keeps_its_settlement_and_the_next_month_carries_the_correction(tmp_path, order):
    """September closed and approved with A's wage 5 000.00; then the wage is found to be
    6 000.00. September's settlement stays as approved; October carries „korekta za 2026-09”,
    and what the unit is told to transfer over the two months equals fresh closes of the final
    inputs, to the grosz — whether October was closed before the re-close (a draft, closed again
    in the same run) or after it."""
    inbox, db, out = unit_inbox(tmp_path / "in", "U1"), tmp_path / "s.duckdb", tmp_path / "out"
    close(P1, inbox, db, out)
    approved = cli("approve", "--period", P1, "--db", str(db), "--unit", "U1", "--by", "Anna Skarbnik")
    assert "zatwierdzono: U1" in approved
    sept = dump(db, ["U1"])["settlement"]
    sept_transfer = transfers_of(db, "U1")[P1]
    if order == "next_then_reclose":
        close(P2, inbox, db, out)
    final = unit_inbox(tmp_path / "final", "U1", wages={"A": "6000.00"}, changed_in=(P1,))
    shutil.rmtree(inbox)
    shutil.copytree(final, inbox)
    close(P1, inbox, db, out)
    if order == "reclose_then_next":
        close(P2, inbox, db, out)
    assert [r for r in dump(db, ["U1"])["settlement"] if P1 + "', 'U1'" in r and "correction" not in r] == \
        [r for r in sept if "correction" not in r]
    assert transfers_of(db, "U1")[P1] == sept_transfer
    assert scalar(db, "SELECT state FROM unit_months WHERE period = ? AND unit_id = 'U1'", [P1]) == "approved"
    correction = scalar(db, "SELECT sum(amount) FROM settlement WHERE period = ? AND basis = 'correction' "
                            "AND corrects = ? AND level <> 'unit'", [P2, P1])
    assert float(correction) == pytest.approx(0.40 * 8.20, abs=0.01)     # D +8.20 (0.82 % of +1 000); 40 % moves
    fresh = tmp_path / "fresh.duckdb"
    close(P1, final, fresh)
    close(P2, final, fresh)
    assert sum(transfers_of(db, "U1").values()) == pytest.approx(sum(transfers_of(fresh, "U1").values()), abs=1e-9)
    october = pdf_text(out / "jednostki" / "rozliczenie_U1_2026-10.pdf")
    assert "korekta za 2026-09" in october and "+3,28 zł" in october
    note = pdf_text(out / "jednostki" / "korekta_U1_2026-09.pdf")
    assert "Anna Skarbnik" in note and "2026-10" in note
    # the approved month's own settlement PDF is not rewritten by the re-close
    assert "PROJEKT" in pdf_text(out / "jednostki" / "rozliczenie_U1_2026-09.pdf")


# ------------------------------------------------------------------ (c) two units, one database

def test_c_two_units_closed_one_after_the_other_equal_the_two_closed_together(tmp_path):
    """U1 and U2 of region R1, each from its own treasurer's inbox, closed one after the other into
    one database: equal, table by table, to both closed together from one inbox; each unit's rows
    equal its own close in a database of its own; the region's forward covers both."""
    one, two = unit_inbox(tmp_path / "u1", "U1"), unit_inbox(tmp_path / "u2", "U2", wages={"A": "7300.00"})
    both = merged_inbox(tmp_path / "both", one, two)
    shared, together = tmp_path / "shared.duckdb", tmp_path / "together.duckdb"
    close(P1, one, shared)
    alone_before = dump(shared, ["U1"])
    close(P1, two, shared)
    assert dump(shared, ["U1"]) == alone_before          # closing U2 changed none of U1's rows
    close(P1, both, together)
    assert dump(shared) == dump(together)
    for unit, inbox in (("U1", one), ("U2", two)):
        own = tmp_path / f"{unit}.duckdb"
        close(P1, inbox, own)
        assert dump(shared, [unit]) == dump(own, [unit])
    region = scalar(shared, "SELECT sum(amount) FROM transfers WHERE period = ? AND payer_kind = 'region'", [P1])
    units = scalar(shared, "SELECT sum(amount) FROM settlement WHERE period = ? AND level NOT IN ('unit', 'region')",
                   [P1])
    assert region == units          # the region forwards what both units' settlements give the levels above


def test_closing_one_unit_again_leaves_the_other_units_month_alone(tmp_path):
    """The issue's finding: after a region's close of two units, one unit's own inbox closed into
    the same database replaced only that unit's rows (no 0,00 zł transfers, no corrections)."""
    one, two = unit_inbox(tmp_path / "u1", "U1"), unit_inbox(tmp_path / "u2", "U2")
    db = tmp_path / "s.duckdb"
    close(P1, one, db)
    close(P1, two, db)
    before = dump(db, ["U2"])
    close(P1, one, db)
    assert dump(db, ["U2"]) == before
    assert scalar(db, "SELECT count(*) FROM settlement WHERE basis = 'correction'") == 0
    assert scalar(db, "SELECT count(*) FROM transfers WHERE period = ? AND amount = 0", [P1]) == 0


def test_close_with_unit_stores_only_that_unit(tmp_path):
    one = unit_inbox(tmp_path / "u1", "U1")
    two = unit_inbox(tmp_path / "u2", "U2")
    both = merged_inbox(tmp_path / "both", one, two, income=(0,))
    db, own = tmp_path / "s.duckdb", tmp_path / "own.duckdb"
    close(P1, both, db, None, "--unit", "U1")
    close(P1, one, own)
    assert scalar(db, "SELECT list(DISTINCT unit_id) FROM dues") == ["U1"]
    assert dump(db, ["U1"]) == dump(own, ["U1"])
    res = CliRunner().invoke(app, ["close", "--period", P1, "--inbox", str(both), "--db", str(db), "--unit", "XX",
                                   "--engine", "plain"])
    assert res.exit_code == 1 and "Jednostek XX nie ma w units.csv" in res.output


# ------------------------------------------------------------------ (e) an incomplete month

def test_e_an_incomplete_month_is_marked_refused_and_approved_only_with_a_reason(tmp_path):
    """September came with the steelworks' payroll file; October's inbox lacks it (and so A and B
    have no income line). The draft says so in red, approve refuses it, and approving anyway
    needs a reason, which is stored."""
    inbox = unit_inbox(tmp_path / "in", "U1", periods=(P1,))
    (inbox / "income" / "u1.csv").rename(inbox / "income" / "huta_2026-09.csv")
    db, out = tmp_path / "s.duckdb", tmp_path / "out"
    close(P1, inbox, db, out)
    assert scalar(db, "SELECT incomplete FROM unit_months WHERE period = ?", [P1]) is False
    (inbox / "income" / "huta_2026-09.csv").unlink()
    summary = close(P2, inbox, db, out)
    assert "NIEKOMPLETNY" in summary
    missing = scalar(db, "SELECT missing FROM unit_months WHERE period = ?", [P2])
    assert "income/huta_2026-09.csv" in missing and "U1-A, U1-B" in missing
    pdf = pdf_text(out / "jednostki" / "rozliczenie_U1_2026-10.pdf")
    assert "MIESIĄC NIEKOMPLETNY" in pdf and "huta_2026-09.csv" in pdf
    res = CliRunner().invoke(app, ["approve", "--period", P2, "--db", str(db), "--unit", "U1", "--by", "Skarbnik"])
    assert res.exit_code == 1 and "miesiąc jest niekompletny" in res.output
    assert scalar(db, "SELECT state FROM unit_months WHERE period = ?", [P2]) == "draft"
    res = CliRunner().invoke(app, ["approve", "--period", P2, "--db", str(db), "--unit", "U1", "--by", "Skarbnik",
                                   "--force"])
    assert res.exit_code == 1 and "wymaga powodu" in res.output
    cli("approve", "--period", P2, "--db", str(db), "--unit", "U1", "--by", "Skarbnik", "--force",
        "--reason", "huta nie wypłaciła pensji w październiku", "--out", str(out))
    assert scalar(db, "SELECT approval_reason FROM unit_months WHERE period = ?", [P2]) == \
        "huta nie wypłaciła pensji w październiku"
    pdf = pdf_text(out / "jednostki" / "rozliczenie_U1_2026-10.pdf")
    assert "ZATWIERDZONE: Skarbnik" in pdf and "mimo braków" in pdf


def test_the_scheduled_close_stores_the_complete_units_and_lists_the_others(tmp_path):
    one, two = unit_inbox(tmp_path / "u1", "U1", periods=(P1,)), unit_inbox(tmp_path / "u2", "U2", periods=(P1,))
    both = merged_inbox(tmp_path / "both", one, two, income=(0,))        # U2's payroll has not come
    db = tmp_path / "s.duckdb"
    summary = close(P1, both, db, None, "--only-complete")
    assert scalar(db, "SELECT list(unit_id) FROM unit_months") == ["U1"]
    assert "U2" in summary and "pominięta (miesiąc niekompletny, nie zamknięty) U2" in summary


def test_reclosing_the_demo_keeps_one_copy_of_every_exception_also_of_refused_units(tmp_path):
    """The demo's units.csv has a refused row (bad_unit): its exception belongs to no closed unit
    and is replaced with the close that found it — never piled up by re-closes."""
    from flows import settings
    db = tmp_path / "s.duckdb"
    close(P2, settings.DEMO_INBOX, db)
    first = dump(db)
    close(P2, settings.DEMO_INBOX, db, None, "--unit", "SL-0001")
    close(P2, settings.DEMO_INBOX, db)
    assert dump(db) == first
    assert scalar(db, "SELECT count(*) FROM exceptions WHERE reason_code = 'bad_unit'") == 1


def test_replay_of_each_units_own_close_finds_no_difference(tmp_path):
    """Two units closed one after the other into one database, one of them closed again: each
    run replays from its archive to the same rows of its own units (issue 18's replay, per unit)."""
    one, two = unit_inbox(tmp_path / "u1", "U1"), unit_inbox(tmp_path / "u2", "U2", wages={"A": "7300.00"})
    db = tmp_path / "s.duckdb"
    close(P1, one, db)
    close(P1, two, db)
    close(P1, one, db)
    con = duckdb.connect(str(db), read_only=True)
    runs = [r for (r,) in con.execute("SELECT run_id FROM runs ORDER BY finished_at").fetchall()]
    con.close()
    for run in runs:
        res = CliRunner().invoke(app, ["replay", "--run", run, "--db", str(db), "--engine", "plain"])
        assert res.exit_code == 0, res.output


def test_a_second_employers_missing_file_makes_the_month_incomplete_a_renamed_export_does_not(tmp_path):
    """A works at the steelworks and the post office, B at the steelworks. In October only the
    steelworks' file came: A still has income, but from one employer instead of two — the post
    office's file is missing. The demo, whose September came in one combined file and October in
    each employer's own export, is not flagged for files (its members all have their income)."""
    inbox = unit_inbox(tmp_path / "in", "U1", periods=(P1,))
    rows = {"huta": [(P1, "U1-A", "3000.00"), (P1, "U1-B", "4200.00"), (P2, "U1-A", "3000.00"),
                     (P2, "U1-B", "4200.00")],
            "poczta": [(P1, "U1-A", "2000.00")]}
    for name, lines in rows.items():
        for month in (P1, P2):
            mine = [r for r in lines if r[0] == month]
            if mine:
                (inbox / "income" / f"{name}_{month}.csv").write_text(
                    "period,member_id,component,amount\n" + "".join(f"{p},{m},wage,{a}\n" for p, m, a in mine),
                    encoding="utf-8")
    (inbox / "income" / "u1.csv").unlink()
    (inbox / "members.csv").write_text("member_id,unit_id,category,joined_on\nU1-A,U1,employee,2020-01-01\n"
                                       "U1-B,U1,employee,2020-01-01\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    close(P1, inbox, db)
    close(P2, inbox, db)
    missing = scalar(db, "SELECT missing FROM unit_months WHERE period = ?", [P2])
    assert missing == ("brak pliku pracodawcy: w 2026-09 był income/poczta_2026-09.csv, za 2026-10 nie ma dochodu "
                       "z tego pliku (1 członek: U1-A)")
    from flows import settings
    demo = tmp_path / "demo.duckdb"
    close(P1, settings.DEMO_INBOX, demo)
    close(P2, settings.DEMO_INBOX, demo)
    assert scalar(demo, "SELECT list(unit_id || ': ' || missing) FROM unit_months WHERE incomplete") == [
        "GD-0002: członkowie bez żadnego wiersza dochodu (1): M0000006"]


def test_the_summary_shows_the_transfers_as_stored_to_the_grosz(tmp_path):
    """The close's summary (terminal, Prefect log and artifact) names the transfers of its units and
    regions exactly as stored: a money figure in grosze printed as złoty is the worst defect."""
    from flows import settings
    from transforms.money import format_pl
    db = tmp_path / "s.duckdb"
    summary = close(P2, settings.DEMO_INBOX, db)
    con = duckdb.connect(str(db), read_only=True)
    units = con.execute("SELECT CAST(sum(amount) * 100 AS BIGINT) FROM transfers WHERE payer_kind IN "
                        "(SELECT DISTINCT payer_kind FROM transfers WHERE payer_id IN (SELECT unit_id FROM units))"
                        ).fetchone()[0]
    forwards = con.execute("SELECT payer_id, CAST(amount * 100 AS BIGINT) FROM transfers WHERE payer_id NOT IN "
                           "(SELECT unit_id FROM units) ORDER BY ALL").fetchall()
    con.close()
    assert f"razem {format_pl(units)}, termin" in summary
    for region, amount in forwards:
        assert any(region in ln and format_pl(amount) in ln for ln in summary.splitlines()), (region, amount)
    from flows.close import CLOSE
    from flows.command import run_plain
    run = run_plain(CLOSE, period=P2, inbox=settings.DEMO_INBOX, db=db, out=None).run
    title, rows = CLOSE.table(run, run.result)
    assert sorted(r["kwota"] for r in rows if r["płatnik"].endswith(tuple(r for r, _ in forwards))) == \
        sorted(format_pl(a) for _, a in forwards)


# ------------------------------------------------------------------ found by an independent review

def test_an_approved_month_closed_again_with_another_region_keeps_its_transfers_where_they_went(tmp_path):
    """U1's September approved while in region R1; its units.csv then names R2 and a higher wage.
    The approved transfer (to R1) and R1's forwards stay; R2 gets nothing for September."""
    one, two, db = unit_inbox(tmp_path / "u1", "U1"), unit_inbox(tmp_path / "u2", "U2"), tmp_path / "s.duckdb"
    close(P1, one, db)
    close(P1, two, db)
    cli("approve", "--period", P1, "--db", str(db), "--unit", "U1", "--by", "Skarbnik")
    amounts = "SELECT payer_kind, payer_id, payee, amount FROM transfers WHERE period = ? ORDER BY ALL"
    con = duckdb.connect(str(db), read_only=True)
    before = con.execute(amounts, [P1]).fetchall()
    con.close()
    moved = unit_inbox(tmp_path / "moved", "U1", region="R2", wages={"A": "6000.00"}, changed_in=(P1,))
    close(P1, moved, db)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(amounts, [P1]).fetchall() == before
    assert con.execute("SELECT count(*) FROM transfers WHERE period = ? AND 'R2' IN (payer_id, region_id)",
                       [P1]).fetchone()[0] == 0
    con.close()


def test_a_member_who_moves_to_another_unit_brings_the_open_months_along(tmp_path):
    """MOVER owes 41.00 in U1 in September, 20.00 deducted (21.00 open); in October he is in U2's
    register with 62.00 deducted. Per-unit closes give the same money as one close of both."""
    def inbox(root, month, unit_with_mover, deducted):
        out = {}
        for unit in ("U1", "U2"):
            folder = unit_inbox(root / unit, unit, periods=(month,))
            if unit == unit_with_mover:
                with (folder / "members.csv").open("a", encoding="utf-8") as f:
                    f.write(f"MOVER,{unit},employee,2020-01-01\n")
                with (folder / "income" / f"{unit.lower()}.csv").open("a", encoding="utf-8") as f:
                    f.write(f"{month},MOVER,wage,5000.00\n{month},MOVER,dues_deducted,{deducted}\n")
            out[unit] = folder
        return out
    apart, together = tmp_path / "apart.duckdb", tmp_path / "together.duckdb"
    for month, unit, deducted in ((P1, "U1", "20.00"), (P2, "U2", "62.00")):
        units = inbox(tmp_path / month, month, unit, deducted)
        close(month, units["U1"], apart)
        close(month, units["U2"], apart)
        close(month, merged_inbox(tmp_path / f"both-{month}", units["U1"], units["U2"]), together)
    money = "SELECT period, payer_id, payee, amount FROM transfers ORDER BY ALL"
    assert scalar(apart, f"SELECT list(t) FROM ({money}) t") == scalar(together, f"SELECT list(t) FROM ({money}) t")
    assert scalar(apart, "SELECT arrears FROM member_ledger WHERE member_id = 'MOVER' AND period = ?", [P2]) == 0


def test_a_finding_about_another_unit_stays_with_the_close_that_found_it(tmp_path):
    """U1's members.csv names a member of U2 (refused: bad_member). Closing U1 writes nothing into
    U2's month; closing U2 again does not remove U1's finding; closing U1 again keeps one copy."""
    one, two, db = unit_inbox(tmp_path / "u1", "U1"), unit_inbox(tmp_path / "u2", "U2"), tmp_path / "s.duckdb"
    with (one / "members.csv").open("a", encoding="utf-8") as f:
        f.write("X-1,U2,employee,2020-01-01\n")
    close(P1, two, db)
    before = dump(db, ["U2"])
    close(P1, one, db)
    assert dump(db, ["U2"]) == before
    close(P1, two, db)
    close(P1, one, db)
    assert scalar(db, "SELECT count(*) FROM exceptions WHERE member_id = 'X-1'") == 1


def test_a_one_off_bonus_list_is_not_expected_again(tmp_path):
    """September came with the regular payroll and a one-off bonus list; October with the regular
    payroll only: the month is complete (data/months.toml: regular pay)."""
    inbox, db = unit_inbox(tmp_path / "in", "U1"), tmp_path / "s.duckdb"
    (inbox / "income" / "premia_2026-09.csv").write_text(
        f"period,member_id,component,amount\n{P1},U1-A,bonus,1000.00\n{P1},U1-B,bonus,1000.00\n", encoding="utf-8")
    close(P1, inbox, db)
    close(P2, inbox, db)
    assert scalar(db, "SELECT list(incomplete ORDER BY period) FROM unit_months") == [False, False]


def test_a_unit_whose_row_is_refused_loses_its_draft_but_not_an_approved_month(tmp_path):
    """units.csv names U1 and U2; U2's row then breaks (raised_pct 999: bad_unit). A draft of U2's
    month goes (its members are blocked: no stale amount beside this close's findings); once U2's
    month is approved, a close with its row broken leaves it as it was."""
    inbox = merged_inbox(tmp_path / "both", unit_inbox(tmp_path / "u1", "U1"), unit_inbox(tmp_path / "u2", "U2"))
    good = (inbox / "units.csv").read_text(encoding="utf-8")
    db = tmp_path / "s.duckdb"
    close(P1, inbox, db)
    (inbox / "units.csv").write_text(good.replace("U2,Organizacja U2,R1,śląskie,false,100", "U2,Organizacja U2,R1,"
                                                  "śląskie,false,999"), encoding="utf-8")
    summary = close(P1, inbox, db)
    assert "projekt miesiąca usunięty: U2" in summary
    assert scalar(db, "SELECT list(DISTINCT unit_id ORDER BY unit_id) FROM dues") == ["U1"]
    assert scalar(db, "SELECT list(unit_id) FROM unit_months") == ["U1"]
    (inbox / "units.csv").write_text(good, encoding="utf-8")
    close(P1, inbox, db)
    cli("approve", "--period", P1, "--db", str(db), "--all", "--by", "Skarbnik")
    approved = dump(db, ["U2"])
    (inbox / "units.csv").write_text(good.replace("U2,Organizacja U2,R1,śląskie,false,100", "U2,Organizacja U2,R1,"
                                                  "śląskie,false,999"), encoding="utf-8")
    summary = close(P1, inbox, db)
    assert "wcześniejsze zamknięcie bez zmian: U2" in summary
    assert {t: rows for t, rows in dump(db, ["U2"]).items() if t != "exceptions"} == \
        {t: rows for t, rows in approved.items() if t != "exceptions"}


def test_a_database_closed_before_months_had_states_can_be_approved_and_corrected(tmp_path):
    """A database from before issue 25 (no unit_months): its closed months are drafts of the run that
    closed them — approve works, and re-closing September closes October again."""
    inbox, db = unit_inbox(tmp_path / "in", "U1"), tmp_path / "s.duckdb"
    close(P1, inbox, db)
    close(P2, inbox, db)
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE unit_months")
    con.close()
    cli("approve", "--period", P1, "--db", str(db), "--unit", "U1", "--by", "Skarbnik")
    assert scalar(db, "SELECT list(state ORDER BY period) FROM unit_months") == ["approved", "draft"]
    final = unit_inbox(tmp_path / "final", "U1", wages={"A": "6000.00"}, changed_in=(P1,))
    close(P1, final, db)
    assert scalar(db, "SELECT count(*) FROM settlement WHERE period = ? AND basis = 'correction'", [P2]) > 0
    assert scalar(db, "SELECT count(*) FROM runs WHERE recomputes IS NOT NULL AND period = ?", [P2]) == 1
