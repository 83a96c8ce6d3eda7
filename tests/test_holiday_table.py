"""flows/holiday_table.py (issue 32): the public holidays' table kept in the user's cache folder — the
library's own days, made once per version of the library, read after."""
from __future__ import annotations

from datetime import date

from transforms.deadlines import DeadlineShift

def test_the_cached_table_gives_every_day_the_library_gives(tmp_path, monkeypatch):
    """flows/holiday_table.py keeps the library's own days: every day of 2020–2035 is a holiday (with the
    same Polish name) by the table exactly when it is by the library, and a day past the table's
    years is asked of the library."""
    from datetime import timedelta

    from flows import holiday_table
    from transforms import deadlines
    monkeypatch.setattr(holiday_table, "cache_file", lambda version: tmp_path / f"swieta-{version}.json")
    table = deadlines._Table(holiday_table.cached())
    library = deadlines.library_holidays()
    day = date(2020, 1, 1)
    while day.year < 2036:
        assert table.get(day) == library.get(day), day
        day += timedelta(days=1)
    assert table.get(date(2026, 11, 11)) == "Narodowe Święto Niepodległości"
    assert table.get(date(1999, 12, 25)) == library.get(date(1999, 12, 25)) == "Boże Narodzenie (pierwszy dzień)"


def test_the_table_is_made_once_read_after_and_made_again_when_damaged_or_for_a_new_library(tmp_path, monkeypatch):
    from flows import holiday_table
    from transforms import deadlines
    monkeypatch.setattr(holiday_table, "cache_file", lambda version: tmp_path / f"swieta-{version}.json")
    first = holiday_table.cached()
    path = tmp_path / f"swieta-{holiday_table.library_version()}.json"
    assert path.is_file() and first[date(2026, 12, 25)] == "Boże Narodzenie (pierwszy dzień)"
    made = []
    real = deadlines.holiday_table
    monkeypatch.setattr(deadlines, "holiday_table", lambda *a: made.append(1) or real(*a))
    assert holiday_table.cached() == first and made == []            # read, not made
    path.write_text("{nie json", encoding="utf-8")
    assert holiday_table.cached() == first and made == [1]           # damaged: made again
    assert holiday_table.cached() == first and made == [1]
    monkeypatch.setattr(holiday_table, "library_version", lambda: "9.99")
    assert holiday_table.cached() == first and made == [1, 1]        # a new library: a file of its own
    assert (tmp_path / "swieta-9.99.json").is_file()


def test_a_cache_folder_that_cannot_be_written_leaves_the_days_in_use(tmp_path, monkeypatch):
    from flows import holiday_table
    blocker = tmp_path / "plik"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setattr(holiday_table, "cache_file", lambda version: blocker / "swieta.json")
    assert holiday_table.cached()[date(2026, 11, 11)] == "Narodowe Święto Niepodległości"


def test_the_command_line_reads_the_holidays_from_the_table(monkeypatch):
    """`skladki` installs the cached table as the deadlines' first source; a deadline moved by it
    is the one the library gives."""
    from flows import holiday_table
    from transforms import deadlines
    monkeypatch.setattr(deadlines, "SOURCES", [])
    deadlines._polish_holidays.cache_clear()
    try:
        holiday_table.install()
        holiday_table.install()
        assert deadlines.SOURCES == [holiday_table.cached]
        assert isinstance(deadlines._polish_holidays(), deadlines._Table)
        assert DeadlineShift("next_working_day").due(date(2026, 11, 11)) == date(2026, 11, 12)
    finally:
        deadlines._polish_holidays.cache_clear()
