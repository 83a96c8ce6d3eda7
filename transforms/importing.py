"""The pure decisions of `skladki import` (flows/importing.py, issue 29): which settlement files of
a folder a region (or the national board) takes into its database, which it only notes and which
it refuses, each with its reason code and Polish message.

A file is checked in this order: it was read as a settlement (schema and hash, by
transforms/settlement_file.py when it was read); its kind is the one this level imports (a
unit's month at a region, a region's at the national level); its unit belongs to this region; the
rulebook version it names is the one in force here for its month; its split follows from its
totals and its transfers from its split (transforms/settlement_file.py). Then its version: the
same content (sha256) imported before is a notice and changes nothing; a version not newer than
the one imported for the unit's month is refused; a newer one supersedes it (the difference per
level is reported). Files of the same unit and month are taken in version order, so a folder
holding versions 1 and 2 imports 1, then 2 over it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from transforms.errors import Issue, UserError, issue, mask_personal
from transforms.settlement_file import UNIT

# the level importing -> the kind of settlement file it takes; a region checks its units' region
KINDS = dict(region="unit", national="region")
REGION_LEVEL = "region"


@dataclass(frozen=True)
class Stored:
    """A settlement file version imported before (a row of ``settlement_files``)."""
    unit_id: str
    period: str
    version: int
    sha256: str
    file_name: str
    superseded_by: str | None = None


@dataclass(frozen=True)
class Read:
    """A file of the folder: its document, or the problem that kept it from being one."""
    name: str
    doc: dict | None
    problem: Issue | None = None


@dataclass(frozen=True)
class Accepted:
    """A file to import: what it replaces (a version imported before) and, for a unit's month
    already in the database, each level whose settlement changes (level, before, after)."""
    name: str
    doc: dict
    replaces: Stored | None
    differences: tuple[tuple[str, int, int], ...] = ()
    had_month: bool = False          # the unit's month was in the database before (closed or imported)


@dataclass(frozen=True)
class Plan:
    files: int
    accepted: tuple[Accepted, ...]
    already: tuple[Issue, ...]       # notices: the same file imported before (nothing changes)
    refused: tuple[Issue, ...]       # each refused file: its reason code and message

    @property
    def periods(self) -> list[str]:
        return sorted({a.doc["period"] for a in self.accepted})


def refusal(e: UserError, name: str, doc: dict | None = None) -> Issue:
    """A file refused by transforms/settlement_file.py (its reading or its checks): the reason
    code and the Polish message it raised, naming the file."""
    unit_id, period = key(doc) if doc is not None else (None, None)
    return Issue(e.code, mask_personal(str(e)), "import", name, unit_id=unit_id, period=period)


def key(doc: dict) -> tuple[str, str]:
    return doc[UNIT]["unit_id"], doc["period"]


def by_level(rows: list[dict]) -> dict[str, int]:
    """A settlement's amounts per level (grosze), corrections included."""
    out: dict[str, int] = {}
    for r in rows:
        out[r["level"]] = out.get(r["level"], 0) + int(r["amount_gr"])
    return out


def differences(before: dict[str, int], after: dict[str, int]) -> tuple[tuple[str, int, int], ...]:
    """The levels whose amount changed, in the order the new settlement names them."""
    levels = list(after) + [lvl for lvl in before if lvl not in after]
    return tuple((lvl, before.get(lvl, 0), after.get(lvl, 0)) for lvl in levels
                 if before.get(lvl, 0) != after.get(lvl, 0))


def where_it_belongs(name: str, doc: dict, level: str, region: str | None) -> Issue | None:
    """A file of another kind than this level imports, or of another region's unit."""
    kind = KINDS[level]
    unit = doc[UNIT]
    if doc["kind"] != kind:
        return issue("settlement_wrong_kind", source=name, command="import", kind=doc["kind"], expected=kind,
                     level=level, unit_id=unit["unit_id"], period=doc["period"])
    if region is not None and unit["region_id"] != region:
        return issue("settlement_other_region", source=name, command="import", unit=unit["unit_id"],
                     other=unit["region_id"], region=region, unit_id=unit["unit_id"], period=doc["period"])
    return None


def decide(files: list[Read], *, level: str, region: str | None, imported: list[Stored],
           stored: dict[tuple[str, str], dict[str, int]],
           content: Callable[[str, dict], Issue | None], known: frozenset[tuple[str, str]] = frozenset()) -> Plan:
    """The plan of an import. ``imported``: every version imported before (settlement_files);
    ``stored``: the settlement per level of the unit-months already in the database;
    ``content``: the checks of a document against the rulebook in force (version, split,
    transfers), None when it passes; ``known``: the unit-months the database holds (closed or
    imported) — a file's corrections must name earlier months among them or among the files
    imported before it in this folder."""
    refused: list[Issue] = [f.problem for f in files if f.problem is not None]
    valid: list[Read] = []
    for f in files:
        if f.doc is None:
            continue
        problem = where_it_belongs(f.name, f.doc, level, region) or content(f.name, f.doc)
        if problem is not None:
            refused.append(problem)
        else:
            valid.append(f)
    by_sha = {s.sha256: s for s in imported}
    current = {(s.unit_id, s.period): s for s in imported if s.superseded_by is None}
    amounts = dict(stored)
    months = set(known) | set(stored) | {(s.unit_id, s.period) for s in imported}
    accepted: list[Accepted] = []
    already: list[Issue] = []
    for f in sorted(valid, key=lambda f: (*key(f.doc), int(f.doc["version"]), f.name)):
        doc, unit_period = f.doc, key(f.doc)
        unit, period = unit_period
        same = by_sha.get(doc["sha256"])
        if same is not None:
            already.append(issue("settlement_duplicate", source=f.name, command="import", unit=unit, period=period,
                                 version=doc["version"], first=same.file_name, unit_id=unit))
            continue
        now = current.get(unit_period)
        if now is not None and int(doc["version"]) <= now.version:
            refused.append(issue("settlement_older_version", source=f.name, command="import", unit=unit,
                                 period=period, version=doc["version"], current=now.version, unit_id=unit))
            continue
        unknown = sorted({c["corrected_period"] for c in doc.get("corrections", [])
                          if c["corrected_period"] >= period or (unit, c["corrected_period"]) not in months})
        if unknown:
            refused.append(issue("settlement_unknown_correction", source=f.name, command="import", unit=unit,
                                 period=period, months=", ".join(unknown), unit_id=unit))
            continue
        after = by_level(doc["settlement"])
        before = amounts.get(unit_period)
        accepted.append(Accepted(f.name, doc, now, differences(before, after) if before is not None else (),
                                 had_month=before is not None))
        mine = Stored(unit, period, int(doc["version"]), doc["sha256"], f.name)
        by_sha[mine.sha256] = current[unit_period] = mine
        amounts[unit_period] = after
        months.add(unit_period)
    return Plan(len(files), tuple(accepted), tuple(already),
                tuple(sorted(refused, key=lambda i: (i.source or "", i.reason_code))))


# ---- the region's own row of ``regions``, from what its units' files carry

TITLE_VALUES = ("unit_name", "unit_id", "period", "YYYY", "MM", "YY")   # replaced in this order


def _title_values(unit_id: str, unit_name: str, period: str) -> dict[str, str]:
    return {"unit_name": unit_name, "unit_id": unit_id, "period": period, "YYYY": period[:4], "MM": period[5:],
            "YY": period[2:4]}


def title_pattern(title: str, unit_id: str, unit_name: str, period: str, default: str,
                  others: tuple[tuple[str, str, str], ...] = ()) -> str | None:
    """The region's transfer-title pattern (regions.csv transfer_title) a unit's title was made
    from: None when it is the rulebook's default title (the region set none). The fields' values
    (unit_name, unit_id, period, YYYY, MM, YY) are put back as fields; a pattern that would read
    a short unit name inside the fixed text (a unit named 'KZ' in 'KZ {unit_id} …') is told apart
    by ``others``, the other units' (title, unit_id, unit_name) of the month: the pattern must give
    back every title."""
    values = _title_values(unit_id, unit_name or unit_id, period)
    if title == default.format(**values):
        return None
    candidates = []
    for skip in ((), ("unit_name",)):
        pattern = title.replace("{", "{{").replace("}", "}}")
        for name in TITLE_VALUES:
            if values[name] and name not in skip:
                pattern = pattern.replace(values[name], "{" + name + "}")
        candidates.append(pattern)

    def gives(pattern: str, t: str, u: str, n: str) -> bool:
        try:
            return pattern.format(**_title_values(u, n or u, period)) == t
        except (KeyError, IndexError, ValueError):
            return False
    good = [c for c in candidates if gives(c, title, unit_id, unit_name)]
    return next((c for c in good if all(gives(c, *o) for o in others)), good[0] if good else None)


def region_row(docs: list[dict], region: str, period: str, payee_labels: dict[str, str],
               default_titles: dict[str, str]) -> dict | None:
    """The region's row of ``regions`` for the month (name, account, title pattern) as its units'
    settlement files of the month show it: their transfer to the region carries the region's
    account, its name (payee "<level label> (<name>)") and a title made from the region's pattern.
    The latest approved file that names an account decides; None when no file does.
    ``default_titles``: rulebook name -> the title its units use when the region sets no pattern."""
    mine = [d for d in docs if d["kind"] == UNIT and d[UNIT]["region_id"] == region and d["period"] == period]
    for d in sorted(mine, key=lambda d: (d["approved_at"], d[UNIT]["unit_id"]), reverse=True):
        t = next((t for t in d["transfers"] if t.get("account")), None)
        if t is None:
            continue
        label = payee_labels.get(t["level"], "")
        name = t["payee"][len(label) + 2:-1] if t["payee"].startswith(f"{label} (") and t["payee"].endswith(")") \
            else None
        u = d[UNIT]
        others = tuple((o_t["title"], o[UNIT]["unit_id"], o[UNIT]["name"] or o[UNIT]["unit_id"]) for o in mine
                       if o is not d for o_t in o["transfers"] if o_t.get("account") == t["account"])
        return {"period": period, "region_id": region, "name": None if name in (None, "", region) else name,
                "bank_account": t["account"],
                "transfer_title": title_pattern(t["title"], u["unit_id"], u["name"] or u["unit_id"], period,
                                                default_titles.get(d["rulebook"], ""), others)}
    return None
