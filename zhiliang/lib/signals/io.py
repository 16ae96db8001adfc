"""CSV in and out for the early-warning methods (``zhiliang signals …``).

Two inputs, UTF-8 CSV with a header row (other columns are ignored):

* weekly counts ``series_id,date,count`` — one row per series and week, dates
  ``YYYY-MM-DD`` seven days apart within a series, counts whole numbers ≥ 0. Series
  need not share weeks: those on the same weeks are run together (:class:`WeeklyTable`);
* pair counts ``product,event,count`` — one row per product × event pair; scored with
  PRR, ROR, χ², the BCPNN IC and MGPS (:func:`pair_mgps`, the prior fitted on the table
  unless given).

Every problem is an :class:`InputError` whose text is one line naming the file line
(the physical line where the CSV record starts), so a command can print it as is.
Outputs are rows of text in the order of the input rows; a value a method does not
define, or a week it does not decide, is an empty cell.
"""

from __future__ import annotations

import csv
import datetime
import math
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zhiliang.lib.signals import (
    DETECTORS,
    Detection,
    GpsPosterior,
    Method,
    detect,
    disproportionality,
    gps,
    two_by_two,
)
from zhiliang.lib.signals.detection import FloatArray

__all__ = [
    "DETECTION_COLUMNS",
    "DISPROPORTIONALITY_COLUMNS",
    "PAIR_COLUMNS",
    "WEEKLY_COLUMNS",
    "FROM_FILE",
    "InputError",
    "PairTable",
    "WeeklyTable",
    "detection_rows",
    "disproportionality_rows",
    "mgps_summary",
    "pair_mgps",
    "parse_parameters",
    "read_pair_counts",
    "read_weekly_counts",
]

WEEKLY_COLUMNS = ("series_id", "date", "count")
PAIR_COLUMNS = ("product", "event", "count")
DETECTION_COLUMNS = (*WEEKLY_COLUMNS, "expected", "upperbound", "statistic", "p_value", "alarm")
DISPROPORTIONALITY_COLUMNS = (
    "product",
    "event",
    "a",
    "b",
    "c",
    "d",
    "expected",
    "prr",
    "prr_lo",
    "prr_hi",
    "ror",
    "ror_lo",
    "ror_hi",
    "chi2_yates",
    "ic",
    "ic025",
    "ebgm",
    "eb05",
)
#: Detector parameters the input file supplies (not settable with ``--param``).
FROM_FILE = frozenset({"dates", "population"})

_WHOLE = re.compile(r"\d+(?:\.0*)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


class InputError(ValueError):
    """A problem with the input: one line of text, naming the file line when there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


# --- weekly counts -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WeeklyPanel:
    """Series on the same weeks: the counts of ``series`` (rows) in ``dates`` (columns)."""

    series: tuple[str, ...]
    dates: tuple[datetime.date, ...]
    counts: FloatArray


@dataclass(frozen=True, eq=False)
class WeeklyTable:
    """The weekly counts of a file: panels of series on the same weeks, and where each
    input row went (panel, series, week), in input order."""

    panels: tuple[WeeklyPanel, ...]
    rows: tuple[tuple[str, str, int, int, int, int], ...]  # id, date, count, panel, i, week


def read_weekly_counts(lines: Iterable[str]) -> WeeklyTable:
    """Read and check ``series_id,date,count`` rows (module notes)."""
    header, records = _records(lines, WEEKLY_COLUMNS)
    where = {name: header.index(name) for name in WEEKLY_COLUMNS}
    weeks: dict[str, dict[datetime.date, tuple[int, int]]] = {}  # id → date → (count, line)
    order: list[tuple[str, datetime.date, int]] = []
    parsed_dates: dict[str, datetime.date] = {}
    for line, fields in records:
        series = _field(fields, where["series_id"]).strip()
        if not series:
            raise InputError("series_id is empty", line)
        day = _date(_field(fields, where["date"]), line, parsed_dates)
        count = _whole(_field(fields, where["count"]), line)
        own = weeks.setdefault(series, {})
        if day in own:
            raise InputError(
                f"series {series!r} has week {day.isoformat()} twice (also line {own[day][1]})",
                line,
            )
        own[day] = (count, line)
        order.append((series, day, line))
    if not order:
        raise InputError("no data rows under the header", 2)

    spans: dict[tuple[datetime.date, int], list[str]] = {}
    for series, own in weeks.items():
        days = sorted(own)
        for before, after in zip(days, days[1:], strict=False):
            if (after - before).days != 7:
                raise InputError(
                    f"series {series!r}: {after.isoformat()} does not follow "
                    f"{before.isoformat()} (line {own[before][1]}) by one week; weeks must "
                    "be 7 days apart with none missing",
                    own[after][1],
                )
        spans.setdefault((days[0], len(days)), []).append(series)

    panels = []
    place: dict[str, tuple[int, int, datetime.date]] = {}
    for index, ((first, length), members) in enumerate(spans.items()):
        dates = tuple(first + datetime.timedelta(weeks=i) for i in range(length))
        counts = np.array(
            [[weeks[s][d][0] for d in dates] for s in members], dtype=np.float64
        ).reshape(len(members), length)
        panels.append(WeeklyPanel(series=tuple(members), dates=dates, counts=counts))
        for i, series in enumerate(members):
            place[series] = (index, i, first)
    rows = []
    for series, day, _line in order:
        panel, i, first = place[series]
        rows.append(
            (series, day.isoformat(), weeks[series][day][0], panel, i, (day - first).days // 7)
        )
    return WeeklyTable(panels=tuple(panels), rows=tuple(rows))


def parse_parameters(
    method: str, assignments: Sequence[str], *, registry: Mapping[str, Method] = DETECTORS
) -> dict[str, Any]:
    """``NAME=VALUE`` texts as the keyword arguments of ``method`` (a detector, or a
    method of another ``registry`` such as :data:`PAIR_STATISTICS`), each converted to
    the type its signature declares (numbers, true/false, one of a method's named
    choices, ``5,4`` for a pair or a named tuple such as MGPS's prior, ``none``)."""
    if method not in registry:
        raise InputError(f"unknown method {method!r}; known: {', '.join(registry)}")
    entry = registry[method]
    hints = typing.get_type_hints(entry.function)
    accepted = [p for p in entry.parameters if p not in FROM_FILE]
    parameters: dict[str, Any] = {}
    for assignment in assignments:
        name, equals, text = assignment.partition("=")
        name = name.strip()
        if not equals or not name:
            raise InputError(f"--param {assignment!r}: write NAME=VALUE")
        if name in FROM_FILE and name in entry.parameters:
            raise InputError(f"--param {name}: {name} comes from the input file")
        if name not in entry.parameters:
            raise InputError(
                f"--param {name}: {method} has no parameter {name!r}; "
                f"it takes {', '.join(accepted) or 'none'}"
            )
        if name in parameters:
            raise InputError(f"--param {name}: given twice")
        try:
            parameters[name] = _convert(text.strip(), hints.get(name, float))
        except ValueError as exc:
            raise InputError(f"--param {name}={text}: {exc}") from None
    return parameters


def detect_table(
    table: WeeklyTable, method: str, parameters: Mapping[str, Any]
) -> tuple[Detection, ...]:
    """Run the detector on each panel of the table (dates given to methods taking them)."""
    takes_dates = "dates" in DETECTORS[method].parameters if method in DETECTORS else False
    results = []
    for panel in table.panels:
        given = dict(parameters)
        if takes_dates:
            given["dates"] = list(panel.dates)
        try:
            results.append(detect(method, panel.counts, **given))
        except ValueError as exc:
            raise InputError(f"{method}: {exc}") from None
    return tuple(results)


def detection_rows(table: WeeklyTable, results: Sequence[Detection]) -> Iterator[list[str]]:
    """The header and one output row per input row, in input order."""
    yield list(DETECTION_COLUMNS)
    for series, day, count, panel, i, week in table.rows:
        result = results[panel]
        decided = bool(result.decided[i, week])
        values = (
            result.expected[i, week],
            result.upperbound[i, week],
            result.statistic[i, week],
            result.p_value[i, week],
        )
        yield [
            series,
            day,
            str(count),
            *(_number(v) if decided else "" for v in values),
            ("true" if result.alarm[i, week] else "false") if decided else "",
        ]


# --- pair counts ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PairTable:
    """Products × events counts and the input rows as (product, event) indices."""

    products: tuple[str, ...]
    events: tuple[str, ...]
    counts: FloatArray
    rows: tuple[tuple[int, int], ...]


def read_pair_counts(lines: Iterable[str]) -> PairTable:
    """Read and check ``product,event,count`` rows (module notes)."""
    header, records = _records(lines, PAIR_COLUMNS)
    where = {name: header.index(name) for name in PAIR_COLUMNS}
    products: dict[str, int] = {}
    events: dict[str, int] = {}
    seen: dict[tuple[int, int], int] = {}
    cells: list[tuple[int, int, int]] = []
    for line, fields in records:
        product = _field(fields, where["product"]).strip()
        event = _field(fields, where["event"]).strip()
        if not product or not event:
            raise InputError("product and event must not be empty", line)
        count = _whole(_field(fields, where["count"]), line)
        key = (products.setdefault(product, len(products)), events.setdefault(event, len(events)))
        if key in seen:
            raise InputError(
                f"pair {product!r} × {event!r} appears twice (also line {seen[key]})", line
            )
        seen[key] = line
        cells.append((*key, count))
    if not cells:
        raise InputError("no data rows under the header", 2)
    counts = np.zeros((len(products), len(events)))
    for p, e, count in cells:
        counts[p, e] = count
    return PairTable(
        products=tuple(products),
        events=tuple(events),
        counts=counts,
        rows=tuple((p, e) for p, e, _ in cells),
    )


def pair_mgps(table: PairTable, parameters: Mapping[str, Any]) -> GpsPosterior | None:
    """MGPS (:func:`~zhiliang.lib.signals.gps`) of every pair with a report, with the
    ``parameters`` of :func:`parse_parameters` (``registry=PAIR_STATISTICS``, method
    ``gps``); by default the prior is fitted on those pairs, as vigipy does. None when no
    pair has a report."""
    cells = two_by_two(table.counts, min_count=1)
    if cells.a.size == 0:
        return None
    try:
        return gps(cells, **parameters)
    except ValueError as exc:
        raise InputError(f"gps: {exc}") from None


def mgps_summary(mgps: GpsPosterior | None) -> str:
    """One line on the MGPS prior used: given, or fitted and how the fit ended."""
    if mgps is None:
        return "MGPS: no pair has a report; ebgm and eb05 are empty"
    prior = ", ".join(
        f"{name}={value:.6g}" for name, value in zip(mgps.prior._fields, mgps.prior, strict=True)
    )
    fit = mgps.fit
    if fit is None:
        return f"MGPS prior given: {prior}; EB05 {mgps.quantile_method}"
    status = "converged" if fit.converged else "NOT converged"
    bounds = f"; on bounds: {', '.join(fit.at_bounds)}" if fit.at_bounds else ""
    return (
        f"MGPS prior fitted by maximum likelihood on {fit.cells} pairs: {prior}; "
        f"-lnL {fit.neg_log_likelihood:.6f}; {status} after {fit.iterations} "
        f"iterations ({fit.message}; scaled projected gradient {fit.gradient:.2g}){bounds}; "
        f"EB05 {mgps.quantile_method}"
    )


def disproportionality_rows(
    table: PairTable, mgps: GpsPosterior | None = None
) -> Iterator[list[str]]:
    """The header and one row per input pair: its 2×2 table, E, PRR and ROR with 95 %
    intervals, χ² with Yates's correction, the BCPNN IC/IC025 (vigipy's closed form) and
    MGPS's EBGM and EB05 (``mgps`` from :func:`pair_mgps`; by default its defaults: the
    prior fitted on the table, exact EB05). Pairs without reports get their table and E
    only (vigipy scores none of them)."""
    scored = disproportionality(two_by_two(table.counts, min_count=1))
    if mgps is None:
        mgps = pair_mgps(table, {})
    if mgps is not None and len(mgps.ebgm) != len(scored.cells.a):
        raise ValueError("mgps must score the table's pairs with a report (pair_mgps)")
    index = {
        (int(p), int(e)): k
        for k, (p, e) in enumerate(zip(scored.cells.product, scored.cells.event, strict=True))
    }
    rows_total = table.counts.sum(axis=1)
    columns_total = table.counts.sum(axis=0)
    total = float(table.counts.sum())
    yield list(DISPROPORTIONALITY_COLUMNS)
    for p, e in table.rows:
        k = index.get((p, e))
        a = float(table.counts[p, e])
        b, c = rows_total[p] - a, columns_total[e] - a
        cells = (a, b, c, total - a - b - c)
        expected = rows_total[p] * columns_total[e] / total if total else math.nan
        if k is None:
            statistics = [math.nan] * 11
        else:
            statistics = [
                scored.prr.ratio[k],
                scored.prr.lower[k],
                scored.prr.upper[k],
                scored.ror.ratio[k],
                scored.ror.lower[k],
                scored.ror.upper[k],
                scored.chi2_yates[k],
                scored.ic.ic[k],
                scored.ic.ic025[k],
                mgps.ebgm[k] if mgps is not None else math.nan,
                mgps.eb05[k] if mgps is not None else math.nan,
            ]
        yield [
            table.products[p],
            table.events[e],
            *(str(int(v)) for v in cells),
            _number(expected),
            *(_number(v) for v in statistics),
        ]


# --- helpers -------------------------------------------------------------------------------


def _records(
    lines: Iterable[str], required: tuple[str, ...]
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (stripped names) and an iterator of (line, fields) of the data rows."""
    reader = csv.reader(_decoded(lines))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InputError(
            "the file is empty; its header must name " + ", ".join(required), 1
        ) from None
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the "
            f"header must name {', '.join(required)} (it has {', '.join(header) or 'nothing'})",
            1,
        )

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        for fields in reader:
            if any(field.strip() for field in fields):
                yield start, fields
            start = reader.line_num + 1

    return header, rows()


def _decoded(lines: Iterable[str]) -> Iterator[str]:
    """The lines without a byte-order mark, a decoding error turned into an
    :class:`InputError` (without a line: decoders read ahead, so it would be wrong)."""
    iterator = iter(lines)
    first = True
    while True:
        try:
            line = next(iterator)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise InputError("the file is not UTF-8 text; save it as UTF-8") from None
        yield line.removeprefix("\ufeff") if first else line
        first = False


def _field(fields: list[str], index: int) -> str:
    return fields[index] if index < len(fields) else ""


def _whole(text: str, line: int) -> int:
    value = text.strip()
    if not _WHOLE.fullmatch(value):
        raise InputError(f"count must be a whole number ≥ 0, got {text!r}", line)
    return int(float(value))


def _date(text: str, line: int, cache: dict[str, datetime.date]) -> datetime.date:
    value = text.strip()
    day = cache.get(value)
    if day is None:
        try:
            if not _DATE.fullmatch(value):
                raise ValueError
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise InputError(f"date must be YYYY-MM-DD, got {text!r}", line) from None
        cache[value] = day
    return day


def _number(value: float) -> str:
    """A float as the shortest text that reads back the same; NaN as empty."""
    number = float(value)
    return "" if math.isnan(number) else repr(number)


def _convert(text: str, hint: Any) -> Any:
    """``text`` as a value of type ``hint`` (a parameter's annotation)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        members = [m for m in typing.get_args(hint) if m is not type(None)]
        if len(members) < len(typing.get_args(hint)) and text.lower() == "none":
            return None
        # One type and None (``int | None``); a wider union is an array-like, given here
        # as one number for all series (CUSUM's m).
        hint = members[0] if len(members) == 1 else float
        origin = typing.get_origin(hint)
    if origin is typing.Literal:
        choices = typing.get_args(hint)
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(map(str, choices))}")
        return text
    if hint is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError("must be true or false")
    if hint is int:
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError("must be a whole number")
        return int(text)
    if isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields"):
        # a named tuple (MGPS's GpsPrior): its fields in order, separated by commas
        fields = typing.get_type_hints(hint)
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != len(fields):
            raise ValueError(
                f"must be {len(fields)} values separated by commas ({', '.join(fields)})"
            )
        return hint(
            *(_convert(part, kind) for part, kind in zip(parts, fields.values(), strict=True))
        )
    if origin is tuple:
        kinds = typing.get_args(hint)
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != len(kinds):
            raise ValueError(f"must be {len(kinds)} values separated by commas")
        return tuple(_convert(part, kind) for part, kind in zip(parts, kinds, strict=True))
    if hint is str:
        return text
    # float, and array-likes given as one number for all series (e.g. CUSUM's m)
    try:
        number = float(text)
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number
