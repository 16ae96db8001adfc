from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiliang.accounts.access import (
    CITYWIDE_READERS,
    ENTERPRISE_WRITERS,
    GOVERNMENT,
    OFFICE,
    require_roles,
)
from zhiliang.exports import xlsx_response
from zhiliang.lib.tables import TableError, read_table
from zhiliang.lib.workdays import library_has
from zhiliang.registry.calendar import arrangement_save
from zhiliang.registry.forms import HolidayArrangementForm, TableUploadForm
from zhiliang.registry.models import HolidayArrangement, Organisation
from zhiliang.registry.selectors import enterprises_visible_to, organisations_with_aliases
from zhiliang.registry.services import ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED, enterprise_import

ENTERPRISE_READERS = CITYWIDE_READERS | {"district_officer"}


@require_roles(GOVERNMENT)
def organisation_list(request: HttpRequest) -> HttpResponse:
    groups: dict[str, list[Organisation]] = {}
    labels = dict(Organisation.Kind.choices)
    for org in organisations_with_aliases().order_by("kind", "key"):
        groups.setdefault(str(labels[org.kind]), []).append(org)
    return render(request, "registry/organisation_list.html", {"groups": groups})


def _filtered_enterprises(request: HttpRequest):  # type: ignore[no-untyped-def]
    qs = enterprises_visible_to(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__icontains=q.upper()))
    return qs, q


@require_roles(ENTERPRISE_READERS)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    qs, q = _filtered_enterprises(request)
    if request.GET.get("format") == "xlsx":
        rows = [
            [
                e.uscc,
                e.name,
                e.district_id or e.region,
                e.district.name if e.district else "",
                e.industry,
                e.get_status_display(),
            ]
            for e in qs
        ]
        header = [
            _("统一社会信用代码"),
            _("企业名称"),
            _("区划代码"),
            _("所在区县"),
            _("行业代码"),
            _("状态"),
        ]
        return xlsx_response("enterprises.xlsx", _("企业"), header, rows)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "registry/enterprise_list.html", {"page": page, "q": q})


@require_roles(ENTERPRISE_WRITERS)
def enterprise_import_view(request: HttpRequest) -> HttpResponse:
    form = TableUploadForm(request.POST or None, request.FILES or None)
    report = None
    error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = read_table(upload.read(), upload.name, ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED)
        except TableError as exc:
            error = str(exc)
        else:
            report = enterprise_import(table=table, actor=request.user, source_name=upload.name)
            if report.ok:
                messages.success(
                    request,
                    _("导入完成：新增 %(c)d 家，更新 %(u)d 家，未变 %(n)d 家。")
                    % {"c": report.created, "u": report.updated, "n": report.unchanged},
                )
                return redirect("registry:enterprise_list")
    status = 400 if (error or (report and not report.ok)) else 200
    return render(
        request,
        "registry/enterprise_import.html",
        {"form": form, "report": report, "error": error},
        status=status,
    )


@require_roles(OFFICE)
def holiday_arrangements(request: HttpRequest) -> HttpResponse:
    """The holiday arrangements entered for years the calendar library lacks."""
    form = HolidayArrangementForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            saved = arrangement_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("已保存 %(year)d 年的节假日安排。") % {"year": saved.year})
            return redirect("registry:holiday_arrangements")
    next_year = timezone.localdate().year + 1
    return render(
        request,
        "registry/holiday_arrangements.html",
        {
            "form": form,
            "errors": errors,
            "arrangements": HolidayArrangement.objects.select_related("entered_by"),
            "next_year": next_year,
            "next_year_in_library": library_has(next_year),
        },
        status=400 if request.method == "POST" else 200,
    )
