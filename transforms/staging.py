"""Staging: raw input rows (all text) -> typed rows, plus an ``Issue`` for every row that fails.

Every raw frame carries ``_source`` (file name) and ``_row`` (1-based data row). Checks are small
named functions; a failing row becomes a record (CONTRACT.md reason codes, Polish message from
the catalogue) and is not used. Nothing here raises on bad data: errors are records, collected.
The rulebooks in force (``Rules``) are resolved once by the caller and passed in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from fractions import Fraction

import polars as pl

from transforms.errors import Issue, issue, issues_frame, mask_expr, mask_personal, render_expr, text, text_expr
from transforms.money import (ambiguous_amount_expr, format_pl, is_ambiguous_amount, parse_typed_amount, pln,
                              typed_amount_expr)
from transforms.methods import UNIT_FLAT_COLUMNS
from transforms.rulebook import Rules
from transforms.statements import bank_account_iban

# a canonical income line with this component is the employer's deduction of the member's dues
# (a receipt, RULES.md §5 "Owed and received"), not income
DEDUCTED_COMPONENT = "dues_deducted"

VOIVODESHIPS = frozenset({
    "dolnośląskie", "kujawsko-pomorskie", "lubelskie", "lubuskie", "łódzkie", "małopolskie",
    "mazowieckie", "opolskie", "podkarpackie", "podlaskie", "pomorskie", "śląskie",
    "świętokrzyskie", "warmińsko-mazurskie", "wielkopolskie", "zachodniopomorskie",
})
PERIOD_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"       # ASCII digits ('２０２６' is no period)
FIRST_YEAR, LAST_YEAR = 1900, 2999          # a month outside them is a typo, and its deadlines leave the calendar
_PERIOD = re.compile(PERIOD_RE)
_PCT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,2})?")     # ASCII digits only


def is_period(text: str | None) -> bool:
    """'2026-10'; not '0000-01', '2026-00', '9999-13' or full-width digits (issue 27)."""
    return bool(text) and bool(_PERIOD.fullmatch(text)) and FIRST_YEAR <= int(text[:4]) <= LAST_YEAR


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def months_between(first: str, last: str) -> int:
    """Inclusive count of months from ``first`` to ``last`` (YYYY-MM): 2026-10..2027-03 -> 6."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1


def _blank(v: str | None) -> bool:
    return v is None or v.strip() == ""


# a date in a canonical file: ISO, or as Polish Excel writes it (issue 26: '19.06.1996')
ISO_DATE_RE, POLISH_DATE_RE = r"^\d{4}-\d{2}-\d{2}$", r"^\d{2}\.\d{2}\.\d{4}$"


def _date(v: str | None) -> date | None:
    t = (v or "").strip()
    try:
        if re.match(ISO_DATE_RE, t):
            return date.fromisoformat(t)
        if re.match(POLISH_DATE_RE, t):
            return date(int(t[6:]), int(t[3:5]), int(t[:2]))
    except ValueError:
        pass
    return None


def category_spellings(rules: Rules) -> dict[str, str]:
    """How a canonical file may name a member's category -> its code: the code itself or the Polish
    label the rulebooks in force show people for it ('pracownik', 'emeryt/rencista'), in any case
    (issue 26). A label two rulebooks give to different categories is not accepted: never guessed."""
    found: dict[str, set[str]] = {}
    for version in rules.versions.values():
        for c in version.categories.values():
            for spelling in (c.category, c.label):
                found.setdefault(spelling.strip().lower(), set()).add(c.category)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def category_code(value: str, spellings: dict[str, str]) -> str:
    """A stripped category cell -> its code, or the cell as written (then reported as unknown)."""
    return spellings.get(value.lower(), value)


def category_expr(cell: pl.Expr, spellings: dict[str, str]) -> pl.Expr:
    """The vectorised ``category_code``."""
    return cell.str.to_lowercase().replace_strict(spellings, default=cell, return_dtype=pl.String)


def known_categories(rules: Rules) -> str:
    """The categories as the message lists them: each code with its labels ('employee (pracownik)')."""
    labels: dict[str, list[str]] = {}
    for version in sorted(rules.versions.values(), key=lambda v: (v.name != rules.default, v.name)):
        for c in version.categories.values():
            if c.label != c.category and c.label not in labels.setdefault(c.category, []):
                labels[c.category].append(c.label)
    return ", ".join(f"{code} ({' / '.join(ls)})" if ls else code
                     for code, ls in ((c.category, labels.get(c.category, [])) for c in rules.categories))


def pesel_valid_expr(column: str) -> pl.Expr:
    """Vectorised PESEL check — 11 digits (spaces and hyphens ignored), the check digit, and a real
    birth date with the century coded in the month — equal to python-stdnum's ``is_valid`` (a
    property test compares them), some hundred times faster on a national register. The cleaned
    text is made once, as a column, and every digit read from it (issue 32: as one expression
    polars made it again for each of the 13 uses: 0.6 s at 600 000 members → 0.1 s)."""
    return pl.col(column).map_batches(_pesel_valid, return_dtype=pl.Boolean, is_elementwise=True)


def _pesel_valid(column: pl.Series) -> pl.Series:
    s = pl.col("s")
    cleaned = column.cast(pl.String).fill_null("").str.replace_all(r"[ \-]", "").to_frame("s")
    # the number once (null unless the text is 11 ASCII digits), then each digit a column once
    n = cleaned.select(pl.when(s.str.contains(r"^[0-9]{11}$")).then(s.cast(pl.Int64, strict=False)).alias("n"))
    d = n.select(((pl.col("n") // 10 ** (10 - i)) % 10).alias(f"d{i}") for i in range(11))
    dig = [pl.col(f"d{i}") for i in range(11)]
    weighted = sum(x * w for x, w in zip(dig, (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)))
    check_ok = (10 - weighted % 10) % 10 == dig[10]
    mm, day = dig[2] * 10 + dig[3], dig[4] * 10 + dig[5]
    year = dig[0] * 10 + dig[1] + (mm // 20).replace_strict({0: 1900, 1: 2000, 2: 2100, 3: 2200, 4: 1800},
                                                             default=None, return_dtype=pl.Int64)
    month = mm % 20
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = (pl.when(month == 2).then(pl.when(leap).then(29).otherwise(28))
            .when(month.is_in([4, 6, 9, 11])).then(30).otherwise(31))
    born_ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)     # a real birth date
    return d.select((check_ok & born_ok).fill_null(False)).to_series().alias(column.name)


PESEL_WITHOUT_ZEROS_RE = r"^[0-9]{9,10}$"


def pad_pesel(value: str) -> str:
    """A PESEL cell of 9 or 10 digits -> 11 digits: the leading zeros a spreadsheet drops when it
    reads the PESEL as a number and saves it (born 2000–2009: 02271409867 -> 2271409867; born
    2000: two zeros). Issue 26. Only the check digit and the birth date then decide: a PESEL really
    missing a digit still fails them (9 times in 10) and is reported. Anything else is unchanged."""
    t = value.strip()
    return t.zfill(11) if re.match(PESEL_WITHOUT_ZEROS_RE, t) else value


def pesel_padded(cell: pl.Expr) -> pl.Expr:
    """The vectorised ``pad_pesel``."""
    t = cell.str.strip_chars(WHITESPACE)
    return pl.when(t.str.contains(PESEL_WITHOUT_ZEROS_RE)).then(t.str.zfill(11)).otherwise(cell)


def valid_pesels(values: list[str]) -> set[str]:
    """The valid ones among ``values`` (one vectorised pass)."""
    frame = pl.DataFrame({"pesel": values}, schema={"pesel": pl.String})
    return set(frame.filter(pesel_valid_expr("pesel"))["pesel"].to_list())


def shape_problems(r: dict) -> list[str]:
    """A row with more or fewer cells than its header is never padded or cut (flows.inbox)."""
    if r.get("_cells") is None:
        return []
    return [text("problems", "row_shape", cells=r["_cells"], header=r["_header_cells"])]


def id_problems(value: str, column: str, counts: dict[str, int]) -> list[str]:
    """An id must be given, and given once."""
    if not value:
        return [text("problems", "id_empty", column=column)]
    if counts[value] > 1:
        return [text("problems", "duplicate_id", column=column, value=value, count=counts[value])]
    return []


def _counts(rows: list[dict], column: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        key = (r.get(column) or "").strip()
        counts[key] = counts.get(key, 0) + 1
    return counts


# ------------------------------------------------------------------ units

@dataclass
class StagedUnits:
    units: pl.DataFrame            # one row per valid unit
    issues: list[Issue]
    rejected_ids: set[str]         # unit ids whose rows were rejected (their members are blocked)
    rejected_rows: dict[str, int]  # unit_id -> units.csv row, for messages
    rows_rejected: int


def _override_columns(rules: Rules) -> tuple[dict[str, set[str]], list[str]]:
    """Each rulebook's share columns a unit may set, and all of them (worked out once per close,
    not per unit: 0.1 s at 6 000 units)."""
    allowed = {n: {c for s in v.split.values() for c in s.override_columns} for n, v in rules.versions.items()}
    return allowed, sorted(set().union(*allowed.values()))


def _unit_problems(r: dict, rules: Rules, overrides: tuple[dict[str, set[str]], list[str]] | None = None
                   ) -> tuple[list[str], dict]:
    """Check one units.csv row; returns (problems, typed values)."""
    problems: list[str] = []
    typed: dict = {}
    if _blank(r.get("unit_id")):
        problems.append(text("problems", "id_empty", column="unit_id"))
    if _blank(r.get("region_id")):
        problems.append(text("problems", "region_empty"))
    voiv = (r.get("voivodeship") or "").strip()
    if voiv not in VOIVODESHIPS:
        problems.append(text("problems", "voivodeship_unknown", value=voiv))
    sheltered = (r.get("sheltered") or "").strip().lower()
    if sheltered not in ("", "true", "false"):
        problems.append(text("problems", "boolean_bad", column="sheltered", value=r.get("sheltered")))
    typed["sheltered"] = sheltered == "true"
    name = (r.get("rulebook") or "").strip() or rules.default or ""
    version = rules.versions.get(name)
    if name in rules.missing:
        problems.append(text("problems", "rulebook_not_in_force", value=name, period=rules.period))
    elif version is None:
        problems.append(text("problems", "rulebook_unknown", value=name,
                             known=", ".join(sorted(set(rules.versions) | set(rules.missing)))))
    typed["rulebook"] = name
    raised = _pct_text(r.get("raised_pct")) or "100"
    if not _PCT.fullmatch(raised):
        problems.append(text("problems", "pct_bad", column="raised_pct", value=r.get("raised_pct")))
    else:
        pct = _fraction(raised)
        limit = version.max_raised_pct if version else Fraction(200)
        if pct < 100 or pct > limit:
            problems.append(text("problems", "raised_out_of_range", value=raised, limit=limit))
        typed["raised_bp"] = int(pct * 100)
    for col in UNIT_FLAT_COLUMNS:
        v = (r.get(col) or "").strip()
        if not v:           # no decision of the unit's body (issue 30): not a zero; transforms.dues asks for it
            typed[col] = None
            continue
        amount = _typed_amount(v)
        if amount is None or amount < 0 or v.startswith("-"):
            problems.append(text("problems", "amount_ambiguous" if is_ambiguous_amount(v) else "flat_bad",
                                 column=col, value=r.get(col)))
        elif version and amount > version.max_monthly_amount:
            problems.append(text("problems", "amount_too_large", column=col, value=v,
                                 limit=format_pl(version.max_monthly_amount)))
        else:
            typed[col] = amount
    account = (r.get("bank_account") or "").strip()
    typed["bank_account"] = None
    if account:
        iban = bank_account_iban(account)
        if iban is None:
            problems.append(text("problems", "bank_account_bad", value=account))
        typed["bank_account"] = iban
    # a share the rulebook lets a unit set for itself (przerobka: 003 Art. 31 ust. 4)
    by_rulebook, columns = overrides or _override_columns(rules)
    allowed = by_rulebook.get(name, set()) if version else set()
    for column in columns:
        override = _pct_text(r.get(column))
        typed[column] = None
        if not override:
            continue
        if not _PCT.fullmatch(override) or Fraction(override) > 100:
            problems.append(text("problems", "override_bad", column=column, value=override))
        elif version and column not in allowed:
            problems.append(text("problems", "override_not_allowed", column=column, rulebook=name))
        else:
            typed[column] = override
    return problems, typed


# a register's few distinct amounts and percentages read once each, not once per unit (issue 32:
# 6 000 units repeat a handful of values; 0.15 s of units' staging)
_typed_amount = lru_cache(maxsize=4096)(parse_typed_amount)
_fraction = lru_cache(maxsize=4096)(Fraction)


def _pct_text(value: str | None) -> str:
    """A percentage cell, a decimal comma read as a point ('150,5' as Polish Excel writes it)."""
    t = (value or "").strip()
    return t.replace(",", ".") if re.match(r"^\d{1,3},\d{1,2}$", t) else t


# a unit's own benefit amounts (004 §5 ust. 2), kept as written: the benefits read them, and the
# stored register of each closed month keeps the amounts in force then (§5 ust. 3 pkt 3); empty: the
# unit set none (the KK minimum), where a register imported from a region's file holds NULL (not known)
BENEFIT_COLUMNS = ("benefit_birth", "benefit_death_member", "benefit_death_family")



def benefit_amount_text(value: str | None) -> str:
    """A unit's benefit amount as the register keeps it: a readable amount in one spelling
    ('1 500,00 zł' -> '1500.00', so a Polish Excel file stores what the canonical one does); what
    cannot be read as written, for the benefits to name it."""
    value = (value or "").strip()
    amount = _typed_amount(value) if value and not value.startswith("-") else None
    return value if amount is None or amount < 0 else f"{amount // 100}.{amount % 100:02d}"


def stage_units(raw: pl.DataFrame, rules: Rules) -> StagedUnits:
    rows = raw.to_dicts()
    counts = _counts(rows, "unit_id")
    good, found, rejected_ids, rejected_rows = [], [], set(), {}
    overrides = _override_columns(rules)
    for r in rows:
        uid = (r.get("unit_id") or "").strip()
        problems, typed = _unit_problems(r, rules, overrides)
        problems = shape_problems(r) + problems
        if uid and counts[uid] > 1:
            problems.append(text("problems", "duplicate_id", column="unit_id", value=uid, count=counts[uid]))
        if problems:
            found.append(issue("bad_unit", source=r["_source"], row=r["_row"], period=rules.period,
                               subject=f"jednostka {uid or '?'}", unit_id=uid or None, problems=problems))
            if uid:
                rejected_ids.add(uid)
                rejected_rows.setdefault(uid, r["_row"])
            continue
        good.append({"unit_id": uid, "name": (r.get("name") or "").strip(),
                     "region_id": r["region_id"].strip(), "voivodeship": r["voivodeship"].strip(),
                     **typed, **{c: benefit_amount_text(r.get(c)) for c in BENEFIT_COLUMNS},
                     "section_id": (r.get("section_id") or "").strip() or None, "_row": r["_row"]})
    schema = {"unit_id": pl.String, "name": pl.String, "region_id": pl.String,
              "voivodeship": pl.String, "sheltered": pl.Boolean, "rulebook": pl.String,
              "raised_bp": pl.Int64, "unemployed_flat": pl.Int64, "pensioner_flat": pl.Int64,
              "bank_account": pl.String, **dict.fromkeys(BENEFIT_COLUMNS, pl.String), "section_id": pl.String,
              "_row": pl.Int64}
    for column in {c for v in rules.versions.values() for s in v.split.values() for c in s.override_columns}:
        schema[column] = pl.String
    units = pl.DataFrame(good, schema=schema)
    return StagedUnits(units, found, rejected_ids, rejected_rows, len(rows) - len(good))


# ------------------------------------------------------------------ regions (optional)

TITLE_FIELDS = ("unit_id", "unit_name", "period", "MM", "YYYY", "YY")


def payee_account(account: str, title: str, problems: list[str]) -> str | None:
    """A payee's account (NRB or PL IBAN) and transfer-title pattern as an inbox row gives them
    (regions.csv, national_accounts.csv, funds.csv, sections.csv): the IBAN, or None when there is
    none or it is wrong; what is wrong with either is appended to ``problems``."""
    import string
    iban = bank_account_iban(account) if account else None
    if account and iban is None:
        problems.append(text("problems", "bank_account_bad", value=account))
    try:
        unknown = [f for _, f, _, _ in string.Formatter().parse(title) if f and f not in TITLE_FIELDS]
    except ValueError:
        unknown = [title]
    if unknown:
        problems.append(text("problems", "title_pattern_bad", value=title, fields=", ".join(TITLE_FIELDS)))
    return iban
REGION_SCHEMA = {"region_id": pl.String, "name": pl.String, "bank_account": pl.String, "transfer_title": pl.String}


def stage_regions(raw: pl.DataFrame | None, period: str) -> tuple[pl.DataFrame, list[Issue]]:
    """regions.csv: each region's name, account for the units' transfers (NRB / PL IBAN) and the
    transfer-title pattern it requires, e.g. 'KZ {unit_id} skł {MM}/{YY}' (fields: unit_id,
    unit_name, period, MM, YYYY, YY)."""
    if raw is None or raw.height == 0:
        return pl.DataFrame(schema=REGION_SCHEMA), []
    counts = _counts(raw.to_dicts(), "region_id")
    good, found = [], []
    for r in raw.to_dicts():
        rid = (r.get("region_id") or "").strip()
        problems = shape_problems(r) + id_problems(rid, "region_id", counts)
        title = (r.get("transfer_title") or "").strip()
        iban = payee_account((r.get("bank_account") or "").strip(), title, problems)
        if problems:
            found.append(issue("bad_region", source=r["_source"], row=r["_row"], period=period,
                               subject=f"region {rid or '?'}", region_id=rid or None, problems=problems))
            continue
        good.append({"region_id": rid, "name": (r.get("name") or "").strip() or None, "bank_account": iban,
                     "transfer_title": title or None})
    return pl.DataFrame(good, schema=REGION_SCHEMA), found


# ------------------------------------------------------------------ national_accounts.csv (optional, issue 30)

NATIONAL_SCHEMA = {"rulebook": pl.String, "level": pl.String, "name": pl.String, "bank_account": pl.String,
                   "transfer_title": pl.String}


def stage_national(raw: pl.DataFrame | None, period: str, rules) -> tuple[pl.DataFrame, list[Issue]]:
    """national_accounts.csv: the account of a body above the units that is not a region (a union's national
    board, say Przeróbka's Zarząd Krajowy), by rulebook and level code: its name, account (NRB /
    PL IBAN) and transfer-title pattern, printed on the settlement of every unit of that rulebook
    that pays the level directly. A row names a rulebook in force and one of its levels, once."""
    if raw is None or raw.height == 0:
        return pl.DataFrame(schema=NATIONAL_SCHEMA), []
    rows = raw.to_dicts()
    keys = [((r.get("rulebook") or "").strip(), (r.get("level") or "").strip()) for r in rows]
    good, found = [], []
    for r, (book, level) in zip(rows, keys):
        problems = shape_problems(r)
        version = rules.versions.get(book)
        if version is None:
            problems.append(text("problems", "national_rulebook_unknown", value=book or "—",
                                 known=", ".join(sorted(rules.versions)) or "—"))
        elif level not in {lvl.code for lvl in version.levels} or level == version.root:
            problems.append(text("problems", "national_level_unknown", value=level or "—", rulebook=book,
                                 known=", ".join(lvl.code for lvl in version.levels if lvl.code != version.root)))
        if keys.count((book, level)) > 1:
            problems.append(text("problems", "national_duplicate", rulebook=book, level=level))
        title = (r.get("transfer_title") or "").strip()
        iban = payee_account((r.get("bank_account") or "").strip(), title, problems)
        if problems:
            found.append(issue("bad_national_account", source=r["_source"], row=r["_row"], period=period,
                               subject=f"{book or '?'} {level or '?'}", problems=problems))
            continue
        good.append({"rulebook": book, "level": level, "name": (r.get("name") or "").strip() or None,
                     "bank_account": iban, "transfer_title": title or None})
    return pl.DataFrame(good, schema=NATIONAL_SCHEMA), found


# ------------------------------------------------------------------ members

@dataclass
class StagedMembers:
    members: pl.DataFrame          # one row per valid member (owes: whether dues are owed in period)
    issues: list[Issue]
    rejected_ids: set[str]         # member ids with a rejected row (blocked)
    known_ids: set[str] | None     # every member id named in members.csv (None: only as ``register``)
    history: pl.DataFrame | None = None   # every period of membership: member_id, unit_id, category, joined_on, left_on
    register: pl.Series | None = None     # known_ids as a polars Series (joins without a million Python strings)
    # issue 26: the rows of the blocked members (and rows failing without a member id): member_id,
    # unit_id, full_name as written, _source, _row — whose treasurer must see them, by name
    blocked_rows: pl.DataFrame | None = None

    def known(self, ids) -> set[str]:
        """Those of ``ids`` that members.csv names. Issue 32: the register is not held as a set of
        Python strings (600 000 members: 0.15 s and ~70 MB through the whole close), so the few
        ids a decision or a payment names are looked up in its Series."""
        ids = set(ids)
        if self.known_ids is not None:
            return ids & self.known_ids
        wanted = pl.Series(sorted(ids), dtype=pl.String).implode()     # the few looked for, hashed once
        return set(self.register.filter(self.register.is_in(wanted)).to_list())


# str.strip()'s whitespace (Python's, not Rust's: U+001C..U+001F count), so vectorised checks read
# a cell exactly as the row-by-row ones did
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def stripped(column: str) -> pl.Expr:
    """A text cell stripped of whitespace; a missing cell is ''."""
    return pl.col(column).fill_null("").str.strip_chars(WHITESPACE)


def date_expr(column: str) -> pl.Expr:
    """The vectorised ``_date``: an ISO date RRRR-MM-DD or a DD.MM.RRRR that exists, else null.
    The stripped text and the date are made once each, as columns (issue 32: 0.2 s → 0.05 s)."""
    return pl.col(column).map_batches(_dates, return_dtype=pl.Date, is_elementwise=True)


def _dates(column: pl.Series) -> pl.Series:
    s = pl.col("s")
    texts = column.cast(pl.String).fill_null("").str.strip_chars(WHITESPACE).to_frame("s")
    d = texts.select(pl.when(s.str.contains(ISO_DATE_RE)).then(s.str.to_date("%Y-%m-%d", strict=False))
                     .when(s.str.contains(POLISH_DATE_RE)).then(s.str.to_date("%d.%m.%Y", strict=False))
                     .alias("d"))
    return d.select(pl.when(pl.col("d").dt.year() >= 1).then(pl.col("d"))).to_series().alias(column.name)


def _with_columns_of(raw: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """Frames made without flows.inbox may lack optional columns: they are empty cells."""
    return raw.with_columns(pl.lit(None, t).alias(c) for c, t in columns.items() if c not in raw.columns)


def member_checks(rules: Rules) -> list[tuple[str, pl.Expr, pl.Expr]]:
    """The checks of a members.csv row, in the order a treasurer reads them: (name, the rows that
    fail, the problem's Polish text). Each a polars expression over the row's stripped cells
    (``mid``, ``uid``, ``cat``, ``pesel_s``), its dates (``joined``, ``left``) and what the joins
    added (``unit_row``: the row of a rejected unit; ``rulebook``: a staged unit's rulebook;
    ``allowed``: the category is in that rulebook; ``pesel_owners``/``staff_number_owners``)."""
    categories = [c.category for c in rules.categories]
    left_given = stripped("left_on") != ""
    return [
        ("row_shape", pl.col("_cells").is_not_null(),
         text_expr("problems", "row_shape", cells=pl.col("_cells"), header=pl.col("_header_cells"))),
        ("id_empty", pl.col("mid") == "", text_expr("problems", "id_empty", column="member_id")),
        ("unit_rejected", pl.col("unit_row").is_not_null(),
         text_expr("problems", "unit_rejected", value=pl.col("uid"), unit_row=pl.col("unit_row"))),
        ("unit_unknown", pl.col("unit_row").is_null() & pl.col("rulebook").is_null(),
         text_expr("problems", "unit_unknown", value=pl.col("uid"))),
        ("category_unknown", ~pl.col("cat").is_in(categories),
         text_expr("problems", "category_unknown", value=pl.col("cat"), known=known_categories(rules))),
        ("category_not_in_rulebook",
         pl.col("cat").is_in(categories) & pl.col("rulebook").is_not_null() & pl.col("allowed").is_null(),
         text_expr("problems", "category_not_in_rulebook", value=pl.col("cat"), rulebook=pl.col("rulebook"),
                   unit_id=pl.col("uid"))),
        ("joined_on_bad", pl.col("joined").is_null(),
         text_expr("problems", "date_bad", column="joined_on", value=pl.col("joined_on"))),
        ("left_on_bad", left_given & pl.col("left").is_null(),
         text_expr("problems", "date_bad", column="left_on", value=pl.col("left_on"))),
        ("left_before_joined", left_given & (pl.col("left") < pl.col("joined")),
         text_expr("problems", "left_before_joined", left=pl.col("left"), joined=pl.col("joined"))),
        ("pesel_bad", (pl.col("pesel_s") != "") & ~pesel_valid_expr("pesel_s"),
         text_expr("problems", "pesel_bad", value=pl.col("pesel_s"))),
        *[(f"shared_{col}", pl.col(f"{col}_owners").is_not_null(),
           text_expr("problems", "shared_identifier", column=col, count=pl.col(f"{col}_owners")))
          for col in ("pesel", "staff_number")],
    ]


def period_in_force(mid: str, periods: list[dict], period: str, found: list[Issue], rejected: set[str]) -> dict | None:
    """The row in force of a member with several periods of membership (the last one owing in
    the month, else the last one), or None when two periods overlap: both rows are then wrong,
    each gets a record and the member is rejected."""
    periods.sort(key=lambda g: (g["joined_on"], g["_row"]))
    clashes: dict[int, tuple[dict, dict]] = {}
    for a, b in zip(periods, periods[1:]):
        if a["left_on"] is None or b["joined_on"] <= a["left_on"]:
            clashes.setdefault(a["_row"], (a, b))
            clashes.setdefault(b["_row"], (b, a))
    for row, (this, other) in sorted(clashes.items()):
        found.append(issue("bad_member", source=this["_source"], row=row, period=period,
                           subject=f"członek {mid}", member_id=mid, problems=[text(
                               "problems", "membership_overlap", joined=this["joined_on"],
                               left=this["left_on"] or "—", row=other["_row"])]))
        rejected.add(mid)
    if mid in rejected:
        return None
    in_force = [g for g in periods if g["owes"]]
    return in_force[-1] if in_force else periods[-1]


MEMBER_SCHEMA = {"member_id": pl.String, "unit_id": pl.String, "category": pl.String,
                 "joined_on": pl.Date, "left_on": pl.Date, "pesel": pl.String,
                 "full_name": pl.String, "owes": pl.Boolean, "_row": pl.Int64}


def stage_members(raw: pl.DataFrame, units: StagedUnits, rules: Rules) -> StagedMembers:
    """members.csv: one row per member, or one row per period of membership (issue 16: a member
    who left and came back has two rows with the same member_id; their periods must not overlap).
    The row in force in the period gives the member's unit and category; ``history`` keeps every
    period (for uninterrupted membership, benefits and eligibility). The row checks are polars
    expressions (``member_checks``); only the rows that fail, and members with several rows, are
    looked at one by one."""
    period = rules.period
    first_day = date(int(period[:4]), int(period[5:]), 1)
    next_first = date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)
    raw = _with_columns_of(raw, {c: pl.String for c in ("left_on", "pesel", "full_name", "staff_number")}
                           | {"_cells": pl.Int64, "_header_cells": pl.Int64})
    rejected_units = pl.DataFrame({"uid": list(units.rejected_rows), "unit_row": list(units.rejected_rows.values())},
                                  schema={"uid": pl.String, "unit_row": pl.Int64})
    allowed = pl.DataFrame([(n, c, True) for n, v in rules.versions.items() for c in v.categories],
                           schema={"rulebook": pl.String, "cat": pl.String, "allowed": pl.Boolean}, orient="row")
    df = raw.with_columns(mid=stripped("member_id"), uid=stripped("unit_id"),
                          cat=category_expr(stripped("category"), category_spellings(rules)),
                          pesel_s=stripped("pesel"), staff_number_s=stripped("staff_number"),
                          joined=date_expr("joined_on"), left=date_expr("left_on"))
    for col in ("pesel", "staff_number"):  # a PESEL or staff number shared by two members would attribute pay wrongly
        owners = (df.filter(pl.col(f"{col}_s") != "").group_by(f"{col}_s")
                  .agg(pl.col("mid").n_unique().alias(f"{col}_owners")).filter(pl.col(f"{col}_owners") > 1))
        df = df.join(owners, on=f"{col}_s", how="left", maintain_order="left")
    df = (df.join(rejected_units, on="uid", how="left", maintain_order="left")
          .join(units.units.select(pl.col("unit_id").alias("uid"), "rulebook"), on="uid", how="left",
                maintain_order="left")
          .join(allowed, on=["rulebook", "cat"], how="left", maintain_order="left"))
    checks = member_checks(rules)
    df = df.with_columns(failed=pl.any_horizontal([cond.fill_null(False) for _, cond, _ in checks]))
    # the texts only for the rows that fail (a handful in a national register)
    problems = pl.concat_str([pl.when(cond.fill_null(False)).then(msg) for _, cond, msg in checks], separator="; ",
                             ignore_nulls=True)
    found = [issue("bad_member", source=r["_source"], row=r["_row"], period=period,
                   subject=f"członek {r['mid'] or '?'}", member_id=r["mid"] or None, problems=[r["problems"]])
             for r in df.filter("failed").select("_source", "_row", "mid", problems.alias("problems"))
             .iter_rows(named=True)]
    rejected = {i.member_id for i in found if i.member_id}
    good = (df.filter(~pl.col("failed"))
            .select(pl.col("mid").alias("member_id"), pl.col("uid").alias("unit_id"), pl.col("cat").alias("category"),
                    pl.col("joined").alias("joined_on"), pl.col("left").alias("left_on"),
                    pl.when(pl.col("pesel_s") != "").then(pl.col("pesel_s")).alias("pesel"),
                    stripped("full_name").alias("full_name"),
                    ((pl.col("joined") < next_first) & (pl.col("left").is_null() | (pl.col("left") >= first_day)))
                    .alias("owes"), "_row", "_source")
            .with_columns(pl.len().over("member_id").alias("_periods")))
    # periods of one member: never overlapping (two rows saying the same days twice are both wrong)
    single = good.filter(pl.col("_periods") == 1)
    chosen, order = [], []
    by_member: dict[str, list[dict]] = {}
    for g in good.filter(pl.col("_periods") > 1).iter_rows(named=True):
        by_member.setdefault(g["member_id"], []).append(g)
    for mid, periods in by_member.items():
        first_row = periods[0]["_row"]
        in_force = period_in_force(mid, periods, period, found, rejected)
        if in_force is not None:
            chosen.append(in_force)
            order.append(first_row)
    # members in the order of their first good row, as the register lists them
    members = (pl.concat([single.select(*MEMBER_SCHEMA, _first=pl.col("_row")),
                          pl.DataFrame(chosen, schema=good.schema).select(*MEMBER_SCHEMA)
                          .with_columns(_first=pl.Series(order, dtype=pl.Int64))])
               .filter(~pl.col("member_id").is_in(list(rejected)))
               .sort("_first", maintain_order=True).drop("_first"))
    history = (good.filter(~pl.col("member_id").is_in(list(rejected)))
               .select("member_id", "unit_id", "category", "joined_on", "left_on"))
    register = df.filter(pl.col("mid") != "")["mid"].unique().rename("member_id")
    found.sort(key=lambda i: i.row or 0)          # in file order, as a treasurer fixes them
    blocked_rows = (df.filter(pl.col("failed") | pl.col("mid").is_in(list(rejected)))
                    .select(pl.when(pl.col("mid") != "").then("mid").alias("member_id"),
                            pl.when(pl.col("uid") != "").then("uid").alias("unit_id"),
                            stripped("full_name").alias("full_name"), "_source", pl.col("_row").cast(pl.Int64)))
    return StagedMembers(members, found, rejected, None, history.sort("member_id", "joined_on"), register,
                         blocked_rows)


# ------------------------------------------------------------------ income lines

@dataclass
class StagedIncome:
    issues: pl.DataFrame           # exception rows (vectorised: a frame, not a list)
    blocked_ids: set[str]          # members blocked by a bad line
    status: pl.DataFrame           # _source, _row, member_id, status (ok | rejected | skipped), period, component, amount_gr

    # The lines that passed are taken from `status` when asked, never held beside it (a million
    # lines at national scale: 0.1 GB less through the whole close).
    @property
    def lines(self) -> pl.DataFrame:
        """In-period lines that passed every check, the employers' deductions left out (they are
        receipts, not income): member_id, component, amount, _source, _row."""
        return self.lines_lazy().collect()

    def lines_lazy(self) -> pl.LazyFrame:
        return self._ok(pl.col("component") != DEDUCTED_COMPONENT)

    @property
    def deducted(self) -> pl.DataFrame:
        """The canonical `dues_deducted` lines that passed (receipts, not income)."""
        return self._ok(pl.col("component") == DEDUCTED_COMPONENT).collect()

    def _ok(self, which: pl.Expr) -> pl.LazyFrame:
        return (self.status.lazy().filter((pl.col("status") == "ok") & which)
                .select("member_id", "component", pl.col("amount_gr").alias("amount"), "_source", "_row"))


# CONTRACT.md: a member's dues are never computed from a partial picture — a line whose month
# cannot be read may be this month's, so it blocks its member too
BLOCKING_INCOME = ("unknown_component", "bad_amount", "bad_period", "bad_row", "duplicate_row")


def _ambiguous_unread(df: pl.DataFrame) -> pl.Series:
    """Whether each line's amount is ambiguous ('1.234'), looked at only where no spelling read it
    (issue 32: a handful of a million lines, not every line twice)."""
    unread = (df["amount_gr"].is_null() & df["amount"].is_not_null()).fill_null(False)
    flags = pl.repeat(False, df.height, eager=True, dtype=pl.Boolean)
    if unread.any():
        where = unread.arg_true()
        flags = flags.scatter(where, df["amount"].gather(where).to_frame().select(ambiguous_amount_expr("amount"))
                              .to_series())
    return flags


def stage_income(raw: pl.DataFrame, members: StagedMembers, units: StagedUnits, rules: Rules) -> StagedIncome:
    """Vectorised checks of the income lines, in the order a treasurer would fix them. Lines
    from payroll exports arrive with ``amount_gr`` already parsed (grosze); canonical lines
    carry PLN text in ``amount``."""
    period = rules.period
    member_book = (members.members.select("member_id", "unit_id", "owes")
                   .join(units.units.select("unit_id", "rulebook"), on="unit_id", how="left"))
    comp_known = pl.DataFrame(
        [{"rulebook": n, "component": c, "known": True} for n, v in rules.versions.items()
         for c in sorted(v.components | {DEDUCTED_COMPONENT})],
        schema={"rulebook": pl.String, "component": pl.String, "known": pl.Boolean})
    limits = pl.DataFrame([{"rulebook": n, "limit": v.max_monthly_amount} for n, v in rules.versions.items()],
                          schema={"rulebook": pl.String, "limit": pl.Int64})
    rejected_members = pl.DataFrame({"member_id": sorted(members.rejected_ids)}, schema={"member_id": pl.String})
    known_members = (members.register.to_frame() if members.register is not None else
                     pl.DataFrame({"member_id": list(members.known_ids)}, schema={"member_id": pl.String}))
    for column in ("amount_gr", "_cells", "_header_cells"):      # frames made without flows.inbox
        if column not in raw.columns:
            raw = raw.with_columns(pl.lit(None, pl.Int64).alias(column))

    df = (raw.with_columns(pl.col(c).str.strip_chars() for c in ("period", "member_id", "component", "amount"))
          .with_columns(amount_gr=pl.coalesce(pl.col("amount_gr"), typed_amount_expr("amount"))))
    df = (df.with_columns(_ambiguous=_ambiguous_unread(df))
          .join(member_book, on="member_id", how="left")
          .join(comp_known, on=["rulebook", "component"], how="left")
          .join(limits, on="rulebook", how="left")
          .join(known_members.with_columns(in_register=pl.lit(True)), on="member_id", how="left")
          .join(rejected_members.with_columns(member_rejected=pl.lit(True)), on="member_id", how="left")
          .with_columns(pl.col("known", "in_register", "member_rejected").fill_null(False)))

    where = pl.col("_source") + pl.lit(", wiersz ") + pl.col("_row").cast(pl.String)
    shaped = pl.col("_cells").is_null()
    bad_shape = ~shaped
    bad_period = shaped & ~pl.col("period").fill_null("").str.contains(PERIOD_RE)
    in_period = shaped & ~bad_period & (pl.col("period") == period)
    unknown_member = in_period & ~pl.col("in_register")
    usable = in_period & pl.col("in_register") & ~pl.col("member_rejected")
    member = pl.col("member_id").fill_null("?")
    checks = [  # (reason, failing rows, message, value) — each a named rule of CONTRACT.md
        ("bad_row", bad_shape, render_expr("bad_row", where, cells=pl.col("_cells"), header=pl.col("_header_cells")),
         None),
        ("bad_period", bad_period, render_expr("bad_period", where, value=pl.col("period"), period=period),
         pl.col("period")),
        ("unknown_member", unknown_member, render_expr("unknown_member", where, member_id=member), None),
        ("unknown_component", usable & ~pl.col("known"),
         render_expr("unknown_component", where, value=pl.col("component"), rulebook=pl.col("rulebook").fill_null("?")),
         pl.col("component")),
        ("bad_amount", usable & pl.col("amount_gr").is_null() & ~pl.col("_ambiguous"),
         render_expr("bad_amount", where, value=pl.col("amount")), pl.col("amount")),
        ("bad_amount", usable & pl.col("amount_gr").is_null() & pl.col("_ambiguous"),
         render_expr("amount_ambiguous", where, value=pl.col("amount")), pl.col("amount")),
        ("bad_amount", usable & pl.col("known") & (pl.col("amount_gr").abs() > pl.col("limit")),
         render_expr("amount_out_of_range", where, value=pl.col("amount_gr").map_elements(pln, return_dtype=pl.String),
                     limit=pl.col("limit").map_elements(format_pl, return_dtype=pl.String),
                     rulebook=pl.col("rulebook")), pl.col("amount")),
        ("not_a_member_in_period", usable & pl.col("known") & pl.col("amount_gr").is_not_null() & ~pl.col("owes"),
         render_expr("not_a_member_in_period", where, member_id=member, period=period), None),
    ]
    # each check's rows worked out once, as a column (issue 32: not again for the status)
    df = df.with_columns(cond.alias(f"_check{i}") for i, (_, cond, _, _) in enumerate(checks))
    failed = pl.any_horizontal(f"_check{i}" for i in range(len(checks)))
    parts = []
    for i, (reason, _, msg, value) in enumerate(checks):
        parts.append(df.filter(pl.col(f"_check{i}")).select(
            pl.lit(period).alias("period"), pl.col("_source").alias("source"),
            pl.col("_row").cast(pl.Int64).alias("row"),
            pl.when(pl.col("member_id") == "").then(None).otherwise(pl.col("member_id")).alias("member_id"),
            pl.lit(reason).alias("reason_code"), msg.alias("message"),
            pl.lit(None, pl.String).alias("unit_id"), pl.lit(None, pl.String).alias("region_id"),
            pl.lit(None, pl.String).alias("person_id"),
            pl.lit("component" if reason == "unknown_component" else None, pl.String).alias("column_name"),
            (mask_expr(value) if value is not None else pl.lit(None, pl.String)).alias("value"),
            pl.lit("close").alias("command")))
    found = pl.concat(parts) if parts else issues_frame([])
    blocking = found.filter(pl.col("reason_code").is_in(BLOCKING_INCOME))
    blocked = set(blocking["member_id"].drop_nulls().to_list())

    df = df.with_columns(
        status=pl.when(failed).then(pl.lit("rejected"))
        .when(~in_period).then(pl.lit("skipped"))
        .when(pl.col("member_rejected")).then(pl.lit("rejected"))
        .otherwise(pl.lit("ok")))
    # issue 32: a line's status and month repeat a few values over a million lines: Categoricals
    # (compared as text by every reader; 30 MB less through the whole compute at 600 000 members)
    return StagedIncome(found, blocked, df.select("_source", "_row", "member_id",
                                                 pl.col("status", "period").cast(pl.Categorical),
                                                 "component", "amount_gr"))


# ------------------------------------------------------------------ adjustments

@dataclass
class StagedAdjustments:
    in_force: pl.DataFrame         # member_id, kind, amount (grosze), decision_ref — applying to period
    issues: list[Issue]
    blocked_ids: set[str]
    status: list[dict] = field(default_factory=list)  # _row, member_id, status


def stage_adjustments(raw: pl.DataFrame, members: StagedMembers, units: StagedUnits,
                      rules: Rules) -> StagedAdjustments:
    """004 §2 ust. 3: reductions or suspensions, at most 6 months per decision, no overlaps; a
    decision for a member whose rulebook provides none (max_reduction_months = 0, 003) is not applied."""
    period = rules.period
    named = raw["member_id"].str.strip_chars(WHITESPACE).drop_nulls().unique().implode()   # the decisions' members
    member_unit = dict(members.members.filter(pl.col("member_id").is_in(named))
                       .select("member_id", "unit_id").iter_rows())
    unit_book = dict(zip(units.units["unit_id"], units.units["rulebook"]))
    found, blocked, status, parsed = [], set(), [], []
    rows = raw.to_dicts()
    known = members.known((r.get("member_id") or "").strip() for r in rows)
    for r in rows:
        mid = (r.get("member_id") or "").strip()
        if mid not in known:
            found.append(issue("unknown_member", source=r["_source"], row=r["_row"], period=period,
                               member_id=mid or "?"))
            status.append({"_row": r["_row"], "member_id": mid, "status": "rejected"})
            continue
        if mid in members.rejected_ids:
            status.append({"_row": r["_row"], "member_id": mid, "status": "rejected"})
            continue
        version = rules.version(unit_book[member_unit[mid]])
        if not version.max_reduction_months:      # the unit's statute has no such decision (003 Art. 31)
            found.append(issue("reduction_not_provided", source=r["_source"], row=r["_row"], period=period,
                               subject=f"członek {mid}", member_id=mid, union=version.union,
                               rule=version.reduction_source))
            status.append({"_row": r["_row"], "member_id": mid, "status": "rejected"})
            continue
        problems = shape_problems(r)
        kind = (r.get("kind") or "").strip()
        if kind not in ("reduced", "suspended"):
            problems.append(text("problems", "adjustment_kind_bad", value=kind))
        amount = None
        a = (r.get("amount") or "").strip()
        if kind == "reduced":
            limit = version.max_monthly_amount
            typed_amount = parse_typed_amount(a)
            if typed_amount is None or typed_amount < 0 or a.startswith("-"):
                problems.append(text("problems", "amount_ambiguous", column="amount", value=a)
                                if is_ambiguous_amount(a) else text("problems", "adjustment_amount_bad", value=a))
            elif typed_amount > limit:
                problems.append(text("problems", "amount_too_large", column="amount", value=a,
                                     limit=format_pl(limit)))
            else:
                amount = typed_amount
        vf, vt = (r.get("valid_from") or "").strip(), (r.get("valid_to") or "").strip()
        if not is_period(vf) or not is_period(vt):
            problems.append(text("problems", "adjustment_periods_bad", valid_from=vf, valid_to=vt))
        elif vt < vf:
            problems.append(text("problems", "adjustment_reversed", valid_from=vf, valid_to=vt))
        else:
            limit = version.max_reduction_months
            n = months_between(vf, vt)
            if n > limit:
                problems.append(text("problems", "adjustment_too_long", valid_from=vf, valid_to=vt,
                                     months=n, limit=limit))
        if problems:
            found.append(issue("bad_adjustment", source=r["_source"], row=r["_row"], period=period,
                               subject=f"członek {mid}", member_id=mid, problems=problems))
            blocked.add(mid)
            status.append({"_row": r["_row"], "member_id": mid, "status": "rejected"})
            continue
        parsed.append({"member_id": mid, "kind": kind, "amount": amount, "valid_from": vf,
                       "valid_to": vt, "decision_ref": mask_personal((r.get("decision_ref") or "").strip() or None),
                       "_row": r["_row"], "_source": r["_source"]})
    # Overlapping decisions for one member: both are wrong, neither is guessed at.
    by_member: dict[str, list[dict]] = {}
    for p in parsed:
        by_member.setdefault(p["member_id"], []).append(p)
    in_force = []
    for mid, decisions in by_member.items():
        overlapping = set()
        for i, a in enumerate(decisions):
            for b in decisions[i + 1:]:
                if a["valid_from"] <= b["valid_to"] and b["valid_from"] <= a["valid_to"]:
                    overlapping.update({a["_row"], b["_row"]})
        for d in decisions:
            if d["_row"] in overlapping:
                others = sorted(overlapping - {d["_row"]})
                found.append(issue("bad_adjustment", source=d["_source"], row=d["_row"], period=period,
                                   subject=f"członek {mid}", member_id=mid, problems=[text(
                                       "problems", "adjustment_overlap", valid_from=d["valid_from"],
                                       valid_to=d["valid_to"], rows=", ".join(map(str, others)))]))
                blocked.add(mid)
                status.append({"_row": d["_row"], "member_id": mid, "status": "rejected"})
            elif d["valid_from"] <= period <= d["valid_to"]:
                in_force.append(d)
                status.append({"_row": d["_row"], "member_id": mid, "status": "ok"})
            else:
                status.append({"_row": d["_row"], "member_id": mid, "status": "skipped"})
    frame = pl.DataFrame(
        [{k: d[k] for k in ("member_id", "kind", "amount", "decision_ref", "valid_from", "valid_to", "_source", "_row")}
         for d in in_force],
        schema={"member_id": pl.String, "kind": pl.String, "amount": pl.Int64,
                "decision_ref": pl.String, "valid_from": pl.String, "valid_to": pl.String,
                "_source": pl.String, "_row": pl.Int64})
    return StagedAdjustments(frame, found, blocked, status)


# ------------------------------------------------------------------ direct payments (payments.csv)

@dataclass
class StagedPayments:
    receipts: pl.DataFrame         # transforms.ledger.RECEIPT_SCHEMA: payments made in the period
    issues: pl.DataFrame
    status: pl.DataFrame           # _source, _row, member_id, status (ok | rejected | skipped)


def stage_payments(raw: pl.DataFrame, members: StagedMembers, rules: Rules, booked: pl.DataFrame | None = None,
                   closed: dict[str, list[str]] | None = None) -> StagedPayments:
    """Members' direct payments: a payment belongs to the close of the month it was paid in
    (``paid_on``); ``period`` (optional) names the month it pays for. A bad row is a record and is
    not booked; it never blocks the member's dues.

    Issue 27: a row equal in every column to an earlier row of the file is a copy — booked once,
    with a record naming both rows. A payment dated in an earlier month the member's unit has
    already closed (``closed``: unit -> months) that no earlier close booked (``booked``:
    member_id, paid_on, amount) is booked in this close as a late payment for its month, with a
    record — never left as skipped."""
    if not raw.height:      # no payments.csv (most units' months): nothing to book, nothing to say
        return no_payments(raw)
    return _staged_payments(raw, members, rules, booked, closed)


def no_payments(raw: pl.DataFrame) -> StagedPayments:
    """What ``stage_payments`` gives for a file of no rows, made directly (issue 32: 15 ms of a unit's
    close to find nothing; tests/test_ledger.py compares the two)."""
    from transforms.ledger import RECEIPT_SCHEMA
    return StagedPayments(pl.DataFrame(schema=RECEIPT_SCHEMA), issues_frame([]), pl.DataFrame(schema={
        "_source": raw.schema.get("_source", pl.String), "_row": raw.schema.get("_row", pl.Int64),
        "member_id": raw.schema.get("member_id", pl.String), "status": pl.String}))


def _staged_payments(raw: pl.DataFrame, members: StagedMembers, rules: Rules, booked: pl.DataFrame | None,
                     closed: dict[str, list[str]] | None) -> StagedPayments:
    period = rules.period
    limit = rules.max_monthly_amount
    book = members.members.select("member_id", "unit_id")
    for column in ("period", "reference", "_cells"):
        if column not in raw.columns:
            raw = raw.with_columns(pl.lit(None, pl.String if column != "_cells" else pl.Int64).alias(column))
    df = (raw.with_columns(pl.col(c).str.strip_chars() for c in ("member_id", "paid_on", "amount", "period"))
          .with_columns(amount_gr=typed_amount_expr("amount"),
                        paid=pl.coalesce(pl.col("paid_on").str.to_date("%Y-%m-%d", strict=False),
                                         pl.col("paid_on").str.to_date("%d.%m.%Y", strict=False)))
          .join(book, on="member_id", how="left"))
    where = pl.col("_source") + pl.lit(", wiersz ") + pl.col("_row").cast(pl.String)
    shaped = pl.col("_cells").is_null()
    bad_amount = shaped & (pl.col("amount_gr").is_null() | (pl.col("amount_gr").abs() > limit))
    bad_date = shaped & pl.col("paid").is_null()
    bad_period = shaped & pl.col("period").is_not_null() & ~pl.col("period").str.contains(PERIOD_RE)
    readable = shaped & ~bad_amount & ~bad_date & ~bad_period
    # a copy of an earlier row (every column equal): booked once (issue 27)
    same = [c for c in raw.columns if not c.startswith("_") or c == "_source"]
    df = _with_late(df.with_columns(_first=pl.col("_row").min().over(same)), period, booked, closed)
    copy = shaped & (pl.col("_row") != pl.col("_first"))
    in_period = readable & ~copy & (pl.col("paid").dt.strftime("%Y-%m") == period)
    late = readable & ~copy & pl.col("_late")
    named = set(df["member_id"].drop_nulls().to_list())     # the few members who paid directly
    unknown = in_period & ~pl.col("member_id").fill_null("").is_in(sorted(members.known(named)))
    member_rejected = (in_period | late) & pl.col("member_id").is_in([m for m in named if m in members.rejected_ids])
    checks = [
        ("bad_row", ~shaped, render_expr("bad_row", where, cells=pl.col("_cells"), header=pl.col("_header_cells")),
         None),
        ("bad_payment", bad_amount, render_expr("payment_amount", where, value=pl.col("amount").fill_null(""),
                                                limit=format_pl(limit)), pl.col("amount")),
        ("bad_payment", bad_date & ~bad_amount, render_expr("payment_date", where, value=pl.col("paid_on").fill_null("")),
         pl.col("paid_on")),
        ("bad_payment", bad_period & ~bad_amount & ~bad_date,
         render_expr("payment_period", where, value=pl.col("period")), pl.col("period")),
        ("unknown_member", unknown, render_expr("unknown_member", where, member_id=pl.col("member_id").fill_null("?")),
         None),
        ("duplicate_payment", copy, render_expr("duplicate_payment", where, first=pl.col("_first").cast(pl.String)),
         None),
    ]
    found = pl.concat([df.filter(cond).select(
        pl.lit(period).alias("period"), pl.col("_source").alias("source"), pl.col("_row").cast(pl.Int64).alias("row"),
        pl.col("member_id"), pl.lit(reason).alias("reason_code"), msg.alias("message"),
        pl.lit(None, pl.String).alias("unit_id"), pl.lit(None, pl.String).alias("region_id"),
        pl.lit(None, pl.String).alias("person_id"), pl.lit(None, pl.String).alias("column_name"),
        (mask_expr(value) if value is not None else pl.lit(None, pl.String)).alias("value"),
        pl.lit("close").alias("command")) for reason, cond, msg, value in checks])
    paid_month = pl.col("paid").dt.strftime("%Y-%m")
    late_rows = df.filter(late & ~member_rejected).select(
        pl.lit(period).alias("period"), pl.col("_source").alias("source"), pl.col("_row").cast(pl.Int64).alias("row"),
        "member_id", pl.lit("late_payment").alias("reason_code"),
        render_expr("late_payment", where, member_id=pl.col("member_id"), paid_on=pl.col("paid").cast(pl.String),
                    amount=pl.col("amount"), month=paid_month, period=pl.lit(period)).alias("message"),
        "unit_id", *(pl.lit(None, pl.String).alias(c) for c in ("region_id", "person_id", "column_name", "value")),
        pl.lit("close").alias("command"))
    found = pl.concat([found, late_rows.select(found.columns)])
    df = df.with_columns(status=pl.when(~readable | unknown | member_rejected | copy).then(pl.lit("rejected"))
                         .when(~in_period & ~late).then(pl.lit("skipped")).otherwise(pl.lit("ok")),
                         for_period=pl.when(late).then(pl.coalesce("period", paid_month)).otherwise(pl.col("period")))
    receipts = (df.filter(pl.col("status") == "ok")
                .select(pl.lit(period).alias("period"), "member_id", "unit_id", pl.lit("payment").alias("kind"),
                        pl.col("_source").alias("source"), pl.col("_row").alias("row"), pl.col("paid").alias("paid_on"),
                        "for_period", pl.col("amount_gr").alias("amount"), "reference"))
    return StagedPayments(receipts, found, df.select("_source", "_row", "member_id", "status"))


def _with_late(df: pl.DataFrame, period: str, booked: pl.DataFrame | None,
               closed: dict[str, list[str]] | None) -> pl.DataFrame:
    """``_late``: the row was paid in an earlier month the member's unit has closed, and no close
    booked it yet (an identical payment booked once earlier covers one row of this file, not every one)."""
    if not closed:
        return df.with_columns(_late=pl.lit(False))
    months = pl.DataFrame([(u, m, True) for u, ms in closed.items() for m in ms],
                          schema={"unit_id": pl.String, "_m": pl.String, "_closed": pl.Boolean}, orient="row")
    key = ["member_id", "paid", "amount_gr"]
    done = (booked if booked is not None else pl.DataFrame(schema={"member_id": pl.String, "paid_on": pl.Date,
                                                                   "amount": pl.Int64}))
    done = (done.rename({"paid_on": "paid", "amount": "amount_gr"}).group_by(key).len("_n")
            .with_columns(pl.col("_n").cast(pl.Int64)))
    return (df.with_columns(_m=pl.col("paid").dt.strftime("%Y-%m"), _k=pl.int_range(1, pl.len() + 1).over(key))
            .join(months, on=["unit_id", "_m"], how="left", maintain_order="left")
            .join(done, on=key, how="left", maintain_order="left", nulls_equal=False)
            .with_columns(_late=(pl.col("_closed").fill_null(False) & (pl.col("_m") < period)
                                 & (pl.col("_k") > pl.col("_n").fill_null(0))).fill_null(False))
            .drop("_m", "_k", "_closed", "_n"))
