"""Issue 6: bank statements matched to the transfers due; verdicts; members in arrears."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows import settings
from flows.cli import app
from flows.command import run_plain
from flows.reconcile import RECONCILE
from tests.conftest import UNIT, close_plain, line, member, write_inbox
from transforms.money import pln
from transforms.reconcile import Expected, Unit, match_credits, periods_in_title
from transforms.statements import parse_mt940


def reconcile_plain(period, statements, db, out=None):
    return run_plain(RECONCILE, period=period, statements=statements, db=db, out=out)

REGION_ACCOUNT = "PL95102023130000310200123456"     # the demo region SL's own (regions.csv)
STRANGER = "PL27114020040000300201355387"


def mt940(entries, path):
    """A Polish-style MT940 statement; entries: (date, grosze, account, payer, title)."""
    lines = [":20:ST2026", f":25:/{REGION_ACCOUNT}", ":28C:00001/001", ":60F:C261001PLN0,00"]
    balance = 0
    for d, g, account, payer, title in entries:
        balance += g
        sign = "C" if g > 0 else "D"
        amount = pln(abs(g)).replace(".", ",")
        lines.append(f":61:{d:%y%m%d}{d:%m%d}{sign}N{amount}NTRFNONREF")
        acc = f"~38{account}" if account else ""
        lines.append(f":86:020~00PRZELEW~20{title[:35]}~21{title[35:70]}~27{payer}{acc}")
    lines.append(f":62F:{'C' if balance >= 0 else 'D'}{date(2026, 11, 30):%y%m%d}PLN{pln(abs(balance)).replace('.', ',')}")
    path.write_bytes(("\r\n".join(lines) + "\r\n-").encode("cp1250"))


def bank_csv(entries, path):
    rows = ["Data księgowania;Kwota;Rachunek kontrahenta;Nazwa kontrahenta;Tytuł"]
    for d, g, account, payer, title in entries:
        rows.append(f"{d:%d.%m.%Y};\"{pln(g).replace('.', ',')}\";{account or ''};{payer};\"{title}\"")
    path.write_bytes("\r\n".join(rows).encode("cp1250"))


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    db = tmp_path_factory.mktemp("books") / "demo.duckdb"
    for period in ("2026-09", "2026-10"):
        close_plain(period, settings.DEMO_INBOX, db)
    con = duckdb.connect(str(db), read_only=True)
    due = {(u, p): int(a * 100) for u, p, a in con.execute(
        "SELECT payer_id, period, amount FROM transfers WHERE payer_kind='unit' AND payee='region'").fetchall()}
    accounts = dict(con.execute("SELECT unit_id, any_value(bank_account) FROM units GROUP BY 1").fetchall())
    con.close()
    return db, due, accounts


def faulty_statement(due, acc):
    d = date
    half = due["SL-0002", "2026-09"] // 2
    return [
        (d(2026, 10, 19), due["SL-0001", "2026-09"], acc["SL-0001"], "Huta", "Składki 09/2026"),
        (d(2026, 10, 10), half, acc["SL-0002"], "Szpital", "Składki 09/2026 cz. 1"),
        (d(2026, 10, 20), due["SL-0002", "2026-09"] - half, acc["SL-0002"], "Szpital", "Składki 09/2026 cz. 2"),
        (d(2026, 10, 15), due["SL-0003", "2026-09"], acc["SL-0003"], "Naprzód", "Skladka wrzesien"),  # typo, no period
        (d(2026, 10, 20), due["GD-0001", "2026-09"], None, "Stocznia", "SKŁADKI 09.2026 GD-0001"),    # id in title
        (d(2026, 11, 3), 12_345, acc["SL-0001"], "Huta", "Składki 10/2026"),                           # reversed below
        (d(2026, 11, 4), -12_345, acc["SL-0001"], "Bank", "Storno"),
        (d(2026, 11, 5), 50_000, STRANGER, "Jan Obcy", "Darowizna"),                                    # unknown payer
        (d(2026, 11, 17), due["GD-0001", "2026-10"] + 1_000, acc["GD-0001"], "Stocznia", "Składki 10/2026"),
        (d(2026, 11, 18), due["SL-0003", "2026-10"] - 1, acc["SL-0003"], "Naprzód", "Składki 10/2026"),
        (d(2026, 11, 19), due["GD-0002", "2026-09"] + due["GD-0002", "2026-10"], acc["GD-0002"], "Poczta",
         "Składki 09/2026 i 10/2026"),
        (d(2026, 11, 20), due["SL-0001", "2026-10"], acc["SL-0001"], "Huta", "Składki 10/2026"),
        (d(2026, 11, 21), due["SL-0002", "2026-10"], acc["SL-0002"], "Szpital", "Składki 10/2026"),
    ]


EXPECTED = {
    ("SL-0001", "2026-09"): "paid", ("SL-0001", "2026-10"): "paid",
    ("SL-0002", "2026-09"): "paid", ("SL-0002", "2026-10"): "late",
    ("SL-0003", "2026-09"): "paid", ("SL-0003", "2026-10"): "short",
    ("GD-0001", "2026-09"): "paid", ("GD-0001", "2026-10"): "over",
    ("GD-0002", "2026-09"): "late", ("GD-0002", "2026-10"): "paid",
}


@pytest.mark.parametrize("fmt", ["mt940", "csv"])
def test_statement_from_expected_transfers_with_injected_faults(books, tmp_path, fmt):
    db, due, acc = books
    folder = tmp_path / "statements"
    folder.mkdir()
    entries = faulty_statement(due, acc)
    (mt940 if fmt == "mt940" else bank_csv)(entries, folder / ("wyciag.sta" if fmt == "mt940" else "wyciag.csv"))
    outcome = reconcile_plain("2026-10", folder, db, tmp_path / "out")
    assert outcome.ok, outcome.message
    r = outcome.result
    status = {(s["unit_id"], s["period"]): s for s in r.status}
    assert {k: s["status"] for k, s in status.items()} == EXPECTED
    assert status["SL-0002", "2026-10"]["days_late"] == 1
    assert status["SL-0003", "2026-10"]["difference"] == -1
    assert status["GD-0001", "2026-10"]["difference"] == 1_000
    assert status["GD-0002", "2026-09"]["days_late"] == 30
    reasons = {u["amount"]: u["reason"] for u in r.unmatched}
    assert reasons[50_000].startswith("nieznany wpłacający")
    assert reasons[12_345].startswith("cofnięty zapisem obciążeniowym")
    how = {(m["unit_id"], m["period"]): m["matched_by"] for m in r.matches}
    assert how["SL-0003", "2026-09"] == "account, oldest outstanding"
    assert how["GD-0001", "2026-09"] == "unit id in title, period in title"
    credits = sum(c["amount"] for c in r.credits if c["direction"] == "credit")
    assert sum(m["amount"] for m in r.matches) + sum(u["amount"] for u in r.unmatched) == credits
    assert {f["payee"] for f in r.forwards} == {"national", "regional_strike_fund", "national_strike_fund"}
    wb = load_workbook(outcome.workbook)
    assert wb.sheetnames == ["Status jednostek", "Nieprzypisane wpływy", "Do przekazania"]
    assert len(list(wb["Nieprzypisane wpływy"].iter_rows(min_row=2))) == 2


def test_cli_rerun_replaces_and_missing_statements_exit_1(books, tmp_path):
    db, due, acc = books
    folder = tmp_path / "st"
    folder.mkdir()
    mt940(faulty_statement(due, acc), folder / "w.sta")
    for _ in range(2):
        res = CliRunner().invoke(app, ["reconcile", "--period", "2026-10", "--statements", str(folder),
                                       "--db", str(db), "--engine", "plain"])
        assert res.exit_code == 0, res.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM transfer_status WHERE reconciled_for='2026-10'").fetchone()[0] == 10
    con.close()
    empty = tmp_path / "empty"
    empty.mkdir()
    res = CliRunner().invoke(app, ["reconcile", "--period", "2026-10", "--statements", str(empty), "--db",
                                   str(db), "--engine", "plain"])
    assert res.exit_code == 1 and "brak wyciągów" in res.output


def test_account_rebuilt_from_bank_and_account_subfields(tmp_path):
    path = tmp_path / "x.sta"
    path.write_bytes((":20:X\r\n:25:/PL61109010140000071219812874\r\n:28C:1/1\r\n:60F:C261001PLN0,00\r\n"
                      ":61:2611201120CN10,00NTRFNONREF\r\n"
                      ":86:020~00PRZELEW~20Składki 10/2026~27Huta~3010901014~310000071219812874\r\n"
                      ":62F:C261130PLN10,00\r\n-").encode("cp1250"))
    credit = parse_mt940(path.read_bytes().decode("cp1250"), path.name)[0]
    assert credit["account"] == "PL61109010140000071219812874" and credit["title"] == "Składki 10/2026"


def test_periods_in_title():
    assert periods_in_title("Składki 09/2026 i 10.2026") == ["2026-09", "2026-10"]
    assert periods_in_title("skladka za 2026-10, faktura 12/34") == ["2026-10"]
    assert periods_in_title("Skladka wrzesien") == []


@given(st.lists(st.tuples(st.integers(1, 500_000), st.sampled_from(["U1", "U2", "U3", "X"]),
                          st.sampled_from(["", "09/2026", "10/2026", "09/2026 10/2026", "11/2026"])),
                max_size=25),
       st.lists(st.integers(0, 300_000), min_size=4, max_size=4))
def test_matched_plus_unmatched_equals_credits(payments, amounts):
    units = [Unit("U1", "Jeden", "PL1"), Unit("U2", "Dwa", None), Unit("U3", "Trzy", None)]
    expected = [Expected("U1", "2026-09", amounts[0], date(2026, 10, 20)),
                Expected("U1", "2026-10", amounts[1], date(2026, 11, 20)),
                Expected("U2", "2026-10", amounts[2], date(2026, 11, 20)),
                Expected("U3", "2026-09", amounts[3], date(2026, 10, 20))]
    credits = [{"statement": "s", "entry": i, "key": f"s#{i}", "booking_date": date(2026, 11, 1 + i % 28),
                "amount": g, "direction": "credit", "account": "PL1" if u == "U1" else None,
                "counterparty": "", "title": f"{u} {t}"} for i, (g, u, t) in enumerate(payments)]
    matches, unmatched = match_credits(credits, expected, units)
    assert sum(m["amount"] for m in matches) + sum(u["amount"] for u in unmatched) == sum(g for g, _, _ in payments)
    assert all(m["amount"] >= 0 for m in matches)


def test_arrears_come_from_the_members_accounts_three_unpaid_months_listed(tmp_path):
    """RULES.md §10 read from the ledger the close keeps (one definition): pensioners A and B owe
    4.50 zł a month (Aug–Oct); B pays each month (payments.csv in the close's inbox), A never does:
    A is 3 months in arrears, 3 × 4.50 = 13.50 zł; B is not listed. A payments.csv left in the
    statements folder is reported as belonging to the close now."""
    inbox = write_inbox(tmp_path / "in", members=[member("A", "pensioner"), member("B", "pensioner")],
                        income=[line(m, "pension", "1000.00", period=p) for m in ("A", "B")
                                for p in ("2026-08", "2026-09", "2026-10")])
    (inbox / "payments.csv").write_text("member_id,paid_on,amount,period\n" + "".join(
        f"B,{p}-10,4.50,{p}\n" for p in ("2026-08", "2026-09", "2026-10")), encoding="utf-8")
    db = tmp_path / "a.duckdb"
    for p in ("2026-08", "2026-09", "2026-10"):
        close_plain(p, inbox, db)
    folder = tmp_path / "st"
    folder.mkdir()
    mt940([(date(2026, 9, 1), 100, STRANGER, "X", "Darowizna")], folder / "w.sta")
    (folder / "payments.csv").write_text("member_id,period,amount\nB,2026-09,4.50\n", encoding="utf-8")
    outcome = reconcile_plain("2026-10", folder, db, tmp_path / "out")
    assert [(a["member_id"], a["first_unpaid"], a["last_unpaid"], a["months"], a["amount_due"])
            for a in outcome.result.arrears] == [("A", "2026-08", "2026-10", 3, 1_350)]
    assert [a["cause"] for a in outcome.result.arrears] == ["member"]     # no employer reports (issue 30)
    assert [i.reason_code for i in outcome.result.issues if i.source == "payments.csv"] == ["bad_payment"]
    wb = load_workbook(tmp_path / "out" / "zaleglosci" / "zaleglosci_U1_2026-10.xlsx")
    assert [(r[0], r[-1]) for r in wb["Zaległości"].iter_rows(min_row=2, values_only=True)] == [
        ("A", "członek nie wpłacił")]


def test_a_month_with_no_payment_is_missing(books, tmp_path):
    db, due, acc = books
    folder = tmp_path / "st"
    folder.mkdir()
    mt940([e for e in faulty_statement(due, acc) if e[2] != acc["GD-0001"] and "GD-0001" not in e[4]],
          folder / "w.sta")
    status = {(s["unit_id"], s["period"]): s for s in reconcile_plain("2026-10", folder, db).result.status}
    assert status["GD-0001", "2026-09"]["status"] == "missing"
    assert status["GD-0001", "2026-10"]["status"] == "missing"
    assert status["GD-0001", "2026-10"]["difference"] == -due["GD-0001", "2026-10"]


def test_issue_10_every_statement_entry_is_read_or_reported(books, tmp_path):
    """'1.272,68', '1e3' and a 13th month vanish from the parser: here each is named; a statement
    cut before its closing balance, an empty CSV and the same statement twice are not used; the same
    transaction in another statement file is counted once."""
    db, due, acc = books
    folder = tmp_path / "st"
    folder.mkdir()
    good = [(date(2026, 11, 20), due["SL-0001", "2026-10"], acc["SL-0001"], "Huta", "Składki 10/2026")]
    mt940(good, folder / "a.sta")
    (folder / "kopia.sta").write_bytes((folder / "a.sta").read_bytes())
    text = (folder / "a.sta").read_bytes().decode("cp1250")
    bad = text.replace(":28C:00001/001", ":28C:00002/001").replace(
        ":62F:", ":61:2611211121CN1.272,68NTRF\r\n:86:x\r\n:61:2611221122CN1e3NTRF\r\n:61:2613011301CN5,00NTRF\r\n:62F:")
    (folder / "b.sta").write_bytes(bad.encode("cp1250"))
    (folder / "c.sta").write_bytes(text.split(":62F:")[0].encode("cp1250"))
    (folder / "d.csv").write_bytes("Data księgowania;Kwota;Rachunek kontrahenta;Nazwa kontrahenta;Tytuł\r\n".encode("cp1250"))
    outcome = reconcile_plain("2026-10", folder, db)
    assert outcome.ok, outcome.message
    got = [(i.source, i.row, i.reason_code) for i in outcome.result.issues]
    assert got == [("b.sta", 7, "bad_statement_entry"), ("b.sta", 9, "bad_statement_entry"),
                   ("b.sta", 10, "bad_statement_entry"), ("c.sta", None, "bad_statement"),
                   ("d.csv", None, "bad_statement"), ("kopia.sta", None, "bad_statement"),
                   ("b.sta", None, "duplicate_transaction")]
    messages = {i.source: i.message for i in outcome.result.issues}
    assert messages["kopia.sta"] == ("kopia.sta: to ten sam wyciąg co a.sta (te same bajty). Usuń kopię; wpływy nie są "
                                     "liczone drugi raz.")
    assert messages["d.csv"] == ("d.csv: wyciąg nie zawiera żadnej pozycji ani nagłówka. Pobierz go z banku ponownie; "
                                 "pusty plik nie oznacza, że nikt nie wpłacił.")
    # b.sta's good entry is a.sta's transaction again (issue 27: the same account, day, amount, payer
    # and title in two files): counted once
    assert sorted(c["statement"] for c in outcome.result.credits) == ["a.sta"]
    assert messages["b.sta"].startswith("b.sta: powtórzone transakcje z a.sta (ten sam rachunek, dzień, kwota, "
                                        "kontrahent i tytuł): 1 pozycja (nr 1).")


def test_issue_12_a_credit_from_the_units_registered_account_is_the_units_whatever_its_title(books, tmp_path):
    """units.csv stores the account as 26 digits (NRB), the statement as PL + 26: the same account."""
    db, due, acc = books
    st = tmp_path / "st"
    st.mkdir()
    mt940([(date(2026, 10, 19), due["SL-0003", "2026-09"], acc["SL-0003"], "X", "przelew")], st / "w.sta")
    res = reconcile_plain("2026-10", st, db).result
    assert [(m["unit_id"], m["matched_by"]) for m in res.matches] == [("SL-0003", "account, oldest outstanding")]


def two_units_closed_in_november(tmp_path) -> Path:
    """U1 and U2 of one region, one member each, November 2026 closed."""
    units = [dict(UNIT), dict(UNIT, unit_id="U2", name="Druga organizacja")]
    inbox = write_inbox(tmp_path / "inbox", units=units, members=[member("M1"), member("M2", unit="U2")],
                        income=[line("M1", "wage", "5000.00", "2026-11"), line("M2", "wage", "6000.00", "2026-11")])
    db = tmp_path / "books.duckdb"
    assert close_plain("2026-11", inbox, db, unit_workbooks=False).ok
    return db


def test_issue_25_paying_on_monday_for_a_deadline_on_sunday_is_not_late(tmp_path):
    """November 2026's transfer is due by 20 December, a Sunday: it moves to Monday 21 December
    (Kodeks cywilny art. 115), so a unit paying on the 21st is on time and one paying on the 22nd is
    one day late — from the close's stored deadline through reconciliation's verdicts."""
    db = two_units_closed_in_november(tmp_path)
    with duckdb.connect(str(db), read_only=True) as con:
        due = {u: (int(a * 100), d) for u, a, d in con.execute(
            "SELECT payer_id, amount, due_on FROM transfers WHERE payer_kind = 'unit' AND payee = 'region'").fetchall()}
        (rule,) = con.execute("SELECT DISTINCT rule FROM transfers WHERE payer_kind = 'unit'").fetchone()
    assert {d for _, d in due.values()} == {date(2026, 12, 21)}
    assert "20 grudnia 2026 to niedziela — Kodeks cywilny art. 115" in rule
    folder = tmp_path / "statements"
    folder.mkdir()
    bank_csv([(date(2026, 12, 21), due["U1"][0], None, "Organizacja testowa", "Składki U1 11/2026"),
              (date(2026, 12, 22), due["U2"][0], None, "Druga organizacja", "Składki U2 11/2026")],
             folder / "wyciag.csv")
    outcome = reconcile_plain("2026-11", folder, db)
    assert outcome.ok, outcome.message
    status = {s["unit_id"]: s for s in outcome.result.status}
    assert (status["U1"]["status"], status["U1"]["days_late"]) == ("paid", 0)
    assert (status["U2"]["status"], status["U2"]["days_late"]) == ("late", 1)
    assert status["U1"]["due_on"] == date(2026, 12, 21)


def test_issue_25_a_transfer_found_paid_in_full_approves_the_units_draft_month(tmp_path):
    """RULES.md §13: U1's transfer is on the statement in full, U2's short by 0.01 zł: U1's month is
    approved by the reconciliation (and its summary says so), U2's stays a draft."""
    db = two_units_closed_in_november(tmp_path)
    with duckdb.connect(str(db), read_only=True) as con:
        due = {u: int(a * 100) for u, a in con.execute(
            "SELECT payer_id, amount FROM transfers WHERE payer_kind = 'unit' AND payee = 'region'").fetchall()}
    folder = tmp_path / "statements"
    folder.mkdir()
    bank_csv([(date(2026, 12, 18), due["U1"], None, "Organizacja testowa", "Składki U1 11/2026"),
              (date(2026, 12, 18), due["U2"] - 1, None, "Druga organizacja", "Składki U2 11/2026")],
             folder / "wyciag.csv")
    outcome = reconcile_plain("2026-11", folder, db)
    assert outcome.ok, outcome.message
    assert "zatwierdzono (przelew zapłacony w całości): U1 2026-11" in RECONCILE.summary(outcome.run, outcome.result)
    with duckdb.connect(str(db), read_only=True) as con:
        states = dict(con.execute("SELECT unit_id, state || ' ' || coalesce(approved_via, '') FROM unit_months"
                                  ).fetchall())
    assert states == {"U1": "approved uzgodnienie", "U2": "draft "}
