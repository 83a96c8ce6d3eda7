"""flows/server.py (issue 14): a local Prefect server with skladki's settings; commands use it
and say which server they use."""
from __future__ import annotations

from flows import server


def test_a_command_says_which_server_it_uses(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert server.choose_api() == "Prefect: serwer http://127.0.0.1:9/api (PREFECT_API_URL)"
    monkeypatch.delenv("PREFECT_API_URL")
    monkeypatch.setattr(server, "LOCAL_API", "http://127.0.0.1:9/api")      # nothing listens there
    assert server.choose_api().startswith("Prefect: uruchamianie tymczasowego lokalnego serwera (ok. 10 s;")


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
