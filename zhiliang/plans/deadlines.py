"""Who is behind on what: obligations with deadlines, and the reminders they raise.

An *obligation* is one organisation owing one measure (or one task) by a date. It
is *complete* once the quality office has accepted a report from that organisation
with status 已完成; otherwise it is *due soon* within ``DUE_SOON_WORKDAYS`` working
days of its deadline, and *overdue* after it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from zhiliang.accounts.models import Membership
from zhiliang.lib.periods import period_bounds, period_of
from zhiliang.lib.workdays import CalendarUnavailable, add_workdays
from zhiliang.plans.models import (
    MeasureSchedule,
    PlanItem,
    ProgressReport,
    Reminder,
    Responsibility,
    Task,
)
from zhiliang.registry.models import Organisation

DUE_SOON_WORKDAYS = 5
logger = logging.getLogger(__name__)


def due_soon_horizon(today: dt.date) -> dt.date:
    """The last deadline that counts as due soon: ``DUE_SOON_WORKDAYS`` working days on.

    Late in December the next year's holidays may not be published yet; then the
    horizon is 7 calendar days (5 working days never span fewer), so reminders keep
    coming instead of the cron job failing until the calendar library is upgraded.
    """
    try:
        return add_workdays(today, DUE_SOON_WORKDAYS)
    except CalendarUnavailable:
        return today + dt.timedelta(days=7)


@dataclass(frozen=True)
class Obligation:
    organisation: Organisation
    item: PlanItem
    task: Task | None
    deadline: dt.date
    complete: bool

    def state(self, today: dt.date) -> str:
        if self.complete:
            return "complete"
        if self.deadline < today:
            return "overdue"
        if self.deadline <= due_soon_horizon(today):
            return "due_soon"
        return "open"


def obligations(plan_id: int | None = None) -> list[Obligation]:
    """Every (organisation, measure or task, deadline) the schedules create.

    Measures count for the units named directly; tasks for their owners. Group
    names (all joint-meeting members) are left to the tasks the office splits out,
    or every member would be reminded of every such measure.
    """
    schedules = MeasureSchedule.objects.select_related("item")
    if plan_id is not None:
        schedules = schedules.filter(item__plan_id=plan_id)
    deadline_of = {s.item_id: s.deadline for s in schedules}
    accepted_done = ProgressReport.objects.filter(
        state=ProgressReport.State.ACCEPTED, status=ProgressReport.Status.DONE
    )
    out: list[Obligation] = []
    responsibilities = (
        Responsibility.objects.filter(item_id__in=deadline_of, organisation__isnull=False)
        .exclude(
            organisation__kind__in=[
                Organisation.Kind.JOINT_MEETING,
                Organisation.Kind.DISTRICT_GROUP,
            ]
        )
        .annotate(
            done=Exists(
                accepted_done.filter(
                    organisation=OuterRef("organisation"), item=OuterRef("item"), task__isnull=True
                )
            )
        )
        .select_related("organisation", "item")
    )
    for r in responsibilities:
        assert r.organisation is not None
        out.append(Obligation(r.organisation, r.item, None, deadline_of[r.item_id], r.done))
    tasks = (
        Task.objects.filter(item_id__in=deadline_of)
        .annotate(
            done=Exists(accepted_done.filter(task=OuterRef("pk"), organisation=OuterRef("owner")))
        )
        .select_related("owner", "item")
    )
    for t in tasks:
        out.append(Obligation(t.owner, t.item, t, t.deadline, t.done))
    return out


def _message(ob: Obligation, kind: str) -> str:
    what = ob.task.title if ob.task else f"{ob.item.label}{ob.item.title}"
    if kind == Reminder.Kind.OVERDUE:
        return f"“{what}”已于 {ob.deadline:%Y-%m-%d} 到期，尚未完成。"
    return f"“{what}”将于 {ob.deadline:%Y-%m-%d} 到期。"


def _report_due_reminders(today: dt.date) -> list[Reminder]:
    """A unit that owes a measure or task and has not submitted its report for the
    period that just ended (by the measure's reporting cycle) is reminded to."""
    cycles = dict(MeasureSchedule.objects.values_list("item_id", "reporting_cycle"))
    obs = [ob for ob in obligations() if not ob.complete]
    periods = {}
    for ob in obs:
        first_of_current = period_bounds(period_of(today, cycles[ob.item.pk]))[0]
        last = first_of_current - dt.timedelta(days=1)
        if last <= ob.deadline:
            periods[ob] = period_of(last, cycles[ob.item.pk])
    handed_in = set(
        ProgressReport.objects.filter(
            period__in=set(periods.values()),
            state__in=[ProgressReport.State.SUBMITTED, ProgressReport.State.ACCEPTED],
        ).values_list("organisation_id", "item_id", "task_id", "period")
    )
    out = []
    for ob, period in periods.items():
        task_id = ob.task.pk if ob.task else None
        if (ob.organisation.pk, ob.item.pk, task_id, period) in handed_in:
            continue
        what = ob.task.title if ob.task else f"{ob.item.label}{ob.item.title}"
        out.append(
            Reminder(
                key=f"report_due:{ob.organisation.pk}:{ob.item.pk}:{task_id or 0}:{period}",
                kind=Reminder.Kind.REPORT_DUE,
                organisation=ob.organisation,
                item=ob.item,
                task=ob.task,
                due_on=today,
                message=f"请报送“{what}”{period}的工作进展。",
            )
        )
    return out


def reminders_generate(*, today: dt.date) -> int:
    """Create the reminders due today; running it again (even concurrently) adds none.

    The unique ``key`` makes the insert idempotent: cron may call this every minute.
    """
    wanted = _report_due_reminders(today)
    for ob in obligations():
        state = ob.state(today)
        if state not in ("overdue", "due_soon"):
            continue
        key = f"{state}:{ob.organisation.pk}:{ob.item.pk}:{ob.task.pk if ob.task else 0}:{ob.deadline:%Y%m%d}"
        wanted.append(
            Reminder(
                key=key,
                kind=state,
                organisation=ob.organisation,
                item=ob.item,
                task=ob.task,
                due_on=ob.deadline,
                message=_message(ob, state),
            )
        )
    before = Reminder.objects.count()
    Reminder.objects.bulk_create(wanted, ignore_conflicts=True)
    return Reminder.objects.count() - before


def reminders_email(*, limit: int = 200) -> int:
    """E-mail reminders not yet e-mailed, when ``ZHILIANG_REMINDER_EMAIL`` is on.

    Each reminder is claimed with a conditional UPDATE (``emailed_at IS NULL``), so
    two overlapping runs never send the same one twice.
    """
    if not settings.ZHILIANG_REMINDER_EMAIL:
        return 0
    sent = 0
    for reminder in Reminder.objects.filter(emailed_at=None).select_related("organisation")[:limit]:
        with transaction.atomic():
            claimed = Reminder.objects.filter(pk=reminder.pk, emailed_at=None).update(
                emailed_at=timezone.now()
            )
            if not claimed:
                continue
            emails = sorted(
                set(
                    Membership.objects.filter(organisation=reminder.organisation)
                    .exclude(user__email="")
                    .values_list("user__email", flat=True)
                )
            )
            if emails:
                subject = f"[质量治理平台] {reminder.get_kind_display()}"
                try:
                    send_mail(subject, reminder.message, None, emails)
                except OSError:
                    # Mail server down: release the claim so a later run retries it.
                    logger.warning("reminder %s not e-mailed", reminder.pk, exc_info=True)
                    Reminder.objects.filter(pk=reminder.pk).update(emailed_at=None)
                    continue
                sent += 1
    return sent


def reminders_for(user: Any) -> Any:
    """Unread reminders of the organisations the user holds a role in."""
    orgs = Membership.objects.filter(user=user).values_list("organisation_id", flat=True)
    return Reminder.objects.filter(organisation_id__in=orgs, read_at=None).select_related(
        "item", "task"
    )


def reminder_mark_read(*, reminder: Reminder) -> None:
    # A reminder is a notification, not governance data: no audit entry.
    Reminder.objects.filter(pk=reminder.pk, read_at=None).update(read_at=timezone.now())
