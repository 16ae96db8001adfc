from __future__ import annotations

import datetime as dt

import pytest

from zhiliang.lib.periods import PeriodError, check_period, period_bounds, period_of, quarter_ends

D = dt.date


def test_it_names_months_and_quarters():
    assert period_of(D(2015, 7, 31), "monthly") == "2015-07"
    assert period_of(D(2015, 7, 31), "quarterly") == "2015-Q3"


def test_it_knows_the_bounds_including_leap_february():
    assert period_bounds("2016-02") == (D(2016, 2, 1), D(2016, 2, 29))
    assert period_bounds("2015-Q4") == (D(2015, 10, 1), D(2015, 12, 31))


@pytest.mark.parametrize("bad", ["2015-13", "2015-7", "2015Q3", "2015-Q5", "七月"])
def test_it_refuses_malformed_periods(bad):
    with pytest.raises(PeriodError, match="格式不对"):
        period_bounds(bad)


def test_the_period_must_match_the_cycle():
    check_period("2015-07", "monthly")
    check_period("2015-Q3", "quarterly")
    with pytest.raises(PeriodError, match="按季度报送"):
        check_period("2015-07", "quarterly")


def test_quarter_ends_between_dates():
    assert quarter_ends(D(2015, 7, 1), D(2015, 12, 31)) == [D(2015, 9, 30), D(2015, 12, 31)]


@pytest.mark.parametrize("bad", ["0000-01", "9999-12", "1999-Q4"])
def test_it_refuses_impossible_years(bad):
    with pytest.raises(PeriodError, match="年份应在"):
        period_bounds(bad)
