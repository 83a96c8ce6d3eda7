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
    assert (tmp_path / "a" / "b" / "prefect" / "server.pid").read_text() == "4242"
    ran = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: ran.append(args))
    server._terminate(4242, "nt")
    assert ran == [["taskkill", "/PID", "4242", "/T", "/F"]]
