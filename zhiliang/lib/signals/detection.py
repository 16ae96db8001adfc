"""What every time-series detector returns, and how it reads its counts.

Every detector takes weekly counts as a 2-D array, one row per series (e.g. product
category × district) and one column per week, oldest first, and returns a
:class:`Detection` of arrays of the same shape. A 1-D array is one series; the arrays
returned are then 1-D too. A missing week is NaN: each method says what a NaN does to
the weeks after it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["Counts", "Detection", "as_counts"]

#: Weekly counts, series × weeks (or one series as a 1-D array).
Counts = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Detection:
    """A detector's verdict on every week of every series.

    Attributes
    ----------
    expected : float array
        The count the method expects in the week (NaN where it has none).
    upperbound : float array
        The threshold the week's count is compared with (NaN where none).
    statistic : float array
        The method's test statistic (its definition is in each detector's docstring).
    p_value : float array
        The statistic's p-value; NaN where the method defines none (EARS, CUSUM).
    alarm : bool array
        True where the week signals. False wherever ``decided`` is False.
    decided : bool array
        True where the method reached a verdict, alarm or not. False before the first
        week it can test and where its statistic is undefined (R's ``NA`` alarm,
        NSSP's "grey").
    """

    expected: FloatArray
    upperbound: FloatArray
    statistic: FloatArray
    p_value: FloatArray
    alarm: BoolArray
    decided: BoolArray

    @property
    def alarms(self) -> int:
        """How many series-weeks signal."""
        return int(self.alarm.sum())


def as_counts(counts: Counts) -> tuple[FloatArray, bool]:
    """The counts as a float 2-D array (series × weeks), and whether the input was 1-D.

    Raises
    ------
    ValueError
        For an array of more than two dimensions, and for negative or infinite counts
        (a missing week is NaN, not a sentinel).
    """
    array = np.asarray(counts, dtype=np.float64)
    if array.ndim not in (1, 2):
        raise ValueError(f"counts must be series × weeks (2-D) or one series, got {array.ndim}-D")
    one = array.ndim == 1
    if one:
        array = array[np.newaxis, :]
    if array.size:
        # the extremes, NaN (a missing week) left out: two reductions, no temporary arrays
        low, high = np.fmin.reduce(array, axis=None), np.fmax.reduce(array, axis=None)
        if np.isinf(low) or np.isinf(high):
            raise ValueError("counts must be finite (a missing week is NaN)")
        if low < 0:
            raise ValueError("counts must not be negative")
    return array, one


D = TypeVar("D", bound="Detection")


def shaped(detection: D, one: bool) -> D:
    """The detection (or a subclass's, with its extra arrays) as 1-D arrays when the
    input was one series."""
    if not one:
        return detection
    return type(detection)(**{f.name: getattr(detection, f.name)[0] for f in fields(detection)})
