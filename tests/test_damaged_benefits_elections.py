"""Issue 27 point 7 for `benefits`, `eligibility` and `tally`: whatever their input files hold
(truncated, garbage bytes, another encoding, a column missing, rows twice, a huge field, odd
dates), the command answers — exit 0 with its invariants (every claim decided exactly once, every
vote accounted for), or exit 1/2 with a Polish message, the database and the output folder
unchanged. Never a traceback. Modelled on test_robustness.py (the close's damaged inbox)."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from flows.inbox import read_table
from tests.conftest import UNIT, close_plain, member, write_inbox
from tests.test_robustness import CORRUPTIONS, corrupt, state
from transforms.polish import identity

DAMAGE = CORRUPTIONS + ("cp1250", "utf16", "drop_column", "huge_field", "odd_dates", "duplicate_rows", "huge_amounts")
ODD_DATES = (b"9999-12-31", b"0001-01-01", b"2026-02-30", b"2026-W41-1", b"31.12.9999", b"20261010")
SETTINGS = hsettings(max_examples=int(__import__("os").environ.get("N27", 12)), deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def damage(path: Path, how: str, rng: random.Random) -> None:
    """test_robustness.corrupt and more: other encodings, a column gone from the header, a
    200 000-character field, impossible or far dates, the whole body twice."""
    data = path.read_bytes()
    if how in CORRUPTIONS:
        corrupt(path, how, rng)
        return
    if how == "cp1250":
        data = data.decode("utf-8", "replace").encode("cp1250", "replace")
    elif how == "utf16":
        data = data.decode("utf-8", "replace").encode("utf-16")
    elif how == "drop_column":
        head, _, body = data.partition(b"\n")
        cells = head.split(b",")
        cells.pop(rng.randrange(len(cells)))
        data = b",".join(cells) + b"\n" + body
    elif how == "huge_field":
        i = rng.randrange(len(data) + 1)
        data = data[:i] + b"x" * 200_000 + data[i:]
    elif how == "odd_dates":
        import re
        data = re.sub(rb"\d{4}-\d{2}-\d{2}", lambda m: rng.choice(ODD_DATES), data)
    elif how == "huge_amounts":           # every amount and count 20 digits long
        import re
        data = re.sub(rb"(?<![\d-])\d+(\.\d\d)?(?=[,\n\r]|$)", lambda m: b"18446744073710051616" + (m.group(1) or b""),
                      data)
    elif how == "duplicate_rows":
        head, _, body = data.partition(b"\n")
        data = head + b"\n" + body + (b"" if body.endswith(b"\n") else b"\n") + body
    path.write_bytes(data)


def invoke(args: list[str]):
    return CliRunner().invoke(app, [*args, "--engine", "plain"])


def answered(res, db: Path | None, out: Path, before) -> bool:
    """The contract every run keeps; True when it succeeded (its invariants are then checked)."""
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and "nieoczekiwany błąd" not in res.output, res.output
    assert res.exit_code in (0, 1, 2), res.output
    if res.exit_code != 0:
        assert "błąd: " in res.output or "Error" in res.output, res.output
        assert state(db if db else out / "-", out) == before
    return res.exit_code == 0


def copy(folder: Path, work: Path) -> Path:
    shutil.copytree(folder, work, dirs_exist_ok=True)
    return work


# ------------------------------------------------------------------ benefits

@pytest.fixture(scope="module")
def benefits_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("benefits")
    inbox = base / "inbox"
    inbox.mkdir()
    for name in ("units.csv", "members.csv", "benefit_claims.csv"):
        shutil.copy(settings.DEMO_INBOX / name, inbox / name)
    db, out = base / "b.duckdb", base / "out"
    assert invoke(["benefits", "--inbox", str(inbox), "--db", str(db), "--out", str(out),
                   "--date", "2026-11-15"]).exit_code == 0
    return inbox, db, out


def claims_in(path: Path) -> dict[str, str]:
    """The claims of a (damaged) file as the command numbers them: identity -> the stored id."""
    out: dict[str, str] = {}
    for r in read_table(path, "benefit_claims").to_dicts():
        cid = (r.get("claim_id") or "").strip()
        out.setdefault(identity(cid) if cid else f"wiersz {r['_row']}", cid or f"wiersz {r['_row']}")
    return out


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["units.csv", "members.csv", "benefit_claims.csv"]),
                          st.sampled_from(DAMAGE)), min_size=1, max_size=2), st.integers(0, 2**32))
@example([("benefit_claims.csv", "duplicate_rows")], 0)           # every claim id twice: none granted twice
@example([("units.csv", "drop_column")], 3)
@example([("units.csv", "huge_amounts"), ("benefit_claims.csv", "huge_amounts")], 0)
def test_issue_27_damaged_benefit_inputs_never_traceback_and_keep_the_contract(benefits_base, tmp_path_factory,
                                                                                 harm, seed):
    inbox0, db0, out0 = benefits_base
    work = tmp_path_factory.mktemp("case")
    inbox, db, out = copy(inbox0, work / "inbox"), work / "b.duckdb", copy(out0, work / "out")
    shutil.copy(db0, db)
    rng = random.Random(seed)
    for name, how in harm:
        damage(inbox / name, how, rng)
    before = state(db, out)
    res = invoke(["benefits", "--inbox", str(inbox), "--db", str(db), "--out", str(out), "--date", "2026-11-15"])
    if not answered(res, db, out, before):
        return
    claims = claims_in(inbox / "benefit_claims.csv")
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT claim_id, decision, amount, reason FROM benefit_decisions").fetchall()
    finally:
        con.close()
    stored = [r[0] for r in rows]
    assert len(stored) == len(set(stored))                     # one decision per claim id
    decided = {c: (d, a, why) for c, d, a, why in rows}
    for cid in claims.values():                                # every claim of the file decided
        d, amount, why = decided[cid]
        assert d in ("granted", "pending", "refused") and why
        assert (amount is not None and 0 < amount <= 40_000) if d == "granted" else amount is None


# ------------------------------------------------------------------ eligibility

@pytest.fixture(scope="module")
def eligibility_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("eligibility")
    members = [member("M1", full_name="Anna Nowak"), member("M2", joined_on="2026-09-01", full_name="Jan Kowal"),
               member("M3", left_on="2026-10-15", full_name="Ewa Lis")]
    inbox = write_inbox(base / "inbox", units=[UNIT], members=members,
                        income=[{"period": "2026-10", "member_id": m, "component": "wage", "amount": "5000.00"}
                                for m in ("M1", "M2", "M3")])
    db = base / "e.duckdb"
    assert close_plain("2026-10", inbox, db, unit_workbooks=False).ok
    files = base / "files"
    files.mkdir()
    shutil.copy(inbox / "members.csv", files / "members.csv")
    (files / "assembly.csv").write_text("member_id\nM1\nM2\n", encoding="utf-8")
    out = base / "out"
    args = ["eligibility", "--date", "2026-11-15", "--body", "U1", "--db", str(db)]
    assert invoke(args + ["--members", str(files / "members.csv"), "--out", str(out)]).exit_code == 0
    return files, db, out


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["members.csv", "assembly.csv"]), st.sampled_from(DAMAGE)),
                min_size=1, max_size=2), st.integers(0, 2**32), st.booleans())
def test_issue_27_damaged_eligibility_inputs_never_traceback_and_keep_the_contract(eligibility_base, tmp_path_factory,
                                                                                     harm, seed, with_assembly):
    files0, db, out0 = eligibility_base
    work = tmp_path_factory.mktemp("case")
    files, out = copy(files0, work / "files"), copy(out0, work / "out")
    rng = random.Random(seed)
    for name, how in harm:
        damage(files / name, how, rng)
    before = state(db, out)
    args = ["eligibility", "--date", "2026-11-15", "--body", "U1", "--db", str(db),
            "--members", str(files / "members.csv"), "--out", str(out)]
    res = invoke(args + (["--assembly", str(files / "assembly.csv")] if with_assembly else []))
    if not answered(res, db, out, before):
        return
    wb = openpyxl.load_workbook(out / "uprawnieni_U1_2026-11-15.xlsx")
    listed = [r[0] for r in wb["Głosowanie"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert sorted(listed) == ["M1", "M2", "M3"]                # every member of the register once
    vote = {r[0]: r[5] for r in wb["Głosowanie"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert vote["M3"] == "nie" and set(vote.values()) <= {"tak", "nie"}     # M3 left before the day


# ------------------------------------------------------------------ tally

@pytest.fixture(scope="module")
def tally_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("tally")
    votes, out = base / "votes.csv", base / "out"
    shutil.copy(settings.DEMO_INBOX / "votes.csv", votes)
    assert invoke(["tally", "--votes", str(votes), "--rules", "solidarnosc", "--out", str(out)]).exit_code == 0
    return votes, out


@SETTINGS
@given(st.lists(st.sampled_from(DAMAGE), min_size=1, max_size=2), st.integers(0, 2**32))
@example(["huge_amounts"], 0)
@example(["duplicate_rows"], 0)
def test_issue_27_damaged_protocols_never_traceback_and_account_for_every_vote(tally_base, tmp_path_factory,
                                                                               harm, seed):
    votes0, out0 = tally_base
    work = tmp_path_factory.mktemp("case")
    votes, out = work / "votes.csv", copy(out0, work / "out")
    shutil.copy(votes0, votes)
    rng = random.Random(seed)
    for how in harm:
        damage(votes, how, rng)
    before = state(out / "-", out)
    res = invoke(["tally", "--votes", str(votes), "--rules", "solidarnosc", "--out", str(out)])
    if not answered(res, None, out, before):
        return
    from reports.elections import result_name
    wb = openpyxl.load_workbook(out / result_name(votes))
    results = {r[0]: r for r in wb["Wyniki"].iter_rows(min_row=2, values_only=True) if r[0]}
    cast: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for election, candidate, n, _share, result in wb["Kandydaci"].iter_rows(min_row=2, values_only=True):
        if not election:
            continue
        assert (election, identity(candidate)) not in seen     # each candidate once per vote
        seen.add((election, identity(candidate)))
        assert result
        cast[election] = cast.get(election, 0) + n
    for election, r in results.items():
        valid, seats = r[5], r[7]
        assert 0 <= cast[election] <= valid * seats            # no more votes than the ballots carry
