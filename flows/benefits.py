"""`skladki benefits --inbox DIR --db FILE [--out DIR] [--date YYYY-MM-DD]`: statutory benefit
claims (benefit_claims.csv) decided against the membership history (004 §5, §9; RULES.md §11).

read (units.csv, members.csv with every period of membership, benefit_claims.csv, the decisions
already stored) → compute (transforms.benefits) → store (`benefit_decisions`) → report (a workbook
per unit with names; one per region listing what it pays under §9, member numbers only).
"""
from datetime import date, timedelta
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import polars as pl

from flows import store
from flows.rules import rules_for
from flows.command import Command, Run, WritesDb, option, titled
from flows.inbox import find_table, read_table
from reports import benefits as benefit_reports
from schemas.tables import TABLES
from transforms.benefits import CELL_LIMIT, decide, parse_claim
from transforms.deadlines import NO_SHIFT
from transforms.errors import UserError, text
from transforms.polish import and_list, identity
from transforms.rulebook import Rules
from transforms.staging import BENEFIT_COLUMNS, StagedMembers, month_of, stage_members, stage_units

@dataclass(frozen=True, kw_only=True)
class BenefitsParams(WritesDb):
    inbox: Path = option("folder z units.csv, members.csv i benefit_claims.csv", title="Skrzynka (folder)",
                         form="pełna ścieżka folderu z units.csv, members.csv i benefit_claims.csv")
    date: Optional[str] = option("dzień decyzji RRRR-MM-DD (domyślnie dziś)", None, check="day",
                                 title="Dzień decyzji (RRRR-MM-DD)", form="dzień w postaci RRRR-MM-DD; puste: dziś")



def check(params: BenefitsParams) -> None:
    if not Path(params.inbox).is_dir():
        raise UserError("no_folder", path=params.inbox, what="skrzynki")
    try:
        day = date.fromisoformat(str(params.date or date.today()))
    except ValueError:
        raise UserError("bad_option", name="--date", detail=f"'{params.date}' to nie data RRRR-MM-DD") from None
    if day > date.today() + timedelta(days=366):      # a typo, not a decision: nothing could be granted on it
        raise UserError("bad_option", name="--date",
                        detail=f"dzień decyzji {day} jest ponad rok po dzisiejszym ({date.today()}); popraw datę")


@dataclass(frozen=True)
class BenefitsInputs:
    today: date                          # the day of the decisions
    rules: Rules                         # the rulebooks in force on that day
    members: StagedMembers               # members.csv staged: every period of membership, names, rejected
    units: dict[str, dict]               # unit_id -> its units.csv row (the units staged)
    books: dict[str, str]                # unit_id -> its rulebook
    claims: pl.DataFrame                 # benefit_claims.csv
    paid: frozenset[tuple]               # granted by earlier claims: (kind, member), (kind, member, day, relation)
    regional_payer: str | None           # the level paying under 004 §9
    registers: dict[tuple[str, str], dict] = field(default_factory=dict)   # (period, unit_id) -> the stored
    #                                      units row of a closed month: the unit's amounts in force then


@dataclass(frozen=True)
class BenefitsResult:
    decisions: pl.DataFrame              # benefit_decisions, one row per claim
    names: dict[str, str]                # member_id -> full name (the units' workbooks)
    payers: dict[str, str]               # level code -> who pays (rulebook labels)
    regional_payer: str | None
    labels: dict[str, dict[str, str]]    # the Polish labels of benefit kinds and relations
    files: int = 0                       # workbooks written


def read(run: Run) -> BenefitsInputs:
    inbox = Path(run.params.inbox)
    today = date.fromisoformat(str(run.params.date or date.today()))
    run.progress("[1/4] odczyt wniosków")
    claims_path = find_table(inbox, "benefit_claims", True)
    raw_units = read_table(find_table(inbox, "units", True), "units")
    rules = rules_for(month_of(today))
    if not rules.versions:
        raise UserError("bad_option", name="--date", detail=f"w dniu {today} nie obowiązuje żaden regulamin ("
                        + "; ".join(rules.missing.values()) + "); popraw datę")
    units = stage_units(raw_units, rules)
    members = stage_members(read_table(find_table(inbox, "members", True), "members"), units, rules)
    claims = read_table(claims_path, "benefit_claims")
    paid, registers = set(), {}
    if Path(run.params.db).exists():
        with store.read_only(Path(run.params.db)) as con:
            if "units" in store.table_names(con):   # each closed month's register: the amounts then (NULL:
                #                                     imported from a region's file, which does not carry them)
                for r in store.dicts(con, "SELECT period, unit_id, region_id, rulebook, "
                                          + ", ".join(BENEFIT_COLUMNS) + " FROM units WHERE "
                                          + " OR ".join(f"{c} IS NOT NULL" for c in BENEFIT_COLUMNS)):
                    registers[(r["period"], r["unit_id"])] = {**r, "_source": f"rejestr jednostek {r['period']}"}
            if "benefit_decisions" in store.table_names(con):
                ids = [c.strip() for c in claims["claim_id"].drop_nulls().to_list()]
                child = "child" if con.execute(     # a database written before issue 30 has no child column
                    "SELECT count(*) FROM information_schema.columns WHERE table_name = 'benefit_decisions' "
                    "AND column_name = 'child'").fetchone()[0] else "NULL"
                for kind, member, day, relation, name in con.execute(
                        f"SELECT kind, member_id, event_date, relation, {child} FROM benefit_decisions "
                        "WHERE decision = 'granted' AND NOT list_contains(?, claim_id)", [ids]).fetchall():
                    paid |= {(kind, member), (kind, member, day, relation),
                             (kind, member, day, relation, name and identity(name))}
    return BenefitsInputs(
        today=today, rules=rules, members=members,
        units={r["unit_id"]: r for r in raw_units.to_dicts() if r["unit_id"] in set(units.units["unit_id"])},
        books=dict(zip(units.units["unit_id"], units.units["rulebook"], strict=True)), claims=claims,
        paid=frozenset(paid), registers=registers,
        regional_payer=next((v.benefits["payer_under_9"] for v in rules.versions.values() if v.benefits), None))


def compute(run: Run, inputs: BenefitsInputs) -> BenefitsResult:
    run.progress("[2/4] decyzje")
    s = inputs
    history: dict[str, list[dict]] = {}
    for p in s.members.history.to_dicts():
        history.setdefault(p["member_id"], []).append(p)
    # the rulebooks in force on each event month, resolved once per month of the run
    in_force: dict[str, Rules] = {month_of(s.today): s.rules}

    def at(month: str) -> Rules:
        if month not in in_force:
            in_force[month] = rules_for(month)
        return in_force[month]
    paid = set(s.paid)               # each claim granted here counts for the next ones
    decisions, awaiting = [], []
    rows = s.claims.to_dicts()
    same_id: dict[str, list[dict]] = {}
    for r in rows:
        if _claim_id(r):
            same_id.setdefault(identity(r["claim_id"]), []).append(r)
    for r in rows:
        twins = same_id.get(identity(_claim_id(r) or ""), [])
        if len(twins) > 1:          # one claim_id, several rows: one decision, none granted (issue 27)
            if r is twins[0]:
                decisions.append(_duplicate(twins, history, s.units))
            continue
        claim, problems = parse_claim(r, r["_row"])
        if claim is None or claim.member_id not in history:
            code, params = (("bad_claim", {"problems": "; ".join(problems)}) if claim is None else
                            ("member_rejected", {"member_id": claim.member_id})
                            if claim.member_id in s.members.rejected_ids else
                            ("unknown_member", {"member_id": claim.member_id}))
            decisions.append({"claim_id": _claim_id(r) or f"wiersz {r['_row']}",
                              "member_id": _claim_id({"claim_id": r.get("member_id")}), "decision": "refused",
                              "reason_code": code, "reason": f"{r['_source']}, wiersz {r['_row']}: "
                                                             + text("benefits", code, **params)})
            continue
        unit_id = history[claim.member_id][-1]["unit_id"]
        unit = s.units.get(unit_id)
        rules, shift = None, NO_SHIFT
        if unit is not None:
            version = s.rules.version(s.books[unit_id]) if s.books[unit_id] in s.rules.versions else None
            if version is not None:      # the minimum in force on the event date (004 §5 ust. 3 pkt 3)
                at_event = at(month_of(claim.event_date))
                if s.books[unit_id] in at_event.versions:
                    version = at_event.version(s.books[unit_id])
                rules, shift = version.benefits, version.deadline_shift
            # the unit's own amount on the day of the event (004 §5 ust. 3 pkt 3): the register of the
            # event's month as the close stored it; units.csv for a month not closed (the current one)
            event_month = month_of(claim.event_date)
            if event_month != month_of(s.today) and (event_month, unit_id) in s.registers:
                unit = {**unit, **{c: s.registers[(event_month, unit_id)][c] or "" for c in BENEFIT_COLUMNS},
                        "_source": s.registers[(event_month, unit_id)]["_source"], "_row": None}
        decisions.append(decide(claim, history[claim.member_id], unit, rules, paid, s.today, shift=shift))
        if decisions[-1]["decision"] == "pending":      # decided again once every claim of the run is
            awaiting.append((len(decisions) - 1, claim, history[claim.member_id], unit, rules, shift))
    for i, claim, periods, unit, rules, shift in awaiting:   # granted later in the file: already paid
        decisions[i] = decide(claim, periods, unit, rules, paid, s.today, shift=shift)
    return BenefitsResult(
        decisions=TABLES["benefit_decisions"].frame(decisions),
        names=dict(zip(s.members.members["member_id"], s.members.members["full_name"], strict=True)),
        payers={lvl.code: lvl.payee for lvl in s.rules.levels}, regional_payer=s.regional_payer,
        labels=benefit_reports.labels(s.rules))


def _claim_id(r: dict) -> str | None:
    """A row's claim id as stored, or None (empty, or too long to be an id: the row is named instead)."""
    cid = (r.get("claim_id") or "").strip()
    return cid if 0 < len(cid) <= CELL_LIMIT else None


def _duplicate(rows: list[dict], history: dict[str, list[dict]], units: dict[str, dict]) -> dict:
    """The one decision of a claim_id written on several rows: refused until each claim has its own
    number — which row is the claim cannot be known, so neither is granted."""
    first = rows[0]
    claim_id = first["claim_id"].strip()
    members = {(r.get("member_id") or "").strip() for r in rows}
    member_id = members.pop() if len(members) == 1 else None
    unit = units.get(history[member_id][-1]["unit_id"]) if member_id in history else None
    spellings = ", ".join(f"'{x}'" for x in sorted({r["claim_id"].strip() for r in rows} - {claim_id}))
    reason = text("benefits", "duplicate_claim", claim_id=claim_id,
                  where=f"{first['_source']}, wiersze {and_list([r['_row'] for r in rows])}",
                  spellings=f" (zapisany też jako {spellings})" if spellings else "")
    return {"claim_id": claim_id, "member_id": member_id or None, "unit_id": unit and unit["unit_id"],
            "region_id": unit and unit["region_id"], "decision": "refused", "reason_code": "duplicate_claim",
            "reason": reason}


def save(run: Run, result: BenefitsResult) -> None:
    run.progress(f"[3/4] zapis do {run.params.db}")
    frame = result.decisions
    store.write(run.database(), "benefit_decisions", frame, claim_id=frame["claim_id"].to_list())


def report(run: Run, result: BenefitsResult) -> BenefitsResult | None:
    if not run.params.out:
        return None
    run.progress("[4/4] skoroszyty")
    return replace(result, files=benefit_reports.write(result.decisions, result.names, run.output, result.payers,
                                                       result.regional_payer, result.labels))


def summary(run: Run, result: BenefitsResult) -> str:
    return benefit_reports.summary_text(result.decisions, result.regional_payer, result.files, run.params.out,
                                        (result.labels or {}).get("source", {}).get("regional_payer"))


BENEFITS = Command(
    params=BenefitsParams, help='Zasiłki statutowe: decyzja dla każdego wniosku, z paragrafem regulaminu związku.',
    run_name=titled("zasiłki", "inbox"), name="benefits", flow_name="benefits", check=check,
    read=read, compute=compute, store=save, report=report, summary=summary)
