"""Who may see and enter injury cases (built on accounts.access).

Injury cases are health data about people, so fewer roles read them than read the
registry:

- the quality office and department officers see every case;
- a district officer sees the cases of the hospitals in their district (the hospital
  organisation's division);
- a hospital reporter sees and enters only the cases of the hospital(s) they belong to;
- everyone else — inspectors, enterprise users, people without a role — nothing.

Writing: a hospital reporter for their own hospital; a department officer for their own
department (12315 complaints, e-commerce monitoring, accident reports it received); the
office for any reporting unit. The system (a console command, ``actor=None``) may write
anything.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from zhiliang.accounts.access import OFFICE, district_codes_of, has_role, memberships_of
from zhiliang.accounts.models import Role
from zhiliang.registry.models import Organisation

CITYWIDE = OFFICE | {Role.DEPARTMENT_OFFICER}
CASE_READERS = CITYWIDE | {Role.DISTRICT_OFFICER, Role.HOSPITAL_REPORTER}
CASE_WRITERS = OFFICE | {Role.DEPARTMENT_OFFICER, Role.HOSPITAL_REPORTER}


def sees_all_cases(user: Any) -> bool:
    return has_role(user, CITYWIDE)


def hospitals_of(user: Any) -> list[Organisation]:
    """The sentinel hospitals the user reports for."""
    return [
        m.organisation
        for m in memberships_of(user)
        if m.role == Role.HOSPITAL_REPORTER and m.organisation.kind == Organisation.Kind.HOSPITAL
    ]


def cases_visible_q(user: Any) -> Q:
    """The cases a user may read, as a filter; nothing for a user without a reading role."""
    if sees_all_cases(user):
        return Q()
    visible = Q(pk__in=[])
    hospitals = [h.pk for h in hospitals_of(user)]
    if hospitals:
        visible |= Q(reporter_id__in=hospitals)
    districts = district_codes_of(user)
    if districts:
        visible |= Q(reporter__kind=Organisation.Kind.HOSPITAL, reporter__division_id__in=districts)
    return visible


def reporters_for(user: Any) -> list[Organisation]:
    """The units the user may enter cases for (the form's choices). The office may
    enter for any hospital or department."""
    if has_role(user, OFFICE):
        return list(
            Organisation.objects.filter(
                kind__in=[Organisation.Kind.HOSPITAL, Organisation.Kind.DEPARTMENT]
            ).order_by("kind", "name")
        )
    units = hospitals_of(user)
    units += [
        m.organisation
        for m in memberships_of(user)
        if m.role == Role.DEPARTMENT_OFFICER and m.organisation not in units
    ]
    return units


def may_report_for(user: Any, reporter: Organisation | None) -> bool:
    if user is None:  # the system
        return True
    if reporter is None:  # public datasets come in by command only
        return False
    if has_role(user, OFFICE):
        return reporter.kind in (Organisation.Kind.HOSPITAL, Organisation.Kind.DEPARTMENT)
    return any(unit.pk == reporter.pk for unit in reporters_for(user))


def require_reporter(user: Any, reporter: Organisation | None) -> None:
    if not may_report_for(user, reporter):
        raise PermissionDenied
