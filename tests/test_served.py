"""Issue 26: `skladki serve` against a real local Prefect server (`skladki server start` on
127.0.0.1, its own temporary PREFECT_HOME) — the server's scheduler creates the deployments'
scheduled runs (in Polish time), the banner is skladki's own, and a run started through the API
with a user's mistake ends with the Polish message and no traceback in its log.

Slow (~1–2 min: a server, a serving process and a few runs); every wait is bounded."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows import settings

ROOT = Path(__file__).resolve().parents[1]
WARSAW = ZoneInfo("Europe/Warsaw")
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(what: str, probe, seconds: float, every: float = 1.0):
    """probe() until it returns something true, at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(every)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A local server started the skladki way, and `skladki serve` serving the demo's deployments."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows import server
    tmp = tmp_path_factory.mktemp("served")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFECT_HOME", str(tmp / "prefect"))
        mp.delenv("PREFECT_API_URL", raising=False)
        mp.setattr(server, "PORT", port)
        mp.setattr(server, "LOCAL_API", api)
        assert server.start(wait_seconds=180).startswith(f"serwer Prefect działa: http://127.0.0.1:{port}")
        out = tmp / "out"
        # the serving process finds the server the way any command does: by its record in PREFECT_HOME
        serving = subprocess.Popen(
            [sys.executable, "-m", "flows.launch", "serve", "--inbox", str(settings.DEMO_INBOX),
             "--db", str(tmp / "c.duckdb"), "--out", str(out)],
            env={**os.environ}, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
        printed: list[str] = []
        threading.Thread(target=lambda: printed.extend(serving.stdout), daemon=True).start()
        try:
            with temporary_settings(updates={PREFECT_API_URL: api}):
                yield {"api": api, "serving": serving, "tmp": tmp, "out": out, "printed": printed}
        finally:
            serving.terminate()
            try:
                serving.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serving.kill()
            server.stop()


def _deployment(name: str):
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    def probe():
        with get_client(sync_client=True) as client:
            try:
                return client.read_deployment_by_name(name)
            except ObjectNotFound:
                return None
    return _until(f"deployment {name} registered", probe, 180)


def _scheduled_runs(deployment_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterId, FlowRunFilter,
                                                FlowRunFilterState, FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.SCHEDULED]))))


def test_issue_26_the_servers_scheduler_creates_the_scheduled_runs_in_polish_time(served):
    """SQLAlchemy 2.1 broke Prefect 3.8.8's scheduler (no scheduled run ever); the close on the
    5th at 06:00 and the calendar at 07:00 are Warsaw time (summer and winter)."""
    close = _deployment("monthly-close/zamkniecie-miesieczne")
    runs = _until("scheduled runs of the close", lambda: _scheduled_runs(close.id), 150, every=2)
    local = [r.expected_start_time.astimezone(WARSAW) for r in runs]
    assert local and all((t.day, t.hour, t.minute) == (5, 6, 0) for t in local), local
    calendar = _deployment("calendar/kalendarz-codzienny")
    runs = _until("scheduled runs of the calendar", lambda: _scheduled_runs(calendar.id), 60, every=2)
    assert all(r.expected_start_time.astimezone(WARSAW).hour == 7 for r in runs)


def test_issue_26_serve_prints_its_own_polish_banner(served):
    _deployment("monthly-close/zamkniecie-miesieczne")
    text = _until("the banner", lambda: "".join(served["printed"]) if "Ctrl+C" in "".join(served["printed"]) else "",
                  60)
    ui = served["api"].removesuffix("/api")
    assert text.startswith(f"Prefect: lokalny serwer {ui} (skladki server start)\n"
                           f"skladki serve: wdrożenia na serwerze Prefect, UI: {ui}"), text
    assert "zamkniecie-miesieczne    zamknięcie miesiąca: 5. dnia miesiąca o 6:00 czasu polskiego" in text
    assert f"skladki close --period RRRR-MM --inbox {settings.DEMO_INBOX}" in text
    assert "prefect deployment run" not in text and "Traceback" not in text


def _post(url: str, body: dict) -> dict:
    import json
    import urllib.request
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def _finished(run_id):
    from prefect.client.orchestration import get_client

    def probe():
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(run_id)
            return run if run.state.is_final() else None
    return _until("the run to finish", probe, 240, every=1)


def _log(run_id) -> str:
    """The run's log once its last line has arrived (the serving process sends logs in batches)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    def probe():
        with get_client(sync_client=True) as client:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        text = "\n".join(m.message for m in sorted(logs, key=lambda m: m.timestamp))
        return text if "Finished in state" in text else ""
    time.sleep(2)      # anything logged after the last line would be in the same batch
    return _until("the run's log", probe, 60)


def test_issue_26_a_ui_run_with_a_wrong_period_is_refused_or_fails_in_polish_without_a_traceback(served):
    """The form's schema refuses 10.2026 (the server checks it too); a run that gets past it
    anyway (schema enforcement off) ends with the Polish message, no traceback in its log. So
    does a run whose inbox does not exist."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import PrefectHTTPStatusError
    close = _deployment("monthly-close/zamkniecie-miesieczne")
    with get_client(sync_client=True) as client:
        with pytest.raises(PrefectHTTPStatusError, match="does not match"):
            client.create_flow_run_from_deployment(close.id, parameters={"period": "10.2026"})
        no_inbox = client.create_flow_run_from_deployment(close.id, parameters={
            "period": "2026-10", "inbox": str(served["tmp"] / "brak")})
    past_the_form = _post(f"{served['api']}/deployments/{close.id}/create_flow_run",
                          {"parameters": {"period": "10.2026"}, "enforce_parameter_schema": False})
    run = _finished(past_the_form["id"])
    assert run.state.is_failed()
    assert run.state.message == ("Parametr „Okres (RRRR-MM)”: '10.2026' to nie okres RRRR-MM, np. 2026-10. "
                                 "Popraw wartość w formularzu przebiegu i uruchom go ponownie.")
    log = _log(run.id)
    assert "błąd: Parametr „Okres (RRRR-MM)”: '10.2026' to nie okres RRRR-MM" in log
    assert "Traceback" not in log and "Validation of flow parameters" not in log
    run = _finished(no_inbox.id)
    assert run.state.is_failed() and "brak" in run.state.message and "Traceback" not in _log(run.id)
    assert not (served["tmp"] / "c.duckdb").exists()
