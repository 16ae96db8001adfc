"""Reads for plan execution, scoped to what a user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhiliang.accounts.access import OFFICE, has_role, memberships_of
from zhiliang.accounts.models import AuditEntry, Role
from zhiliang.plans.models import DistrictPlan, PlanItem, ProgressReport, Task
from zhiliang.registry.models import Organisation


def organisations_acted_for(user: Any) -> QuerySet[Organisation]:
    """Organisations the user reports for: their own, and for district officers the
    units inside their district."""
    own = [m.organisation_id for m in memberships_of(user)]
    districts = [m.organisation_id for m in memberships_of(user) if m.role == Role.DISTRICT_OFFICER]
    return Organisation.objects.filter(Q(pk__in=own) | Q(parent_id__in=districts))


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    """Municipal tasks are visible to government staff; a district's tasks only to
    citywide readers and that district."""
    qs = Task.objects.select_related("owner", "district_plan__district")
    if has_role(user, OFFICE | {Role.DEPARTMENT_OFFICER, Role.INSPECTOR}):
        return qs
    return qs.filter(
        Q(district_plan__isnull=True) | Q(district_plan__district__in=organisations_acted_for(user))
    )


def reports_visible_to(user: Any) -> QuerySet[ProgressReport]:
    """Reports are not public: the office sees all, others their own units' reports."""
    qs = ProgressReport.objects.select_related("organisation", "item__plan", "task")
    if has_role(user, OFFICE):
        return qs
    return qs.filter(organisation__in=organisations_acted_for(user))


def district_plans_visible_to(user: Any) -> QuerySet[DistrictPlan]:
    qs = DistrictPlan.objects.select_related("district", "plan")
    if has_role(user, OFFICE | {Role.DEPARTMENT_OFFICER, Role.INSPECTOR}):
        return qs
    return qs.filter(district__in=organisations_acted_for(user))


def measure_reports(item: PlanItem, user: Any) -> QuerySet[ProgressReport]:
    return reports_visible_to(user).filter(item=item).order_by("-period", "organisation__name")


def reporters_for(item: PlanItem, user: Any) -> list[tuple[Organisation, Task | None]]:
    """The (organisation, task) pairs this user may report on for a measure."""
    from zhiliang.plans.selectors import responsibilities_of

    mine = list(organisations_acted_for(user))
    pairs: list[tuple[Organisation, Task | None]] = []
    for org in mine:
        if responsibilities_of(org).filter(item=item).exists():
            pairs.append((org, None))
    for task in item.tasks.filter(owner__in=mine).select_related("owner"):
        pairs.append((task.owner, task))
    return pairs


def report_history(report: ProgressReport) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        object_type="plans.progressreport", object_id=str(report.pk)
    ).order_by("at", "id")


def review_queue() -> QuerySet[ProgressReport]:
    return (
        ProgressReport.objects.filter(state=ProgressReport.State.SUBMITTED)
        .select_related("organisation", "item__plan", "task")
        .order_by("submitted_at")
    )
