"""`skladki import` (flows/importing.py, transforms/importing.py, reports/importing.py; issue 29):
a region's database made from its units' settlement files holds the same settlement, allocations
and transfers as one central close of the same units; the same folder twice changes nothing; a
newer version supersedes the older one, whose rows stay in `history`."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from flows.rules import rules_for
from tests.conftest import approve_plain, close_plain
from transforms import importing as logic
from transforms import settlement_file as sf

PERIOD = "2026-10"


# ---------------------------------------------------------------- settlement files from a closed database

def _gr(value) -> int:
    return int(Decimal(value) * 100)


def document(db: Path, period: str, unit_id: str, version: int = 1) -> dict:
    """The settlement document of a unit's approved month, built with settlement_file's builder
    from the values a close stored (the writer's job; here for the tests and the golden cases)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        def rows(sql: str, *params) -> list[tuple]:
            return con.execute(sql, [period, unit_id, *params]).fetchall()
        (uid, name, region, voivodeship, sheltered, rulebook, raised, account), = rows(
            "SELECT unit_id, name, region_id, voivodeship, sheltered, rulebook, raised_pct, bank_account FROM units "
            "WHERE period = ? AND unit_id = ?")
        settlement = [{"level": lvl, "amount_gr": _gr(a), "basis": b, "corrects": c} for lvl, a, b, c in rows(
            "SELECT level, amount, basis, corrects FROM settlement WHERE period = ? AND unit_id = ? ORDER BY rowid")]
        allocations = [{"level": lvl, "amount_gr": _gr(a)} for lvl, a in rows(
            "SELECT level, amount FROM allocations WHERE period = ? AND unit_id = ? ORDER BY rowid")]
        steps = dict(rows("SELECT basis, arg_min(d, step) FROM split_steps WHERE period = ? AND unit_id = ? "
                          "GROUP BY basis"))
        owed_base = _gr(steps.get("owed", 0))
        month_base = _gr(steps.get("received", steps.get("assumed", 0)))
        received = sum(s["amount_gr"] for s in settlement if s["basis"] != "correction")
        by_category = dict(rows("SELECT category, count(*) FROM dues WHERE period = ? AND unit_id = ? GROUP BY 1"))
        transfers = rows("SELECT payee, amount, due_on FROM transfers WHERE period = ? AND payer_id = ? "
                         "AND payer_kind = 'unit' ORDER BY rowid")
        names = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        corrections = rows("SELECT corrected_period, level, amount, reason FROM corrections WHERE applied_in = ? "
                           "AND unit_id = ?") if "corrections" in names else []
        (run_id, approved_at, incomplete), = rows("SELECT run_id, approved_at, incomplete FROM unit_months "
                                                  "WHERE period = ? AND unit_id = ?")
        (input_sha256,) = con.execute("SELECT input_sha256 FROM runs WHERE run_id = ?", [run_id]).fetchone()
    finally:
        con.close()
    rules = rules_for(period)
    v = rules.version(rulebook)
    pct = raised.normalize()
    return sf.build(
        union=v.union, rulebook=v.name, rulebook_version=v.valid_from, period=period, version=version,
        unit={"unit_id": uid, "name": name, "region_id": region, "voivodeship": voivodeship, "sheltered": sheltered,
              "raised_pct": f"{pct:f}", "bank_account": account},
        approved_at=approved_at, approved_via="polecenie skladki approve", incomplete=incomplete,
        by_category=by_category, owed_gr=sum(a["amount_gr"] for a in allocations), owed_split_base_gr=owed_base,
        received_gr=received, split_base_gr=month_base, kept_gr=received - month_base,
        allocations=allocations, settlement=settlement,
        corrections=[{"corrected_period": p, "level": lvl, "amount_gr": _gr(a), "reason": r}
                     for p, lvl, a, r in corrections],
        transfers=[{"payee": rules.payee_label(p), "level": p, "account": None, "title": f"Składki {uid} {period}",
                    "amount_gr": _gr(a), "due_on": d} for p, a, d in transfers],
        run_id=run_id, input_sha256=input_sha256)


def write(doc: dict, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or sf.file_name(doc["unit"]["unit_id"], doc["period"], doc["version"]))
    path.write_bytes(sf.to_bytes(doc))
    return path


@pytest.fixture(scope="module")
def central(tmp_path_factory) -> Path:
    """The demo inbox's units closed centrally for October and approved."""
    db = tmp_path_factory.mktemp("central") / "central.duckdb"
    assert close_plain(PERIOD, settings.DEMO_INBOX, db, unit_workbooks=False).ok
    assert approve_plain(PERIOD, db, force=True, reason="test").ok
    return db


def units_of(db: Path, region: str | None = None) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [u for (u,) in con.execute("SELECT unit_id FROM units WHERE period = ? AND (? IS NULL OR region_id = ?) "
                                          "ORDER BY 1", [PERIOD, region, region]).fetchall()]
    finally:
        con.close()


def run_import(folder: Path, db: Path, region: str, *more: str) -> str:
    res = CliRunner().invoke(app, ["import", "--folder", str(folder), "--db", str(db), "--region", region, *more])
    assert res.exit_code == 0, res.output
    return res.output


def table(db: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(map(repr, con.execute(sql, list(params)).fetchall()))
    finally:
        con.close()


COMPARED = {
    "transfers": "SELECT period, payer_kind, payer_id, payee, region_id, amount, due_on, rule, owed_amount "
                 "FROM transfers WHERE region_id = ?",
    "settlement": "SELECT s.* FROM settlement s JOIN units u USING (period, unit_id) WHERE u.region_id = ?",
    "allocations": "SELECT a.* FROM allocations a JOIN units u USING (period, unit_id) WHERE u.region_id = ?",
    # a settlement file does not carry the unit's own benefit amounts (issue 30): not known when imported
    "units": "SELECT * EXCLUDE (benefit_birth, benefit_death_member, benefit_death_family) FROM units "
             "WHERE region_id = ?",
}


# ---------------------------------------------------------------- the command, end to end

def test_an_imported_month_makes_the_transfers_a_central_close_writes(central, tmp_path):
    folder = tmp_path / "przychodzace"
    for unit in units_of(central):
        write(document(central, PERIOD, unit), folder)
    for region in ("SL", "GD"):
        db = tmp_path / f"{region}.duckdb"
        out = run_import(folder, db, region, "--out", str(tmp_path / f"wyniki_{region}"))
        mine = units_of(central, region)
        assert f"zaimportowano {len(mine)} (nowe: {len(mine)}" in out
        assert (tmp_path / f"wyniki_{region}" / "import_rozliczen.xlsx").exists()
        for name, sql in COMPARED.items():
            assert table(db, sql, [region]) == table(central, sql, [region]), name
        assert table(db, "SELECT unit_id, state, approved_via FROM unit_months") == sorted(
            repr((u, "approved", f"import {sf.file_name(u, PERIOD, 1)}")) for u in mine)
        others = [u for u in units_of(central) if u not in mine]
        assert len(table(db, "SELECT file FROM import_exceptions WHERE reason_code = 'settlement_other_region'")
                   ) == len(others)


def test_the_files_approve_writes_import_into_the_same_tables_a_central_close_writes(tmp_path):
    """The writer's files (skladki approve --out) of every unit, each region importing its own."""
    central = tmp_path / "central.duckdb"
    assert close_plain(PERIOD, settings.DEMO_INBOX, central, unit_workbooks=False).ok
    assert approve_plain(PERIOD, central, force=True, reason="test", out=tmp_path / "wyniki").ok
    folder = tmp_path / "wyniki" / "jednostki"
    assert len(list(folder.glob("rozliczenie_*.json"))) == len(units_of(central))
    for region in ("SL", "GD"):
        db = tmp_path / f"{region}.duckdb"
        run_import(folder, db, region)
        for name, sql in COMPARED.items():
            assert table(db, sql, [region]) == table(central, sql, [region]), name


def test_the_same_folder_imported_twice_changes_nothing(central, tmp_path):
    folder = tmp_path / "przychodzace"
    for unit in units_of(central, "GD"):
        write(document(central, PERIOD, unit), folder)
    db = tmp_path / "GD.duckdb"
    run_import(folder, db, "GD")
    kept = {t: table(db, f"SELECT * FROM {t}") for t in ("transfers", "settlement", "allocations", "units",
                                                          "unit_months", "settlement_files")}
    out = run_import(folder, db, "GD")
    assert "zaimportowano 0" in out and "już zaimportowane: 2" in out
    assert {t: table(db, f"SELECT * FROM {t}") for t in kept} == kept
    assert table(db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'history'") == [repr((0,))]
    assert table(db, "SELECT reason_code FROM import_exceptions") == [repr(("settlement_duplicate",))] * 2


def had_september(db: Path, unit: str) -> None:
    """The unit's September approved in the region's database (a correction may name it)."""
    from flows import store
    con = duckdb.connect(str(db))
    try:
        store.ensure(con, "unit_months")
        con.execute("INSERT INTO unit_months (period, unit_id, state) VALUES ('2026-09', ?, 'approved')", [unit])
    finally:
        con.close()


def test_a_newer_version_supersedes_and_history_keeps_the_older_rows(central, tmp_path):
    unit = units_of(central, "GD")[0]
    first = document(central, PERIOD, unit)
    db = tmp_path / "GD.duckdb"
    had_september(db, unit)                 # the month v2 corrects is in the region's books
    run_import(write(first, tmp_path / "v1").parent, db, "GD")
    before = table(db, "SELECT level, amount FROM settlement WHERE period = ?", [PERIOD])
    # a correction re-issue: the month's settlement carries a correction of September
    second = json.loads(json.dumps(first))
    second["version"] = 2
    second["settlement"].append({"level": "region", "amount_gr": 328, "basis": "correction", "corrects": "2026-09"})
    second["settlement"].append({"level": "unit", "amount_gr": -328, "basis": "correction", "corrects": "2026-09"})
    second["corrections"] = [{"corrected_period": "2026-09", "level": "region", "amount_gr": 328, "reason": "korekta"},
                             {"corrected_period": "2026-09", "level": "unit", "amount_gr": -328, "reason": "korekta"}]
    second["transfers"][0]["amount_gr"] += 328
    second = sf.stamp(second)
    out = run_import(write(second, tmp_path / "v2").parent, db, "GD")
    assert "zastępuje wersję 1" in out and "region: " in out and "(+3,28 zł)" in out
    files = table(db, "SELECT version, superseded_by FROM settlement_files ORDER BY version")
    assert files == sorted([repr((1, second["sha256"])), repr((2, None))])
    assert table(db, "SELECT superseded_by, table_name FROM history WHERE table_name = 'settlement'") == \
        [repr((second["sha256"], "settlement"))] * len(before)
    assert table(db, "SELECT count(*) FROM corrections WHERE applied_in = ?", [PERIOD]) == [repr((2,))]
    (amount,) = duckdb.connect(str(db), read_only=True).execute(
        "SELECT amount FROM transfers WHERE payer_id = ? AND payee = 'region'", [unit]).fetchone()
    assert _gr(amount) == first["transfers"][0]["amount_gr"] + 328
    # the superseded file again: already imported, nothing changes
    kept = table(db, "SELECT * FROM settlement")
    out = run_import(tmp_path / "v1", db, "GD")
    assert "już zaimportowane: 1" in out and table(db, "SELECT * FROM settlement") == kept
    # the older file arriving after the newer one is refused; nothing changes
    late = tmp_path / "late.duckdb"
    had_september(late, unit)
    run_import(tmp_path / "v2", late, "GD")
    kept = table(late, "SELECT * FROM settlement")
    out = run_import(tmp_path / "v1", late, "GD")
    assert "odrzucone: 1" in out and "nie jest nowsza niż zaimportowana już wersja 2" in out
    assert table(late, "SELECT * FROM settlement") == kept


def test_a_bad_file_is_refused_and_every_other_file_is_still_imported(central, tmp_path):
    units = units_of(central, "GD")
    folder = tmp_path / "przychodzace"
    good = write(document(central, PERIOD, units[0]), folder)
    bad = document(central, PERIOD, units[1])
    bad["dues"]["received_gr"] += 1          # the hash not recomputed
    (folder / sf.file_name(units[1], PERIOD, 1)).write_bytes(sf.canonical(bad))
    (folder / "notatka.json").write_text("nie JSON", encoding="utf-8")
    db = tmp_path / "GD.duckdb"
    out = run_import(folder, db, "GD")
    assert "zaimportowano 1" in out and "odrzucone: 2" in out and good.name in out
    assert table(db, "SELECT file, reason_code FROM import_exceptions") == sorted(
        [repr(("notatka.json", "settlement_not_settlement")),
         repr((sf.file_name(units[1], PERIOD, 1), "settlement_bad_hash"))])
    assert table(db, "SELECT DISTINCT unit_id FROM settlement") == [repr((units[0],))]


def test_a_month_closed_here_is_replaced_by_its_imported_file(central, tmp_path):
    """A unit the region closed itself, then its own treasurer's file: the file's month stands,
    the members' rows of the local close go, its figures stay in history."""
    import shutil
    unit = units_of(central, "GD")[0]
    db = tmp_path / "GD.duckdb"
    shutil.copy(central, db)
    doc = document(central, PERIOD, unit)
    run_import(write(doc, tmp_path / "pliki").parent, db, "GD")
    assert table(db, "SELECT count(*) FROM dues WHERE unit_id = ?", [unit]) == [repr((0,))]
    assert table(db, "SELECT count(*) FROM dues WHERE unit_id <> ?", [unit]) != [repr((0,))]
    assert table(db, "SELECT DISTINCT table_name FROM history WHERE table_name = 'dues'") == [repr(("dues",))]
    for name, sql in COMPARED.items():
        assert table(db, sql, ["GD"]) == table(central, sql, ["GD"]), name


def test_the_national_level_takes_regions_files_only(central, tmp_path):
    folder = tmp_path / "pliki"
    write(document(central, PERIOD, units_of(central, "GD")[0]), folder)
    out = run_import(folder, tmp_path / "kraj.duckdb", "KK", "--level", "national")
    assert "odrzucone: 1" in out and "przyjmuje rozliczenia rodzaju 'region'" in out


def test_a_region_level_option_is_checked(tmp_path):
    res = CliRunner().invoke(app, ["import", "--folder", str(tmp_path), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 1 and "--region" in res.output
    res = CliRunner().invoke(app, ["import", "--folder", str(tmp_path / "brak"), "--db", str(tmp_path / "x.duckdb"),
                                   "--region", "GD"])
    assert res.exit_code == 1 and "nie istnieje" in res.output


# ---------------------------------------------------------------- the pure decisions

def _doc(unit="GD-0001", period=PERIOD, version=1, sha="a", kind="unit", region="GD") -> dict:
    return {"kind": kind, "period": period, "version": version, "sha256": sha,
            "unit": {"unit_id": unit, "region_id": region}, "settlement": [{"level": "region", "amount_gr": 100}]}


def _decide(files, imported=(), stored=None, content=lambda name, doc: None):
    return logic.decide([logic.Read(n, d) for n, d in files], level="region", region="GD", imported=list(imported),
                        stored=stored or {}, content=content)


def test_versions_of_one_month_in_one_folder_are_taken_in_order():
    plan = _decide([("b.json", _doc(version=2, sha="b")), ("a.json", _doc(version=1, sha="a"))])
    assert [a.name for a in plan.accepted] == ["a.json", "b.json"]
    assert plan.accepted[1].replaces.version == 1 and not plan.refused


def test_the_same_content_is_a_notice_and_an_older_version_is_refused():
    stored = [logic.Stored("GD-0001", PERIOD, 2, "b", "b.json")]
    plan = _decide([("a.json", _doc(version=1, sha="a")), ("b2.json", _doc(version=2, sha="b"))], imported=stored)
    assert [i.reason_code for i in plan.already] == ["settlement_duplicate"]
    assert [i.reason_code for i in plan.refused] == ["settlement_older_version"] and not plan.accepted


def test_a_file_of_another_region_or_kind_is_refused_and_the_difference_per_level_reported():
    plan = _decide([("x.json", _doc(region="SL")), ("y.json", _doc(kind="region", sha="y")),
                    ("z.json", _doc(unit="GD-0002", sha="z"))], stored={("GD-0002", PERIOD): {"region": 90}})
    assert sorted(i.reason_code for i in plan.refused) == ["settlement_not_settlement", "settlement_other_region"]
    assert plan.accepted[0].differences == (("region", 90, 100),)


DEFAULT = "Składki {unit_id} za {MM}/{YYYY}"


def test_the_regions_title_pattern_is_read_back_from_a_units_transfer_title():
    assert logic.title_pattern("KZ SL-0001 skł 09/26", "SL-0001", "KZ Huty", "2026-09", DEFAULT) == \
        "KZ {unit_id} skł {MM}/{YY}"
    assert logic.title_pattern("KZ Huty: 2026-09", "SL-0001", "KZ Huty", "2026-09", DEFAULT) == \
        "{unit_name}: {period}"
    assert logic.title_pattern("{stała} opłata", "SL-0001", "KZ", "2026-09", DEFAULT) == "{{stała}} opłata"
    # the rulebook's default title: the region set no pattern
    assert logic.title_pattern("Składki GD-0002 za 10/2026", "GD-0002", "KZ", "2026-10", DEFAULT) is None


def test_the_regions_own_row_comes_from_the_latest_file_naming_its_account():
    def doc(unit, approved_at, account, title, payee="zarząd regionu (Region Gdański)"):
        return {"kind": "unit", "period": PERIOD, "rulebook": "solidarnosc", "approved_at": approved_at,
                "unit": {"unit_id": unit, "name": f"KZ {unit}", "region_id": "GD"},
                "transfers": [{"level": "national", "payee": "Komisja Krajowa", "account": None, "title": "x"},
                              {"level": "region", "payee": payee, "account": account, "title": title}]}
    mm, yy = PERIOD[5:], PERIOD[2:4]
    docs = [doc("GD-0001", "2026-11-05T10:00:00", "PL11", f"GD-0001 {mm}/{yy}"),
            doc("GD-0002", "2026-11-06T10:00:00", "PL22", f"Region GD-0002 {mm}/{yy}"),
            {**doc("SL-0001", "2026-11-07T10:00:00", "PL33", "x"), "unit": {"unit_id": "SL-0001", "name": "KZ",
                                                                             "region_id": "SL"}}]
    row = logic.region_row(docs, "GD", PERIOD, {"region": "zarząd regionu"}, {"solidarnosc": DEFAULT})
    assert row == {"period": PERIOD, "region_id": "GD", "name": "Region Gdański", "bank_account": "PL22",
                   "transfer_title": "Region {unit_id} {MM}/{YY}"}
    assert logic.region_row(docs[:1], "SL", PERIOD, {}, {}) is None
    nameless = [doc("GD-0001", "2026-11-05T10:00:00", "PL11", "t", payee="zarząd regionu (GD)")]
    assert logic.region_row(nameless, "GD", PERIOD, {"region": "zarząd regionu"}, {})["name"] is None


def test_a_short_unit_name_inside_the_fixed_text_is_told_apart_by_the_other_units_titles():
    assert logic.title_pattern("KZ A-1 10/26", "A-1", "KZ", "2026-10", DEFAULT) == "{unit_name} {unit_id} {MM}/{YY}"
    assert logic.title_pattern("KZ A-1 10/26", "A-1", "KZ", "2026-10", DEFAULT,
                               (("KZ B-2 10/26", "B-2", "Komisja B"),)) == "KZ {unit_id} {MM}/{YY}"


def test_a_correction_must_name_an_earlier_month_the_database_or_the_folder_holds():
    """Issue 29: corrections name months that exist — imported or closed here before, or imported
    earlier from the same folder; a later or unknown month refuses the file (the others are used)."""
    def corrected(month, sha, period=PERIOD, unit="GD-0001"):
        doc = _doc(sha=sha, unit=unit)
        doc["period"] = period
        doc["corrections"] = [{"corrected_period": month, "level": "region", "amount_gr": 328, "reason": "korekta"}]
        return doc
    plan = logic.decide([logic.Read("a.json", corrected("2026-09", "a")),
                         logic.Read("b.json", corrected("2026-11", "b", unit="GD-0002")),
                         logic.Read("c.json", corrected("2026-08", "c", unit="GD-0003"))], level="region", region="GD",
                        imported=[], stored={}, content=lambda name, doc: None,
                        known=frozenset({("GD-0001", "2026-09"), ("GD-0002", "2026-11"), ("GD-0003", "2026-09")}))
    assert [a.name for a in plan.accepted] == ["a.json"]
    assert [(i.source, i.reason_code) for i in plan.refused] == [("b.json", "settlement_unknown_correction"),
                                                                 ("c.json", "settlement_unknown_correction")]
    folder = logic.decide([logic.Read("sep.json", {**_doc(sha="s"), "period": "2026-09"}),
                           logic.Read("oct.json", corrected("2026-09", "o"))], level="region", region="GD",
                          imported=[], stored={}, content=lambda name, doc: None)
    assert [a.name for a in folder.accepted] == ["sep.json", "oct.json"] and not folder.refused
