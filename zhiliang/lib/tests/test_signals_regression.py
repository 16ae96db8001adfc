"""NSSP adaptive multiple regression and regression/EWMA switch against Rnssp 0.3.1 and
pynssp 0.1.0, and worked examples (SIGNALS.md §1.3–1.4)."""

import datetime
import math

import numpy as np
import pytest
from scipy import stats

from zhiliang.lib.signals import (
    NSSP_COLOURS,
    detect,
    ewma,
    ewma_pynssp,
    nssp_alert,
    regression,
    switch,
)
from zhiliang.lib.tests.signals_data import RELATIVE, needs_reference, r_number, rows, weekly

#: The reference inputs re-dated daily from Monday 2023-01-02 (SIGNALS.md §3).
DAYS_60 = [datetime.date(2023, 1, 2) + datetime.timedelta(days=i) for i in range(60)]
RNSSP = "ref_rnssp031_ewma_regression_switch.csv"
REFERENCES = {
    ("regression", "rnssp"): (RNSSP, "Rnssp_0.3.1_alert_regression_dailydates"),
    ("switch", "rnssp"): (RNSSP, "Rnssp_0.3.1_alert_switch_dailydates"),
    ("regression", "pynssp"): ("ref_pynssp_regression_dailydates.csv", None),
    ("switch", "pynssp"): ("ref_pynssp_switch_dailydates.csv", None),
}
FUNCTIONS = {"regression": regression, "switch": switch}
#: Values that are 0 in exact arithmetic come out as ±1e-15 in every implementation.
ABSOLUTE = 1e-12


def close(got: float, want: float) -> bool:
    return abs(got - want) <= RELATIVE * abs(want) + ABSOLUTE


@needs_reference
@pytest.mark.parametrize(("method", "variant"), list(REFERENCES))
def test_it_matches_the_cdc_ports_day_by_day(method, variant):
    name, detector = REFERENCES[(method, variant)]
    ids, counts = weekly()
    got = FUNCTIONS[method](counts, dates=DAYS_60, variant=variant)
    colours = got.colours()
    reference = [r for r in rows(name) if detector is None or r["detector"] == detector]
    assert len(reference) == 120
    columns = [
        (got.expected, "baseline_expected"),
        (got.statistic, "test_statistic"),
        (got.p_value, "p_value"),
    ]
    if method == "regression" and variant == "pynssp":
        columns += [(got.sigma, "sigma"), (got.adjusted_r_squared, "adjusted_r_squared")]
    compared = 0
    for r in reference:
        i, t = ids.index(r["series_id"]), int(r["week"]) - 1
        assert colours[i, t] == r["alert"], (r["series_id"], r["week"])
        assert got.alarm[i, t] == (r["alert"] == "red")
        if r["test_statistic"] in ("", "NA"):
            assert not got.decided[i, t]
            continue
        assert got.decided[i, t]
        for mine, theirs in columns:
            assert close(mine[i, t], r_number(r[theirs])), (r["series_id"], r["week"], theirs)
            compared += 1
        if "detector" in r and method == "switch":  # pynssp's column; Rnssp's file has none
            assert got.regression[i, t] == (r["detector"] == "Adaptive Multiple Regression")
    assert compared >= 3 * 2 * 46


@needs_reference
def test_rnssp_colours_untested_days_below_their_weekly_mean_blue():
    # Days 8 and 11 of A_mid (8 and 9 of B_sparse) are before the first test (day 14) but
    # below the mean of their last 7 days: Rnssp's down-slope rule turns grey into blue.
    ids, counts = weekly()
    got = regression(counts, dates=DAYS_60)
    a, b = ids.index("A_mid"), ids.index("B_sparse")
    assert [t + 1 for t in np.flatnonzero(got.colour[a, :13])] == [8, 11]
    assert [t + 1 for t in np.flatnonzero(got.colour[b, :13])] == [8, 9]
    assert not got.decided[:, :13].any()  # no test ran there
    assert not regression(counts, dates=DAYS_60, variant="pynssp").colour[:, :13].any()


def daily_series() -> tuple[list[datetime.date], np.ndarray]:
    """126 days from a Monday, weekdays ~ Poisson(12) and weekends ~ Poisson(5), with
    three planted rises: Thu–Sat days 45–47 (and 100 on Sunday 48), Fri–Sun 88–90 and
    Mon–Wed 119–121."""
    days = [datetime.date(2024, 1, 1) + datetime.timedelta(days=i) for i in range(126)]
    base = np.array([12.0 if d.weekday() < 5 else 5.0 for d in days])
    y = np.random.default_rng(7).poisson(base).astype(float)
    y[45:48] = [40, 40, 14]
    y[48] = 100
    y[88:91] = [40, 40, 14]
    y[119:122] = [90, 70, 30]
    return days, y


def down_slope_by_hand(y, days, colours):
    """Rnssp 0.3.1's rule, one day at a time: the non-blue days to turn blue."""
    out = []
    for t in range(len(y)):
        if colours[t] == "blue" or t < 6 or not y[t] < sum(y[t - 6 : t + 1]) / 7:
            continue
        weekend = days[t].weekday() >= 5
        if weekend and (t < 42 or not y[t] < sum(y[t - 42 : t + 1 : 7]) / 7):
            continue
        out.append(t)
    return out


def test_the_down_slope_rule_suppresses_a_fall_after_a_rise():
    days, y = daily_series()
    plain = regression(y, dates=days, variant="pynssp")
    rnssp = regression(y, dates=days)
    grouped = regression(y, dates=days, variant="rnssp-grouped")
    # Unsuppressed colours of the Rnssp fit (the two ports share everything else but the
    # σ floor, which does not bind on this series).
    raw = nssp_alert(rnssp.p_value)
    np.testing.assert_array_equal(raw, plain.colours())
    suppressed = down_slope_by_hand(y, days, raw)
    assert {119 + 2, 90} <= set(suppressed)  # Wed after 90, 70; Sun below its Sundays
    assert 47 not in suppressed  # Sat 14: below the week's mean, above its Saturdays'
    assert raw[121] == "red" and raw[90] == "yellow" and raw[47] == "yellow"
    want = raw.copy()
    want[suppressed] = "blue"
    np.testing.assert_array_equal(rnssp.colours(), want)
    want[suppressed] = "grey"
    np.testing.assert_array_equal(grouped.colours(), want)
    # The alarm goes in both Rnssp labellings; grouped Rnssp also leaves the day undecided.
    assert plain.alarm[121] and not rnssp.alarm[121] and not grouped.alarm[121]
    assert rnssp.decided[121] and not grouped.decided[121]
    np.testing.assert_array_equal(rnssp.alarm, grouped.alarm)
    np.testing.assert_array_equal(rnssp.alarm, plain.alarm & ~np.isin(np.arange(126), suppressed))


def test_a_weekly_series_is_a_straight_line_by_hand():
    # Weekly counts: design [1, time 1..L], ν = L − 2; the forecast's prediction factor
    # 1 + x₀'(X'X)⁻¹x₀ computed here from the matrices.
    rng = np.random.default_rng(11)
    y = rng.poisson(20 + 0.3 * np.arange(60)).astype(float)
    got = regression(y)
    assert got.decided[13] and not got.decided[12]  # first test: point 11 + 2 + 1
    for t, length in ((13, 11), (20, 18), (45, 28), (59, 28)):
        base = y[t - 2 - length : t - 2]
        x = np.column_stack([np.ones(length), np.arange(1, length + 1)])
        beta, ssr, *_ = np.linalg.lstsq(x, base, rcond=None)
        df = length - 2
        x0 = np.array([1.0, length + 3])
        factor = 1 + x0 @ np.linalg.inv(x.T @ x) @ x0
        sigma = max(math.sqrt(ssr[0] / df * factor), 0.01 / round(stats.t.ppf(0.95, df), 5))
        mu = max(0.0, x0 @ beta)
        tss = ((base - base.mean()) ** 2).sum()
        assert got.expected[t] == pytest.approx(mu, rel=1e-12)
        assert got.sigma[t] == pytest.approx(sigma, rel=1e-12)
        assert got.statistic[t] == pytest.approx((y[t] - mu) / sigma, rel=1e-10)
        assert got.p_value[t] == pytest.approx(stats.t.sf((y[t] - mu) / sigma, df), rel=1e-9)
        assert got.adjusted_r_squared[t] == pytest.approx(
            1 - ssr[0] / tss * (length - 1) / df, rel=1e-12
        )
        assert got.upperbound[t] == pytest.approx(mu + stats.t.ppf(0.99, df) * sigma, rel=1e-12)
    # Weekly dates mean the same as no dates.
    sundays = [datetime.date(2023, 1, 1) + datetime.timedelta(weeks=i) for i in range(60)]
    np.testing.assert_array_equal(regression(y, dates=sundays).statistic, got.statistic)


@pytest.mark.parametrize("length", [14, 21, 28, 35])
def test_the_ports_closed_form_is_the_daily_designs_prediction_factor(length):
    # (L + 7)(L − 4)/(L(L − 7)) = 1 + x₀'(X'X)⁻¹x₀ for the daily design when L is a
    # multiple of 7, whatever the weekday and guard: the weekly design's exact factor
    # is the same quantity.
    for first in range(7):
        for guard in range(3):
            days = (first + np.arange(length)) % 7
            x = np.column_stack(
                [np.ones(length), np.arange(1, length + 1), days[:, None] == np.arange(6)]
            )
            today = (first + length + guard) % 7
            x0 = np.r_[1.0, length + guard + 1, np.arange(6) == today]
            factor = 1 + x0 @ np.linalg.inv(x.T @ x) @ x0
            assert factor == pytest.approx((length + 7) * (length - 4) / (length * (length - 7)))


def test_min_sigma_floors_an_empty_baseline_with_pynssps_index_quirk():
    days = [datetime.date(2024, 1, 1) + datetime.timedelta(days=i) for i in range(41)]
    y = np.zeros(41)
    y[40] = 1
    rnssp = regression(y, dates=days)
    pynssp = regression(y, dates=days, variant="pynssp")
    # L = 28 days, ν = 20: Rnssp 0.01/t_{0.95,20}; pynssp 1.01/t_{0.95,21} (0-based index).
    assert rnssp.sigma[40] == pytest.approx(0.01 / round(stats.t.ppf(0.95, 20), 5), rel=1e-14)
    assert pynssp.sigma[40] == pytest.approx(1.01 / round(stats.t.ppf(0.95, 21), 5), rel=1e-14)
    assert rnssp.expected[40] == 0 and rnssp.adjusted_r_squared[40] == 0  # 0/0 reported as 0
    assert rnssp.alarm[40] and not pynssp.alarm[40]


def test_the_switch_takes_the_regression_where_it_explains_the_baseline():
    # A steady rise (R² near 1), then a flat stretch (R² near 0).
    rng = np.random.default_rng(3)
    y = np.concatenate([10 + 3 * np.arange(50.0), np.full(50, 160.0)]) + rng.poisson(3, 100)
    got = switch(y)
    fitted, smoothed = regression(y), ewma(y)
    chosen = got.regression
    assert chosen[20:50].all() and not chosen[85:].any()
    np.testing.assert_array_equal(chosen, fitted.adjusted_r_squared >= 0.60)
    for field in ("expected", "upperbound", "statistic", "p_value", "alarm", "decided"):
        mine, theirs, other = (getattr(d, field) for d in (got, fitted, smoothed))
        np.testing.assert_array_equal(mine[chosen], theirs[chosen], err_msg=field)
        np.testing.assert_array_equal(mine[~chosen], other[~chosen], err_msg=field)
    np.testing.assert_array_equal(got.colour[chosen], fitted.colour[chosen])
    assert [NSSP_COLOURS[c] for c in got.colour[~chosen]] == nssp_alert(
        smoothed.p_value[~chosen]
    ).tolist()
    # Before the regression's first fit (point 14) the EWMA's tests (from point 10) stand.
    assert got.decided[9:13].all() and not chosen[:13].any()
    assert switch(y, variant="pynssp").decided[13] and not switch(y, variant="pynssp").decided[12]
    np.testing.assert_array_equal(
        switch(y, variant="pynssp").statistic[~chosen],
        ewma_pynssp(y).statistic[~chosen],
    )


def test_a_missing_count_leaves_the_points_whose_baseline_holds_it_undecided():
    y = np.random.default_rng(5).poisson(10, 80).astype(float)
    y[30] = np.nan
    got = regression(y)
    undecided = {30, *range(33, 61)}  # itself, and t − 2 − 28 ≤ 30 ≤ t − 3
    assert {t for t in range(13, 80) if not got.decided[t]} == undecided
    assert (got.adjusted_r_squared[33:61] == 0).all()
    assert not got.alarm[list(undecided)].any()
    # The switch falls back to the EWMA there, which a missing count stops for good.
    assert not switch(y).decided[30:].any()


def test_it_runs_by_name_with_the_variant_as_a_parameter():
    y = np.random.default_rng(1).poisson(10, size=(3, 70)).astype(float)
    np.testing.assert_array_equal(
        detect("regression", y, variant="pynssp").p_value,
        regression(y, variant="pynssp").p_value,
    )
    assert detect("switch", y).p_value.shape == (3, 70)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"baseline": 10}, "baseline must be at least 11"),
        ({"baseline": 30, "dates": "daily"}, "baseline must be a multiple of 7 days"),
        ({"baseline": 28.0}, "baseline must be a whole number"),
        ({"guard": -1}, "guard must be a whole number ≥ 0"),
        ({"alpha": 1.0}, "alpha must be between 0 and 1"),
        ({"variant": "essence"}, "variant must be one of rnssp, rnssp-grouped, pynssp"),
        ({"dates": "every other day"}, "dates must be consecutive days or weeks"),
        ({"dates": "too few"}, "dates must give one date per point: 3 for 40"),
    ],
)
def test_bad_parameters_are_refused(kwargs, message):
    start = datetime.date(2024, 1, 1)
    dates = {
        "daily": [start + datetime.timedelta(days=i) for i in range(40)],
        "every other day": [start + datetime.timedelta(days=2 * i) for i in range(40)],
        "too few": [start, start, start],
    }
    given = {k: dates.get(v, v) if k == "dates" else v for k, v in kwargs.items()}
    for function in (regression, switch):
        with pytest.raises(ValueError, match=message):
            function(np.ones(40), **given)
