"""NSSP's adaptive multiple regression and regression/EWMA switch, vectorised over all
series (SIGNALS.md §1.3–1.4).

**Regression.** At each time t an ordinary least-squares line is fitted to a baseline of
L_t points ending ``guard`` points before t (L grows from 11 to B, then slides), and
its forecast for t is compared with the count::

    design     [1, time 1..L, Mon..Sat]      daily dates (Sunday is the reference day)
               [1, time 1..L]                weekly counts (no day of the week)
    ν          L − p                          p = 8 daily, 2 weekly
    mse        SSR/ν;  adjusted R² = 1 − (1 − R²)(L − 1)/ν (0 where undefined)
    σ          max(sqrt(mse · f_L), min_sigma(ν))
    μ̂          max(0, forecast at time L + g + 1)
    T          (y_t − μ̂)/σ,   p = 1 − F_t(T; ν)

f_L is the factor 1 + x₀'(X'X)⁻¹x₀ of the forecast's prediction variance. Both CDC
ports write it as (L + 7)(L − 4)/(L(L − 7)) — for the daily design that is exact when L
is a multiple of 7 (2.86 against 2.5 at L = 11) — so the daily design uses their form;
the weekly design, which neither port can run, uses its own exact factor
1 + 1/L + (L + g + 1 − (L + 1)/2)²/(L(L² − 1)/12). ``alarm`` is p < ``alpha`` (NSSP's
red, 0.01); ``upperbound`` is the count at which p reaches alpha.

**Switch.** The regression's week is kept where its adjusted R² is at least 0.60,
otherwise the EWMA's (:mod:`~zhiliang.lib.signals.ewma`, same B and g) is used, also
where the regression has no fit yet (its R² is missing), as both ports join them.

The variants (``variant=``) follow the two CDC ports, which differ:

===============================  =========================  ===========================
                                 ``rnssp`` (0.3.1, default)  ``pynssp`` (0.1.0)
===============================  =========================  ===========================
min_sigma(ν)                     0.01 / round(t_{0.95,ν},5)  1.01 / round(t_{0.95,ν+1},5)
down-slope rule (below)          yes                         no
EWMA of the switch               Rnssp's (``ewma``)          pynssp's (``ewma_pynssp``)
===============================  =========================  ===========================

pynssp's min_sigma is 101× Rnssp's, and it reads its table of t-quantiles (df 1..B − 3)
with the 1-based index of the R code, so it takes the quantile of ν + 1 degrees of freedom
(reproduced under ``pynssp`` only). On the reference series the two agree on the
expected counts; their p-values part where the floor binds (sparse series).

Rnssp 0.3.1's down-slope rule (PR #19): a week whose colour is not blue is set to blue
when its count is below the mean of the last 7 counts (itself included); on Saturdays and
Sundays only if the count is also below the mean of the last 7 counts of the same
weekday. Two quirks of Rnssp are kept, each under its name:

* ``rnssp`` (a single series in Rnssp): the rule also recolours untested (grey) weeks
  blue, since grey is "not blue". Such weeks stay undecided here (no test ran); only
  :attr:`RegressionDetection.colour` shows Rnssp's blue.
* ``rnssp-grouped`` (a grouped data frame in Rnssp, as ESSENCE runs many series): the
  same rule sets the week to **grey** instead, so a suppressed week is undecided. The
  alarm is the same in both.

On weekly counts the 7 last counts are 7 weeks, and the weekday test adds nothing (every
week is on the same weekday: Rnssp's code would compare with the same mean twice).

Missing counts: a NaN in a baseline leaves the weeks whose baseline holds it undecided
(B weeks; adjusted R² 0, as pynssp reports, so the switch takes the EWMA there), as does
a NaN count in the tested week. (Rnssp's ``lm.fit`` stops on a NaN instead.)

Both ports require B to be a multiple of 7 and at least 7, but with B < 11 their
baseline (11 points at the start) and time index (1..B) differ in length and they fail,
so B ≥ 11 is required here (and a multiple of 7 for daily dates).
They refuse series shorter than B + g + 1; here such a series has fewer tested points.

References
----------
Rnssp 0.3.1 ``alert_regression``/``alert_switch`` and pynssp 0.1.0 ``alert_regression``/
``alert_switch`` (CDC NSSP, Apache-2.0). H. S. Burkom, "Development, adaptation, and
assessment of alerting algorithms for biosurveillance", Johns Hopkins APL Technical Digest
24 (2003) 335–342.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from zhiliang.lib.signals.detection import (
    BoolArray,
    Counts,
    Detection,
    FloatArray,
    as_counts,
    shaped,
)
from zhiliang.lib.signals.ewma import NSSP_RED, NSSP_YELLOW, ewma, ewma_pynssp

__all__ = [
    "NSSP_COLOURS",
    "SWITCH_R_SQUARED",
    "RegressionDetection",
    "SwitchDetection",
    "Variant",
    "regression",
    "switch",
]

Variant = Literal["rnssp", "rnssp-grouped", "pynssp"]
VARIANTS: tuple[Variant, ...] = ("rnssp", "rnssp-grouped", "pynssp")
#: NSSP's alert colours, indexed by the ``colour`` codes of the detections.
NSSP_COLOURS = ("grey", "blue", "yellow", "red")
_GREY, _BLUE, _YELLOW, _RED = range(4)
#: The switch keeps the regression where its adjusted R² is at least this.
SWITCH_R_SQUARED = 0.60
#: Both ports: the baseline starts at 11 points.
MIN_BASELINE = 11
_DAILY_TERMS = 8  # intercept, time, Mon..Sat
_WEEKLY_TERMS = 2  # intercept, time
_SATURDAY, _SUNDAY = 5, 6  # date.weekday()

ColourArray = npt.NDArray[np.int8]


@dataclass(frozen=True, eq=False)
class RegressionDetection(Detection):
    """A :class:`Detection` with the regression's σ, fit and NSSP colour per week.

    Attributes
    ----------
    sigma : float array
        σ of the test statistic (NaN where untested).
    adjusted_r_squared : float array
        Adjusted R² of the week's fit (0 where the baseline is constant or has a NaN;
        NaN before the first fit).
    colour : int8 array
        NSSP's colour as the reference reports it: an index into :data:`NSSP_COLOURS`
        (0 grey, 1 blue, 2 yellow, 3 red), after Rnssp's down-slope rule.
    """

    sigma: FloatArray
    adjusted_r_squared: FloatArray
    colour: ColourArray

    def colours(self) -> npt.NDArray[np.str_]:
        """The colours as NSSP's names."""
        return np.asarray(NSSP_COLOURS)[self.colour]


@dataclass(frozen=True, eq=False)
class SwitchDetection(Detection):
    """A :class:`Detection` of the switch, with which detector each week comes from.

    Attributes
    ----------
    adjusted_r_squared : float array
        The regression's adjusted R² (the switch's criterion).
    regression : bool array
        True where the week is the regression's (adjusted R² ≥ 0.60), False where it
        is the EWMA's. The ports' ``detector`` column is NaN where the statistic is.
    colour : int8 array
        NSSP's colour, as in :class:`RegressionDetection`.
    """

    adjusted_r_squared: FloatArray
    regression: BoolArray
    colour: ColourArray

    def colours(self) -> npt.NDArray[np.str_]:
        """The colours as NSSP's names."""
        return np.asarray(NSSP_COLOURS)[self.colour]


def regression(
    counts: Counts,
    *,
    dates: Sequence[datetime.date] | None = None,
    baseline: int = 28,
    guard: int = 2,
    alpha: float = NSSP_RED,
    variant: Variant = "rnssp",
) -> RegressionDetection:
    """NSSP adaptive multiple regression as Rnssp 0.3.1 ``alert_regression(B=28, g=2)``.

    Parameters
    ----------
    counts : array, series × time points
        Counts, oldest first; NaN where missing.
    dates : sequence of dates, optional
        The date of each point: consecutive days (the ports' daily design, with
        day-of-week terms) or weeks seven days apart (no day-of-week terms). Without
        dates the points are weeks.
    baseline : int
        B, the longest baseline in points (≥ 11; a multiple of 7 for daily dates).
    guard : int
        g, points between the baseline and the tested point (≥ 0).
    alpha : float
        The point alarms when its p-value is below alpha (NSSP's red: 0.01).
    variant : {"rnssp", "rnssp-grouped", "pynssp"}
        Which CDC port to follow (module notes).

    Returns
    -------
    RegressionDetection
        ``expected`` μ̂, ``upperbound`` the count at which p = alpha, ``statistic`` T,
        ``p_value`` p, ``alarm`` p < alpha unless the down-slope rule suppressed it;
        ``sigma``, ``adjusted_r_squared`` and NSSP's ``colour``. Points before
        ``11 + guard + 1`` are undecided.
    """
    y, one = as_counts(counts)
    _check(variant, guard, alpha)
    weekdays = _weekdays(dates, y.shape[1])
    _check_baseline(baseline, daily=weekdays is not None)
    fit = _fit(y, weekdays, baseline, guard, alpha, pynssp=variant == "pynssp")
    colour = _colour_codes(fit.p_value)
    decided = ~np.isnan(fit.p_value)
    with np.errstate(invalid="ignore"):
        alarm = decided & (fit.p_value < alpha)
    if variant != "pynssp":
        suppressed = _down_slope(y, colour, weekdays)
        alarm &= ~suppressed
        if variant == "rnssp":
            colour[suppressed] = _BLUE
        else:
            colour[suppressed] = _GREY
            decided &= ~suppressed
    return shaped(
        RegressionDetection(
            expected=fit.expected,
            upperbound=np.where(decided, fit.upperbound, np.nan),
            statistic=fit.statistic,
            p_value=fit.p_value,
            alarm=alarm,
            decided=decided,
            sigma=fit.sigma,
            adjusted_r_squared=fit.adjusted_r_squared,
            colour=colour,
        ),
        one,
    )


def switch(
    counts: Counts,
    *,
    dates: Sequence[datetime.date] | None = None,
    baseline: int = 28,
    guard: int = 2,
    w1: float = 0.4,
    w2: float = 0.9,
    alpha: float = NSSP_RED,
    variant: Variant = "rnssp",
) -> SwitchDetection:
    """NSSP regression/EWMA switch as Rnssp 0.3.1 ``alert_switch(B=28, g=2, w1=0.4, w2=0.9)``.

    Each point is the regression's (:func:`regression`) where its adjusted R² is at
    least 0.60 and the EWMA's (:func:`~zhiliang.lib.signals.ewma.ewma`, or
    ``ewma_pynssp`` for ``variant="pynssp"``) otherwise. Parameters as in
    :func:`regression`, with the EWMA's smoothing weights ``w1`` and ``w2``.

    Returns
    -------
    SwitchDetection
        The chosen detector's ``expected``, ``upperbound``, ``statistic``, ``p_value``,
        ``alarm`` and ``colour``; ``regression`` where that is the regression. The
        first points tested are the EWMA's (from ``7 + guard + 1`` with Rnssp, from
        ``11 + guard + 1`` with pynssp).
    """
    y, one = as_counts(counts)
    _check(variant, guard, alpha)
    weekdays = _weekdays(dates, y.shape[1])
    _check_baseline(baseline, daily=weekdays is not None)
    smoothed = (ewma_pynssp if variant == "pynssp" else ewma)(
        y, baseline=baseline, guard=guard, w1=w1, w2=w2, alpha=alpha
    )
    fitted = regression(
        y, dates=dates, baseline=baseline, guard=guard, alpha=alpha, variant=variant
    )
    with np.errstate(invalid="ignore"):
        chosen = fitted.adjusted_r_squared >= SWITCH_R_SQUARED
    return shaped(
        SwitchDetection(
            expected=np.where(chosen, fitted.expected, smoothed.expected),
            upperbound=np.where(chosen, fitted.upperbound, smoothed.upperbound),
            statistic=np.where(chosen, fitted.statistic, smoothed.statistic),
            p_value=np.where(chosen, fitted.p_value, smoothed.p_value),
            alarm=np.where(chosen, fitted.alarm, smoothed.alarm),
            decided=np.where(chosen, fitted.decided, smoothed.decided),
            adjusted_r_squared=fitted.adjusted_r_squared,
            regression=chosen,
            colour=np.where(chosen, fitted.colour, _colour_codes(smoothed.p_value)),
        ),
        one,
    )


@dataclass(frozen=True)
class _Design:
    """What every series shares at one tested point: an orthonormal basis of the
    centred design's columns and the forecast's weights on the counts, stacked (the
    last row), and the constants of the test."""

    rows: FloatArray  # (terms − 1) basis rows and the forecast weights: terms × L
    forecast_total: float  # Σ forecast weights (1 up to rounding)
    df: int
    factor: float  # 1 + x₀'(X'X)⁻¹x₀, as the ports write it
    min_sigma: float
    quantile: float  # t_{1−α, ν}


@dataclass(frozen=True)
class _Fit:
    expected: FloatArray
    upperbound: FloatArray
    statistic: FloatArray
    p_value: FloatArray
    sigma: FloatArray
    adjusted_r_squared: FloatArray


def _fit(
    y: FloatArray,
    weekdays: npt.NDArray[np.intp] | None,
    baseline: int,
    guard: int,
    alpha: float,
    *,
    pynssp: bool,
) -> _Fit:
    """The regression at every testable point, all series at once.

    With the baseline centred (W − ȳ), the explained sum of squares is that of its
    coordinates on an orthonormal basis Q of the centred design columns, so one product
    [Q'; a'] W gives R², the residual sum of squares TSS − ‖Q'W‖² and the forecast
    a'W + ȳ Σa (a = pinv(X)'x₀) for every series, instead of solving for β and
    forming residuals.
    """
    series, points = y.shape
    # Point-major copies: a baseline is a block of contiguous rows (as in ewma).
    yw = np.ascontiguousarray(y.T)
    shape = (points, series)
    expected, upperbound = np.full(shape, np.nan), np.full(shape, np.nan)
    statistic, sigma = np.full(shape, np.nan), np.full(shape, np.nan)
    r_squared = np.full(shape, np.nan)
    dfs = np.full((points, 1), np.nan)
    for t in range(MIN_BASELINE + guard, points):
        length = min(t - guard, baseline)
        start = t - guard - length
        if weekdays is None:
            d = _weekly_design(length, guard, alpha, pynssp)
        else:
            d = _daily_design(length, int(weekdays[start]), guard, alpha, pynssp)
        window = yw[start : t - guard]
        mean = window.mean(axis=0)
        centred = window - mean
        total = np.einsum("ls,ls->s", centred, centred)
        # einsum rather than @: OpenBLAS threads this thin product, which then runs up to
        # ten times slower on a loaded 2-core machine.
        coordinates = np.einsum("kl,ls->ks", d.rows, centred)
        explained = np.einsum("ks,ks->s", coordinates[:-1], coordinates[:-1])
        # ≥ 0 in exact arithmetic; NaN (a missing count) stays NaN.
        residual = np.maximum(total - explained, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            adjusted = 1 - (residual / total) * (length - 1) / d.df
        # 0/0 (a constant baseline) and a NaN in the baseline: both ports report 0.
        r_squared[t] = np.where(np.isnan(adjusted), 0.0, adjusted)
        s = np.maximum(np.sqrt(residual / d.df * d.factor), d.min_sigma)
        mu = np.maximum(coordinates[-1] + mean * d.forecast_total, 0.0)
        expected[t], sigma[t] = mu, s
        statistic[t] = (yw[t] - mu) / s
        upperbound[t] = mu + d.quantile * s
        dfs[t] = d.df
    p_value = 1 - special.stdtr(dfs, statistic)
    # Series × points views of the point-major arrays (copying them costs more than all
    # the rest on a loaded machine).
    return _Fit(
        expected=expected.T,
        upperbound=upperbound.T,
        statistic=statistic.T,
        p_value=p_value.T,
        sigma=sigma.T,
        adjusted_r_squared=r_squared.T,
    )


@cache
def _weekly_design(length: int, guard: int, alpha: float, pynssp: bool) -> _Design:
    """[1, time 1..L]; its exact prediction-variance factor at L + g + 1."""
    time = np.arange(1, length + 1, dtype=np.float64)
    design = np.column_stack([np.ones(length), time])
    now = length + guard + 1
    factor = 1 + 1 / length + (now - (length + 1) / 2) ** 2 / (length * (length**2 - 1) / 12)
    return _design(design, np.array([1.0, now]), length - _WEEKLY_TERMS, factor, alpha, pynssp)


@cache
def _daily_design(length: int, first_day: int, guard: int, alpha: float, pynssp: bool) -> _Design:
    """[1, time 1..L, Mon..Sat] for a baseline starting on weekday ``first_day``, and
    the forecast row of the tested day L + g + 1 points later (no dummy on a Sunday)."""
    time = np.arange(1, length + 1, dtype=np.float64)
    days = (first_day + np.arange(length)) % 7
    dummies = (days[:, np.newaxis] == np.arange(6)).astype(np.float64)  # Mon..Sat
    design = np.column_stack([np.ones(length), time, dummies])
    now = length + guard + 1
    test_day = (first_day + length + guard) % 7
    forecast = np.concatenate([[1.0, now], (np.arange(6) == test_day).astype(np.float64)])
    # Both ports' closed form: exact for L a multiple of 7.
    factor = (length + 7) * (length - 4) / (length * (length - 7))
    return _design(design, forecast, length - _DAILY_TERMS, factor, alpha, pynssp)


def _design(
    design: FloatArray, forecast: FloatArray, df: int, factor: float, alpha: float, pynssp: bool
) -> _Design:
    basis, _ = np.linalg.qr(design[:, 1:] - design[:, 1:].mean(axis=0))
    weights = np.linalg.pinv(design).T @ forecast
    # min_sigma = c/round(t_{0.95}, 5) from a table over df = 1..B − 3: Rnssp reads it
    # at ν, pynssp's 0-based port at ν + 1.
    floor_df = df + 1 if pynssp else df
    floor = (1.01 if pynssp else 0.01) / round(float(special.stdtrit(floor_df, 0.95)), 5)
    return _Design(
        rows=np.vstack([basis.T, weights]),
        forecast_total=float(weights.sum()),
        df=df,
        factor=factor,
        min_sigma=floor,
        quantile=float(special.stdtrit(df, 1 - alpha)),
    )


def _colour_codes(p_value: FloatArray) -> ColourArray:
    """NSSP's colour of each p-value: red < 0.01 ≤ yellow < 0.05 ≤ blue; grey if NaN."""
    colour = np.full(p_value.shape, _GREY, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        colour[p_value >= NSSP_YELLOW] = _BLUE
        colour[(p_value >= NSSP_RED) & (p_value < NSSP_YELLOW)] = _YELLOW
        colour[p_value < NSSP_RED] = _RED
    return colour


def _down_slope(
    y: FloatArray, colour: ColourArray, weekdays: npt.NDArray[np.intp] | None
) -> BoolArray:
    """Rnssp 0.3.1's rule: non-blue points whose count is below the mean of the last 7
    counts (and, on a Saturday or Sunday, of the last 7 counts of that weekday)."""
    with np.errstate(invalid="ignore"):
        remove = (colour != _BLUE) & (y < _trailing_mean(y, 7, 1))
        if weekdays is not None:
            weekend = np.isin(weekdays, (_SATURDAY, _SUNDAY))
            same_day = y < _trailing_mean(y, 7, 7)
            remove &= ~weekend | same_day
    return np.asarray(remove, dtype=np.bool_)


def _trailing_mean(y: FloatArray, count: int, step: int) -> FloatArray:
    """Mean of y at t, t − step, …, t − (count − 1)·step (zoo's right-aligned rollmean
    over those points); NaN where fewer exist or one is missing."""
    span = (count - 1) * step
    mean = np.full(y.shape, np.nan)
    if span < y.shape[1]:
        total = sum(y[:, span - k * step : y.shape[1] - k * step] for k in range(count))
        mean[:, span:] = total / count
    return mean


def _weekdays(dates: Sequence[datetime.date] | None, points: int) -> npt.NDArray[np.intp] | None:
    """The weekday (Monday 0) of each point for daily dates; None for weekly ones."""
    if dates is None:
        return None
    if len(dates) != points:
        raise ValueError(f"dates must give one date per point: {len(dates)} for {points}")
    ordinals = np.array([d.toordinal() for d in dates], dtype=np.int64)
    steps = set(np.diff(ordinals).tolist())
    if not steps or steps == {7}:
        return None
    if steps == {1}:
        return np.array([d.weekday() for d in dates], dtype=np.intp)
    raise ValueError("dates must be consecutive days or weeks seven days apart")


def _check(variant: str, guard: int, alpha: float) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if isinstance(guard, bool) or not isinstance(guard, int | np.integer) or guard < 0:
        raise ValueError(f"guard must be a whole number ≥ 0, got {guard!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")


def _check_baseline(baseline: int, *, daily: bool) -> None:
    if isinstance(baseline, bool) or not isinstance(baseline, int | np.integer):
        raise ValueError(f"baseline must be a whole number, got {baseline!r}")
    if baseline < MIN_BASELINE:
        raise ValueError(f"baseline must be at least {MIN_BASELINE}, got {baseline}")
    if daily and baseline % 7:
        raise ValueError(f"baseline must be a multiple of 7 days, got {baseline}")
