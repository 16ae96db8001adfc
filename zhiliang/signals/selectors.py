"""Reads of the early-warning loop."""

from __future__ import annotations

import datetime as dt

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
