"""The MGPS prior: DuMouchel's two-gamma prior, its likelihood on the pairs, and its fit.

A pair with a reports and expected count E has, under the prior P·Γ(α₁, β₁) +
(1 − P)·Γ(α₂, β₂) of its relative rate λ, the marginal NB mixture
f(a) = P·NB(a; α₁, β₁/(β₁+E)) + (1 − P)·NB(a; α₂, β₂/(β₂+E)); the pairs with a ≥ N* are
fitted with f truncated to a ≥ N* (divided by 1 − P(A < N*)), as vigipy 3.5.1 ``gps`` and
openEBGM do. :mod:`zhiliang.lib.signals.gps` has the posterior scores and the notes on how
this differs from vigipy (SIGNALS.md §2.4).

Speed comes from the data, not from approximations: pairs with the same (a, E) are one
point with a weight (exact squashing), terms of a alone (ln Γ(α + a), ψ(α + a)) and of E
alone (ln(1 + E/β), the truncation) are computed once per distinct value, and the
gradient is analytic. Points merged within 5 % in E (approximate, as openEBGM's
``squashData``) are used only to choose among several starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

from zhiliang.lib.signals.detection import FloatArray

__all__ = [
    "DUMOUCHEL_1999",
    "FIT_STARTS",
    "VIGIPY_BOUNDS",
    "GpsPrior",
    "GpsPriorFit",
    "checked_pairs",
    "checked_prior",
    "gps_fit_prior",
    "gps_neg_log_likelihood",
]

IntArray = npt.NDArray[np.intp]


class GpsPrior(NamedTuple):
    """The two-gamma prior of λ: P·Γ(α₁, β₁) + (1 − P)·Γ(α₂, β₂), β a rate.

    The order is vigipy's (``prior_param``): α₁, β₁, α₂, β₂, P.
    """

    alpha1: float
    beta1: float
    alpha2: float
    beta2: float
    weight: float


#: DuMouchel's (1999) prior fitted on the FDA SRS table; vigipy's ``prior_init``.
DUMOUCHEL_1999 = GpsPrior(alpha1=0.2041, beta1=0.05816, alpha2=1.415, beta2=1.838, weight=0.0969)
_EPS32 = float(np.finfo(np.float32).eps)
#: vigipy's ``minimization_bounds``: α ∈ [ε, 20], β ∈ [ε, 10], P ∈ [0, 1], ε = float32 eps.
VIGIPY_BOUNDS: tuple[tuple[float, float], ...] = (
    (_EPS32, 20.0),
    (_EPS32, 10.0),
    (_EPS32, 20.0),
    (_EPS32, 10.0),
    (0.0, 1.0),
)


@dataclass(frozen=True)
class GpsPriorFit:
    """A maximum-likelihood prior and how the optimiser got there.

    ``neg_log_likelihood`` is the full truncated −log-likelihood (with the ln a! and
    a ln E terms, so it equals vigipy's ``truncated_likelihood``); ``cells`` pairs entered
    it, as ``points`` distinct (a, E) points; ``at_bounds`` names the parameters that ended
    on a bound (vigipy's fits often put α₁ at 20 or β₂ at 10). ``converged``, ``message``,
    ``iterations``, ``evaluations`` and ``message`` are the minimiser's on the exact points
    (the search on merged points before it is not counted). ``gradient`` is the first-order
    check of the result: the largest |∂(−ln L)/∂θᵢ| × (θᵢ's range within the bounds) over
    the directions the bounds leave open — what −ln L would fall, to first order, by moving
    one parameter across its whole range. ``converged`` is true when the minimiser says it
    converged, or when it stopped otherwise (typically TNC's "Linear search failed" once
    no step lowers −ln L in floating point) with ``gradient`` ≤ 1e−6·max(1, −ln L).
    """

    prior: GpsPrior
    neg_log_likelihood: float
    converged: bool
    iterations: int
    evaluations: int
    message: str
    gradient: float
    cells: int
    points: int
    at_bounds: tuple[str, ...]


# --- prior fit -----------------------------------------------------------------------------

_NAMES = GpsPrior._fields

#: Where the prior fit starts besides the caller's ``initial``: two-gamma priors of other
#: shapes (a tight null and a 4× component; equal means with different spreads; a tight
#: null and a 10× tail), because the likelihood has more than one local optimum — on the
#: benchmark table L-BFGS-B from DuMouchel's prior, and TNC from the second start here,
#: end with α₁ → 0 (a spike at λ = 0), 56 units of −ln L worse than the optimum the
#: other starts reach.
FIT_STARTS: tuple[GpsPrior, ...] = (
    GpsPrior(alpha1=2.0, beta1=0.5, alpha2=5.0, beta2=5.0, weight=0.1),
    GpsPrior(alpha1=0.5, beta1=0.5, alpha2=2.0, beta2=2.0, weight=0.5),
    GpsPrior(alpha1=1.0, beta1=0.1, alpha2=10.0, beta2=10.0, weight=0.05),
)
#: Above this many distinct (a, E) points the starts are searched on merged points first.
_SEARCH_POINTS = 5_000
#: Points with the same a whose ln E fall in one bin this wide are merged for the search.
_SEARCH_BIN = 0.05
#: L-BFGS-B's relative-decrease and projected-gradient tolerances (its defaults, 2.2e−9
#: and 1e−5, stop 40–60 units of −ln L short on the benchmark table). TNC's defaults
#: (x to √ε, projected gradient) need no change.
_FTOL, _GTOL = 1e-13, 1e-8
FitMethod = Literal["TNC", "L-BFGS-B"]
#: A fit whose minimiser stopped without claiming convergence still counts as converged
#: when its scaled projected gradient is at most this times max(1, −ln L).
_STATIONARY = 1e-6


@dataclass(frozen=True, eq=False)
class _Squashed:
    """The pairs with a ≥ N*, as distinct (a, E) points with weights (exact squashing).

    Point i has count ``a[i]`` = ``counts[count_index[i]]`` and expected
    ``expected[expected_index[i]]``, and stands for ``weight[i]`` pairs;
    ``expected_weight`` and ``weight_a_by_expected`` are Σ weight and Σ weight·a over the
    points of each distinct E. ``constant`` = Σ (a ln E − ln a!), the part of ln L that
    no prior changes.
    """

    counts: FloatArray
    count_index: IntArray
    expected: FloatArray
    expected_index: IntArray
    a: FloatArray
    weight: FloatArray
    expected_weight: FloatArray
    weight_a_by_expected: FloatArray
    constant: float
    truncate_at: int
    cells: int

    @classmethod
    def of(cls, a: FloatArray, expected: FloatArray, truncate_at: int) -> _Squashed:
        kept = a >= truncate_at
        a, expected = a[kept], expected[kept]
        counts, count_index = np.unique(a, return_inverse=True)
        values, expected_index = np.unique(expected, return_inverse=True)
        key = count_index.astype(np.int64) * values.size + expected_index
        _, first, weight = np.unique(key, return_index=True, return_counts=True)
        return cls._from_points(
            counts,
            count_index[first],
            values,
            expected_index[first],
            weight.astype(np.float64),
            truncate_at,
            int(a.size),
        )

    @classmethod
    def _from_points(
        cls,
        counts: FloatArray,
        count_index: IntArray,
        expected: FloatArray,
        expected_index: IntArray,
        weight: FloatArray,
        truncate_at: int,
        cells: int,
    ) -> _Squashed:
        a = counts[count_index]
        log_e = np.log(expected)[expected_index]
        return cls(
            counts=counts,
            count_index=count_index,
            expected=expected,
            expected_index=expected_index,
            a=a,
            weight=weight,
            expected_weight=_sums(expected_index, weight, expected.size),
            weight_a_by_expected=_sums(expected_index, weight * a, expected.size),
            constant=_dot(weight, a * log_e - special.gammaln(a + 1)),
            truncate_at=truncate_at,
            cells=cells,
        )

    def merged(self, width: float) -> _Squashed:
        """Points of the same a whose ln E fall in one bin ``width`` wide merged into one,
        at their mean E — an approximation (as openEBGM's ``squashData``), used only to
        search from several starts cheaply before the exact fit."""
        e = self.expected[self.expected_index]
        cell = np.floor(np.log(e) / width).astype(np.int64)
        cell -= cell.min()
        key = self.count_index.astype(np.int64) * (int(cell.max()) + 1) + cell
        _, bins = np.unique(key, return_inverse=True)
        n = int(bins.max()) + 1
        weight = _sums(bins, self.weight, n)
        count_index = np.empty(n, dtype=np.intp)
        count_index[bins] = self.count_index
        return self._from_points(
            self.counts,
            count_index,
            _sums(bins, self.weight * e, n) / weight,
            np.arange(n),
            weight,
            self.truncate_at,
            self.cells,
        )

    def value_and_gradient(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """−ln L(θ) of the truncated NB mixture and its gradient, θ = (α₁, β₁, α₂, β₂, P).

        ln NB_k(a) = ln Γ(α+a) − ln Γ(α) − ln a! + a ln E − a ln β − (α+a) ln(1 + E/β);
        −ln L = −Σ ln[P NB₁ + (1−P) NB₂] + Σ ln[1 − P(A < N*)]. With r₁ = P NB₁/f the
        responsibility of the first component, ∂ ln f/∂α₁ = r₁ (ψ(α₁+a) − ψ(α₁) − ln(1 +
        E/β₁)), ∂ ln f/∂β₁ = r₁ (α₁/β₁ − (α₁+a)/(β₁+E)), ∂ ln f/∂P = (NB₁ − NB₂)/f.
        The terms of a alone are computed once per distinct a, those of E alone once per
        distinct E, and the sums over points gathered back to them with ``bincount``.
        """
        alpha1, beta1, alpha2, beta2, w = (float(v) for v in theta)
        ci, ei, a, c = self.count_index, self.expected_index, self.a, self.weight
        e = self.expected
        lam1, lam2 = np.log1p(e / beta1), np.log1p(e / beta2)
        g1 = special.gammaln(alpha1 + self.counts) - special.gammaln(alpha1)
        g2 = special.gammaln(alpha2 + self.counts) - special.gammaln(alpha2)
        l1 = g1[ci] - a * math.log(beta1) - (alpha1 + a) * lam1[ei]
        l2 = g2[ci] - a * math.log(beta2) - (alpha2 + a) * lam2[ei]
        top = np.maximum(l1, l2)
        e1, e2 = np.exp(l1 - top), np.exp(l2 - top)
        f = w * e1 + (1 - w) * e2
        value = -_dot(c, top + np.log(f)) - self.constant
        cr1 = c * (w * e1 / f)
        d_weight = -_dot(c, (e1 - e2) / f)

        # Σ c r₁ over the points of each distinct a and each distinct E; r₂ = 1 − r₁.
        r1_by_count = _sums(ci, cr1, self.counts.size)
        r1_by_e = _sums(ei, cr1, e.size)
        r1a_by_e = _sums(ei, cr1 * a, e.size)
        r2_by_count = _sums(ci, c, self.counts.size) - r1_by_count
        r2_by_e = self.expected_weight - r1_by_e
        r2a_by_e = self.weight_a_by_expected - r1a_by_e
        psi1 = special.digamma(alpha1 + self.counts) - special.digamma(alpha1)
        psi2 = special.digamma(alpha2 + self.counts) - special.digamma(alpha2)
        d_alpha1 = _dot(lam1, r1_by_e) - _dot(psi1, r1_by_count)
        d_alpha2 = _dot(lam2, r2_by_e) - _dot(psi2, r2_by_count)
        d_beta1 = _dot(alpha1 * r1_by_e + r1a_by_e, 1 / (beta1 + e)) - alpha1 / beta1 * float(
            r1_by_e.sum()
        )
        d_beta2 = _dot(alpha2 * r2_by_e + r2a_by_e, 1 / (beta2 + e)) - alpha2 / beta2 * float(
            r2_by_e.sum()
        )
        gradient = np.array([d_alpha1, d_beta1, d_alpha2, d_beta2, d_weight])
        if self.truncate_at > 0:
            t_value, t_gradient = self._truncation(alpha1, beta1, alpha2, beta2, w, lam1, lam2)
            value += t_value
            gradient += t_gradient
        return value, gradient

    def _truncation(
        self,
        alpha1: float,
        beta1: float,
        alpha2: float,
        beta2: float,
        w: float,
        lam1: FloatArray,
        lam2: FloatArray,
    ) -> tuple[float, FloatArray]:
        """Σ ln S and its gradient, S = 1 − P(A < N*) = P S₁ + (1 − P) S₂, per distinct E.

        N* = 1: S_k = 1 − (β/(β+E))^α = −expm1(−α ln(1 + E/β)), exact even where E ≪ β.
        N* > 1: S_k = I_{E/(β+E)}(N*, α) (the NB upper tail), ∂S_k/∂θ = −Σ_{j<N*}
        ∂NB(j)/∂θ with ∂NB(j)/∂α = NB(j)(ψ(α+j) − ψ(α) − ln(1 + E/β)) and ∂NB(j)/∂β =
        NB(j)(α/β − (α+j)/(β+E)).
        """
        e, n = self.expected, self.truncate_at
        parts = []
        for alpha, beta, lam in ((alpha1, beta1, lam1), (alpha2, beta2, lam2)):
            if n == 1:
                none = np.exp(-alpha * lam)  # P(A = 0)
                s = -np.expm1(-alpha * lam)
                ds_alpha = lam * none
                ds_beta = -none * alpha * e / (beta * (beta + e))
            else:
                s = special.betainc(n, alpha, e / (beta + e))
                ds_alpha = np.zeros_like(e)
                ds_beta = np.zeros_like(e)
                log_ratio = np.log(e) - math.log(beta)
                for j in range(n):
                    pmf = np.exp(
                        special.gammaln(alpha + j)
                        - special.gammaln(alpha)
                        - math.lgamma(j + 1)
                        + j * log_ratio
                        - (alpha + j) * lam
                    )
                    ds_alpha -= pmf * (special.digamma(alpha + j) - special.digamma(alpha) - lam)
                    ds_beta -= pmf * (alpha / beta - (alpha + j) / (beta + e))
            parts.append((s, ds_alpha, ds_beta))
        (s1, da1, db1), (s2, da2, db2) = parts
        s = w * s1 + (1 - w) * s2
        share = self.expected_weight / s
        value = _dot(self.expected_weight, np.log(s))
        gradient = np.array(
            [
                w * _dot(share, da1),
                w * _dot(share, db1),
                (1 - w) * _dot(share, da2),
                (1 - w) * _dot(share, db2),
                _dot(share, s1 - s2),
            ]
        )
        return value, gradient


def _sums(index: IntArray, weights: npt.ArrayLike, size: int) -> FloatArray:
    """Σ weights per value of ``index`` (0 … size − 1)."""
    return np.asarray(np.bincount(index, weights, size), dtype=np.float64)


def _dot(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    # einsum's own loop rather than np.dot: OpenBLAS's threads for long dot products cost
    # 3–4× more CPU than the product itself on a busy two-core machine.
    return float(np.einsum("i,i->", np.asarray(x, np.float64), np.asarray(y, np.float64)))


def gps_neg_log_likelihood(
    prior: GpsPrior | tuple[float, float, float, float, float],
    a: npt.ArrayLike,
    expected: npt.ArrayLike,
    *,
    truncate_at: int = 1,
) -> float:
    """The −log-likelihood of ``prior`` on the pairs with a ≥ N* (``truncate_at``).

    The same quantity as vigipy's ``truncated_likelihood`` (without its guards, module
    notes): −Σ ln f(a) + Σ ln(1 − P(A < N*)), f the NB mixture; pairs with a < N* are left
    out. ``truncate_at=0`` is the untruncated likelihood of the pairs given.
    """
    counts, e = checked_pairs(a, expected)
    data = _Squashed.of(counts, e, _checked_truncation(truncate_at))
    value, _ = data.value_and_gradient(np.asarray(checked_prior(prior), dtype=np.float64))
    return value


def gps_fit_prior(
    a: npt.ArrayLike,
    expected: npt.ArrayLike,
    *,
    truncate_at: int = 1,
    initial: GpsPrior | tuple[float, float, float, float, float] = DUMOUCHEL_1999,
    starts: tuple[GpsPrior, ...] = FIT_STARTS,
    bounds: tuple[tuple[float, float], ...] = VIGIPY_BOUNDS,
    method: FitMethod = "TNC",
    max_evaluations: int = 5000,
) -> GpsPriorFit:
    """The maximum-likelihood prior on the pairs with a ≥ N* (vigipy's fit, done faster).

    A bounded quasi-/truncated-Newton minimiser with the analytic gradient of
    :func:`gps_neg_log_likelihood` on the exactly squashed pairs (module notes), within
    ``bounds`` (vigipy's). It searches from ``initial`` (DuMouchel's prior, vigipy's only
    start) and from each of ``starts``, on points merged to within 5 % in E when there are
    more than 5,000 distinct (a, E) points, then refines the best of those on the exact
    points; the result is a local optimum of the exact likelihood. Pairs with a < N*
    (``truncate_at``, default 1: the empty pairs) are left out; pass every pair with a
    report, not only those to be scored (vigipy fits on a ≥ 1 and scores a ≥ 3).

    ``method="TNC"`` (SciPy's truncated Newton with bounds) by default; ``"L-BFGS-B"``
    reaches the same optimum in fewer steps, but SciPy ≥ 1.15's L-BFGS-B calls LAPACK on
    its 5 × 5 problem, and with OpenBLAS's threads (unless OPENBLAS_NUM_THREADS=1) a step
    costs 5–15 ms instead of 0.05 ms on a busy 2-core machine (SciPy issues #22438,
    #23191; OpenBLAS #5383), 2.7× the fit's CPU time here. TNC calls no BLAS.

    Returns
    -------
    GpsPriorFit
        The prior, its −log-likelihood, and the status of the exact stage: ``converged``
        is the minimiser's ``success`` (TNC: a local minimum, or −ln L or the prior stopped
        changing; L-BFGS-B: the relative decrease of −ln L fell below 1e−13 or the
        projected gradient below 1e−8) or, failing that, the first-order check
        (:class:`GpsPriorFit`); ``message`` its reason, ``iterations`` and ``evaluations``
        its counts (at most ``max_evaluations``).

    Raises
    ------
    ValueError
        For bad input, or when no pair has N* reports.
    """
    counts, e = checked_pairs(a, expected)
    n = _checked_truncation(truncate_at)
    first = checked_prior(initial)
    others = [checked_prior(s) for s in starts]
    if len(bounds) != 5 or any(not lo <= hi for lo, hi in bounds):
        raise ValueError("bounds must be five (low, high) pairs for α₁, β₁, α₂, β₂, P")
    if max_evaluations < 1:
        raise ValueError(f"max_evaluations must be ≥ 1, got {max_evaluations}")
    if method not in ("TNC", "L-BFGS-B"):
        raise ValueError(f"method must be 'TNC' or 'L-BFGS-B', got {method!r}")
    options: dict[str, float] = (
        {"maxfun": max_evaluations}
        if method == "TNC"
        else {"maxfun": max_evaluations, "maxiter": max_evaluations, "ftol": _FTOL, "gtol": _GTOL}
    )
    data = _Squashed.of(counts, e, n)
    if data.cells == 0:
        raise ValueError(f"no pair has {n} or more reports: nothing to fit the prior on")
    low = np.array([lo for lo, _ in bounds], dtype=np.float64)
    high = np.array([hi for _, hi in bounds], dtype=np.float64)

    def minimise(points: _Squashed, start: FloatArray) -> optimize.OptimizeResult:
        return optimize.minimize(
            points.value_and_gradient,
            np.clip(start, low, high),
            jac=True,
            method=method,
            bounds=bounds,
            options=options,
        )

    if data.a.size > _SEARCH_POINTS:
        search = data.merged(_SEARCH_BIN)
        found = [minimise(search, np.asarray(s, dtype=np.float64)).x for s in (first, *others)]
        result = minimise(data, min(found, key=lambda x: data.value_and_gradient(x)[0]))
    else:  # few points: search on the exact ones, the best search is the fit
        results = [minimise(data, np.asarray(s, dtype=np.float64)) for s in (first, *others)]
        result = min(results, key=lambda r: float(r.fun))
    x = np.clip(result.x, low, high)
    value, gradient = data.value_and_gradient(x)
    # Only the directions the bounds leave open: into the box at a bound.
    open_ = np.where(
        x <= low,
        np.minimum(gradient, 0.0),
        np.where(x >= high, np.maximum(gradient, 0.0), gradient),
    )
    first_order = float(np.max(np.abs(open_) * (high - low)))
    return GpsPriorFit(
        prior=GpsPrior(*(float(v) for v in x)),
        neg_log_likelihood=value,
        converged=bool(result.success) or first_order <= _STATIONARY * max(1.0, abs(value)),
        iterations=int(result.nit),
        evaluations=int(result.nfev),
        message=str(result.message),
        gradient=first_order,
        cells=data.cells,
        points=int(data.a.size),
        at_bounds=tuple(
            name for name, v, lo, hi in zip(_NAMES, x, low, high, strict=True) if v <= lo or v >= hi
        ),
    )


# --- checks --------------------------------------------------------------------------------


def checked_pairs(a: npt.ArrayLike, expected: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Counts and expected counts as float arrays, checked (whole a ≥ 0, finite E > 0)."""
    counts = np.asarray(a, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if counts.ndim != 1 or counts.shape != e.shape:
        raise ValueError("a and expected must be 1-D arrays of the same length")
    if not np.isfinite(counts).all() or (counts < 0).any() or (counts != np.floor(counts)).any():
        raise ValueError("a must hold whole numbers ≥ 0")
    if not np.isfinite(e).all() or (e <= 0).any():
        raise ValueError("expected counts must be finite and positive")
    return counts, e


def checked_prior(prior: GpsPrior | tuple[float, float, float, float, float]) -> GpsPrior:
    """A prior as a :class:`GpsPrior`, checked (α, β > 0, 0 ≤ P ≤ 1)."""
    if len(prior) != 5:
        raise ValueError("a prior is five numbers: α₁, β₁, α₂, β₂, P")
    p = GpsPrior(*(float(v) for v in prior))
    if not all(math.isfinite(v) and v > 0 for v in p[:4]):
        raise ValueError(f"the prior's α and β must be positive, got {tuple(p)}")
    if not 0 <= p.weight <= 1:
        raise ValueError(f"the prior's weight P must lie in [0, 1], got {p.weight}")
    return p


def _checked_truncation(truncate_at: int) -> int:
    if isinstance(truncate_at, bool) or not isinstance(truncate_at, int | np.integer):
        raise ValueError(f"truncate_at must be a whole number ≥ 0, got {truncate_at!r}")
    if truncate_at < 0:
        raise ValueError(f"truncate_at must be a whole number ≥ 0, got {truncate_at}")
    return int(truncate_at)
