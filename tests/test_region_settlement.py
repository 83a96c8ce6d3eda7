"""`skladki region-settlement` (flows/region_settlement.py, issue 29): its argument checks, and the
region file's document (transforms/settlement_file.build_region) summing its units under the
schema. The end-to-end path (regions' files imported at the national level, the same national
reconciliation and delegate verification as a central database) is tests/test_importing_national.py."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app
from transforms import settlement_file as sf
from transforms.errors import UserError


def _covered(unit_id: str, paying: int) -> dict:
    return {"unit": {"unit_id": unit_id, "name": f"KZ {unit_id}", "region_id": "GD", "voivodeship": "pomorskie",
                     "sheltered": False, "raised_pct": "100", "bank_account": None},
            "rulebook": "solidarnosc", "rulebook_version": "2024-01-01", "file_sha256": "a" * 64, "file_version": 1,
            "incomplete": False, "by_category": {"employee": paying, "pensioner": 1}, "owed_gr": 1000 * paying,
            "received_gr": 900 * paying, "allocations": [{"level": "unit", "amount_gr": 600 * paying}],
            "settlement": [{"level": "unit", "amount_gr": 540 * paying, "basis": "received", "corrects": None}]}


def _region_doc() -> dict:
    return sf.build_region(union="solidarnosc", rulebook="solidarnosc", rulebook_version="2024-01-01",
                           period="2026-10", version=1,
                           region={"region_id": "GD", "name": "Region Gdański", "bank_account": None,
                                   "transfer_title": None},
                           approved_at="2026-11-05T10:00:00", approved_via="polecenie skladki region-settlement",
                           incomplete=False, covered=[_covered("GD-0002", 3), _covered("GD-0001", 2)], transfers=[],
                           remitted_gr=0, run_id="r1", input_sha256=None)


def test_a_region_document_sums_its_units_and_follows_the_schema():
    doc = _region_doc()
    sf.validate(doc)
    assert doc["kind"] == "region" and doc["sha256"] == sf.digest(doc)
    assert doc["members"] == {"paying": 7, "by_category": {"employee": 5, "pensioner": 2}}
    assert doc["dues"]["owed_gr"] == 5000 and doc["dues"]["received_gr"] == 4500
    assert doc["allocations"] == [{"level": "unit", "amount_gr": 3000}]
    assert [c["unit"]["unit_id"] for c in doc["region"]["covered"]] == ["GD-0001", "GD-0002"]
    assert sf.read(sf.to_bytes(doc)) == doc


def test_only_a_region_file_has_the_region_block():
    doc = _region_doc()
    with pytest.raises(UserError) as e:
        sf.validate(sf.stamp({k: v for k, v in doc.items() if k != "region"}))
    assert e.value.code == "settlement_bad_schema"
    with pytest.raises(UserError):
        sf.validate(sf.stamp({**doc, "kind": "unit"}))


def test_the_commands_arguments_are_checked(tmp_path):
    res = CliRunner().invoke(app, ["region-settlement", "--period", "2026-10", "--db", str(tmp_path / "x.duckdb"),
                                   "--region", "GD"])
    assert res.exit_code == 1 and "--out" in res.output
    res = CliRunner().invoke(app, ["region-settlement", "--period", "2026-10", "--db", str(tmp_path / "x.duckdb"),
                                   "--region", "GD", "--out", str(tmp_path / "out")])
    assert res.exit_code == 1 and "x.duckdb" in res.output
