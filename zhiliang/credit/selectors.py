"""Reading credit data: what the public may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Subquery

from zhiliang.accounts.access import CITYWIDE_READERS, district_codes_of, has_role
from zhiliang.accounts.models import Role
from zhiliang.credit.listings import listings_in_force
from zhiliang.credit.models import CreditRecord, RiskAssessment
from zhiliang.lib.creditrules import Contribution, CreditFact, Kind, RiskClass, classify
from zhiliang.lib.uscc import validate_uscc
from zhiliang.registry.models import Division, Enterprise

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


# --- enterprises by risk class (internal, 国市监信发〔2022〕6号: 不公开) -------------------

#: The district filter's value for enterprises registered outside the city (producers
#: of failed samples): citywide readers only.
OUTSIDE_CITY = "outside"


def risk_visible_q(user: Any) -> Q:
    """The stored risk classes ``user`` may see, as :func:`zhiliang.credit.access.may_see_risk`
    decides for one enterprise: citywide readers all, a district officer those of their
    district's enterprises, anyone else none."""
    if has_role(user, CITYWIDE_READERS):
        return Q()
    if has_role(user, {Role.DISTRICT_OFFICER}):
        return Q(enterprise__district_id__in=district_codes_of(user))
    return Q(pk__in=[])


def risk_districts(user: Any) -> list[tuple[str, str]]:
    """The districts (code, name) ``user`` may filter the risk classes by, in code order;
    for citywide readers also :data:`OUTSIDE_CITY` (its label is the caller's)."""
    divisions = Division.objects.filter(level=Division.Level.COUNTY)
    citywide = has_role(user, CITYWIDE_READERS)
    if not citywide:
        divisions = divisions.filter(code__in=district_codes_of(user))
    choices = list(divisions.order_by("code").values_list("code", "name"))
    return [*choices, (OUTSIDE_CITY, "")] if citywide else choices


def _risk_q(user: Any, district: str) -> Q:
    q = risk_visible_q(user)
    if district == OUTSIDE_CITY:
        q &= Q(enterprise__district__isnull=True)
    elif district:
        q &= Q(enterprise__district_id=district)
    return q


#: Highest risk first: class D to A, then score; the enterprise breaks ties.
RISK_ORDER = ("-risk_class", "-score", "enterprise_id")


def risk_assessments(
    user: Any, *, risk_class: str = "", district: str = ""
) -> QuerySet[RiskAssessment]:
    """The stored classes ``user`` may see, of one class and one district (code or
    :data:`OUTSIDE_CITY`) or all, in :data:`RISK_ORDER`, each with its enterprise and
    district in the same query."""
    rows = RiskAssessment.objects.filter(_risk_q(user, district))
    if risk_class:
        rows = rows.filter(risk_class=risk_class)
    return rows.select_related("enterprise__district").order_by(*RISK_ORDER)


@dataclass(frozen=True)
class RiskPages:
    """:func:`risk_assessments` as :class:`django.core.paginator.Paginator` reads it.

    ``total`` is known beforehand (the class counts give it: no COUNT query), and a page
    is one query that orders the assessments' own columns and joins the enterprises of
    that page only: ordering 300,000 joined rows to keep 50 took five times as long."""

    rows: QuerySet[RiskAssessment]
    total: int

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list[RiskAssessment]:
        page = self.rows.values("pk")[index]
        return list(
            RiskAssessment.objects.filter(pk__in=Subquery(page))
            .select_related("enterprise__district")
            .order_by(*RISK_ORDER)
        )


def risk_class_counts(user: Any, *, district: str = "") -> dict[str, int]:
    """The number of enterprises per class (A–D, each present) that ``user`` may see,
    in one district or all: one GROUP BY query."""
    counts = dict.fromkeys(RiskAssessment.Class.values, 0)
    rows = (
        RiskAssessment.objects.filter(_risk_q(user, district))
        .order_by()
        .values_list("risk_class")
        .annotate(n=Count("pk"))
    )
    for risk_class, n in rows:
        counts[risk_class] = n
    return counts
