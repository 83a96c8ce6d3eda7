"""Issue 17: the election rules of every union in the seeds (data/elections.toml), the seats of
every key of data/delegate_keys.toml from a closed demo month, eligibility on a demo date, and
the tally of a vote. One test per seed rule, citing its paragraph."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from flows import settings
from flows.command import run_plain
from flows.elections import ELIGIBILITY, RULES, SEATS, TALLY, TallyParams
from tests.conftest import close_demo_months
from transforms import elections as el
from transforms.errors import UserError

UNIONS = el.load(RULES.read_text(encoding="utf-8"))
DAY = date(2026, 11, 15)


def member(joined, left=None, unpaid=0, mid="M1", unit="U1", assembly=True, more=()):
    return el.Member(mid, unit, [(date.fromisoformat(joined), date.fromisoformat(left) if left else None), *more],
                     unpaid, "2026-08" if unpaid else None, assembly)


def one(union, m, day=DAY, problems=None):
    return el.eligibility(UNIONS[union], [m], day, 3, "rulebook [versions.arrears]", problems).members[0]


# ------------------------------------------------------------------ membership length

def test_candidate_at_six_months_minus_one_day_and_at_exactly_six_months():
    """004 Uchwała XIX KZD nr 1/2005 §1 pkt 1 lit. a: at least six months of uninterrupted
    membership immediately before the election. Joined 15 May: 14 November is six months minus
    one day (may vote, may not stand), 15 November is exactly six months (may stand)."""
    m = member("2026-05-15")
    early = one("solidarnosc", m, date(2026, 11, 14))
    assert early["may_vote"] and early["may_stand"] == "nie"
    assert "5 pełnych mies., wymagane 6 — od 2026-11-15" in early["stand_reason"]
    assert "§1 pkt 1 lit. a" in early["stand_reason"]
    exact = one("solidarnosc", m, date(2026, 11, 15))
    assert exact["may_stand"] == "tak" and exact["stand_rule"].endswith("§1 pkt 1 lit. a")


def test_six_months_from_the_31st_ends_on_the_months_last_day():
    assert el.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert el.full_months(date(2026, 8, 31), date(2027, 2, 27)) == 5
    assert el.full_months(date(2026, 8, 31), date(2027, 2, 28)) == 6


def test_a_break_in_membership_restarts_the_count_touching_periods_do_not():
    """lit. a: 'nieprzerwanym okresem … bezpośrednio poprzedzającym wybór'."""
    periods = [(date(2010, 1, 1), date(2026, 6, 30)), (date(2026, 7, 1), None)]
    assert el.uninterrupted_since(periods, DAY) == date(2010, 1, 1)          # the next day: one membership
    broken = [(date(2010, 1, 1), date(2026, 6, 30)), (date(2026, 7, 2), None)]
    assert el.uninterrupted_since(broken, DAY) == date(2026, 7, 2)           # a day's gap: counted afresh
    assert el.uninterrupted_since(broken, date(2026, 7, 1)) is None          # not a member that day


def test_five_years_with_the_support_of_a_quarter_of_the_voters():
    """004 Uchwała XIX KZD nr 1/2005 §1 pkt 1 lit. b: a member of the unit who is not in the
    electing assembly may stand with five years of membership and the written support of 25 % of
    those entitled to vote; 4 years 11 months is not enough."""
    delegates = [member("2000-01-01", mid=f"D{i}") for i in range(10)]
    veteran = member("2021-11-15", mid="V", assembly=False)
    short = member("2021-11-16", mid="S", assembly=False)
    res = el.eligibility(UNIONS["solidarnosc"], delegates + [veteran, short], DAY, 3, "x")
    rows = {r["member_id"]: r for r in res.members}
    assert sum(r["may_vote"] for r in res.members) == 10 and not rows["V"]["may_vote"]
    assert rows["V"]["may_stand"] == "z poparciem" and res.signatures_needed == 3       # ⌈25 % × 10⌉
    assert "co najmniej 3 z 10 uprawnionych" in rows["V"]["stand_reason"]
    assert rows["V"]["stand_rule"].endswith("§1 pkt 1 lit. b")
    assert rows["S"]["may_stand"] == "nie" and "wymagane 60" in rows["S"]["stand_reason"]
    assert rows["D0"]["may_stand"] == "tak"


def test_members_with_three_unpaid_months_may_not_vote_where_a_unions_rules_say_so():
    """The `dues_settled` condition: a member three months in arrears (the rulebook's arrears
    months, RULES.md §10) is not entitled; two months still are. No union in the seeds has such a
    rule (issue 30), so a union carrying it is built here."""
    from dataclasses import replace
    strict = replace(UNIONS["solidarnosc"], vote=(el.Route(("in_force", "dues_settled"), "test"),),
                     stand=(el.Route(("in_force", "dues_settled"), "test"),))
    out = el.eligibility(strict, [member("2000-01-01", unpaid=3)], DAY, 3, "rulebook [versions.arrears]").members[0]
    assert not out["may_vote"] and out["may_stand"] == "nie"
    assert out["vote_reason"].startswith("zaległość w składkach 3 mies. od 2026-08")
    assert el.eligibility(strict, [member("2000-01-01", unpaid=2)], DAY, 3, "").members[0]["may_vote"]


def test_issue_30_solidarnosc_members_in_arrears_still_vote_and_stand():
    """004 Uchwała XIX KZD nr 1/2005 §1 pkt 1 lit. a–b (who may stand) and §3 ust. 4 (who may
    vote) say nothing of dues: three unpaid months bar nobody (the bar was another union's reading)."""
    out = one("solidarnosc", member("2000-01-01", unpaid=3))
    assert out["may_vote"] and out["may_stand"] == "tak" and out["vote_reason"] == ""
    assert out["months_unpaid"] == 3                   # still shown on the list
    assert all("dues_settled" not in r.conditions for u in UNIONS.values() for r in (*u.vote, *u.stand))


def test_mzzpsz_delegate_needs_two_years():
    """001 Załącznik nr 1 pkt 11: 'nie krócej niż 2 lata'."""
    assert one("mzzpsz", member("2024-11-16"))["may_stand"] == "nie"
    ok = one("mzzpsz", member("2024-11-15"))
    assert ok["may_stand"] == "tak" and ok["stand_rule"] == "001 Załącznik nr 1 pkt 11"


def test_przerobka_counts_only_delegates_of_units_with_dues_settled():
    """003 Art. 23 ust. 5: the entitled delegates are those of units whose dues are settled on the
    day the assembly is called; ust. 4: the assembly needs 50 % + 1 of them."""
    transfers = [{"period": "2026-09", "payer_id": "A", "amount": 10000, "due_on": date(2026, 10, 20), "paid": 10000},
                 {"period": "2026-09", "payer_id": "B", "amount": 10000, "due_on": date(2026, 10, 20), "paid": 4000},
                 {"period": "2026-09", "payer_id": "C", "amount": 10000, "due_on": date(2026, 10, 20), "paid": None},
                 {"period": "2026-10", "payer_id": "A", "amount": 10000, "due_on": date(2026, 11, 20), "paid": None}]
    problems = el.unit_problems(transfers, DAY)
    assert set(problems) == {"B", "C"}                                      # A's October is not due yet
    assert "wpłacono 40,00 zł" in problems["B"] and "brak uzgodnienia" in problems["C"]
    body = UNIONS["przerobka"].assembly
    res = el.delegates_assembly(UNIONS["przerobka"], body, {"A": 250, "B": 99, "C": 100},
                                {"A": 3, "B": 1, "C": 2}, problems, DAY)
    assert [(u["unit_id"], u["entitled_delegates"]) for u in res.units] == [("A", 3), ("B", 0), ("C", 0)]
    t = UNIONS["przerobka"].assembly
    assert el.quorum_needed(3, __import__("fractions").Fraction(t["quorum"]), t["quorum_kind"]) == 2   # 50 % + 1
    assert el.quorum_needed(4, __import__("fractions").Fraction(t["quorum"]), t["quorum_kind"]) == 3


# ------------------------------------------------------------------ tally

def test_a_tally_that_needs_a_runoff():
    """004 Uchwała 1/2005 §1 pkt 7: more than half of the valid votes; nobody has it, so the two
    best go to the next round. 41 voted of 55 (quorum 28), 2 invalid, 39 valid: 20 needed."""
    t = el.tally(UNIONS["solidarnosc"], "przewodniczący", 55, 41, 2, 1, {"A": 18, "B": 14, "C": 7})
    assert (t.quorum_needed, t.valid, t.votes_needed) == (28, 39, 20)
    assert t.runoff == ["A", "B"] and [c["result"] for c in t.candidates] == ["druga tura", "druga tura", "niewybrany"]
    assert t.verdict == "wybrano 0 z 1; druga tura na 1 mandat: A, B"


def test_przerobka_elects_at_exactly_half_solidarnosc_does_not():
    """003 Ordynacja Art. 13 ust. 4 'nie mniej niż 50% głosów' against 004 §1 pkt 7 'więcej niż
    połowy'; 003 Art. 13 ust. 5: the runoff of the top two."""
    p = el.tally(UNIONS["przerobka"], "przewodniczący", 50, 40, 0, 1, {"A": 20, "B": 12, "C": 8})
    assert p.verdict == "wybory ważne; wybrano: A"
    s = el.tally(UNIONS["solidarnosc"], "przewodniczący", 50, 40, 0, 1, {"A": 20, "B": 12, "C": 8})
    assert s.runoff == ["A", "B"]


def test_a_tally_without_quorum_is_void():
    """004 §1 pkt 6: at least half of those entitled; 27 of 55 is not; 003 Ordynacja Art. 3 ust. 1
    pkt 6 (issue 30): a vote is valid with at least 50 % of those entitled; 24 of 50 is not, 25 is."""
    t = el.tally(UNIONS["solidarnosc"], "komisja", 55, 27, 0, 1, {"A": 27})
    assert not t.quorum_met and t.verdict.startswith("wybory nieważne — brak kworum: głosowało 27 z 55")
    assert all(c["result"] == "głosowanie nieważne" for c in t.candidates)
    assert not el.tally(UNIONS["przerobka"], "k", 50, 24, 0, 1, {"A": 24}).quorum_met
    assert el.tally(UNIONS["przerobka"], "k", 50, 25, 0, 1, {"A": 25}).quorum_met


def test_issue_30_przerobka_a_vote_at_exactly_half_the_entitled_is_valid():
    """003 Ordynacja Art. 3 ust. 1 pkt 6: 'Głosowanie jest ważne jeżeli uczestniczyło w nim co
    najmniej 50% uprawnionych' — 25 of 50 is valid (it used to need 26, the meeting's 'ponad 50%')."""
    t = el.tally(UNIONS["przerobka"], "Zarząd", 50, 25, 0, 1, {"A": 20, "B": 5})
    assert t.quorum_needed == 25 and t.quorum_met and t.verdict == "wybory ważne; wybrano: A"
    assert "003 Ordynacja Art. 3 ust. 1 pkt 6" in t.sources


def test_issue_30_przerobka_boards_and_delegates_by_simple_majority_chairs_by_half():
    """003 Ordynacja Art. 3 ust. 4: 'wybrani zostają Ci kandydaci, którzy uzyskali zwykłą większość
    głosów'; ust. 5: a tie → the next round; the 50 % floor is a chair's only (Art. 13 ust. 4,
    Art. 16 ust. 4, Art. 18 ust. 4, Art. 22 ust. 4), with the two best in the runoff (Art. 13 ust. 5)."""
    board = el.tally(UNIONS["przerobka"], "Zarząd Struktury", 50, 40, 0, 2, {"A": 15, "B": 12, "C": 8, "D": 5})
    assert board.verdict == "wybory ważne; wybrano: A, B" and board.votes_needed is None
    assert "Art. 3 ust. 4" in board.sources
    tie = el.tally(UNIONS["przerobka"], "Delegaci", 50, 40, 0, 2, {"A": 15, "B": 10, "C": 10, "D": 5})
    assert tie.runoff == ["B", "C"] and "Art. 3 ust. 5" in tie.sources
    chair = el.tally(UNIONS["przerobka"], "Przewodniczący Komisji Rewizyjnej", 50, 40, 0, 1, {"A": 19, "B": 12, "C": 9})
    assert chair.votes_needed == 20 and chair.runoff == ["A", "B"] and "Art. 13 ust. 5" in chair.sources


def test_more_invalid_than_valid_votes_void_a_solidarnosc_election():
    """004 §1 pkt 7: 'głosów ważnych musi być więcej niż głosów nieważnych'."""
    t = el.tally(UNIONS["solidarnosc"], "k", 40, 30, 15, 1, {"A": 15})
    assert t.valid_over_invalid is False and "nieważnych (15) nie mniej niż ważnych (15)" in t.verdict


def test_ozz_srl_plurality_and_a_tie_at_the_last_seat():
    """002 §20 ust. 9: the most votes win; a tie that decides a seat is voted again among the tied."""
    t = el.tally(UNIONS["ozz_srl"], "zarząd", 30, 20, 0, 2, {"A": 9, "B": 6, "C": 6, "D": 3})
    assert [c["result"] for c in t.candidates] == ["wybrany", "druga tura", "druga tura", "niewybrany"]
    assert t.runoff == ["B", "C"] and t.votes_needed is None


def test_two_seats_filled_by_absolute_majority():
    t = el.tally(UNIONS["mzzpsz"], "komisja", 60, 40, 0, 2, {"A": 30, "B": 25, "C": 10})
    assert t.verdict == "wybory ważne; wybrano: A, B"


def test_issue_30_mzzpsz_elects_by_the_most_votes_and_votes_again_only_on_a_tie():
    """001 Ordynacja Wyborcza §9: 'Za wybranych uważa się tych kandydatów, którzy uzyskali kolejno
    największą liczbę głosów, a w razie równej liczby głosów … kolejne tury głosowania, w której
    uczestniczą kandydaci z największą, równą liczbą głosów' — no absolute majority, no top-two
    runoff; the quorum is §25 ust. 6 (§21 is about withdrawing a delegate's mandate)."""
    t = el.tally(UNIONS["mzzpsz"], "Zarząd", 60, 40, 0, 2, {"A": 15, "B": 12, "C": 8, "D": 5})
    assert t.verdict == "wybory ważne; wybrano: A, B" and t.votes_needed is None
    tie = el.tally(UNIONS["mzzpsz"], "Przewodniczący", 60, 40, 0, 1, {"A": 15, "B": 15, "C": 10})
    assert tie.runoff == ["A", "B"] and [c["result"] for c in tie.candidates][-1] == "niewybrany"
    assert "001 Ordynacja Wyborcza §9" in t.sources and "001 §25 ust. 6" in t.sources and "§21" not in t.sources


# ------------------------------------------------------------------ end to end on the demo

@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return close_demo_months(tmp_path_factory.mktemp("elections") / "s.duckdb")


def run(command, **params):
    outcome = run_plain(command, lambda m: None, **params)
    assert outcome.ok, outcome.message
    return outcome.run


@pytest.mark.parametrize("key,expected", [
    ("solidarnosc_2014", {"GD": 0, "SL": 0}),             # per region, full 2 100 members
    ("ozz_srl", {"GD-0001": 3, "SL-0004": 3}),            # per unit, > 50 members: 3 (002 §23 ust. 9)
    ("przerobka", {"SL-0004": 1}),                        # 1 + ⌊55 / 100⌋ (003 Ordynacja Art. 17), przerobka units only
    ("mzzpsz", {"związek": None}),                        # 327 > 150: a delegates' assembly (001 §23 pkt 2)
    ("per:20", {"GD": 5, "SL": 10}),
])
def test_seats_under_every_key_from_the_demos_closed_month(db, tmp_path, key, expected):
    r = run(SEATS, key=key, db=db, period="2026-10", members=None, out=tmp_path)
    got = {row["body"]: row["seats"] for row in r.result.rows}
    assert {k: got[k] for k in expected} == expected
    ws = openpyxl.load_workbook(tmp_path / r.result.file).active
    assert ws.cell(1, 3).value == "Mandaty" and ws.max_row == len(got) + 1


def test_seats_from_a_plain_count_file(tmp_path):
    f = tmp_path / "liczebnosc.csv"
    f.write_text("unit_id;members\nK1;20\nK2;21\nK3;51\n", encoding="cp1250")
    r = run(SEATS, key="ozz_srl", db=None, period=None, members=f, out=None)
    assert [(x["body"], x["seats"]) for x in r.result.rows] == [("K1", 1), ("K2", 2), ("K3", 3)]
    assert "K3" in SEATS.summary(r, r.result)


def test_a_bad_count_is_one_polish_message_naming_the_row(tmp_path):
    f = tmp_path / "liczebnosc.csv"
    f.write_text("unit_id,members\nK1,20\nK2,dwadzieścia\n", encoding="utf-8")
    outcome = run_plain(SEATS, lambda m: None, key="ozz_srl", db=None, period=None, members=f, out=None)
    assert not outcome.ok
    assert outcome.message.startswith("liczebnosc.csv, wiersz 2: liczba członków w kolumnie members ('dwadzieścia')")


def test_eligibility_on_a_demo_date(db, tmp_path):
    """SL-0002 on 15 November 2026: M0000002 left on 30 June and joined again on 3 November, so
    may vote but may not stand (12 days of uninterrupted membership, lit. a)."""
    r = run(ELIGIBILITY, date="2026-11-15", body="SL-0002", db=db, members=settings.DEMO_INBOX / "members.csv",
            assembly=None, out=tmp_path)
    rows = {x["member_id"]: x for x in r.result.eligibility.members}
    m2 = rows["M0000002"]
    assert m2["may_vote"] and m2["may_stand"] == "nie" and m2["member_since"] == date(2026, 11, 3)
    wb = openpyxl.load_workbook(tmp_path / r.result.file)
    assert wb.sheetnames == ["Głosowanie", "Kandydowanie"]
    found = next(row for row in wb["Kandydowanie"].iter_rows(values_only=True) if row[0] == "M0000002")
    assert found[1] == "Katarzyna Rutkowska" and found[5] == "nie"
    summary = ELIGIBILITY.summary(r, r.result)
    assert "może kandydować 54" in summary


def test_eligibility_of_przerobkas_national_assembly_without_reconciliation(db):
    r = run(ELIGIBILITY, date="2026-11-15", body="przerobka", db=db, members=None, assembly=None, out=None)
    (unit,) = r.result.eligibility.units
    assert unit["unit_id"] == "SL-0004" and unit["entitled_delegates"] == 0
    assert "brak uzgodnienia wpływów" in unit["reason"]


def test_unknown_body_and_union_are_polish_messages(db, tmp_path):
    bad = run_plain(ELIGIBILITY, lambda m: None, date="2026-11-15", body="XX", db=db, members=None, assembly=None,
                    out=None)
    assert not bad.ok and bad.message.startswith("Nie ma jednostki ani regionu 'XX'")
    with pytest.raises(UserError, match="ieznane zasady wyborcze 'abc'"):
        TALLY.check(TallyParams(votes=settings.DEMO_INBOX / "votes.csv", rules="abc"))


def test_tally_of_the_demo_protocol(tmp_path):
    r = run(TALLY, votes=settings.DEMO_INBOX / "votes.csv", rules="solidarnosc", out=tmp_path)
    chair, audit = r.result.results
    assert chair.runoff == ["Anna Nowak", "Jan Kowalski"]
    assert audit.verdict == "wybory ważne; wybrano: Maria Wiśniewska, Tomasz Lewandowski"
    wb = openpyxl.load_workbook(tmp_path / r.result.file)
    assert wb.sheetnames == ["Wyniki", "Podstawa", "Kandydaci"]
    assert all(not str(c.value).startswith("=") for row in wb["Kandydaci"].iter_rows() for c in row)


def test_a_protocol_that_does_not_add_up(tmp_path):
    f = tmp_path / "votes.csv"
    f.write_text("election,entitled,participants,invalid,seats,candidate,votes\nk,10,12,0,1,A,5\n", encoding="utf-8")
    outcome = run_plain(TALLY, lambda m: None, votes=f, rules="przerobka", out=None)
    assert not outcome.ok and outcome.message.startswith("votes.csv, wiersz 1: głosowanie 'k': liczby się nie zgadzają")


def test_issue_30_ozz_srl_quorum_of_the_second_and_third_term():
    """002 §23 ust. 12: the general meeting needs 1/2 of the members, in the second term 1/4;
    ust. 13: in a further term 1/8. 30 of 100 is void in the first term, valid in the second."""
    first = el.tally(UNIONS["ozz_srl"], "Zarząd", 100, 30, 0, 1, {"A": 20, "B": 10})
    assert not first.quorum_met and first.quorum_needed == 50
    second = el.tally(UNIONS["ozz_srl"], "Zarząd", 100, 30, 0, 1, {"A": 20, "B": 10}, term=2)
    assert second.quorum_needed == 25 and second.verdict == "wybory ważne; wybrano: A"
    assert "002 §23 ust. 12 (II termin" in second.sources
    third = el.tally(UNIONS["ozz_srl"], "Zarząd", 100, 12, 0, 1, {"A": 12}, term=3)
    assert third.quorum_needed == 13 and third.verdict.startswith("wybory nieważne — brak kworum (III termin): głosowało 12")
    assert "002 §23 ust. 13" in third.sources


def test_issue_30_the_protocols_term_column_is_optional_and_checked(tmp_path):
    """The protocol's `term` (002 §23 ust. 12–13): a missing column or cell is the first term; a
    term the union's rules do not know is refused naming the row."""
    f = tmp_path / "votes.csv"
    f.write_text("election,entitled,participants,invalid,seats,candidate,votes,term\n"
                 "Zarząd,100,30,0,1,A,20,2\nZarząd,,,,,B,10,\n", encoding="utf-8")
    r = run(TALLY, votes=f, rules="ozz_srl", out=tmp_path)
    (t,) = r.result.results
    assert t.term == 2 and t.verdict == "wybory ważne; wybrano: A"
    assert "(kworum 25, II termin)" in TALLY.summary(r, r.result)
    f.write_text("election,entitled,participants,invalid,seats,candidate,votes\nZarząd,100,30,0,1,A,20\n", encoding="utf-8")
    assert run(TALLY, votes=f, rules="ozz_srl", out=None).result.results[0].verdict.startswith("wybory nieważne — brak kworum")
    f.write_text("election,entitled,participants,invalid,seats,candidate,votes,term\nZarząd,100,30,0,1,A,20,4\n", encoding="utf-8")
    outcome = run_plain(TALLY, lambda m: None, votes=f, rules="ozz_srl", out=None)
    assert not outcome.ok and outcome.message.startswith("votes.csv, wiersz 1: termin zebrania: zasady ozz_srl znają terminy 1–3")
    outcome = run_plain(TALLY, lambda m: None, votes=f, rules="solidarnosc", out=None)
    assert not outcome.ok and "znają tylko I termin" in outcome.message


# ------------------------------------------------------------------ issue 27: protocols accepted without a word

HEADER = "election,entitled,participants,invalid,seats,candidate,votes\n"


def _protocol(tmp_path, body: str, name: str = "votes.csv"):
    f = tmp_path / name
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(HEADER + body, encoding="utf-8")
    return f


def test_issue_27_more_votes_than_the_ballots_allow_are_refused(tmp_path):
    """120 votes from 60 valid ballots for one seat were 'valid': each ballot carries at most one
    vote per seat, so votes for candidates ≤ valid ballots × seats."""
    f = _protocol(tmp_path, "k,100,60,0,1,A,60\nk,,,,,B,60\n")
    outcome = run_plain(TALLY, lambda m: None, votes=f, rules="solidarnosc", out=tmp_path / "out")
    assert not outcome.ok
    assert outcome.message == (
        "votes.csv, wiersz 1: głosowanie 'k': na kandydatów oddano 120 głosów, a ważnych kart jest 60 (60 głosujących "
        "− 0 nieważnych); przy liczbie mandatów 1 to najwyżej 60 głosów. Sprawdź protokół komisji skrutacyjnej "
        "(liczbę głosujących, głosów nieważnych i mandatów oraz głosy kandydatów).")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    one = _protocol(tmp_path, "k,100,60,5,1,A,56\n", "one.csv")      # one candidate, 56 votes of 55 valid ballots
    said = run_plain(TALLY, lambda m: None, votes=one, rules="solidarnosc", out=None).message
    assert said.startswith("one.csv, wiersz 1: głosowanie 'k': na kandydatów oddano 56 głosów, a ważnych kart jest 55")
    ok = _protocol(tmp_path, "k,100,60,0,2,A,60\nk,,,,,B,60\n", "two_seats.csv")     # two seats: 120 may be cast
    assert run_plain(TALLY, lambda m: None, votes=ok, rules="solidarnosc", out=None).ok


@pytest.mark.parametrize("variant", ["jan  kowalski ", "JAN KOWALSKI", "Jan\u00a0Kowalski", "Jan Kowalski\t"])
def test_issue_27_candidates_differing_only_in_case_or_spaces_are_one_candidate(tmp_path, variant):
    """'Jan Kowalski' and 'jan  kowalski ' were counted as two candidates: the name's identity is
    casefolded, its spaces collapsed, Unicode composed (NFC); a second row of the same candidate is
    refused as before, the message quoting both spellings and rows."""
    f = _protocol(tmp_path, f"k,100,60,0,1,Jan Kowalski,30\nk,,,,,Anna Nowak,20\nk,,,,,{variant},10\n")
    outcome = run_plain(TALLY, lambda m: None, votes=f, rules="solidarnosc", out=None)
    assert not outcome.ok
    assert outcome.message.startswith(f"votes.csv, wiersz 3: kandydat '{variant.strip()}' w głosowaniu 'k' to ten "
                                      "sam kandydat co 'Jan Kowalski' z wiersza 1 (nazwiska różniące się tylko "
                                      "wielkością liter albo odstępami to jeden kandydat)")


def test_issue_27_a_name_in_decomposed_unicode_is_the_same_candidate(tmp_path):
    composed, decomposed = "Piotr Zieli\u0144ski", "Piotr Zieli" + "n\u0301" + "ski"
    f = _protocol(tmp_path, f"k,100,60,0,1,{composed},30\nk,,,,,{decomposed},10\n")
    outcome = run_plain(TALLY, lambda m: None, votes=f, rules="solidarnosc", out=None)
    assert not outcome.ok and "to ten sam kandydat" in outcome.message


def test_issue_27_an_election_name_spelled_twice_is_one_election_and_the_variant_is_reported(tmp_path):
    """A later row of the same vote whose election name differs in case or spaces belongs to it
    (it used to start a second vote without numbers); the summary names the variant spelling."""
    f = _protocol(tmp_path, "Komisja rewizyjna,55,41,1,2,A,30\nkomisja  rewizyjna,,,,,B,22\n")
    outcome = run_plain(TALLY, lambda m: None, votes=f, rules="solidarnosc", out=None)
    assert outcome.ok, outcome.message
    (t,) = outcome.result.results
    assert t.election == "Komisja rewizyjna" and [c["candidate"] for c in t.candidates] == ["A", "B"]
    assert "głosowanie 'Komisja rewizyjna' zapisane też jako 'komisja  rewizyjna' (wiersz 2)" in TALLY.summary(outcome.run, outcome.result)


def test_issue_27_fewer_candidates_than_seats_says_so_instead_of_an_empty_runoff():
    """3 seats, 2 candidates, both elected: the third seat has nobody to go to a runoff; the verdict
    used to end 'druga tura na 1 mandat: ' (nobody)."""
    t = el.tally(UNIONS["solidarnosc"], "komisja", 50, 40, 0, 3, {"A": 30, "B": 25})
    assert t.runoff == []
    assert t.verdict == ("wybrano 2 z 3; 1 mandat nieobsadzony — kandydatów (2) było mniej niż mandatów (3), "
                         "nie ma kogo poddać drugiej turze: potrzebne nowe zgłoszenia kandydatów")
    assert not t.verdict.rstrip().endswith(":")


def test_issue_27_fewer_candidates_than_seats_is_said_even_when_a_runoff_remains():
    """Issue 30: with fewer candidates than seats no runoff remains — B, short of the majority
    (004 §1 pkt 7), is not elected and the two seats stay vacant."""
    t = el.tally(UNIONS["solidarnosc"], "komisja", 50, 40, 0, 3, {"A": 30, "B": 10})
    assert t.runoff == []
    assert "kandydatów (2) było mniej niż mandatów (3)" in t.verdict


def test_issue_30_fewer_candidates_than_seats_elects_who_has_the_votes_and_leaves_the_rest_vacant():
    """Every candidate with the votes the rule needs is elected (004 Uchwała 1/2005 §1 pkt 7), the
    other seats stay vacant and no runoff is called: a next round among fewer candidates than
    seats could not fill them. Przeróbka's ordinance forbids such a list (003 Ordynacja Art. 3
    ust. 1 pkt 2), and the verdict says so. The next round is cited as 1/2005 §9 (the protocol's
    'listę kandydatów kwalifikujących się do następnej tury'), not §10 (notice periods)."""
    t = el.tally(UNIONS["solidarnosc"], "komisja", 50, 40, 0, 3, {"A": 30, "B": 10})
    assert [c["result"] for c in t.candidates] == ["wybrany", "niewybrany"] and t.runoff == []
    assert t.verdict == ("wybrano 1 z 3; 2 mandaty nieobsadzone — kandydatów (2) było mniej niż mandatów (3), "
                         "bez wymaganej liczby głosów: B; drugiej tury nie zarządza się: potrzebne nowe zgłoszenia kandydatów")
    assert "1/2005 §9" in t.sources and "§10" not in t.sources
    p = el.tally(UNIONS["przerobka"], "Zarząd", 50, 40, 0, 3, {"A": 30, "B": 10})
    assert [c["result"] for c in p.candidates] == ["wybrany", "wybrany"] and p.runoff == []
    assert p.verdict.endswith("nie ma kogo poddać drugiej turze: potrzebne nowe zgłoszenia kandydatów (liczba "
                              "kandydatów nie mniejsza od liczby mandatów: 003 Ordynacja Art. 3 ust. 1 pkt 2)")


def test_issue_27_two_protocols_of_one_file_name_do_not_overwrite_one_result(tmp_path):
    """a/protokol.csv and b/protokol.csv tallied into one --out wrote the same wyniki_protokol.xlsx:
    the second result replaced the first. The file name carries a short mark of the protocol's
    full path; the same protocol tallied again replaces its own result."""
    a = _protocol(tmp_path, "k,10,8,0,1,A,6\nk,,,,,B,2\n", "a/protokol.csv")
    b = _protocol(tmp_path, "k,10,8,0,1,A,1\nk,,,,,B,7\n", "b/protokol.csv")
    out = tmp_path / "out"
    first = run(TALLY, votes=a, rules="solidarnosc", out=out).result.file
    second = run(TALLY, votes=b, rules="solidarnosc", out=out).result.file
    assert first != second and first.startswith("wyniki_protokol") and first.casefold() != second.casefold()
    assert sorted(p.name for p in out.iterdir()) == sorted([first, second])
    assert openpyxl.load_workbook(out / first)["Kandydaci"]["B"][1].value == "A"
    assert openpyxl.load_workbook(out / second)["Kandydaci"]["B"][1].value == "B"
    assert run(TALLY, votes=a, rules="solidarnosc", out=out).result.file == first
    assert len(list(out.iterdir())) == 2


def test_issue_27_an_assembly_naming_someone_outside_the_body_is_refused(db, tmp_path):
    """`--assembly` listed a member id the body's register does not hold (a typo, another unit's
    member): that delegate silently had no vote. The run is refused naming the rows and ids."""
    f = tmp_path / "delegaci.csv"
    f.write_text("member_id\nM0000002\nM9999999\nm0000002\n", encoding="utf-8")
    outcome = run_plain(ELIGIBILITY, lambda m: None, date="2026-11-15", body="SL-0002", db=db, members=None,
                        assembly=f, out=None)
    assert not outcome.ok
    assert outcome.message.startswith("delegaci.csv, wiersze 2 i 3: M9999999, m0000002 nie należą do członków SL-0002 "
                                      "w rejestrze z zamknięcia 2026-10"), outcome.message


@pytest.mark.parametrize("column", ["election", "candidate"])
def test_issue_27_a_name_longer_than_any_name_is_refused_not_cut(tmp_path, column):
    """A 200 000-character candidate was tallied and elected, the workbook cutting the cell to
    32 767 characters without a word; a name is at most 200 characters."""
    long = "x" * 200_000
    body = f"{long},10,8,0,1,A,5\n" if column == "election" else f"k,10,8,0,1,{long},5\n"
    outcome = run_plain(TALLY, lambda m: None, votes=_protocol(tmp_path, body), rules="solidarnosc", out=None)
    assert not outcome.ok and len(outcome.message) < 400
    assert outcome.message.startswith(f"votes.csv, wiersz 1: {column} ma 200000 znaków, najwięcej 200 ('xxxxxxxxxx")


@pytest.mark.parametrize("row", ["k,10,8,0,1,A,5,3", "k,10,8,0,1,A"])
def test_issue_27_a_protocol_row_with_a_separator_too_many_or_too_few_is_refused(tmp_path, row):
    """'k,10,8,0,1,A,5,3' was tallied as 5 votes for A, the last cell dropped without a word."""
    outcome = run_plain(TALLY, lambda m: None, votes=_protocol(tmp_path, row + "\nk,,,,,B,3\n"), rules="solidarnosc",
                        out=None)
    assert not outcome.ok
    cells = row.count(",") + 1
    assert outcome.message.startswith(f"votes.csv, wiersz 1: w wierszu jest komórek: {cells}, a w nagłówku kolumn: 7")


def test_issue_27_a_names_file_row_with_a_separator_too_many_is_refused(db, tmp_path):
    """A shifted row of the --members file would print another member's name beside an id."""
    f = tmp_path / "members.csv"
    f.write_text("member_id,unit_id,category,joined_on,full_name\nM0000002,SL-0002,employee,2026-11-03,Katarzyna,"
                 "Rutkowska\n", encoding="utf-8")
    outcome = run_plain(ELIGIBILITY, lambda m: None, date="2026-11-15", body="SL-0002", db=db, members=f,
                        assembly=None, out=None)
    assert not outcome.ok and outcome.message.startswith("members.csv, wiersz 1: w wierszu jest komórek: 6"), \
        outcome.message


# ------------------------------------------------------------------ issue 28: the reports (reports/elections.py)

def test_the_national_assembly_of_delegates_is_a_workbook_of_units_and_a_summary_of_the_quorum(db, tmp_path):
    r = run(ELIGIBILITY, date="2026-11-15", body="przerobka", db=db, members=None, assembly=None, out=tmp_path)
    wb = openpyxl.load_workbook(tmp_path / r.result.file)
    assert wb.sheetnames == ["Delegaci jednostek"]
    (row,) = list(wb["Delegaci jednostek"].iter_rows(min_row=2, values_only=True))
    assert row[:4] == ("SL-0004", 55, 1, 0) and row[4].startswith("składka nieuregulowana: przelew za 2026-09")
    summary = ELIGIBILITY.summary(r, r.result)
    assert ("delegaci: 1, uprawnieni 0 (003 Art. 23 ust. 5); brak uprawnionych delegatów: zebranie nie może się "
            "odbyć") in summary
    assert "  SL-0004    delegatów   1, uprawnionych   0  — składka nieuregulowana" in summary
    assert summary.endswith(f"arkusz: {tmp_path / r.result.file}")


def test_a_regions_summary_names_the_units_of_another_union_and_why_members_may_not_vote(db):
    r = run(ELIGIBILITY, date="2026-11-15", body="SL", db=db, members=None, assembly=None, out=None)
    summary = ELIGIBILITY.summary(r, r.result)
    assert r.result.file is None and "arkusz" not in summary
    assert "  nie głosuje: nie jest członkiem w dniu wyborów — 1" in summary
    assert summary.splitlines()[-1] == "  pominięte jednostki innego związku: SL-0004"


def test_an_assemblys_summary_counts_its_delegates_and_the_signatures_a_candidate_needs(db, tmp_path):
    f = tmp_path / "delegaci.csv"
    f.write_text("member_id\nM0000002\n", encoding="utf-8")
    r = run(ELIGIBILITY, date="2026-11-15", body="SL-0002", db=db, members=None, assembly=f, out=None)
    summary = ELIGIBILITY.summary(r, r.result)
    assert summary.splitlines()[0].endswith("wybiera zebranie delegatów (1 z --assembly)")
    assert "może głosować 1, nie może 54; może kandydować 0, z poparciem 53 (potrzeba 1 podpisów)" in summary


def test_the_reports_from_results_alone():
    """reports/elections.py needs only the result and the run's --out: the seats of a body without
    any ('—'), an assembly of entitled delegates with its quorum, the candidates' shares half-up."""
    from types import SimpleNamespace

    from reports import elections as report
    plain = SimpleNamespace(params=SimpleNamespace(out=None))
    seats = el.SeatsResult("mzzpsz", "union", "plik x", "klucz", [{"body": "związek", "members": 327, "seats": None}])
    assert report.seats_report(plain, seats) is None
    assert report.seats_summary(plain, seats).splitlines()[-2:] == [f"  {'związek':<14} {327:>11} {'—':>8}",
                                                                   f"  {'razem':<14} {327:>11} {0:>8}"]
    union = UNIONS["przerobka"]
    lists = el.delegates_assembly(union, union.assembly, {"A": 250, "B": 99}, {"A": 3, "B": 1}, {}, DAY)
    res = el.EligibilityResult("przerobka", DAY, "2026-10", lists, {}, None, [])
    assert "delegaci: 4, uprawnieni 4 (003 Art. 23 ust. 5); kworum: co najmniej 3 (" in \
        report.eligibility_summary(plain, res)
    assert report._pct(__import__("fractions").Fraction(6, 13)) == "46,15%"
    assert report._pct(__import__("fractions").Fraction(1, 8)) == "12,50%"
    t = el.tally_result(el.TallyInputs("solidarnosc", RULES.read_text(encoding="utf-8"),
                                       {"k": {"entitled": 10, "participants": 8, "invalid": 0, "seats": 1,
                                              "votes": {"A": 6, "B": 2}, "variants": {}}}))
    assert report.tally_report(plain, t) is None
    text = report.tally_summary(plain, t)
    assert "    → wybory ważne; wybrano: A" in text and "arkusz" not in text


def _unit_change(body, day=DAY, unions_unit_b="solidarnosc"):
    """M1 a member of unit A from 2010 to 31 March 2026, of unit B from 1 April 2026 (a change of
    unit, no break); X1 of unit B since 1 April 2026 only."""
    from flows.rules import rules_for
    units = [{"unit_id": "A", "region_id": "R", "rulebook": "solidarnosc"},
             {"unit_id": "B", "region_id": "R", "rulebook": unions_unit_b}]
    memberships = [{"member_id": "M1", "unit_id": "A", "joined_on": date(2010, 1, 1), "left_on": date(2026, 3, 31)},
                   {"member_id": "M1", "unit_id": "B", "joined_on": date(2026, 4, 1), "left_on": None},
                   {"member_id": "X1", "unit_id": "B", "joined_on": date(2026, 4, 1), "left_on": None}]
    inputs = el.EligibilityInputs(body=body, day=day, period="2026-11", units=units, memberships=memberships,
                                  ledger={}, transfers=[], names={}, assembly_rows=None,
                                  unions_text=RULES.read_text(encoding="utf-8"),
                                  keys_text=settings.DELEGATE_KEYS.read_text(encoding="utf-8"),
                                  rules=rules_for("2026-11"))
    return {(r["member_id"], r["unit_id"]): r for r in el.eligibility_result(inputs).eligibility.members}


def test_issue_30_a_change_of_unit_does_not_restart_the_continuity_of_union_membership():
    """004 Uchwała XIX KZD nr 1/2005 §1 pkt 1 lit. b: "co najmniej pięcioletnim nieprzerwanym
    okresem przynależności do Związku" — membership of the union, not of the unit: a member who
    moved from unit A to unit B on 1 April 2026 (no day between) has been a member since 2010 and
    may stand in B with the support of a quarter; a member who joined B on 1 April has not."""
    rows = _unit_change("B")
    moved, new = rows[("M1", "B")], rows[("X1", "B")]
    assert moved["member_since"] == date(2010, 1, 1) and moved["months"] == 202
    assert moved["may_stand"] == "tak"          # lit. a: six months of the union, the unit's 7½ do not matter
    assert new["member_since"] == date(2026, 4, 1) and new["may_stand"] == "tak"
    early = _unit_change("B", day=date(2026, 6, 1))
    assert early[("M1", "B")]["may_stand"] == "tak"                      # 16 years of the union
    assert early[("X1", "B")]["may_stand"] == "nie"                      # two months
    # the unit left is no right in it: A's register shows M1 not in force on the day
    a = _unit_change("R")[("M1", "A")]
    assert not a["may_vote"] and "nie jest członkiem w dniu wyborów" in a["vote_reason"]


def test_issue_30_membership_of_another_union_is_not_membership_of_the_union():
    """004 Uchwała XIX KZD nr 1/2005 §1 pkt 1 lit. a: "przynależności do Związku" — the periods in
    a unit of another union (another rulebook) are not joined."""
    rows = _unit_change("B", day=date(2026, 6, 1), unions_unit_b="przerobka")
    assert rows[("M1", "B")]["member_since"] == date(2026, 4, 1)


def _przerobka_unit(size, assembly=None, day=DAY):
    from flows.rules import rules_for
    units = [{"unit_id": "P", "region_id": "R", "rulebook": "przerobka"}]
    memberships = [{"member_id": f"M{i:03d}", "unit_id": "P", "joined_on": date(2020, 1, 1), "left_on": None}
                   for i in range(size)]
    memberships.append({"member_id": "GONE", "unit_id": "P", "joined_on": date(2020, 1, 1),
                        "left_on": date(2026, 1, 31)})       # a former member is not counted
    inputs = el.EligibilityInputs(body="P", day=day, period="2026-10", units=units, memberships=memberships,
                                  ledger={}, transfers=[], names={},
                                  assembly_rows=None if assembly is None else
                                  [("delegaci.csv", i + 2, m) for i, m in enumerate(assembly)],
                                  unions_text=RULES.read_text(encoding="utf-8"),
                                  keys_text=settings.DELEGATE_KEYS.read_text(encoding="utf-8"),
                                  rules=rules_for("2026-10"))
    return el.eligibility_result(inputs).eligibility.members


def test_issue_30_przerobka_a_unit_above_50_members_elects_at_its_delegates_meeting():
    """003 Ordynacja Art. 10: up to 50 members the unit's authorities and its delegates to the
    national assembly are elected at the members' general meeting (ust. 1); above 50 members by
    the unit's delegates' meeting (ust. 2). 50 members: everyone votes; 51 without the list of
    the delegates: one Polish message citing Art. 10; 51 with it: only the delegates vote, any
    member of the union may still stand (Art. 13 ust. 2)."""
    fifty = _przerobka_unit(50)
    assert len(fifty) == 51 and sum(r["may_vote"] for r in fifty) == 50
    with pytest.raises(UserError) as e:
        _przerobka_unit(51)
    assert e.value.code == "delegates_meeting_required"
    assert "Art. 10" in str(e.value) and "51" in str(e.value) and "--assembly" in str(e.value)
    rows = {r["member_id"]: r for r in _przerobka_unit(51, assembly=["M000", "M001", "M002"])}
    assert sorted(m for m, r in rows.items() if r["may_vote"]) == ["M000", "M001", "M002"]
    assert "nie jest członkiem władzy dokonującej wyboru" in rows["M010"]["vote_reason"]
    assert rows["M010"]["may_stand"] == "tak"
