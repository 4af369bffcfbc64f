"""Working days as councils count them: clear days, per nation, with substitute and one-off holidays."""

from __future__ import annotations

from datetime import date

import pytest

from service.compliance.workdays import Calendar, Counting

ENGLAND, SCOTLAND = Calendar("ENG"), Calendar("SCT")


def test_clear_days_count_neither_end():
    assert ENGLAND.clear_days_between(date(2026, 6, 1), date(2026, 6, 3)) == 1  # Tuesday only
    assert ENGLAND.clear_days_between(date(2026, 6, 5), date(2026, 6, 8)) == 0  # a weekend between


def test_easter_2025_in_england_and_scotland():
    # agenda Wednesday 16 April, meeting Thursday 24 April; Good Friday 18, Easter Monday 21 (England only)
    assert ENGLAND.clear_days_between(date(2025, 4, 16), date(2025, 4, 24)) == 3
    assert SCOTLAND.clear_days_between(date(2025, 4, 16), date(2025, 4, 24)) == 4
    assert Calendar("ENG", Counting.CLEAR_CALENDAR_DAYS).clear_days_between(date(2025, 4, 16), date(2025, 4, 24)) == 7


def test_christmas_and_new_year_2025_in_england_and_scotland():
    # 25, 26 December and 1 January everywhere; 2 January too in Scotland
    assert ENGLAND.clear_days_between(date(2025, 12, 23), date(2026, 1, 8)) == 8
    assert SCOTLAND.clear_days_between(date(2025, 12, 23), date(2026, 1, 8)) == 7


def test_substitute_and_one_off_bank_holidays():
    # Christmas Day 2022 fell on a Sunday: Tuesday 27 December was the substitute
    assert not ENGLAND.counts(date(2022, 12, 27))
    # the coronation of 8 May 2023, a one-off
    assert not ENGLAND.counts(date(2023, 5, 8))
    assert ENGLAND.counts(date(2023, 5, 9))


def test_lga_1972_s243_excludes_sundays_and_the_christmas_and_easter_breaks_but_counts_saturdays():
    s243 = Calendar("ENG", Counting.LGA_1972_S243)
    assert s243.counts(date(2025, 12, 20)) and not s243.counts(date(2025, 12, 21))  # Saturday, Sunday
    assert [d for d in range(22, 31) if not s243.counts(date(2025, 12, d))] == [24, 25, 26, 27, 28, 29]
    assert not s243.counts(date(2026, 4, 2)) and not s243.counts(date(2026, 4, 7))  # Maundy Thursday, Easter Tuesday
    assert s243.counts(date(2026, 4, 8))


def test_latest_publication_and_deadline():
    assert ENGLAND.latest_before(date(2025, 4, 24), 5) == date(2025, 4, 14)
    assert ENGLAND.clear_days_between(ENGLAND.latest_before(date(2025, 4, 24), 5), date(2025, 4, 24)) == 5
    assert ENGLAND.deadline_after(date(2025, 11, 13), 10) == date(2025, 11, 27)
    assert ENGLAND.days_after(date(2025, 11, 13), date(2025, 12, 18)) == 25


def test_an_unknown_nation_is_refused():
    with pytest.raises(ValueError, match="unknown nation"):
        Calendar("XX").counts(date(2025, 1, 1))
