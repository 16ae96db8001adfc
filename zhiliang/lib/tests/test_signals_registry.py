"""The registry of early-warning methods: names, parameters, dispatch."""

import datetime

import numpy as np
import pytest

from zhiliang.lib.signals import (
    DETECTORS,
    PAIR_STATISTICS,
    REQUIRED,
    detect,
    ears_c1,
    two_by_two,
)

#: Values for the parameters a detector requires (no default): CUSUM's training weeks,
#: pynssp's two years and more for Serfling and the negative binomial, dates of 270 weeks.
REQUIRED_VALUES = {
    "training_weeks": 26,
    "dates": [datetime.date(2021, 1, 3) + datetime.timedelta(weeks=k) for k in range(270)],
}
MULTI_YEAR = {"serfling-pynssp": {"training_weeks": 260}, "nbinom-pynssp": {"training_weeks": 260}}


def test_every_detector_runs_by_name_on_all_series_at_once():
    # 270 weeks: Farrington's default looks five years back (first week tested 264).
    counts = np.random.default_rng(2026).poisson(10, size=(4, 270)).astype(float)
    for name, method in DETECTORS.items():
        given = {p: REQUIRED_VALUES[p] for p, d in method.parameters.items() if d is REQUIRED}
        given.update(MULTI_YEAR.get(name, {}))
        got = detect(name, counts, **given)
        assert got.upperbound.shape == got.alarm.shape == got.decided.shape == (4, 270), name
        assert got.decided[:, -1].all(), name
        assert not (got.alarm & ~got.decided).any(), name
        assert method.summary and method.reference


def test_parameters_are_read_from_the_signatures():
    assert dict(DETECTORS["ears-c1"].parameters) == {
        "baseline": 7,
        "alpha": 0.001,
        "min_sigma": 0.0,
    }
    assert DETECTORS["ears-c3"].parameters["alpha"] == 0.025
    assert DETECTORS["ears-c3-cdc"].parameters["threshold"] == 2.0


def test_detect_passes_parameters_through():
    counts = [0] * 7 + [1]
    np.testing.assert_array_equal(
        detect("ears-c1", counts, min_sigma=0.5).upperbound,
        ears_c1(counts, min_sigma=0.5).upperbound,
    )


def test_unknown_methods_and_parameters_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="known: ears-c1"):
        detect("ears-c4", [1, 2, 3])
    with pytest.raises(ValueError, match="takes no parameter window"):
        detect("ears-c1", [1, 2, 3], window=3)


def test_cusum_requires_its_training_weeks():
    assert DETECTORS["cusum"].parameters["training_weeks"] is REQUIRED
    assert DETECTORS["cusum"].parameters["k"] == 1.04
    with pytest.raises(ValueError, match="cusum needs training_weeks"):
        detect("cusum", [1, 2, 3])


def test_the_seasonal_methods_need_a_training_period_and_serfling_dates():
    assert DETECTORS["nbinom-pynssp"].parameters == {
        "training_weeks": REQUIRED,
        "include_time": True,
    }
    assert DETECTORS["serfling-pynssp"].parameters == {
        "dates": REQUIRED,
        "training_weeks": REQUIRED,
    }
    with pytest.raises(ValueError, match="nbinom-pynssp needs training_weeks"):
        detect("nbinom-pynssp", np.ones(200))


def test_every_pair_statistic_runs_by_name_on_a_table():
    cells = two_by_two(np.array([[20, 80, 5], [40, 860, 0]]), min_count=1)
    for name, method in PAIR_STATISTICS.items():
        assert method.function(cells) is not None, name
        assert method.summary and method.reference
    assert dict(PAIR_STATISTICS["prr"].parameters) == {
        "relative_risk": 1.0,
        "continuity_correction": True,
    }
