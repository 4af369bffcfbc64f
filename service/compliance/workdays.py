"""Counting days the way councils and the courts count them.

"At least 5 working days in advance" counts clear days: neither the day of publication nor the day
of the meeting counts (R v Swansea CC ex p Elitestone, 1993). Bank holidays come from the `holidays`
library, per UK nation (England and Wales, Scotland and Northern Ireland differ), substitute days
and one-off holidays (a coronation, a state funeral) included.

Three counting modes, chosen by the `day_counting` setting:

- ``clear-working-days`` (default): weekends and the nation's bank holidays are not counted;
- ``clear-calendar-days``: every day between the two is counted;
- ``lga-1972-s243``: our reading of the Local Government Act 1972 s243 computation of time: Sundays,
  bank holidays, the Christmas break (the last weekday before Christmas Day to the first weekday
  after it that is not a bank holiday) and the Easter break (Maundy Thursday to the Tuesday after
  Easter Day) are not counted; Saturdays are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays
from dateutil.easter import easter


class Counting(StrEnum):
    """How days between two dates are counted."""

    CLEAR_WORKING_DAYS = "clear-working-days"
    CLEAR_CALENDAR_DAYS = "clear-calendar-days"
    LGA_1972_S243 = "lga-1972-s243"


NATIONS = {"ENG": "ENG", "WLS": "WLS", "SCT": "SCT", "NIR": "NIR"}
"""ISO 3166-2:GB codes, as the nation code list's skos:notation gives them."""

MAX_SPAN_DAYS = 3660
"""Counting stops after ten years: a date further away is a data error, not a notice period."""


@lru_cache(maxsize=8)
def bank_holidays(nation: str) -> holidays.HolidayBase:
    """The bank holidays of a UK nation (years are added as they are asked for)."""
    if nation not in NATIONS:
        raise ValueError(f"unknown nation {nation!r}; use one of {', '.join(NATIONS)}")
    return holidays.country_holidays("GB", subdiv=nation)


def _christmas_break(day: date, nation: str) -> bool:
    christmas = date(day.year, 12, 25)
    start = christmas - timedelta(days=1)
    while start.weekday() >= 5:
        start -= timedelta(days=1)
    end = christmas + timedelta(days=1)
    while end.weekday() >= 5 or end in bank_holidays(nation):
        end += timedelta(days=1)
    if start <= day <= end:
        return True
    # the break that began in the previous December can run into early January
    if day.month == 1:
        return _christmas_break_previous(day, nation)
    return False


def _christmas_break_previous(day: date, nation: str) -> bool:
    christmas = date(day.year - 1, 12, 25)
    end = christmas + timedelta(days=1)
    while end.weekday() >= 5 or end in bank_holidays(nation):
        end += timedelta(days=1)
    return day <= end


def _easter_break(day: date) -> bool:
    sunday = easter(day.year)
    return sunday - timedelta(days=3) <= day <= sunday + timedelta(days=2)


@dataclass(frozen=True)
class Calendar:
    """Which days count, for one nation and one counting mode."""

    nation: str = "ENG"
    counting: Counting = Counting.CLEAR_WORKING_DAYS

    @lru_cache(maxsize=1 << 16)  # noqa: B019 (calendars are few and live as long as the process)
    def counts(self, day: date) -> bool:
        """True when the day counts towards a period."""
        if self.counting is Counting.CLEAR_CALENDAR_DAYS:
            return True
        if day in bank_holidays(self.nation):
            return False
        if self.counting is Counting.CLEAR_WORKING_DAYS:
            return day.weekday() < 5
        return day.weekday() != 6 and not _christmas_break(day, self.nation) and not _easter_break(day)

    @lru_cache(maxsize=1 << 16)  # noqa: B019 (calendars are few and live as long as the process)
    def clear_days_between(self, earlier: date, later: date) -> int:
        """Counted days strictly between two dates (negative when they are the wrong way round)."""
        if earlier > later:
            return -self.clear_days_between(later, earlier)
        if (later - earlier).days > MAX_SPAN_DAYS:
            raise ValueError(f"{earlier} and {later} are more than ten years apart")
        return sum(1 for k in range(1, (later - earlier).days) if self.counts(earlier + timedelta(days=k)))

    @lru_cache(maxsize=1 << 16)  # noqa: B019 (calendars are few and live as long as the process)
    def latest_before(self, day: date, clear_days: int) -> date:
        """The latest date that still leaves `clear_days` counted days before `day`."""
        found, cursor = 0, day
        while found < clear_days:
            cursor -= timedelta(days=1)
            if self.counts(cursor):
                found += 1
        return cursor - timedelta(days=1)

    @lru_cache(maxsize=1 << 16)  # noqa: B019 (calendars are few and live as long as the process)
    def deadline_after(self, day: date, days: int) -> date:
        """The `days`-th counted day after `day` (the last day something is still "within" the period)."""
        found, cursor = 0, day
        while found < days:
            cursor += timedelta(days=1)
            if self.counts(cursor):
                found += 1
        return cursor

    def days_after(self, day: date, later: date) -> int:
        """Counted days after `day` up to and including `later`."""
        return self.clear_days_between(day, later + timedelta(days=1))
