"""Typed error records and the one catalogue of Polish messages (data/catalogue.toml).

Every problem any command finds is an ``Issue``: which command, which file, row and column, the
value, the member/unit/region/person it concerns, the reason code (an English identifier, as
CONTRACT.md lists them) and the parameters its message was rendered from. The message is Polish,
rendered from the catalogue's template, so a treasurer reads the same words in the workbook, on
the terminal and in Prefect's log. Amounts inside messages are written ``1 234,56 zł``
(``money.format_pl``). A run that cannot be done at all raises ``UserError``: one Polish message,
exit status 1, nothing written.
"""
from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import polars as pl

def _catalogue_path() -> Path:
    try:
        from importlib.resources import files
        return Path(str(files("skladki_data"))) / "catalogue.toml"
    except ModuleNotFoundError:                      # a clone without the editable install
        return Path(__file__).resolve().parents[1] / "data" / "catalogue.toml"


CATALOGUE = _catalogue_path()

# where the parsed catalogue may be read from, given its text (the command line puts its cached
# parse here: flows/library_tables.py); None from a source: not there, the text is parsed
CATALOGUE_SOURCES: list[Callable[[str], dict | None]] = []


@lru_cache(maxsize=None)
def catalogue() -> dict:
    text = CATALOGUE.read_text(encoding="utf-8")
    for source in CATALOGUE_SOURCES:
        parsed = source(text)
        if isinstance(parsed, dict):
            return parsed
    return tomllib.loads(text)


class _Strict(dict):
    def __missing__(self, key):
        raise KeyError(f"message parameter {key!r} missing")


def _fill(template: str, params: dict) -> str:
    return template.format_map(_Strict({k: "" if v is None else v for k, v in params.items()}))


def placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def entry(section: str, code: str) -> dict:
    try:
        return catalogue()[section][code]
    except KeyError:
        raise KeyError(f"catalogue has no {section}.{code}") from None


def text(section: str, code: str, **params) -> str:
    """One catalogue text (a problem, a note, a label) filled with its parameters."""
    return _fill(entry(section, code)["text"], params)


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


def sentence(body: str, hint: str | None = None, where: str | None = None, capital: bool = True) -> str:
    """'where: body. Hint.' — how every message reads. ``capital=False`` when the body starts with
    a value (a file name, an id), which keeps its own spelling."""
    out = f"{where}: {body}" if where else (_capital(body) if capital else body)
    if hint:
        out = out.rstrip(".") + ". " + _capital(hint)
    return out.rstrip(".") + "."


def render(code: str, where: str | None = None, **params) -> str:
    """The Polish message of catalogue entry ``messages.<code>`` (or ``fatal.<code>``)."""
    section = "messages" if code in catalogue()["messages"] else "fatal"
    e = entry(section, code)
    hint = _fill(e["hint"], params) if e.get("hint") else None
    return sentence(_fill(e["text"], params), hint, where, capital=not e["text"].startswith("{"))


def reason_of(code: str) -> str:
    return catalogue()["messages"][code].get("reason", code)


def where(source: str | None, row: int | None = None, subject: str | None = None) -> str | None:
    """'members.csv, wiersz 2 (członek M2)' — the place a message points to."""
    if not source:
        return subject
    out = f"{source}, wiersz {row}" if row is not None else source
    return f"{out} ({subject})" if subject else out


# A PESEL as people write it (issues 26, 27): 11 digits — or 10, a spreadsheet dropped the leading
# zero — run together or split by spaces (any, tabs, no-break), hyphens or dashes in any grouping
# ('850101 12346', '85-01-01-12346', '850101 - 12346'). Digits joined by such gaps are read as one
# run, so an account number (26 digits, in fours) or an amount's groups are never taken apart; in
# a run, what is PESEL-like (``_pesel_spans``) is masked. Amounts are never caught: digits next to
# a decimal separator are an amount's, and within the sanity limit an amount has at most 8 digits
# of złoty.
_GAP = " \t\u00a0\u2007\u2009\u202f"
_SEP = f"(?:[{_GAP}]{{1,3}}|[{_GAP}]{{0,2}}[-\u2010\u2011\u2012\u2013\u2014][{_GAP}]{{0,2}})"
_RUN = re.compile(f"[0-9]+(?:{_SEP}[0-9]+)*")
_PESEL_CANDIDATE = f"[0-9](?:{_SEP}?[0-9]){{9}}"      # every text ``mask_personal`` may change matches it
MASK = "[PESEL ukryty]"


def _pesel_like(digits: str, strict: bool) -> bool:
    """11 digits (10: zero-padded) with a PESEL's check digit and birth date (``strict``), or with
    either of them — a PESEL mistyped in one digit keeps the other, and is still someone's."""
    from stdnum.exceptions import ValidationError
    from stdnum.pl import pesel
    d = digits.zfill(11)
    check = d[10] == pesel.calc_check_digit(d[:10])
    try:
        pesel.get_birth_date(d)
        born = True
    except ValidationError:
        born = False
    return (check and born) if strict else (check or born)


def _pesel_spans(text: str, run: re.Match) -> list[tuple[int, int]]:
    """The PESEL-like stretches of one run of digit groups: a group of exactly 11 digits (a PESEL's
    own spelling; also mistyped); the whole run of 11 digits if PESEL-like, of 10 if PESEL-like
    padded and not glued to letters (an MT940 line's dates); inside a longer run, consecutive groups
    of 11 digits only with a valid check digit and birth date. Groups touching a decimal separator
    belong to an amount."""
    groups = [(m.start() + run.start(), m.end() + run.start()) for m in re.finditer("[0-9]+", run.group())]
    amount_before = re.search(r"[0-9][.,]$", text[:run.start()]) is not None
    amount_after = re.match(r"[.,][0-9]", text[run.end():]) is not None
    letters = re.search("[A-Za-z]$", text[:run.start()]) or re.match("[A-Za-z]", text[run.end():])
    spans, i = [], 0
    while i < len(groups):
        for j in range(i, len(groups)):
            digits = "".join(text[a:b] for a, b in groups[i:j + 1])
            if len(digits) > 11:
                break
            whole = i == 0 and j == len(groups) - 1
            amount = (i == 0 and amount_before) or (j == len(groups) - 1 and amount_after)
            if (i == j and len(digits) == 11) or (not amount and (
                    (whole and len(digits) == 11 and _pesel_like(digits, strict=False))
                    or (whole and len(digits) == 10 and not letters and _pesel_like(digits, strict=False))
                    or (len(digits) == 11 and _pesel_like(digits, strict=True)))):
                spans.append((groups[i][0], groups[j][1]))
                i = j
                break
        i += 1
    return spans


def mask_personal(value: str | None) -> str | None:
    """Every PESEL-like number (``_pesel_spans``) is never shown beyond the unit: messages and
    titles that reach the region or the national level carry member numbers, the row tells the
    unit where to look."""
    if value is None or re.search(_PESEL_CANDIDATE, value) is None:
        return value
    out, last = [], 0
    for run in _RUN.finditer(value):
        for a, b in _pesel_spans(value, run):
            out += [value[last:a], MASK]
            last = b
    return "".join(out) + value[last:]


HIDDEN = "[wartość ukryta]"


def without_values(message: str | None, value: str | None = None) -> str | None:
    """A message as a region or national output shows it: every quoted value ('…', a cell as
    typed: a name in an amount cell, a member's mistyped date) replaced by ``HIDDEN`` — the file,
    row and column stay; the unit's own workbook quotes them. ``value``: the row's typed value,
    matched whole first (it may hold an apostrophe itself)."""
    if message is None:
        return None
    if value:
        message = message.replace(f"'{value}'", HIDDEN)
    return re.sub(r"'[^'\n]*'", HIDDEN, message)


@dataclass(frozen=True)
class Issue:
    """One problem found by a command: a row of its exceptions table."""
    reason_code: str
    message: str
    command: str = "close"
    source: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    member_id: str | None = None
    unit_id: str | None = None
    region_id: str | None = None
    person_id: str | None = None
    period: str | None = None
    params: dict = field(default_factory=dict, compare=False, hash=False)

    def as_row(self) -> dict:
        return {"period": self.period, "source": self.source, "row": self.row,
                "member_id": self.member_id, "reason_code": self.reason_code, "message": self.message,
                "unit_id": self.unit_id, "region_id": self.region_id, "person_id": self.person_id,
                "column_name": self.column, "value": self.value, "command": self.command}


def issue(code: str, *, source: str | None = None, row: int | None = None, subject: str | None = None,
          problems: list[str] | None = None, command: str = "close", period: str | None = None,
          column: str | None = None, value: str | None = None, member_id: str | None = None,
          unit_id: str | None = None, region_id: str | None = None, person_id: str | None = None,
          located: bool = True, **params) -> Issue:
    """Build a record from catalogue entry ``messages.<code>``; ``problems`` (rendered problem
    texts) fill its ``{problems}`` placeholder, joined with '; '. ``located=False``: the source is
    stored but the message does not start with it (a problem of the member, not of a row)."""
    if problems is not None:
        params["problems"] = "; ".join(problems)
    all_params = dict(params, member_id=member_id, unit_id=unit_id, region_id=region_id,
                      person_id=person_id, period=period, column=column, value=value, source=source)
    message = render(code, where(source, row, subject) if located else subject, **all_params)
    return Issue(reason_of(code), mask_personal(message), command, source, row, column, mask_personal(value),
                 member_id, unit_id, region_id, person_id, period, params)


ISSUE_SCHEMA = {"period": pl.String, "source": pl.String, "row": pl.Int64, "member_id": pl.String,
                "reason_code": pl.String, "message": pl.String, "unit_id": pl.String,
                "region_id": pl.String, "person_id": pl.String, "column_name": pl.String,
                "value": pl.String, "command": pl.String}


def issues_frame(issues: list[Issue] | list[dict]) -> pl.DataFrame:
    rows = [i.as_row() if isinstance(i, Issue) else i for i in issues]
    return pl.DataFrame(rows, schema=ISSUE_SCHEMA)


def render_expr(code: str, where_expr: pl.Expr | None = None, **params) -> pl.Expr:
    """The vectorised ``render``: parameters are polars expressions (or plain values), so the
    messages of a million income lines are made without a Python loop."""
    e = entry("messages", code)
    parts: list[pl.Expr] = []
    if where_expr is not None:
        parts += [where_expr, pl.lit(": ")]
    parts += _template_parts(e["text"], params, capital=where_expr is None)
    if e.get("hint"):
        parts.append(pl.lit(". "))
        parts += _template_parts(e["hint"], params, capital=True)
    parts.append(pl.lit("."))
    return mask_expr(pl.concat_str(parts))


def text_expr(section: str, code: str, **params) -> pl.Expr:
    """The vectorised ``text``: one catalogue text whose parameters are polars expressions."""
    return pl.concat_str(_template_parts(entry(section, code)["text"], params, capital=False))


def _template_parts(template: str, params: dict, capital: bool) -> list[pl.Expr]:
    """A template's literal words and its parameters (expressions or plain values; null -> '')."""
    parts = []
    for i, (lit, name, _, _) in enumerate(string.Formatter().parse(template)):
        if lit:
            parts.append(pl.lit(_capital(lit) if capital and i == 0 else lit))   # i == 0: the text's own words
        if name:
            v = params[name]
            parts.append(v.cast(pl.String).fill_null("") if isinstance(v, pl.Expr) else pl.lit(str(v)))
    return parts


def mask_expr(expr: pl.Expr) -> pl.Expr:
    """The vectorised ``mask_personal``. polars' regex has no look-around, so the few texts holding
    ten digits in a run (a polars test, vectorised) are masked by ``mask_personal`` itself: the
    two can never differ."""
    return expr.map_batches(_mask_series, return_dtype=pl.String)


def _mask_series(s: pl.Series) -> pl.Series:
    hit = s.str.contains(_PESEL_CANDIDATE).fill_null(False)
    if not hit.any():
        return s
    where = hit.arg_true()
    return s.scatter(where, [mask_personal(v) for v in s.gather(where).to_list()])


class UserError(Exception):
    """A run that cannot be done: one Polish message from ``fatal.<code>``, exit 1, nothing written."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(render(code, **params))


def is_polish(s: str) -> bool:
    """Crude but strict enough for the catalogue test: Polish words, no English ones."""
    english = re.compile(r"\b(the|is|not|and|with|must|missing|cannot|file|row|member|unit|fix|add)\b")
    polish = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]|\b(nie|jest|oraz|albo|lub|w|z|do|na|dla|brak|wiersz|wg)\b")
    stripped = re.sub(r"'[^']*'|\{[^}]*\}|[a-z_]+\.(csv|xlsx|toml)|--[a-z-]+|\b[a-z]+_[a-z_]+\b", " ", s)
    return bool(polish.search(stripped)) and not english.search(stripped)
