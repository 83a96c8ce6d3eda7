"""Reading the canonical inbox (CONTRACT.md) into text frames. Values are never interpreted here:
every column is read as text (PESEL keeps its leading zero), staging casts them. A required file
that is missing or unreadable stops the run (``UserError``: a Polish message naming the file).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from flows.files import cell_text, xlsx_values
from flows.payroll_inbox import BadFile, PayrollFiles, bad_file, choose_profile, load_profiles, read_payroll
from transforms.close import RawInputs
from transforms.errors import UserError
from transforms.payroll import Identifiers

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


INCOME_COLUMNS = REQUIRED["income"] + ["amount_gr", "_source", "_row"]


def _read_xlsx(path: Path) -> pl.DataFrame:
    rows = xlsx_values(path)
    if not rows:
        return pl.DataFrame()
    header = [str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(rows[0])]
    data = [[cell_text(v) for v in r] for r in rows[1:] if any(v is not None for v in r)]
    return pl.DataFrame(data, schema={h: pl.String for h in header}, orient="row")


def read_table(path: Path, kind: str) -> pl.DataFrame:
    """One inbox table as text, with _source and _row; raises UserError naming the file."""
    name = path.name if kind != "income" else f"income/{path.name}"
    try:
        if path.suffix.lower() == ".xlsx":
            df = _read_xlsx(path)
        else:
            raw = path.read_bytes()
            if not raw.strip():
                if kind == "adjustments":      # an empty optional file: no decisions this month
                    return _empty(kind)
                raise UserError("file_empty", name=name, columns=", ".join(REQUIRED[kind]))
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise UserError("not_utf8", name=name, byte=e.start) from None
            df = pl.read_csv(raw, infer_schema=False)
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001 - any parser failure is reported with the file name
        raise UserError("unreadable", name=name, detail=f"{type(e).__name__}: {e}") from None
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})
    missing = [c for c in REQUIRED[kind] if c not in df.columns]
    if missing:
        raise UserError("missing_columns", name=name, missing=", ".join(missing),
                        expected=", ".join(REQUIRED[kind] + OPTIONAL[kind]), found=", ".join(df.columns) or "żadnych")
    for c in REQUIRED[kind] + OPTIONAL[kind]:
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(c))
    df = df.select(REQUIRED[kind] + OPTIONAL[kind]).with_columns(
        pl.col(c).cast(pl.String).str.strip_chars() for c in REQUIRED[kind] + OPTIONAL[kind])
    df = df.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
                         for c in df.columns)
    return df.with_columns(pl.lit(name).alias("_source"),
                           pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row"))


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
    return pl.DataFrame(schema={**{c: pl.String for c in cols}, "_source": pl.String, "_row": pl.Int64})


def identifiers(members: pl.DataFrame) -> Identifiers:
    """members.csv identifiers (PESEL, staff number, member id) for payroll files."""
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
    if not inbox.is_dir():
        raise UserError("no_folder", path=inbox, what="skrzynki")
    files: list[Path] = []
    units_path = find_table(inbox, "units", True)
    members_path = find_table(inbox, "members", True)
    adj_path = find_table(inbox, "adjustments", False)
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
    # canonical lines carry PLN text; payroll lines arrive parsed, in grosze (amount_gr)
    parts = [p.with_columns(pl.lit(None, pl.Int64).alias("amount_gr")) for p in canonical_parts]
    parts.append(pl.DataFrame(payroll.lines, schema={
        **{c: pl.String for c in REQUIRED["income"]}, "amount_gr": pl.Int64, "_source": pl.String,
        "_row": pl.Int64}))
    income = pl.concat([p.select(INCOME_COLUMNS) for p in parts])
    digest = hashlib.sha256()
    for p in sorted(files):
        digest.update(str(p.relative_to(inbox)).encode() + b"\0" + p.read_bytes() + b"\0")
    return RawInputs(units, members, income, adjustments,
                     file_rows_rejected=payroll.rows_rejected, input_sha256=digest.hexdigest(),
                     income_issues=payroll.issues, income_blocked=payroll.blocked,
                     income_row_status=payroll.row_status, deductions=payroll.deductions)
