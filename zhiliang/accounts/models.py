"""Roles scoped to an organisation, and the audit log of governance changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    QUALITY_OFFICE = "quality_office", _("质量办协调员")
    DEPARTMENT_OFFICER = "department_officer", _("部门工作人员")
    DISTRICT_OFFICER = "district_officer", _("区县工作人员")
    INSPECTOR = "inspector", _("检查员")
    HOSPITAL_REPORTER = "hospital_reporter", _("医院报告员")
    ENTERPRISE_USER = "enterprise_user", _("企业用户")


class Membership(models.Model):
    """A user holds a role inside one organisation; all access derives from these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"


class AuditEntry(models.Model):
    """Who changed which governance record, when, from what to what, and why."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(_("操作人"), max_length=150)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    reason = models.TextField(_("原因"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"
