"""Product injury surveillance (DESIGN.md S8–S10, plan measure (七)): the case store.

One :class:`InjuryCase` per injured person's visit (or complaint, monitoring finding,
accident report): the fields of the 全国伤害监测报告卡 (``codes.py``), up to three products
mapped onto Zhiliang's product categories, a narrative, and the statistical weight with
the sample design (stratum, PSU) that the weighted estimates need. What identifies a
person — name, ID number, address, telephone — is never stored: the reporting unit keeps
its own case number, and that is the only link back to the patient.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhiliang.inspections.models import ProductCategory
from zhiliang.registry.models import Organisation
from zhiliang.surveillance import codes

StrOrPromise = str | Promise

#: How many products a case may name (NEISS: Product_1..3).
PRODUCT_SLOTS = 3


def _coded(
    label: StrOrPromise, choices: type[models.IntegerChoices]
) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, choices=choices.choices, null=True, blank=True)


def _category(label: StrOrPromise) -> models.ForeignKey:
    # No database constraint and no index: the import writes hundreds of thousands of
    # cases, and the catalogue is a small table that Django's PROTECT already guards.
    return models.ForeignKey(
        ProductCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=label,
    )


def _product_code(label: StrOrPromise) -> models.CharField:
    return models.CharField(label, max_length=16, blank=True)


class InjuryCase(models.Model):
    source = models.CharField(
        _("来源"), max_length=12, choices=codes.Source.choices, default=codes.Source.HOSPITAL
    )
    #: The sentinel hospital (or the department that received a complaint or accident
    #: report). Empty for a public dataset such as NEISS, whose hospitals are its PSUs.
    reporter = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="injury_cases",
        verbose_name=_("报告单位"),
    )
    #: The reporter's own number for the case (NEISS: CPSC_Case_Number); the key of an
    #: idempotent import.
    case_number = models.CharField(_("病例编号"), max_length=32)

    sex = _coded(_("性别"), codes.Sex)
    #: Whole years of age; for a child under two also ``age_months``.
    age_years = models.PositiveSmallIntegerField(_("年龄（岁）"), null=True, blank=True)
    age_months = models.PositiveSmallIntegerField(_("月龄（两岁以下）"), null=True, blank=True)
    residence = _coded(_("户籍"), codes.Residence)
    education = _coded(_("文化程度"), codes.Education)
    occupation = _coded(_("职业"), codes.Occupation)

    injury_date = models.DateField(_("伤害发生日期"), null=True, blank=True)
    injury_hour = models.PositiveSmallIntegerField(_("伤害发生时（0–23）"), null=True, blank=True)
    visit_date = models.DateField(_("就诊日期"))
    visit_hour = models.PositiveSmallIntegerField(_("就诊时（0–23）"), null=True, blank=True)

    cause = _coded(_("伤害发生原因"), codes.Cause)
    place = _coded(_("伤害发生地点"), codes.Place)
    intent = _coded(_("伤害意图"), codes.Intent)
    activity = _coded(_("伤害发生时活动"), codes.Activity)
    nature = _coded(_("伤害性质"), codes.Nature)
    body_part = _coded(_("伤害部位"), codes.BodyPart)
    severity = _coded(_("伤害严重程度"), codes.Severity)
    outcome = _coded(_("伤害结局"), codes.Outcome)

    #: The source's own product code (NEISS product code; a hospital may leave it
    #: empty) and the Zhiliang category it maps to. A code without a category is a
    #: product the mapping does not place: counted as "其他" (other).
    product_1_code = _product_code(_("产品1代码"))
    product_1_category = _category(_("产品1类别"))
    product_2_code = _product_code(_("产品2代码"))
    product_2_category = _category(_("产品2类别"))
    product_3_code = _product_code(_("产品3代码"))
    product_3_category = _category(_("产品3类别"))

    narrative = models.TextField(_("伤害经过"), blank=True)

    #: The statistical weight (1 for a hospital that is not part of a weighted sample).
    weight = models.FloatField(_("统计权重"), default=1.0)
    stratum = models.CharField(_("抽样层"), max_length=16, blank=True)
    #: The primary sampling unit: the hospital (NEISS: PSU).
    psu = models.CharField(_("初级抽样单位"), max_length=32, blank=True)
    #: The source's own codes where the card's fields lose detail (NEISS diagnosis,
    #: body part, disposition, location, race …), kept so nothing is mapped away.
    source_codes = models.JSONField(_("原始代码"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visit_date", "-id"]
        constraints = [
            # One case per reporter, source and case number: imports are idempotent.
            models.UniqueConstraint(
                fields=["reporter", "source", "case_number"],
                condition=models.Q(reporter__isnull=False),
                name="injury_case_once_per_reporter",
            ),
            # A public dataset has no reporter: its case numbers are unique in it.
            models.UniqueConstraint(
                fields=["source", "case_number"],
                condition=models.Q(reporter__isnull=True),
                name="injury_case_once_per_dataset",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0), name="injury_case_weight_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["visit_date"], name="injury_case_visit_date")]
        verbose_name = _("伤害病例")
        verbose_name_plural = _("伤害病例")

    def __str__(self) -> str:
        return f"{self.case_number} {self.visit_date}"

    def products(self) -> list[tuple[str, ProductCategory | None]]:
        """The named products as (code, category), in slot order."""
        out = []
        for n in range(1, PRODUCT_SLOTS + 1):
            code = getattr(self, f"product_{n}_code")
            category = getattr(self, f"product_{n}_category")
            if code or category is not None:
                out.append((code, category))
        return out
