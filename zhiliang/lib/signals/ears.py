"""EARS C1, C2 and C3: aberrations against the last few weeks (SIGNALS.md §1.1).

The CDC's Early Aberration Reporting System compares a week's count with the mean and
standard deviation of a short reference window of recent weeks:

* **C1**: the ``baseline`` (7) weeks just before week t;
* **C2**: the same number of weeks ending three weeks before t (a two-week guard band
  keeps the start of an outbreak out of its own reference), so C2's bound at t is C1's
  at t − 2;
* **C3**: built on the C2 statistic of the current and the two previous weeks.

Upper bound (C1, C2): ``UB_t = mean(R_t) + z_{1−α} · max(sd(R_t), min_sigma)``, alarm
when ``y_t > UB_t``; sd has the n − 1 denominator.

C1, C2 and ``ears_c3`` follow R ``surveillance::earsC`` 1.20 (same code in 1.26) with its
defaults: baseline 7, α = 0.001 for C1/C2 and 0.025 for C3, ``minSigma`` 0, first week
tested baseline + 1 / + 3 / + 5 (week 8 / 10 / 12). Its C3 is **not** the CDC's:

* ``ears_c3`` (surveillance): with ``c_k = (y_k − mean(R_k)) / max(sd(R_k), min_sigma)``
  on the C2 reference, ``UB_t = max(0, y_t + σ_t (z − [max(0, c_{t−2} − 1) +
  max(0, c_{t−1} − 1)]))``, so the alarm ``y_t > UB_t`` holds iff the two *previous*
  weeks' excess exceeds z (and y_t > 0): the current week's C2 never enters. On the
  reference series A_mid this misses the spike of week 55 (C2 = 3.00) and alarms at
  weeks 56–57 instead.
* ``ears_c3_cdc`` (Hutwagner et al. 2003, the CDC's C3): ``C3_t = Σ_{k=t−2..t}
  max(0, C2_k − 1)``, signal when C3_t exceeds 2 (the CDC's fixed threshold).

Edge cases, as in surveillance (IEEE arithmetic, no ``na.rm``): a NaN count anywhere in
a week's reference window leaves the week undecided; on a zero-variance reference with
``min_sigma = 0`` C1/C2's bound is the mean, so after seven zero weeks any count ≥ 1
alarms, while C3's 0/0 leaves the weeks it touches undecided. ``min_sigma > 0`` (Burkom)
floors the standard deviation and avoids both.

References
----------
L. C. Hutwagner, W. W. Thompson, G. M. Seeman, T. Treadwell, "The bioterrorism
preparedness and response Early Aberration Reporting System (EARS)", J. Urban Health 80
(2003) i89–i96. M. Salmon, D. Schumacher, M. Höhle, "Monitoring count time series in R:
aberration detection in public health surveillance", J. Stat. Softw. 70(10) (2016).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from zhiliang.lib.signals.detection import Counts, Detection, FloatArray, as_counts, shaped

__all__ = ["CDC_C3_THRESHOLD", "ears_c1", "ears_c2", "ears_c3", "ears_c3_cdc"]

#: The CDC's fixed C3 threshold (Hutwagner et al. 2003).
CDC_C3_THRESHOLD = 2.0
#: C2's guard band: the reference ends three weeks before the tested week.
_C2_GUARD = 2


def ears_c1(
    counts: Counts, *, baseline: int = 7, alpha: float = 0.001, min_sigma: float = 0.0
) -> Detection:
    """EARS C1: week t against the ``baseline`` weeks just before it.

    Parameters
    ----------
    counts : array, series × weeks
        Weekly counts, oldest first; NaN for a missing week.
    baseline : int
        Reference weeks (surveillance's ``baseline``, ≥ 3).
    alpha : float
        One-sided level: the bound is mean + z_{1−α}·sd (0.001 → z = 3.090; the CDC's
        fixed 3 is α ≈ 0.00135).
    min_sigma : float
        Floor for the reference standard deviation (surveillance's ``minSigma``).

    Returns
    -------
    Detection
        ``expected`` the reference mean, ``upperbound`` as above, ``statistic`` the C1
        value ``(y − mean)/max(sd, min_sigma)`` (±inf, or NaN when y equals the mean, on
        a zero-variance reference with ``min_sigma = 0``), ``p_value`` NaN, ``alarm``
        ``y > upperbound``. Weeks before ``baseline + 1`` are undecided.
    """
    return _c1_c2(counts, baseline=baseline, guard=0, alpha=alpha, min_sigma=min_sigma)


def ears_c2(
    counts: Counts, *, baseline: int = 7, alpha: float = 0.001, min_sigma: float = 0.0
) -> Detection:
    """EARS C2: as :func:`ears_c1` with the reference weeks t − baseline − 2 … t − 3.

    The first week tested is ``baseline + 3``. Parameters and outputs as in
    :func:`ears_c1`.
    """
    return _c1_c2(counts, baseline=baseline, guard=_C2_GUARD, alpha=alpha, min_sigma=min_sigma)


def ears_c3(
    counts: Counts, *, baseline: int = 7, alpha: float = 0.025, min_sigma: float = 0.0
) -> Detection:
    """EARS C3 exactly as R ``surveillance::earsC`` computes it (compatibility mode).

    ``UB_t = max(0, y_t + σ_t·(z_{1−α} − L_t))`` with ``L_t = max(0, c_{t−2} − 1) +
    max(0, c_{t−1} − 1)``, c the C2 statistic and σ_t = max(sd, min_sigma) of week t's
    C2 reference; alarm ``y_t > UB_t``. The current week's own C2 does not enter, so
    this is not the CDC's C3: use :func:`ears_c3_cdc` for that.

    Returns
    -------
    Detection
        ``expected`` the C2 reference mean of week t, ``upperbound`` UB_t,
        ``statistic`` L_t (the alarm holds iff L_t > z and y_t > 0 when σ_t > 0),
        ``p_value`` NaN. The first week tested is ``baseline + 5``.
    """
    y, one = as_counts(counts)
    z = _z(alpha)
    _check(baseline, min_sigma)
    mean, sigma = _reference(y, baseline, _C2_GUARD, min_sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.maximum(0.0, (y - mean) / sigma - 1.0)
        lagged = _lag(excess, 2) + _lag(excess, 1)
        upperbound = np.maximum(0.0, y + sigma * (z - lagged))
    return shaped(_verdict(y, mean, upperbound, lagged), one)


def ears_c3_cdc(
    counts: Counts,
    *,
    baseline: int = 7,
    threshold: float = CDC_C3_THRESHOLD,
    min_sigma: float = 0.0,
) -> Detection:
    """EARS C3 as the CDC defines it: the excess of C2 over 1, summed over three weeks.

    ``C3_t = Σ_{k=t−2..t} max(0, c_k − 1)`` with c the C2 statistic; alarm when
    ``C3_t > threshold`` (the CDC's 2).

    Returns
    -------
    Detection
        ``expected`` the C2 reference mean of week t, ``statistic`` C3_t, ``upperbound``
        the count above which week t signals: ``mean + σ·(1 + threshold − L_t)`` with
        L_t the two previous weeks' part of C3_t — ``-inf`` when L_t alone exceeds the
        threshold (any count signals then), ``p_value`` NaN. The first week tested is
        ``baseline + 5``; a week whose C3 is undefined (0/0 on a zero-variance
        reference with ``min_sigma = 0``) is undecided.
    """
    y, one = as_counts(counts)
    if not threshold >= 0:
        raise ValueError(f"threshold must be at least 0, got {threshold}")
    _check(baseline, min_sigma)
    mean, sigma = _reference(y, baseline, _C2_GUARD, min_sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.maximum(0.0, (y - mean) / sigma - 1.0)
        lagged = _lag(excess, 2) + _lag(excess, 1)
        statistic = lagged + excess
        upperbound = np.where(
            lagged <= threshold, mean + sigma * (1.0 + threshold - lagged), -np.inf
        )
    upperbound[np.isnan(lagged)] = np.nan
    decided = ~np.isnan(statistic)
    alarm = decided & (statistic > threshold)
    return shaped(
        Detection(
            expected=mean,
            upperbound=upperbound,
            statistic=statistic,
            p_value=np.full_like(y, np.nan),
            alarm=alarm,
            decided=decided,
        ),
        one,
    )


# --- shared steps --------------------------------------------------------------------------


def _c1_c2(
    counts: Counts, *, baseline: int, guard: int, alpha: float, min_sigma: float
) -> Detection:
    y, one = as_counts(counts)
    z = _z(alpha)
    _check(baseline, min_sigma)
    mean, sigma = _reference(y, baseline, guard, min_sigma)
    upperbound = mean + z * sigma
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = (y - mean) / sigma
    return shaped(_verdict(y, mean, upperbound, statistic), one)


def _verdict(
    y: FloatArray, mean: FloatArray, upperbound: FloatArray, statistic: FloatArray
) -> Detection:
    """Alarm ``y > upperbound`` where both are known (R: ``observed > upperbound``)."""
    decided = ~(np.isnan(upperbound) | np.isnan(y))
    return Detection(
        expected=mean,
        upperbound=upperbound,
        statistic=statistic,
        p_value=np.full_like(y, np.nan),
        alarm=decided & (y > upperbound),
        decided=decided,
    )


def _reference(
    y: FloatArray, baseline: int, guard: int, min_sigma: float
) -> tuple[FloatArray, FloatArray]:
    """Mean and max(sd, min_sigma) of weeks t − guard − baseline … t − guard − 1, per week t.

    NaN where the window starts before the series or holds a NaN. Sums run over
    ``baseline`` shifted slices (two passes, as R's ``mean`` and ``sd``), so memory stays
    at a few series × weeks arrays whatever the baseline.
    """
    series, weeks = y.shape
    mean = np.full((series, weeks), np.nan)
    sigma = np.full((series, weeks), np.nan)
    first = baseline + guard  # the first week (0-based) with a full window
    span = weeks - first
    if span <= 0:
        return mean, sigma
    total = np.zeros((series, span))
    for k in range(baseline):
        total += y[:, k : k + span]
    window_mean = total / baseline
    squares = np.zeros((series, span))
    for k in range(baseline):
        deviation = y[:, k : k + span] - window_mean
        squares += deviation * deviation
    mean[:, first:] = window_mean
    sigma[:, first:] = np.maximum(np.sqrt(squares / (baseline - 1)), min_sigma)
    return mean, sigma


def _lag(values: FloatArray, weeks: int) -> FloatArray:
    """The values ``weeks`` weeks earlier (NaN for the first weeks)."""
    lagged = np.full_like(values, np.nan)
    lagged[:, weeks:] = values[:, :-weeks]
    return lagged


def _z(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return NormalDist().inv_cdf(1 - alpha)


def _check(baseline: int, min_sigma: float) -> None:
    if isinstance(baseline, bool) or not isinstance(baseline, int | np.integer):
        raise ValueError(f"baseline must be a whole number of weeks, got {baseline!r}")
    if baseline < 3:  # surveillance: "Minimum baseline to use is 3."
        raise ValueError(f"baseline must be at least 3 weeks, got {baseline}")
    if not (min_sigma >= 0 and math.isfinite(min_sigma)):
        raise ValueError(f"min_sigma must be a finite number ≥ 0, got {min_sigma}")
