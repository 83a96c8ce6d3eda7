"""`skladki verify-delegates`: declared paying members checked against the dues regions remitted
(004 Uchwała XIX KZD nr 6/2005), cross-checked with stored closes, and seats apportioned.

read (remittances, wages, national reference figures, what the stored closes say) → compute
(transforms.delegates stages, verifies, checks against the books and apportions) → store → report.
"""
import csv
import dataclasses
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from flows import settings, store
from flows.command import Command, Run, WritesDb, option, titled
from flows.inbox import find_table, read_table
from reports import delegates as delegates_reports
from schemas.tables import TABLES
from transforms.delegates import (
    DelegateResult,
    apportion,
    books_check,
    exempt_by_region,
    key_seats,
    per_member_factor,
    remittances_from_books,
    verify_remittances,
)
from transforms.errors import UserError, issues_frame
from transforms.money import decimal_text, grosze, sql_grosze

KEYS = settings.DELEGATE_KEYS
UNIT_FILE = "unit"            # settlement_files.kind of a unit's month (the file format's word, CONTRACT)

@dataclass(frozen=True, kw_only=True)
class VerifyParams(WritesDb):
    inbox: Path = option("folder z remittances.csv i wages.csv (bez remittances.csv: rozliczenia zapisane w bazie)",
                         title="Skrzynka (folder)",
                         form="pełna ścieżka folderu z remittances.csv i wages.csv")
    seats: Optional[int] = option("liczba mandatów do podziału (największe reszty)", None, check="count1",
                                  title="Liczba mandatów",
                                  form="mandaty do podziału metodą największych reszt; puste: bez podziału")
    key: Optional[str] = option("per:N, per-started:N albo klucz z data/delegate_keys.toml", None, check="key",
                                title="Klucz mandatów",
                                form="per:N, per-started:N albo klucz z delegate_keys.toml; puste: bez klucza")
    wage_fallback: Optional[str] = option("national: przeciętne ogólnopolskie, gdy brak danych województwa", None,
                                          title="Zastępcze przeciętne wynagrodzenie")



def fallbacks() -> dict[str, dict]:
    """The ``--wage-fallback`` choices of data/delegate_keys.toml."""
    return tomllib.loads(KEYS.read_text(encoding="utf-8"))["verification"].get("wage_fallbacks", {})


def check(params: VerifyParams) -> None:
    if not Path(params.inbox).is_dir():
        raise UserError("no_folder", path=params.inbox, what="skrzynki")
    if params.key:
        key_seats({}, params.key, KEYS.read_text(encoding="utf-8"))   # an unknown key stops here
    if params.wage_fallback and params.wage_fallback not in fallbacks():
        raise UserError("unknown_fallback", value=params.wage_fallback, known=", ".join(fallbacks()))


def _books(db: Path, config: dict) -> tuple[dict, dict, set[str], dict, dict]:
    """From stored closes: paying members per (period, unit), the national share per (period,
    region, voivodeship), the closed periods, exempt members per (period, unit), and each unit's
    (region, voivodeship) per period (the verified rulebook's units)."""
    if not db.exists():
        return {}, {}, set(), {}, {}
    with store.read_only(db) as con:
        tables = store.table_names(con)
        if not {"allocations", "units"} <= tables or not {"dues", "settlement_files"} & tables:
            return {}, {}, set(), {}, {}
        members, exempt = {}, {}
        if "dues" in tables:          # a region importing its units' files has no dues rows (issue 29)
            members = {(p, u): n for p, u, n in con.execute(
                "SELECT period, unit_id, count(*) FROM dues WHERE list_contains(?, category) GROUP BY ALL",
                [config["paying_categories"]]).fetchall()}
            exempt = {(p, u): n for p, u, n in con.execute(
                "SELECT period, unit_id, count(*) FROM dues WHERE NOT list_contains(?, category) GROUP BY ALL",
                [config["paying_categories"]]).fetchall()}
        remitted = {(p, r, v): g for p, r, v, g in con.execute(f"""
            SELECT a.period, u.region_id, u.voivodeship, {sql_grosze('coalesce(sum(a.amount), 0)')}
            FROM allocations a JOIN units u ON u.unit_id = a.unit_id AND u.period = a.period
            WHERE u.rulebook = ? AND list_contains(?, a.level) GROUP BY ALL""",
            [config["rulebook"], config["remitted_levels"]]).fetchall()}
        periods = {p for (p,) in con.execute("SELECT DISTINCT period FROM units").fetchall()}
        places = {(p, u): (r, v) for p, u, r, v in con.execute(
            "SELECT period, unit_id, region_id, voivodeship FROM units WHERE rulebook = ?",
            [config["rulebook"]]).fetchall()}
        if "settlement_files" in tables:
            imported(con, config, members, exempt)
    return members, remitted, periods, exempt, places


def imported(con, config: dict, members: dict, exempt: dict) -> None:
    """Issue 29: a unit's month imported from its settlement file has no dues rows; its paying
    members are the file's (the version in force), its exempt members the counts of its other
    categories. A unit-month with stored dues rows keeps them (a close of this database)."""
    paying = set(config["paying_categories"])
    rows = con.execute("SELECT period, unit_id, by_category FROM settlement_files "
                       "WHERE superseded_by IS NULL AND kind = ?", [UNIT_FILE]).fetchall()
    if "settlement_units" in store.table_names(con):      # the national level: the units a region's file covers
        rows += con.execute("SELECT period, unit_id, by_category FROM settlement_units").fetchall()
    for period, unit, by_category in rows:
        if (period, unit) in members or (period, unit) in exempt:
            continue
        counts = {c: int(n) for c, n in json.loads(by_category or "{}").items()}
        # as a close's dues rows count them: the paying categories, and the others exempt
        members[(period, unit)] = sum(n for c, n in counts.items() if c in paying)
        others = sum(n for c, n in counts.items() if c not in paying)
        if others:
            exempt[(period, unit)] = others


BOOKS_SOURCE = "rozliczenia w bazie"      # where the remittances come from without remittances.csv


def books_remittances(db: Path, config: dict, members: dict, exempt: dict) -> list[dict]:
    """Issue 29: without remittances.csv, the remittances the stored settlements say (closed here
    or imported from units' or regions' files): per region, voivodeship and month, the declared
    paying and exempt members and what the units' settlements moved to the national share's
    levels (transforms.delegates.remittances_from_books)."""
    if not db.exists():
        return []
    with store.read_only(db) as con:
        if not {"units", "settlement"} <= store.table_names(con):
            return []
        units = store.dicts(con, "SELECT period, unit_id, region_id, voivodeship FROM units WHERE rulebook = ? "
                                 "ORDER BY ALL", [config["rulebook"]])
        remitted = {(p, u): g for p, u, g in con.execute(
            f"SELECT period, unit_id, {sql_grosze('coalesce(sum(amount), 0)')} FROM settlement "
            "WHERE list_contains(?, level) GROUP BY ALL", [config["remitted_levels"]]).fetchall()}
    return remittances_from_books(units, members, exempt, remitted)


VOIVODESHIP_WAGES = settings.REFERENCE / "gus_enterprise_wage_voivodeship_with_profit.csv"


def reference_wages() -> list[dict]:
    """The reference W figures (voivodeship, month, amount, source), rows named after the file."""
    rows = read_table(VOIVODESHIP_WAGES, "wages").to_dicts()
    return [{**r, "_source": f"reference/{VOIVODESHIP_WAGES.name}"} for r in rows]


@dataclass(frozen=True)
class VerifyInputs:
    """The remittances and wages read (transforms.delegates.verify_remittances' inputs), the
    --wage-fallback figures, data/delegate_keys.toml and what the stored closes say (``_books``)."""
    remittances: list[dict]
    wages: list[dict]
    fallback: dict[str, tuple[int, str]] | None
    remittances_name: str
    wages_name: str
    keys_text: str
    config: dict                  # delegate_keys.toml's [verification]
    books: tuple[dict, dict, set[str], dict, dict]


def read(run: Run) -> VerifyInputs:
    p = run.params
    inbox = Path(p.inbox)
    rem_path = find_table(inbox, "remittances", False)
    wages_path = find_table(inbox, "wages", False)
    fallback = None
    if p.wage_fallback:
        fallback = {}
        with (settings.DATA / fallbacks()[p.wage_fallback]["file"]).open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                fallback[r["month"]] = (grosze(r["amount_pln"]), r["source"])
    keys_text = KEYS.read_text(encoding="utf-8")
    config = tomllib.loads(keys_text)["verification"]
    books = _books(Path(p.db), config)
    if rem_path is not None:
        remittances, remittances_name = read_table(rem_path, "remittances").to_dicts(), rem_path.name
    else:        # issue 29: what the stored (imported) settlements say; none stored: the file is required
        remittances, remittances_name = books_remittances(Path(p.db), config, books[0], books[3]), BOOKS_SOURCE
        if not remittances:
            find_table(inbox, "remittances", True)
    return VerifyInputs(
        remittances=remittances,
        # W: the shipped per-voivodeship figures (data/reference), then the inbox's wages.csv, which
        # extends them; a month given in both with different amounts is a bad_wage_twice record
        wages=reference_wages() + (read_table(wages_path, "wages").to_dicts() if wages_path else []),
        fallback=fallback, remittances_name=remittances_name,
        wages_name=wages_path.name if wages_path else "wages.csv",
        keys_text=keys_text, config=config, books=books)


def compute(run: Run, inputs: VerifyInputs) -> DelegateResult:
    members, remitted, periods, exempt, places = inputs.books
    res = verify_remittances({"remittances": inputs.remittances, "wages": inputs.wages,
                              "remittances_name": inputs.remittances_name, "wages_name": inputs.wages_name},
                             members, per_member_factor(inputs.keys_text), inputs.fallback, exempt,
                             inputs.config.get("equality_passes", True))
    seats, seats_rule = apportion(res.verification, run.params.seats, run.params.key, inputs.keys_text)
    # issue 30: the declared exempt members against the closes' count (lit. c–d), not on trust
    checks = books_check(res.verification, remitted, periods, exempt_by_region(exempt, places))
    return dataclasses.replace(res, checks=checks, seats=seats,
                               seats_rule=seats_rule)


def save(run: Run, res: DelegateResult) -> None:
    """Rows of the verified paid_in months are replaced; seats, the books check and the records
    are the current run's."""
    con = run.database()
    frame = TABLES["delegate_verification"].frame([{**v, "threshold": decimal_text(v["threshold"] / 100, 6)}
                                                   for v in res.verification])
    store.write(con, "delegate_verification", frame, paid_in=sorted({v["paid_in"] for v in res.verification}))
    store.write(con, "delegate_seats", TABLES["delegate_seats"].frame(
        [{**s, "quota": decimal_text(s["quota"], 6), "rule": res.seats_rule} for s in res.seats]))
    store.write(con, "remittance_check", TABLES["remittance_check"].frame(res.checks))
    store.write(con, "delegate_exceptions", issues_frame(res.issues))


def inputs_source(run: Run) -> str:
    """The resolution the verification applies, as data/delegate_keys.toml's [verification] names it."""
    return tomllib.loads(KEYS.read_text(encoding="utf-8"))["verification"].get("source", "")


def report(run: Run, res: DelegateResult) -> None:
    if run.params.out:
        delegates_reports.write_delegates_workbook(run.database(), run.output("weryfikacja_delegatow.xlsx"),
                                                   inputs_source(run))


def summary(run: Run, res: DelegateResult) -> str:
    return delegates_reports.summary_text(res, run.workbook)


VERIFY_DELEGATES = Command(
    params=VerifyParams, help='Weryfikacja liczby delegatów wobec przekazanych składek (uchwała z data/delegate_keys.toml) i mandaty.',
    run_name=titled("weryfikacja delegatów", "inbox"), exclusive=(("seats", "key"),),
    name="verify-delegates", flow_name="verify-delegates", check=check, summary=summary,
    read=read, compute=compute, store=save, report=report)
