"""transforms/methods.py (issue 28): each dues method is one named operation holding its rulebook
keys, its polars expression and its explanation; the rulebook, the close and `explain` reach them
through METHODS only; a union using only these methods is one TOML file; a rulebook naming a
per-unit flat-due column units.csv does not declare is a `bad_rulebook` message when it is loaded."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import close_plain, line, member, rulebook_folder, write_inbox
from transforms.dues import rule_json
from transforms.errors import UserError
from transforms.methods import METHODS, UNIT_FLAT_COLUMNS, method
from transforms.rulebook import load_rulebooks, parse_rulebook

ROOT = Path(__file__).resolve().parents[1]

# another union, other levels and categories, only the existing methods: one TOML file
KOLEJARZE = (ROOT / "tests" / "fixtures" / "rulebooks" / "kolejarze.toml").read_text(encoding="utf-8")


def test_the_index_names_each_method_once():
    assert sorted(METHODS) == ["band", "percent", "union_flat", "unit_flat"]     # union_flat: issue 30
    assert all(m.name == name for name, m in METHODS.items())
    with pytest.raises(ValueError, match=r"categories\.x\.method: unknown method 'flat'"):
        method("flat", "x")


def test_no_method_is_dispatched_by_name_outside_its_module():
    """The rulebook, the close and explain reach a method through METHODS: no other source module
    compares or names a method."""
    found = []
    for pkg in ("flows", "transforms", "reports", "schemas"):
        for path in sorted((ROOT / pkg).glob("*.py")):
            if path.name == "methods.py":
                continue
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(n, ast.Constant) and n.value in METHODS:
                    found.append(f"{path.relative_to(ROOT)}:{n.lineno}: {n.value!r}")
    assert found == []


BAND = {"method": "band", "label": "pasmo", "rate": None, "threshold": 100_000, "base_amount": 800, "step": 10_000,
        "step_amount": 100, "unit_column": None, "base_components": [], "floor_component": None}


@hsettings(max_examples=60, deadline=None)
@given(base=st.integers(0, 5_000_000), rate=st.sampled_from(["0.0082", "0.01", "0.015", "0.0033"]))
def test_the_expression_and_the_explanation_of_a_method_agree(base, rate):
    books = parse_rulebook(KOLEJARZE.replace('rate = "0.01"', f'rate = "{rate}"'))
    for rule in books.versions[0].categories.values():
        recorded = json.loads(rule_json(rule))
        how = METHODS[rule.method]
        dues = pl.DataFrame({"base": [base], rule.unit_column or "flat": [1234]}).select(how.expr(rule))[0, 0]
        shown_base, computed, lines = how.explain(recorded, base, dues)
        assert computed == dues and lines
        assert shown_base == (base if how.keeps_base else 0)
        assert how.short(recorded, rule.source, base, dues).endswith(f"({rule.source})")


def test_a_union_with_only_existing_methods_is_one_toml_file(tmp_path, monkeypatch):
    """driver 1 % of 4 000,00 + 600,00 = 46,00; conductor 20,00 + 2 × 2,50 (3 000,00 + 2 full 500,00
    steps of 4 250,00) = 25,00; veteran the unit's 7,00. The board gets 30 % of D = 71,00 → 21,30."""
    rulebook_folder(tmp_path, monkeypatch, "kolejarze", KOLEJARZE)
    unit = {"unit_id": "K1", "name": "Koło Wrocław", "region_id": "-", "voivodeship": "dolnośląskie",
            "raised_pct": "100", "pensioner_flat": "7.00", "rulebook": "kolejarze"}
    inbox = write_inbox(tmp_path / "inbox", units=[unit],
                        members=[member("A", "driver", unit="K1"), member("B", "conductor", unit="K1"),
                                 member("C", "veteran", unit="K1")],
                        income=[line("A", "pay", "4000.00"), line("A", "night", "600.00"),
                                line("B", "pay", "4250.00")])
    outcome = close_plain("2026-10", inbox, tmp_path / "k.duckdb", unit_workbooks=False)
    assert outcome.ok, outcome.message
    con = duckdb.connect(str(tmp_path / "k.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT member_id, category, CAST(base AS VARCHAR), CAST(dues AS VARCHAR) FROM dues "
                           "ORDER BY 1").fetchall() == [("A", "driver", "4600.00", "46.00"),
                                                        ("B", "conductor", "4250.00", "25.00"),
                                                        ("C", "veteran", "0.00", "7.00")]
        assert con.execute("SELECT level, CAST(amount AS VARCHAR) FROM allocations ORDER BY 1").fetchall() == [
            ("board", "21.30"), ("circle", "56.70")]
        assert con.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0
    finally:
        con.close()


def flat_column_rulebook(tmp_path, monkeypatch, column="retired_flat") -> Path:
    books = tmp_path / "rulebooks"
    books.mkdir()
    path = books / "kolejarze.toml"
    path.write_text(KOLEJARZE.replace('unit_column = "pensioner_flat"', f'unit_column = "{column}"'), encoding="utf-8")
    monkeypatch.setenv("SKLADKI_RULEBOOKS", str(books))
    return path


def test_a_flat_due_column_units_csv_does_not_declare_is_a_bad_rulebook_at_load(tmp_path):
    path = tmp_path / "kolejarze.toml"
    path.write_text(KOLEJARZE.replace('"pensioner_flat"', '"retired_flat"'), encoding="utf-8")
    with pytest.raises(UserError) as e:
        load_rulebooks(tmp_path)
    assert e.value.code == "bad_rulebook"
    assert str(e.value) == (
        f"{path}: to nie jest poprawny regulamin (ValueError: categories.veteran.unit_column: 'retired_flat' "
        f"nie jest kolumną kwot jednostki w units.csv (są: {', '.join(UNIT_FLAT_COLUMNS)})); każdy plik w folderze "
        "regulaminów musi mieć name, [[versions]], levels i split.")


def test_issue_28_a_close_with_such_a_rulebook_says_so_instead_of_crashing(tmp_path, monkeypatch):
    """It passed parse_rulebook and died in dues.py with polars' ColumnNotFoundError ("nieoczekiwany
    błąd programu"), even with the column present in units.csv (the staged units do not carry it)."""
    path = flat_column_rulebook(tmp_path, monkeypatch)
    unit = {"unit_id": "K1", "name": "Koło Wrocław", "region_id": "-", "voivodeship": "dolnośląskie",
            "raised_pct": "100", "retired_flat": "7.00", "rulebook": "kolejarze"}
    inbox = write_inbox(tmp_path / "inbox", units=[unit], members=[member("C", "veteran", unit="K1")])
    res = CliRunner().invoke(app, ["close", "--period", "2026-10", "--inbox", str(inbox), "--db",
                                   str(tmp_path / "x.duckdb"), "--engine", "plain"])
    assert res.exit_code != 0
    assert "nieoczekiwany" not in res.output and "ColumnNotFoundError" not in res.output
    assert f"{path}: to nie jest poprawny regulamin (ValueError: categories.veteran.unit_column: " in res.output
    assert not (tmp_path / "x.duckdb").exists() or duckdb.connect(str(tmp_path / "x.duckdb")).execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'dues'").fetchone()[0] == 0
