"""Working days in mainland China: weekends, public holidays and make-up workdays (调休).

Deadlines in law are counted in working days (行政许可法 Art. 82: 期限以工作日计算，
不含法定节假日). The State Council publishes each year's holiday arrangement late in
the year before; the maintained ``chinesecalendar`` package carries them (2004–2026
in 1.11.0). For a year it does not carry yet, the arrangement as the quality office
entered it from the State Council's notice (:func:`set_supplement`; the registry's
``HolidayArrangement``) is used; the library's own data wins once it has the year. A date
in neither raises :class:`CalendarUnavailable` instead of guessing: a wrong deadline is
worse than a clear error.

Counting convention: the day an act happens is not counted; the period starts the
next day (民法典 Art. 201), so ``add_workdays(d, 1)`` is the first working day after ``d``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no type hints


class CalendarUnavailable(ValueError):
    """The holiday arrangement for that year is neither in the calendar library nor
    entered (``year``: which year; pages say it in the user's language)."""

    def __init__(self, message: str, year: int) -> None:
        super().__init__(message)
        self.year = year


def _check(day: dt.date) -> None:
    if isinstance(day, dt.datetime):
        raise TypeError("pass a date, not a datetime")


@dataclass(frozen=True)
class Arrangement:
    """One year's arrangement as the State Council published it: the days off (法定节假日
    and the days moved next to them) and the weekend days worked instead (调休上班)."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    def is_workday(self, day: dt.date) -> bool:
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() < 5


#: The year's arrangement where the library has none (set by the registry app).
_supplement: Callable[[int], Arrangement | None] | None = None


def set_supplement(provider: Callable[[int], Arrangement | None] | None) -> None:
    """Where to ask for a year's arrangement the library does not carry."""
    global _supplement
    _supplement = provider


@functools.lru_cache(maxsize=256)
def library_has(year: int) -> bool:
    """Whether ``chinesecalendar`` carries this year's arrangement."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=8192)
def _library_is_workday(day: dt.date) -> bool | None:
    # Cached: chinesecalendar rescans its whole holiday table on every call (~26 µs).
    # None: the library does not carry the year (not cached as an answer of the
    # supplement would be: the office may correct what it entered).
    _check(day)
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def is_workday(day: dt.date) -> bool:
    known = _library_is_workday(day)
    if known is not None:
        return known
    arrangement = _supplement(day.year) if _supplement is not None else None
    if arrangement is None:
        raise CalendarUnavailable(
            f"{day.year}年的节假日安排尚未录入：请质量办按国务院办公厅通知录入，或升级 chinesecalendar"
            f" (the holiday arrangement for {day.year} is not available: the quality office"
            " enters it from the State Council's notice, or chinesecalendar is upgraded)",
            day.year,
        )
    return arrangement.is_workday(day)


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    ``days`` may be negative (that many working days before). ``days == 0`` returns
    ``start`` when it is a working day, else the next working day.
    """
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    current = start
    if remaining == 0:
        while not is_workday(current):
            current += dt.timedelta(days=1)
        return current
    while remaining:
        current += dt.timedelta(days=step)
        if is_workday(current):
            remaining -= 1
    return current


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
    if end < start:
        return -workdays_between(end, start)
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        count += is_workday(current)
    return count
