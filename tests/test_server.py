"""flows/server.py (issue 14): a local Prefect server with skladki's settings; commands use it
and say which server they use."""
from __future__ import annotations

import pytest

from flows import server
from transforms.errors import UserError


def test_a_command_says_which_server_it_uses(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setattr(server, "healthy", lambda api, timeout=0.5: True)
    assert server.choose_api() == "Prefect: serwer http://127.0.0.1:9/api (PREFECT_API_URL)"
    monkeypatch.undo()
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")      # nothing answers: said before Prefect starts
    with pytest.raises(UserError, match=r"^Serwer Prefect http://127.0.0.1:9/api \(PREFECT_API_URL\) nie odpowiada"):
        server.choose_api()
    monkeypatch.delenv("PREFECT_API_URL")
    monkeypatch.setattr(server, "LOCAL_API", "http://127.0.0.1:9/api")      # nothing listens there
    assert server.choose_api().startswith("Prefect: uruchamianie tymczasowego lokalnego serwera (ok. 10–30 s;")


def test_issue_14_server_start_status_stop(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(server, "PORT", 4391)
    monkeypatch.setattr(server, "LOCAL_API", "http://127.0.0.1:4391/api")
    try:
        assert server.start().startswith("serwer Prefect działa: http://127.0.0.1:4391")
        assert server.status() == "serwer Prefect działa: http://127.0.0.1:4391"
        assert server.choose_api() == "Prefect: lokalny serwer http://127.0.0.1:4391 (skladki server start)"
        assert (tmp_path / "prefect" / "prefect.db").exists()      # its database in skladki's own folder
    finally:
        import os
        os.environ.pop("PREFECT_API_URL", None)     # choose_api pointed this process at the server
        assert server.stop() == "serwer Prefect zatrzymany"
    assert server.status().startswith("serwer Prefect nie działa")


def test_issue_26_without_a_server_a_command_runs_plain_and_says_so(tmp_path, monkeypatch):
    """A treasurer's laptop is not a server: no temporary Prefect server unless asked for."""
    from typer.testing import CliRunner

    from flows.cli import app
    from tests.conftest import write_inbox
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert server.auto_engine() == ("plain", "silnik plain: żaden serwer Prefect nie działa, te same kroki bez "
                                    "Prefect (serwer: skladki server start; Prefect mimo to: --engine prefect)")
    res = CliRunner().invoke(app, ["close", "--period", "2026-10", "--inbox", str(write_inbox(tmp_path / "in")),
                                   "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("silnik plain: żaden serwer Prefect nie działa")
    assert "silnik: plain (bez Prefect)" in res.output.splitlines()[-1]
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")          # configured, but nothing answers
    assert server.auto_engine() == ("plain", "silnik plain: serwer Prefect http://127.0.0.1:9/api (PREFECT_API_URL) "
                                    "nie odpowiada; te same kroki bez Prefect")


def test_issue_26_a_server_skladki_started_is_found_by_its_record(tmp_path, monkeypatch):
    import os
    home = tmp_path / "prefect"
    home.mkdir()
    monkeypatch.setenv("PREFECT_HOME", str(home))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(server, "healthy", lambda api, timeout=0.5: api == "http://127.0.0.1:4555/api")
    assert server.auto_engine()[0] == "plain"                   # answering, but not started by skladki here
    (home / "server.pid").write_text("123", encoding="utf-8")
    (home / "server.url").write_text("http://127.0.0.1:4555/api", encoding="utf-8")
    assert server.auto_engine() == ("prefect", "Prefect: lokalny serwer http://127.0.0.1:4555 (skladki server start)")
    assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:4555/api"
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4555/api")
    assert server.auto_engine() == ("prefect", "Prefect: serwer http://127.0.0.1:4555/api (PREFECT_API_URL)")


def test_issue_26_the_server_is_detached_the_windows_way_on_windows(tmp_path, monkeypatch):
    """Simulated: the Popen options and the stop on Windows (a new process group without a
    console; taskkill of the tree), the POSIX session elsewhere."""
    import functools
    import subprocess
    assert server.detached("nt") == {"creationflags": 0x200 | 0x8}     # CREATE_NEW_PROCESS_GROUP | DETACHED_PROCESS
    assert server.detached("posix") == {"start_new_session": True}
    seen = {}

    class Started:
        pid = 4242

        def __init__(self, args, **kwargs):
            seen.update(kwargs, args=args)

        def poll(self):
            return None
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "a" / "b" / "prefect"))
    monkeypatch.setattr(server, "detached", functools.partial(server.detached, "nt"))
    monkeypatch.setattr(subprocess, "Popen", Started)
    answers = iter([False, True])
    monkeypatch.setattr(server, "healthy", lambda api, timeout=0.5: next(answers, False))
    assert server.start().startswith("serwer Prefect działa")
    assert seen["creationflags"] == 0x208 and "start_new_session" not in seen
    assert seen["args"][1:4] == ["-m", "prefect", "server"]
    assert (tmp_path / "a" / "b" / "prefect" / "server.pid").read_text().splitlines()[0] == "4242"
    ran = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: ran.append(args))
    server._terminate(4242, "nt")
    assert ran == [["taskkill", "/PID", "4242", "/T", "/F"]]


# ---------------------------------------------------------------- issue 27: stop kills only the server it started

def _home_with_pid(tmp_path, monkeypatch, content: str):
    home = tmp_path / "prefect"
    home.mkdir(parents=True)
    monkeypatch.setenv("PREFECT_HOME", str(home))
    monkeypatch.setattr(server, "healthy", lambda api, timeout=0.5: False)
    (home / "server.pid").write_text(content, encoding="utf-8")
    (home / "server.url").write_text("http://127.0.0.1:4555/api", encoding="utf-8")
    return home / "server.pid"


def _sleeper(*argv: str):
    """A live process in its own session, its command line saying ``argv``."""
    import subprocess
    import sys
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *argv], start_new_session=True)


def test_issue_27_server_stop_leaves_an_unrelated_process_alone_and_removes_the_stale_file(tmp_path, monkeypatch):
    other = _sleeper()                 # what the recorded number belongs to now (PID reuse)
    try:
        pid_file = _home_with_pid(tmp_path, monkeypatch, f"{other.pid}\n")
        out = server.stop()
        assert "serwer Prefect nie działa" in out and "nieaktualny plik usunięty" in out
        assert other.poll() is None and not pid_file.exists()
    finally:
        other.kill()
        other.wait()


def test_issue_27_server_stop_checks_the_start_time_recorded_with_the_pid(tmp_path, monkeypatch):
    server_like = _sleeper("prefect", "server", "start")
    try:
        started, command = server.identity(server_like.pid).split(" ", 1)
        assert "prefect server start" in command
        pid_file = _home_with_pid(tmp_path, monkeypatch, f"{server_like.pid}\n{int(started) + 1} {command}\n")
        assert "nieaktualny plik usunięty" in server.stop()      # the same number, a later process
        assert server_like.poll() is None and not pid_file.exists()
        _home_with_pid(tmp_path / "again", monkeypatch, f"{server_like.pid}\n{server.identity(server_like.pid)}\n")
        assert server.stop() == "serwer Prefect zatrzymany"      # the very process it started
        assert server_like.wait(timeout=10) is not None
    finally:
        server_like.kill()
        server_like.wait()


@pytest.mark.parametrize("content", ["0\n", "-1\n", "abc\n", "", "12 34\n", "٣\n"])
def test_issue_27_server_stop_refuses_a_pid_file_that_names_no_process(tmp_path, monkeypatch, content):
    import os

    from typer.testing import CliRunner

    from flows.cli import app
    signalled = []
    monkeypatch.setattr(os, "killpg", lambda pid, sig: signalled.append(pid))
    monkeypatch.setattr(os, "kill", lambda pid, sig: signalled.append(pid))
    pid_file = _home_with_pid(tmp_path, monkeypatch, content)
    res = CliRunner().invoke(app, ["server", "stop"])
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "to nie numer procesu serwera; żaden proces nie został zatrzymany, plik usunięty" in res.output
    assert signalled == [] and not pid_file.exists()


def test_issue_27_server_stop_of_a_process_that_ended(tmp_path, monkeypatch):
    gone = _sleeper()
    gone.kill()
    gone.wait()
    pid_file = _home_with_pid(tmp_path, monkeypatch, f"{gone.pid}\n{'1 x'}\n")
    assert "nieaktualny plik usunięty" in server.stop()
    assert not pid_file.exists()


@pytest.mark.parametrize("api", ["garbage", "http://[::1", "http://127.0.0.1:99999/api", "ftp://x/api"])
def test_issue_27_a_bad_prefect_api_url_is_one_polish_message(tmp_path, monkeypatch, api):
    from typer.testing import CliRunner

    from flows.cli import app
    from tests.conftest import write_inbox
    monkeypatch.setenv("PREFECT_API_URL", api)
    res = CliRunner().invoke(app, ["close", "--period", "2026-10", "--inbox", str(write_inbox(tmp_path / "in")),
                                   "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 1 and "nieoczekiwany" not in res.output and "Traceback" not in res.output, res.output
    assert f"błąd: PREFECT_API_URL '{api}' to nie adres serwera Prefect" in res.output
    assert not (tmp_path / "x.duckdb").exists()
    res = CliRunner().invoke(app, ["server", "status"])
    assert res.exit_code == 0 and f"PREFECT_API_URL '{api}' to nie adres serwera" in res.output


@pytest.mark.parametrize("option", ["--inbox", "--statements", "--delegates-inbox", "--officers", "--db", "--out"])
def test_issue_27_serve_refuses_a_path_its_runs_could_not_use(tmp_path, monkeypatch, option):
    from typer.testing import CliRunner

    from flows.cli import app
    monkeypatch.setattr(server, "auto_engine", lambda: pytest.fail("started serving"))
    (tmp_path / "plik").write_text("x", encoding="utf-8")
    args = {"--inbox": str(tmp_path), "--db": str(tmp_path / "x.duckdb")}
    args[option] = {"--db": str(tmp_path / "brak" / "x.duckdb"), "--out": str(tmp_path / "plik"),
                    "--officers": str(tmp_path / "brak.csv")}.get(option, "/nonexistent")
    res = CliRunner().invoke(app, ["serve", *[x for kv in args.items() for x in kv]])
    assert res.exit_code == 2, res.output
    assert option in res.output


def test_issue_27_the_identity_recorded_at_start_waits_for_the_new_command_line(monkeypatch):
    """Right after Popen returns, /proc may show the process with an empty command line (the exec
    still finishing): what is recorded is the server's, or stop would not recognise it."""
    seen = iter(["7 ", "7 ", "7 /usr/bin/python -m prefect server start --port 4200"])
    monkeypatch.setattr(server, "identity", lambda pid: next(seen))
    assert server._started(42) == "7 /usr/bin/python -m prefect server start --port 4200"
