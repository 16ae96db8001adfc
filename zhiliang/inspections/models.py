"""Supervision sampling inspection (监督抽查, DESIGN.md S13; 产品质量法 Art. 15–17).

A sampling plan sets quotas of batches per product category and district; a 双随机 draw
picks the enterprises and inspectors; each sample then runs through test report,
notification, objection and re-test, and disposal (the Art. 17 ladder). Pass rates are
counted by batch from :class:`PassTally`, kept in step with every write that changes a
sample's final conclusion.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from zhiliang.registry.models import Division, Enterprise, Organisation


class ProductCategory(models.Model):
    """A product category of a national catalogue (``inspections/data/categories.csv``)."""

    class Kind(models.TextChoices):
        # Counts toward 全市制造业产品质量合格率 (plan measure 十四).
        MANUFACTURED = "manufactured", _("制造业产品")
        FOOD = "food", _("食品")
        # Counts toward 主要农产品安全监测合格率 (plan measure 十四).
        FARM = "farm", _("主要农产品")
        OTHER = "other", _("其他")

    code = models.CharField(_("类别代码"), max_length=32, unique=True)
    name = models.CharField(_("类别名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    catalogue = models.CharField(_("所属目录"), max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    #: GB/T 4754 industry code prefixes of enterprises that make this product, separated by
    #: spaces: the draw's candidates. Set by the office; not part of the national catalogue.
    industries = models.CharField(_("对应行业代码（GB/T 4754）"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("产品类别")
        verbose_name_plural = _("产品类别")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Laboratory(models.Model):
    name = models.CharField(_("检验机构"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("检验机构")
        verbose_name_plural = _("检验机构")

    def __str__(self) -> str:
        return self.name


class SamplingPlan(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", _("国家监督抽查")
        # Chongqing is a municipality of provincial rank: its city level is the provincial level.
        PROVINCIAL = "provincial", _("市级（省级）监督抽查")
        DISTRICT = "district", _("区县监督抽查")

    #: A higher level's plan bars a lower level from re-sampling the same product (Art. 15).
    LEVEL_RANK = {Level.NATIONAL: 3, Level.PROVINCIAL: 2, Level.DISTRICT: 1}

    code = models.SlugField(_("计划编号"), max_length=40, unique=True)
    title = models.CharField(_("计划名称"), max_length=200)
    year = models.PositiveSmallIntegerField(_("年度"))
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    organiser = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, verbose_name=_("组织单位")
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    budget = models.DecimalField(
        _("经费预算（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    labs = models.ManyToManyField(Laboratory, blank=True, verbose_name=_("承检机构"))
    #: Relative draw weight by credit risk class; empty means the defaults of lib/draw.py.
    class_weights = models.JSONField(_("风险分类抽取权重"), default=dict, blank=True)
    inspectors_per_task = models.PositiveSmallIntegerField(_("每户检查人员数"), default=2)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("抽查计划")
        verbose_name_plural = _("抽查计划")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class PlanQuota(models.Model):
    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="quotas")
    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT)
    district = models.ForeignKey(Division, on_delete=models.PROTECT)
    batches = models.PositiveIntegerField(_("批次数"))

    class Meta:
        ordering = ["category__code", "district_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "category", "district"], name="quota_once_per_stratum"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.category_id}|{self.district_id} × {self.batches}"

    @property
    def stratum(self) -> str:
        return f"{self.category.code}|{self.district_id}"


class Draw(models.Model):
    """One recorded 双随机 draw: its inputs and seed reproduce it exactly."""

    plan = models.OneToOneField(SamplingPlan, on_delete=models.CASCADE, related_name="draw")
    seed = models.BigIntegerField(_("随机种子"))
    #: Everything the draw used: candidates with risk classes, exclusions with reasons,
    #: quotas, weights, the inspector pool. Canonical JSON; ``digest`` is its SHA-256.
    inputs = models.JSONField()
    result = models.JSONField()
    digest = models.CharField(max_length=64)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    drawn_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.plan_id} seed {self.seed}"


class Assignment(models.Model):
    """An enterprise drawn for one stratum of a plan, with the inspectors drawn for it."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="assignments")
    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT)
    district = models.ForeignKey(Division, on_delete=models.PROTECT)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT)
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True)

    class Meta:
        ordering = ["category__code", "district_id", "enterprise__uscc"]
        constraints = [
            # No enterprise is drawn twice in one plan.
            models.UniqueConstraint(fields=["plan", "enterprise"], name="assignment_once_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.enterprise_id}"


class ImportBatch(models.Model):
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    parties_registered = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"


class Sample(models.Model):
    class Channel(models.TextChoices):
        PRODUCTION = "production", _("生产")
        CIRCULATION = "circulation", _("流通")
        ECOMMERCE = "ecommerce", _("电商")

    class PartyRole(models.TextChoices):
        PRODUCER = "producer", _("生产者")
        SELLER = "seller", _("销售者")
        PLATFORM = "platform", _("电商平台经营者")

    class Conclusion(models.TextChoices):
        PENDING = "", _("待检")
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")

    # Unique by a constraint rather than unique=True: on PostgreSQL the latter adds a
    # second, LIKE-pattern index that nothing here uses and every bulk load rebuilds.
    sample_no = models.CharField(_("抽样单编号"), max_length=40)
    plan = models.ForeignKey(
        SamplingPlan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="samples",
        db_constraint=False,
        db_index=False,  # indexed in Meta where set (imported samples have no plan)
    )
    # Samples are the one table that grows by a million rows a year, loaded in bulk: only
    # the columns pages look samples up by are indexed, and references to small lookup
    # tables (plan, category, district, lab, import batch, user, assignment) are kept by
    # Django (PROTECT and the importer's checks) without a database constraint, whose
    # per-row trigger would dominate a bulk load (benchmarks/bench_inspections.py). The
    # parties keep theirs (bulk loads drop and re-add them: services/importing.py).
    assignment = models.ForeignKey(
        Assignment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="samples",
        db_index=False,
        db_constraint=False,
    )
    category = models.ForeignKey(
        ProductCategory,
        on_delete=models.PROTECT,
        verbose_name=_("产品类别"),
        db_index=False,
        db_constraint=False,
    )
    product_name = models.CharField(_("产品名称"), max_length=200)
    model = models.CharField(_("规格型号"), max_length=100, blank=True)
    batch = models.CharField(_("生产日期或批号"), max_length=100, blank=True)
    sampled_party = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="samples_taken"
    )
    sampled_party_name = models.CharField(_("被抽样单位"), max_length=200)
    sampled_party_role = models.CharField(
        _("被抽样单位类型"), max_length=16, choices=PartyRole.choices
    )
    producer = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="samples_made"
    )
    producer_name = models.CharField(_("标称生产者"), max_length=200, blank=True)
    producer_region = models.CharField(_("生产者所在地区代码"), max_length=6, blank=True)
    sampling_district = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        verbose_name=_("抽样地区"),
        db_index=False,  # indexed in Meta, without PostgreSQL's LIKE-pattern index
        db_constraint=False,
    )
    channel = models.CharField(_("抽样环节"), max_length=16, choices=Channel.choices)
    place = models.CharField(_("抽样地点"), max_length=200, blank=True, db_default="")
    sampled_on = models.DateField(_("抽样日期"))
    quantity = models.CharField(_("抽样数量"), max_length=40, blank=True, db_default="")
    backup_quantity = models.CharField(_("备份样品数量"), max_length=40, blank=True, db_default="")
    seal_numbers = models.CharField(_("封样编号"), max_length=200, blank=True, db_default="")
    samplers = models.CharField(_("抽样人员"), max_length=200, blank=True, db_default="")
    lab = models.ForeignKey(
        Laboratory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("检验机构"),
        db_index=False,
        db_constraint=False,
    )
    lab_received_on = models.DateField(_("样品送达检验机构日期"), null=True, blank=True)
    standards = models.TextField(_("检验依据"), blank=True, db_default="")
    conclusion = models.CharField(
        _("检验结论"), max_length=8, choices=Conclusion.choices, blank=True, default=""
    )
    failed_items = models.TextField(_("不合格项目"), blank=True)
    report_no = models.CharField(_("报告编号"), max_length=60, blank=True)
    reported_on = models.DateField(_("报告日期"), null=True, blank=True)
    notified_on = models.DateField(_("结果通知日期"), null=True, blank=True)
    result_received_on = models.DateField(_("被抽样方收到结果日期"), null=True, blank=True)
    #: The conclusion that counts: the test's, unless a re-test replaced it (Art. 15).
    final_conclusion = models.CharField(
        _("最终结论"), max_length=8, choices=Conclusion.choices, blank=True, default=""
    )
    import_batch = models.ForeignKey(
        ImportBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="samples",
        db_index=False,  # a batch's rows are found by id range (they are written in one go)
        db_constraint=False,
    )
    # Defaults in the database too: the importer's raw bulk insert leaves these out.
    is_demo = models.BooleanField(_("演示数据"), default=False, db_default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["-sampled_on", "sample_no"]
        constraints = [models.UniqueConstraint(fields=["sample_no"], name="sample_no_once")]
        indexes = [
            models.Index(fields=["sampling_district"], name="sample_district"),
            models.Index(fields=["plan"], name="sample_plan", condition=Q(plan__isnull=False)),
        ]
        verbose_name = _("样品")
        verbose_name_plural = _("样品")

    def __str__(self) -> str:
        return f"{self.sample_no} {self.product_name}"


class TestItem(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("检验项目"), max_length=200)
    requirement = models.CharField(_("标准要求"), max_length=200, blank=True)
    result = models.CharField(_("检验结果"), max_length=200)
    passed = models.BooleanField(_("单项判定合格"))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.result}"


class Objection(models.Model):
    """异议 and 复检: within 15 days of receiving the result (Art. 15), by a different lab."""

    sample = models.OneToOneField(Sample, on_delete=models.CASCADE, related_name="objection")
    filed_on = models.DateField(_("提出异议日期"))
    reason = models.TextField(_("异议理由"))
    in_time = models.BooleanField(_("在法定期限内"))
    decided_on = models.DateField(_("受理决定日期"), null=True, blank=True)
    accepted = models.BooleanField(_("受理"), null=True, blank=True)
    decision_note = models.TextField(_("决定说明"), blank=True)
    retest_lab = models.ForeignKey(
        Laboratory, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("复检机构")
    )
    retest_report_no = models.CharField(_("复检报告编号"), max_length=60, blank=True)
    retest_reported_on = models.DateField(_("复检报告日期"), null=True, blank=True)
    retest_conclusion = models.CharField(
        _("复检结论"), max_length=8, choices=Sample.Conclusion.choices, blank=True, default=""
    )

    def __str__(self) -> str:
        return f"{self.sample_id} {self.filed_on}"


class DisposalAction(models.Model):
    """One rung of the Art. 17 ladder with the follow-up check (复查) that closes it."""

    class Rung(models.TextChoices):
        RECTIFY = "rectify", _("责令限期改正")
        ANNOUNCE = "announce", _("公告")
        SUSPEND = "suspend", _("责令停业，限期整顿")
        REVOKE = "revoke", _("吊销营业执照")

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="disposals")
    rung = models.CharField(_("处理措施"), max_length=16, choices=Rung.choices)
    ordered_on = models.DateField(_("决定日期"))
    deadline = models.DateField(_("整改/复查期限"), null=True, blank=True)
    checked_on = models.DateField(_("复查日期"), null=True, blank=True)
    check_passed = models.BooleanField(_("复查合格"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["ordered_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "rung"], name="disposal_rung_once")
        ]

    def __str__(self) -> str:
        return f"{self.sample_id} {self.rung}"


class Referral(models.Model):
    """跨区域溯源: a failed sample whose nominal producer is registered elsewhere."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("市内移送")
        OUTGOING = "outgoing", _("外省市协查函")

    class Status(models.TextChoices):
        OPEN = "open", _("待回复")
        REPLIED = "replied", _("已回复")
        WITHDRAWN = "withdrawn", _("已撤回")

    sample = models.OneToOneField(Sample, on_delete=models.CASCADE, related_name="referral")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    to_region = models.CharField(_("接收地区代码"), max_length=6)
    to_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("接收单位")
    )
    created_on = models.DateField(_("生成日期"))
    sent_on = models.DateField(_("发出日期"), null=True, blank=True)
    letter_no = models.CharField(_("函号"), max_length=60, blank=True)
    replied_on = models.DateField(_("回复日期"), null=True, blank=True)
    reply = models.TextField(_("回复内容"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)

    # No national text of 产品质量监督抽查管理暂行办法 was found (DOMAIN.md §11): the reply
    # deadline is the city's own rule, in calendar days from sending (or from creation).
    REPLY_DAYS = 30

    def __str__(self) -> str:
        return f"{self.sample_id} → {self.to_region}"

    @property
    def reply_due(self) -> dt.date:
        return (self.sent_on or self.created_on) + dt.timedelta(days=self.REPLY_DAYS)

    def overdue_on(self, today: dt.date) -> bool:
        return self.status == self.Status.OPEN and today > self.reply_due


class PassTally(models.Model):
    """Tested and passed batches per year, category, place and channel: pass rates read
    these cells instead of a million samples. Each sample counts in two cells: where it
    was sampled (``sampled``, the sampling district) and where it was made (``made``, the
    nominal producer's region, "" if the label names none), so the cells stay bounded
    by catalogue × regions × channels (~40,000 a year at most) whatever the samples.
    Every service that sets a final conclusion adjusts them in the same transaction;
    ``inspections retally`` rebuilds them.

    A cache of counts over the samples, written in bulk by imports: its category is
    kept by Django (PROTECT) without a database constraint or index of its own; the
    unique key indexes the cells by year first.
    """

    class Place(models.TextChoices):
        SAMPLED = "sampled", _("抽样地区")
        MADE = "made", _("生产者所在地区")

    year = models.PositiveSmallIntegerField()
    category = models.ForeignKey(
        ProductCategory, on_delete=models.PROTECT, db_constraint=False, db_index=False
    )
    place = models.CharField(max_length=8, choices=Place.choices)
    #: GB/T 2260 code of the sampling district (``sampled``) or producer region (``made``)
    region = models.CharField(max_length=12, blank=True)
    channel = models.CharField(max_length=16)
    tested = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "place", "category", "region", "channel"],
                name="tally_once_per_cell",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.year} {self.category_id} {self.place} {self.region} {self.tested}/{self.passed}"
        )
