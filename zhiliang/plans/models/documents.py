"""A quality work plan as structured, owned items (DESIGN.md S1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Plan(models.Model):
    title = models.CharField(_("方案名称"), max_length=255)
    notice_title = models.CharField(_("通知标题"), max_length=255, blank=True)
    doc_number = models.CharField(_("文号"), max_length=64, blank=True)
    issuer = models.CharField(_("发文机关"), max_length=128, blank=True)
    issued_on = models.DateField(_("成文日期"), null=True, blank=True)
    closing = models.TextField(_("结束语"), blank=True)
    warnings = models.JSONField(_("解析提示"), default=list, blank=True)
    source_name = models.CharField(_("来源文件"), max_length=255)
    source_text = models.TextField(_("原文"))
    #: SHA-256 of the normalised text: importing the same document twice is a no-op.
    source_sha256 = models.CharField(max_length=64, unique=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("工作方案")
        verbose_name_plural = _("工作方案")

    def __str__(self) -> str:
        return f"{self.title}（{self.doc_number}）" if self.doc_number else self.title


class PlanItem(models.Model):
    """A numbered node: a section (一、) or a measure （一） or a sub-item (1.)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(_("层级"))
    position = models.PositiveIntegerField(_("顺序"))
    label = models.CharField(_("编号"), max_length=16)
    number = models.PositiveIntegerField(_("序号"))
    title = models.CharField(_("标题"), max_length=500)
    text = models.TextField(_("全文"))
    is_leaf = models.BooleanField(_("具体措施"), default=True)
    open_ended = models.BooleanField(_("责任单位列表未穷尽"), default=False)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="planitem_unique_position")
        ]
        verbose_name = _("方案条目")
        verbose_name_plural = _("方案条目")

    def __str__(self) -> str:
        return f"{self.label}{self.title}"


class Target(models.Model):
    class Comparator(models.TextChoices):
        AT_LEAST = ">=", _("不低于")
        AT_MOST = "<=", _("不高于")
        EQUAL = "=", _("等于")

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("目标原文"), max_length=500)
    value = models.DecimalField(_("目标值"), max_digits=20, decimal_places=4)
    unit = models.CharField(_("计量单位"), max_length=16)
    comparator = models.CharField(_("比较"), max_length=2, choices=Comparator.choices)

    class Meta:
        ordering = ["item__position", "position"]
        verbose_name = _("量化目标")
        verbose_name_plural = _("量化目标")

    def __str__(self) -> str:
        return self.text


class Responsibility(models.Model):
    """A unit named as responsible for an item, linked to the registry when resolvable.

    A name that no organisation or alias matches keeps ``organisation`` empty and
    its text as written, for the quality office to map; it is never dropped.
    """

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="responsibilities")
    position = models.PositiveSmallIntegerField()
    name_as_written = models.CharField(_("原文单位名称"), max_length=128)
    organisation = models.ForeignKey(
        "registry.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibilities",
    )
    is_lead = models.BooleanField(_("牵头单位"), default=False)

    class Meta:
        ordering = ["item__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "position"], name="responsibility_unique_position"
            )
        ]
        verbose_name = _("责任分工")
        verbose_name_plural = _("责任分工")

    def __str__(self) -> str:
        return f"{self.item.label} {self.name_as_written}"
