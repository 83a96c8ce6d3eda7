"""`skladki synth`: deterministic and valid."""
from __future__ import annotations

from flows.synth import write_inbox
from tests.conftest import run_close


def test_same_seed_same_bytes_and_a_clean_close(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    counts = write_inbox(a, 700, "2026-10", seed=7)
    write_inbox(b, 700, "2026-10", seed=7)
    for name in ("units.csv", "members.csv", "adjustments.csv", "income/payroll.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    r = run_close(a)
    assert counts["members"] == 700
    assert r.exceptions.height == 0
    assert r.dues.height == 700
    assert r.rows_read == r.rows_used


def test_other_seed_other_inbox(tmp_path):
    write_inbox(tmp_path / "a", 50, "2026-10", seed=1)
    write_inbox(tmp_path / "b", 50, "2026-10", seed=2)
    assert (tmp_path / "a/members.csv").read_bytes() != (tmp_path / "b/members.csv").read_bytes()
