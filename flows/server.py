"""`skladki server start|stop|status`: a local Prefect server with skladki's settings, its database
in skladki's own data folder (``PREFECT_HOME``), the UI on http://127.0.0.1:4200. The server
records itself there: ``server.pid`` (its process) and ``server.url`` (its API).

Which engine a command runs on (issue 26): by default (``auto``) a command runs as a Prefect flow
when a server is configured (``PREFECT_API_URL``) or the recorded local one answers, and plain
otherwise — a treasurer's laptop is not a server, and a temporary Prefect server costs 16–33 s
on every command. ``--engine prefect`` asks for Prefect anyway (then, with no server, Prefect's
temporary one). Either way the command says in one Polish line which engine and server it uses.
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


def recorded_api() -> str | None:
    """The API of the server `skladki server start` started from this PREFECT_HOME (if it did)."""
    home = Path(os.environ["PREFECT_HOME"])
    if not (home / "server.pid").exists():
        return None
    try:
        return (home / "server.url").read_text(encoding="utf-8").strip() or LOCAL_API
    except OSError:
        return LOCAL_API


def auto_engine() -> tuple[str, str]:
    """The engine of a command left to choose (``--engine auto``) and the line that says why."""
    api = os.environ.get("PREFECT_API_URL")
    if api:
        if healthy(api, timeout=2):
            return "prefect", f"Prefect: serwer {api} (PREFECT_API_URL)"
        return "plain", (f"silnik plain: serwer Prefect {api} (PREFECT_API_URL) nie odpowiada; te same kroki "
                         "bez Prefect")
    api = recorded_api()
    if api and healthy(api, timeout=0.5):
        os.environ["PREFECT_API_URL"] = api
        return "prefect", f"Prefect: lokalny serwer {api.removesuffix('/api')} (skladki server start)"
    return "plain", ("silnik plain: żaden serwer Prefect nie działa, te same kroki bez Prefect (serwer: skladki "
                     "server start; Prefect mimo to: --engine prefect)")


def choose_api() -> str:
    """Point Prefect at a running server and say which (in Polish), before Prefect is imported."""
    api = os.environ.get("PREFECT_API_URL")
    if api:
        if not healthy(api, timeout=2):
            raise UserError("server_unreachable", api=api)
        return f"Prefect: serwer {api} (PREFECT_API_URL)"
    for local in dict.fromkeys([recorded_api() or LOCAL_API, LOCAL_API]):
        if healthy(local, timeout=0.3):
            os.environ["PREFECT_API_URL"] = local
            return f"Prefect: lokalny serwer {local.removesuffix('/api')} (skladki server start)"
    return ("Prefect: uruchamianie tymczasowego lokalnego serwera (ok. 10–30 s; `skladki server start` "
            "uruchamia stały serwer i skraca każde uruchomienie)")


def detached(os_name: str = os.name) -> dict:
    """Popen options that let the server outlive the command that starts it: a new session on
    POSIX; on Windows a new process group without a console (closing the terminal, or the
    Ctrl+C meant for it, does not stop the server)."""
    if os_name == "nt":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200)
                | getattr(subprocess, "DETACHED_PROCESS", 0x8)}
    return {"start_new_session": True}


def start(wait_seconds: float = 120) -> str:
    if healthy(LOCAL_API):
        return f"serwer Prefect już działa: {LOCAL_API.removesuffix('/api')}"
    home = _home()
    log = (home / "server.log").open("ab")
    env = {**os.environ, "PREFECT_SERVER_UI_ENABLED": "true", "PREFECT_UI_API_URL": LOCAL_API,
           "PREFECT_SERVER_API_HOST": HOST, "PREFECT_SERVER_API_PORT": str(PORT)}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(PORT)],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env, **detached())
    (home / "server.pid").write_text(str(proc.pid), encoding="utf-8")
    (home / "server.url").write_text(LOCAL_API, encoding="utf-8")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if healthy(LOCAL_API):
            return f"serwer Prefect działa: {LOCAL_API.removesuffix('/api')} (dziennik: {home / 'server.log'})"
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise UserError("server_not_started", log=home / "server.log")


def _terminate(pid: int, os_name: str = os.name) -> None:
    """End the server and the processes it started (on Windows: taskkill of the tree)."""
    if os_name == "nt":
        subprocess.run(["taskkill", "/PID", str(pid), "/T", "/F"], capture_output=True)
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def stop() -> str:
    home = _home()
    pid_file = home / "server.pid"
    if not pid_file.exists():
        return "serwer Prefect nie był uruchomiony przez skladki"
    api = recorded_api() or LOCAL_API
    _terminate(int(pid_file.read_text(encoding="utf-8")))
    pid_file.unlink()
    (home / "server.url").unlink(missing_ok=True)
    for _ in range(40):
        if not healthy(api, timeout=0.2):
            break
        time.sleep(0.25)
    return "serwer Prefect zatrzymany"


def status() -> str:
    api = os.environ.get("PREFECT_API_URL") or recorded_api() or LOCAL_API
    return (f"serwer Prefect działa: {api.removesuffix('/api')}" if healthy(api)
            else f"serwer Prefect nie działa ({api}); uruchom: skladki server start")
