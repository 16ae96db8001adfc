"""The entry form of an injury case, laid out for hospital staff who enter hundreds a
week: the card's order (tab goes down the card), each coded field a list whose options
start with the card's code (typing "3" picks 跌倒/坠落), today's date and the user's
hospital filled in, and "save and next" as the default button (Enter)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiliang.inspections.models import ProductCategory
from zhiliang.registry.forms import TableUploadForm
from zhiliang.surveillance import codes
from zhiliang.surveillance.models import PRODUCT_SLOTS

# An <input type="date"> takes ISO dates only, whatever the language's date format.
from zhiliang.widgets import DATE as _DATE

_HOUR = forms.NumberInput(attrs={"min": 0, "max": 23, "inputmode": "numeric"})


def coded_choices(choices: type[models.IntegerChoices]) -> Callable[[], list[tuple[Any, str]]]:
    """Options "3 跌倒/坠落" (translated when shown): the code first, so it can be typed."""
    return lambda: [("", "—")] + [(value, f"{value} {label}") for value, label in choices.choices]


def _coded(label: Any, choices: type[models.IntegerChoices]) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=coded_choices(choices),
        coerce=int,
        empty_value=None,
        required=False,
    )


def _categories() -> list[tuple[Any, str]]:
    rows = ProductCategory.objects.filter(parent=None).exclude(kind="farm").order_by("code")
    return [("", "—")] + [(c.pk, f"{c.code} {c.name}") for c in rows]


class CaseForm(forms.Form):
    reporter = forms.TypedChoiceField(label=_("报告单位"), coerce=int)
    case_number = forms.CharField(
        label=_("病例编号"),
        max_length=32,
        help_text=_("医院自己的编号；不填写姓名、身份证号、住址或电话。"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    visit_date = forms.DateField(label=_("就诊日期"), widget=_DATE)
    visit_hour = forms.IntegerField(label=_("就诊时（0–23）"), required=False, widget=_HOUR)
    sex = _coded(_("性别"), codes.Sex)
    age_years = forms.IntegerField(
        label=_("年龄（岁）"), required=False, min_value=0, max_value=120
    )
    age_months = forms.IntegerField(
        label=_("月龄（两岁以下）"), required=False, min_value=0, max_value=23
    )
    residence = _coded(_("户籍"), codes.Residence)
    education = _coded(_("文化程度"), codes.Education)
    occupation = _coded(_("职业"), codes.Occupation)
    injury_date = forms.DateField(label=_("伤害发生日期"), widget=_DATE, required=False)
    injury_hour = forms.IntegerField(label=_("伤害发生时（0–23）"), required=False, widget=_HOUR)
    cause = _coded(_("伤害发生原因"), codes.Cause)
    place = _coded(_("伤害发生地点"), codes.Place)
    activity = _coded(_("伤害发生时活动"), codes.Activity)
    intent = _coded(_("伤害意图"), codes.Intent)
    nature = _coded(_("伤害性质"), codes.Nature)
    body_part = _coded(_("伤害部位"), codes.BodyPart)
    severity = _coded(_("伤害严重程度"), codes.Severity)
    outcome = _coded(_("伤害结局"), codes.Outcome)
    product_1_category = forms.TypedChoiceField(
        label=_("产品1类别"), choices=_categories, coerce=int, empty_value=None, required=False
    )
    product_1_code = forms.CharField(label=_("产品1代码"), max_length=16, required=False)
    product_2_category = forms.TypedChoiceField(
        label=_("产品2类别"), choices=_categories, coerce=int, empty_value=None, required=False
    )
    product_2_code = forms.CharField(label=_("产品2代码"), max_length=16, required=False)
    product_3_category = forms.TypedChoiceField(
        label=_("产品3类别"), choices=_categories, coerce=int, empty_value=None, required=False
    )
    product_3_code = forms.CharField(label=_("产品3代码"), max_length=16, required=False)
    narrative = forms.CharField(
        label=_("伤害经过"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("怎样受伤、涉及什么产品；不写可识别个人身份的信息。"),
    )

    def __init__(self, *args: Any, reporters: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reporter"].choices = [(r.pk, r.name) for r in reporters]
        if len(reporters) == 1:
            self.fields["reporter"].initial = reporters[0].pk
        self.fields["visit_date"].initial = timezone.localdate()
        self.reporters = {r.pk: r for r in reporters}

    def case_fields(self) -> dict[str, Any]:
        """The cleaned data as ``case_create``'s keywords (categories as objects)."""
        data = dict(self.cleaned_data)
        data["reporter"] = self.reporters[data["reporter"]]
        categories = {
            c.pk: c
            for c in ProductCategory.objects.filter(
                pk__in=[data[f"product_{n}_category"] for n in range(1, PRODUCT_SLOTS + 1)]
            )
        }
        for n in range(1, PRODUCT_SLOTS + 1):
            data[f"product_{n}_category"] = categories.get(data[f"product_{n}_category"])
            data[f"product_{n}_code"] = data[f"product_{n}_code"].strip()
        return data


class CaseCorrectionForm(CaseForm):
    """The entry form for a recorded case: its reporter and number are fixed (shown,
    not posted), and a correction says why."""

    reason = forms.CharField(
        label=_("更正理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        initial = {name: getattr(case, name) for name in self.base_fields if hasattr(case, name)}
        for n in range(1, PRODUCT_SLOTS + 1):
            initial[f"product_{n}_category"] = getattr(case, f"product_{n}_category_id")
        super().__init__(*args, reporters=[case.reporter], initial=initial, **kwargs)
        del self.fields["reporter"]
        del self.fields["case_number"]
        self.fields["visit_date"].initial = case.visit_date
        self.fields["reason"].widget.attrs["autofocus"] = True

    def case_fields(self) -> dict[str, Any]:
        self.cleaned_data["reporter"] = next(iter(self.reporters))
        data = super().case_fields()
        for key in ("reporter", "case_number", "reason"):
            data.pop(key, None)
        return data


class CaseImportForm(TableUploadForm):
    reporter = forms.TypedChoiceField(label=_("报告单位"), coerce=int)

    def __init__(self, *args: Any, reporters: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reporter"].choices = [(r.pk, r.name) for r in reporters]
        self.reporters = {r.pk: r for r in reporters}
