"""`skladki reconcile`: a region's bank statements against the transfers its units owe.
A Prefect flow: read -> match -> store -> report; logic in ``transforms.reconcile``.

Statements: MT940 files (*.sta, *.mt940, *.940; parsed with the `mt-940` package; the Polish
:86: subfields ~20–~25 title, ~27–~29 payer, ~38 IBAN or ~30 + ~31 bank and account number) and
bank CSV exports through a profile of data/bank_profiles (recognised by header signature).
Members paying directly: ``payments.csv`` (member_id, period, amount) in the statements folder.
"""
from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace


from flows import settings
from flows.db import read_only, table_names, write_transaction
from flows.inbox import InboxError
from transforms.money import grosze, pln, to_decimal
from transforms.payroll import parse_amount
from transforms.reconcile import Expected, Unit, arrears, match_credits, verdicts
from transforms.staging import bank_account_iban, is_period

BANK_PROFILES = settings.DATA / "bank_profiles"


def _account_from_86(details: str) -> str | None:
    fields = dict(re.findall(r"~(\d\d)([^~]*)", details or ""))
    if fields.get("38"):
        return bank_account_iban(fields["38"])
    bank, account = fields.get("30", "").strip(), fields.get("31", "").strip()
    if re.fullmatch(r"\d{8}", bank) and re.fullmatch(r"\d{16}", account):
        from stdnum import iban
        bban = bank + account
        return "PL" + iban.calc_check_digits("PL00" + bban) + bban
    return None


def read_mt940(path: Path) -> list[dict]:
    import mt940
    text = path.read_bytes().decode("cp1250")
    transactions = mt940.models.Transactions()
    transactions.parse(text)
    out = []
    for i, t in enumerate(transactions, start=1):
        d = t.data
        details = d.get("transaction_details") or ""
        fields = dict(re.findall(r"~(\d\d)([^~]*)", details))
        title = " ".join(fields.get(k, "") for k in ("20", "21", "22", "23", "24", "25")).strip() or details
        payer = " ".join(fields.get(k, "") for k in ("27", "28", "29", "32", "33")).strip()
        amount = int(d["amount"].amount * 100)
        booked = d.get("entry_date") or d["date"]
        out.append({"statement": path.name, "entry": i, "key": f"{path.name}#{i}",
                    "booking_date": date(booked.year, booked.month, booked.day), "amount": amount,
                    "direction": "credit" if amount > 0 else "debit", "account": _account_from_86(details),
                    "counterparty": payer, "title": title})
    return out


def _bank_profiles() -> list[dict]:
    return [tomllib.loads(p.read_text(encoding="utf-8")) for p in sorted(BANK_PROFILES.glob("*.toml"))]


def read_bank_csv(path: Path) -> list[dict]:
    for prof in _bank_profiles():
        try:
            text = path.read_bytes().decode(prof["encoding"])
        except UnicodeDecodeError:
            continue
        rows = list(csv.reader(io.StringIO(text), delimiter=prof["separator"]))
        if len(rows) < prof["header_row"]:
            continue
        header = [h.strip() for h in rows[prof["header_row"] - 1]]
        if not all(c in header for c in prof["signature"]):
            continue
        col = {h: i for i, h in enumerate(header)}
        out = []
        for i, r in enumerate(rows[prof["header_row"]:], start=1):
            if not any(c.strip() for c in r):
                continue
            get = lambda name: r[col[name]].strip() if name in col and col[name] < len(r) else ""  # noqa: E731
            amount = parse_amount(get(prof["amount_column"]), prof["decimal"])
            m = re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{4})", get(prof["date_column"]))
            if amount is None or not m:
                raise InboxError(f"{path.name} row {i}: date {get(prof['date_column'])!r} or amount "
                                 f"{get(prof['amount_column'])!r} cannot be read with profile {prof['name']}")
            out.append({"statement": path.name, "entry": i, "key": f"{path.name}#{i}",
                        "booking_date": date(int(m.group(3)), int(m.group(2)), int(m.group(1))),
                        "amount": amount, "direction": "credit" if amount > 0 else "debit",
                        "account": bank_account_iban(get(prof["account_column"])),
                        "counterparty": get(prof.get("counterparty_column", "")), "title": get(prof["title_column"])})
        return out
    raise InboxError(f"{path.name}: matches no bank statement profile in data/bank_profiles "
                     f"(expected columns {'; '.join(', '.join(p['signature']) for p in _bank_profiles())}) "
                     "and is not MT940 (*.sta, *.mt940, *.940)")


def read_statements(folder: Path) -> list[dict] | InboxError:
    if not folder.is_dir():
        return InboxError(f"{folder}: the statements folder does not exist")
    credits = []
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".sta", ".mt940", ".940", ".csv")
                       and p.name != "payments.csv")
        if not files:
            raise InboxError(f"{folder}: no statements (*.sta, *.mt940, *.940 or a bank *.csv)")
        for p in files:
            credits += read_mt940(p) if p.suffix.lower() != ".csv" else read_bank_csv(p)
    except InboxError as e:
        return e
    return credits


def read_payments(folder: Path) -> dict[tuple[str, str], int]:
    path = folder / "payments.csv"
    if not path.exists():
        return {}
    out: dict[tuple[str, str], int] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for i, r in enumerate(csv.DictReader(f), start=1):
            try:
                key = ((r.get("member_id") or "").strip(), (r.get("period") or "").strip())
                if not key[0] or not is_period(key[1]):
                    raise ValueError
                out[key] = out.get(key, 0) + grosze(r.get("amount") or "")
            except ValueError:
                raise InboxError(f"payments.csv row {i}: expected member_id, period YYYY-MM and an amount "
                                 f"like 42.00; got {dict(r)}") from None
    return out


@dataclass
class ReconcileResult:
    period: str
    credits: list[dict] = field(default_factory=list)
    matches: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    status: list[dict] = field(default_factory=list)
    forwards: list[dict] = field(default_factory=list)
    arrears: list[dict] = field(default_factory=list)


def load_books(db: Path, period: str) -> dict:
    if not db.exists():
        raise InboxError(f"{db}: no database; close the months first (skladki close)")
    with read_only(db) as con:
        expected = [Expected(u, p, int(a * 100), d) for u, p, a, d in con.execute(
            "SELECT payer_id, period, amount, due_on FROM transfers WHERE payer_kind = 'unit' "
            "AND payee = 'region' AND period <= ? ORDER BY period, payer_id", [period]).fetchall()]
        units = [Unit(u, n or "", acc) for u, n, acc in con.execute(
            "SELECT unit_id, arg_max(name, period), arg_max(bank_account, period) FROM units "
            "WHERE period <= ? GROUP BY unit_id", [period]).fetchall()]
        forwards = [dict(zip(("region_id", "payee", "amount", "due_on"), (r[0], r[1], int(r[2] * 100), r[3])))
                    for r in con.execute("SELECT payer_id, payee, amount, due_on FROM transfers WHERE "
                                         "payer_kind = 'region' AND period = ? ORDER BY payer_id, payee",
                                         [period]).fetchall()]
        dues = [dict(zip(("member_id", "unit_id", "period", "total"), (m, u, p, int(t * 100))))
                for m, u, p, t in con.execute("SELECT member_id, unit_id, period, total FROM dues "
                                              "WHERE period <= ?", [period]).fetchall()]
        deducted = set()
        if "deduction_check" in table_names(con):
            deducted = {(m, p) for m, p in con.execute(
                "SELECT member_id, period FROM deduction_check WHERE deducted > 0 AND period <= ?",
                [period]).fetchall()}
        periods = [p for (p,) in con.execute("SELECT DISTINCT period FROM dues WHERE period <= ? ORDER BY 1",
                                             [period]).fetchall()]
    if not expected:
        raise InboxError(f"{db}: no unit transfers stored up to {period}; close the months first")
    return {"expected": expected, "units": units, "forwards": forwards, "dues": dues, "deducted": deducted,
            "periods": periods}


def read_inputs(period: str, statements: Path, db: Path) -> dict | InboxError:
    try:
        credits = read_statements(statements)
        if isinstance(credits, InboxError):
            return credits
        return {"credits": credits, "payments": read_payments(statements), **load_books(db, period)}
    except InboxError as e:
        return e


def reconcile(period: str, inputs: dict) -> ReconcileResult:
    res = ReconcileResult(period, credits=inputs["credits"], forwards=inputs["forwards"])
    res.matches, res.unmatched = match_credits(inputs["credits"], inputs["expected"], inputs["units"])
    res.status = verdicts(inputs["expected"])
    fully_paid = {(s["unit_id"], s["period"]) for s in res.status if s["paid"] >= s["expected"]}
    covered = {(m, p) for (m, p) in inputs["deducted"]
               if any((d["unit_id"], p) in fully_paid for d in inputs["dues"] if d["member_id"] == m and d["period"] == p)}
    res.arrears = arrears(inputs["dues"], covered, inputs["payments"], inputs["periods"])
    return res


DDL = [
    """CREATE TABLE IF NOT EXISTS bank_credits (reconciled_for VARCHAR, statement VARCHAR, entry BIGINT,
       booking_date DATE, amount DECIMAL(18,2), direction VARCHAR, account VARCHAR, counterparty VARCHAR,
       title VARCHAR, matched DECIMAL(18,2), unmatched_reason VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS transfer_matches (reconciled_for VARCHAR, statement VARCHAR, entry BIGINT,
       unit_id VARCHAR, period VARCHAR, amount DECIMAL(18,2), booking_date DATE, matched_by VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS transfer_status (reconciled_for VARCHAR, unit_id VARCHAR, period VARCHAR,
       expected DECIMAL(18,2), paid DECIMAL(18,2), difference DECIMAL(18,2), due_on DATE,
       last_payment_on DATE, days_late BIGINT, status VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS arrears (reconciled_for VARCHAR, member_id VARCHAR, unit_id VARCHAR,
       first_unpaid VARCHAR, last_unpaid VARCHAR, months BIGINT, amount_due DECIMAL(18,2))""",
]


def store(db: Path, res: ReconcileResult) -> None:
    """One transaction; a re-run for the same period replaces that period's rows."""
    matched = {}
    for m in res.matches:
        matched[(m["statement"], m["entry"])] = matched.get((m["statement"], m["entry"]), 0) + m["amount"]
    reasons = {(u["statement"], u["entry"]): u["reason"] for u in res.unmatched}
    with write_transaction(db, DDL) as con:
        for t in ("bank_credits", "transfer_matches", "transfer_status", "arrears"):
            con.execute(f"DELETE FROM {t} WHERE reconciled_for = ?", [res.period])
        P = res.period
        if res.credits:
            con.executemany("INSERT INTO bank_credits VALUES (?,?,?,?,?,?,?,?,?,?,?)", [
                [P, c["statement"], c["entry"], c["booking_date"], to_decimal(c["amount"]), c["direction"],
                 c["account"], c["counterparty"], c["title"],
                 to_decimal(matched.get((c["statement"], c["entry"]), 0)) if c["direction"] == "credit" else None,
                 reasons.get((c["statement"], c["entry"]))] for c in res.credits])
        if res.matches:
            con.executemany("INSERT INTO transfer_matches VALUES (?,?,?,?,?,?,?,?)", [
                [P, m["statement"], m["entry"], m["unit_id"], m["period"], to_decimal(m["amount"]),
                 m["booking_date"], m["matched_by"]] for m in res.matches])
        if res.status:
            con.executemany("INSERT INTO transfer_status VALUES (?,?,?,?,?,?,?,?,?,?)", [
                [P, s["unit_id"], s["period"], to_decimal(s["expected"]), to_decimal(s["paid"]),
                 to_decimal(s["difference"]), s["due_on"], s["last_payment_on"], s["days_late"], s["status"]]
                for s in res.status])
        if res.arrears:
            con.executemany("INSERT INTO arrears VALUES (?,?,?,?,?,?,?)", [
                [P, a["member_id"], a["unit_id"], a["first_unpaid"], a["last_unpaid"], a["months"],
                 to_decimal(a["amount_due"])] for a in res.arrears])


def report(db: Path, res: ReconcileResult, out: Path | None) -> Path | None:
    if out is None:
        return None
    from reports.reconcile import write_reconcile_workbooks
    with read_only(db) as con:
        return write_reconcile_workbooks(con, res, out)


@dataclass
class ReconcileOutcome:
    ok: bool
    message: str = ""
    result: ReconcileResult | None = None
    workbook: Path | None = None


def run_steps(period: str, statements: Path, db: Path, out: Path | None, step) -> ReconcileOutcome:
    inputs = step.read_inputs(period, statements, db)
    if isinstance(inputs, InboxError):
        return ReconcileOutcome(False, str(inputs))
    res = step.reconcile(period, inputs)
    step.store(db, res)
    return ReconcileOutcome(True, "", res, step.report(db, res, out))


PLAIN = SimpleNamespace(read_inputs=read_inputs, reconcile=reconcile, store=store, report=report)


def run_plain(period: str, statements: Path, db: Path, out: Path | None = None) -> ReconcileOutcome:
    return run_steps(period, statements, db, out, PLAIN)


def reconcile_flow(period: str, statements: Path, db: Path, out: Path | None = None) -> ReconcileOutcome:
    from prefect import flow
    from flows.orchestration import tasks_of
    tasks = tasks_of(PLAIN)

    @flow(name="reconcile")
    def reconcile_statements(period: str, statements: Path, db: Path, out: Path | None = None) -> ReconcileOutcome:
        """A region's bank statements against the transfers its units owe."""
        return run_steps(period, statements, db, out, tasks)

    return reconcile_statements(period, statements, db, out)


def summary_text(outcome: ReconcileOutcome) -> str:
    r = outcome.result
    credits = [c for c in r.credits if c["direction"] == "credit"]
    counts: dict[str, int] = {}
    for s in r.status:
        counts[s["status"]] = counts.get(s["status"], 0) + 1
    lines = [f"Reconciliation up to {r.period}: {len(credits)} credits, {pln(sum(c['amount'] for c in credits))} zł; "
             f"matched {pln(sum(m['amount'] for m in r.matches))} zł, unmatched "
             f"{pln(sum(u['amount'] for u in r.unmatched))} zł in {len(r.unmatched)} credits",
             "  transfers: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))]
    for s in r.status:
        if s["status"] != "paid":
            lines.append(f"    {s['unit_id']} {s['period']}: {s['status']} (expected {pln(s['expected'])}, paid "
                         f"{pln(s['paid'])}" + (f", {s['days_late']} days late" if s["days_late"] else "") + ")")
    for u in r.unmatched:
        lines.append(f"  unmatched {u['statement']}#{u['entry']} {pln(u['amount'])} zł: {u['reason']}")
    for f in r.forwards:
        lines.append(f"  region {f['region_id']} forwards {pln(f['amount'])} zł to {f['payee']} by {f['due_on']}")
    lines.append(f"  members 3+ months in arrears: {len(r.arrears)}")
    if outcome.workbook:
        lines.append(f"  workbook: {outcome.workbook}")
    return "\n".join(lines)
