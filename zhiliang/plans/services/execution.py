"""Writes for carrying the plan out: schedules, tasks, district plans, progress reports.

Every function takes keyword-only arguments, runs in one transaction, checks the
actor's right to act on that organisation, and leaves an audit entry. Error
messages are module constants so tests (and API clients) can match them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.access import acts_for, require_office
from zhiliang.accounts.audit import audit_record
from zhiliang.lib.filetypes import FileTypeError, sniff_upload
from zhiliang.lib.numbers import plain_decimal
from zhiliang.lib.periods import PeriodError, check_period, quarter_ends
from zhiliang.plans.models import (
    DistrictPlan,
    MeasureSchedule,
    Milestone,
    Plan,
    PlanItem,
    ProgressReport,
    ReportAttachment,
    ReportFigure,
    Task,
)
from zhiliang.registry.models import Organisation

ERR_NOT_A_MEASURE = gettext_noop("“%(item)s”是章节标题，不是具体措施；请为其下的措施设置时限。")
ERR_NO_SCHEDULE = gettext_noop("请先由质量办为措施“%(item)s”设定完成时限。")
ERR_TASK_AFTER_MEASURE = gettext_noop("任务时限 %(task)s 晚于措施“%(item)s”的时限 %(measure)s。")
ERR_TASKS_AFTER_DEADLINE = gettext_noop(
    "已有任务的时限晚于新的措施时限：%(tasks)s。请先调整这些任务。"
)
ERR_MILESTONES_AFTER_DEADLINE = gettext_noop(
    "已有进度节点晚于新的措施时限：%(milestones)s。请先调整这些节点。"
)
ERR_MILESTONE_AFTER_DEADLINE = gettext_noop("节点日期 %(due)s 晚于措施时限 %(deadline)s。")
ERR_NOT_IN_DISTRICT = gettext_noop("责任单位“%(owner)s”不属于%(district)s。")
ERR_DISTRICT_PLAN_EXISTS = gettext_noop("%(district)s已有该方案的实施方案。")
ERR_NOT_A_DISTRICT = gettext_noop("“%(org)s”不是区县政府。")
ERR_REPORT_LOCKED = gettext_noop("该报告已被质量办采纳并锁定，不能再修改。")
ERR_REPORT_AWAITING_REVIEW = gettext_noop("该报告已报送，正在审核；如需修改请等待退回。")
ERR_STALE_VERSION = gettext_noop(
    "该报告已被他人修改（当前版本 %(current)d，您编辑的是版本 %(yours)d）。请刷新后重新填写，您的内容未被保存。"
)
ERR_WRONG_STATE = gettext_noop("报告当前状态为“%(state)s”，不能执行此操作。")
ERR_RETURN_NEEDS_COMMENT = gettext_noop("退回报告时必须填写审核意见。")
ERR_TARGET_NOT_OF_MEASURE = gettext_noop("目标“%(target)s”不属于该措施。")
ERR_BAD_FIGURE = gettext_noop("目标“%(target)s”的完成值“%(value)s”不是有效数字。")
ERR_NOT_RESPONSIBLE = gettext_noop("%(org)s不是该措施或任务的责任单位。")
ERR_ATTACHMENT_TOO_LARGE = gettext_noop("附件“%(name)s”大小为 %(size)s，超过上限 %(limit)s。")
ERR_EMPTY_NARRATIVE = gettext_noop("请填写工作进展。")


class ExecutionError(ValueError):
    """A request that breaks a rule of plan execution; nothing was written."""


def _fmt(day: dt.date) -> str:
    return day.isoformat()


def _schedule_of(item: PlanItem) -> MeasureSchedule:
    schedule = MeasureSchedule.objects.filter(item=item).first()
    if schedule is None:
        raise ExecutionError(_(ERR_NO_SCHEDULE) % {"item": f"{item.label}{item.title}"})
    return schedule


@transaction.atomic
def schedule_set(
    *, item: PlanItem, deadline: dt.date, reporting_cycle: str, actor: Any, reason: str = ""
) -> MeasureSchedule:
    require_office(actor)
    if not item.is_leaf:
        raise ExecutionError(_(ERR_NOT_A_MEASURE) % {"item": f"{item.label}{item.title}"})
    late_milestones = list(
        Milestone.objects.filter(item=item, due_on__gt=deadline).order_by("due_on")
    )
    if late_milestones:
        raise ExecutionError(
            _(ERR_MILESTONES_AFTER_DEADLINE)
            % {"milestones": "；".join(f"{m.title}（{_fmt(m.due_on)}）" for m in late_milestones)}
        )
    late = list(Task.objects.filter(item=item, deadline__gt=deadline).order_by("deadline"))
    if late:
        raise ExecutionError(
            _(ERR_TASKS_AFTER_DEADLINE)
            % {"tasks": "；".join(f"{t.title}（{_fmt(t.deadline)}）" for t in late)}
        )
    schedule = MeasureSchedule.objects.select_for_update().filter(item=item).first()
    before = None
    if schedule is None:
        schedule = MeasureSchedule(item=item)
    else:
        before = {"deadline": _fmt(schedule.deadline), "reporting_cycle": schedule.reporting_cycle}
    schedule.deadline = deadline
    schedule.reporting_cycle = reporting_cycle
    schedule.full_clean()
    schedule.save()
    audit_record(
        actor=actor,
        action="schedule.set",
        obj=item,
        before=before,
        after={"deadline": _fmt(deadline), "reporting_cycle": reporting_cycle},
        reason=reason,
    )
    return schedule


@transaction.atomic
def milestone_add(*, item: PlanItem, due_on: dt.date, title: str, actor: Any) -> Milestone:
    require_office(actor)
    schedule = _schedule_of(item)
    if due_on > schedule.deadline:
        raise ExecutionError(
            _(ERR_MILESTONE_AFTER_DEADLINE)
            % {"due": _fmt(due_on), "deadline": _fmt(schedule.deadline)}
        )
    milestone = Milestone(item=item, due_on=due_on, title=title)
    milestone.full_clean()
    milestone.save()
    audit_record(
        actor=actor,
        action="milestone.add",
        obj=item,
        after={"due_on": _fmt(due_on), "title": title},
    )
    return milestone


@transaction.atomic
def milestones_quarterly(*, item: PlanItem, start: dt.date, actor: Any) -> list[Milestone]:
    """ "Quarterly" milestones: one at each quarter end from ``start`` to the deadline."""
    schedule = _schedule_of(item)
    made = []
    for due in quarter_ends(start, schedule.deadline):
        if not Milestone.objects.filter(item=item, due_on=due).exists():
            made.append(milestone_add(item=item, due_on=due, title=_("季度进展节点"), actor=actor))
    return made


@transaction.atomic
def district_plan_create(
    *,
    district: Organisation,
    plan: Plan,
    title: str,
    actor: Any,
    source_name: str = "",
    source_text: str = "",
) -> DistrictPlan:
    if district.kind != Organisation.Kind.DISTRICT:
        raise ExecutionError(_(ERR_NOT_A_DISTRICT) % {"org": district.name})
    if not acts_for(actor, district):
        raise PermissionDenied
    if DistrictPlan.objects.filter(district=district, plan=plan).exists():
        raise ExecutionError(_(ERR_DISTRICT_PLAN_EXISTS) % {"district": district.name})
    district_plan = DistrictPlan.objects.create(
        district=district,
        plan=plan,
        title=title,
        source_name=source_name,
        source_text=source_text,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="district_plan.create",
        obj=district_plan,
        after={"district": district.name, "plan": plan.pk, "title": title},
    )
    return district_plan


@transaction.atomic
def task_create(
    *,
    item: PlanItem,
    title: str,
    owner: Organisation,
    deadline: dt.date,
    actor: Any,
    district_plan: DistrictPlan | None = None,
) -> Task:
    """A task under a measure. Its deadline may not be later than the measure's;
    a district's task belongs to the district itself or a unit inside it."""
    if district_plan is None:
        require_office(actor)
    else:
        if not acts_for(actor, district_plan.district):
            raise PermissionDenied
        if owner.pk != district_plan.district_id and owner.parent_id != district_plan.district_id:
            raise ExecutionError(
                _(ERR_NOT_IN_DISTRICT)
                % {"owner": owner.name, "district": district_plan.district.name}
            )
    schedule = _schedule_of(item)
    if deadline > schedule.deadline:
        raise ExecutionError(
            _(ERR_TASK_AFTER_MEASURE)
            % {
                "task": _fmt(deadline),
                "item": f"{item.label}{item.title}",
                "measure": _fmt(schedule.deadline),
            }
        )
    task = Task(item=item, title=title, owner=owner, deadline=deadline, district_plan=district_plan)
    task.created_by = actor if getattr(actor, "is_authenticated", False) else None
    task.full_clean()
    task.save()
    audit_record(
        actor=actor,
        action="task.create",
        obj=task,
        after={
            "item": item.pk,
            "title": title,
            "owner": owner.name,
            "deadline": _fmt(deadline),
            "district_plan": district_plan.pk if district_plan else None,
        },
    )
    return task


def _responsible(organisation: Organisation, item: PlanItem, task: Task | None) -> bool:
    if task is not None:
        return task.owner_id == organisation.pk
    if item.tasks.filter(owner=organisation).exists():
        return True
    from zhiliang.plans.selectors import responsibilities_of

    return responsibilities_of(organisation).filter(item=item).exists()


def _report_snapshot(report: ProgressReport) -> dict[str, Any]:
    return {
        "status": report.status,
        "narrative": report.narrative,
        "state": report.state,
        "version": report.version,
        "figures": {str(f.target_id): plain_decimal(f.value) for f in report.figures.all()},
    }


def _clean_figures(item: PlanItem, figures: dict[int, Any]) -> dict[int, Decimal]:
    targets = {t.pk: t for t in item.targets.all()}
    clean: dict[int, Decimal] = {}
    for target_id, raw in figures.items():
        if raw is None or str(raw).strip() == "":
            continue
        target = targets.get(int(target_id))
        if target is None:
            raise ExecutionError(_(ERR_TARGET_NOT_OF_MEASURE) % {"target": target_id})
        try:
            value = Decimal(str(raw).replace(",", "").strip())
        except InvalidOperation:
            value = Decimal("NaN")
        # Finite, at most 16 integer digits and 4 decimals (the column), not rounded silently.
        if (
            not value.is_finite()
            or abs(value) >= Decimal("1e16")
            or value != value.quantize(Decimal("0.0001"))
        ):
            raise ExecutionError(_(ERR_BAD_FIGURE) % {"target": target.text, "value": raw})
        clean[target.pk] = value
    return clean


@transaction.atomic
def report_save(
    *,
    organisation: Organisation,
    item: PlanItem,
    period: str,
    status: str,
    narrative: str,
    actor: Any,
    task: Task | None = None,
    figures: dict[int, Any] | None = None,
    expected_version: int | None = None,
) -> ProgressReport:
    """Create or update a draft (or returned) report.

    ``expected_version`` is the version the user's form was built from (0 for a
    new report); a report saved or created by someone else in between is refused,
    never overwritten. Pages always pass it; ``None`` skips the check (scripts).
    """
    if not acts_for(actor, organisation):
        raise PermissionDenied
    if not _responsible(organisation, item, task):
        raise ExecutionError(_(ERR_NOT_RESPONSIBLE) % {"org": organisation.name})
    schedule = _schedule_of(item)
    try:
        check_period(period, schedule.reporting_cycle)
    except PeriodError as exc:
        raise ExecutionError(str(exc)) from None
    if status not in ProgressReport.Status.values:
        raise ExecutionError(_("进展状态“%(status)s”无效。") % {"status": status})
    if not narrative.strip():
        raise ExecutionError(_(ERR_EMPTY_NARRATIVE))
    clean_figures = _clean_figures(item, figures or {})
    report = (
        ProgressReport.objects.select_for_update()
        .filter(organisation=organisation, item=item, task=task, period=period)
        .first()
    )
    before = None
    if report is None:
        report = ProgressReport(organisation=organisation, item=item, task=task, period=period)
        report.created_by = actor if getattr(actor, "is_authenticated", False) else None
    else:
        if report.state == ProgressReport.State.ACCEPTED:
            raise ExecutionError(_(ERR_REPORT_LOCKED))
        if report.state == ProgressReport.State.SUBMITTED:
            raise ExecutionError(_(ERR_REPORT_AWAITING_REVIEW))
        if expected_version is not None and expected_version != report.version:
            raise ExecutionError(
                _(ERR_STALE_VERSION) % {"current": report.version, "yours": expected_version}
            )
        before = _report_snapshot(report)
        report.version += 1
    report.status = status
    report.narrative = narrative.strip()
    report.full_clean()
    try:
        report.save()
    except IntegrityError:  # a concurrent first save of the same report
        raise ExecutionError(_(ERR_STALE_VERSION) % {"current": 1, "yours": 0}) from None
    ReportFigure.objects.filter(report=report).exclude(target_id__in=clean_figures).delete()
    for target_id, value in clean_figures.items():
        ReportFigure.objects.update_or_create(
            report=report, target_id=target_id, defaults={"value": value}
        )
    audit_record(
        actor=actor, action="report.save", obj=report, before=before, after=_report_snapshot(report)
    )
    return report


def _transition(
    report: ProgressReport, *, expected: set[str], to: str, actor: Any, comment: str, action: str
) -> ProgressReport:
    locked = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if locked.state not in expected:
        raise ExecutionError(_(ERR_WRONG_STATE) % {"state": locked.get_state_display()})
    before = _report_snapshot(locked)
    locked.state = to
    locked.version += 1
    now = timezone.now()
    if to == ProgressReport.State.SUBMITTED:
        locked.submitted_at = now
    else:
        locked.reviewed_by = actor
        locked.reviewed_at = now
        locked.review_comment = comment
    locked.save()
    audit_record(
        actor=actor,
        action=action,
        obj=locked,
        before=before,
        after=_report_snapshot(locked),
        reason=comment,
    )
    return locked


@transaction.atomic
def report_submit(
    *, report: ProgressReport, actor: Any, expected_version: int | None = None
) -> ProgressReport:
    if not acts_for(actor, report.organisation):
        raise PermissionDenied
    if expected_version is not None and expected_version != report.version:
        raise ExecutionError(
            _(ERR_STALE_VERSION) % {"current": report.version, "yours": expected_version}
        )
    return _transition(
        report,
        expected={ProgressReport.State.DRAFT, ProgressReport.State.RETURNED},
        to=ProgressReport.State.SUBMITTED,
        actor=actor,
        comment="",
        action="report.submit",
    )


@transaction.atomic
def report_return(*, report: ProgressReport, actor: Any, comment: str) -> ProgressReport:
    require_office(actor)
    if not comment.strip():
        raise ExecutionError(_(ERR_RETURN_NEEDS_COMMENT))
    return _transition(
        report,
        expected={ProgressReport.State.SUBMITTED},
        to=ProgressReport.State.RETURNED,
        actor=actor,
        comment=comment.strip(),
        action="report.return",
    )


@transaction.atomic
def report_accept(*, report: ProgressReport, actor: Any, comment: str = "") -> ProgressReport:
    """Accepting locks the report for good (audited; later changes are refused)."""
    require_office(actor)
    return _transition(
        report,
        expected={ProgressReport.State.SUBMITTED},
        to=ProgressReport.State.ACCEPTED,
        actor=actor,
        comment=comment.strip(),
        action="report.accept",
    )


def _human_size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def attachment_size_check(*, name: str, size: int) -> None:
    """Refuse a file over the limit; views call it before reading an upload."""
    limit = settings.ZHILIANG_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise ExecutionError(
            _(ERR_ATTACHMENT_TOO_LARGE)
            % {"name": name, "size": _human_size(size), "limit": _human_size(limit)}
        )


@transaction.atomic
def report_attach(
    *, report: ProgressReport, name: str, data: bytes, actor: Any
) -> ReportAttachment:
    """Attach evidence: size-limited, only document and image types whose content matches."""
    if not acts_for(actor, report.organisation):
        raise PermissionDenied
    current = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if current.state == ProgressReport.State.ACCEPTED:
        raise ExecutionError(_(ERR_REPORT_LOCKED))
    if current.state == ProgressReport.State.SUBMITTED:
        raise ExecutionError(_(ERR_REPORT_AWAITING_REVIEW))
    limit = settings.ZHILIANG_ATTACHMENT_MAX_BYTES
    if len(data) > limit:
        raise ExecutionError(
            _(ERR_ATTACHMENT_TOO_LARGE)
            % {"name": name, "size": _human_size(len(data)), "limit": _human_size(limit)}
        )
    try:
        content_type = sniff_upload(name, data[:16], data)
    except FileTypeError as exc:
        raise ExecutionError(str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    attachment = ReportAttachment(
        report=current,
        original_name=name[:255],
        size=len(data),
        sha256=digest,
        content_type=content_type,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    audit_record(
        actor=actor,
        action="report.attach",
        obj=current,
        after={"file": name, "size": len(data), "sha256": digest},
    )
    return attachment


def _leaves(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in nodes:
        out.extend(_leaves(node["children"]) if node.get("children") else [node])
    return out


@transaction.atomic
def district_plan_tasks_from_document(
    *, district_plan: DistrictPlan, actor: Any
) -> tuple[list[Task], list[str]]:
    """Turn the items of an uploaded district 实施方案 into tasks under the municipal
    measures they implement (matched by title, ``lib.measurematch``).

    Each matched item becomes a task owned by the district, due on the municipal
    measure's deadline (the latest the rule allows; the district may shorten it).
    Returns the tasks and the items left unmatched or without a municipal deadline,
    as "label title: why" lines for the officer.
    """
    from zhiliang.lib.measurematch import best_match
    from zhiliang.lib.planparse import PlanParseError, parse_plan

    if not acts_for(actor, district_plan.district):
        raise PermissionDenied
    try:
        parsed = parse_plan(district_plan.source_text)
    except PlanParseError as exc:
        raise ExecutionError(str(exc)) from None
    measures = {m.pk: m for m in PlanItem.objects.filter(plan=district_plan.plan, is_leaf=True)}
    deadlines = dict(
        MeasureSchedule.objects.filter(item_id__in=measures).values_list("item_id", "deadline")
    )
    titles = {pk: m.title for pk, m in measures.items()}
    tasks: list[Task] = []
    skipped: list[str] = []
    for node in _leaves(parsed["items"]):
        key, _ratio = best_match(node["title"], titles)
        where = f"{node['label']}{node['title']}"
        if key is None:
            skipped.append(_("%(item)s：未找到对应的市级措施") % {"item": where})
            continue
        if key not in deadlines:
            skipped.append(_("%(item)s：对应的市级措施尚未设定时限") % {"item": where})
            continue
        tasks.append(
            task_create(
                item=measures[key],
                title=node["title"],
                owner=district_plan.district,
                deadline=deadlines[key],
                actor=actor,
                district_plan=district_plan,
            )
        )
    return tasks, skipped


ERR_UNIT_NAME_TAKEN = gettext_noop("单位“%(name)s”已存在。")


@transaction.atomic
def district_unit_create(*, district: Organisation, name: str, actor: Any) -> Organisation:
    """A unit inside a district (区市场监管局, 某街道办事处) that district tasks can be given to."""
    if district.kind != Organisation.Kind.DISTRICT:
        raise ExecutionError(_(ERR_NOT_A_DISTRICT) % {"org": district.name})
    if not acts_for(actor, district):
        raise PermissionDenied
    name = name.strip()
    if not name or len(name) > 128:
        raise ExecutionError(_("请填写单位名称（不超过128字）。"))
    if Organisation.objects.filter(name=name).exists():
        raise ExecutionError(_(ERR_UNIT_NAME_TAKEN) % {"name": name})
    key = f"{district.key}-u{Organisation.objects.filter(parent=district).count() + 1}"
    while Organisation.objects.filter(key=key).exists():
        key += "x"
    unit = Organisation(
        key=key,
        name=name,
        kind=Organisation.Kind.DEPARTMENT,
        parent=district,
        division=district.division,
    )
    unit.full_clean()
    unit.save()
    audit_record(
        actor=actor,
        action="district_unit.create",
        obj=unit,
        after={"name": name, "district": district.name},
    )
    return unit


@transaction.atomic
def district_plan_create_from_document(
    *,
    district: Organisation,
    plan: Plan,
    title: str,
    actor: Any,
    source_name: str,
    source_text: str,
) -> tuple[DistrictPlan, list[Task], list[str]]:
    """Create a district plan from an uploaded document and its tasks, all or nothing:
    a document the parser cannot read leaves no empty plan behind."""
    district_plan = district_plan_create(
        district=district,
        plan=plan,
        title=title,
        actor=actor,
        source_name=source_name,
        source_text=source_text,
    )
    tasks, skipped = district_plan_tasks_from_document(district_plan=district_plan, actor=actor)
    return district_plan, tasks, skipped
