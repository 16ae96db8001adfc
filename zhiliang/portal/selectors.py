"""What the public may see. Every query here starts from a publication row, so an
unpublished responsibility cannot appear by construction."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from zhiliang.plans.models import ResponsibilityPublication
from zhiliang.registry.models import Organisation


def published_departments() -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(responsibilities__publication__isnull=False)
        .annotate(published=Count("responsibilities__publication"))
        .order_by("name")
    )


def published_duties(organisation: Organisation) -> QuerySet[ResponsibilityPublication]:
    return (
        ResponsibilityPublication.objects.filter(responsibility__organisation=organisation)
        .select_related("responsibility__item__plan")
        .order_by("responsibility__item__plan", "responsibility__item__position")
    )
