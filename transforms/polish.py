"""Polish as people read it (issue 26): the plural form of a counted word, dates in words, and
the union's own names for the documents a rule comes from. Plural rules and month names are
CLDR data read through Babel, never hand-written tables; the names of the documents are data
(data/catalogue.toml, ``[sources]``). Pure functions: text in, text out.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Callable

from transforms.errors import catalogue

if TYPE_CHECKING:
    from babel import Locale

# where Babel's Polish CLDR data (``cldr_table``) may be read from before its locale is loaded
# (~30 ms, and 15 ms more to import babel.dates): the command line puts the cached table here
# (flows/library_tables.py); None from a source: not there, the next one (and in the end Babel's
# locale) is asked
CLDR_SOURCES: list[Callable[[], dict | None]] = []


@cache
def _polish() -> Locale:
    from babel import Locale
    return Locale("pl")


def cldr_table() -> dict:
    """What this module asks of Babel's Polish locale: the plural rules as CLDR writes them (one per
    form: 'one', 'few', 'many'), the months' names (the genitive of a date, the stand-alone
    name of a calendar) and the long date's pattern."""
    locale = _polish()
    return {"plural": dict(locale.plural_form.rules),
            "months": [locale.months["format"]["wide"][m] for m in range(1, 13)],
            "months_standalone": [locale.months["stand-alone"]["wide"][m] for m in range(1, 13)],
            "date_long": locale.date_formats["long"].pattern}


def valid_cldr_table(table) -> bool:
    """Whether ``table`` has every part ``cldr_table`` gives, of its types."""
    return (isinstance(table, dict) and isinstance(table.get("plural"), dict)
            and all(isinstance(v, str) for v in table["plural"].values()) and isinstance(table.get("date_long"), str)
            and all(isinstance(table.get(k), list) and len(table[k]) == 12 and all(isinstance(m, str) for m in table[k])
                    for k in ("months", "months_standalone")))


@cache
def _cldr() -> dict:
    for source in CLDR_SOURCES:
        table = source()
        if valid_cldr_table(table):
            return table
    return cldr_table()


@cache
def _plural_form():
    from babel.plural import PluralRule
    return PluralRule(_cldr()["plural"])


def plural_pl(n: int, one: str, few: str, many: str) -> str:
    """The form of a word that goes with the count ``n`` (CLDR: 1 wiersz, 2–4 wiersze, 5 wierszy,
    12 wierszy, 22 wiersze, 101 wierszy). A fraction takes the genitive singular ('other' in CLDR),
    which for the words counted here is the ``few``/``many`` form the caller gives; whole numbers only
    are counted in this project."""
    form = _plural_form()(abs(int(n)))
    return {"one": one, "few": few}.get(form, many)


def count_pl(n: int, one: str, few: str, many: str) -> str:
    """'3 wiersze', '1 wiersz', '25 wierszy'."""
    return f"{n} {plural_pl(n, one, few, many)}"


# the words the reports count, as (one, few, many): one place, so a report never writes its own
WORDS = {
    "wiersz": ("wiersz", "wiersze", "wierszy"),
    "członek": ("członek", "członków", "członków"),
    "członka": ("członka", "członków", "członków"),      # 'u 1 członka', 'u 2 członków'
    "wpływ": ("wpływ", "wpływy", "wpływów"),
    "wpływie": ("wpływie", "wpływach", "wpływach"),       # 'w 1 wpływie', 'w 2 wpływach'
    "jednostka": ("jednostka", "jednostki", "jednostek"),
    "pozycja": ("pozycja", "pozycje", "pozycji"),
    "miesiąc": ("miesiąc", "miesiące", "miesięcy"),
    "zmiana": ("zmiana", "zmiany", "zmian"),
    "dzień": ("dzień", "dni", "dni"),
    "plik": ("plik", "pliki", "plików"),
    "wniosek": ("wniosek", "wnioski", "wniosków"),
}


def count(n: int, word: str) -> str:
    """``count(3, 'wiersz')`` -> '3 wiersze' for a word of ``WORDS``."""
    return count_pl(n, *WORDS[word])


# a CLDR date pattern's fields: a quoted literal, a run of one pattern letter, anything else
_FIELD = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


def _formatted(day: date, pattern: str) -> str | None:
    """``day`` by a CLDR pattern of the fields a Polish date in words has (d, dd, MMMM, LLLL, y);
    None for a pattern with any other field (then Babel formats it)."""
    table, out = _cldr(), []
    for m in _FIELD.finditer(pattern):
        field = m.group(0)
        if field.startswith("'"):
            out.append(field[1:-1].replace("''", "'") if len(field) > 2 else "'")
        elif not m.group(1):
            out.append(field)
        elif field in ("d", "dd"):
            out.append(f"{day.day:0{len(field)}d}")
        elif field == "MMMM":
            out.append(table["months"][day.month - 1])
        elif field == "LLLL":
            out.append(table["months_standalone"][day.month - 1])
        elif field == "y":
            out.append(str(day.year))
        else:
            return None
    return "".join(out)


def date_pl(day: date) -> str:
    """'21 grudnia 2026' (CLDR's long Polish date, month in the genitive)."""
    text = _formatted(day, _cldr()["date_long"])
    if text is None:
        from babel.dates import format_date
        text = format_date(day, format="long", locale=_polish())
    return text.removesuffix(" r.")


def month_pl(period: str) -> str:
    """'2026-10' -> 'październik 2026' (CLDR's stand-alone month name)."""
    return _formatted(date.fromisoformat(period + "-01"), "LLLL y")


# ------------------------------------------------------------------ sources of rules

def _sources() -> dict[str, dict]:
    return catalogue().get("sources", {})


# a seed file's number (RULES.md: 004 = Uchwała nr 5 XIX KZD, …) where it begins a citation
_SEED = re.compile(r"(?<![\w/.-])(00[0-9]) (?=§|[Aa]rt\.|Uchwał|Ordynacj|Statut|Regulamin)")


def cite(text: str) -> str:
    """A citation as the union names it, for people: '004 §10' -> 'Uchwała nr 5 XIX KZD §10',
    '004 Uchwała XIX KZD nr 6/2005' -> 'Uchwała XIX KZD nr 6/2005', '003 Art. 37' -> 'Statut ZZ
    „PRZERÓBKA” art. 37'. The seed numbers stay in stored records and in code comments (they
    name the seed files of RULES.md); only what people read is rewritten."""
    if not text or "00" not in text:
        return text
    sources = _sources()

    def replace(m: re.Match) -> str:
        seed = sources.get(m.group(1))
        if not seed:
            return m.group(0)
        rest = text[m.end():]
        if rest.startswith(("Uchwał", "Ordynacj", "Statut", "Regulamin")):
            return seed.get("prefix", "")          # the rest names the document itself
        return seed["document"] + " "
    return _SEED.sub(replace, text)


# ------------------------------------------------------------------ codes people read

def with_code(label: str | None, code: str) -> str:
    """'brak dochodu (missing_income)': the Polish label first, the stored code beside it."""
    return f"{label} ({code})" if label and label != code else code


def reason_label(code: str | None) -> str | None:
    """A stored reason code as people read it, with its catalogue label (data/catalogue.toml)."""
    if not code:
        return code
    return with_code(catalogue()["reasons"].get(code, {}).get("label"), code)


def months_pl() -> tuple[str, ...]:
    """The months' names as a calendar heads them ('styczeń' … 'grudzień'), CLDR's stand-alone forms."""
    return tuple(_cldr()["months_standalone"])


def identity(name: str) -> str:
    """How a name or a number is compared, never how it is shown (issue 27): Unicode composed
    (NFC), case folded, every run of spaces (a non-breaking one, a tab) one space, none at the ends
    — 'Jan Kowalski', 'jan  kowalski ' and 'JAN\u00a0KOWALSKI' are one candidate."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def and_list(items: list) -> str:
    """'1', '1 i 3', '1, 3 i 7' — a list as a Polish sentence names it."""
    words = [str(i) for i in items]
    return ", ".join(words[:-1]) + " i " + words[-1] if len(words) > 1 else "".join(words)
