"""Rates and their intervals: 合格率 (pass rate) with the Wilson score interval.

The Wilson interval keeps its coverage for small samples and for rates near 0 or
100 %, where the plain normal ("Wald") interval fails — exactly where district pass
rates of a few dozen batches live.
"""

from __future__ import annotations

from math import sqrt
from statistics import NormalDist


def pass_rate(passed: int, tested: int) -> float | None:
    """Passed batches / tested batches, or None when nothing was tested.

    Raises
    ------
    ValueError
        For negative counts or ``passed > tested``.
    """
    _check_counts(passed, tested)
    return passed / tested if tested else None


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (no continuity correction).

    Parameters
    ----------
    successes : int
        Number of successes (passed batches), ``0 <= successes <= n``.
    n : int
        Number of trials (tested batches), ``n > 0``.
    confidence : float
        Two-sided confidence level, ``0 < confidence < 1``.

    Returns
    -------
    (low, high) : tuple of float
        Bounds as proportions in [0, 1].

    References
    ----------
    E. B. Wilson, "Probable inference, the law of succession, and statistical
    inference", JASA 22 (1927) 209–212. R. G. Newcombe, "Two-sided confidence
    intervals for the single proportion: comparison of seven methods", Statistics
    in Medicine 17 (1998) 857–872, Table II (the worked examples in the tests).
    """
    _check_counts(successes, n)
    if n == 0:
        raise ValueError("n must be positive: no interval for zero trials")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # Clamp rounding noise: the exact bounds at p = 0 or 1 are 0 and 1.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def _check_counts(successes: int, n: int) -> None:
    if successes < 0 or n < 0:
        raise ValueError(f"counts must not be negative, got {successes}/{n}")
    if successes > n:
        raise ValueError(f"more successes than trials: {successes}/{n}")
