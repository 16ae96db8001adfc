"""pynssp's multi-year detectors in a stored run: the training period as a parameter,
Serfling's seasons from the weeks' dates, the signal reproduced from what it stores.
The counts are GENERATED for the test."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from zhiliang.signals import services as s
from zhiliang.signals.models import Signal

MONDAY = dt.date(2023, 1, 2)
WEEKS, TRAINING = 120, 110


@pytest.mark.parametrize("method", ["serfling-pynssp", "nbinom-pynssp"])
def test_a_seasonal_run_stores_the_spike_and_can_reproduce_it(db, method):
    rng = np.random.default_rng(11)
    t = np.arange(1, WEEKS + 1)
    level = 12 + 5 * np.cos(2 * np.pi * t / 52.18)
    counts = rng.poisson(np.vstack([level, level])).astype(float)
    counts[0, -1] = 60  # GENERATED spike in the last week of the first series
    series = [
        s.Series("category=A|district=500103", "A", "500103"),
        s.Series("category=B|district=500101", "B", "500101"),
    ]
    run = s.run_detection(
        method=method,
        series=series,
        counts=counts,
        first_week=MONDAY,
        source="测试",
        params={"training_weeks": TRAINING},
    )
    assert run.alarms == 1 and run.params == {"training_weeks": TRAINING}
    signal = Signal.objects.get()
    assert signal.series_key == "category=A|district=500103" and signal.observed == 60
    again = s.reproduce(signal)
    assert again["alarm"] is True
    assert again["expected"] == pytest.approx(signal.expected, rel=1e-9)
    assert again["upperbound"] == pytest.approx(signal.upperbound, rel=1e-9)
