"""Reporting periods: ``2015-07`` (a month) or ``2015-Q3`` (a quarter)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

MONTHLY = "monthly"
QUARTERLY = "quarterly"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class PeriodError(ValueError):
    pass


def period_of(day: dt.date, cycle: str) -> str:
    if cycle == MONTHLY:
        return f"{day.year}-{day.month:02d}"
    if cycle == QUARTERLY:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    raise PeriodError(f"unknown reporting cycle {cycle!r}")


#: Reports are about the years a plan can cover; 0000-01 or 9999-12 are typos.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period; :class:`PeriodError` for a malformed one."""
    year_match = re.match(r"^(\d{4})-", period)
    if year_match and not FIRST_YEAR <= int(year_match[1]) <= LAST_YEAR:
        raise PeriodError(
            f"报告期“{period}”的年份应在{FIRST_YEAR}–{LAST_YEAR}之间"
            f" (the year of period {period!r} must be between {FIRST_YEAR} and {LAST_YEAR})"
        )
    if m := _MONTH.match(period):
        year, month = int(m[1]), int(m[2])
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    if m := _QUARTER.match(period):
        year, quarter = int(m[1]), int(m[2])
        first = dt.date(year, 3 * quarter - 2, 1)
        last_month = 3 * quarter
        return first, dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
    raise PeriodError(
        f"报告期“{period}”格式不对，应为“2015-07”（月）或“2015-Q3”（季度）"
        f" (period {period!r} must look like 2015-07 or 2015-Q3)"
    )


def check_period(period: str, cycle: str) -> None:
    """The period must exist and match the measure's reporting cycle."""
    period_bounds(period)
    monthly = bool(_MONTH.match(period))
    if (cycle == MONTHLY) != monthly:
        expected = "2015-07" if cycle == MONTHLY else "2015-Q3"
        raise PeriodError(
            f"该措施按{'月' if cycle == MONTHLY else '季度'}报送，报告期应形如“{expected}”"
            f" (this measure reports {cycle}; write the period like {expected})"
        )


def quarter_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Quarter-end dates from ``start`` up to and including ``end``."""
    out = []
    for year in range(start.year, end.year + 1):
        for month in (3, 6, 9, 12):
            day = dt.date(year, month, calendar.monthrange(year, month)[1])
            if start <= day <= end:
                out.append(day)
    return out


def period_sort_key(period: str) -> dt.date:
    """The period's last day, for ordering; a malformed period (written outside the
    services) sorts last instead of failing a whole page."""
    try:
        return period_bounds(period)[1]
    except PeriodError:
        return dt.date.max
