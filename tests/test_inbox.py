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


def test_non_utf8_file_is_named(tmp_path):
    inbox = write_inbox(tmp_path)
    (inbox / "members.csv").write_bytes("member_id,unit_id,category,joined_on\nM1,U1,employee,2020-01-01,Łukasz\n"
                                        .encode("cp1250"))
    with pytest.raises(UserError, match=r"members.csv: to nie jest tekst UTF-8 \(bajt \d+\). Zapisz go jako CSV UTF-8"):
        read_inbox(inbox, "2026-10")


def test_both_csv_and_xlsx_is_ambiguous(tmp_path):
    inbox = write_inbox(tmp_path)
    (inbox / "units.xlsx").write_bytes(b"")
    with pytest.raises(UserError, match="są jednocześnie units.csv i units.xlsx"):
        read_inbox(inbox, "2026-10")
