"""The one registry of stored tables: columns, grain, DDL, storage casts and pandera schemas.

Every command stores its results through this registry (``flows.store.write``), schemas validate
frames against it, reports select from the tables it names. Money columns are Int64 grosze in
frames and DECIMAL(18,2) in DuckDB, converted exactly (``money.sql_money``). Vocabulary checks
(levels, categories) come from the rulebooks in force, never from literals here.

A failure of an output schema is a bug in skladki, never a data problem: input problems are
``Issue`` records made in staging.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from transforms.errors import catalogue
from transforms.money import sql_money


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"       # text | money | int | date | bool | timestamp | pct | fte | dec6
    source: str | None = None   # frame column, when it differs (units.raised_pct <- raised_bp)
    nullable: bool = True


SQL_TYPES = {"blob": "BLOB", "text": "VARCHAR", "money": "DECIMAL(18,2)", "int": "BIGINT", "date": "DATE",
             "bool": "BOOLEAN", "timestamp": "TIMESTAMP", "pct": "DECIMAL(5,2)", "fte": "DECIMAL(6,4)",
             "dec6": "DECIMAL(24,6)"}
FRAME_TYPES = {"blob": pl.Binary, "text": pl.String, "money": pl.Int64, "int": pl.Int64, "date": pl.Date, "bool": pl.Boolean,
               "timestamp": pl.Datetime, "pct": pl.Int64, "fte": pl.String, "dec6": pl.String}


@dataclass(frozen=True)
class Table:
    name: str
    grain: str
    columns: tuple[Column, ...]
    replace_by: tuple[str, ...] = ("period",)   # a re-run deletes rows with these values first; () = all
    # a close replaces only its own units' rows of a month (RULES.md §13): the column naming the unit
    # (or, for region rows, the region); None = not a table of a unit's month
    unit_key: str | None = None
    # issue 32: stored in no particular order (appended in parallel: 1.23 M income lines 0.9 s →
    # 0.45 s); every reader of such a table orders or aggregates (tests/test_store.py checks the code)
    unordered: bool = False

    @property
    def ddl(self) -> list[str]:
        cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.kind]}' for c in self.columns)
        # tables of older databases get the columns added since (additions only: CONTRACT.md)
        return [f"CREATE TABLE IF NOT EXISTS {self.name} ({cols})"] + [
            f'ALTER TABLE {self.name} ADD COLUMN IF NOT EXISTS "{c.name}" {SQL_TYPES[c.kind]}'
            for c in self.columns]

    def select_from(self, frame_name: str) -> str:
        """INSERT ... SELECT list over a registered frame, each column cast exactly."""
        parts = []
        for c in self.columns:
            src = f'"{c.source or c.name}"'
            if c.kind == "money":
                parts.append(sql_money(src))
            elif c.kind == "pct":
                parts.append(f"CAST(CAST({src} AS DECIMAL(18,0)) * 0.01 AS DECIMAL(5,2))")
            elif c.kind in ("fte", "dec6"):
                parts.append(f"CAST({src} AS {SQL_TYPES[c.kind]})")
            else:
                parts.append(f"CAST({src} AS {SQL_TYPES[c.kind]})")
        return f'INSERT INTO {self.name} ({", ".join(chr(34) + c.name + chr(34) for c in self.columns)}) ' \
               f"SELECT {', '.join(parts)} FROM {frame_name}"

    def frame_schema(self) -> dict:
        return {(c.source or c.name): FRAME_TYPES[c.kind] for c in self.columns}

    def frame(self, rows: list[dict]) -> pl.DataFrame:
        return pl.DataFrame(rows, schema=self.frame_schema(), strict=False)


def _cols(spec: str) -> tuple[Column, ...]:
    """'period, member_id, base:money' -> Columns (name[:kind][<source])."""
    out = []
    for part in spec.split(","):
        part = part.strip()
        source = None
        if "<" in part:
            part, source = part.split("<")
        name, _, kind = part.partition(":")
        out.append(Column(name.strip(), kind.strip() or "text", source))
    return tuple(out)


EXCEPTION_COLUMNS = ("source, row:int, member_id, reason_code, message, unit_id, region_id, column_name, value")
# the units of the close that found a problem it could not tie to one unit (comma-separated): such a
# row is replaced when any of those units' month is closed again
SCOPE = ", scope"

TABLES: dict[str, Table] = {t.name: t for t in [
    # ---- CONTRACT.md
    Table("dues", "one row per member owing dues in the period whose dues could be computed",
          _cols("period, member_id, unit_id, category, base:money, dues:money, surcharge:money, total:money"), unit_key="unit_id"),
    Table("allocations", "one row per unit, period and level of the unit's rulebook (zeros included)",
          _cols("period, unit_id, level, amount:money"), unit_key="unit_id"),
    Table("exceptions", "one row per problem found by a close",
          _cols("period, " + EXCEPTION_COLUMNS + SCOPE), unit_key="unit_id"),
    Table("runs", "one row per close run (the log); units: the units whose month it closed",
          _cols("run_id, period, started_at:timestamp, finished_at:timestamp, rulebook_version, rows_read:int, "
                "rows_used:int, rows_rejected:int, rows_skipped:int, input_sha256, units, recomputes"),
          replace_by=("run_id",)),
    # ---- a unit's month (RULES.md §13): draft until approved, incomplete when inputs are missing
    Table("unit_months", "one row per unit and closed month: its state and the run whose figures stand",
          _cols("period, unit_id, state, run_id, last_run_id, incomplete:bool, missing, approved_by, "
                "approved_at:timestamp, approval_reason, approved_via"), unit_key="unit_id"),
    # ---- extensions (added, nothing renamed)
    Table("transfers", "one row per payer, payee and period; amount from the settlement (dues received), "
          "owed_amount from the allocations (dues owed)",
          _cols("period, payer_kind, payer_id, payee, region_id, amount:money, due_on:date, rule, owed_amount:money")),
    # ---- member accounts (RULES.md §5 "Owed and received", §10)
    Table("receipts", "one row per receipt of the close: a deduction, a direct payment, or dues assumed received",
          _cols("period, member_id, unit_id, kind, source, row:int, paid_on:date, for_period, amount:money, reference"), unit_key="unit_id"),
    Table("member_ledger", "one row per member with an account in the period",
          _cols("period, member_id, unit_id, owed:money, received:money, applied_dues:money, applied_surcharge:money, "
                "credit:money, arrears:money, balance:money, months_unpaid:int, oldest_unpaid, basis"), unit_key="unit_id"),
    Table("ledger_items", "one row per member and month still (partly) unpaid after the close of the period",
          _cols("period, member_id, unit_id, for_period, category, dues_open:money, surcharge_open:money"), unit_key="unit_id"),
    Table("settlement", "one row per unit, level and period of the split of dues received (basis received or "
          "assumed), plus rows correcting an earlier month (basis correction, corrects = that month)",
          _cols("period, unit_id, level, amount:money, basis, corrects"), replace_by=("period", "basis"), unit_key="unit_id"),
    Table("corrections", "one row per unit and level whose approved settlement a re-close changed; reason: what "
          "changed, in Polish",
          _cols("run_id, corrected_period, applied_in, unit_id, level, amount:money, reason"), replace_by=("run_id",)),
    Table("close_differences", "one row per member or unit figure a re-close changed",
          _cols("run_id, period, subject, subject_id, unit_id, measure, before:money, after:money, change:money"),
          replace_by=("run_id",)),
    Table("history", "one row per stored row a re-close replaced (the row as JSON)",
          _cols("superseded_by, superseded_run, period, table_name, row_json"), replace_by=("superseded_by",)),
    # ---- derivations (issue 18: recorded as computed, read by `skladki explain`)
    Table("dues_derivation", "one row per dues row: the rule applied and its parameters",
          _cols("period, member_id, unit_id, rulebook_version, category, rule_source, rule_json, floor_used:bool, "
                "raised_pct:pct<raised_bp, adjustment, adjustment_amount:money, decision_ref"), unit_key="unit_id"),
    Table("income_lines", "one row per income line of a member with a dues row: used in the base or left out, why",
          _cols("period, member_id, unit_id, source, row:int, line_period, component, amount:money, use"), unit_key="unit_id",
          unordered=True),
    Table("split_steps", "one row per move of a unit's cascade (owed, and received or assumed)",
          _cols("period, unit_id, basis, step:int, source_level, target_level, share, d:money, amount:money, "
                "rule_source"), unit_key="unit_id"),
    Table("archive_blobs", "one row per distinct input file ever archived (sha256 of its bytes; zlib-compressed)",
          _cols("sha256, size:int, data:blob"), replace_by=()),
    Table("archive_files", "one row per file a close read (inbox, rulebooks, profiles, catalogue, accounts)",
          _cols("run_id, role, path, sha256"), replace_by=("run_id",)),
    Table("benefit_decisions", "one row per benefit claim (the statute's benefit rules, cited by the rulebook): "
          "granted, pending documents or refused",
          _cols("claim_id, member_id, unit_id, region_id, kind, event_date:date, documents_on:date, relation, decision, "
                "amount:money, payer, reason_code, reason, amount_claimed:money, child, waiver"), replace_by=("claim_id",)),
    Table("employer_claims", "one row per employer file reporting deductions and member of it",
          _cols("period, employer, unit_id, member_id, owed:money, deducted:money, difference:money, note"),
          unit_key="unit_id"),
    # issue 26: which unit's treasurer sees which exception, and why (basis: `record` — the record
    # names the unit; `member` — the member's unit in members.csv, blocked rows included; `file` —
    # the member is unknown, so the units whose members the same file lists). No names.
    Table("unit_exceptions", "one row per exception of a close and unit it concerns",
          _cols("period, unit_id, basis, source, row:int, member_id, reason_code, message" + SCOPE),
          unit_key="unit_id"),
    Table("memberships", "one row per valid period of membership in the register the close used (no names)",
          _cols("period, member_id, unit_id, category, joined_on:date, left_on:date"), unit_key="unit_id"),
    Table("adjustments_in_force", "one row per member with a reduction or suspension in force in the period",
          _cols("period, unit_id, member_id, kind, amount:money, valid_from, valid_to, months_covered:int, "
                "months_left:int, decision_ref"), unit_key="unit_id"),
    Table("deduction_check", "one row per member with dues deducted by an employer in the period",
          _cols("period, member_id, unit_id, source, deducted:money, computed:money, difference:money"
                + SCOPE + ", checked:bool"),
          unit_key="unit_id"),
    Table("units", "one row per valid unit per period (the register the close used)",
          _cols("period, unit_id, name, region_id, voivodeship, sheltered:bool, rulebook, "
                "raised_pct:pct<raised_bp, bank_account, benefit_birth, benefit_death_member, "
                "benefit_death_family, section_id"), unit_key="unit_id"),
    Table("regions", "one row per valid row of the optional regions.csv per period",
          _cols("period, region_id, name, bank_account, transfer_title"), unit_key="region_id"),
    # ---- issue 30 (004 §4, §3 ust. 4, §3 ust. 1 pkt 2 lit. a, §14)
    Table("earmarks", "one row per region's earmarked fund or section's dues in force in the period (a level "
          "of the cascades of the units it binds)",
          _cols("period, level, kind, owner_id, label, payee, share, valid_from:date, valid_to:date, bank_account, "
                "transfer_title, due_day:int, source"), unit_key="level"),
    Table("secretariats", "one row per valid row of the optional secretariats.csv per period",
          _cols("period, secretariat_id, name, organisations:int, members:int, council_term_from:date, "
                "agreement_on:date, source"), unit_key="secretariat_id"),
    Table("secretariat_shares", "one row per branch secretariat and period: its share of the month's national "
          "pot for the secretariats, to the grosz",
          _cols("period, secretariat_id, name, organisations:int, members:int, pot:money, amount:money, quota, "
                "source"), unit_key="secretariat_id"),
    Table("national_accounts", "one row per valid row of the optional national_accounts.csv per period (issue 30: the "
          "account of a union-wide body a unit pays directly, by rulebook and level)",
          _cols("period, rulebook, level, name, bank_account, transfer_title"), unit_key="rulebook"),
    Table("salary_caps", "one row per officer function per period, plus a total row per person with several",
          _cols("period, person_id, body_kind, body_id, function, quarter_used, average_wage:money, cap_basis, "
                "cap:money, fte:fte, salary:money, excess:money, full_time_cap:money, flagged:bool")),
    Table("salary_cap_exceptions", "one row per bad row of officers.csv",
          _cols("period, source, row:int, person_id, reason_code, message")),
    Table("delegate_verification", "one row per region, voivodeship and month the national level received the money",
          _cols("region_id, voivodeship, paid_in, wage:money, declared_paying_members:int, exempt_members:int, "
                "remitted:money, threshold:dec6, recognised_paying:int, recognised_members:int, verdict, note, "
                "needed:money, refused_members:int, wage_source, refused_exempt_members:int, reading, "
                "verdict_other_reading, recognised_members_other_reading:int"), replace_by=("paid_in",)),
    Table("delegate_seats", "one row per region of the last verification",
          _cols("region_id, recognised_members:int, quota:dec6, seats:int, seats_if_declared:int, "
                "declared_members:int, rule"), replace_by=()),
    Table("remittance_check", "one row per verified region × voivodeship whose dues month is stored",
          _cols("region_id, voivodeship, paid_in, dues_period, remitted:money, expected_from_books:money, "
                "difference:money, declared_exempt:int, exempt_from_books:int, exempt_verdict, exempt_note"),
          replace_by=()),
    Table("delegate_exceptions", "one row per bad input row of the last verification",
          _cols("source, row:int, region_id, reason_code, message"), replace_by=()),
    Table("bank_credits", "one row per statement entry (credits and debits)",
          _cols("reconciled_for, statement, entry:int, booking_date:date, amount:money, direction, account, "
                "counterparty, title, matched:money, unmatched_reason, scope"), replace_by=("reconciled_for", "scope")),
    Table("transfer_matches", "one row per part of a credit matched to a unit and month",
          _cols("reconciled_for, statement, entry:int, unit_id, period, amount:money, booking_date:date, matched_by, "
                "scope"), replace_by=("reconciled_for", "scope")),
    Table("transfer_status", "one row per unit and month with a transfer due",
          _cols("reconciled_for, unit_id, period, expected:money, paid:money, difference:money, due_on:date, "
                "last_payment_on:date, days_late:int, status, scope"), replace_by=("reconciled_for", "scope")),
    Table("arrears", "one row per member with 3+ consecutive unpaid months",
          _cols("reconciled_for, member_id, unit_id, first_unpaid, last_unpaid, months:int, amount_due:money, scope, "
                "cause"),
          replace_by=("reconciled_for", "scope")),
    Table("reconcile_exceptions", "one row per problem found by a reconciliation",
          _cols("reconciled_for, " + EXCEPTION_COLUMNS + ", scope"), replace_by=("reconciled_for", "scope")),
    # ---- issue 29: settlement files imported by a region (or the national board)
    Table("settlement_files", "one row per imported settlement file version (a unit's or a region's month); "
          "superseded_by: the sha256 of the newer version that replaced it",
          _cols("unit_id, period, version:int, kind, sha256, file_name, imported_at:timestamp, run_id, input_sha256, "
                "paying_members:int, by_category, owed:money, received:money, superseded_by"),
          replace_by=("sha256",)),
    Table("settlement_units", "one row per unit a region's imported settlement file (kind region) covers, "
          "national level: the unit's file it relied on, its paying members by category, owed and received",
          _cols("region_id, period, unit_id, region_sha256, file_sha256, file_version:int, paying_members:int, "
                "by_category, owed:money, received:money"), replace_by=("region_id", "period")),
    Table("import_exceptions", "one row per file the last import of a folder refused or noted (reason code, "
          "Polish message)",
          _cols("folder, file, reason_code, message, unit_id, period"), replace_by=("folder",)),
    # ---- issue 29: the settlement files a unit issued (flows/settlement_out.py)
    Table("settlement_issued", "one row per settlement file version issued for a unit and month",
          _cols("unit_id, period, version:int, sha256, issued_at:timestamp, file_name"),
          replace_by=("unit_id", "period", "version")),
]}


# ---- the stored tables' groups (issue 28): a new table is declared here, beside its columns
# what a close stores of its units' month (in this order)
CLOSE_TABLES = ("dues", "allocations", "exceptions", "transfers", "units", "deduction_check", "regions",
                "national_accounts", "receipts", "member_ledger", "ledger_items", "employer_claims", "adjustments_in_force",
                "dues_derivation", "income_lines", "split_steps", "memberships", "unit_exceptions")
# the tables of a unit's month, replaced unit by unit (transfers and regions are the month's, and
# the settlement keeps an approved month's rows)
UNIT_TABLES = tuple(t for t in CLOSE_TABLES if t not in ("transfers", "regions", "national_accounts"))
# what a re-close replaces is kept in `history` first (nothing of the past is silently rewritten)
KEPT_IN_HISTORY = ("dues", "allocations", "transfers", "receipts", "member_ledger", "employer_claims", "settlement")
# the month's figures of the run's units an export carries, no member in them (RULES.md §14)
EXPORT_TABLES = ("runs", "units", "allocations", "settlement", "transfers")


# ------------------------------------------------------------------ pandera schemas of stored frames

def reason_codes() -> list[str]:
    return sorted(catalogue()["reasons"])


def schema(table: str, vocabulary: dict[str, list[str]] | None = None) -> pa.DataFrameSchema:
    """A pandera schema of a stored table's frame (money in grosze), with vocabulary checks
    ({column: allowed values}) from the rulebooks in force."""
    t = TABLES[table]
    vocabulary = vocabulary or {}
    columns = {}
    for c in t.columns:
        checks = [pa.Check.isin(vocabulary[c.name])] if c.name in vocabulary else []
        # the scope is added when the rows are stored (flows.close), not by the transforms
        columns[c.source or c.name] = pa.Column(FRAME_TYPES[c.kind], checks=checks, nullable=c.nullable,
                                                required=c.name != "scope")
    return pa.DataFrameSchema(columns, name=table)


def validate_close(result, levels: list[str], categories: list[str]) -> None:
    """Every output of a close against its schema, plus the money rules of CONTRACT.md:
    total = dues + surcharge, nothing negative, one dues row per member, and each unit's
    allocations summing exactly to its Σ dues.total. Raises pandera's SchemaErrors on a bug."""
    money_checks = [
        pa.Check(lambda d: d.lazyframe.select(pl.col("total") == pl.col("dues") + pl.col("surcharge")),
                 name="total_is_dues_plus_surcharge"),
        pa.Check(lambda d: d.lazyframe.select(pl.min_horizontal("base", "dues", "surcharge", "total") >= 0),
                 name="no_negative_money"),
        pa.Check(lambda d: d.lazyframe.select(pl.col("member_id").is_unique()), name="one_row_per_member"),
    ]
    dues = schema("dues", {"category": categories})
    dues.checks = money_checks
    dues.validate(result.dues, lazy=True)
    schema("allocations", {"level": levels}).validate(result.allocations, lazy=True)
    balance = allocation_balance(result.allocations, result.dues)
    pa.DataFrameSchema({"unit_id": pa.Column(str, unique=True), "allocated": pa.Column(pl.Int64),
                        "dues_total": pa.Column(pl.Int64)},
                       checks=[pa.Check(lambda d: d.lazyframe.select(pl.col("allocated") == pl.col("dues_total")),
                                        name="allocations_sum_to_dues")]).validate(balance, lazy=True)
    schema("exceptions", {"reason_code": reason_codes()}).validate(result.exceptions, lazy=True)


def allocation_balance(allocations: pl.DataFrame, dues: pl.DataFrame) -> pl.DataFrame:
    per_unit = dues.group_by("unit_id").agg(pl.col("total").sum().alias("dues_total"))
    return (allocations.group_by("unit_id")
            .agg(pl.col("amount").sum().alias("allocated"))
            .join(per_unit, on="unit_id", how="left")
            .with_columns(pl.col("dues_total").fill_null(0).cast(pl.Int64)))


# ------------------------------------------------------------------ staged inputs (not stored)

class UnitsStaged(pa.DataFrameModel):
    """One row per valid unit of units.csv."""
    unit_id: str = pa.Field(unique=True)
    region_id: str
    voivodeship: str
    sheltered: bool
    rulebook: str
    raised_bp: pl.Int64 = pa.Field(ge=10_000, le=20_000)   # 004 §2 ust. 1
    # null: the cell is empty, no amount decided by the unit (issue 30; transforms.dues: unit_flat_missing)
    unemployed_flat: pl.Int64 = pa.Field(ge=0, nullable=True)
    pensioner_flat: pl.Int64 = pa.Field(ge=0, nullable=True)


class MembersStaged(pa.DataFrameModel):
    """One row per valid member of members.csv; ``owes`` tells whether dues are owed in the period."""
    member_id: str = pa.Field(unique=True)
    unit_id: str
    category: str
    joined_on: pl.Date
    left_on: pl.Date = pa.Field(nullable=True)
    owes: bool


class IncomeLine(pa.DataFrameModel):
    """One row per usable income line of the period (canonical component, amount in grosze)."""
    member_id: str
    component: str
    amount: pl.Int64


class AdjustmentInForce(pa.DataFrameModel):
    """One row per member with a reduction or suspension in force in the period (004 §2 ust. 3)."""
    member_id: str = pa.Field(unique=True)
    kind: str = pa.Field(isin=["reduced", "suspended"])
    amount: pl.Int64 = pa.Field(nullable=True, ge=0)


def validate_staged(staged) -> None:
    UnitsStaged.validate(staged.units.units, lazy=True)
    MembersStaged.validate(staged.members.members, lazy=True)
    IncomeLine.validate(staged.income.lines, lazy=True)
    AdjustmentInForce.validate(staged.adjustments.in_force, lazy=True)
