"""Issue 27 ("Nothing lost, round 3"), statements: reconciliation at every level knows whose
statement it reads (a statement of another account is refused at that level, the stored results
of the level are never overwritten by it), the same transaction downloaded twice is counted once,
a monstrous line is one exception row, edge periods are usage errors, and whatever the statement
folder holds, reconcile answers: exit 0 with Σ matched + Σ unmatched = Σ credits, or exit 1/2 with
the database and outputs unchanged."""
from __future__ import annotations

import hashlib
import random
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from flows.command import run_plain
from flows.reconcile import RECONCILE, reconcile_levels
from tests.conftest import close_demo_months
from tests.test_reconcile_levels import nothing_dropped, statuses
from transforms.statements import bank_account_iban

STATEMENTS = settings.DEMO_INBOX / "statements"
NATIONAL = settings.DEMO_INBOX / "statements_krajowe"
SL, GD = "PL95102023130000310200123456", "PL48124010371111001099887766"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    return close_demo_months(tmp_path_factory.mktemp("round3") / "demo.duckdb")


@pytest.fixture
def db(demo_db, tmp_path):
    """A copy of the closed demo months, so that a test may write."""
    shutil.copy(demo_db, tmp_path / "demo.duckdb")
    return tmp_path / "demo.duckdb"


def folder(tmp_path: Path, name: str, *files: Path) -> Path:
    out = tmp_path / name
    out.mkdir()
    for f in files:
        shutil.copy(f, out / f.name)
    return out


def run(db, statements, out=None, **kw):
    return run_plain(RECONCILE, period="2026-10", statements=statements, db=db, out=out, **kw)


def cli(*args: str):
    return CliRunner().invoke(app, ["reconcile", *args, "--engine", "plain"])


def state(db: Path, out: Path | None = None) -> tuple[str, list]:
    digest = hashlib.sha256(db.read_bytes()).hexdigest() if db.exists() else ""
    files = sorted((str(p.relative_to(out)), p.read_bytes()) for p in out.rglob("*") if p.is_file()) \
        if out is not None and out.exists() else []
    return digest, files


def codes(res) -> list[str]:
    return [i.reason_code for i in res.issues]


# ------------------------------------------------------------------ 1. statements know their level

def test_the_national_board_account_is_rulebook_data_and_the_demo_statement_is_its():
    accounts = reconcile_levels("2026-10")["national"]["accounts"]
    assert accounts and all(bank_account_iban(a) == a for a in accounts)
    assert any(f":25:/{a}".encode() in (NATIONAL / "kk_mt940.sta").read_bytes() for a in accounts)


def test_national_level_refuses_the_regions_own_statements_and_uses_the_rest(db, tmp_path):
    alone = run(db, NATIONAL, level="national")
    assert alone.ok, alone.message
    mixed = folder(tmp_path, "mixed", NATIONAL / "kk_mt940.sta", STATEMENTS / "slaski_mt940.sta",
                   STATEMENTS / "gdanski_ing.csv")
    got = run(db, mixed, level="national")
    assert got.ok, got.message
    res = got.result
    assert statuses(res) == statuses(alone.result)
    assert {c["statement"] for c in res.credits} == {"kk_mt940.sta"}
    refused = sorted((i.source, i.message) for i in res.issues if i.reason_code == "statement_wrong_account")
    assert [s for s, _ in refused] == ["gdanski_ing.csv", "slaski_mt940.sta"]
    gd, sl = (m for _, m in refused)
    assert GD in gd and SL in sl and all("poziom krajowy" in m for m in (gd, sl))
    accounts = reconcile_levels("2026-10")["national"]["accounts"]
    assert all(a in m for a in accounts for m in (gd, sl))          # which account was expected
    nothing_dropped(res)


def test_only_the_regions_statements_at_the_national_level_overwrite_nothing(db, tmp_path):
    assert run(db, NATIONAL, level="national").ok
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("x")
    before = state(db, out)
    res = cli("--period", "2026-10", "--statements", str(STATEMENTS), "--db", str(db), "--out", str(out),
              "--level", "national")
    assert res.exit_code == 1, res.output
    assert "slaski_mt940.sta" in res.output and "gdanski_ing.csv" in res.output and SL in res.output
    assert "Traceback" not in res.output and "nic nie zostało zapisane" in res.output
    assert state(db, out) == before


def test_a_region_refuses_another_regions_statement(db):
    got = run(db, STATEMENTS, region_id="SL")
    assert got.ok, got.message
    res = got.result
    assert {c["statement"] for c in res.credits} == {"slaski_mt940.sta"}
    (refused,) = [i for i in res.issues if i.reason_code == "statement_wrong_account"]
    assert refused.source == "gdanski_ing.csv" and GD in refused.message and SL in refused.message
    assert "region SL" in refused.message
    nothing_dropped(res)


def test_the_regions_level_refuses_the_national_boards_statement(db, tmp_path):
    mixed = folder(tmp_path, "mixed", NATIONAL / "kk_mt940.sta", STATEMENTS / "slaski_mt940.sta",
                   STATEMENTS / "gdanski_ing.csv")
    res = run(db, mixed).result
    assert [i.source for i in res.issues if i.reason_code == "statement_wrong_account"] == ["kk_mt940.sta"]
    assert statuses(res) == statuses(run(db, STATEMENTS).result)


def test_a_level_whose_accounts_are_not_all_known_refuses_nothing():
    """A region without a valid account in regions.csv: its statement cannot be told from
    another's, so at a scope covering it no statement is refused (the accounts are unknown)."""
    from flows.reconcile import region_accounts
    regions = [{"region_id": "SL", "bank_account": SL[2:]}, {"region_id": "GD", "bank_account": "123"}]
    assert region_accounts(regions, {"SL"}) == {SL}
    assert region_accounts(regions, {"SL", "GD"}) == set() == region_accounts(regions, {"SL", "XX"})


# ------------------------------------------------------------------ 2. the same transaction in two files

def redownloaded_ing(path: Path, target: Path) -> None:
    """The same ING export downloaded a day later: another "Wygenerowany dnia", LF line ends."""
    text = path.read_bytes().decode("cp1250").replace('"2026-12-05"', '"2026-12-06"', 1).replace("\r\n", "\n")
    target.write_bytes(text.encode("cp1250"))


def test_a_bank_csv_downloaded_twice_is_counted_once_and_said_once(db, tmp_path):
    once = run(db, STATEMENTS, region_id="GD").result
    twice = folder(tmp_path, "twice", STATEMENTS / "gdanski_ing.csv")
    redownloaded_ing(STATEMENTS / "gdanski_ing.csv", twice / "gdanski_ing (1).csv")
    res = run(db, twice, region_id="GD").result
    assert statuses(res) == statuses(once)
    assert sum(c["amount"] for c in res.credits) == sum(c["amount"] for c in once.credits)
    (dup,) = [i for i in res.issues if i.reason_code == "duplicate_transaction"]
    assert dup.source == "gdanski_ing.csv" and "gdanski_ing (1).csv" in dup.message
    nothing_dropped(res)


def test_an_mt940_statement_given_twice_with_other_bytes_is_counted_once(db, tmp_path):
    once = run(db, STATEMENTS, region_id="SL").result
    twice = folder(tmp_path, "twice", STATEMENTS / "slaski_mt940.sta")
    raw = (STATEMENTS / "slaski_mt940.sta").read_bytes().replace(b"\r\n", b"\n").replace(b":28C:00011/001",
                                                                                        b":28C:00012/001")
    (twice / "slaski_kopia.sta").write_bytes(raw)
    res = run(db, twice, region_id="SL").result
    assert statuses(res) == statuses(once)
    assert len([c for c in res.credits if c["direction"] == "credit"]) == \
        len([c for c in once.credits if c["direction"] == "credit"])
    assert codes(res).count("duplicate_transaction") == 1
    nothing_dropped(res)


def test_two_identical_transactions_within_one_file_stay_two(db, tmp_path):
    """Banks list genuine repeats (two transfers of the same amount and title on one day); only
    the same transaction in two files is one."""
    one = folder(tmp_path, "one")
    lines = (STATEMENTS / "gdanski_ing.csv").read_bytes().decode("cp1250").split("\r\n")
    first = next(i for i, ln in enumerate(lines) if ln.startswith("2026-10-20"))
    lines.insert(first + 1, lines[first])
    (one / "gdanski_ing.csv").write_bytes("\r\n".join(lines).encode("cp1250"))
    res = run(db, one, region_id="GD").result
    assert "duplicate_transaction" not in codes(res)
    assert [c["booking_date"].isoformat() for c in res.credits].count("2026-10-20") == 2
    assert statuses(res)["GD-0001", "2026-09"] == "over"
    nothing_dropped(res)


def test_a_transaction_counts_as_often_as_the_one_file_listing_it_most():
    from datetime import date
    from transforms.statements import repeated_across_files

    def e(n, title="Składki 10/2026", own=SL):
        return {"entry": n, "own_account": own, "booking_date": date(2026, 11, 20), "amount": 100,
                "account": None, "counterparty": "Huta", "title": title}
    kept, repeats = repeated_across_files([("a.csv", [e(1), e(2)]), ("b.csv", [e(7), e(8), e(9)]),
                                           ("c.sta", [e(1, " składki  10/2026 "), e(2, own=GD)])])
    assert [x["entry"] for x in kept] == [1, 2, 9, 2]
    assert repeats == {("b.csv", "a.csv"): [7, 8], ("c.sta", "a.csv"): [1]}


# ------------------------------------------------------------------ 3. a monstrous line is one exception row

GENERIC = "Data księgowania;Kwota;Rachunek kontrahenta;Nazwa kontrahenta;Tytuł"


@pytest.mark.parametrize("monster", ['18.11.2026;"12345678901234567890,00";;X;"duzo"',
                                     '18.11.2026;"1,00";;X;"' + "A" * 200_000 + '"',
                                     '18.11.2026;"1,00";;' + "B" * 200_000 + ';"tytul"'])
def test_a_monstrous_bank_csv_line_is_one_exception_row_and_the_rest_is_used(db, tmp_path, monster):
    good = '20.11.2026;"100,00";07109010140000000000000001;Huta;"KZ SL-0001 skł 10/26"'
    one = folder(tmp_path, "one")
    (one / "w.csv").write_bytes("\r\n".join([GENERIC, good, monster, good.replace("20.11", "21.11")])
                                .encode("cp1250"))
    out = run(db, one, region_id="SL")
    assert out.ok, out.message
    res = out.result
    (bad,) = [i for i in res.issues if i.reason_code == "bad_statement_row"]
    assert (bad.source, bad.row) == ("w.csv", 3) and len(bad.message) < 500
    assert [c["amount"] for c in res.credits] == [10_000, 10_000]
    nothing_dropped(res)


def test_an_mt940_entry_above_the_credible_limit_is_one_exception_row_never_summed(db, tmp_path):
    """MT940 allows 12 digits before the comma (999 999 999 999,99 zł): read, never a number to sum."""
    one = folder(tmp_path, "one")
    raw = (STATEMENTS / "slaski_mt940.sta").read_bytes()
    first = raw.index(b":61:")
    amount = raw.index(b"N", first + 14)        # :61:YYMMDDMMDDCN<amount>
    end = raw.index(b",", amount)
    (one / "w.sta").write_bytes(raw[:amount + 1] + b"999999999999" + raw[end:])
    out = run(db, one, region_id="SL")
    assert out.ok, out.message
    res = out.result
    (bad,) = [i for i in res.issues if i.reason_code == "bad_statement_entry"]
    assert bad.row == 5 and "10 000 000,00 zł" in bad.message
    assert len(res.credits) == 5 and max(c["amount"] for c in res.credits) < 10**9
    nothing_dropped(res)


# ------------------------------------------------------------------ 4. edge periods are usage errors

@pytest.mark.parametrize("period", ["0000-01", "9999-13", "2026-00", "２０２６-10", "2026-1０", "0000-00"])
def test_an_edge_period_is_a_usage_message_naming_the_option(db, period):
    before = state(db)
    res = cli("--period", period, "--statements", str(STATEMENTS), "--db", str(db))
    assert res.exit_code == 2, res.output
    assert "--period" in res.output and "Traceback" not in res.output and "nieoczekiwany" not in res.output
    assert state(db) == before


# ------------------------------------------------------------------ 5. a reconcile that fails writes nothing

@pytest.mark.parametrize("failing", ["workbook", "store"])
def test_a_reconcile_failing_after_the_read_writes_nothing(db, tmp_path, monkeypatch, failing):
    out = tmp_path / "out"
    assert cli("--period", "2026-10", "--statements", str(STATEMENTS), "--db", str(db), "--out",
               str(out)).exit_code == 0
    before = state(db, out)
    from flows import store
    from reports import reconcile as reconcile_reports

    def boom(*a, **k):
        raise OSError(28, "No space left on device", "x.xlsx")
    if failing == "workbook":
        monkeypatch.setattr(reconcile_reports, "write_reconcile_workbooks", boom)
    else:
        monkeypatch.setattr(store, "write", boom)
    res = cli("--period", "2026-10", "--statements", str(STATEMENTS), "--db", str(db), "--out", str(out),
              "--region", "SL")
    assert res.exit_code == 1 and "nic nie zostało zapisane" in res.output, res.output
    assert state(db, out) == before


# ------------------------------------------------------------------ 6. damaged statement folders never traceback

DAMAGE = ("truncate", "garbage", "utf8", "utf16", "no_header", "huge_field", "huge_amount", "swap_columns",
          "empty", "duplicate", "crlf")


def damage(path: Path, how: str, rng: random.Random) -> None:
    data = path.read_bytes()
    lines = data.split(b"\n")
    if how == "truncate":
        data = data[:rng.randrange(len(data) + 1)]
    elif how == "garbage":
        i = rng.randrange(len(data) + 1)
        data = data[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))) + data[i:]
    elif how == "utf8":
        data = data.decode("cp1250", errors="replace").encode("utf-8")
    elif how == "utf16":
        data = data.decode("cp1250", errors="replace").encode("utf-16")
    elif how == "no_header":
        data = b"\n".join(ln for ln in lines if not (b"Data ksi" in ln or ln.startswith((b":20:", b":25:", b":60F:"))))
    elif how == "huge_field":
        i = rng.randrange(len(lines))
        lines[i] = lines[i] + b"X" * 200_000
        data = b"\n".join(lines)
    elif how == "huge_amount":
        data = re.sub(rb"(:61:\d{10}[CD][A-Z]?)\d+", rb"\g<1>999999999999", data.replace(b";1", b";12345678901234567890", 1),
                      count=1)
    elif how == "swap_columns":
        data = b"\n".join(b";".join(reversed(ln.split(b";"))) if rng.random() < 0.5 else ln for ln in lines)
    elif how == "empty":
        data = b""
    elif how == "duplicate":
        path.with_name("kopia_" + path.name).write_bytes(data.replace(b"\r\n", b"\n"))
    elif how == "crlf":
        data = data.replace(b"\r\n", b"\r")
    path.write_bytes(data)


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["slaski_mt940.sta", "gdanski_ing.csv", "kk_mt940.sta"]),
                          st.sampled_from(DAMAGE)), min_size=1, max_size=3),
       st.sampled_from([{}, {"region_id": "SL"}, {"level": "national"}]), st.integers(0, 2**32))
def test_damaged_statement_folders_never_traceback_and_keep_the_contract(demo_db, tmp_path_factory, harm, scope,
                                                                          seed):
    work = tmp_path_factory.mktemp("damaged")
    statements = folder(work, "statements", STATEMENTS / "slaski_mt940.sta", STATEMENTS / "gdanski_ing.csv",
                        NATIONAL / "kk_mt940.sta")
    db, out = work / "demo.duckdb", work / "out"
    shutil.copy(demo_db, db)
    rng = random.Random(seed)
    for name, how in harm:
        damage(statements / name, how, rng)
    reconcile_keeps_the_contract(db, out, statements, scope)


def reconcile_keeps_the_contract(db: Path, out: Path, statements: Path, scope: dict) -> None:
    """No traceback; exit 0 with Σ matched + Σ unmatched = Σ credits of the files used (and every
    matched grosz in transfer_status, no refused file among them), or exit 1/2 with the database
    and the outputs as they were."""
    before = state(db, out)
    args = ["--period", "2026-10", "--statements", str(statements), "--db", str(db), "--out", str(out)]
    args += ["--region", scope["region_id"]] if "region_id" in scope else []
    args += ["--level", scope["level"]] if "level" in scope else []
    res = cli(*args)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output and "nieoczekiwany" not in res.output, res.output
    assert res.exit_code in (0, 1, 2), res.output
    if res.exit_code != 0:
        assert state(db, out) == before
        return
    con = duckdb.connect(str(db), read_only=True)
    try:
        key = ["2026-10", "national" if "level" in scope else
               (f"region {scope['region_id']}" if "region_id" in scope else "regiony")]
        credits, matched, unmatched = con.execute(
            "SELECT coalesce(sum(amount), 0), coalesce(sum(matched), 0), "
            "coalesce(sum(amount) FILTER (WHERE unmatched_reason IS NOT NULL), 0) FROM bank_credits "
            "WHERE reconciled_for = ? AND scope = ? AND direction = 'credit'", key).fetchone()
        assert matched + unmatched == credits
        (paid,) = con.execute("SELECT coalesce(sum(paid), 0) FROM transfer_status WHERE reconciled_for = ? "
                              "AND scope = ?", key).fetchone()
        assert paid == matched
        statements_used = {s for (s,) in con.execute("SELECT DISTINCT statement FROM bank_credits WHERE "
                                                      "reconciled_for = ? AND scope = ?", key).fetchall()}
        refused = {s for (s,) in con.execute("SELECT source FROM reconcile_exceptions WHERE reconciled_for = ? "
                                             "AND scope = ? AND reason_code IN ('bad_statement', "
                                             "'statement_wrong_account')", key).fetchall()}
        assert not statements_used & refused
    finally:
        con.close()


@hsettings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.sampled_from(DAMAGE + ("swap_accounts", "bad_account")), st.sampled_from([{}, {"region_id": "SL"}]),
       st.integers(0, 2**32))
def test_a_damaged_regions_csv_closed_then_reconciled_keeps_the_contract(demo_db, tmp_path_factory, how, scope, seed):
    """regions.csv (the regions' accounts) reaches reconcile through the close: damaged, the close
    answers as it does, and the reconciliation after it keeps its contract."""
    from flows.close import CLOSE
    work = tmp_path_factory.mktemp("regions")
    inbox = work / "inbox"
    shutil.copytree(settings.DEMO_INBOX, inbox, ignore=shutil.ignore_patterns("statements*", "*.py"))
    regions = inbox / "regions.csv"
    if how == "swap_accounts":
        regions.write_text(regions.read_text(encoding="utf-8").replace("95102023130000310200123456", "X")
                           .replace("48124010371111001099887766", "95102023130000310200123456")
                           .replace("X", "48124010371111001099887766"), encoding="utf-8")
    elif how == "bad_account":
        regions.write_text(regions.read_text(encoding="utf-8").replace("9510202313", "0000000000"), encoding="utf-8")
    else:
        damage(regions, how, random.Random(seed))
    db = work / "demo.duckdb"
    shutil.copy(demo_db, db)
    run_plain(CLOSE, period="2026-10", inbox=inbox, db=db, out=None, unit_workbooks=False)
    reconcile_keeps_the_contract(db, work / "out", STATEMENTS, scope)
