"""Forms of the sampling-inspection pages; each feeds one service function."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiliang.inspections.models import (
    DisposalAction,
    ProductCategory,
    Sample,
    SamplingPlan,
)
from zhiliang.registry.forms import upload_size_ok
from zhiliang.registry.models import Division, Organisation
from zhiliang.widgets import DATE

#: A test's or re-test's conclusion: the model's choices without "not yet tested".
TESTED = [(value, label) for value, label in Sample.Conclusion.choices if value]


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProductCategory) -> str:
        return f"{obj.code} {obj.name}"


class DistrictField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Division) -> str:
        return f"{obj.code} {obj.name}"


def _categories() -> object:
    return ProductCategory.objects.order_by("code")


def _districts() -> object:
    return Division.objects.exclude(level="province").order_by("code")


class PlanForm(forms.Form):
    code = forms.SlugField(label=_("计划编号"), max_length=40, help_text=_("如 CQ-2026-01"))
    title = forms.CharField(label=_("计划名称"), max_length=200)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    level = forms.ChoiceField(label=_("层级"), choices=SamplingPlan.Level.choices)
    organiser = forms.ModelChoiceField(
        label=_("组织单位"), queryset=Organisation.objects.none(), to_field_name="key"
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    budget = forms.DecimalField(
        label=_("经费预算（元）"), max_digits=14, decimal_places=2, required=False, min_value=0
    )
    labs = forms.CharField(
        label=_("承检机构"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个机构名称"),
    )

    class_weights = forms.CharField(
        label=_("风险分类抽取权重"),
        required=False,
        max_length=100,
        help_text=_("如 A=0.05 B=0.2 C=0.6 D=1；留空用默认值。未分类企业权重 0.2。"),
    )
    inspectors_per_task = forms.IntegerField(
        label=_("每户检查人员数"), min_value=2, max_value=5, initial=2, required=False
    )

    def __init__(self, *args: object, organisations: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["organiser"].queryset = organisations  # type: ignore[attr-defined]

    def clean_class_weights(self) -> dict[str, float]:
        weights: dict[str, float] = {}
        for part in self.cleaned_data["class_weights"].replace("，", " ").replace(",", " ").split():
            key, sep, value = part.partition("=")
            try:
                weights[key.strip().upper()] = float(value)
            except ValueError:
                raise forms.ValidationError(
                    _("无法识别“%(part)s”，应写成 A=0.05 这样的形式。") % {"part": part}
                ) from None
            if not sep:
                raise forms.ValidationError(
                    _("无法识别“%(part)s”，应写成 A=0.05 这样的形式。") % {"part": part}
                )
        return weights

    def lab_names(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data["labs"].splitlines() if n.strip()]


class QuotaForm(forms.Form):
    category = CategoryField(label=_("产品类别"), queryset=ProductCategory.objects.none())
    district = DistrictField(label=_("区县"), queryset=Division.objects.none())
    batches = forms.IntegerField(
        label=_("批次数"), min_value=0, max_value=100000, help_text=_("0 表示删除该配额")
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category"].queryset = _categories()  # type: ignore[attr-defined]
        self.fields["district"].queryset = _districts()  # type: ignore[attr-defined]


class DrawForm(forms.Form):
    seed = forms.IntegerField(
        label=_("随机种子"),
        min_value=0,
        max_value=2**62,
        help_text=_("公开抽取时当场确定（如摇号结果）；任何人可用同一种子复核抽取结果"),
    )


class SampleForm(forms.Form):
    sample_no = forms.CharField(label=_("抽样单编号"), max_length=40)
    category = CategoryField(label=_("产品类别"), queryset=ProductCategory.objects.none())
    product_name = forms.CharField(label=_("产品名称"), max_length=200)
    model = forms.CharField(label=_("规格型号"), max_length=100, required=False)
    batch = forms.CharField(label=_("生产日期或批号"), max_length=100, required=False)
    sampled_party_name = forms.CharField(label=_("被抽样单位"), max_length=200)
    sampled_party_uscc = forms.CharField(label=_("被抽样单位统一社会信用代码"), max_length=18)
    sampled_party_role = forms.ChoiceField(
        label=_("被抽样单位类型"), choices=Sample.PartyRole.choices
    )
    producer_name = forms.CharField(label=_("标称生产者"), max_length=200, required=False)
    producer_uscc = forms.CharField(
        label=_("标称生产者统一社会信用代码"), max_length=18, required=False
    )
    producer_region = forms.CharField(
        label=_("生产者所在地区代码"),
        max_length=6,
        required=False,
        help_text=_("GB/T 2260 六位代码，外省市亦可"),
    )
    sampling_district = DistrictField(label=_("抽样地区"), queryset=Division.objects.none())
    channel = forms.ChoiceField(label=_("抽样环节"), choices=Sample.Channel.choices)
    place = forms.CharField(label=_("抽样地点"), max_length=200, required=False)
    sampled_on = forms.DateField(label=_("抽样日期"), widget=DATE)
    quantity = forms.CharField(label=_("抽样数量"), max_length=40, required=False)
    backup_quantity = forms.CharField(label=_("备份样品数量"), max_length=40, required=False)
    seal_numbers = forms.CharField(label=_("封样编号"), max_length=200, required=False)
    samplers = forms.CharField(label=_("抽样人员"), max_length=200, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category"].queryset = _categories()  # type: ignore[attr-defined]
        self.fields["sampling_district"].queryset = _districts()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        has_name = bool((data.get("producer_name") or "").strip())
        has_code = bool((data.get("producer_uscc") or "").strip())
        if has_name != has_code or (has_code and not data.get("producer_region")):
            raise forms.ValidationError(
                _("标称生产者的名称、统一社会信用代码和地区代码须同时填写（生产者不详时均留空）。")
            )
        return data


class LabField(forms.CharField):
    """A laboratory by name; the service registers a new name once the step is accepted."""


class ReportForm(forms.Form):
    lab = LabField(label=_("检验机构"), max_length=200)
    lab_received_on = forms.DateField(label=_("样品送达日期"), widget=DATE, required=False)
    report_no = forms.CharField(label=_("报告编号"), max_length=60)
    reported_on = forms.DateField(label=_("报告日期"), widget=DATE)
    standards = forms.CharField(label=_("检验依据"), required=False, max_length=500)
    conclusion = forms.ChoiceField(
        label=_("检验结论"),
        choices=TESTED,
    )
    failed_items = forms.CharField(
        label=_("不合格项目"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("每行一项：项目名称｜检验结果｜标准要求"),
    )

    def items(self) -> list[tuple[str, str, str]]:
        out = []
        for line in self.cleaned_data["failed_items"].splitlines():
            parts = [p.strip() for p in line.replace("|", "｜").split("｜")]
            if parts and parts[0]:
                out.append(
                    (
                        parts[0],
                        parts[1] if len(parts) > 1 else "",
                        parts[2] if len(parts) > 2 else "",
                    )
                )
        return out


class NotifyForm(forms.Form):
    notified_on = forms.DateField(label=_("通知日期"), widget=DATE)
    received_on = forms.DateField(
        label=_("被抽样单位收到结果日期"),
        widget=DATE,
        required=False,
        help_text=_("留空则按通知日期"),
    )


class ObjectionForm(forms.Form):
    filed_on = forms.DateField(label=_("提出异议日期"), widget=DATE)
    reason = forms.CharField(label=_("异议理由"), widget=forms.Textarea(attrs={"rows": 2}))


class ObjectionDecisionForm(forms.Form):
    decided_on = forms.DateField(label=_("决定日期"), widget=DATE)
    accepted = forms.TypedChoiceField(
        label=_("是否受理"),
        choices=[("yes", _("受理并复检")), ("no", _("不予受理"))],
        coerce=lambda v: v == "yes",
    )
    retest_lab = LabField(label=_("复检机构"), max_length=200, required=False)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)


class RetestForm(forms.Form):
    report_no = forms.CharField(label=_("复检报告编号"), max_length=60)
    reported_on = forms.DateField(label=_("复检报告日期"), widget=DATE)
    conclusion = forms.ChoiceField(
        label=_("复检结论"),
        choices=TESTED,
    )


class DisposalForm(forms.Form):
    rung = forms.ChoiceField(label=_("处理措施"), choices=DisposalAction.Rung.choices)
    ordered_on = forms.DateField(label=_("决定日期"), widget=DATE)
    deadline = forms.DateField(label=_("整改/复查期限"), widget=DATE, required=False)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)


class DisposalCheckForm(forms.Form):
    checked_on = forms.DateField(label=_("复查日期"), widget=DATE)
    passed = forms.TypedChoiceField(
        label=_("复查结果"),
        choices=[("yes", _("合格（整改到位）")), ("no", _("不合格"))],
        coerce=lambda v: v == "yes",
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=500)


class ReferralSendForm(forms.Form):
    sent_on = forms.DateField(label=_("发出日期"), widget=DATE)
    letter_no = forms.CharField(label=_("函号"), max_length=60)


class ReferralReplyForm(forms.Form):
    replied_on = forms.DateField(label=_("回复日期"), widget=DATE)
    reply = forms.CharField(label=_("回复内容"), widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("抽查结果文件（CSV 或 XLSX）"), validators=[upload_size_ok])
