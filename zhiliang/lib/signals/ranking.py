"""vigipy's ranking and decision rules for the Bayesian pair statistics (SIGNALS.md §2.3).

vigipy 3.5.1 ranks the pairs by a statistic, computes decision-theoretic rates along
that ranking from each pair's posterior probability of *no* signal, P(IC < log₂ RR₀)
(``compute_bayesian_metrics``), and calls the first ``num_signals`` pairs of the ranking
signals, their number set by a decision rule (``determine_num_signals``):

* ``rank`` — pairs whose statistic passes ``decision_thres``: IC025 ≥ it (ranking by
  ``quantile``), or the posterior ≤ it (ranking by ``p_value``);
* ``fdr`` — pairs whose Bayesian FDR (below) is ≤ it;
* ``signals`` — a fixed number (≥ 1), or that share of the pairs (< 1).

**Quirk kept** (SIGNALS.md §5): vigipy's ``bcpnn`` keeps ``decision_thres=0.0`` when it
ranks by ``p_value``, so ``rank`` signals only pairs whose posterior is exactly 0 — none
on the reference table. :func:`bcpnn_signals` has the same defaults; rank by p-value with
a threshold such as 0.05, or decide by ``fdr``.

Ties in the ranking statistic are broken as vigipy's output table is sorted: by
count/expected, then count, both descending, then table order (vigipy orders its rates
with an unstable ``argsort``, so with ties its rates can follow another order).

References
----------
vigipy 3.5.1 ``bcpnn``, ``utils.common.compute_bayesian_metrics`` and
``determine_num_signals`` (MIT). G. N. Norén et al., Stat. Med. 25 (2006) 3740–3757.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from zhiliang.lib.signals.detection import BoolArray, FloatArray
from zhiliang.lib.signals.disproportionality import InformationComponent, TwoByTwo, bcpnn

__all__ = [
    "BayesianRates",
    "BcpnnRanking",
    "BcpnnSignals",
    "DecisionMetric",
    "bayesian_rates",
    "bcpnn_signals",
    "signal_count",
]

BcpnnRanking = Literal["quantile", "p_value"]
DecisionMetric = Literal["rank", "fdr", "signals"]
#: vigipy's guard against dividing by zero pairs left (``DIVISION_EPSILON``).
_EPSILON = 1e-7


@dataclass(frozen=True, eq=False)
class BayesianRates:
    """vigipy's rates if the pairs up to and including each one (in the ranking) were
    signals, from the posterior probabilities p of no signal: ``fdr`` the running mean
    of p (made non-decreasing), ``sensitivity`` the share of the total 1 − p taken,
    ``fnr`` 1 − sensitivity, ``false_omission`` the 1 − p left per pair left (vigipy's
    FOR), ``specificity`` the share of the total p left. All clipped to [0, 1]."""

    fdr: FloatArray
    fnr: FloatArray
    false_omission: FloatArray
    sensitivity: FloatArray
    specificity: FloatArray


@dataclass(frozen=True, eq=False)
class BcpnnSignals:
    """The BCPNN IC of every pair, the statistic it is ranked by, the rates along that
    ranking and vigipy's signals."""

    ic: InformationComponent
    rank: FloatArray
    rates: BayesianRates
    signal: BoolArray

    @property
    def num_signals(self) -> int:
        """How many pairs signal (vigipy's ``num_signals``)."""
        return int(self.signal.sum())


def bayesian_rates(posterior: npt.ArrayLike, order: npt.ArrayLike) -> BayesianRates:
    """vigipy's ``compute_bayesian_metrics``: the rates of :class:`BayesianRates` for
    the posterior probabilities of no signal, ranked by ``order`` (pair indices, the most
    suspect first)."""
    p_all = np.asarray(posterior, dtype=np.float64)
    ranked = np.asarray(order, dtype=np.intp)
    m = p_all.size
    if ranked.shape != (m,) or (m and not np.array_equal(np.sort(ranked), np.arange(m))):
        raise ValueError("order must rank every pair once")
    p = p_all[ranked]
    ranks = np.arange(1, m + 1)
    fdr = np.maximum.accumulate(np.cumsum(p) / ranks) if m else np.empty(0)
    mass = 1.0 - p
    total_signal = mass.sum()
    taken = np.cumsum(mass)
    sensitivity = taken / total_signal if total_signal > 0 else np.zeros(m)
    false_omission = (total_signal - taken) / (m - ranks + _EPSILON)
    total_null = p.sum()
    specificity = (total_null - np.cumsum(p)) / total_null if total_null > 0 else np.ones(m)
    rates = [fdr, 1.0 - sensitivity, false_omission, sensitivity, specificity]
    out = []
    for sorted_rate in rates:
        rate = np.empty(m)
        rate[ranked] = sorted_rate
        out.append(np.clip(rate, 0.0, 1.0))
    return BayesianRates(*out)


def signal_count(
    decision_metric: DecisionMetric,
    threshold: float,
    *,
    rank: FloatArray,
    ascending: bool,
    fdr: FloatArray,
) -> int:
    """vigipy's ``determine_num_signals``: how many of the ranked pairs are signals.

    ``rank`` is the ranking statistic, smaller first when ``ascending`` (a p-value),
    larger first otherwise; ``fdr`` the FDR each pair would have as the last signal.
    """
    m = rank.size
    if decision_metric == "fdr":
        return int((fdr <= threshold).sum())
    if decision_metric == "signals":
        if threshold >= 1:
            return min(int(threshold), m)
        return min(max(0, round(threshold * m)), m)
    if decision_metric == "rank":
        return int((rank <= threshold).sum() if ascending else (rank >= threshold).sum())
    raise ValueError(f"decision_metric must be rank, fdr or signals, got {decision_metric!r}")


def bcpnn_signals(
    cells: TwoByTwo,
    *,
    relative_risk: float = 1.0,
    ranking_statistic: BcpnnRanking = "quantile",
    decision_metric: DecisionMetric = "rank",
    decision_threshold: float = 0.0,
) -> BcpnnSignals:
    """BCPNN signals as vigipy 3.5.1 ``bcpnn(MC=False)`` decides them (module notes).

    Parameters
    ----------
    cells : TwoByTwo
        The pairs' tables (:func:`~zhiliang.lib.signals.two_by_two`; vigipy's
        ``min_events`` is its ``min_count``).
    relative_risk : float
        RR₀ of the posterior P(IC < log₂ RR₀).
    ranking_statistic : {"quantile", "p_value"}
        Rank by IC025, largest first (vigipy's default), or by the posterior, smallest
        first.
    decision_metric : {"rank", "fdr", "signals"}
        vigipy's decision rule, with ``decision_threshold`` (vigipy's ``decision_thres``;
        0.0, which with ``p_value`` ranking signals nothing, as in vigipy).

    Returns
    -------
    BcpnnSignals
        The IC (:func:`~zhiliang.lib.signals.bcpnn`), the ranking statistic, the
        :class:`BayesianRates` along the ranking and the signals.
    """
    if ranking_statistic not in ("quantile", "p_value"):
        raise ValueError(
            f"ranking_statistic must be quantile or p_value, got {ranking_statistic!r}"
        )
    ic = bcpnn(cells, relative_risk=relative_risk)
    ascending = ranking_statistic == "p_value"
    rank = ic.posterior if ascending else ic.ic025
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cells.expected > 0, cells.a / cells.expected, np.nan)
    # vigipy's table sort: the statistic, then count/expected and count, both descending
    order = np.lexsort((-cells.a, -ratio, rank if ascending else -rank))
    rates = bayesian_rates(ic.posterior, order)
    count = signal_count(
        decision_metric, decision_threshold, rank=rank, ascending=ascending, fdr=rates.fdr
    )
    signal = np.zeros(rank.size, dtype=bool)
    signal[order[:count]] = True
    return BcpnnSignals(ic=ic, rank=rank, rates=rates, signal=signal)
