"""Working days in mainland China: weekends, public holidays and make-up workdays (调休).

Deadlines in law are counted in working days (行政许可法 Art. 82: 期限以工作日计算，
不含法定节假日). The State Council publishes each year's holiday arrangement late in
the year before; the maintained ``chinesecalendar`` package carries them (2004–2026
in 1.11.0). A date outside its range raises :class:`CalendarUnavailable` instead of
guessing: a wrong deadline is worse than a clear error.

Counting convention: the day an act happens is not counted; the period starts the
next day (民法典 Art. 201), so ``add_workdays(d, 1)`` is the first working day after ``d``.
"""

from __future__ import annotations

import datetime as dt
import functools

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no type hints


class CalendarUnavailable(ValueError):
    """The holiday arrangement for that year is not in the calendar library yet."""


def _check(day: dt.date) -> None:
    if isinstance(day, dt.datetime):
        raise TypeError("pass a date, not a datetime")


@functools.lru_cache(maxsize=8192)
def is_workday(day: dt.date) -> bool:
    # Cached: chinesecalendar rescans its whole holiday table on every call (~26 µs).
    _check(day)
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarUnavailable(
            f"{day.year}年的节假日安排尚未收录，请升级 chinesecalendar"
            f" (the holiday calendar for {day.year} is not available; upgrade chinesecalendar)"
        ) from None


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
