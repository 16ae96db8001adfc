"""Pages of sampling inspection: samples and their steps, plans and the draw, import,
pass rates and the plan's pass-rate targets, referrals. Views stay thin: each form
feeds one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhiliang.accounts.access import (
    district_codes_of,
    is_office,
    organisations_of,
    require_roles,
)
from zhiliang.exports import xlsx_response
from zhiliang.importproblems import import_upload, problems_response
from zhiliang.inspections import forms as f
from zhiliang.inspections.access import (
    IMPORTERS,
    INSPECTION_READERS,
    PLAN_MANAGERS,
    is_citywide,
    may_answer_referral,
    may_manage_plan,
    may_write_sample,
    samples_visible_q,
    visible_plans,
)
from zhiliang.inspections.models import (
    Laboratory,
    Objection,
    ProductCategory,
    Referral,
    Sample,
    SamplingPlan,
)
from zhiliang.inspections.selectors import (
    GROUPINGS,
    RateRow,
    current_disposal,
    demo_samples_counted,
    open_steps,
    pass_rates,
    sample_steps,
    tally_years,
    target_rates,
    with_steps,
)
from zhiliang.inspections.services import plans as plan_services
from zhiliang.inspections.services import samples as sample_services
from zhiliang.inspections.services.importing import samples_import
from zhiliang.lib.samplerows import FIELD_LABELS
from zhiliang.lib.svgcharts import bar_chart
from zhiliang.plans.models import Target
from zhiliang.registry.models import Organisation

#: The import's column headers (its first accepted spelling), in the export's order.
IMPORT_COLUMNS = tuple(FIELD_LABELS.values())

STEP_LABELS = {
    "lab_delivery": gettext_lazy("样品送达检验机构"),
    "report": gettext_lazy("出具检验报告"),
    "notification": gettext_lazy("通知被抽样单位"),
    "objection_window": gettext_lazy("异议期"),
    "objection_decision": gettext_lazy("异议受理决定"),
    "follow_up": gettext_lazy("整改复查"),
}
STATE_LABELS = {
    "done": gettext_lazy("已完成"),
    "done_late": gettext_lazy("逾期完成"),
    "pending": gettext_lazy("进行中"),
    "overdue": gettext_lazy("已逾期"),
    "not_applicable": gettext_lazy("不适用"),
}


def _labelled(steps: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": str(st.step),
            "label": STEP_LABELS[str(st.step)],
            "state": str(st.state),
            "state_label": STATE_LABELS[str(st.state)],
            "due": st.due,
            "done_on": st.done_on,
            "provisional": st.provisional,
        }
        for st in steps
    ]


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


# --- samples -------------------------------------------------------------------------------


@require_roles(INSPECTION_READERS)
def sample_list(request: HttpRequest) -> HttpResponse:
    qs = with_steps(Sample.objects.filter(samples_visible_q(request.user))).select_related(
        "category", "sampling_district", "plan"
    )
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(
            Q(sample_no__icontains=q) | Q(product_name__icontains=q) | Q(producer_name__icontains=q)
        )
    conclusion = request.GET.get("conclusion", "")
    if conclusion in ("pass", "fail", "pending"):
        qs = qs.filter(final_conclusion="" if conclusion == "pending" else conclusion)
    if request.GET.get("format") == "xlsx":
        return _samples_xlsx(request, qs)
    page = Paginator(qs.order_by("-sampled_on", "sample_no"), 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        (s, [st for st in _labelled(sample_steps(s, today)) if st["state"] == "overdue"])
        for s in page
    ]
    return render(
        request,
        "inspections/sample_list.html",
        {"page": page, "rows": rows, "q": q, "conclusion": conclusion},
    )


#: Rows one XLSX export may hold; more should be narrowed by the filters (or taken from
#: the database by the command line), as building a huge workbook takes minutes.
EXPORT_MAX = 20_000
CONCLUSION_WORDS = {"pass": "合格", "fail": "不合格", "": ""}
CHANNEL_WORDS = {"production": "生产", "circulation": "流通", "ecommerce": "电商"}
ROLE_WORDS = {"producer": "生产者", "seller": "销售者", "platform": "电商平台经营者"}


def _samples_xlsx(request: HttpRequest, qs: Any) -> HttpResponse:
    """The samples in the import's own columns, so an exported file imports back
    unchanged (the result as tested; re-test outcomes stay in the system)."""
    count = qs.count()
    if count > EXPORT_MAX:
        messages.error(
            request,
            _("共 %(count)s 个样品，超过单次导出上限 %(max)s，请先筛选。")
            % {"count": count, "max": EXPORT_MAX},
        )
        return redirect(f"{request.path}?{request.GET.urlencode().replace('format=xlsx', '')}")
    rows = [
        [
            s.sample_no,
            s.category.code,
            s.product_name,
            s.model,
            s.batch,
            s.sampled_party_name,
            s.sampled_party.uscc,
            ROLE_WORDS[s.sampled_party_role],
            s.producer_name,
            s.producer.uscc if s.producer else "",
            s.producer_region,
            s.sampling_district_id,
            CHANNEL_WORDS[s.channel],
            s.sampled_on,
            s.lab.name if s.lab else "",
            CONCLUSION_WORDS[s.conclusion],
            s.failed_items,
            s.report_no,
            s.reported_on,
        ]
        for s in qs.select_related("sampled_party", "producer", "lab").order_by("sample_no")
    ]
    return xlsx_response("samples.xlsx", _("样品"), list(IMPORT_COLUMNS), rows)


@require_roles(INSPECTION_READERS)
def sample_new(request: HttpRequest) -> HttpResponse:
    form = f.SampleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = sample_services.SampleInput(
            **{k: v for k, v in d.items() if k in sample_services.SampleInput.__dataclass_fields__}
        )
        try:
            sample = sample_services.sample_record(actor=request.user, data=data)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        except IntegrityError:
            form.add_error("sample_no", _("该抽样单编号已存在。"))
        else:
            messages.success(request, _("样品已登记。"))
            return redirect("inspections:sample_detail", sample_no=sample.sample_no)
    return render(request, "inspections/sample_new.html", {"form": form})


def _sample_for(request: HttpRequest, sample_no: str) -> Sample:
    return get_object_or_404(
        with_steps(Sample.objects.filter(samples_visible_q(request.user))).select_related(
            "category", "sampling_district", "lab", "plan", "sampled_party", "producer"
        ),
        sample_no=sample_no,
    )


@require_roles(INSPECTION_READERS)
def sample_detail(request: HttpRequest, sample_no: str) -> HttpResponse:
    sample = _sample_for(request, sample_no)
    return render(
        request,
        "inspections/sample_detail.html",
        {
            "sample": sample,
            "steps": _labelled(sample_steps(sample, timezone.localdate())),
            "items": sample.items.all(),
            "objection": getattr(sample, "objection", None),
            "disposals": sample.disposals.all(),
            "referral": getattr(sample, "referral", None),
            "forms": {key: STEP_FORMS[key](prefix=key) for key in open_steps(sample, request.user)},
        },
    )


def _run_step(
    step: str,
    form: Any,
    user: Any,
    sample: Sample,
    objection: Objection | None,
    referral: Referral | None,
) -> None:
    d = form.cleaned_data
    if step == "report":
        sample_services.sample_report(
            actor=user,
            sample=sample,
            lab=d["lab"],
            report_no=d["report_no"],
            reported_on=d["reported_on"],
            conclusion=d["conclusion"],
            standards=d["standards"],
            lab_received_on=d["lab_received_on"],
            items=[
                sample_services.ItemInput(name=n, result=r, requirement=q, passed=False)
                for n, r, q in form.items()
            ],
        )
    elif step == "notify":
        sample_services.sample_notify(
            actor=user, sample=sample, notified_on=d["notified_on"], received_on=d["received_on"]
        )
    elif step == "objection":
        sample_services.objection_file(
            actor=user, sample=sample, filed_on=d["filed_on"], reason=d["reason"]
        )
    elif step == "decide" and objection is not None:
        sample_services.objection_decide(
            actor=user,
            objection=objection,
            decided_on=d["decided_on"],
            accepted=d["accepted"],
            note=d["note"],
            retest_lab=d["retest_lab"] or None,
        )
    elif step == "retest" and objection is not None:
        sample_services.retest_record(
            actor=user,
            objection=objection,
            report_no=d["report_no"],
            reported_on=d["reported_on"],
            conclusion=d["conclusion"],
        )
    elif step == "disposal":
        sample_services.disposal_order(
            actor=user,
            sample=sample,
            rung=d["rung"],
            ordered_on=d["ordered_on"],
            deadline=d["deadline"],
            note=d["note"],
        )
    elif step == "check":
        action = current_disposal(sample)
        if action is None:
            raise Http404
        sample_services.disposal_check(
            actor=user,
            action=action,
            checked_on=d["checked_on"],
            passed=d["passed"],
            note=d["note"],
        )
    elif step == "referral_send" and referral is not None:
        sample_services.referral_send(
            actor=user, referral=referral, sent_on=d["sent_on"], letter_no=d["letter_no"]
        )
    elif step == "referral_reply" and referral is not None:
        sample_services.referral_reply(
            actor=user, referral=referral, replied_on=d["replied_on"], reply=d["reply"]
        )
    else:
        raise Http404


STEP_FORMS = {
    "report": f.ReportForm,
    "notify": f.NotifyForm,
    "objection": f.ObjectionForm,
    "decide": f.ObjectionDecisionForm,
    "retest": f.RetestForm,
    "disposal": f.DisposalForm,
    "check": f.DisposalCheckForm,
    "referral_send": f.ReferralSendForm,
    "referral_reply": f.ReferralReplyForm,
}


@require_POST
@require_roles(INSPECTION_READERS)
def sample_step(request: HttpRequest, sample_no: str, step: str) -> HttpResponse:
    if step not in STEP_FORMS:
        raise Http404
    sample = _sample_for(request, sample_no)
    objection = getattr(sample, "objection", None)
    referral = getattr(sample, "referral", None)
    allowed = (
        step == "referral_reply"
        and referral is not None
        and may_answer_referral(request.user, referral)
    )
    if not (allowed or may_write_sample(request.user, sample)):
        raise PermissionDenied
    form = STEP_FORMS[step](request.POST, prefix=step)
    if form.is_valid():
        try:
            _run_step(step, form, request.user, sample, objection, referral)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("已保存。"))
    else:
        problems = "；".join(
            f"{form.fields[k].label if k in form.fields else ''} {' '.join(v)}".strip()
            for k, v in form.errors.items()
        )
        messages.error(request, problems)
    return redirect("inspections:sample_detail", sample_no=sample.sample_no)


# --- plans and the draw ------------------------------------------------------------------


@require_roles(INSPECTION_READERS)
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = visible_plans(request.user, SamplingPlan.objects.select_related("organiser"))
    return render(
        request,
        "inspections/plan_list.html",
        {"plans": plans, "may_create": bool(_organisers(request.user).exists())},
    )


def _organisers(user: Any) -> Any:
    if is_office(user):
        return Organisation.objects.exclude(kind=Organisation.Kind.ZONE).order_by("kind", "name")
    keys = [
        o.pk for o in organisations_of(user, frozenset({"department_officer", "district_officer"}))
    ]
    return Organisation.objects.filter(pk__in=keys)


@require_roles(PLAN_MANAGERS)
def plan_new(request: HttpRequest) -> HttpResponse:
    form = f.PlanForm(request.POST or None, organisations=_organisers(request.user))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        labs = [Laboratory.objects.get_or_create(name=n)[0] for n in form.lab_names()]
        try:
            plan = plan_services.plan_create(
                actor=request.user,
                code=d["code"],
                title=d["title"],
                year=d["year"],
                level=d["level"],
                organiser=d["organiser"],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                budget=d["budget"],
                labs=labs,
                class_weights=d["class_weights"],
                inspectors_per_task=d["inspectors_per_task"] or 2,
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        except PermissionDenied as exc:
            form.add_error("organiser", str(exc) or _("无权以该单位名义制定计划。"))
        else:
            return redirect("inspections:plan_detail", code=plan.code)
    return render(request, "inspections/plan_new.html", {"form": form})


def _plan_for(request: HttpRequest, code: str) -> SamplingPlan:
    return get_object_or_404(
        visible_plans(request.user, SamplingPlan.objects.select_related("organiser")), code=code
    )


@require_roles(INSPECTION_READERS)
def plan_detail(request: HttpRequest, code: str) -> HttpResponse:
    plan = _plan_for(request, code)
    record = getattr(plan, "draw", None)
    manager = may_manage_plan(request.user, plan)
    assignments = plan.assignments.select_related("category", "district", "enterprise")
    samples = plan.samples.filter(samples_visible_q(request.user))
    if not is_citywide(request.user) and not manager:
        # Who was drawn elsewhere is not a district's business before the inspection.
        assignments = assignments.filter(district_id__in=district_codes_of(request.user))
    return render(
        request,
        "inspections/plan_detail.html",
        {
            "plan": plan,
            "quotas": plan.quotas.select_related("category", "district"),
            "record": record,
            "assignments": assignments.prefetch_related("inspectors"),
            "samples": samples.select_related("category")[:200],
            "manager": manager,
            "quota_form": f.QuotaForm() if manager and record is None else None,
            "draw_form": f.DrawForm() if manager and record is None else None,
            "labs": plan.labs.all(),
        },
    )


@require_POST
@require_roles(PLAN_MANAGERS)
def plan_quota(request: HttpRequest, code: str) -> HttpResponse:
    plan = _plan_for(request, code)
    form = f.QuotaForm(request.POST)
    if form.is_valid():
        try:
            plan_services.quota_set(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, "；".join(" ".join(v) for v in form.errors.values()))
    return redirect("inspections:plan_detail", code=plan.code)


@require_POST
@require_roles(PLAN_MANAGERS)
def plan_draw(request: HttpRequest, code: str) -> HttpResponse:
    plan = _plan_for(request, code)
    form = f.DrawForm(request.POST)
    if form.is_valid():
        try:
            plan_services.draw_run(actor=request.user, plan=plan, seed=form.cleaned_data["seed"])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("抽取完成。"))
    else:
        messages.error(request, "；".join(" ".join(v) for v in form.errors.values()))
    return redirect("inspections:plan_detail", code=plan.code)


@require_roles(INSPECTION_READERS)
def plan_verify(request: HttpRequest, code: str) -> HttpResponse:
    plan = _plan_for(request, code)
    if not hasattr(plan, "draw"):
        raise Http404
    check = plan_services.draw_verify(plan=plan)
    if check.ok:
        messages.success(request, _("复核通过：按记录的输入和种子重新抽取，结果与记录一致。"))
    else:
        messages.error(request, _("复核未通过：重新抽取的结果与记录不一致。"))
    return redirect("inspections:plan_detail", code=plan.code)


# --- import --------------------------------------------------------------------------------

ERROR_DIR_KEY = "inspection_import_errors"


@require_roles(IMPORTERS)
def import_view(request: HttpRequest) -> HttpResponse:
    form = f.ImportForm(request.POST or None, request.FILES or None)
    outcome = None
    token = None
    if request.method == "POST" and form.is_valid():
        outcome, token = import_upload(
            request, form.cleaned_data["file"], samples_import, ERROR_DIR_KEY
        )
        if outcome.ok:
            return redirect("inspections:import")
    return render(
        request, "inspections/import.html", {"form": form, "outcome": outcome, "token": token}
    )


@require_roles(IMPORTERS)
def import_errors(request: HttpRequest, token: str) -> HttpResponse:
    # Only the official who ran the import may download its problem list.
    return problems_response(request, ERROR_DIR_KEY, token)


# --- pass rates and targets ---------------------------------------------------------------


GROUP_LABELS = {
    "producer_district": gettext_lazy("按生产者所在地"),
    "sampling_district": gettext_lazy("按抽样地区"),
    "category": gettext_lazy("按产品类别"),
    "channel": gettext_lazy("按抽样环节"),
}


@require_roles(INSPECTION_READERS)
def pass_rate_view(request: HttpRequest) -> HttpResponse:
    years = tally_years(request.user)
    try:
        year = int(request.GET.get("year") or (years[0] if years else timezone.localdate().year))
    except ValueError:
        year = timezone.localdate().year
    by = request.GET.get("by", "sampling_district")
    if by not in GROUPINGS:
        by = "sampling_district"
    kind = request.GET.get("kind", "")
    kinds = {kind} if kind in ProductCategory.Kind.values else None
    rows = pass_rates(year=year, by=by, user=request.user, kinds=kinds)
    # The total of exactly the rows shown (each batch is in one group), so it always adds up.
    total = RateRow(
        group="",
        label=_("合计"),
        tested=sum(r.tested for r in rows),
        passed=sum(r.passed for r in rows),
    )
    header = [
        _("分组"),
        _("检验批次"),
        _("合格批次"),
        _("合格率（%）"),
        _("95%置信下限"),
        _("95%置信上限"),
    ]
    if request.GET.get("format") == "xlsx":
        data = [
            [r.label, r.tested, r.passed, *[float(x) if x else None for x in r.percent()]]
            for r in [*rows, total]
        ]
        return xlsx_response(f"pass-rates-{year}-{by}.xlsx", _("合格率"), header, data)
    chart = (
        bar_chart(
            [r.label for r in rows],
            [100 * r.rate if r.rate is not None else None for r in rows],
            title=_("%(year)s 年合格率") % {"year": year},
            label_width=220,
        )
        if rows
        else ""
    )
    return render(
        request,
        "inspections/pass_rates.html",
        {
            "years": years or [year],
            "year": year,
            "by": by,
            "groupings": GROUP_LABELS.items(),
            "kind": kind,
            "kinds": ProductCategory.Kind.choices,
            "rows": rows,
            "total": total,
            "chart": chart,
            "header": header,
            "demo_samples": demo_samples_counted(),
        },
    )


@require_roles(INSPECTION_READERS)
def target_view(request: HttpRequest) -> HttpResponse:
    targets = list(Target.objects.select_related("item__plan"))
    rates = target_rates(targets, request.user)
    shown = [(t, rates[t.pk]) for t in targets if t.pk in rates]
    return render(
        request,
        "inspections/targets.html",
        {"shown": shown, "demo_samples": demo_samples_counted()},
    )


# --- referrals and categories ---------------------------------------------------------------


@require_roles(INSPECTION_READERS)
def referral_list(request: HttpRequest) -> HttpResponse:
    qs = Referral.objects.select_related("sample", "to_organisation", "sample__sampling_district")
    if not is_citywide(request.user):
        codes = district_codes_of(request.user)
        qs = qs.filter(Q(to_region__in=codes) | Q(sample__sampling_district_id__in=codes))
    status = request.GET.get("status", "open")
    if status in Referral.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-created_on", "-id"), 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(r, r.reply_due, r.overdue_on(today)) for r in page]
    return render(
        request,
        "inspections/referral_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": Referral.Status.choices,
            "reply_days": Referral.REPLY_DAYS,
        },
    )


@require_roles(INSPECTION_READERS)
def category_list(request: HttpRequest) -> HttpResponse:
    categories = ProductCategory.objects.select_related("parent").order_by("code")
    return render(request, "inspections/categories.html", {"categories": categories})
