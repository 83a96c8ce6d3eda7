"""flows/library_tables.py (issue 32): the public holidays' table and the Polish plural rules kept in
the user's cache folder — the libraries' own data, made once per version of the library, read after."""
from __future__ import annotations

import json
from datetime import date

from transforms.deadlines import DeadlineShift


def test_the_cached_table_gives_every_day_the_library_gives(tmp_path, monkeypatch):
    """flows/library_tables.py keeps the library's own days: every day of 2020–2035 is a holiday (with the
    same Polish name) by the table exactly when it is by the library, and a day past the table's
    years is asked of the library."""
    from datetime import timedelta

    from flows import library_tables
    from transforms import deadlines
    monkeypatch.setattr(library_tables, "cache_file", lambda version, what="": tmp_path / f"swieta-{version}.json")
    table = deadlines._Table(library_tables.cached())
    library = deadlines.library_holidays()
    day = date(2020, 1, 1)
    while day.year < 2036:
        assert table.get(day) == library.get(day), day
        day += timedelta(days=1)
    assert table.get(date(2026, 11, 11)) == "Narodowe Święto Niepodległości"
    assert table.get(date(1999, 12, 25)) == library.get(date(1999, 12, 25)) == "Boże Narodzenie (pierwszy dzień)"


def test_the_table_is_made_once_read_after_and_made_again_when_damaged_or_for_a_new_library(tmp_path, monkeypatch):
    """The holidays' file: made once, read after; made again when it is no JSON, when a day in it
    is no day or its value no table; a new library's version gets a file of its own."""
    from flows import library_tables
    from transforms import deadlines
    monkeypatch.setattr(library_tables, "cache_file", lambda version, what="": tmp_path / f"swieta-{version}.json")
    first = library_tables.cached()
    path = tmp_path / f"swieta-{library_tables.library_version()}.json"
    assert path.is_file() and first[date(2026, 12, 25)] == "Boże Narodzenie (pierwszy dzień)"
    made = []
    real = deadlines.holiday_table
    monkeypatch.setattr(deadlines, "holiday_table", lambda *a: made.append(1) or real(*a))
    assert library_tables.cached() == first and made == []            # read, not made
    path.write_text("{nie json", encoding="utf-8")
    assert library_tables.cached() == first and made == [1]           # damaged: made again
    assert library_tables.cached() == first and made == [1]
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "value": {"2026-13-01": "?"}}), encoding="utf-8")
    assert library_tables.cached() == first and made == [1, 1]        # a day that is no day: made again
    path.write_text(json.dumps({**data, "value": ["2026-11-11"]}), encoding="utf-8")
    assert library_tables.cached() == first and made == [1, 1, 1]     # not a table: made again
    assert library_tables.cached() == first and made == [1, 1, 1]
    monkeypatch.setattr(library_tables, "library_version", lambda name="holidays": "9.99")
    assert library_tables.cached() == first and made == [1, 1, 1, 1]  # a new library: a file of its own
    assert (tmp_path / "swieta-9.99.json").is_file()


def test_a_cache_folder_that_cannot_be_written_leaves_the_days_in_use(tmp_path, monkeypatch):
    from flows import library_tables
    blocker = tmp_path / "plik"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setattr(library_tables, "cache_file", lambda version, what="": blocker / "swieta.json")
    assert library_tables.cached()[date(2026, 11, 11)] == "Narodowe Święto Niepodległości"


def test_the_command_line_reads_the_holidays_from_the_table(monkeypatch):
    """`skladki` installs the cached table as the deadlines' first source; a deadline moved by it
    is the one the library gives."""
    from flows import library_tables
    from transforms import deadlines, errors, polish
    monkeypatch.setattr(deadlines, "SOURCES", [])
    monkeypatch.setattr(polish, "CLDR_SOURCES", [])
    monkeypatch.setattr(errors, "CATALOGUE_SOURCES", [])
    deadlines._polish_holidays.cache_clear()
    try:
        library_tables.install()
        library_tables.install()
        assert deadlines.SOURCES == [library_tables.cached]
        assert polish.CLDR_SOURCES == [library_tables.cldr_table]
        assert errors.CATALOGUE_SOURCES == [library_tables.catalogue]
        assert isinstance(deadlines._polish_holidays(), deadlines._Table)
        assert DeadlineShift("next_working_day").due(date(2026, 11, 11)) == date(2026, 11, 12)
    finally:
        deadlines._polish_holidays.cache_clear()


def test_the_cached_cldr_table_counts_and_writes_dates_as_babels_locale_does(tmp_path, monkeypatch):
    """Babel's Polish data kept in the cache gives every count of 0–1 000 the form Babel's locale
    gives it (1 wiersz, 2 wiersze, 5 wierszy, 12 wierszy, 22 wiersze, 101 wierszy), and every day of
    2000–2030 and every month the words Babel writes; the file is made once and read after, and a
    damaged one is made again."""
    from datetime import timedelta

    from babel import Locale
    from babel.dates import format_date

    from flows import library_tables
    from transforms import polish
    monkeypatch.setattr(library_tables, "cache_file", lambda version, what="": tmp_path / f"{what}-{version}.json")
    made = []
    real = polish.cldr_table
    monkeypatch.setattr(polish, "cldr_table", lambda: made.append(1) or real())
    table = library_tables.cldr_table()
    path = tmp_path / f"cldr_pl_babel-{library_tables.library_version('babel')}.json"
    assert path.is_file() and made == [1]
    assert library_tables.cldr_table() == table and made == [1]          # read, not made
    path.write_text('{"library": "x"', encoding="utf-8")
    assert library_tables.cldr_table() == table and made == [1, 1]       # damaged: made again
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "value": {**table, "months": ["styczeń"]}}), encoding="utf-8")
    assert library_tables.cldr_table() == table and made == [1, 1, 1]    # a part missing: made again
    assert library_tables.cldr_table() == table and made == [1, 1, 1]
    monkeypatch.setattr(polish, "CLDR_SOURCES", [lambda: table])
    polish._cldr.cache_clear()
    polish._plural_form.cache_clear()
    polish._polish.cache_clear()
    try:
        counted = [polish.plural_pl(n, "wiersz", "wiersze", "wierszy") for n in range(1001)]
        day, days = date(2000, 1, 1), []
        while day.year < 2031:
            days.append((day, polish.date_pl(day)))
            day += timedelta(days=1)
        months = [polish.month_pl(f"2026-{m:02d}") for m in range(1, 13)]
        assert polish._polish.cache_info().currsize == 0          # Babel's locale never loaded
        names = polish.months_pl()
    finally:
        polish._cldr.cache_clear()
        polish._plural_form.cache_clear()
    locale = Locale("pl")
    assert counted == [{"one": "wiersz", "few": "wiersze"}.get(locale.plural_form(n), "wierszy") for n in range(1001)]
    assert [counted[n] for n in (1, 2, 5, 12, 22, 101, 112)] == \
        ["wiersz", "wiersze", "wierszy", "wierszy", "wiersze", "wierszy", "wierszy"]
    assert days == [(d, format_date(d, format="long", locale=locale).removesuffix(" r.")) for d, _ in days]
    assert days[-1][1] == "31 grudnia 2030"
    assert months == [format_date(date(2026, m, 1), "LLLL y", locale=locale) for m in range(1, 13)]
    assert months[9] == "październik 2026" and names[0] == "styczeń"


def test_a_date_pattern_with_other_fields_is_left_to_babel(monkeypatch):
    """Only the fields a Polish date in words has are written from the table; a pattern with any
    other (a weekday, an era) is formatted by Babel itself."""
    from transforms import polish
    assert polish._formatted(date(2026, 12, 21), "d MMMM y 'r.'") == "21 grudnia 2026 r."
    assert polish._formatted(date(2026, 3, 5), "dd.MM.y") is None
    assert polish._formatted(date(2026, 3, 5), "EEEE, d MMMM y") is None
    table = dict(polish.cldr_table(), date_long="EEEE, d MMMM y")
    monkeypatch.setattr(polish, "CLDR_SOURCES", [lambda: table])
    polish._cldr.cache_clear()
    try:
        assert polish.date_pl(date(2026, 12, 21)) == "21 grudnia 2026"       # Babel's own long date
    finally:
        polish._cldr.cache_clear()


def test_a_damaged_table_from_a_source_is_not_used(monkeypatch):
    """A source giving a table without every part (an older file, another program's) is passed over."""
    from transforms import polish
    monkeypatch.setattr(polish, "CLDR_SOURCES", [lambda: {"plural": {"one": "n is 1"}}, lambda: None])
    polish._cldr.cache_clear()
    polish._plural_form.cache_clear()
    try:
        assert polish.count(22, "wiersz") == "22 wiersze" and polish.date_pl(date(2026, 1, 2)) == "2 stycznia 2026"
    finally:
        polish._cldr.cache_clear()
        polish._plural_form.cache_clear()


def test_the_catalogue_is_kept_as_parsed_under_its_texts_digest(tmp_path, monkeypatch):
    """The messages' catalogue read from the cache is the one tomllib parses; the file is made once
    and read after; a changed catalogue (another text) is parsed again into the one file kept; a
    damaged file, or one that is no catalogue, is made again; a catalogue JSON cannot hold (a TOML
    date) is used, not kept, and leaves no file behind; the catalogue the commands use comes from
    the source installed."""
    import tomllib

    from flows import library_tables
    from transforms import errors
    monkeypatch.setattr(library_tables, "cache_file", lambda version, what="": tmp_path / f"{what}-{version}.json")
    text = errors.CATALOGUE.read_text(encoding="utf-8")
    parsed = []
    real = tomllib.loads
    monkeypatch.setattr(tomllib, "loads", lambda t: parsed.append(1) or real(t))
    first = library_tables.catalogue(text)
    assert first == real(text) and len(parsed) == 1 and len(list(tmp_path.glob("katalog-*.json"))) == 1
    assert library_tables.catalogue(text) == first and len(parsed) == 1            # read, not parsed
    changed = text + '\n[reasons.nowy_kod]\nlabel = "nowy"\n'
    assert library_tables.catalogue(changed)["reasons"]["nowy_kod"] == {"label": "nowy"} and len(parsed) == 2
    assert len(list(tmp_path.glob("katalog-*.json"))) == 1                          # the older file went
    assert library_tables.catalogue(text) == first and len(parsed) == 3
    [path] = tmp_path.glob("katalog-*.json")
    path.write_text("{", encoding="utf-8")
    assert library_tables.catalogue(text) == first and len(parsed) == 4            # damaged: parsed again
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "value": {"messages": {}}}), encoding="utf-8")
    assert library_tables.catalogue(text) == first and len(parsed) == 5            # no catalogue: parsed again
    dated = text + "\n[sources.009]\ndocument = \"x\"\nadopted = 2026-12-03\n"
    assert str(library_tables.catalogue(dated)["sources"]["009"]["adopted"]) == "2026-12-03"
    assert not list(tmp_path.glob("katalog-*.json")) and not list(tmp_path.glob(".*.tmp"))
    monkeypatch.setattr(errors, "CATALOGUE_SOURCES", [lambda t: None, lambda t: {"messages": {}, "mark": t[:5]}])
    errors.catalogue.cache_clear()
    try:
        assert errors.catalogue() == {"messages": {}, "mark": text[:5]}
    finally:
        errors.catalogue.cache_clear()


def test_a_librarys_version_is_read_from_its_one_distribution_folder(tmp_path, monkeypatch):
    """The version from the distribution's folder, whatever its name's case; none (nothing kept)
    when a stale folder of another version lies beside it."""
    import importlib
    import sys

    from flows import library_tables
    (tmp_path / "fakelib").mkdir()
    (tmp_path / "fakelib" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "FakeLib-2.19.0.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert library_tables.library_version("fakelib") == "2.19.0"
    (tmp_path / "fakelib-2.9.1.dist-info").mkdir()
    assert library_tables.library_version("fakelib") is None
    assert library_tables.library_version("no_such_library_here") is None
    sys.modules.pop("fakelib", None)
