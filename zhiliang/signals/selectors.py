"""Reads of the early-warning loop."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet

from zhiliang.signals.models import ConsumerWarning, Signal


def signal_weeks(signal: Signal) -> list[tuple[dt.date, float | None]]:
    """The series' weeks as the signal stored them, oldest first, ending with its week."""
    return [
        (signal.first_week + dt.timedelta(weeks=n), count) for n, count in enumerate(signal.counts)
    ]


def published_warnings() -> QuerySet[ConsumerWarning]:
    """The consumer warnings the public sees: published and not withdrawn."""
    return ConsumerWarning.objects.filter(status=ConsumerWarning.Status.PUBLISHED).order_by(
        "-published_on", "-id"
    )


@dataclass(frozen=True)
class Series:
    """One weekly series: its key and what it counts."""

    key: str
    category: str = ""
    district: str = ""


@dataclass(frozen=True)
class WeeklySeries:
    """Weekly counts of cases per product category × district, ready for a detector."""

    series: list[Series]
    #: series × weeks, the first column the week of ``first_week``
    counts: np.ndarray
    first_week: dt.date
    #: what was counted, for the run's record
    source: str


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_series(
    *, through: dt.date, weeks: int, sources: list[str] | None = None
) -> WeeklySeries:
    """Cases of the store by week of visit (Monday to Sunday) for the ``weeks`` weeks
    ending with the week of ``through``, one series per product category and reporter's
    district. A case with several products counts once under each of its categories; a
    case whose product has no category counts under “-” (the mapping's “other”), as does
    a case without a reporting district (e.g. NEISS). Every series with a case in the
    window is returned, weeks without cases as 0."""
    from zhiliang.inspections.models import ProductCategory
    from zhiliang.surveillance.models import InjuryCase

    last = monday_of(through)
    first = last - dt.timedelta(weeks=weeks - 1)
    cases = InjuryCase.objects.filter(
        visit_date__gte=first, visit_date__lt=last + dt.timedelta(weeks=1)
    )
    if sources:
        cases = cases.filter(source__in=sources)
    codes = dict(ProductCategory.objects.values_list("pk", "code"))
    index: dict[tuple[str, str], int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for visit, c1, c2, c3, district in cases.values_list(
        "visit_date",
        "product_1_category_id",
        "product_2_category_id",
        "product_3_category_id",
        "reporter__division_id",
    ).iterator(chunk_size=20_000):
        week = (visit - first).days // 7
        for category in {codes.get(c, "-") for c in (c1, c2, c3) if c is not None} or {"-"}:
            key = (category, district or "-")
            rows.append(index.setdefault(key, len(index)))
            cols.append(week)
    counts = np.zeros((len(index), weeks), dtype=float)
    np.add.at(counts, (np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)), 1.0)
    series = [
        Series(
            f"category={category}|district={district}",
            category,
            "" if district == "-" else district,
        )
        for (category, district) in index
    ]
    what = "伤害病例按就诊周计数，产品类别 × 报告单位所在区县"
    if sources:
        what += f"，来源 {'、'.join(sorted(sources))}"
    return WeeklySeries(series, counts, first, what)


def with_series_names(signals: list[Signal]) -> list[Signal]:
    """The signals, each with ``category_name`` and ``district_name`` set (empty if the
    code is unknown), read in two queries."""
    from zhiliang.inspections.models import ProductCategory
    from zhiliang.registry.models import Division

    categories = {s.category for s in signals if s.category}
    districts = {s.district for s in signals if s.district}
    names = dict(ProductCategory.objects.filter(code__in=categories).values_list("code", "name"))
    places = dict(Division.objects.filter(code__in=districts).values_list("code", "name"))
    for signal in signals:
        signal.category_name = names.get(signal.category, "")  # type: ignore[attr-defined]
        signal.district_name = places.get(signal.district, "")  # type: ignore[attr-defined]
    return signals
