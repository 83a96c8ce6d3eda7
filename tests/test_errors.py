"""transforms/errors.py and data/catalogue.toml: every entry renders, in Polish, fully."""
from __future__ import annotations

import polars as pl
import pytest

from transforms.errors import (UserError, catalogue, entry, is_polish, issue, placeholders, render,
                               render_expr, text)

SECTIONS = ("messages", "problems", "fatal", "notes")
ENTRIES = [(s, code) for s in SECTIONS for code in catalogue()[s]]


def rendered(section: str, code: str) -> str:
    e = entry(section, code)
    if section in ("messages", "fatal"):
        return render(code, where="plik.csv, wiersz 3", **e["example"])
    return text(section, code, **e["example"])


@pytest.mark.parametrize("section,code", ENTRIES)
def test_every_catalogue_entry_renders_in_polish_with_every_placeholder_filled(section, code):
    e = entry(section, code)
    names = placeholders(e["text"]) + placeholders(e.get("hint", ""))
    assert set(names) <= set(e["example"]), f"example lacks {set(names) - set(e['example'])}"
    out = rendered(section, code)
    assert out.strip() and not [n for n in names if "{" + n + "}" in out]
    assert is_polish(out), out


def test_every_message_names_a_known_reason_code():
    reasons = set(catalogue()["reasons"])
    for code, e in catalogue()["messages"].items():
        assert e.get("reason", code) in reasons, code


def test_a_message_reads_where_text_hint():
    i = issue("unknown_member", source="income/lines.csv", row=2, member_id="M7")
    assert i.message == "income/lines.csv, wiersz 2: członek M7 nie figuruje w members.csv. Dodaj członka albo popraw numer."
    assert (i.reason_code, i.source, i.row, i.member_id) == ("unknown_member", "income/lines.csv", 2, "M7")


def test_the_vectorised_message_equals_the_scalar_one():
    df = pl.DataFrame({"where": ["income/lines.csv, wiersz 2"], "m": ["M7"]})
    out = df.select(render_expr("unknown_member", pl.col("where"), member_id=pl.col("m")))[0, 0]
    assert out == issue("unknown_member", source="income/lines.csv", row=2, member_id="M7").message


def test_a_missing_parameter_is_a_bug_not_a_blank():
    with pytest.raises(KeyError, match="member_id"):
        render("unknown_member")


def test_user_error_is_one_polish_sentence():
    e = UserError("missing_file", name="units.csv", folder="skrzynka", columns="unit_id")
    assert str(e) == "units.csv: brak w folderze skrzynka; plik jest wymagany (kolumny unit_id)."


def test_english_is_caught():
    assert not is_polish("the file is missing")
    assert is_polish("brak pliku units.csv")
