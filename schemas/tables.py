"""pandera (polars backend) models of the staged inputs and the stored outputs.

Money columns are Int64 grosze here; DuckDB stores them as DECIMAL(18,2). Frames are validated
collected (``lazy=True``) so every failure is reported at once. A failure of an output model is a
bug in skladki, never a data problem: input problems are exception records made in staging.
"""
from __future__ import annotations

import polars as pl
import pandera.polars as pa
from pandera.polars import PolarsData

from transforms.rulebook import CATEGORIES, LEVELS

REASON_CODES = ("unknown_member", "unknown_component", "bad_amount", "bad_period",
                "not_a_member_in_period", "missing_income", "negative_base", "bad_adjustment",
                "bad_member", "bad_unit",
                # extensions: a payroll/income file that could not be read as its profile says
                "bad_file")


class UnitsStaged(pa.DataFrameModel):
    """One row per valid unit of units.csv."""
    unit_id: str = pa.Field(unique=True)
    region_id: str
    voivodeship: str
    sheltered: bool
    rulebook: str
    raised_bp: pl.Int64 = pa.Field(ge=10_000, le=20_000)   # 004 §2 ust. 1
    unemployed_flat: pl.Int64 = pa.Field(ge=0)
    pensioner_flat: pl.Int64 = pa.Field(ge=0)


class MembersStaged(pa.DataFrameModel):
    """One row per valid member of members.csv; ``owes`` tells whether dues are owed in the period."""
    member_id: str = pa.Field(unique=True)
    unit_id: str
    category: str = pa.Field(isin=list(CATEGORIES))
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


class Dues(pa.DataFrameModel):
    """One row per member owing dues in the period whose dues could be computed."""
    period: str = pa.Field(str_matches=r"^\d{4}-\d{2}$")
    member_id: str = pa.Field(unique=True)
    unit_id: str
    category: str = pa.Field(isin=list(CATEGORIES))
    base: pl.Int64 = pa.Field(ge=0)
    dues: pl.Int64 = pa.Field(ge=0)
    surcharge: pl.Int64 = pa.Field(ge=0)
    total: pl.Int64 = pa.Field(ge=0)

    @pa.dataframe_check
    def total_is_dues_plus_surcharge(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("total") == pl.col("dues") + pl.col("surcharge"))


class Allocations(pa.DataFrameModel):
    """Six rows per valid unit per period, one per level, zeros included."""
    period: str
    unit_id: str
    level: str = pa.Field(isin=list(LEVELS))
    amount: pl.Int64


class AllocationBalance(pa.DataFrameModel):
    """One row per unit: what its six allocations sum to against its Σ dues.total (004 §3)."""
    unit_id: str = pa.Field(unique=True)
    n_levels: pl.UInt32 = pa.Field(eq=len(LEVELS))
    allocated: pl.Int64
    dues_total: pl.Int64

    @pa.dataframe_check
    def allocations_sum_to_dues(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("allocated") == pl.col("dues_total"))


class Exceptions(pa.DataFrameModel):
    """One row per problem found."""
    period: str
    source: str
    row: pl.Int64 = pa.Field(nullable=True)
    member_id: str = pa.Field(nullable=True)
    reason_code: str = pa.Field(isin=list(REASON_CODES))
    message: str


def allocation_balance(allocations: pl.DataFrame, dues: pl.DataFrame) -> pl.DataFrame:
    per_unit = dues.group_by("unit_id").agg(pl.col("total").sum().alias("dues_total"))
    return (allocations.group_by("unit_id")
            .agg(pl.len().alias("n_levels"), pl.col("amount").sum().alias("allocated"))
            .join(per_unit, on="unit_id", how="left")
            .with_columns(pl.col("dues_total").fill_null(0).cast(pl.Int64)))


def validate_outputs(dues: pl.DataFrame, allocations: pl.DataFrame, exceptions: pl.DataFrame) -> None:
    """Run every output model on a close's tables; raises pandera's SchemaErrors on a bug."""
    Dues.validate(dues, lazy=True)
    Allocations.validate(allocations, lazy=True)
    AllocationBalance.validate(allocation_balance(allocations, dues), lazy=True)
    Exceptions.validate(exceptions, lazy=True)


def validate_staged(units: pl.DataFrame, members: pl.DataFrame, lines: pl.DataFrame,
                    adjustments: pl.DataFrame) -> None:
    UnitsStaged.validate(units, lazy=True)
    MembersStaged.validate(members, lazy=True)
    IncomeLine.validate(lines, lazy=True)
    AdjustmentInForce.validate(adjustments, lazy=True)
