"""flows/settlement_out.py (issue 29): `skladki approve --out` writes each approved unit's settlement
file beside its PDF, `skladki documents` writes the current version again, a draft month gets none,
and no file carries a PESEL, a person's name, a member number or a salary."""
from __future__ import annotations

import csv
import json
import re
import shutil

import duckdb
import pytest

from flows import settings
from flows.command import run_plain
from flows.documents import DOCUMENTS
from flows.rules import rules_for
from tests.conftest import approve_plain, close_plain
from transforms import settlement_file as sf

PERIOD = "2026-10"


@pytest.fixture(scope="module")
def approved(tmp_path_factory):
    """The demo closed for October; SL-0001 and GD-0001 approved with --out (the rest drafts)."""
    tmp = tmp_path_factory.mktemp("settlement_out")
    db, out = tmp / "s.duckdb", tmp / "out"
    assert close_plain(PERIOD, settings.DEMO_INBOX, db, unit_workbooks=False).ok
    done = approve_plain(PERIOD, db, ["SL-0001", "GD-0001"], by="Jan Kowalski", out=out)
    assert done.ok, done
    return db, out


def files(folder):
    return sorted(p.name for p in (folder / "jednostki").glob("*.json"))


def test_approve_out_writes_one_file_per_approved_unit_beside_its_pdf(approved):
    db, out = approved
    assert files(out) == ["rozliczenie_GD-0001_2026-10_v1.json", "rozliczenie_SL-0001_2026-10_v1.json"]
    for unit in ("GD-0001", "SL-0001"):
        assert (out / "jednostki" / f"rozliczenie_{unit}_{PERIOD}.pdf").exists()
    con = duckdb.connect(str(db), read_only=True)
    issued = con.execute("SELECT unit_id, period, version, file_name FROM settlement_issued ORDER BY 1").fetchall()
    con.close()
    assert issued == [("GD-0001", PERIOD, 1, "rozliczenie_GD-0001_2026-10_v1.json"),
                      ("SL-0001", PERIOD, 1, "rozliczenie_SL-0001_2026-10_v1.json")]


def test_the_file_reads_back_and_its_split_and_transfers_follow_from_its_totals(approved):
    db, out = approved
    rules = rules_for(PERIOD)
    con = duckdb.connect(str(db), read_only=True)
    for path in (out / "jednostki").glob("*.json"):
        doc = sf.read(path.read_bytes(), path.name)
        version = rules.version(doc["rulebook"])
        sf.check_split(doc, version, path.name)
        sf.check_transfers(doc, version, path.name)
        unit = doc["unit"]["unit_id"]
        assert (doc["period"], doc["version"], doc["approved_via"]) == (PERIOD, 1, "polecenie skladki approve")
        stored = con.execute("SELECT level, CAST(amount * 100 AS BIGINT) FROM settlement WHERE period = ? "
                             "AND unit_id = ? AND basis <> 'correction' ORDER BY level", [PERIOD, unit]).fetchall()
        assert sorted((r["level"], r["amount_gr"]) for r in doc["settlement"] if r["basis"] != "correction") == stored
        paid = con.execute("SELECT payee, CAST(amount * 100 AS BIGINT), due_on FROM transfers WHERE period = ? "
                           "AND payer_id = ? ORDER BY payee", [PERIOD, unit]).fetchall()
        assert [(t["level"], t["amount_gr"], t["due_on"]) for t in doc["transfers"]] == \
            [(p, a, d.isoformat()) for p, a, d in paid]
        owed, members = con.execute("SELECT CAST(sum(total) * 100 AS BIGINT), count(*) FROM dues "
                                    "WHERE period = ? AND unit_id = ?", [PERIOD, unit]).fetchone()
        assert (doc["dues"]["owed_gr"], doc["members"]["paying"]) == (owed, members)
        assert "approved_by" not in doc and "Jan Kowalski" not in path.read_text(encoding="utf-8")
    con.close()


def test_documents_writes_the_same_version_again_and_never_a_drafts(approved, tmp_path):
    db, out = approved
    again = run_plain(DOCUMENTS, period=PERIOD, db=db, out=tmp_path / "docs", units=None, members=None)
    assert again.ok and again.result.files == 2
    assert files(tmp_path / "docs") == files(out)          # SL-0002 … are drafts: no file
    for name in files(out):
        assert (tmp_path / "docs" / "jednostki" / name).read_bytes() == (out / "jednostki" / name).read_bytes()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM settlement_issued").fetchone() == (2,)
    con.close()


def test_a_changed_approved_month_is_issued_as_the_next_version(tmp_path):
    db = tmp_path / "s.duckdb"
    assert close_plain(PERIOD, settings.DEMO_INBOX, db, unit_workbooks=False).ok
    assert approve_plain(PERIOD, db, ["SL-0001"], out=tmp_path / "a").ok
    first = (tmp_path / "a" / "jednostki" / "rozliczenie_SL-0001_2026-10_v1.json").read_bytes()
    # the approved month's figures change (here: its approval is stamped anew, as a re-approval does)
    con = duckdb.connect(str(db))
    con.execute("UPDATE unit_months SET approved_at = approved_at + INTERVAL 1 DAY WHERE unit_id = 'SL-0001'")
    con.close()
    assert run_plain(DOCUMENTS, period=PERIOD, db=db, out=tmp_path / "b", units=["SL-0001"], members=None).ok
    assert files(tmp_path / "b") == ["rozliczenie_SL-0001_2026-10_v2.json"]
    second = sf.read((tmp_path / "b" / "jednostki" / "rozliczenie_SL-0001_2026-10_v2.json").read_bytes())
    assert second["version"] == 2 and second["sha256"] != json.loads(first)["sha256"]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT version FROM settlement_issued ORDER BY version").fetchall() == [(1,), (2,)]
    con.close()


def test_no_pesel_name_member_number_or_salary_in_any_settlement_file(approved, tmp_path):
    db, out = approved
    assert run_plain(DOCUMENTS, period=PERIOD, db=db, out=tmp_path, units=None, members=None).ok
    texts = {p.name: p.read_bytes().decode("utf-8") for d in (out, tmp_path) for p in (d / "jednostki").glob("*.json")}
    assert texts
    with (settings.DEMO_INBOX / "members.csv").open(encoding="utf-8") as f:
        people = list(csv.DictReader(f))
    con = duckdb.connect(str(db), read_only=True)
    bases = {b for (b,) in con.execute("SELECT CAST(base * 100 AS BIGINT) FROM dues WHERE base > 0").fetchall()}
    salaries = {a for (a,) in con.execute("SELECT CAST(amount * 100 AS BIGINT) FROM income_lines WHERE amount > 0")
                .fetchall()}
    con.close()
    assert people and bases
    for name, text in texts.items():
        for p in people:
            # the full name both ways round (a lone surname may be a place: Region Śląsko-Dąbrowski)
            for value in (p["member_id"], p["pesel"], p["full_name"], " ".join(reversed(p["full_name"].split()))):
                assert not value or value not in text, (name, value)
        numbers = {int(n) for n in re.findall(r"(?<![\w.-])-?\d+(?![\w.-])", text)}
        for figure in bases | salaries:
            written = f"{figure // 100},{figure % 100:02d}"
            assert figure not in numbers and written not in text, (name, figure)


def test_an_approved_month_closed_again_and_the_next_month_carrying_its_correction(tmp_path):
    """September approved (file v1), then A's wage corrected and September closed again: its
    approved settlement stays, so its file's split still follows from its totals (v2: the owed
    figures changed); October, approved, carries the correction and its transfers include it."""
    from tests.test_months import P1, P2, close, unit_inbox
    inbox, db = unit_inbox(tmp_path / "in", "U1"), tmp_path / "s.duckdb"
    close(P1, inbox, db)
    assert approve_plain(P1, db, ["U1"], out=tmp_path / "a").ok
    final = unit_inbox(tmp_path / "final", "U1", wages={"A": "6000.00"}, changed_in=(P1,))
    shutil.rmtree(inbox)
    shutil.copytree(final, inbox)
    close(P1, inbox, db)
    close(P2, inbox, db)
    assert approve_plain(P2, db, ["U1"], out=tmp_path / "b").ok
    assert run_plain(DOCUMENTS, period=P1, db=db, out=tmp_path / "c", units=None, members=None).ok
    rules = {p: rules_for(p) for p in (P1, P2)}
    sept1 = sf.read((tmp_path / "a" / "jednostki" / "rozliczenie_U1_2026-09_v1.json").read_bytes())
    sept2 = sf.read((tmp_path / "c" / "jednostki" / "rozliczenie_U1_2026-09_v2.json").read_bytes())
    octo = sf.read((tmp_path / "b" / "jednostki" / "rozliczenie_U1_2026-10_v1.json").read_bytes())
    for doc in (sept1, sept2, octo):
        version = rules[doc["period"]].version(doc["rulebook"])
        sf.check_split(doc, version)
        sf.check_transfers(doc, version)
    assert sept2["settlement"] == sept1["settlement"] and sept2["dues"]["split_base_gr"] == \
        sept1["dues"]["split_base_gr"]
    assert sept2["dues"]["owed_gr"] > sept1["dues"]["owed_gr"]
    assert {c["corrected_period"] for c in octo["corrections"]} == {P1}
    moved = sum(r["amount_gr"] for r in octo["settlement"] if r["basis"] == "correction" and r["level"] != "unit")
    assert moved == 328 and all(r["corrects"] == P1 for r in octo["settlement"] if r["basis"] == "correction")
