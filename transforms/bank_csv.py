"""Bank CSV exports read through profiles that are data alone (data/bank_profiles/*.toml, issue 12).
No bank is named here: what differs between banks is in their profiles. Pure: bytes in, entries
and ``Issue`` records out.

A profile says:
    encoding, separator            how the file is written
    signature                      header cells that identify it; the header row is the first
                                   row holding all of them (a leading '#' and quotes ignored)
    skip_rows_with                 a row with a cell starting with one of these is a footer or a
                                   summary, skipped (e.g. "#Saldo końcowe")
    [date]    column, format       DD.MM.YYYY, YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY, YYYY.MM.DD
    [amount]  column               one signed amount, or debit_column + credit_column
              decimal, thousands   "," / "." and the thousands separators (" " and no-break space
                                   always allowed with a decimal comma)
              (a currency suffix "PLN", a leading "+" and apostrophe quoting are always read)
    [account], [title], [counterparty]
              column | columns     a named column (several are joined with a space), or
              label | labels       "Label: value" text in any cell of the row ("Tytuł: …")
              from_text = true     (account) the first checksum-valid NRB/IBAN in those cells
                                   that is not the statement's own account
    [own_account]                  the statement's own account (issue 27: a statement knows its
              column               level): the first NRB/IBAN in that column of a credit row;
                                   without it, the first one in the lines above the header
                                   (the preamble: "Wybrane rachunki", "#Rachunek"); none: unknown
    documentation                  where the layout is described

A row the csv module cannot read, a cell longer than MAX_CELL characters or an amount above the
caller's limit is one ``Issue`` naming its line; the rest of the file is used.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date

from transforms.errors import Issue, issue, text
from transforms.money import format_pl
from transforms.statements import accounts_in_text, bank_account_iban

DATE_FORMATS = {"DD.MM.YYYY": (r"(\d{2})\.(\d{2})\.(\d{4})", (3, 2, 1)),
                "YYYY-MM-DD": (r"(\d{4})-(\d{2})-(\d{2})", (1, 2, 3)),
                "DD-MM-YYYY": (r"(\d{2})-(\d{2})-(\d{4})", (3, 2, 1)),
                "DD/MM/YYYY": (r"(\d{2})/(\d{2})/(\d{4})", (3, 2, 1)),
                "YYYY.MM.DD": (r"(\d{4})\.(\d{2})\.(\d{2})", (1, 2, 3))}
HEADER_SEARCH_ROWS = 80
MAX_CELL = 2_000          # characters; a bank writes titles of at most 140 and descriptions of a few hundred


def cell(value: str) -> str:
    """A cell as the bank meant it: apostrophe quoting (Excel's text marker) and spaces removed."""
    v = (value or "").strip().replace("\u00a0", " ")
    if len(v) >= 2 and v[0] == "'" and v[-1] == "'":
        v = v[1:-1]
    return v.lstrip("'").strip()


def header_name(value: str) -> str:
    return cell(value).lstrip("#").strip().strip('"').strip()


def parse_date(value: str, fmt: str) -> date | None:
    pattern, (y, m, d) = DATE_FORMATS[fmt]
    found = re.fullmatch(pattern, cell(value))
    if not found:
        return None
    try:
        return date(int(found.group(y)), int(found.group(m)), int(found.group(d)))
    except ValueError:
        return None


def parse_amount(value: str, spec: dict) -> int | None:
    """'1 234,56 PLN', '+415.97', "'98,40'", '-1.234,56' (thousands '.') -> grosze; None if not an
    amount. Exactly two decimal places or none; nothing else is guessed."""
    v = cell(value)
    v = re.sub(r"\s*[A-Z]{3}$", "", v)                      # a currency suffix
    decimal = spec.get("decimal", ",")
    thousands = spec.get("thousands", "")
    v = re.sub(r"[ \u00a0]", "", v) if decimal == "," or " " in thousands else v
    for t in thousands.replace(" ", ""):
        if t != decimal:
            v = v.replace(t, "")
    if decimal == ",":
        if "." in v:
            return None
        v = v.replace(",", ".")
    found = re.fullmatch(r"([+-]?)(\d+)(?:\.(\d{1,2}))?", v)
    if not found:
        return None
    value_gr = int(found.group(2)) * 100 + int((found.group(3) or "").ljust(2, "0"))
    return -value_gr if found.group(1) == "-" else value_gr


def decode(raw: bytes, profile: dict) -> str | None:
    try:
        return raw.decode(profile.get("encoding", "utf-8"))
    except UnicodeDecodeError:
        return None


def rows_of(content: str, profile: dict) -> list[tuple[int, list[str] | str]]:
    """(line number, cells) of every row, as the csv module reads the profile's separator; a row
    it cannot read (a field over the csv module's limit) is (line number, its error)."""
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff"), newline=""), delimiter=profile.get("separator", ";"))
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


def find_header(rows: list[tuple[int, list[str] | str]], profile: dict) -> int | None:
    """The index of the header row: the first row (of the first 80) holding every signature cell."""
    wanted = {header_name(s) for s in profile["signature"]}
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if isinstance(cells, list) and wanted <= {header_name(c) for c in cells}:
            return i
    return None


def _columns(spec: dict) -> list[str]:
    return [header_name(c) for c in ([spec["column"]] if "column" in spec else spec.get("columns", []))]


def _labelled(cells: list[str], labels: list[str]) -> str:
    """The value of the first 'Label: value' cell of the row with one of the labels."""
    for label in labels:
        for c in cells:
            v = cell(c)
            if v.lower().startswith(label.lower() + ":"):
                return v[len(label) + 1:].strip()
    return ""


def field(cells: list[str], index: dict[str, int], spec: dict | None) -> str:
    if not spec:
        return ""
    if "label" in spec or "labels" in spec:
        return _labelled(cells, [spec["label"]] if "label" in spec else spec["labels"])
    values = [cell(cells[index[c]]) for c in _columns(spec) if c in index and index[c] < len(cells)]
    return " ".join(v for v in values if v)


def preamble_account(rows: list[tuple[int, list[str] | str]], header: int) -> str | None:
    """The first checksum-valid account written above the header row (the statement's own)."""
    found = [a for _, cells in rows[:header] if isinstance(cells, list) for a in accounts_in_text(" ".join(cells))]
    return found[0] if found else None


def _row_problem(cells: list[str] | str) -> str | None:
    if isinstance(cells, str):
        return text("problems", "statement_row_unreadable", limit=csv.field_size_limit())
    longest = max((len(c) for c in cells), default=0)
    if longest > MAX_CELL:
        return text("problems", "statement_cell_too_long", length=longest, limit=MAX_CELL)
    return None


def parse(rows: list[tuple[int, list[str] | str]], header: int, profile: dict, name: str, period: str | None = None,
          own: str | None = None, max_amount: int | None = None) -> tuple[list[dict], list[Issue]]:
    """Entries of a bank CSV export through its profile; a row whose date or amount cannot be
    read is an ``Issue`` (naming its line) and the rest of the file is used; footers are skipped.
    Every entry carries ``own_account``: the statement's own account (None when the file does
    not say it)."""
    index: dict[str, int] = {}
    for i, h in enumerate(rows[header][1]):
        index.setdefault(header_name(h), i)      # a repeated column name ("Waluta"): the first
    date_spec, amount_spec = profile["date"], profile["amount"]
    footers = [f.lower() for f in profile.get("skip_rows_with", [])]
    own = own or preamble_account(rows, header)
    entries, issues = [], []
    for line, cells in rows[header + 1:]:
        unreadable = _row_problem(cells)
        if unreadable:
            issues.append(issue("bad_statement_row", source=name, row=line, command="reconcile", period=period,
                                problems=[unreadable]))
            continue
        if not any(cell(c) for c in cells):
            continue
        if any(cell(c).lower().startswith(f) for c in cells for f in footers):
            continue
        raw_date = field(cells, index, date_spec)
        booked = parse_date(raw_date, date_spec.get("format", "DD.MM.YYYY"))
        if "debit_column" in amount_spec:
            debit_raw = field(cells, index, {"column": amount_spec["debit_column"]})
            credit_raw = field(cells, index, {"column": amount_spec["credit_column"]})
            debit = parse_amount(debit_raw, amount_spec) if debit_raw else 0
            credit = parse_amount(credit_raw, amount_spec) if credit_raw else 0
            raw_amount = credit_raw or debit_raw
            amount = None if debit is None or credit is None or not (debit_raw or credit_raw) \
                else abs(credit) - abs(debit)
        else:
            raw_amount = field(cells, index, amount_spec)
            amount = parse_amount(raw_amount, amount_spec)
        problems = []
        if booked is None:
            problems.append(text("problems", "statement_date_bad", value=raw_date,
                                 format=date_spec.get("format", "DD.MM.YYYY")))
        if amount is None:
            problems.append(text("problems", "statement_amount_bad", value=raw_amount,
                                 decimal=amount_spec.get("decimal", ",")))
        elif max_amount is not None and abs(amount) > max_amount:
            problems.append(text("problems", "statement_amount_too_large", value=raw_amount,
                                 limit=format_pl(max_amount)))
        if problems:
            issues.append(issue("bad_statement_row", source=name, row=line, command="reconcile",
                                period=period, problems=problems))
            continue
        account_spec = profile.get("account")
        account_text = field(cells, index, account_spec)
        if account_spec and account_spec.get("from_text"):
            found = [a for a in accounts_in_text(account_text) if a != own]
            account = found[0] if found else None
        else:
            account = bank_account_iban(account_text)
        row_own = accounts_in_text(field(cells, index, profile.get("own_account"))) if amount > 0 else []
        entries.append({"statement": name, "entry": line, "key": f"{name}#{line}", "booking_date": booked,
                        "amount": amount, "direction": "credit" if amount > 0 else "debit", "account": account,
                        "own_account": row_own[0] if row_own else own,
                        "counterparty": field(cells, index, profile.get("counterparty")),
                        "title": re.sub(r"\s+", " ", field(cells, index, profile.get("title"))).strip()})
    return entries, issues


def read(raw: bytes, profiles: list[dict], name: str, period: str | None = None,
         own: str | None = None, max_amount: int | None = None) -> tuple[list[dict], list[Issue], dict | None]:
    """The first profile whose encoding decodes the file and whose signature is found reads it.
    Returns (entries, issues, the profile used or None)."""
    for profile in profiles:
        content = decode(raw, profile)
        if content is None:
            continue
        rows = rows_of(content, profile)
        header = find_header(rows, profile)
        if header is not None:
            entries, issues = parse(rows, header, profile, name, period, own, max_amount)
            return entries, issues, profile
    return [], [], None
