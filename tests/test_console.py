"""Issue 29, point 5: the region's console (flows/console.py, the flow ``region-console`` of
flows/orchestration.py, the deployment ``konsola-regionu`` of `skladki serve`): every hour the
new settlement files of the region's incoming folder are imported, the month reconciled and the
calendar refreshed; its artifacts list what came, what was refused and why, and the units missing
for the month. Refused files and missing units are information: the run ends Completed."""
from __future__ import annotations

import asyncio
from pathlib import Path

import duckdb
import pytest

from flows import settings
from flows.command import run_plain
from tests.conftest import approve_plain, close_plain
from tests.test_importing import document, write
from tests.test_orchestration import prefect_harness  # noqa: F401  (the module's Prefect test server)
from transforms import settlement_file as sf

REGION = "SL"


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The demo's September and October closed centrally and approved; the region SL's database has
    September's files of its units (so it knows them); October's incoming folder holds two
    good files and one whose amount was altered (its hash not recomputed)."""
    from flows.importing import IMPORT
    folder = tmp_path_factory.mktemp("console")
    central = folder / "central.duckdb"
    for period in ("2026-09", "2026-10"):
        assert close_plain(period, settings.DEMO_INBOX, central, unit_workbooks=False).ok
        assert approve_plain(period, central, force=True, reason="test").ok
    september = folder / "wrzesien"
    for unit in ("SL-0001", "SL-0002", "SL-0003"):
        write(document(central, "2026-09", unit), september)
    db = folder / "SL.duckdb"
    assert run_plain(IMPORT, folder=september, db=db, region=REGION).ok
    incoming = folder / "przychodzace"
    good = [write(document(central, "2026-10", unit), incoming).name for unit in ("SL-0001", "SL-0002")]
    bad = document(central, "2026-10", "SL-0003")
    bad["dues"]["received_gr"] += 1
    bad_name = sf.file_name("SL-0003", "2026-10", 1)
    (incoming / bad_name).write_bytes(sf.canonical(bad))
    return dict(folder=folder, db=db, incoming=incoming, good=good, bad=bad_name)


def _artifacts(flow_run_id) -> dict:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.logging.handlers import APILogHandler
    APILogHandler().flush()

    async def look():
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a.data for a in asyncio.run(look())}


def _console(region, out):
    from flows.orchestration import region_console
    return region_console(incoming=str(region["incoming"]), region_id=REGION, db=str(region["db"]), out=str(out),
                          statements=str(settings.DEMO_INBOX / "statements"), period="2026-10", quiet=True,
                          return_state=True)


def test_the_console_imports_the_good_files_lists_the_refused_one_and_the_missing_unit(prefect_harness, region,
                                                                                       tmp_path):
    import json
    state = _console(region, tmp_path / "out")
    assert state.is_completed(), state.message
    assert "zaimportowano 2, odrzucono 1" in state.message and "bez rozliczenia za 2026-10: 1" in state.message
    con = duckdb.connect(str(region["db"]), read_only=True)
    try:
        imported = con.execute("SELECT unit_id FROM settlement_files WHERE period = '2026-10' ORDER BY 1").fetchall()
        states = dict(con.execute("SELECT unit_id, state FROM unit_months WHERE period = '2026-10'").fetchall())
    finally:
        con.close()
    assert imported == [("SL-0001",), ("SL-0002",)] and states == {"SL-0001": "approved", "SL-0002": "approved"}
    arts = _artifacts(state.state_details.flow_run_id)
    assert {"konsola-regionu-podsumowanie", "konsola-regionu-pliki", "konsola-regionu-braki"} <= set(arts)
    files = {r["Plik"]: r for r in json.loads(arts["konsola-regionu-pliki"])}
    assert set(files) == {*region["good"], region["bad"]}
    assert files[region["bad"]]["Wynik"].startswith("odrzucony") and region["bad"] in files[region["bad"]]["Powód / różnice"]
    assert all(files[name]["Wynik"].startswith("zaimportowany") for name in region["good"])
    missing = json.loads(arts["konsola-regionu-braki"])
    assert [r["Jednostka"] for r in missing if r["Rozliczenie"] == "brak rozliczenia"] == ["SL-0003"]
    assert "Pismo" not in missing[0]          # the letters are `skladki reminders`' work, not the console's
    text = arts["konsola-regionu-podsumowanie"]
    assert "Konsola regionu SL — październik 2026" in text and "SL-0003" in text and region["bad"] in text
    assert "**Uzgodnienie wyciągów:** wykonano" in text and "**Kalendarz terminów:** wykonano" in text
    assert (tmp_path / "out" / "import_rozliczen.xlsx").exists()


def test_a_second_run_imports_nothing_new(prefect_harness, region, tmp_path):
    import json
    first = _console(region, tmp_path / "out")        # whichever ran first, the folder is imported now
    assert first.is_completed(), first.message
    con = duckdb.connect(str(region["db"]), read_only=True)
    kept = con.execute("SELECT * FROM settlement_files ORDER BY ALL").fetchall()
    con.close()
    again = _console(region, tmp_path / "out")
    assert again.is_completed(), again.message
    assert "zaimportowano 0, odrzucono 1" in again.message
    con = duckdb.connect(str(region["db"]), read_only=True)
    assert con.execute("SELECT * FROM settlement_files ORDER BY ALL").fetchall() == kept
    con.close()
    arts = _artifacts(again.state_details.flow_run_id)
    assert [r["Plik"] for r in json.loads(arts["konsola-regionu-pliki"])] == [region["bad"]]
    assert "zaimportowano 0, już zaimportowane wcześniej: 2, odrzucone: 1" in arts["konsola-regionu-podsumowanie"]


def test_a_console_whose_import_cannot_be_done_fails_with_the_polish_message(prefect_harness, tmp_path):
    from flows.orchestration import region_console
    state = region_console(incoming=str(tmp_path / "nie-ma"), region_id=REGION, db=str(tmp_path / "r.duckdb"),
                           period="2026-10", quiet=True, return_state=True)
    assert state.is_failed() and "Import rozliczeń" in state.message and "nie-ma" in state.message


def test_a_new_region_with_nothing_come_yet_is_completed_and_says_why_nothing_is_listed(prefect_harness, tmp_path):
    import json
    (tmp_path / "przychodzace").mkdir()
    from flows.orchestration import region_console
    state = region_console(incoming=str(tmp_path / "przychodzace"), region_id=REGION, db=str(tmp_path / "r.duckdb"),
                           period="2026-10", quiet=True, return_state=True)
    assert state.is_completed() and state.message == "zaimportowano 0, odrzucono 0"
    arts = _artifacts(state.state_details.flow_run_id)
    assert json.loads(arts["konsola-regionu-pliki"])[0]["Wynik"] == "nic nowego w folderze"
    assert "nie do ustalenia" in arts["konsola-regionu-podsumowanie"]


def test_the_console_deployment_runs_every_hour_in_polish_time_with_the_regions_folders():
    from flows.orchestration import DESCRIPTIONS, banner, deployments
    served = deployments("/s/skrzynka", "/s/GD.duckdb", "/s/wyniki", statements="/s/wyciagi", incoming="/s/przychodzace",
                         region=REGION)
    console = next(d for d in served if d.name == "konsola-regionu")
    assert [(s.schedule.cron, s.schedule.timezone) for s in console.schedules] == [("0 * * * *", "Europe/Warsaw")]
    assert console.parameters == {"incoming": "/s/przychodzace", "region_id": REGION, "db": "/s/GD.duckdb",
                                  "out": "/s/wyniki", "statements": "/s/wyciagi"}
    assert console.description == DESCRIPTIONS["konsola-regionu"]
    schema = console._parameter_openapi_schema.model_dump()
    assert schema["required"] == ["incoming", "region_id", "db"]
    assert schema["properties"]["period"]["title"] == "Okres (RRRR-MM)"
    # without the region's folder (or its id) there is no console
    assert "konsola-regionu" not in {d.name for d in deployments("/s/skrzynka", "/s/GD.duckdb", None)}
    assert "konsola-regionu" not in {d.name for d in deployments("/s/skrzynka", "/s/db", None, incoming="/s/p")}
    text = banner(served, "http://127.0.0.1:4200", dict(inbox="/s/skrzynka", db="/s/GD.duckdb", out="/s/wyniki",
                                                        incoming="/s/przychodzace", region=REGION))
    assert "konsola-regionu" in text and "co godzinę, o pełnej godzinie" in text


def test_the_console_flow_asks_in_polish_and_a_schedule_takes_the_previous_month():
    from prefect.utilities.callables import parameter_schema

    from flows.orchestration import PERIOD, region_console
    properties = parameter_schema(region_console).model_dump()["properties"]
    assert set(properties) == {"incoming", "region_id", "db", "out", "statements", "period", "quiet"}
    for name, prop in properties.items():
        assert prop["title"] != name and prop.get("description"), name
    assert {a.get("pattern") for a in properties["period"].get("anyOf", [])} - {None} == {PERIOD}


def test_serve_wants_both_the_incoming_folder_and_the_region(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app
    base = ["serve", "--inbox", str(settings.DEMO_INBOX), "--db", str(tmp_path / "r.duckdb")]
    wide = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}
    alone = CliRunner().invoke(app, [*base, "--incoming", str(tmp_path)], env=wide)
    assert alone.exit_code == 2 and "--incoming/--region" in alone.output
    missing = CliRunner().invoke(app, [*base, "--incoming", str(tmp_path / "nie-ma"), "--region", REGION], env=wide)
    assert missing.exit_code == 2 and "nie istnieje" in missing.output


def test_the_missing_list_without_anything_imported_says_why(tmp_path):
    from datetime import date

    from flows.console import Console, missing_rows, missing_units, summary
    db = tmp_path / "pusta.duckdb"
    duckdb.connect(str(db)).close()
    result, problem = missing_units(str(db), "2026-10", REGION, date(2026, 11, 21))
    assert result is None and problem
    console = Console(REGION, "2026-10", __import__("datetime").datetime(2026, 11, 21, 9), "/p", None, (), None,
                      problem)
    assert missing_rows(console)[0]["Czego dotyczy"] == problem
    assert "nie do ustalenia" in summary(console)


def test_the_flow_is_served_by_skladki_serve_cli_options():
    """The options `skladki serve` has for the console (its help in Polish)."""
    from typer.testing import CliRunner

    from flows.cli import app
    out = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    assert "--incoming" in out and "--region" in out and "konsola regionu" in out


def test_skladki_serve_serves_the_console_and_a_run_through_the_api_completes(prefect_harness, region, tmp_path):
    """`skladki serve --incoming --region` (a process of its own, on the harness's server): the
    console's deployment is registered and a run triggered through the API ends Completed, refused
    file and missing unit notwithstanding."""
    import os
    import subprocess
    import sys
    import time

    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL
    serving = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--inbox", str(settings.DEMO_INBOX),
                                "--db", str(region["db"]), "--out", str(tmp_path / "out"),
                                "--incoming", str(region["incoming"]), "--region", REGION],
                               env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=Path(__file__).resolve().parents[1])
    try:
        with get_client(sync_client=True) as client:
            for _ in range(120):                 # registering the deployments takes a few seconds
                try:
                    deployment = client.read_deployment_by_name("region-console/konsola-regionu")
                    break
                except ObjectNotFound:
                    time.sleep(0.5)
        assert deployment.parameters["region_id"] == REGION
        run = run_deployment("region-console/konsola-regionu", parameters={"period": "2026-10"}, timeout=240)
        from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
        time.sleep(3)            # the served process sends its last log lines
        with get_client(sync_client=True) as client:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
    finally:
        serving.terminate()
        printed = serving.communicate(timeout=30)[0]
    assert run.state.is_completed(), (run.state, printed)
    assert run.name == "konsola regionu SL · 2026-10"
    assert "odrzucono 1" in run.state.message and "bez rozliczenia za 2026-10: 1" in run.state.message
    assert "konsola-regionu" in printed and "co godzinę, o pełnej godzinie" in printed
    assert logs and not [m.message for m in logs if "Traceback" in m.message]     # refusals are no crash
