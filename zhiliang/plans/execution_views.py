"""Pages for carrying the plan out. Thin: every write is a service in
``services.execution``; every read a selector in ``execution_selectors``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiliang.accounts.access import GOVERNMENT, OFFICE, is_office, require_roles
from zhiliang.lib.numbers import plain_decimal
from zhiliang.lib.planparse import PlanParseError, decode_plan_bytes
from zhiliang.plans import execution_selectors as sel
from zhiliang.plans.deadlines import reminder_mark_read, reminders_for
from zhiliang.plans.execution_forms import (
    AttachmentForm,
    DistrictPlanForm,
    DistrictTaskForm,
    MilestoneForm,
    ReportForm,
    ReviewForm,
    ScheduleForm,
    TaskForm,
)
from zhiliang.plans.models import (
    MeasureSchedule,
    Plan,
    PlanItem,
    ProgressReport,
    ReportAttachment,
    Responsibility,
    Task,
)
from zhiliang.plans.services import execution as ex
from zhiliang.plans.services.publication import responsibility_publish, responsibility_unpublish
from zhiliang.registry.models import Organisation


def home(request: HttpRequest) -> HttpResponse:
    """The public start page; a signed-in user also sees their unread reminders."""
    reminders = reminders_for(request.user)[:20] if request.user.is_authenticated else []
    return render(request, "home.html", {"reminders": reminders})


def _fail(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, str(exc))


@require_roles(GOVERNMENT)
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(PlanItem.objects.select_related("plan"), pk=pk, is_leaf=True)
    schedule = MeasureSchedule.objects.filter(item=item).first()
    office = is_office(request.user)
    initial = (
        {"deadline": schedule.deadline, "reporting_cycle": schedule.reporting_cycle}
        if schedule
        else {}
    )
    context: dict[str, Any] = {
        "item": item,
        "schedule": schedule,
        "milestones": item.milestones.all(),
        "tasks": sel.tasks_visible_to(request.user).filter(item=item),
        "reports": sel.measure_reports(item, request.user),
        "reporters": sel.reporters_for(item, request.user),
        "office": office,
    }
    if office:
        context["schedule_form"] = ScheduleForm(initial=initial)
        context["milestone_form"] = MilestoneForm()
        context["task_form"] = TaskForm(
            owners=Organisation.objects.filter(kind__in=["department", "district"]).order_by(
                "kind", "name"
            )
        )
    return render(request, "plans/measure_detail.html", context)


@require_POST
@require_roles(OFFICE)
def measure_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(PlanItem, pk=pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            ex.schedule_set(item=item, actor=request.user, **form.cleaned_data)
            messages.success(request, _("时限已保存。"))
        except ex.ExecutionError as exc:
            _fail(request, exc)
    else:
        messages.error(request, _("请检查填写的日期和周期。"))
    return redirect("plans:measure_detail", pk=item.pk)


@require_POST
@require_roles(OFFICE)
def measure_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(PlanItem, pk=pk)
    try:
        if "quarterly" in request.POST:
            made = ex.milestones_quarterly(
                item=item,
                start=item.plan.issued_on or item.plan.imported_at.date(),
                actor=request.user,
            )
            messages.success(request, _("已生成 %(n)d 个季度节点。") % {"n": len(made)})
        else:
            form = MilestoneForm(request.POST)
            if form.is_valid():
                ex.milestone_add(item=item, actor=request.user, **form.cleaned_data)
                messages.success(request, _("节点已添加。"))
            else:
                messages.error(request, _("请填写节点日期和要求。"))
    except ex.ExecutionError as exc:
        _fail(request, exc)
    return redirect("plans:measure_detail", pk=item.pk)


@require_POST
@require_roles(OFFICE)
def measure_task(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(PlanItem, pk=pk)
    form = TaskForm(request.POST, owners=Organisation.objects.all())
    if form.is_valid():
        try:
            ex.task_create(item=item, actor=request.user, **form.cleaned_data)
            messages.success(request, _("任务已分解。"))
        except ex.ExecutionError as exc:
            _fail(request, exc)
    else:
        messages.error(request, _("请完整填写任务、责任单位和时限。"))
    return redirect("plans:measure_detail", pk=item.pk)


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _save_report(
    request: HttpRequest,
    form: ReportForm,
    *,
    organisation: Organisation,
    item: PlanItem,
    task: Task | None,
    period: str,
) -> Any:
    """Save a validated report form through the service; None (with a message) if refused."""
    try:
        return ex.report_save(
            organisation=organisation,
            item=item,
            task=task,
            period=period,
            status=form.cleaned_data["status"],
            narrative=form.cleaned_data["narrative"],
            figures=form.figures(),
            actor=request.user,
            # 0 for a new report: if someone created it meanwhile, the service refuses.
            expected_version=form.cleaned_data["version"] or 0,
        )
    except ex.ExecutionError as exc:
        _fail(request, exc)
        return None


def _report_form_context(
    item: PlanItem, organisation: Organisation, task: Task | None, form: ReportForm
) -> dict[str, Any]:
    return {"item": item, "organisation": organisation, "task": task, "form": form}


@require_roles(GOVERNMENT)
def report_new(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(PlanItem, pk=pk, is_leaf=True)
    organisation = get_object_or_404(Organisation, key=request.GET.get("organisation", ""))
    task_id = request.GET.get("task")
    task = get_object_or_404(Task, pk=_int_or_none(task_id), item=item) if task_id else None
    if organisation not in sel.organisations_acted_for(request.user) and not is_office(
        request.user
    ):
        raise PermissionDenied
    form = ReportForm(request.POST or None, targets=item.targets.all())
    if request.method == "POST" and form.is_valid():
        saved = _save_report(
            request,
            form,
            organisation=organisation,
            item=item,
            task=task,
            period=form.cleaned_data["period"],
        )
        if saved is not None:
            messages.success(request, _("进展已保存为草稿，请确认后报送。"))
            return redirect("plans:report_detail", pk=saved.pk)
    return render(
        request, "plans/report_form.html", _report_form_context(item, organisation, task, form)
    )


def _visible_report(request: HttpRequest, pk: int) -> Any:
    report = sel.reports_visible_to(request.user).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


@require_roles(GOVERNMENT)
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    can_edit = report.state in (
        "draft",
        "returned",
    ) and report.organisation in sel.organisations_acted_for(request.user)
    return render(
        request,
        "plans/report_detail.html",
        {
            "report": report,
            "figures": report.figures.select_related("target"),
            "attachments": report.attachments.all(),
            "history": sel.report_history(report),
            "can_edit": can_edit
            or (is_office(request.user) and report.state in ("draft", "returned")),
            "can_review": is_office(request.user) and report.state == "submitted",
            "review_form": ReviewForm(),
            "attachment_form": AttachmentForm(),
        },
    )


@require_roles(GOVERNMENT)
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    initial = {
        "period": report.period,
        "status": report.status,
        "narrative": report.narrative,
        "version": report.version,
    }
    initial |= {f"target_{f.target_id}": plain_decimal(f.value) for f in report.figures.all()}
    form = ReportForm(request.POST or None, initial=initial, targets=report.item.targets.all())
    form.fields["period"].disabled = True  # the period identifies the report
    if request.method == "POST" and form.is_valid():
        # The period identifies the report; it is not edited.
        saved = _save_report(
            request,
            form,
            organisation=report.organisation,
            item=report.item,
            task=report.task,
            period=report.period,
        )
        if saved is not None:
            messages.success(request, _("修改已保存。"))
            return redirect("plans:report_detail", pk=report.pk)
    context = _report_form_context(report.item, report.organisation, report.task, form)
    context["report"] = report
    return render(request, "plans/report_form.html", context)


@require_POST
@require_roles(GOVERNMENT)
def report_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    report = _visible_report(request, pk)
    comment = request.POST.get("comment", "")
    try:
        if action == "submit":
            ex.report_submit(
                report=report,
                actor=request.user,
                expected_version=_int_or_none(request.POST.get("version")) or -1,
            )
            messages.success(request, _("已报送质量办审核。"))
        elif action == "return":
            ex.report_return(report=report, actor=request.user, comment=comment)
            messages.success(request, _("已退回并附审核意见。"))
        elif action == "accept":
            ex.report_accept(report=report, actor=request.user, comment=comment)
            messages.success(request, _("已采纳，报告已锁定。"))
        else:
            raise Http404
    except ex.ExecutionError as exc:
        _fail(request, exc)
    return redirect("plans:report_detail", pk=report.pk)


@require_POST
@require_roles(GOVERNMENT)
def report_attach(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            # Refuse before reading a huge upload into memory; the service checks again.
            ex.attachment_size_check(name=upload.name, size=upload.size)
            ex.report_attach(
                report=report, name=upload.name, data=upload.read(), actor=request.user
            )
            messages.success(request, _("附件已上传。"))
        except ex.ExecutionError as exc:
            _fail(request, exc)
    else:
        messages.error(request, _("请选择要上传的文件。"))
    return redirect("plans:report_detail", pk=report.pk)


@require_roles(GOVERNMENT)
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(ReportAttachment, pk=pk)
    _visible_report(request, attachment.report_id)
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_roles(OFFICE)
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "plans/report_review.html", {"reports": sel.review_queue()})


@require_roles(GOVERNMENT)
def report_list(request: HttpRequest) -> HttpResponse:
    reports = sel.reports_visible_to(request.user).order_by("-period", "item__position")[:500]
    return render(request, "plans/report_list.html", {"reports": reports})


@require_roles(GOVERNMENT)
def district_plan_list(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=pk)
    districts = sel.organisations_acted_for(request.user).filter(kind=Organisation.Kind.DISTRICT)
    if is_office(request.user):
        districts = Organisation.objects.filter(kind=Organisation.Kind.DISTRICT)
    existing = set(plan.district_plans.values_list("district_id", flat=True))
    return render(
        request,
        "plans/district_plan_list.html",
        {
            "plan": plan,
            "district_plans": sel.district_plans_visible_to(request.user)
            .filter(plan=plan)
            .order_by("district__division_id"),
            "can_create": [d for d in districts if d.pk not in existing],
            "form": DistrictPlanForm(),
        },
    )


@require_POST
@require_roles(GOVERNMENT)
def district_plan_new(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=pk)
    district = get_object_or_404(
        Organisation, key=request.POST.get("district", ""), kind=Organisation.Kind.DISTRICT
    )
    form = DistrictPlanForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请填写实施方案名称。"))
        return redirect("plans:district_plan_list", pk=plan.pk)
    upload = form.cleaned_data.get("file")
    title = form.cleaned_data["title"]
    try:
        if upload:
            district_plan, tasks, skipped = ex.district_plan_create_from_document(
                district=district,
                plan=plan,
                title=title,
                actor=request.user,
                source_name=upload.name,
                source_text=decode_plan_bytes(upload.read()),
            )
        else:
            district_plan = ex.district_plan_create(
                district=district, plan=plan, title=title, actor=request.user
            )
    except (ex.ExecutionError, PlanParseError) as exc:
        _fail(request, exc)
        return redirect("plans:district_plan_list", pk=plan.pk)
    messages.success(request, _("实施方案已创建，请逐项分解任务。"))
    if upload:
        messages.info(request, _("已从原文生成 %(n)d 项任务。") % {"n": len(tasks)})
        if skipped:
            messages.warning(
                request, _("以下条目未生成任务：%(items)s") % {"items": "；".join(skipped)}
            )
    return redirect("plans:district_plan_detail", pk=district_plan.pk)


@require_roles(GOVERNMENT)
def district_plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    district_plan = sel.district_plans_visible_to(request.user).filter(pk=pk).first()
    if district_plan is None:
        raise Http404
    owners = Organisation.objects.filter(
        pk=district_plan.district_id
    ) | Organisation.objects.filter(parent=district_plan.district)
    form = DistrictTaskForm(request.POST or None, owners=owners, plan=district_plan.plan)
    can_edit = district_plan.district in sel.organisations_acted_for(request.user) or is_office(
        request.user
    )
    if request.method == "POST" and "unit_name" in request.POST:
        if not can_edit:
            raise PermissionDenied
        try:
            ex.district_unit_create(
                district=district_plan.district, name=request.POST["unit_name"], actor=request.user
            )
            messages.success(request, _("区内单位已添加。"))
        except ex.ExecutionError as exc:
            _fail(request, exc)
        return redirect("plans:district_plan_detail", pk=district_plan.pk)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                ex.task_create(district_plan=district_plan, actor=request.user, **form.cleaned_data)
            except ex.ExecutionError as exc:
                _fail(request, exc)
            else:
                messages.success(request, _("任务已添加。"))
                return redirect("plans:district_plan_detail", pk=district_plan.pk)
    return render(
        request,
        "plans/district_plan_detail.html",
        {
            "district_plan": district_plan,
            "tasks": district_plan.tasks.select_related("item", "owner"),
            "form": form,
            "can_edit": can_edit,
        },
    )


@require_roles(OFFICE)
def publication(request: HttpRequest, pk: int) -> HttpResponse:
    """The office chooses which responsibilities appear on the public 责任清单."""
    plan = get_object_or_404(Plan, pk=pk)
    if request.method == "POST":
        responsibility = get_object_or_404(
            Responsibility, pk=_int_or_none(request.POST.get("responsibility")), item__plan=plan
        )
        try:
            if "unpublish" in request.POST:
                responsibility_unpublish(
                    responsibility=responsibility,
                    actor=request.user,
                    reason=request.POST.get("note", ""),
                )
                messages.success(request, _("已撤回公开。"))
            else:
                responsibility_publish(
                    responsibility=responsibility,
                    status=request.POST.get("status", ""),
                    note=request.POST.get("note", ""),
                    actor=request.user,
                )
                messages.success(request, _("已公开。"))
        except ex.ExecutionError as exc:
            _fail(request, exc)
        return redirect(f"{request.path}#r-{responsibility.pk}")
    rows = (
        Responsibility.objects.filter(item__plan=plan, organisation__isnull=False)
        .select_related("organisation", "item", "publication")
        .order_by("organisation__name", "item__position")
    )
    return render(
        request,
        "plans/publication.html",
        {"plan": plan, "rows": rows, "statuses": ProgressReport.Status.choices},
    )


@require_POST
@require_roles(GOVERNMENT)
def reminder_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Dismiss one of the user's own reminders (others' are not found)."""
    reminder = reminders_for(request.user).filter(pk=pk).first()
    if reminder is None:
        raise Http404
    reminder_mark_read(reminder=reminder)
    return redirect("home")
