"""The batched quasi-Poisson fits against a literal port of R's glm.fit, one series at a
time, on the explicit design matrix (intercept, wtime, treatment-coded seasgroups)."""

import math

import numpy as np
import pytest

from zhiliang.lib.signals.quasipoisson import Design, Response, Weights, fit_quasipoisson

EPS = float(np.finfo(float).eps)


def r_glm_fit(x, y, weights, offset):
    """stats::glm.fit(x, y, weights, offset, family = quasipoisson()) for one series,
    as R 4.x runs it (mustart y + 0.1, epsilon 1e-8, maxit 25), with R's hatvalues and
    summary.glm dispersion; NaN rows are dropped first (na.omit)."""
    keep = ~np.isnan(y)
    x, y, weights, offset = x[keep], y[keep], weights[keep], offset[keep]

    def deviance(mu):
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu) - (y - mu), mu)
        return 2 * float((weights * term).sum())

    eta = np.log(y + 0.1)
    mu = np.maximum(np.exp(eta), EPS)
    deviance_old = deviance(mu)
    converged = False
    for _ in range(25):
        good = weights > 0
        mu_eta = np.maximum(np.exp(eta), EPS)
        z = (eta - offset)[good] + (y - mu)[good] / mu_eta[good]
        w = np.sqrt(weights[good] * mu_eta[good] ** 2 / mu[good])
        coefficients = np.linalg.lstsq(x[good] * w[:, None], z * w, rcond=None)[0]
        eta = x @ coefficients + offset
        mu = np.maximum(np.exp(eta), EPS)
        dev = deviance(mu)
        if abs(dev - deviance_old) / (abs(dev) + 0.1) < 1e-8:
            converged = True
            break
        deviance_old = dev
    working = np.zeros(y.size)
    working[good] = w**2
    residuals = (y - mu) / np.maximum(np.exp(eta), EPS)
    rank = np.linalg.matrix_rank(x[good] * w[:, None])
    df = int((weights > 0).sum()) - rank
    dispersion = float((working * residuals**2)[working > 0].sum() / df)
    q, _ = np.linalg.qr(x[good] * w[:, None])
    hat = np.zeros(y.size)
    hat[good] = (q**2).sum(axis=1)
    return {
        "coefficients": coefficients,
        "fitted": mu,
        "converged": converged,
        "dispersion": dispersion,
        "hat": hat,
        "keep": keep,
    }


def model_matrix(levels, time, trend):
    """R's model.matrix(response ~ 1 + wtime + seasgroups): treatment contrasts."""
    columns = [np.ones(time.size)]
    if trend:
        columns.append(time)
    columns += [(levels == level).astype(float) for level in range(1, levels.max() + 1)]
    return np.column_stack(columns)


def check_against_r(y, levels, time, *, trend, weights=None, offset=None):
    """Fit every series both ways and compare what Farrington uses from a fit."""
    design = Design.of(levels, time)
    got = fit_quasipoisson(
        Response.of(np.ascontiguousarray(y.T)),
        design,
        trend=trend,
        weights=None if weights is None else np.ascontiguousarray(weights.T),
        offset=None if offset is None else np.ascontiguousarray(offset.T),
    )
    x = model_matrix(levels, time, trend)
    for i in range(y.shape[0]):
        want = r_glm_fit(
            x,
            y[i],
            np.ones(y.shape[1]) if weights is None else weights[i],
            np.zeros(y.shape[1]) if offset is None else offset[i],
        )
        keep = want["keep"]
        assert got.converged[i] == want["converged"], i
        np.testing.assert_allclose(got.fitted[keep, i], want["fitted"], rtol=1e-9)
        np.testing.assert_allclose(got.hat()[keep, i], want["hat"], rtol=1e-8, atol=1e-12)
        assert got.dispersion[i] == pytest.approx(want["dispersion"], rel=1e-9)
        # The prediction at a new time in the last level, on the link scale.
        t0 = float(time.max() + 3)
        row = model_matrix(np.array([levels.max()]), np.array([t0]), trend)[0]
        assert got.link(int(levels.max()), t0)[i] == pytest.approx(
            float(row @ want["coefficients"]), rel=1e-9, abs=1e-9
        )
        if trend:
            covariance = np.linalg.inv((x[keep] * got.working_weight[keep, i][:, None]).T @ x[keep])
            assert got.link_variance(int(levels.max()), t0)[i] == pytest.approx(
                float(row @ covariance @ row), rel=1e-7
            )


def seasonal_counts(rng, series, rows):
    level = rng.gamma(2.0, 5.0, size=(series, 1))
    return rng.poisson(level * (1 + 0.3 * np.sin(np.arange(rows) / 5.0))).astype(float)


def grouped_levels(sizes):
    return np.repeat(np.arange(len(sizes)), sizes)


def test_trend_and_seasonal_levels_as_r():
    rng = np.random.default_rng(6)
    levels = grouped_levels([7, 9, 12])
    time = rng.permutation(np.arange(28.0)) - 13.5
    check_against_r(seasonal_counts(rng, 12, 28), levels, time, trend=True)


def test_levels_without_trend_as_r():
    rng = np.random.default_rng(7)
    levels = grouped_levels([10, 8, 10])
    time = np.arange(28.0)
    check_against_r(seasonal_counts(rng, 12, 28), levels, time, trend=False)
    check_against_r(seasonal_counts(rng, 6, 28), np.zeros(28, dtype=int), time, trend=False)


def test_prior_weights_missing_rows_and_offsets_as_r():
    rng = np.random.default_rng(8)
    levels = grouped_levels([14, 14])
    time = np.arange(28.0) - 14
    y = seasonal_counts(rng, 10, 28)
    y[2, 5] = y[4, 20] = np.nan
    weights = rng.uniform(0.2, 1.5, size=y.shape)
    check_against_r(y, levels, time, trend=True, weights=weights)
    check_against_r(y, levels, time, trend=False, weights=weights)
    offset = np.log(rng.uniform(500, 2000, size=y.shape))
    check_against_r(y, levels, time, trend=True, offset=offset)
    check_against_r(y, levels, time, trend=False, offset=offset)


def test_an_all_zero_baseline_stops_where_r_stops():
    # Each step lowers log μ by exactly 1 from log 0.1, so dev = 0.2·n·e^{−k} and R's
    # |Δdev|/(dev + 0.1) < 1e-8 holds after 24 steps with 35 rows, after 25 with 184,
    # and not within 25 with 400 rows.
    for rows, steps in ((35, 24), (184, 25), (400, None)):
        y = np.zeros((1, rows))
        time = np.arange(float(rows))
        x = np.zeros(rows, dtype=int)
        design = Design.of(x, time)
        for trend in (True, False):
            got = fit_quasipoisson(Response.of(y.T.copy()), design, trend=trend)
            want = r_glm_fit(model_matrix(x, time, trend), y[0], np.ones(rows), np.zeros(rows))
            assert got.converged[0] == want["converged"] == (steps is not None), (rows, trend)
            assert got.fitted[0, 0] == pytest.approx(want["fitted"][0], rel=1e-9)
            if steps is not None:
                assert got.fitted[0, 0] == pytest.approx(0.1 * math.exp(-steps), rel=1e-9)


def test_a_level_without_cases_converges_slowly_as_r():
    rng = np.random.default_rng(9)
    levels = grouped_levels([10, 10, 8])
    y = seasonal_counts(rng, 4, 28)
    y[:, 10:20] = 0  # level 1 has no cases: its intercept runs towards −∞
    check_against_r(y, levels, np.arange(28.0) - 14, trend=True)
    check_against_r(y, levels, np.arange(28.0) - 14, trend=False)


def test_sparse_weights_fit_as_the_same_dense_weights():
    # ω = γ (1 + δ) with a few departures, and no weight on missing rows: the fit equals
    # R's with the same weights as a dense array.
    rng = np.random.default_rng(10)
    levels = grouped_levels([9, 10, 9])
    time = np.arange(28.0) - 13.5
    y = seasonal_counts(rng, 8, 28)
    y[1, 3] = y[5, 17] = np.nan
    gamma = rng.uniform(0.9, 1.3, size=8)
    rows_, columns = np.array([2, 7, 7, 20, 25]), np.array([0, 0, 3, 6, 7])
    delta = rng.uniform(-0.9, -0.1, size=5)
    sparse = Weights(gamma, rows_, columns, delta)
    dense = sparse.dense(28)
    assert dense[7, 3] == pytest.approx(gamma[3] * (1 + delta[2]))
    assert dense[0, 0] == gamma[0]
    np.testing.assert_allclose(sparse.at(rows_, columns), gamma[columns] * (1 + delta))
    picked = sparse.series(np.array([7, 0]))
    np.testing.assert_array_equal(picked.dense(28), dense[:, [7, 0]])
    for trend in (True, False):
        design = Design.of(levels, time)
        response = Response.of(np.ascontiguousarray(y.T))
        got = fit_quasipoisson(response, design, trend=trend, weights=sparse)
        want = fit_quasipoisson(response, design, trend=trend, weights=dense)
        np.testing.assert_allclose(got.fitted, want.fitted, rtol=1e-12)
        np.testing.assert_allclose(got.dispersion, want.dispersion, rtol=1e-12)
        np.testing.assert_allclose(got.hat(), want.hat(), rtol=1e-12, atol=1e-15)
        rank = len(set(levels)) + (1 if trend else 0)
        np.testing.assert_array_equal(got.df_residual, 28 - np.isnan(y).sum(axis=1) - rank)
        check_against_r(y, levels, time, trend=trend, weights=np.where(np.isnan(y), 1, dense.T))
