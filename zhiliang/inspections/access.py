"""Who may see and change sampling plans and samples (built on accounts.access).

- Citywide readers (office, departments, inspectors) see every plan and sample.
- A district officer sees the samples taken in their district and those whose nominal
  producer is registered there (they receive the trace-back referral), and plans that
  have a quota in their district or were organised by their district.
- Writing a sample: the office, departments and inspectors anywhere; a district
  officer for samples taken in their district.
- Managing a plan: the office, or officers of the organising unit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from zhiliang.accounts.access import (
    CITYWIDE_READERS,
    OFFICE,
    acts_for,
    district_codes_of,
    has_role,
)
from zhiliang.accounts.models import Role

INSPECTION_READERS = CITYWIDE_READERS | {Role.DISTRICT_OFFICER}
SAMPLE_WRITERS = INSPECTION_READERS
PLAN_MANAGERS = OFFICE | {Role.DEPARTMENT_OFFICER, Role.DISTRICT_OFFICER}
IMPORTERS = OFFICE | {Role.DEPARTMENT_OFFICER, Role.INSPECTOR, Role.DISTRICT_OFFICER}


def is_citywide(user: Any) -> bool:
    return has_role(user, CITYWIDE_READERS)


def writable_districts(user: Any) -> frozenset[str] | None:
    """District codes the user may record samples in; ``None`` means every district."""
    if has_role(user, CITYWIDE_READERS):
        return None
    return district_codes_of(user)


def samples_visible_q(user: Any) -> Q:
    if is_citywide(user):
        return Q()
    codes = district_codes_of(user)
    return Q(sampling_district_id__in=codes) | Q(producer_region__in=codes)


def visible_samples(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.filter(samples_visible_q(user))


def may_write_sample(user: Any, sample: Any) -> bool:
    districts = writable_districts(user)
    return districts is None or sample.sampling_district_id in districts


def require_sample_writer(user: Any, sample: Any) -> None:
    if user is not None and not may_write_sample(user, sample):
        raise PermissionDenied


def may_manage_plan(user: Any, plan: Any) -> bool:
    return has_role(user, PLAN_MANAGERS) and acts_for(user, plan.organiser)


def require_plan_manager(user: Any, plan: Any) -> None:
    # ``None`` is the system (a console command run by the operator).
    if user is not None and not may_manage_plan(user, plan):
        raise PermissionDenied


def visible_plans(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    if is_citywide(user):
        return qs
    codes = district_codes_of(user)
    return qs.filter(
        Q(quotas__district_id__in=codes) | Q(organiser__division_id__in=codes)
    ).distinct()


def may_answer_referral(user: Any, referral: Any) -> bool:
    if has_role(user, OFFICE | {Role.DEPARTMENT_OFFICER}):
        return True
    return referral.to_region in district_codes_of(user)
