"""Employer payroll exports mapped onto canonical income lines by mapping profiles (data, one per
payroll layout, in the spirit of hledger's CSV rules). Pure: takes decoded rows, returns records.

A profile says where the header is, how people are identified (PESEL, staff number or member id,
resolved through members.csv), where the period comes from, whether the layout is wide (a column
per component) or long (a component-name column), and where the deducted union dues are.
Component names go through the dictionary (data/profiles/components.toml, with the payroll systems'
own names of their standard elements, and the user's own components.toml) unless the profile maps
them; an unmapped name is one exception per file, never a guess; a name that is no income at all
(``not_income``: a deduction, a loan, an advance) is left out.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from transforms.errors import Issue, UserError, issue, text
from transforms.importers import Head
from transforms.money import format_pl, parse_amount
from transforms.polish import count
from transforms.staging import pad_pesel

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_PUNCT = re.compile(r"[^\w\s]")


def normalise(name: str) -> str:
    """Dictionary key: lower case, no diacritics (ł too), no punctuation or dots, single spaces."""
    s = (name or "").lower().replace("ł", "l")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = _PUNCT.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


# Issue 31: a name that is no income of the member at all (a deduction, a loan or its repayment, an
# advance, a tax or contribution correction): its column or line is left out, never counted.
NOT_INCOME = "not_income"


def dictionary_entries(doc: dict) -> list[tuple[str, str]]:
    """(name, code) of a dictionary: the generic [codes] and the names of each payroll system's
    standard elements ([[system]] blocks, each name with its source page)."""
    out = [(n, code) for code, names in doc.get("codes", {}).items() for n in names]
    out += [(n["name"], n["code"]) for system in doc.get("system", []) for block in system.get("block", [])
            for n in block.get("names", [])]
    return out


def _bad_dictionary(file: str, detail: str, codes: set[str] | None = None) -> UserError:
    return UserError("bad_dictionary", file=file, detail=detail, codes=", ".join(sorted(codes or ())))


def dictionary_document(content: str, file: str = "components.toml") -> dict:
    """A dictionary's TOML document; broken TOML is ``bad_dictionary`` naming the file."""
    try:
        return tomllib.loads(content)
    except tomllib.TOMLDecodeError as e:
        raise _bad_dictionary(file, f"składnia TOML: {e}") from None


def dictionary_from(doc: dict, file: str = "components.toml", codes: set[str] | None = None) -> dict[str, str]:
    """Normalised component name -> canonical code (or ``NOT_INCOME``) of a parsed dictionary; a
    name under two codes in one file, or a code not among ``codes`` (when given), is an error."""
    try:
        entries = dictionary_entries(doc)
    except (KeyError, TypeError, AttributeError) as e:
        raise _bad_dictionary(file, f"zły wpis: {type(e).__name__} {e}", codes) from None
    out: dict[str, str] = {}
    for n, code in entries:
        key = normalise(n)
        if codes is not None and code not in codes:
            raise _bad_dictionary(file, f"kod '{code}' nie jest kodem składnika", codes)
        if key in out and out[key] != code:
            raise _bad_dictionary(file, f"'{n}' stoi pod dwoma kodami: {out[key]} i {code}", codes)
        out[key] = code
    return out


def load_dictionary(content: str, file: str = "components.toml", codes: set[str] | None = None) -> dict[str, str]:
    """Normalised component name -> canonical code (or ``NOT_INCOME``). Broken TOML, a name under two
    codes in one file, or a code not among ``codes`` (when given) is an error naming the file."""
    try:
        doc = tomllib.loads(content)
    except tomllib.TOMLDecodeError as e:
        raise _bad_dictionary(file, f"składnia TOML: {e}", codes) from None
    return dictionary_from(doc, file, codes)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    employer: str
    format: str                       # csv | xlsx
    encoding: str
    separator: str
    decimal: str
    header_row: int
    totals_prefixes: tuple[str, ...]
    layout: str                       # wide | long
    signature: tuple[str, ...]
    ignore: tuple[str, ...]
    id_by: str                        # pesel | staff_number | member_id
    id_column: str
    period_column: str
    period_format: str
    deducted_column: str | None
    deducted_component: str | None
    component_column: str | None
    amount_column: str | None
    columns: dict[str, str] = field(default_factory=dict)
    # what the file holds: pay components (the deduction, if any, is checked against the dues they
    # give), or only the amounts deducted — then they are the members' dues, not checked (RULES.md §13)
    content: str = "components"

    # ---- the importer interface (transforms.importers.Importer)
    def identify(self, path: Path, head: Head) -> bool:
        """The file is of this profile's format and its header line holds every signature column."""
        if self.format != ("xlsx" if path.suffix.lower() == ".xlsx" else "csv"):
            return False
        try:
            rows = self.extract(path, head)
        except Exception:  # noqa: BLE001 - a file that does not read as this profile does not match it
            return False
        if len(rows) < self.header_row:
            return False
        header = [(h or "").strip() for h in rows[self.header_row - 1]]
        return all(c in header for c in self.signature)

    def extract(self, path: Path, head: Head) -> list[list[str]]:
        """The file's rows as this profile reads them, title block included (``map_rows`` maps them).
        Raises UnicodeDecodeError for a text file that is not in the profile's encoding."""
        if self.format == "xlsx":
            pesel_columns = (self.id_column,) if self.id_by == "pesel" else ()
            return [[c or "" for c in r] for r in head.cells(pesel_columns, self.header_row)]
        content = head.text(self.encoding)
        return list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=self.separator))

    def required_columns(self) -> list[str]:
        cols = [self.id_column, self.period_column]
        if self.layout == "long":
            cols += [self.component_column, self.amount_column]
        if self.deducted_column:
            cols.append(self.deducted_column)
        return cols


def parse_profile(content: str, name: str = "profile") -> Profile:
    """A profile from its TOML text, checked when it is read (issue 28): every key a file is read
    by must be there and make sense — a known format, encoding, layout, identifier and period
    format, the columns it reads among its signature, a long layout's component and amount
    columns, [columns] mapping names to codes. A mistake is one ``bad_profile`` error naming the
    file and the key (``UserError``), never a crash while a file is read."""
    try:
        d = tomllib.loads(content)
    except tomllib.TOMLDecodeError as e:
        raise UserError("bad_profile", file=name, detail=str(e), key="(składnia TOML)") from None
    try:
        return _profile(d, name)
    except KeyError as e:
        raise UserError("bad_profile", file=name, detail=f"brak klucza {e}", key=str(e).strip("'")) from None


CONTENTS = ("components", "deductions_only")
FORMATS = ("csv", "xlsx")
LAYOUTS = ("wide", "long")
IDENTIFIED_BY = ("pesel", "staff_number", "member_id")
DECIMALS = (",", ".")
# a period format -> (the pattern, which groups are (year, month)); DD.MM.YYYY is a pay date
PERIOD_FORMATS = {"MM.YYYY": (r"(\d{2})\.(\d{4})", (2, 1)), "YYYY-MM": (r"(\d{4})-(\d{2})", (1, 2)),
                  "DD.MM.YYYY": (r"\d{2}\.(\d{2})\.(\d{4})", (2, 1))}


def _one_of(value, allowed: tuple[str, ...] | dict, name: str, key: str) -> str:
    if value not in allowed:
        raise UserError("bad_profile", file=name, key=key,
                        detail=f"{key} = {value!r}: dozwolone {', '.join(repr(a) for a in allowed)}")
    return value


def _texts(value, name: str, key: str, empty: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (not empty and not value):
        raise UserError("bad_profile", file=name, key=key,
                        detail=f"{key} musi być {'' if empty else 'niepustą '}listą nazw w cudzysłowach, np. [\"PESEL\"]")
    return tuple(value)


def _text(value, name: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UserError("bad_profile", file=name, key=key, detail=f"{key} musi być niepustym tekstem, np. \"PESEL\"")
    return value


def _profile(d: dict, name: str) -> Profile:
    content = d.get("content", "components")
    if content not in CONTENTS:
        raise UserError("bad_profile", file=name, key="content",
                        detail=f"content = '{content}': dozwolone {' albo '.join(repr(c) for c in CONTENTS)}")
    if content == "deductions_only" and not d.get("deducted", {}).get("column"):
        raise UserError("bad_profile", file=name, key="deducted",
                        detail="lista samych potrąceń (content = 'deductions_only') musi wskazać kolumnę [deducted] column")
    encoding = d.get("encoding", "utf-8")
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise UserError("bad_profile", file=name, key="encoding", detail=f"nieznane kodowanie {encoding!r}") from None
    separator = d.get("separator", ",")
    if not isinstance(separator, str) or len(separator) != 1:
        raise UserError("bad_profile", file=name, key="separator", detail=f"{separator!r}: jeden znak, np. ';'")
    header_row = d.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        raise UserError("bad_profile", file=name, key="header_row",
                        detail=f"{header_row!r}: numer wiersza nagłówka, liczba całkowita od 1")
    # a deductions-only list has no components to lay out: one row per person ("wide")
    layout = _one_of(d["layout"], LAYOUTS, name, "layout") if content == "components" else "wide"
    columns = d.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) and v for v in columns.values()):
        raise UserError("bad_profile", file=name, key="columns",
                        detail='[columns] przypisuje nazwie kolumny kod składnika, np. "Dod. hutniczy" = "allowance"')
    profile = Profile(
        name=_text(d["name"], name, "name"), description=d.get("description", ""),
        employer=d.get("employer", d["name"]),
        format=_one_of(d.get("format", "csv"), FORMATS, name, "format"), encoding=encoding,
        separator=separator, decimal=_one_of(d.get("decimal", "."), DECIMALS, name, "decimal"),
        header_row=header_row,
        totals_prefixes=tuple(normalise(p) for p in _texts(d.get("totals_row_starts_with", []), name,
                                                             "totals_row_starts_with")),
        layout=layout,
        signature=_texts(d["signature"], name, "signature", empty=False),
        ignore=_texts(d.get("ignore", []), name, "ignore"),
        id_by=_one_of(d["identify"]["by"], IDENTIFIED_BY, name, "identify.by"),
        id_column=_text(d["identify"]["column"], name, "identify.column"),
        period_column=_text(d["period"]["column"], name, "period.column"),
        period_format=_one_of(d["period"]["format"], PERIOD_FORMATS, name, "period.format"),
        deducted_column=d.get("deducted", {}).get("column"),
        deducted_component=d.get("deducted_component"),
        component_column=d.get("component_column"), amount_column=d.get("amount_column"),
        columns=dict(columns), content=content)
    if layout == "long":
        for key in ("component_column", "amount_column"):
            _text(d.get(key), name, key)
    # the columns a file is read by are part of how it is recognised: a header without one of
    # them would only be found wanting file by file
    keys = {profile.id_column: "identify.column", profile.period_column: "period.column",
            profile.component_column: "component_column", profile.amount_column: "amount_column",
            profile.deducted_column: "deducted.column"}
    for column in profile.required_columns():
        if column not in profile.signature:
            raise UserError("bad_profile", file=name, key=keys[column],
                            detail=f"kolumny '{column}' nie ma w signature ({', '.join(profile.signature)})")
    return profile


def parse_period(text: str, fmt: str) -> str | None:
    """'10.2026' (MM.YYYY), '2026-10' (YYYY-MM) or a pay date '28.10.2026' (DD.MM.YYYY) -> '2026-10';
    None when the text is not a period of that format. ``fmt`` is one of PERIOD_FORMATS (checked
    when the profile is read)."""
    t = (text or "").strip()
    pattern, (y, mo) = PERIOD_FORMATS[fmt]
    m = re.fullmatch(pattern, t)
    if not m:
        return None
    if fmt == "DD.MM.YYYY":              # a pay date: 31.02.2026 is no date at all
        try:
            date(int(t[6:10]), int(t[3:5]), int(t[0:2]))
        except ValueError:
            return None
    year, month = m.group(y), m.group(mo)
    return f"{year}-{month}" if 1 <= int(month) <= 12 else None


@dataclass
class Identifiers:
    """members.csv identifiers -> member_id. A PESEL or staff number that several members share
    is ``ambiguous``: a payroll row is never attributed by it."""
    pesel: dict[str, str]
    staff_number: dict[str, str]
    member_id: set[str]
    ambiguous: dict[tuple[str, str], list[str]] = field(default_factory=dict)   # (by, value) -> members

    def resolve(self, by: str, value: str) -> str | None:
        if (by, value) in self.ambiguous:
            return None
        if by == "member_id":
            return value if value in self.member_id else None
        return (self.pesel if by == "pesel" else self.staff_number).get(value)

    @classmethod
    def from_rows(cls, rows: list[tuple[str | None, str | None, str | None]]) -> "Identifiers":
        """(member_id, pesel, staff_number) rows of members.csv."""
        found: dict[tuple[str, str], list[str]] = {}
        for mid, pesel, staff in rows:
            if not mid:
                continue
            for by, value in (("pesel", pesel), ("staff_number", staff), ("member_id", mid)):
                if value:
                    found.setdefault((by, value), []).append(mid)
        unique = {k: v[0] for k, v in found.items() if len(v) == 1}
        return cls({v: m for (by, v), m in unique.items() if by == "pesel"},
                   {v: m for (by, v), m in unique.items() if by == "staff_number"},
                   {mid for mid, _, _ in rows if mid},
                   {k: v for k, v in found.items() if len(v) > 1})

    def tokens(self) -> dict[str, str]:
        return {**{m: m for m in self.member_id}, **self.pesel, **self.staff_number}


@dataclass
class PayrollResult:
    lines: list[dict] = field(default_factory=list)        # canonical: period, member_id, component, amount_gr, _source, _row
    # period, member_id, source, deducted (grosze), _row; from a deductions-only list also
    # stated = True and the employer: the deducted amounts are then the member's dues (RULES.md §13)
    deductions: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    row_status: list[dict] = field(default_factory=list)   # rows that made no line: _source, _row, member_id, status


def expected_columns(profile: Profile) -> str:
    return ", ".join(dict.fromkeys(list(profile.signature) + profile.required_columns()))


def header_problem(header: list[str], profile: Profile) -> str | None:
    missing = [c for c in profile.required_columns() if c not in header]
    if missing:
        return text("problems", "header_mismatch", header_row=profile.header_row, profile=profile.name,
                    missing=", ".join(missing), expected=expected_columns(profile),
                    found=", ".join(h for h in header if h) or "żadnych")
    return None


def map_rows(rows: list[list[str]], profile: Profile, dictionary: dict[str, str], ids: Identifiers,
             source: str, period: str, exc_period: str) -> PayrollResult:
    """Rows of a decoded file (title block included) -> canonical lines and deductions."""
    if profile.id_by == "pesel":     # python-stdnum only for a file that names members by PESEL (issue 32)
        from stdnum.pl import pesel as stdnum_pesel
    res = PayrollResult()
    header = [(h or "").strip() for h in rows[profile.header_row - 1]]
    col = {h: i for i, h in enumerate(header) if h}
    width = max((i + 1 for i, h in enumerate(header) if h), default=0)
    seen_rows: dict[tuple, int] = {}
    unknown: dict[str, tuple[int, set[str]]] = {}      # name -> (first row, members): one exception per name

    def exception(row, member, code, **params):
        res.issues.append(issue(code, source=source, row=row, subject=f"linia {profile.header_row + row}",
                                period=exc_period, member_id=member, **params))

    # wide: every other column is a component, mapped by the profile or the dictionary
    component_of: dict[str, str | None] = {}
    only_deductions = profile.content == "deductions_only"     # every other column is not income
    if profile.layout == "wide" and not only_deductions:
        skip = set(profile.ignore) | {profile.id_column, profile.period_column, profile.deducted_column}
        for h in col:
            if h not in skip:
                component_of[h] = profile.columns.get(h) or dictionary.get(normalise(h))

    for offset, raw_cells in enumerate(rows[profile.header_row:], start=1):
        cells = [(c or "").strip() for c in raw_cells]
        if not any(cells):
            res.row_status.append({"_source": source, "_row": offset, "member_id": None, "status": "skipped"})
            continue
        first = next(c for c in cells if c)
        if profile.totals_prefixes and normalise(first).startswith(profile.totals_prefixes):
            res.row_status.append({"_source": source, "_row": offset, "member_id": None, "status": "skipped"})
            continue
        if len(cells) < width or any(cells[width:]):
            # never padded or cut: a lost or extra separator shifts every amount after it
            ident = cells[col[profile.id_column]] if col[profile.id_column] < len(cells) else ""
            member = ids.resolve(profile.id_by, ident)
            exception(offset, member, "bad_row", cells=len(cells), header=width)
            if member:
                res.blocked.add(member)
            res.row_status.append({"_source": source, "_row": offset, "member_id": member, "status": "rejected"})
            continue
        ident = cells[col[profile.id_column]]
        if profile.id_by == "pesel":
            ident = pad_pesel(ident)         # issue 26: a PESEL saved as a number lost its leading zero
        if profile.id_by == "pesel" and not stdnum_pesel.is_valid(ident):
            exception(offset, None, "payroll_bad_pesel", value=ident, column=profile.id_column)
            res.row_status.append({"_source": source, "_row": offset, "member_id": None, "status": "rejected"})
            continue
        member = ids.resolve(profile.id_by, ident)
        if (profile.id_by, ident) in ids.ambiguous:
            exception(offset, None, "payroll_ambiguous_id", by=profile.id_by, value=ident,
                      members=", ".join(ids.ambiguous[(profile.id_by, ident)]))
            res.row_status.append({"_source": source, "_row": offset, "member_id": None, "status": "rejected"})
            continue
        if member is None:
            deducted = deducted_in_row(cells, col, profile)
            if deducted:         # issue 26: HR took union dues from someone the register does not know
                exception(offset, None, "payroll_unknown_id_deducted", by=profile.id_by, value=ident,
                          deducted=format_pl(deducted))
            else:
                exception(offset, None, "payroll_unknown_id", by=profile.id_by, value=ident)
            res.row_status.append({"_source": source, "_row": offset, "member_id": None, "status": "rejected"})
            continue
        row_period = parse_period(cells[col[profile.period_column]], profile.period_format)
        if row_period is None:
            exception(offset, member, "payroll_bad_period", column=profile.period_column,
                      value=cells[col[profile.period_column]], format=profile.period_format, profile=profile.name)
            res.blocked.add(member)         # CONTRACT.md: the line may be this month's
            res.row_status.append({"_source": source, "_row": offset, "member_id": member, "status": "rejected"})
            continue
        if row_period != period:
            res.row_status.append({"_source": source, "_row": offset, "member_id": member, "status": "skipped"})
            continue
        if profile.layout == "wide":
            items = [(h, component_of[h], cells[i]) for h, i in col.items() if h in component_of]
        else:
            name = cells[col[profile.component_column]]
            if profile.deducted_component and normalise(name) == normalise(profile.deducted_component):
                items = [(name, "__deducted__", cells[col[profile.amount_column]])]
            else:
                items = [(name, profile.columns.get(name) or dictionary.get(normalise(name)),
                          cells[col[profile.amount_column]])]
        if profile.deducted_column:
            items.append((profile.deducted_column, "__deducted__", cells[col[profile.deducted_column]]))
        # the same person with the same pay twice in one file is a copied row, not twice the pay
        key = (member, row_period, tuple(items))
        if key in seen_rows:
            exception(offset, member, "duplicate_row", first=seen_rows[key])
            res.blocked.add(member)
            res.row_status.append({"_source": source, "_row": offset, "member_id": member, "status": "rejected"})
            continue
        seen_rows[key] = offset
        made = False
        for name, code, value in items:
            if not value or code == NOT_INCOME:
                continue
            amount = parse_amount(value, profile.decimal)
            if code is None:
                unknown.setdefault(name, (offset, set()))[1].add(member)
                res.blocked.add(member)
                continue
            if amount is None:
                exception(offset, member, "payroll_bad_amount", column=name, value=value, profile=profile.name,
                          decimal=profile.decimal)
                res.blocked.add(member)
                continue
            if code == "__deducted__":
                res.deductions.append({"period": row_period, "member_id": member, "source": source,
                                       "deducted": amount, "_row": offset}
                                      | ({"stated": True, "employer": profile.employer} if only_deductions else {}))
                continue
            res.lines.append({"period": row_period, "member_id": member, "component": code,
                              "amount": value, "amount_gr": amount, "_source": source, "_row": offset})
            made = True
        if not made:
            status = "rejected" if member in res.blocked else "ok-no-lines"
            res.row_status.append({"_source": source, "_row": offset, "member_id": member, "status": status})
    res.issues += unknown_components(unknown, profile, source, exc_period)
    return res


def unknown_components(unknown: dict[str, tuple[int, set[str]]], profile: Profile, source: str,
                       period: str) -> list[Issue]:
    """Issue 31: a name the dictionary does not know is one exception per file, with the number of
    members it blocks — not one per member and cell. A wide file's column points at the header line,
    a long file's component at the first line that has it."""
    wide = profile.layout == "wide"
    return [issue("payroll_unknown_component", source=source, row=None if wide else first,
                  subject=f"linia {profile.header_row + (0 if wide else first)}", period=period, value=name,
                  column=name if wide else profile.component_column, profile=profile.name,
                  what="kolumna" if wide else "składnik", members=count(len(who), "członka"))
            for name, (first, who) in unknown.items()]


def deducted_in_row(cells: list[str], col: dict[str, int], profile: Profile) -> int | None:
    """The union dues the employer deducted on this row (grosze), if the profile shows them and the
    cell is an amount other than zero."""
    value = None
    if profile.deducted_column and profile.deducted_column in col:
        value = cells[col[profile.deducted_column]]
    elif (profile.layout != "wide" and profile.deducted_component and profile.component_column in col
          and normalise(cells[col[profile.component_column]]) == normalise(profile.deducted_component)):
        value = cells[col[profile.amount_column]]
    amount = parse_amount(value, profile.decimal) if value else None
    return amount or None


def members_named_in(content: str, ids: Identifiers) -> set[str]:
    """Members whose identifier appears in a file that could not be read as its profile says."""
    tokens = ids.tokens()
    return {tokens[t] for t in re.findall(r"[A-Za-z0-9][A-Za-z0-9\-_/]*", content) if t in tokens}
