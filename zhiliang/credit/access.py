"""Who may submit credit records and see risk classes (built on accounts.access).

- Records: the office, department officers and inspectors about any enterprise; a
  district officer about enterprises registered in their district.
- Risk classes are internal (国市监信发〔2022〕6号: 不公开): citywide readers see all, a
  district officer those of their district's enterprises; the public never.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from zhiliang.accounts.access import CITYWIDE_READERS, OFFICE, district_codes_of, has_role
from zhiliang.accounts.models import Role

RECORD_WRITERS = OFFICE | {Role.DEPARTMENT_OFFICER, Role.INSPECTOR, Role.DISTRICT_OFFICER}
RISK_READERS = CITYWIDE_READERS | {Role.DISTRICT_OFFICER}


def may_record_about(user: Any, enterprise: Any) -> bool:
    if user is None:  # the system (a command, the sampling services)
        return True
    if has_role(user, RECORD_WRITERS - {Role.DISTRICT_OFFICER}):
        return True
    if has_role(user, {Role.DISTRICT_OFFICER}):
        return enterprise.district_id in district_codes_of(user)
    return False


def require_record_writer(user: Any, enterprise: Any) -> None:
    if not may_record_about(user, enterprise):
        raise PermissionDenied


def may_see_risk(user: Any, enterprise: Any) -> bool:
    if has_role(user, CITYWIDE_READERS):
        return True
    return has_role(user, {Role.DISTRICT_OFFICER}) and (
        enterprise.district_id in district_codes_of(user)
    )
