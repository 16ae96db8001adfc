"""From a statistical signal to a consumer warning (issue 6, DESIGN.md S10 and §2's loop).

A detection run (:class:`DetectionRun`) looks at the weekly counts of every series
(product category × district) and stores each alarm as a :class:`Signal` with
everything needed to reproduce it: the method, its parameters, and the series' counts
up to the week. Signals wait in an inbox; an officer triages each one: dismissed with a
reason, or taken into a :class:`RiskCase` (several signals may join one case). A case is
assessed by the Safety Gate (RAPEX) method (:class:`SafetyAssessment`, the scenarios as
given, the risk computed by :mod:`zhiliang.lib.rapex`), and acted on: a consumer warning
(:class:`ConsumerWarning`, 购物消费警示: draft → review → published on the portal), a
targeted sampling plan and a referral for recall (:class:`CaseAction`). Every step is
audited.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhiliang.registry.models import Organisation


class DetectionRun(models.Model):
    """One run of one detector over all series up to a week (``zhiliang signals run``)."""

    method = models.CharField(_("方法"), max_length=32)
    params = models.JSONField(_("参数"), default=dict)
    #: the last week looked at (a week is named by its Monday)
    through = models.DateField(_("截至周"))
    #: how the series were made (source, grouping), so a run can be read again
    source = models.CharField(_("数据来源"), max_length=200)
    series = models.PositiveIntegerField(_("序列数"), default=0)
    weeks = models.PositiveIntegerField(_("周数"), default=0)
    alarms = models.PositiveIntegerField(_("新信号数"), default=0)
    #: SHA-256 of the counts looked at
    digest = models.CharField(_("数据摘要"), max_length=64)
    started_at = models.DateTimeField(_("开始时间"))
    seconds = models.FloatField(_("用时（秒）"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("检测运行")
        verbose_name_plural = _("检测运行")

    def __str__(self) -> str:
        return f"{self.method} {self.through}"


class RiskCase(models.Model):
    """A product risk under investigation (风险案件): one or more signals, an assessment,
    actions."""

    class Status(models.TextChoices):
        OPEN = "open", _("处理中")
        CLOSED = "closed", _("已结案")

    title = models.CharField(_("案件名称"), max_length=200)
    category = models.CharField(_("产品类别"), max_length=64, blank=True)
    hazard = models.TextField(_("危害"), blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位")
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("立案时间"), auto_now_add=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("风险案件")
        verbose_name_plural = _("风险案件")

    def __str__(self) -> str:
        return self.title


class Signal(models.Model):
    """An alarm of a detector in one week of one series, kept reproducible."""

    class Status(models.TextChoices):
        NEW = "new", _("待研判")
        DISMISSED = "dismissed", _("已排除")
        CASE = "case", _("已立案")

    run = models.ForeignKey(DetectionRun, on_delete=models.PROTECT, related_name="signals")
    #: the run's method, here too for the once-per-week constraint (its parameters are
    #: the run's)
    method = models.CharField(_("方法"), max_length=32)
    #: the series' key, e.g. ``category=0101|district=500103``
    series_key = models.CharField(_("序列"), max_length=200)
    category = models.CharField(_("产品类别"), max_length=64, blank=True)
    district = models.CharField(_("区县"), max_length=12, blank=True)
    week = models.DateField(_("周"))
    observed = models.FloatField(_("观察数"))
    expected = models.FloatField(_("期望数"), null=True, blank=True)
    upperbound = models.FloatField(_("阈值"), null=True, blank=True)
    statistic = models.FloatField(_("统计量"), null=True, blank=True)
    p_value = models.FloatField(_("P值"), null=True, blank=True)
    #: the weekly counts of the series, oldest first, ending with this week's
    counts = models.JSONField(_("序列计数"))
    first_week = models.DateField(_("序列起始周"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.NEW)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    triaged_at = models.DateTimeField(_("研判时间"), null=True, blank=True)
    dismiss_reason = models.TextField(_("排除理由"), blank=True)
    case = models.ForeignKey(
        RiskCase, on_delete=models.PROTECT, null=True, blank=True, related_name="signals"
    )

    class Meta:
        ordering = ["-week", "series_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["method", "series_key", "week"], name="signal_once_per_method_week"
            )
        ]
        indexes = [models.Index(fields=["status", "week"], name="signal_inbox")]
        verbose_name = _("预警信号")
        verbose_name_plural = _("预警信号")

    def __str__(self) -> str:
        return f"{self.series_key} {self.week} ({self.method})"


class SafetyAssessment(models.Model):
    """A Safety Gate (RAPEX) risk assessment of a case: the injury scenarios as entered
    (steps with probabilities as written, severity) and the risk they give."""

    class Level(models.TextChoices):
        LOW = "L", _("低风险")
        MEDIUM = "M", _("中风险")
        HIGH = "H", _("高风险")
        SERIOUS = "S", _("严重风险")

    case = models.ForeignKey(RiskCase, on_delete=models.PROTECT, related_name="assessments")
    product = models.TextField(_("产品描述"))
    scenarios = models.JSONField(_("伤害情景"))
    risk = models.CharField(_("风险等级"), max_length=1, choices=Level.choices)
    matrix = models.CharField(_("风险矩阵"), max_length=100)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(_("评估时间"), auto_now_add=True)

    class Meta:
        ordering = ["-assessed_at"]
        verbose_name = _("风险评估")
        verbose_name_plural = _("风险评估")

    def __str__(self) -> str:
        return f"{self.case} {self.risk}"


class ConsumerWarning(models.Model):
    """购物消费警示: drafted, reviewed by another officer, published on the portal."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        REVIEW = "review", _("待审核")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    case = models.ForeignKey(RiskCase, on_delete=models.PROTECT, related_name="warnings")
    title = models.CharField(_("标题"), max_length=200)
    product = models.TextField(_("产品"))
    hazard = models.TextField(_("危害"))
    advice = models.TextField(_("消费提示"))
    photo = models.FileField(
        _("图片"),
        upload_to="warnings/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png"])],
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "-created_at"]
        verbose_name = _("消费警示")
        verbose_name_plural = _("消费警示")

    def __str__(self) -> str:
        return self.title


class CaseAction(models.Model):
    """What a case led to beyond a warning: a targeted sampling plan (its code in the
    inspection system) or a referral for recall."""

    class Kind(models.TextChoices):
        SAMPLING = "sampling", _("专项抽查计划")
        RECALL = "recall", _("移送召回")

    case = models.ForeignKey(RiskCase, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("措施"), max_length=10, choices=Kind.choices)
    #: the sampling plan's code, or the recall authority referred to
    reference = models.CharField(_("编号或接收单位"), max_length=200)
    note = models.TextField(_("说明"), blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["taken_at"]
        verbose_name = _("处置措施")
        verbose_name_plural = _("处置措施")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"
