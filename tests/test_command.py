"""flows/command.py: the one skeleton — outputs appear only with the commit; a failure at any
step leaves the database and the output folder as they were."""
from __future__ import annotations

import pytest

from flows import store
from flows.command import Command, Step, run_plain


def _command(fail_at: str | None):
    def write(run):
        store.write(run.database(), "delegate_exceptions", store_frame())

    def report(run):
        run.output("a.txt").write_text("nowy", encoding="utf-8")
        run.output("sub/b.txt").write_text("nowy", encoding="utf-8")

    def boom(run):
        raise RuntimeError("injected")

    steps = [Step("store", write), Step("report", report)]
    if fail_at:
        steps.insert([s.name for s in steps].index(fail_at) + 1, Step("boom", boom))
    return Command("probe", "probe", tuple(steps), summary=lambda run: "")


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
