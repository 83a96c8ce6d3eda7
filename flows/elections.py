"""Elections (issue 17), three commands under the union's rules in data/elections.toml and the
seat keys of data/delegate_keys.toml:

- `skladki seats --key KEY (--db FILE --period P | --members FILE) [--out DIR]`: seats per unit,
  region or union, from the members of a stored close or from a plain count file
  (unit_id | region_id | body_id, members);
- `skladki eligibility --date D --body ID --db FILE [--members FILE] [--assembly FILE] [--out DIR]`:
  who may vote and who may stand on a day, with the reason for every exclusion (membership
  history, member ledger, the unit's transfers); `--assembly` lists the members of a delegates'
  assembly (member_id), without it the body's members' assembly elects; a union's national
  assembly of delegates lists its units' delegates;
- `skladki tally --votes FILE --rules UNION [--out DIR]`: quorum, validity, winners, runoff.

read → compute → report (a Polish workbook with --out). Nothing is stored: these read. Here: the
parameters, the checks, the read steps and the declarations; the computing is in
transforms/elections.py, the workbooks and summaries in reports/elections.py.
"""
from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from datetime import date
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from flows import settings, store
from flows.files import require_database, require_file
from flows.command import Command, DB, MEMBERS, OUT, Params, ReadsDb, Run, option
from flows.inbox import read_table
from reports import elections as report
from transforms import elections as el, parsing
from transforms.delegates import key_seats
from transforms.errors import UserError
from transforms.polish import count_pl, identity
from transforms.staging import month_of, shape_problems

RULES = settings.DATA / "elections.toml"

@dataclass(frozen=True, kw_only=True)
class SeatsParams(Params):
    key: str = option("klucz z data/delegate_keys.toml, per:N albo per-started:N", check="key",
                      title="Klucz mandatów", form="klucz z delegate_keys.toml, per:N albo per-started:N")
    db: Optional[Path] = option("plik bazy DuckDB z zamkniętym miesiącem", None, title=DB["title"],
                                form="baza z zamkniętym miesiącem; puste: plik liczebności")
    period: Optional[str] = option("zamknięty miesiąc RRRR-MM (z --db)", None, check="period",
                                   title="Okres (RRRR-MM)", form="zamknięty miesiąc w postaci RRRR-MM, np. 2026-10")
    members: Optional[Path] = option("plik liczebności: unit_id albo region_id, members", None,
                                     title="Plik liczebności", form="CSV: unit_id albo region_id, members; zamiast bazy")
    out: Optional[Path] = option("folder na arkusz", None, **OUT)

@dataclass(frozen=True, kw_only=True)
class TallyParams(Params):
    votes: Path = option("protokół: election, entitled, participants, invalid, seats, candidate, votes",
                         title="Protokół głosowania (plik)",
                         form="pełna ścieżka pliku: election, entitled, participants, invalid, seats, candidate, votes")
    rules: str = option("zasady wyborcze związku: solidarnosc, przerobka, mzzpsz, ozz_srl",
                        title="Zasady wyborcze związku", form="solidarnosc, przerobka, mzzpsz albo ozz_srl")
    out: Optional[Path] = option("folder na arkusz", None, **OUT)


@dataclass(frozen=True, kw_only=True)
class EligibilityParams(ReadsDb):
    date: str = option("dzień wyborów RRRR-MM-DD", check="day", title="Dzień wyborów (RRRR-MM-DD)",
                       form="dzień w postaci RRRR-MM-DD")
    body: str = option("jednostka, region albo związek (zebranie krajowe), np. SL-0001", title="Wybierający")
    members: Optional[Path] = option("members.csv jednostki (imiona i nazwiska na listach)", None, **MEMBERS)
    assembly: Optional[Path] = option("delegaci zebrania dokonującego wyboru (member_id); bez niego wybiera "
                                      "zebranie członków", None, title="Delegaci zebrania",
                                      form="pełna ścieżka pliku z member_id delegatów; puste: wybiera zebranie członków")


def _day(value) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UserError("bad_option", name="--date", detail=f"'{value}' to nie data RRRR-MM-DD") from None


_file = require_file


def _latest(con, table: str, month: str) -> str | None:
    if table not in store.table_names(con):
        return None
    return con.execute(f"SELECT max(period) FROM {table} WHERE period <= ?", [month]).fetchone()[0]


def _names(members: Path | None) -> dict[str, str]:
    if not members:
        return {}
    m = read_table(Path(members), "members")
    _whole_rows(m)
    return {k: v for k, v in zip(m["member_id"], m["full_name"]) if k and v} if "full_name" in m.columns else {}


def _whole_rows(table) -> None:
    """A row with more or fewer cells than its header is refused: read by position it would give a
    candidate another's votes, or a member another's name (flows.inbox never pads or cuts it)."""
    for r in table.filter(table["_cells"].is_not_null()).head(1).to_dicts():
        raise UserError("bad_row_shape", where=f"{r['_source']}, wiersz {r['_row']}", problem=shape_problems(r)[0])


def _int_cell(r: dict, col: str, what: str) -> int:
    v = (r.get(col) or "").strip().replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"[0-9]+", v):       # ASCII digits only (issue 27: int() takes any Unicode digit)
        raise UserError("bad_count", where=f"{r['_source']}, wiersz {r['_row']}", column=col, value=r.get(col) or "",
                        what=what)
    return int(v)


# ------------------------------------------------------------------ seats

def seats_check(params: SeatsParams) -> None:
    if bool(params.db) == bool(params.members):
        raise UserError("bad_option", name="--db/--members", detail="podaj --db z --period albo --members, nie oba")
    if params.db:
        require_database(params.db)
        try:
            parsing.period(params.period or "")       # the options' one rule (issue 27)
        except ValueError as e:
            raise UserError("bad_option", name="--period", detail=str(e)) from None
    else:
        _file(params.members, "unit_id albo region_id, members")
    key_seats({}, params.key, settings.DELEGATE_KEYS.read_text(encoding="utf-8"))   # an unknown key stops here


def seats_read(run: Run) -> el.SeatsInputs:
    p = run.params
    keys_text = settings.DELEGATE_KEYS.read_text(encoding="utf-8")
    spec = tomllib.loads(keys_text)["keys"].get(p.key, {})
    by = spec.get("counts", "region_id")
    counts: dict[str, int] = defaultdict(int)
    if p.db:
        month_end = "last_day(CAST(? || '-01' AS DATE))"
        with store.read_only(Path(p.db)) as con:
            if "memberships" not in store.table_names(con) or not con.execute(
                    "SELECT count(*) FROM memberships WHERE period = ?", [p.period]).fetchone()[0]:
                raise UserError("no_memberships", db=p.db, period=p.period)
            group = {"unit_id": "u.unit_id", "region_id": "u.region_id", "union": "'związek'"}[by]
            where = "AND u.rulebook = ?" if spec.get("rulebook") else ""
            rows = con.execute(     # every unit of the period counts, a unit with no members as 0
                f"SELECT {group}, count(DISTINCT m.member_id) FROM units u LEFT JOIN memberships m "
                f"ON u.unit_id = m.unit_id AND u.period = m.period AND m.joined_on <= {month_end} "
                f"AND (m.left_on IS NULL OR m.left_on >= {month_end}) WHERE u.period = ? {where} "
                "GROUP BY 1 ORDER BY 1",
                [p.period, p.period, p.period] + ([spec["rulebook"]] if spec.get("rulebook") else [])).fetchall()
        counts.update(dict(rows))
        source = f"członkowie w dniu {p.period} (koniec miesiąca), baza {p.db}"
    else:
        t = read_table(Path(p.members), "counts")
        col = next((c for c in ("unit_id", "region_id", "body_id") if t[c].is_not_null().any()), None)
        if col is None:
            raise UserError("counts_no_id", name=Path(p.members).name)
        for r in t.to_dicts():
            body = (r[col] or "").strip()
            if not body:
                raise UserError("bad_count", where=f"{r['_source']}, wiersz {r['_row']}", column=col, value="",
                                what="identyfikator")
            counts[body] += _int_cell(r, "members", "liczba członków")
        by = by if col == "body_id" else col
        source = f"plik {p.members}"
    return el.SeatsInputs(key=p.key, keys_text=keys_text, counts=dict(counts), by=by, source=source)



SEATS = Command(
    params=SeatsParams, help='Mandaty według klucza z ordynacji związku (data/delegate_keys.toml: klucz i jego paragraf).',
    run_name=lambda p: f"mandaty {p.get('key')}", engine="plain",
    name="seats", flow_name="seats", check=seats_check, read=seats_read, compute=lambda run, inputs: el.seats_result(inputs),
    report=report.seats_report, summary=report.seats_summary)


# ------------------------------------------------------------------ eligibility

def eligibility_check(params: EligibilityParams) -> None:
    _day(params.date)
    require_database(params.db)
    if params.members:
        _file(params.members, "member_id, full_name")
    if params.assembly:
        _file(params.assembly, "member_id")


def eligibility_read(run: Run) -> el.EligibilityInputs:
    from flows.rules import rules_for
    p = run.params
    day = _day(p.date)
    month = month_of(day)
    with store.read_only(Path(p.db)) as con:
        period = _latest(con, "memberships", month)
        if period is None:
            raise UserError("no_memberships", db=p.db, period=month)
        units = store.dicts(con, "SELECT unit_id, region_id, rulebook FROM units WHERE period = ?", [period])
        memberships = store.dicts(con, "SELECT member_id, unit_id, joined_on, left_on FROM memberships "
                                  "WHERE period = ?", [period])
        ledger_period = _latest(con, "member_ledger", month)
        ledger = {r["member_id"]: r for r in store.dicts(
            con, "SELECT member_id, months_unpaid, oldest_unpaid FROM member_ledger WHERE period = ?",
            [ledger_period])} if ledger_period else {}
        tables = store.table_names(con)
        paid = ("(SELECT arg_max(s.paid, s.reconciled_for) FROM transfer_status s WHERE s.unit_id = t.payer_id "
                "AND s.period = t.period)" if "transfer_status" in tables else "NULL")
        transfers = store.dicts(con, f"SELECT t.period, t.payer_id, CAST(sum(t.amount) AS DECIMAL(18, 2)) AS amount, "
                                f"t.due_on, {paid} AS paid FROM transfers t WHERE t.due_on < ? "
                                "AND EXISTS (SELECT 1 FROM units u WHERE u.unit_id = t.payer_id) "
                                "GROUP BY t.period, t.payer_id, t.due_on", [day]) \
            if "transfers" in tables else []
    names = _names(p.members)
    assembly_rows = None
    if p.assembly:
        a = read_table(Path(p.assembly), "assembly")
        _whole_rows(a)
        assembly_rows = [(r["_source"], r["_row"], r["member_id"].strip()) for r in a.to_dicts()
                         if (r["member_id"] or "").strip()]
    return el.EligibilityInputs(
        body=p.body, day=day, period=period, units=units, memberships=memberships, ledger=ledger,
        transfers=transfers, names=names, assembly_rows=assembly_rows,
        unions_text=RULES.read_text(encoding="utf-8"),
        keys_text=settings.DELEGATE_KEYS.read_text(encoding="utf-8"), rules=rules_for(month))



ELIGIBILITY = Command(
    params=EligibilityParams, help='Listy uprawnionych do głosowania i do kandydowania w dniu wyborów, z powodem każdego wyłączenia.',
    run_name=lambda p: f"uprawnienia wyborcze {p.get('body')} {p.get('date')}", engine="plain",
    name="eligibility", flow_name="eligibility", check=eligibility_check, read=eligibility_read,
    compute=lambda run, inputs: el.eligibility_result(inputs), report=report.eligibility_report, summary=report.eligibility_summary)


# ------------------------------------------------------------------ tally

NAME_LIMIT = 200           # characters of an election's or a candidate's name
VOTE_COLUMNS = ("election", "entitled", "participants", "invalid", "seats", "candidate", "votes")


def tally_check(params: TallyParams) -> None:
    _file(params.votes, ", ".join(VOTE_COLUMNS))
    unions = el.load(RULES.read_text(encoding="utf-8"))
    if params.rules not in unions:
        raise UserError("unknown_union", union=params.rules, known=", ".join(sorted(unions)))


def tally_read(run: Run) -> el.TallyInputs:
    """The protocol's votes, each keyed by the identity of its name (transforms.polish.identity):
    a vote's later rows may spell its name otherwise (the spelling is reported), a candidate's name
    written twice, however spelled, is refused."""
    t = read_table(Path(run.params.votes), "votes")
    _whole_rows(t)
    union = el.load(RULES.read_text(encoding="utf-8"))[run.params.rules]
    elections: dict[str, dict] = {}
    for r in t.to_dicts():
        for col in ("election", "candidate"):
            if len(r[col] or "") > NAME_LIMIT:        # no name: a paste gone wrong (a cell holds 32 767 at most)
                raise UserError("name_too_long", where=f"{r['_source']}, wiersz {r['_row']}", column=col,
                                length=len(r[col]), limit=NAME_LIMIT, start=r[col][:20])
        name = (r["election"] or "").strip()
        if not name:
            raise UserError("bad_count", where=f"{r['_source']}, wiersz {r['_row']}", column="election", value="",
                            what="nazwa głosowania")
        e = elections.setdefault(identity(name), {"name": name, "votes": {}, "rows": {}, "variants": {},
                                                  "where": f"{r['_source']}, wiersz {r['_row']}"})
        if name != e["name"]:
            e["variants"].setdefault(name, r["_row"])
        for col, what in (("entitled", "liczba uprawnionych"), ("participants", "liczba głosujących"),
                          ("invalid", "liczba głosów nieważnych"), ("seats", "liczba mandatów")):
            if (r[col] or "").strip():
                v = _int_cell(r, col, what)
                if col in e and e[col] != v:
                    raise UserError("bad_count", where=f"{r['_source']}, wiersz {r['_row']}", column=col,
                                    value=r[col], what=f"{what} inna niż w {e['where']}")
                e[col] = v
        if (r.get("term") or "").strip():     # the meeting's term (issue 30); a missing column or cell: the first
            v = _int_cell(r, "term", "termin zebrania (1, 2, …)")
            if e.get("term", v) != v:
                raise UserError("bad_count", where=f"{r['_source']}, wiersz {r['_row']}", column="term",
                                value=r["term"], what=f"termin zebrania inny niż w {e['where']}")
            if not 1 <= v <= el.terms(union):
                raise UserError("bad_count", where=f"{r['_source']}, wiersz {r['_row']}", column="term", value=r["term"],
                                what=f"termin zebrania: zasady {run.params.rules} znają "
                                     + ("tylko I termin" if el.terms(union) == 1 else f"terminy 1–{el.terms(union)}"))
            e["term"] = v
        cand = (r["candidate"] or "").strip()
        if cand:
            first = e["rows"].get(identity(cand))
            if first:
                raise UserError("same_candidate", where=f"{r['_source']}, wiersz {r['_row']}", candidate=cand,
                                election=e["name"], first=first[0], row=first[1])
            e["rows"][identity(cand)] = (cand, r["_row"])
            e["votes"][cand] = _int_cell(r, "votes", "liczba głosów")
    elections = {e.pop("name"): e for e in elections.values()}
    for name, e in elections.items():
        for col, what in (("entitled", "liczba uprawnionych"), ("participants", "liczba głosujących"),
                          ("invalid", "liczba głosów nieważnych"), ("seats", "liczba mandatów")):
            if col not in e:
                raise UserError("bad_count", where=e["where"], column=col, value="", what=what)
        if e["participants"] > e["entitled"] or e["invalid"] > e["participants"] or not e["votes"] or e["seats"] < 1:
            raise UserError("bad_vote", election=name, where=e["where"])
        valid, cast = e["participants"] - e["invalid"], sum(e["votes"].values())
        if cast > valid * e["seats"]:        # a valid ballot carries at most one vote per seat
            raise UserError("votes_exceed_ballots", where=e["where"], election=name,
                            votes=count_pl(cast, "głos", "głosy", "głosów"), valid=valid, participants=e["participants"],
                            invalid=e["invalid"], seats=e["seats"],
                            allowed=count_pl(valid * e["seats"], "głos", "głosy", "głosów"))
        if max(e["votes"].values()) > valid:
            raise UserError("bad_vote", election=name, where=e["where"])
    return el.TallyInputs(rules=run.params.rules, unions_text=RULES.read_text(encoding="utf-8"), elections=elections)



TALLY = Command(
    params=TallyParams, help='Wynik głosowania: kworum, ważność, wybrani i druga tura.',
    run_name=lambda p: f"wyniki głosowania {Path(str(p.get('votes'))).name}", engine="plain",
    name="tally", flow_name="tally", check=tally_check, read=tally_read, compute=lambda run, inputs: el.tally_result(inputs),
    report=report.tally_report, summary=report.tally_summary)
