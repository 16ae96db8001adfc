"""Reading credit data: what the public may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from zhiliang.credit.listings import listings_in_force
from zhiliang.credit.models import CreditRecord
from zhiliang.lib.creditrules import Kind
from zhiliang.lib.uscc import validate_uscc
from zhiliang.registry.models import Enterprise

#: Enterprises a public query lists at most.
PUBLIC_RESULTS = 20


@dataclass(frozen=True)
class PublicCredit:
    enterprise: Enterprise
    records: list[CreditRecord]
    listings: list[Any]


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


def public_credit(query: str, *, today: dt.date) -> list[PublicCredit]:
    """A public query by credit code (exact) or name (part of it, at least two
    characters): each enterprise found with its public records and listings in force."""
    query = query.strip()
    if len(query) < 2:
        return []
    checked = validate_uscc(query)
    if checked.valid:
        enterprises = Enterprise.objects.filter(uscc=checked.code)
    else:
        enterprises = Enterprise.objects.filter(name__icontains=query).order_by("name")
    out = []
    for enterprise in enterprises[:PUBLIC_RESULTS]:
        records = list(
            CreditRecord.objects.filter(public_records_q(today), enterprise=enterprise).order_by(
                "-decided_on"
            )
        )
        out.append(PublicCredit(enterprise, records, listings_in_force(enterprise, today)))
    return out
