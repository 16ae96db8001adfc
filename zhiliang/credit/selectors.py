"""Reading credit data: what the public may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Subquery, Window

from zhiliang.credit.listings import listings_in_force_of
from zhiliang.credit.models import CreditRecord
from zhiliang.lib.creditrules import Kind
from zhiliang.lib.uscc import validate_uscc
from zhiliang.registry.models import Enterprise
from zhiliang.registry.selectors import enterprises_named

#: Enterprises a public query lists at most.
PUBLIC_RESULTS = 20
#: Enterprises a name query orders by name at most: beyond this many the page lists 20
#: of these and asks for more of the name (see :func:`public_credit`).
NAME_CANDIDATES = 200


@dataclass(frozen=True)
class PublicCredit:
    enterprise: Enterprise
    records: list[CreditRecord]
    listings: list[Any]


@dataclass(frozen=True)
class PublicAnswer:
    results: list[PublicCredit]
    #: more than :data:`NAME_CANDIDATES` names contain the query: ``results`` are the
    #: first by name of :data:`NAME_CANDIDATES` of them, not of all
    too_many: bool = False


def public_records_q(today: dt.date) -> Q:
    """Penalty records the public may see: published, within their public term, not
    repaired (Order 45; 信用修复). Nothing else is public: not other departments'
    records, not risk classes."""
    return (
        Q(kind=Kind.PENALTY)
        & Q(published_on__isnull=False, published_on__lte=today)
        & Q(public_until__gte=today)
        & Q(repaired_on__isnull=True)
    )


def public_credit(query: str, *, today: dt.date) -> PublicAnswer:
    """A public query by credit code (exact) or name (part of it, at least two
    characters): each enterprise found with its public records and listings in force.

    A name query lists the first :data:`PUBLIC_RESULTS` by name of the enterprises whose
    name contains it. When more than :data:`NAME_CANDIDATES` do, the first by name of
    :data:`NAME_CANDIDATES` of them are listed instead and ``too_many`` is set: finding
    the first 20 by name of, say, every name containing 重庆 (most of a million) means
    reading them all, or walking the names in order until 20 are found, which for a
    fragment whose names sort late (庆隆: the 重庆隆… names) passes most of the table;
    either takes seconds. Only the fragment's index is used here, and stops early."""
    query = query.strip()
    if len(query) < 2:
        return PublicAnswer([])
    checked = validate_uscc(query)
    if checked.valid:
        found = list(Enterprise.objects.filter(uscc=checked.code))
        too_many = False
    else:
        # One query: at most NAME_CANDIDATES + 1 matches, unordered (the index's or the
        # table's order, so a scan stops as soon as it has them), then ordered by name,
        # with how many there were.
        candidates = enterprises_named(query).order_by().values("pk")[: NAME_CANDIDATES + 1]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A parallel plan (chosen for fragments of middling frequency) took two
                # to four times as long as a serial one here: its workers start for a
                # query that stops after 201 rows, and under concurrent requests they
                # only compete for the same cores.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            found = list(
                Enterprise.objects.filter(pk__in=Subquery(candidates))
                .annotate(matches=Window(Count("pk")))
                .order_by("name")[:PUBLIC_RESULTS]
            )
        too_many = bool(found) and found[0].matches > NAME_CANDIDATES
    # Three queries in all, not two more per enterprise found.
    ids = [enterprise.pk for enterprise in found]
    records: dict[int, list[CreditRecord]] = {}
    for record in CreditRecord.objects.filter(
        public_records_q(today), enterprise_id__in=ids
    ).order_by("-decided_on"):
        records.setdefault(record.enterprise_id, []).append(record)
    listings = listings_in_force_of(ids, today)
    results = [
        PublicCredit(enterprise, records.get(enterprise.pk, []), listings.get(enterprise.pk, []))
        for enterprise in found
    ]
    return PublicAnswer(results, too_many)
