"""EARS C1/C2/C3 against R surveillance::earsC 1.20 and worked examples (SIGNALS.md §1.1)."""

import math

import numpy as np
import pytest

from zhiliang.lib.signals import ears_c1, ears_c2, ears_c3, ears_c3_cdc
from zhiliang.lib.tests.signals_data import (
    RELATIVE,
    needs_reference,
    r_number,
    relative_error,
    rows,
    weekly,
)

Z_001 = 3.090232306167813  # qnorm(0.999)
Z_025 = 1.959963984540054  # qnorm(0.975)
METHODS = {"earsC_C1": ears_c1, "earsC_C2": ears_c2, "earsC_C3": ears_c3}


@needs_reference
@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("min_sigma", ["0", "0.5"])
def test_it_matches_surveillance_earsc_week_by_week(method, min_sigma):
    ids, counts = weekly()
    got = METHODS[method](counts, min_sigma=float(min_sigma))
    reference = [
        r
        for r in rows("ref_surveillance_earsC.csv")
        if (r["method"], r["minSigma"]) == (method, min_sigma)
    ]
    assert len(reference) == {"earsC_C1": 106, "earsC_C2": 102, "earsC_C3": 98}[method]
    worst = 0.0
    for row in reference:
        i, t = ids.index(row["series_id"]), int(row["week"]) - 1
        bound = r_number(row["upperbound"])
        if row["alarm"] == "NA":
            assert math.isnan(bound)
            assert math.isnan(got.upperbound[i, t]) and not got.decided[i, t]
            assert not got.alarm[i, t]
            continue
        worst = max(worst, relative_error(got.upperbound[i, t], bound))
        assert got.decided[i, t]
        assert got.alarm[i, t] == (row["alarm"] == "TRUE"), (row["series_id"], row["week"])
    assert worst < RELATIVE
    # surveillance tests from week baseline + 1 / + 3 / + 5 on: nothing earlier is decided.
    first = min(int(r["week"]) for r in reference) - 1
    assert first == {"earsC_C1": 7, "earsC_C2": 9, "earsC_C3": 11}[method]
    assert not got.decided[:, :first].any()
    assert np.isnan(got.upperbound[:, :first]).all()


@needs_reference
def test_the_spot_values_of_signals_md():
    ids, counts = weekly()
    a = ids.index("A_mid")
    c1, c2 = ears_c1(counts), ears_c2(counts)
    assert c1.upperbound[a, 54] == pytest.approx(22.7624, abs=5e-5) and c1.alarm[a, 54]
    assert c1.upperbound[a, 59] == pytest.approx(29.7639, abs=5e-5) and c1.alarm[a, 59]
    assert c2.upperbound[a, 59] == pytest.approx(29.8052, abs=5e-5)
    # C2's bound at t is C1's at t − 2: the same seven weeks, two weeks further back.
    np.testing.assert_allclose(c2.upperbound[:, 9:], c1.upperbound[:, 7:-2], rtol=1e-15)


@needs_reference
def test_surveillance_c3_ignores_the_current_week_and_the_cdc_c3_does_not():
    ids, counts = weekly()
    a = ids.index("A_mid")
    surveillance, cdc, c2 = ears_c3(counts), ears_c3_cdc(counts), ears_c2(counts)
    assert c2.statistic[a, 54] == pytest.approx(2.99852, abs=1e-5)  # week 55, y = 25
    assert c2.statistic[a, 59] == pytest.approx(3.12488, abs=1e-5)  # week 60, y = 30
    # surveillance: week 55 passes, its lags alarm weeks 56–57, week 60 is missed.
    assert not surveillance.alarm[a, 54] and not surveillance.alarm[a, 59]
    assert surveillance.alarm[a, 55] and surveillance.alarm[a, 56]
    # CDC: C3 = the current and two previous weeks' excess of C2 over 1; week 60 signals.
    # Week 55's C3 is 1.9985, just under the CDC's threshold 2 (SIGNALS.md rounds it to 2.00).
    assert cdc.statistic[a, 54] == pytest.approx(1.99852, abs=1e-5) and not cdc.alarm[a, 54]
    assert cdc.statistic[a, 59] == pytest.approx(2.12488, abs=1e-5) and cdc.alarm[a, 59]
    assert not cdc.alarm[a, 55] and not cdc.alarm[a, 56]
    np.testing.assert_array_equal(np.flatnonzero(cdc.alarm[a]) + 1, [45, 46, 47, 48, 49, 50, 60])
    np.testing.assert_array_equal(
        np.flatnonzero(surveillance.alarm[a]) + 1, [46, 47, 48, 49, 50, 56, 57]
    )


def test_c1_worked_by_hand():
    # Reference weeks 1..7: mean 4, sd sqrt(28/6) = 2.160247; UB = 4 + 3.090232 · 2.160247.
    got = ears_c1([1, 2, 3, 4, 5, 6, 7, 20, 4])
    sd = math.sqrt(28 / 6)
    assert got.expected[7] == 4
    assert got.upperbound[7] == pytest.approx(4 + Z_001 * sd, rel=1e-14)  # 10.6757
    assert got.statistic[7] == pytest.approx(16 / sd, rel=1e-14)
    assert got.alarm[7] and got.decided[7]
    assert np.isnan(got.p_value).all()
    # Week 9: reference weeks 2..8 = 2,3,4,5,6,7,20.
    window = np.array([2, 3, 4, 5, 6, 7, 20.0])
    assert got.upperbound[8] == pytest.approx(window.mean() + Z_001 * window.std(ddof=1))
    assert got.decided[8] and not got.alarm[8]
    assert not got.decided[:7].any()


def test_c3_worked_by_hand():
    # Weeks 1–10 alternate 4, 6; weeks 11–13 are 6, 5, 9. Week 13's C2 reference (weeks
    # 4–10: 6,4,6,4,6,4,6) has mean 36/7 and sd sqrt(48/42) = 1.069045, so its C2 is
    # (9 − 5.142857)/1.069045 = 3.6080. Weeks 11 and 12 have C2 0.80 and 0.13: no excess.
    y = np.array([4, 6] * 5 + [6, 5, 9], dtype=float)
    mean, sd = 36 / 7, math.sqrt(48 / 42)
    c2_13 = (9 - mean) / sd
    surveillance = ears_c3(y)
    assert surveillance.statistic[12] == 0  # only the two previous weeks enter
    assert surveillance.upperbound[12] == pytest.approx(9 + sd * Z_025, rel=1e-14)  # 11.095
    assert not surveillance.alarm[12]
    cdc = ears_c3_cdc(y)
    assert cdc.statistic[12] == pytest.approx(c2_13 - 1, rel=1e-14)  # 2.608 > 2
    assert cdc.alarm[12]
    assert cdc.upperbound[12] == pytest.approx(mean + sd * (1 + 2), rel=1e-14)  # 8.35
    assert cdc.expected[12] == pytest.approx(mean, rel=1e-15)
    assert not surveillance.decided[:11].any() and not cdc.decided[:11].any()


def test_cdc_c3_signals_any_count_once_the_previous_weeks_exceed_the_threshold():
    y = np.array([4, 6] * 5 + [12, 5, 0], dtype=float)
    cdc = ears_c3_cdc(y)
    assert cdc.statistic[12] > 2 and cdc.alarm[12]
    assert cdc.upperbound[12] == -math.inf


def test_after_seven_zero_weeks_any_count_alarms_unless_sigma_is_floored():
    y = [0] * 7 + [1]
    plain, floored = ears_c1(y), ears_c1(y, min_sigma=0.5)
    assert plain.upperbound[7] == 0 and plain.alarm[7]
    assert plain.statistic[7] == math.inf
    assert floored.upperbound[7] == pytest.approx(Z_001 * 0.5) and not floored.alarm[7]


def test_c3_on_a_zero_variance_reference_is_undecided_as_in_surveillance():
    y = [0.0] * 14
    got = ears_c3(y)
    assert not got.decided.any()  # 0/0 everywhere: NA in R
    cdc = ears_c3_cdc(y)
    assert not cdc.decided.any()
    assert ears_c3(y, min_sigma=0.5).decided[11:].all()


def test_a_missing_week_leaves_the_weeks_whose_reference_holds_it_undecided():
    y = np.array([5, 6, 5, 7, 6, 5, 6, 5, 6, 5, 6, 7, 5, 6, 5, 6, 5, 6], dtype=float)
    y[8] = np.nan
    got = ears_c1(y)
    assert not got.decided[8]  # the count itself
    assert not got.decided[9:16].any()  # weeks 10–16 have week 9 in their reference
    assert got.decided[16:].all()
    assert got.decided[7]


def test_two_dimensional_and_one_dimensional_inputs_agree():
    rng = np.random.default_rng(6)
    counts = rng.poisson(8, size=(3, 30)).astype(float)
    both = ears_c2(counts)
    for i in range(3):
        one = ears_c2(counts[i])
        assert one.upperbound.shape == (30,)
        np.testing.assert_array_equal(one.upperbound, both.upperbound[i])
        np.testing.assert_array_equal(one.alarm, both.alarm[i])


def test_a_series_shorter_than_the_baseline_has_no_verdicts():
    got = ears_c1([3, 4, 5])
    assert not got.decided.any() and np.isnan(got.upperbound).all()


@pytest.mark.parametrize(
    "kwargs",
    [{"baseline": 2}, {"baseline": 7.5}, {"alpha": 0}, {"alpha": 1.2}, {"min_sigma": -1}],
)
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        ears_c1([1] * 20, **kwargs)


@pytest.mark.parametrize("counts", [[1, -1, 2], [1, math.inf, 2], np.zeros((2, 2, 2))])
def test_bad_counts_are_refused(counts):
    with pytest.raises(ValueError):
        ears_c1(counts)
