"""Carrying the plan out (DESIGN.md S1): schedules, tasks, district 实施方案,
progress reports, reminders and supervision notices (督办通知)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhiliang.lib.numbers import plain_decimal
from zhiliang.plans.models.documents import Plan, PlanItem, Target


class ReportingCycle(models.TextChoices):
    MONTHLY = "monthly", _("按月")
    QUARTERLY = "quarterly", _("按季度")


class MeasureSchedule(models.Model):
    """The quality office's deadline and reporting cycle for one measure."""

    item = models.OneToOneField(PlanItem, on_delete=models.CASCADE, related_name="schedule")
    deadline = models.DateField(_("完成时限"))
    reporting_cycle = models.CharField(
        _("报送周期"), max_length=16, choices=ReportingCycle.choices, default=ReportingCycle.MONTHLY
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("措施时限")
        verbose_name_plural = _("措施时限")

    def __str__(self) -> str:
        return f"{self.item.label} {self.deadline:%Y-%m-%d}"


class Milestone(models.Model):
    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="milestones")
    due_on = models.DateField(_("节点日期"))
    title = models.CharField(_("节点要求"), max_length=255)

    class Meta:
        ordering = ["item", "due_on"]
        verbose_name = _("进度节点")
        verbose_name_plural = _("进度节点")

    def __str__(self) -> str:
        return f"{self.due_on:%Y-%m-%d} {self.title}"


class DistrictPlan(models.Model):
    """A district's 实施方案 under a municipal plan."""

    district = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="district_plans"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="district_plans")
    title = models.CharField(_("实施方案名称"), max_length=255)
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    source_text = models.TextField(_("原文"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "plan"], name="districtplan_one_per_plan")
        ]
        verbose_name = _("区县实施方案")
        verbose_name_plural = _("区县实施方案")

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A piece of a measure with one owner and a deadline: split by the quality
    office, or set in a district's 实施方案 (then ``district_plan`` is set)."""

    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="tasks")
    district_plan = models.ForeignKey(
        DistrictPlan, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(_("任务"), max_length=500)
    owner = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("责任单位"),
    )
    deadline = models.DateField(_("完成时限"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item__position", "deadline", "id"]
        verbose_name = _("任务")
        verbose_name_plural = _("任务")

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    """A unit's report on a measure (or one of its tasks) for one period.

    ``version`` is bumped on every save through the services, which refuse a write
    based on an older version: two officers editing the same report cannot
    overwrite each other silently.
    """

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("进行中")
        DONE = "done", _("已完成")
        LATE = "late", _("滞后")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        RETURNED = "returned", _("已退回")
        ACCEPTED = "accepted", _("已采纳")

    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="progress_reports"
    )
    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="progress_reports")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.PROTECT, related_name="progress_reports"
    )
    period = models.CharField(_("报告期"), max_length=7)  # 2015-07 or 2015-Q3
    status = models.CharField(_("进展状态"), max_length=16, choices=Status.choices)
    narrative = models.TextField(_("工作进展"))
    state = models.CharField(
        _("审核状态"), max_length=16, choices=State.choices, default=State.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item__position", "period", "organisation"]
        constraints = [
            # Two partial constraints because NULLs are distinct in a plain UNIQUE.
            models.UniqueConstraint(
                fields=["organisation", "item", "period"],
                condition=Q(task__isnull=True),
                name="report_one_per_measure_period",
            ),
            models.UniqueConstraint(
                fields=["organisation", "task", "period"],
                condition=Q(task__isnull=False),
                name="report_one_per_task_period",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "state"]),
            models.Index(fields=["item", "period"]),
        ]
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")

    def __str__(self) -> str:
        return f"{self.organisation} {self.item.label} {self.period}"

    @property
    def locked(self) -> bool:
        return self.state == self.State.ACCEPTED


class ReportFigure(models.Model):
    """A figure reported against one of the measure's quantified targets."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="figures")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="figures")
    value = models.DecimalField(_("完成值"), max_digits=20, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "target"], name="figure_one_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.target.text}: {plain_decimal(self.value)}"


def attachment_path(instance: ReportAttachment, filename: str) -> str:
    return f"reports/{instance.report_id}/{instance.sha256[:16]}-{filename}"


class ReportAttachment(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class Reminder(models.Model):
    """An in-app reminder; ``key`` makes the periodic command idempotent."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("即将到期")
        OVERDUE = "overdue", _("已逾期")
        REPORT_DUE = "report_due", _("待报送进展")

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.CASCADE, related_name="reminders"
    )
    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="reminders")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    due_on = models.DateField()
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message


class SupervisionNotice(models.Model):
    """督办通知: a numbered notice to a unit that is behind, with a reply deadline."""

    year = models.PositiveSmallIntegerField()
    serial = models.PositiveIntegerField()
    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="supervision_notices"
    )
    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="supervision_notices")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.PROTECT)
    facts = models.TextField(_("督办事项"))
    reply_due = models.DateField(_("反馈时限"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    reply_text = models.TextField(_("反馈内容"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-serial"]
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="notice_unique_number")
        ]
        verbose_name = _("督办通知")
        verbose_name_plural = _("督办通知")

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"渝质督〔{self.year}〕{self.serial}号"


class ResponsibilityPublication(models.Model):
    """A line of a department's public 责任清单 (S2): which responsibility the office
    publishes and the status it chooses to show. Nothing without a row here is public."""

    responsibility = models.OneToOneField(
        "plans.Responsibility", on_delete=models.CASCADE, related_name="publication"
    )
    # The same four states a progress report uses (未开始/进行中/已完成/滞后).
    status = models.CharField(_("公开状态"), max_length=16, choices=ProgressReport.Status.choices)
    note = models.CharField(_("公开说明"), max_length=500, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("责任清单公开")
        verbose_name_plural = _("责任清单公开")

    def __str__(self) -> str:
        return f"{self.responsibility} · {self.get_status_display()}"
