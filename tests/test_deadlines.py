"""Deadlines on working days (issue 25; RULES.md §6, Kodeks cywilny art. 115)."""
from __future__ import annotations

from datetime import date

import pytest

from transforms.deadlines import NO_SHIFT, DeadlineShift, parse_shift

KC_115 = DeadlineShift("next_working_day", "Kodeks cywilny art. 115")


def test_issue_25_a_sunday_deadline_moves_to_monday():
    assert KC_115.due(date(2026, 12, 20)) == date(2026, 12, 21)


def test_issue_25_a_public_holiday_moves_to_the_next_day():
    assert KC_115.due(date(2026, 11, 11)) == date(2026, 11, 12)     # Narodowe Święto Niepodległości


def test_issue_25_a_sunday_at_the_end_of_january_moves_into_february():
    assert KC_115.due(date(2027, 1, 31)) == date(2027, 2, 1)


def test_a_saturday_moves_and_a_chain_of_free_days_is_crossed():
    assert KC_115.due(date(2026, 11, 21)) == date(2026, 11, 23)     # Saturday -> Monday
    # Wigilia (a public holiday since 2025), both Christmas days, then Sunday
    assert KC_115.due(date(2026, 12, 24)) == date(2026, 12, 28)


def test_a_working_day_stays_and_no_shift_moves_nothing():
    assert KC_115.due(date(2026, 10, 20)) == date(2026, 10, 20)
    assert NO_SHIFT.due(date(2026, 12, 20)) == date(2026, 12, 20)
    assert NO_SHIFT.note(date(2026, 12, 20)) == ""


def test_the_note_says_why_the_deadline_moved_in_polish():
    assert KC_115.note(date(2026, 10, 20)) == ""
    assert KC_115.note(date(2026, 12, 20)) == "20 grudnia 2026 to niedziela — Kodeks cywilny art. 115"
    assert KC_115.note(date(2026, 11, 21)) == "21 listopada 2026 to sobota — Kodeks cywilny art. 115"
    assert KC_115.note(date(2026, 11, 11)) == ("11 listopada 2026 to dzień wolny od pracy "
                                               "(Narodowe Święto Niepodległości) — Kodeks cywilny art. 115")

    assert KC_115.short_note(date(2026, 12, 20)) == "niedziela; Kodeks cywilny art. 115"
    assert KC_115.short_note(date(2026, 11, 11)) == "święto; Kodeks cywilny art. 115"
    assert KC_115.short_note(date(2026, 10, 20)) == ""
    assert KC_115.shown(date(2026, 12, 20)) == "2026-12-21 (20 grudnia 2026 to niedziela — Kodeks cywilny art. 115)"
    assert KC_115.shown(date(2026, 10, 20)) == "2026-10-20"


def test_the_shift_is_read_from_the_rulebook_with_its_source():
    assert parse_shift({}) == NO_SHIFT
    assert parse_shift({"deadline_shift": "next_working_day",
                        "deadline_shift_source": "Kodeks cywilny art. 115"}) == KC_115
    with pytest.raises(ValueError, match="deadline_shift: nieznana wartość 'next_business_day'"):
        parse_shift({"deadline_shift": "next_business_day", "deadline_shift_source": "KC art. 115"})
    with pytest.raises(ValueError, match="deadline_shift_source"):
        parse_shift({"deadline_shift": "next_working_day"})

