"""`skladki server start|stop|status`: a local Prefect server with skladki's settings, its database
in skladki's own data folder (``PREFECT_HOME``), the UI on http://127.0.0.1:4200.

Every Prefect-engine command uses a running server — the one ``PREFECT_API_URL`` names, or this
local one when it is up — and says which; only when neither answers does Prefect start its
temporary server (about 10 s on every command), and the command says so.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from transforms.errors import UserError

HOST, PORT = "127.0.0.1", int(os.environ.get("SKLADKI_PREFECT_PORT", "4200"))
LOCAL_API = f"http://{HOST}:{PORT}/api"


def _home() -> Path:
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    return home


def healthy(api: str, timeout: float = 0.5) -> bool:
    try:
        with urllib.request.urlopen(api.rstrip("/") + "/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def choose_api() -> str:
    """Point Prefect at a running server and say which (in Polish), before Prefect is imported."""
    api = os.environ.get("PREFECT_API_URL")
    if api:
        return f"Prefect: serwer {api} (PREFECT_API_URL)"
    if healthy(LOCAL_API, timeout=0.3):
        os.environ["PREFECT_API_URL"] = LOCAL_API
        return f"Prefect: lokalny serwer {LOCAL_API.removesuffix('/api')} (skladki server start)"
    return ("Prefect: uruchamianie tymczasowego lokalnego serwera (ok. 10 s; `skladki server start` "
            "uruchamia stały serwer i skraca każde uruchomienie)")


def start(wait_seconds: float = 120) -> str:
    if healthy(LOCAL_API):
        return f"serwer Prefect już działa: {LOCAL_API.removesuffix('/api')}"
    home = _home()
    log = (home / "server.log").open("ab")
    env = {**os.environ, "PREFECT_SERVER_UI_ENABLED": "true", "PREFECT_UI_API_URL": LOCAL_API,
           "PREFECT_SERVER_API_HOST": HOST, "PREFECT_SERVER_API_PORT": str(PORT)}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(PORT)],
                            stdout=log, stderr=log, env=env, start_new_session=True)
    (home / "server.pid").write_text(str(proc.pid), encoding="utf-8")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if healthy(LOCAL_API):
            return f"serwer Prefect działa: {LOCAL_API.removesuffix('/api')} (dziennik: {home / 'server.log'})"
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise UserError("server_not_started", log=home / "server.log")


def stop() -> str:
    pid_file = _home() / "server.pid"
    if not pid_file.exists():
        return "serwer Prefect nie był uruchomiony przez skladki"
    pid = int(pid_file.read_text(encoding="utf-8"))
    try:
        os.killpg(pid, signal.SIGTERM) if hasattr(os, "killpg") else os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    pid_file.unlink()
    for _ in range(40):
        if not healthy(LOCAL_API, timeout=0.2):
            break
        time.sleep(0.25)
    return "serwer Prefect zatrzymany"


def status() -> str:
    api = os.environ.get("PREFECT_API_URL") or LOCAL_API
    return (f"serwer Prefect działa: {api.removesuffix('/api')}" if healthy(api)
            else f"serwer Prefect nie działa ({api}); uruchom: skladki server start")
