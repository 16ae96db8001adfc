"""Forms of the early-warning pages; their fields are the services' keywords."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhiliang.registry.models import Organisation
from zhiliang.signals.models import RiskCase
from zhiliang.widgets import DATE


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("排除理由"), widget=forms.Textarea(attrs={"rows": 2}))


class OpenCaseForm(forms.Form):
    title = forms.CharField(label=_("案件名称"), max_length=200, required=False)
    hazard = forms.CharField(
        label=_("危害"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    case = forms.ModelChoiceField(
        label=_("并入已有案件"),
        queryset=RiskCase.objects.filter(status=RiskCase.Status.OPEN),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("case") and not (data.get("title") or "").strip():
            raise forms.ValidationError(_("请填写案件名称，或选择并入的已有案件。"))
        return data


SEVERITY_CHOICES = [(n, str(n)) for n in (1, 2, 3, 4)]


class ScenarioForm(forms.Form):
    """One injury scenario; the steps one per line as “what happens | probability”.
    The page offers several and takes those with a hazard filled in, so the browser must
    not insist on the empty ones (the server checks those it takes)."""

    use_required_attribute = False

    hazard = forms.CharField(label=_("危害"), max_length=200)
    consumer = forms.CharField(label=_("消费者类型"), max_length=100)
    steps = forms.CharField(
        label=_("伤害情景步骤（每行一步：描述 | 概率，如 1/50）"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    injury = forms.CharField(label=_("伤害"), max_length=200)
    severity = forms.TypedChoiceField(label=_("严重程度"), choices=SEVERITY_CHOICES, coerce=int)

    def clean_steps(self) -> list[list[str]]:
        steps = []
        for n, line in enumerate(self.cleaned_data["steps"].splitlines(), start=1):
            if not line.strip():
                continue
            text, sep, p = line.rpartition("|")
            if not sep or not text.strip() or not p.strip():
                raise forms.ValidationError(_("第 %(n)s 行应为“描述 | 概率”。") % {"n": n})
            steps.append([text.strip(), p.strip()])
        if not steps:
            raise forms.ValidationError(_("至少需要一步。"))
        return steps


class AssessForm(forms.Form):
    product = forms.CharField(label=_("产品描述"), widget=forms.Textarea(attrs={"rows": 2}))


class WarningForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    product = forms.CharField(label=_("产品"), widget=forms.Textarea(attrs={"rows": 2}))
    hazard = forms.CharField(label=_("危害"), widget=forms.Textarea(attrs={"rows": 2}))
    advice = forms.CharField(label=_("消费提示"), widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=_("图片（JPG/PNG）"), required=False)

    def clean_photo(self) -> Any:
        """A JPEG or PNG by its first bytes (not only its name), within the upload
        limit: the portal serves it to the public."""
        photo = self.cleaned_data.get("photo")
        if not photo:
            return photo
        if photo.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("图片不能超过 %(mb)s MB。") % {"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
            )
        head = photo.read(8)
        photo.seek(0)
        if not head.startswith((_PNG, _JPEG)):
            raise forms.ValidationError(_("图片须为 JPG 或 PNG 文件。"))
        return photo


_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))


class PlanForm(forms.Form):
    code = forms.SlugField(label=_("计划编号"), max_length=40)
    title = forms.CharField(label=_("计划名称"), max_length=200)
    organiser = forms.ModelChoiceField(label=_("组织单位"), queryset=Organisation.objects.all())
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    quotas = forms.CharField(label=_("各区县批次（如 500103=5, 500101=3）"), max_length=2000)

    def clean_quotas(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for part in self.cleaned_data["quotas"].replace("，", ",").split(","):
            if not part.strip():
                continue
            code, sep, batches = part.partition("=")
            if not sep or not code.strip().isdigit() or not batches.strip().isdigit():
                raise forms.ValidationError(_("应为“区县代码=批次数”，以逗号分隔。"))
            found[code.strip()] = int(batches)
        if not found:
            raise forms.ValidationError(_("至少需要一个区县。"))
        return found


class RecallForm(forms.Form):
    to = forms.CharField(label=_("移送单位"), max_length=200)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}))
