"""The navigation bar: only links the current user may open (and that work)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from zhiliang.accounts.access import CITYWIDE_READERS, GOVERNMENT, OFFICE, has_role, roles_of
from zhiliang.surveillance.access import CASE_READERS


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    links: list[tuple[str, str]] = []
    if user is not None and user.is_authenticated:
        if has_role(user, GOVERNMENT):
            links += [
                (_("工作方案"), reverse("plans:plan_list")),
                (_("目标"), reverse("plans:target_list")),
                (_("进展报告"), reverse("plans:report_list")),
                (_("督办通知"), reverse("plans:notice_list")),
                (_("单位"), reverse("registry:organisation_list")),
            ]
        if has_role(user, CITYWIDE_READERS | {"district_officer"}):
            links.append((_("企业"), reverse("registry:enterprise_list")))
            links.append((_("监督抽查"), reverse("inspections:sample_list")))
            links.append((_("质量信用"), reverse("credit:listing_list")))
        if has_role(user, CASE_READERS):
            links.append((_("伤害监测"), reverse("surveillance:case_list")))
        if has_role(user, OFFICE | {"department_officer"}):
            links.append((_("预警信号"), reverse("signals:inbox")))
        if has_role(user, OFFICE):
            links += [
                (_("待审核"), reverse("plans:review_queue")),
                (_("待映射单位"), reverse("plans:unresolved_units")),
                (_("节假日安排"), reverse("registry:holiday_arrangements")),
                (_("审计日志"), reverse("accounts:audit_log")),
            ]
    from zhiliang.plans.demo import demo_banner

    return {
        "nav_links": links,
        "user_roles": roles_of(user) if user else frozenset(),
        "demo_data": demo_banner(),
        # Citywide pages (main dashboard, target progress, annual report) are linked only for these.
        "citywide": bool(user is not None and has_role(user, CITYWIDE_READERS)),
    }
