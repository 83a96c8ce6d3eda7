"""flows/replay.py (issue 27): replay tells a recorded re-close from a changed database — a
re-closed month (draft or approved) replays as "zgodne", a row edited outside the program is named.
More replay cases: tests/test_archive.py; replay under damaged inputs: tests/test_months_round3.py."""
from __future__ import annotations

import duckdb
import pytest

from tests.test_months import P1, P2, cli, close, dump, scalar
from tests.test_months_round3 import replay, runs, three_months


@pytest.mark.parametrize("approved", [False, True], ids=["draft", "approved"])
def test_replay_tells_a_recorded_reclose_from_a_tampered_database(tmp_path, approved):
    """September and October closed (September approved or not); September closed again with A's
    deduction 41.00 — October is closed again in the same run (an approved September: its
    difference goes into October as a correction). Every recorded run replays as "zgodne"; then a
    settlement row edited directly in the database is named by the replay (exit 1)."""
    inbox, db = three_months(tmp_path / "in"), tmp_path / "s.duckdb"
    close(P1, inbox, db)
    if approved:
        cli("approve", "--period", P1, "--db", str(db), "--unit", "U1", "--by", "Skarbnik")
    close(P2, inbox, db)
    final = three_months(tmp_path / "final", deducted="41.00")
    close(P1, final, db)
    if approved:
        assert scalar(db, "SELECT count(*) FROM settlement WHERE basis = 'correction' AND period = ?", [P2]) > 0
    assert [p for _, p, _ in runs(db)] == [P1, P2, P1, P2]
    for run, period, _ in runs(db):
        res = replay(db, run)
        assert res.exit_code == 0, (period, res.output)
        assert "zgodne" in res.output
    latest = runs(db)[-1][0]
    con = duckdb.connect(str(db))
    con.execute("UPDATE settlement SET amount = amount + 1 WHERE period = ? AND unit_id = 'U1' AND level = 'region' "
                "AND basis <> 'correction'", [P2])
    con.close()
    before = dump(db)
    res = replay(db, latest)
    assert res.exit_code == 1, res.output
    assert "settlement" in res.output and "U1" in res.output and "region" in res.output
    assert dump(db) == before
