"""Bank CSV exports read through profiles that are data alone (data/bank_profiles/*.toml, issue 12).
No bank is named here: what differs between banks is in their profiles. Pure: bytes in, entries
and ``Issue`` records out.

A profile says:
    encoding, separator            how the file is written; the encoding is decided from the bytes
                                   (issue 31: a BOM → UTF-8; valid UTF-8 → UTF-8; else the
                                   profile's single-byte code page, Windows-1250 by default)
    signature                      header cells that identify it; the header row is the first
                                   row holding all of them (a leading '#' and quotes ignored)
    layout = "positional"          (issue 31) no header row: every field is read by ``position``
              columns              (1 = the first cell); every row has ``columns`` cells (a row
              preamble_lines       of another width is a bad row); the rows start after
                                   ``preamble_lines`` lines. The file is recognised by its shape:
                                   the own account's line holds a valid account at its position
                                   and the first row has ``columns`` cells
    apostrophe_quoting = true      the bank writes Excel's text marker ("'0710…'"): a leading
                                   apostrophe (or a pair around the cell) of a title or a name is
                                   removed; otherwise it is the payer's text and kept. Numbers
                                   (dates, amounts, accounts) never keep one
    skip_rows_with                 a row with a cell starting with one of these is a footer or a
                                   summary, skipped (e.g. "#Saldo końcowe")
    [date]    column, format       DD.MM.YYYY, YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY, YYYY.MM.DD
    [amount]  column               one signed amount, or debit_column + credit_column
              decimal, thousands   "," / "." and the thousands separators (" " and no-break space
                                   always allowed with a decimal comma)
              (a currency suffix "PLN", a leading "+" and apostrophe quoting are always read)
    [account], [title], [counterparty]
              column | columns     a named column (several are joined with a space), or
              position             the cell at that position (positional layouts), or
              label | labels       "Label: value" text in any cell of the row ("Tytuł: …")
              from_text = true     (account) the first checksum-valid NRB/IBAN in those cells
                                   that is not the statement's own account
    [own_account]                  the statement's own account (issue 27: a statement knows its
              column               level): the first NRB/IBAN in that column of a credit row;
                                   without it, the first one in the lines above the header
                                   (the preamble: "Wybrane rachunki", "#Rachunek"); none: unknown
              line [, position]    (issue 31) the first account in that line of the preamble (or
                                   in its cell at ``position``): a headerless export's line 1
    documentation                  where the layout is described

Profiles are validated when loaded (``load_profile``): an unknown key, a position outside the
row, an unknown date format, decimal separator or encoding is one ``bad_bank_profile`` error naming
the file and key. A loaded profile is a typed value (``BankProfile``, its fields ``Place``s) and an
importer (transforms.importers, issue 28): ``identify`` says whether a file is its own, ``extract``
reads its entries.

A row the csv module cannot read, a cell longer than MAX_CELL characters or an amount above the
caller's limit is one ``Issue`` naming its line; the rest of the file is used.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from transforms.errors import Issue, UserError, issue, text
from transforms.importers import Head, single_byte
from transforms.money import format_pl, parse_amount
from transforms.statements import accounts_in_text, bank_account_iban

DATE_FORMATS = {"DD.MM.YYYY": (r"(\d{2})\.(\d{2})\.(\d{4})", (3, 2, 1)),
                "YYYY-MM-DD": (r"(\d{4})-(\d{2})-(\d{2})", (1, 2, 3)),
                "DD-MM-YYYY": (r"(\d{2})-(\d{2})-(\d{4})", (3, 2, 1)),
                "DD/MM/YYYY": (r"(\d{2})/(\d{2})/(\d{4})", (3, 2, 1)),
                "YYYY.MM.DD": (r"(\d{4})\.(\d{2})\.(\d{2})", (1, 2, 3))}
HEADER_SEARCH_ROWS = 80
MAX_CELL = 2_000          # characters; a bank writes titles of at most 140 and descriptions of a few hundred


def cell(value: str) -> str:
    """A cell as the bank wrote it, spaces (and no-break spaces) trimmed; apostrophes kept."""
    return (value or "").strip().replace("\u00a0", " ").strip()


def unquoted(value: str) -> str:
    """A cell without Excel's text marker: a leading apostrophe or a pair around the cell."""
    v = cell(value)
    if len(v) >= 2 and v[0] == "'" and v[-1] == "'":
        v = v[1:-1]
    return v.lstrip("'").strip()


def header_name(value: str) -> str:
    return unquoted(value).lstrip("#").strip().strip('"').strip()


def parse_date(value: str, fmt: str) -> date | None:
    pattern, (y, m, d) = DATE_FORMATS[fmt]
    found = re.fullmatch(pattern, unquoted(value))
    if not found:
        return None
    try:
        return date(int(found.group(y)), int(found.group(m)), int(found.group(d)))
    except ValueError:
        return None


@dataclass(frozen=True)
class Place:
    """Where a field of a row is written (a [date], [amount], [account], … table of a profile): a
    named column (or several, joined), a position, a 'Label: value' cell, or a preamble ``line``;
    with the date ``format``, the amount's separators and the account's ``from_text``."""
    column: str | None = None
    columns: tuple[str, ...] = ()
    position: int | None = None
    labels: tuple[str, ...] = ()
    line: int | None = None
    from_text: bool = False
    format: str = "DD.MM.YYYY"
    decimal: str = ","
    thousands: str = ""
    debit_column: str | None = None
    credit_column: str | None = None

    @classmethod
    def of(cls, d: dict | None) -> "Place | None":
        if d is None:
            return None
        labels = [d["label"]] if "label" in d else d.get("labels", [])
        return cls(column=d.get("column"), columns=tuple(d.get("columns", ())), position=d.get("position"),
                   labels=tuple(labels), line=d.get("line"), from_text=bool(d.get("from_text")),
                   format=d.get("format", "DD.MM.YYYY"), decimal=d.get("decimal", ","),
                   thousands=d.get("thousands", ""), debit_column=d.get("debit_column"),
                   credit_column=d.get("credit_column"))


def amount_of(value: str, spec: Place) -> int | None:
    """A bank's amount cell -> grosze through the one parser (transforms.money.parse_amount) with
    the profile's [amount] decimal and thousands separators; a currency suffix ('PLN'), a leading
    '+' and Excel's apostrophe quoting are always read. None if not an amount."""
    return parse_amount(unquoted(value), spec.decimal, spec.thousands,
                        plus=True, currency=True, max_digits=None)


def decode(raw: bytes | Head, profile: "BankProfile") -> str | None:
    """The text of the file, its encoding decided from the bytes (issue 31): a UTF-8 BOM → UTF-8;
    bytes that are valid UTF-8 → UTF-8; else the profile's encoding when it is a single-byte code
    page (e.g. ISO-8859-2), Windows-1250 otherwise. The profile's word only breaks that tie: a bank
    that moved its export to UTF-8 with a BOM (2025) is read as it is, whatever its profile says."""
    head = raw if isinstance(raw, Head) else Head(raw)
    return head.decoded(single_byte(profile.encoding) or "cp1250").text     # a BOM is left to rows_of


def rows_of(content: str, profile: "BankProfile") -> list[tuple[int, list[str] | str]]:
    """(line number, cells) of every row, as the csv module reads the profile's separator; a row
    it cannot read (a field over the csv module's limit) is (line number, its error)."""
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff"), newline=""), delimiter=profile.separator)
    out: list[tuple[int, list[str] | str]] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return out
        except csv.Error as e:       # the reader goes on with the next line
            out.append((reader.line_num, str(e)))
            continue
        out.append((reader.line_num, cells))


def find_header(rows: list[tuple[int, list[str] | str]], profile: "BankProfile") -> int | None:
    """The index of the header row: the first row (of the first 80) holding every signature cell."""
    wanted = {header_name(s) for s in profile.signature}
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if isinstance(cells, list) and wanted <= {header_name(c) for c in cells}:
            return i
    return None


def positional(profile: "BankProfile") -> bool:
    return profile.layout == "positional"


def find_rows(rows: list[tuple[int, list[str] | str]], profile: "BankProfile") -> int | None:
    """The index of the first row of entries: after the header row, or (a positional layout) after
    the preamble lines when the file has the profile's shape; None when the profile does not fit."""
    if not positional(profile):
        header = find_header(rows, profile)
        return None if header is None else header + 1
    start, width = profile.preamble_lines, profile.columns
    own = profile.own_account
    by_line = own is not None and own.line is not None
    if by_line and not own_from_line(rows, own):
        return None
    first = next((cells for _, cells in rows[start:] if isinstance(cells, list) and any(cell(c) for c in cells)), None)
    if first is None and not by_line or first is not None and len(first) != width:
        return None
    return start


def expected_layout(profile: "BankProfile") -> str:
    """What a profile looks for, for the message naming a file no profile reads."""
    if not positional(profile):
        return ", ".join(profile.signature)
    own = profile.own_account
    return f"bez wiersza nagłówka, {profile.columns} kolumn" + (
        f", numer rachunku w wierszu {own.line}" if own is not None and own.line is not None else "")


def own_from_line(rows: list[tuple[int, list[str] | str]], spec: Place) -> str | None:
    """The statement's own account written in a preamble line (its cell at ``position``, or anywhere)."""
    line = spec.line - 1
    cells = rows[line][1] if line < len(rows) and isinstance(rows[line][1], list) else []
    if spec.position is not None:
        cells = cells[spec.position - 1:spec.position]
    found = accounts_in_text(" ".join(unquoted(c) for c in cells))
    return found[0] if found else None


def _columns(spec: Place) -> list[str]:
    return [header_name(c) for c in ([spec.column] if spec.column is not None else spec.columns)]


def _labelled(cells: list[str], labels: list[str]) -> str:
    """The value of the first 'Label: value' cell of the row with one of the labels (the label is
    the bank's: an apostrophe before it is Excel's marker)."""
    for label in labels:
        for c in cells:
            v = unquoted(c)
            if v.lower().startswith(label.lower() + ":"):
                return v[len(label) + 1:].strip()
    return ""


def field(cells: list[str], index: dict[str, int], spec: Place | None, quoting: bool = True) -> str:
    """The text of a field: a named column, a position or a 'Label: value' cell. ``quoting``: the
    file marks text with Excel's apostrophe (removed); otherwise an apostrophe is the payer's."""
    if not spec:
        return ""
    if spec.labels:
        return _labelled(cells, list(spec.labels))
    picks = [spec.position - 1] if spec.position is not None else [index[c] for c in _columns(spec) if c in index]
    values = [(unquoted if quoting else cell)(cells[i]) for i in picks if i < len(cells)]
    return " ".join(v for v in values if v)


def preamble_account(rows: list[tuple[int, list[str] | str]], header: int) -> str | None:
    """The first checksum-valid account written above the header row (the statement's own)."""
    found = [a for _, cells in rows[:header] if isinstance(cells, list) for a in accounts_in_text(" ".join(cells))]
    return found[0] if found else None


def _row_problem(cells: list[str] | str, profile: "BankProfile") -> str | None:
    if isinstance(cells, str):
        return text("problems", "statement_row_unreadable", limit=csv.field_size_limit())
    longest = max((len(c) for c in cells), default=0)
    if longest > MAX_CELL:
        return text("problems", "statement_cell_too_long", length=longest, limit=MAX_CELL)
    if positional(profile) and len(cells) != profile.columns and any(cell(c) for c in cells):
        return text("problems", "statement_row_width", found=len(cells), profile=profile.name,
                    columns=profile.columns)
    return None


def parse(rows: list[tuple[int, list[str] | str]], start: int, profile: "BankProfile", name: str, period: str | None = None,
          own: str | None = None, max_amount: int | None = None) -> tuple[list[dict], list[Issue]]:
    """Entries of a bank CSV export through its profile, from row ``start`` (``find_rows``); a row
    whose date or amount cannot be read is an ``Issue`` (naming its line) and the rest of the file
    is used; footers are skipped. Every entry carries ``own_account``: the statement's own
    account (None when the file does not say it)."""
    index: dict[str, int] = {}
    for i, h in enumerate([] if positional(profile) else rows[start - 1][1]):
        index.setdefault(header_name(h), i)      # a repeated column name ("Waluta"): the first
    date_spec, amount_spec = profile.date, profile.amount
    footers = [f.lower() for f in profile.skip_rows_with]
    own_spec = profile.own_account
    by_line = own_spec is not None and own_spec.line is not None
    own = own or (own_from_line(rows, own_spec) if by_line else None) or preamble_account(rows, start)
    row_own_spec = None if by_line else own_spec
    quoting = profile.apostrophe_quoting
    entries, issues = [], []
    for line, cells in rows[start:]:
        unreadable = _row_problem(cells, profile)
        if unreadable:
            issues.append(issue("bad_statement_row", source=name, row=line, command="reconcile", period=period,
                                problems=[unreadable]))
            continue
        if not any(cell(c) for c in cells):
            continue
        if any(cell(c).lower().startswith(f) for c in cells for f in footers):
            continue
        raw_date = field(cells, index, date_spec)
        booked = parse_date(raw_date, date_spec.format)
        if amount_spec.debit_column is not None:
            debit_raw = field(cells, index, Place(column=amount_spec.debit_column))
            credit_raw = field(cells, index, Place(column=amount_spec.credit_column))
            debit = amount_of(debit_raw, amount_spec) if debit_raw else 0
            credit = amount_of(credit_raw, amount_spec) if credit_raw else 0
            raw_amount = credit_raw or debit_raw
            amount = None if debit is None or credit is None or not (debit_raw or credit_raw) \
                else abs(credit) - abs(debit)
        else:
            raw_amount = field(cells, index, amount_spec)
            amount = amount_of(raw_amount, amount_spec)
        problems = []
        if booked is None:
            problems.append(text("problems", "statement_date_bad", value=raw_date,
                                 format=date_spec.format))
        if amount is None:
            problems.append(text("problems", "statement_amount_bad", value=raw_amount,
                                 decimal=amount_spec.decimal))
        elif max_amount is not None and abs(amount) > max_amount:
            problems.append(text("problems", "statement_amount_too_large", value=raw_amount,
                                 limit=format_pl(max_amount)))
        if problems:
            issues.append(issue("bad_statement_row", source=name, row=line, command="reconcile",
                                period=period, problems=problems))
            continue
        account_spec = profile.account
        account_text = field(cells, index, account_spec)
        if account_spec and account_spec.from_text:
            found = [a for a in accounts_in_text(account_text) if a != own]
            account = found[0] if found else None
        else:
            account = bank_account_iban(account_text)
        row_own = accounts_in_text(field(cells, index, row_own_spec)) if amount > 0 else []
        entries.append({"statement": name, "entry": line, "key": f"{name}#{line}", "booking_date": booked,
                        "amount": amount, "direction": "credit" if amount > 0 else "debit", "account": account,
                        "own_account": row_own[0] if row_own else own,
                        "counterparty": field(cells, index, profile.counterparty, quoting),
                        "title": re.sub(r"\s+", " ", field(cells, index, profile.title, quoting)).strip()})
    return entries, issues


def read(raw: bytes, profiles: "list[BankProfile]", name: str, period: str | None = None,
         own: str | None = None, max_amount: int | None = None) -> "tuple[list[dict], list[Issue], BankProfile | None]":
    """The first profile whose header signature is found reads the file; a positional profile
    (no header: recognised by shape alone) only when no header profile does. Returns (entries,
    issues, the profile used or None). The bytes are decoded once (a ``Head``) for every profile."""
    head, path = Head(raw, name), Path(name)
    for profile in sorted(profiles, key=positional):
        if profile.identify(path, head):
            entries, issues = profile.extract(path, head, period=period, own=own, max_amount=max_amount)
            return entries, issues, profile
    return [], [], None


@dataclass(frozen=True)
class BankProfile:
    """A bank CSV layout, checked when loaded (``load_profile``); an importer (transforms.importers)."""
    name: str
    bank: str
    date: Place
    amount: Place
    documentation: str = ""
    encoding: str = "cp1250"
    separator: str = ";"
    signature: tuple[str, ...] = ()
    skip_rows_with: tuple[str, ...] = ()
    layout: str = "header"                 # header | positional
    columns: int | None = None             # a positional layout's cells per row
    preamble_lines: int = 0
    apostrophe_quoting: bool = False
    account: Place | None = None
    own_account: Place | None = None
    title: Place | None = None
    counterparty: Place | None = None

    @classmethod
    def of(cls, d: dict) -> "BankProfile":
        """The typed value of a profile's TOML table (``load_profile`` checks it first)."""
        return cls(name=d.get("name", ""), bank=d.get("bank", ""), date=Place.of(d["date"]), amount=Place.of(d["amount"]),
                   documentation=d.get("documentation", ""), encoding=d.get("encoding", "cp1250"),
                   separator=d.get("separator", ";"), signature=tuple(d.get("signature", ())),
                   skip_rows_with=tuple(d.get("skip_rows_with", ())), layout=d.get("layout", "header"),
                   columns=d.get("columns"), preamble_lines=d.get("preamble_lines", 0),
                   apostrophe_quoting=bool(d.get("apostrophe_quoting")), account=Place.of(d.get("account")),
                   own_account=Place.of(d.get("own_account")), title=Place.of(d.get("title")),
                   counterparty=Place.of(d.get("counterparty")))

    def _rows(self, head: Head) -> tuple[list[tuple[int, list[str] | str]], int | None]:
        content = decode(head, self)
        if content is None:
            return [], None
        rows = rows_of(content, self)
        return rows, find_rows(rows, self)

    def identify(self, path: Path, head: Head) -> bool:
        """The file decodes as this profile's and has its header (or, positional, its shape)."""
        return self._rows(head)[1] is not None

    def extract(self, path: Path, head: Head, period: str | None = None, own: str | None = None,
                max_amount: int | None = None) -> tuple[list[dict], list[Issue]]:
        """The file's entries and the records of rows that could not be read (``parse``)."""
        rows, start = self._rows(head)
        return parse(rows, start, self, path.name, period, own, max_amount)


# ------------------------------------------------------------------ profiles, validated when loaded (issue 31)

FIELDS = {"date": {"column", "position", "format"},
          "amount": {"column", "position", "decimal", "thousands", "debit_column", "credit_column"},
          "account": {"column", "columns", "position", "label", "labels", "from_text"},
          "own_account": {"column", "position", "line"},
          "title": {"column", "columns", "position", "label", "labels"},
          "counterparty": {"column", "columns", "position", "label", "labels"}}
TOP = {"name", "bank", "documentation", "encoding", "separator", "signature", "skip_rows_with", "layout", "columns",
       "preamble_lines", "apostrophe_quoting"} | set(FIELDS)


def load_profile(content: str, name: str) -> BankProfile:
    """A bank profile from its TOML text, checked: an unknown key, a missing one, a position outside
    the row, an unknown date format, encoding or layout is a ``UserError`` naming the file and key."""
    try:
        d = tomllib.loads(content)
    except tomllib.TOMLDecodeError as e:
        raise UserError("bad_bank_profile", file=name, key="(składnia TOML)", detail=str(e)) from None
    _check_profile(d, name)
    return BankProfile.of(d)


def _bad(name: str, key: str, detail: str) -> UserError:
    return UserError("bad_bank_profile", file=name, key=key, detail=detail)


def _check_profile(d: dict, name: str) -> None:
    unknown = sorted(set(d) - TOP)
    if unknown:
        raise _bad(name, unknown[0], "nieznany klucz")
    layout = d.get("layout", "header")
    if layout not in ("header", "positional"):
        raise _bad(name, "layout", f"'{layout}': dozwolone 'header' albo 'positional'")
    for key in ["name", "bank", "date", "amount"] + (["columns"] if layout == "positional" else ["signature"]):
        if key not in d:
            raise _bad(name, key, "brak klucza")
    for key in ("columns", "preamble_lines"):
        if key in d and not _whole(d[key], 0):
            raise _bad(name, key, f"{d[key]!r} nie jest liczbą całkowitą")
    try:
        codecs.lookup(d.get("encoding", "cp1250"))
    except (LookupError, TypeError):
        raise _bad(name, "encoding", f"nieznane kodowanie {d.get('encoding')!r}") from None
    if not isinstance(d.get("separator", ";"), str) or len(d.get("separator", ";")) != 1:
        raise _bad(name, "separator", f"{d.get('separator')!r}: jeden znak, np. ';'")
    for key in ("signature", "skip_rows_with"):
        if key in d and not _texts(d[key]):
            raise _bad(name, key, 'oczekiwano listy tekstów, np. ["Data", "Kwota"]')
    for part in FIELDS:
        if part in d:
            _check_field(d, part, layout, name)
    fmt = d["date"].get("format", "DD.MM.YYYY")
    if fmt not in DATE_FORMATS:
        raise _bad(name, "date.format", f"'{fmt}': znane formaty {', '.join(DATE_FORMATS)}")


def _texts(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _whole(value, low: int, high: int | None = None) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low and (high is None or value <= high)


def _check_field(d: dict, part: str, layout: str, name: str) -> None:
    spec = d[part]
    if not isinstance(spec, dict):
        raise _bad(name, part, 'oczekiwano tabeli, np. { column = "Kwota" }')
    unknown = sorted(set(spec) - FIELDS[part])
    if unknown:
        raise _bad(name, f"{part}.{unknown[0]}", "nieznany klucz")
    if part in ("date", "amount") and not {"column", "position", "debit_column"} & set(spec):
        raise _bad(name, part, "podaj column" + (" albo position" if layout == "positional" else ""))
    # issue 28: every value of the right kind, so that no file read through the profile crashes
    for key in ("column", "label", "debit_column", "credit_column", "thousands"):
        if key in spec and not isinstance(spec[key], str):
            raise _bad(name, f"{part}.{key}", f"{spec[key]!r}: oczekiwano tekstu w cudzysłowach")
    for key in ("columns", "labels"):
        if key in spec and not _texts(spec[key]):
            raise _bad(name, f"{part}.{key}", 'oczekiwano listy tekstów, np. ["Tytuł", "Opis"]')
    if ("debit_column" in spec) != ("credit_column" in spec):
        raise _bad(name, f"{part}.{'credit_column' if 'debit_column' in spec else 'debit_column'}",
                   "brak klucza: kolumny obciążeń i uznań podaje się razem")
    if spec.get("decimal", ",") not in (",", "."):
        raise _bad(name, f"{part}.decimal", f"{spec['decimal']!r}: dozwolone ',' albo '.'")
    if "line" in spec:
        last = d.get("preamble_lines", 0) if layout == "positional" else HEADER_SEARCH_ROWS
        if not _whole(spec["line"], 1, last):
            raise _bad(name, f"{part}.line", f"{spec['line']!r} poza zakresem 1–{last} (wiersze opisu rachunku)")
    if "position" in spec:
        if layout != "positional" and "line" not in spec:
            raise _bad(name, f"{part}.position", "pozycja kolumny tylko w układzie bez nagłówka (layout = 'positional')")
        last = d["columns"] if layout == "positional" else MAX_CELL
        if not _whole(spec["position"], 1, last):
            raise _bad(name, f"{part}.position", f"{spec['position']!r} poza zakresem 1–{last}")
