"""The row-by-row members.csv staging that the vectorised checks of issue 15 replaced, kept as the
reference a property test compares them with (tests/test_staging.py). Not used by skladki."""
from __future__ import annotations

import polars as pl

from transforms.errors import issue, text
from transforms.staging import (StagedMembers, StagedUnits, _blank, _date, category_code, category_spellings,
                                id_problems, known_categories, month_of, period_in_force, shape_problems,
                                valid_pesels)
from transforms.rulebook import Rules


def stage_members_by_row(raw: pl.DataFrame, units: StagedUnits, rules: Rules) -> StagedMembers:
    """members.csv: one row per member, or one row per period of membership (issue 16: a member
    who left and came back has two rows with the same member_id; their periods must not overlap).
    The row in force in the period gives the member's unit and category; ``history`` keeps every
    period (for uninterrupted membership, benefits and eligibility)."""
    period = rules.period
    unit_book = dict(zip(units.units["unit_id"], units.units["rulebook"], strict=True))
    all_categories = [c.category for c in rules.categories]
    spellings = category_spellings(rules)          # issue 26: the Polish labels as well as the codes
    rows = raw.to_dicts()
    # a PESEL or staff number shared by two members would attribute one person's pay to another
    owners: dict[str, dict[str, set[str]]] = {"pesel": {}, "staff_number": {}}
    for r in rows:
        for col, seen in owners.items():
            value = (r.get(col) or "").strip()
            if value:
                seen.setdefault(value, set()).add((r.get("member_id") or "").strip())
    shared = {col: {k: len(v) for k, v in seen.items() if len(v) > 1} for col, seen in owners.items()}
    valid = valid_pesels([(r.get("pesel") or "").strip() for r in rows])
    good, found, rejected = [], [], set()
    for r in rows:
        mid = (r.get("member_id") or "").strip()
        uid = (r.get("unit_id") or "").strip()
        problems = shape_problems(r) + id_problems(mid, "member_id", {mid: 1})
        if uid in units.rejected_ids:
            problems.append(text("problems", "unit_rejected", value=uid, unit_row=units.rejected_rows[uid]))
        elif uid not in unit_book:
            problems.append(text("problems", "unit_unknown", value=uid))
        category = category_code((r.get("category") or "").strip(), spellings)
        if category not in all_categories:
            problems.append(text("problems", "category_unknown", value=category, known=known_categories(rules)))
        elif uid in unit_book and category not in rules.version(unit_book[uid]).categories:
            problems.append(text("problems", "category_not_in_rulebook", value=category,
                                 rulebook=unit_book[uid], unit_id=uid))
        joined = _date(r.get("joined_on"))
        if joined is None:
            problems.append(text("problems", "date_bad", column="joined_on", value=r.get("joined_on")))
        left = None
        if not _blank(r.get("left_on")):
            left = _date(r.get("left_on"))
            if left is None:
                problems.append(text("problems", "date_bad", column="left_on", value=r.get("left_on")))
            elif joined and left < joined:
                problems.append(text("problems", "left_before_joined", left=left, joined=joined))
        pesel = (r.get("pesel") or "").strip()
        if pesel and pesel not in valid:
            problems.append(text("problems", "pesel_bad", value=pesel))
        for col, dupes in shared.items():
            value = (r.get(col) or "").strip()
            if value in dupes:
                problems.append(text("problems", "shared_identifier", column=col, count=dupes[value]))
        if problems:
            found.append(issue("bad_member", source=r["_source"], row=r["_row"], period=period,
                               subject=f"członek {mid or '?'}", member_id=mid or None, problems=problems))
            if mid:
                rejected.add(mid)
            continue
        good.append({"member_id": mid, "unit_id": uid, "category": category,
                     "joined_on": joined, "left_on": left, "pesel": pesel or None,
                     "full_name": (r.get("full_name") or "").strip(),
                     "owes": month_of(joined) <= period and (left is None or period <= month_of(left)),
                     "_row": r["_row"], "_source": r["_source"]})
    # periods of one member: never overlapping (two rows saying the same days twice are both wrong)
    by_member: dict[str, list[dict]] = {}
    for g in good:
        by_member.setdefault(g["member_id"], []).append(g)
    chosen = []
    for mid, periods in by_member.items():    # the periods' logic was not vectorised: shared
        in_force = period_in_force(mid, periods, period, found, rejected)
        if in_force is not None:
            chosen.append(in_force)
    schema = {"member_id": pl.String, "unit_id": pl.String, "category": pl.String,
              "joined_on": pl.Date, "left_on": pl.Date, "pesel": pl.String,
              "full_name": pl.String, "owes": pl.Boolean, "_row": pl.Int64}
    members = pl.DataFrame([{k: c[k] for k in schema} for c in chosen], schema=schema)
    history = pl.DataFrame([{"member_id": g["member_id"], "unit_id": g["unit_id"], "category": g["category"],
                             "joined_on": g["joined_on"], "left_on": g["left_on"]}
                            for g in good if g["member_id"] not in rejected],
                           schema={"member_id": pl.String, "unit_id": pl.String, "category": pl.String,
                                   "joined_on": pl.Date, "left_on": pl.Date})
    known = {(r.get("member_id") or "").strip() for r in rows} - {""}
    found.sort(key=lambda i: i.row or 0)          # in file order, as a treasurer fixes them
    return StagedMembers(members, found, rejected, known, history.sort("member_id", "joined_on"))


