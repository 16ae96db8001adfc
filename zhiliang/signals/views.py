"""Early-warning pages for officials: the signal inbox, a signal with its triage, the
risk cases with their assessment, warnings and actions; the public list of published
consumer warnings is in :mod:`zhiliang.portal`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from zhiliang.accounts.access import organisations_of, require_roles
from zhiliang.signals import forms as f
from zhiliang.signals import services as svc
from zhiliang.signals.models import ConsumerWarning, RiskCase, Signal
from zhiliang.signals.selectors import signal_weeks, with_series_names
from zhiliang.signals.services import SIGNAL_WORKERS
from zhiliang.stepmessages import form_errors, refusal

SCENARIOS_PER_FORM = 3


@require_roles(SIGNAL_WORKERS)
def inbox(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", Signal.Status.NEW)
    if status not in Signal.Status.values:
        status = Signal.Status.NEW
    signals = Signal.objects.filter(status=status).order_by("-week", "series_key")
    page = Paginator(signals, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "signals/inbox.html",
        {
            "page": page,
            "status": status,
            "statuses": Signal.Status.choices,
            "signals": with_series_names(list(page)),
        },
    )


@require_roles(SIGNAL_WORKERS)
def signal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    signal = with_series_names([get_object_or_404(Signal.objects.select_related("run"), pk=pk)])[0]
    if request.method == "POST":
        step = request.POST.get("step")
        form: Any = (
            f.DismissForm(request.POST) if step == "dismiss" else f.OpenCaseForm(request.POST)
        )
        if step not in ("dismiss", "case") or not form.is_valid():
            form_errors(request, form)
        else:
            try:
                if step == "dismiss":
                    svc.signal_dismiss(actor=request.user, signal=signal, **form.cleaned_data)
                else:
                    organisation = organisations_of(request.user, SIGNAL_WORKERS)[0]
                    case = svc.case_open(
                        actor=request.user,
                        signal=signal,
                        organisation=organisation,
                        title=form.cleaned_data["title"],
                        hazard=form.cleaned_data["hazard"],
                        case=form.cleaned_data["case"],
                    )
                    messages.success(request, _("已立案。"))
                    return redirect("signals:case", pk=case.pk)
            except (ValidationError, PermissionDenied) as exc:
                refusal(request, exc)
            else:
                messages.success(request, _("已保存。"))
        return redirect("signals:signal", pk=signal.pk)
    weeks = signal_weeks(signal)
    return render(
        request,
        "signals/signal.html",
        {
            "signal": signal,
            "recent": weeks[-12:],
            "dismiss_form": f.DismissForm(),
            "case_form": f.OpenCaseForm(),
        },
    )


@require_roles(SIGNAL_WORKERS)
def case_list(request: HttpRequest) -> HttpResponse:
    cases = RiskCase.objects.select_related("organisation").order_by("-opened_at")
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(request, "signals/cases.html", {"page": page})


def _assess(request: HttpRequest, case: RiskCase) -> None:
    form = f.AssessForm(request.POST)
    scenario_forms = [
        f.ScenarioForm(request.POST, prefix=f"s{n}")
        for n in range(1, SCENARIOS_PER_FORM + 1)
        if request.POST.get(f"s{n}-hazard", "").strip()
    ]
    if not form.is_valid() or not all(sf.is_valid() for sf in scenario_forms):
        form_errors(request, form)
        for sf in scenario_forms:
            form_errors(request, sf)
        return
    svc.case_assess(
        actor=request.user,
        case=case,
        product=form.cleaned_data["product"],
        scenarios=[sf.cleaned_data for sf in scenario_forms],
    )
    messages.success(request, _("已保存。"))


CASE_STEPS: dict[str, tuple[type[Any], Any]] = {
    "warning": (f.WarningForm, svc.warning_draft),
    "plan": (f.PlanForm, svc.case_targeted_plan),
    "recall": (f.RecallForm, svc.case_refer_recall),
}


@require_roles(SIGNAL_WORKERS)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(RiskCase.objects.select_related("organisation"), pk=pk)
    if request.method == "POST":
        step = request.POST.get("step", "")
        try:
            if step == "assess":
                _assess(request, case)
            elif step in CASE_STEPS:
                form_class, service = CASE_STEPS[step]
                form = form_class(request.POST, request.FILES, prefix=step)
                if not form.is_valid():
                    form_errors(request, form)
                else:
                    service(actor=request.user, case=case, **form.cleaned_data)
                    messages.success(request, _("已保存。"))
            else:
                raise Http404
        except (ValidationError, PermissionDenied) as exc:
            refusal(request, exc)
        return redirect("signals:case", pk=case.pk)
    return render(
        request,
        "signals/case.html",
        {
            "case": case,
            "signals": case.signals.order_by("-week"),
            "assessments": case.assessments.select_related("assessed_by"),
            "warnings": case.warnings.order_by("-created_at"),
            "actions": case.actions.select_related("taken_by"),
            "assess_form": f.AssessForm(),
            "scenario_forms": [
                f.ScenarioForm(prefix=f"s{n}") for n in range(1, SCENARIOS_PER_FORM + 1)
            ],
            "warning_form": f.WarningForm(prefix="warning"),
            "plan_form": f.PlanForm(prefix="plan"),
            "recall_form": f.RecallForm(prefix="recall"),
            "reason_form": f.ReasonForm(),
        },
    )


WARNING_STEPS: dict[str, Any] = {
    "submit": svc.warning_submit,
    "publish": svc.warning_publish,
    "return": svc.warning_return,
    "withdraw": svc.warning_withdraw,
}


@require_roles(SIGNAL_WORKERS)
def warning_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    warning = get_object_or_404(ConsumerWarning, pk=pk)
    if request.method != "POST" or step not in WARNING_STEPS:
        raise Http404
    kwargs: dict[str, Any] = {}
    if step in ("return", "withdraw"):
        form = f.ReasonForm(request.POST)
        if not form.is_valid():
            form_errors(request, form)
            return redirect("signals:case", pk=warning.case_id)
        kwargs["reason"] = form.cleaned_data["reason"]
    try:
        WARNING_STEPS[step](actor=request.user, warning=warning, **kwargs)
    except (ValidationError, PermissionDenied) as exc:
        refusal(request, exc)
    else:
        messages.success(request, _("已保存。"))
    return redirect("signals:case", pk=warning.case_id)
