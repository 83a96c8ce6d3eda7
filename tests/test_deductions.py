"""transforms/deductions.py: deducted vs computed per member, summed across employers."""
import polars as pl

from transforms.deductions import deduction_check


def test_two_employers_are_summed_and_a_blocked_member_has_no_computed_figure():
    deductions = [{"period": "2026-10", "member_id": "M1", "source": "a.csv", "deducted": 500, "_row": 1},
                  {"period": "2026-10", "member_id": "M1", "source": "b.csv", "deducted": 341, "_row": 1},
                  {"period": "2026-10", "member_id": "M2", "source": "a.csv", "deducted": 100, "_row": 2},
                  {"period": "2026-09", "member_id": "M2", "source": "a.csv", "deducted": 999, "_row": 3}]
    dues = pl.DataFrame({"member_id": ["M1"], "total": [841]})
    members = pl.DataFrame({"member_id": ["M1", "M2"], "unit_id": ["U1", "U1"]})
    out = deduction_check(deductions, dues, members, "2026-10")
    assert out.select("member_id", "source", "deducted", "computed", "difference").rows() == [
        ("M1", "a.csv, b.csv", 841, 841, 0), ("M2", "a.csv", 100, None, None)]
