"""Credit pages for officials: an enterprise's records, risk class and listings; new
records; the 严重违法失信名单 cases with a form for each step."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from zhiliang.accounts.access import CITYWIDE_READERS, district_codes_of, has_role, require_roles
from zhiliang.credit import forms as f
from zhiliang.credit import listings as svc
from zhiliang.credit import repairs
from zhiliang.credit.access import RECORD_WRITERS, RISK_READERS, may_record_about, may_see_risk
from zhiliang.credit.importing import records_import, records_template_xlsx
from zhiliang.credit.models import CreditRecord, Listing, RepairCase, RiskAssessment
from zhiliang.credit.selectors import (
    RiskPages,
    risk_assessments,
    risk_class_counts,
    risk_districts,
    risk_explained,
)
from zhiliang.credit.services import record_create
from zhiliang.exports import download_response, xlsx_response
from zhiliang.importproblems import import_upload, problems_response
from zhiliang.lib.workdays import CalendarUnavailable
from zhiliang.lib.xlsx import XLSX_MIME
from zhiliang.registry.calendar import unavailable_message
from zhiliang.registry.forms import TableUploadForm
from zhiliang.registry.models import Enterprise
from zhiliang.stepmessages import form_errors, refusal


def _visible(user: Any) -> Q:
    if has_role(user, CITYWIDE_READERS):
        return Q()
    return Q(enterprise__district_id__in=district_codes_of(user))


@require_roles(RECORD_WRITERS)
def enterprise_credit(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise, uscc=uscc)
    if not may_record_about(request.user, enterprise):
        raise PermissionDenied
    records = enterprise.credit_records.order_by("-decided_on", "-id")
    risk = getattr(enterprise, "risk", None) if may_see_risk(request.user, enterprise) else None
    explained = risk_explained(risk) if risk is not None else None
    listed = set(Listing.objects.filter(enterprise=enterprise).values_list("record_id", flat=True))
    return render(
        request,
        "credit/enterprise.html",
        {
            "enterprise": enterprise,
            "records": records,
            "risk": risk,
            "explained": explained,
            "listings": enterprise.listings.order_by("-proposed_on"),
            "candidates": [
                r for r in records if r.kind == "penalty" and r.heavier and r.pk not in listed
            ],
            "propose_form": f.ProposeForm(),
            "repairs": RepairCase.objects.filter(record__enterprise=enterprise),
            "repairable": [r for r in records if _may_apply_for_repair(r)],
            "repair_form": f.RepairApplyForm(),
        },
    )


def _take_step(
    request: HttpRequest, form_and_service: tuple[type[Any], Any], step: str, **target: Any
) -> None:
    """One step of a case (a listing, a repair): the step's form, whose fields are the
    service's keywords, then the service; its refusals become messages."""
    form_class, service = form_and_service
    form = form_class(request.POST, prefix=step)
    if not form.is_valid():
        form_errors(request, form)
        return
    try:
        service(actor=request.user, **target, **form.cleaned_data)
    except ValidationError as exc:
        refusal(request, exc)
    except CalendarUnavailable as exc:  # a working-day deadline into a year not entered
        refusal(request, ValidationError(unavailable_message(exc)))
    else:
        messages.success(request, _("已保存。"))


def _may_apply_for_repair(record: CreditRecord) -> bool:
    try:
        repairs.repairable(record)
    except ValidationError:
        return False
    return not record.repairs.filter(
        status__in=[RepairCase.Status.APPLIED, RepairCase.Status.ACCEPTED]
    ).exists()


@require_roles(RECORD_WRITERS)
def record_new(request: HttpRequest) -> HttpResponse:
    form = f.RecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enterprise = Enterprise.objects.filter(uscc=data["uscc"].strip().upper()).first()
        if enterprise is None:
            form.add_error("uscc", _("登记的企业中没有这个统一社会信用代码。"))
        else:
            try:
                record_create(
                    actor=request.user,
                    enterprise=enterprise,
                    kind=data["kind"],
                    document_no=data["document_no"],
                    decided_on=data["decided_on"],
                    source_name=data["source_name"],
                    heavier=data["heavier"],
                    light=data["light"],
                    summary=data["summary"],
                    sector=data["sector"],
                    published_on=data["published_on"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("信用记录已保存。"))
                return redirect("credit:enterprise", uscc=enterprise.uscc)
    return render(request, "credit/record_new.html", {"form": form})


@require_roles(RECORD_WRITERS)
def listing_list(request: HttpRequest) -> HttpResponse:
    visible = _visible(request.user)
    cases = (
        Listing.objects.filter(visible).select_related("enterprise").order_by("-proposed_on", "-id")
    )
    candidates = [
        r for r in svc.listing_candidates() if may_record_about(request.user, r.enterprise)
    ]
    return render(
        request,
        "credit/listing_list.html",
        {"cases": cases, "candidates": candidates, "repairs": repairs.open_repairs(request.user)},
    )


def _open_case(
    request: HttpRequest, record_id: int, form_class: type[Any], service: Any, route: str
) -> HttpResponse:
    """Open a case about a record (a listing, a repair) from the enterprise page's form;
    on to the case's page, or back with what was wrong."""
    record = get_object_or_404(CreditRecord.objects.select_related("enterprise"), pk=record_id)
    if not may_record_about(request.user, record.enterprise):
        raise PermissionDenied
    back = redirect("credit:enterprise", uscc=record.enterprise.uscc)
    if request.method != "POST":
        return back
    form = form_class(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return back
    try:
        case = service(actor=request.user, record=record, **form.cleaned_data)
    except ValidationError as exc:
        refusal(request, exc)
        return back
    except CalendarUnavailable as exc:  # a working-day deadline into a year not entered
        refusal(request, ValidationError(unavailable_message(exc)))
        return back
    return redirect(route, pk=case.pk)


@require_roles(RECORD_WRITERS)
def listing_propose(request: HttpRequest, record_id: int) -> HttpResponse:
    return _open_case(request, record_id, f.ProposeForm, svc.listing_propose, "credit:listing")


#: step → (its form, whose fields are the service's keywords; the service)
STEPS: dict[str, tuple[type[Any], Any]] = {
    "notify": (f.NotifyForm, svc.listing_notify),
    "object": (f.ObjectionForm, svc.listing_object),
    "decide": (f.DecideForm, svc.listing_decide_objection),
    "approve": (f.ApproveForm, svc.listing_approve),
    "remove": (f.RemoveForm, svc.listing_remove_early),
}


def _reply_due(listing: Listing) -> Any:
    """The objection's reply deadline, or why it cannot be counted yet."""
    try:
        return svc.objection_reply_due(listing)
    except CalendarUnavailable as exc:
        return unavailable_message(exc)


@require_roles(RECORD_WRITERS)
def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    listing = get_object_or_404(Listing.objects.select_related("enterprise", "record"), pk=pk)
    if not may_record_about(request.user, listing.enterprise):
        raise PermissionDenied
    next_steps = {
        Listing.Status.PROPOSED: ["notify"],
        Listing.Status.NOTIFIED: ["object", "approve"],
        Listing.Status.OBJECTED: ["decide"],
        Listing.Status.LISTED: ["remove"],
    }.get(listing.status, [])
    if "approve" in next_steps and not has_role(request.user, CITYWIDE_READERS):
        next_steps.remove("approve")  # the city bureau approves
    forms = [(step, STEPS[step][0](prefix=step)) for step in next_steps]
    return render(
        request,
        "credit/listing_detail.html",
        {
            "listing": listing,
            "forms": forms,
            "reply_due": _reply_due(listing),
            "measures": svc.MEASURES.values(),
        },
    )


@require_roles(RECORD_WRITERS)
def listing_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    listing = get_object_or_404(Listing, pk=pk)
    if step not in STEPS or request.method != "POST":
        return redirect("credit:listing", pk=pk)
    _take_step(request, STEPS[step], step, listing=listing)
    return redirect("credit:listing", pk=pk)


# --- 信用修复 ---------------------------------------------------------------------------------


@require_roles(RECORD_WRITERS)
def repair_apply(request: HttpRequest, record_id: int) -> HttpResponse:
    return _open_case(request, record_id, f.RepairApplyForm, repairs.repair_apply, "credit:repair")


#: repair step → (its form, the service)
REPAIR_STEPS: dict[str, tuple[type[Any], Any]] = {
    "accept": (f.RepairAcceptForm, repairs.repair_accept),
    "not-accept": (f.RepairNotAcceptForm, repairs.repair_not_accept),
    "decide": (f.RepairDecideForm, repairs.repair_decide),
}


def _repair_case(request: HttpRequest, pk: int) -> RepairCase:
    case = get_object_or_404(RepairCase.objects.select_related("record__enterprise"), pk=pk)
    if not may_record_about(request.user, case.record.enterprise):
        raise PermissionDenied
    return case


@require_roles(RECORD_WRITERS)
def repair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _repair_case(request, pk)
    next_steps = {
        RepairCase.Status.APPLIED: ["accept", "not-accept"],
        RepairCase.Status.ACCEPTED: ["decide"],
    }.get(RepairCase.Status(case.status), [])
    forms = [(step, REPAIR_STEPS[step][0](prefix=step)) for step in next_steps]
    return render(request, "credit/repair_detail.html", {"case": case, "forms": forms})


@require_roles(RECORD_WRITERS)
def repair_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    case = _repair_case(request, pk)
    if step not in REPAIR_STEPS or request.method != "POST":
        return redirect("credit:repair", pk=pk)
    _take_step(request, REPAIR_STEPS[step], step, case=case)
    return redirect("credit:repair", pk=pk)


# --- enterprises by risk class (internal) ---------------------------------------------------

RISK_PAGE_SIZE = 50
#: Rows one XLSX export of risk classes may hold (about 6 s to build); more are to be
#: narrowed by class or district first.
RISK_EXPORT_MAX = 20_000


@require_roles(RISK_READERS)
def risk_list(request: HttpRequest) -> HttpResponse:
    """Enterprises by their stored risk class, highest risk first, with the number per
    class; internal (国市监信发〔2022〕6号: the class steers supervision, it is never
    published), scoped as ``may_see_risk``: citywide readers all, a district officer
    their district's enterprises."""
    districts = risk_districts(request.user)
    district = request.GET.get("district", "")
    if district and district not in {code for code, _name in districts}:
        raise PermissionDenied  # another district's enterprises (or no such district)
    risk_class = request.GET.get("class", "")
    if risk_class not in RiskAssessment.Class.values:
        risk_class = ""
    counts = risk_class_counts(request.user, district=district)
    total = counts[risk_class] if risk_class else sum(counts.values())
    rows = risk_assessments(request.user, risk_class=risk_class, district=district)
    if request.GET.get("format") == "xlsx":
        return _risk_xlsx(request, rows, total)
    page = Paginator(RiskPages(rows, total), RISK_PAGE_SIZE).get_page(request.GET.get("page"))
    classes = [
        (value, label, counts[value], urlencode({"class": value, "district": district}))
        for value, label in RiskAssessment.Class.choices
    ]
    return render(
        request,
        "credit/risk_list.html",
        {
            "page": page,
            "classes": classes,
            "total": sum(counts.values()),
            "risk_class": risk_class,
            "district": district,
            "districts": districts,
            "query": urlencode(
                {k: v for k, v in (("class", risk_class), ("district", district)) if v}
            ),
        },
    )


def _risk_xlsx(request: HttpRequest, rows: Any, total: int) -> HttpResponse:
    if total > RISK_EXPORT_MAX:
        messages.error(
            request,
            _("共 %(count)s 家企业，超过单次导出上限 %(max)s，请先按风险分类或区县筛选。")
            % {"count": total, "max": RISK_EXPORT_MAX},
        )
        query = request.GET.copy()
        query.pop("format", None)
        return redirect(f"{request.path}?{query.urlencode()}")
    labels = {value: str(label) for value, label in RiskAssessment.Class.choices}
    data = [
        [uscc, name, district_name or region, labels[risk_class], score, assessed_on]
        for uscc, name, district_name, region, risk_class, score, assessed_on in rows.values_list(
            "enterprise__uscc",
            "enterprise__name",
            "enterprise__district__name",
            "enterprise__region",
            "risk_class",
            "score",
            "assessed_on",
        )
    ]
    header = [
        _("统一社会信用代码"),
        _("企业名称"),
        _("所在区县"),
        _("风险分类"),
        _("风险分值"),
        _("评定日期"),
    ]
    return xlsx_response("risk-classes.xlsx", _("信用风险分类（内部）"), header, data)


# --- import of credit records ------------------------------------------------------------

#: The session's tokens of its rejected imports' problem lists (the page shows the first
#: 500 problems, the download all).
IMPORT_PROBLEMS_KEY = "credit_import_problems"


@require_roles(RECORD_WRITERS)
def record_import(request: HttpRequest) -> HttpResponse:
    """Credit records from CSV or XLSX, as ``zhiliang credit import FILE``: every row
    checked, nothing written on any problem, the problems by line and column."""
    form = TableUploadForm(request.POST or None, request.FILES or None)
    outcome = None
    token = None
    if request.method == "POST" and form.is_valid():
        outcome, token = import_upload(
            request, form.cleaned_data["file"], records_import, IMPORT_PROBLEMS_KEY
        )
        if outcome.ok:
            return redirect("credit:record_import")
    return render(
        request,
        "credit/record_import.html",
        {"form": form, "outcome": outcome, "token": token},
    )


@require_roles(RECORD_WRITERS)
def record_import_template(request: HttpRequest) -> HttpResponse:
    return download_response(records_template_xlsx(), XLSX_MIME, "credit-records.xlsx")


@require_roles(RECORD_WRITERS)
def record_import_problems(request: HttpRequest, token: str) -> HttpResponse:
    return problems_response(request, IMPORT_PROBLEMS_KEY, token)
