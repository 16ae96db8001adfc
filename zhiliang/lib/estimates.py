"""Weighted national estimates from NEISS-style injury cases (DOMAIN.md §4.1).

A case carries a statistical weight, the sampling stratum of its hospital and the hospital
itself (the primary sampling unit, PSU). For every group of cases (product, year, age
group, sex, disposition …) :func:`weighted_estimates` returns

* the **estimate** = the sum of the group's weights (CPSC's national estimate);
* its **standard error** from the sample design: the with-replacement Taylor
  linearisation of a stratified total, as survey packages compute it (R ``survey``
  ``svytotal``, samplics ``TaylorEstimator(PopParam.total)``, Stata ``svy: total``)::

      z_ghi  = Σ weight × [case in group g], over the cases of PSU i in stratum h
      z̄_gh   = Σ_i z_ghi / n_h                     (n_h = PSUs of stratum h in the sample)
      V_g    = Σ_h  n_h / (n_h − 1) · Σ_i (z_ghi − z̄_gh)²

  **Domain estimation**: z is the weight times the group indicator over *all* PSUs of
  the stratum, so a PSU without cases of the group counts with z = 0. Filtering the
  cases to the group first and then computing the variance would drop those PSUs and
  understate the variance;
* **CV** = SE / estimate and the **95 % interval**: normal, estimate ± 1.96·SE (the
  form CPSC publishes), or Student t with df = #PSUs − #strata (samplics' default) when
  ``interval="t"``;
* CPSC's **stability flag** with its reasons: estimate < 1,200, fewer than 20 cases, or
  CV > 33 % (CDC WISQARS uses CV > 30 %; pass ``max_cv=0.30``). Unstable estimates are
  flagged, never hidden: the caller decides how to show them.

**Years.** Hospitals join and leave the NEISS sample, so a year's estimate should use that
year's design only. Pass ``stratum`` as (year, stratum) — e.g. ``"2021V"`` — and group by
year: every other year's strata then hold z = 0 for the group and add nothing, which gives
exactly the estimates of a separate run per year (tested). Pooling the strata over years
instead counts a hospital absent in a year as a PSU with z = 0 (2021 infants: CV 18.05 %
pooled against 17.60 % per year). The t interval's df then counts all years' PSUs; for a
per-year t interval run each year on its own.

**Strata with a single PSU** have no between-PSU variance. ``single_psu="skip"`` (the
default) lets them contribute zero — samplics ``SinglePSUEst.skip``, R ``survey``
``options(survey.lonely.psu = "certainty")``; for a total R's ``"remove"`` gives the same.
This is right for a stratum sampled with certainty (a children's hospital stratum may be
one), and understates the variance otherwise. ``single_psu="units"`` treats each case
of such a stratum as its own PSU (samplics ``SinglePSUEst.certainty`` with no SSU
given). ``single_psu="error"`` refuses the design.

References
----------
K. M. Wolter, *Introduction to Variance Estimation*, 2nd ed., Springer 2007, ch. 6.
T. Lumley, "Analysis of complex survey samples", J. Stat. Softw. 9(8) (2004).
CPSC, "Explanation of NEISS estimates obtained through the CPSC website".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = [
    "CPSC_MAX_CV",
    "CPSC_MIN_CASES",
    "CPSC_MIN_ESTIMATE",
    "REASON_CV_TOO_HIGH",
    "REASON_TOO_FEW_CASES",
    "REASON_TOO_SMALL",
    "WISQARS_MAX_CV",
    "Z_95",
    "Estimates",
    "SinglePsu",
    "weighted_estimates",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
SinglePsu = Literal["skip", "units", "error"]

#: Φ⁻¹(0.975), the two-sided 95 % normal quantile (CPSC's "1.96").
Z_95 = 1.959963984540054
#: CPSC's stability rule (DOMAIN.md §4.1, CPSC 2017): an estimate is unstable if it is
#: below 1,200, rests on fewer than 20 cases, or has a CV above 33 %.
CPSC_MIN_ESTIMATE = 1200.0
CPSC_MIN_CASES = 20
CPSC_MAX_CV = 0.33
#: CDC WISQARS uses the same rule with CV > 30 %.
WISQARS_MAX_CV = 0.30
#: Names of the three reasons an estimate is unstable (:meth:`Estimates.reasons`).
REASON_TOO_SMALL = "estimate_too_small"
REASON_TOO_FEW_CASES = "too_few_cases"
REASON_CV_TOO_HIGH = "cv_too_high"


@dataclass(frozen=True, eq=False)
class Estimates:
    """One entry per group, groups in sorted order of their keys.

    ``keys`` holds one array per grouping column (the group's value in that column).
    ``cases`` is the unweighted number of cases. ``cv`` is NaN for an estimate of 0.
    ``df`` = #PSUs − #strata of the whole design (the t interval's degrees of freedom).
    """

    keys: tuple[npt.NDArray[np.generic], ...]
    estimate: FloatArray
    variance: FloatArray
    se: FloatArray
    cv: FloatArray
    lower: FloatArray
    upper: FloatArray
    cases: IntArray
    df: int
    too_small: BoolArray
    too_few_cases: BoolArray
    cv_too_high: BoolArray

    @property
    def unstable(self) -> BoolArray:
        """The stability flag: any of the three reasons."""
        return self.too_small | self.too_few_cases | self.cv_too_high

    def reasons(self, index: int) -> tuple[str, ...]:
        """Why group ``index`` is unstable: some of ``REASON_*`` in that order, () if stable."""
        flags = (
            (self.too_small, REASON_TOO_SMALL),
            (self.too_few_cases, REASON_TOO_FEW_CASES),
            (self.cv_too_high, REASON_CV_TOO_HIGH),
        )
        return tuple(reason for flag, reason in flags if flag[index])

    def __len__(self) -> int:
        return int(self.estimate.size)


def _codes(values: npt.ArrayLike) -> tuple[npt.NDArray[np.generic], IntArray]:
    """Sorted distinct values and each row's index into them."""
    uniques, inverse = np.unique(np.asarray(values), return_inverse=True)
    return uniques, inverse.astype(np.int64).ravel()


def weighted_estimates(
    weight: npt.ArrayLike,
    stratum: npt.ArrayLike,
    psu: npt.ArrayLike,
    groups: Sequence[npt.ArrayLike] = (),
    *,
    single_psu: SinglePsu = "skip",
    interval: Literal["normal", "t"] = "normal",
    level: float = 0.95,
    min_estimate: float = CPSC_MIN_ESTIMATE,
    min_cases: int = CPSC_MIN_CASES,
    max_cv: float = CPSC_MAX_CV,
) -> Estimates:
    """Estimates, standard errors, CVs, intervals and stability flags per group.

    Parameters
    ----------
    weight, stratum, psu : 1-D arrays, one entry per case
        The case's statistical weight, its stratum and its PSU (hospital). PSU labels
        may repeat across strata; a PSU is the pair (stratum, psu).
    groups : sequence of 1-D arrays
        Grouping columns (e.g. ``(year, sex)``); every distinct combination present is a
        group. Empty: one group, the total. Pass *all* cases — also those outside the
        groups of interest — so that every PSU of the design enters the variance.
    single_psu : "skip", "units" or "error"
        How a stratum with one PSU enters the variance (see the module docstring).
    interval : "normal" or "t"
        estimate ± z·SE (default, CPSC's form) or ± t_df·SE with df = #PSUs − #strata.
    level : float
        Confidence level of the interval, in (0, 1).
    min_estimate, min_cases, max_cv : stability thresholds
        Flags: estimate < ``min_estimate``; cases < ``min_cases``; CV > ``max_cv``.

    Raises
    ------
    ValueError
        On arrays of different lengths, negative or non-finite weights, no cases, a bad
        option, or a single-PSU stratum under ``single_psu="error"``.
    """
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ValueError("weight must be a non-empty 1-D array")
    n = w.size
    columns = [np.asarray(stratum), np.asarray(psu), *(np.asarray(g) for g in groups)]
    if any(c.shape != (n,) for c in columns):
        raise ValueError("weight, stratum, psu and every group column must have one entry per case")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    if single_psu not in ("skip", "units", "error"):
        raise ValueError(f"single_psu must be 'skip', 'units' or 'error', not {single_psu!r}")
    if interval not in ("normal", "t"):
        raise ValueError(f"interval must be 'normal' or 't', not {interval!r}")
    if not 0.0 < level < 1.0:
        raise ValueError("level must lie strictly between 0 and 1")

    # Design codes: stratum h, PSU p (nested in its stratum), n_h PSUs per stratum.
    _, h = _codes(columns[0])
    psu_labels, psu_code = _codes(columns[1])
    _, p = _codes(h * psu_labels.size + psu_code)
    n_psus = int(p.max()) + 1
    psu_stratum = np.zeros(n_psus, dtype=np.int64)
    psu_stratum[p] = h
    n_strata = int(h.max()) + 1
    n_h = np.bincount(psu_stratum, minlength=n_strata)
    singletons = n_h == 1
    if singletons.any() and single_psu == "error":
        raise ValueError(f"{int(singletons.sum())} stratum/strata have a single PSU")
    if singletons.any() and single_psu == "units":
        # Each case of a single-PSU stratum becomes a PSU of its own (samplics "certainty").
        lonely = singletons[h]
        p = np.where(lonely, n_psus + np.arange(n), p)
        _, p = np.unique(p, return_inverse=True)
        p = p.astype(np.int64).ravel()
        n_psus = int(p.max()) + 1
        psu_stratum = np.zeros(n_psus, dtype=np.int64)
        psu_stratum[p] = h
        n_h = np.bincount(psu_stratum, minlength=n_strata)
    df = n_psus - n_strata

    # Group codes: the combination of the grouping columns, in sorted key order. The code
    # is re-ranked after each column, so it never outgrows n however many columns there are.
    g = np.zeros(n, dtype=np.int64)
    for column in columns[2:]:
        uniques, inverse = _codes(column)
        _, g = _codes(g * uniques.size + inverse)
    _, first = np.unique(g, return_index=True)
    keys = tuple(column[first] for column in columns[2:])
    n_groups = int(g.max()) + 1

    # z[g, p]: the group's weighted total in each PSU (0 where the PSU has no such case).
    z = np.bincount(g * n_psus + p, weights=w, minlength=n_groups * n_psus).reshape(
        n_groups, n_psus
    )
    cases = np.bincount(g, minlength=n_groups).astype(np.int64)
    estimate = z.sum(axis=1)
    onehot = np.zeros((n_psus, n_strata))
    onehot[np.arange(n_psus), psu_stratum] = 1.0
    stratum_mean = (z @ onehot) / n_h  # z̄_gh
    deviation = z - stratum_mean[:, psu_stratum]
    within = (deviation**2) @ onehot  # Σ_i (z_ghi − z̄_gh)² per group × stratum
    factor = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 0.0)  # singletons: 0 ("skip")
    variance = within @ factor
    se = np.sqrt(variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(estimate > 0, se / np.where(estimate > 0, estimate, 1.0), np.nan)

    if interval == "t":
        if df < 1:
            raise ValueError("the t interval needs more PSUs than strata")
        quantile = float(stats.t.ppf(0.5 + level / 2, df))
    else:
        quantile = Z_95 if level == 0.95 else float(stats.norm.ppf(0.5 + level / 2))
    half = quantile * se

    return Estimates(
        keys=keys,
        estimate=estimate,
        variance=variance,
        se=se,
        cv=cv,
        lower=estimate - half,
        upper=estimate + half,
        cases=cases,
        df=df,
        too_small=estimate < min_estimate,
        too_few_cases=cases < min_cases,
        # An estimate of 0 has no CV; it is flagged as too small, not for its CV.
        cv_too_high=np.nan_to_num(cv, nan=0.0) > max_cv,
    )
