"""Reading credit data: what the public may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from zhiliang.credit.listings import listings_in_force
from zhiliang.credit.models import CreditRecord, RiskAssessment
from zhiliang.lib.creditrules import Contribution, CreditFact, Kind, RiskClass, classify
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
    repaired by then (Order 45; 信用修复: publication stops on the day of repair).
    Nothing else is public: not other departments' records, not risk classes."""
    return (
        Q(kind=Kind.PENALTY)
        & Q(published_on__isnull=False, published_on__lte=today)
        & Q(public_until__gte=today)
        & (Q(repaired_on__isnull=True) | Q(repaired_on__gt=today))
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


@dataclass(frozen=True)
class Explained:
    """How an enterprise's stored class came about: its records' points on the day it
    was assessed (recomputed from the records, the same numbers as the nightly run) and
    any listing that made it D. ``current`` is false when the records or the model have
    changed since, so that the page says the figures are not the stored ones."""

    assessment: RiskAssessment
    #: each counted record's contribution with its kind's name in the user's language
    rows: list[tuple[Contribution, str]]
    listings: list[Any]
    score: float
    risk_class: str
    current: bool


def risk_explained(assessment: RiskAssessment) -> Explained:
    """The explanation of a stored risk class (internal: callers check ``may_see_risk``)."""
    from zhiliang.credit.services import model_digest, risk_model

    model = risk_model()
    day = assessment.assessed_on
    facts = [
        CreditFact(id=pk, kind=Kind(kind), decided_on=decided_on, heavier=heavier)
        for pk, kind, decided_on, heavier in CreditRecord.objects.filter(
            enterprise_id=assessment.enterprise_id
        ).values_list("pk", "kind", "decided_on", "heavier")
    ]
    result = classify(facts, today=day, model=model)
    listings = listings_in_force(assessment.enterprise, day)
    risk_class = RiskClass.D.value if listings else result.risk_class.value
    return Explained(
        assessment=assessment,
        rows=[(c, CreditRecord.RecordKind(c.kind.value).label) for c in result.contributions],
        listings=listings,
        score=result.score,
        risk_class=risk_class,
        current=(
            assessment.model == model_digest(model)
            and assessment.score == result.score
            and assessment.risk_class == risk_class
        ),
    )
