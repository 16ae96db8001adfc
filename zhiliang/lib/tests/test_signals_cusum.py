"""CUSUM against R surveillance::algo.cusum 1.20 and worked examples (SIGNALS.md §1.6)."""

import math

import numpy as np
import pytest

from zhiliang.lib.signals import cusum
from zhiliang.lib.tests.signals_data import RELATIVE, needs_reference, relative_error, rows, weekly


@needs_reference
@pytest.mark.parametrize("trans", ["standard", "rossi", "anscombe"])
def test_it_matches_surveillance_algo_cusum_week_by_week(trans):
    ids, counts = weekly()
    got = cusum(counts, training_weeks=26, trans=trans)
    reference = [
        r
        for r in rows("ref_surveillance_cusum.csv")
        if (r["trans"], r["reset"]) == (trans, "FALSE")
    ]
    assert len(reference) == 2 * 34
    worst = 0.0
    for row in reference:
        i, t = ids.index(row["series_id"]), int(row["week"]) - 1
        worst = max(
            worst,
            relative_error(got.statistic[i, t], float(row["cusum"])),
            relative_error(got.upperbound[i, t], float(row["upperbound"])),
            relative_error(got.expected[i, t], float(row["m"])),
        )
        assert got.decided[i, t]
        assert got.alarm[i, t] == (row["alarm"] == "TRUE"), (row["series_id"], row["week"])
    assert worst < RELATIVE
    assert not got.decided[:, :26].any()  # training weeks 1–26 are not monitored
    assert np.isnan(got.p_value).all()


@needs_reference
def test_the_reference_reset_rows_were_not_reset():
    # The reference ran surveillance 1.20.3, which has no `reset` and drops unknown control
    # entries silently: its reset=TRUE rows equal its reset=FALSE rows, alarms included.
    by_key: dict[tuple[str, str, str], dict[str, tuple[str, str, str]]] = {}
    for r in rows("ref_surveillance_cusum.csv"):
        key = (r["series_id"], r["trans"], r["week"])
        by_key.setdefault(key, {})[r["reset"]] = (r["cusum"], r["upperbound"], r["alarm"])
    assert all(v["TRUE"] == v["FALSE"] for v in by_key.values())
    ids, counts = weekly()
    a = ids.index("A_mid")
    persisting = cusum(counts, training_weeks=26)
    restarted = cusum(counts, training_weeks=26, reset=True)
    np.testing.assert_array_equal(
        np.flatnonzero(persisting.alarm[a]) + 1, [47, 48, 49, 50, 51, 52, 55, 56, 57, 58, 60]
    )
    np.testing.assert_array_equal(np.flatnonzero(restarted.alarm[a]) + 1, [47, 49, 55, 60])


@needs_reference
def test_the_spot_values_of_signals_md():
    ids, counts = weekly()
    a = ids.index("A_mid")
    got = cusum(counts, training_weeks=26)
    assert got.expected[a, 54] == pytest.approx(9.7308, abs=5e-5)  # mean of weeks 1–26
    assert got.statistic[a, 54] == pytest.approx(4.8969, abs=5e-5) and got.alarm[a, 54]
    # Without reset the alarm persists while S decays: weeks 55–58 and 60.
    assert got.alarm[a, 54:60].tolist() == [True, True, True, True, False, True]


def test_standard_cusum_worked_by_hand():
    # m = 4 (training 3, 5, 4, 4), √m = 2, k = 1, h = 2.
    # x:  8 → z 2   S = 1          UB = ceil(2·(2+1−0) + 4) = 10
    #     9 → z 2.5 S = 2.5 alarm  UB = ceil(2·(3−1) + 4)   = 8
    #     4 → z 0   S = 1.5 alarm? no (1.5 < 2)  UB = ceil(2·(3−2.5) + 4) = 5
    got = cusum([3, 5, 4, 4, 8, 9, 4], training_weeks=4, k=1.0, h=2.0)
    np.testing.assert_allclose(got.statistic[4:], [1.0, 2.5, 1.5])
    np.testing.assert_array_equal(got.upperbound[4:], [10, 8, 5])
    np.testing.assert_array_equal(got.alarm[4:], [False, True, False])
    np.testing.assert_array_equal(got.expected[4:], [4, 4, 4])
    # reset: after week 6's alarm S starts again from 0, so week 7 has S = max(0, 0 + 0 − 1).
    again = cusum([3, 5, 4, 4, 8, 9, 4], training_weeks=4, k=1.0, h=2.0, reset=True)
    np.testing.assert_allclose(again.statistic[4:], [1.0, 2.5, 0.0])  # 2.5 is what crossed h
    np.testing.assert_array_equal(again.upperbound[4:], [10, 8, 10])
    np.testing.assert_array_equal(again.alarm[4:], [False, True, False])


def test_rossi_and_anscombe_standardise_as_surveillance():
    m, x = 4.0, 9.0
    rossi = cusum([4, 4, x], training_weeks=2, trans="rossi", k=0.0, h=100.0)
    assert rossi.statistic[2] == pytest.approx((x - 3 * m + 2 * math.sqrt(x * m)) / (2 * 2))
    anscombe = cusum([4, 4, x], training_weeks=2, trans="anscombe", k=0.0, h=100.0)
    assert anscombe.statistic[2] == pytest.approx(
        1.5 * (x ** (2 / 3) - m ** (2 / 3)) / m ** (1 / 6)
    )


def test_a_given_m_replaces_the_training_mean_per_series():
    counts = np.array([[4, 4, 9], [1, 1, 9]], dtype=float)
    got = cusum(counts, training_weeks=2, m=[4.0, 9.0], k=0.0)
    assert got.statistic[0, 2] == pytest.approx(2.5)
    assert got.statistic[1, 2] == 0
    assert got.expected[:, 2].tolist() == [4.0, 9.0]


def test_a_missing_week_leaves_the_rest_of_the_series_undecided():
    got = cusum([4, 4, 4, 5, np.nan, 5, 30], training_weeks=3)
    assert got.decided[3] and not got.decided[4:].any() and not got.alarm.any()


def test_an_all_zero_training_period_divides_by_zero_as_r_does():
    got = cusum([0, 0, 0, 2, 0], training_weeks=3)
    assert got.statistic[3] == math.inf and got.alarm[3]
    assert not got.decided[4]  # 0/0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"training_weeks": 0},
        {"training_weeks": 10},
        {"training_weeks": 2.5},
        {"training_weeks": 3, "trans": "pearsonNegBin"},
        {"training_weeks": 3, "h": 0},
        {"training_weeks": 3, "m": -1},
    ],
)
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        cusum([1, 2, 3, 4, 5, 6], **kwargs)
