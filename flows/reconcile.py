"""`skladki reconcile`: a region's bank statements against the transfers its units owe.

read (statement files, payments.csv, the stored closes) → compute (transforms.statements parses,
transforms.reconcile matches, judges and lists arrears) → store → report.

Statements: MT940 files (*.sta, *.mt940, *.940), CAMT.053 documents (*.xml) and bank CSV exports through a profile of
data/bank_profiles (recognised by header signature). Members paying directly: ``payments.csv``
(member_id, period, amount) in the statements folder.
"""
import dataclasses
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import polars as pl

from flows import months, settings, store
from flows.rules import rules_for
from flows.command import Command, ReadsDb, Run, last_month, option, titled
from flows.files import check_input, file_problem
from reports import reconcile as reconcile_reports
from schemas.tables import TABLES
from transforms import bank_csv
from transforms.camt import CamtError, parse_camt053
from transforms.errors import UserError, issue, issues_frame, mask_personal, text
from transforms.folders import files_by_name, replaced_files
from transforms.ledger import arrears, arrears_months, employer_shortfalls
from transforms.money import format_pl, from_decimal, sql_grosze
from transforms.polish import count
from transforms.reconcile import Expected, ReconcileResult, Unit, reconcile, title_patterns
from transforms.statements import (
    bank_account_iban,
    balance_gap,
    check_mt940,
    decode_statement,
    failing_line,
    parse_mt940,
    repeated_across_files,
    split_statements,
    statement_header,
)

MT940_SUFFIXES = (".sta", ".mt940", ".940")
CAMT_SUFFIXES = (".xml",)
PAYMENTS = "payments.csv"

@dataclass(frozen=True, kw_only=True)
class ReconcileParams(ReadsDb):
    period: str = last_month("uzgodnij przelewy do tego miesiąca",
                             form="uzgodnij przelewy do tego miesiąca, RRRR-MM; puste: poprzedni miesiąc")
    statements: Path = option("folder z wyciągami MT940 (*.sta, *.mt940, *.940) albo bankowymi *.csv, "
                              "opcjonalnie payments.csv", title="Wyciągi bankowe (folder)",
                              form="pełna ścieżka folderu z wyciągami MT940 albo bankowymi CSV")
    region_id: Optional[str] = option("tylko jednostki tego regionu (wyciąg jednego regionu)", None,
                                      flag="--region", title="Region",
                                      form="tylko jednostki tego regionu; puste: wszystkie")
    # issue 30: the national body is each union's own (its rulebook's [versions.reconcile.national])
    level: Optional[str] = option("national: wyciągi organu krajowego związku wobec przekazań regionów i składek "
                                  "jednostek (bez --level: poziom regionu)", None, title="Poziom",
                                  form="national: wyciągi organu krajowego związku; puste: poziom regionu")



def bank_profiles() -> list[bank_csv.BankProfile]:
    """Every bank profile, validated (issue 31): the shipped ones and the user's (configuration
    folder, SKLADKI_BANK_PROFILES); a user's file of a shipped file's name replaces it, and the
    user's own layouts are tried first."""
    folders = settings.search_folders("bank_profiles")
    chosen = files_by_name(folders, check=check_input)
    rank = {Path(f): i for i, f in enumerate(folders)}
    paths = sorted(chosen.values(), key=lambda p: -rank.get(p.parent, 0))     # stable: by name within a folder
    return [bank_csv.load_profile(p.read_text(encoding="utf-8"), str(p)) for p in paths]


def bank_profile_notes() -> list[str]:
    """One Polish line for each user's bank profile that replaces a shipped one of the same name."""
    return [text("notes", "user_file_replaces", file=str(p)) for p in replaced_files(settings.search_folders("bank_profiles"))]


def _bad(name: str, period: str, why: str):
    return issue("bad_statement", source=name, command="reconcile", period=period, why=why)


def read_bank_csv(raw: bytes, name: str, period: str) -> tuple[list[dict], list]:
    """A bank CSV export through the first bank profile that recognises it (``bank_profiles``); an
    amount above the rulebooks' limit of a credible amount is a bad row, not a number."""
    profiles = bank_profiles()
    entries, found, profile = bank_csv.read(raw, profiles, name, period,
                                            max_amount=rules_for(period).max_monthly_amount)
    if profile is None:
        return [], [_bad(name, period, text("problems", "no_bank_profile",
                                            expected="; ".join(f"{p.bank}: {bank_csv.expected_layout(p)}"
                                                               for p in profiles)))]
    if not entries and not found:
        found = [issue("empty_statement", source=name, command="reconcile", period=period)]
    return entries, found


def read_mt940(raw: bytes, name: str, period: str) -> tuple[list[dict], list, tuple]:
    """One MT940 file: its encoding detected; each statement in it (mBank CompanyNet writes one
    per account) checked on its own and used or refused by itself: one record naming the file and
    the statement's account when it is in another currency than złoty, lacks its account or
    number, its entries do not add up to its closing balance, or the parser cannot read it.
    Returns (entries numbered through the file, records, the statements' identities)."""
    content, encoding = decode_statement(raw)
    entries, found, identities, first = [], [], [], 1
    for block in split_statements(content):
        got, problems, identity = _read_one_mt940(block, name, period, encoding, first)
        first += sum(1 for ln in block.splitlines() if ln.startswith(":61:"))
        entries, found = entries + got, found + problems
        identities.append(identity)
    return entries, found, identities[0] if len(identities) == 1 else tuple(identities)


def refused_statement(name: str, period: str, account: str, number: str, currency: str | None,
                      gap: tuple[int, int] | None, fields: tuple[str, str] = (":25:", ":28C:")):
    """The one record refusing a statement (MT940 or CAMT.053) by itself, or None when it can be
    used: its account or number missing (``fields``: their names in the format), another currency
    than złoty, entries that do not add up to the closing balance."""
    def refused(code: str, **params):
        return issue(code, source=name, command="reconcile", period=period, **params)
    if not account or not number:
        return refused("statement_header_missing", account=account or "?",
                       missing=", ".join(f for f, v in zip(fields, (account, number)) if not v))
    if currency and currency != "PLN":
        return refused("foreign_currency_statement", currency=currency, account=account)
    if gap:
        return refused("statement_balance_mismatch", account=account, total=format_pl(gap[0]),
                       closing=format_pl(gap[1]))
    return None


def _read_one_mt940(content: str, name: str, period: str, encoding: str, first: int) -> tuple[list[dict], list, tuple]:
    cleaned, found, identity = check_mt940(content, name, period, rules_for(period).max_monthly_amount)
    if cleaned is None:
        return [], found, identity
    header = statement_header(cleaned)
    refusal = refused_statement(name, period, header["account"], header["number"], header["currency"],
                                balance_gap(cleaned) if not found else None)   # a refused entry is a record already
    if refusal:
        return [], found + [refusal], identity
    try:
        entries = parse_mt940(cleaned, name, first)
    except Exception as e:  # noqa: BLE001 - the parser library's failures are reported with the file and line
        line, what = failing_line(cleaned, e)
        return [], found + [issue("bad_statement", source=name, row=line, command="reconcile", period=period,
                                  why=text("problems", "mt940_unreadable", what=what, encoding=encoding))], ()
    expected = sum(1 for ln in cleaned.splitlines() if ln.startswith(":61:"))
    if len(entries) != expected:           # nothing vanishes: the parser skipped an entry it could not read
        return [], found + [_bad(name, period, text("problems", "entries_vanished", read=len(entries),
                                                    written=expected))], identity
    return entries, found, identity


def read_camt053(raw: bytes, name: str, period: str) -> tuple[list[dict], list, tuple]:
    """One CAMT.053 document (transforms.camt): each statement in it checked on its own like an
    MT940 statement (account, number, currency, opening + entries = closing balance OPBD/CLBD) and
    used or refused by itself; an unreadable document is one record."""
    try:
        statements = parse_camt053(raw, name)
    except CamtError as e:
        return [], [_bad(name, period, text("problems", "camt_unreadable", what=str(e)))], ()
    entries, found, identities = [], [], []
    limit = rules_for(period).max_monthly_amount
    for st in statements:
        total = (st["opening"] or 0) + sum(e["amount"] for e in st["entries"])
        gap = (total, st["closing"]) if st["closing"] is not None and total != st["closing"] else None
        refusal = refused_statement(name, period, st["account"], st["number"], st["currency"], gap,
                                    ("Acct/Id", "ElctrncSeqNb"))
        identities.append((st["account"], st["number"], str(st["opening"])))
        if refusal:
            found.append(refusal)
            continue
        for e in st["entries"]:
            if limit is not None and abs(e["amount"]) > limit:
                found.append(issue("camt_entry_too_large", source=name, command="reconcile", period=period,
                                   entry=e["entry"], value=format_pl(abs(e["amount"])), limit=format_pl(limit)))
            else:
                entries.append(e)
    return entries, found, identities[0] if len(identities) == 1 else tuple(identities)


REGIONS_SCOPE = "regiony"        # every region's units (no --region)
TITLE_PATTERNS = settings.DATA / "title_patterns.toml"


def scope_of(params: ReconcileParams) -> str:
    """What a reconciliation covers, stored with its rows: 'regiony', 'region SL', or the level
    given with --level (a level code of the rulebooks' [versions.reconcile])."""
    if params.level:
        return params.level
    return f"region {params.region_id}" if params.region_id else REGIONS_SCOPE


def reconcile_levels(period: str) -> dict[str, dict]:
    """Level code -> {payees, label, sources, accounts} over the rulebooks in force (payees and
    the level's own accounts united; an account the rulebook writes as NRB is read as PL IBAN).
    A rulebook that gives the level no accounts makes them unknown (an empty set: not checked)."""
    out: dict[str, dict] = {}
    unknown: set[str] = set()
    for v in rules_for(period).versions.values():
        for code, spec in v.reconcile_levels.items():
            got = out.setdefault(code, {"payees": set(), "label": spec.get("label", code), "sources": set(),
                                        "accounts": set()})
            got["payees"] |= set(spec["payees"])
            got["sources"].add(spec.get("source", ""))
            got["accounts"] |= {bank_account_iban(a) or a for a in spec.get("accounts", [])}
            if not spec.get("accounts"):
                unknown.add(code)
    for code in unknown:
        out[code]["accounts"] = set()
    return out


def earmark_level(con, level: str, period: str) -> dict:
    """issue 30: a region's earmarked fund or a section's dues as a level of its own (004 §4, §3
    ust. 4): the units' transfers to it, matched against the statements of its own account."""
    rows = store.dicts(con, "SELECT label, bank_account, source FROM earmarks WHERE level = ? AND period <= ? "
                            "ORDER BY period DESC LIMIT 1", [level, period]) \
        if "earmarks" in store.table_names(con) else []
    if not rows:
        raise UserError("bad_option", name="--level", detail=f"'{level}': brak takiego funduszu ani sekcji w "
                        f"zamkniętych miesiącach do {period}")
    account = bank_account_iban(rows[0]["bank_account"]) if rows[0]["bank_account"] else None
    return {"payees": {level}, "label": rows[0]["label"], "sources": {rows[0]["source"] or ""},
            "accounts": {account} if account else set()}


def is_earmark_level(level: str) -> bool:
    """A fund's or a section's level code ('fund:<region_id>:<fund>', 'section:<section_id>')."""
    from transforms.earmarks import FUND, SECTION
    return level.split(":", 1)[0] in (FUND, SECTION) and ":" in level


def _arrears(con, period: str, region: str | None) -> list[dict]:
    """RULES.md §10 from the members' accounts (the one definition, transforms.ledger.arrears)."""
    if "member_ledger" not in store.table_names(con):
        return []
    (last,) = con.execute("SELECT max(period) FROM member_ledger WHERE period <= ?", [period]).fetchone()
    ledger = pl.DataFrame(con.execute(
        f"SELECT period, member_id, unit_id, months_unpaid, {sql_grosze('arrears')} FROM member_ledger "
        "WHERE period = ? AND months_unpaid > 0", [last]).fetchall(),
        schema={"period": pl.String, "member_id": pl.String, "unit_id": pl.String, "months_unpaid": pl.Int64,
                "arrears": pl.Int64}, orient="row")
    books = dict(con.execute("SELECT unit_id, rulebook FROM units WHERE period = ?", [last]).fetchall())
    regions = dict(con.execute("SELECT unit_id, region_id FROM units WHERE period = ?", [last]).fetchall())
    rules = rules_for(last or period)
    months = arrears_months(rules, books.items())
    claims = pl.DataFrame(con.execute(
        f"SELECT period, member_id, {sql_grosze('owed')}, {sql_grosze('deducted')} FROM employer_claims "
        "WHERE period <= ?", [last]).fetchall(),
        schema={"period": pl.String, "member_id": pl.String, "owed": pl.Int64, "deducted": pl.Int64},
        orient="row") if "employer_claims" in store.table_names(con) else None
    rows = arrears(ledger, months, employer_shortfalls(claims) if claims is not None else None).to_dicts()
    return [r for r in rows if region is None or regions.get(r["unit_id"]) == region]


def region_accounts(regions: list[dict], scope: set[str]) -> set[str]:
    """The accounts of the regions in ``scope`` (regions.csv), or none (not checked) when one of
    them has no valid account: its statement could not be told from another's."""
    accounts = {r["region_id"]: bank_account_iban(r["bank_account"]) for r in regions}
    return set() if any(accounts.get(r) is None for r in scope) else {accounts[r] for r in scope}


def load_books(db: Path, period: str, region: str | None = None, level: str | None = None) -> dict:  # noqa: C901
    """What the statements are matched against. A region's level (the default): the transfers its
    units owe it (all regions', or ``region``'s own), the forwards it owes onwards, the members in
    arrears. The national level: the forwards each region owes the national board and the national
    strike fund, and the contributions units of a union without regions pay the national board
    directly (the rulebooks' [versions.reconcile] national payees)."""
    if not db.exists():
        raise UserError("no_database", db=db)
    g = from_decimal
    with store.read_only(db) as con:
        tables = store.table_names(con)
        units = [Unit(u, n or "", bank_account_iban(acc), r) for u, n, acc, r in con.execute(
            "SELECT unit_id, arg_max(name, period), arg_max(bank_account, period), arg_max(region_id, period) "
            "FROM units WHERE period <= ? GROUP BY unit_id", [period]).fetchall()]
        regions = store.dicts(con, "SELECT region_id, arg_max(name, period) AS name, "
                              "arg_max(bank_account, period) AS bank_account, "
                              "arg_max(transfer_title, period) AS transfer_title FROM regions WHERE period <= ? "
                              "GROUP BY 1 ORDER BY 1", [period]) if "regions" in tables else []
        known_regions = {u.region_id for u in units} | {r["region_id"] for r in regions}
        if region and region not in known_regions:
            raise UserError("unknown_region", region=region, known=", ".join(sorted(known_regions)))
        if level:
            spec = reconcile_levels(period).get(level) or earmark_level(con, level, period)
            payees = sorted(spec["payees"])
            expected = [Expected(payer, p, g(a), d) for payer, p, a, d in con.execute(
                "SELECT payer_id, period, sum(amount), due_on FROM transfers WHERE list_contains(?, payee) "
                "AND period <= ? GROUP BY payer_id, period, due_on ORDER BY period, payer_id",
                [payees, period]).fetchall()]
            payers = [Unit(r["region_id"], r["name"] or "", bank_account_iban(r["bank_account"]), r["region_id"])
                      for r in regions]
            payers += [Unit(r, "", None, r) for r in sorted({e.unit_id for e in expected} - {p.unit_id for p in payers}
                                                             - {u.unit_id for u in units})]
            payers += [u for u in units if u.unit_id in {e.unit_id for e in expected}]
            result = {"expected": expected, "units": payers, "forwards": [], "arrears": [],
                      "level_label": spec["label"], "level_source": "; ".join(sorted(spec["sources"] - {""})),
                      "accounts": set(spec["accounts"])}
        else:
            roots = [p for (p,) in con.execute("SELECT DISTINCT payer_kind FROM transfers t WHERE EXISTS "
                                               "(SELECT 1 FROM units u WHERE u.unit_id = t.payer_id)").fetchall()]
            region_levels = [p for (p,) in con.execute(
                "SELECT DISTINCT payee FROM transfers WHERE list_contains(?, payer_kind)", [roots]).fetchall()]
            forwarders = [p for (p,) in con.execute(
                "SELECT DISTINCT payer_kind FROM transfers WHERE list_contains(?, payer_kind)",
                [region_levels]).fetchall()]
            only = "AND region_id = ?" if region else ""
            # the transfers a region's statement receives: units paying the level that forwards onwards
            expected = [Expected(u, p, g(a), d) for u, p, a, d in con.execute(
                "SELECT payer_id, period, amount, due_on FROM transfers WHERE list_contains(?, payer_kind) "
                f"AND list_contains(?, payee) AND period <= ? {only} ORDER BY period, payer_id",
                [roots, forwarders, period] + ([region] if region else [])).fetchall()]
            forwards = [dict(zip(("region_id", "payer_kind", "payee", "amount", "due_on"),
                                 (r[0], r[1], r[2], g(r[3]), r[4])))
                        for r in con.execute("SELECT payer_id, payer_kind, payee, amount, due_on FROM transfers "
                                             f"WHERE list_contains(?, payer_kind) AND period = ? "
                                             f"{'AND payer_id = ?' if region else ''} ORDER BY payer_id, payee",
                                             [forwarders, period] + ([region] if region else [])).fetchall()]
            result = {"expected": expected, "units": units, "forwards": forwards,
                      "arrears": _arrears(con, period, region),
                      "accounts": region_accounts(regions, {region} if region else known_regions)}
    if not result["expected"]:
        raise UserError("no_transfers", db=db, period=period)
    config = tomllib.loads(TITLE_PATTERNS.read_text(encoding="utf-8"))
    result["patterns"] = title_patterns(config, regions).first(region)
    return result


def check(params: ReconcileParams) -> None:
    if not Path(params.statements).is_dir():
        raise UserError("no_folder", path=params.statements, what="wyciągów")
    if params.level:
        from transforms.staging import is_period
        levels = reconcile_levels(params.period if is_period(str(params.period)) else "2026-01")
        if params.level not in levels and not is_earmark_level(params.level):
            raise UserError("bad_option", name="--level", detail=f"'{params.level}': znane poziomy: "
                            + ", ".join(sorted(levels)) + ", fundusze i sekcje (fund:REGION:KOD, section:KOD)"
                            " (bez --level: poziom regionu)")
        if params.region_id:
            raise UserError("bad_option", name="--region", detail=f"poziom {params.level} obejmuje wszystkie "
                            "regiony; podaj --region albo --level, nie oba")


def read_statements(folder: Path, period: str, accounts: set[str] | None = None,
                    scope: str = "") -> tuple[list[dict], list]:
    """Every file of the folder is read or reported; the same statement given twice (the same
    bytes, or the same account, number and opening date) is used once, and so is the same
    transaction in two files (transforms.statements.repeated_across_files). ``accounts``: the
    level's own accounts (none known: not checked): a statement of another account is refused,
    named with ``scope``. No statement usable: nothing to reconcile with, a UserError."""
    entries = sorted(p for p in folder.iterdir() if p.name != PAYMENTS)
    if not any(p.suffix.lower() in MT940_SUFFIXES + CAMT_SUFFIXES + (".csv",) for p in entries):
        raise UserError("no_statements", folder=folder)
    files, found, used = [], [], 0
    seen_bytes: dict[str, str] = {}
    seen_ids: dict[tuple, str] = {}
    for p in entries:
        why = file_problem(p)
        if why is None and p.suffix.lower() not in MT940_SUFFIXES + CAMT_SUFFIXES + (".csv",):
            why = text("problems", "statement_unknown_type", suffix=p.suffix or p.name)
        if why:
            found.append(_bad(p.name, period, why))
            continue
        raw = p.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest in seen_bytes:
            found.append(issue("duplicate_statement", source=p.name, command="reconcile", period=period,
                               other=seen_bytes[digest], why="te same bajty"))
            continue
        seen_bytes[digest] = p.name
        if p.suffix.lower() == ".csv":
            got, problems = read_bank_csv(raw, p.name, period)
        else:
            reader = read_camt053 if p.suffix.lower() in CAMT_SUFFIXES else read_mt940
            got, problems, identity = reader(raw, p.name, period)
            if identity and all(identity) and identity in seen_ids:
                found.append(issue("duplicate_statement", source=p.name, command="reconcile", period=period,
                                   other=seen_ids[identity], why="ten sam rachunek, numer i saldo otwarcia"))
                continue
            if identity and all(identity):
                seen_ids[identity] = p.name
        found += problems
        foreign = sorted({e["own_account"] for e in got if e.get("own_account")} - (accounts or set()))
        if accounts and foreign:         # each statement of the file on its own: another account's is refused
            found.append(issue("statement_wrong_account", source=p.name, command="reconcile", period=period,
                               account=", ".join(foreign), expected=", ".join(sorted(accounts)), scope=scope))
            got = [e for e in got if e.get("own_account") not in foreign]
            if not got:
                continue
        if got or not any(i.source == p.name and i.reason_code == "bad_statement" for i in problems):
            used += 1
            files.append((p.name, got))
    if not used:
        raise UserError("no_usable_statement", folder=folder, scope=scope or REGIONS_SCOPE,
                        reasons=" ".join(i.message for i in found))
    credits, repeats = repeated_across_files(files)
    for (name, other), entries in repeats.items():
        shown = ", ".join(str(e) for e in entries[:10]) + (", …" if len(entries) > 10 else "")
        found.append(issue("duplicate_transaction", source=name, command="reconcile", period=period, other=other,
                           entries=f"{count(len(entries), 'pozycja')} (nr {shown})"))
    return credits, found


@dataclass(frozen=True)
class ReconcileInputs:
    """What the statements are matched against (``load_books``) and the credits read from them."""
    scope: str                              # stored with the rows: 'regiony', 'region SL' or a level
    credits: list[dict]
    issues: list
    expected: list[Expected]
    units: list[Unit]
    forwards: list[dict]
    arrears: list[dict]
    accounts: set[str]
    patterns: object = None                 # transforms.reconcile.TitlePatterns
    level_label: str | None = None          # a level above the regions (--level)
    level_source: str | None = None


@dataclass
class Reconciliation(ReconcileResult):
    """What transforms.reconcile found, with the scope it covers and the unit months it approved."""
    scope: str = REGIONS_SCOPE
    level_label: str | None = None
    approved: list[tuple[str, str]] = field(default_factory=list)


def read(run: Run) -> ReconcileInputs:
    p = run.params
    folder = Path(p.statements)
    books = load_books(Path(p.db), p.period, p.region_id, p.level)
    scope = scope_of(p)
    credits, found = read_statements(folder, p.period, books["accounts"],
                                     reconcile_reports.scope_label(scope, books.get("level_label")))
    if (folder / PAYMENTS).exists():     # it belongs to the close now: said, never silently ignored
        found.append(issue("payments_moved", source=PAYMENTS, command="reconcile", period=p.period))
    rules = rules_for(p.period)
    for f in books["forwards"]:
        f["payee_label"] = rules.payee_label(f["payee"], rules.paying(f["payer_kind"]))   # the payer's union's word
    return ReconcileInputs(scope=scope, credits=credits, issues=found, **books)


def compute(run: Run, inputs: ReconcileInputs) -> Reconciliation:
    found = reconcile(run.params.period, {
        "credits": inputs.credits, "expected": inputs.expected, "units": inputs.units, "forwards": inputs.forwards,
        "arrears": inputs.arrears, "issues": inputs.issues, "patterns": inputs.patterns})
    return Reconciliation(**vars(found), scope=inputs.scope, level_label=inputs.level_label)


def save(run: Run, res: Reconciliation) -> Reconciliation:
    """One transaction; a re-run for the same period replaces that period's rows."""
    con, period = run.database(), run.params.period
    key = {"reconciled_for": period, "scope": res.scope}
    for table in ("bank_credits", "transfer_matches", "transfer_status", "arrears", "reconcile_exceptions"):
        store.ensure(con, table)      # rows of a database from before scopes: every region's
        con.execute(f"UPDATE {table} SET scope = ? WHERE scope IS NULL", [REGIONS_SCOPE])
    matched: dict[tuple, int] = {}
    for m in res.matches:
        matched[(m["statement"], m["entry"])] = matched.get((m["statement"], m["entry"]), 0) + m["amount"]
    reasons = {(u["statement"], u["entry"]): u["reason"] for u in res.unmatched}
    # the region's tables carry no personal data: a payer's name is kept only when the money came
    # from a unit (it is the unit's name); PESEL-like numbers in titles are masked
    credits = [{**c, **key, "unmatched_reason": reasons.get((c["statement"], c["entry"])),
                "matched": matched.get((c["statement"], c["entry"]), 0) if c["direction"] == "credit" else None,
                "title": mask_personal(c["title"]),
                "counterparty": c["counterparty"] if matched.get((c["statement"], c["entry"])) else None}
               for c in res.credits]
    store.write(con, "bank_credits", TABLES["bank_credits"].frame(credits), **key)
    for table, rows in (("transfer_matches", res.matches), ("transfer_status", res.status), ("arrears", res.arrears)):
        store.write(con, table, TABLES[table].frame([{**r, **key} for r in rows]), **key)
    store.write(con, "reconcile_exceptions", issues_frame(res.issues).with_columns(
        reconciled_for=pl.lit(period), scope=pl.lit(res.scope)), **key)
    return dataclasses.replace(res, approved=approve_paid(con, res.status))


def approve_paid(con, status: list[dict]) -> list[tuple[str, str]]:
    """RULES.md §13: a unit's month whose transfer the statement shows paid in full is approved
    (a complete draft only: an incomplete month needs a person's reason). Returns (unit, month)."""
    if "unit_months" not in store.table_names(con):
        return []
    paid = [(s["unit_id"], s["period"]) for s in status
            if s["status"] in ("paid", "late") and s["expected"] > 0 and s["paid"] == s["expected"]]
    drafts = {(u, p) for u, p in con.execute("SELECT unit_id, period FROM unit_months WHERE state = 'draft' "
                                             "AND NOT incomplete").fetchall()}
    done = sorted(set(paid) & drafts)
    for period in sorted({p for _, p in done}):          # one update per month
        months.approve(con, period, [u for u, p in done if p == period], "uzgodnienie wyciągu: przelew zapłacony",
                       "uzgodnienie")
    return done


def report(run: Run, res: Reconciliation) -> None:
    if run.params.out:
        reconcile_reports.write_reconcile_workbooks(run.database(), res, run.output, res.scope, res.level_label)


def summary(run: Run, res: Reconciliation) -> str:
    return reconcile_reports.summary_text(res, run.workbook, bank_profile_notes())


RECONCILE = Command(
    params=ReconcileParams, help='Wpływy na rachunek regionu (albo organu krajowego związku) wobec przelewów należnych; statusy i zaległości.',
    run_name=titled("uzgodnienie", "statements"),
    name="reconcile", flow_name="reconcile", check=check, summary=summary,
    read=read, compute=compute, store=save, report=report)
