"""`skladki verify-delegates`: declared paying members checked against the dues regions remitted
(004 Uchwała XIX KZD nr 6/2005), cross-checked with stored closes, and seats apportioned.
A Prefect flow: read -> verify -> store -> report; logic in ``transforms.delegates``.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace


from flows import settings
from flows.db import read_only, table_names, write_transaction
from flows.inbox import InboxError, _one, read_table
from transforms.delegates import key_seats, largest_remainder, per_member_factor, verify
from transforms.money import AMOUNT_RE, grosze, pln, to_decimal
from transforms.staging import VOIVODESHIPS, is_period

KEYS = settings.DATA / "delegate_keys.toml"
NATIONAL_MONTHLY = settings.DATA / "reference" / "gus_enterprise_wage_monthly_national.csv"


def month_before(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


@dataclass
class DelegateResult:
    verification: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    seats: list[dict] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)
    seats_rule: str = ""


@dataclass
class DelegateOutcome:
    ok: bool
    message: str = ""
    result: DelegateResult | None = None
    workbook: Path | None = None


def _exc(source: str, row: int | None, region: str | None, reason: str, message: str) -> dict:
    return {"source": source, "row": row, "region_id": region, "reason_code": reason, "message": message}


def read_inputs(inbox: Path) -> dict | InboxError:
    try:
        rem_path = _one(inbox, "remittances", True)
        wages_path = _one(inbox, "wages", False)
        remittances = read_table(rem_path, "remittances").to_dicts()
        wages = read_table(wages_path, "wages").to_dicts() if wages_path else []
    except InboxError as e:
        return e
    national = {}
    with NATIONAL_MONTHLY.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            national[r["month"]] = (grosze(r["amount_pln"]), r["source"])
    return {"remittances": remittances, "wages": wages, "national": national,
            "remittances_name": rem_path.name, "wages_name": wages_path.name if wages_path else "wages.csv"}


def _int(v: str | None) -> int | None:
    return int(v) if v is not None and re.fullmatch(r"\d+", v.strip()) else None


def _members_of_units(db: Path, units: list[str], period: str) -> int | None:
    """Dues-paying members (employee, other_income) of ``units`` in a stored close of ``period``."""
    if not db.exists():
        return None
    with read_only(db) as con:
        if "dues" not in table_names(con):
            return None
        if not con.execute("SELECT count(*) FROM dues WHERE period = ?", [period]).fetchone()[0]:
            return None
        return con.execute("SELECT count(*) FROM dues WHERE period = ? AND category IN "
                           "('employee','other_income') AND list_contains(?, unit_id)",
                           [period, units]).fetchone()[0]


def verify_all(inputs: dict, db: Path, wage_fallback: str | None, seats: int | None,
               key: str | None) -> DelegateResult:
    keys_text = KEYS.read_text(encoding="utf-8")
    factor = per_member_factor(keys_text)
    res = DelegateResult()
    src_w = inputs["wages_name"]
    wages: dict[tuple[str, str], tuple[int, str]] = {}
    for r in inputs["wages"]:
        v, m, a = r["voivodeship"] or "", r["month"] or "", r["amount"] or ""
        if v not in VOIVODESHIPS or not is_period(m) or not re.match(AMOUNT_RE, a):
            res.exceptions.append(_exc(src_w, r["_row"], None, "bad_wage",
                                       f"{src_w} row {r['_row']}: expected a voivodeship (Polish lowercase), "
                                       f"a month YYYY-MM and an amount like 8123.45; got {v!r}, {m!r}, {a!r}."))
            continue
        if (v, m) in wages and wages[(v, m)][0] != grosze(a):
            res.exceptions.append(_exc(src_w, r["_row"], None, "bad_wage",
                                       f"{src_w} row {r['_row']}: {v} {m} is given twice with different "
                                       "amounts; keep one."))
            continue
        wages[(v, m)] = (grosze(a), r.get("source") or src_w)
    src = inputs["remittances_name"]
    seen: set[tuple] = set()
    for r in inputs["remittances"]:
        where = f"{src} row {r['_row']}"
        region, v, paid_in = r["region_id"], r["voivodeship"] or "", r["paid_in"] or ""
        declared, exempt = _int(r["declared_paying_members"]), _int(r["exempt_members"] or "0")
        problems = []
        if not region:
            problems.append("region_id is empty")
        if v not in VOIVODESHIPS:
            problems.append(f"voivodeship {v!r} is not one of the 16 (Polish lowercase)")
        if not is_period(paid_in):
            problems.append(f"paid_in {paid_in!r} is not YYYY-MM (the month the national level received the money)")
        if not re.match(AMOUNT_RE, r["amount"] or "") or (r["amount"] or "").startswith("-"):
            problems.append(f"amount {r['amount']!r} is not an amount like 50000.00")
        if declared is None:
            problems.append(f"declared_paying_members {r['declared_paying_members']!r} is not a whole number")
        if exempt is None:
            problems.append(f"exempt_members {r['exempt_members']!r} is not a whole number")
        if (region, v, paid_in) in seen:
            problems.append(f"region {region}, {v}, {paid_in} is given twice")
        seen.add((region, v, paid_in))
        if problems:
            res.exceptions.append(_exc(src, r["_row"], region, "bad_remittance", f"{where}: " + "; ".join(problems) + "."))
            continue
        dues_month = month_before(paid_in)
        notes = []
        # lit. e: members of units that refused inspection count zero
        refused = 0
        refused_units = [u for u in re.split(r"[;,\s]+", r["refused_units"] or "") if u]
        if r["refused_members"]:
            refused = _int(r["refused_members"])
            if refused is None or refused > declared:
                res.exceptions.append(_exc(src, r["_row"], region, "bad_remittance",
                                           f"{where}: refused_members {r['refused_members']!r} must be a whole "
                                           f"number not above declared_paying_members {declared}."))
                continue
        elif refused_units:
            found = _members_of_units(db, refused_units, dues_month)
            if found is None:
                res.exceptions.append(_exc(src, r["_row"], region, "bad_remittance",
                                           f"{where}: units {', '.join(refused_units)} refused inspection but "
                                           f"their member count is unknown (no stored close of {dues_month}); "
                                           "give refused_members."))
                continue
            refused = min(found, declared)
            notes.append(f"{refused} members of units {', '.join(refused_units)} (refused inspection, lit. e) "
                         f"counted zero, from the stored close of {dues_month}")
        if refused and r["refused_members"]:
            notes.append(f"{refused} members of units that refused inspection counted zero (lit. e)")
        wage = wages.get((v, dues_month))
        if wage is None:
            if wage_fallback == "national" and dues_month in inputs["national"]:
                amount, source = inputs["national"][dues_month]
                wage = (amount, source)
                notes.append(f"NATIONAL average wage of {dues_month} used: no figure for {v} (--wage-fallback national)")
            else:
                res.exceptions.append(_exc(src, r["_row"], region, "missing_wage",
                                           f"{where}: no average wage in the enterprise sector for {v} in "
                                           f"{dues_month} (the month before paid_in {paid_in}); add it to "
                                           f"{src_w}" + ("" if wage_fallback else
                                                         " or run with --wage-fallback national") + "."))
                continue
        remitted = grosze(r["amount"])
        ver = verify(wage[0], declared - refused, remitted, exempt, factor)
        if ver.verdict == "reduced":
            notes.append(f"remitted {pln(remitted)} < threshold; {pln(ver.needed)} needed to keep "
                         f"{declared - refused} paying members (lit. b)")
        res.verification.append({
            "region_id": region, "voivodeship": v, "paid_in": paid_in, "wage": wage[0],
            "wage_source": wage[1], "declared_paying_members": declared, "exempt_members": exempt,
            "refused_members": refused, "remitted": remitted, "threshold": ver.threshold,
            "needed": ver.needed, "recognised_paying": ver.recognised_paying,
            "recognised_members": ver.recognised_members, "verdict": ver.verdict, "note": "; ".join(notes)})
    res.checks = books_check(db, res.verification)
    res.seats, res.seats_rule = apportion(res.verification, seats, key, keys_text)
    return res


def books_check(db: Path, verification: list[dict]) -> list[dict]:
    """Declared remittances against the `national` + `branch_secretariats` allocations of the
    region's units by voivodeship, from the stored close of the month before paid_in."""
    if not db.exists() or not verification:
        return []
    with read_only(db) as con:
        if not {"allocations", "units"} <= table_names(con):
            return []
        out = []
        for v in verification:
            period = month_before(v["paid_in"])
            if not con.execute("SELECT count(*) FROM units WHERE period = ?", [period]).fetchone()[0]:
                continue
            expected = con.execute("""
                SELECT CAST(coalesce(sum(a.amount), 0) * 100 AS BIGINT) FROM allocations a
                JOIN units u ON u.unit_id = a.unit_id AND u.period = a.period
                WHERE a.period = ? AND u.region_id = ? AND u.voivodeship = ? AND u.rulebook = 'solidarnosc'
                  AND a.level IN ('national', 'branch_secretariats')""",
                                   [period, v["region_id"], v["voivodeship"]]).fetchone()[0]
            out.append({"region_id": v["region_id"], "voivodeship": v["voivodeship"], "paid_in": v["paid_in"],
                        "dues_period": period, "remitted": v["remitted"], "expected_from_books": expected,
                        "difference": v["remitted"] - expected})
        return out


def apportion(verification: list[dict], seats: int | None, key: str | None, keys_text: str):
    recognised: dict[str, int] = {}
    declared: dict[str, int] = {}
    for v in verification:
        recognised[v["region_id"]] = recognised.get(v["region_id"], 0) + v["recognised_members"]
        declared[v["region_id"]] = (declared.get(v["region_id"], 0) + v["declared_paying_members"]
                                    + v["exempt_members"])
    if seats is not None:
        got, quotas = largest_remainder(recognised, seats)
        if_declared, _ = largest_remainder(declared, seats)
        rule = f"{seats} seats by largest remainder (Hare–Niemeyer; 004 Uchwała nr 1/2005 §2 ust. 5, §5 pkt 1)"
    elif key is not None:
        got, quotas, rule = key_seats(recognised, key, keys_text)
        if_declared, _, _ = key_seats(declared, key, keys_text)
    else:
        return [], ""
    return [{"region_id": r, "recognised_members": recognised[r], "declared_members": declared[r],
             "quota": quotas[r], "seats": got[r], "seats_if_declared": if_declared[r]}
            for r in sorted(recognised)], rule


DDL = [
    """CREATE TABLE IF NOT EXISTS delegate_verification (region_id VARCHAR, voivodeship VARCHAR,
       paid_in VARCHAR, wage DECIMAL(18,2), declared_paying_members BIGINT, exempt_members BIGINT,
       remitted DECIMAL(18,2), threshold DECIMAL(24,6), recognised_paying BIGINT,
       recognised_members BIGINT, verdict VARCHAR, note VARCHAR, needed DECIMAL(18,2),
       refused_members BIGINT, wage_source VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS delegate_seats (region_id VARCHAR, recognised_members BIGINT,
       quota DECIMAL(24,6), seats BIGINT, seats_if_declared BIGINT, declared_members BIGINT, rule VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS remittance_check (region_id VARCHAR, voivodeship VARCHAR, paid_in VARCHAR,
       dues_period VARCHAR, remitted DECIMAL(18,2), expected_from_books DECIMAL(18,2), difference DECIMAL(18,2))""",
    """CREATE TABLE IF NOT EXISTS delegate_exceptions (source VARCHAR, "row" BIGINT, region_id VARCHAR,
       reason_code VARCHAR, message VARCHAR)""",
]


def _dec6(x) -> str:
    """An exact Fraction with a terminating decimal expansion, rounded half-up to 6 places, as text."""
    from transforms.money import half_up
    from fractions import Fraction
    micro = half_up(Fraction(x) * 1_000_000)
    sign = "-" if micro < 0 else ""
    q, rem = divmod(abs(micro), 1_000_000)
    return f"{sign}{q}.{rem:06d}"


def store(db: Path, res: DelegateResult) -> None:
    """One transaction: rows of the verified paid_in months are replaced; seats, the books check
    and the exceptions are the current run's."""
    with write_transaction(db, DDL) as con:
        months = sorted({v["paid_in"] for v in res.verification})
        con.execute("DELETE FROM delegate_verification WHERE list_contains(?, paid_in)", [months])
        con.execute("DELETE FROM delegate_seats")
        con.execute("DELETE FROM remittance_check")
        con.execute("DELETE FROM delegate_exceptions")
        if res.verification:
            con.executemany("INSERT INTO delegate_verification VALUES (?,?,?,?,?,?,?,CAST(? AS DECIMAL(24,6)),?,?,?,?,?,?,?)", [
                [v["region_id"], v["voivodeship"], v["paid_in"], to_decimal(v["wage"]),
                 v["declared_paying_members"], v["exempt_members"], to_decimal(v["remitted"]),
                 _dec6(v["threshold"] / 100), v["recognised_paying"], v["recognised_members"],
                 v["verdict"], v["note"], to_decimal(v["needed"]), v["refused_members"], v["wage_source"]]
                for v in res.verification])
        if res.seats:
            con.executemany("INSERT INTO delegate_seats VALUES (?,?,CAST(? AS DECIMAL(24,6)),?,?,?,?)", [
                [s["region_id"], s["recognised_members"], _dec6(s["quota"]), s["seats"],
                 s["seats_if_declared"], s["declared_members"], res.seats_rule] for s in res.seats])
        if res.checks:
            con.executemany("INSERT INTO remittance_check VALUES (?,?,?,?,?,?,?)", [
                [c["region_id"], c["voivodeship"], c["paid_in"], c["dues_period"], to_decimal(c["remitted"]),
                 to_decimal(c["expected_from_books"]), to_decimal(c["difference"])] for c in res.checks])
        if res.exceptions:
            con.executemany("INSERT INTO delegate_exceptions VALUES (?,?,?,?,?)", [
                [e["source"], e["row"], e["region_id"], e["reason_code"], e["message"]] for e in res.exceptions])


def report(db: Path, out: Path | None) -> Path | None:
    if out is None:
        return None
    from reports.delegates import write_delegates_workbook
    with read_only(db) as con:
        return write_delegates_workbook(con, out / "weryfikacja_delegatow.xlsx")


def run_steps(inbox: Path, db: Path, out: Path | None, seats: int | None, key: str | None,
              wage_fallback: str | None, step) -> DelegateOutcome:
    inputs = step.read_inputs(inbox)
    if isinstance(inputs, InboxError):
        return DelegateOutcome(False, str(inputs))
    res = step.verify_all(inputs, db, wage_fallback, seats, key)
    step.store(db, res)
    return DelegateOutcome(True, "", res, step.report(db, out))


PLAIN = SimpleNamespace(read_inputs=read_inputs, verify_all=verify_all, store=store, report=report)


def run_plain(inbox: Path, db: Path, out: Path | None = None, seats: int | None = None,
              key: str | None = None, wage_fallback: str | None = None) -> DelegateOutcome:
    return run_steps(inbox, db, out, seats, key, wage_fallback, PLAIN)


def verify_delegates_flow(inbox: Path, db: Path, out: Path | None = None, seats: int | None = None,
                          key: str | None = None, wage_fallback: str | None = None) -> DelegateOutcome:
    from prefect import flow
    from flows.orchestration import tasks_of
    tasks = tasks_of(PLAIN)

    @flow(name="verify-delegates")
    def verify_delegates(inbox: Path, db: Path, out: Path | None = None, seats: int | None = None,
                         key: str | None = None, wage_fallback: str | None = None) -> DelegateOutcome:
        """Verify declared paying members against remitted dues and apportion seats."""
        return run_steps(inbox, db, out, seats, key, wage_fallback, tasks)

    return verify_delegates(inbox, db, out, seats, key, wage_fallback)


def summary_text(outcome: DelegateOutcome) -> str:
    r = outcome.result
    reduced = [v for v in r.verification if v["verdict"] == "reduced"]
    lines = [f"Delegate verification: {len(r.verification)} region × voivodeship rows verified, "
             f"{len(reduced)} reduced, {len(r.exceptions)} exceptions"]
    for v in reduced:
        lines.append(f"  {v['region_id']} {v['voivodeship']} {v['paid_in']}: declared "
                     f"{v['declared_paying_members']}, recognised {v['recognised_paying']} "
                     f"(remitted {pln(v['remitted'])}, needed {pln(v['needed'])})")
    for c in r.checks:
        if c["difference"]:
            lines.append(f"  books: {c['region_id']} {c['voivodeship']} remitted {pln(c['remitted'])}, "
                         f"books say {pln(c['expected_from_books'])} (difference {pln(c['difference'])})")
    if r.seats:
        lines.append(f"  seats: {r.seats_rule}")
        for s in r.seats:
            lines.append(f"    {s['region_id']:<8} {s['recognised_members']:>8} members  seats "
                         f"{s['seats']} (as declared: {s['seats_if_declared']})")
    for e in r.exceptions:
        lines.append(f"  ! {e['message']}")
    if outcome.workbook:
        lines.append(f"  workbook: {outcome.workbook}")
    return "\n".join(lines)
