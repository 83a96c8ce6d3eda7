"""Reading the canonical inbox (CONTRACT.md) into text frames. Values are never interpreted here:
every column is read as text (PESEL keeps its leading zero), staging casts them. A required file
that is missing or unreadable stops the run (``UserError``: a Polish message naming the file).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from flows.files import SHEETS_READ, check_input, csv_rows, decode_text, file_problem, sniff_separator, xlsx_rows
from flows.payroll_inbox import (BadFile, InboxFile, PayrollFiles, bad_file, choose_profile, decoded_rows, dictionary,
                                 load_profiles)
from transforms.close import RawInputs
from transforms.errors import UserError, text
from transforms.payroll import Identifiers, map_rows
from transforms.staging import WHITESPACE, pesel_padded

REQUIRED = {
    "units": ["unit_id", "region_id", "voivodeship"],
    "members": ["member_id", "unit_id", "category", "joined_on"],
    "income": ["period", "member_id", "component", "amount"],
    "adjustments": ["member_id", "kind", "valid_from", "valid_to"],
    "officers": ["person_id", "body_kind", "body_id", "function", "fte", "monthly_salary"],
    "remittances": ["region_id", "voivodeship", "paid_in", "amount", "declared_paying_members"],
    "wages": ["voivodeship", "month", "amount"],
    "regions": ["region_id"],
    "national_accounts": ["rulebook", "level"],
    "payments": ["member_id", "paid_on", "amount"],
    "benefit_claims": ["claim_id", "member_id", "kind", "event_date"],
    "statements": ["body", "year", "received_on"],
    "votes": ["election", "entitled", "participants", "invalid", "seats", "candidate", "votes"],
    "counts": ["members"],
    "assembly": ["member_id"],
    # issue 30 (004 §4, §3 ust. 4, §3 ust. 1 pkt 2 lit. a, §14): optional inbox files
    "funds": ["region_id", "fund", "pct", "valid_from", "source"],
    "sections": ["section_id", "pct", "valid_from", "source"],
    "secretariats": ["secretariat_id", "organisations", "members", "council_term_from"],
}
OPTIONAL = {
    "units": ["name", "sheltered", "raised_pct", "unemployed_flat", "pensioner_flat",
              "rulebook", "national_contribution_pct", "bank_account",
              "benefit_birth", "benefit_death_member", "benefit_death_family", "section_id"],
    "members": ["left_on", "pesel", "full_name", "staff_number"],
    "income": [],
    "adjustments": ["amount", "decision_ref"],
    "officers": ["full_name", "body_members"],
    "remittances": ["exempt_members", "refused_units", "refused_members", "refused_exempt_members"],
    "wages": ["source"],
    "regions": ["name", "bank_account", "transfer_title"],
    "national_accounts": ["name", "bank_account", "transfer_title"],
    "payments": ["period", "reference"],
    "benefit_claims": ["documents_on", "relation", "single_parent", "payee", "unit_lacks_funds", "amount_claimed",
                       "child", "waiver"],
    "statements": [],
    "votes": ["term"],
    "counts": ["unit_id", "region_id", "body_id"],
    "assembly": [],
    "funds": ["label", "valid_to", "payee", "bank_account", "transfer_title", "due_day"],
    "sections": ["name", "valid_to", "payee", "bank_account", "transfer_title", "due_day"],
    "secretariats": ["name", "agreement_on", "source"],
}


INCOME_COLUMNS = REQUIRED["income"] + ["amount_gr", "_source", "_row", "_cells", "_header_cells"]
# issue 26: the PESEL columns, whose digits a spreadsheet may have turned into a number
PESEL_COLUMNS = {"members": ("pesel",)}


FORMATS: dict[str, str] = {}   # file name -> what was detected (encoding, separator), for the summary


def read_table(path: Path, kind: str, head: InboxFile | None = None) -> pl.DataFrame:
    """One inbox table as text, with ``_source``, ``_row`` (1-based data row) and ``_cells``
    (the row's number of cells when it differs from the header's, else null: staging rejects
    such a row, never pads or cuts it). Raises UserError naming the file. ``head``: the file as
    already read (an income file, issue 28: decoded once)."""
    name = path.name if kind != "income" else f"income/{path.name}"
    check_input(path, name)        # a pipe, a device, a folder or a huge file is never opened
    lines = None
    try:
        if path.suffix.lower() == ".xlsx":
            rows = [[c or "" for c in r] for r in (head.cells(PESEL_COLUMNS.get(kind, ())) if head else
                                                    xlsx_rows(path, PESEL_COLUMNS.get(kind, ())))]
            FORMATS[name] = "xlsx" + (f", {SHEETS_READ[str(path)]}" if str(path) in SHEETS_READ else "")
        else:
            raw = head.raw if head else path.read_bytes()
            if not raw.strip():
                if kind in ("adjustments", "payments"):   # an empty optional file: nothing this month
                    return _empty(kind)
                raise UserError("file_empty", name=name, columns=", ".join(REQUIRED[kind]))
            try:
                content, encoding = head.excel() if head else decode_text(raw)
            except UnicodeDecodeError as e:
                raise UserError("not_text", name=name, byte=e.start) from None
            separator = sniff_separator(content.split("\n", 1)[0])
            FORMATS[name] = f"{encoding}, separator '{separator}'"
            if plain_csv(content):     # read by polars, all rows at once: no Python string per line
                lines = content.replace("\r\n", "\n") if "\r" in content else content
                lines = lines[:-1] if lines.endswith("\n") else lines
                del content
                rows = [lines.split("\n", 1)[0].split(separator)]
            else:
                rows = csv_rows(content, separator)
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001 - any parser failure is reported with the file name
        raise UserError("unreadable", name=name, detail=f"{type(e).__name__}: {e}") from None
    if not rows:
        raise UserError("file_empty", name=name, columns=", ".join(REQUIRED[kind]))
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    while header and not header[-1]:
        header.pop()
    seen = [h for h in header if h]
    twice = sorted({h for h in seen if seen.count(h) > 1})
    if twice:
        raise UserError("duplicate_columns", name=name, columns=", ".join(twice))
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        raise UserError("missing_columns", name=name, missing=", ".join(missing),
                        expected=", ".join(REQUIRED[kind] + OPTIONAL[kind]), found=", ".join(seen) or "żadnych",
                        separator=FORMATS.get(name, ""))
    wanted = REQUIRED[kind] + OPTIONAL[kind]
    index = {h: i for i, h in enumerate(header)}
    if lines is not None:
        columns = {c: index.get(c) for c in wanted}
        df = _regular_frame(lines, separator, len(header), columns)
        if df is None:
            split = pl.Series([lines], dtype=pl.String).str.split("\n").explode()
            df = _lines_frame(split.slice(1), separator, len(header), columns)
    else:
        data, numbers, cells = [], [], []
        for number, row in enumerate(rows[1:], start=1):
            values = [v.strip() for v in row]
            if not any(values):
                continue                    # an empty line is not a row
            while len(values) > len(header) and not values[-1]:
                values.pop()                # trailing empty cells are what Excel writes, not a defect
            data.append([(values[index[c]] or None) if c in index and index[c] < len(values) else None
                         for c in wanted])
            numbers.append(number)
            cells.append(None if len(values) == len(header) else len(values))
        df = pl.DataFrame(data, schema={c: pl.String for c in wanted}, orient="row").with_columns(
            pl.Series("_row", numbers, dtype=pl.Int64), pl.Series("_cells", cells, dtype=pl.Int64))
    for column in PESEL_COLUMNS.get(kind, ()):
        df = df.with_columns(pesel_padded(pl.col(column)).alias(column))
    return df.select(*wanted, pl.lit(name).alias("_source"), "_row", "_cells",
                     pl.lit(len(header), pl.Int64).alias("_header_cells"))


def plain_csv(content: str) -> bool:
    """A CSV without quotes, NUL characters or lone carriage returns: each line is one row, so
    it can be split without the csv module, all rows at once (a national register in a second).
    Anything else goes through the csv module, which it equals on such files (tested)."""
    return ('"' not in content and "\x00" not in content
            and ("\r" not in content or content.count("\r") == content.count("\r\n")))


def _regular_frame(text: str, separator: str, header_cells: int, columns: dict[str, int | None]) -> pl.DataFrame | None:
    """A plain CSV whose every data line has the header's number of cells (nearly every file),
    read by polars' CSV reader (issue 32: 1.23 M lines in 0.1 s where splitting them took 0.6 s);
    None when any line has another number of cells — ``_lines_frame`` then reads it line by line.
    Every line is regular exactly when no line has more cells (the reader refuses those) and the
    separators add up to (cells − 1) per line; an empty line has none. Its rows are what
    ``_lines_frame`` makes of such a file (a property test compares them)."""
    start = text.find("\n") + 1
    lines = text.count("\n")                 # data lines: the header's line ends at ``start``
    if not start or header_cells < 2 or text.count(separator, start) != lines * (header_cells - 1):
        return None
    import io
    try:
        cells = pl.read_csv(io.BytesIO(text[start:].encode("utf-8")), has_header=False, infer_schema=False,
                            quote_char=None, separator=separator, comment_prefix=None, null_values=None)
    except pl.exceptions.PolarsError:
        return None
    if cells.width != header_cells or cells.height != lines:
        return None
    fields = [f"c{i}" for i in range(header_cells)]
    return (cells.rename(dict(zip(cells.columns, fields))).with_row_index("_row", offset=1)
            .with_columns(pl.col("_row").cast(pl.Int64), pl.col(fields).str.strip_chars(WHITESPACE))
            .filter(pl.any_horizontal(pl.col(fields).fill_null("") != ""))
            .select(*[pl.lit(None, pl.String).alias(c) if i is None else
                      pl.when(pl.col(f"c{i}") != "").then(pl.col(f"c{i}")).alias(c) for c, i in columns.items()],
                    "_row", pl.lit(None, pl.Int64).alias("_cells")))


def _lines_frame(lines: pl.Series, separator: str, header_cells: int, columns: dict[str, int | None]) -> pl.DataFrame:
    """The rows of a plain CSV (``plain_csv``) as the row-by-row reading makes them: cells
    stripped, an empty line skipped but counted, trailing empty cells beyond the header dropped,
    ``_cells`` when the count still differs from the header's. Lines with the header's number of
    cells (nearly all) are split into fixed fields; the others cell by cell."""
    frame = (lines.alias("line").to_frame().with_row_index("_row", offset=1)
             .with_columns(pl.col("_row").cast(pl.Int64),
                           regular=pl.col("line").str.count_matches(separator, literal=True) == header_cells - 1))
    fields = [f"c{i}" for i in range(header_cells)]
    irregular = frame.filter(~pl.col("regular"))
    regular = (frame.filter("regular")
               .select("_row", pl.col("line").str.split_exact(separator, header_cells - 1)
                       .struct.rename_fields(fields).alias("cells")).unnest("cells")
               .with_columns(pl.col(fields).str.strip_chars(WHITESPACE))
               .filter(pl.any_horizontal(pl.col(fields) != ""))
               .select(*[pl.lit(None, pl.String).alias(c) if i is None else
                         pl.when(pl.col(f"c{i}") != "").then(pl.col(f"c{i}")).alias(c) for c, i in columns.items()],
                       "_row", pl.lit(None, pl.Int64).alias("_cells")))
    if not irregular.height:       # every line has the header's cells (nearly every file): in row order already
        return regular
    cells = pl.col("cells")
    other = (irregular
             .select("_row", pl.col("line").str.split(separator).list.eval(pl.element().str.strip_chars(WHITESPACE))
                     .alias("cells"))
             .with_columns(n=cells.list.len().cast(pl.Int64),
                           filled=cells.list.eval((pl.element() != "").cast(pl.Int64) * (pl.int_range(pl.len()) + 1))
                           .list.max())
             .filter(pl.col("filled") > 0)
             .with_columns(kept=pl.when(pl.col("n") > header_cells)
                           .then(pl.max_horizontal(pl.lit(header_cells, pl.Int64), "filled")).otherwise("n"))
             .select(*[pl.lit(None, pl.String).alias(c) if i is None else
                       pl.when((pl.col("kept") > i) & (cells.list.get(i, null_on_oob=True) != ""))
                       .then(cells.list.get(i, null_on_oob=True)).alias(c)
                       for c, i in columns.items()],
                     "_row", pl.when(pl.col("kept") != header_cells).then("kept").alias("_cells")))
    return pl.concat([regular, other]).sort("_row")


def find_table(folder: Path, stem: str, required: bool) -> Path | None:
    """``stem.csv`` or ``stem.xlsx`` in ``folder`` (one of them)."""
    found = [p for p in (folder / f"{stem}.csv", folder / f"{stem}.xlsx") if p.exists()]
    if len(found) > 1:
        raise UserError("both_csv_xlsx", stem=stem, folder=folder)
    if not found and required:
        raise UserError("missing_file", name=f"{stem}.csv", folder=folder, columns=", ".join(REQUIRED[stem]))
    return found[0] if found else None


def _empty(kind: str) -> pl.DataFrame:
    cols = REQUIRED[kind] + OPTIONAL[kind]
    return pl.DataFrame(schema={**{c: pl.String for c in cols}, "_source": pl.String, "_row": pl.Int64,
                                "_cells": pl.Int64, "_header_cells": pl.Int64})


def identifiers(members: pl.DataFrame) -> Identifiers:
    """members.csv identifiers (PESEL, staff number, member id) for payroll files."""
    return Identifiers.from_rows(members.select("member_id", "pesel", "staff_number").rows())


class LazyIdentifiers:
    """``identifiers(members)``, made the first time a payroll export or a bad file needs them:
    an inbox of canonical files never does, and a national register takes a second to index."""

    def __init__(self, members: pl.DataFrame):
        self._members, self._ids = members, None

    def __getattr__(self, name: str):
        if self._ids is None:
            self._ids = identifiers(self._members)
        return getattr(self._ids, name)


INCOME_SUFFIXES = (".csv", ".xlsx")


def income_entries(folder: Path, ids: Identifiers, period: str, payroll: PayrollFiles) -> list[Path]:
    """The income files to read. Everything else in income/ is reported, never ignored: a folder,
    a link, a pipe, a file too large or unreadable, a type skladki does not read, a sidecar
    ``.profile`` without its file."""
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise UserError("income_not_folder", path=folder)
    try:
        entries = sorted(folder.iterdir())
    except OSError as e:
        raise UserError("unreadable", name=str(folder), detail=e.strerror or type(e).__name__) from None
    out = []
    for path in entries:
        if path.name.endswith(".profile") and not path.is_symlink() and path.is_file():
            if not path.with_name(path.name[:-len(".profile")]).exists():
                bad_file(path, text("problems", "sidecar_without_file", name=path.name[:-len(".profile")]),
                         ids, period, payroll, readable=False)
            continue
        why = file_problem(path)
        if why is None and path.suffix.lower() not in INCOME_SUFFIXES:
            why = text("problems", "file_unknown_type", suffix="".join(path.suffixes) or path.name)
        if why:
            bad_file(path, why, ids, period, payroll, readable=False)
            continue
        out.append(path)
    return out


def read_inbox(inbox: Path, period: str) -> RawInputs:
    """Read units, members, income/* (canonical files and payroll exports through their profiles)
    and the optional adjustments file."""
    if not inbox.is_dir():
        raise UserError("no_folder", path=inbox, what="skrzynki")
    FORMATS.clear()
    files: list[Path] = []
    units_path = find_table(inbox, "units", True)
    members_path = find_table(inbox, "members", True)
    adj_path = find_table(inbox, "adjustments", False)
    regions_path = find_table(inbox, "regions", False)
    national_path = find_table(inbox, "national_accounts", False)      # issue 30: the union-wide bodies' accounts
    payments_path = find_table(inbox, "payments", False)
    extra_paths = {name: find_table(inbox, name, False) for name in ("funds", "sections", "secretariats")}
    for path in (units_path, members_path, adj_path, regions_path, national_path, payments_path, *extra_paths.values()):
        if path:
            check_input(path, path.name)
    extras = {name: read_table(path, name) for name, path in extra_paths.items() if path}
    units = read_table(units_path, "units")
    if units.height == 0:
        raise UserError("no_units", name=units_path.name)
    members = read_table(members_path, "members")
    adjustments = read_table(adj_path, "adjustments") if adj_path else _empty("adjustments")
    regions = read_table(regions_path, "regions") if regions_path else _empty("regions")
    national = read_table(national_path, "national_accounts") if national_path else None
    payments = read_table(payments_path, "payments") if payments_path else _empty("payments")
    files += [p for p in (units_path, members_path, adj_path, regions_path, national_path, payments_path,
                          *extra_paths.values()) if p]
    ids = LazyIdentifiers(members)
    profiles = load_profiles()
    names = None                   # the dictionary: read once per close, when a payroll file needs it (issue 28)
    payroll = PayrollFiles()
    canonical_parts = []
    for path in income_entries(inbox / "income", ids, period, payroll):
        files.append(path)
        try:
            head = InboxFile(path)     # each income file read (and decoded) once (issue 28)
            profile = choose_profile(path, profiles, head)
        except BadFile as e:
            bad_file(path, str(e), ids, period, payroll)
            continue
        if profile is None:
            try:
                canonical_parts.append(read_table(path, "income", head))
            except UserError as e:       # one income file that cannot be read blocks only its members
                bad_file(path, str(e).removeprefix(f"income/{path.name}: ").rstrip("."), ids, period, payroll)
        else:             # a payroll export: its rows through its profile, each row's income lines
            names = dictionary() if names is None else names
            try:
                rows = decoded_rows(path, profile, head)
            except BadFile as e:
                bad_file(path, str(e), ids, period, payroll)
                continue
            payroll.add(map_rows(rows, profile, names, ids, f"income/{path.name}", period, period))
    files += sorted(p for p in (inbox / "income").glob("*.profile")
                    if file_problem(p) is None) if (inbox / "income").is_dir() else []   # archived, read whole
    # canonical lines carry PLN text; payroll lines arrive parsed, in grosze (amount_gr)
    parts = [p.with_columns(pl.lit(None, pl.Int64).alias("amount_gr")) for p in canonical_parts]
    parts.append(pl.DataFrame(payroll.lines, schema={
        **{c: pl.String for c in REQUIRED["income"]}, "amount_gr": pl.Int64, "_source": pl.String,
        "_row": pl.Int64, "_cells": pl.Int64, "_header_cells": pl.Int64}))
    income = pl.concat([p.select(INCOME_COLUMNS) for p in parts])
    blobs = [(p.relative_to(inbox).as_posix(), p.read_bytes()) for p in sorted(files)]
    digest = hashlib.sha256()
    for rel, data in blobs:
        for part in (rel.encode(), b"\0", data, b"\0"):     # the same digest, without copying the file
            digest.update(part)
    return RawInputs(units, members, income, adjustments,
                     file_rows_rejected=payroll.rows_rejected, input_sha256=digest.hexdigest(),
                     income_issues=payroll.issues, income_blocked=payroll.blocked,
                     income_row_status=payroll.row_status, deductions=payroll.deductions,
                     formats=dict(FORMATS), regions=regions, national=national, payments=payments,
                     files=blobs, funds=extras.get("funds"), sections=extras.get("sections"),
                     secretariats=extras.get("secretariats"))
