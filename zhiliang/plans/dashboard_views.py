"""Dashboard pages (issue 3). Each table is built once as a :class:`Table`; the page
renders it and ``?format=xlsx&table=<key>`` exports the very same rows, so what an
officer downloads is exactly what they saw. An export builds only its own table."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from zhiliang.accounts.access import (
    CITYWIDE_READERS,
    GOVERNMENT,
    district_codes_of,
    has_role,
    require_roles,
)
from zhiliang.exports import xlsx_response
from zhiliang.lib.numbers import cell_number
from zhiliang.lib.svgcharts import bar_chart, line_chart
from zhiliang.plans.dashboards import (
    MeasureCompletion,
    UnitCompletion,
    completion_by_district,
    completion_by_measure,
    completion_by_unit,
    obligation_states,
    overdue_list,
    target_progress,
)
from zhiliang.plans.deadlines import obligations
from zhiliang.plans.models import Plan, PlanItem, ProgressReport

MISSING = "—"


def today() -> dt.date:
    """The dashboard's reference date (a function so tests can pin it)."""
    return timezone.localdate()


@dataclass(frozen=True, slots=True)
class Link:
    """A table cell shown as a link; exported as its text."""

    text: str
    href: str

    def __str__(self) -> str:
        return self.text


def _shown(value: Any) -> str:
    # Numbers reach a table already rounded (percentages to 0.1) or exact (figures).
    return MISSING if value is None else str(value)


def _html_cell(cell: Any) -> str:
    if isinstance(cell, Link):
        return f'<td><a href="{escape(cell.href)}">{escape(cell.text)}</a></td>'
    return f"<td>{escape(_shown(cell))}</td>"


@dataclass
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def export_rows(self) -> list[list[Any]]:
        """Cells as written to the workbook: numbers stay numbers, a missing figure
        is an empty cell."""
        return [[c.text if isinstance(c, Link) else c for c in row] for row in self.rows]

    def html_rows(self) -> list[SafeString]:
        """Each row's ``<td>`` cells, every text and link escaped. Built here rather
        than cell by cell in the template: a 700-row overdue list renders ~10× faster."""
        return [mark_safe("".join(_html_cell(c) for c in row)) for row in self.rows]  # noqa: S308


def _export_key(request: HttpRequest, keys: Sequence[str]) -> str | None:
    """The table asked for with ``?format=xlsx`` (``table=<key>``, default the first),
    or ``None`` for the page; an unknown table is a 404."""
    if request.GET.get("format") != "xlsx":
        return None
    key = request.GET.get("table", keys[0])
    if key not in keys:
        raise Http404
    return key


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# reverse() costs ~50 µs; a 700-row table names the same few plans and units.
@functools.lru_cache(maxsize=1024)
def _plan_url(plan_id: int) -> str:
    return reverse("plans:plan_detail", args=[plan_id])


@functools.lru_cache(maxsize=4096)
def _unit_url(key: str) -> str:
    return reverse("plans:unit_measures", args=[key])


def _item_link(item: PlanItem, *, with_label: bool = True) -> Link:
    href = f"{_plan_url(item.plan_id)}#item-{item.pk}"
    return Link(f"{item.label}{item.title}" if with_label else item.title, href)


def _unit_link(key: str, name: str) -> Link:
    return Link(name, _unit_url(key))


def _respond(
    request: HttpRequest,
    plan: Plan,
    template: str,
    tables: list[Table],
    export: str | None,
    charts: Callable[[], dict[str, Any]],
) -> HttpResponse:
    """The page, or the one table being exported as a workbook."""
    if export is not None:
        (table,) = (t for t in tables if t.key == export)
        return xlsx_response(
            f"{table.title}-{plan.doc_number or plan.pk}.xlsx",
            table.title,
            table.header,
            table.export_rows(),
        )
    context = {"plan": plan, "tables": {t.key: t for t in tables}, "today": today()}
    return render(request, template, {**context, **charts()})


def _svg(svg: str) -> SafeString:
    # Safe: zhiliang.lib.svgcharts escapes every piece of text it is given.
    return mark_safe(svg)  # noqa: S308


def _visible_division_codes(user: Any) -> frozenset[str] | None:
    """``None`` (every district) for citywide readers; a district officer's own otherwise."""
    if has_role(user, CITYWIDE_READERS):
        return None
    return district_codes_of(user)


# The main dashboard lists every unit's and district's completion and overdue items;
# a district officer's window onto other districts is the district page, which shows
# them only their own district (non-public data stays within the district).
@require_roles(CITYWIDE_READERS)
def dashboard(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Completion by measure and by unit, and the overdue list."""
    plan = get_object_or_404(Plan, pk=plan_id)
    export = _export_key(request, ["measures", "units", "overdue"])
    day = today()
    states = obligation_states(obligations(plan.pk), day)
    counts = [_("事项数"), _("已完成"), _("已逾期"), _("完成率（%）")]
    tables: list[Table] = []
    measures: list[MeasureCompletion] = []
    units: list[UnitCompletion] = []
    if export in (None, "measures"):
        measures = completion_by_measure(plan, today=day, states=states)
        tables.append(
            Table(
                "measures",
                _("按措施完成情况"),
                [_("编号"), _("措施"), *counts],
                [
                    [
                        m.item.label,
                        _item_link(m.item, with_label=False),
                        m.obligations,
                        m.complete,
                        m.overdue,
                        _percent(m.share),
                    ]
                    for m in measures
                ],
            )
        )
    if export in (None, "units"):
        units = completion_by_unit(plan, today=day, states=states)
        tables.append(
            Table(
                "units",
                _("按责任单位完成情况"),
                [_("责任单位"), *counts],
                [
                    [
                        _unit_link(u.key, u.name),
                        u.obligations,
                        u.complete,
                        u.overdue,
                        _percent(u.share),
                    ]
                    for u in units
                ],
            )
        )
    if export in (None, "overdue"):
        tables.append(
            Table(
                "overdue",
                _("逾期事项"),
                [_("责任单位"), _("措施"), _("任务"), _("完成时限"), _("逾期工作日")],
                [
                    [
                        _unit_link(o.key, o.name),
                        _item_link(o.item),
                        o.task.title if o.task else None,
                        o.deadline.isoformat(),
                        o.workdays_overdue,
                    ]
                    for o in overdue_list(plan, today=day, states=states)
                ],
            )
        )

    def charts() -> dict[str, Any]:
        return {
            "measure_chart": _svg(
                bar_chart(
                    [f"{m.item.label}{m.item.title}" for m in measures],
                    [m.share for m in measures],
                    title=_("按措施完成率"),
                    width=760,
                    label_width=260,
                )
            ),
            "unit_chart": _svg(
                bar_chart(
                    [u.name for u in units],
                    [u.share for u in units],
                    title=_("按责任单位完成率"),
                    width=760,
                    label_width=260,
                )
            ),
        }

    return _respond(request, plan, "plans/dashboard.html", tables, export, charts)


@require_roles(GOVERNMENT)
def dashboard_districts(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Each district's 实施方案 tasks by the status of their latest accepted report."""
    plan = get_object_or_404(Plan, pk=plan_id)
    export = _export_key(request, ["districts"])
    districts = completion_by_district(plan, division_codes=_visible_division_codes(request.user))
    S = ProgressReport.Status
    tables = [
        Table(
            "districts",
            _("区县完成情况"),
            [
                _("区县"),
                _("实施方案"),
                _("任务数"),
                str(S.DONE.label),
                str(S.IN_PROGRESS.label),
                str(S.LATE.label),
                str(S.NOT_STARTED.label),
                _("无已采纳报告"),
                _("完成率（%）"),
            ],
            [
                [
                    d.name,
                    _("已制定") if d.has_plan else _("未制定"),
                    d.tasks,
                    d.done,
                    d.in_progress,
                    d.late,
                    d.not_started,
                    d.unreported,
                    _percent(d.share),
                ]
                for d in districts
            ],
        )
    ]

    def charts() -> dict[str, Any]:
        return {
            "district_chart": _svg(
                bar_chart(
                    [d.name for d in districts],
                    [d.share for d in districts],
                    title=_("区县任务完成率"),
                    width=760,
                    label_width=140,
                )
            )
        }

    return _respond(request, plan, "plans/dashboard_districts.html", tables, export, charts)


# Figures come from every unit's accepted reports, districts included: citywide readers only.
@require_roles(CITYWIDE_READERS)
def dashboard_targets(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Each quantified target: latest accepted figure, share reached, trend."""
    plan = get_object_or_404(Plan, pk=plan_id)
    export = _export_key(request, ["targets", "trends"])
    progress = target_progress(plan)
    yes, no = _("是"), _("否")
    tables = [
        Table(
            "targets",
            _("目标进展"),
            [
                _("编号"),
                _("目标原文"),
                _("比较"),
                _("目标值"),
                _("计量单位"),
                _("最新报告期"),
                _("最新完成值"),
                _("完成度（%）"),
                _("是否达标"),
            ],
            [
                [
                    p.target.item.label,
                    Link(p.target.text, f"#target-{p.target.pk}"),
                    p.target.get_comparator_display(),
                    cell_number(p.target.value),
                    p.target.unit,
                    p.latest_period,
                    cell_number(p.latest),
                    _percent(p.share),
                    None if p.met is None else (yes if p.met else no),
                ]
                for p in progress
            ],
        ),
        Table(
            "trends",
            _("目标各期完成值"),
            [_("编号"), _("目标原文"), _("报告期"), _("完成值")],
            [
                [p.target.item.label, p.target.text, period, cell_number(value)]
                for p in progress
                for period, value in p.trend
            ],
        ),
    ]

    def charts() -> dict[str, Any]:
        return {
            "share_chart": _svg(
                bar_chart(
                    [f"{p.target.item.label}{p.target.text}" for p in progress],
                    [p.share for p in progress],
                    title=_("目标完成度"),
                    width=760,
                    label_width=300,
                    target=100,
                    target_label=_("目标"),
                )
            ),
            "trends": [
                (
                    p,
                    _svg(
                        line_chart(
                            [period for period, _value in p.trend],
                            [float(value) for _period, value in p.trend],
                            title=p.target.text,
                            target=float(p.target.value),
                            target_label=_("目标"),
                            unit=p.target.unit,
                            width=760,
                            height=240,
                        )
                    ),
                )
                for p in progress
            ],
        }

    return _respond(request, plan, "plans/dashboard_targets.html", tables, export, charts)
