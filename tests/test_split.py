from datetime import date
from fractions import Fraction

from hypothesis import given, strategies as st

from flows import settings
from transforms.rulebook import load_rulebooks
from transforms.split import split_dues

BOOKS = load_rulebooks(settings.RULEBOOKS)
SOL = BOOKS["solidarnosc"].version_for("2026-10")
NORMAL, SHELTERED = SOL.split["normal"], SOL.split["sheltered"]
LEVELS = [lvl.code for lvl in SOL.levels]
UNIT_TRANSFER, REGION_FORWARD = SOL.transfers


def test_rules_example_d_1_23():
    assert split_dues(123, NORMAL) == {
        "unit": 74, "region": 31, "national": 10, "branch_secretariats": 2,
        "regional_strike_fund": 3, "national_strike_fund": 3}


def test_rules_example_d_10000():
    parts = split_dues(1_000_000, NORMAL)
    assert [parts[lvl] for lvl in LEVELS] == [600_000, 250_000, 80_000, 20_000, 25_000, 25_000]


def test_sheltered_85_8_2_0_2_5_2_5():
    parts = split_dues(1_000_000, SHELTERED)
    assert [parts[lvl] for lvl in LEVELS] == [850_000, 80_000, 20_000, 0, 25_000, 25_000]


def test_przerobka_only_unit_and_national():
    rule = BOOKS["przerobka"].version_for("2026-10").split["normal"]
    parts = split_dues(12_345, rule)
    assert parts["national"] == 1_235 and parts["unit"] == 11_110
    assert all(parts[lvl] == 0 for lvl in ("region", "branch_secretariats",
                                            "regional_strike_fund", "national_strike_fund"))


def test_unit_override_of_przerobka_contribution():
    rule = BOOKS["przerobka"].version_for("2026-10").split["normal"].with_unit_override(
        "national_contribution_pct", Fraction(15, 100))
    assert split_dues(10_000, rule)["national"] == 1_500


@given(st.integers(min_value=0, max_value=10**12), st.booleans(), st.sampled_from(sorted(BOOKS)))
def test_split_always_sums_to_d_and_no_part_negative(d, sheltered, book):
    """Every shipped rulebook (issue 30: mzzpsz and ozz_srl too, whose one level keeps all of D)."""
    version = BOOKS[book].version_for("2026-10")
    parts = split_dues(d, version.cascade(sheltered))
    assert sum(parts.values()) == d
    assert all(v >= 0 for v in parts.values())
    assert set(parts) == {lvl.code for lvl in version.levels}


def test_issue_30_a_union_of_one_level_keeps_all_of_d():
    """001 §32–§33, 002 §29–§30: the dues are the union's own; nothing moves."""
    for book in ("mzzpsz", "ozz_srl"):
        assert split_dues(12_345, BOOKS[book].version_for("2026-10").cascade(False)) == {"unit": 12_345}


def test_deadlines_20th_and_end_of_following_month():
    assert UNIT_TRANSFER.due_on("2026-10") == date(2026, 11, 20)
    assert REGION_FORWARD.due_on("2026-10") == date(2026, 11, 30)
    assert UNIT_TRANSFER.due_on("2026-12") == date(2027, 1, 20)
    assert REGION_FORWARD.nominal_due_on("2027-01") == date(2027, 2, 28)
    assert REGION_FORWARD.due_on("2027-01") == date(2027, 3, 1)         # 28 February 2027 is a Sunday (RULES.md §6)


# issue 30: regions' earmarked funds (004 §4, "w ramach środków wymienionych w § 3 ust. 1 pkt 1 i
# ust. 2 pkt 1") and sections' dues (004 §3 ust. 4) as moves from the unit's share
_EARMARK = st.tuples(st.sampled_from(["fund", "section"]), st.integers(min_value=1, max_value=2000))


@given(st.integers(min_value=0, max_value=10**12), st.booleans(), st.lists(_EARMARK, max_size=4))
def test_split_with_random_funds_and_section_dues_sums_to_d_and_leaves_the_others_unchanged(d, sheltered, drawn):
    """004 §4 and §3 ust. 4: each fund's or section's share (up to 20 % each, in basis points,
    never above what the unit keeps) comes out of the unit's part only; every other level is
    what it was without them, the parts sum to D exactly, none is negative, and the transfers'
    flows give each earmark its own part."""
    from transforms.allocate import flows_between
    from transforms.earmarks import Earmark, extend, root_keeps
    from transforms.money import share
    base = SHELTERED if sheltered else NORMAL
    earmarks, room = [], root_keeps(base)
    for i, (kind, bp) in enumerate(drawn):
        pct = Fraction(bp, 10000)
        if pct > room:
            continue
        room -= pct
        earmarks.append(Earmark(f"{kind}:X:{i}", kind, "X", kind, kind, pct, date(2026, 1, 1), None, None, None,
                                None, "test"))
    cascade = extend(base, tuple(earmarks))
    parts, before = split_dues(d, cascade), split_dues(d, base)
    assert sum(parts.values()) == d and all(v >= 0 for v in parts.values())
    assert {k: v for k, v in parts.items() if k != "unit" and k in before} == \
        {k: v for k, v in before.items() if k != "unit"}
    assert all(parts[e.level] == share(d, e.share) for e in earmarks)
    assert parts["unit"] == before["unit"] - sum(parts[e.level] for e in earmarks)
    flows = {(s, t): a for s, t, a in flows_between(parts, cascade)}
    assert all(flows[("unit", e.level)] == parts[e.level] for e in earmarks)
