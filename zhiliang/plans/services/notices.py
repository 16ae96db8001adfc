"""督办通知 (supervision notices): the quality office's numbered notice to a unit that
is behind on a measure, the deadline for its reply, and the reply itself.

Writes follow :mod:`zhiliang.plans.services.execution`: keyword-only arguments, one
transaction, the actor's right checked first, an audit entry on every write, error
messages as module constants. The two reads every notice page needs (which notices a
user may see, and where a notice stands) live here too, next to the rule they share
with the writes (:func:`acts_for`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from zhiliang.accounts.access import acts_for, is_office, require_office
from zhiliang.accounts.audit import audit_record
from zhiliang.lib.workdays import add_workdays
from zhiliang.plans.execution_selectors import organisations_acted_for
from zhiliang.plans.models import PlanItem, SupervisionNotice, Task
from zhiliang.plans.services.execution import (
    ERR_NOT_A_MEASURE,
    ExecutionError,
)
from zhiliang.registry.models import Organisation

# Marked for extraction only; translated where raised, so tests can match the Chinese.
ERR_EMPTY_FACTS = gettext_noop("请填写督办事项。")
ERR_REPLY_DUE_NOT_FUTURE = gettext_noop("反馈时限 %(due)s 必须晚于今天（%(today)s）。")
ERR_NOT_AN_ADDRESSEE = gettext_noop(
    "“%(org)s”不能作为督办对象：督办通知主送市级部门、区县政府等具体单位。"
)
ERR_TASK_NOT_OF_MEASURE = gettext_noop("任务“%(task)s”不属于措施“%(item)s”。")
ERR_TASK_NOT_THEIRS = gettext_noop("任务“%(task)s”不是%(org)s的任务。")
ERR_EMPTY_REPLY = gettext_noop("请填写反馈内容。")
ERR_ALREADY_REPLIED = gettext_noop("该督办通知已于 %(date)s 反馈，不能重复反馈。")
ERR_NUMBER_CONTENDED = gettext_noop("督办通知编号分配冲突，请稍后重试；通知未印发。")

#: The issuer printed on every notice (发文机关标志 and 署名).
ISSUER_KEY = "cq-joint-office"
#: Units a notice may be addressed to. Collective names (联席会议成员单位, 各区县) name
#: no one who could reply; the office does not supervise itself or the city government.
ADDRESSEE_KINDS = frozenset(
    {
        Organisation.Kind.DEPARTMENT,
        Organisation.Kind.DISTRICT,
        Organisation.Kind.HOSPITAL,
        Organisation.Kind.TESTING,
    }
)
#: Working days a unit has to reply when the office does not set another deadline.
REPLY_WORKDAYS = 5
_NUMBER_ATTEMPTS = 5


class NoticeStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("待反馈")
    OVERDUE = "overdue", gettext_lazy("逾期未反馈")
    REPLIED = "replied", gettext_lazy("已反馈")
    REPLIED_LATE = "replied_late", gettext_lazy("逾期反馈")


def default_reply_due(issued_on: dt.date) -> dt.date:
    """Five working days after the day of issue (the day itself not counted, 民法典
    Art. 201; holidays and 调休 from :mod:`zhiliang.lib.workdays`).

    Raises :class:`~zhiliang.lib.workdays.CalendarUnavailable` for a year whose holiday
    arrangement is not published yet.
    """
    return add_workdays(issued_on, REPLY_WORKDAYS)


def _next_serial(year: int) -> int:
    # FOR UPDATE on the year's notices makes a second issuer wait on PostgreSQL (SQLite
    # runs every transaction IMMEDIATE, see settings, which serialises writers already).
    # It cannot lock rows that do not exist yet (the year's first notice) nor return rows
    # another issuer inserted while this one waited for the lock, so the caller still
    # retries on the unique (year, serial) constraint. No aggregate: PostgreSQL refuses FOR UPDATE on one.
    serials = (
        SupervisionNotice.objects.select_for_update()
        .filter(year=year)
        .values_list("serial", flat=True)
    )
    return max(serials, default=0) + 1


@transaction.atomic
def notice_issue(
    *,
    organisation: Organisation,
    item: PlanItem,
    facts: str,
    reply_due: dt.date,
    actor: Any,
    task: Task | None = None,
) -> SupervisionNotice:
    """Issue the next numbered 督办通知 of the current year (渝质督〔year〕N号) to ``organisation``."""
    require_office(actor)
    measure = f"{item.label}{item.title}"
    if not item.is_leaf:
        raise ExecutionError(_(ERR_NOT_A_MEASURE) % {"item": measure})
    if organisation.kind not in ADDRESSEE_KINDS:
        raise ExecutionError(_(ERR_NOT_AN_ADDRESSEE) % {"org": organisation.name})
    if task is not None and task.item_id != item.pk:
        raise ExecutionError(_(ERR_TASK_NOT_OF_MEASURE) % {"task": task.title, "item": measure})
    if task is not None and task.owner_id != organisation.pk:
        raise ExecutionError(
            _(ERR_TASK_NOT_THEIRS) % {"task": task.title, "org": organisation.name}
        )
    facts = facts.strip()
    if not facts:
        raise ExecutionError(_(ERR_EMPTY_FACTS))
    today = timezone.localdate()
    if reply_due <= today:
        raise ExecutionError(
            _(ERR_REPLY_DUE_NOT_FUTURE) % {"due": reply_due.isoformat(), "today": today.isoformat()}
        )
    notice = SupervisionNotice(
        year=today.year,
        organisation=organisation,
        item=item,
        task=task,
        facts=facts,
        reply_due=reply_due,
        issued_by=actor,
    )
    for _attempt in range(_NUMBER_ATTEMPTS):
        notice.serial = _next_serial(today.year)
        # The number's uniqueness is the database's to enforce (below), not full_clean's.
        notice.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():  # a savepoint: a lost race undoes only this insert
                notice.save()
        except IntegrityError:
            continue
        break
    else:
        raise ExecutionError(_(ERR_NUMBER_CONTENDED))
    audit_record(
        actor=actor,
        action="notice.issue",
        obj=notice,
        after={
            "number": notice.number,
            "organisation": organisation.name,
            "item": item.pk,
            "task": task.pk if task else None,
            "facts": facts,
            "reply_due": reply_due.isoformat(),
        },
    )
    return notice


def _reply_snapshot(notice: SupervisionNotice) -> dict[str, Any]:
    return {
        "reply_text": notice.reply_text,
        "replied_by": notice.replied_by.get_username() if notice.replied_by else None,
        "replied_at": notice.replied_at.isoformat() if notice.replied_at else None,
    }


@transaction.atomic
def notice_reply(*, notice: SupervisionNotice, reply_text: str, actor: Any) -> SupervisionNotice:
    """Record the addressed unit's reply. A notice is answered once: the reply is part of
    the supervision record, so a correction is a new exchange, not an overwrite."""
    if not acts_for(actor, notice.organisation):
        raise PermissionDenied
    reply_text = reply_text.strip()
    if not reply_text:
        raise ExecutionError(_(ERR_EMPTY_REPLY))
    before = _reply_snapshot(
        SupervisionNotice.objects.select_related("replied_by").get(pk=notice.pk)
    )
    # A claim by conditional UPDATE: of two officers replying at once exactly one wins.
    claimed = SupervisionNotice.objects.filter(pk=notice.pk, replied_at__isnull=True).update(
        reply_text=reply_text, replied_by=actor, replied_at=timezone.now()
    )
    current = SupervisionNotice.objects.select_related("replied_by").get(pk=notice.pk)
    if not claimed:
        raise ExecutionError(
            _(ERR_ALREADY_REPLIED) % {"date": timezone.localdate(current.replied_at).isoformat()}
        )
    audit_record(
        actor=actor,
        action="notice.reply",
        obj=current,
        before=before,
        after=_reply_snapshot(current),
    )
    return current


def notices_visible_to(user: Any) -> QuerySet[SupervisionNotice]:
    """The office sees every notice; others those addressed to an organisation they hold
    a role in, and a district officer also those to units inside the district."""
    notices = SupervisionNotice.objects.select_related("organisation", "item__plan", "task")
    if is_office(user):
        return notices
    # The same rule as reports: the organisations this user acts for.
    return notices.filter(organisation__in=organisations_acted_for(user))


def notice_may_reply(user: Any, notice: SupervisionNotice) -> bool:
    return notice.replied_at is None and acts_for(user, notice.organisation)


def notice_status(notice: SupervisionNotice, *, today: dt.date) -> NoticeStatus:
    """Where a notice stands; a reply on the due date itself is in time."""
    if notice.replied_at is None:
        return NoticeStatus.OVERDUE if today > notice.reply_due else NoticeStatus.PENDING
    if timezone.localdate(notice.replied_at) > notice.reply_due:
        return NoticeStatus.REPLIED_LATE
    return NoticeStatus.REPLIED


def notice_issuer() -> Organisation:
    return Organisation.objects.get(key=ISSUER_KEY)
