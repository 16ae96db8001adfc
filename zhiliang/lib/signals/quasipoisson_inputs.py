"""What a batch of quasi-Poisson fits shares (:mod:`~zhiliang.lib.signals.quasipoisson`):
the rows' levels and times (:class:`Design`), the counts and the quantities R starts
from (:class:`Response`), and prior weights kept as a factor per series and a few
departures (:class:`Weights`).

Arrays with one entry per row and series are laid out rows × series, so that a level's
rows and a week's baseline are contiguous and sums run across series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["QUANTITIES", "Design", "Response", "Weights"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

#: The largest matrix product (m·n·k) OpenBLAS runs on one thread.
_BLAS_ONE_THREAD = 4 * 65536 - 1


@dataclass(frozen=True, eq=False)
class Design:
    """The rows every fit of a batch shares: a level and a time per row, rows grouped by
    level (all rows of level 0 first, then level 1, …). Build it with :meth:`of`."""

    time: FloatArray
    levels: int
    #: [begin, end) of each level's rows.
    blocks: tuple[tuple[int, int], ...]
    #: The level of every row.
    level_of: IntArray
    #: [1, t, t²] for every row: the moments a step needs (:meth:`moments`).
    powers: FloatArray
    #: Each level's earliest and latest time, and the largest |time|.
    time_low: FloatArray
    time_high: FloatArray
    time_reach: float

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
        low, high = np.zeros(levels), np.zeros(levels)
        for i, (begin, end) in enumerate(blocks):
            if end > begin:
                low[i], high[i] = t[begin:end].min(), t[begin:end].max()
        return cls(
            time=t,
            levels=levels,
            blocks=blocks,
            level_of=lev,
            powers=np.vstack([np.ones(lev.size), t, t * t]),
            time_low=low,
            time_high=high,
            time_reach=float(np.abs(t).max()),
        )

    def spread(self, values: FloatArray) -> FloatArray:
        """values[level(row), :] for every row: a levels × series array as rows × series."""
        if self.levels == 1:
            return np.repeat(values, self.time.size, axis=0)
        out = np.empty((self.time.size, values.shape[1]))
        for level, (begin, end) in enumerate(self.blocks):
            out[begin:end] = values[level]
        return out

    def spread_times(
        self, scale: FloatArray, factor: FloatArray, out: FloatArray | None = None
    ) -> FloatArray:
        """scale[level(row), :] · factor[row, :] for every row (into ``out``, which may
        be ``factor``, or a new array)."""
        if out is None:
            out = np.empty(factor.shape)
        for level, (begin, end) in enumerate(self.blocks):
            np.multiply(factor[begin:end], scale[level], out=out[begin:end])
        return out

    def moments(self, values: FloatArray, count: int) -> FloatArray:
        """Σ values · [1, t, t²][:count] over each level's rows: count × levels × series."""
        series = values.shape[1]
        out = np.empty((self.levels, count, series))
        for level, (begin, end) in enumerate(self.blocks):
            powers = self.powers[:count, begin:end]
            # Products small enough for OpenBLAS to keep to one thread (it threads from
            # m·n·k = 4·65536 on, and threads ran this up to ten times slower on the
            # busy 2-core machine); 2–3× faster than einsum or three reductions.
            step = max(1, _BLAS_ONE_THREAD // max(1, count * (end - begin)))
            for first in range(0, series, step):
                last = min(first + step, series)
                np.matmul(powers, values[begin:end, first:last], out=out[level, :, first:last])
        return out.transpose(1, 0, 2)

    def sparse_moments(
        self, rows: IntArray, columns: IntArray, values: FloatArray, count: int, series: int
    ) -> FloatArray:
        """:meth:`moments` of an array that is zero but for ``values`` at (rows, columns)."""
        out = np.zeros((count, self.levels, series))
        if rows.size:
            where = self.level_of[rows] * series + columns
            time = self.time[rows]
            for k in range(count):
                out[k] = np.bincount(where, weights=values, minlength=self.levels * series).reshape(
                    self.levels, series
                )
                values = values * time
        return out


@dataclass(frozen=True, eq=False)
class Weights:
    """Prior weights ω = γ (1 + δ), rows × series: a factor γ per series and departures
    δ at a few (row, series) entries, δ = −1 where a row has no weight."""

    factor: FloatArray  # γ: series
    rows: IntArray
    columns: IntArray
    delta: FloatArray

    @classmethod
    def unit(cls, series: int) -> Weights:
        """Every row weighs 1."""
        none = np.zeros(0, dtype=np.intp)
        return cls(np.ones(series), none, none.copy(), np.zeros(0))

    @classmethod
    def of(cls, weights: FloatArray) -> Weights:
        """Dense weights (rows × series): γ = 1 and δ = ω − 1 where ω ≠ 1."""
        rows, columns = np.nonzero(weights != 1.0)
        return cls(np.ones(weights.shape[1]), rows, columns, weights[rows, columns] - 1.0)

    def excluding(self, invalid: BoolArray) -> Weights:
        """These weights with no weight on the rows marked invalid (rows × series)."""
        rows, columns = np.nonzero(invalid)
        if rows.size == 0:
            return self
        keep = ~invalid[self.rows, self.columns]
        return Weights(
            self.factor,
            np.concatenate([self.rows[keep], rows]),
            np.concatenate([self.columns[keep], columns]),
            np.concatenate([self.delta[keep], np.full(rows.size, -1.0)]),
        )

    def series(self, index: IntArray) -> Weights:
        """The weights of some series (columns) only, in the order given."""
        position = np.full(self.factor.size, -1, dtype=np.intp)
        position[index] = np.arange(index.size)
        moved = position[self.columns]
        keep = moved >= 0
        return Weights(self.factor[index], self.rows[keep], moved[keep], self.delta[keep])

    def dense(self, rows: int) -> FloatArray:
        """ω as a rows × series array."""
        out = np.ones((rows, self.factor.size))
        out[self.rows, self.columns] += self.delta
        out *= self.factor
        return out

    def at(self, rows: IntArray, columns: IntArray) -> FloatArray:
        """ω at some (row, series) entries."""
        series = self.factor.size
        keys = self.rows * series + self.columns
        order = np.argsort(keys)
        wanted = rows * series + columns
        found = np.searchsorted(keys[order], wanted)
        found = np.minimum(found, max(keys.size - 1, 0))
        one_plus = np.ones(wanted.size)
        if keys.size:
            hit = keys[order][found] == wanted
            one_plus[hit] += self.delta[order][found[hit]]
        return np.asarray(one_plus * self.factor[columns], dtype=np.float64)

    def largest_share(self) -> FloatArray:
        """An upper bound of 1 + δ over each series' rows."""
        out = np.ones(self.factor.size)
        np.maximum.at(out, self.columns, 1.0 + self.delta)
        return out

    def weightless(self) -> IntArray:
        """How many rows of each series have no weight."""
        return np.bincount(self.columns[self.delta <= -1.0], minlength=self.factor.size).astype(
            np.intp
        )


@dataclass(frozen=True)
class _UnitSums:
    """Sums at R's starting values μ₀ = y + 0.1 with every row weighing 1: moments
    (count × levels × series) of μ₀ [1, t, t²], of w z = μ₀ (log μ₀ − 1) + y [1, t] and
    of y [1, t]; Σ (y log y − y) and Σ of the unit deviance."""

    mustart: FloatArray
    start_wz: FloatArray
    counts: FloatArray
    y_log_y: FloatArray
    deviance: FloatArray

    def series(self, index: IntArray) -> _UnitSums:
        return _UnitSums(
            mustart=self.mustart[..., index],
            start_wz=self.start_wz[..., index],
            counts=self.counts[..., index],
            y_log_y=self.y_log_y[index],
            deviance=self.deviance[index],
        )


#: The quantities of the counts a fit starts from (:meth:`Response.quantity`).
QUANTITIES = ("mustart", "start_wz", "start_deviance", "y_log_y")


class Response:
    """Counts (rows × series) and the functions of them every fit starts from.

    R starts each fit from μ = y + 0.1, so the first step's sums and the starting
    deviance depend on the counts alone (:data:`QUANTITIES`: μ₀ = exp(log(y + 0.1)),
    w·z = μ₀ (log μ₀ − 1) + y, the unit deviance y log(y/μ₀) − (y − μ₀) (μ₀ where
    y = 0), and y log y − y). Farrington fits the same baseline counts two to four times
    a week, and a count is in the baseline of some 30 weeks, so they are computed once
    for all weeks (:meth:`of`) and picked per week (:meth:`rows`) when first needed,
    and a week's fits share their sums (:meth:`unit_sums`).
    """

    def __init__(
        self,
        counts: FloatArray,
        valid: BoolArray,
        *,
        source: Response | None = None,
        rows: IntArray | None = None,
        columns: IntArray | None = None,
    ) -> None:
        self.counts = counts  # NaN → 0
        self.valid = valid
        self._source, self._rows, self._columns = source, rows, columns
        self._sums: dict[Design, _UnitSums] = {}
        self._quantities: dict[str, FloatArray] = {}

    @classmethod
    def of(cls, y: FloatArray) -> Response:
        valid = ~np.isnan(y)
        return cls(np.where(valid, y, 0.0), valid)

    def rows(self, index: IntArray) -> Response:
        """Some rows (weeks) only."""
        return Response(
            np.take(self.counts, index, axis=0),
            np.take(self.valid, index, axis=0),
            source=self,
            rows=np.asarray(index, dtype=np.intp),
        )

    def series(self, index: IntArray) -> Response:
        """Some series (columns) only."""
        out = Response(
            self.counts[:, index],
            self.valid[:, index],
            source=self,
            columns=np.asarray(index, dtype=np.intp),
        )
        out._sums = {design: sums.series(index) for design, sums in self._sums.items()}
        return out

    def quantity(self, name: str) -> FloatArray:
        """One of :data:`QUANTITIES` (or ``counts``), rows × series."""
        if name == "counts":
            return self.counts
        value = self._quantities.get(name)
        if value is None:
            if self._source is not None:
                value = self._source.quantity(name)
                if self._rows is not None:
                    value = np.take(value, self._rows, axis=0)
                if self._columns is not None:
                    value = value[:, self._columns]
                self._quantities[name] = value
            else:
                self._quantities.update(_quantities(self.counts))
                value = self._quantities[name]
        return value

    def quantity_at(self, name: str, rows: IntArray, columns: IntArray) -> FloatArray:
        """One of the quantities at some (row, series) entries."""
        if name == "counts" or name in self._quantities or self._source is None:
            return np.asarray(self.quantity(name)[rows, columns], dtype=np.float64)
        if self._rows is not None:
            rows = self._rows[rows]
        if self._columns is not None:
            columns = self._columns[columns]
        return self._source.quantity_at(name, rows, columns)

    @property
    def mustart(self) -> FloatArray:
        """exp(log(y + 0.1)), R's linkinv(linkfun(mustart))."""
        return self.quantity("mustart")

    def unit_sums(self, design: Design) -> _UnitSums:
        """The start's sums with unit weights on every row (computed once per design).

        μ₀ = exp(log(y + 0.1)) is y + 0.1 up to rounding, so its moments are those of
        the counts plus 0.1 times each level's [n, Σ t, Σ t²]; the totals are summed over
        the source's runs of weeks, without copying them."""
        sums = self._sums.get(design)
        if sums is None:
            counts = design.moments(self.counts, 3)
            rows = np.ones((self.counts.shape[0], 1))
            constant = design.moments(rows, 3)
            sums = self._sums[design] = _UnitSums(
                mustart=counts + 0.1 * constant,
                start_wz=design.moments(self.quantity("start_wz"), 2),
                counts=counts[:2],
                y_log_y=self._total("y_log_y"),
                deviance=self._total("start_deviance"),
            )
        return sums

    def _total(self, name: str) -> FloatArray:
        """Σ over the rows of a quantity, from the source's rows when this is a set of
        them (runs of consecutive weeks are slices there)."""
        source, index = self._source, self._rows
        if source is None or index is None or name in self._quantities:
            return np.asarray(self.quantity(name).sum(axis=0), dtype=np.float64)
        values = source.quantity(name)
        weeks = np.sort(index)
        breaks = np.flatnonzero(np.diff(weeks) != 1) + 1
        total = np.zeros(values.shape[1])
        for run in np.split(weeks, breaks):
            total += values[run[0] : run[-1] + 1].sum(axis=0)
        return total


def _quantities(counts: FloatArray) -> dict[str, FloatArray]:
    """:data:`QUANTITIES` from the counts (NaN already 0)."""
    log_start = np.log(counts + 0.1)
    mustart = np.exp(log_start)
    positive = counts > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_counts = np.log(counts)
        return {
            "mustart": mustart,
            "start_wz": np.asarray(mustart * (log_start - 1.0) + counts, dtype=np.float64),
            "start_deviance": np.asarray(
                np.where(positive, counts * np.log(counts / mustart) - (counts - mustart), mustart),
                dtype=np.float64,
            ),
            "y_log_y": np.asarray(
                np.where(positive, counts * log_counts - counts, 0.0), dtype=np.float64
            ),
        }
