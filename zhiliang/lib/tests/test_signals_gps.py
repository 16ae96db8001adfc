"""MGPS / EBGM against vigipy 3.5.1 ``gps`` and the closed forms (SIGNALS.md §2.4)."""

import math

import numpy as np
import pytest
from scipy import optimize, special, stats

from zhiliang.lib.signals import (
    DUMOUCHEL_1999,
    VIGIPY_BOUNDS,
    GpsPrior,
    gamma_mixture_quantile,
    gps,
    gps_fit_prior,
    gps_neg_log_likelihood,
    gps_posterior,
    two_by_two,
)
from zhiliang.lib.signals.gps_prior import FIT_STARTS, _Squashed
from zhiliang.lib.tests.signals_data import RELATIVE, needs_reference, relative_error, rows
from zhiliang.lib.tests.test_signals_disproportionality import pair_index, product_hazard_table

#: vigipy 3.5.1 ``gps(convert(input_product_hazard_counts), min_events=1)``'s
#: ``params["prior_param"]`` (Nelder–Mead from DuMouchel's prior; α₁ ends on its bound 20),
#: read at full precision from a run of vigipy that reproduces
#: ref_vigipy_gps_fitted_priors.csv exactly. SIGNALS.md §3 gives it to 4 decimals.
VIGIPY_FITTED = GpsPrior(
    alpha1=20.0,
    beta1=1.3316194106330368,
    alpha2=1.7440886325883729,
    beta2=1.8345031521201034,
    weight=0.08369066910035558,
)
#: vigipy's ``truncated_likelihood(prior_param, …)`` at that prior, on the same table.
VIGIPY_FITTED_NEG_LOG_LIKELIHOOD = 94.42003287388998

REFERENCES = {
    "ref_vigipy_gps_fixed_priors_DuMouchel.csv": DUMOUCHEL_1999,
    "ref_vigipy_gps_fitted_priors.csv": VIGIPY_FITTED,
}
RUNS = {"min_events1": 1, "defaults": 3}


def reference_cells():
    table, products, hazards = product_hazard_table()
    cells = two_by_two(table, min_count=1)
    return cells, pair_index(cells, products, hazards)


@needs_reference
@pytest.mark.parametrize("run", list(RUNS))
@pytest.mark.parametrize("reference", list(REFERENCES))
def test_the_posterior_matches_vigipy_with_its_bisection(reference, run):
    cells, index = reference_cells()
    got = gps_posterior(cells.a, cells.expected, REFERENCES[reference], quantile_method="vigipy")
    expected_rows = [r for r in rows(reference) if r["run"] == run]
    assert len(expected_rows) == int((cells.a >= RUNS[run]).sum()) == {1: 20, 3: 16}[RUNS[run]]
    worst = {}
    for r in expected_rows:
        i = index[(r["product"], r["hazard"])]
        for column, mine in [
            ("count", cells.a[i]),
            ("expected", cells.expected[i]),
            ("log2", got.eb_log2[i]),
            ("EBGM", got.ebgm[i]),
            ("LowerBound", got.eb05[i]),
            ("UpperBound", got.eb95[i]),
            ("p_value", got.p_value[i]),
        ]:
            worst[column] = max(worst.get(column, 0.0), relative_error(mine, float(r[column])))
        # vigipy's default decision: rank by EBlog2, signal where EBlog2 ≥ 0.05
        assert (got.eb_log2[i] >= 0.05) == (r["signal"] == "True"), (r["product"], r["hazard"])
    assert max(worst.values()) < RELATIVE, worst


@needs_reference
@pytest.mark.parametrize("reference", list(REFERENCES))
def test_exact_quantiles_are_within_vigipys_bisection_tolerance_of_its(reference):
    # vigipy stops once |F(x) − p| < 1e−5: its EB05/EB95 are off by up to ~1e−4 relative.
    cells, index = reference_cells()
    got = gps_posterior(cells.a, cells.expected, REFERENCES[reference])
    assert got.quantile_method == "exact"
    for r in rows(reference):
        i = index[(r["product"], r["hazard"])]
        assert relative_error(got.eb05[i], float(r["LowerBound"])) < 2e-4
        assert relative_error(got.eb95[i], float(r["UpperBound"])) < 2e-4
        assert relative_error(got.ebgm[i], float(r["EBGM"])) < RELATIVE


@needs_reference
def test_the_exact_posterior_matches_the_closed_forms():
    cells, index = reference_cells()
    got = gps_posterior(cells.a, cells.expected, DUMOUCHEL_1999)
    worst = {}
    for r in rows("ref_closed_form_2x2.csv"):
        i = index[(r["product"], r["hazard"])]
        for column, mine in [
            ("Qn_fixed", got.q[i]),
            ("EBGM_fixed", got.ebgm[i]),
            ("EB05_fixed", got.eb05[i]),
            ("EB95_fixed", got.eb95[i]),
        ]:
            worst[column] = max(worst.get(column, 0.0), relative_error(mine, float(r[column])))
    assert max(worst.values()) < RELATIVE, worst
    m = index[("magnet_toy", "ingestion")]  # SIGNALS.md §3 spot values
    assert got.ebgm[m] == pytest.approx(13.9097, abs=5e-5)
    assert got.eb05[m] == pytest.approx(10.1923, abs=5e-5)


@needs_reference
@pytest.mark.parametrize("method", ["TNC", "L-BFGS-B"])
def test_the_likelihood_is_vigipys_and_the_fit_is_at_least_as_good(method):
    cells, _ = reference_cells()
    at_vigipys = gps_neg_log_likelihood(VIGIPY_FITTED, cells.a, cells.expected)
    # vigipy's guards (1e−10 added to β + E, clipped probabilities) move it by < 1e−12.
    assert at_vigipys == pytest.approx(VIGIPY_FITTED_NEG_LOG_LIKELIHOOD, rel=1e-12)
    fit = gps_fit_prior(cells.a, cells.expected, method=method)
    assert fit.converged, fit.message
    assert fit.neg_log_likelihood <= at_vigipys
    assert fit.neg_log_likelihood <= VIGIPY_FITTED_NEG_LOG_LIKELIHOOD
    assert fit.neg_log_likelihood == pytest.approx(
        gps_neg_log_likelihood(fit.prior, cells.a, cells.expected), rel=1e-14
    )
    # stationary: no open direction lowers −ln L by more than 1e−6·|ln L| across its range
    assert fit.gradient <= 1e-6 * fit.neg_log_likelihood
    # the same optimum, α₁ on its bound as in vigipy's
    assert fit.at_bounds == ("alpha1",)
    np.testing.assert_allclose(fit.prior, VIGIPY_FITTED, rtol=1e-4)
    assert (fit.cells, fit.points, fit.iterations > 0) == (20, 20, True)


@needs_reference
def test_gps_on_cells_fits_the_prior_unless_given():
    cells, index = reference_cells()
    fitted = gps(cells)
    assert fitted.fit is not None and fitted.prior == fitted.fit.prior
    given = gps(cells, prior=DUMOUCHEL_1999, quantile_method="vigipy")
    assert given.fit is None
    reference = {(r["product"], r["hazard"]): r for r in rows(next(iter(REFERENCES)))}
    for pair, i in index.items():
        assert relative_error(given.eb05[i], float(reference[pair]["LowerBound"])) < RELATIVE
    with pytest.raises(ValueError, match="min_count=1 or give the prior"):
        gps(two_by_two(product_hazard_table()[0], min_count=3))
    scored = gps(two_by_two(product_hazard_table()[0], min_count=3), prior=DUMOUCHEL_1999)
    assert len(scored.ebgm) == 16


# --- likelihood and fit --------------------------------------------------------------------


def direct_neg_log_likelihood(prior, a, e, truncate_at):
    """−ln L written out with scipy.stats.nbinom, pair by pair."""
    a1, b1, a2, b2, w = prior
    kept = a >= truncate_at
    a, e = a[kept], e[kept]
    nb1 = stats.nbinom(a1, b1 / (b1 + e))
    nb2 = stats.nbinom(a2, b2 / (b2 + e))
    f = w * nb1.pmf(a) + (1 - w) * nb2.pmf(a)
    below = w * nb1.cdf(truncate_at - 1) + (1 - w) * nb2.cdf(truncate_at - 1)
    return -np.sum(np.log(f)) + np.sum(np.log1p(-below))


@pytest.mark.parametrize("truncate_at", [0, 1, 2, 3])
def test_the_likelihood_is_the_truncated_nb_mixture(truncate_at):
    rng = np.random.default_rng(6)
    e = rng.lognormal(0, 1, 400)
    a = rng.poisson(e * rng.gamma(1.5, 1, 400)).astype(float)
    for prior in (DUMOUCHEL_1999, GpsPrior(2.0, 0.7, 0.8, 1.3, 0.4)):
        got = gps_neg_log_likelihood(prior, a, e, truncate_at=truncate_at)
        assert got == pytest.approx(direct_neg_log_likelihood(prior, a, e, truncate_at), rel=1e-12)


@pytest.mark.parametrize("truncate_at", [0, 1, 2])
@pytest.mark.parametrize(
    "theta",
    [
        (0.7, 0.3, 2.0, 1.5, 0.2),
        tuple(DUMOUCHEL_1999),
        (20.0, 2.67, 9.92, 10.0, 0.00026),  # the benchmark optimum, on two bounds
    ],
)
def test_the_gradient_matches_finite_differences(truncate_at, theta):
    rng = np.random.default_rng(7)
    e = rng.lognormal(-0.5, 1.5, 3000)
    a = rng.poisson(e * np.where(rng.random(3000) < 0.05, 5.0, 1.0)).astype(float)
    data = _Squashed.of(a, e, truncate_at)
    x = np.array(theta)
    _, gradient = data.value_and_gradient(x)
    for k in range(5):
        h = 1e-6 * max(abs(x[k]), 1e-3)
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        numeric = (data.value_and_gradient(up)[0] - data.value_and_gradient(down)[0]) / (2 * h)
        assert gradient[k] == pytest.approx(numeric, rel=1e-5, abs=1e-4), k


def test_squashing_merges_identical_pairs_exactly():
    a = np.array([1, 1, 1, 2, 2, 5, 1.0])
    e = np.array([0.5, 0.5, 0.7, 0.5, 0.5, 2.0, 0.5])
    data = _Squashed.of(a, e, 1)
    assert (data.cells, data.a.size) == (7, 4)
    assert sorted(zip(data.a, data.expected[data.expected_index], data.weight, strict=True)) == [
        (1, 0.5, 3),
        (1, 0.7, 1),
        (2, 0.5, 2),
        (5, 2.0, 1),
    ]
    prior = GpsPrior(1.0, 0.5, 3.0, 2.0, 0.3)
    assert gps_neg_log_likelihood(prior, a, e) == pytest.approx(
        direct_neg_log_likelihood(prior, a, e, 1), rel=1e-13
    )


def test_pairs_without_reports_are_left_out_of_the_fit():
    rng = np.random.default_rng(8)
    e = rng.lognormal(0, 1, 300)
    a = rng.poisson(e * rng.gamma(2, 0.5, 300)).astype(float)
    assert (a == 0).sum() > 30
    with_zeros = gps_fit_prior(a, e)
    without = gps_fit_prior(a[a > 0], e[a > 0])
    assert with_zeros.cells == without.cells == int((a > 0).sum())
    assert with_zeros.prior == without.prior
    assert with_zeros.neg_log_likelihood == without.neg_log_likelihood
    assert gps_neg_log_likelihood(DUMOUCHEL_1999, a, e) == gps_neg_log_likelihood(
        DUMOUCHEL_1999, a[a > 0], e[a > 0]
    )


def test_an_all_small_table_still_fits_within_the_bounds():
    # Only 1s and 2s: nothing to tell a signal component from; the fit must still end on
    # a prior within vigipy's bounds, at least as likely as every start, and say so.
    rng = np.random.default_rng(9)
    table = rng.choice([0, 1, 1, 2], size=(40, 15), p=[0.4, 0.3, 0.2, 0.1])
    cells = two_by_two(table, min_count=1)
    fit = gps_fit_prior(cells.a, cells.expected)
    assert fit.cells == int((table > 0).sum())
    for value, (lo, hi) in zip(fit.prior, VIGIPY_BOUNDS, strict=True):
        assert lo <= value <= hi
    for start in (DUMOUCHEL_1999, *FIT_STARTS):
        assert fit.neg_log_likelihood <= gps_neg_log_likelihood(start, cells.a, cells.expected)
    assert isinstance(fit.converged, bool) and fit.message and fit.iterations >= 0
    scored = gps(cells)
    assert np.isfinite(scored.ebgm).all() and np.isfinite(scored.eb05).all()
    assert (scored.eb05 <= scored.ebgm).all() and (scored.ebgm <= scored.eb95).all()


def test_the_fit_recovers_a_planted_prior():
    rng = np.random.default_rng(10)
    truth = GpsPrior(alpha1=3.0, beta1=0.6, alpha2=8.0, beta2=8.0, weight=0.05)
    n = 60_000
    e = rng.lognormal(0, 1.2, n)
    first = rng.random(n) < truth.weight
    lam = np.where(
        first,
        rng.gamma(truth.alpha1, 1 / truth.beta1, n),
        rng.gamma(truth.alpha2, 1 / truth.beta2, n),
    )
    a = rng.poisson(lam * e).astype(float)
    fit = gps_fit_prior(a, e)  # > 5,000 distinct points: searched on merged points first
    assert fit.points > 5_000 and fit.converged, fit.message
    assert fit.neg_log_likelihood <= gps_neg_log_likelihood(truth, a, e)
    np.testing.assert_allclose(fit.prior, truth, rtol=0.25)


def test_a_fit_stopped_early_says_it_did_not_converge():
    cells, _ = reference_cells()
    stopped = gps_fit_prior(cells.a, cells.expected, max_evaluations=3)
    assert not stopped.converged and stopped.evaluations <= 3 + 1
    assert stopped.gradient > 1e-6 * stopped.neg_log_likelihood
    assert stopped.message  # the minimiser's own reason, e.g. TNC's "Max. number of …"


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="whole numbers"):
        gps_fit_prior([1.5, 2], [1.0, 1.0])
    with pytest.raises(ValueError, match="positive"):
        gps_posterior([1, 2], [1.0, 0.0], DUMOUCHEL_1999)
    with pytest.raises(ValueError, match="weight P"):
        gps_posterior([1], [1.0], (1, 1, 1, 1, 1.5))
    with pytest.raises(ValueError, match="five numbers"):
        gps_posterior([1], [1.0], (1, 1, 1, 1))
    with pytest.raises(ValueError, match="no pair has 3 or more"):
        gps_fit_prior([1, 2, 0], [1.0, 1.0, 1.0], truncate_at=3)
    with pytest.raises(ValueError, match="quantile_method"):
        gps_posterior([1], [1.0], DUMOUCHEL_1999, quantile_method="newton")  # type: ignore[arg-type]


# --- posterior -----------------------------------------------------------------------------


def test_the_posterior_is_dumouchels_formula_for_one_pair():
    a, e = 7.0, 2.5
    p = GpsPrior(0.9, 0.4, 3.0, 2.5, 0.2)
    f1 = stats.nbinom.pmf(a, p.alpha1, p.beta1 / (p.beta1 + e))
    f2 = stats.nbinom.pmf(a, p.alpha2, p.beta2 / (p.beta2 + e))
    q = p.weight * f1 / (p.weight * f1 + (1 - p.weight) * f2)
    log2 = (
        q * (special.digamma(p.alpha1 + a) - math.log(p.beta1 + e))
        + (1 - q) * (special.digamma(p.alpha2 + a) - math.log(p.beta2 + e))
    ) / math.log(2)
    below = q * stats.gamma.cdf(1.5, p.alpha1 + a, scale=1 / (p.beta1 + e)) + (
        1 - q
    ) * stats.gamma.cdf(1.5, p.alpha2 + a, scale=1 / (p.beta2 + e))
    got = gps_posterior([a], [e], p, relative_risk=1.5)
    assert got.q[0] == pytest.approx(q, rel=1e-12)
    assert got.eb_log2[0] == pytest.approx(log2, rel=1e-12)
    assert got.ebgm[0] == pytest.approx(2**log2, rel=1e-12)
    assert got.p_value[0] == pytest.approx(below, rel=1e-12)


def test_one_component_priors_give_q_zero_or_one():
    for weight, q in ((0.0, 0.0), (1.0, 1.0)):
        got = gps_posterior([0, 3, 40], [0.5, 1.0, 8.0], DUMOUCHEL_1999._replace(weight=weight))
        assert (got.q == q).all()
        assert np.isfinite(got.eb05).all() and np.isfinite(got.eb95).all()


def test_exact_quantiles_solve_the_mixture_cdf():
    rng = np.random.default_rng(11)
    n = 4000
    q = np.concatenate([rng.random(n - 4), [0.0, 1.0, 0.5, 1e-300]])
    s1 = rng.uniform(0.2, 300, n)
    s2 = rng.uniform(0.2, 300, n)
    r1 = rng.lognormal(0, 2, n)
    r2 = rng.lognormal(0, 2, n)
    s1[-2], r1[-2], s2[-2], r2[-2] = 50.0, 100.0, 50.0, 0.5  # two far-apart modes, Q = ½
    for p in (0.05, 0.5, 0.95):
        x = gamma_mixture_quantile(p, q, s1, r1, s2, r2)
        cdf = q * special.gammainc(s1, r1 * x) + (1 - q) * special.gammainc(s2, r2 * x)
        np.testing.assert_allclose(cdf, p, rtol=0, atol=1e-13)
        # At p = ½ the far-apart pair's F is flat at ½ between its modes: any x there
        # is a root; the CDF check above is all one can ask.
        bimodal = [n - 2] if p != 0.5 else []
        for i in rng.choice(n, 30, replace=False).tolist() + bimodal:

            def f(y, i=i, p=p):
                return (
                    q[i] * special.gammainc(s1[i], r1[i] * y)
                    + (1 - q[i]) * special.gammainc(s2[i], r2[i] * y)
                    - p
                )

            root = optimize.brentq(f, x[i] / 4, x[i] * 4, xtol=1e-300, rtol=1e-15)
            assert x[i] == pytest.approx(root, rel=1e-12)
