"""CUSUM of standardised weekly counts against a fixed in-control mean (SIGNALS.md §1.6).

Follows R ``surveillance::algo.cusum`` (1.20; same code in 1.26 apart from ``reset``):

* the in-control mean m is **one number per series**, the mean of the training weeks
  (surveillance: ``mean(observed[1:(range[1]-1)])``), or given;
* each monitored week's count x is standardised:
  ``standard`` (x − m)/√m, ``rossi`` (x − 3m + 2√(xm))/(2√m),
  ``anscombe`` 3/2·(x^{2/3} − m^{2/3})/m^{1/6};
* ``S_t = max(0, S_{t−1} + x_t − k)``, ``S`` = 0 before the first monitored week;
  alarm when ``S_t ≥ h``. Without ``reset`` an alarm persists while S decays
  (A_mid: weeks 55–58 and 60).
* the upper bound is the count that would have brought S_t to h, back-transformed:
  ``standard`` ``ceil(√m (h + k − S_{t−1}) + m)``; ``anscombe``
  ``(2/3 m^{1/6} (h + k − S_{t−1}) + m^{2/3})^{3/2}`` (0 if the base is negative);
  ``rossi`` surveillance's closed form; as there, a NaN or negative bound is 0.

``reset=True`` follows surveillance ≥ 1.23 ("repair and restart": S starts again from 0
after an alarm). Surveillance then reports S = 0 for the alarm week; here ``statistic``
keeps the value that crossed h (so ``alarm ⇔ statistic ≥ h`` always holds) and the next
week starts from 0, giving the same alarms and bounds as surveillance. Surveillance 1.20
ignores ``reset`` silently (unknown control entries are dropped), so the reference file's
``reset=TRUE`` rows equal its ``reset=FALSE`` rows.

A missing count (NaN) makes S NaN from that week on (R's ``max(0, NA)`` is NA): the
series stays undecided to the end. m = 0 (an all-zero training period) divides by zero
as in R: a positive count gives S = inf (alarm), a zero count 0/0 = NaN.

References
----------
E. S. Page, "Continuous inspection schemes", Biometrika 41 (1954) 100–115.
G. Rossi, L. Lampugnani, M. Marchi, "An approximate CUSUM procedure for surveillance of
health events", Statistics in Medicine 18 (1999) 2111–2122.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

from zhiliang.lib.signals.detection import Counts, Detection, FloatArray, as_counts, shaped

__all__ = ["TRANSFORMS", "Transform", "cusum"]

Transform = Literal["standard", "rossi", "anscombe"]
TRANSFORMS: tuple[Transform, ...] = ("standard", "rossi", "anscombe")


def cusum(
    counts: Counts,
    *,
    training_weeks: int,
    k: float = 1.04,
    h: float = 2.26,
    m: npt.ArrayLike | None = None,
    trans: Transform = "standard",
    reset: bool = False,
) -> Detection:
    """One-sided CUSUM of standardised counts, as ``surveillance::algo.cusum``.

    Parameters
    ----------
    counts : array, series × weeks
        Weekly counts, oldest first; NaN for a missing week.
    training_weeks : int
        The first weeks, which estimate m and are not monitored (surveillance:
        ``range = (training_weeks + 1):n``). At least 1.
    k, h : float
        Reference value and decision interval (surveillance's defaults 1.04, 2.26).
    m : float or array of one per series, optional
        In-control mean; by default the mean of each series' training weeks.
    trans : {"standard", "rossi", "anscombe"}
        How a count is standardised before it is summed.
    reset : bool
        Restart S from 0 after an alarm (surveillance ≥ 1.23).

    Returns
    -------
    Detection
        ``expected`` m, ``statistic`` S_t, ``upperbound`` the back-transformed bound,
        ``p_value`` NaN, ``alarm`` ``S_t ≥ h``. Training weeks are undecided.
    """
    y, one = as_counts(counts)
    series, weeks = y.shape
    if trans not in TRANSFORMS:
        raise ValueError(f"trans must be one of {', '.join(TRANSFORMS)}, got {trans!r}")
    if isinstance(training_weeks, bool) or not isinstance(training_weeks, int | np.integer):
        raise ValueError(f"training_weeks must be a whole number, got {training_weeks!r}")
    if not 1 <= training_weeks < weeks:
        raise ValueError(
            f"training_weeks must leave at least one week to monitor: 1 ≤ training_weeks "
            f"< {weeks}, got {training_weeks}"
        )
    if not (math.isfinite(k) and math.isfinite(h) and h > 0):
        raise ValueError(f"k must be finite and h positive, got k={k}, h={h}")

    if m is None:
        mean = y[:, :training_weeks].mean(axis=1)
    else:
        mean = np.broadcast_to(np.asarray(m, dtype=np.float64), (series,)).copy()
        if (mean < 0).any():
            raise ValueError("m must not be negative")
    mu = mean[:, np.newaxis]
    x = y[:, training_weeks:]

    # Week-major arrays (weeks × series), returned transposed (views, not copies): the
    # recursion runs week by week over all series at once, and each step then reads and
    # writes one contiguous row (a series-major column per step cost half the run in
    # cache misses). The arithmetic is the recursion's, step for step: S_t =
    # max(0, S_{t−1} + (z_t − k)) with z = (x − m)/√m, the same operations in order.
    def weekly() -> FloatArray:
        out = np.empty((weeks, series))
        out[:training_weeks] = np.nan
        return out

    statistic, upperbound, expected = weekly(), weekly(), weekly()
    expected[training_weeks:] = mu.T
    # the verdicts week-major too, each row written while the step's row is in the cache
    alarm = np.zeros((weeks, series), dtype=bool)
    decided = np.zeros((weeks, series), dtype=bool)
    # the standard bound row by row as well (the other transforms' after the loop)
    by_row = trans == "standard"
    m_row = mu[:, 0]
    root_m = np.sqrt(m_row)
    with np.errstate(divide="ignore", invalid="ignore"):
        # One buffer, the bound's own rows, holds in turn z_t − k, S_{t−1} (each row
        # overwritten once the step has read it) and the bound: no 16 MB of fresh memory
        # per 10,000 series for the steps (page faults were a good part of the run).
        before = upperbound[training_weeks:]
        _standardised_steps(x, mu, trans, k, out=before)
        previous = np.zeros(series)
        for t in range(weeks - training_weeks):
            week = training_weeks + t
            current = statistic[week]
            np.add(previous, before[t], out=current)
            if by_row:  # the bound of S_{t−1} (after any reset) in place of the step
                _standard_bound(previous, root_m, m_row, h + k, out=before[t])
            else:
                before[t] = previous  # S_{t−1}, after any reset
            # R's max(0, NA) is NA: np.maximum keeps NaN, so a gap poisons the rest.
            np.maximum(0.0, current, out=current)
            np.greater_equal(current, h, out=alarm[week])  # NaN (undecided) is never ≥ h
            np.equal(current, current, out=decided[week])  # not NaN
            previous = np.where(alarm[week], 0.0, current) if reset else current
        if not by_row:
            before[:] = _upperbound(before, mu.T, trans, k, h)

    return shaped(
        Detection(
            expected=expected.T,
            upperbound=upperbound.T,
            statistic=statistic.T,
            # CUSUM defines no p-value: a read-only NaN view costs no memory
            p_value=np.broadcast_to(np.float64(np.nan), (series, weeks)),
            alarm=alarm.T,
            decided=decided.T,
        ),
        one,
    )


def _standard_bound(
    before: FloatArray, root_m: FloatArray, m: FloatArray, hk: float, *, out: FloatArray
) -> None:
    """:func:`_upperbound` of the standard transform into ``out`` (which may be
    ``before``; one row or all): ceil(√m · (h + k − S_{t−1}) + m), NaN and negatives → 0."""
    bound = np.subtract(hk, before, out=out)
    np.multiply(root_m, bound, out=bound)
    np.add(bound, m, out=bound)
    np.ceil(bound, out=bound)
    # NaN and negative → 0 (fmax drops NaN; only -0.0 may come back as 0.0, equal)
    np.fmax(bound, 0.0, out=bound)


def _standardise(x: FloatArray, m: FloatArray, trans: Transform) -> FloatArray:
    if trans == "standard":
        z = (x - m) / np.sqrt(m)
    elif trans == "rossi":
        z = (x - 3 * m + 2 * np.sqrt(x * m)) / (2 * np.sqrt(m))
    else:
        z = 1.5 * (x ** (2 / 3) - m ** (2 / 3)) / m ** (1 / 6)
    return np.asarray(z, dtype=np.float64)


def _standardised_steps(
    x: FloatArray, m: FloatArray, trans: Transform, k: float, *, out: FloatArray
) -> None:
    """z − k into ``out``, week-major (weeks × series), z the standardised counts."""
    if trans != "standard":
        out[:] = (_standardise(x, m, trans) - k).T
        return
    # in place, by blocks of series small enough for the cache, each block turned
    # week-major as it is written (a whole-array transpose misses the cache)
    series = x.shape[0]
    for first in range(0, series, _BLOCK):
        part = slice(first, first + _BLOCK)
        block = np.subtract(x[part], m[part])
        np.divide(block, np.sqrt(m[part]), out=block)
        np.subtract(block, k, out=block)
        out[:, part] = block.T


#: Series per block of :func:`_standardised_steps` (256 × 260 weeks ≈ 0.5 MB).
_BLOCK = 256


def _upperbound(
    before: FloatArray, m: FloatArray, trans: Transform, k: float, h: float
) -> FloatArray:
    """surveillance's back-transformation of S_{t−1}; NaN and negative bounds become 0."""
    if trans == "standard":
        _standard_bound(before, np.sqrt(m), m, h + k, out=before)
        return before
    room = h + k - before
    if trans == "rossi":
        root_m = np.sqrt(m)
        m32 = m ** (3 / 2)
        bound = (
            2 * h * root_m
            + 2 * k * root_m
            - 2 * before * root_m
            + 5 * m
            - 2 * np.sqrt(4 * m**2 + 2 * m32 * h + 2 * m32 * k - 2 * m32 * before)
        )
    else:
        base = (2 / 3) * m ** (1 / 6) * room + m ** (2 / 3)
        bound = np.where(base < 0, 0.0, np.abs(base) ** 1.5)
    bound = np.where(np.isnan(bound) | (bound < 0), 0.0, bound)
    return np.asarray(bound, dtype=np.float64)
