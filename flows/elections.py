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

read → compute → report (a Polish workbook with --out). Nothing is stored: these read.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from collections import defaultdict
from datetime import date
from fractions import Fraction
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from flows import settings, store
from flows.files import require_database, require_file
from flows.command import CLOSED_DB, Command, DB, MEMBERS, OUT, Params, Run, legacy, legacy_view, option
from flows.inbox import read_table
from reports.xlsx import new_workbook, safe_name, sheet
from transforms import elections as el, parsing
from transforms.delegates import key_seats
from transforms.errors import UserError
from transforms.polish import and_list, count_pl, identity
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
class EligibilityParams(Params):
    date: str = option("dzień wyborów RRRR-MM-DD", check="day", title="Dzień wyborów (RRRR-MM-DD)",
                       form="dzień w postaci RRRR-MM-DD")
    body: str = option("jednostka, region albo związek (zebranie krajowe), np. SL-0001", title="Wybierający")
    db: Path = option("plik bazy DuckDB z zamkniętymi miesiącami", **CLOSED_DB)
    members: Optional[Path] = option("members.csv jednostki (imiona i nazwiska na listach)", None, **MEMBERS)
    assembly: Optional[Path] = option("delegaci zebrania dokonującego wyboru (member_id); bez niego wybiera "
                                      "zebranie członków", None, title="Delegaci zebrania",
                                      form="pełna ścieżka pliku z member_id delegatów; puste: wybiera zebranie członków")
    out: Optional[Path] = option("folder na listy", None, **OUT)


def _day(value) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UserError("bad_option", name="--date", detail=f"'{value}' to nie data RRRR-MM-DD") from None


def _db(params: dict) -> None:
    require_database(params["db"])


_file = require_file


def _latest(con, table: str, month: str) -> str | None:
    if table not in store.table_names(con):
        return None
    return con.execute(f"SELECT max(period) FROM {table} WHERE period <= ?", [month]).fetchone()[0]


def _names(run: Run) -> dict[str, str]:
    if not run.params.get("members"):
        return {}
    m = read_table(Path(run.members), "members")
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

def seats_check(params: dict) -> None:
    if bool(params.get("db")) == bool(params.get("members")):
        raise UserError("bad_option", name="--db/--members", detail="podaj --db z --period albo --members, nie oba")
    if params.get("db"):
        _db(params)
        try:
            parsing.period(params.get("period") or "")       # the options' one rule (issue 27)
        except ValueError as e:
            raise UserError("bad_option", name="--period", detail=str(e)) from None
    else:
        _file(params["members"], "unit_id albo region_id, members")
    key_seats({}, params["key"], settings.DELEGATE_KEYS.read_text(encoding="utf-8"))   # an unknown key stops here


def seats_read(run: Run) -> None:
    keys_text = settings.DELEGATE_KEYS.read_text(encoding="utf-8")
    spec = tomllib.loads(keys_text)["keys"].get(run.key, {})
    by = spec.get("counts", "region_id")
    counts: dict[str, int] = defaultdict(int)
    if run.params.get("db"):
        month_end = "last_day(CAST(? || '-01' AS DATE))"
        with store.read_only(Path(run.db)) as con:
            if "memberships" not in store.table_names(con) or not con.execute(
                    "SELECT count(*) FROM memberships WHERE period = ?", [run.period]).fetchone()[0]:
                raise UserError("no_memberships", db=run.db, period=run.period)
            group = {"unit_id": "u.unit_id", "region_id": "u.region_id", "union": "'związek'"}[by]
            where = "AND u.rulebook = ?" if spec.get("rulebook") else ""
            rows = con.execute(     # every unit of the period counts, a unit with no members as 0
                f"SELECT {group}, count(DISTINCT m.member_id) FROM units u LEFT JOIN memberships m "
                f"ON u.unit_id = m.unit_id AND u.period = m.period AND m.joined_on <= {month_end} "
                f"AND (m.left_on IS NULL OR m.left_on >= {month_end}) WHERE u.period = ? {where} "
                "GROUP BY 1 ORDER BY 1",
                [run.period, run.period, run.period] + ([spec["rulebook"]] if spec.get("rulebook") else [])).fetchall()
        counts.update(dict(rows))
        run.state["source"] = f"członkowie w dniu {run.period} (koniec miesiąca), baza {run.db}"
    else:
        t = read_table(Path(run.members), "counts")
        col = next((c for c in ("unit_id", "region_id", "body_id") if t[c].is_not_null().any()), None)
        if col is None:
            raise UserError("counts_no_id", name=Path(run.members).name)
        for r in t.to_dicts():
            body = (r[col] or "").strip()
            if not body:
                raise UserError("bad_count", where=f"{r['_source']}, wiersz {r['_row']}", column=col, value="",
                                what="identyfikator")
            counts[body] += _int_cell(r, "members", "liczba członków")
        by = by if col == "body_id" else col
        run.state["source"] = f"plik {run.members}"
    run.state.update(counts=dict(counts), by=by, keys_text=keys_text)


def seats_compute(run: Run) -> None:
    s = run.state
    seats, _quotas, desc = key_seats(s["counts"], run.key, s["keys_text"])
    s["rows"] = [{"body": b, "members": s["counts"][b], "seats": seats[b]} for b in sorted(s["counts"])]
    s["rule"] = desc


def seats_report(run: Run) -> None:
    if not run.params.get("out"):
        return
    s = run.state
    wb = new_workbook()
    label = {"unit_id": "Jednostka", "region_id": "Region", "union": "Związek"}[s["by"]]
    sheet(wb, "Mandaty", [label, "Członkowie", "Mandaty"],
          [(r["body"], r["members"], r["seats"] if r["seats"] is not None else "—") for r in s["rows"]],
          money_cols=set(), widths=[20, 14, 12], page_header=f"Mandaty: {s['rule']}")
    name = f"mandaty_{re.sub(r'[^0-9A-Za-z_-]', '_', run.key)}.xlsx"
    wb.save(run.output(name))
    s["file"] = name


def seats_summary(run) -> str:
    s = run.state
    total = sum(r["seats"] or 0 for r in s["rows"])
    lines = [f"Mandaty: {s['rule']}", f"  źródło: {s['source']}",
             f"  {'':<14} {'członkowie':>11} {'mandaty':>8}"]
    lines += [f"  {r['body']:<14} {r['members']:>11} {r['seats'] if r['seats'] is not None else '—':>8}"
              for r in s["rows"]]
    lines.append(f"  {'razem':<14} {sum(r['members'] for r in s['rows']):>11} {total:>8}")
    if s.get("file"):
        lines.append(f"  arkusz: {Path(run.params['out']) / s['file']}")
    return "\n".join(lines)


SEATS = Command(
    params=SeatsParams, help='Mandaty według klucza (002 §23 ust. 9, 003 Ordynacja Art. 17, 001 §23 pkt 2, ordynacja NSZZ „S”).',
    run_name=lambda p: f"mandaty {p.get('key')}", engine="plain",
    name="seats", flow_name="seats", check=seats_check, summary=legacy_view(seats_summary),
                legacy_steps=(legacy("read", seats_read, retries=2), legacy("compute", seats_compute),
                       legacy("report", seats_report, retries=2)))


# ------------------------------------------------------------------ eligibility

def eligibility_check(params: dict) -> None:
    _day(params["date"])
    _db(params)
    if params.get("members"):
        _file(params["members"], "member_id, full_name")
    if params.get("assembly"):
        _file(params["assembly"], "member_id")


def eligibility_read(run: Run) -> None:
    day = _day(run.date)
    month = month_of(day)
    s = run.state
    s["day"] = day
    with store.read_only(Path(run.db)) as con:
        period = _latest(con, "memberships", month)
        if period is None:
            raise UserError("no_memberships", db=run.db, period=month)
        s["period"] = period
        s["units"] = store.dicts(con, "SELECT unit_id, region_id, rulebook FROM units WHERE period = ?", [period])
        s["memberships"] = store.dicts(con, "SELECT member_id, unit_id, joined_on, left_on FROM memberships "
                                       "WHERE period = ?", [period])
        ledger = _latest(con, "member_ledger", month)
        s["ledger"] = {r["member_id"]: r for r in store.dicts(
            con, "SELECT member_id, months_unpaid, oldest_unpaid FROM member_ledger WHERE period = ?", [ledger])} \
            if ledger else {}
        tables = store.table_names(con)
        paid = ("(SELECT arg_max(s.paid, s.reconciled_for) FROM transfer_status s WHERE s.unit_id = t.payer_id "
                "AND s.period = t.period)" if "transfer_status" in tables else "NULL")
        s["transfers"] = store.dicts(con, f"SELECT t.period, t.payer_id, CAST(sum(t.amount) AS DECIMAL(18, 2)) AS amount, t.due_on, "
                                     f"{paid} AS paid FROM transfers t WHERE t.due_on < ? "
                                     "AND EXISTS (SELECT 1 FROM units u WHERE u.unit_id = t.payer_id) "
                                     "GROUP BY t.period, t.payer_id, t.due_on", [day]) \
            if "transfers" in tables else []
    s["names"] = _names(run)
    s["assembly"] = None
    if run.params.get("assembly"):
        a = read_table(Path(run.assembly), "assembly")
        _whole_rows(a)
        s["assembly_rows"] = [(r["_source"], r["_row"], r["member_id"].strip()) for r in a.to_dicts()
                              if (r["member_id"] or "").strip()]
        s["assembly"] = {m for _, _, m in s["assembly_rows"]}
    s["rulebooks"] = {r["rulebook"] for r in s["units"]}


def _body(run: Run, unions: dict[str, el.Union]) -> tuple[el.Union, list[str], dict | None]:
    """The union and the units of ``--body``: a unit, a region (its units of the union most of them
    follow), or a union's national body."""
    s, body = run.state, run.body
    units = s["units"]
    by_book = {u.rulebook: u for u in unions.values() if u.rulebook}
    if body in unions:
        union = el.union_for(unions, body, s["day"])
        chosen = [u["unit_id"] for u in units if u["rulebook"] == union.rulebook]
        return union, chosen, union.assembly or None
    chosen = [u for u in units if u["unit_id"] == body] or [u for u in units if u["region_id"] == body]
    if not chosen:
        raise UserError("unknown_body", body=body, period=s["period"])
    books = sorted({u["rulebook"] for u in chosen}, key=lambda b: (-sum(u["rulebook"] == b for u in chosen), b))
    if books[0] not in by_book:
        raise UserError("unknown_union", union=books[0], known=", ".join(sorted(unions)))
    union = el.union_for(unions, by_book[books[0]].code, s["day"])
    s["other_union_units"] = sorted(u["unit_id"] for u in chosen if u["rulebook"] != books[0])
    return union, [u["unit_id"] for u in chosen if u["rulebook"] == books[0]], None


def _assembly_in_body(run: Run, units: set[str]) -> None:
    """Every delegate of ``--assembly`` is a member of the body: an id its register does not hold
    (a typo, another unit's member) would silently have no vote."""
    s = run.state
    known = {m["member_id"] for m in s["memberships"] if m["unit_id"] in units}
    stray = [(source, row, mid) for source, row, mid in s.get("assembly_rows", []) if mid not in known]
    if stray:
        raise UserError("assembly_not_members", where=f"{stray[0][0]}, {'wiersze' if len(stray) > 1 else 'wiersz'} "
                        f"{and_list([row for _, row, _ in stray])}", ids=", ".join(m for _, _, m in stray),
                        body=run.body, period=s["period"])


def eligibility_compute(run: Run) -> None:
    from flows.rules import rules_for
    s = run.state
    unions = el.load(RULES.read_text(encoding="utf-8"))
    union, unit_ids, assembly = _body(run, unions)
    units = set(unit_ids)
    _assembly_in_body(run, units)
    problems = el.unit_problems(s["transfers"], s["day"])
    periods: dict[tuple[str, str], list] = defaultdict(list)
    for m in s["memberships"]:
        if m["unit_id"] in units:
            periods[(m["member_id"], m["unit_id"])].append((m["joined_on"], m["left_on"]))
    members = [el.Member(mid, uid, p, (s["ledger"].get(mid) or {}).get("months_unpaid") or 0,
                         (s["ledger"].get(mid) or {}).get("oldest_unpaid"),
                         s["assembly"] is None or mid in s["assembly"]) for (mid, uid), p in periods.items()]
    version = rules_for(month_of(s["day"])).version(union.rulebook) if union.rulebook else None
    months, source = (version.arrears_months, version.arrears_source) if version else (3, "")
    if assembly:
        keys_text = settings.DELEGATE_KEYS.read_text(encoding="utf-8")
        in_force = defaultdict(int)
        for m in members:
            if el.uninterrupted_since(m.periods, s["day"]):
                in_force[m.unit_id] += 1
        counts = {u: in_force.get(u, 0) for u in unit_ids}
        seats, _, _ = key_seats(counts, assembly["delegates_key"], keys_text)
        s["result"] = el.delegates_assembly(union, assembly, counts, seats, problems, s["day"])
    else:
        s["result"] = el.eligibility(union, members, s["day"], months, source, problems)


def _yes(b: bool) -> str:
    return "tak" if b else "nie"


def eligibility_report(run: Run) -> None:
    if not run.params.get("out"):
        return
    s, res = run.state, run.state["result"]
    wb = new_workbook()
    head = f"{res.union.name}: {run.body}, {s['day']}"
    if res.units:
        sheet(wb, "Delegaci jednostek", ["Jednostka", "Członkowie", "Delegaci", "Uprawnieni", "Powód", "Podstawa"],
              [(u["unit_id"], u["members"], u["delegates"], u["entitled_delegates"], u["reason"], u["rule"])
               for u in res.units], money_cols=set(), widths=[14, 12, 10, 12, 70, 24], page_header=head)
    else:
        names = s["names"]
        sheet(wb, "Głosowanie", ["Członek", "Imię i nazwisko", "Jednostka", "Członek nieprzerwanie od",
                                 "Pełnych miesięcy", "Może głosować", "Powód"],
              [(r["member_id"], names.get(r["member_id"], ""), r["unit_id"], r["member_since"], r["months"],
                _yes(r["may_vote"]), r["vote_reason"]) for r in res.members],
              money_cols=set(), widths=[12, 26, 12, 16, 10, 10, 70], page_header=head)
        sheet(wb, "Kandydowanie", ["Członek", "Imię i nazwisko", "Jednostka", "Członek nieprzerwanie od",
                                   "Pełnych miesięcy", "Może kandydować", "Podstawa", "Powód / warunek"],
              [(r["member_id"], names.get(r["member_id"], ""), r["unit_id"], r["member_since"], r["months"],
                r["may_stand"], r["stand_rule"], r["stand_reason"]) for r in res.members],
              money_cols=set(), widths=[12, 26, 12, 16, 10, 12, 40, 70], page_header=head)
    name = f"uprawnieni_{safe_name(run.body)}_{s['day']}.xlsx"
    wb.save(run.output(name))
    s["file"] = name


def eligibility_summary(run) -> str:
    s, res = run.state, run.state["result"]
    lines = [f"Uprawnienia wyborcze: {res.union.name}, {run.body}, {s['day']} "
             f"(rejestr z zamknięcia {s['period']}; zasady: {res.union.source}); wybiera "
             + (f"zebranie delegatów ({len(s['assembly'])} z --assembly)" if s.get("assembly") is not None
                else "zebranie członków")]
    if res.units:
        entitled = sum(u["entitled_delegates"] for u in res.units)
        t = res.union.tally
        quorum = (f"kworum: co najmniej {el.quorum_needed(entitled, Fraction(t['quorum']), t['quorum_kind'])} "
                  f"({t['quorum_source']})" if entitled else "brak uprawnionych delegatów: zebranie nie może się odbyć")
        lines.append(f"  delegaci: {sum(u['delegates'] for u in res.units)}, uprawnieni {entitled} "
                     f"({res.units[0]['rule']}); {quorum}")
        lines += [f"  {u['unit_id']:<10} delegatów {u['delegates']:>3}, uprawnionych {u['entitled_delegates']:>3}"
                  f"{'  — ' + u['reason'] if u['reason'] else ''}" for u in res.units]
    else:
        rows = res.members
        voters = sum(r["may_vote"] for r in rows)
        stand = sum(r["may_stand"] == "tak" for r in rows)
        backed = sum(r["may_stand"] == "z poparciem" for r in rows)
        lines.append(f"  członków {len(rows)}: może głosować {voters}, nie może {len(rows) - voters}; "
                     f"może kandydować {stand}" + (f", z poparciem {backed} (potrzeba {res.signatures_needed} podpisów)"
                                                  if backed else ""))
        reasons = defaultdict(int)
        for r in rows:
            if not r["may_vote"]:
                reasons[r["vote_reason"].split(" (")[0].split(":")[0]] += 1
        lines += [f"  nie głosuje: {k} — {n}" for k, n in sorted(reasons.items())]
    if s.get("other_union_units"):
        lines.append(f"  pominięte jednostki innego związku: {', '.join(s['other_union_units'])}")
    if s.get("file"):
        lines.append(f"  arkusz: {Path(run.params['out']) / s['file']}")
    return "\n".join(lines)


ELIGIBILITY = Command(
    params=EligibilityParams, help='Listy uprawnionych do głosowania i do kandydowania w dniu wyborów, z powodem każdego wyłączenia.',
    run_name=lambda p: f"uprawnienia wyborcze {p.get('body')} {p.get('date')}", engine="plain",
    name="eligibility", flow_name="eligibility", check=eligibility_check,
                      summary=legacy_view(eligibility_summary),
                      legacy_steps=(legacy("read", eligibility_read, retries=2), legacy("compute", eligibility_compute),
                             legacy("report", eligibility_report, retries=2)))


# ------------------------------------------------------------------ tally

NAME_LIMIT = 200           # characters of an election's or a candidate's name
VOTE_COLUMNS = ("election", "entitled", "participants", "invalid", "seats", "candidate", "votes")


def tally_check(params: dict) -> None:
    _file(params["votes"], ", ".join(VOTE_COLUMNS))
    unions = el.load(RULES.read_text(encoding="utf-8"))
    if params["rules"] not in unions:
        raise UserError("unknown_union", union=params["rules"], known=", ".join(sorted(unions)))


def tally_read(run: Run) -> None:
    """The protocol's votes, each keyed by the identity of its name (transforms.polish.identity):
    a vote's later rows may spell its name otherwise (the spelling is reported), a candidate's name
    written twice, however spelled, is refused."""
    t = read_table(Path(run.votes), "votes")
    _whole_rows(t)
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
    run.state["elections"] = elections


def tally_compute(run: Run) -> None:
    union = el.load(RULES.read_text(encoding="utf-8"))[run.rules]
    run.state["union"] = union
    run.state["results"] = [el.tally(union, name, e["entitled"], e["participants"], e["invalid"], e["seats"],
                                     e["votes"]) for name, e in run.state["elections"].items()]


def _pct(f: Fraction) -> str:
    hundredths = int((f * 20000 + 1) // 2)            # exact, half-up: 46,15%
    return f"{hundredths // 100},{hundredths % 100:02d}%"


def result_name(votes: Path) -> str:
    """'wyniki_protokol_1a2b3c4d.xlsx': the protocol's name and a short mark of its full path, so
    two protocols of one name (a/protokol.csv, b/protokol.csv) never share a result file, while
    the same protocol tallied again replaces its own."""
    mark = hashlib.sha256(str(votes.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"wyniki_{safe_name(votes.stem)}_{mark}.xlsx"


def tally_report(run: Run) -> None:
    if not run.params.get("out"):
        return
    results = run.state["results"]
    wb = new_workbook()
    sheet(wb, "Wyniki", ["Głosowanie", "Uprawnieni", "Głosujący", "Kworum (co najmniej)", "Nieważne", "Ważne",
                         "Potrzeba głosów", "Mandaty", "Wynik"],
          [(t.election, t.entitled, t.participants, t.quorum_needed, t.invalid, t.valid,
            t.votes_needed if t.votes_needed is not None else "najwięcej", t.seats, t.verdict)
           for t in results], money_cols=set(), widths=[30, 11, 11, 12, 10, 10, 11, 9, 70],
          page_header=f"Wyniki głosowań: {run.state['union'].name}")
    rules = run.state["union"].tally
    sheet(wb, "Podstawa", ["Zasada", "Przepis"],
          [("kworum", rules["quorum_source"]), ("większość", rules["majority_source"]),
           ("druga tura", rules["runoff_source"])], money_cols=set(), widths=[16, 100])
    sheet(wb, "Kandydaci", ["Głosowanie", "Kandydat", "Głosy", "Udział w ważnych", "Wynik"],
          [(t.election, c["candidate"], c["votes"], _pct(c["share"]), c["result"]) for t in results
           for c in t.candidates], money_cols=set(), widths=[24, 28, 10, 14, 20])
    name = result_name(Path(run.votes))
    wb.save(run.output(name))
    run.state["file"] = name


def tally_summary(run) -> str:
    lines = [f"Wyniki głosowań ({run.state['union'].name}):"]
    for t in run.state["results"]:
        lines.append(f"  {t.election}: uprawnionych {t.entitled}, głosowało {t.participants} (kworum {t.quorum_needed}), "
                     f"ważnych {t.valid}, nieważnych {t.invalid}"
                     + (f", potrzeba {t.votes_needed} głosów" if t.votes_needed is not None else ""))
        lines += [f"    {c['candidate']:<28} {c['votes']:>5}  {_pct(c['share']):>8}  {c['result']}" for c in t.candidates]
        lines.append(f"    → {t.verdict}")
        lines += [f"    uwaga: głosowanie '{t.election}' zapisane też jako '{v}' (wiersz {row})"
                  for v, row in run.state["elections"][t.election]["variants"].items()]
    lines.append(f"  podstawa: {run.state['results'][0].sources}" if run.state["results"] else "")
    if run.state.get("file"):
        lines.append(f"  arkusz: {Path(run.params['out']) / run.state['file']}")
    return "\n".join(lines)


TALLY = Command(
    params=TallyParams, help='Wynik głosowania: kworum, ważność, wybrani i druga tura.',
    run_name=lambda p: f"wyniki głosowania {Path(str(p.get('votes'))).name}", engine="plain",
    name="tally", flow_name="tally", check=tally_check, summary=legacy_view(tally_summary),
                legacy_steps=(legacy("read", tally_read, retries=2), legacy("compute", tally_compute),
                       legacy("report", tally_report, retries=2)))
