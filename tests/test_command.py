"""flows/command.py: the one skeleton — outputs appear only with the commit; a failure at any
step leaves the database and the output folder as they were."""
from __future__ import annotations

import pytest

from dataclasses import dataclass
from pathlib import Path

from flows import store
from flows.command import Command, Computed, Params, option, pure, run_plain


@dataclass(frozen=True, kw_only=True)
class ProbeParams(Params):
    db: Path = option("baza")
    out: Path = option("folder")


def _command(fail_at: str | None):
    """read → compute → store → report, the value handed on from each step to the next."""
    def read(run):
        return 2

    def compute(run, inputs):
        return inputs * 10

    def write(run, result):
        assert result == 20
        store.write(run.database(), "delegate_exceptions", store_frame())
        if fail_at == "store":
            raise RuntimeError("injected")
        return result + 1

    def report(run, result):
        assert result == 21
        run.output("a.txt").write_text("nowy", encoding="utf-8")
        run.output("sub/b.txt").write_text("nowy", encoding="utf-8")
        if fail_at == "report":
            raise RuntimeError("injected")

    return Command(name="probe", flow_name="probe", params=ProbeParams, help="próba", read=read, compute=compute,
                   store=write, report=report, summary=lambda run, result: f"wynik {result}")


def test_a_pure_compute_gets_the_inputs_only_and_its_store_both(tmp_path):
    """``compute=pure(f)``: the engine calls ``f(inputs)`` (no run) and hands the store step
    ``Computed(inputs, result)`` (issue 28: the close's compute is transforms/close.py's ``month``)."""
    seen = []

    def keep(run, computed):
        seen.append(computed)
        return computed.result + 1

    command = Command(name="probe", flow_name="probe", params=ProbeParams, help="próba", read=lambda run: 2,
                      compute=pure(lambda inputs: inputs * 10), store=keep, summary=lambda run, result: "")
    outcome = run_plain(command, db=tmp_path / "x.duckdb", out=tmp_path / "out")
    assert outcome.ok and outcome.result == 21
    assert seen == [Computed(2, 20)] and seen[0].inputs == 2 and seen[0].result == 20


def store_frame():
    from schemas.tables import TABLES
    return TABLES["delegate_exceptions"].frame([{"source": "x", "row": 1, "region_id": "R", "reason_code": "bad_wage",
                                                 "message": "m"}])


def count(db):
    with store.read_only(db) as con:
        return con.execute("SELECT count(*) FROM delegate_exceptions").fetchone()[0]


def test_outputs_and_rows_appear_together(tmp_path):
    out = tmp_path / "out"
    outcome = run_plain(_command(None), db=tmp_path / "x.duckdb", out=out)
    assert outcome.ok and (out / "a.txt").read_text(encoding="utf-8") == "nowy" and (out / "sub" / "b.txt").exists()
    assert outcome.result == 21 and outcome.run.command.summary(outcome.run, outcome.result) == "wynik 21"
    assert count(tmp_path / "x.duckdb") == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "sub"]      # no staging folder left


@pytest.mark.parametrize("fail_at", ["store", "report"])
def test_a_failure_after_any_step_leaves_database_and_folder_as_before(tmp_path, fail_at):
    db, out = tmp_path / "x.duckdb", tmp_path / "out"
    run_plain(_command(None), db=db, out=out)
    (out / "a.txt").write_text("stary", encoding="utf-8")
    with pytest.raises(RuntimeError, match="injected"):
        run_plain(_command(fail_at), db=db, out=out)
    assert count(db) == 1 and (out / "a.txt").read_text(encoding="utf-8") == "stary"
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "sub"]


def test_a_failing_commit_restores_the_replaced_files(tmp_path, monkeypatch):
    db, out = tmp_path / "x.duckdb", tmp_path / "out"
    run_plain(_command(None), db=db, out=out)
    (out / "a.txt").write_text("stary", encoding="utf-8")

    def failing_commit(con):
        store.rollback(con)
        raise OSError("dysk pełny")

    monkeypatch.setattr(store, "commit", failing_commit)
    outcome = run_plain(_command(None), db=db, out=out)
    assert not outcome.ok and outcome.message.endswith(
        ": nie można zapisać (dysk pełny). Zamknij plik, jeśli jest otwarty w Excelu, sprawdź uprawnienia i wolne "
        "miejsce; baza danych i folder wyników są takie jak przed uruchomieniem.")
    assert (out / "a.txt").read_text(encoding="utf-8") == "stary" and count(db) == 1


def test_a_failed_first_run_leaves_no_database_file_behind(tmp_path):
    db = tmp_path / "new.duckdb"
    with pytest.raises(RuntimeError, match="injected"):
        run_plain(_command("store"), db=db, out=tmp_path / "out")
    assert not db.exists() and not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
