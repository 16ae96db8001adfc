"""Many small log-linear quasi-Poisson GLMs at once, fitted as R's ``glm`` fits them.

Farrington's method fits one small GLM per series and week (SIGNALS.md §1.5): 10,000
series × 50 weeks is half a million fits, too many for a loop of ``statsmodels`` or R
calls. Here every fit of a batch shares its design — each row (a baseline week) has a
*level* (the seasonal factor ``seasgroups``; one level without it) and a *time* — so the
model is ``log μ_i = a_{level(i)} + β·t_i (+ offset_i)``: one intercept per level and a
common slope (or none). That is the column space of R's ``response ~ 1 + wtime +
seasgroups``, so fitted values, dispersion, hat values and predictions are R's; only the
parameterisation differs. Its weighted least-squares step has a closed form: with
per-level sums S0_l = Σ w, S1_l = Σ w t, t̄_l = S1_l/S0_l and
SSW = Σ w t² − Σ_l S1_l t̄_l,

    β = (Σ w z t − Σ_l t̄_l Σ_l w z) / SSW,   a_l = Σ_l w z / S0_l − β t̄_l,

and after the first step the sums of w·z follow from those of w (:func:`_next_z_sums`),
so an iteration of every fit in a batch is one ``exp`` over a rows × series array and one
matrix product, instead of a QR decomposition per fit. Without trend and offset μ is one
number per level and the iteration needs no pass over the rows at all.

The iteration is R's ``glm.fit`` (stats 4.x) step for step, so that it stops where R
stops and returns what R returns:

* start from μ = y + 0.1 (quasipoisson's ``initialize``), η = log μ;
* μ = max(exp η, ε) and dμ/dη = max(exp η, ε) (``poisson()$linkinv``/``mu.eta``);
* working weights ω·μ and response η − offset + (y − μ)/μ, from the *previous* μ;
* stop when ``|dev − dev_old| / (|dev| + 0.1) < 1e-8`` (``glm.control``), at most 25
  iterations; a fit that has not stopped by then is not converged.

What R keeps from the last step matters at 1e-6: the coefficients are the new ones but the
working weights (hence ``summary.glm``'s dispersion, the hat values and the covariance)
are those the last step was solved with, from the μ before it. :class:`Fit` keeps both.

Arrays with one entry per row and series are laid out rows × series, so that a level's
rows and a week's baseline are contiguous and sums run across series.

Not reproduced: R's step halving when the deviance becomes infinite (exp overflow), which
only extreme counts reach; such a fit is reported as not converged. A level without any
row of positive weight drops out of the model, as R's pivoting drops its column.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["Design", "Fit", "Response", "fit_quasipoisson"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

#: R's glm.control(): epsilon and maxit.
EPSILON = 1e-8
MAXIT = 25
_DBL_EPSILON = float(np.finfo(np.float64).eps)
_LOG_DBL_EPSILON = math.log(_DBL_EPSILON)
#: The largest matrix product (m·n·k) OpenBLAS runs on one thread.
_BLAS_ONE_THREAD = 4 * 65536 - 1
#: |β t| beyond which exp(β t) alone may overflow (exp overflows above 709.78).
_SAFE_EXPONENT = 700.0


@dataclass(frozen=True, eq=False)
class Design:
    """The rows every fit of a batch shares: a level and a time per row, rows grouped by
    level (all rows of level 0 first, then level 1, …). Build it with :meth:`of`."""

    time: FloatArray
    levels: int
    #: [begin, end) of each level's rows.
    blocks: tuple[tuple[int, int], ...]
    #: Column × row matrices whose products with weights (rows × series) give the sums
    #: a step needs: ``ones`` [1_l per level]; ``ones_t`` [1_l per level, t];
    #: ``ones_t_t2`` [1_l per level, t·1_l per level, t²] (the slope needs t² only in
    #: total).
    ones: FloatArray
    ones_t: FloatArray
    ones_t_t2: FloatArray
    #: Each level's earliest and latest time, and the largest |time|.
    time_low: FloatArray
    time_high: FloatArray
    time_reach: float
    #: [1, t, t²] for every row: the moments of a step (:meth:`scaled_sums`).
    powers: FloatArray
    #: The level of every row.
    level_of: IntArray

    @classmethod
    def of(cls, level: npt.ArrayLike, time: npt.ArrayLike) -> Design:
        """The design of rows with these levels (0, 1, …, non-decreasing) and times
        (best centred, so that sums of t² do not cancel)."""
        lev = np.asarray(level, dtype=np.intp)
        t = np.asarray(time, dtype=np.float64)
        if lev.size == 0 or (np.diff(lev) < 0).any() or lev[0] < 0:
            raise ValueError("a design needs rows, grouped by level from level 0 on")
        levels = int(lev[-1]) + 1
        edges = np.searchsorted(lev, np.arange(levels + 1))
        blocks = tuple((int(edges[i]), int(edges[i + 1])) for i in range(levels))
        indicator = np.zeros((levels, lev.size))
        indicator[lev, np.arange(lev.size)] = 1.0
        low, high = np.zeros(levels), np.zeros(levels)
        for i, (begin, end) in enumerate(blocks):
            if end > begin:
                low[i], high[i] = t[begin:end].min(), t[begin:end].max()
        return cls(
            time=t,
            levels=levels,
            blocks=blocks,
            ones=indicator,
            ones_t=np.vstack([indicator, t]),
            ones_t_t2=np.vstack([indicator, indicator * t, t * t]),
            time_low=low,
            time_high=high,
            time_reach=float(np.abs(t).max()),
            powers=np.vstack([np.ones(lev.size), t, t * t]),
            level_of=lev,
        )

    def spread(self, values: FloatArray) -> FloatArray:
        """values[level(row), :] for every row: a levels × series array as rows × series."""
        if self.levels == 1:
            return np.repeat(values, self.time.size, axis=0)
        out = np.empty((self.time.size, values.shape[1]))
        for level, (begin, end) in enumerate(self.blocks):
            out[begin:end] = values[level]
        return out

    def weight_sums(self, w: FloatArray, trend: bool) -> FloatArray:
        """Σ w per level, and with a trend also Σ w t per level and Σ w t² in total: the
        sums a step is solved from, one column per series."""
        if self.levels == 1:  # a small matrix product is fastest
            return np.asarray((self.ones_t_t2 if trend else self.ones) @ w, dtype=np.float64)
        # Summing each level's contiguous rows avoids multiplying by the zeros of a
        # levels × rows indicator matrix (and BLAS threads, slow for such thin products).
        out = np.empty((2 * self.levels + 1 if trend else self.levels, w.shape[1]))
        for level, (begin, end) in enumerate(self.blocks):
            out[level] = w[begin:end].sum(axis=0)
            if trend:
                out[self.levels + level] = np.einsum("r,rs->s", self.time[begin:end], w[begin:end])
        if trend:
            out[2 * self.levels] = np.einsum("r,rs->s", self.time * self.time, w)
        return out

    def response_sums(self, wz: FloatArray, trend: bool) -> FloatArray:
        """Σ wz per level, and with a trend Σ wz t in total."""
        if self.levels == 1:
            return np.asarray((self.ones_t if trend else self.ones) @ wz, dtype=np.float64)
        out = np.empty((self.levels + 1 if trend else self.levels, wz.shape[1]))
        for level, (begin, end) in enumerate(self.blocks):
            out[level] = wz[begin:end].sum(axis=0)
        if trend:
            out[self.levels] = np.einsum("r,rs->s", self.time, wz)
        return out

    def scaled_sums(self, w: FloatArray, scale: FloatArray, trend: bool) -> FloatArray:
        """:meth:`weight_sums` of ``scale[level] · w``, from one pass over w (each
        level's moments Σ w [1, t, t²], then scaled)."""
        k = 3 if trend else 1
        series = w.shape[1]
        moments = np.empty((self.levels, k, series))
        for level, (begin, end) in enumerate(self.blocks):
            powers = self.powers[:k, begin:end]
            # Products small enough for OpenBLAS to keep to one thread (it threads from
            # m·n·k = 4·65536 on, and threads ran this up to ten times slower on the
            # busy 2-core machine); still 2–3× faster than einsum or three reductions.
            step = max(1, _BLAS_ONE_THREAD // max(1, k * (end - begin)))
            for first in range(0, series, step):
                last = min(first + step, series)
                np.matmul(powers, w[begin:end, first:last], out=moments[level, :, first:last])
        moments = moments.transpose(1, 0, 2) * scale
        if not trend:
            return np.asarray(moments[0], dtype=np.float64)
        return np.concatenate([moments[0], moments[1], moments[2].sum(axis=0, keepdims=True)])

    def spread_times(self, scale: FloatArray, factor: FloatArray) -> FloatArray:
        """scale[level(row), :] · factor[row, :] for every row (a new array)."""
        if self.levels == 1:
            return np.asarray(factor * scale[0], dtype=np.float64)
        out = np.empty(factor.shape)
        for level, (begin, end) in enumerate(self.blocks):
            np.multiply(factor[begin:end], scale[level], out=out[begin:end])
        return out

    def add_spread(self, out: FloatArray, values: FloatArray) -> None:
        """out[row, :] += values[level(row), :], in place."""
        for level, (begin, end) in enumerate(self.blocks):
            out[begin:end] += values[level]


@dataclass(frozen=True, eq=False)
class Response:
    """Counts (rows × series) and the functions of them every fit starts from.

    R starts each fit from μ = y + 0.1, so the first step's sums and the starting
    deviance depend on the counts alone; Farrington fits the same baseline counts two to
    four times a week, and a count is in the baseline of some 30 weeks, so they are
    computed once for all weeks (:meth:`of`) and picked per week (:meth:`rows`).
    """

    counts: FloatArray  # NaN → 0
    valid: BoolArray
    mustart: FloatArray  # exp(log(y + 0.1)), R's linkinv(linkfun(mustart))
    start_wz: FloatArray  # μ₀ (log μ₀ − 1) + y: w·z of the first step for unit weight
    start_deviance: FloatArray  # y log(y/μ₀) − (y − μ₀), μ₀ where y = 0
    y_log_y: FloatArray  # y log y − y, 0 where y = 0

    @classmethod
    def of(cls, y: FloatArray) -> Response:
        valid = ~np.isnan(y)
        counts = np.where(valid, y, 0.0)
        log_start = np.log(counts + 0.1)
        mustart = np.exp(log_start)
        positive = counts > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            start_deviance = np.where(
                positive, counts * np.log(counts / mustart) - (counts - mustart), mustart
            )
            y_log_y = np.where(positive, counts * np.log(counts) - counts, 0.0)
        return cls(
            counts=counts,
            valid=valid,
            mustart=mustart,
            start_wz=mustart * (log_start - 1.0) + counts,
            start_deviance=start_deviance,
            y_log_y=y_log_y,
        )

    def rows(self, index: IntArray) -> Response:
        """Some rows (weeks) only."""
        return self._map(lambda a: np.take(a, index, axis=0))

    def series(self, index: IntArray) -> Response:
        """Some series (columns) only."""
        return self._map(lambda a: a[:, index])

    def _map(self, pick: Callable[[Any], Any]) -> Response:
        return Response(
            counts=pick(self.counts),
            valid=pick(self.valid),
            mustart=pick(self.mustart),
            start_wz=pick(self.start_wz),
            start_deviance=pick(self.start_deviance),
            y_log_y=pick(self.y_log_y),
        )


@dataclass(frozen=True, eq=False)
class Fit:
    """The fits of a batch, one per series.

    ``fitted`` (rows × series) is μ at the returned coefficients; ``working_weight`` is
    ω·μ of the previous iterate, the weights of the last least-squares step (R's
    ``fit$weights``). Rows with NaN counts have weight 0 and do not count in
    ``df_residual``.
    """

    trend: bool
    design: Design
    converged: BoolArray  # series
    intercept: FloatArray  # levels × series, at the design's time 0
    slope: FloatArray  # series (0 without trend)
    fitted: FloatArray  # rows × series
    level_fitted: FloatArray | None  # levels × series when μ is constant within a level
    working_weight: FloatArray  # rows × series
    level_weight: FloatArray  # S0: levels × series
    level_time: FloatArray  # t̄: levels × series
    ssw: FloatArray  # series: Σ w (t − t̄)² (NaN without trend)
    dispersion: FloatArray  # series: summary.glm's Pearson estimate, not floored at 1
    prior_dispersion: FloatArray  # series: Σ ω ((y − μ)/μ)² / df (see farrington)
    df_residual: FloatArray  # series

    def link(self, level: int, time: float) -> FloatArray:
        """The linear predictor a_level + β·time (without offset)."""
        return np.asarray(self.intercept[level] + self.slope * time, dtype=np.float64)

    def link_variance(self, level: int, time: float) -> FloatArray:
        """x₀'(X'WX)⁻¹x₀ of a new row: ``predict.glm``'s ``se.fit`` on the link scale is
        the square root of this times the dispersion."""
        with np.errstate(divide="ignore", invalid="ignore"):
            variance = 1.0 / self.level_weight[level]
            if self.trend:
                variance = variance + (time - self.level_time[level]) ** 2 / self.ssw
        return np.asarray(variance, dtype=np.float64)

    def hat(self) -> FloatArray:
        """The hat values (R's ``hatvalues``), rows × series; 0 for rows of weight 0."""
        d = self.design
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse = np.where(self.level_weight > 0, 1.0 / self.level_weight, 0.0)
            if self.trend:  # 1/S0_level + (t − t̄_level)² / SSW
                leverage = np.repeat(d.time[:, np.newaxis], self.slope.size, axis=1)
                d.add_spread(leverage, -self.level_time)
                leverage *= leverage
                leverage /= self.ssw
                d.add_spread(leverage, inverse)
            elif d.levels == 1:
                leverage = np.broadcast_to(inverse, self.working_weight.shape)
            else:
                leverage = d.spread(inverse)
            h = self.working_weight * leverage
        return np.asarray(h, dtype=np.float64)

    def hat_at(self, rows: IntArray, columns: IntArray) -> FloatArray:
        """:meth:`hat` at some (row, series) pairs only, by the same operations."""
        d = self.design
        level = d.level_of[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = self.level_weight[level, columns]
            inverse = np.where(weight > 0, 1.0 / weight, 0.0)
            if self.trend:
                leverage = d.time[rows] + -self.level_time[level, columns]
                leverage *= leverage
                leverage /= self.ssw[columns]
                leverage += inverse
            else:
                leverage = inverse
            h = self.working_weight[rows, columns] * leverage
        return np.asarray(h, dtype=np.float64)

    def hat_bound(self) -> FloatArray:
        """An upper bound of each series' hat values (NaN where one is undefined): the
        largest working weight of a level times its largest leverage."""
        d = self.design
        starts = np.array([begin for begin, _ in d.blocks], dtype=np.intp)
        largest = np.maximum.reduceat(self.working_weight, starts, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = np.where(self.level_weight > 0, 1.0 / self.level_weight, 0.0)
            if self.trend:
                reach = np.maximum(
                    np.abs(d.time_low[:, np.newaxis] - self.level_time),
                    np.abs(d.time_high[:, np.newaxis] - self.level_time),
                )
                bound = bound + reach * reach / self.ssw
            bound = largest * bound
        return np.asarray(bound.max(axis=0), dtype=np.float64)

    def slope_p_value(self, dispersion: FloatArray | None = None) -> FloatArray:
        """Two-sided p-value of the slope as ``summary.glm`` gives it: t-test on
        ``df_residual`` degrees of freedom with the estimated dispersion (or the one
        given)."""
        scale = self.dispersion if dispersion is None else dispersion
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.slope / np.sqrt(scale / self.ssw)
            p = 2 * special.stdtr(self.df_residual, -np.abs(t))
        return np.asarray(p, dtype=np.float64)

    def series(self, index: IntArray) -> Fit:
        """The fits of some series only."""
        return Fit(
            trend=self.trend,
            design=self.design,
            converged=self.converged[index],
            intercept=self.intercept[:, index],
            slope=self.slope[index],
            fitted=self.fitted[:, index],
            level_fitted=None if self.level_fitted is None else self.level_fitted[:, index],
            working_weight=self.working_weight[:, index],
            level_weight=self.level_weight[:, index],
            level_time=self.level_time[:, index],
            ssw=self.ssw[index],
            dispersion=self.dispersion[index],
            prior_dispersion=self.prior_dispersion[index],
            df_residual=self.df_residual[index],
        )


def fit_quasipoisson(
    response: Response,
    design: Design,
    *,
    trend: bool,
    weights: FloatArray | None = None,
    offset: FloatArray | None = None,
) -> Fit:
    """Fit ``log μ = a_level + β·t (+ offset)`` to every series of ``response`` as R's
    ``glm(family = quasipoisson)`` would.

    Parameters
    ----------
    response : Response
        Counts, rows × series, the rows those of the design; NaN rows are left out
        (R's ``na.omit``).
    design : Design
        Level and time of each row, shared by all series.
    trend : bool
        Whether the model has the slope β.
    weights : float array, rows × series, optional
        Prior weights (``glm(weights=)``), non-negative.
    offset : float array, rows × series, optional
        A known term added to the linear predictor (``offset(log(population))``).
    """
    r = response
    prior: FloatArray | None = None  # None: every row weighs 1
    if weights is not None:
        prior = np.where(r.valid, weights, 0.0)
    elif not r.valid.all():
        prior = r.valid.astype(np.float64)

    def weighted(a: FloatArray) -> FloatArray:
        return a if prior is None else prior * a

    w = weighted(r.mustart)
    start = _Start(
        sums=design.weight_sums(w, trend),
        z_sums=design.response_sums(weighted(r.start_wz), trend),
        count_sums=design.response_sums(weighted(r.counts), trend),
        constant=weighted(r.y_log_y).sum(axis=0),
        deviance=2.0 * weighted(r.start_deviance).sum(axis=0),
    )
    if offset is not None:  # w·z = w (η − offset − 1) + ω y
        off = np.where(r.valid, offset, 0.0)
        start.z_sums -= design.response_sums(w * off, trend)
        count_offset = np.einsum("ij,ij->j", weighted(r.counts), off)
        return _fit_rows(r, design, trend, prior, start, off, count_offset)
    if not trend:
        return _fit_levels(r, design, prior, start)
    return _fit_rows(r, design, trend, prior, start, None, np.zeros(r.counts.shape[1]))


@dataclass
class _Start:
    """Sums at R's starting values μ₀ = y + 0.1 (columns as in :class:`Design`),
    one column per series."""

    sums: FloatArray  # Σ w [1_l, t·1_l, t²]
    z_sums: FloatArray  # Σ w z [1_l, t]
    count_sums: FloatArray  # Σ ω y [1_l, t]
    constant: FloatArray  # Σ ω (y log y − y)
    deviance: FloatArray


def _fit_rows(
    r: Response,
    design: Design,
    trend: bool,
    prior: FloatArray | None,
    start: _Start,
    off: FloatArray | None,
    count_offset: FloatArray,
) -> Fit:
    """The general case: μ differs from row to row (a trend, an offset).

    Without an offset μ = exp(a_level) · E with E = exp(β t), so a step is one ``exp``
    over the rows and one pass for the per-level moments Σ ω E [1, t, t²], scaled by
    exp(a_level) afterwards. A series whose μ reaches R's floor ε, or whose β·t could
    overflow, has μ itself as its factor (computed as exp(a + β t), scale 1), as has
    every series with an offset.
    """
    series = r.counts.shape[1]
    levels = design.levels
    out_converged = np.zeros(series, dtype=np.bool_)
    out_coefficients = np.zeros((levels + 1, series))  # intercepts and slope
    out_before = np.zeros((levels + 1, series))  # those of the step before
    out_sums = np.empty(start.sums.shape)
    first_step = np.zeros(series, dtype=np.bool_)

    index = np.arange(series)
    work_prior, work_off = prior, off
    count_sums, constant = start.count_sums, start.constant
    sums, z_sums, deviance_old = start.sums, start.z_sums, start.deviance
    before: FloatArray | None = None
    for iteration in range(1, MAXIT + 1):
        coefficients = _solve(sums, z_sums, levels, trend)
        intercept, slope = coefficients[:levels], coefficients[levels]
        factor, scale, floored = _step_mean(design, coefficients, trend, work_off)
        floored_mu = None if floored is None else factor[:, floored]  # μ (scale 1) there
        if work_prior is not None:
            factor *= work_prior
        new_sums = design.scaled_sums(factor, scale, trend)
        # Deviance 2 Σ ω (y log(y/μ) − y + μ) = 2 (Σ ω (y log y − y) − Σ ω y η + Σ ω μ)
        # while μ = exp η; where μ was floored, R's formula on those series.
        y_eta = (count_sums[:levels] * intercept).sum(axis=0) + count_offset
        if trend:
            y_eta += count_sums[levels] * slope
        deviance = 2.0 * (constant - y_eta + new_sums[:levels].sum(axis=0))
        if floored is not None and floored_mu is not None:
            deviance[floored] = _deviance_exact(
                r.counts[:, index[floored]],
                floored_mu,
                None if work_prior is None else work_prior[:, floored],
            )
        del factor, floored_mu

        finite = np.isfinite(deviance) & np.isfinite(coefficients).all(axis=0)
        with np.errstate(invalid="ignore"):
            converged = finite & (
                np.abs(deviance - deviance_old) / (np.abs(deviance) + 0.1) < EPSILON
            )
        done = converged | ~finite if iteration < MAXIT else np.ones_like(converged)
        if done.any():
            where = index[done]
            out_converged[where] = converged[done]
            out_coefficients[:, where] = coefficients[:, done]
            out_sums[:, where] = sums[:, done]
            if before is None:
                first_step[where] = True
            else:
                out_before[:, where] = before[:, done]
            if done.all():
                break
            keep = ~done
            index = index[keep]
            work_prior = None if work_prior is None else work_prior[:, keep]
            work_off = None if work_off is None else work_off[:, keep]
            constant, count_sums = constant[keep], count_sums[:, keep]
            count_offset = count_offset[keep]
            coefficients = coefficients[:, keep]
            intercept, slope = intercept[:, keep], slope[keep]
            new_sums, deviance = new_sums[:, keep], deviance[keep]
        z_sums = _next_z_sums(new_sums, count_sums, intercept, slope, levels, trend)
        before, sums, deviance_old = coefficients, new_sums, deviance

    # μ at the fit and at the step before (whose weights the last step used), recomputed
    # from the coefficients exactly as in the loop (cheaper than keeping them: scattering
    # columns costs more than an exp) and floored at ε as R's linkinv; μ₀ = y + 0.1
    # before the first step.
    factor, scale, _ = _step_mean(design, out_coefficients, trend, off)
    mu = design.spread_times(scale, factor)
    np.maximum(mu, _DBL_EPSILON, out=mu)
    factor, scale, _ = _step_mean(design, out_before, trend, off)
    working = design.spread_times(scale, factor)
    np.maximum(working, _DBL_EPSILON, out=working)
    if first_step.any():
        working[:, first_step] = r.mustart[:, first_step]
    if prior is not None:
        working *= prior
    return _finish(
        design,
        trend,
        out_converged,
        out_coefficients[:levels],
        out_coefficients[levels],
        out_sums,
        mu,
        None,
        working,
        r.counts,
        prior,
    )


def _step_mean(
    design: Design, coefficients: FloatArray, trend: bool, offset: FloatArray | None
) -> tuple[FloatArray, FloatArray, BoolArray | None]:
    """μ of a step as (factor, scale) with μ = scale[level] · factor, and the series
    with a μ floored at ε (None if none): exp(β t) and exp(a_level) where that is safe,
    μ itself (floored, scale 1) for the others."""
    levels = design.levels
    intercept, slope = coefficients[:levels], coefficients[levels]
    if offset is not None:
        mu = _mean(design, coefficients, offset)
        low = np.asarray((mu < _DBL_EPSILON).any(axis=0), dtype=np.bool_)
        np.maximum(mu, _DBL_EPSILON, out=mu)
        return mu, np.ones_like(intercept), low if low.any() else None
    floored = _floored(design, intercept, slope, trend)
    # exp(β t) itself must not overflow where exp(a + β t) would not.
    with np.errstate(invalid="ignore"):
        explicit = np.abs(slope) * design.time_reach > _SAFE_EXPONENT
    if floored is not None:
        explicit |= floored
    factor = np.multiply.outer(design.time, slope)
    with np.errstate(over="ignore"):
        np.exp(factor, out=factor)
        scale = np.exp(intercept)
    if explicit.any():
        chosen = np.flatnonzero(explicit)
        mu = _mean(design, coefficients[:, chosen], None)
        np.maximum(mu, _DBL_EPSILON, out=mu)
        factor[:, chosen] = mu
        scale[:, chosen] = 1.0
    return factor, scale, floored


def _mean(design: Design, coefficients: FloatArray, offset: FloatArray | None) -> FloatArray:
    """exp(a_level + β·t (+ offset)) for every row, rows × series (not floored)."""
    levels = design.levels
    mean: FloatArray = np.multiply.outer(design.time, coefficients[levels])
    design.add_spread(mean, coefficients[:levels])
    if offset is not None:
        mean += offset
    np.exp(mean, out=mean)
    return mean


def _fit_levels(r: Response, design: Design, prior: FloatArray | None, start: _Start) -> Fit:
    """No trend, no offset: μ is one number per level, so after the first step R's
    iteration runs on levels × series arrays (a_l = Σ_l w z / S0_l with w = ω μ_l)."""
    levels = design.levels
    series = r.counts.shape[1]
    if prior is None:
        level_prior = np.repeat(design.ones.sum(axis=1)[:, np.newaxis], series, axis=1)
    else:
        level_prior = design.weight_sums(prior, False)
    counts = start.count_sums
    sums, z_sums, deviance_old = start.sums, start.z_sums, start.deviance
    converged = np.zeros(series, dtype=np.bool_)
    active = np.ones(series, dtype=np.bool_)
    first_step = np.zeros(series, dtype=np.bool_)
    intercept = np.zeros((levels, series))
    mu_before = np.zeros((levels, series))  # μ of the weights of the last step
    mu_fit = np.zeros((levels, series))
    final_sums = np.zeros_like(sums)
    previous: FloatArray | None = None
    for iteration in range(1, MAXIT + 1):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a = np.where(sums <= 0, 0.0, z_sums / sums)
            mu = np.maximum(np.exp(a), _DBL_EPSILON)
            new_sums = mu * level_prior
            y_log_mu = np.where(counts > 0, counts * np.log(mu), 0.0).sum(axis=0)
            deviance = 2.0 * (start.constant - y_log_mu + new_sums.sum(axis=0))
            finite = np.isfinite(deviance) & np.isfinite(a).all(axis=0)
            now = finite & (np.abs(deviance - deviance_old) / (np.abs(deviance) + 0.1) < EPSILON)
        done = active & (now | ~finite | (iteration == MAXIT))
        if done.any():
            converged[done] = now[done]
            intercept[:, done] = a[:, done]
            mu_fit[:, done] = mu[:, done]
            final_sums[:, done] = sums[:, done]
            if previous is None:
                first_step[done] = True
            else:
                mu_before[:, done] = previous[:, done]
            active &= ~done
            if not active.any():
                break
        z_sums = a * new_sums + counts - new_sums
        previous, sums, deviance_old = mu, new_sums, deviance

    fitted = np.broadcast_to(mu_fit, r.counts.shape) if levels == 1 else design.spread(mu_fit)
    working = design.spread(mu_before)
    if first_step.any():  # stopped at the first step: weights from μ₀ = y + 0.1
        working[:, first_step] = r.mustart[:, first_step]
    if prior is not None:
        working *= prior
    return _finish(
        design,
        False,
        converged,
        intercept,
        np.zeros(series),
        final_sums,
        fitted,
        mu_fit,
        working,
        r.counts,
        prior,
    )


def _next_z_sums(
    sums: FloatArray,
    count_sums: FloatArray,
    intercept: FloatArray,
    slope: FloatArray,
    levels: int,
    trend: bool,
) -> FloatArray:
    """The next step's Σ w z from sums alone: with lin = a_l + β t and w = ω μ,
    Σ_l w z = Σ_l w (lin + y/μ − 1) = a_l S0_l + β S1_l + Σ_l ω y − S0_l, and
    Σ w z t = Σ_l a_l S1_l + β Σ w t² + Σ ω y t − Σ w t. (It holds where μ is floored
    too: w and z use the same μ.)"""
    s0 = sums[:levels]
    z_sums = count_sums.copy()
    z_sums[:levels] += (intercept - 1.0) * s0
    if trend:
        s1 = sums[levels : 2 * levels]
        z_sums[:levels] += slope * s1
        z_sums[levels] += ((intercept - 1.0) * s1).sum(axis=0) + slope * sums[2 * levels]
    return z_sums


def _floored(
    design: Design, intercept: FloatArray, slope: FloatArray, trend: bool
) -> BoolArray | None:
    """The series with a μ below R's floor ε (None if none), from each level's time
    range instead of a pass over every row (no offset)."""
    lowest = intercept
    if trend:
        lowest = intercept + np.minimum(
            np.multiply.outer(design.time_low, slope),
            np.multiply.outer(design.time_high, slope),
        )
    low = (lowest < _LOG_DBL_EPSILON + 1e-9).any(axis=0)
    return np.asarray(low, dtype=np.bool_) if low.any() else None


def _solve(sums: FloatArray, z_sums: FloatArray, levels: int, trend: bool) -> FloatArray:
    """The weighted least-squares step from the sums (module notes): the intercepts of
    the levels and the slope (0 without trend), stacked, one column per series."""
    s0 = sums[:levels]
    z0 = z_sums[:levels]
    empty = s0 <= 0
    coefficients = np.zeros((levels + 1, s0.shape[1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        if not trend:
            coefficients[:levels] = np.where(empty, 0.0, z0 / s0)
            return coefficients
        s1 = sums[levels : 2 * levels]
        tbar = np.where(empty, 0.0, s1 / s0)
        ssw = sums[2 * levels] - (s1 * tbar).sum(axis=0)
        slope = (z_sums[levels] - (z0 * tbar).sum(axis=0)) / ssw
        coefficients[:levels] = np.where(empty, 0.0, z0 / s0 - slope * tbar)
        coefficients[levels] = slope
    return coefficients


def _deviance_exact(counts: FloatArray, mu: FloatArray, prior: FloatArray | None) -> FloatArray:
    """``sum(quasipoisson()$dev.resids(y, mu, wt))`` per series."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(counts > 0, counts * np.log(counts / mu) - (counts - mu), mu)
    if prior is not None:
        term *= prior
    return np.asarray(2.0 * term.sum(axis=0), dtype=np.float64)


def _finish(
    design: Design,
    trend: bool,
    converged: BoolArray,
    intercept: FloatArray,
    slope: FloatArray,
    sums: FloatArray,
    mu: FloatArray,
    level_mu: FloatArray | None,
    working: FloatArray,
    counts: FloatArray,
    prior: FloatArray | None,
) -> Fit:
    """Fit from the last step: the sums of the weights it was solved with, and μ."""
    levels = design.levels
    s0 = sums[:levels]
    nonempty = s0 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if trend:
            s1 = sums[levels : 2 * levels]
            tbar = np.where(nonempty, s1 / s0, 0.0)
            ssw = sums[2 * levels] - (s1 * tbar).sum(axis=0)
        else:
            tbar = np.zeros_like(s0)
            ssw = np.full(s0.shape[1], np.nan)
        rank = nonempty.sum(axis=0) + (1 if trend else 0)
        rows = counts.shape[0] if prior is None else (prior > 0).sum(axis=0)
        df_residual = np.asarray(rows - rank, dtype=np.float64)
        square = counts - mu
        square /= mu
        square *= square
        pearson = np.einsum("ij,ij->j", working, square)
        prior_pearson = (
            square.sum(axis=0) if prior is None else np.einsum("ij,ij->j", prior, square)
        )
        positive = df_residual > 0
        dispersion = np.where(positive, pearson / df_residual, np.nan)
        prior_dispersion = np.where(positive, prior_pearson / df_residual, np.nan)
    return Fit(
        trend=trend,
        design=design,
        converged=converged,
        intercept=intercept,
        slope=slope,
        fitted=mu,
        level_fitted=level_mu,
        working_weight=working,
        level_weight=s0,
        level_time=tbar,
        ssw=ssw,
        dispersion=dispersion,
        prior_dispersion=prior_dispersion,
        df_residual=df_residual,
    )
