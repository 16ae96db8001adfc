"""The annual summary of a plan: a printable page, its workbook (``?format=xlsx``)
and an A4 PDF report. All three render one :func:`annual_summary`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from weasyprint import HTML

from zhiliang.accounts.access import CITYWIDE_READERS, require_roles
from zhiliang.exports import download_response
from zhiliang.lib.numbers import cell_number, chinese_date
from zhiliang.lib.xlsx import XLSX_MIME
from zhiliang.lib.xlsxbook import Sheet, xlsx_book_bytes
from zhiliang.plans.annual import (
    AnnualSummary,
    MeasureYear,
    TargetYear,
    annual_summary,
    report_years,
)
from zhiliang.plans.models import Plan
from zhiliang.plans.services.notices import notice_issuer
from zhiliang.registry.models import Organisation

MISSING = "—"


def today() -> dt.date:
    """The report's reference date (a function so tests can pin it)."""
    return timezone.localdate()


def _plan_and_year(plan_id: int, year: int) -> tuple[Plan, range]:
    plan = get_object_or_404(Plan, pk=plan_id)
    years = report_years(plan, today=today())
    if year not in years:  # 1800, or a year that has not begun: nothing to report
        raise Http404
    return plan, years


def _number_text(value: Decimal | None) -> str:
    number = cell_number(value)
    return MISSING if number is None else str(number)


def _target_rows(summary: AnnualSummary) -> list[tuple[TargetYear, str, str]]:
    return [(t, _number_text(t.target.value), _number_text(t.best)) for t in summary.targets]


def completion_text(measure: MeasureYear) -> str:
    c = measure.completion
    if not c.obligations:
        return _("未设时限") if measure.deadline is None else _("无具体责任事项")
    assert c.share is not None
    text = _("完成 %(complete)d/%(total)d（%(share).1f%%）") % {
        "complete": c.complete,
        "total": c.obligations,
        "share": c.share,
    }
    if c.overdue:
        text += _("，逾期 %(overdue)d 项") % {"overdue": c.overdue}
    return text


def progress_text(measure: MeasureYear) -> str:
    """Each reporting unit's latest status and narrative, one unit a line."""
    return "\n".join(
        _("%(unit)s（%(period)s，%(status)s）：%(narrative)s")
        % {
            "unit": u.name,
            "period": u.latest.period,
            "status": u.latest.status_label,
            "narrative": u.latest.narrative,
        }
        for u in measure.units
    )


def annual_workbook(summary: AnnualSummary) -> bytes:
    """Sheet 措施: one row per measure; sheet 目标: one row per target."""
    measures = Sheet(
        _("措施"),
        [_("编号"), _("措施"), _("时限"), _("责任单位"), _("完成情况"), _("主要进展")],
        [
            [
                m.item.label,
                m.item.title,
                m.deadline,
                "、".join(m.responsible),
                completion_text(m),
                progress_text(m) or None,
            ]
            for m in summary.measures
        ],
        widths=[8, 30, 12, 30, 22, 80],
    )
    targets = Sheet(
        _("目标"),
        [_("措施"), _("目标原文"), _("目标值"), _("单位"), _("年度最好值"), _("结论")],
        [
            [
                f"{t.target.item.label}{t.target.item.title}",
                t.target.text,
                cell_number(t.target.value),
                t.target.unit,
                cell_number(t.best),
                t.verdict_label,
            ]
            for t in summary.targets
        ],
        widths=[30, 50, 10, 8, 12, 10],
    )
    return xlsx_book_bytes([measures, targets])


def _filename(summary: AnnualSummary, extension: str) -> str:
    plan = summary.plan
    return f"{plan.doc_number or plan.pk}-{summary.year}年度执行情况报告.{extension}"


@require_roles(CITYWIDE_READERS)
def annual(request: HttpRequest, plan_id: int, year: int) -> HttpResponse:
    """The year's summary as a printable page, or ``?format=xlsx`` as a workbook."""
    plan, years = _plan_and_year(plan_id, year)
    export = request.GET.get("format")
    if export not in (None, "", "xlsx"):
        raise Http404
    summary = annual_summary(plan, year, today=today())
    if export == "xlsx":
        return download_response(
            annual_workbook(summary), XLSX_MIME, _filename(summary, "xlsx"), inline=False
        )
    return render(
        request,
        "plans/annual.html",
        {
            "summary": summary,
            "plan": plan,
            "years": years,
            "rows": [(m, completion_text(m)) for m in summary.measures],
            "targets": _target_rows(summary),
        },
    )


def _issuer() -> Organisation | None:
    """The quality office, named on the cover as the 督办通知 name it."""
    try:
        return notice_issuer()
    except Organisation.DoesNotExist:  # a registry without it: a cover without masthead
        return None


def annual_pdf_bytes(summary: AnnualSummary, *, generated_on: dt.date) -> bytes:
    """The summary as an A4 report: a cover with the title and the generation date,
    an overview, a table per measure and the target table."""
    # Like a 公文, the report is issued in Chinese whatever the reader's language.
    share = summary.completion.share
    with translation.override("zh-hans"):
        context: dict[str, Any] = {
            "summary": summary,
            "plan": summary.plan,
            "issuer": _issuer(),
            "generated_on": chinese_date(generated_on),
            "generated_iso": generated_on.isoformat(),
            "completion_share": "" if share is None else f"{share:.1f}%",
            "as_of": chinese_date(summary.as_of),
            "measures": [
                (m, completion_text(m), m.deadline and chinese_date(m.deadline))
                for m in summary.measures
            ],
            "targets": _target_rows(summary),
        }
        html = render_to_string("plans/pdf/annual.html", context)
    return HTML(string=html).write_pdf()


@require_roles(CITYWIDE_READERS)
def annual_pdf(request: HttpRequest, plan_id: int, year: int) -> HttpResponse:
    plan, _years = _plan_and_year(plan_id, year)
    day = today()
    summary = annual_summary(plan, year, today=day)
    return download_response(
        annual_pdf_bytes(summary, generated_on=day),
        "application/pdf",
        _filename(summary, "pdf"),
        inline=True,
    )
