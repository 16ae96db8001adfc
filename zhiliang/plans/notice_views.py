"""Pages for 督办通知: the list, issuing (quality office), a notice with its reply, the PDF."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from weasyprint import HTML

from zhiliang.accounts.access import GOVERNMENT, OFFICE, is_office, require_roles
from zhiliang.exports import PDF_MIME, download_response
from zhiliang.lib.numbers import chinese_date
from zhiliang.lib.workdays import CalendarUnavailable
from zhiliang.plans.models import PlanItem, SupervisionNotice, Task
from zhiliang.plans.services.execution import ExecutionError
from zhiliang.plans.services.notices import (
    ADDRESSEE_KINDS,
    REPLY_WORKDAYS,
    default_reply_due,
    notice_issue,
    notice_issuer,
    notice_may_reply,
    notice_reply,
    notice_status,
    notices_visible_to,
)
from zhiliang.registry.calendar import unavailable_message
from zhiliang.registry.models import Organisation
from zhiliang.widgets import DATE


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name  # the full name, as the notice is addressed (主送机关)


class MeasureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PlanItem) -> str:
        plan = obj.plan.doc_number or obj.plan.title
        return f"{plan} {obj.label}{obj.title}"


class TaskChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Task) -> str:
        return f"{obj.item.label} {obj.title}（{obj.owner}）"


class NoticeForm(forms.Form):
    organisation = OrganisationChoiceField(
        queryset=Organisation.objects.filter(kind__in=ADDRESSEE_KINDS).order_by("kind", "name"),
        to_field_name="key",
        label=gettext_lazy("督办对象"),
    )
    item = MeasureChoiceField(
        queryset=PlanItem.objects.filter(is_leaf=True)
        .select_related("plan")
        .order_by("plan", "position"),
        label=gettext_lazy("督办措施"),
    )
    task = TaskChoiceField(
        queryset=Task.objects.select_related("item", "owner").order_by("item__position", "id"),
        required=False,
        label=gettext_lazy("相关任务（可选）"),
    )
    facts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}), label=gettext_lazy("督办事项")
    )
    reply_due = forms.DateField(
        widget=DATE,
        label=gettext_lazy("反馈时限"),
    )


class ReplyForm(forms.Form):
    reply_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}), label=gettext_lazy("反馈内容")
    )


def _visible_notice(request: HttpRequest, pk: int) -> SupervisionNotice:
    # 404, not 403: a unit need not learn which other units were supervised.
    return get_object_or_404(notices_visible_to(request.user), pk=pk)


@require_roles(GOVERNMENT)
def notice_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [(n, notice_status(n, today=today)) for n in notices_visible_to(request.user)]
    return render(
        request,
        "plans/notice_list.html",
        {"rows": rows, "can_issue": is_office(request.user)},
    )


@require_roles(OFFICE)
def notice_new(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        form = NoticeForm(request.POST)
        if form.is_valid():
            try:
                notice = notice_issue(**form.cleaned_data, actor=request.user)
            except ExecutionError as exc:
                error = str(exc)
            else:
                messages.success(
                    request, _("督办通知 %(number)s 已印发。") % {"number": notice.number}
                )
                return redirect("plans:notice_detail", pk=notice.pk)
    else:
        initial = {
            "organisation": request.GET.get("organisation", ""),
            "item": request.GET.get("item", ""),
        }
        try:
            initial["reply_due"] = default_reply_due(timezone.localdate())
        except CalendarUnavailable as exc:
            # No holiday calendar for this year yet: the office sets the date by hand.
            messages.warning(request, unavailable_message(exc))
        form = NoticeForm(initial=initial)
    invalid = error is not None or bool(form.errors)
    return render(
        request,
        "plans/notice_new.html",
        {"form": form, "error": error, "reply_workdays": REPLY_WORKDAYS},
        status=400 if invalid else 200,
    )


def _detail(
    request: HttpRequest,
    notice: SupervisionNotice,
    *,
    form: ReplyForm | None = None,
    error: str | None = None,
) -> HttpResponse:
    can_reply = notice_may_reply(request.user, notice)
    return render(
        request,
        "plans/notice_detail.html",
        {
            "notice": notice,
            "status": notice_status(notice, today=timezone.localdate()),
            "can_reply": can_reply,
            "on_behalf": can_reply and is_office(request.user),
            "form": (form or ReplyForm()) if can_reply else None,
            "error": error,
        },
        status=400 if error or (form is not None and form.errors) else 200,
    )


@require_roles(GOVERNMENT)
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_notice(request, pk))


@require_roles(GOVERNMENT)
@require_POST
def notice_reply_view(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _visible_notice(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _detail(request, notice, form=form)
    try:
        notice_reply(notice=notice, reply_text=form.cleaned_data["reply_text"], actor=request.user)
    except ExecutionError as exc:
        return _detail(request, notice, form=form, error=str(exc))
    messages.success(request, _("反馈已提交。"))
    return redirect("plans:notice_detail", pk=notice.pk)


def _paragraphs(text: str) -> list[str]:
    # Pango breaks lines by UAX #14 as it was before Unicode 15.1: never on either side
    # of “ or ”, so a quoted phrase drags the character before it to the next line and
    # leaves a gap. A zero-width space restores the breaks Chinese typesetting allows
    # (before an opening, after a closing quotation mark).
    text = text.replace("“", "\u200b“").replace("”", "”\u200b")
    return [line.strip() for line in text.splitlines() if line.strip()]


def notice_pdf_bytes(notice: SupervisionNotice) -> bytes:
    """The notice as an official document (GB/T 9704-2012 layout), as PDF."""
    issued_on = timezone.localdate(notice.issued_at)
    # A 公文 is issued in Chinese whatever the reader's interface language.
    with translation.override("zh-hans"):
        html = render_to_string(
            "plans/pdf/notice.html",
            {
                "notice": notice,
                "issuer": notice_issuer(),
                "plan": notice.item.plan,
                "facts": _paragraphs(notice.facts),
                "reply": _paragraphs(notice.reply_text),
                "issued_on": chinese_date(issued_on),
                "reply_due": chinese_date(notice.reply_due),
                "task_deadline": chinese_date(notice.task.deadline) if notice.task else "",
                "replied_on": (
                    chinese_date(timezone.localdate(notice.replied_at)) if notice.replied_at else ""
                ),
            },
        )
    return HTML(string=html).write_pdf()


@require_roles(GOVERNMENT)
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _visible_notice(request, pk)
    return download_response(
        notice_pdf_bytes(notice), PDF_MIME, notice.number + ".pdf", inline=True
    )
