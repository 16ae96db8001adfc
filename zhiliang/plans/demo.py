"""Demo progress for the seed plan, so a newcomer sees every page filled.

Everything written here is DEMO DATA and says so where it is shown: report texts
begin with 【演示数据】, task and plan titles end with （演示数据）, demo users are
named demo-*, and every page shows a banner while the ``demo.load`` audit entry
exists. It goes through the real services, so the audit log reads as real use would.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from zhiliang.accounts.audit import audit_record
from zhiliang.accounts.models import AuditEntry, Role
from zhiliang.accounts.services import membership_grant, user_create
from zhiliang.lib.workdays import CalendarUnavailable
from zhiliang.plans.models import MeasureSchedule, Plan, PlanItem, Responsibility
from zhiliang.plans.services import execution as ex
from zhiliang.plans.services.notices import default_reply_due, notice_issue, notice_reply
from zhiliang.plans.services.publication import responsibility_publish
from zhiliang.registry.models import Organisation

DEMO = "【演示数据】"
DEMO_SUFFIX = "（演示数据）"
DEMO_ACTION = "demo.load"

DEMO_USERS = [
    ("demo-office", "cq-joint-office", Role.QUALITY_OFFICE),
    ("demo-zjj", "cq-zjj", Role.DEPARTMENT_OFFICER),
    ("demo-rsj", "cq-rsj", Role.DEPARTMENT_OFFICER),
    ("demo-jxw", "cq-jxw", Role.DEPARTMENT_OFFICER),
    ("demo-yuzhong", "district-500103", Role.DISTRICT_OFFICER),
    ("demo-nanan", "district-500108", Role.DISTRICT_OFFICER),
]

# (measure label, unit key, [(period, status, state, text, {target position: value})])
DEMO_REPORTS: list[tuple[str, str, list[tuple[str, str, str, str, dict[int, int]]]]] = [
    (
        "（二）",
        "cq-rsj",
        [
            (
                "2015-08",
                "in_progress",
                "accepted",
                "启动2015年技师培训项目，首批开班12个。",
                {0: 1800},
            ),
            ("2015-09", "in_progress", "accepted", "新增技师、高级技师累计3,200人。", {0: 3200}),
            (
                "2015-10",
                "in_progress",
                "submitted",
                "累计4,100人，第四届职业技能大赛决赛完成。",
                {0: 4100},
            ),
        ],
    ),
    (
        "（十一）",
        "cq-jxw",
        [
            (
                "2015-08",
                "in_progress",
                "accepted",
                "燃煤锅炉清洁能源改造完成47台，清洁生产审核完成39家。",
                {0: 47, 1: 39},
            ),
            (
                "2015-09",
                "in_progress",
                "accepted",
                "锅炉改造累计66台，审核累计58家。",
                {0: 66, 1: 58},
            ),
            (
                "2015-10",
                "done",
                "accepted",
                "81台燃煤锅炉改造全部完成，72家企业清洁生产审核全部完成。",
                {0: 81, 1: 72},
            ),
        ],
    ),
    (
        "（八）",
        "cq-zjj",
        [
            ("2015-08", "in_progress", "accepted", "开展电梯安全专项行动，检查电梯2,300台。", {}),
            ("2015-09", "late", "returned", "96333平台建设进度滞后于计划。", {}),
        ],
    ),
    (
        "（十六）",
        "cq-zjj",
        [
            ("2015-09", "in_progress", "accepted", "新增各级标准61项。", {0: 61}),
            ("2015-10", "in_progress", "draft", "新增各级标准累计78项，待复核。", {0: 78}),
        ],
    ),
]


def demo_loaded() -> bool:
    """Whether the demo data were loaded (asks the database)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {AuditEntry._meta.db_table} WHERE action = %s LIMIT 1", [DEMO_ACTION]
        )
        return cursor.fetchone() is not None


#: database name → (when asked, the answer) of :func:`demo_banner`, in this process
_banner_seen: dict[str, tuple[float, bool]] = {}
_clock = time.monotonic  # a test replaces it


def demo_banner() -> bool:
    """Whether pages show the demo banner: :func:`demo_loaded`, asked by a process at
    most once every ``settings.DEMO_CHECK_SECONDS`` (0: on every page).

    Every page asks, the public's queries included (issue 5's limit counts each
    statement a page sends), and the answer changes once in a database's life: when
    ``bootstrap --demo`` loads the demo, after which a running server shows the banner
    within those seconds (this process's own :func:`demo_load` shows it at once)."""
    ttl = settings.DEMO_CHECK_SECONDS
    key = connection.settings_dict["NAME"]
    now = _clock()
    seen = _banner_seen.get(key)
    if seen is not None and now - seen[0] < ttl:
        return seen[1]
    loaded = demo_loaded()
    _banner_seen[key] = (now, loaded)
    return loaded


def _user(username: str, org_key: str, role: str, passwords: dict[str, str]) -> Any:
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        password = secrets.token_urlsafe(9)
        user = user_create(username=username, password=password, actor=None)
        passwords[username] = password
    membership_grant(
        user=user,
        organisation=Organisation.objects.get(key=org_key),
        role=role,
        actor=None,
        reason="demo",
    )
    return user


@transaction.atomic
def demo_load(*, plan: Plan) -> dict[str, str]:
    """Load the demo once; returns the passwords of demo users it created."""
    if demo_loaded():
        return {}
    passwords: dict[str, str] = {}
    users = {name: _user(name, key, role, passwords) for name, key, role in DEMO_USERS}
    office = users["demo-office"]
    measures = {m.label: m for m in PlanItem.objects.filter(plan=plan, is_leaf=True)}
    for measure in measures.values():
        if not MeasureSchedule.objects.filter(item=measure).exists():
            ex.schedule_set(
                item=measure,
                deadline=dt.date(2015, 12, 31),
                reporting_cycle="monthly",
                actor=office,
                reason="演示数据",
            )
    ex.milestones_quarterly(item=measures["（二）"], start=dt.date(2015, 7, 1), actor=office)
    ex.task_create(
        item=measures["（八）"],
        title="96333电梯应急处置平台主城区上线" + DEMO_SUFFIX,
        owner=Organisation.objects.get(key="cq-zjj"),
        deadline=dt.date(2015, 9, 30),
        actor=office,
    )
    for username, district_key in (
        ("demo-yuzhong", "district-500103"),
        ("demo-nanan", "district-500108"),
    ):
        district = Organisation.objects.get(key=district_key)
        district_plan = ex.district_plan_create(
            district=district,
            plan=plan,
            title=f"{district.name}贯彻实施质量发展纲要2015年行动计划实施方案{DEMO_SUFFIX}",
            actor=users[username],
        )
        for label, title, deadline in (
            ("（十四）", "辖区制造业产品质量合格率达到90%以上", dt.date(2015, 11, 30)),
            ("（八）", "辖区电梯安全专项检查", dt.date(2015, 10, 31)),
        ):
            ex.task_create(
                item=measures[label],
                title=title + DEMO_SUFFIX,
                owner=district,
                deadline=deadline,
                actor=users[username],
                district_plan=district_plan,
            )
    reporter_of = {
        "cq-rsj": users["demo-rsj"],
        "cq-jxw": users["demo-jxw"],
        "cq-zjj": users["demo-zjj"],
    }
    for label, org_key, rows in DEMO_REPORTS:
        item = measures[label]
        organisation = Organisation.objects.get(key=org_key)
        targets = list(item.targets.order_by("position"))
        for period, status, state, text, figures in rows:
            report = ex.report_save(
                organisation=organisation,
                item=item,
                period=period,
                status=status,
                narrative=DEMO + text,
                figures={targets[i].pk: v for i, v in figures.items()},
                actor=reporter_of[org_key],
            )
            if state == "draft":
                continue
            report = ex.report_submit(report=report, actor=reporter_of[org_key])
            if state == "accepted":
                ex.report_accept(report=report, actor=office, comment="演示数据")
            elif state == "returned":
                ex.report_return(
                    report=report, actor=office, comment="请补充平台上线时间表（演示数据）"
                )
    notice = notice_issue(
        organisation=Organisation.objects.get(key="cq-zjj"),
        item=measures["（八）"],
        facts=DEMO
        + "“96333”电梯应急处置平台建设进度滞后于计划，9月进展报告已被退回。请说明原因并提出整改措施。",
        reply_due=_demo_reply_due(timezone.localdate()),
        actor=office,
    )
    notice_reply(
        notice=notice,
        reply_text=DEMO + "已增派技术人员，平台将于11月底前在主城区上线。",
        actor=users["demo-zjj"],
    )
    for responsibility in Responsibility.objects.filter(
        item__plan=plan, organisation__key="cq-jxw"
    ):
        responsibility_publish(
            responsibility=responsibility,
            status="in_progress",
            note=DEMO + "按计划推进",
            actor=office,
        )
    audit_record(
        actor=None, action=DEMO_ACTION, obj=plan, after={"users": sorted(users)}, reason="演示数据"
    )
    transaction.on_commit(_banner_seen.clear)  # this process's pages show the banner at once
    return passwords


def _demo_reply_due(today: dt.date) -> dt.date:
    """The demo notice's reply deadline: five working days, or, late in a year whose
    successor's holidays are not known yet, seven calendar days (demo data, labelled)."""
    try:
        return default_reply_due(today)
    except CalendarUnavailable:
        return today + dt.timedelta(days=7)
