"""Farrington flexible (and Noufaily's improvements), vectorised over series (SIGNALS.md §1.5).

Follows R ``surveillance::farringtonFlexible`` 1.20 (the same code in 1.26). For each week
t from ``52·b + w + 1`` on and each series:

1. **Baseline.** The reference weeks are the same week 1..b years back: with ``dates``,
   the date j years back (29 February → 1 March) moved to the nearest date of the same
   weekday, as surveillance does with ``epochAsDate``; without, t − 52·j. With
   ``no_periods = 1`` the baseline is the 2w + 1 weeks around each reference week; with
   p > 1 it is every week from the oldest window on, with a p-level factor (level p =
   the windows, levels 1..p−1 the stretches between them, split as evenly as possible,
   the first stretches one week longer). Weeks t − ``past_weeks_not_included`` .. t are
   dropped (so with fewer than w of them some of the current window stays in, as in R),
   and so are missing (NaN) weeks.
2. **Model.** Quasi-Poisson GLM with log link, ``log μ = α + β·wtime (+ seasgroups)
   (+ offset log population)``, fitted as R's ``glm`` fits it
   (:mod:`~zhiliang.lib.signals.quasipoisson`). Without convergence with the trend, the
   model is refitted without; without convergence then, the week is undecided.
3. **Dispersion.** φ = max(1, Pearson χ²/df). With ``reweight``, Anscombe residuals
   ``s = 3/2 (y^{2/3} μ^{−1/6} − μ^{1/2}) / sqrt(φ (1 − h))`` give weights γ s⁻² where
   s > ``weights_threshold`` and γ elsewhere (γ makes them sum to the number of weeks),
   the model is refitted with them and φ recomputed.
4. **Trend.** Kept only if b ≥ 3, its t-test p-value is below ``p_threshold_trend`` and
   the predicted count is not above every baseline count; otherwise steps 2–3 are redone
   without it.
5. **Threshold** at level 1 − α from the prediction μ₀ = exp(η₀) and its ``se.fit``:

   * quirk kept for parity: after reweighting, surveillance stores the prior weights ω
     in ``model$weights``, where ``glm`` keeps the working weights ω·μ, so the
     ``summary.glm`` and ``predict.glm`` calls behind the trend's t-test and ``se.fit``
     estimate the dispersion as Σ ω ((y − μ)/μ)² / df — about φ/μ̄ — instead of φ (φ
     itself is taken before the overwrite). The standard errors are therefore about
     √μ̄ times too small, trends are kept more often and ``muan`` is close to
     ``nbPlugin``; without reweighting the usual dispersion is used;

   * ``delta`` (Farrington 1996): τ = φ + se(μ₀)²/μ₀ and, for the 2/3 power,
     se = sqrt(4/9 μ₀^{1/3} τ), ``U = (μ₀^{2/3} + z_{1−α} se)^{3/2}``; p-value
     P(N(μ₀^{2/3}, se) ≥ y^{2/3}); ``powertrans`` "1/2" and "none" likewise;
   * ``nbPlugin`` (Noufaily 2013): m = exp(η₀); ``muan``: m = exp(η₀ + z_{1−α} se(η₀));
     U the (1 − α) quantile of the negative binomial with mean m and variance φm
     (Poisson when φ = 1), an integer; p-value P(Y ≥ y).
6. **Alarm** when the score ``(y − pred)/(U − pred)`` exceeds 1, y > 0 and the last
   ``limit54[1]`` weeks (this one included) hold at least ``limit54[0]`` cases. ``pred``
   is μ₀ for ``delta`` but η₀ — the log — for the Noufaily methods, as in R (so the
   score of week 302 of the reference series is 1.97, not 2.96; the alarm is the same).

Defaults are surveillance's: b = 5, w = 3, reweight, weightsThreshold 2.58, α = 0.05,
trend with pThresholdTrend 0.05, limit54 (5, 4), the 2/3 power, noPeriods 1,
pastWeeksNotIncluded = w, thresholdMethod "delta". :data:`NOUFAILY_2013` and
:data:`FARRINGTON_1996` hold the two published parameter sets.

Outputs, as surveillance reports them: where the last weeks hold too few cases the
alarm is False (decided) and ``upperbound`` and ``expected`` are NaN, while ``statistic``
(R's ``score``) and ``p_value`` are still given. Where R stops or answers by accident,
this differs: weeks whose reference weeks fall before the first week, or whose baseline
is empty, are undecided (R stops: "Some reference time points did not exist"); window
weeks before the first week are left out (R drops an index 0 silently and fails on
negative ones); a week whose own count is missing is undecided (R reports no alarm); a
week whose fit does not converge is undecided with NaN ``expected`` (R leaves 0 there).
As in R, a Noufaily threshold whose mean overflows (``muan`` after years without cases,
where se(η₀) is huge) leaves bound, score and p-value NaN and the week without alarm.

Speed: every week's fits run on all series at once
(:mod:`~zhiliang.lib.signals.quasipoisson`), in chunks of at most :data:`CHUNK` series
spread over :data:`WORKERS` threads (numpy leaves the GIL for its passes over the
arrays; the results do not depend on the chunks). Anscombe residuals are computed only where they can exceed the
threshold: since x^{2/3} ≤ 1 + 2/3 (x − 1), s > thr needs y > μ and
(y − μ)² > thr² φ (1 − h_max) μ, with h_max a bound of the week's hat values, and
elsewhere the weight is γ without computing s.

References
----------
C. P. Farrington, N. J. Andrews, A. D. Beale, M. A. Catchpole, "A statistical algorithm
for the early detection of outbreaks of infectious disease", J. R. Stat. Soc. A 159
(1996) 547–563. A. Noufaily, D. G. Enki, P. Farrington, P. Garthwaite, N. Andrews,
A. Charlett, "An improved algorithm for outbreak detection in multiple surveillance
systems", Statistics in Medicine 32 (2013) 1206–1222. M. Salmon, D. Schumacher,
M. Höhle, J. Stat. Softw. 70(10) (2016).
"""

from __future__ import annotations

import datetime
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from zhiliang.lib.signals.detection import (
    BoolArray,
    Counts,
    Detection,
    FloatArray,
    as_counts,
    shaped,
)
from zhiliang.lib.signals.quasipoisson import Design, Fit, Response, Weights, fit_quasipoisson

__all__ = [
    "FARRINGTON_1996",
    "NOUFAILY_2013",
    "FarringtonDetection",
    "PowerTransform",
    "ThresholdMethod",
    "farrington",
]

ThresholdMethod = Literal["delta", "nbPlugin", "muan"]
PowerTransform = Literal["2/3", "1/2", "none"]
THRESHOLD_METHODS: tuple[ThresholdMethod, ...] = ("delta", "nbPlugin", "muan")
POWER_TRANSFORMS: tuple[PowerTransform, ...] = ("2/3", "1/2", "none")
_EXPONENT = {"2/3": 2 / 3, "1/2": 1 / 2, "none": 1.0}

#: Weeks per year of the reference weeks when no dates are given (surveillance's freq).
WEEKS_PER_YEAR = 52

#: Noufaily et al. (2013)'s improved settings, as surveillance's documentation gives them.
NOUFAILY_2013: Mapping[str, Any] = MappingProxyType(
    {
        "no_periods": 10,
        "past_weeks_not_included": 26,
        "weights_threshold": 2.58,
        "p_threshold_trend": 1.0,
        "threshold_method": "nbPlugin",
    }
)
#: The original method of Farrington et al. (1996).
FARRINGTON_1996: Mapping[str, Any] = MappingProxyType(
    {
        "no_periods": 1,
        "past_weeks_not_included": 3,
        "weights_threshold": 1.0,
        "p_threshold_trend": 0.05,
        "threshold_method": "delta",
    }
)

_DBL_EPSILON = float(np.finfo(np.float64).eps)
#: Series fitted together: bounds the memory of the per-week arrays (series × baseline).
CHUNK = 4096
#: Threads fitting chunks of series at once (the cores this process may use, at most 4).
WORKERS = min(
    4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)


@dataclass(frozen=True, eq=False)
class FarringtonDetection(Detection):
    """A :class:`Detection` with the fitted model's dispersion and trend per week.

    Attributes
    ----------
    phi : float array
        φ = max(1, dispersion) of the final model (NaN where no model was fitted).
    trend : bool array
        Whether the final model kept the time trend.
    """

    phi: FloatArray
    trend: BoolArray


def farrington(
    counts: Counts,
    *,
    dates: Sequence[datetime.date] | None = None,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    weights_threshold: float = 2.58,
    alpha: float = 0.05,
    trend: bool = True,
    p_threshold_trend: float = 0.05,
    limit54: tuple[int, int] = (5, 4),
    powertrans: PowerTransform = "2/3",
    population: npt.ArrayLike | None = None,
    no_periods: int = 1,
    past_weeks_not_included: int | None = None,
    threshold_method: ThresholdMethod = "delta",
) -> FarringtonDetection:
    """Farrington flexible as R ``surveillance::farringtonFlexible`` (module notes).

    Parameters
    ----------
    counts : array, series × weeks
        Weekly counts, oldest first, every series on the same weeks; NaN for a missing
        week.
    dates : sequence of dates, optional
        The date of each week, seven days apart. Reference weeks are then found by date
        (surveillance's ``epochAsDate``); without dates a year is 52 weeks.
    b : int
        Years back (≥ 1).
    w : int
        Half-width of the window around each reference week (≥ 0).
    reweight : bool
        Downweight past outbreaks by their Anscombe residuals.
    weights_threshold : float
        Residuals above this are downweighted (2.58; Farrington 1996 used 1).
    alpha : float
        One-sided level of the threshold.
    trend : bool
        Try a time trend.
    p_threshold_trend : float
        The trend is kept only if its p-value is below this (1: whenever it is not
        exactly 0; Noufaily).
    limit54 : (int, int)
        No alarm unless the last ``limit54[1]`` weeks, this one included, hold at least
        ``limit54[0]`` cases.
    powertrans : {"2/3", "1/2", "none"}
        Power transformation of the ``delta`` threshold.
    population : array, series × weeks (or weeks), optional
        Population at risk: the model gets the offset log(population)
        (surveillance's ``populationOffset = TRUE``).
    no_periods : int
        Levels of the seasonal factor (1: windows only; Noufaily: 10).
    past_weeks_not_included : int, optional
        Recent weeks left out of the baseline (default w; Noufaily: 26).
    threshold_method : {"delta", "nbPlugin", "muan"}
        Farrington's 2/3-power threshold or Noufaily's negative-binomial quantile with
        the plug-in mean or its upper confidence limit.

    Returns
    -------
    FarringtonDetection
        ``expected`` μ₀, ``upperbound`` U, ``statistic`` the score, ``p_value``,
        ``alarm``; ``phi`` and ``trend`` of the model. Weeks before ``52·b + w + 1`` are
        undecided.
    """
    y, one = as_counts(counts)
    series, weeks = y.shape
    _check(b, w, weights_threshold, alpha, p_threshold_trend, limit54, no_periods)
    if powertrans not in POWER_TRANSFORMS:
        raise ValueError(f"powertrans must be one of {', '.join(POWER_TRANSFORMS)}")
    if threshold_method not in THRESHOLD_METHODS:
        raise ValueError(f"threshold_method must be one of {', '.join(THRESHOLD_METHODS)}")
    left_out = w if past_weeks_not_included is None else past_weeks_not_included
    if isinstance(left_out, bool) or not isinstance(left_out, int | np.integer) or left_out < 0:
        raise ValueError(f"past_weeks_not_included must be a whole number ≥ 0, got {left_out!r}")
    offset = _log_population(population, series, weeks)
    positions = _week_positions(dates, weeks)

    shape = (series, weeks)
    eta0, se_eta0 = np.full(shape, np.nan), np.full(shape, np.nan)
    phi, kept_trend = np.full(shape, np.nan), np.zeros(shape, dtype=np.bool_)
    tested = []
    for k in range(WEEKS_PER_YEAR * b + w, weeks):
        references = _reference_weeks(k, b, dates, positions)
        if references is None:  # R stops: "Some reference time points did not exist"
            continue
        rows, levels = _baseline(k, references, w, no_periods, left_out, weeks)
        if rows.size:
            tested.append((k, rows, levels))
    designs: dict[tuple[tuple[int, ...], tuple[int, ...]], Design] = {}

    def fit_chunk(first: int, size: int) -> None:
        chunk = slice(first, min(first + size, series))
        # Weeks × series: a week's baseline is a set of rows, a level's rows contiguous.
        response = Response.of(np.ascontiguousarray(y[chunk].T))
        with np.errstate(invalid="ignore"):
            powered = response.counts ** (2 / 3)  # y^{2/3} of the Anscombe residuals
        log_population = None if offset is None else np.ascontiguousarray(offset[chunk].T)
        for k, rows, levels in tested:
            centre = float(rows.mean())
            key = (tuple(rows - k), tuple(levels))
            design = designs.get(key)
            if design is None:
                design = designs[key] = Design.of(levels, rows - centre)
            week = _Week(
                response=response.rows(rows),
                powered=powered,
                rows=rows,
                offset=None if log_population is None else np.take(log_population, rows, axis=0),
                offset_now=(
                    np.zeros(powered.shape[1]) if log_population is None else log_population[k]
                ),
                design=design,
                now_level=no_periods - 1,
                now_time=k - centre,
            )
            fitted = week.fit(
                b=b,
                trend=trend,
                reweight=reweight,
                weights_threshold=weights_threshold,
                p_threshold_trend=p_threshold_trend,
            )
            eta0[chunk, k], se_eta0[chunk, k] = fitted.eta0, fitted.se_eta0
            phi[chunk, k], kept_trend[chunk, k] = fitted.phi, fitted.trend

    # Chunks of equal size, as many as the workers or more: the threads then finish
    # together (numpy leaves the GIL for the passes over the arrays, which are the cost).
    workers = min(WORKERS, series)
    chunks = max(workers, -(-series // CHUNK))
    chunks += -chunks % workers
    size = -(-series // chunks)
    starts = range(0, series, size)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(fit_chunk, starts, [size] * len(starts)))
    else:
        for first in starts:
            fit_chunk(first, size)

    return _verdict(
        y, eta0, se_eta0, phi, kept_trend, alpha, limit54, powertrans, threshold_method, one
    )


@dataclass(frozen=True)
class _Prediction:
    eta0: FloatArray  # link-scale prediction (with offset), NaN where no model
    se_eta0: FloatArray  # its standard error with the unfloored dispersion
    phi: FloatArray
    trend: BoolArray


@dataclass(frozen=True, eq=False)
class _Week:
    """One tested week: the baseline counts of every series and the shared design."""

    response: Response  # baseline weeks × series
    powered: FloatArray  # y^{2/3} of every week (weeks × series)
    rows: npt.NDArray[np.intp]  # the baseline weeks
    offset: FloatArray | None  # baseline log population
    offset_now: FloatArray  # series
    design: Design
    now_level: int
    now_time: float

    def fit(
        self,
        *,
        b: int,
        trend: bool,
        reweight: bool,
        weights_threshold: float,
        p_threshold_trend: float,
    ) -> _Prediction:
        series = self.response.counts.shape[1]
        eta0, se_eta0 = np.full(series, np.nan), np.full(series, np.nan)
        phi, kept = np.full(series, np.nan), np.zeros(series, dtype=np.bool_)
        without = np.arange(series)
        if trend:
            first = self._fit(without, True, None)
            converged = np.flatnonzero(first.converged)
            if converged.size:
                if converged.size < series:
                    first = first.series(converged)
                model, summary = self._reweighted(converged, first, weights_threshold, reweight)
                eta, se = self._predict(converged, model, summary)
                with np.errstate(invalid="ignore"):
                    significant = model.slope_p_value(summary) < p_threshold_trend
                    mu = np.maximum(np.exp(eta), _DBL_EPSILON)
                    largest = self._largest_count()[converged]
                    keep = significant & (mu <= largest) & (b >= 3)
                chosen = converged[keep]
                eta0[chosen], se_eta0[chosen] = eta[keep], se[keep]
                phi[chosen], kept[chosen] = np.maximum(model.dispersion[keep], 1.0), True
                without = np.setdiff1d(without, chosen, assume_unique=True)
        if without.size:
            plain = self._fit(without, False, None)
            converged = np.flatnonzero(plain.converged)
            if converged.size:
                target = without[converged]
                if converged.size < without.size:
                    plain = plain.series(converged)
                model, summary = self._reweighted(target, plain, weights_threshold, reweight)
                eta0[target], se_eta0[target] = self._predict(target, model, summary)
                phi[target] = np.maximum(model.dispersion, 1.0)
        return _Prediction(eta0=eta0, se_eta0=se_eta0, phi=phi, trend=kept)

    def _largest_count(self) -> FloatArray:
        """The largest baseline count of each series (−inf if none)."""
        counts, valid = self.response.counts, self.response.valid
        if valid.all():
            return np.asarray(counts.max(axis=0), dtype=np.float64)
        return np.asarray(np.where(valid, counts, -np.inf).max(axis=0), dtype=np.float64)

    def _fit(self, series: npt.NDArray[np.intp], trend: bool, weights: Weights | None) -> Fit:
        everything = series.size == self.response.counts.shape[1]
        return fit_quasipoisson(
            self.response if everything else self.response.series(series),
            self.design,
            trend=trend,
            weights=weights,
            offset=None if self.offset is None else self.offset[:, series],
        )

    def _reweighted(
        self, series: npt.NDArray[np.intp], fit: Fit, threshold: float, reweight: bool
    ) -> tuple[Fit, FloatArray]:
        """R's fitGLM.flexible after its first fit: refit the week's ``series`` with
        weights from the Anscombe residuals of ``fit``.

        Also returns the dispersion R's later ``summary.glm`` and ``predict.glm`` calls
        see: fitGLM.flexible stores the prior weights ω in ``model$weights`` (where glm
        keeps the working weights ω·μ) after taking φ, so they compute
        Σ ω ((y − μ)/μ)² / df — about φ/μ̄ — for the trend's t-test and ``se.fit``.
        """
        if not reweight:
            return fit, fit.dispersion
        refit = self._fit(series, fit.trend, self._downweights(series, fit, threshold))
        return refit, refit.prior_dispersion

    def _downweights(self, series: npt.NDArray[np.intp], fit: Fit, threshold: float) -> Weights:
        """R's weights from the Anscombe residuals s of ``fit``: γ s⁻² where s exceeds the
        threshold, γ elsewhere, 0 on missing weeks, γ so that they sum to the weeks."""
        phi = np.maximum(fit.dispersion, 1.0)  # NaN stays NaN, as R's max(NaN, 1)
        everything = series.size == self.response.counts.shape[1]
        valid = self.response.valid if everything else self.response.valid[:, series]
        # s = 3/2 (y^{2/3} μ^{−1/6} − μ^{1/2}) / sqrt(φ (1 − h)) exceeds the threshold only
        # where y > μ, and there, as x^{2/3} ≤ 1 + 2/3 (x − 1) and h ≤ h_max,
        # s ≤ (y − μ)/sqrt(μ φ (1 − h_max)): so only where (y − μ)² > thr² φ (1 − h_max) μ
        # (a margin against rounding) is s computed, by the same operations as on all rows.
        with np.errstate(invalid="ignore"):
            bound = threshold * threshold * phi * (1.0 - fit.hat_bound()) * (1 - 1e-9)
            bound = np.where(np.isfinite(bound) & (bound > 0), bound, 0.0)
            # (y − μ)² > B μ as ((y − μ)/μ)² μ > B, from the fit's residuals
            candidate = fit.residual > 0
            candidate &= fit.square * fit.fitted > bound
        rows, columns = np.nonzero(candidate)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if fit.level_fitted is not None:  # μ constant within levels: powers per level
                mu = fit.level_fitted[self.design.level_of[rows], columns]
            else:
                mu = fit.fitted[rows, columns]
            root, sixth = np.sqrt(mu), mu ** (-1 / 6)
            residual = self.powered[self.rows[rows], series[columns]] * sixth
            residual -= root
            residual *= 1.5
            scale = 1.0 - fit.hat_at(rows, columns)
            scale *= phi[columns]
            residual /= np.sqrt(scale, out=scale)
            outlier = residual > threshold
            rows, columns, residual = rows[outlier], columns[outlier], residual[outlier]
            share = 1.0 / (residual * residual)
            # γ: the weights (share at the outliers, 1 elsewhere, 0 where missing) sum to n
            present = valid.sum(axis=0) if not valid.all() else np.full(series.size, len(valid))
            total = present - np.bincount(columns, minlength=present.size)
            total = total + np.bincount(columns, weights=share, minlength=present.size)
            gamma = present / total
        return Weights(gamma, rows, columns, share - 1.0)

    def _predict(
        self, series: npt.NDArray[np.intp], fit: Fit, dispersion: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """η₀ at the tested week and its ``se.fit`` with the given dispersion."""
        eta = fit.link(self.now_level, self.now_time) + self.offset_now[series]
        with np.errstate(invalid="ignore"):
            se = np.sqrt(dispersion * fit.link_variance(self.now_level, self.now_time))
        return eta, se


def _verdict(
    y: FloatArray,
    eta0: FloatArray,
    se_eta0: FloatArray,
    phi: FloatArray,
    kept_trend: BoolArray,
    alpha: float,
    limit54: tuple[int, int],
    powertrans: PowerTransform,
    method: ThresholdMethod,
    one: bool,
) -> FarringtonDetection:
    """Thresholds, scores, p-values and alarms of every fitted week at once."""
    fitted = ~np.isnan(eta0) & ~np.isnan(phi)
    where = np.nonzero(fitted)  # the weeks tested: thresholds for those only
    upper, p_value, score, expected = _threshold(
        y[where], eta0[where], se_eta0[where], phi[where], alpha, powertrans, method
    )
    limit_cases, limit_weeks = limit54
    with np.errstate(invalid="ignore"):
        # A missing recent week makes the sum NaN: R's NA, no alarm and no bound.
        enough = _trailing_sum(y, limit_weeks)[where] >= limit_cases
        # An infinite Noufaily mean (muan after years of zeros: se(η₀) is huge) has no
        # bound: R's NA threshold and score, no alarm — still a verdict.
        decided = ~np.isnan(y[where])
        alarm = decided & enough & (score > 1) & (y[where] != 0)
    shown = decided & enough

    def spread(values: FloatArray, mask: BoolArray) -> FloatArray:
        out = np.full(y.shape, np.nan)
        out[where] = np.where(mask, values, np.nan)
        return out

    out_decided = np.zeros(y.shape, dtype=np.bool_)
    out_decided[where] = decided
    out_alarm = np.zeros(y.shape, dtype=np.bool_)
    out_alarm[where] = alarm
    result = FarringtonDetection(
        expected=spread(expected, shown),
        upperbound=spread(upper, shown),
        statistic=spread(score, decided),
        p_value=spread(p_value, decided),
        alarm=out_alarm,
        decided=out_decided,
        phi=np.where(fitted, phi, np.nan),
        trend=kept_trend & fitted,
    )
    return shaped(result, one)


def _threshold(
    y: FloatArray,
    eta0: FloatArray,
    se_eta0: FloatArray,
    phi: FloatArray,
    alpha: float,
    powertrans: PowerTransform,
    method: ThresholdMethod,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Upper bound, p-value, score and expected count of fitted weeks (module notes,
    steps 5 and 6), as R's algo.farrington.threshold.farrington / .noufaily."""
    z = float(special.ndtri(1 - alpha))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method == "delta":
            mu0 = np.maximum(np.exp(eta0), _DBL_EPSILON)  # predict(type = "response")
            se_mu0 = se_eta0 * mu0
            tau = phi + se_mu0**2 / mu0
            exponent = _EXPONENT[powertrans]
            if powertrans == "2/3":
                se = np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)
            elif powertrans == "1/2":
                se = np.sqrt(1 / 4 * tau)
            else:
                se = np.sqrt(mu0 * tau)
            upper = (mu0**exponent + z * se) ** (1 / exponent)
            p_value = special.ndtr(-(y**exponent - mu0**exponent) / se)
            prediction, expected = mu0, mu0
        else:
            mean = np.exp(eta0 if method == "nbPlugin" else eta0 + z * se_eta0)
            finite = np.isfinite(mean)  # R: an infinite mean gives NA bounds
            upper = np.full(y.shape, np.nan)
            p_value = np.full(y.shape, np.nan)
            upper[finite], p_value[finite] = _count_threshold(
                1 - alpha, mean[finite], phi[finite], y[finite]
            )
            prediction, expected = eta0, np.exp(eta0)
        score = (y - prediction) / (upper - prediction)
    return upper, p_value, score, expected


def _count_threshold(
    level: float, mean: FloatArray, phi: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Noufaily's threshold and p-value: the ``level`` quantile of NB(size = m/(φ − 1),
    prob = 1/φ), Poisson(m) when φ = 1, and P(Y ≥ y) under it (R's qnbinom/pnbinom)."""
    negative_binomial = phi > 1
    upper = np.empty(mean.shape)
    p_value = np.empty(mean.shape)
    nb = negative_binomial
    size = mean[nb] / (phi[nb] - 1)
    prob = 1 / phi[nb]
    upper[nb] = _discrete_quantile(level, lambda x: special.betainc(size, x + 1, prob), size, prob)
    po = ~negative_binomial
    lam = mean[po]
    upper[po] = _discrete_quantile(level, lambda x: special.gammaincc(x + 1, lam), lam, None)
    with np.errstate(invalid="ignore"):
        # P(Y ≥ y) = 1 − F(y − 1): I_{1−prob}(y, size) and P(y, m); 1 for y ≤ 0.
        p_value[nb] = np.where(
            y[nb] > 0, special.betainc(y[nb], size, (phi[nb] - 1) / phi[nb]), 1.0
        )
        p_value[po] = np.where(y[po] > 0, special.gammainc(y[po], lam), 1.0)
    return upper, p_value


def _discrete_quantile(
    level: float,
    cdf: Any,
    size_or_mean: FloatArray,
    prob: FloatArray | None,
) -> FloatArray:
    """Smallest whole x with cdf(x) ≥ level, searched from R's Cornish–Fisher start with
    R's left-continuity fuzz (qDiscrete_search.h, R ≥ 4.2): level·(1 − 8ε)."""
    if prob is None:  # Poisson(λ): μ = λ, σ = √λ, skewness 1/σ
        mu = size_or_mean
        sigma = np.sqrt(mu)
        gamma = 1 / sigma
    else:  # NB(size, prob)
        q = 1.0 / prob
        p = (1.0 - prob) * q
        mu = size_or_mean * p
        sigma = np.sqrt(size_or_mean * p * q)
        gamma = (q + p) / sigma
    z = float(special.ndtri(level))
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.rint(mu + sigma * (z + gamma * (z * z - 1) / 6))
    x = np.where(np.isfinite(x) & (x > 0), x, 0.0)
    target = level * (1 - 8 * _DBL_EPSILON)
    for _ in range(64):  # left: while x > 0 and F(x − 1) ≥ target
        active = x > 0
        if not active.any():
            break
        step = active & (cdf(np.maximum(x - 1, 0)) >= target)
        if not step.any():
            break
        x = np.where(step, x - 1, x)
    for _ in range(64):  # right: while F(x) < target
        step = cdf(x) < target
        if not step.any():
            break
        x = np.where(step, x + 1, x)
    else:  # the start was far off: scipy's inverse for what is left
        rest = cdf(x) < target
        if prob is None:
            x[rest] = stats.poisson.ppf(target, size_or_mean[rest])
        else:
            x[rest] = stats.nbinom.ppf(target, size_or_mean[rest], prob[rest])
    return x


def _trailing_sum(y: FloatArray, weeks: int) -> FloatArray:
    """Σ y over each week and the ``weeks − 1`` before it: NaN where fewer weeks exist or
    one of them is missing (R's ``sum`` without ``na.rm``)."""
    total = np.full(y.shape, np.nan)
    if weeks <= y.shape[1]:
        missing = np.isnan(y)
        zeros = np.zeros((y.shape[0], 1))
        cumulative = np.cumsum(np.concatenate([zeros, np.where(missing, 0.0, y)], axis=1), axis=1)
        gaps = np.cumsum(np.concatenate([zeros, missing], axis=1), axis=1)
        window = cumulative[:, weeks:] - cumulative[:, :-weeks]
        has_gap = gaps[:, weeks:] - gaps[:, :-weeks] > 0
        total[:, weeks - 1 :] = np.where(has_gap, np.nan, window)
    return total


def _week_positions(dates: Sequence[datetime.date] | None, weeks: int) -> dict[int, int] | None:
    """Day number (proleptic ordinal) → week index, for the weekly dates given."""
    if dates is None:
        return None
    if len(dates) != weeks:
        raise ValueError(f"dates must give one date per week: {len(dates)} for {weeks} weeks")
    ordinals = [d.toordinal() for d in dates]
    for i in range(1, weeks):
        if ordinals[i] - ordinals[i - 1] != 7:
            raise ValueError(f"dates must be seven days apart: {dates[i - 1]} then {dates[i]}")
    return {day: i for i, day in enumerate(ordinals)}


def _reference_weeks(
    k: int, b: int, dates: Sequence[datetime.date] | None, positions: dict[int, int] | None
) -> list[int] | None:
    """Week indices of the same week 1..b years before week k, or None if one is missing."""
    if dates is None or positions is None:
        refs = [k - WEEKS_PER_YEAR * j for j in range(1, b + 1)]
        return refs if refs[-1] >= 0 else None
    today = dates[k]
    refs = []
    for j in range(1, b + 1):
        back = _years_back(today, j)
        # The nearest day of the same weekday (7 is odd: never a tie).
        shift = (back.weekday() - today.weekday()) % 7
        day = back.toordinal() - shift if shift <= 3 else back.toordinal() + 7 - shift
        index = positions.get(day)
        if index is None:
            return None
        refs.append(index)
    return refs


def _years_back(day: datetime.date, years: int) -> datetime.date:
    """R's ``seq(day, by = "-1 year")``: the same month and day; 29 February → 1 March."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return datetime.date(day.year - years, 3, 1)


def _baseline(
    k: int, references: list[int], w: int, periods: int, left_out: int, weeks: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Baseline week indices for week k and their factor level (0-based), as
    surveillance's ``blocks`` and ``algo.farrington.data.glm`` lay them out."""
    block = np.full(weeks, -1, dtype=np.intp)
    block[max(k - w, 0) : k + 1] = periods
    newer = k
    for ref in references:
        block[max(ref - w, 0) : ref + w + 1] = periods
        if periods != 1:
            between = newer - 2 * w - 1 - ref
            if between < periods - 1:
                raise ValueError(
                    f"no_periods={periods} is too many for the {between} weeks between "
                    f"the windows (w={w})"
                )
            lengths = np.full(periods - 1, between // (periods - 1))
            lengths[: between % (periods - 1)] += 1
            start = ref + w + 1
            for level, length in enumerate(lengths, start=1):
                block[start : start + length] = level
                start += length
        newer = ref
    block[max(k - left_out, 0) : k + 1] = -1
    rows = np.flatnonzero(block >= 0)
    rows = rows[np.argsort(block[rows], kind="stable")]  # grouped by level: see Design.of
    return rows, block[rows] - 1


def _log_population(population: npt.ArrayLike | None, series: int, weeks: int) -> FloatArray | None:
    if population is None:
        return None
    pop = np.asarray(population, dtype=np.float64)
    try:
        pop = np.broadcast_to(pop, (series, weeks))
    except ValueError:
        raise ValueError(
            f"population must be series × weeks or one value per week, got shape {pop.shape}"
        ) from None
    if not (np.isfinite(pop).all() and (pop > 0).all()):
        raise ValueError("population must be positive and finite")
    return np.log(pop)


def _check(
    b: int,
    w: int,
    weights_threshold: float,
    alpha: float,
    p_threshold_trend: float,
    limit54: tuple[int, int],
    no_periods: int,
) -> None:
    for name, value, low in (("b", b, 1), ("w", w, 0), ("no_periods", no_periods, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be a whole number ≥ {low}, got {value!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if not 0 <= p_threshold_trend <= 1:
        raise ValueError(f"p_threshold_trend must be in [0, 1], got {p_threshold_trend}")
    if not (math.isfinite(weights_threshold) and weights_threshold > 0):
        raise ValueError(f"weights_threshold must be positive, got {weights_threshold}")
    if len(limit54) != 2 or not (limit54[0] >= 0 and limit54[1] >= 1):
        raise ValueError(f"limit54 must be (cases ≥ 0, weeks ≥ 1), got {limit54!r}")
