"""Reading the canonical inbox (CONTRACT.md) into text frames. Values are never interpreted here:
every column is read as text (PESEL keeps its leading zero), staging casts them.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import polars as pl

from transforms.close import RawInputs

REQUIRED = {
    "units": ["unit_id", "region_id", "voivodeship"],
    "members": ["member_id", "unit_id", "category", "joined_on"],
    "income": ["period", "member_id", "component", "amount"],
    "adjustments": ["member_id", "kind", "valid_from", "valid_to"],
    "officers": ["person_id", "body_kind", "body_id", "function", "fte", "monthly_salary"],
    "remittances": ["region_id", "voivodeship", "paid_in", "amount", "declared_paying_members"],
    "wages": ["voivodeship", "month", "amount"],
}
OPTIONAL = {
    "units": ["name", "sheltered", "raised_pct", "unemployed_flat", "pensioner_flat",
              "rulebook", "national_contribution_pct", "bank_account"],
    "members": ["left_on", "pesel", "full_name", "staff_number"],
    "income": [],
    "adjustments": ["amount", "decision_ref"],
    "officers": ["full_name", "body_members"],
    "remittances": ["exempt_members", "refused_units", "refused_members"],
    "wages": ["source"],
}


class InboxError(Exception):
    """The close cannot be done: a required file is missing or unreadable (exit status 1)."""


def cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    # ok-float: Excel stores numbers as doubles; whole ones lose the '.0', others keep Python's
    # shortest repr, and anything not a 2-decimal amount is then rejected by staging (bad_amount).
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_xlsx(path: Path) -> pl.DataFrame:
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True, data_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    if not rows:
        return pl.DataFrame()
    header = [str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(rows[0])]
    data = [[cell_text(v) for v in r] for r in rows[1:] if any(v is not None for v in r)]
    return pl.DataFrame(data, schema={h: pl.String for h in header}, orient="row")


def read_table(path: Path, kind: str) -> pl.DataFrame:
    """One inbox table as text, with _source and _row; raises InboxError naming the file."""
    name = path.name if kind != "income" else f"income/{path.name}"
    try:
        if path.suffix.lower() == ".xlsx":
            df = _read_xlsx(path)
        else:
            raw = path.read_bytes()
            if not raw.strip():
                if kind == "adjustments":      # an empty optional file: no decisions this month
                    return _empty(kind)
                raise InboxError(f"{name}: the file is empty; expected a header row with "
                                 f"{', '.join(REQUIRED[kind])}")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InboxError(f"{name}: not UTF-8 text (byte {e.start}); save it as UTF-8 CSV "
                                 "with a header row, or give it as .xlsx") from None
            df = pl.read_csv(raw, infer_schema=False)
    except InboxError:
        raise
    except Exception as e:  # noqa: BLE001 - any parser failure is reported with the file name
        raise InboxError(f"{name}: cannot be read ({type(e).__name__}: {e})") from None
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})
    missing = [c for c in REQUIRED[kind] if c not in df.columns]
    if missing:
        raise InboxError(f"{name}: missing required column(s) {', '.join(missing)}; "
                         f"expected columns {', '.join(REQUIRED[kind] + OPTIONAL[kind])} "
                         f"(found {', '.join(df.columns) or 'none'})")
    for c in REQUIRED[kind] + OPTIONAL[kind]:
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(c))
    df = df.select(REQUIRED[kind] + OPTIONAL[kind]).with_columns(
        pl.col(c).cast(pl.String).str.strip_chars() for c in REQUIRED[kind] + OPTIONAL[kind])
    df = df.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
                         for c in df.columns)
    return df.with_columns(pl.lit(name).alias("_source"),
                           pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row"))


def _one(inbox: Path, stem: str, required: bool) -> Path | None:
    found = [p for p in (inbox / f"{stem}.csv", inbox / f"{stem}.xlsx") if p.exists()]
    if len(found) > 1:
        raise InboxError(f"{stem}: both {stem}.csv and {stem}.xlsx are in {inbox}; keep one")
    if not found and required:
        raise InboxError(f"{stem}.csv: missing from the inbox {inbox}; it is required "
                         f"(columns {', '.join(REQUIRED[stem])})")
    return found[0] if found else None


def _empty(kind: str) -> pl.DataFrame:
    cols = REQUIRED[kind] + OPTIONAL[kind]
    return pl.DataFrame(schema={**{c: pl.String for c in cols}, "_source": pl.String, "_row": pl.Int64})


def identifiers(members: pl.DataFrame):
    """members.csv identifiers (PESEL, staff number, member id) for payroll files."""
    from transforms.payroll import Identifiers
    pesel, staff = {}, {}
    for mid, p, st in members.select("member_id", "pesel", "staff_number").iter_rows():
        if mid and p:
            pesel[p] = mid
        if mid and st:
            staff[st] = mid
    return Identifiers(pesel, staff, set(members["member_id"].drop_nulls()))


def read_inbox(inbox: Path, period: str) -> RawInputs:
    """Read units, members, income/* (canonical files and payroll exports through their profiles)
    and the optional adjustments file."""
    from flows.payroll_inbox import BadFile, PayrollFiles, bad_file, choose_profile, load_profiles, read_payroll
    if not inbox.is_dir():
        raise InboxError(f"{inbox}: the inbox folder does not exist")
    files: list[Path] = []
    units_path = _one(inbox, "units", True)
    members_path = _one(inbox, "members", True)
    adj_path = _one(inbox, "adjustments", False)
    units = read_table(units_path, "units")
    members = read_table(members_path, "members")
    adjustments = read_table(adj_path, "adjustments") if adj_path else _empty("adjustments")
    files += [p for p in (units_path, members_path, adj_path) if p]
    income_dir = inbox / "income"
    income_files = sorted(p for p in income_dir.glob("*") if p.suffix.lower() in (".csv", ".xlsx")) \
        if income_dir.is_dir() else []
    files += sorted(p for p in income_dir.glob("*.profile")) if income_dir.is_dir() else []
    ids = identifiers(members)
    profiles = load_profiles()
    payroll = PayrollFiles()
    canonical_parts = []
    for path in income_files:
        try:
            profile = choose_profile(path, profiles)
        except BadFile as e:
            bad_file(path, str(e), ids, period, payroll)
            continue
        if profile is None:
            canonical_parts.append(read_table(path, "income"))
        else:
            read_payroll(path, profile, ids, period, payroll)
    files += income_files
    if payroll.lines:
        canonical_parts.append(pl.DataFrame(payroll.lines, schema={
            **{c: pl.String for c in REQUIRED["income"]}, "_source": pl.String, "_row": pl.Int64}))
    income = pl.concat(canonical_parts) if canonical_parts else _empty("income")
    digest = hashlib.sha256()
    for p in sorted(files):
        digest.update(str(p.relative_to(inbox)).encode() + b"\0" + p.read_bytes() + b"\0")
    return RawInputs(units, members, income, adjustments,
                     file_rows_rejected=payroll.rows_rejected, input_sha256=digest.hexdigest(),
                     income_exceptions=payroll.exceptions, income_blocked=payroll.blocked,
                     income_row_status=payroll.row_status, deductions=payroll.deductions)
