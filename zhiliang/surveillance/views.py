"""Injury surveillance pages: the case list with filters, a case, the entry form ("save
and next"), the file import, and the weighted estimates."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from zhiliang.accounts.access import has_role, require_roles
from zhiliang.exports import download_response
from zhiliang.importproblems import import_upload, problems_response
from zhiliang.inspections.models import ProductCategory
from zhiliang.lib.xlsx import XLSX_MIME
from zhiliang.surveillance import codes, services
from zhiliang.surveillance.access import CASE_READERS, CASE_WRITERS, may_report_for, reporters_for
from zhiliang.surveillance.forms import CaseCorrectionForm, CaseForm, CaseImportForm, coded_choices
from zhiliang.surveillance.importing import cases_template_xlsx, importer_for
from zhiliang.surveillance.selectors import (
    AGE_GROUPS,
    DIMENSIONS,
    CaseFilter,
    case_estimates,
    cases_filtered,
    reporters_with_cases,
    visible_cases,
)
from zhiliang.surveillance.services import case_create

PAGE_SIZE = 50
IMPORT_PROBLEMS_KEY = "surveillance_import_problems"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest, *, default_source: str = "") -> CaseFilter:
    get = request.GET
    source = get.get("source", default_source)
    return CaseFilter(
        source=source if source in codes.Source.values else "",
        reporter=_int(get.get("reporter")),
        category=_int(get.get("category")),
        year=_int(get.get("year")),
        date_from=_date(get.get("from")),
        date_to=_date(get.get("to")),
        sex=_int(get.get("sex")),
        outcome=_int(get.get("outcome")),
        age_group=_int(get.get("age_group")),
        text=get.get("q", "").strip()[:100],
    )


def _filter_choices(request: HttpRequest) -> dict[str, Any]:
    return {
        "sources": codes.Source.choices,
        "reporters": reporters_with_cases(request.user),
        "categories": ProductCategory.objects.filter(parent=None)
        .exclude(kind="farm")
        .order_by("code"),
        "sexes": coded_choices(codes.Sex)()[1:],
        "outcomes": coded_choices(codes.Outcome)()[1:],
        "age_groups": [(i, label) for i, (_f, _l, label) in enumerate(AGE_GROUPS)],
    }


@require_roles(CASE_READERS)
def case_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    page = Paginator(cases_filtered(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveillance/case_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "may_write": bool(reporters_for(request.user)) and _writer(request),
            **_filter_choices(request),
        },
    )


def _writer(request: HttpRequest) -> bool:
    return has_role(request.user, CASE_WRITERS)


@require_roles(CASE_READERS)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(
        visible_cases(request.user).select_related(
            "reporter", "product_1_category", "product_2_category", "product_3_category"
        ),
        pk=pk,
    )
    coded = [
        (case._meta.get_field(name).verbose_name, getattr(case, f"get_{name}_display")())
        for name in codes.CODED_FIELDS
    ]
    may_correct = _writer(request) and may_report_for(request.user, case.reporter)
    return render(
        request,
        "surveillance/case_detail.html",
        {"case": case, "coded": coded, "may_correct": may_correct},
    )


@require_roles(CASE_WRITERS)
def case_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a recorded case (its reporter's own people, or the office), with a reason."""
    case = get_object_or_404(visible_cases(request.user).select_related("reporter"), pk=pk)
    if not may_report_for(request.user, case.reporter):
        raise PermissionDenied
    form = CaseCorrectionForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_correct(
                actor=request.user,
                case=case,
                reason=form.cleaned_data["reason"],
                **form.case_fields(),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            messages.success(request, _("病例 %(no)s 已更正。") % {"no": case.case_number})
            return redirect("surveillance:case_detail", pk=case.pk)
    status = 400 if form.errors else 200
    return render(
        request, "surveillance/case_correct.html", {"form": form, "case": case}, status=status
    )


def _reporters(request: HttpRequest) -> list[Any]:
    units = reporters_for(request.user)
    if not units:
        raise PermissionDenied  # a reporter role, but no hospital or department to report for
    return units


@require_roles(CASE_WRITERS)
def case_new(request: HttpRequest) -> HttpResponse:
    reporters = _reporters(request)
    initial = {k: request.GET[k] for k in ("reporter", "visit_date") if request.GET.get(k)}
    form = CaseForm(request.POST or None, reporters=reporters, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_create(actor=request.user, **form.case_fields())
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            messages.success(request, _("病例 %(no)s 已保存。") % {"no": case.case_number})
            if "next" in request.POST:
                # The next case of the same day and hospital: keep those two.
                sticky = {"reporter": case.reporter_id, "visit_date": case.visit_date}
                return redirect(f"{reverse('surveillance:case_new')}?{urlencode(sticky)}")
            return redirect("surveillance:case_detail", pk=case.pk)
    status = 400 if form.errors else 200
    return render(request, "surveillance/case_new.html", {"form": form}, status=status)


@require_roles(CASE_WRITERS)
def case_import(request: HttpRequest) -> HttpResponse:
    reporters = _reporters(request)
    form = CaseImportForm(request.POST or None, request.FILES or None, reporters=reporters)
    outcome = None
    token = None
    if request.method == "POST" and form.is_valid():
        reporter = form.reporters[form.cleaned_data["reporter"]]
        outcome, token = import_upload(
            request, form.cleaned_data["file"], importer_for(reporter), IMPORT_PROBLEMS_KEY
        )
        if outcome.ok:
            return redirect("surveillance:case_import")
    return render(
        request,
        "surveillance/case_import.html",
        {"form": form, "outcome": outcome, "token": token},
        status=400 if outcome is not None and not outcome.ok else 200,
    )


@require_roles(CASE_WRITERS)
def case_import_template(request: HttpRequest) -> HttpResponse:
    _reporters(request)
    return download_response(cases_template_xlsx(), XLSX_MIME, "injury-cases.xlsx")


@require_roles(CASE_WRITERS)
def case_import_problems(request: HttpRequest, token: str) -> HttpResponse:
    return problems_response(request, IMPORT_PROBLEMS_KEY, token)


@require_roles(CASE_READERS)
def estimates(request: HttpRequest) -> HttpResponse:
    """Weighted estimates with SE, CV, 95 % interval and CPSC's stability flags; an
    unstable estimate is flagged with its reasons, never hidden. One source at a time:
    NEISS weights are US national weights, a sentinel hospital's are its own."""
    filters = _filters(request, default_source=codes.Source.HOSPITAL)
    if not filters.source:
        filters = CaseFilter(**{**filters.__dict__, "source": codes.Source.HOSPITAL})
    by = [d for d in request.GET.getlist("by") if d in DIMENSIONS] or ["year"]
    table = case_estimates(request.user, filters, by)
    return render(
        request,
        "surveillance/estimates.html",
        {
            "table": table,
            "filters": filters,
            "by": by,
            "dimensions": [(k, v) for k, v in DIMENSIONS.items()],
            "columns": [DIMENSIONS[d] for d in by],
            **_filter_choices(request),
        },
    )
