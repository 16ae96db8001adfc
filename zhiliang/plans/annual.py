"""The annual summary of a plan (年度执行情况报告): per measure what was done, by
whom, how many obligations are complete, and which targets were met.

The rules, in one place (the page, the workbook and the PDF all read
:func:`annual_summary`, so they cannot disagree):

*The year's reports* are the reports the quality office has **accepted** whose
period lies in the year (``2015-07``, ``2015-Q3`` for 2015). Drafts, submitted and
returned reports do not count; neither do periods of other years, whenever they
were accepted. A December report accepted in January counts for the year it is
about: the annual report is written after the year closes.

*By whom*: the year's reports grouped by the reporting organisation. A unit's
*latest* report is the one with the latest period (a period ends later), then the
one accepted last; its status and narrative stand for the unit's year.

*Completion* reuses :func:`zhiliang.plans.deadlines.obligations` and
:meth:`Obligation.state` (through :func:`zhiliang.plans.dashboards.obligation_states`),
so the report, the dashboards and the reminders count the same obligations. They
are taken *as of* 31 December of the year, or today when that is earlier. An
obligation counts as complete only if its accepted 已完成 report is for a period in
or before the year: a 2016 completion does not make the 2015 report look better.

*Targets*: the best accepted figure of the year, any unit, any period in the year.
For 不低于 (``>=``) targets it is the **maximum**, for 不高于 (``<=``) the
**minimum**, for 等于 (``=``) the figure **nearest** the target (the lower one on
a tie). Targets are mostly cumulative city totals, so figures are never summed
(see :func:`zhiliang.plans.dashboards.target_progress`). The verdict is *met* when
the best figure satisfies the comparator, *missed* when it does not, and *no data*
when the year has no accepted figure.

:func:`annual_summary` runs a fixed number of queries (about a dozen) whatever the
number of measures, reports or figures: best figures are aggregated in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import F, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiliang.lib.periods import period_sort_key
from zhiliang.plans.dashboards import COMPLETE, OVERDUE, obligation_states, short_names
from zhiliang.plans.deadlines import Obligation, obligations
from zhiliang.plans.demo import DEMO, demo_loaded
from zhiliang.plans.models import (
    MeasureSchedule,
    Plan,
    PlanItem,
    ProgressReport,
    Responsibility,
    Target,
)

#: The first year a plan without a 成文日期 may be reported on.
FIRST_YEAR = 2000

MET = "met"
MISSED = "missed"
NO_DATA = "no_data"
VERDICT_LABELS = {MET: _("达成"), MISSED: _("未达成"), NO_DATA: _("无数据")}


# -- Rules as pure functions -------------------------------------------------------------


def report_years(plan: Plan, *, today: dt.date) -> range:
    """The years an annual report can be asked for: from the year the plan was
    issued (or :data:`FIRST_YEAR` when its date is unknown) to the current year.
    A later year has nothing to report yet; an earlier one had no plan."""
    first = plan.issued_on.year if plan.issued_on else FIRST_YEAR
    return range(first, today.year + 1)


def as_of(year: int, today: dt.date) -> dt.date:
    """The day the year's obligations are judged on: 31 December, or today if earlier."""
    return min(dt.date(year, 12, 31), today)


def best_figure(
    comparator: str,
    target: Decimal,
    *,
    highest: Decimal | None,
    lowest: Decimal | None,
    nearest_below: Decimal | None,
    nearest_above: Decimal | None,
) -> Decimal | None:
    """The year's best figure from its aggregates: the highest for ``>=``, the lowest
    for ``<=``, and for ``=`` the nearer of the highest figure not above the target
    and the lowest not below it (the lower one on a tie). ``None`` without figures."""
    if comparator == Target.Comparator.AT_LEAST:
        return highest
    if comparator == Target.Comparator.AT_MOST:
        return lowest
    if comparator == Target.Comparator.EQUAL:
        if nearest_below is None or nearest_above is None:
            return nearest_below if nearest_above is None else nearest_above
        return nearest_below if target - nearest_below <= nearest_above - target else nearest_above
    raise ValueError(f"unknown comparator {comparator!r}")


def verdict(comparator: str, target: Decimal, best: Decimal | None) -> str:
    """:data:`MET` when ``best`` satisfies ``best <comparator> target``, :data:`MISSED`
    when it does not, :data:`NO_DATA` when there is no figure."""
    if best is None:
        return NO_DATA
    if comparator == Target.Comparator.AT_LEAST:
        met = best >= target
    elif comparator == Target.Comparator.AT_MOST:
        met = best <= target
    elif comparator == Target.Comparator.EQUAL:
        met = best == target
    else:
        raise ValueError(f"unknown comparator {comparator!r}")
    return MET if met else MISSED


# -- The summary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLine:
    """One accepted report of the year."""

    period: str
    status: str
    narrative: str
    task_title: str | None

    @property
    def status_label(self) -> str:
        return str(ProgressReport.Status(self.status).label)


@dataclass(frozen=True)
class UnitYear:
    """One organisation's accepted reports on a measure in the year, oldest first."""

    organisation_id: int
    name: str
    reports: list[ReportLine]

    @property
    def latest(self) -> ReportLine:
        return self.reports[-1]

    @property
    def periods(self) -> list[str]:
        return list(dict.fromkeys(r.period for r in self.reports))


@dataclass(frozen=True)
class Completion:
    obligations: int
    complete: int
    overdue: int

    @property
    def share(self) -> float | None:
        """Complete obligations in per cent; ``None`` when the measure creates none."""
        return self.complete / self.obligations * 100 if self.obligations else None


@dataclass(frozen=True)
class TargetYear:
    target: Target
    best: Decimal | None
    verdict: str

    @property
    def verdict_label(self) -> str:
        return str(VERDICT_LABELS[self.verdict])


@dataclass(frozen=True)
class MeasureYear:
    item: PlanItem
    deadline: dt.date | None
    responsible: list[str]
    units: list[UnitYear]
    completion: Completion
    targets: list[TargetYear]

    @property
    def heading(self) -> str:
        return f"{self.item.label}{self.item.title}"


@dataclass(frozen=True)
class AnnualSummary:
    plan: Plan
    year: int
    #: The day obligations are judged on (31 December, or today if earlier).
    as_of: dt.date
    measures: list[MeasureYear]
    #: The system holds demo data, or this plan's reports do: the report must say so.
    contains_demo: bool

    @property
    def title(self) -> str:
        return f"《{self.plan.title}》{self.year}年度执行情况报告"

    @property
    def targets(self) -> list[TargetYear]:
        return [t for m in self.measures for t in m.targets]

    @property
    def completion(self) -> Completion:
        return Completion(
            obligations=sum(m.completion.obligations for m in self.measures),
            complete=sum(m.completion.complete for m in self.measures),
            overdue=sum(m.completion.overdue for m in self.measures),
        )

    @property
    def verdict_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICT_LABELS, 0)
        for t in self.targets:
            counts[t.verdict] += 1
        return counts

    @property
    def reporting_units(self) -> int:
        return len({u.organisation_id for m in self.measures for u in m.units})


def _completed_by_year(plan: Plan, year: int) -> set[tuple[int, int, int | None]]:
    """(organisation, measure, task) with an accepted 已完成 report for a period in or
    before ``year``. One query; rows are bounded by the completions, not all reports."""
    rows = ProgressReport.objects.filter(
        item__plan=plan,
        state=ProgressReport.State.ACCEPTED,
        status=ProgressReport.Status.DONE,
    ).values_list("organisation_id", "item_id", "task_id", "period")
    return {(o, i, t) for o, i, t, period in rows if period_sort_key(period).year <= year}


def _obligations_of_year(plan: Plan, year: int) -> list[Obligation]:
    """The plan's obligations, complete only through a report about ``year`` or earlier."""
    done = _completed_by_year(plan, year)
    out = []
    for ob in obligations(plan.pk):
        key = (ob.organisation.pk, ob.item.pk, ob.task.pk if ob.task else None)
        if ob.complete and key not in done:
            # Completed by a report about a later year: still open at this year's end.
            ob = replace(ob, complete=False)
        out.append(ob)
    return out


def _completion(plan: Plan, year: int, day: dt.date) -> dict[int, Completion]:
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for ob, state in obligation_states(_obligations_of_year(plan, year), day):
        counts = totals[ob.item.pk]
        counts[0] += 1
        counts[1] += state == COMPLETE
        counts[2] += state == OVERDUE
    return {pk: Completion(*counts) for pk, counts in totals.items()}


def _units(plan: Plan, year: int, named: dict[int, list[int]]) -> dict[int, list[UnitYear]]:
    """The year's accepted reports by measure, grouped by organisation: units in the
    order the plan names them (the lead first), then others (task owners) by name."""
    rows = list(
        ProgressReport.objects.filter(
            item__plan=plan,
            state=ProgressReport.State.ACCEPTED,
            period__startswith=f"{year}-",
        )
        .order_by()
        .values_list(
            "item_id",
            "organisation_id",
            "period",
            "reviewed_at",
            "pk",
            "status",
            "narrative",
            "task__title",
        )
    )
    # The latest report last: by the end of its period, then by when it was accepted.
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (period_sort_key(r[2]), r[3] or never, r[4]))
    names = short_names({r[1] for r in rows})
    grouped: dict[int, dict[int, list[ReportLine]]] = defaultdict(dict)
    for item_id, org_id, period, _reviewed, _pk, status, narrative, task_title in rows:
        grouped[item_id].setdefault(org_id, []).append(
            ReportLine(period=period, status=status, narrative=narrative, task_title=task_title)
        )
    out: dict[int, list[UnitYear]] = {}
    for item_id, by_org in grouped.items():
        rank = {org_id: i for i, org_id in reversed(list(enumerate(named.get(item_id, []))))}
        out[item_id] = sorted(
            (UnitYear(org_id, names[org_id], lines) for org_id, lines in by_org.items()),
            key=lambda u: (rank.get(u.organisation_id, len(rank)), u.name),
        )
    return out


def _targets(plan: Plan, year: int) -> dict[int, list[TargetYear]]:
    """Each target of the plan's measures with its best figure and verdict; one query."""
    of_year = Q(
        figures__report__state=ProgressReport.State.ACCEPTED,
        figures__report__period__startswith=f"{year}-",
    )
    targets = (
        Target.objects.filter(item__plan=plan, item__is_leaf=True)
        .select_related("item")
        .annotate(
            highest=Max("figures__value", filter=of_year),
            lowest=Min("figures__value", filter=of_year),
            nearest_below=Max("figures__value", filter=of_year & Q(figures__value__lte=F("value"))),
            nearest_above=Min("figures__value", filter=of_year & Q(figures__value__gte=F("value"))),
        )
        .order_by("item__position", "position")
    )
    out: dict[int, list[TargetYear]] = defaultdict(list)
    for t in targets:
        best = best_figure(
            t.comparator,
            t.value,
            highest=t.highest,
            lowest=t.lowest,
            nearest_below=t.nearest_below,
            nearest_above=t.nearest_above,
        )
        out[t.item_id].append(TargetYear(t, best, verdict(t.comparator, t.value, best)))
    return out


def _responsible(plan: Plan) -> tuple[dict[int, list[str]], dict[int, list[int]]]:
    """Per measure, the units named responsible as the plan writes them, and the
    organisations they resolve to (in the same order; unresolved names have none)."""
    names: dict[int, list[str]] = defaultdict(list)
    organisations: dict[int, list[int]] = defaultdict(list)
    for item_id, name, org_id in (
        Responsibility.objects.filter(item__plan=plan)
        .order_by("item_id", "position")
        .values_list("item_id", "name_as_written", "organisation_id")
    ):
        names[item_id].append(name)
        if org_id is not None:
            organisations[item_id].append(org_id)
    return names, organisations


def _contains_demo(plan: Plan) -> bool:
    # The banner's test (the demo was loaded), or demo-labelled reports on this plan
    # even if the audit entry that marks the load is gone.
    return (
        demo_loaded()
        or ProgressReport.objects.filter(item__plan=plan, narrative__startswith=DEMO).exists()
    )


def annual_summary(plan: Plan, year: int, *, today: dt.date | None = None) -> AnnualSummary:
    """The plan's year: every measure (leaf item) in document order with its
    deadline, the units named responsible (as written in the plan), the year's
    accepted reports by organisation, completion of its obligations as of
    31 December (or ``today`` if earlier), and each target's best figure and
    verdict. The rules are those of the module docstring."""
    day = as_of(year, today or timezone.localdate())
    items: Iterable[PlanItem] = (
        PlanItem.objects.filter(plan=plan, is_leaf=True)
        .select_related("schedule")
        .order_by("position")
    )
    responsible, named = _responsible(plan)
    completion = _completion(plan, year, day)
    units = _units(plan, year, named)
    targets = _targets(plan, year)
    none = Completion(0, 0, 0)
    measures = [
        MeasureYear(
            item=item,
            deadline=_deadline(item),
            responsible=responsible.get(item.pk, []),
            units=units.get(item.pk, []),
            completion=completion.get(item.pk, none),
            targets=targets.get(item.pk, []),
        )
        for item in items
    ]
    return AnnualSummary(
        plan=plan,
        year=year,
        as_of=day,
        measures=measures,
        contains_demo=_contains_demo(plan),
    )


def _deadline(item: PlanItem) -> dt.date | None:
    try:
        return item.schedule.deadline  # read with the item (select_related)
    except MeasureSchedule.DoesNotExist:  # no deadline set yet
        return None
