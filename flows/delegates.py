"""`skladki verify-delegates`: declared paying members checked against the dues regions remitted
(004 Uchwała XIX KZD nr 6/2005), cross-checked with stored closes, and seats apportioned.

read (remittances, wages, national reference figures, what the stored closes say) → stage and
compute (transforms.delegates) → store → report.
"""
import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from flows import settings, store
from flows.command import Command, DB, OUT, Params, Run, legacy, legacy_view, option, titled
from flows.inbox import find_table, read_table
from reports import delegates as delegates_reports
from schemas.tables import TABLES
from transforms.delegates import (
    apportion,
    books_check,
    key_seats,
    per_member_factor,
    verify_remittances,
)
from transforms.errors import UserError, issues_frame
from transforms.money import decimal_text, grosze, sql_grosze

KEYS = settings.DELEGATE_KEYS

@dataclass(frozen=True, kw_only=True)
class VerifyParams(Params):
    inbox: Path = option("folder z remittances.csv i wages.csv", title="Skrzynka (folder)",
                         form="pełna ścieżka folderu z remittances.csv i wages.csv")
    db: Path = option("plik DuckDB (zapisane zamknięcia są porównywane)", **DB)
    out: Optional[Path] = option("folder na skoroszyt Excel", None, **OUT)
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


def check(params: dict) -> None:
    if not Path(params["inbox"]).is_dir():
        raise UserError("no_folder", path=params["inbox"], what="skrzynki")
    if params.get("key"):
        key_seats({}, params["key"], KEYS.read_text(encoding="utf-8"))   # an unknown key stops here
    if params.get("wage_fallback") and params["wage_fallback"] not in fallbacks():
        raise UserError("unknown_fallback", value=params["wage_fallback"], known=", ".join(fallbacks()))


def _books(db: Path, config: dict) -> tuple[dict, dict, set[str], dict]:
    """From stored closes: paying members per (period, unit), the national share per (period,
    region, voivodeship), the closed periods, and exempt members per (period, unit)."""
    if not db.exists():
        return {}, {}, set(), {}
    with store.read_only(db) as con:
        if not {"dues", "allocations", "units"} <= store.table_names(con):
            return {}, {}, set(), {}
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
    return members, remitted, periods, exempt


VOIVODESHIP_WAGES = settings.REFERENCE / "gus_enterprise_wage_voivodeship_with_profit.csv"


def reference_wages() -> list[dict]:
    """The reference W figures (voivodeship, month, amount, source), rows named after the file."""
    rows = read_table(VOIVODESHIP_WAGES, "wages").to_dicts()
    return [{**r, "_source": f"reference/{VOIVODESHIP_WAGES.name}"} for r in rows]


def read(run: Run) -> None:
    inbox = Path(run.inbox)
    rem_path = find_table(inbox, "remittances", True)
    wages_path = find_table(inbox, "wages", False)
    fallback = None
    if run.params.get("wage_fallback"):
        fallback = {}
        with (settings.DATA / fallbacks()[run.wage_fallback]["file"]).open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                fallback[r["month"]] = (grosze(r["amount_pln"]), r["source"])
    run.state["keys_text"] = KEYS.read_text(encoding="utf-8")
    run.state["config"] = tomllib.loads(run.state["keys_text"])["verification"]
    run.state["inputs"] = {
        "remittances": read_table(rem_path, "remittances").to_dicts(),
        # W: the shipped per-voivodeship figures (data/reference), then the inbox's wages.csv, which
        # extends them; a month given in both with different amounts is a bad_wage_twice record
        "wages": reference_wages() + (read_table(wages_path, "wages").to_dicts() if wages_path else []),
        "fallback": fallback, "remittances_name": rem_path.name,
        "wages_name": wages_path.name if wages_path else "wages.csv"}
    run.state["books"] = _books(Path(run.db), run.state["config"])


def compute(run: Run) -> None:
    members, remitted, periods, exempt = run.state["books"]
    res = verify_remittances(run.state["inputs"], members, per_member_factor(run.state["keys_text"]),
                             run.state["inputs"]["fallback"], exempt,
                             run.state["config"].get("equality_passes", True))
    res.checks = books_check(res.verification, remitted, periods)
    res.seats, res.seats_rule = apportion(res.verification, run.params.get("seats"), run.params.get("key"),
                                          run.state["keys_text"])
    run.state["result"] = res


def save(run: Run) -> None:
    """Rows of the verified paid_in months are replaced; seats, the books check and the records
    are the current run's."""
    res, con = run.state["result"], run.database()
    frame = TABLES["delegate_verification"].frame([{**v, "threshold": decimal_text(v["threshold"] / 100, 6)}
                                                   for v in res.verification])
    store.write(con, "delegate_verification", frame, paid_in=sorted({v["paid_in"] for v in res.verification}))
    store.write(con, "delegate_seats", TABLES["delegate_seats"].frame(
        [{**s, "quota": decimal_text(s["quota"], 6), "rule": res.seats_rule} for s in res.seats]))
    store.write(con, "remittance_check", TABLES["remittance_check"].frame(res.checks))
    store.write(con, "delegate_exceptions", issues_frame(res.issues))


def report(run: Run) -> None:
    if run.params.get("out"):
        delegates_reports.write_delegates_workbook(run.database(), run.output("weryfikacja_delegatow.xlsx"))


VERIFY_DELEGATES = Command(
    params=VerifyParams, help='Weryfikacja liczby delegatów wobec przekazanych składek (Uchwała XIX KZD nr 6/2005) i mandaty.',
    run_name=titled("weryfikacja delegatów", "inbox"), exclusive=(("seats", "key"),),
    name="verify-delegates", flow_name="verify-delegates", check=check, summary=legacy_view(delegates_reports.summary_text),
    legacy_steps=(legacy("read", read, retries=2), legacy("compute", compute), legacy("store", save, retries=2), legacy("report", report, retries=2)))
