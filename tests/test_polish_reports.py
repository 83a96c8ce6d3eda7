"""Issue 26 points 8–9 in what people read: counts in Polish, codes with their Polish labels,
citations as the union names them, and every sheet set up to print legibly on A4."""
from __future__ import annotations

import re

from openpyxl import load_workbook

from flows.close import CLOSE
from flows.command import run_plain
from tests.conftest import line, member, write_inbox
from transforms.errors import catalogue


def _close(tmp_path, income, members=None):
    inbox = write_inbox(tmp_path / "in", members=members or [member("M1"), member("M2"), member("M3")],
                        income=income)
    said: list[str] = []
    outcome = run_plain(CLOSE, said.append, period="2026-10", inbox=inbox, db=tmp_path / "c.duckdb",
                        out=tmp_path / "out", unit_workbooks=True)
    assert outcome.ok, outcome.message
    return outcome, said


def test_issue_26_a_close_counts_its_rows_in_polish(tmp_path):
    outcome, said = _close(tmp_path, [line("M1", "wage", "1000.00"), line("M2", "wage", "1000.00"),
                                      line("M3", "wage", "1000.00")])
    assert any("3 członków, 3 wiersze dochodu" in s for s in said), said
    summary = CLOSE.summary(outcome.run, outcome.result)
    assert "3 wierszy" not in summary and "czł." not in summary
    assert "pracownik" in summary and "3 członków" in summary
    # a rulebook version as people read it, never its id
    assert "NSZZ „Solidarność”, od 1 stycznia 2006" in summary and "solidarnosc@" not in summary


def test_issue_26_no_english_code_in_the_unit_workbook_without_its_polish_label(tmp_path):
    """The treasurer's Wyjątki sheet: every Kod reads 'label (code)', the label from the catalogue."""
    _close(tmp_path, [line("M1", "wage", "1000.00"), line("M9", "wage", "10.00")])   # M2, M3 without income; M9 unknown
    wb = load_workbook(tmp_path / "out" / "jednostki" / "skladki_U1_2026-10.xlsx")
    ws = wb["Wyjątki"]
    header = [c.value for c in ws[1]]
    codes = [r[header.index("Kod")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert "brak dochodu (missing_income)" in codes and "nieznany członek (unknown_member)" in codes
    labels = {code: e["label"] for code, e in catalogue()["reasons"].items()}
    for shown in codes:
        m = re.fullmatch(r"(.+) \(([a-z_]+)\)", shown)
        assert m and labels[m.group(2)] == m.group(1), shown
    # the seed number is never printed as if it were a citation
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and re.search(r"(?<![\w/])00[0-4] §", v) for v in row), row


def test_issue_26_every_sheet_of_the_unit_workbook_prints_on_a4(tmp_path):
    _close(tmp_path, [line("M1", "wage", "1000.00"), line("M2", "wage", "2000.00"), line("M3", "wage", "3000.00")])
    wb = load_workbook(tmp_path / "out" / "jednostki" / "skladki_U1_2026-10.xlsx")
    assert wb.sheetnames[:2] == ["Rozliczenie", "Podsumowanie"]
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, ws.title
    # forms: one portrait page; tables: the header row on every page, wide ones landscape
    for title in ("Rozliczenie", "Podsumowanie"):
        assert wb[title].page_setup.orientation == "portrait"
    for title in ("Składki członków", "Wyjątki", "Potrącenia do wyjaśnienia"):
        assert wb[title].print_title_rows == "$1:$1" and wb[title].page_setup.orientation == "landscape", title
    # the unit's summary is a page of label and value, not a 22-column row
    summary = {r[0]: r[1] for r in wb["Podsumowanie"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert summary["Jednostka"] == "U1" and summary["Regulamin"] == "NSZZ „Solidarność” (solidarnosc)"
    assert summary["Razem składki"] == 49.2
    # the explanation column wraps instead of widening the page
    members = wb["Składki członków"]
    last = members.cell(row=2, column=members.max_column)
    assert last.alignment.wrap_text and members.column_dimensions[last.column_letter].width <= 61


def test_issue_26_the_close_workbooks_widest_sheet_prints_with_its_key_on_every_page(tmp_path):
    outcome, _ = _close(tmp_path, [line("M1", "wage", "1000.00")], members=[member("M1")])
    ws = load_workbook(outcome.workbook)["Podsumowanie"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    # 22 columns would shrink to an unreadable scale on one page: two pages wide, unit and name repeated
    assert ws.page_setup.fitToWidth == 2 and ws.print_title_cols == "$A:$B"


def test_issue_26_benefit_kinds_and_relations_are_read_in_polish(tmp_path):
    import polars as pl

    from flows import settings
    from reports.benefits import _rows, labels
    from transforms.rulebook import load_rulebooks, resolve
    rules = resolve(load_rulebooks(settings.RULEBOOKS), "2026-10")
    frame = pl.DataFrame([{"claim_id": "Z1", "member_id": "M1", "kind": "death_member", "event_date": None,
                           "documents_on": None, "relation": "cousin", "decision": "refused", "amount": None,
                           "payer": None, "reason": "x"}])
    row = _rows(frame, {}, {}, labels(rules))[0]
    assert row[3] == "śmierć członka Związku (death_member)" and row[6] == "cousin"
    frame = frame.with_columns(pl.lit("spouse").alias("relation"))
    assert _rows(frame, {}, {}, labels(rules))[0][6] == "małżonek (spouse)"
