"""The shared early-warning reference data (shared/data/signals, SIGNALS.md §3) for tests."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

SIGNALS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "signals"

#: Skip a parity test where the shared reference data is not laid out beside the repo.
needs_reference = pytest.mark.skipif(
    not SIGNALS.is_dir(), reason="shared/data/signals reference outputs not present"
)

#: Tolerance of parity with the reference implementations (the issue's 1e-6 relative).
RELATIVE = 1e-6


def rows(name: str) -> list[dict[str, str]]:
    with (SIGNALS / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def weekly(name: str = "input_weekly_60.csv") -> tuple[list[str], np.ndarray]:
    """The series ids and their counts as one series × weeks array."""
    series: dict[str, list[float]] = {}
    for row in rows(name):
        series.setdefault(row["series_id"], []).append(float(row["count"]))
    ids = list(series)
    return ids, np.array([series[i] for i in ids])


def r_number(text: str) -> float:
    """An R CSV number, NA as NaN."""
    return float("nan") if text == "NA" else float(text)


def relative_error(got: float, want: float) -> float:
    """|got − want| / |want|, or |got| when the reference is exactly 0."""
    return abs(got - want) / abs(want) if want != 0 else abs(got)
