from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from zhiliang.accounts.access import (
    GOVERNMENT,
    OFFICE,
    is_office,
    require_roles,
)
from zhiliang.exports import xlsx_response
from zhiliang.lib.planparse import PlanParseError, decode_plan_bytes
from zhiliang.plans.forms import MapUnitForm, PlanUploadForm
from zhiliang.plans.models import Plan
from zhiliang.plans.selectors import (
    LEAD,
    RESPONSIBLE,
    plan_tree,
    responsibilities_of,
    responsibility_matrix,
    targets_all,
    unresolved_names,
)
from zhiliang.plans.services import PlanImportError, plan_import, responsibility_map
from zhiliang.registry.models import Organisation


@require_roles(GOVERNMENT)
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = Plan.objects.all()
    return render(
        request, "plans/plan_list.html", {"plans": plans, "can_import": is_office(request.user)}
    )


def plan_year(plan: Plan) -> int | None:
    """The year a plan is for: the year in its number (渝府办发〔2015〕101号), else its issue year."""
    match = re.search(r"[〔\[(（](\d{4})[〕\])）]", plan.doc_number)
    if match:
        return int(match.group(1))
    return plan.issued_on.year if plan.issued_on else None


@require_roles(GOVERNMENT)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=pk)
    context = {
        "plan": plan,
        "tree": plan_tree(plan),
        "annual_year": plan_year(plan),
    }
    return render(request, "plans/plan_detail.html", context)


@require_roles(GOVERNMENT)
def plan_matrix(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=pk)
    matrix = responsibility_matrix(plan)
    marks = {RESPONSIBLE: "●", LEAD: _("牵头"), "": ""}
    rows = [(item, [marks[c] for c in cells]) for item, cells in matrix.rows]
    if request.GET.get("format") == "xlsx":
        header = [_("编号"), _("措施"), *[c.label for c in matrix.columns]]
        rows = [[item.label, item.title, *cells] for item, cells in rows]
        return xlsx_response(
            f"责任矩阵-{plan.doc_number or plan.pk}.xlsx", _("责任矩阵"), header, rows
        )
    return render(
        request, "plans/plan_matrix.html", {"plan": plan, "columns": matrix.columns, "rows": rows}
    )


@require_roles(GOVERNMENT)
def unit_measures(request: HttpRequest, key: str) -> HttpResponse:
    org = get_object_or_404(Organisation, key=key)
    return render(
        request,
        "plans/unit_measures.html",
        {"org": org, "responsibilities": responsibilities_of(org)},
    )


@require_roles(GOVERNMENT)
def target_list(request: HttpRequest) -> HttpResponse:
    from zhiliang.inspections.selectors import demo_samples_counted, target_rates

    targets = list(targets_all())
    # Pass-rate targets (measure 十四) are measured by sampling inspection, not reported.
    rates = target_rates(targets, request.user)
    # The city's figure for citywide readers; a district officer's own district otherwise.
    rows = [
        (t, [r for r in rates.get(t.pk, []) if not r.district] or rates.get(t.pk, []))
        for t in targets
    ]
    return render(
        request,
        "plans/target_list.html",
        {
            "targets": targets,
            "rows": rows,
            "has_rates": bool(rates),
            "demo_samples": demo_samples_counted(),
        },
    )


@require_roles(OFFICE)
def plan_import_view(request: HttpRequest) -> HttpResponse:
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = decode_plan_bytes(upload.read())
            outcome = plan_import(text=text, source_name=upload.name, actor=request.user)
        except (PlanParseError, PlanImportError) as exc:
            error = str(exc)
        else:
            if outcome.created:
                messages.success(request, _("方案已导入。"))
            else:
                messages.info(request, _("该文件此前已导入，未作任何修改。"))
            if outcome.unresolved:
                messages.warning(
                    request,
                    _("以下单位未能对应到已登记单位，已按原文保留，请映射：%(names)s")
                    % {"names": "、".join(outcome.unresolved)},
                )
            return redirect("plans:plan_detail", pk=outcome.plan.pk)
    return render(
        request,
        "plans/plan_import.html",
        {"form": form, "error": error},
        status=400 if error else 200,
    )


@require_roles(OFFICE)
def unresolved_units(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = MapUnitForm(request.POST)
        if form.is_valid():
            try:
                linked = responsibility_map(
                    name_as_written=form.cleaned_data["name_as_written"],
                    organisation=form.cleaned_data["organisation"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except PlanImportError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("已映射 %(n)d 条责任分工。") % {"n": linked})
            return redirect("plans:unresolved_units")
    rows = [
        (name, count, MapUnitForm(initial={"name_as_written": name}))
        for name, count in unresolved_names()
    ]
    return render(request, "plans/unresolved_units.html", {"rows": rows})
