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

from babel import Locale
from babel.dates import format_date

from transforms.errors import catalogue


@cache
def _polish() -> Locale:
    return Locale("pl")


def plural_pl(n: int, one: str, few: str, many: str) -> str:
    """The form of a word that goes with the count ``n`` (CLDR: 1 wiersz, 2–4 wiersze, 5 wierszy,
    12 wierszy, 22 wiersze, 101 wierszy). A fraction takes the genitive singular ('other' in CLDR),
    which for the words counted here is the ``few``/``many`` form the caller gives; whole numbers only
    are counted in this project."""
    form = _polish().plural_form(abs(int(n)))
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


def date_pl(day: date) -> str:
    """'21 grudnia 2026' (CLDR's long Polish date, month in the genitive)."""
    return format_date(day, format="long", locale=_polish()).removesuffix(" r.")


def month_pl(period: str) -> str:
    """'2026-10' -> 'październik 2026' (CLDR's stand-alone month name)."""
    return format_date(date.fromisoformat(period + "-01"), "LLLL y", locale=_polish())


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


# the months' names as a calendar heads them ('styczeń' … 'grudzień'), CLDR's stand-alone forms
MONTHS_PL = tuple(_polish().months["stand-alone"]["wide"][m] for m in range(1, 13))


def identity(name: str) -> str:
    """How a name or a number is compared, never how it is shown (issue 27): Unicode composed
    (NFC), case folded, every run of spaces (a non-breaking one, a tab) one space, none at the ends
    — 'Jan Kowalski', 'jan  kowalski ' and 'JAN\u00a0KOWALSKI' are one candidate."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def and_list(items: list) -> str:
    """'1', '1 i 3', '1, 3 i 7' — a list as a Polish sentence names it."""
    words = [str(i) for i in items]
    return ", ".join(words[:-1]) + " i " + words[-1] if len(words) > 1 else "".join(words)
