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


# ---------------------------------------------------------------- issue 26: no PESEL-like number unmasked

from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

from transforms.errors import mask_expr, mask_personal  # noqa: E402


def test_issue_26_a_pesel_is_masked_however_it_is_spelled_and_amounts_never_are():
    for shown in ("85010112346", "2271409867", "850101 12346", "85-01-01-12346", "850101\u00a012346",
                  "85 01 01 12 34 6"):
        assert mask_personal(f"PESEL '{shown}' jest niepoprawny") == "PESEL '[PESEL ukryty]' jest niepoprawny"
    for kept in ("kwota '1234567890.12'", "10 000 000,00 zł", "184467440737100516.16", "2026-10-01",
                 "PL61 1090 1014 0000 0712 1981 2874", "61109010140000071219812874", "członek M0000001",
                 "1 234 567 890,12 zł", "wiersz 394", "600-123-456"):
        assert mask_personal(kept) == kept


@hsettings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -.,\u00a0aM'", max_size=30))
def test_issue_26_the_vectorised_mask_equals_mask_personal(text):
    out = pl.DataFrame({"m": [text, None]}).select(mask_expr(pl.col("m")))["m"].to_list()
    assert out == [mask_personal(text), None]
