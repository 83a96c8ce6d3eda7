"""Issue 29, end to end: a union of many treasurers, each database in a folder of its own.

The demo inbox (data/demo) is split by unit into per-unit inboxes (the unit's units.csv and
regions.csv rows, its members, its rows of the canonical income files, payments and adjustments,
its employer's payroll export). Each unit closes September and October on its own
(`skladki close --unit U` into its own database) and approves them (`skladki approve --out`); its
settlement files go into its region's incoming folder; each region imports them (`skladki import
--region R` into its own database). The regions' verdicts then equal those of one central close
of the whole demo inbox, row by row: the stored settlement, allocations, units and transfers;
`reconcile --region R` on the region's statement (transfer_status, transfer_matches,
bank_credits, reconcile_exceptions); `calendar` (the transfer, forward and annual-statement
items of the region; member-level items — arrears, reductions, benefit windows — are the units'
own and have no data in a region's database by design); `verify-delegates` with one
remittances.csv (delegate_verification, remittance_check).

The national level: each region writes its own settlement file of each month from its database
(`skladki region-settlement --out DIR`, no regions.csv: the import read the region's name,
account and title pattern back from its units' files), the national board imports both regions'
files into its own database (`skladki import --level national`); `reconcile --level national` on
data/demo/statements_krajowe (transfer_status, transfer_matches, reconcile_exceptions) and
`verify-delegates` without remittances.csv (delegate_verification, remittance_check) equal the
central database's.

The privacy test searches every settlement file (the units' and the regions'), reminder letter,
region and national output (workbooks cell by cell, PDFs' text, every text column of every table
of the regions' and the national databases) for the demo members' PESELs (in any spelling),
names, member numbers, staff numbers and salary figures.
"""
from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows import settings
from flows.calendar import CALENDAR
from flows.cli import app
from flows.command import run_plain
from tests.test_importing import COMPARED, table as query
from tests.test_months import pdf_text
from tests.test_privacy import spelled_in

DEMO = settings.DEMO_INBOX
PERIODS = ("2026-09", "2026-10")
REGIONS = ("SL", "GD")
# the demo's payroll exports (data/demo/build_demo.py EMPLOYERS): one employer, one unit
EMPLOYERS = {"huta": "SL-0001", "szpital": "SL-0002", "poczta": "GD-0002"}
DAY = "2026-11-25"            # after the units' October deadline (20 Nov), before the regions' (30 Nov)


def cli(*args) -> str:
    res = CliRunner().invoke(app, [str(a) for a in args] + ["--engine", "plain"])
    assert res.exit_code == 0, (args, res.output)
    return res.output


def _rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def unit_inbox(unit: str, dest: Path) -> Path:
    """The unit treasurer's own inbox: the demo's rows and files of this unit only."""
    fields, units = _rows(DEMO / "units.csv")
    (row,) = [r for r in units if r["unit_id"] == unit]
    _write(dest / "units.csv", fields, [row])
    fields, regions = _rows(DEMO / "regions.csv")
    _write(dest / "regions.csv", fields, [r for r in regions if r["region_id"] == row["region_id"]])
    fields, members = _rows(DEMO / "members.csv")
    mine = [r for r in members if r["unit_id"] == unit]
    _write(dest / "members.csv", fields, mine)
    ids = {r["member_id"] for r in mine}
    for name in ("payments.csv", "adjustments.csv"):
        fields, rows = _rows(DEMO / name)
        if keep := [r for r in rows if r["member_id"] in ids]:
            _write(dest / name, fields, keep)
    for path in sorted((DEMO / "income").iterdir()):
        owner = next((u for prefix, u in EMPLOYERS.items() if path.name.startswith(prefix)), None)
        if owner is not None:
            if owner == unit:
                (dest / "income").mkdir(parents=True, exist_ok=True)
                shutil.copy(path, dest / "income" / path.name)
            continue
        fields, rows = _rows(path)
        assert "member_id" in fields, f"{path.name}: neither canonical nor a known employer's export"
        if keep := [r for r in rows if r["member_id"] in ids]:
            _write(dest / "income" / path.name, fields, keep)
    return dest


@dataclass
class Federation:
    root: Path
    central: Path
    units: dict[str, list[str]]             # region -> its units
    unit_dbs: dict[str, Path]
    unit_files: dict[str, list[Path]]       # unit -> the settlement files approve --out wrote
    region_dbs: dict[str, Path]
    region_out: dict[str, Path]
    statements: dict[str, Path]             # region -> a folder with its own bank statement


STATEMENT_OF = {"SL": "slaski_mt940.sta", "GD": "gdanski_ing.csv"}


@pytest.fixture(scope="module")
def federation(tmp_path_factory) -> Federation:
    root = tmp_path_factory.mktemp("federacja")
    central = root / "centrala" / "central.duckdb"
    for period in PERIODS:
        cli("close", "--period", period, "--inbox", DEMO, "--db", central, "--no-unit-workbooks")
        cli("approve", "--period", period, "--db", central, "--all", "--by", "Skarbnik", "--force",
            "--reason", "test")
    units = {r: [u for (u,) in duckdb.connect(str(central), read_only=True).execute(
        "SELECT DISTINCT unit_id FROM units WHERE region_id = ? ORDER BY 1", [r]).fetchall()] for r in REGIONS}
    unit_dbs, unit_files = {}, {}
    for region, mine in units.items():
        for unit in mine:
            folder = root / "jednostki" / unit
            inbox = unit_inbox(unit, folder / "skrzynka")
            db = unit_dbs[unit] = folder / "jednostka.duckdb"
            for period in PERIODS:
                cli("close", "--period", period, "--inbox", inbox, "--db", db, "--unit", unit, "--no-unit-workbooks")
                cli("approve", "--period", period, "--db", db, "--unit", unit, "--by", "Skarbnik", "--force",
                    "--reason", "test", "--out", folder / "wyniki")
            unit_files[unit] = sorted((folder / "wyniki" / "jednostki").glob("rozliczenie_*.json"))
            incoming = root / "regiony" / region / "przychodzace"      # the unit sends its files
            incoming.mkdir(parents=True, exist_ok=True)
            for f in unit_files[unit]:
                shutil.copy(f, incoming / f.name)
    region_dbs, region_out, statements = {}, {}, {}
    for region in REGIONS:
        folder = root / "regiony" / region
        region_dbs[region], region_out[region] = folder / "region.duckdb", folder / "wyniki"
        cli("import", "--folder", folder / "przychodzace", "--db", region_dbs[region], "--region", region,
            "--out", region_out[region])
        statements[region] = folder / "wyciagi"
        statements[region].mkdir()
        shutil.copy(DEMO / "statements" / STATEMENT_OF[region], statements[region])
    return Federation(root, central, units, unit_dbs, unit_files, region_dbs, region_out, statements)


@pytest.fixture(scope="module")
def reconciled(federation) -> dict[str, Path]:
    """Each region's statement reconciled in its own database and in a copy of the central one
    (`reconcile --region R`, then `calendar`, `reminders` and `verify-delegates` on both)."""
    f = federation
    copies = {}
    for region in REGIONS:
        copies[region] = f.root / "centrala" / f"central_{region}.duckdb"
        shutil.copy(f.central, copies[region])
        for db, out in ((f.region_dbs[region], f.region_out[region]),
                        (copies[region], f.root / "centrala" / f"wyniki_{region}")):
            cli("reconcile", "--period", "2026-10", "--statements", f.statements[region], "--db", db,
                "--region", region, "--out", out)
    return copies


# ---------------------------------------------------------------- units close alone, regions import

def test_at_least_three_units_of_two_regions_close_alone_and_send_one_file_a_month(federation):
    f = federation
    assert all(len(f.units[r]) >= 1 for r in REGIONS) and sum(map(len, f.units.values())) >= 3
    for unit, db in f.unit_dbs.items():
        assert query(db, "SELECT DISTINCT unit_id FROM units") == [repr((unit,))]     # its own books only
        assert [p.name for p in f.unit_files[unit]] == [f"rozliczenie_{unit}_{p}_v1.json" for p in PERIODS]
    for region in REGIONS:
        assert query(f.region_dbs[region], "SELECT unit_id, period, state FROM unit_months") == sorted(
            repr((u, p, "approved")) for u in f.units[region] for p in PERIODS)
        assert query(f.region_dbs[region], "SELECT count(*) FROM import_exceptions") == [repr((0,))]


@pytest.mark.parametrize("region", REGIONS)
def test_the_regions_tables_equal_one_central_close(federation, region):
    f = federation
    for name, sql in COMPARED.items():
        assert query(f.region_dbs[region], sql, [region]) == query(f.central, sql, [region]), name


RECONCILED = {
    "transfer_status": "SELECT * FROM transfer_status",
    "transfer_matches": "SELECT * FROM transfer_matches",
    "bank_credits": "SELECT * FROM bank_credits",
    "reconcile_exceptions": "SELECT * FROM reconcile_exceptions",
}


@pytest.mark.parametrize("region", REGIONS)
def test_the_regions_reconciliation_verdicts_equal_the_central_ones(federation, reconciled, region):
    mine, central = federation.region_dbs[region], reconciled[region]
    statuses = query(mine, "SELECT status FROM transfer_status")
    assert statuses                  # verdicts were given (SL: paid, late, short, over, missing)
    for name, sql in RECONCILED.items():
        assert query(mine, sql) == query(central, sql), name


# the calendar's kinds a region's database answers for; the member-level ones (reduction_ends,
# arrears_reached, benefit_window) come from the unit's members' data, which the region never holds
REGION_KINDS = ("unit_transfer", "region_forward", "annual_statement")


@pytest.mark.parametrize("region", REGIONS)
def test_the_regions_calendar_equals_the_central_one(federation, reconciled, region):
    who = {region, *federation.units[region]}

    def items(db: Path) -> list[dict]:
        out = run_plain(CALENDAR, date=DAY, db=db, out=None)
        assert out.ok, out.message
        return sorted((i for i in out.result.items if i["kind"] in REGION_KINDS and i["who"] in who),
                      key=repr)

    mine = items(federation.region_dbs[region])
    assert mine == items(reconciled[region])
    assert {"unit_transfer", "region_forward"} <= {i["kind"] for i in mine}


@pytest.mark.parametrize("region", REGIONS)
def test_the_regions_delegate_verification_equals_the_central_one(federation, reconciled, region, tmp_path):
    """One remittances.csv (what the region remitted for October, with its declared paying
    members as the central books count them) verified in both databases."""
    central = reconciled[region]
    (voivodeship, amount), = duckdb.connect(str(central), read_only=True).execute(
        "SELECT u.voivodeship, CAST(sum(a.amount) AS VARCHAR) FROM allocations a JOIN units u USING (period, unit_id) "
        "WHERE a.period = '2026-10' AND u.region_id = ? AND u.rulebook = 'solidarnosc' "
        "AND a.level IN ('national', 'branch_secretariats') GROUP BY 1", [region]).fetchall()
    (paying,), = duckdb.connect(str(central), read_only=True).execute(
        "SELECT count(*) FROM dues d JOIN units u USING (period, unit_id) WHERE d.period = '2026-10' "
        "AND u.region_id = ? AND u.rulebook = 'solidarnosc' AND d.category IN ('employee', 'other_income')",
        [region]).fetchall()
    inbox = tmp_path / "delegaci"
    _write(inbox / "remittances.csv", ["region_id", "voivodeship", "paid_in", "amount", "declared_paying_members",
                                       "exempt_members", "refused_units"],
           [{"region_id": region, "voivodeship": voivodeship, "paid_in": "2026-11", "amount": amount,
             "declared_paying_members": str(paying + 5), "exempt_members": "0",
             "refused_units": federation.units[region][0]}])
    _write(inbox / "wages.csv", ["voivodeship", "month", "amount"],
           [{"voivodeship": voivodeship, "month": "2026-10", "amount": "8000.00"}])
    for db in (federation.region_dbs[region], central):
        cli("verify-delegates", "--inbox", inbox, "--db", db, "--out", db.parent / f"delegaci_{db.stem}")
    for table in ("delegate_verification", "remittance_check", "delegate_exceptions"):
        assert query(federation.region_dbs[region], f"SELECT * FROM {table}") == \
            query(central, f"SELECT * FROM {table}"), table
    assert query(central, "SELECT count(*) FROM delegate_verification") == [repr((1,))]


@pytest.mark.parametrize("region,statements", [("GD", "all"), ("SL", "own")])
def test_a_regions_reconciliation_knows_its_own_account_and_title_pattern(federation, tmp_path, region, statements):
    """The import writes the region's own ``regions`` row from its units' files (their transfer
    to the region: its account, name and title). GD with the whole demo statements folder: both
    refuse slaski_mt940.sta (statement_wrong_account, another region's account). SL with its own
    statement: transfer_matches.matched_by is 'account, period in title' in both (title
    'KZ SL-0001 skł 09/26' read through the pattern 'KZ {unit_id} skł {MM}/{YY}')."""
    folder = DEMO / "statements" if statements == "all" else federation.statements[region]
    region_db, central = tmp_path / "region.duckdb", tmp_path / "central.duckdb"
    shutil.copy(federation.region_dbs[region], region_db)
    shutil.copy(federation.central, central)
    for db in (region_db, central):
        cli("reconcile", "--period", "2026-10", "--statements", folder, "--db", db, "--region", region)
    for name in ("transfer_status", "bank_credits", "reconcile_exceptions", "transfer_matches"):
        assert query(region_db, f"SELECT * FROM {name}") == query(central, f"SELECT * FROM {name}"), name
    sql = "SELECT region_id, name, bank_account, transfer_title FROM regions WHERE region_id = ?"
    assert query(region_db, sql, [region]) == query(central, sql, [region])
    if statements == "all":
        assert "statement_wrong_account" in "".join(query(region_db, "SELECT reason_code FROM reconcile_exceptions"))
    else:
        assert "period in title" in "".join(query(region_db, "SELECT matched_by FROM transfer_matches"))


# ---------------------------------------------------------------- the national level

NATIONAL_STATEMENTS = DEMO / "statements_krajowe"
NATIONAL_TABLES = ("transfer_status", "transfer_matches", "reconcile_exceptions")
DELEGATE_TABLES = ("delegate_verification", "remittance_check", "delegate_exceptions")


@dataclass
class National:
    files: list[Path]          # the regions' settlement files, as the national board receives them
    db: Path
    out: Path
    central: Path              # a copy of the central database, reconciled and verified the same way


@pytest.fixture(scope="module")
def national(federation) -> National:
    """Each region writes its months' files (region-settlement, from its database only); the
    national board imports them into its own database; then `reconcile --level national` on the
    demo's national statements and `verify-delegates` without remittances.csv, in the national
    database and in a copy of the central one."""
    f = federation
    folder = f.root / "kraj"
    incoming = folder / "przychodzace"
    for region in REGIONS:
        for period in PERIODS:
            out = cli("region-settlement", "--period", period, "--db", f.region_dbs[region], "--region", region,
                      "--out", f.region_out[region])
            assert f"Rozliczenie regionu {region} za {period} (wersja 1)" in out
        for path in sorted(f.region_out[region].glob("rozliczenie_*.json")):   # the region sends its files
            incoming.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, incoming / path.name)
    db, out, central = folder / "krajowa.duckdb", folder / "wyniki", folder / "central_kraj.duckdb"
    shutil.copy(f.central, central)
    cli("import", "--folder", incoming, "--db", db, "--level", "national", "--out", out)
    inbox = folder / "delegaci"                      # wages only: the remittances come from the settlements
    _write(inbox / "wages.csv", ["voivodeship", "month", "amount"],
           [{"voivodeship": v, "month": m, "amount": "8000.00"} for v in ("pomorskie", "śląskie") for m in PERIODS])
    for target, where in ((db, out), (central, folder / "wyniki_centrala")):
        cli("reconcile", "--period", "2026-10", "--statements", NATIONAL_STATEMENTS, "--db", target,
            "--level", "national", "--out", where)
        cli("verify-delegates", "--inbox", inbox, "--db", target, "--seats", "10", "--out", where)
    return National(sorted(incoming.glob("*.json")), db, out, central)


def test_each_region_sends_one_file_a_month_and_the_national_board_imports_them_all(national):
    assert [p.name for p in national.files] == [f"rozliczenie_{r}_{p}_v1.json" for r in sorted(REGIONS)
                                                for p in PERIODS]
    assert query(national.db, "SELECT unit_id, period, kind FROM settlement_files") == sorted(
        repr((r, p, "region")) for r in REGIONS for p in PERIODS)
    assert query(national.db, "SELECT count(*) FROM import_exceptions") == [repr((0,))]


def test_the_national_database_holds_the_central_transfers_and_regions(federation, national):
    for sql in ("SELECT period, payer_kind, payer_id, payee, region_id, amount, due_on, rule, owed_amount "
                "FROM transfers", "SELECT period, region_id, name, bank_account, transfer_title FROM regions"):
        assert query(national.db, sql) == query(federation.central, sql), sql


@pytest.mark.parametrize("table", NATIONAL_TABLES)
def test_the_national_reconciliation_verdicts_equal_the_central_ones(national, table):
    mine = query(national.db, f"SELECT * FROM {table}")
    assert mine == query(national.central, f"SELECT * FROM {table}"), table
    if table == "transfer_status":
        assert "'paid'" in "".join(mine)


@pytest.mark.parametrize("table", DELEGATE_TABLES)
def test_the_national_delegate_verification_equals_the_central_one(national, table):
    """No remittances.csv in either: the declared paying members and what was remitted per
    region, voivodeship and month come from the stored settlements (the regions' files here,
    the close's rows there)."""
    mine = query(national.db, f"SELECT * FROM {table}")
    assert mine == query(national.central, f"SELECT * FROM {table}"), table
    if table == "delegate_verification":
        assert mine


# ---------------------------------------------------------------- privacy

def demo_secrets() -> dict[str, set[str]]:
    """What never leaves a unit: PESELs, names, member and staff numbers, salary figures."""
    _, members = _rows(DEMO / "members.csv")
    return {"pesel": {r["pesel"] for r in members if r["pesel"]},
            "name": {r["full_name"] for r in members if r["full_name"]},
            "number": {r["member_id"] for r in members} | {r["staff_number"] for r in members if r["staff_number"]}}


def salary_spellings(central: Path) -> set[str]:
    """Every income line of 1 000 zł or more the central close read (the payroll exports parsed),
    as a decimal point, a decimal comma, grouped with a space or a no-break space."""
    con = duckdb.connect(str(central), read_only=True)
    try:
        amounts = {str(a) for (a,) in con.execute(
            "SELECT DISTINCT CAST(amount AS DECIMAL(18, 2)) FROM income_lines WHERE amount >= 1000").fetchall()}
    finally:
        con.close()
    out = set()
    for a in amounts:
        whole, frac = a.split(".")
        grouped = f"{int(whole):,}".replace(",", " ")
        out |= {a, f"{whole},{frac}", f"{grouped},{frac}", f"{grouped.replace(' ', chr(160))},{frac}"}
    return out


def texts_of(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        return [str(c.value) for ws in load_workbook(path) for row in ws.iter_rows() for c in row
                if c.value is not None]
    if path.suffix == ".pdf":
        return [pdf_text(path)]
    if path.suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            out = []
            for table, column in con.execute(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE data_type IN ('VARCHAR', 'JSON')").fetchall():
                out += [v for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall() if v]
            return out
        finally:
            con.close()
    return [path.read_text(encoding="utf-8")]


def test_no_pesel_name_member_number_or_salary_leaves_a_unit(federation, reconciled, national, tmp_path):
    f = federation
    for region in REGIONS:          # the region's letters to its units (after its reconciliation)
        cli("reminders", "--period", "2026-10", "--db", f.region_dbs[region], "--region", region,
            "--out", f.region_out[region], "--date", DAY)
        cli("calendar", "--date", DAY, "--db", f.region_dbs[region], "--out", f.region_out[region])
    outputs = [p for files in f.unit_files.values() for p in files]
    for region in REGIONS:
        outputs += [f.region_dbs[region]] + sorted(p for p in f.region_out[region].rglob("*") if p.is_file())
    outputs += national.files + [national.db] + sorted(p for p in national.out.rglob("*") if p.is_file())
    assert len(national.files) == len(REGIONS) * len(PERIODS)
    assert any(p.suffix == ".xlsx" for p in national.out.rglob("*")), "no national workbook"
    kinds = {p.suffix for p in outputs}
    assert {".json", ".xlsx", ".pdf", ".duckdb"} <= kinds, kinds
    assert any(p.suffix == ".pdf" for r in REGIONS for p in f.region_out[r].rglob("*")), "no reminder letter"
    secrets = demo_secrets()
    salaries = salary_spellings(f.central)
    assert len(salaries) > 100
    found = []
    for path in outputs:
        text = "\n".join(texts_of(path))
        found += [(path.name, "pesel", p) for p in secrets["pesel"] if spelled_in(text, p)]
        found += [(path.name, "name", n) for n in secrets["name"] if n in text]
        found += [(path.name, "number", n) for n in secrets["number"] if re.search(rf"\b{re.escape(n)}\b", text)]
        found += [(path.name, "salary", s) for s in salaries if re.search(rf"(?<![\d,.]){re.escape(s)}(?!\d)", text)]
    assert not found, found[:20]
