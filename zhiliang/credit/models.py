"""Quality credit (DESIGN.md S15, plan measure (十)): the records departments submit about
enterprises, and each enterprise's internal risk class with the points behind it.

The rules (publicity terms, repair, the risk model) are pure functions in
``zhiliang/lib/creditrules.py``; the services apply them when records change.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhiliang.lib.creditrules import Kind, RiskClass, Sector
from zhiliang.registry.models import Enterprise, Organisation


class CreditRecord(models.Model):
    class RecordKind(models.TextChoices):
        PENALTY = Kind.PENALTY, _("行政处罚")
        INSPECTION_FAILURE = Kind.INSPECTION_FAILURE, _("监督抽查不合格")
        BAD_LOAN = Kind.BAD_LOAN, _("不良信贷")
        TAX_ARREARS = Kind.TAX_ARREARS, _("欠税欠费")
        LABOUR_AWARD = Kind.LABOUR_AWARD, _("劳动仲裁裁决")
        JUDGMENT = Kind.JUDGMENT, _("司法判决")
        DISHONEST_DEBTOR = Kind.DISHONEST_DEBTOR, _("失信被执行人")
        RECALL = Kind.RECALL, _("缺陷产品召回")
        ACCIDENT = Kind.ACCIDENT, _("质量安全事故")
        ABNORMAL_OPERATION = Kind.ABNORMAL_OPERATION, _("经营异常名录")
        AWARD = Kind.AWARD, _("表彰奖励")
        BRAND = Kind.BRAND, _("品牌认定")

    class RecordSector(models.TextChoices):
        GENERAL = Sector.GENERAL, _("一般")
        FOOD = Sector.FOOD, _("食品")
        DRUG = Sector.DRUG, _("药品")
        SPECIAL_EQUIPMENT = Sector.SPECIAL_EQUIPMENT, _("特种设备")

    #: indexed by ``credit_enterprise_date`` (enterprise first), not by an index of its own
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        related_name="credit_records",
        verbose_name=_("企业"),
        db_index=False,
    )
    kind = models.CharField(_("记录类型"), max_length=24, choices=RecordKind.choices)
    #: 较重行政处罚 (Order 44 Art. 2): aggravated fine, revocation, restricted production …
    heavier = models.BooleanField(_("较重处罚"), default=False)
    document_no = models.CharField(_("决定文书号"), max_length=100)
    decided_on = models.DateField(_("决定日期"))
    #: the deciding unit as the record names it; ``source`` when it is one of ours
    source_name = models.CharField(_("来源单位"), max_length=200)
    #: References to the small lookup tables and to the sample carry no database constraint
    #: (Django keeps them: PROTECT, SET_NULL), so that an import's thousands of failure
    #: records do not each fire three key checks at commit; the enterprise keeps its own.
    source = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    summary = models.TextField(_("摘要"), blank=True)
    sector = models.CharField(
        _("领域"), max_length=24, choices=RecordSector.choices, default=RecordSector.GENERAL
    )
    #: a 通报批评 or a low fine: public for three months instead of three years
    light = models.BooleanField(_("通报批评或较低数额罚款"), default=False)
    published_on = models.DateField(_("公示日期"), null=True, blank=True)
    #: the last day of the public term (penalties, Order 45); empty: not public
    public_until = models.DateField(_("公示截止日期"), null=True, blank=True)
    repaired_on = models.DateField(_("信用修复日期"), null=True, blank=True)
    #: the failed sample an inspection-failure record comes from (kept in step with it)
    sample = models.OneToOneField(
        "inspections.Sample",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_record",
        db_constraint=False,
    )
    #: not indexed: records are never looked up by who typed them (an import writes
    #: one per failed sample, and every index costs there)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "id"]
        constraints = [
            # Imports are idempotent by source and document number.
            models.UniqueConstraint(
                fields=["source_name", "document_no"], name="credit_record_once"
            )
        ]
        indexes = [models.Index(fields=["enterprise", "decided_on"], name="credit_enterprise_date")]
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")

    def __str__(self) -> str:
        return f"{self.document_no} {self.get_kind_display()}"


class RiskAssessment(models.Model):
    """An enterprise's internal credit risk class (国市监信发〔2022〕6号): never published,
    never a penalty; it sets how often the enterprise is drawn for inspection."""

    class Class(models.TextChoices):
        A = RiskClass.A, _("A 信用风险低")
        B = RiskClass.B, _("B 信用风险一般")
        C = RiskClass.C, _("C 信用风险较高")
        D = RiskClass.D, _("D 信用风险高")

    enterprise = models.OneToOneField(Enterprise, on_delete=models.CASCADE, related_name="risk")
    risk_class = models.CharField(_("风险分类"), max_length=1, choices=Class.choices)
    score = models.FloatField(_("风险分值"))
    assessed_on = models.DateField(_("评定日期"))
    #: the model's parameters digest, so a class can be traced to the rules that gave it
    model = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("信用风险分类")
        verbose_name_plural = _("信用风险分类")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.risk_class} {self.score}"


class ListingQuerySet(models.QuerySet["Listing"]):
    def in_force(self, day: dt.date) -> ListingQuerySet:
        """Listings in force on ``day``: within their term and not removed by then (so a
        past day is answered as it stood)."""
        return self.filter(
            status__in=[Listing.Status.LISTED, Listing.Status.REMOVED],
            listed_on__lte=day,
            last_day__gte=day,
        ).exclude(removed_on__lte=day)


class Listing(models.Model):
    """A case of the 严重违法失信名单 (SAMR Order 44): proposed from a heavier penalty,
    notified to the party with reasons, basis and rights, objection verified and
    answered, approved by the bureau one level up, published with its term, and removed
    early on application (after a year, conditions met) or at the end of its term."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("拟列入")
        NOTIFIED = "notified", _("已告知")
        OBJECTED = "objected", _("异议待核实")
        DROPPED = "dropped", _("不予列入")
        LISTED = "listed", _("已列入")
        REMOVED = "removed", _("已移出")

    class Removal(models.TextChoices):
        EARLY = "early", _("提前移出")
        EXPIRED = "expired", _("期满移出")

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="listings", verbose_name=_("企业")
    )
    #: the heavier penalty the listing rests on
    record = models.ForeignKey(
        CreditRecord, on_delete=models.PROTECT, related_name="listings", verbose_name=_("依据记录")
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    reasons = models.TextField(_("列入事由"))
    basis = models.TextField(_("列入依据"))
    proposed_on = models.DateField(_("立案日期"))
    proposed_by = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("立案单位")
    )
    notified_on = models.DateField(_("告知日期"), null=True, blank=True)
    objection_due = models.DateField(_("异议截止日期"), null=True, blank=True)
    objection_filed_on = models.DateField(_("异议提出日期"), null=True, blank=True)
    objection = models.TextField(_("异议内容"), blank=True)
    objection_decided_on = models.DateField(_("异议核实日期"), null=True, blank=True)
    objection_upheld = models.BooleanField(_("异议成立"), null=True, blank=True)
    objection_reply = models.TextField(_("异议答复"), blank=True)
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    approved_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("批准单位"),
    )
    listed_on = models.DateField(_("列入日期"), null=True, blank=True)
    last_day = models.DateField(_("届满日期"), null=True, blank=True)
    removed_on = models.DateField(_("移出日期"), null=True, blank=True)
    removal = models.CharField(_("移出方式"), max_length=8, choices=Removal.choices, blank=True)
    removal_evidence = models.TextField(_("提前移出申请材料"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_on", "id"]
        constraints = [
            # One open case per penalty record.
            models.UniqueConstraint(
                fields=["record"],
                condition=~models.Q(status__in=["dropped", "removed"]),
                name="listing_open_once_per_record",
            )
        ]
        verbose_name = _("严重违法失信名单")
        verbose_name_plural = _("严重违法失信名单")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.get_status_display()}"


class RepairCase(models.Model):
    """An application for 信用修复 of a published penalty record (信用修复管理办法; Order
    45): applied → accepted (or not accepted) → repaired (publication stops early) or
    refused. The record itself stays; a repaired record is no longer public."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("已申请")
        ACCEPTED = "accepted", _("已受理")
        NOT_ACCEPTED = "not_accepted", _("不予受理")
        REPAIRED = "repaired", _("准予修复")
        REFUSED = "refused", _("不予修复")

    record = models.ForeignKey(
        CreditRecord, on_delete=models.PROTECT, related_name="repairs", verbose_name=_("修复记录")
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.APPLIED
    )
    applicant = models.CharField(_("申请人"), max_length=200)
    applied_on = models.DateField(_("申请日期"))
    application = models.TextField(_("信用修复申请书"))
    #: 守信承诺书: without it the application is not complete
    commitment = models.BooleanField(_("已提交守信承诺书"), default=False)
    evidence = models.TextField(_("履行义务和整改的证明材料"), blank=True)
    accept_due = models.DateField(_("受理期限"))
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    decide_due = models.DateField(_("决定期限"), null=True, blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    obligations_fulfilled = models.BooleanField(_("已履行行政处罚决定规定的义务"), null=True)
    harm_removed = models.BooleanField(_("已消除危害后果和不良影响"), null=True)
    reasons = models.TextField(_("决定理由"), blank=True)
    decided_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("决定单位"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-applied_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record"],
                condition=models.Q(status__in=["applied", "accepted"]),
                name="repair_open_once_per_record",
            )
        ]
        verbose_name = _("信用修复申请")
        verbose_name_plural = _("信用修复申请")

    def __str__(self) -> str:
        return f"{self.record_id} {self.get_status_display()}"
