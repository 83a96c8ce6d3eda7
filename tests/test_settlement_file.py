"""transforms/settlement_file.py: a unit's settlement file — build, bytes, hash, schema, read, and
the split and transfers recomputed from the declared totals under the rulebook (issue 29)."""
from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import given, settings, strategies as st

from flows.rules import rules_for
from transforms import settlement_file as sf
from transforms.allocate import allocations_of, transfers_from
from transforms.errors import UserError
from transforms.ledger import APPLIED_SCHEMA, settle

PERIOD = "2026-10"
RULES = rules_for(PERIOD)


def unit_row(**kw) -> dict:
    return {"unit_id": "GD-0001", "name": "KZ Stoczni", "region_id": "GD", "voivodeship": "pomorskie",
            "sheltered": False, "rulebook": "solidarnosc", "national_contribution_pct": None, **kw}


def document(unit: dict, applied: dict[tuple[str, str], int], owed: dict[str, tuple[int, int]],
             corrections: list[tuple[str, str, int]] = (), version: int = 1) -> dict:
    """The document of a unit's month exactly as a close works it out: ``applied`` (category,
    part) -> grosze received and applied, ``owed`` category -> (dues, surcharge) owed,
    ``corrections`` (month corrected, level, grosze) carried."""
    v = RULES.version(unit["rulebook"])
    units = pl.DataFrame([unit])
    frame = pl.DataFrame([{"member_id": f"X{i}", "unit_id": unit["unit_id"], "for_period": PERIOD, "category": c,
                           "part": p, "amount": a} for i, ((c, p), a) in enumerate(applied.items())],
                         schema=APPLIED_SCHEMA)
    settlement = settle(units, frame, {unit["unit_id"]: "received"}, RULES)
    settlement = pl.concat([settlement, pl.DataFrame(
        [{"period": PERIOD, "unit_id": unit["unit_id"], "level": lvl, "amount": a, "basis": "correction",
          "corrects": m} for m, lvl, a in corrections], schema=settlement.schema)])
    dues = pl.DataFrame([{"unit_id": unit["unit_id"], "category": c, "dues": d, "surcharge": s}
                         for c, (d, s) in owed.items()],
                        schema={"unit_id": pl.String, "category": pl.String, "dues": pl.Int64, "surcharge": pl.Int64})
    allocations = allocations_of(units, dues, RULES)
    transfers = transfers_from(units, settlement, RULES, owed=allocations).filter(
        pl.col("payer_id") == unit["unit_id"])
    d = sum(a for (c, p), a in applied.items() if p == "dues" and c in v.split_categories)
    owed_d = sum(x for c, (x, _) in owed.items() if c in v.split_categories)
    overrides = {c: unit[c] for c in ("national_contribution_pct",) if unit.get(c)}
    return sf.build(
        union=v.union, rulebook=v.name, rulebook_version=v.valid_from, period=PERIOD, version=version,
        unit={**unit, "raised_pct": "100", "bank_account": "07109010140000000000000001", "overrides": overrides},
        approved_at="2026-11-05T10:00:00", approved_via="polecenie skladki approve", incomplete=False,
        by_category={"employee": 3, "pensioner": 1}, owed_gr=sum(x + s for x, s in owed.values()),
        owed_split_base_gr=owed_d, received_gr=sum(applied.values()), split_base_gr=d,
        kept_gr=sum(applied.values()) - d,
        allocations=[{"level": r["level"], "amount_gr": r["amount"]} for r in allocations.to_dicts()],
        settlement=[{"level": r["level"], "amount_gr": r["amount"], "basis": r["basis"], "corrects": r["corrects"]}
                    for r in settlement.to_dicts()],
        corrections=[{"corrected_period": m, "level": lvl, "amount_gr": a, "reason": "ponowne zamknięcie"}
                     for m, lvl, a in corrections],
        transfers=[{"payee": RULES.payee_label(t["payee"]), "level": t["payee"], "account": None,
                    "title": f"Składki {unit['unit_id']} 10/2026", "amount_gr": t["amount"], "due_on": t["due_on"]}
                   for t in transfers.to_dicts()],
        run_id="run-1", input_sha256="ab" * 32)


def sample(**kw) -> dict:
    return document(unit_row(**kw), {("employee", "dues"): 123_456, ("employee", "surcharge"): 500,
                                     ("pensioner", "dues"): 1_000},
                    {"employee": (130_000, 500), "pensioner": (1_000, 0)})


def version_of(doc):
    return RULES.version(doc["rulebook"])


def rehash(doc: dict) -> dict:
    return sf.stamp(doc)


def test_a_document_round_trips_through_its_bytes():
    doc = sample()
    data = sf.to_bytes(doc)
    assert sf.read(data, "x.json") == doc
    assert data == json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert "KZ Stoczni".encode() in data and b"\\u" not in data       # UTF-8, not ASCII-escaped
    assert doc["sha256"] == sf.digest(doc) and len(doc["sha256"]) == 64


def test_the_hash_is_of_the_document_without_its_hash():
    doc = sample()
    import hashlib
    body = {k: v for k, v in doc.items() if k != "sha256"}
    assert doc["sha256"] == hashlib.sha256(sf.canonical(body)).hexdigest()


@pytest.mark.parametrize("path", [("dues", "owed_gr"), ("dues", "split_base_gr"), ("settlement", 0, "amount_gr"),
                                  ("transfers", 0, "amount_gr"), ("allocations", 1, "amount_gr"),
                                  ("dues", "received_gr")])
def test_the_hash_changes_with_any_amount(path):
    doc = sample()
    changed = json.loads(json.dumps(doc))
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] += 1
    assert sf.digest(changed) != doc["sha256"]
    with pytest.raises(UserError) as e:
        sf.read(sf.canonical(changed), "rozliczenie_GD-0001_2026-10_v1.json")
    assert e.value.code == "settlement_bad_hash"
    assert "rozliczenie_GD-0001_2026-10_v1.json" in str(e.value)


def test_an_amount_altered_with_the_hash_recomputed_fails_the_split():
    doc = json.loads(json.dumps(sample()))
    doc["settlement"][1]["amount_gr"] += 1          # region +1 gr
    doc["settlement"][0]["amount_gr"] -= 1          # unit −1 gr: the total still adds up
    doc = rehash(doc)
    assert sf.read(sf.canonical(doc)) == doc        # the file itself is sound
    with pytest.raises(UserError) as e:
        sf.check_split(doc, version_of(doc), "plik.json")
    assert e.value.code == "settlement_split_mismatch"
    assert "plik.json" in str(e.value) and "unit" in str(e.value)


def test_a_declared_total_altered_with_the_hash_recomputed_fails_the_split():
    doc = json.loads(json.dumps(sample()))
    doc["dues"]["split_base_gr"] += 100
    doc["dues"]["kept_gr"] -= 100
    with pytest.raises(UserError, match="podział wpłaconych"):
        sf.check_split(rehash(doc), version_of(doc))
    doc = json.loads(json.dumps(sample()))
    doc["allocations"][2]["amount_gr"] += 1
    with pytest.raises(UserError, match="podział należnych"):
        sf.check_split(rehash(doc), version_of(doc))


def test_transfers_that_do_not_follow_from_the_settlement_are_refused():
    doc = sample()
    sf.check_transfers(doc, version_of(doc))
    bad = json.loads(json.dumps(doc))
    bad["transfers"][0]["amount_gr"] -= 1
    with pytest.raises(UserError) as e:
        sf.check_transfers(rehash(bad), version_of(doc))
    assert e.value.code == "settlement_split_mismatch"
    late = json.loads(json.dumps(doc))
    late["transfers"][0]["due_on"] = "2026-12-31"
    with pytest.raises(UserError, match="termin przelewu"):
        sf.check_transfers(rehash(late), version_of(doc))
    missing = json.loads(json.dumps(doc))
    missing["transfers"] = []
    with pytest.raises(UserError):
        sf.check_transfers(rehash(missing), version_of(doc))


def test_a_file_that_is_not_a_settlement():
    for data, what in [(b"\xff\xfe not json", "JSON"), (b"[1, 2]", "format"), (b'{"format": "inny"}', "inny"),
                       ("unit_id;period\n".encode(), "JSON")]:
        with pytest.raises(UserError) as e:
            sf.read(data, "lista.csv")
        assert e.value.code == "settlement_not_settlement" and what in str(e.value)


def test_a_schema_mismatch_names_the_field():
    doc = json.loads(json.dumps(sample()))
    doc["dues"]["owed_gr"] = "1234.56"               # money must be whole grosze
    with pytest.raises(UserError) as e:
        sf.read(sf.canonical(rehash(doc)), "plik.json")
    assert e.value.code == "settlement_bad_schema" and "dues.owed_gr" in str(e.value)
    extra = json.loads(json.dumps(sample()))
    extra["members"]["pesel"] = ["64022798174"]       # nothing personal fits in the format
    with pytest.raises(UserError, match="pole spoza formatu"):
        sf.read(sf.canonical(rehash(extra)))
    gone = json.loads(json.dumps(sample()))
    del gone["sha256"]
    with pytest.raises(UserError, match="sha256"):
        sf.read(sf.canonical(gone))


def test_the_schema_is_draft_2020_12_and_checked_on_write():
    assert sf.schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    doc = json.loads(json.dumps(sample()))
    doc["period"] = "2026-13"
    with pytest.raises(UserError) as e:
        sf.to_bytes(rehash(doc))
    assert e.value.code == "settlement_bad_schema"


def test_corrections_travel_with_the_month_and_count_in_the_transfers():
    doc = document(unit_row(), {("employee", "dues"): 10_000}, {"employee": (10_000, 0)},
                   corrections=[("2026-09", "unit", -328), ("2026-09", "region", 328)])
    sf.check_split(doc, version_of(doc))             # the month's own rows only
    sf.check_transfers(doc, version_of(doc))
    region = next(t for t in doc["transfers"] if t["level"] == "region")
    assert region["amount_gr"] == 4_000 + 328


def test_the_unit_override_is_declared_and_used():
    doc = document(unit_row(rulebook="przerobka", national_contribution_pct="15"),
                   {("employee", "dues"): 10_000}, {"employee": (10_000, 0)})
    assert doc["unit"]["overrides"] == {"national_contribution_pct": "15"}
    sf.check_split(doc, version_of(doc))
    sf.check_transfers(doc, version_of(doc))
    plain = json.loads(json.dumps(doc))
    plain["unit"]["overrides"] = {}
    with pytest.raises(UserError):
        sf.check_split(rehash(plain), version_of(doc))


def test_the_file_name():
    assert sf.file_name("GD-0001", "2026-10", 2) == "rozliczenie_GD-0001_2026-10_v2.json"


CATEGORIES = ("employee", "other_income", "pensioner", "unemployed")
amounts = st.integers(min_value=0, max_value=50_000_000)


@settings(max_examples=60, deadline=None)
@given(applied=st.dictionaries(st.tuples(st.sampled_from(CATEGORIES), st.sampled_from(("dues", "surcharge"))),
                               amounts, max_size=8),
       owed=st.dictionaries(st.sampled_from(CATEGORIES), st.tuples(amounts, st.integers(0, 100_000)), max_size=4),
       rulebook=st.sampled_from(("solidarnosc", "przerobka")), sheltered=st.booleans(),
       override=st.sampled_from((None, "0", "12.5", "15", "100")),
       corrections=st.lists(st.tuples(st.just("2026-09"), st.sampled_from(("unit", "region", "national")),
                                      st.integers(-100_000, 100_000)), max_size=3))
def test_any_valid_close_passes_its_checks(applied, owed, rulebook, sheltered, override, corrections):
    version = RULES.version(rulebook)
    levels = {lvl.code for lvl in version.levels}
    corrections = [c for c in corrections if c[1] in levels]
    unit = unit_row(rulebook=rulebook, sheltered=sheltered,
                    national_contribution_pct=override if rulebook == "przerobka" else None)
    doc = document(unit, applied, owed, corrections)
    back = sf.read(sf.to_bytes(doc))
    sf.check_split(back, version)
    sf.check_transfers(back, version)


@settings(max_examples=80, deadline=None)
@given(d=amounts, kept=st.integers(0, 1_000_000), rulebook=st.sampled_from(("solidarnosc", "przerobka")),
       sheltered=st.booleans(), hint=st.one_of(st.none(), amounts))
def test_the_split_base_is_found_again_from_any_settlement_the_cascade_made(d, kept, rulebook, sheltered, hint):
    from transforms.allocate import unit_cascade
    cascade = unit_cascade({"sheltered": sheltered}, RULES.version(rulebook))
    levels = sf.expected_split(d, kept, cascade)
    found = sf.split_base_of(levels, cascade, hint)
    assert found is not None and sf.expected_split(found[0], found[1], cascade) == levels
    assert sf.split_base_of(levels, cascade, d) == (d, kept)         # the close's own D is kept when it fits
