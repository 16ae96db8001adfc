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

How the passes over rows × series arrays are kept few (they are the cost):

* μ = exp(a_level) · exp(β t): a step is one ``exp`` of β t and one product for each
  level's moments Σ ω E [1, t, t²], scaled by exp(a_level) afterwards;
* prior weights are ω = γ (1 + δ) (:class:`Weights`): a factor per series and departures
  at a few entries — Farrington's reweighting changes a few percent of the weights, a
  missing week (no weight) is rare — so sums over ω are γ times the unit-weight sums plus
  the departures', and no rows × series weight array is formed;
* the unit-weight sums a fit starts from depend on the counts and the design only, so a
  week's fits (with and without trend, before and after reweighting) share them
  (:meth:`Response.unit_sums`);
* the working weights of the last step are kept as exp(a_level) and exp(β t) of the step
  before, and the dispersion is summed level by level from them.

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

The inputs every fit of a batch shares (design, counts, prior weights) are in
:mod:`~zhiliang.lib.signals.quasipoisson_inputs`.

Not reproduced: R's step halving when the deviance becomes infinite (exp overflow), which
only extreme counts reach; such a fit is reported as not converged. A level without any
row of positive weight drops out of the model, as R's pivoting drops its column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from scipy import special

from zhiliang.lib.signals.quasipoisson_inputs import Design, Response, Weights

__all__ = ["Design", "Fit", "Response", "Weights", "fit_quasipoisson"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

#: R's glm.control(): epsilon and maxit.
EPSILON = 1e-8
MAXIT = 25
_DBL_EPSILON = float(np.finfo(np.float64).eps)
_LOG_DBL_EPSILON = math.log(_DBL_EPSILON)
#: |β t| beyond which exp(β t) alone may overflow (exp overflows above 709.78).
_SAFE_EXPONENT = 700.0


@dataclass(frozen=True, eq=False)
class Fit:
    """The fits of a batch, one per series.

    ``fitted`` (rows × series) is μ at the returned coefficients; the working weights of
    the last least-squares step (R's ``fit$weights``) are ω·μ of the previous iterate,
    kept as ``working_scale[level] · working_factor`` and the prior ``weights``
    (:attr:`working_weight` forms them). Rows with NaN counts have weight 0 and do not
    count in ``df_residual``.
    """

    trend: bool
    design: Design
    converged: BoolArray  # series
    intercept: FloatArray  # levels × series, at the design's time 0
    slope: FloatArray  # series (0 without trend)
    fitted: FloatArray  # rows × series
    level_fitted: FloatArray | None  # levels × series when μ is constant within a level
    working_factor: FloatArray  # rows × series
    working_scale: FloatArray  # levels × series
    weights: Weights
    residual: FloatArray  # (y − μ)/μ, rows × series
    square: FloatArray  # its square
    level_weight: FloatArray  # S0: levels × series
    level_time: FloatArray  # t̄: levels × series
    ssw: FloatArray  # series: Σ w (t − t̄)² (NaN without trend)
    dispersion: FloatArray  # series: summary.glm's Pearson estimate, not floored at 1
    prior_dispersion: FloatArray  # series: Σ ω ((y − μ)/μ)² / df (see farrington)
    df_residual: FloatArray  # series

    @cached_property
    def working_weight(self) -> FloatArray:
        """ω·μ of the step before the last, rows × series."""
        rows = self.working_factor.shape[0]
        mu = self.design.spread_times(self.working_scale, self.working_factor)
        return np.asarray(self.weights.dense(rows) * mu, dtype=np.float64)

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
                for level, (begin, end) in enumerate(d.blocks):
                    leverage[begin:end] -= self.level_time[level]
                leverage *= leverage
                leverage /= self.ssw
                for level, (begin, end) in enumerate(d.blocks):
                    leverage[begin:end] += inverse[level]
            else:
                leverage = d.spread(inverse)
            h = self.working_weight * leverage
        return np.asarray(h, dtype=np.float64)

    def hat_at(self, rows: IntArray, columns: IntArray) -> FloatArray:
        """:meth:`hat` at some (row, series) pairs only."""
        level = self.design.level_of[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = self.level_weight[level, columns]
            leverage = np.where(weight > 0, 1.0 / weight, 0.0)
            if self.trend:
                distance = self.design.time[rows] - self.level_time[level, columns]
                leverage += distance * distance / self.ssw[columns]
            mu = self.working_scale[level, columns] * self.working_factor[rows, columns]
            h = self.weights.at(rows, columns) * mu * leverage
        return np.asarray(h, dtype=np.float64)

    def hat_bound(self) -> FloatArray:
        """An upper bound of each series' hat values (NaN where one is undefined): the
        largest working weight of a level times its largest leverage."""
        d = self.design
        largest = np.zeros(self.working_scale.shape)
        for level, (begin, end) in enumerate(d.blocks):  # faster than reduceat over rows
            if end > begin:
                self.working_factor[begin:end].max(axis=0, out=largest[level])
        largest *= self.working_scale
        largest *= self.weights.factor * self.weights.largest_share()
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = np.where(self.level_weight > 0, 1.0 / self.level_weight, 0.0)
            if self.trend:
                reach = np.maximum(
                    np.abs(d.time_low[:, np.newaxis] - self.level_time),
                    np.abs(d.time_high[:, np.newaxis] - self.level_time),
                )
                bound = bound + reach * reach / self.ssw
            bound = largest * bound
        return np.asarray(bound.max(axis=0) * (1 + 1e-12), dtype=np.float64)

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
            working_factor=self.working_factor[:, index],
            working_scale=self.working_scale[:, index],
            weights=self.weights.series(index),
            residual=self.residual[:, index],
            square=self.square[:, index],
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
    weights: Weights | FloatArray | None = None,
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
    weights : Weights or float array (rows × series), optional
        Prior weights (``glm(weights=)``), non-negative.
    offset : float array, rows × series, optional
        A known term added to the linear predictor (``offset(log(population))``).
    """
    r = response
    series = r.counts.shape[1]
    if weights is None:
        prior = Weights.unit(series)
    elif isinstance(weights, Weights):
        prior = weights
    else:
        prior = Weights.of(np.asarray(weights, dtype=np.float64))
    if not r.valid.all():
        prior = prior.excluding(~r.valid)
    start = _start(r, design, trend, prior, offset)
    off = None if offset is None else np.where(r.valid, offset, 0.0)
    if offset is None and not trend:
        return _fit_levels(r, design, prior, start)
    return _fit_rows(r, design, trend, prior, start, off)


@dataclass
class _Start:
    """Sums at R's starting values μ₀ = y + 0.1 (columns as in :func:`_weight_layout`
    and :func:`_response_layout`), one column per series."""

    sums: FloatArray  # Σ w [1_l, t·1_l, t²]
    z_sums: FloatArray  # Σ w z [1_l, t]
    count_sums: FloatArray  # Σ ω y [1_l, t]
    count_offset: FloatArray  # Σ ω y offset
    constant: FloatArray  # Σ ω (y log y − y)
    deviance: FloatArray


def _start(
    r: Response, design: Design, trend: bool, prior: Weights, offset: FloatArray | None
) -> _Start:
    """The start's sums with prior weights: γ (unit sums + the departures' sums)."""
    series = r.counts.shape[1]
    unit = r.unit_sums(design)
    k_w, k_z = (3, 2) if trend else (1, 1)
    mustart, start_wz, counts = unit.mustart[:k_w], unit.start_wz[:k_z], unit.counts[:k_z]
    constant, deviance = unit.y_log_y, unit.deviance
    rows, columns, delta = prior.rows, prior.columns, prior.delta
    if delta.size:

        def departures(name: str, count: int) -> FloatArray:
            values = r.quantity_at(name, rows, columns) * delta
            return design.sparse_moments(rows, columns, values, count, series)

        def totals(name: str) -> FloatArray:
            values = r.quantity_at(name, rows, columns) * delta
            return np.bincount(columns, weights=values, minlength=series).astype(np.float64)

        mustart = mustart + departures("mustart", k_w)
        start_wz = start_wz + departures("start_wz", k_z)
        counts = counts + departures("counts", k_z)
        constant = constant + totals("y_log_y")
        deviance = deviance + totals("start_deviance")
    gamma = prior.factor
    z_sums = _response_layout(start_wz, trend) * gamma
    count_offset = np.zeros(series)
    if offset is not None:  # w·z = w (η − offset − 1) + ω y
        off = np.where(r.valid, offset, 0.0)
        weighted = prior.dense(r.counts.shape[0])
        z_sums -= _response_layout(design.moments(weighted * r.mustart * off, k_z), trend)
        count_offset = np.einsum("ij,ij->j", weighted * r.counts, off)
    return _Start(
        sums=_weight_layout(mustart, trend) * gamma,
        z_sums=z_sums,
        count_sums=_response_layout(counts, trend) * gamma,
        count_offset=count_offset,
        constant=constant * gamma,
        deviance=2.0 * deviance * gamma,
    )


def _weight_layout(moments: FloatArray, trend: bool) -> FloatArray:
    """Moments (count × levels × series) as the sums a step is solved from: Σ w per
    level, and with a trend Σ w t per level and Σ w t² in total."""
    if not trend:
        return np.asarray(moments[0], dtype=np.float64)
    return np.concatenate([moments[0], moments[1], moments[2].sum(axis=0, keepdims=True)])


def _response_layout(moments: FloatArray, trend: bool) -> FloatArray:
    """Moments as the sums of w·z: Σ wz per level, and with a trend Σ wz t in total."""
    if not trend:
        return np.asarray(moments[0], dtype=np.float64)
    return np.concatenate([moments[0], moments[1].sum(axis=0, keepdims=True)])


def _fit_rows(
    r: Response,
    design: Design,
    trend: bool,
    prior: Weights,
    start: _Start,
    off: FloatArray | None,
) -> Fit:
    """The general case: μ differs from row to row (a trend, an offset).

    Without an offset μ = exp(a_level) · E with E = exp(β t), so a step is one ``exp``
    over the rows and one pass for the per-level moments Σ E [1, t, t²] (plus the prior
    weights' departures), scaled by γ exp(a_level) afterwards. A series whose μ reaches
    R's floor ε, or whose β·t could overflow, has μ itself as its factor (computed as
    exp(a + β t), scale 1), as has every series with an offset.
    """
    series = r.counts.shape[1]
    levels = design.levels
    count = 3 if trend else 1
    out_converged = np.zeros(series, dtype=np.bool_)
    out_coefficients = np.zeros((levels + 1, series))  # intercepts and slope
    out_before = np.zeros((levels + 1, series))  # those of the step before
    out_sums = np.empty(start.sums.shape)
    first_step = np.zeros(series, dtype=np.bool_)

    index = np.arange(series)
    work_prior, work_off = prior, off
    count_sums, constant = start.count_sums, start.constant
    count_offset = start.count_offset
    sums, z_sums, deviance_old = start.sums, start.z_sums, start.deviance
    before: FloatArray | None = None
    unit_factor = bool((prior.factor == 1.0).all())
    for iteration in range(1, MAXIT + 1):
        coefficients = _solve(sums, z_sums, levels, trend)
        intercept, slope = coefficients[:levels], coefficients[levels]
        factor, scale, floored = _step_mean(design, coefficients, trend, work_off)
        moments = design.moments(factor, count)
        if work_prior.delta.size:
            departures = factor[work_prior.rows, work_prior.columns] * work_prior.delta
            moments += design.sparse_moments(
                work_prior.rows, work_prior.columns, departures, count, factor.shape[1]
            )
        moments *= scale
        if not unit_factor:
            moments *= work_prior.factor
        new_sums = _weight_layout(moments, trend)
        # Deviance 2 Σ ω (y log(y/μ) − y + μ) = 2 (Σ ω (y log y − y) − Σ ω y η + Σ ω μ)
        # while μ = exp η; where μ was floored, R's formula on those series (the factor is
        # μ there).
        y_eta = (count_sums[:levels] * intercept).sum(axis=0) + count_offset
        if trend:
            y_eta += count_sums[levels] * slope
        deviance = 2.0 * (constant - y_eta + new_sums[:levels].sum(axis=0))
        if floored is not None:
            chosen = np.flatnonzero(floored)
            deviance[chosen] = _deviance_exact(
                r.counts[:, index[chosen]],
                factor[:, chosen],
                work_prior.series(chosen).dense(factor.shape[0]),
            )

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
            keep = np.flatnonzero(~done)
            index = index[keep]
            work_prior = work_prior.series(keep)
            work_off = None if work_off is None else work_off[:, keep]
            constant, count_sums = constant[keep], count_sums[:, keep]
            count_offset = count_offset[keep]
            coefficients = coefficients[:, keep]
            intercept, slope = intercept[:, keep], slope[keep]
            new_sums, deviance = new_sums[:, keep], deviance[keep]
        z_sums = _next_z_sums(new_sums, count_sums, intercept, slope, levels, trend)
        before, sums, deviance_old = coefficients, new_sums, deviance

    # μ at the fit and at the step before (whose weights the last step used), recomputed
    # from the coefficients exactly as in the loop (cheaper than keeping them: copying
    # columns out costs as much as an exp) and floored at ε as R's linkinv; μ₀ = y + 0.1
    # before the first step.
    factor, scale, _ = _step_mean(design, out_coefficients, trend, off)
    working_factor, working_scale, _ = _step_mean(design, out_before, trend, off)
    mu = design.spread_times(scale, factor, out=factor)  # the factor is not needed again
    if first_step.any():
        working_factor[:, first_step] = r.mustart[:, first_step]
        working_scale[:, first_step] = 1.0
    return _finish(
        design,
        trend,
        out_converged,
        out_coefficients[:levels],
        out_coefficients[levels],
        out_sums,
        mu,
        None,
        working_factor,
        working_scale,
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
    for level, (begin, end) in enumerate(design.blocks):
        mean[begin:end] += coefficients[level]
    if offset is not None:
        mean += offset
    with np.errstate(over="ignore"):
        np.exp(mean, out=mean)
    return mean


def _fit_levels(r: Response, design: Design, prior: Weights, start: _Start) -> Fit:
    """No trend, no offset: μ is one number per level, so after the first step R's
    iteration runs on levels × series arrays (a_l = Σ_l w z / S0_l with w = ω μ_l)."""
    levels = design.levels
    series = r.counts.shape[1]
    sizes = np.array([end - begin for begin, end in design.blocks], dtype=np.float64)
    level_prior = np.repeat(sizes[:, np.newaxis], series, axis=1)
    if prior.delta.size:
        level_prior += design.sparse_moments(prior.rows, prior.columns, prior.delta, 1, series)[0]
    level_prior *= prior.factor
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
    working_factor: FloatArray = np.broadcast_to(np.ones(1), r.counts.shape)
    if first_step.any():  # stopped at the first step: weights from μ₀ = y + 0.1
        working_factor = np.ones(r.counts.shape)
        working_factor[:, first_step] = r.mustart[:, first_step]
        mu_before[:, first_step] = 1.0
    return _finish(
        design,
        False,
        converged,
        intercept,
        np.zeros(series),
        final_sums,
        fitted,
        mu_fit,
        working_factor,
        mu_before,
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
    some_empty = bool(empty.any())
    coefficients = np.empty((levels + 1, s0.shape[1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = z0 / s0
        if not trend:
            coefficients[:levels] = np.where(empty, 0.0, mean) if some_empty else mean
            coefficients[levels] = 0.0
            return coefficients
        s1 = sums[levels : 2 * levels]
        tbar = s1 / s0
        if some_empty:
            tbar[empty] = 0.0
        ssw = sums[2 * levels] - np.einsum("ls,ls->s", s1, tbar)
        slope = (z_sums[levels] - np.einsum("ls,ls->s", z0, tbar)) / ssw
        mean -= slope * tbar
        coefficients[:levels] = np.where(empty, 0.0, mean) if some_empty else mean
        coefficients[levels] = slope
    return coefficients


def _deviance_exact(counts: FloatArray, mu: FloatArray, prior: FloatArray) -> FloatArray:
    """``sum(quasipoisson()$dev.resids(y, mu, wt))`` per series."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(counts > 0, counts * np.log(counts / mu) - (counts - mu), mu)
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
    working_factor: FloatArray,
    working_scale: FloatArray,
    counts: FloatArray,
    prior: Weights,
) -> Fit:
    """Fit from the last step: the sums of the weights it was solved with, μ, and the
    working weights ω · working_scale[level] · working_factor."""
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
        df_residual = np.asarray(counts.shape[0] - prior.weightless() - rank, dtype=np.float64)
        residual = counts - mu
        residual /= mu
        square = residual * residual
        # Σ ω μ' ((y − μ)/μ)² level by level: γ Σ_l scale_l Σ_l (1 + δ) factor · square.
        per_level = np.empty((levels, counts.shape[1]))
        for level, (begin, end) in enumerate(design.blocks):
            np.einsum(
                "rs,rs->s", working_factor[begin:end], square[begin:end], out=per_level[level]
            )
        prior_pearson = square.sum(axis=0)
        if prior.delta.size:
            rows, columns = prior.rows, prior.columns
            departures = square[rows, columns] * prior.delta
            per_level += design.sparse_moments(
                rows, columns, departures * working_factor[rows, columns], 1, counts.shape[1]
            )[0]
            prior_pearson += np.bincount(columns, weights=departures, minlength=counts.shape[1])
        pearson = (per_level * working_scale).sum(axis=0) * prior.factor
        prior_pearson *= prior.factor
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
        working_factor=working_factor,
        working_scale=working_scale,
        weights=prior,
        residual=residual,
        square=square,
        level_weight=s0,
        level_time=tbar,
        ssw=ssw,
        dispersion=dispersion,
        prior_dispersion=prior_dispersion,
        df_residual=df_residual,
    )
