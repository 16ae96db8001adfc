from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiliang.lib.numbers import plain_decimal
from zhiliang.plans.models import PlanItem, ProgressReport, ReportingCycle
from zhiliang.registry.forms import upload_size_ok
from zhiliang.widgets import DATE


class ScheduleForm(forms.Form):
    deadline = forms.DateField(label=_("完成时限"), widget=DATE)
    reporting_cycle = forms.ChoiceField(label=_("报送周期"), choices=ReportingCycle.choices)
    reason = forms.CharField(label=_("说明"), required=False, max_length=500)


class MilestoneForm(forms.Form):
    due_on = forms.DateField(label=_("节点日期"), widget=DATE)
    title = forms.CharField(label=_("节点要求"), max_length=255)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务"), max_length=500)
    owner = forms.ModelChoiceField(label=_("责任单位"), queryset=None)  # type: ignore[arg-type]
    deadline = forms.DateField(label=_("完成时限"), widget=DATE)

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = lambda org: org.name  # type: ignore[attr-defined]


class DistrictTaskForm(TaskForm):
    item = forms.ModelChoiceField(label=_("对应市级措施"), queryset=PlanItem.objects.none())

    def __init__(self, *args: Any, plan: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = PlanItem.objects.filter(plan=plan, is_leaf=True)  # type: ignore[attr-defined]
        self.order_fields(["item", "title", "owner", "deadline"])


class DistrictPlanForm(forms.Form):
    title = forms.CharField(label=_("实施方案名称"), max_length=255)
    file = forms.FileField(
        label=_("实施方案原文（可选，UTF-8 文本）"), required=False, validators=[upload_size_ok]
    )


class ReportForm(forms.Form):
    period = forms.CharField(
        label=_("报告期"), max_length=7, help_text=_("按月如 2015-07，按季度如 2015-Q3")
    )
    status = forms.ChoiceField(label=_("进展状态"), choices=ProgressReport.Status.choices)
    narrative = forms.CharField(label=_("工作进展"), widget=forms.Textarea(attrs={"rows": 6}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, targets: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = list(targets)
        for target in self.targets:
            self.fields[f"target_{target.pk}"] = forms.CharField(
                label=f"{target.text}（{target.get_comparator_display()} {plain_decimal(target.value)} {target.unit}）",
                required=False,
                max_length=30,
            )

    def figures(self) -> dict[int, str]:
        return {t.pk: self.cleaned_data.get(f"target_{t.pk}", "") for t in self.targets}


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("佐证材料（PDF、图片、Word、Excel、OFD）"))
