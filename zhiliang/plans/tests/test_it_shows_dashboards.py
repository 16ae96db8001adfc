"""Dashboards on a small hand-made plan execution, figures worked out by hand.

The day is 2015-10-12 (a Monday). Measure （二） (four units named) is due
2015-09-30, just before the National Day holiday (Oct 1–7; Oct 10 is a make-up
workday); measure （十一） (four units) is due 2015-12-31. 渝中区's 实施方案 has three
tasks: A and B under （二） (due 09-30 and 09-25), C under （十一）.

Accepted 已完成 reports: 市质监局 on （二）, task A. So on 2015-10-12:

==========  ===========  ========  =======  =============================
measure     obligations  complete  overdue  share
（二）        4 units + A, B = 6   2   rsj, jw, jxw, B = 4  2 / 6 = 33.3 %
（十一）      4 units + C = 5      0   0                    0 %
others      0            0         0        — (no schedule, nothing due)
==========  ===========  ========  =======  =============================

Working days overdue: from 09-30, Oct 8, 9, 10, 12 = 4; from 09-25 (task B), also
Sep 28, 29, 30 = 7.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from zhiliang.plans import dashboard_views
from zhiliang.plans.dashboards import (
    TargetProgress,
    completion_by_district,
    completion_by_measure,
    completion_by_unit,
    obligation_states,
    overdue_list,
    target_progress,
    workdays_overdue,
)
from zhiliang.plans.deadlines import obligations
from zhiliang.plans.models import DistrictPlan, PlanItem, ProgressReport, Target, Task
from zhiliang.plans.services import execution as ex
from zhiliang.registry.models import Organisation

D = dt.date
TODAY = D(2015, 10, 12)


def org(key: str) -> Organisation:
    return Organisation.objects.get(key=key)


class Execution:
    """The hand-made data of the module docstring, with a helper to add reports."""

    def __init__(self, plan, office):
        self.plan = plan
        self.office = office
        self.two = PlanItem.objects.get(plan=plan, label="（二）")
        self.eleven = PlanItem.objects.get(plan=plan, label="（十一）")
        self.skills_target = self.two.targets.get()  # 新增…技师5000人
        for item, deadline in ((self.two, D(2015, 9, 30)), (self.eleven, D(2015, 12, 31))):
            ex.schedule_set(item=item, deadline=deadline, reporting_cycle="monthly", actor=office)
        yuzhong = org("district-500103")
        self.district_plan = ex.district_plan_create(
            district=yuzhong, plan=plan, title="渝中区实施方案", actor=office
        )
        self.task_a, self.task_b, self.task_c = (
            ex.task_create(
                item=item,
                title=title,
                owner=yuzhong,
                deadline=deadline,
                actor=office,
                district_plan=self.district_plan,
            )
            for item, title, deadline in (
                (self.two, "任务A：技能培训", D(2015, 9, 30)),
                (self.two, "任务B：技师评价", D(2015, 9, 25)),
                (self.eleven, "任务C：锅炉改造", D(2015, 12, 31)),
            )
        )

    def report(self, key, item, period, status, *, task=None, state="accepted", figure=None):
        report = ex.report_save(
            organisation=org(key),
            item=item,
            task=task,
            period=period,
            status=status,
            narrative="进展",
            figures={self.skills_target.pk: figure} if figure is not None else None,
            actor=self.office,
        )
        if state in ("submitted", "accepted"):
            report = ex.report_submit(report=report, actor=self.office)
        if state == "accepted":
            report = ex.report_accept(report=report, actor=self.office)
        return report


@pytest.fixture
def execution(seed_plan, users):
    e = Execution(seed_plan, users["office"])
    two = e.two
    e.report("cq-rsj", two, "2015-08", "in_progress", figure="1200")
    e.report("cq-zjj", two, "2015-08", "in_progress", figure="300")
    e.report("cq-rsj", two, "2015-09", "in_progress", figure="2600")
    e.report("cq-zjj", two, "2015-09", "done", figure="500")
    # Not accepted, so neither complete nor counted in the trend.
    e.report("cq-jw", two, "2015-09", "done", state="submitted", figure="9999")
    e.report("district-500103", two, "2015-09", "done", task=e.task_a)
    e.report("district-500103", two, "2015-10", "in_progress", task=e.task_a, state="draft")
    e.report("district-500103", two, "2015-08", "in_progress", task=e.task_b)
    e.report("district-500103", two, "2015-09", "late", task=e.task_b)
    return e


@pytest.fixture
def pinned_today(monkeypatch):
    monkeypatch.setattr(dashboard_views, "today", lambda: TODAY)


# -- Selectors -------------------------------------------------------------------------


def test_completion_by_measure_counts_units_and_tasks(execution):
    rows = {r.item.label: r for r in completion_by_measure(execution.plan, today=TODAY)}
    assert len(rows) == 19  # every measure, in document order
    two, eleven = rows["（二）"], rows["（十一）"]
    assert (two.obligations, two.complete, two.overdue) == (6, 2, 4)
    assert round(two.share, 1) == 33.3
    assert (eleven.obligations, eleven.complete, eleven.overdue, eleven.share) == (5, 0, 0, 0.0)
    assert rows["（一）"].obligations == 0 and rows["（一）"].share is None
    assert [r.item.label for r in completion_by_measure(execution.plan, today=TODAY)][:3] == [
        "（一）",
        "（二）",
        "（三）",
    ]


def test_completion_by_unit_puts_the_furthest_behind_first(execution):
    rows = completion_by_unit(execution.plan, today=TODAY)
    figures = {r.name: (r.obligations, r.complete, r.overdue) for r in rows}
    assert figures == {
        "市质监局": (2, 1, 0),
        "市人力社保局": (1, 0, 1),
        "市教委": (1, 0, 1),
        "市经济信息委": (2, 0, 1),
        "市环保局": (1, 0, 0),
        "市发展改革委": (1, 0, 0),
        "渝中区": (3, 1, 1),  # tasks A (done), B (overdue), C (open)
    }
    assert [r.name for r in rows][-2:] == ["渝中区", "市质监局"]  # 33.3 %, 50 %
    assert {r.name for r in rows[:3]} == {"市人力社保局", "市教委", "市经济信息委"}  # 0 %, overdue


def test_overdue_days_are_working_days_across_national_day(execution):
    rows = overdue_list(execution.plan, today=TODAY)
    # Oldest deadline first; then by measure and unit name.
    assert [(r.name, r.task.title if r.task else None, r.workdays_overdue) for r in rows] == [
        ("渝中区", "任务B：技师评价", 7),
        ("市人力社保局", None, 4),
        ("市教委", None, 4),
        ("市经济信息委", None, 4),
    ]
    assert rows[0].deadline == D(2015, 9, 25) and rows[0].workdays_overdue == 7
    assert {r.deadline for r in rows[1:]} == {D(2015, 9, 30)}


@pytest.mark.parametrize(
    "day", [D(2015, 9, 20), D(2015, 9, 25), D(2015, 9, 28), TODAY, D(2016, 1, 4)]
)
def test_states_are_those_of_each_obligation(execution, day):
    # obligation_states evaluates Obligation.state once per (complete, deadline).
    obs = obligations(execution.plan.pk)
    assert obligation_states(obs, day) == [(ob, ob.state(day)) for ob in obs]


def test_the_dashboard_stays_up_when_next_years_holidays_are_unknown(execution):
    # 2026-12-28 + 5 working days reaches into 2027, which the calendar lacks.
    ex.schedule_set(
        item=PlanItem.objects.get(plan=execution.plan, label="（三）"),
        deadline=D(2027, 1, 8),
        reporting_cycle="monthly",
        actor=execution.office,
    )
    rows = {r.item.label: r for r in completion_by_measure(execution.plan, today=D(2026, 12, 28))}
    assert (rows["（三）"].obligations, rows["（三）"].overdue) == (5, 0)
    assert (rows["（二）"].overdue, rows["（十一）"].overdue) == (4, 5)


def test_nothing_is_overdue_the_day_of_the_deadline(execution):
    assert overdue_list(execution.plan, today=D(2015, 9, 25)) == []


def test_working_days_chain_over_deadlines_and_never_guess_beyond_the_calendar():
    days = workdays_overdue([D(2015, 9, 25), D(2015, 9, 30), D(2015, 9, 25)], TODAY)
    assert days == {D(2015, 9, 25): 7, D(2015, 9, 30): 4}
    assert workdays_overdue([D(2026, 12, 1)], D(2027, 3, 1)) == {D(2026, 12, 1): None}


def test_a_district_counts_its_tasks_by_their_latest_accepted_report(execution):
    rows = completion_by_district(execution.plan)
    assert len(rows) == 38
    yuzhong = next(r for r in rows if r.division_code == "500103")
    # A: done (its later draft does not count); B: late (09 is later than 08); C: none.
    assert (yuzhong.has_plan, yuzhong.tasks, yuzhong.done, yuzhong.late, yuzhong.unreported) == (
        True,
        3,
        1,
        1,
        1,
    )
    assert (yuzhong.in_progress, yuzhong.not_started) == (0, 0)
    assert round(yuzhong.share, 1) == 33.3
    others = [r for r in rows if r.division_code != "500103"]
    assert {(r.has_plan, r.tasks, r.share) for r in others} == {(False, 0, 0.0)}
    assert [r.division_code for r in rows] == sorted(r.division_code for r in rows)


def test_a_district_plan_without_tasks_counts_as_zero(execution):
    DistrictPlan.objects.create(district=org("district-500101"), plan=execution.plan, title="x")
    wanzhou = completion_by_district(execution.plan, division_codes={"500101"})
    assert [(r.name, r.has_plan, r.tasks, r.share) for r in wanzhou] == [("万州区", True, 0, 0.0)]


def test_a_target_takes_the_largest_accepted_figure_of_each_period(execution):
    progress = {p.target.pk: p for p in target_progress(execution.plan)}
    assert len(progress) == 6
    skills = progress[execution.skills_target.pk]
    # 08: max(1200, 300); 09: max(2600, 500), the submitted 9999 does not count.
    assert skills.trend == [("2015-08", Decimal("1200")), ("2015-09", Decimal("2600"))]
    assert (skills.latest_period, skills.latest) == ("2015-09", Decimal("2600"))
    assert skills.share == pytest.approx(52.0)
    assert skills.met is False
    others = [p for pk, p in progress.items() if pk != execution.skills_target.pk]
    assert {(p.latest, p.share, p.met) for p in others} == {(None, None, None)}


@pytest.mark.parametrize(
    ("comparator", "value", "latest", "share", "met"),
    [
        (">=", "5000", "6000", 120.0, True),
        ("=", "100", "100", 100.0, True),
        ("=", "100", "90", 90.0, False),
        ("<=", "5", "4", 100.0, True),  # within a ceiling
        ("<=", "5", "8", 62.5, False),  # 5 / 8
        (">=", "0", "3", None, True),
    ],
)
def test_share_reached_for_floors_ceilings_and_exact_targets(comparator, value, latest, share, met):
    target = Target(comparator=comparator, value=Decimal(value), text="t", unit="", position=1)
    progress = TargetProgress(target=target, trend=[("2015-09", Decimal(latest))])
    assert progress.share == share and progress.met is met


def test_quarterly_and_monthly_periods_sort_by_their_end():
    target = Target(comparator=">=", value=Decimal(1), text="t", unit="", position=1)
    from zhiliang.lib.periods import period_sort_key

    periods = ["2016-01", "2015-Q4", "bad", "2015-11", "2015-Q3"]
    assert sorted(periods, key=period_sort_key) == [
        "2015-Q3",
        "2015-11",
        "2015-Q4",
        "2016-01",
        "bad",
    ]
    assert TargetProgress(target=target, trend=[]).share is None


def test_the_selectors_run_a_fixed_number_of_queries(execution, users):
    def queries() -> list[int]:
        counts = []
        for call in (
            lambda: completion_by_measure(execution.plan, today=TODAY),
            lambda: completion_by_unit(execution.plan, today=TODAY),
            lambda: overdue_list(execution.plan, today=TODAY),
            lambda: completion_by_district(execution.plan),
            lambda: target_progress(execution.plan),
        ):
            with CaptureQueriesContext(connection) as ctx:
                call()
            counts.append(len(ctx.captured_queries))
        return counts

    before = queries()
    assert max(before) <= 6
    # A year more of reports on every task, with figures: the counts do not move.
    statuses = ["in_progress", "late", "done"]
    for month in range(1, 13):
        for i, task in enumerate(Task.objects.all()):
            ProgressReport.objects.create(
                organisation=task.owner,
                item=task.item,
                task=task,
                period=f"2016-{month:02d}",
                status=statuses[(i + month) % 3],
                narrative="n",
                state="accepted",
            ).figures.create(target=execution.skills_target, value=month)
    assert queries() == before


# -- Pages -----------------------------------------------------------------------------


class Tables(HTMLParser):
    """Reads every ``<table id=…>`` of a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._placeholder = False  # the "暂无记录" row of an empty table is not data

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._placeholder = ("class", "empty") in attrs
            if not self._placeholder:
                self._table.append([])
        elif tag in ("td", "th") and self._table and not self._placeholder:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(client, url) -> dict[str, list[list[str]]]:
    response = client.get(url)
    assert response.status_code == 200
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


def numeric(rows: list[list[str]]) -> list[list[object]]:
    """Cells compared as numbers where they are numbers: Excel keeps 0.0 as 0."""

    def cell(text: str) -> object:
        try:
            return float(text)
        except ValueError:
            return text

    return [[cell(c) for c in row] for row in rows]


def xlsx_rows(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [
        ["—" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]


PAGES = {
    "dashboard": ("", ["measures", "units", "overdue"]),
    "dashboard_districts": ("districts/", ["districts"]),
    "dashboard_targets": ("targets/", ["targets", "trends"]),
}


@pytest.mark.parametrize("page", PAGES)
def test_every_table_exports_exactly_as_shown(execution, client_as, pinned_today, page):
    suffix, keys = PAGES[page]
    url = f"/plans/{execution.plan.pk}/dashboard/{suffix}"
    client = client_as("office")
    shown = page_tables(client, url)
    for key in keys:
        exported = xlsx_rows(client, f"{url}?format=xlsx&table={key}")
        assert numeric(exported) == numeric(shown[f"table-{key}"]), key
        assert len(exported) > 1, key  # a header and at least one row
    # Without a table the page's first table is exported.
    assert numeric(xlsx_rows(client, f"{url}?format=xlsx")) == numeric(shown[f"table-{keys[0]}"])


def test_the_dashboard_page_shows_the_worked_figures(execution, client_as, pinned_today):
    client = client_as("department")
    tables = page_tables(client, f"/plans/{execution.plan.pk}/dashboard/")
    header, *measures = tables["table-measures"]
    assert header == ["编号", "措施", "事项数", "已完成", "已逾期", "完成率（%）"]
    assert measures[1] == ["（二）", "提高劳动者技能素质", "6", "2", "4", "33.3"]
    assert measures[0][2:] == ["0", "0", "0", "—"]
    header, *overdue = tables["table-overdue"]
    assert header == ["责任单位", "措施", "任务", "完成时限", "逾期工作日"]
    assert overdue[0] == [
        "渝中区",
        "（二）提高劳动者技能素质",
        "任务B：技师评价",
        "2015-09-25",
        "7",
    ]
    assert {tuple(r[3:]) for r in overdue[1:]} == {("2015-09-30", "4")}
    assert tables["table-units"][-1] == ["市质监局", "2", "1", "0", "50.0"]


def test_the_dashboard_page_draws_its_charts_inline(execution, client_as, pinned_today):
    page = client_as("office").get(f"/plans/{execution.plan.pk}/dashboard/").content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert page.count('role="img"') == 2
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "（二）提高劳动者技能素质: 33.3%" in page  # the bar's tooltip
    targets = client_as("office").get(f"/plans/{execution.plan.pk}/dashboard/targets/")
    text = targets.content.decode()
    assert text.count('role="img"') == 1 + 1  # the share chart, one trend (one target has data)
    assert "2015-09: 2600人" in text
    assert text.count("尚无已采纳的完成值") == 5


def test_the_targets_page_lists_latest_figures(execution, client_as, pinned_today):
    tables = page_tables(client_as("office"), f"/plans/{execution.plan.pk}/dashboard/targets/")
    header, *rows = tables["table-targets"]
    assert header[-4:] == ["最新报告期", "最新完成值", "完成度（%）", "是否达标"]
    assert rows[0] == [
        "（二）",
        "新增急需紧缺技师、高级技师5000人",
        "不低于",
        "5000",
        "人",
        "2015-09",
        "2600",
        "52.0",
        "否",
    ]
    assert tables["table-trends"][1:] == [
        ["（二）", "新增急需紧缺技师、高级技师5000人", "2015-08", "1200"],
        ["（二）", "新增急需紧缺技师、高级技师5000人", "2015-09", "2600"],
    ]


def test_a_district_officer_sees_only_their_district(execution, client_as, pinned_today):
    url = f"/plans/{execution.plan.pk}/dashboard/districts/"
    own = page_tables(client_as("district"), url)["table-districts"]
    assert own[1:] == [["渝中区", "已制定", "3", "1", "0", "1", "0", "1", "33.3"]]
    assert numeric(xlsx_rows(client_as("district"), url + "?format=xlsx")) == numeric(own)
    other = page_tables(client_as("other_district"), url)["table-districts"]
    assert other[1:] == [["万州区", "未制定", "0", "0", "0", "0", "0", "0", "0.0"]]
    for citywide in ("office", "department", "inspector", "admin"):
        assert len(page_tables(client_as(citywide), url)["table-districts"]) == 1 + 38


@pytest.mark.parametrize("suffix", ["", "districts/", "targets/", "?format=xlsx"])
def test_access_follows_the_government_roles(execution, client_as, suffix):
    url = f"/plans/{execution.plan.pk}/dashboard/{suffix}"
    anonymous = client_as(None).get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for name in ("outsider", "hospital", "enterprise_user"):
        assert client_as(name).get(url).status_code == 403, name
    for name in ("office", "admin", "department", "inspector"):
        assert client_as(name).get(url).status_code == 200, name
    # The main dashboard shows every district's items: district officers get their
    # own district's figures on the district and target pages instead.
    main = suffix in ("", "?format=xlsx", "targets/")
    for name in ("district", "other_district"):
        assert client_as(name).get(url).status_code == (403 if main else 200), name


def test_unknown_plans_and_tables_are_not_found(execution, client_as):
    client = client_as("office")
    assert client.get("/plans/999/dashboard/").status_code == 404
    url = f"/plans/{execution.plan.pk}/dashboard/?format=xlsx&table=nope"
    assert client.get(url).status_code == 404


def test_the_pages_work_on_a_plan_with_nothing_scheduled(seed_plan, client_as):
    client = client_as("office")
    for suffix in ("", "districts/", "targets/"):
        assert client.get(f"/plans/{seed_plan.pk}/dashboard/{suffix}").status_code == 200
    tables = page_tables(client, f"/plans/{seed_plan.pk}/dashboard/")
    assert tables["table-overdue"] == [["责任单位", "措施", "任务", "完成时限", "逾期工作日"]]


def test_the_url_names(seed_plan):
    from django.urls import reverse

    assert reverse("plans:dashboard", args=[seed_plan.pk]) == f"/plans/{seed_plan.pk}/dashboard/"
    assert reverse("plans:dashboard_districts", args=[1]) == "/plans/1/dashboard/districts/"
    assert reverse("plans:dashboard_targets", args=[1]) == "/plans/1/dashboard/targets/"
