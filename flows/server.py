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

import http.client
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


def api_problem(api: str) -> str | None:
    """Why ``api`` (PREFECT_API_URL) is no server address, in Polish; None for an http(s) URL."""
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(api)
        parts.port                      # raises for a port that is no number or out of range
    except ValueError as e:
        return str(e)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "adres musi zaczynać się od http:// albo https:// i mieć nazwę serwera"
    return None


def checked_api(api: str) -> str:
    """PREFECT_API_URL as given, or one Polish message when it is no server address."""
    if (why := api_problem(api)) is not None:
        raise UserError("bad_api_url", api=api, why=why)
    return api


def healthy(api: str, timeout: float = 0.5) -> bool:
    if api_problem(api) is not None:
        return False
    try:
        with urllib.request.urlopen(api.rstrip("/") + "/health", timeout=timeout) as r:
            return r.status == 200
    except (OSError, ValueError, http.client.HTTPException):
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
        if healthy(checked_api(api), timeout=2):
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
        if not healthy(checked_api(api), timeout=2):
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
    (home / "server.pid").write_text(f"{proc.pid}\n{_started(proc.pid)}\n", encoding="utf-8")
    (home / "server.url").write_text(LOCAL_API, encoding="utf-8")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if healthy(LOCAL_API):
            return f"serwer Prefect działa: {LOCAL_API.removesuffix('/api')} (dziennik: {home / 'server.log'})"
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise UserError("server_not_started", log=home / "server.log")


def identity(pid: int) -> str | None:
    """What tells the process ``pid`` from a later one given the same number after a crash or a
    reboot: its start time and command line (Linux: /proc; other POSIX: ps). None when there is
    no such process; "" for a running process where it cannot be told (Windows)."""
    if os.name == "nt":
        try:
            listed = subprocess.run(["tasklist", "/FI", f"PID eq {pid}", "/NH", "/FO", "CSV"], capture_output=True,
                                    text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return ""
        return "" if f'"{pid}"' in listed else None
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self/stat").exists():
        try:
            started = (proc / "stat").read_text(encoding="utf-8", errors="replace").rsplit(")", 1)[1].split()[19]
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (OSError, IndexError):
            return None
        return f"{started} {command}"
    try:
        out = subprocess.run(["ps", "-o", "lstart=,command=", "-p", str(pid)], capture_output=True, text=True,
                             timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def _started(pid: int) -> str:
    """The identity of a process just started: read once its new command line is in place (right
    after Popen returns, /proc may still show an empty one while the exec finishes)."""
    for _ in range(100):
        now = identity(pid)
        if not now or _is_server(now):
            return now or ""
        time.sleep(0.02)
    return now


def _terminate(pid: int, os_name: str = os.name) -> None:
    """End the server and the processes it started (on Windows: taskkill of the tree)."""
    if os_name == "nt":
        subprocess.run(["taskkill", "/PID", str(pid), "/T", "/F"], capture_output=True)
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def recorded_server(pid_file: Path) -> int | None:
    """The process ``server.pid`` names, if it is still the server skladki started: a number above
    0 whose process has the start time and command line recorded with it. A file naming no such
    process (stale after a crash or a reboot, its number since given to another program) is
    removed and None returned; a file that names no process at all is refused."""
    lines = pid_file.read_text(encoding="utf-8", errors="replace").splitlines() or [""]
    first = lines[0].strip()
    if not first.isascii() or not first.isdigit() or int(first) <= 0:
        pid_file.unlink(missing_ok=True)
        raise UserError("bad_pid_file", file=pid_file, value=first[:40])
    pid, recorded = int(first), (lines[1].strip() if len(lines) > 1 else None)
    now = identity(pid)
    if now is None or (recorded and now != recorded) or not _is_server(now):   # no record: a file of an older skladki
        pid_file.unlink(missing_ok=True)
        return None
    return pid


def _is_server(command: str) -> bool:
    return command == "" or all(word in command for word in ("prefect", "server", "start"))


def stop() -> str:
    home = _home()
    pid_file = home / "server.pid"
    if not pid_file.exists():
        return "serwer Prefect nie był uruchomiony przez skladki"
    api = recorded_api() or LOCAL_API
    pid = recorded_server(pid_file)
    if pid is None:
        (home / "server.url").unlink(missing_ok=True)
        return (f"serwer Prefect nie działa: proces zapisany w {pid_file} już się zakończył (albo ten numer ma "
                "teraz inny program, którego nie zatrzymano); nieaktualny plik usunięty")
    _terminate(pid)
    pid_file.unlink()
    (home / "server.url").unlink(missing_ok=True)
    for _ in range(40):
        if not healthy(api, timeout=0.2):
            break
        time.sleep(0.25)
    return "serwer Prefect zatrzymany"


def serve_paths_problem(inbox, db, out=None, statements=None, officers=None, delegates_inbox=None
                        ) -> tuple[str, str] | None:
    """(option, Polish reason) of the first path ``skladki serve`` was given that its runs could
    not use, else None: the served runs would fail every month, unseen."""
    from flows.files import file_problem
    folders = {"--inbox": inbox, "--statements": statements, "--delegates-inbox": delegates_inbox}
    for option, folder in folders.items():
        if folder is not None and not Path(folder).is_dir():
            return option, f"folder {folder} nie istnieje" if not Path(folder).exists() else f"{folder} to nie folder"
    if officers is not None and (why := file_problem(Path(officers), follow_links=True)):
        return "--officers", f"{officers}: {why}"
    if Path(db).exists() and (why := file_problem(Path(db), follow_links=True, sized=False)):
        return "--db", f"{db}: {why}"
    if not Path(db).parent.is_dir():
        return "--db", f"folder {Path(db).parent} nie istnieje"
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        return "--out", f"{out} to nie folder"
    return None


def status() -> str:
    api = os.environ.get("PREFECT_API_URL") or recorded_api() or LOCAL_API
    if (why := api_problem(api)) is not None:
        return f"PREFECT_API_URL '{api}' to nie adres serwera ({why}); popraw go albo usuń tę zmienną."
    return (f"serwer Prefect działa: {api.removesuffix('/api')}" if healthy(api)
            else f"serwer Prefect nie działa ({api}); uruchom: skladki server start")
