"""Earmarked funds, section dues and the branch secretariats' share (issue 30; 004 §3 ust. 1 pkt 2
lit. a, §3 ust. 4, §4, §14). Pure; money in grosze.

- An **earmarked fund** (``funds.csv``) is adopted by a region's general meeting, from a date, as a
  percentage of D *within the unit's share* (004 §4: "w ramach środków wymienionych w § 3 ust. 1
  pkt 1 i ust. 2 pkt 1"); it binds every unit registered in the region.
- **Section dues** (``sections.csv``, and units.csv ``section_id``) are set by the section's (or
  branch secretariat's) governing body, from a date, as a percentage of D owed by the units that
  belong to it (004 §3 ust. 4); they are the unit's money (§3 ust. 3: "z zastrzeżeniem ust. 4").

Both are dated data, never code. Each becomes one more level of the unit's cascade (a move from
the root: its share of D, half-up, so the unit keeps what is left and every split still sums to D
exactly), paid by the unit as a transfer of its own, with its payee, account, title and deadline.
A unit with no fund or section in force has exactly the cascade it had before.

- The **branch secretariats' 2 %** (004 §3 ust. 1 pkt 2 lit. a) is one pot of the month at the
  national level; ``share_pot`` shares it among the secretariats in proportion to the members of
  their member organisations, to the grosz (Hare–Niemeyer, the delegates' apportionment helper).
- **§14**: the agreement with a secretariat's council is due within 14 days of the council's new
  term starting; ``agreement_items`` are the calendar's items for it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction

import polars as pl

from transforms.errors import Issue, issue, text
from transforms.rulebook import Cascade, Move, Level

FUND = "fund"
SECTION = "section"

EARMARK_SCHEMA = {"level": pl.String, "kind": pl.String, "owner_id": pl.String, "label": pl.String,
                  "payee": pl.String, "share": pl.String, "valid_from": pl.Date, "valid_to": pl.Date,
                  "bank_account": pl.String, "transfer_title": pl.String, "due_day": pl.Int64, "source": pl.String}
SECRETARIAT_SCHEMA = {"secretariat_id": pl.String, "name": pl.String, "organisations": pl.Int64,
                      "members": pl.Int64, "council_term_from": pl.Date, "agreement_on": pl.Date, "source": pl.String}
SHARE_SCHEMA = {"secretariat_id": pl.String, "name": pl.String, "organisations": pl.Int64, "members": pl.Int64,
                "pot": pl.Int64, "amount": pl.Int64, "quota": pl.String, "source": pl.String}


@dataclass(frozen=True)
class Earmark:
    """One fund of a region or one section's dues: a level of the cascade of the units it binds."""
    level: str                 # the level code: 'fund:<region_id>:<fund>' or 'section:<section_id>'
    kind: str                  # FUND | SECTION
    owner_id: str              # the region_id (fund) or section_id (section)
    label: str                 # as a split line reads ('fundusz celowy …', 'sekcja …')
    payee: str                 # as the recipient of a transfer
    share: Fraction            # of D
    valid_from: date
    valid_to: date | None
    bank_account: str | None
    transfer_title: str | None
    due_day: int | None        # the day of the month after the dues month; None: the unit's rule's day
    source: str                # the resolution that adopted it

    def in_force(self, period: str) -> bool:
        """In force on the first day of ``period`` (as rulebook versions are, RULES.md §1)."""
        first = date.fromisoformat(period + "-01")
        return self.valid_from <= first and (self.valid_to is None or first <= self.valid_to)

    def binds(self, unit: dict) -> bool:
        if self.kind == FUND:
            return unit.get("region_id") == self.owner_id
        return bool(unit.get("section_id")) and unit.get("section_id") == self.owner_id

    def as_row(self) -> dict:
        return {"level": self.level, "kind": self.kind, "owner_id": self.owner_id, "label": self.label,
                "payee": self.payee, "share": str(self.share.numerator) + "/" + str(self.share.denominator),
                "valid_from": self.valid_from, "valid_to": self.valid_to, "bank_account": self.bank_account,
                "transfer_title": self.transfer_title, "due_day": self.due_day, "source": self.source}

    @staticmethod
    def from_row(r: dict) -> "Earmark":
        return Earmark(r["level"], r["kind"], r["owner_id"], r["label"], r["payee"], Fraction(r["share"]),
                       r["valid_from"], r["valid_to"], r["bank_account"], r["transfer_title"], r["due_day"],
                       r["source"])


def unit_earmarks(unit: dict, earmarks: tuple[Earmark, ...]) -> tuple[Earmark, ...]:
    """The earmarks binding this unit (its region's funds, its section's dues), in level order."""
    return tuple(e for e in earmarks if e.binds(unit))


def extend(cascade: Cascade, earmarks: tuple[Earmark, ...]) -> Cascade:
    """The cascade with one move from the root per earmark (its share of D); unchanged without any."""
    if not earmarks:
        return cascade
    moves = cascade.moves + tuple(Move(cascade.root, e.level, e.share, e.source) for e in earmarks)
    return replace(cascade, levels=cascade.levels + tuple(e.level for e in earmarks), moves=moves)


def root_keeps(cascade: Cascade) -> Fraction:
    """The share of D the root keeps (1 − what it passes on)."""
    return 1 - sum((m.share for m in cascade.moves if m.source_level == cascade.root), Fraction(0))


def check_room(units: pl.DataFrame, rules) -> None:
    """004 §4 ("w ramach środków" of the unit's share) and §3 ust. 4: a unit's funds and section
    dues together cannot take more than the share its cascade leaves it; a close whose data would
    make a unit's part negative stops with one message (``earmarks_exceed_share``), nothing written."""
    from transforms.allocate import unit_cascade
    from transforms.errors import UserError
    from transforms.money import decimal_text
    if not rules.earmarks:
        return
    for unit in units.iter_rows(named=True):
        version = rules.version(unit["rulebook"])
        bound = unit_earmarks(unit, rules.earmarks) if version.earmarks else ()
        keeps = root_keeps(unit_cascade(unit, version))
        if bound and sum(e.share for e in bound) > keeps:
            raise UserError("earmarks_exceed_share", unit=unit["unit_id"],
                            levels=", ".join(f"{e.level} {decimal_text(e.share * 100, 2)} %" for e in bound),
                            total=decimal_text(sum(e.share for e in bound) * 100, 2),
                            keeps=decimal_text(keeps * 100, 2))


def as_levels(earmarks: tuple[Earmark, ...]) -> tuple[Level, ...]:
    return tuple(Level(e.level, e.label, e.payee) for e in earmarks)


def frame(earmarks: tuple[Earmark, ...], period: str) -> pl.DataFrame:
    """The month's earmarks as the stored table ``earmarks``."""
    return pl.DataFrame([{"period": period} | e.as_row() for e in earmarks],
                        schema={"period": pl.String} | EARMARK_SCHEMA)


def from_frame(stored: pl.DataFrame) -> tuple[Earmark, ...]:
    return tuple(Earmark.from_row(r) for r in stored.iter_rows(named=True))


# ------------------------------------------------------------------ staging the inputs

def _clean(r: dict, column: str) -> str:
    return (r.get(column) or "").strip()


def _date(value: str, column: str, problems: list[str]) -> date | None:
    """A date as every canonical file gives it (ISO, or as Polish Excel writes it: staging's one reader)."""
    from transforms.staging import _date as canonical_date
    day = canonical_date(value)
    if day is None:
        problems.append(text("problems", "earmark_date_bad", column=column, value=value))
    return day


def _pct(value: str, problems: list[str]) -> Fraction | None:
    try:
        pct = Fraction(value.replace(",", "."))
    except (ValueError, ZeroDivisionError):
        pct = None
    if pct is None or not 0 < pct < 100 or "/" in value:
        problems.append(text("problems", "earmark_pct_bad", value=value))
        return None
    return pct / 100


def _common(r: dict, problems: list[str]) -> dict:
    """The columns funds.csv and sections.csv share, checked: pct, dates, account, title, due day, source."""
    from transforms.staging import payee_account
    share = _pct(_clean(r, "pct"), problems)
    valid_from = _date(_clean(r, "valid_from"), "valid_from", problems)
    valid_to = _date(_clean(r, "valid_to"), "valid_to", problems) if _clean(r, "valid_to") else None
    if valid_from and valid_to and valid_to < valid_from:
        problems.append(text("problems", "earmark_dates_order", valid_from=valid_from, valid_to=valid_to))
    title = _clean(r, "transfer_title")
    iban = payee_account(_clean(r, "bank_account"), title, problems)
    day = _clean(r, "due_day")
    due_day = None
    if day:
        if day.isascii() and day.isdigit() and 1 <= int(day) <= 31:
            due_day = int(day)
        else:
            problems.append(text("problems", "earmark_due_day_bad", value=day))
    source = _clean(r, "source")
    if not source:
        problems.append(text("problems", "earmark_source_missing"))
    return {"share": share, "valid_from": valid_from, "valid_to": valid_to, "bank_account": iban,
            "transfer_title": title or None, "due_day": due_day, "source": source}


def _id_ok(value: str) -> bool:
    """An id that can be part of a level code ('fund:<region_id>:<fund>'): no colon, no space."""
    return ":" not in value and not any(c.isspace() for c in value)


def known_sections(raw: pl.DataFrame | None) -> set[str]:
    """Every section id sections.csv names (in force or not)."""
    if raw is None or raw.height == 0:
        return set()
    return {_clean(r, "section_id") for r in raw.to_dicts()} - {""}


def unknown_sections(units: pl.DataFrame, raw: pl.DataFrame | None, period: str) -> list[Issue]:
    """Units naming a section_id that sections.csv does not list: ``unknown_section`` (004 §3 ust. 4:
    no section dues can be split off for them; a typo would otherwise pass silently)."""
    known = known_sections(raw)
    if "section_id" not in units.columns:
        return []
    return [issue("unknown_section", source="units.csv", row=r["_row"], period=period, unit_id=r["unit_id"],
                  subject=f"jednostka {r['unit_id']}", section=r["section_id"],
                  known=", ".join(sorted(known)) or "brak pliku sections.csv")
            for r in units.filter(pl.col("section_id").is_not_null()).iter_rows(named=True)
            if r["section_id"] not in known]


def _dated_duplicates(rows: list[tuple[int, str, date | None, date | None]]) -> set[int]:
    """Rows whose (key) periods overlap another row's of the same key."""
    bad: set[int] = set()
    for i, (ia, key_a, fa, ta) in enumerate(rows):
        for ib, key_b, fb, tb in rows[i + 1:]:
            if key_a == key_b and fa and fb and fa <= (tb or date.max) and fb <= (ta or date.max):
                bad |= {ia, ib}
    return bad


def stage_funds(raw: pl.DataFrame | None, period: str) -> tuple[tuple[Earmark, ...], list[Issue]]:
    """funds.csv: region_id, fund, label, pct, valid_from[, valid_to], payee, bank_account,
    transfer_title, due_day, source — every row checked (a bad row: ``bad_fund``, not used); the
    funds in force on the first day of ``period``."""
    return _stage(raw, period, FUND)


def stage_sections(raw: pl.DataFrame | None, period: str) -> tuple[tuple[Earmark, ...], list[Issue]]:
    """sections.csv: section_id, name, pct, valid_from[, valid_to], payee, bank_account,
    transfer_title, due_day, source (a bad row: ``bad_section``); the sections' dues in force."""
    return _stage(raw, period, SECTION)


def _stage(raw: pl.DataFrame | None, period: str, kind: str) -> tuple[tuple[Earmark, ...], list[Issue]]:
    if raw is None or raw.height == 0:
        return (), []
    rows = raw.to_dicts()
    checked, found = [], []
    for r in rows:
        problems: list[str] = []
        if r.get("_cells") is not None:
            problems.append(text("problems", "row_shape", cells=r["_cells"], header=r["_header_cells"]))
        if kind == FUND:
            owner, code = _clean(r, "region_id"), _clean(r, "fund")
            for column, value in (("region_id", owner), ("fund", code)):
                if not value:
                    problems.append(text("problems", "id_empty", column=column))
                elif not _id_ok(value):
                    problems.append(text("problems", "earmark_id_bad", column=column, value=value))
            level = f"fund:{owner}:{code}"
            label = _clean(r, "label") or f"fundusz {code}"
        else:
            owner = code = _clean(r, "section_id")
            if not owner:
                problems.append(text("problems", "id_empty", column="section_id"))
            elif not _id_ok(owner):
                problems.append(text("problems", "earmark_id_bad", column="section_id", value=owner))
            level = f"section:{owner}"
            label = _clean(r, "name") or f"sekcja {owner}"
        common = _common(r, problems)
        checked.append((r, problems, level, label, owner, common))
    overlapping = _dated_duplicates([(i, c[2], c[5]["valid_from"], c[5]["valid_to"]) for i, c in enumerate(checked)])
    out: list[Earmark] = []
    code = "bad_fund" if kind == FUND else "bad_section"
    for i, (r, problems, level, label, owner, common) in enumerate(checked):
        if i in overlapping:
            problems.append(text("problems", "earmark_overlap", level=level))
        if problems:
            found.append(issue(code, source=r["_source"], row=r["_row"], period=period,
                               subject=f"{'fundusz' if kind == FUND else 'sekcja'} {level.split(':', 1)[1] or '?'}",
                               region_id=owner if kind == FUND and owner else None, problems=problems))
            continue
        e = Earmark(level, kind, owner, label, _clean(r, "payee") or label, common["share"], common["valid_from"],
                    common["valid_to"], common["bank_account"], common["transfer_title"], common["due_day"],
                    common["source"])
        if e.in_force(period):
            out.append(e)
    return tuple(sorted(out, key=lambda e: (e.kind != FUND, e.level))), found


def stage_secretariats(raw: pl.DataFrame | None, period: str) -> tuple[pl.DataFrame, list[Issue]]:
    """secretariats.csv: secretariat_id, name, organisations, members, council_term_from[,
    agreement_on, source] (a bad row: ``bad_secretariat``, not used)."""
    if raw is None or raw.height == 0:
        return pl.DataFrame(schema=SECRETARIAT_SCHEMA), []
    rows = raw.to_dicts()
    counts: dict[str, int] = {}
    for r in rows:
        counts[_clean(r, "secretariat_id")] = counts.get(_clean(r, "secretariat_id"), 0) + 1
    good, found = [], []
    for r in rows:
        problems: list[str] = []
        sid = _clean(r, "secretariat_id")
        if not sid:
            problems.append(text("problems", "id_empty", column="secretariat_id"))
        elif counts[sid] > 1:
            problems.append(text("problems", "duplicate_id", column="secretariat_id", value=sid, count=counts[sid]))
        numbers = {}
        for column in ("organisations", "members"):
            value = _clean(r, column)
            if value.isascii() and value.isdigit():
                numbers[column] = int(value)
            else:
                problems.append(text("problems", "secretariat_count_bad", column=column, value=value))
        term = _date(_clean(r, "council_term_from"), "council_term_from", problems)
        agreed = _date(_clean(r, "agreement_on"), "agreement_on", problems) if _clean(r, "agreement_on") else None
        if problems:
            found.append(issue("bad_secretariat", source=r["_source"], row=r["_row"], period=period,
                               subject=f"sekretariat {sid or '?'}", problems=problems))
            continue
        good.append({"secretariat_id": sid, "name": _clean(r, "name") or sid, **numbers, "council_term_from": term,
                     "agreement_on": agreed, "source": _clean(r, "source") or None})
    return pl.DataFrame(good, schema=SECRETARIAT_SCHEMA), found


# ------------------------------------------------------------------ the secretariats' 2 %

def share_pot(pot: int, secretariats: list[dict], source: str) -> list[dict]:
    """The month's pot (grosze) shared among the secretariats in proportion to the members of their
    member organisations, to the grosz: floors of the quotas, the grosze left to the largest
    remainders (ties: more members, then the id) — the parts sum to the pot exactly."""
    from transforms.delegates import largest_remainder
    members = {s["secretariat_id"]: s["members"] for s in secretariats}
    got, quotas = largest_remainder(members, pot)
    return [{"secretariat_id": s["secretariat_id"], "name": s["name"], "organisations": s["organisations"],
             "members": s["members"], "pot": pot, "amount": got[s["secretariat_id"]],
             "quota": _quota(quotas[s["secretariat_id"]]),
             "source": source}
            for s in sorted(secretariats, key=lambda s: s["secretariat_id"])]


def _quota(q: Fraction) -> str:
    """A quota in grosze with four decimals, exact text (no float)."""
    from transforms.money import decimal_text
    return decimal_text(q, 4)


def agreement_items(secretariats: list[dict], day: date, days: int, source: str, shift=None) -> list[dict]:
    """004 §14: the agreement of §3 ust. 1 pkt 2 lit. a with each secretariat's council is due
    within ``days`` days of the council's new term starting. One calendar item per secretariat
    whose council's term has started and whose agreement date is not recorded: 'due' until the
    deadline, 'overdue' after; an agreement signed late is 'overdue' too (with its date). ``shift``:
    the rulebook's deadline shift (RULES.md §6: concluding the agreement is an act with a term)."""
    from transforms.calendar import item
    out = []
    for s in sorted(secretariats, key=lambda s: s["secretariat_id"]):
        term = s["council_term_from"]
        if term is None or term > day:
            continue
        nominal = term + timedelta(days=days)
        due = shift.due(nominal) if shift else nominal
        note = shift.note(nominal) if shift else ""
        source_note = f"{source}; {note}" if note else source
        agreed = s.get("agreement_on")
        who = f"sekretariat {s['secretariat_id']} ({s['name']})"
        if agreed is None:
            out.append(item("secretariat_agreement", f"umowa KK z radą sekretariatu (kadencja od {term}): "
                            "brak daty zawarcia", who, due, "overdue" if day > due else "due", None, source_note))
        elif agreed > due:
            out.append(item("secretariat_agreement", f"umowa KK z radą sekretariatu (kadencja od {term}) zawarta "
                            f"{agreed}, po terminie", who, due, "overdue", None, source_note))
    return out
