"""pynssp's multi-year seasonal detectors: Serfling and negative binomial (SIGNALS.md §1.7).

Both fit one model to a training period of at least two years and judge every later
week against it (no rolling window): the model is a time trend and one annual harmonic,

    η_t = β₀ + β₁ t + β₂ cos(2πt/52.18) + β₃ sin(2πt/52.18),   t = 1, 2, … (week number),

* :func:`serfling_pynssp` — pynssp 0.1.0 ``alert_serfling``: ordinary least squares on
  the training weeks *outside the epidemic season* (a week whose date falls in June to
  September; October to May is "epidemic" and left out); the threshold is the upper end
  of the two-sided 90 % prediction interval, ŷ + t_{0.95,n−4}·s·sqrt(1 + x'(X'X)⁻¹x);
* :func:`nbinom_pynssp` — pynssp 0.1.0 ``alert_nbinom``: a negative binomial (NB2, log
  link) GLM on all training weeks, its dispersion α the maximum-likelihood estimate
  (statsmodels ``NegativeBinomial``); the threshold is the 95 % quantile of NB(θ = 1/α)
  at the **upper** end of the 95 % confidence interval of the mean,
  μ_U = exp(η̂ + z_{0.975}·se(η̂)) — so it widens with the uncertainty of the fit.

A week alarms when its count exceeds the threshold (strict ``>``). pynssp reports
estimate, threshold and alarm for the training weeks too; here they are computed for
every week (``expected``, ``upperbound``), but only the weeks after the training period
are decided, as pynssp's "Prediction Period". Everything is vectorised over the series:
they share the weeks, so Serfling's design and its (X'X)⁻¹ are computed once and the
negative binomial fits run as batched Newton / IRLS iterations.

pynssp's ``baseline_end`` date is ``training_weeks`` here: the number of leading weeks
dated on or before it (C_seasonal's 2022-12-25 is week 260). Its checks are kept: at
least two years of training weeks (weeks/52 ≥ 2, i.e. 104), weekly steps. Differences
from pynssp, all outside its defined behaviour:

* pynssp refuses weeks not dated on Sundays (its completeness check counts
  ``pd.date_range(freq="W")``, which is Sundays); here any weekday will do — a week's
  *date* still decides its Serfling season, so Monday-dated weeks can fall in another
  month than pynssp's Sunday-dated ones at a month's edge.
* A missing count (NaN): pynssp's OLS turns NaN in a fitted week into NaN everywhere
  (so no alarm), and ``alert_nbinom`` raises on it. Here a series with a NaN in the
  weeks its model is fitted on is undecided throughout; a NaN in a later week leaves
  only that week undecided.
* pynssp's Serfling numbers the weeks by the row index *before* sorting by date (its
  ``reset_index`` precedes ``sort_values``), so an unsorted data frame gets a scrambled
  time axis; arrays here are always in week order, as a sorted frame.
* statsmodels stops its BFGS fit of α after 35 iterations, silently: on series near
  equidispersion (α → 0) pynssp's α is wherever the optimiser stopped (1e−7…4e−3 on
  Poisson series). Here α is the maximum-likelihood estimate by a safeguarded Newton
  iteration on the profile likelihood, held in [1e−8, 1e4]; where statsmodels converged
  the two agree to ~1e−9 (C_seasonal: α = 0.0999873).
* An all-zero training period: pynssp's NB fit raises (singular matrix); a series whose
  training counts allow no finite fit (all zero, or positive in too few weeks for the
  four coefficients) is undecided here.

**Quirk kept** (``nbinom_pynssp(include_time=False)``): pynssp estimates α from a model
with ``[obs, sin]`` (time and sine, no cosine) but then fits the GLM ``y ~ cos + sin``
with that α. Reproduced as is; ``include_time=True`` (the default) is consistent.

References
----------
R. E. Serfling, "Methods for current statistical analysis of excess pneumonia-influenza
deaths", Public Health Reports 78 (1963) 494–506. pynssp 0.1.0 ``alert_serfling``,
``alert_nbinom`` (CDC NSSP, Apache-2.0); statsmodels ``NegativeBinomial``, ``GLM``.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence

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

__all__ = [
    "HARMONIC_PERIOD",
    "MIN_TRAINING_WEEKS",
    "NON_EPIDEMIC_MONTHS",
    "nbinom_pynssp",
    "nbinom_quantile",
    "serfling_pynssp",
]

#: pynssp's annual period in weeks (not 365.25/7 = 52.1786).
HARMONIC_PERIOD = 52.18
#: pynssp: "Baseline length must be greater than or equal to 2 years" (weeks/52 ≥ 2).
MIN_TRAINING_WEEKS = 104
#: Serfling fits the months outside the epidemic season, October to May.
NON_EPIDEMIC_MONTHS = frozenset({6, 7, 8, 9})
#: Serfling: upper end of the two-sided 90 % prediction interval (statsmodels alpha=0.1).
SERFLING_LEVEL = 0.95
#: alert_nbinom: 95 % confidence interval of the mean, 95 % quantile of the NB.
NBINOM_CI_Z = float(special.ndtri(0.975))
NBINOM_QUANTILE = 0.95
#: Where the NB dispersion α is held (its MLE can be 0 for equidispersed series).
ALPHA_BOUNDS = (1e-8, 1e4)

_TOLERANCE = 1e-11  # on η between IRLS iterations (relative to 1 + |η|)
_PHI_TOLERANCE = 1e-9  # on ln α between Newton steps (the MLE's last digits are noise)
_MAX_ITERATIONS = 200


def serfling_pynssp(
    counts: Counts, *, dates: Sequence[datetime.date], training_weeks: int
) -> Detection:
    """Serfling's seasonal regression, as pynssp 0.1.0 ``alert_serfling`` (module notes).

    Parameters
    ----------
    counts : array, series × weeks
        Weekly counts, oldest first, every series on the same weeks; NaN for a missing
        week.
    dates : sequence of dates
        The date of each week, seven days apart; its month decides whether the week is
        in the epidemic season (October–May), which the fit leaves out.
    training_weeks : int
        The leading weeks the model is fitted on (pynssp: those dated on or before
        ``baseline_end``); at least 104. Later weeks are tested.

    Returns
    -------
    Detection
        ``expected`` ŷ_t, ``upperbound`` ŷ_t + t_{0.95,ν}·se_t with se_t² = s²(1 + h_t)
        (ν = fitted weeks − 4), ``statistic`` (y_t − ŷ_t)/se_t, ``p_value`` its upper
        t tail, ``alarm`` y_t > upperbound — for every week; the training weeks are
        undecided.
    """
    y, one = as_counts(counts)
    weeks = y.shape[1]
    _check_training(training_weeks, weeks)
    months = np.array([d.month for d in _checked_dates(dates, weeks)])
    fitted = np.flatnonzero(
        np.isin(months[:training_weeks], sorted(NON_EPIDEMIC_MONTHS))
    )  # weeks 0-based
    design = _design(weeks, ("obs", "cos", "sin"))
    columns = design.shape[1]
    df = fitted.size - columns
    if df < 1:
        raise ValueError(
            f"the training weeks hold {fitted.size} weeks in June–September; Serfling's "
            f"regression needs more than {columns}"
        )
    x = design[fitted]
    # pynssp's statsmodels OLS solves by the pseudo-inverse; one for every series.
    pinv = np.linalg.pinv(x)
    unscaled = pinv @ pinv.T  # (X'X)⁻¹
    response = y[:, fitted]
    usable: BoolArray = np.asarray(~np.isnan(response).any(axis=1), dtype=np.bool_)
    beta = np.where(usable[:, np.newaxis], np.nan_to_num(response) @ pinv.T, np.nan)
    residual = response - beta @ x.T
    scale = np.einsum("st,st->s", residual, residual) / df
    expected = beta @ design.T
    leverage = np.einsum("tk,kl,tl->t", design, unscaled, design)
    se = np.sqrt(scale[:, np.newaxis] * (1.0 + leverage))
    upperbound = expected + float(stats.t.ppf(SERFLING_LEVEL, df)) * se
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = (y - expected) / se
    p_value = special.stdtr(df, -statistic)
    decided = _tested(y, training_weeks) & usable[:, np.newaxis]
    return shaped(_verdict(y, expected, upperbound, statistic, p_value, decided), one)


def nbinom_pynssp(counts: Counts, *, training_weeks: int, include_time: bool = True) -> Detection:
    """Negative binomial seasonal regression, as pynssp 0.1.0 ``alert_nbinom`` (module notes).

    Parameters
    ----------
    counts : array, series × weeks
        Weekly counts, oldest first, every series on the same weeks; NaN for a missing
        week.
    training_weeks : int
        The leading weeks the model is fitted on (pynssp: those dated on or before
        ``baseline_end``); at least 104. Later weeks are tested.
    include_time : bool
        Keep the time trend. ``False`` reproduces pynssp's quirk: α from a model with
        time and sine, the GLM with cosine and sine.

    Returns
    -------
    Detection
        ``expected`` μ̂_t = exp(η̂_t); ``upperbound`` the 95 % quantile of NB(θ, μ_U,t)
        with θ = 1/α̂ and μ_U,t = exp(η̂_t + 1.96·se(η̂_t)); ``p_value`` P(Y ≥ y_t) under
        that distribution (so the week alarms iff p ≤ 0.05, up to rounding);
        ``statistic`` NaN (the method has none); ``alarm`` y_t > upperbound. The training
        weeks are undecided, and so is a series whose training weeks allow no fit.
    """
    y, one = as_counts(counts)
    series, weeks = y.shape
    _check_training(training_weeks, weeks)
    if include_time:
        dispersion_design = model_design = _design(weeks, ("obs", "cos", "sin"))
    else:
        dispersion_design = _design(weeks, ("obs", "sin"))
        model_design = _design(weeks, ("cos", "sin"))
    training = y[:, :training_weeks]
    usable = ~np.isnan(training).any(axis=1) & (np.nansum(training, axis=1) > 0)
    index = np.flatnonzero(usable)

    expected = np.full((series, weeks), np.nan)
    upper_mean = np.full((series, weeks), np.nan)
    theta = np.full(series, np.nan)
    if index.size:
        fit_y = training[index]
        alpha, dispersion_beta, converged = _nb2_dispersion(
            dispersion_design[:training_weeks], fit_y
        )
        beta, fitted = _nb_glm(
            model_design[:training_weeks],
            fit_y,
            alpha,
            dispersion_beta if include_time else None,
        )
        ok = converged & fitted
        beta[~ok] = 0.0
        linear = beta @ model_design.T
        # statsmodels' GLM covariance: the expected information, weights μ/(1 + αμ)
        mu = np.exp(linear[:, :training_weeks])
        x = model_design[:training_weeks]
        information = _gram(x, mu / (1.0 + alpha[:, np.newaxis] * mu))
        information[~ok] = np.eye(x.shape[1])
        covariance = np.linalg.inv(information)
        se = np.sqrt((np.matmul(model_design, covariance) * model_design).sum(axis=2))
        keep = index[ok]
        expected[keep] = np.exp(linear[ok])
        upper_mean[keep] = np.exp(linear[ok] + NBINOM_CI_Z * se[ok])
        theta[keep] = 1.0 / alpha[ok]

    fitted_series = ~np.isnan(theta)
    size = theta[:, np.newaxis]
    with np.errstate(invalid="ignore", divide="ignore"):
        probability = size / (size + upper_mean)
        upperbound = nbinom_quantile(NBINOM_QUANTILE, size, probability)
        # P(Y ≥ y) = 1 − F(y − 1) = I_{1−p}(y, θ), with 1 − p = μ_U/(θ + μ_U) exactly
        p_value = np.where(
            y > 0, special.betainc(np.maximum(y, 1.0), size, upper_mean / (size + upper_mean)), 1.0
        )
        p_value[np.isnan(y) | np.isnan(upper_mean)] = np.nan
    decided = _tested(y, training_weeks) & fitted_series[:, np.newaxis]
    statistic = np.full((series, weeks), np.nan)
    return shaped(_verdict(y, expected, upperbound, statistic, p_value, decided), one)


# --- negative binomial fits ---------------------------------------------------------------


def _nb_glm(
    x: FloatArray, y: FloatArray, alpha: FloatArray, beta: FloatArray | None = None
) -> tuple[FloatArray, BoolArray]:
    """β of the NB2 GLM (log link) with α fixed, for every series (rows of ``y``): the
    root of the score Σ x (y − μ)/(1 + αμ) that statsmodels ``GLM(family=
    NegativeBinomial(alpha))`` solves. Cold (``beta`` None) it starts as statsmodels,
    from μ = (y + ȳ)/2, with two Fisher-scoring steps (weights μ/(1 + αμ)); then
    Newton's method with the observed information, weights μ(1 + αy)/(1 + αμ)² — never
    negative, as ℓ is concave in β, and quadratically convergent where statsmodels'
    scoring converges linearly. Returns β and whether each series converged to a finite
    fit."""
    a = alpha[:, np.newaxis]
    if beta is None:
        mu = (y + y.mean(axis=1, keepdims=True)) / 2
        with np.errstate(divide="ignore"):
            eta = np.log(mu)
        scoring = 2
    else:
        eta = beta @ x.T
        mu = np.exp(eta)
        scoring = 0
    beta = np.full((y.shape[0], x.shape[1]), np.nan)
    converged = np.zeros(y.shape[0], dtype=bool)
    active = np.arange(y.shape[0])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for iteration in range(_MAX_ITERATIONS):
            m, e, ai = mu[active], eta[active], a[active]
            spread = 1.0 + ai * m
            score = (y[active] - m) / spread
            # Fisher's weights μ/(1 + αμ) for the first cold steps, then the observed ones
            observed = 1.0 if iteration < scoring else (1.0 + ai * y[active]) / spread
            weight = m / spread * observed
            update = _weighted_solve(x, weight, weight * e + score)
            new_eta = update @ x.T
            change = np.max(np.abs(new_eta - e), axis=1)
            beta[active], eta[active], mu[active] = update, new_eta, np.exp(new_eta)
            done = change < _TOLERANCE * (1.0 + np.max(np.abs(new_eta), axis=1))
            converged[active] = done
            # a fit running off to infinity (no finite MLE) stops when it overflows
            active = active[~done & np.isfinite(change)]
            if active.size == 0:
                break
    return beta, converged & np.isfinite(beta).all(axis=1)


def _weighted_solve(x: FloatArray, weight: FloatArray, target: FloatArray) -> FloatArray:
    """β with (X' W X) β = X' (W z) per series (``weight`` W and ``target`` Wz: series ×
    weeks), the Gram matrices as one matrix product; NaN where the system is singular
    or not finite."""
    lhs = _gram(x, weight)
    rhs = target @ x
    bad = ~(np.isfinite(lhs).all(axis=(1, 2)) & np.isfinite(rhs).all(axis=1))
    lhs[bad] = np.eye(x.shape[1])
    rhs[bad] = 0.0
    try:
        solution = np.linalg.solve(lhs, rhs[..., np.newaxis])[..., 0]
    except np.linalg.LinAlgError:  # one singular system: solve each, mark the singular
        solution = np.array([_solve_or_nan(m, v) for m, v in zip(lhs, rhs, strict=True)])
    solution[bad] = np.nan
    return np.asarray(solution, dtype=np.float64)


def _solve_or_nan(matrix: FloatArray, vector: FloatArray) -> FloatArray:
    try:
        return np.asarray(np.linalg.solve(matrix, vector), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.full(vector.shape, np.nan)


def _gram(x: FloatArray, weight: FloatArray) -> FloatArray:
    """X' diag(w_s) X for every row w_s of ``weight``: series × k × k."""
    k = x.shape[1]
    outer = (x[:, :, np.newaxis] * x[:, np.newaxis, :]).reshape(x.shape[0], k * k)
    return np.asarray(weight @ outer, dtype=np.float64).reshape(weight.shape[0], k, k)


def _nb2_dispersion(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    """The maximum-likelihood α (and β) of the NB2 model log μ = Xβ for every series.

    Newton's method on the profile log-likelihood P(φ) = max_β ℓ(β, e^φ) in φ = ln α,
    safeguarded by bisection: each step refits β (IRLS, warm-started) and takes
    P′ = ∂ℓ/∂φ and P″ = ℓ_φφ − ℓ_φβ′ ℓ_ββ⁻¹ ℓ_βφ (observed information) there. The
    bracket is :data:`ALPHA_BOUNDS`: where P falls from the lower bound on (an
    equidispersed or underdispersed series) α stays there.
    """
    series = y.shape[0]
    low, high = (np.full(series, math.log(b)) for b in ALPHA_BOUNDS)
    # At the lower bound the model is Poisson: its fit starts β, its slope tells whether
    # the MLE is inside, and its residuals give the moment estimate α that starts φ.
    beta, ok = _nb_glm(x, y, np.exp(low))
    converged = np.zeros(series, dtype=bool)
    phi = low.copy()
    i = np.flatnonzero(ok)
    slope, _ = _profile_derivatives(x, y[i], beta[i], phi[i])
    inside = slope > 0
    converged[i[~inside]] = True
    i = i[inside]
    mu = np.exp(beta[i] @ x.T)
    moments = ((y[i] - mu) ** 2 - y[i]).sum(axis=1) / (mu**2).sum(axis=1)
    phi[i] = np.log(np.clip(moments, 1e-4, 1e3))
    for _ in range(_MAX_ITERATIONS):
        if i.size == 0:
            break
        beta_i, fit = _nb_glm(x, y[i], np.exp(phi[i]), beta[i])
        beta[i] = beta_i
        slope, curvature = _profile_derivatives(x, y[i], beta_i, phi[i])
        low[i] = np.where(slope > 0, phi[i], low[i])
        high[i] = np.where(slope < 0, phi[i], high[i])
        with np.errstate(invalid="ignore", divide="ignore"):
            newton = phi[i] - slope / curvature
        # Newton where it stays in the bracket (a hair outside: the root is at its end,
        # found by rounding), else bisection.
        slack = _PHI_TOLERANCE
        within = (curvature < 0) & (newton > low[i] - slack) & (newton < high[i] + slack)
        step = np.where(within, np.clip(newton, low[i], high[i]), (low[i] + high[i]) / 2)
        done = (np.abs(step - phi[i]) < _PHI_TOLERANCE) | (slope == 0)
        phi[i] = step
        converged[i] = done & fit
        i = i[~done & fit]
    return np.exp(phi), beta, converged


def _profile_derivatives(
    x: FloatArray, y: FloatArray, beta: FloatArray, phi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """P′(φ) and P″(φ) of the NB2 profile log-likelihood at (β̂(φ), φ = ln α).

    Per week, with θ = 1/α, ∂ℓ/∂θ = ψ(y+θ) − ψ(θ) − ln(1 + μ/θ) + (μ − y)/(θ + μ) and
    ∂²ℓ/∂θ² = ψ′(y+θ) − ψ′(θ) + 1/θ − 1/(θ + μ) − (μ − y)/(θ + μ)². Near a Poisson
    series (θ → ∞) their terms cancel to O(1/θ²), so they are written without the
    cancellation: ψ = G + ln and ψ′ = H + 1/x with G and H computed directly.
    """
    theta = np.exp(-phi)[:, np.newaxis]
    mu = np.exp(beta @ x.T)
    total = theta + mu
    d_theta = (
        _digamma_minus_log(y + theta)
        - _digamma_minus_log(theta)
        + np.log1p(y / theta)
        - np.log1p(mu / theta)
        + (mu - y) / total
    ).sum(axis=1)
    d2_theta = (
        _trigamma_minus_inverse(y + theta)
        - _trigamma_minus_inverse(theta)
        + (mu - y) ** 2 / (total**2 * (y + theta))
    ).sum(axis=1)
    t = theta[:, 0]
    slope = -t * d_theta  # dθ/dφ = −θ
    d2_phi = t**2 * d2_theta + t * d_theta
    cross = -t[:, np.newaxis] * ((mu * (y - mu) / total**2) @ x)
    information = _gram(x, theta * mu * (theta + y) / total**2)  # −ℓ_ββ
    solved = np.linalg.solve(information, cross[..., np.newaxis])[..., 0]
    return slope, d2_phi + np.einsum("sk,sk->s", cross, solved)


#: From here on the asymptotic series of ψ and ψ′ are exact to double precision.
_ASYMPTOTIC_FROM = 20.0


def _digamma_minus_log(x: FloatArray) -> FloatArray:
    """ψ(x) − ln x = −1/(2x) − Σ B₂ₖ/(2k x²ᵏ) (to B₁₀) for x ≥ 20, SciPy below."""
    out = np.empty_like(x)
    large = x >= _ASYMPTOTIC_FROM
    r = 1.0 / x[large]
    r2 = r * r
    out[large] = -r / 2 - r2 * (
        1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 / 132)))
    )
    small = ~large
    out[small] = special.digamma(x[small]) - np.log(x[small])
    return out


def _trigamma_minus_inverse(x: FloatArray) -> FloatArray:
    """ψ′(x) − 1/x = 1/(2x²) + Σ B₂ₖ/x²ᵏ⁺¹ (to B₁₀) for x ≥ 20, SciPy below."""
    out = np.empty_like(x)
    large = x >= _ASYMPTOTIC_FROM
    r = 1.0 / x[large]
    r2 = r * r
    out[large] = r2 / 2 + r * r2 * (
        1 / 6 - r2 * (1 / 30 - r2 * (1 / 42 - r2 * (1 / 30 - r2 * (5 / 66))))
    )
    small = ~large
    out[small] = special.polygamma(1, x[small]) - 1.0 / x[small]
    return out


def nbinom_quantile(q: float, size: FloatArray, probability: FloatArray) -> FloatArray:
    """The q-quantile of NB(size, probability): the smallest k ≥ 0 with F(k) ≥ q.

    The same numbers as ``scipy.stats.nbinom.ppf`` (equal on 2 million random
    parameter pairs), about three times faster: a Cornish–Fisher guess, then the CDF
    F(k) = I_p(size, k + 1) walked (doubling steps) to a bracket and bisected. NaN
    where a parameter is NaN.
    """
    n, p = np.broadcast_arrays(np.asarray(size, np.float64), np.asarray(probability, np.float64))
    out = np.full(n.shape, np.nan)
    valid = np.isfinite(n) & np.isfinite(p) & (n > 0) & (p > 0) & (p <= 1)
    n, p = n[valid], p[valid]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = n * (1 - p) / p
        skew = (2 - p) / np.sqrt(n * (1 - p))
        z = float(special.ndtri(q))
        guess = np.ceil(mean + np.sqrt(mean / p) * (z + (z * z - 1) * skew / 6) - 0.5)
    guess = np.where(np.isfinite(guess), np.maximum(guess, 0.0), 0.0)

    def cdf(k: FloatArray, which: npt.NDArray[np.intp]) -> FloatArray:
        return np.where(
            k < 0, 0.0, special.betainc(n[which], np.maximum(k, 0.0) + 1, p[which])
        ).astype(np.float64)

    every = np.arange(n.size)
    above = cdf(guess, every) >= q
    # Bracket lo < k ≤ hi with F(lo) < q ≤ F(hi) (lo = −1: F = 0), walking from the
    # guess in doubling steps, then bisect.
    hi = np.where(above, guess, np.nan)
    lo = np.where(above, np.nan, guess)
    step = np.ones(n.size)
    walk = every
    while walk.size:
        down = above[walk]
        probe = np.where(down, hi[walk] - step[walk], lo[walk] + step[walk])
        hit = cdf(probe, walk) >= q
        hi[walk] = np.where(hit, probe, hi[walk])
        lo[walk] = np.where(hit, lo[walk], np.maximum(probe, -1.0))
        step[walk] *= 2
        walk = walk[np.where(down, hit, ~hit)]  # not past the quantile yet
    gap = np.flatnonzero(hi - lo > 1)
    while gap.size:
        middle = np.floor((lo[gap] + hi[gap]) / 2)
        hit = cdf(middle, gap) >= q
        hi[gap] = np.where(hit, middle, hi[gap])
        lo[gap] = np.where(hit, lo[gap], middle)
        gap = gap[hi[gap] - lo[gap] > 1]
    out[valid] = hi
    return out


# --- shared --------------------------------------------------------------------------------


def _design(weeks: int, terms: Sequence[str]) -> FloatArray:
    """pynssp's design: intercept and ``obs`` (week number 1 … n), ``cos``, ``sin``."""
    obs = np.arange(1, weeks + 1, dtype=np.float64)
    angle = 2 * np.pi * obs / HARMONIC_PERIOD
    columns = {"obs": obs, "cos": np.cos(angle), "sin": np.sin(angle)}
    return np.column_stack([np.ones(weeks), *(columns[t] for t in terms)])


def _check_training(training_weeks: int, weeks: int) -> None:
    if isinstance(training_weeks, bool) or not isinstance(training_weeks, int | np.integer):
        raise ValueError(f"training_weeks must be a whole number, got {training_weeks!r}")
    if not MIN_TRAINING_WEEKS <= training_weeks < weeks:
        raise ValueError(
            f"training_weeks must be at least two years ({MIN_TRAINING_WEEKS} weeks) and "
            f"leave a week to test: {MIN_TRAINING_WEEKS} ≤ training_weeks < {weeks}, "
            f"got {training_weeks}"
        )


def _checked_dates(dates: Sequence[datetime.date], weeks: int) -> list[datetime.date]:
    days = list(dates)
    if len(days) != weeks:
        raise ValueError(f"dates must give one date per week: {weeks} weeks, {len(days)} dates")
    if any((later - earlier).days != 7 for earlier, later in zip(days, days[1:], strict=False)):
        raise ValueError("dates must be seven days apart, oldest first, none missing")
    return days


def _tested(y: FloatArray, training_weeks: int) -> BoolArray:
    tested = ~np.isnan(y)
    tested[:, :training_weeks] = False
    return tested


def _verdict(
    y: FloatArray,
    expected: FloatArray,
    upperbound: FloatArray,
    statistic: FloatArray,
    p_value: FloatArray,
    decided: BoolArray,
) -> Detection:
    with np.errstate(invalid="ignore"):
        alarm = decided & (y > upperbound)
    return Detection(
        expected=np.asarray(expected, dtype=np.float64),
        upperbound=np.asarray(upperbound, dtype=np.float64),
        statistic=np.asarray(statistic, dtype=np.float64),
        p_value=np.asarray(p_value, dtype=np.float64),
        alarm=alarm,
        decided=decided,
    )
