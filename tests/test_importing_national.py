"""Issue 29, the national half: each region imports its units' settlement files, writes its own
settlement file (`skladki region-settlement`, kind "region"), and the national board imports the
regions' files (`skladki import --level national`). The national reconciliation of the demo's
national statements and the delegate verification (without remittances.csv) equal those of one
central database of the same closes."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from flows.reconcile import RECONCILE
from tests.conftest import approve_plain, close_demo_months, run_plain
from transforms import settlement_file as sf

PERIODS = ("2026-09", "2026-10")
REGIONS = ("GD", "SL")
NATIONAL = settings.DEMO_INBOX / "statements_krajowe"


def cli(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def rows(db: Path, sql: str, params=()) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(map(repr, con.execute(sql, list(params)).fetchall()))
    finally:
        con.close()


@pytest.fixture(scope="module")
def levels(tmp_path_factory):
    """A central database of the demo's two months, approved with --out (the units' files); each
    region's database importing its units' files and writing its own file; the national
    database importing the regions' files."""
    root = tmp_path_factory.mktemp("national")
    central = close_demo_months(root / "central.duckdb")
    for period in PERIODS:
        assert approve_plain(period, central, force=True, reason="test", out=root / "wyniki").ok
    units = root / "wyniki" / "jednostki"
    regions_out = root / "regiony_out"
    for region in REGIONS:
        db = root / f"{region}.duckdb"
        cli("import", "--folder", str(units), "--db", str(db), "--region", region)
        for period in PERIODS:
            out = cli("region-settlement", "--period", period, "--db", str(db), "--region", region,
                      "--out", str(regions_out), "--regions", str(settings.DEMO_INBOX / "regions.csv"))
            assert f"Rozliczenie regionu {region} za {period} (wersja 1)" in out
    national = root / "krajowa.duckdb"
    out = cli("import", "--folder", str(regions_out), "--db", str(national), "--level", "national")
    assert "zaimportowano 4 (nowe: 4" in out and "odrzucone: 0" in out
    return {"root": root, "central": central, "national": national, "regions_out": regions_out}


def test_a_regions_file_carries_its_forwards_units_and_members_and_no_personal_data(levels):
    files = sorted(levels["regions_out"].glob("rozliczenie_*.json"))
    assert [f.name for f in files] == [sf.file_name(r, p, 1) for r in REGIONS for p in PERIODS]
    doc = sf.read(files[-1].read_bytes(), files[-1].name)
    assert doc["kind"] == "region" and doc["unit"]["unit_id"] == "SL" and doc["period"] == "2026-10"
    central = levels["central"]
    assert rows(central, "SELECT payee, CAST(amount * 100 AS BIGINT), due_on FROM transfers WHERE period = '2026-10' AND payer_id = 'SL' "
                         "AND payer_kind = 'region'") == sorted(
        repr((t["level"], t["amount_gr"], __import__("datetime").date.fromisoformat(t["due_on"])))
        for t in doc["transfers"])
    covered = doc["region"]["covered"]
    assert [c["unit"]["unit_id"] for c in covered] == [u for (u,) in duckdb.connect(str(central), read_only=True)
                                                       .execute("SELECT unit_id FROM units WHERE period = '2026-10' "
                                                                "AND region_id = 'SL' ORDER BY 1").fetchall()]
    assert all(c["file_sha256"] and c["file_version"] == 1 for c in covered)
    assert doc["members"]["paying"] == sum(c["members"]["paying"] for c in covered) > 0
    text = files[-1].read_text(encoding="utf-8")
    with (settings.DEMO_INBOX / "members.csv").open(encoding="utf-8") as f:
        members = list(csv.DictReader(f))
    for m in members:
        for column in ("pesel", "first_name", "last_name", "member_id"):
            value = (m.get(column) or "").strip()
            if len(value) > 3:
                assert value not in text, column


def test_the_national_database_holds_the_central_transfers(levels):
    sql = ("SELECT period, payer_kind, payer_id, payee, region_id, amount, due_on, rule, owed_amount FROM transfers "
           "WHERE list_contains(?, region_id)")
    assert rows(levels["national"], sql, [list(REGIONS)]) == rows(levels["central"], sql, [list(REGIONS)])
    assert rows(levels["national"], "SELECT period, region_id, name, bank_account FROM regions") == \
        rows(levels["central"], "SELECT period, region_id, name, bank_account FROM regions")


def test_the_national_reconciliation_equals_the_central_ones(levels):
    def reconcile(db):
        outcome = run_plain(RECONCILE, period="2026-10", statements=NATIONAL, db=db, out=None, level="national")
        assert outcome.ok, outcome.message
        return outcome.result
    here, there = reconcile(levels["national"]), reconcile(levels["central"])
    assert sorted(map(repr, here.status)) == sorted(map(repr, there.status))
    assert sorted(map(repr, here.matches)) == sorted(map(repr, there.matches))
    assert sorted(map(repr, here.unmatched)) == sorted(map(repr, there.unmatched))
    assert {s["status"] for s in here.status} >= {"paid"}


def test_the_same_regions_files_twice_change_nothing_and_a_newer_version_supersedes(levels, tmp_path):
    national = tmp_path / "krajowa.duckdb"
    cli("import", "--folder", str(levels["regions_out"]), "--db", str(national), "--level", "national")
    kept = rows(national, "SELECT * FROM transfers")
    out = cli("import", "--folder", str(levels["regions_out"]), "--db", str(national), "--level", "national")
    assert "zaimportowano 0" in out and "już zaimportowane: 4" in out
    assert rows(national, "SELECT * FROM transfers") == kept
    # the region writes its month again: version 2 replaces version 1, nothing doubles
    again = tmp_path / "again"
    cli("region-settlement", "--period", "2026-10", "--db", str(levels["root"] / "GD.duckdb"), "--region", "GD",
        "--out", str(again), "--regions", str(settings.DEMO_INBOX / "regions.csv"))
    assert [f.name for f in again.iterdir()] == [sf.file_name("GD", "2026-10", 2)]
    out = cli("import", "--folder", str(again), "--db", str(national), "--level", "national")
    assert "zaimportowano 1" in out
    assert rows(national, "SELECT * FROM transfers") == kept
    assert rows(national, "SELECT count(*) FROM settlement_files WHERE superseded_by IS NULL") == [repr((4,))]


def test_a_regions_file_whose_forward_does_not_follow_is_refused(levels, tmp_path):
    path = levels["regions_out"] / sf.file_name("GD", "2026-10", 1)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["transfers"][0]["amount_gr"] += 100
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / path.name).write_bytes(sf.to_bytes(sf.stamp(doc)))
    out = cli("import", "--folder", str(folder), "--db", str(tmp_path / "k.duckdb"), "--level", "national")
    assert "odrzucone: 1" in out and "przelew regionu nie wynika" in out


def verify(db: Path, inbox: Path) -> tuple[list, list]:
    inbox.mkdir(parents=True, exist_ok=True)
    with (inbox / "wages.csv").open("w", encoding="utf-8", newline="") as f:     # W: no reference figures shipped
        w = csv.writer(f)
        w.writerow(["voivodeship", "month", "amount"])
        w.writerows([v, m, "8000.00"] for v in ("pomorskie", "śląskie") for m in PERIODS)
    cli("verify-delegates", "--inbox", str(inbox), "--db", str(db), "--engine", "plain", "--seats", "10")
    return (rows(db, "SELECT * FROM delegate_verification"), rows(db, "SELECT * FROM remittance_check"),
            rows(db, "SELECT * FROM delegate_seats"))


def test_verify_delegates_from_the_imported_settlements_equals_the_central_one_with_its_remittances(levels, tmp_path):
    """Without remittances.csv the national database takes the declared paying members and what
    was remitted per region, voivodeship and month from the regions' files; the central database
    given the same figures as a typed remittances.csv verifies the same."""
    import shutil
    from flows.delegates import BOOKS_SOURCE, books_remittances, _books, KEYS
    import tomllib
    config = tomllib.loads(KEYS.read_text(encoding="utf-8"))["verification"]
    central, national = tmp_path / "central.duckdb", tmp_path / "krajowa.duckdb"
    shutil.copy(levels["central"], central)
    shutil.copy(levels["national"], national)
    books = _books(central, config)
    remittances = books_remittances(central, config, books[0], books[3])
    assert {(r["region_id"], r["paid_in"]) for r in remittances} >= {(r, "2026-11") for r in REGIONS}
    assert remittances == books_remittances(national, config, *(lambda b: (b[0], b[3]))(_books(national, config)))
    typed = tmp_path / "typed"
    typed.mkdir()
    columns = ["region_id", "voivodeship", "paid_in", "amount", "declared_paying_members", "exempt_members"]
    with (typed / "remittances.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(remittances)
    from_files = verify(national, tmp_path / "empty")
    assert from_files[0] and from_files == verify(central, typed)
    assert {r.split(", ")[10] for r in from_files[0]} >= {"'passed'"}
    assert verify(central, tmp_path / "empty2") == from_files
    assert BOOKS_SOURCE
