"""Organisations, administrative divisions and enterprises."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhiliang.lib.uscc import validate_uscc


class Division(models.Model):
    """An administrative division (GB/T 2260 code), e.g. 500103 渝中区."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        PREFECTURE = "prefecture", _("地级")
        COUNTY = "county", _("县级")

    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)
    type = models.CharField(_("类型"), max_length=16, blank=True)  # 区 / 县 / 自治县

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Organisation(models.Model):
    """A government body, district government, hospital or testing institution."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("政府及办公厅")
        JOINT_MEETING = "joint_meeting", _("联席会议")
        OFFICE = "office", _("联席会议办公室")
        DEPARTMENT = "department", _("市级部门")
        DISTRICT = "district", _("区县政府")
        DISTRICT_GROUP = "district_group", _("区县政府（全体）")
        ZONE = "zone", _("新区及开发区管委会")
        HOSPITAL = "hospital", _("哨点医院")
        TESTING = "testing", _("检验检测机构")
        ENTERPRISE = "enterprise", _("企业")

    key = models.SlugField(_("标识"), max_length=64, unique=True)
    name = models.CharField(_("全称"), max_length=128, unique=True)
    kind = models.CharField(_("类别"), max_length=32, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    division = models.ForeignKey(Division, null=True, blank=True, on_delete=models.PROTECT)
    joint_meeting_member = models.BooleanField(_("联席会议成员单位"), default=False)
    # History: the 2018 reform merged 质监局/工商局/食药监局 into 市场监管局 (DESIGN.md §4).
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="predecessors"
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def short_name(self) -> str:
        first = self.aliases.order_by("position").first()
        return first.alias if first else self.name


class OrganisationAlias(models.Model):
    """A short name documents use for an organisation, e.g. 市质监局."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(_("简称"), max_length=128, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["organisation", "position"]

    def __str__(self) -> str:
        return self.alias


def validate_uscc_field(value: str) -> None:
    result = validate_uscc(value)
    if not result.valid:
        raise ValidationError(result.reason, code="uscc")


class Enterprise(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("存续")
        SUSPENDED = "suspended", _("停业")
        REVOKED = "revoked", _("吊销")
        CANCELLED = "cancelled", _("注销")

    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc_field]
    )
    # On PostgreSQL a generated column ``name_upper`` (registry 0006, for the name search)
    # reads this one: a migration changing its type must drop that column first and add
    # it back after (PostgreSQL refuses otherwise; SQLite would not show it).
    name = models.CharField(_("企业名称"), max_length=200)
    # Empty for an enterprise registered outside the city (e.g. the nominal producer of a
    # product sampled in Chongqing's shops); ``region`` then holds its GB/T 2260 code.
    district = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("所在区县"),
    )
    region = models.CharField(_("登记地区代码（GB/T 2260）"), max_length=6, blank=True)
    #: How an enterprise not registered by hand came in, e.g. "抽查结果导入 #3 results.csv".
    registered_via = models.CharField(_("登记来源"), max_length=200, blank=True)
    industry = models.CharField(_("行业代码（GB/T 4754）"), max_length=5, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            # A district's enterprises without reading their rows: the internal risk
            # classes of one district (300,000 assessed) are counted and paged through it.
            models.Index(fields=["district", "id"], name="enterprise_district_id"),
        ]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class HolidayArrangement(models.Model):
    """A year's holiday arrangement (节假日安排) as the State Council's notice sets it,
    entered by the quality office for a year the ``chinesecalendar`` library does not
    carry yet, so that working-day deadlines into that year can be counted
    (:mod:`zhiliang.lib.workdays`). Dates are kept as ISO text, sorted."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    document = models.CharField(_("通知文号"), max_length=100)
    holidays = models.JSONField(_("放假日期"), default=list)
    workdays = models.JSONField(_("调休上班日期"), default=list)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")

    def __str__(self) -> str:
        return f"{self.year} {self.document}"
