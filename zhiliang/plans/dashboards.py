"""Dashboard figures for one plan (issue 3): completion by measure, by unit and by
district, the overdue list, and each target's progress with its trend.

Every selector runs a fixed handful of queries whatever the number of reports:
figures are aggregated in SQL (``values().annotate()``, a correlated subquery for
"latest"), and what is counted in Python is bounded by the number of obligations,
tasks or targets, never by the number of reports. Organisation names are read in
one query (:func:`short_names`) because ``str(organisation)`` queries its aliases.

Completion of measures and units reuses :func:`zhiliang.plans.deadlines.obligations`
and :meth:`Obligation.state`, so the dashboard and the reminders can never disagree
about what is overdue.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, OuterRef, Subquery

from zhiliang.lib.periods import period_sort_key
from zhiliang.lib.workdays import CalendarUnavailable, library_has, workdays_between
from zhiliang.plans.deadlines import Obligation, obligations
from zhiliang.plans.models import (
    DistrictPlan,
    Plan,
    PlanItem,
    ProgressReport,
    ReportFigure,
    Target,
    Task,
)
from zhiliang.registry.models import Organisation, OrganisationAlias

COMPLETE = "complete"
OVERDUE = "overdue"
OPEN = "open"


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent, or ``None`` when there is nothing to count."""
    return part / whole * 100 if whole else None


def short_names(organisation_ids: Iterable[int]) -> dict[int, str]:
    """The short name (first alias) of each organisation, else its full name; two queries."""
    ids = set(organisation_ids)
    names = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))
    seen: set[int] = set()
    for org_id, alias in (
        OrganisationAlias.objects.filter(organisation_id__in=ids)
        .order_by("organisation_id", "position", "pk")
        .values_list("organisation_id", "alias")
    ):
        if org_id not in seen:
            seen.add(org_id)
            names[org_id] = alias
    return names


# -- Completion by measure and by unit -------------------------------------------------


@dataclass(frozen=True)
class MeasureCompletion:
    item: PlanItem
    obligations: int
    complete: int
    overdue: int

    @property
    def share(self) -> float | None:
        return share(self.complete, self.obligations)


@dataclass(frozen=True)
class UnitCompletion:
    organisation_id: int
    key: str
    name: str
    obligations: int
    complete: int
    overdue: int

    @property
    def share(self) -> float | None:
        return share(self.complete, self.obligations)


#: An obligation with its :meth:`Obligation.state` on the dashboard's day.
ObligationState = tuple[Obligation, str]


def obligation_states(obs: Iterable[Obligation], today: dt.date) -> list[ObligationState]:
    """Each obligation with ``ob.state(today)``.

    ``state`` depends only on the obligation's ``complete`` and ``deadline`` (and
    ``today``), and for an open obligation it walks the holiday calendar; so it is
    called once per distinct (complete, deadline) and the answer shared, which
    keeps a page with thousands of obligations from re-walking the same days.
    """
    by_key: dict[tuple[bool, dt.date], str] = {}
    out: list[ObligationState] = []
    for ob in obs:
        key = (ob.complete, ob.deadline)
        if key not in by_key:
            try:
                by_key[key] = ob.state(today)
            except CalendarUnavailable:
                # Only "due soon" looks ahead in the calendar, after complete and
                # overdue are settled; at the end of a year whose successor's
                # holidays are not published yet, the dashboards (which count
                # complete and overdue) stay up and call the obligation open.
                by_key[key] = OPEN
        out.append((ob, by_key[key]))
    return out


def _states_of(
    plan: Plan, today: dt.date, states: Sequence[ObligationState] | None
) -> Sequence[ObligationState]:
    return obligation_states(obligations(plan.pk), today) if states is None else states


def completion_by_measure(
    plan: Plan, *, today: dt.date, states: Sequence[ObligationState] | None = None
) -> list[MeasureCompletion]:
    """Every measure (leaf item) of the plan in document order, with how many
    obligations it creates (named units and task owners), how many are complete and
    how many overdue on ``today``. A measure without a schedule creates none: its
    share is ``None`` ("—"), not 0 %, since nothing is due yet.

    ``states`` (from :func:`obligation_states`) lets a page that shows several
    tables read the obligations once.
    """
    counts: Counter[tuple[int, str]] = Counter()
    totals: Counter[int] = Counter()
    for ob, state in _states_of(plan, today, states):
        totals[ob.item.pk] += 1
        counts[ob.item.pk, state] += 1
    return [
        MeasureCompletion(
            item=item,
            obligations=totals[item.pk],
            complete=counts[item.pk, COMPLETE],
            overdue=counts[item.pk, OVERDUE],
        )
        for item in PlanItem.objects.filter(plan=plan, is_leaf=True).order_by("position")
    ]


def completion_by_unit(
    plan: Plan, *, today: dt.date, states: Sequence[ObligationState] | None = None
) -> list[UnitCompletion]:
    """Each organisation that owes something under the plan, worst first: lowest
    share complete, then most overdue, then by name."""
    counts: Counter[tuple[int, str]] = Counter()
    totals: Counter[int] = Counter()
    keys: dict[int, str] = {}
    for ob, state in _states_of(plan, today, states):
        org_id = ob.organisation.pk
        keys[org_id] = ob.organisation.key
        totals[org_id] += 1
        counts[org_id, state] += 1
    names = short_names(keys)
    rows = [
        UnitCompletion(
            organisation_id=org_id,
            key=key,
            name=names[org_id],
            obligations=totals[org_id],
            complete=counts[org_id, COMPLETE],
            overdue=counts[org_id, OVERDUE],
        )
        for org_id, key in keys.items()
    ]
    rows.sort(key=lambda r: (r.share if r.share is not None else 0.0, -r.overdue, r.name))
    return rows


# -- The overdue list ------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueObligation:
    organisation_id: int
    key: str
    name: str
    item: PlanItem
    task: Task | None
    deadline: dt.date
    #: Working days after the deadline up to today; ``None`` when the holiday
    #: calendar does not cover the span (never guessed, see zhiliang.lib.workdays).
    workdays_overdue: int | None


#: Working days between two dates the holiday library covers never change; those
#: segments between fixed deadlines are reused on every later request, and only the
#: last one (latest deadline → today) is new each day. A segment reaching a year the
#: office entered (zhiliang.registry.calendar) is counted afresh: the office may correct it.
_library_segment = functools.lru_cache(maxsize=4096)(workdays_between)


def _workdays_segment(start: dt.date, end: dt.date) -> int:
    if library_has(max(start, end).year):
        return _library_segment(start, end)
    return workdays_between(start, end)


def workdays_overdue(deadlines: Collection[dt.date], today: dt.date) -> dict[dt.date, int | None]:
    """Working days from each deadline to ``today``, walking the calendar once.

    ``workdays_between`` is additive (a→c = a→b + b→c), so the distinct deadlines
    are chained from the latest back to the earliest: the cost is the span from
    the earliest deadline to today, not that span times the number of obligations.
    """
    out: dict[dt.date, int | None] = {}
    running: int | None = 0
    later = today
    for deadline in sorted(set(deadlines), reverse=True):
        if running is not None:
            try:
                running += _workdays_segment(deadline, later)
            except CalendarUnavailable:
                running = None
        out[deadline] = running
        later = deadline
    return out


def overdue_list(
    plan: Plan, *, today: dt.date, states: Sequence[ObligationState] | None = None
) -> list[OverdueObligation]:
    """Obligations past their deadline and not complete, longest overdue first."""
    late = [ob for ob, state in _states_of(plan, today, states) if state == OVERDUE]
    days = workdays_overdue({ob.deadline for ob in late}, today)
    names = short_names(ob.organisation.pk for ob in late)
    rows = [
        OverdueObligation(
            organisation_id=ob.organisation.pk,
            key=ob.organisation.key,
            name=names[ob.organisation.pk],
            item=ob.item,
            task=ob.task,
            deadline=ob.deadline,
            workdays_overdue=days[ob.deadline],
        )
        for ob in late
    ]
    rows.sort(key=lambda r: (r.deadline, r.item.position, r.name, r.task.pk if r.task else 0))
    return rows


# -- Completion by district ------------------------------------------------------------


@dataclass(frozen=True)
class DistrictCompletion:
    organisation_id: int
    division_code: str
    name: str
    has_plan: bool
    tasks: int
    #: Tasks by the status of their latest accepted report; ``unreported`` have none.
    done: int
    in_progress: int
    late: int
    not_started: int
    unreported: int

    @property
    def share(self) -> float:
        """Tasks done, in per cent. A district without a 实施方案 (or with no tasks
        in it) counts as 0 %: it owes the plan its own implementation."""
        return self.done / self.tasks * 100 if self.tasks else 0.0


def completion_by_district(
    plan: Plan, *, division_codes: Collection[str] | None = None
) -> list[DistrictCompletion]:
    """Every district government (or those of ``division_codes``, for a district
    officer), in division-code order, with its 实施方案's tasks counted by the status
    of each task's latest accepted report (latest by period).

    Periods compare as text, which orders ``2015-07`` < ``2015-12`` < ``2016-01`` and
    ``2015-Q3`` < ``2016-Q1``; a measure reports on one cycle, so a task's reports
    never mix the two forms.
    """
    districts = Organisation.objects.filter(kind=Organisation.Kind.DISTRICT)
    if division_codes is not None:
        districts = districts.filter(division_id__in=list(division_codes))
    district_rows = list(districts.order_by("division_id", "pk").values_list("pk", "division_id"))
    ids = [pk for pk, _ in district_rows]
    names = short_names(ids)
    with_plan = set(
        DistrictPlan.objects.filter(plan=plan, district_id__in=ids).values_list(
            "district_id", flat=True
        )
    )
    latest_status = (
        ProgressReport.objects.filter(task=OuterRef("pk"), state=ProgressReport.State.ACCEPTED)
        .order_by("-period", "-pk")
        .values("status")[:1]
    )
    statuses: Counter[tuple[int, str | None]] = Counter()
    tasks: Counter[int] = Counter()
    for district_id, status in (
        Task.objects.filter(district_plan__plan=plan, district_plan__district_id__in=ids)
        .annotate(latest_status=Subquery(latest_status))
        .order_by()
        .values_list("district_plan__district_id", "latest_status")
    ):
        tasks[district_id] += 1
        statuses[district_id, status] += 1
    S = ProgressReport.Status
    return [
        DistrictCompletion(
            organisation_id=pk,
            division_code=code or "",
            name=names[pk],
            has_plan=pk in with_plan,
            tasks=tasks[pk],
            done=statuses[pk, S.DONE],
            in_progress=statuses[pk, S.IN_PROGRESS],
            late=statuses[pk, S.LATE],
            not_started=statuses[pk, S.NOT_STARTED],
            unreported=statuses[pk, None],
        )
        for pk, code in district_rows
    ]


# -- Targets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    #: (period, figure) in period order, one point per period with an accepted figure.
    trend: list[tuple[str, Decimal]]

    @property
    def latest_period(self) -> str | None:
        return self.trend[-1][0] if self.trend else None

    @property
    def latest(self) -> Decimal | None:
        return self.trend[-1][1] if self.trend else None

    @property
    def share(self) -> float | None:
        """How much of the target the latest figure reaches, in per cent.

        For 不低于 / 等于 targets it is figure ÷ target (above 100 when exceeded). For
        不高于 targets (a ceiling) it is 100 while the figure is within the ceiling,
        else ceiling ÷ figure. ``None`` without a figure or with a zero target.
        """
        latest, target = self.latest, self.target.value
        if latest is None:
            return None
        if self.target.comparator == Target.Comparator.AT_MOST:
            if latest <= target:
                return 100.0
            return float(target / latest * 100)
        if target == 0:
            return None
        return float(latest / target * 100)

    @property
    def met(self) -> bool | None:
        latest, target = self.latest, self.target.value
        if latest is None:
            return None
        if self.target.comparator == Target.Comparator.AT_MOST:
            return latest <= target
        if self.target.comparator == Target.Comparator.EQUAL:
            return latest == target
        return latest >= target


def target_progress(plan: Plan) -> list[TargetProgress]:
    """Each quantified target of the plan, in document order, with its trend.

    The figure for a period is the **maximum** accepted figure any unit reported
    for that period, not the sum over units. Targets such as 新增技师5000人 are
    cumulative city totals reported by the lead unit; other responsible units that
    report the same target repeat the city total or report their own smaller part,
    so summing would double count while the maximum is the city total. Draft,
    submitted and returned reports do not count until the quality office accepts
    them. Two queries.
    """
    targets = list(
        Target.objects.filter(item__plan=plan)
        .select_related("item")
        .order_by("item__position", "position")
    )
    trends: dict[int, list[tuple[str, Decimal]]] = {t.pk: [] for t in targets}
    for target_id, period, value in (
        ReportFigure.objects.filter(
            target__item__plan=plan, report__state=ProgressReport.State.ACCEPTED
        )
        .values("target_id", "report__period")
        .annotate(value=Max("value"))
        .order_by()
        .values_list("target_id", "report__period", "value")
    ):
        trends[target_id].append((period, value))
    for trend in trends.values():
        trend.sort(key=lambda point: (period_sort_key(point[0]), point[0]))
    return [TargetProgress(target=t, trend=trends[t.pk]) for t in targets]
