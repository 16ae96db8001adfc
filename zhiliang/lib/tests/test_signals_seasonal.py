"""pynssp's Serfling and negative binomial detectors against pynssp 0.1.0 (SIGNALS.md §1.7)."""

import csv
import datetime
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from zhiliang.lib.signals import detect, nbinom_pynssp, nbinom_quantile, serfling_pynssp
from zhiliang.lib.tests.signals_data import RELATIVE, needs_reference, relative_error, rows

#: pynssp's baseline_end 2022-12-25 is the 260th week of C_seasonal.
TRAINING_WEEKS = 260
#: pynssp 0.1.0 alert_nbinom(include_time=False) on C_seasonal, baseline_end 2022-12-25,
#: run with pandas 2.3.3, statsmodels 0.15.0, SciPy 1.17.1 (not in the shared references).
NO_TIME = Path(__file__).parent / "fixtures" / "signals" / "pynssp_nbinom_include_time_false.csv"


def c_seasonal():
    data = rows("input_weekly_long_312.csv")
    counts = np.array([float(r["count"]) for r in data])
    dates = [datetime.date.fromisoformat(r["date"]) for r in data]
    assert dates[TRAINING_WEEKS - 1] == datetime.date(2022, 12, 25)
    return counts, dates


def assert_matches(got, counts, reference):
    """Estimate and threshold on every week within 1e-6; the same alarms: decided ones
    after the training weeks, and count > threshold within them (pynssp flags those
    too)."""
    assert len(reference) == len(counts) == 312
    worst = 0.0
    for t, r in enumerate(reference):
        assert int(r["week"]) == t + 1 and float(r["count"]) == counts[t]
        for mine, theirs in [(got.expected, "estimate"), (got.upperbound, "threshold")]:
            worst = max(worst, relative_error(mine[t], float(r[theirs])))
        alarm = r["alarm"] == "True"
        tested = r["split"] == "Prediction Period"
        assert got.decided[t] == tested == (t >= TRAINING_WEEKS), r["week"]
        if tested:
            assert got.alarm[t] == alarm, r["week"]
        else:
            assert not got.alarm[t] and (counts[t] > got.upperbound[t]) == alarm, r["week"]
    assert worst < RELATIVE
    return worst


@needs_reference
def test_serfling_matches_pynssp_week_by_week():
    counts, dates = c_seasonal()
    got = serfling_pynssp(counts, dates=dates, training_weeks=TRAINING_WEEKS)
    reference = rows("ref_pynssp_serfling.csv")
    assert assert_matches(got, counts, reference) < 1e-13
    for r, day in zip(reference, dates, strict=True):
        assert (r["epidemic_period"] == "True") == (day.month not in (6, 7, 8, 9))
    assert np.flatnonzero(got.alarm).tolist() == [260, 299, 300, 301, 302, 303]
    # the statistic is the studentised prediction error: alarm ⇔ p < 0.05
    decided = got.decided
    np.testing.assert_array_equal(got.alarm[decided], (got.p_value < 0.05)[decided])


@needs_reference
def test_nbinom_matches_pynssp_week_by_week():
    counts, _ = c_seasonal()
    got = nbinom_pynssp(counts, training_weeks=TRAINING_WEEKS)
    reference = rows("ref_pynssp_nbinom.csv")
    assert all(r["time_term"] == "True" for r in reference)
    # pynssp's α comes from statsmodels' BFGS, 7e−10 from the exact MLE: ~1e−8 here.
    assert assert_matches(got, counts, reference) < 1e-7
    assert np.flatnonzero(got.alarm).tolist() == [260, 299, 300, 301, 302, 303]
    # p = P(Y ≥ y) under the NB the threshold is the 95 % quantile of
    decided = got.decided
    np.testing.assert_array_equal(got.alarm[decided], (got.p_value <= 0.05)[decided])


@needs_reference
def test_nbinom_without_time_reproduces_pynssps_mismatched_dispersion_model():
    # pynssp fits α with [obs, sin] but the GLM with [cos, sin]; a consistent fit differs.
    counts, _ = c_seasonal()
    got = nbinom_pynssp(counts, training_weeks=TRAINING_WEEKS, include_time=False)
    with NO_TIME.open(newline="", encoding="utf-8") as handle:
        reference = list(csv.DictReader(handle))
    assert all(r["time_term"] == "False" for r in reference)
    assert assert_matches(got, counts, reference) < 1e-7


@needs_reference
def test_all_series_are_fitted_at_once_as_each_alone():
    counts, dates = c_seasonal()
    rng = np.random.default_rng(312)
    panel = np.vstack(
        [counts, counts * 3, np.roll(counts, 26), rng.poisson(8.0, 312), rng.poisson(counts)]
    ).astype(float)
    for method, given in [
        ("serfling-pynssp", {"dates": dates}),
        ("nbinom-pynssp", {}),
    ]:
        together = detect(method, panel, training_weeks=TRAINING_WEEKS, **given)
        for i, series in enumerate(panel):
            alone = detect(method, series, training_weeks=TRAINING_WEEKS, **given)
            np.testing.assert_allclose(together.expected[i], alone.expected, rtol=1e-10)
            np.testing.assert_allclose(together.upperbound[i], alone.upperbound, rtol=1e-12)
            np.testing.assert_array_equal(together.alarm[i], alone.alarm)


def test_serfling_is_the_least_squares_prediction_interval():
    # Two years and a bit of a seasonal series; by hand with lstsq and the t quantile.
    weeks, training = 130, 110
    t = np.arange(1, weeks + 1)
    rng = np.random.default_rng(6)
    counts = np.round(20 + 0.05 * t + 6 * np.cos(2 * np.pi * t / 52.18) + rng.normal(0, 2, weeks))
    dates = [datetime.date(2021, 1, 3) + datetime.timedelta(weeks=k) for k in range(weeks)]
    summer = [k for k in range(training) if dates[k].month in (6, 7, 8, 9)]
    x = np.column_stack(
        [np.ones(weeks), t, np.cos(2 * np.pi * t / 52.18), np.sin(2 * np.pi * t / 52.18)]
    )
    beta = np.linalg.lstsq(x[summer], counts[summer], rcond=None)[0]
    df = len(summer) - 4
    s2 = np.sum((counts[summer] - x[summer] @ beta) ** 2) / df
    h = np.einsum("tk,kl,tl->t", x, np.linalg.inv(x[summer].T @ x[summer]), x)
    upper = x @ beta + stats.t.ppf(0.95, df) * np.sqrt(s2 * (1 + h))
    got = serfling_pynssp(counts, dates=dates, training_weeks=training)
    np.testing.assert_allclose(got.expected, x @ beta, rtol=1e-10)
    np.testing.assert_allclose(got.upperbound, upper, rtol=1e-10)
    assert got.decided.tolist() == [False] * training + [True] * (weeks - training)


def test_an_underdispersed_series_keeps_alpha_at_its_floor():
    # Less spread than Poisson around its fit: the NB likelihood falls from α → 0 on, so
    # α stays at its floor (pynssp's BFGS stops wherever, 1e−7…4e−3) and the threshold is
    # the Poisson 95 % quantile at the upper 95 % limit of the mean, worked here by hand.
    from zhiliang.lib.signals.seasonal import ALPHA_BOUNDS, _design, _nb2_dispersion

    weeks, training = 160, 150
    counts = np.tile([9.0, 11.0, 10.0, 10.0], weeks // 4)
    x = _design(weeks, ("obs", "cos", "sin"))
    alpha, _, converged = _nb2_dispersion(x[:training], counts[np.newaxis, :training])
    assert alpha[0] == pytest.approx(ALPHA_BOUNDS[0], rel=1e-12) and converged.all()
    got = nbinom_pynssp(counts, training_weeks=training)
    mu = got.expected
    covariance = np.linalg.inv(x[:training].T @ (mu[:training, np.newaxis] * x[:training]))
    se = np.sqrt(np.einsum("tk,kl,tl->t", x, covariance, x))
    upper_mean = mu * np.exp(stats.norm.ppf(0.975) * se)
    np.testing.assert_array_equal(got.upperbound, stats.poisson.ppf(0.95, upper_mean))
    assert got.decided[training:].all() and not got.alarm.any()


def test_missing_and_empty_series_are_undecided_where_they_cannot_be_fitted():
    rng = np.random.default_rng(7)
    weeks, training = 140, 120
    panel = rng.poisson(12.0, (4, weeks)).astype(float)
    panel[1, 26] = np.nan  # a gap in the training weeks: no fit
    panel[2, 130] = np.nan  # a gap in a tested week: that week only
    panel[3, :training] = 0  # nothing in the training weeks
    dates = [datetime.date(2020, 1, 5) + datetime.timedelta(weeks=k) for k in range(weeks)]
    nb = nbinom_pynssp(panel, training_weeks=training)
    assert nb.decided[0, training:].all()
    assert not nb.decided[1].any() and not nb.decided[3].any()
    assert nb.decided[2, training:].sum() == weeks - training - 1 and not nb.decided[2, 130]
    # Serfling: the gap is in a June–September training week, which it fits
    assert dates[26] == datetime.date(2020, 7, 5)
    sf = serfling_pynssp(panel, dates=dates, training_weeks=training)
    assert not sf.decided[1].any() and not sf.decided[2, 130] and sf.decided[3, training:].all()
    # all-zero training weeks: pynssp's OLS predicts 0 with no spread, any case alarms
    assert sf.upperbound[3, training:] == pytest.approx(0.0, abs=1e-9)
    assert (sf.alarm[3, training:] == (panel[3, training:] > 0)).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"training_weeks": 103}, "at least two years"),
        ({"training_weeks": 140}, "leave a week to test"),
        ({"training_weeks": 120.0}, "whole number"),
    ],
)
def test_bad_training_periods_are_refused(kwargs, message):
    counts = np.ones(140)
    with pytest.raises(ValueError, match=message):
        nbinom_pynssp(counts, **kwargs)


def test_serfling_needs_a_date_for_every_week():
    counts = np.ones(140)
    dates = [datetime.date(2020, 1, 5) + datetime.timedelta(weeks=k) for k in range(140)]
    with pytest.raises(ValueError, match="one date per week"):
        serfling_pynssp(counts, dates=dates[:-1], training_weeks=120)
    with pytest.raises(ValueError, match="seven days apart"):
        serfling_pynssp(counts, dates=dates[:5] + dates[6:] + [dates[-1]], training_weeks=120)
    with pytest.raises(ValueError, match="serfling-pynssp needs dates"):
        detect("serfling-pynssp", counts, training_weeks=120)


def test_the_nb_quantile_is_scipys():
    rng = np.random.default_rng(95)
    size = np.exp(rng.uniform(np.log(0.05), np.log(1e8), 50_000))
    mean = np.exp(rng.uniform(np.log(1e-3), np.log(1e4), 50_000))
    probability = size / (size + mean)
    np.testing.assert_array_equal(
        nbinom_quantile(0.95, size, probability), stats.nbinom.ppf(0.95, size, probability)
    )
    np.testing.assert_array_equal(
        nbinom_quantile(0.5, size[:1000], probability[:1000]),
        stats.nbinom.ppf(0.5, size[:1000], probability[:1000]),
    )
    assert np.isnan(nbinom_quantile(0.95, np.array([np.nan, 2.0]), np.array([0.5, np.nan]))).all()
