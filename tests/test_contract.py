"""CONTRACT.md: one small bad inbox per reason code, exit codes, re-runs, atomic failure."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from flows import store
from flows.cli import app
from tests.conftest import UNIT, close_plain, line, member, run_close, write_inbox

P = "2026-10"


def exc_rows(result):
    return [(r["source"], r["row"], r["member_id"], r["reason_code"], r["message"])
            for r in result.exceptions.to_dicts()]


def test_unknown_member(tmp_path):
    write_inbox(tmp_path, members=[member("M1")], income=[line("M1", "wage", "100.00"),
                                                         line("M7", "wage", "100.00")])
    assert exc_rows(run_close(tmp_path)) == [(
        "income/lines.csv", 2, "M7", "unknown_member",
        "income/lines.csv, wiersz 2: członek M7 nie figuruje w members.csv. Dodaj członka albo popraw numer.")]


def test_unknown_component_blocks_member(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00"), line("M1", "premia", "50.00")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income/lines.csv", 2, "M1", "unknown_component",
        "income/lines.csv, wiersz 2: składnik 'premia' nie jest kodem regulaminu solidarnosc "
        "(RULES.md §3 wymienia je, np. wage, bonus, award). Przypisz mu kod; do tego czasu składka "
        "członka nie jest liczona.")]
    assert r.dues.height == 0          # blocked: never computed from a partial picture
    assert r.rows_rejected == 3        # the bad line, the member's good line, the member row


def test_bad_amount_blocks_member(tmp_path):
    # issue 26: '1 234,56' (quoted) is an amount now, as Polish Excel writes it; three decimals are not
    write_inbox(tmp_path, income=[line("M1", "wage", "1234.567")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income/lines.csv", 1, "M1", "bad_amount",
        "income/lines.csv, wiersz 1: kwota '1234.567' nie jest liczbą w postaci 1234.56 (kropka dziesiętna, "
        "najwyżej 2 miejsca po przecinku). Popraw ją; do tego czasu składka członka nie jest liczona.")]
    assert r.dues.height == 0


def test_bad_period(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00"), line("M1", "bonus", "5.00", period="2026/10")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income/lines.csv", 2, "M1", "bad_period",
        "income/lines.csv, wiersz 2: okres '2026/10' nie ma postaci RRRR-MM (np. 2026-10). Popraw wiersz; do tego "
        "czasu składka członka nie jest liczona (to może być wiersz tego miesiąca).")]
    # issue 10, CONTRACT.md: the member is blocked (the line may be this month's); it was 0.82 zł
    assert r.dues.height == 0


def test_other_periods_are_skipped_not_errors(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00"), line("M1", "nonsense", "x", period="2026-09")])
    r = run_close(tmp_path)
    assert r.exceptions.height == 0 and r.rows_skipped == 1


def test_not_a_member_in_period(tmp_path):
    write_inbox(tmp_path, members=[member("M1", left_on="2026-08-31")], income=[line("M1", "wage", "100.00")])
    assert exc_rows(run_close(tmp_path)) == [(
        "income/lines.csv", 1, "M1", "not_a_member_in_period",
        "income/lines.csv, wiersz 1: członek M1 nie płaci składki za 2026-10 (poza okresem joined_on..left_on "
        "w members.csv). Wiersz nie jest użyty.")]


def test_missing_income(tmp_path):
    write_inbox(tmp_path, members=[member("M1"), member("M2", "unemployed")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income", None, "M1", "missing_income",
        "Członek M1 (pracownik, jednostka U1) jest winien składkę za 2026-10, ale nie ma żadnego wiersza "
        "dochodu. Dodaj dochód za ten miesiąc (albo decyzję o obniżeniu lub zawieszeniu składki) i powtórz "
        "zamknięcie.")]
    assert r.dues["member_id"].to_list() == ["M2"]   # the unemployed need no income line


def test_negative_base(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00"), line("M1", "wage", "-150.00")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "income", None, "M1", "negative_base",
        "Podstawa składki członka M1 (jednostka U1) za 2026-10 wynosi -50,00 zł, mniej niż zero. Sprawdź "
        "korekty (ujemne wiersze) w liście płac.")]
    assert r.dues.height == 0


def test_negative_correction_within_a_positive_base_is_fine(tmp_path):
    write_inbox(tmp_path, income=[line("M1", "wage", "1125.00"), line("M1", "wage", "-100.00")])
    assert run_close(tmp_path).dues["dues"].to_list() == [841]


def test_bad_adjustment_longer_than_six_months(tmp_path):
    adj = [{"member_id": "M1", "kind": "reduced", "amount": "5.00", "valid_from": "2026-10",
            "valid_to": "2027-04", "decision_ref": "KZ 3"}]
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00")], adjustments=adj)
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "adjustments.csv", 1, "M1", "bad_adjustment",
        "adjustments.csv, wiersz 1 (członek M1): 2026-10..2027-04 obejmuje 7 mies.; jedna decyzja może "
        "obejmować najwyżej 6 (004 §2 ust. 3) — rozdziel ją i wydaj decyzję odnowioną. Decyzja nie jest "
        "zastosowana, a składka członka nie jest liczona, dopóki jej nie poprawisz.")]
    assert r.dues.height == 0


def test_six_months_is_allowed(tmp_path):
    adj = [{"member_id": "M1", "kind": "reduced", "amount": "5.00", "valid_from": "2026-10",
            "valid_to": "2027-03", "decision_ref": "KZ 3"}]
    # 1 000.00 zł: §1 dues 8.20 zł, so 5.00 zł is a lower amount (004 §2 ust. 3)
    write_inbox(tmp_path, income=[line("M1", "wage", "1000.00")], adjustments=adj)
    r = run_close(tmp_path)
    assert r.exceptions.height == 0 and r.dues["dues"].to_list() == [500]


def test_bad_adjustment_overlapping(tmp_path):
    adj = [{"member_id": "M1", "kind": "suspended", "valid_from": "2026-09", "valid_to": "2026-10"},
           {"member_id": "M1", "kind": "reduced", "amount": "3.00", "valid_from": "2026-10",
            "valid_to": "2026-12"}]
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00")], adjustments=adj)
    r = run_close(tmp_path)
    assert [(e[1], e[3]) for e in exc_rows(r)] == [(1, "bad_adjustment"), (2, "bad_adjustment")]
    assert "nakłada się na decyzję z wiersza 2" in exc_rows(r)[0][4]
    assert r.dues.height == 0


def test_unknown_member_in_adjustments(tmp_path):
    adj = [{"member_id": "M9", "kind": "suspended", "valid_from": "2026-10", "valid_to": "2026-10"}]
    write_inbox(tmp_path, income=[line("M1", "wage", "100.00")], adjustments=adj)
    assert exc_rows(run_close(tmp_path)) == [(
        "adjustments.csv", 1, "M9", "unknown_member",
        "adjustments.csv, wiersz 1: członek M9 nie figuruje w members.csv. Dodaj członka albo popraw numer.")]


def test_bad_member_pesel(tmp_path):
    write_inbox(tmp_path, members=[member("M1", pesel="02070803628"), member("M2", pesel="02070803627")],
                income=[line("M1", "wage", "100.00"), line("M2", "wage", "100.00")])
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "members.csv", 2, "M2", "bad_member",
        "members.csv, wiersz 2 (członek M2): PESEL '[PESEL ukryty]' jest niepoprawny (11 cyfr z poprawną sumą "
        "kontrolną i datą urodzenia); popraw go albo zostaw pustą komórkę.")]
    assert r.dues["member_id"].to_list() == ["M1"]   # a PESEL with a leading zero is kept as text


def test_bad_member_duplicate_id_and_unknown_unit(tmp_path):
    write_inbox(tmp_path, members=[member("M1"), member("M1"), member("M2", unit="U9")])
    reasons = [(e[1], e[2], e[3]) for e in exc_rows(run_close(tmp_path))]
    assert reasons == [(1, "M1", "bad_member"), (2, "M1", "bad_member"), (3, "M2", "bad_member")]


def test_bad_unit_blocks_its_members(tmp_path):
    write_inbox(tmp_path, units=[UNIT, {**UNIT, "unit_id": "U2", "raised_pct": "201"}],
                members=[member("M1"), member("M2", unit="U2")],
                income=[line("M1", "wage", "100.00"), line("M2", "wage", "100.00")])
    r = run_close(tmp_path)
    rows = exc_rows(r)
    assert rows[0] == ("units.csv", 2, None, "bad_unit",
                       "units.csv, wiersz 2 (jednostka U2): raised_pct 201 jest poza zakresem 100–200 (004 §2 "
                       "ust. 1: najwyżej 200 % składki z §1). Popraw wiersz; do tego czasu członkowie tej "
                       "jednostki są zablokowani.")
    assert rows[1] == ("members.csv", 2, "M2", "bad_member",
                       "members.csv, wiersz 2 (członek M2): jego jednostka 'U2' jest odrzucona (units.csv, "
                       "wiersz 2); najpierw popraw jednostkę.")
    assert r.dues["member_id"].to_list() == ["M1"]
    assert set(r.allocations["unit_id"]) == {"U1"}


def test_every_blocked_member_has_an_exception_with_their_id(tmp_path):
    write_inbox(tmp_path, members=[member("M1"), member("M2"), member("M3"), member("M4")],
                income=[line("M1", "wage", "x"), line("M2", "bogus", "1.00"), line("M3", "wage", "-1.00")])
    r = run_close(tmp_path)
    owing = {"M1", "M2", "M3", "M4"}
    without_dues = owing - set(r.dues["member_id"])
    assert without_dues == owing
    assert without_dues <= set(r.exceptions["member_id"].drop_nulls())


# ---- CLI exit codes

def test_missing_units_csv_exits_1_names_the_file_and_writes_nothing(tmp_path):
    inbox = write_inbox(tmp_path / "inbox")
    (inbox / "units.csv").unlink()
    db = tmp_path / "x.duckdb"
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "close", "--period", P, "--inbox",
                           str(inbox), "--db", str(db), "--engine", "plain"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "units.csv: brak w folderze" in proc.stderr
    assert not db.exists()


def test_units_csv_missing_a_required_column_exits_1(tmp_path):
    inbox = write_inbox(tmp_path / "inbox", units=[{"unit_id": "U1", "region_id": "R1"}])
    res = CliRunner().invoke(app, ["close", "--period", P, "--inbox", str(inbox),
                                   "--db", str(tmp_path / "x.duckdb"), "--engine", "plain"])
    assert res.exit_code == 1
    assert "units.csv: brak wymaganych kolumn voivodeship" in res.output
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize("args", [["close", "--period", "2026-13", "--inbox", ".", "--db", "x"],
                                  ["close", "--inbox", ".", "--db", "x"], ["frobnicate"]])
def test_wrong_usage_exits_2(args):
    assert CliRunner().invoke(app, args).exit_code == 2


# ---- storage: re-runs replace, failures leave nothing

TABLES = ("dues", "allocations", "exceptions", "transfers", "units")


def dump(db) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
        out["runs"] = con.sql("SELECT run_id FROM runs ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def demo_like_inbox(tmp_path):
    return write_inbox(tmp_path / "inbox", members=[member("M1"), member("M2", "pensioner"), member("M3")],
                       income=[line("M1", "wage", "5230.17"), line("M2", "pension", "2100.00"),
                               line("M3", "bogus", "1.00")])


def test_rerun_replaces_the_period_with_identical_rows(tmp_path):
    inbox, db = demo_like_inbox(tmp_path), tmp_path / "c.duckdb"
    close_plain(P, inbox, db)
    first = dump(db)
    close_plain(P, inbox, db)
    second = dump(db)
    assert {t: first[t] for t in TABLES} == {t: second[t] for t in TABLES}
    assert len(second["runs"]) == 2        # runs is the log of every run


def test_failure_after_first_write_leaves_database_as_before(tmp_path, monkeypatch):
    inbox, db = demo_like_inbox(tmp_path), tmp_path / "c.duckdb"
    close_plain(P, inbox, db)
    before = dump(db)
    real = store.write
    calls = []

    def failing(con, table, frame, **keys):
        calls.append(table)
        real(con, table, frame, **keys)
        if len(calls) == 2:
            raise RuntimeError("injected failure after the second table was written")

    monkeypatch.setattr(store, "write", failing)
    with pytest.raises(RuntimeError, match="injected"):
        close_plain(P, inbox, db)
    assert len(calls) == 2           # a re-close: the difference report and the corrections first
    assert dump(db) == before


def test_stored_money_is_exact_decimal(tmp_path):
    inbox, db = demo_like_inbox(tmp_path), tmp_path / "c.duckdb"
    close_plain(P, inbox, db)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT typeof(dues) FROM dues LIMIT 1").fetchone()[0] == "DECIMAL(18,2)"
    from decimal import Decimal
    assert con.execute("SELECT dues FROM dues WHERE member_id = 'M1'").fetchone()[0] == Decimal("42.89")
    run = con.execute("SELECT rows_read, rows_used, rows_rejected, rows_skipped FROM runs").fetchone()
    assert run[0] == run[1] + run[2] + run[3]


def test_issue_10_a_reduction_not_lower_than_the_dues_is_rejected(tmp_path):
    """004 §2 ust. 3 allows only a lower amount: 50.00 zł against §1 dues of 8.20 zł is refused."""
    adj = [{"member_id": "M1", "kind": "reduced", "amount": "50.00", "valid_from": "2026-10",
            "valid_to": "2026-12", "decision_ref": "KZ 7"}]
    write_inbox(tmp_path, income=[line("M1", "wage", "1000.00")], adjustments=adj)
    r = run_close(tmp_path)
    assert exc_rows(r) == [(
        "adjustments.csv", 1, "M1", "bad_adjustment",
        "adjustments.csv, wiersz 1 (członek M1): obniżona składka 50,00 zł nie jest niższa od składki wyliczonej "
        "z §1 (8,20 zł); 004 §2 ust. 3 pozwala tylko na „niższy wymiar składki”. Decyzja nie jest zastosowana, a "
        "składka członka nie jest liczona, dopóki jej nie poprawisz.")]
    assert r.dues.height == 0


def test_issue_10_amounts_beyond_the_limit_never_wrap_around(tmp_path):
    """184467440737100516.16 once became a base of 5 000.00 zł; now it is not an amount at all, and
    a 13-digit amount above the rulebook's 10 000 000 zł limit is refused with the limit named."""
    write_inbox(tmp_path, members=[member("M1"), member("M2"), member("M3")],
                income=[line("M1", "wage", "184467440737100516.16"), line("M2", "wage", "10000000.01"),
                        line("M3", "wage", "10000000.00")])
    r = run_close(tmp_path)
    assert [(e[2], e[3]) for e in exc_rows(r)] == [("M1", "bad_amount"), ("M2", "bad_amount")]
    assert exc_rows(r)[1][4] == (
        "income/lines.csv, wiersz 2: kwota 10000000.01 zł przekracza 10 000 000,00 zł — granicę wiarygodnej kwoty "
        "miesięcznej regulaminu solidarnosc. Sprawdź ją (przesunięty przecinek?); do tego czasu składka członka "
        "nie jest liczona.")
    assert r.dues["member_id"].to_list() == ["M3"] and r.dues["dues"].to_list() == [8_200_000]


def test_issue_30_a_przerobka_member_has_no_reduction_to_apply(tmp_path):
    """003 Art. 31 ust. 3: the dues are 1 % of pay (or the board's amount for pensioners and the
    unemployed); the statute provides no reduction or suspension, unlike 004 §2 ust. 3. A
    six-month suspension for a Przeróbka member is an exception naming Art. 31 and is not
    applied: the member owes 1 % of 5 000,00 zł. The same decision for a Solidarność member
    applies."""
    adj = [{"member_id": "M1", "kind": "suspended", "amount": "", "valid_from": "2026-10",
            "valid_to": "2027-03", "decision_ref": "Uchwała Zarządu 3/2026"}]
    write_inbox(tmp_path, units=[{**UNIT, "rulebook": "przerobka"}], income=[line("M1", "wage", "5000.00")],
                adjustments=adj)
    r = run_close(tmp_path)
    (row,) = exc_rows(r)
    assert row[:4] == ("adjustments.csv", 1, "M1", "reduction_not_provided")
    assert "003 Art. 31 ust. 3" in row[4] and "nie przewiduje obniżenia ani zawieszenia" in row[4]
    assert r.dues["dues"].to_list() == [5000]
    sol = tmp_path / "sol"
    write_inbox(sol, income=[line("M1", "wage", "5000.00")], adjustments=adj)
    r = run_close(sol)
    assert r.exceptions.height == 0 and r.dues["dues"].to_list() == [0]
