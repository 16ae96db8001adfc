"""NSSP EWMA against Rnssp 0.3.1 and pynssp 0.1.0, and worked examples (SIGNALS.md §1.2)."""

import math

import numpy as np
import pytest
from scipy import stats

from zhiliang.lib.signals import ewma, ewma_pynssp, nssp_alert
from zhiliang.lib.tests.signals_data import (
    RELATIVE,
    needs_reference,
    r_number,
    relative_error,
    rows,
    weekly,
)

PORTS = {
    "rnssp": (
        ewma,
        "ref_rnssp031_ewma_regression_switch.csv",
        "Rnssp_0.3.1_alert_ewma_weekly",
        10,
    ),
    "pynssp": (ewma_pynssp, "ref_pynssp_ewma_weekly.csv", None, 14),
}


@needs_reference
@pytest.mark.parametrize("port", list(PORTS))
def test_it_matches_the_cdc_ports_week_by_week(port):
    function, name, detector, first_week = PORTS[port]
    ids, counts = weekly()
    got = function(counts)
    colours = nssp_alert(got.p_value)
    reference = [r for r in rows(name) if detector is None or r["detector"] == detector]
    assert len(reference) == 120
    worst = 0.0
    for r in reference:
        i, t = ids.index(r["series_id"]), int(r["week"]) - 1
        assert colours[i, t] == r["alert"], (r["series_id"], r["week"])
        if r["alert"] == "grey":
            assert not got.decided[i, t]
            continue
        for mine, theirs in [
            (got.expected, "baseline_expected"),
            (got.statistic, "test_statistic"),
            (got.p_value, "p_value"),
        ]:
            worst = max(worst, relative_error(mine[i, t], r_number(r[theirs])))
        assert got.alarm[i, t] == (r["alert"] == "red")
    assert worst < RELATIVE
    assert np.argmax(got.decided[0]) + 1 == first_week
    # The upper bound is the count above which the week alarms.
    decided = got.decided
    np.testing.assert_array_equal(got.alarm[decided], (counts > got.upperbound)[decided])


@needs_reference
def test_the_spot_values_of_signals_md():
    ids, counts = weekly()
    a = ids.index("A_mid")
    py, r = ewma_pynssp(counts), ewma(counts)
    assert py.expected[a, 54] == pytest.approx(332 / 29, rel=1e-14)  # B + 1 = 29 weeks
    assert py.statistic[a, 54] == pytest.approx(4.629225, abs=5e-7)
    assert py.p_value[a, 54] == pytest.approx(3.8e-5, abs=5e-7)
    assert r.expected[a, 54] == pytest.approx(320 / 28, rel=1e-14)  # B = 28 weeks
    assert r.statistic[a, 54] == pytest.approx(4.512717, abs=5e-7)
    assert r.p_value[a, 54] == pytest.approx(5.64e-5, abs=5e-8)
    assert nssp_alert(r.p_value[a, 54]) == "red"


def sigma(w, sd, length, guard, warn, base, slope):
    """σ_k of SIGNALS.md §1.2, by hand."""
    ucl_warn = round(stats.t.ppf(warn, length - 1), 5)
    correction = math.sqrt(
        w / (2 - w) + 1 / length - 2 * (1 - w) ** (guard + 1) * (1 - (1 - w) ** length) / length
    )
    constant = (0.1289 - (0.2414 - 0.1826 * (1 - w) ** 4) * math.log(0.5)) * (w / ucl_warn)
    return max((w / ucl_warn) * (base + slope * (1 - w) ** 2), sd * correction + constant)


def test_one_case_after_forty_empty_weeks_by_hand():
    # All-zero baseline: μ = s = 0, so σ_k is min_sigma or the constant; Z₁ = 0.4, Z₂ = 0.9.
    y = np.zeros(41)
    y[40] = 1
    r = ewma(y)  # baseline 28 weeks, ν = 27, ucl_warn = t_0.95
    s1, s2 = sigma(0.4, 0, 28, 2, 0.95, 0.01, 0.05), sigma(0.9, 0, 28, 2, 0.95, 0.01, 0.05)
    assert s2 == pytest.approx(0.1565, abs=5e-5)  # SIGNALS.md: σ₂ = 0.157
    assert r.statistic[40] == pytest.approx(max(0.4 / s1, 0.9 / s2), rel=1e-12)
    assert r.p_value[40] == pytest.approx(stats.t.sf(r.statistic[40], 27), rel=1e-9)
    assert r.alarm[40]
    py = ewma_pynssp(y)  # baseline 29 weeks, ν = 28, ucl_warn = t_0.975
    s1, s2 = sigma(0.4, 0, 29, 2, 0.975, 1, 0.5), sigma(0.9, 0, 29, 2, 0.975, 1, 0.5)
    assert s2 == pytest.approx(0.4416, abs=5e-5)  # SIGNALS.md: 0.44
    assert py.statistic[40] == pytest.approx(max(0.4 / s1, 0.9 / s2), rel=1e-12)
    assert not py.alarm[40]  # pynssp's floor makes the sparse series less sensitive


def test_an_outlier_is_clamped_before_it_smooths_into_the_next_week():
    y = np.array([10.0, 12.0] * 15 + [200.0, 11.0])
    got = ewma(y)
    t = 31  # the week after the outlier (0-based)
    window = y[t - 2 - 28 : t - 2]
    mu, sd = window.mean(), window.std(ddof=1)
    s = [sigma(w, sd, 28, 2, 0.95, 0.01, 0.05) for w in (0.4, 0.9)]
    ucl_alert = round(stats.t.ppf(0.99, 27), 5)
    # Z before the outlier, from Z₁ = y₁ through week 30 (unclamped: no alarm there).
    z = [y[0], y[0]]
    for value in y[1:30]:
        z = [w * value + (1 - w) * zk for w, zk in zip((0.4, 0.9), z, strict=True)]
    window30 = y[30 - 2 - 28 : 30 - 2]
    mu30, sd30 = window30.mean(), window30.std(ddof=1)
    s30 = [sigma(w, sd30, 28, 2, 0.95, 0.01, 0.05) for w in (0.4, 0.9)]
    z = [w * 200 + (1 - w) * zk for w, zk in zip((0.4, 0.9), z, strict=True)]
    assert all((zk - mu30) / sk > ucl_alert for zk, sk in zip(z, s30, strict=True))
    z = [mu30 + ucl_alert * sk for sk in s30]  # clamped
    z = [w * 11 + (1 - w) * zk for w, zk in zip((0.4, 0.9), z, strict=True)]
    tests = [(zk - mu) / sk for zk, sk in zip(z, s, strict=True)]
    assert got.statistic[t] == pytest.approx(max(tests), rel=1e-12)


def test_a_missing_week_leaves_the_rest_of_the_series_undecided():
    y = np.full(40, 5.0)
    y[20] = np.nan
    got = ewma(y)
    assert got.decided[9:20].all() and not got.decided[20:].any()


def test_percentage_series_are_rescaled_by_rnssp_only():
    # Rnssp 0.3.1 divides a series whose values are all below 1 by the median of its
    # positive values, so its expected values are in those units; pynssp leaves it as is.
    fractions = np.tile([0.02, 0.03, 0.025, 0.04], 10)
    scaled = fractions / np.median(fractions)
    np.testing.assert_allclose(ewma(fractions).expected, ewma(scaled).expected)
    # pynssp week 21 (0-based 20): baseline weeks 1–18.
    assert ewma_pynssp(fractions).expected[20] == pytest.approx(fractions[:18].mean())


def test_nssp_colours():
    got = nssp_alert([np.nan, 0.0, 0.0099, 0.01, 0.0499, 0.05, 0.9])
    assert got.tolist() == ["grey", "red", "red", "yellow", "yellow", "blue", "blue"]


@pytest.mark.parametrize(
    "kwargs",
    [{"baseline": 6}, {"guard": -1}, {"w1": 0}, {"w2": 1.5}, {"alpha": 0}, {"baseline": 7.0}],
)
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        ewma(np.ones(40), **kwargs)
