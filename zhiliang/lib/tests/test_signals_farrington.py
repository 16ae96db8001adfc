"""Farrington flexible against R surveillance::farringtonFlexible 1.20 (SIGNALS.md §1.5)."""

import datetime
import sys

import numpy as np
import pytest

from zhiliang.lib.signals import FARRINGTON_1996, NOUFAILY_2013, detect, farrington
from zhiliang.lib.signals.farrington import _baseline, _reference_weeks, _Week, _week_positions
from zhiliang.lib.signals.quasipoisson import Design, Response
from zhiliang.lib.tests.signals_data import (
    RELATIVE,
    needs_reference,
    r_number,
    relative_error,
    rows,
)

#: The reference file's configurations (surveillance 1.20.3, sts with epochAsDate).
CONFIGS = {
    "defaults_b5": {},
    "original_b4": {"b": 4, **FARRINGTON_1996},
    "noufaily_b4": {"b": 4, **NOUFAILY_2013},
    "noufaily_muan_b4": {"b": 4, **NOUFAILY_2013, "threshold_method": "muan"},
}


def seasonal_series():
    """C_seasonal: 312 weeks from Sunday 2018-01-07."""
    data = rows("input_weekly_long_312.csv")
    counts = np.array([float(r["count"]) for r in data])
    dates = [datetime.date.fromisoformat(r["date"]) for r in data]
    return counts, dates


@needs_reference
@pytest.mark.parametrize("config", list(CONFIGS))
def test_it_matches_surveillance_farrington_flexible_week_by_week(config):
    counts, dates = seasonal_series()
    got = farrington(counts, dates=dates, **CONFIGS[config])
    reference = [
        r for r in rows("ref_surveillance_farringtonFlexible.csv") if r["config"] == config
    ]
    assert len(reference) == (49 if config == "defaults_b5" else 52)
    worst = 0.0
    for row in reference:
        t = int(row["week"]) - 1
        assert got.decided[t], row["week"]
        for column, values in (
            ("expected", got.expected),
            ("upperbound", got.upperbound),
            ("score", got.statistic),
            ("pvalue", got.p_value),
            ("phi", got.phi),
        ):
            worst = max(worst, relative_error(values[t], r_number(row[column])))
        assert got.alarm[t] == (row["alarm"] == "TRUE"), row["week"]
        assert got.trend[t] == (row["trend"] == "1"), row["week"]
    assert worst < RELATIVE
    # surveillance's default range starts at 52·b + w + 1; the reference ran b = 4 from 261.
    first = 52 * CONFIGS[config].get("b", 5) + 3
    assert not got.decided[:first].any() and got.decided[first:].all()


@needs_reference
def test_the_spot_values_of_signals_md():
    counts, dates = seasonal_series()
    week = 302 - 1
    assert counts[week] == 64
    original = farrington(counts, dates=dates, b=4, **FARRINGTON_1996)
    assert original.expected[week] == pytest.approx(14.289, abs=5e-4)
    assert original.upperbound[week] == pytest.approx(24.9995, abs=1e-4)  # 24.99957 truncated
    noufaily = farrington(counts, dates=dates, b=4, **NOUFAILY_2013)
    assert noufaily.expected[week] == pytest.approx(18.657, abs=5e-4)
    assert noufaily.upperbound[week] == 34  # a negative-binomial quantile: whole
    assert noufaily.phi[week] == pytest.approx(3.663, abs=5e-4)
    # The Noufaily score is taken on the log scale, as R does: (64 − η₀)/(34 − η₀).
    eta0 = np.log(noufaily.expected[week])
    assert noufaily.statistic[week] == pytest.approx((64 - eta0) / (34 - eta0))
    assert noufaily.statistic[week] == pytest.approx(1.9654, abs=5e-5)
    muan = farrington(counts, dates=dates, b=4, **{**NOUFAILY_2013, "threshold_method": "muan"})
    defaults = farrington(counts, dates=dates)
    tail = slice(260, None)
    assert [int(d.alarm[tail].sum()) for d in (original, noufaily, muan)] == [10, 7, 6]
    assert int(defaults.alarm.sum()) == 7


def test_reference_weeks_by_date_follow_surveillance():
    # One year before Sunday 2023-01-22 is Saturday 2022-01-22: the nearest Sunday is
    # 2022-01-23 (52 weeks back). Three years back is Wednesday 2020-01-22: the nearest
    # Sunday is 2020-01-19, 157 weeks back, not 156 as 3 × 52 would have it.
    dates = [datetime.date(2018, 1, 7) + datetime.timedelta(weeks=i) for i in range(312)]
    k = dates.index(datetime.date(2023, 1, 22))
    refs = _reference_weeks(k, 5, dates, _week_positions(dates, len(dates)))
    assert [k - r for r in refs] == [52, 104, 157, 209, 261]
    assert _reference_weeks(k, 5, None, None) == [k - 52 * j for j in range(1, 6)]
    # 29 February goes back to 1 March (R's seq by "-1 year"): a Thursday in 2024, a
    # Wednesday 1 March 2023, nearest Thursday 2 March 2023 = 52 weeks back.
    leap = [datetime.date(2022, 3, 3) + datetime.timedelta(weeks=i) for i in range(120)]
    k = leap.index(datetime.date(2024, 2, 29))
    assert [k - r for r in _reference_weeks(k, 2, leap, _week_positions(leap, 120))] == [52, 104]


def test_dates_change_the_reference_weeks_and_so_the_fit():
    rng = np.random.default_rng(11)
    counts = rng.poisson(10 * (1 + 0.5 * np.sin(np.arange(300) * 2 * np.pi / 52.18)))
    dates = [datetime.date(2018, 1, 7) + datetime.timedelta(weeks=i) for i in range(300)]
    by_date = farrington(counts, dates=dates)
    by_index = farrington(counts)
    assert by_date.decided.sum() == by_index.decided.sum() == 300 - 263
    assert not np.allclose(by_date.expected, by_index.expected, equal_nan=True)


def test_a_sparse_series_alarms_on_a_cluster_after_zero_years():
    # Five years without a case: R's IRLS stops after 24 steps at μ = 0.1·e^{−24}; six
    # cases in the current week then exceed the bound and the 4-week total.
    counts = np.zeros((2, 270))
    counts[0, -1] = 6
    counts[1, -1] = 4  # too few cases in the last four weeks: no alarm, no bound
    got = farrington(counts)
    assert got.decided[:, -1].all()
    assert got.alarm[0, -1] and not got.alarm[1, -1]
    assert got.expected[0, -1] == pytest.approx(0.1 * np.exp(-24), rel=1e-9)
    assert np.isnan(got.upperbound[1, -1]) and np.isnan(got.expected[1, -1])
    assert got.statistic[1, -1] > 1  # R still reports the score and the p-value
    assert got.p_value[1, -1] < 1e-6
    assert not got.alarm[:, :-1].any()


def test_an_overflowing_noufaily_threshold_gives_no_alarm_as_in_r():
    # After four years of zeros (185 baseline weeks: R's IRLS stops at step 25; with b = 5,
    # 236 weeks, it does not converge and the week is undecided, NA in R), muan's mean
    # exp(η₀ + z·se(η₀)) overflows (se(η₀) ≈ 4·10⁴ with surveillance's dispersion): R has NA
    # bounds and no alarm, even for 9 cases.
    counts = np.zeros(270)
    counts[-1] = 9
    got = farrington(counts, **{**NOUFAILY_2013, "b": 4, "threshold_method": "muan"})
    assert got.decided[-1] and not got.alarm[-1]
    assert np.isnan(got.upperbound[-1]) and np.isnan(got.statistic[-1])
    plugin = farrington(counts, **{**NOUFAILY_2013, "b": 4})  # exp(η₀) is tiny: 9 alarm
    assert plugin.alarm[-1] and plugin.upperbound[-1] == 0
    assert not farrington(counts, **NOUFAILY_2013).decided[-1]


def test_missing_weeks():
    rng = np.random.default_rng(12)
    counts = rng.poisson(12, size=(2, 280)).astype(float)
    counts[0, 100] = np.nan  # in some baselines: left out there, as R's na.omit
    counts[1, 275] = np.nan  # a tested week without a count
    got = farrington(counts)
    assert got.decided[0, 263:].all() and np.isfinite(got.expected[0, 263:]).all()
    assert not got.decided[1, 275] and got.decided[1, 276:].all()
    # The four weeks after a missing one hold an unknown number of cases: no bound, no
    # alarm, as in R (its sum is NA).
    assert np.isnan(got.upperbound[1, 276:279]).all() and not got.alarm[1, 276:279].any()
    assert np.isfinite(got.upperbound[1, 279])


def test_a_population_offset_models_rates():
    # The counts follow a population that doubles: with the offset the expected count of
    # the last week is the rate (1 %) times its population; without it, much less.
    weeks = 280
    population = np.linspace(1000, 2000, weeks)
    counts = np.round(population * 0.01 * (1 + 0.1 * np.sin(np.arange(weeks)))).astype(float)
    with_offset = farrington(counts, population=population, trend=False)
    without = farrington(counts, trend=False)
    assert with_offset.expected[-1] == pytest.approx(0.01 * population[-1], rel=0.05)
    assert without.expected[-1] < 0.85 * 0.01 * population[-1]


def test_detect_runs_it_by_name_on_several_series():
    rng = np.random.default_rng(13)
    counts = rng.poisson(8, size=(3, 270)).astype(float)
    counts[1, -1] = 40
    got = detect("farrington", counts, b=5)
    assert got.alarm[1, -1] and not got.alarm[[0, 2], -1].any()
    one = farrington(counts[1])
    np.testing.assert_allclose(one.upperbound, got.upperbound[1], equal_nan=True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"b": 0},
        {"w": -1},
        {"alpha": 1.0},
        {"limit54": (5, 0)},
        {"powertrans": "3/4"},
        {"threshold_method": "nb"},
        {"no_periods": 0},
        {"past_weeks_not_included": -1},
        {"p_threshold_trend": 2.0},
        {"population": [1.0, 0.0]},
        {"dates": [datetime.date(2020, 1, 5)] * 270},
        {"no_periods": 50},
    ],
)
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        farrington(np.ones((1, 270)), **kwargs)


def baseline_week(y, k, *, no_periods, trend):
    """Week k's first fit of every series (b = 4, w = 3), as farrington sets it up."""
    references = [k - 52 * j for j in range(1, 5)]
    left_out = 26 if no_periods > 1 else 3
    rows_, levels = _baseline(k, references, 3, no_periods, left_out, y.shape[1])
    centre = float(rows_.mean())
    counts = Response.of(np.ascontiguousarray(y.T))
    week = _Week(
        response=counts.rows(rows_),
        powered=counts.counts ** (2 / 3),
        rows=rows_,
        offset=None,
        offset_now=np.zeros(y.shape[0]),
        design=Design.of(levels, rows_ - centre),
        now_level=no_periods - 1,
        now_time=k - centre,
    )
    series = np.arange(y.shape[0])
    return week, series, week._fit(series, trend, None)


@pytest.mark.parametrize(("no_periods", "trend"), [(1, True), (10, True), (10, False), (1, False)])
def test_the_reweighting_finds_every_outlier_all_residuals_would(no_periods, trend):
    # The weights are computed only where the Anscombe residual can exceed the threshold
    # (a bound on it): they must be those of computing every residual, as R does.
    rng = np.random.default_rng(14)
    y = rng.poisson(rng.gamma(2.0, 5.0, size=(300, 1)), size=(300, 260)).astype(float)
    y[rng.random(y.shape) < 0.02] *= 3  # outbreaks to downweight
    y[3, 100] = y[7, 150] = np.nan
    week, series, fit = baseline_week(y, 240, no_periods=no_periods, trend=trend)
    got = week._downweights(series, fit, 2.58)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu, h = fit.fitted, fit.hat()
        phi = np.maximum(fit.dispersion, 1.0)
        powered = week.response.counts ** (2 / 3)
        residual = 1.5 * (powered * mu ** (-1 / 6) - np.sqrt(mu)) / np.sqrt(phi * (1 - h))
        share = np.where(residual > 2.58, 1 / residual**2, 1.0)
    valid = week.response.valid
    share[~valid] = 0.0
    want = share * valid.sum(axis=0) / share.sum(axis=0)
    assert (residual > 2.58).sum() > 100
    np.testing.assert_array_equal(
        np.sort(got.rows * 300 + got.columns), np.flatnonzero((residual > 2.58).ravel())
    )
    np.testing.assert_allclose(got.excluding(~valid).dense(len(valid)), want, rtol=1e-13)


def test_threads_and_chunks_do_not_change_the_result(monkeypatch):
    rng = np.random.default_rng(15)
    y = rng.poisson(rng.gamma(2.0, 5.0, size=(90, 1)), size=(90, 230)).astype(float)
    module = sys.modules["zhiliang.lib.signals.farrington"]
    monkeypatch.setattr(module, "WORKERS", 1)
    monkeypatch.setattr(module, "CHUNK", 90)
    one = farrington(y, b=4, **NOUFAILY_2013)
    monkeypatch.setattr(module, "WORKERS", 3)
    monkeypatch.setattr(module, "CHUNK", 20)
    many = farrington(y, b=4, **NOUFAILY_2013)
    for field in ("expected", "upperbound", "statistic", "p_value", "phi"):
        np.testing.assert_allclose(getattr(many, field), getattr(one, field), rtol=1e-12)
    np.testing.assert_array_equal(many.alarm, one.alarm)
    np.testing.assert_array_equal(many.trend, one.trend)
