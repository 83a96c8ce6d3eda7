"""Issue 18: every amount traceable to its rule and its input rows — `skladki explain` composes the
chain from what the close recorded as it computed, and its own figures equal the stored ones."""
from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from flows.synth import write_inbox as synth_inbox
from tests.conftest import close_plain, run_close
from transforms import explain


def test_demo_member_with_the_jubilee_award(tmp_path):
    """M0000253 (the steelworks, row 32 of its export): wage 7 527,52 + allowance 527,51 = base
    8 055,03; the jubilee award 11 036,02 in the same row is left out under 004 §1 ust. 1 pkt 1;
    8 055,03 × 0,82 % = 66,05125 → 66,05. The employer deducted 156,55 (the award in its base)."""
    db = tmp_path / "s.duckdb"
    assert close_plain("2026-10", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    res = CliRunner().invoke(app, ["explain", "--member", "M0000253", "--period", "2026-10", "--db", str(db),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    award = [ln for ln in lines if "jubilee_award" in ln and "2026-09" not in ln]
    assert award == ["  income/huta_lista_plac_2026-10.csv, wiersz 32: nagroda jubileuszowa (jubilee_award) 11 036,02 zł — pominięty: "
                     "składnik poza podstawą (Uchwała nr 5 XIX KZD §1 ust. 1 pkt 1)"]
    assert "Podstawa: 8 055,03 zł" in lines
    assert "Wyliczenie: 8 055,03 zł × 0,82 % = 66,05125 zł → 66,05 zł (zaokrąglenie połówkowe w górę)" in lines
    assert any("potrącenie pracodawcy 156,55 zł" in ln for ln in lines)
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute("SELECT base, dues, total FROM dues WHERE member_id = 'M0000253' AND period = '2026-10'").fetchone()
    con.close()
    assert [str(v).replace(".", ",") for v in stored] == ["8055,03", "66,05", "66,05"]     # the explained figures
    sheet = tmp_path / "out" / "wyjasnienie_member_M0000253_2026-10.xlsx"
    assert sheet.exists()
    # issue 28 (reports/explain.py): the sheet holds the very lines of the terminal, which name it last
    named = lines.index(f"arkusz: {sheet}")
    from openpyxl import load_workbook
    cells = [r[0] or "" for r in load_workbook(sheet)["Wyjaśnienie"].iter_rows(values_only=True)]
    assert cells[0].startswith("Członek M0000253") and cells == lines[named - len(cells):named]


def test_every_member_of_a_synth_close_is_explained_to_the_grosz(tmp_path):
    """2 000 members of every category (bands, the declared-base floor, unit-set dues, raised
    units, reductions and suspensions): the explanation's base, dues and surcharge — from the
    recorded lines and rule — equal the stored dues row of each member."""
    synth_inbox(tmp_path / "in", 2_000, "2026-10", seed=11, receipts=True)
    r = run_close(tmp_path / "in")
    lines = r.income_lines.partition_by("member_id", as_dict=True)
    derivations = {d["member_id"]: d for d in r.derivation.with_columns(
        raised_bp=pl.col("raised_bp")).to_dicts()}
    assert r.dues.height == 2_000 and len(derivations) == 2_000
    for d in r.dues.to_dicts():
        e = explain.member(d["member_id"], "2026-10", derivations[d["member_id"]], d,
                           lines.get((d["member_id"],), pl.DataFrame()).to_dicts(), None, [])
        assert (e.base, e.dues, e.surcharge) == (d["base"], d["dues"], d["surcharge"]), d["member_id"]


def test_unit_explanation_shows_every_step_and_the_transfer(tmp_path):
    db = tmp_path / "s.duckdb"
    assert close_plain("2026-10", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    res = CliRunner().invoke(app, ["explain", "--unit", "SL-0002", "--period", "2026-10", "--db", str(db)])
    assert res.exit_code == 0, res.output
    # issue 26: the citation as the union names it on the terminal (the stored record keeps 004 §3 ust. 1)
    assert "Podział składek należnych: D = 3 049,68 zł (Uchwała nr 5 XIX KZD §3 ust. 1)" in res.output
    assert "jednostka → region: 3 049,68 zł × 40 % = 1219,872 zł → 1 219,87 zł" in res.output
    assert "Przelew do: region 1 187,36 zł (od należnych 1 219,87 zł), termin 2026-11-20" in res.output


def test_explain_needs_exactly_one_subject_and_a_closed_month(tmp_path):
    db = tmp_path / "s.duckdb"
    assert close_plain("2026-10", settings.DEMO_INBOX, db, unit_workbooks=False).ok
    res = CliRunner().invoke(app, ["explain", "--period", "2026-10", "--db", str(db)])
    assert res.exit_code == 1 and "Podaj dokładnie jedno z: --member, --unit, --region" in res.output
    res = CliRunner().invoke(app, ["explain", "--member", "M0000253", "--period", "2026-08", "--db", str(db)])
    assert res.exit_code == 1 and "brak zapisanego wyliczenia za 2026-08" in res.output


def test_issue_25_the_transfer_deadline_moved_off_a_sunday_is_explained(tmp_path):
    from tests.conftest import line, write_inbox
    inbox = write_inbox(tmp_path / "in", income=[line("M1", "wage", "1000.00", "2026-11")])
    db = tmp_path / "s.duckdb"
    assert close_plain("2026-11", inbox, db, unit_workbooks=False).ok
    res = CliRunner().invoke(app, ["explain", "--unit", "U1", "--period", "2026-11", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert ("termin 2026-12-21 (Uchwała nr 5 XIX KZD §10: do 20. dnia następnego miesiąca; 20 grudnia 2026 to niedziela — "
            "Kodeks cywilny art. 115)") in res.output
