"""RULES.md §7–§8: verification of delegate counts against remitted dues, and seats."""
from __future__ import annotations

import csv
from fractions import Fraction

import duckdb
from hypothesis import given, strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows import delegates, settings
from flows.cli import app
from flows.command import run_plain
from reports import delegates as delegates_reports
from tests.conftest import close_plain
from transforms.delegates import key_seats, largest_remainder, per_member_factor, verify
from transforms.money import grosze, pln

KEYS_TEXT = delegates.KEYS.read_text(encoding="utf-8")
FACTOR = per_member_factor(KEYS_TEXT)


def test_factor_is_70_percent_of_a_thousandth():
    assert FACTOR == Fraction(7, 10_000)


def test_rules_example_w8000_n10000_r50000():
    v = verify(grosze("8000.00"), 10_000, grosze("50000.00"), exempt=250, factor=FACTOR)
    assert v.threshold == grosze("56000.00")
    assert (v.verdict, v.recognised_paying, v.recognised_members) == ("reduced", 8_928, 8_928 + 250)
    assert v.needed == grosze("56000.00")


def test_r_equal_to_threshold_passes_and_one_grosz_less_reduces():
    w, n = grosze("8000.00"), 10_000
    assert verify(w, n, grosze("56000.00"), 0, FACTOR).verdict == "passed"
    less = verify(w, n, grosze("55999.99"), 0, FACTOR)
    assert less.verdict == "reduced" and less.recognised_paying == 9_999


@given(st.integers(1, 2_000_000), st.integers(0, 200_000), st.integers(0, 10**10), st.integers(0, 10**6))
def test_recognised_never_above_declared_and_monotone_in_r(w, n, r, extra):
    a = verify(w, n, r, 0, FACTOR)
    b = verify(w, n, r + extra, 0, FACTOR)
    assert a.recognised_paying <= n
    assert a.recognised_paying <= b.recognised_paying
    # the recognised count is the largest one the remittance covers
    assert FACTOR * w * a.recognised_paying <= r or a.recognised_paying == n
    if a.recognised_paying < n:
        assert FACTOR * w * (a.recognised_paying + 1) > r


@given(st.dictionaries(st.text("ABCDEFGH", min_size=1, max_size=3), st.integers(0, 500_000),
                       min_size=1, max_size=20), st.integers(1, 600))
def test_seats_sum_to_s_and_each_region_gets_floor_or_ceiling(members, seats):
    got, quotas = largest_remainder(members, seats)
    if sum(members.values()) == 0:
        assert sum(got.values()) == 0
        return
    assert sum(got.values()) == seats
    for r in members:
        assert got[r] in (quotas[r].__floor__(), quotas[r].__ceil__())


def test_largest_remainder_tie_broken_by_membership_then_id():
    # quotas 1.5 / 1.5 / 0 with 3 seats: one extra seat, equal remainders and members -> by id
    got, _ = largest_remainder({"B": 100, "A": 100, "C": 0}, 3)
    assert got == {"A": 2, "B": 1, "C": 0}


def test_fixed_keys():
    seats, _, _ = key_seats({"R1": 4_199, "R2": 4_200}, "per:2100", KEYS_TEXT)
    assert seats == {"R1": 1, "R2": 2}
    seats, _, _ = key_seats({"R1": 110, "R2": 111}, "per-started:110", KEYS_TEXT)
    assert seats == {"R1": 1, "R2": 2}
    seats, _, _ = key_seats({"a": 99, "b": 100, "c": 199, "d": 200}, "przerobka", KEYS_TEXT)
    assert seats == {"a": 1, "b": 2, "c": 2, "d": 3}
    seats, _, _ = key_seats({"a": 20, "b": 21, "c": 50, "d": 51}, "ozz_srl", KEYS_TEXT)
    assert seats == {"a": 1, "b": 2, "c": 2, "d": 3}
    seats, _, desc = key_seats({"a": 20, "b": 21}, "ozz_srl", KEYS_TEXT)
    assert seats == {"a": None, "b": None} and "nie stosuje się" in desc
    _, _, desc = key_seats({"a": 151}, "mzzpsz", KEYS_TEXT)
    assert "wymagane jest zebranie delegatów" in desc


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def rem(region, voiv, amount, declared, exempt=0, paid_in="2026-11", **kw):
    return {"region_id": region, "voivodeship": voiv, "paid_in": paid_in, "amount": amount,
            "declared_paying_members": str(declared), "exempt_members": str(exempt), **kw}


def test_region_spanning_two_voivodeships_and_a_missing_wage(tmp_path):
    inbox = tmp_path / "in"
    _write(inbox / "remittances.csv", [rem("R1", "śląskie", "56000.00", 10_000),
                                      rem("R1", "opolskie", "1000.00", 500, exempt=20),
                                      rem("R2", "lubuskie", "9000.00", 900)])
    _write(inbox / "wages.csv", [{"voivodeship": "śląskie", "month": "2026-10", "amount": "8000.00"},
                                 {"voivodeship": "opolskie", "month": "2026-10", "amount": "7000.00"}])
    out = run_plain(delegates.VERIFY_DELEGATES, inbox=inbox, db=tmp_path / "d.duckdb", seats=10)
    ver = {(v["region_id"], v["voivodeship"]): v for v in out.result.verification}
    assert ver["R1", "śląskie"]["verdict"] == "passed"
    assert ver["R1", "opolskie"]["recognised_paying"] == 204       # 1000 / 4.90 = 204.08
    assert ver["R1", "opolskie"]["recognised_members"] == 224
    assert [e.reason_code for e in out.result.issues] == ["missing_wage"]
    assert out.result.issues[0].message == (
        "remittances.csv, wiersz 3: brak przeciętnego wynagrodzenia w sektorze przedsiębiorstw (z wypłatami "
        "z zysku) dla województwa lubuskie za 2026-10 (miesiąc przed paid_in 2026-11). Dodaj je do wages.csv "
        "albo uruchom z --wage-fallback national.")
    seats = {s["region_id"]: s for s in out.result.seats}
    assert seats["R1"]["recognised_members"] == 10_224 and seats["R1"]["seats"] == 10


def test_wage_fallback_national_is_said_on_the_row(tmp_path):
    inbox = tmp_path / "in"
    _write(inbox / "remittances.csv", [rem("R2", "lubuskie", "9000.00", 900, paid_in="2025-01")])
    out = run_plain(delegates.VERIFY_DELEGATES, inbox=inbox, db=tmp_path / "d.duckdb", wage_fallback="national")
    v = out.result.verification[0]
    assert v["wage"] == grosze("8821.25")          # national 2024-12 from data/reference
    assert "użyto OGÓLNOPOLSKIEGO przeciętnego wynagrodzenia za 2024-12" in v["note"]


def test_demo_months_remittances_from_books_verify_and_a_20_percent_cut_is_reduced(tmp_path):
    db = tmp_path / "books.duckdb"
    for period in ("2026-09", "2026-10"):
        close_plain(period, settings.DEMO_INBOX, db)
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("""
        SELECT u.region_id, u.voivodeship, CAST(sum(a.amount) AS VARCHAR),
               (SELECT count(*) FROM dues d JOIN units v ON v.unit_id = d.unit_id AND v.period = d.period
                WHERE d.period = '2026-10' AND v.region_id = u.region_id AND v.rulebook = 'solidarnosc'
                  AND d.category IN ('employee', 'other_income')) AS paying
        FROM allocations a JOIN units u ON u.unit_id = a.unit_id AND u.period = a.period
        WHERE a.period = '2026-10' AND u.rulebook = 'solidarnosc'
          AND a.level IN ('national', 'branch_secretariats')
        GROUP BY u.region_id, u.voivodeship ORDER BY 1""").fetchall()
    con.close()
    assert [r[0] for r in rows] == ["GD", "SL"]
    # wages chosen so each region remits ~11 % above its threshold
    wages = [{"voivodeship": v, "month": "2026-10",
              "amount": str((Fraction(grosze(amount)) / (FACTOR * n) * Fraction(9, 10) / 100).__floor__())}
             for _, v, amount, n in rows]
    remittances = [rem(r, v, amount, n) for r, v, amount, n in rows]
    cut = dict(remittances[1])
    cut["amount"] = pln(grosze(cut["amount"]) * 8 // 10)
    inbox = tmp_path / "in"
    _write(inbox / "wages.csv", wages)
    _write(inbox / "remittances.csv", [remittances[0], cut])
    res = CliRunner().invoke(app, ["verify-delegates", "--inbox", str(inbox), "--db", str(db), "--out",
                                   str(tmp_path / "out"), "--seats", "5", "--engine", "plain"])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM delegate_exceptions").fetchone()[0] == 0
    verdicts = dict(con.execute("SELECT region_id, verdict FROM delegate_verification").fetchall())
    assert verdicts == {"GD": "passed", "SL": "reduced"}
    checks = dict(con.execute("SELECT region_id, difference FROM remittance_check").fetchall())
    assert checks["GD"] == 0 and checks["SL"] < 0          # the cut shows against the books
    seats = con.execute("SELECT sum(seats), sum(seats_if_declared) FROM delegate_seats").fetchone()
    assert seats == (5, 5)
    wb = load_workbook(tmp_path / "out" / "weryfikacja_delegatow.xlsx")
    assert wb.sheetnames == ["Weryfikacja", "Mandaty", "Kontrola z księgami", "Wyjątki"]
    needed = [r for r in wb["Weryfikacja"].iter_rows(min_row=2, values_only=True) if r[0] == "SL"][0][12]
    assert needed is not None and needed > 0


def test_missing_remittances_file_exits_1(tmp_path):
    (tmp_path / "in").mkdir()
    res = CliRunner().invoke(app, ["verify-delegates", "--inbox", str(tmp_path / "in"), "--db",
                                   str(tmp_path / "d.duckdb"), "--engine", "plain"])
    assert res.exit_code == 1 and "remittances.csv: brak w folderze" in res.output


def test_seats_and_key_together_is_usage_error(tmp_path):
    res = CliRunner().invoke(app, ["verify-delegates", "--inbox", ".", "--db", "x", "--seats", "3",
                                   "--key", "per:2100"])
    assert res.exit_code == 2


def test_issue_17_equality_under_both_readings_of_lit_a():
    """Uchwała 6/2005 lit. a: R "musi być większa" than T; lit. b reduces only "jeżeli … jest mniejsza".
    W = 8 000.00, N = 10 000: T = 56 000.00. With R = T, the default reading (equality passes, lit. b)
    keeps 10 000; read literally (lit. a), R = T does not pass and N' is the largest with
    0.0007 × W × N' < R: 9 999."""
    w, n, r = grosze("8000.00"), 10_000, grosze("56000.00")
    assert verify(w, n, r, 0, FACTOR, equality_passes=True).recognised_paying == 10_000
    literal = verify(w, n, r, 0, FACTOR, equality_passes=False)
    assert (literal.verdict, literal.recognised_paying) == ("reduced", 9_999)
    above = verify(w, n, r + 1, 0, FACTOR, equality_passes=False)     # one grosz more passes both readings
    assert (above.verdict, above.recognised_paying) == ("passed", 10_000)


def test_issue_17_lit_e_exempt_members_of_a_refusing_unit_are_not_recognised(tmp_path):
    """Lit. e: the members of a structure that refuses inspection are not recognised — all of them,
    the exempt included. A region declares 1 000 paying and 50 exempt members; a refusing unit has
    100 paying and 10 exempt of them: recognised 900 + 40 = 940 (R passes). The workbook shows the
    verdict under the other reading of lit. a beside it."""
    inbox = tmp_path / "in"
    row = rem("R1", "śląskie", "6000.00", 1_000, exempt=50)
    row.update({"refused_members": "100", "refused_exempt_members": "10"})
    _write(inbox / "remittances.csv", [row])
    _write(inbox / "wages.csv", [{"voivodeship": "śląskie", "month": "2026-10", "amount": "8000.00"}])
    out = run_plain(delegates.VERIFY_DELEGATES, inbox=inbox, db=tmp_path / "d.duckdb", seats=10,
                    out=tmp_path / "out")
    v = out.result.verification[0]
    assert (v["recognised_paying"], v["recognised_members"], v["refused_exempt_members"]) == (900, 940, 10)
    assert v["verdict_other_reading"] == "passed" and v["reading"] == "equality_passes"
    wb = load_workbook(tmp_path / "out" / "weryfikacja_delegatow.xlsx")
    header = [c for c in next(wb["Weryfikacja"].iter_rows(max_row=1, values_only=True))]
    assert "Wynik przy drugim odczytaniu lit. a" in header


def test_issue_17_w_from_the_reference_file_extended_by_the_inbox(tmp_path, monkeypatch):
    """W is the voivodeship's enterprise-sector wage with profit payouts (lit. a): the shipped
    reference figures are read first, wages.csv extends them, and a month given in both with two
    amounts is a bad_wage_twice record naming the inbox row (the reference figure is used)."""
    ref = tmp_path / "ref.csv"
    _write(ref, [{"voivodeship": "śląskie", "month": "2026-10", "amount": "8000.00", "source": "WUS Katowice"}])
    monkeypatch.setattr(delegates, "VOIVODESHIP_WAGES", ref)
    inbox = tmp_path / "in"
    _write(inbox / "remittances.csv", [rem("R1", "śląskie", "56000.00", 10_000),
                                      rem("R1", "opolskie", "1000.00", 500)])
    _write(inbox / "wages.csv", [{"voivodeship": "opolskie", "month": "2026-10", "amount": "7000.00"},
                                 {"voivodeship": "śląskie", "month": "2026-10", "amount": "8100.00"}])
    out = run_plain(delegates.VERIFY_DELEGATES, inbox=inbox, db=tmp_path / "d.duckdb", seats=10)
    ver = {v["voivodeship"]: v for v in out.result.verification}
    assert ver["śląskie"]["wage"] == grosze("8000.00") and ver["śląskie"]["wage_source"] == "WUS Katowice"
    assert ver["opolskie"]["wage"] == grosze("7000.00")
    (twice,) = out.result.issues
    assert twice.reason_code == "bad_wage" and twice.source == "wages.csv" and twice.row == 2
    assert twice.message.startswith("wages.csv, wiersz 2:")


def test_issue_17_the_shipped_voivodeship_reference_file_reads_and_every_figure_names_its_source():
    header = delegates.VOIVODESHIP_WAGES.read_text(encoding="utf-8").splitlines()[0]
    assert header == "voivodeship,month,amount,source"
    assert all(r["source"] and r["_source"].startswith("reference/") for r in delegates.reference_wages())


def test_issue_29_paying_and_exempt_members_of_an_imported_unit_month_come_from_its_settlement_file(tmp_path):
    """A region's database holds a unit's month imported from its settlement file (no dues rows):
    the unit refusing inspection counts with the file's paying members (the version in force) and
    its other categories as exempt; the books check reads the imported split. A typed
    remittances.csv stays the input."""
    from datetime import datetime

    from flows import store
    from schemas.tables import TABLES
    db = tmp_path / "region.duckdb"
    con = duckdb.connect(str(db))
    store.write(con, "units", TABLES["units"].frame([{
        "period": "2026-10", "unit_id": "U9", "name": "KZ", "region_id": "R1", "voivodeship": "śląskie",
        "sheltered": False, "rulebook": "solidarnosc", "raised_bp": 10000, "bank_account": None}]), period="2026-10")
    store.write(con, "allocations", TABLES["allocations"].frame([
        {"period": "2026-10", "unit_id": "U9", "level": "national", "amount": 50000}]), period="2026-10")
    common = {"unit_id": "U9", "period": "2026-10", "kind": "unit", "file_name": "rozliczenie_U9_2026-10_v1.json",
              "imported_at": datetime(2026, 11, 5, 10), "run_id": "r", "input_sha256": "i", "owed": 60000,
              "received": 60000}
    store.write(con, "settlement_files", TABLES["settlement_files"].frame([
        {**common, "version": 1, "sha256": "a" * 64, "paying_members": 150, "superseded_by": "b" * 64,
         "by_category": '{"employee": 150}'},
        {**common, "version": 2, "sha256": "b" * 64, "paying_members": 100, "superseded_by": None,
         "by_category": '{"employee": 100, "pensioner": 7}'}]), sha256=["a" * 64, "b" * 64])
    con.close()
    inbox = tmp_path / "in"
    _write(inbox / "remittances.csv", [rem("R1", "śląskie", "6000.00", 1_000, exempt=50, refused_units="U9")])
    _write(inbox / "wages.csv", [{"voivodeship": "śląskie", "month": "2026-10", "amount": "8000.00"}])
    out = run_plain(delegates.VERIFY_DELEGATES, inbox=inbox, db=db, out=None)
    assert out.ok, out.message
    v = out.result.verification[0]
    assert (v["refused_members"], v["refused_exempt_members"]) == (100, 7)
    assert (v["recognised_paying"], v["recognised_members"], v["verdict"]) == (900, 943, "passed")
    assert [(c["dues_period"], c["expected_from_books"], c["difference"]) for c in out.result.checks] == [
        ("2026-10", 50000, 550000)]


def test_issue_30_przerobka_one_national_delegate_for_each_full_100_members():
    """003 Ordynacja Art. 17 ust. 1–2: one delegate "na każde 100 członków Związku" — up to 99
    members the chair alone, from 100 to 199 a second, from 200 to 299 a third: each full 100,
    never each started 100 (which would give 2 to a unit of 1–100 members)."""
    counts = {"A": 1, "B": 99, "C": 100, "D": 199, "E": 200, "F": 299, "G": 300}
    seats, _, desc = key_seats(counts, "przerobka", KEYS_TEXT)
    assert seats == {"A": 1, "B": 1, "C": 2, "D": 2, "E": 3, "F": 3, "G": 4}
    assert "003 Ordynacja Art. 17" in desc


def test_issue_30_the_2_100_key_is_labelled_as_an_example_not_a_rule_of_the_seeds():
    """No seed has a key of 2 100 members per seat: 004 Uchwała XIX KZD nr 1/2005 §2 ust. 5 leaves
    the seats of each constituency of a decision-making body to the executive body of the unit,
    in proportion to the members. The key says so in what `skladki seats` prints."""
    import tomllib
    key = tomllib.loads(KEYS_TEXT)["keys"]["solidarnosc_2014"]
    assert key["per"] == 2100 and key.get("example") is True
    _, _, desc = key_seats({"R1": 4_200}, "solidarnosc_2014", KEYS_TEXT)
    assert "WARTOŚĆ PRZYKŁADOWA" in desc and "1/2005 §2 ust. 5" in desc
    assert "2014–2018" not in desc          # no ordinance of those years is among the seeds


def test_issue_30_the_declared_exempt_members_are_checked_against_the_stored_closes(tmp_path):
    """004 Uchwała XIX KZD nr 6/2005 lit. c–d: the exempt members added to the paying ones must be
    shown (the units' questionnaires); the region's declaration is no longer taken on trust. The
    stored close of 2026-10 counts one exempt member (pensioner P) in region R1: a declaration of
    5 is "declared_more" with a Polish note naming both counts, in the table, the workbook and the
    summary; the verification itself keeps the declared count."""
    from tests.conftest import line, member, write_inbox
    books = write_inbox(tmp_path / "books", members=[member("A"), member("B"), member("P", "pensioner")],
                        income=[line("A", "wage", "5000.00"), line("B", "wage", "5000.00"),
                                line("P", "pension", "2000.00")])
    db = tmp_path / "b.duckdb"
    assert close_plain("2026-10", books, db).ok
    inbox = tmp_path / "in"
    _write(inbox / "remittances.csv", [rem("R1", "śląskie", "30.00", 2, exempt=5)])
    _write(inbox / "wages.csv", [{"voivodeship": "śląskie", "month": "2026-10", "amount": "8000.00"}])
    out = run_plain(delegates.VERIFY_DELEGATES, inbox=inbox, db=db, out=tmp_path / "out")
    assert out.ok, out.message
    (c,) = out.result.checks
    assert (c["declared_exempt"], c["exempt_from_books"], c["exempt_verdict"]) == (5, 1, "declared_more")
    assert "zadeklarowano 5" in c["exempt_note"] and "liczą 1" in c["exempt_note"] and "lit. c–d" in c["exempt_note"]
    assert out.result.verification[0]["exempt_members"] == 5
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT exempt_verdict FROM remittance_check").fetchall() == [("declared_more",)]
    con.close()
    wb = load_workbook(tmp_path / "out" / "weryfikacja_delegatow.xlsx")
    row = list(wb["Kontrola z księgami"].iter_rows(min_row=2, values_only=True))[0]
    assert row[7:9] == (5, 1) and "ankietą" in row[9]
    assert "zwolnieni: R1 (śląskie): zadeklarowano 5" in delegates_reports.summary_text(out.result, None)
    _write(inbox / "remittances.csv", [rem("R1", "śląskie", "30.00", 2, exempt=1)])
    out = run_plain(delegates.VERIFY_DELEGATES, inbox=inbox, db=db, out=None)
    assert [(c["exempt_verdict"], c["exempt_note"]) for c in out.result.checks] == [("agrees", "")]
