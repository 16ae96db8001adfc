"""Working-day arithmetic around Spring Festival and National Day, checked by hand
against the State Council's published arrangements (国办发明电〔2014〕28号 for 2015,
国办发明电〔2025〕7号 for 2026)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiliang.lib.workdays import CalendarUnavailable, add_workdays, is_workday, workdays_between

D = dt.date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2015, 2, 15), True),  # Sunday, make-up workday before Spring Festival
        (D(2015, 2, 18), False),  # 除夕, holiday 2-18…2-24
        (D(2015, 2, 24), False),
        (D(2015, 2, 25), True),
        (D(2015, 2, 28), True),  # Saturday, make-up workday
        (D(2015, 10, 7), False),  # National Day holiday 10-1…10-7
        (D(2015, 10, 10), True),  # Saturday, make-up workday
        (D(2015, 10, 11), False),  # ordinary Sunday
        (D(2026, 2, 14), True),  # Saturday, make-up workday (2026 Spring Festival 2-15…2-23)
        (D(2026, 2, 23), False),
        (D(2026, 2, 28), True),
    ],
)
def test_it_knows_holidays_and_make_up_workdays(day, expected):
    assert is_workday(day) is expected


def test_adding_across_spring_festival_2015_skips_the_week_and_uses_the_make_up_days():
    assert add_workdays(D(2015, 2, 13), 1) == D(2015, 2, 15)  # Fri → the make-up Sunday
    assert add_workdays(D(2015, 2, 17), 1) == D(2015, 2, 25)
    # 10 working days from 2015-02-12: 13, 15, 16, 17, 25, 26, 27, 28, Mar 2, Mar 3.
    assert add_workdays(D(2015, 2, 12), 10) == D(2015, 3, 3)


def test_adding_across_national_day_2015():
    assert add_workdays(D(2015, 9, 30), 1) == D(2015, 10, 8)
    # 20 working days (行政许可法 Art. 42) from acceptance on Fri 2015-09-25:
    # Sep 28, 29, 30, Oct 8, 9, 10 (make-up Saturday), 12–16, 19–23, 26, 27, 28, 29.
    assert add_workdays(D(2015, 9, 25), 20) == D(2015, 10, 29)


def test_zero_and_negative_steps():
    assert add_workdays(D(2015, 10, 3), 0) == D(2015, 10, 8)
    assert add_workdays(D(2015, 10, 8), 0) == D(2015, 10, 8)
    assert add_workdays(D(2015, 10, 8), -1) == D(2015, 9, 30)


def test_counting_between_dates_is_the_inverse_of_adding():
    assert workdays_between(D(2015, 9, 25), D(2015, 10, 29)) == 20
    assert workdays_between(D(2015, 2, 12), D(2015, 3, 3)) == 10
    assert workdays_between(D(2015, 3, 3), D(2015, 2, 12)) == -10
    assert workdays_between(D(2015, 10, 1), D(2015, 10, 7)) == 0


def test_a_year_the_calendar_lacks_is_a_clear_error():
    with pytest.raises(CalendarUnavailable, match="2031"):
        is_workday(D(2031, 1, 6))
