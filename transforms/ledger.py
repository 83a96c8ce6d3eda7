"""Member accounts (RULES.md §5 "Owed and received", §10; 004 §3 ust. 1, §10): what each member
owes, what the unit received, the split of what was received, and who is in arrears. Pure; grosze.

The rule, in RULES.md terms:
- A **receipt** is money the unit received in the close of month P: an employer's deduction from
  P's payroll (it names P), a member's direct payment with ``paid_on`` in P (it names the month in
  its ``period`` column, or none), or — for a unit whose inbox carries no receipt information at
  all — the month's dues *assumed* received in full (``basis = 'assumed'``).
- Every month a member owes opens an **item**: its §1 dues and its surcharge (004 §2 ust. 1–2).
- A receipt pays the month it names; what is left of it, carried credit and receipts naming no
  month pay the **oldest unpaid month first**; within a month **the §1 dues before the
  surcharge** (so an unpaid surcharge never comes out of the levels' shares, 004 §3 ust. 1 splits
  only the §1 dues). What is left over is **credit**, carried to the next month.
- A negative receipt (an employer's reversal, a refund) is set against the credit; it never
  re-opens a month already settled (that month's transfer has gone).
- The **settlement** of P is the RULES.md §5 cascade applied to D = the §1 dues of the split
  categories paid in P's close (whatever month they pay); everything else paid stays with the
  unit. Credit is not split until it pays a month: it is not yet dues of any month.
- **Arrears** (RULES.md §10): a month is unpaid while any of its dues stay open; a member whose
  last ``arrears_months`` months (the rulebook's, 3) are all unpaid is reported.

Invariants (tests/test_properties.py): per member Σ owed − Σ received = balance; Σ received =
Σ applied + credit change; per unit Σ applied = Σ settlement; transfers are the settlement's
flows between levels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from transforms.allocate import cascade_steps, unit_cascade
from transforms.errors import text
from transforms.rulebook import Rules
from transforms.compact import as_text
from transforms.split import moves, split_dues
from transforms.staging import DEDUCTED_COMPONENT

RECEIPT_SCHEMA = {"period": pl.String, "member_id": pl.String, "unit_id": pl.String, "kind": pl.String,
                  "source": pl.String, "row": pl.Int64, "paid_on": pl.Date, "for_period": pl.String,
                  "amount": pl.Int64, "reference": pl.String}
ITEM_SCHEMA = {"period": pl.String, "member_id": pl.String, "unit_id": pl.String, "for_period": pl.String,
               "category": pl.String, "dues_open": pl.Int64, "surcharge_open": pl.Int64}
LEDGER_SCHEMA = {"period": pl.String, "member_id": pl.String, "unit_id": pl.String, "owed": pl.Int64,
                 "received": pl.Int64, "applied_dues": pl.Int64, "applied_surcharge": pl.Int64,
                 "credit": pl.Int64, "arrears": pl.Int64, "balance": pl.Int64, "months_unpaid": pl.Int64,
                 "oldest_unpaid": pl.String, "basis": pl.String}
APPLIED_SCHEMA = {"member_id": pl.String, "unit_id": pl.String, "for_period": pl.String, "category": pl.String,
                  "part": pl.String, "amount": pl.Int64}
BOOKED_SCHEMA = {"member_id": pl.String, "paid_on": pl.Date, "amount": pl.Int64}
SETTLEMENT_SCHEMA = {"period": pl.String, "unit_id": pl.String, "level": pl.String, "amount": pl.Int64,
                     "basis": pl.String, "corrects": pl.String}


def shift_period(period: str, months: int) -> str:
    """'2026-10', -1 -> '2026-09'."""
    n = int(period[:4]) * 12 + int(period[5:]) - 1 + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


@dataclass
class Books:
    """What the database holds before this close: the previous close's open items and credits,
    and corrections re-closes of the previous month put into this month's settlement."""
    items: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ITEM_SCHEMA))
    credits: dict[str, int] = field(default_factory=dict)
    corrections: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SETTLEMENT_SCHEMA))
    received_units: set[str] = field(default_factory=set)   # units with receipts in an earlier close
    # issue 27: a direct payment dated in a month already closed is booked late once — these are the
    # payments earlier closes booked (member_id, paid_on, amount), and the units' closed months
    booked: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=BOOKED_SCHEMA))
    closed_months: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Posted:
    ledger: pl.DataFrame       # LEDGER_SCHEMA: one row per member with an account this month
    items: pl.DataFrame        # ITEM_SCHEMA: the open items after the close (the next close's state)
    applied: pl.DataFrame      # APPLIED_SCHEMA: what the close's receipts paid, per month and part


def receipt_basis(units: pl.DataFrame, receipts: pl.DataFrame, earlier: set[str] = frozenset()) -> dict[str, str]:
    """unit_id -> 'received' when the inbox carries any receipt of the unit's members this month,
    or did in an earlier close (then a month with none means nothing came in); else 'assumed'
    (RULES.md §5: a unit with no receipt information counts its dues as received, and says so)."""
    have = set(receipts["unit_id"].drop_nulls().to_list()) | set(earlier)
    return {u: ("received" if u in have else "assumed") for u in units["unit_id"].to_list()}


def assumed_receipts(dues: pl.DataFrame, basis: dict[str, str], period: str) -> pl.DataFrame:
    """The dues of the 'assumed' units' members, as receipts naming the month."""
    assumed = [u for u, b in basis.items() if b == "assumed"]
    return (dues.filter(pl.col("unit_id").is_in(assumed) & (pl.col("total") != 0))
            .select(pl.lit(period).alias("period"), "member_id", "unit_id", pl.lit("assumed").alias("kind"),
                    pl.lit(None, pl.String).alias("source"), pl.lit(None, pl.Int64).alias("row"),
                    pl.lit(None, pl.Date).alias("paid_on"), pl.lit(period).alias("for_period"),
                    pl.col("total").alias("amount"), pl.lit(None, pl.String).alias("reference"))
            .cast(RECEIPT_SCHEMA))


def post(period: str, dues: pl.DataFrame, receipts: pl.DataFrame, items: pl.DataFrame,
         credits: dict[str, int], basis: dict[str, str]) -> Posted:
    """The close of ``period`` posted to the members' accounts. ``items`` and ``credits`` are the
    previous close's open items and credits (empty for the first close).

    Most members carry nothing from earlier months and receive this month's money only: for them
    the rule reduces to "the §1 dues first, then the surcharge, the rest is credit", computed for
    all of them at once (`_post_simple`); everyone else goes through the rule month by month. A
    property test checks that both give the same accounts."""
    carried = set(items["member_id"].to_list()) | {k for k, v in credits.items() if v}
    odd = receipts.filter((pl.col("amount") < 0) | (pl.col("for_period").is_not_null()
                                                     & (pl.col("for_period") != period)))
    complex_ids = carried | set(odd["member_id"].to_list())
    if not complex_ids:      # the usual month: no copies of the month's dues and receipts
        return _post_simple(period, dues, receipts, basis)
    is_complex = pl.col("member_id").is_in(pl.Series(list(complex_ids), dtype=pl.String).implode())
    simple = _post_simple(period, dues.filter(~is_complex), receipts.filter(~is_complex), basis)
    rest = post_each(period, dues.filter(is_complex), receipts.filter(is_complex), items, credits, basis)
    # `applied` is only summed (settle): its order is left as made
    return Posted(pl.concat([simple.ledger, rest.ledger]).sort("member_id"),
                  pl.concat([simple.items, rest.items]).sort("member_id", "for_period"),
                  pl.concat([simple.applied, rest.applied]))


def _post_simple(period: str, dues: pl.DataFrame, receipts: pl.DataFrame, basis: dict[str, str]) -> Posted:
    """Members with no carried items or credit whose receipts are this month's: one item at most."""
    cash = receipts.lazy().group_by("member_id").agg(pl.col("amount").sum().alias("cash"), pl.col("unit_id").first())
    # the dues in member order, joined keeping it (issue 32: sorting the made accounts instead held
    # a second copy of them, +115 MiB at 600 000 members); only members paying without dues come
    # after the others, and then the accounts are sorted
    owed = (dues.lazy().select("member_id", pl.col("unit_id").alias("dues_unit"), "category", "dues", "surcharge")
            .sort("member_id"))
    m = (owed.join(cash, on="member_id", how="full", coalesce=True, maintain_order="left_right")
         .with_columns(pl.coalesce("dues_unit", "unit_id").alias("unit_id"),
                       pl.col("cash", "dues", "surcharge").fill_null(0))
         .with_columns(applied_dues=pl.min_horizontal("cash", "dues"))
         .with_columns(applied_surcharge=pl.min_horizontal(pl.col("cash") - pl.col("applied_dues"), "surcharge"))
         .with_columns(credit=pl.col("cash") - pl.col("applied_dues") - pl.col("applied_surcharge"),
                       dues_open=pl.col("dues") - pl.col("applied_dues"),
                       surcharge_open=pl.col("surcharge") - pl.col("applied_surcharge")))
    is_open = (pl.col("dues_open") + pl.col("surcharge_open")) > 0
    unit_basis = pl.col("unit_id").replace_strict(basis, default="received", return_dtype=pl.String)
    ledger = m.select(pl.lit(period).alias("period"), "member_id", "unit_id",
                      (pl.col("dues") + pl.col("surcharge")).alias("owed"), pl.col("cash").alias("received"),
                      "applied_dues", "applied_surcharge", "credit",
                      (pl.col("dues_open") + pl.col("surcharge_open")).alias("arrears"),
                      (pl.col("dues_open") + pl.col("surcharge_open") - pl.col("credit")).alias("balance"),
                      pl.when(is_open).then(1).otherwise(0).cast(pl.Int64).alias("months_unpaid"),
                      pl.when(is_open).then(pl.lit(period)).alias("oldest_unpaid"), unit_basis.alias("basis"))
    open_items = m.filter(is_open).select(pl.lit(period).alias("period"), "member_id", "unit_id",
                                          pl.lit(period).alias("for_period"), "category", "dues_open", "surcharge_open")
    applied = pl.concat([m.filter(pl.col(f"applied_{part}") > 0).select(
        "member_id", "unit_id", pl.lit(period).alias("for_period"), "category", pl.lit(part).alias("part"),
        pl.col(f"applied_{part}").alias("amount")) for part in ("dues", "surcharge")])
    # one plan: the joined accounts are made once for the three frames (lazy, common subplan)
    posted = Posted(*pl.collect_all([ledger.cast(LEDGER_SCHEMA), open_items.cast(ITEM_SCHEMA),
                                     applied.cast(APPLIED_SCHEMA)]))
    if not posted.ledger["member_id"].is_sorted():
        posted = Posted(posted.ledger.sort("member_id"), posted.items.sort("member_id", "for_period"), posted.applied)
    return posted


def post_each(period: str, dues: pl.DataFrame, receipts: pl.DataFrame, items: pl.DataFrame,
              credits: dict[str, int], basis: dict[str, str]) -> Posted:
    """The rule month by month, for any member (the reference the fast path is tested against)."""
    state: dict[str, list[list]] = {}
    unit_of: dict[str, str] = {}
    for m, u, fp, cat, d, s in items.select("member_id", "unit_id", "for_period", "category", "dues_open",
                                            "surcharge_open").sort("for_period").iter_rows():
        state.setdefault(m, []).append([fp, cat, d, s])
        unit_of[m] = u
    owed: dict[str, int] = {}
    for m, u, cat, d, s in dues.select("member_id", "unit_id", "category", "dues", "surcharge").iter_rows():
        unit_of[m] = u
        owed[m] = d + s
        if d + s:
            state.setdefault(m, []).append([period, cat, d, s])
    paid: dict[str, list[tuple[int, str | None]]] = {}
    for m, u, amount, fp in receipts.select("member_id", "unit_id", "amount", "for_period").iter_rows():
        paid.setdefault(m, []).append((amount, fp))
        unit_of.setdefault(m, u)
    ledger, open_items, applied = [], [], []
    for m in sorted(set(state) | set(owed) | set(paid) | {k for k, v in credits.items() if v}):
        its = state.get(m, [])
        got: dict[tuple[str, str, str], int] = {}
        pool = credits.get(m, 0)
        cash = 0
        for amount, fp in paid.get(m, []):
            cash += amount
            if amount > 0 and fp is not None:
                named = next((i for i in its if i[0] == fp), None)
                if named is not None:
                    amount = _pay(named, amount, got)
            pool += amount
        for item in its:
            if pool <= 0:
                break
            pool = _pay(item, pool, got)
        still = [i for i in its if i[2] + i[3] > 0]
        unit = unit_of.get(m)
        open_months = {i[0] for i in still}
        run, p = 0, period
        while p in open_months:
            run += 1
            p = shift_period(p, -1)
        arrears = sum(i[2] + i[3] for i in still)
        applied_dues = sum(v for k, v in got.items() if k[2] == "dues")
        applied_sur = sum(v for k, v in got.items() if k[2] == "surcharge")
        ledger.append({"period": period, "member_id": m, "unit_id": unit, "owed": owed.get(m, 0),
                       "received": cash, "applied_dues": applied_dues, "applied_surcharge": applied_sur,
                       "credit": pool, "arrears": arrears, "balance": arrears - pool, "months_unpaid": run,
                       "oldest_unpaid": min(open_months) if open_months else None,
                       "basis": basis.get(unit, "received")})
        open_items += [{"period": period, "member_id": m, "unit_id": unit, "for_period": i[0], "category": i[1],
                        "dues_open": i[2], "surcharge_open": i[3]} for i in still]
        applied += [{"member_id": m, "unit_id": unit, "for_period": fp, "category": cat, "part": part, "amount": v}
                    for (fp, cat, part), v in got.items()]
    return Posted(pl.DataFrame(ledger, schema=LEDGER_SCHEMA), pl.DataFrame(open_items, schema=ITEM_SCHEMA),
                  pl.DataFrame(applied, schema=APPLIED_SCHEMA))


def _pay(item: list, amount: int, got: dict[tuple[str, str, str], int]) -> int:
    """Pay one month's item [for_period, category, dues_open, surcharge_open] from ``amount``: the
    §1 dues first, then the surcharge (004 §2 ust. 2); record what was paid in ``got``; return the rest."""
    for index, part in ((2, "dues"), (3, "surcharge")):
        take = min(amount, item[index])
        if take > 0:
            item[index] -= take
            amount -= take
            key = (item[0], item[1], part)
            got[key] = got.get(key, 0) + take
    return amount


def settle(units: pl.DataFrame, applied: pl.DataFrame, basis: dict[str, str], rules: Rules,
           steps: list[dict] | None = None) -> pl.DataFrame:
    """The settlement of the close: per unit and level, the RULES.md §5 cascade of D = the §1
    dues of the split categories paid (004 §3 ust. 1, §10); all else paid stays with the unit."""
    sums: dict[str, dict[tuple[str, str], int]] = {}
    # streaming: a million applied amounts grouped batch by batch (at 600 000 members the
    # in-memory grouping's hash tables were the close's peak, +70 MiB)
    for u, cat, part, amount in (applied.lazy().group_by("unit_id", "category", "part").agg(pl.col("amount").sum())
                                 .collect(engine="streaming").iter_rows()):
        sums.setdefault(u, {})[(cat, part)] = amount
    rows = []
    for unit in units.sort("unit_id").iter_rows(named=True):
        version = rules.version(unit["rulebook"])
        got = sums.get(unit["unit_id"], {})
        d = sum(v for (cat, part), v in got.items() if part == "dues" and cat in version.split_categories)
        cascade = unit_cascade(unit, version, rules.earmarks)
        made = moves(d, cascade)
        parts = split_dues(d, cascade, made)
        parts[cascade.root] += sum(got.values()) - d
        if steps is not None:
            steps += cascade_steps(rules.period, unit["unit_id"], basis.get(unit["unit_id"], "assumed"), d, cascade,
                                   made)
        rows += [{"period": rules.period, "unit_id": unit["unit_id"], "level": lvl, "amount": parts[lvl],
                  "basis": basis.get(unit["unit_id"], "assumed"), "corrects": None} for lvl in cascade.levels]
    return pl.DataFrame(rows, schema=SETTLEMENT_SCHEMA)


def arrears_months(rules, unit_rulebooks) -> dict[str, int]:
    """Each unit's number of months of RULES.md §10, from its rulebook (``[versions.arrears]``):
    ``unit_rulebooks`` are (unit_id, rulebook) pairs; a rulebook not in force is left to the default."""
    return {u: rules.version(b).arrears_months for u, b in unit_rulebooks if b in rules.versions}


# Why a member is in arrears (issue 30), as stored (`arrears.cause`) and as people read it: nobody
# reported a shortfall (the member did not pay), the member's employer deducted less than owed in
# every unpaid month (an employer claim, RULES.md §13), or in some of them.
ARREARS_CAUSES = {"member": "członek nie wpłacił", "employer": "pracodawca nie potrącił",
                  "both": "pracodawca nie potrącił w części miesięcy"}


def employer_shortfalls(claims: pl.DataFrame) -> pl.DataFrame:
    """The (period, member_id) pairs whose employers together deducted less than the member owed,
    from employer_claims rows (period, member_id, owed, deducted)."""
    return (claims.group_by("period", "member_id").agg(pl.col("deducted").sum() - pl.col("owed").sum())
            .filter(pl.col("deducted") < 0).select("period", "member_id"))


def arrears(ledger: pl.DataFrame, months: dict[str, int], shortfalls: pl.DataFrame | None = None) -> pl.DataFrame:
    """RULES.md §10 from the ledger — the one definition, used by the close and by reconcile:
    members whose last ``months[unit_id]`` months are all unpaid (a report, never a removal), with
    the cause (ARREARS_CAUSES): ``shortfalls`` — (period, member_id) of the employer claims where
    the employers deducted less than owed (employer_shortfalls) — counted over the unpaid months."""
    limit = pl.col("unit_id").replace_strict(months, default=3, return_dtype=pl.Int64)
    out = (ledger.filter(pl.col("months_unpaid") >= limit)
           .select("member_id", "unit_id",
                   pl.struct("period", "months_unpaid").map_elements(
                       lambda r: shift_period(r["period"], 1 - r["months_unpaid"]), return_dtype=pl.String)
                   .alias("first_unpaid"),
                   pl.col("period").alias("last_unpaid"), pl.col("months_unpaid").alias("months"),
                   pl.col("arrears").alias("amount_due")))
    short = (shortfalls if shortfalls is not None else pl.DataFrame(schema={"period": pl.String, "member_id": pl.String}))
    n = (out.select("member_id", "first_unpaid", "last_unpaid")
         .join(short.select(pl.col("period").cast(pl.String), pl.col("member_id").cast(pl.String)).unique(),
               on="member_id", how="inner")
         .filter(pl.col("period").is_between(pl.col("first_unpaid"), pl.col("last_unpaid")))
         .group_by("member_id").agg(pl.len().cast(pl.Int64).alias("short_months")))
    return (out.join(n, on="member_id", how="left")
            .with_columns(cause=pl.when(pl.col("short_months").fill_null(0) == 0).then(pl.lit("member"))
                          .when(pl.col("short_months") >= pl.col("months")).then(pl.lit("employer"))
                          .otherwise(pl.lit("both")))
            .drop("short_months")
            .sort("unit_id", "member_id"))


def employer_claims(deductions: pl.DataFrame, lines: pl.LazyFrame, dues: pl.DataFrame,
                    period: str, unchecked: list[str] = ()) -> pl.DataFrame:
    """Per employer file that reports deductions: each of its members' deducted vs owed (the list a
    treasurer sends to payroll). A member of several such employers has the month's dues (the base
    is summed across employers, 004 §1 ust. 1 pkt 1) under the first file by name; the others say so.
    ``unchecked``: members whose dues are the deducted amounts of deductions-only lists (RULES.md
    §13): owed is what each list deducted, and the note says it could not be checked."""
    files = deductions.select(pl.col("source").alias("employer")).unique()
    # only the lines of files that report deductions (none at all in most inboxes)
    who = pl.concat([lines.select(pl.col("_source").alias("employer"), "member_id")
                     .join(files.lazy(), on="employer", how="semi").collect(),
                     deductions.select(pl.col("source").alias("employer"), "member_id")]).unique()
    ded = deductions.group_by(pl.col("source").alias("employer"), "member_id").agg(pl.col("amount").sum().alias("deducted"))
    out = (who.join(ded, on=["employer", "member_id"], how="left")
           .join(dues.select("member_id", "unit_id", "total"), on="member_id", how="inner")
           .sort("employer")
           .with_columns(first=pl.col("employer").first().over("member_id"),
                         n=pl.len().over("member_id")))
    stated = pl.col("member_id").is_in(pl.Series(list(unchecked), dtype=pl.String).implode())
    return (out.select(pl.lit(period).alias("period"), "employer", "unit_id", "member_id",
                       pl.when(stated).then(pl.col("deducted").fill_null(0))
                       .when(pl.col("employer") == pl.col("first")).then(pl.col("total")).otherwise(0).alias("owed"),
                       pl.col("deducted").fill_null(0),
                       pl.when(stated).then(pl.lit(text("notes", "deduction_unchecked")))
                       .when(pl.col("n") > 1).then(pl.lit(text("notes", "claim_several_employers")))
                       .otherwise(None).alias("note"))
            .with_columns(difference=pl.col("deducted") - pl.col("owed"))
            .select("period", "employer", "unit_id", "member_id", "owed", "deducted", "difference", "note")
            .sort("employer", "unit_id", "member_id"))


def deduction_receipts(deductions: list[dict], lines: pl.DataFrame, members: pl.DataFrame,
                       period: str) -> pl.DataFrame:
    """The employers' deductions of the period as receipts naming it: from payroll exports'
    deduction columns, and from canonical lines with the ``dues_deducted`` component."""
    payroll = pl.DataFrame(deductions, schema={"period": pl.String, "member_id": pl.String, "source": pl.String,
                                               "deducted": pl.Int64, "_row": pl.Int64})
    canonical = lines.filter(pl.col("component") == DEDUCTED_COMPONENT).select(
        pl.lit(period).alias("period"), "member_id", pl.col("_source").alias("source"),
        pl.col("amount").alias("deducted"), "_row")
    both = pl.concat([payroll.filter(pl.col("period") == period), canonical])
    return (both.join(members.select("member_id", "unit_id"), on="member_id", how="inner")
            .select("period", "member_id", "unit_id", pl.lit("deduction").alias("kind"), "source",
                    pl.col("_row").alias("row"), pl.lit(None, pl.Date).alias("paid_on"),
                    pl.col("period").alias("for_period"), pl.col("deducted").alias("amount"),
                    pl.lit(None, pl.String).alias("reference"))
            .cast(RECEIPT_SCHEMA))


def adjustments_in_force(in_force: pl.DataFrame, members: pl.DataFrame, period: str) -> pl.DataFrame:
    """Reductions and suspensions in force in the month (004 §2 ust. 3: "Kopie decyzji dotyczących
    obniżenia składki należy przekazywać do właściwego Zarządu Regionu"), for the region's sheet."""
    def months(first: pl.Expr, last: pl.Expr) -> pl.Expr:
        y = lambda e, a, b: e.str.slice(a, b).cast(pl.Int64)  # noqa: E731
        return (y(last, 0, 4) - y(first, 0, 4)) * 12 + y(last, 5, 2) - y(first, 5, 2) + 1
    return (in_force.join(members.select("member_id", "unit_id"), on="member_id", how="inner")
            .select(pl.lit(period).alias("period"), "unit_id", "member_id", "kind", "amount", "valid_from",
                    "valid_to", months(pl.col("valid_from"), pl.col("valid_to")).alias("months_covered"),
                    (months(pl.lit(period), pl.col("valid_to")) - 1).alias("months_left"), "decision_ref")
            .sort("unit_id", "member_id"))


def _level_totals(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.group_by("unit_id", "level").agg(pl.col("amount").sum())


def settlement_delta(after: pl.DataFrame, before: pl.DataFrame) -> pl.DataFrame:
    """Per unit and level, what a re-close changed: after − before (both: unit_id, level, amount;
    rows of one level summed). Only the levels that changed."""
    return (_level_totals(as_text(after)).join(_level_totals(as_text(before)), on=["unit_id", "level"], how="full", coalesce=True, suffix="_before")
            .select("unit_id", "level", (pl.col("amount").fill_null(0) - pl.col("amount_before").fill_null(0))
                    .alias("amount"))
            .filter(pl.col("amount") != 0).sort("unit_id", "level"))


def differences(period: str, before: pl.DataFrame, after: pl.DataFrame, before_units: pl.DataFrame,
                after_units: pl.DataFrame) -> pl.DataFrame:
    """The difference report of a re-close: every member figure (owed, received, balance) and every
    level of a unit's settlement that changed (subject 'split'), before → after."""
    measures = ("owed", "received", "balance")
    before, after, before_units, after_units = map(as_text, (before, after, before_units, after_units))
    m = (before.select("member_id", "unit_id", *measures)
         .join(after.select("member_id", "unit_id", *measures), on="member_id", how="full", coalesce=True,
               suffix="_after"))
    rows = [m.select(pl.lit("member").alias("subject"), pl.col("member_id").alias("subject_id"),
                     pl.coalesce("unit_id_after", "unit_id").alias("unit_id"), pl.lit(x).alias("measure"),
                     pl.col(x).fill_null(0).alias("before"), pl.col(f"{x}_after").fill_null(0).alias("after"))
            for x in measures]
    u = _level_totals(before_units).join(_level_totals(after_units), on=["unit_id", "level"], how="full", coalesce=True,
                                 suffix="_after")
    rows.append(u.select(pl.lit("split").alias("subject"), pl.col("unit_id").alias("subject_id"), "unit_id",
                         pl.col("level").alias("measure"), pl.col("amount").fill_null(0).alias("before"),
                         pl.col("amount_after").fill_null(0).alias("after")))
    return (pl.concat(rows).with_columns(change=pl.col("after") - pl.col("before"))
            .filter(pl.col("change") != 0)
            .select(pl.lit(period).alias("period"), "subject", "subject_id", "unit_id", "measure", "before",
                    "after", "change")
            .sort("subject", "unit_id", "subject_id", "measure"))
