"""Forms of the credit pages; the services do the checking."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhiliang.credit.models import CreditRecord
from zhiliang.widgets import DATE as _DATE


class RecordForm(forms.Form):
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    kind = forms.ChoiceField(label=_("记录类型"), choices=CreditRecord.RecordKind.choices)
    heavier = forms.BooleanField(label=_("较重处罚"), required=False)
    light = forms.BooleanField(label=_("通报批评或较低数额罚款"), required=False)
    document_no = forms.CharField(label=_("决定文书号"), max_length=100)
    decided_on = forms.DateField(label=_("决定日期"), widget=_DATE)
    source_name = forms.CharField(label=_("来源单位"), max_length=200)
    sector = forms.ChoiceField(label=_("领域"), choices=CreditRecord.RecordSector.choices)
    published_on = forms.DateField(label=_("公示日期"), widget=_DATE, required=False)
    summary = forms.CharField(label=_("摘要"), widget=forms.Textarea, required=False)


class ProposeForm(forms.Form):
    reasons = forms.CharField(label=_("列入事由"), widget=forms.Textarea)
    basis = forms.CharField(label=_("列入依据"), widget=forms.Textarea)
    proposed_on = forms.DateField(label=_("立案日期"), widget=_DATE)


class NotifyForm(forms.Form):
    notified_on = forms.DateField(label=_("告知日期"), widget=_DATE)


class ObjectionForm(forms.Form):
    filed_on = forms.DateField(label=_("异议提出日期"), widget=_DATE)
    text = forms.CharField(label=_("异议内容"), widget=forms.Textarea)


class DecideForm(forms.Form):
    decided_on = forms.DateField(label=_("异议核实日期"), widget=_DATE)
    upheld = forms.TypedChoiceField(
        label=_("核实结论"),
        choices=[("0", _("异议不成立")), ("1", _("异议成立"))],
        coerce=lambda v: v == "1",
    )
    reply = forms.CharField(label=_("异议答复"), widget=forms.Textarea)


class ApproveForm(forms.Form):
    approved_on = forms.DateField(label=_("批准日期"), widget=_DATE)
    years = forms.TypedChoiceField(
        label=_("列入期限（年）"), choices=[(3, "3"), (2, "2"), (1, "1")], coerce=int
    )


class RemoveForm(forms.Form):
    removed_on = forms.DateField(label=_("移出日期"), widget=_DATE)
    evidence = forms.CharField(label=_("提前移出申请材料"), widget=forms.Textarea)
    obligations_fulfilled = forms.BooleanField(
        label=_("已履行行政处罚等决定规定的义务"), required=False
    )
    harm_removed = forms.BooleanField(label=_("已主动整改、消除危害后果和不良影响"), required=False)
    measure_period_ended = forms.BooleanField(
        label=_("法律法规规定的管理措施期限已届满"), required=False, initial=True
    )


class RepairApplyForm(forms.Form):
    applicant = forms.CharField(label=_("申请人"), max_length=200)
    applied_on = forms.DateField(label=_("申请日期"), widget=_DATE)
    application = forms.CharField(label=_("信用修复申请书"), widget=forms.Textarea)
    commitment = forms.BooleanField(label=_("已提交守信承诺书"), required=False)
    evidence = forms.CharField(
        label=_("履行义务和整改的证明材料"), widget=forms.Textarea, required=False
    )


class RepairAcceptForm(forms.Form):
    accepted_on = forms.DateField(label=_("受理日期"), widget=_DATE)


class RepairNotAcceptForm(forms.Form):
    decided_on = forms.DateField(label=_("决定日期"), widget=_DATE)
    reasons = forms.CharField(label=_("不予受理的理由"), widget=forms.Textarea)


class RepairDecideForm(forms.Form):
    decided_on = forms.DateField(label=_("决定日期"), widget=_DATE)
    grant = forms.TypedChoiceField(
        label=_("决定"),
        choices=[("1", _("准予修复")), ("0", _("不予修复"))],
        coerce=lambda v: v == "1",
    )
    obligations_fulfilled = forms.BooleanField(
        label=_("已履行行政处罚决定规定的义务"), required=False
    )
    harm_removed = forms.BooleanField(label=_("已消除危害后果和不良影响"), required=False)
    reasons = forms.CharField(label=_("决定理由"), widget=forms.Textarea, required=False)
