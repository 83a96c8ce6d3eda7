"""The Prefect flow end to end on the bundled demo inbox, under a test harness."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows import settings
from tests.conftest import close_plain


@pytest.fixture(scope="module")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=180):
        yield


def test_monthly_close_flow_on_demo_inbox_matches_plain_steps(prefect_harness, tmp_path):
    from flows.close import CLOSE
    from flows.command import run_prefect
    from flows.orchestration import monthly_close
    flow_db, plain_db = tmp_path / "flow.duckdb", tmp_path / "plain.duckdb"
    outcome = run_prefect(CLOSE, monthly_close, period="2026-10", inbox=str(settings.DEMO_INBOX), db=str(flow_db),
                          out=str(tmp_path / "out"), quiet=True)
    assert outcome.ok and outcome.workbook.exists()
    close_plain("2026-10", settings.DEMO_INBOX, plain_db)
    for table in ("dues", "allocations", "exceptions", "transfers"):
        a = duckdb.connect(str(flow_db), read_only=True).sql(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        b = duckdb.connect(str(plain_db), read_only=True).sql(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        assert a == b, table
    con = duckdb.connect(str(flow_db), read_only=True)
    # the demo shows every kind of exception a treasurer meets
    reasons = {r[0] for r in con.execute("SELECT DISTINCT reason_code FROM exceptions").fetchall()}
    assert {"unknown_member", "unknown_component", "bad_amount", "bad_period", "not_a_member_in_period",
            "missing_income", "negative_base", "bad_adjustment", "bad_member", "bad_unit"} <= reasons
    read, used, rejected, skipped = con.execute(
        "SELECT rows_read, rows_used, rows_rejected, rows_skipped FROM runs").fetchone()
    assert read == used + rejected + skipped and used > 900


def test_flow_reports_a_missing_units_file_without_writing(prefect_harness, tmp_path):
    from flows.close import CLOSE
    from flows.command import run_prefect
    from flows.orchestration import monthly_close
    (tmp_path / "inbox").mkdir()
    outcome = run_prefect(CLOSE, monthly_close, period="2026-10", inbox=str(tmp_path / "inbox"),
                          db=str(tmp_path / "x.duckdb"), quiet=True)
    assert not outcome.ok and "units.csv: brak w folderze" in outcome.message
    assert not (tmp_path / "x.duckdb").exists()


def test_the_other_commands_run_as_prefect_flows(prefect_harness, tmp_path):
    """salary-caps, verify-delegates and reconcile: the same steps as their plain runs, as flows."""
    import csv
    from datetime import date
    from flows import orchestration
    from flows.command import run_prefect
    from flows.delegates import VERIFY_DELEGATES
    from flows.reconcile import RECONCILE
    from flows.salary_caps import SALARY_CAPS
    caps = run_prefect(SALARY_CAPS, orchestration.salary_caps, period="2026-02", quiet=True,
                       officers=str(settings.DEMO_INBOX / "officers" / "officers.csv"), db=str(tmp_path / "caps.duckdb"))
    assert caps.ok and len(caps.result.rows) == 15
    inbox = tmp_path / "del"
    inbox.mkdir()
    with (inbox / "remittances.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["region_id", "voivodeship", "paid_in", "amount", "declared_paying_members"],
                                 ["R1", "śląskie", "2026-11", "56000.00", "10000"]])
    with (inbox / "wages.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["voivodeship", "month", "amount"], ["śląskie", "2026-10", "8000.00"]])
    ver = run_prefect(VERIFY_DELEGATES, orchestration.verify_delegates, inbox=str(inbox),
                      db=str(tmp_path / "d.duckdb"), seats=3, quiet=True)
    assert ver.ok and ver.result.verification[0]["verdict"] == "passed"
    db = tmp_path / "books.duckdb"
    close_plain("2026-10", settings.DEMO_INBOX, db)
    st = tmp_path / "st"
    st.mkdir()
    from tests.test_reconcile import mt940
    mt940([(date(2026, 11, 20), 100, None, "X", "Darowizna")], st / "w.sta")
    rec = run_prefect(RECONCILE, orchestration.reconcile, period="2026-10", statements=str(st), db=str(db),
                      quiet=True)
    assert rec.ok and {s["status"] for s in rec.result.status} == {"missing"}


def test_issue_14_a_schedule_closes_the_previous_month():
    from datetime import date

    from flows.orchestration import CLOSE_SCHEDULE, previous_month
    assert previous_month(date(2026, 11, 5)) == "2026-10"
    assert previous_month(date(2027, 1, 5)) == "2026-12"
    assert CLOSE_SCHEDULE == "0 6 5 * *"            # the 5th at 06:00, before the 20th of 004 §10


def test_issue_14_a_run_is_named_after_its_work_and_leaves_logs_and_artifacts(prefect_harness, tmp_path):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId

    from flows.close import CLOSE
    from flows.command import run_prefect
    from flows.orchestration import monthly_close
    outcome = run_prefect(CLOSE, monthly_close, period="2026-10", inbox=str(settings.DEMO_INBOX),
                          db=str(tmp_path / "c.duckdb"), out=str(tmp_path / "out"), quiet=True)
    assert outcome.ok
    from prefect.logging.handlers import APILogHandler
    APILogHandler().flush()

    async def look():
        async with get_client() as client:
            runs = await client.read_flow_runs()
            run = next(r for r in runs if r.name == "zamknięcie 2026-10 · demo" and
                       str(tmp_path) in str(r.parameters.get("db")))
            logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
            arts = await client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
            return run, logs, arts

    run, logs, arts = asyncio.run(look())
    # issue 25: the demo's October is incomplete (GD-0002's M0000006 has no income line): stored as a
    # draft, shown as done on the command line's summary, but the run does not end Completed
    assert not run.state.is_completed() and run.state.name == "Niekompletny"
    assert "GD-0002" in run.state.message and "M0000006" in run.state.message
    messages = "\n".join(m.message for m in sorted(logs, key=lambda m: m.timestamp))
    assert "[2/5] sprawdzanie: 333 członków" in messages and "wiersze odczytane 1676 = użyte 947" in messages
    assert {a.key for a in arts} >= {"close-podsumowanie", "close-tabela", "close-pliki", "close-braki"}
    assert "M0000006" in next(a.data for a in arts if a.key == "close-braki")


def test_issue_14_the_close_deployment_is_served_and_runs_when_triggered_through_the_api(prefect_harness, tmp_path):
    """`skladki serve` (a process of its own, on the harness's server) serves the close deployment:
    typed parameters (the UI's run form), a schedule on the 5th; a run triggered through the API
    completes with the run's name and the files."""
    import os
    import subprocess
    import sys

    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    from flows.orchestration import deployments
    served = deployments(str(settings.DEMO_INBOX), str(tmp_path / "c.duckdb"), str(tmp_path / "out"))
    close = served[0]
    # issue 16: the calendar every morning; issue 11: the yearly statements on demand
    assert {d.name: [s.schedule.cron for s in d.schedules] for d in served[1:]} == {
        "kalendarz-codzienny": ["0 7 * * *"], "zaswiadczenia-pit": [], "mandaty": [], "uprawnienia-wyborcze": [],
        "dokumenty-jednostek": [], "zatwierdzenie-miesiaca": []}
    schema = close._parameter_openapi_schema.model_dump()
    assert {"inbox", "db", "out", "period"} <= set(schema["properties"])
    assert schema["required"] == ["inbox", "db"]
    assert [(s.schedule.cron, s.schedule.timezone) for s in close.schedules] == [("0 6 5 * *", "Europe/Warsaw")]
    serving = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--inbox", str(settings.DEMO_INBOX),
                                "--db", str(tmp_path / "c.duckdb"), "--out", str(tmp_path / "out")],
                               env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=Path(__file__).resolve().parents[1])
    try:
        assert serving.stdout.readline().startswith(f"Prefect: serwer {PREFECT_API_URL.value()}")
        import time

        from prefect.client.orchestration import get_client
        from prefect.exceptions import ObjectNotFound
        with get_client(sync_client=True) as client:
            for _ in range(120):                 # registering the deployments takes a few seconds
                try:
                    client.read_deployment_by_name("monthly-close/zamkniecie-miesieczne")
                    break
                except ObjectNotFound:
                    time.sleep(0.5)
        run = run_deployment("monthly-close/zamkniecie-miesieczne", parameters={"period": "2026-10"}, timeout=240)
        # issue 25: November's run from an inbox still holding October's payroll files: no employer's
        # file of November has come — the run is not Completed, its message and artifact name the files
        later = run_deployment("monthly-close/zamkniecie-miesieczne", parameters={"period": "2026-11"}, timeout=240)
        with get_client(sync_client=True) as client:
            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
            arts = client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[later.id])))
            from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
            time.sleep(3)            # the served process sends its last log lines
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[later.id])))
    finally:
        serving.terminate()
        serving.wait(timeout=30)
    # the schedule's close stores the units whose files came; GD-0002 (M0000006 without income) is left
    # out and listed, so the run is not Completed either
    assert run.state.name == "Niekompletny" and "GD-0002" in run.state.message, run.state
    assert run.name == "zamknięcie 2026-10 · demo"
    assert (tmp_path / "out" / "zamkniecie_2026-10.xlsx").exists()
    assert not later.state.is_completed() and later.state.name == "Niekompletny"
    assert "income/huta_lista_plac_2026-10.csv" in later.state.message
    assert "income/huta_lista_plac_2026-10.csv" in next(a.data for a in arts if a.key == "close-braki")
    assert not [m.message for m in logs if "Traceback" in m.message]      # an incomplete month is no crash
    con = duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM unit_months WHERE period = '2026-10' AND unit_id = 'GD-0002'"
                       ).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM unit_months WHERE period = '2026-11'").fetchone()[0] == 0


def test_issue_14_flow_parameters_are_stored_as_json_values_without_fastapi():
    """Every flow's parameters are JSON values; storing them needs no FastAPI import (0.22 s)."""
    from pathlib import Path

    from prefect.flow_engine import FlowRunEngine
    from prefect.flows import Flow

    from flows.orchestration import FLOWS
    assert hasattr(Flow, "serialize_parameters") and hasattr(FlowRunEngine, "heartbeat_seconds")   # Prefect's names
    for f in FLOWS.values():
        assert f.serialize_parameters({"db": "s.duckdb", "seats": 3, "quiet": False, "out": None,
                                       "inbox": Path("skrzynka")}) == \
            {"db": "s.duckdb", "seats": 3, "quiet": False, "out": None, "inbox": "skrzynka"}


def test_issue_26_every_flow_parameter_has_a_polish_title_description_and_format():
    """The UI's run form: Polish titles and descriptions (not `inbox`, `db`, `out`), and a period
    that must be RRRR-MM, a day RRRR-MM-DD."""
    from prefect.utilities.callables import parameter_schema

    from flows.orchestration import DAY, FLOWS, PERIOD
    from transforms.errors import is_polish
    is_english = lambda text: not is_polish(text + " w")      # noqa: E731 (English words, not missing diacritics)
    for f in FLOWS.values():
        for name, prop in parameter_schema(f).model_dump()["properties"].items():
            where = f"{f.name}.{name}"
            assert prop["title"] != name and prop.get("description"), where
            assert not is_english(prop["title"] + ": " + prop["description"]), where
            formats = {a.get("pattern") for a in prop.get("anyOf", [prop])} - {None}
            if name == "period":
                assert formats == {PERIOD}, where
            if name == "date":
                assert formats == {DAY}, where


def test_issue_26_a_wrong_parameter_is_one_polish_sentence():
    from typing import Annotated, Optional

    import pydantic

    from flows.orchestration import Period, _form, _polish
    model = pydantic.create_model("m", inbox=(Annotated[str, _form("Skrzynka", "folder")], ...), period=(Period, None),
                                  seats=(Annotated[Optional[int], _form("Mandaty", "liczba", ge=1)], None))

    def message(**given):
        try:
            model.model_validate(given)
        except pydantic.ValidationError as e:
            return str(_polish(e, model))
    assert message(inbox="x", period="10.2026") == ("Parametr „Okres (RRRR-MM)”: '10.2026' to nie okres RRRR-MM, "
                                                    "np. 2026-10. Popraw wartość w formularzu przebiegu i uruchom go ponownie.")
    assert message(period="2026-10").startswith("Parametr „Skrzynka” jest wymagany")
    assert message(inbox="x", seats=0).startswith("Parametr „Mandaty”: '0' to nie liczba co najmniej 1.")
    assert message(inbox="x", period="2026-10", seats=3) is None
