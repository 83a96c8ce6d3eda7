"""Rulebooks: dated versions of a union's vocabulary and rules, read from TOML data.

A rulebook names its levels (allocation codes and their Polish labels), categories, rates and
bands, the cascade that splits D across the levels, which moves are bank transfers and by when,
and the officers' salary caps. Nothing of it is written in code: a union with other levels is a
new TOML file. The loader parses text into frozen dataclasses with exact values (Fraction,
grosze); ``resolve`` picks, once per run, the version in force on the first day of the period
(RULES.md §1) and gives the vocabulary every later step derives its columns from.
"""
from __future__ import annotations

import calendar
import tomllib
from functools import cached_property
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from pathlib import Path

from transforms.deadlines import NO_SHIFT, DeadlineShift, parse_shift
from transforms.errors import UserError
from transforms.folders import files_by_name
from transforms.methods import METHODS, method
from transforms.money import fraction, grosze


@dataclass(frozen=True)
class Level:
    code: str
    label: str            # for column headings ("Podział: …")
    payee: str            # as the recipient of a transfer


@dataclass(frozen=True)
class CategoryRule:
    category: str
    label: str
    method: str                      # a name in transforms.methods.METHODS
    source: str
    base_components: tuple[str, ...] = ()
    rate: Fraction | None = None     # percent
    threshold: int = 0               # band, grosze
    base_amount: int = 0
    step: int = 1
    step_amount: int = 0
    floor_component: str | None = None
    floor_only_with: str | None = None
    unit_column: str | None = None   # unit_flat
    amount: int | None = None        # union_flat: grosze, set by the union's general meeting
    amount_set_by: str = ""          # union_flat: the body that sets it (as the statute names it)
    amount_source: str = ""          # union_flat: the statute's paragraph
    amount_example: bool = False     # union_flat: an example value (no resolution among the materials)

    @property
    def needs_income(self) -> bool:
        return METHODS[self.method].needs_income


@dataclass(frozen=True)
class Move:
    """One step of the cascade: ``share`` of D passes from one level to another (RULES.md §5)."""
    source_level: str
    target_level: str
    share: Fraction
    source: str
    unit_override: str | None = None   # a units.csv column that may replace ``share`` for one unit


@dataclass(frozen=True)
class Cascade:
    """How D moves between levels; every level keeps what it receives and does not pass on."""
    source: str
    root: str
    levels: tuple[str, ...]
    moves: tuple[Move, ...]

    def with_unit_override(self, column: str, share: Fraction) -> "Cascade":
        """A unit's own share for the moves that allow it (przerobka: 003 Art. 31 ust. 4)."""
        moves = tuple(replace(m, share=share, source=m.source + " (stawka jednostki)")
                      if m.unit_override == column else m for m in self.moves)
        return replace(self, moves=moves)

    @property
    def override_columns(self) -> tuple[str, ...]:
        return tuple(m.unit_override for m in self.moves if m.unit_override)


@dataclass(frozen=True)
class TransferRule:
    """The moves out of ``payer`` are bank transfers, one per ``per`` group (unit or region),
    due on ``due_day`` of the month after the dues month (004 §10)."""
    payer: str
    per: str
    due_day: int | None              # None: the last day of the month
    label: str
    source: str
    title: str = "Składki {unit_id} {MM}/{YYYY}"   # the transfer title when the payee sets none
    shift: DeadlineShift = NO_SHIFT                # the version's deadline_shift (RULES.md §6)
    # issue 30: the union's paragraph under which the transfer is made of the dues *received* (the
    # settlement's "z otrzymanych składek (…)"); required of every transfer, never another union's
    received_source: str = ""

    def nominal_due_on(self, period: str) -> date:
        """The day the rule names: ``due_day`` (or the last day) of the month after ``period``."""
        y, m = int(period[:4]), int(period[5:7])
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        last = calendar.monthrange(y, m)[1]
        return date(y, m, last if self.due_day is None else min(self.due_day, last))

    def due_on(self, period: str) -> date:
        """The deadline: the nominal day, moved off a day free from work when the rulebook says
        so (Kodeks cywilny art. 115: 20 December 2026, a Sunday → Monday 21 December)."""
        return self.shift.due(self.nominal_due_on(period))

    def due_note(self, period: str) -> str:
        """Why the deadline moved, in Polish; empty when it did not."""
        return self.shift.note(self.nominal_due_on(period))

    def source_for(self, period: str) -> str:
        """The rule's source, with why the deadline moved when it did (stored with the transfer)."""
        note = self.due_note(period)
        return f"{self.source}; {note}" if note else self.source


@dataclass(frozen=True)
class RulebookVersion:
    name: str
    union: str
    valid_from: date
    source: str
    max_raised_pct: Fraction
    max_reduction_months: int        # 0: the rulebook provides no reduction or suspension of dues
    max_monthly_amount: int          # grosze; a sanity limit on every monthly amount
    root: str
    levels: tuple[Level, ...]
    split_categories: tuple[str, ...]
    raise_categories: tuple[str, ...]
    components: frozenset[str]
    categories: dict[str, CategoryRule]
    split: dict[str, Cascade]        # "normal" | "sheltered"
    transfers: tuple[TransferRule, ...]
    calendar: dict = field(default_factory=dict)
    # 004 §7–§8 officers' salary caps, as written in the rulebook; read by transforms.salary_caps
    salary_caps: dict | None = None
    # RULES.md §10: consecutive unpaid months that make a member "in arrears" (a report for the
    # board, never a removal), with its source paragraph
    arrears_months: int = 3
    arrears_source: str = ""
    benefits: dict | None = None     # 004 §5–§6, §9 as written in the rulebook; read by transforms.benefits
    # issue 12: level code -> {payees, label, source}: what that level's account receives from the
    # levels below it (`skladki reconcile --level CODE`)
    reconcile_levels: dict = field(default_factory=dict)
    # RULES.md §6: whether deadlines move off Saturdays, Sundays and public holidays, and the law
    # that says so (`deadline_shift`, `deadline_shift_source`); transfers carry it too
    deadline_shift: DeadlineShift = NO_SHIFT
    # issue 30 (004 §3 ust. 1 pkt 2 lit. a, §14): the level of the national pot shared among the
    # branch secretariats, the agreement's deadline in days and the source ({} when none)
    secretariats: dict = field(default_factory=dict)
    # issue 30: whether a region's earmarked funds and a section's dues bind this rulebook's units
    # (004 §4, §3 ust. 4) and their sources; {} = they never do (another union's units in the region)
    earmarks: dict = field(default_factory=dict)
    # issue 30: the paragraphs the documents cite for rules that have no table of their own
    # ([versions.citations]: raised dues and their surcharge, reductions and suspensions)
    citations: dict = field(default_factory=dict)
    # the paragraph that provides (or, with max_reduction_months = 0, does not provide) reductions
    reduction_source: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}@{self.valid_from.isoformat()}"

    @property
    def title(self) -> str:
        """The version as people read it: 'NSZZ „Solidarność”, od 1 stycznia 2006' (the id
        ``label`` stays in stored records)."""
        from transforms.polish import date_pl
        return f"{self.union}, od {date_pl(self.valid_from)}"

    def cascade(self, sheltered: bool) -> Cascade:
        return self.split["sheltered" if sheltered else "normal"]

    def level_label(self, code: str) -> str:
        return next((lvl.label for lvl in self.levels if lvl.code == code), code)

    def payee_label(self, code: str) -> str:
        return next((lvl.payee for lvl in self.levels if lvl.code == code), code)

    def category_label(self, code: str) -> str:
        rule = self.categories.get(code)
        return rule.label if rule else code

    def paid_levels(self, sheltered: bool) -> tuple[str, ...]:
        """The levels money can reach under this version's split of the kind (issue 30: a level
        no money ever reaches is not the union's for this unit, and its documents never show it):
        the root, and every level a move of a share above zero, or of a share the unit may set,
        passes money to from a level already reached; in the rulebook's order."""
        cascade = self.cascade(sheltered)
        reached, grew = {self.root}, True
        while grew:
            grew = False
            for m in cascade.moves:
                if m.source_level in reached and m.target_level not in reached and (m.share > 0 or m.unit_override):
                    reached.add(m.target_level)
                    grew = True
        return tuple(lvl.code for lvl in self.levels if lvl.code in reached)

    @property
    def raises(self) -> bool:
        """Whether a unit may raise its dues above 100 % (a surcharge can arise; 004 §2, 003 Art. 31 ust. 5)."""
        return self.max_raised_pct > 100

    @property
    def sheltered_rule(self) -> bool:
        """Whether a sheltered workplace's dues are split by a rule of their own (004 §3 ust. 2)."""
        kinds = {k: c.moves for k, c in self.split.items()}
        return kinds.get("sheltered", ()) != kinds.get("normal", ())

    @property
    def one_level(self) -> bool:
        """A union that is one organisation with one treasury (001, 002): its only level is the union."""
        return len(self.levels) == 1

    @property
    def region_payer(self) -> str | None:
        """The level whose transfers are summed per region (the region's), if the union has one."""
        return next((t.payer for t in self.transfers if t.per != self.root), None)


@dataclass(frozen=True)
class Rulebook:
    name: str
    union: str
    default: bool
    versions: tuple[RulebookVersion, ...]   # sorted by valid_from

    def version_for(self, period: str) -> RulebookVersion:
        """The version in force on the first day of ``period`` (YYYY-MM)."""
        first = date.fromisoformat(period + "-01")
        in_force = [v for v in self.versions if v.valid_from <= first]
        if not in_force:
            raise LookupError(f"regulamin {self.name} nie ma wersji obowiązującej {first}")
        return in_force[-1]


def _category(name: str, raw: dict) -> CategoryRule:
    """A category's rule; its method (transforms.methods) reads and checks its own keys."""
    how = method(raw["method"], name)
    return CategoryRule(category=name, label=raw.get("label", name), method=how.name, source=raw["source"],
                        base_components=tuple(raw.get("base_components", ())), **how.fields(name, raw))


def _cascade(raw: dict, root: str, levels: tuple[str, ...]) -> Cascade:
    moves = tuple(Move(m["from"], m["to"], fraction(m["share"]), m.get("source", raw["source"]),
                       m.get("unit_override")) for m in raw["moves"])
    for m in moves:
        for lvl in (m.source_level, m.target_level):
            if lvl not in levels:
                raise ValueError(f"split: level {lvl!r} of a move is not in levels")
    return Cascade(raw["source"], root, levels, moves)


# issue 30: what every version's [versions.citations] names (documents cite them; no code names a paragraph)
CITATIONS = ("raised", "reductions")


def _citations(raw: dict) -> dict[str, str]:
    table = raw.get("citations")
    if not isinstance(table, dict):
        raise ValueError("[versions.citations] is missing: it names the paragraphs of " + ", ".join(CITATIONS))
    return {key: _cited(table, key, "citations") for key in CITATIONS}


def _cited(raw: dict, key: str, where: str) -> str:
    """A citation the documents print (issue 30): a non-empty text, required."""
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must name the paragraph people read (a non-empty text)")
    return value.strip()


def _transfer(raw: dict, shift: DeadlineShift) -> TransferRule:
    day = raw["due_day"]
    return TransferRule(raw["payer"], raw["per"], None if day == "last" else int(day),
                        raw.get("label", raw["payer"]), _cited(raw, "source", f"transfers of {raw['payer']!r}"),
                        raw.get("title", "Składki {unit_id} {MM}/{YYYY}"), shift,
                        _cited(raw, "received_source", f"transfers of {raw['payer']!r}"))


def parse_rulebook(text: str) -> Rulebook:
    doc = tomllib.loads(text)
    versions = []
    for v in doc["versions"]:
        levels = tuple(Level(x["code"], x.get("label", x["code"]), x.get("payee", x.get("label", x["code"])))
                       for x in v["levels"])
        codes = tuple(x.code for x in levels)
        if v["root"] not in codes:
            raise ValueError(f"root {v['root']!r} is not one of the levels")
        shift = parse_shift(v)
        versions.append(RulebookVersion(
            name=doc["name"], union=doc.get("label", doc.get("union", doc["name"])),
            valid_from=date.fromisoformat(v["valid_from"]),
            source=v["source"],
            max_raised_pct=fraction(v["max_raised_pct"]),
            max_reduction_months=int(v.get("max_reduction_months", 0)),
            reduction_source=v.get("reduction_source", v["source"]),
            max_monthly_amount=grosze(v.get("max_monthly_amount", "10000000.00")),
            root=v["root"], levels=levels,
            split_categories=tuple(v["split_categories"]),
            raise_categories=tuple(v["raise_categories"]),
            components=frozenset(v["components"]),
            categories={k: _category(k, c) for k, c in v["categories"].items()},
            split={k: _cascade(s, v["root"], codes) for k, s in v["split"].items()},
            transfers=tuple(_transfer(t, shift) for t in v.get("transfers", [])),
            calendar=dict(v.get("calendar", {})),
            salary_caps=v.get("salary_caps"),
            arrears_months=int(v.get("arrears", {}).get("months", 3)),
            arrears_source=v.get("arrears", {}).get("source", ""),
            benefits=v.get("benefits"),
            reconcile_levels=dict(v.get("reconcile", {})),
            deadline_shift=shift,
            secretariats=dict(v.get("secretariats", {})),
            earmarks=dict(v.get("earmarks", {})),
            citations=_citations(v),
        ))
    versions.sort(key=lambda x: x.valid_from)
    return Rulebook(doc["name"], doc.get("label", doc["name"]), bool(doc.get("default", False)),
                    tuple(versions))


def read_rulebook(path: Path, data: bytes) -> Rulebook:
    """One rulebook file's bytes, read as text the way ``Path.read_text`` reads it (UTF-8, universal
    newlines), parsed and checked; any mistake is one ``bad_rulebook`` message naming the file."""
    try:
        return parse_rulebook(data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"))
    except (KeyError, ValueError, TypeError, tomllib.TOMLDecodeError) as e:
        raise UserError("bad_rulebook", file=str(path), detail=f"{type(e).__name__}: {e}") from None


def books_from(files) -> dict[str, Rulebook]:
    """The rulebooks of (path, bytes) pairs, in order, by name: a later rulebook of the same name
    replaces an earlier one."""
    books = {}
    for path, data in files:
        book = read_rulebook(path, data)
        books[book.name] = book
    return books


def load_rulebooks(folders: Path | list[Path], check=None) -> dict[str, Rulebook]:
    """Every ``*.toml`` in the folders (the project's data/rulebooks first, then the user's) by
    name; a later folder's file of the same file name (issue 31) or rulebook of the same name
    replaces an earlier one. ``check``: the one input-file check, before a file is read. (A run
    reads them through ``flows.rules``, which parses each set of files once.)"""
    found = files_by_name([folders] if isinstance(folders, Path) else folders, check=check).values()
    return books_from((path, path.read_bytes()) for path in found)


@dataclass(frozen=True)
class Rules:
    """The rulebooks in force for one period, resolved once per run, and the vocabulary derived
    from them: every level, category and label a schema, query or report column needs."""
    period: str
    versions: dict[str, RulebookVersion]     # rulebook name -> version in force
    default: str | None
    missing: dict[str, str]                  # rulebook name -> why no version is in force
    # issue 30: the regions' earmarked funds and the sections' dues in force (transforms.earmarks;
    # inbox data, not rulebook data): levels of the cascades of the units they bind
    earmarks: tuple = ()

    def _union(self, items, key) -> tuple:
        """The items of every rulebook in force, once each, the default rulebook's first."""
        seen: dict = {}
        for v in sorted(self.versions.values(), key=lambda v: (v.name != self.default, v.name)):
            for item in items(v):
                seen.setdefault(key(item), item)
        return tuple(seen.values())

    @cached_property         # labels are looked up per row of a national report
    def levels(self) -> tuple[Level, ...]:
        """Every level of the rulebooks in force, labelled with each rulebook's own label of it
        (a column of several unions' units: 'Komisja Krajowa / Zarząd Krajowy'), then (issue 30) the
        month's funds and sections' dues, so reports list them as levels of the split."""
        return tuple(replace(lvl, label=self.level_label(lvl.code), payee=self.payee_label(lvl.code))
                     for lvl in self._union(lambda v: v.levels, lambda lvl: lvl.code)) + tuple(
            Level(e.level, e.label, e.payee) for e in self.earmarks)

    @cached_property         # labels are looked up per row of a national report
    def categories(self) -> tuple[CategoryRule, ...]:
        return tuple(replace(c, label=self.category_label(c.category))
                     for c in self._union(lambda v: v.categories.values(), lambda c: c.category))

    @cached_property         # labels are looked up per row of a national report
    def transfer_rules(self) -> tuple[TransferRule, ...]:
        return self._union(lambda v: v.transfers, lambda t: t.payer)

    def earmark(self, code: str):
        """The earmark (fund or section dues) whose level is ``code``, or None."""
        return next((e for e in self.earmarks if e.level == code), None)

    def _labels(self, code: str, of, rulebook: str | None) -> str:
        """A code's label in the rulebook named (a unit's own: issue 30, a Przeróbka unit's
        "national" is its Zarząd Krajowy, never the Komisja Krajowa); without one, the labels of
        every rulebook in force that has the code, each once ('Komisja Krajowa / Zarząd Krajowy').
        A fund's or section's level (issue 30) is labelled by its own row, whatever the rulebook."""
        own = self.earmark(code) if of is not RulebookVersion.category_label else None
        if own is not None:
            return own.payee if of is RulebookVersion.payee_label else own.label
        if rulebook in self.versions:
            return of(self.versions[rulebook], code)
        versions = sorted(self.versions.values(), key=lambda v: (v.name != self.default, v.name))
        if of is not RulebookVersion.category_label:     # a level: of the rulebooks whose money reaches it
            versions = [v for v in versions if any(code in v.paid_levels(kind == "sheltered") for kind in v.split
                                                   if kind in ("normal", "sheltered"))] or versions
        labels = dict.fromkeys(of(v, code) for v in versions if of(v, code) != code)
        return " / ".join(labels) or code

    def paying(self, payer: str) -> str | None:
        """The one rulebook in force whose transfers are made by ``payer`` (a region's: Solidarność's),
        or None when several are (every rulebook's unit)."""
        names = [v.name for v in self.versions.values() if any(t.payer == payer for t in v.transfers)]
        return names[0] if len(names) == 1 else None

    def level_label(self, code: str, rulebook: str | None = None) -> str:
        return self._labels(code, RulebookVersion.level_label, rulebook)

    def payee_label(self, code: str, rulebook: str | None = None) -> str:
        return self._labels(code, RulebookVersion.payee_label, rulebook)

    def category_label(self, code: str, rulebook: str | None = None) -> str:
        return self._labels(code, RulebookVersion.category_label, rulebook)

    def payer_label(self, code: str) -> str:
        return next((t.label for t in self.transfer_rules if t.payer == code), code)

    def version(self, name: str) -> RulebookVersion:
        return self.versions[name]

    def version_titles(self, ids: str) -> str:
        """Stored version ids ('przerobka@2006-01-01, solidarnosc@2006-01-01') as people read them;
        an id of a version not in force (an older run) is shown as it is."""
        titles = {v.label: v.title for v in self.versions.values()}
        return "; ".join(titles.get(i.strip(), i.strip()) for i in ids.split(",") if i.strip())

    @property
    def max_monthly_amount(self) -> int:
        """The strictest sanity limit of the rulebooks in force (for amounts read before a unit
        and its rulebook are known, such as an employer's deduction)."""
        return min((v.max_monthly_amount for v in self.versions.values()), default=grosze("10000000.00"))

    def only(self, names: set[str]) -> "Rules":
        """The same rules narrowed to the rulebooks a run uses (its reports show their levels and
        categories only); unchanged when none of them is in force."""
        kept = {n: v for n, v in self.versions.items() if n in names}
        return replace(self, versions=kept) if kept else self


def resolve(books: dict[str, Rulebook], period: str) -> Rules:
    versions, missing = {}, {}
    for name, book in books.items():
        try:
            versions[name] = book.version_for(period)
        except LookupError as e:
            missing[name] = str(e)
    default = next((n for n, b in books.items() if b.default), None)
    return Rules(period, versions, default, missing)
