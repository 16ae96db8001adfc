"""NSSP's EWMA detector (ESSENCE), vectorised over all series (SIGNALS.md §1.2).

Two exponentially weighted moving averages of the counts, Z_k,t = w_k y_t + (1 − w_k)
Z_k,t−1 with Z_k,1 = y_1 (w₁ = 0.4 for gradual, w₂ = 0.9 for sudden rises), are compared
with the mean μ_t and standard deviation s_t of a baseline of L_t weeks that ends
``guard`` weeks before t. With ν = L − 1 and t-quantiles rounded to 5 decimals::

    c(w)      = sqrt(w/(2 − w) + 1/L − 2(1 − w)^{g+1} (1 − (1 − w)^L)/L)
    const(w)  = (0.1289 − (0.2414 − 0.1826 (1 − w)⁴) ln 0.5) · w/ucl_warn
    σ_k       = max(min_sigma(w_k), s_t c(w_k) + const(w_k))
    T_k       = (Z_k,t − μ_t)/σ_k,   p_k = 1 − F_t(T_k; ν)

The smaller p (ties: the w₂ one) and its T are reported. When |T_k| exceeds
ucl_alert = t_{0.99,ν} the *stored* Z_k,t is pulled back to μ_t ± ucl_alert·σ_k, so one
outlier does not keep later weeks high (the reported T is the unclamped one). NSSP
colours a week red for p < 0.01, yellow for p < 0.05, blue otherwise, grey when untested
(:func:`nssp_alert`); ``alarm`` here is p < ``alpha`` (0.01: red).

Two CDC ports differ (both are offered; the registry names them):

============================  ==========================  ==========================
                              ``ewma`` (Rnssp 0.3.1)      ``ewma_pynssp`` (0.1.0)
============================  ==========================  ==========================
first week tested (g = 2)     10 (baseline ≥ 7 weeks)     14 (baseline ≥ 11 weeks)
longest baseline              B (28)                      B + 1 (29): its 0-based
                                                          port of ``last(ndx) < B``
ucl_warn                      t_{0.95,ν}                  t_{0.975,ν}
min_sigma(w)                  w/ucl_warn·(0.01 +          w/ucl_warn·(1 +
                              0.05(1 − w)²)               0.5(1 − w)²)
series with max(y) < 1        divided by the median of    as is
                              its positive values
============================  ==========================  ==========================

``ewma`` follows Rnssp 0.3.1, NSSP's current R code (the pynssp issues #7/#8 to port it
to Python are closed without a release). pynssp's longer baseline is an off-by-one of its
port and its min_sigma floor is 100× Rnssp's (on an all-zero baseline σ₂ = 0.44 against
0.157), so it is less sensitive on sparse series; ``ewma_pynssp`` reproduces it for
comparison with sites that run pynssp.

A missing count makes every later Z NaN (the recursion): the series is undecided from
there on, as in both ports. The references refuse series shorter than B + g + 1; here
such a series simply has fewer (or no) tested weeks. The p-value is 1 − F as in both
ports, so it bottoms out near 1e−16; the alarm and the colours are unaffected.

References
----------
Rnssp 0.3.1 ``alert_ewma`` and pynssp 0.1.0 ``alert_ewma`` (CDC NSSP, Apache-2.0).
H. S. Burkom, "Development, adaptation, and assessment of alerting algorithms for
biosurveillance", Johns Hopkins APL Technical Digest 24 (2003) 335–342.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from scipy import special

from zhiliang.lib.signals.detection import Counts, Detection, FloatArray, as_counts, shaped

__all__ = ["NSSP_RED", "NSSP_YELLOW", "ewma", "ewma_pynssp", "nssp_alert"]

#: NSSP's alert levels: red below 0.01, yellow below 0.05.
NSSP_RED = 0.01
NSSP_YELLOW = 0.05
_LN_HALF = math.log(10 * 0.05)  # written ln(10·0.05) in both ports


@dataclass(frozen=True)
class _Port:
    min_baseline: int
    extra_baseline: int  # the longest baseline is B + this
    warn_quantile: float
    min_sigma_base: float
    min_sigma_slope: float
    scale_percent: bool


_RNSSP_031 = _Port(7, 0, 0.95, 0.01, 0.05, True)
_PYNSSP_010 = _Port(11, 1, 0.975, 1.0, 0.5, False)


def ewma(
    counts: Counts,
    *,
    baseline: int = 28,
    guard: int = 2,
    w1: float = 0.4,
    w2: float = 0.9,
    alpha: float = NSSP_RED,
) -> Detection:
    """NSSP EWMA as Rnssp 0.3.1 ``alert_ewma(B=28, g=2, w1=0.4, w2=0.9)``.

    Parameters
    ----------
    counts : array, series × weeks
        Weekly counts, oldest first; NaN for a missing week.
    baseline : int
        B, the longest baseline in weeks (≥ 7).
    guard : int
        g, weeks between the baseline and the tested week (≥ 0).
    w1, w2 : float
        Smoothing weights in (0, 1]: gradual and sudden.
    alpha : float
        The week alarms when its p-value is below alpha (NSSP's red: 0.01).

    Returns
    -------
    Detection
        ``expected`` μ_t, ``statistic`` T and ``p_value`` p of the EWMA with the smaller
        p, ``upperbound`` the count above which the week alarms (the smaller of the two
        EWMAs' bounds), ``alarm`` p < alpha. Weeks before ``7 + guard + 1`` are undecided.
    """
    return _ewma(counts, _RNSSP_031, baseline, guard, w1, w2, alpha)


def ewma_pynssp(
    counts: Counts,
    *,
    baseline: int = 28,
    guard: int = 2,
    w1: float = 0.4,
    w2: float = 0.9,
    alpha: float = NSSP_RED,
) -> Detection:
    """NSSP EWMA as pynssp 0.1.0 ``alert_ewma`` (compatibility mode; see the module notes).

    As :func:`ewma` but with pynssp's baseline of up to B + 1 weeks (first week tested
    ``11 + guard + 1``), its t_{0.975} warning quantile and its larger min_sigma.
    """
    return _ewma(counts, _PYNSSP_010, baseline, guard, w1, w2, alpha)


def nssp_alert(p_value: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """NSSP's colour of each week: red p < 0.01, yellow p < 0.05, blue, grey if untested."""
    p = np.asarray(p_value, dtype=np.float64)
    colour = np.full(p.shape, "grey", dtype="<U6")
    colour[p >= NSSP_YELLOW] = "blue"
    colour[(p >= NSSP_RED) & (p < NSSP_YELLOW)] = "yellow"
    colour[p < NSSP_RED] = "red"
    return colour


def _ewma(
    counts: Counts, port: _Port, baseline: int, guard: int, w1: float, w2: float, alpha: float
) -> Detection:
    y, one = as_counts(counts)
    _check(baseline, guard, w1, w2, alpha)
    if port.scale_percent:
        y = _scaled_percentages(y)
    series, weeks = y.shape
    longest = baseline + port.extra_baseline
    first = port.min_baseline + guard  # 0-based index of the first week tested

    # Week-major copies: each week's values for all series are contiguous, so the loop
    # over weeks reads and writes whole rows (3× faster than strided columns).
    yw = np.ascontiguousarray(y.T)
    expected, upperbound = np.full((weeks, series), np.nan), np.full((weeks, series), np.nan)
    tests = [np.full((weeks, series), np.nan), np.full((weeks, series), np.nan)]
    dfs = np.full((weeks, 1), np.nan)
    weights = (w1, w2)
    z = [yw[0].copy(), yw[0].copy()]
    for t in range(1, min(first, weeks)):
        for k, w in enumerate(weights):
            z[k] = w * yw[t] + (1 - w) * z[k]

    for t in range(first, weeks):
        length = min(t - guard, longest)
        window = yw[t - guard - length : t - guard]
        mu = window.mean(axis=0)
        sd = window.std(axis=0, ddof=1)
        df = length - 1
        ucl_alert, ucl_warn, q_alarm = _quantiles(df, port.warn_quantile, alpha)
        bound = np.full(series, np.inf)
        for k, w in enumerate(weights):
            correction = math.sqrt(
                w / (2 - w)
                + 1 / length
                - 2 * (1 - w) ** (guard + 1) * (1 - (1 - w) ** length) / length
            )
            min_sigma = (w / ucl_warn) * (port.min_sigma_base + port.min_sigma_slope * (1 - w) ** 2)
            constant = (0.1289 - (0.2414 - 0.1826 * (1 - w) ** 4) * _LN_HALF) * (w / ucl_warn)
            sigma = np.maximum(min_sigma, sd * correction + constant)
            # The count that would bring this EWMA's T to the alarm quantile.
            bound = np.fmin(bound, (mu + q_alarm * sigma - (1 - w) * z[k]) / w)
            z[k] = w * yw[t] + (1 - w) * z[k]
            test = (z[k] - mu) / sigma
            with np.errstate(invalid="ignore"):
                outlying = np.abs(test) > ucl_alert
            z[k] = np.where(outlying, mu + np.sign(test) * ucl_alert * sigma, z[k])
            tests[k][t] = test
        expected[t] = mu
        upperbound[t] = bound
        dfs[t] = df

    # Both ports keep the smaller p (ties: w₂). p falls as T rises and both EWMAs share ν,
    # so that is the larger T, and one p-value per week is enough; where the two p-values
    # could tie in double precision (p near 0) the w₂ one is checked as the ports do.
    with np.errstate(invalid="ignore"):
        first_larger = tests[0] > tests[1]
    statistic = np.where(first_larger, tests[0], tests[1])
    p_value = 1 - special.stdtr(dfs, statistic)
    near_zero = np.flatnonzero(first_larger & (p_value < 1e-12))
    if near_zero.size:
        rows, columns = np.unravel_index(near_zero, p_value.shape)
        second = 1 - special.stdtr(dfs[rows, 0], tests[1][rows, columns])
        tie = second == p_value[rows, columns]
        statistic[rows[tie], columns[tie]] = tests[1][rows[tie], columns[tie]]

    decided = ~np.isnan(p_value)
    upperbound[~decided] = np.nan
    with np.errstate(invalid="ignore"):
        alarm = decided & (p_value < alpha)
    return shaped(
        Detection(
            expected=np.ascontiguousarray(expected.T),
            upperbound=np.ascontiguousarray(upperbound.T),
            statistic=np.ascontiguousarray(statistic.T),
            p_value=np.ascontiguousarray(p_value.T),
            alarm=np.ascontiguousarray(alarm.T),
            decided=np.ascontiguousarray(decided.T),
        ),
        one,
    )


@cache
def _quantiles(df: int, warn_quantile: float, alpha: float) -> tuple[float, float, float]:
    """ucl_alert = round(t_{0.99,ν}, 5), ucl_warn = round(t_{warn,ν}, 5), and t_{1−α,ν}."""
    return (
        round(float(special.stdtrit(df, 1 - 0.01)), 5),
        round(float(special.stdtrit(df, warn_quantile)), 5),
        float(special.stdtrit(df, 1 - alpha)),
    )


def _scaled_percentages(y: FloatArray) -> FloatArray:
    """Rnssp 0.3.1: a series whose values are all below 1 (a percentage series) is
    divided by the median of its positive values."""
    with np.errstate(invalid="ignore"):
        rows = np.flatnonzero((np.nanmax(y, axis=1) < 1) & (np.nanmax(y, axis=1) > 0))
    if rows.size == 0:
        return y
    scaled = y.copy()
    for i in rows:
        positive = y[i][y[i] > 0]
        scaled[i] = y[i] / np.median(positive)
    return scaled


def _check(baseline: int, guard: int, w1: float, w2: float, alpha: float) -> None:
    for name, value in (("baseline", baseline), ("guard", guard)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"{name} must be a whole number of weeks, got {value!r}")
    if baseline < 7:  # both ports: "baseline length argument B must be ≥ 7"
        raise ValueError(f"baseline must be at least 7 weeks, got {baseline}")
    if guard < 0:
        raise ValueError(f"guard cannot be negative, got {guard}")
    for name, w in (("w1", w1), ("w2", w2)):
        if not 0 < w <= 1:
            raise ValueError(f"{name} must be in (0, 1], got {w}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
