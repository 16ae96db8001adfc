"""The annual summary on a hand-made 2015, worked out by hand.

The day is 2016-02-15, so 2015 is judged as of 2015-12-31. Schedules (monthly):
（二） due 2015-09-30 (4 units named), （十一） and （十四） due 2015-12-31; （十四） names
only the joint meeting (no direct obligations), and 渝中区's 实施方案 gives it a task
due 2015-11-30. Every other measure has no schedule.

==========  ===========================================  =======================
measure     reports (✓ accepted, ✗ not)                  2015 as of 12-31
（二）        rsj 2014-12 ✓ 6000 (other year)               4 obligations,
            rsj 2015-08 ✓ 1800, 2015-09 ✓ 3200             1 complete (zjj),
            rsj 2015-10 ✗ 5100 (submitted)                 3 overdue;
            rsj 2016-01 ✓ done 5200 (other year)           5000人: best 3200 → missed
            zjj 2015-09 ✓ done
（十一）      jxw 2015-10 ✓ 81台: 66, PM2.5: 68               4 obligations, 1 complete
            jxw 2015-12 ✓ done 81台: 81, 72家: 60, PM2.5: 63   81台 met (81 ≥ 81),
            hbj 2015-12 ✗ done (submitted)                 72家 missed, PM2.5 ≤ 65 met (63)
（十四）      渝中区 task 2015-10 ✓ 88.5, 2015-11 ✓ done 91.2   1 obligation, complete;
            zjj 2015-12 ✗ 95 (draft)                       合格率 90%: 91.2 → met,
                                                           94%: no data
（十六）      —                                             100项: no data
==========  ===========================================  =======================

Targets: met 3 (81台, PM2.5, 合格率 90%), missed 2 (5000人, 72家), no data 2.
In 2016 the rsj's done report completes its obligation and 5200 meets 5000人.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from zhiliang.lib.xlsxbook import Sheet, xlsx_book_bytes
from zhiliang.plans import annual_views
from zhiliang.plans.annual import (
    MET,
    MISSED,
    NO_DATA,
    annual_summary,
    best_figure,
    report_years,
    verdict,
)
from zhiliang.plans.demo import DEMO
from zhiliang.plans.models import PlanItem, Target
from zhiliang.plans.services import execution as ex
from zhiliang.registry.models import Organisation

D = dt.date
TODAY = D(2016, 2, 15)


def org(key: str) -> Organisation:
    return Organisation.objects.get(key=key)


class Year:
    """The hand-made 2015 of the module docstring."""

    def __init__(self, plan, office):
        self.plan = plan
        self.office = office
        measures = {m.label: m for m in PlanItem.objects.filter(plan=plan, is_leaf=True)}
        self.two, self.eleven, self.fourteen = (
            measures["（二）"],
            measures["（十一）"],
            measures["（十四）"],
        )
        self.skills = self.two.targets.get()  # 新增…技师5000人
        self.boilers, self.audits = self.eleven.targets.order_by("position")
        # The seed plan has no 不高于 target; one written as the parser would store it.
        self.pm25 = Target.objects.create(
            item=self.eleven,
            position=2,
            text="主城区PM2.5年均浓度不高于65微克/立方米",
            value=Decimal("65"),
            unit="微克/立方米",
            comparator=Target.Comparator.AT_MOST,
        )
        self.pass_rate, self.farm_rate = self.fourteen.targets.order_by("position")
        for item, deadline in (
            (self.two, D(2015, 9, 30)),
            (self.eleven, D(2015, 12, 31)),
            (self.fourteen, D(2015, 12, 31)),
        ):
            ex.schedule_set(item=item, deadline=deadline, reporting_cycle="monthly", actor=office)
        yuzhong = org("district-500103")
        district_plan = ex.district_plan_create(
            district=yuzhong, plan=plan, title="渝中区实施方案", actor=office
        )
        self.task = ex.task_create(
            item=self.fourteen,
            title="辖区制造业产品质量合格率达到90%以上",
            owner=yuzhong,
            deadline=D(2015, 11, 30),
            actor=office,
            district_plan=district_plan,
        )

    def report(self, key, item, period, status, narrative, figures=None, *, task=None, state):
        report = ex.report_save(
            organisation=org(key),
            item=item,
            task=task,
            period=period,
            status=status,
            narrative=narrative,
            figures={t.pk: v for t, v in (figures or {}).items()},
            actor=self.office,
        )
        if state in ("submitted", "accepted"):
            report = ex.report_submit(report=report, actor=self.office)
        if state == "accepted":
            report = ex.report_accept(report=report, actor=self.office)
        return report


@pytest.fixture
def year(seed_plan, users):
    y = Year(seed_plan, users["office"])
    ok = "accepted"
    two, eleven, fourteen = y.two, y.eleven, y.fourteen
    y.report(
        "cq-rsj", two, "2014-12", "in_progress", "上年累计6000人。", {y.skills: 6000}, state=ok
    )
    y.report("cq-rsj", two, "2015-08", "in_progress", "首批开班12个。", {y.skills: 1800}, state=ok)
    y.report(
        "cq-rsj", two, "2015-09", "in_progress", "新增技师累计3200人。", {y.skills: 3200}, state=ok
    )
    y.report(
        "cq-rsj", two, "2015-10", "in_progress", "累计5100人。", {y.skills: 5100}, state="submitted"
    )
    y.report("cq-rsj", two, "2016-01", "done", "累计5200人。", {y.skills: 5200}, state=ok)
    y.report("cq-zjj", two, "2015-09", "done", "技能人才评价工作完成。", state=ok)
    y.report(
        "cq-jxw", eleven, "2015-10", "in_progress", "锅炉改造66台。",
        {y.boilers: 66, y.pm25: 68}, state=ok,
    )  # fmt: skip
    y.report(
        "cq-jxw", eleven, "2015-12", "done", "81台锅炉改造全部完成。",
        {y.boilers: 81, y.audits: 60, y.pm25: 63}, state=ok,
    )  # fmt: skip
    y.report("cq-hbj", eleven, "2015-12", "done", "监测完成。", state="submitted")
    yz = "district-500103"
    y.report(
        yz, fourteen, "2015-10", "in_progress", "抽查合格率88.5%。", {y.pass_rate: "88.5"},
        task=y.task, state=ok,
    )  # fmt: skip
    y.report(
        yz, fourteen, "2015-11", "done", "抽查合格率91.2%，任务完成。", {y.pass_rate: "91.2"},
        task=y.task, state=ok,
    )  # fmt: skip
    y.report(
        "cq-zjj", fourteen, "2015-12", "in_progress", "待复核。", {y.pass_rate: 95}, state="draft"
    )
    return y


@pytest.fixture
def pinned_today(monkeypatch):
    monkeypatch.setattr(annual_views, "today", lambda: TODAY)


def by_label(summary):
    return {m.item.label: m for m in summary.measures}


def completion(m):
    c = m.completion
    return (c.obligations, c.complete, c.overdue)


def verdicts(summary):
    return {t.target.text: (t.best, t.verdict) for t in summary.targets}


# -- The selector ----------------------------------------------------------------------------


def test_every_measure_in_order_with_deadline_and_responsible_units(year):
    summary = annual_summary(year.plan, 2015, today=TODAY)
    assert summary.as_of == D(2015, 12, 31)
    assert (
        summary.title == "《重庆市贯彻实施质量发展纲要2015年行动计划工作方案》2015年度执行情况报告"
    )
    assert [m.item.label for m in summary.measures][:3] == ["（一）", "（二）", "（三）"]
    assert len(summary.measures) == 19
    m = by_label(summary)
    assert m["（二）"].deadline == D(2015, 9, 30)
    assert m["（二）"].responsible == ["市人力社保局", "市教委", "市经济信息委", "市质监局"]
    assert m["（一）"].deadline is None and m["（一）"].units == []
    assert m["（十四）"].responsible == ["市质量工作部门联席会议成员单位"]


def test_the_years_accepted_reports_by_unit_with_the_latest_status(year):
    m = by_label(annual_summary(year.plan, 2015, today=TODAY))
    two = m["（二）"]
    # Units in the plan's order; 2014, 2016 and the submitted report are left out.
    assert [u.name for u in two.units] == ["市人力社保局", "市质监局"]
    rsj, zjj = two.units
    assert rsj.periods == ["2015-08", "2015-09"]
    assert (rsj.latest.status, rsj.latest.narrative) == ("in_progress", "新增技师累计3200人。")
    assert rsj.latest.status_label == "进行中"
    assert (zjj.latest.status, zjj.periods) == ("done", ["2015-09"])
    # The submitted 环保局 report does not make the unit a reporter.
    assert [u.name for u in m["（十一）"].units] == ["市经济信息委"]
    (yuzhong,) = m["（十四）"].units  # the draft of 市质监局 does not count
    assert yuzhong.name == "渝中区"
    assert yuzhong.latest.task_title == "辖区制造业产品质量合格率达到90%以上"
    assert yuzhong.latest.narrative == "抽查合格率91.2%，任务完成。"


def test_completion_is_judged_at_the_end_of_the_year(year):
    summary = annual_summary(year.plan, 2015, today=TODAY)
    m = by_label(summary)
    # rsj's done report is for 2016-01: complete today, not in the 2015 report.
    assert completion(m["（二）"]) == (4, 1, 3)
    assert m["（二）"].completion.share == 25.0
    assert completion(m["（十一）"]) == (4, 1, 0)  # due 12-31: not overdue that day
    assert completion(m["（十四）"]) == (1, 1, 0)  # 渝中区's task
    assert completion(m["（一）"]) == (0, 0, 0) and m["（一）"].completion.share is None
    total = summary.completion
    assert (total.obligations, total.complete, total.overdue) == (9, 3, 3)
    assert summary.reporting_units == 4  # rsj, zjj, jxw, 渝中区


def test_completion_is_judged_today_during_the_year(year):
    summary = annual_summary(year.plan, 2015, today=D(2015, 10, 12))
    assert summary.as_of == D(2015, 10, 12)
    m = by_label(summary)
    assert completion(m["（二）"]) == (4, 1, 3)
    assert completion(m["（十一）"]) == (4, 1, 0)


def test_targets_best_figure_of_the_year_and_verdict(year):
    summary = annual_summary(year.plan, 2015, today=TODAY)
    assert verdicts(summary) == {
        "新增急需紧缺技师、高级技师5000人": (Decimal("3200"), MISSED),
        "通过煤改天然气、电、成型生物质等方式改造81台燃煤锅炉": (Decimal("81"), MET),
        "完成钢铁、水泥、化工、石化、有色金属冶炼等重点行业的72家企业清洁生产审核": (
            Decimal("60"),
            MISSED,
        ),
        "主城区PM2.5年均浓度不高于65微克/立方米": (Decimal("63"), MET),  # the minimum
        "确保2015年全市制造业产品质量合格率达到90%以上": (Decimal("91.2"), MET),
        "主要农产品安全监测合格率达到94%以上": (None, NO_DATA),
        "新增国际、国家、行业和地方标准100项": (None, NO_DATA),
    }
    assert summary.verdict_counts == {MET: 3, MISSED: 2, NO_DATA: 2}
    assert [t.verdict_label for t in by_label(summary)["（十四）"].targets] == ["达成", "无数据"]


def test_another_year_reads_its_own_reports(year):
    summary = annual_summary(year.plan, 2016, today=TODAY)
    assert summary.as_of == TODAY
    two = by_label(summary)["（二）"]
    assert completion(two) == (4, 2, 2)  # rsj done in 2016-01
    assert [(u.name, u.periods) for u in two.units] == [("市人力社保局", ["2016-01"])]
    assert verdicts(summary)["新增急需紧缺技师、高级技师5000人"] == (Decimal("5200"), MET)


def test_a_fixed_number_of_queries_whatever_the_reports(year):
    with CaptureQueriesContext(connection) as before:
        annual_summary(year.plan, 2015, today=TODAY)
    three = PlanItem.objects.get(plan=year.plan, label="（三）")
    ex.schedule_set(
        item=three, deadline=D(2015, 12, 31), reporting_cycle="monthly", actor=year.office
    )
    for key in ("cq-jxw", "cq-kw", "cq-czj", "cq-zjj"):
        for month in range(1, 13):
            year.report(
                key, three, f"2015-{month:02d}", "in_progress", "推进中。", state="accepted"
            )
    with CaptureQueriesContext(connection) as after:
        summary = annual_summary(year.plan, 2015, today=TODAY)
        for m in summary.measures:  # reading everything the pages read
            [u.latest.narrative for u in m.units]
            [t.target.item.title for t in m.targets]
    assert len(after) == len(before) <= 15
    assert len(by_label(summary)["（三）"].units) == 4


def test_demo_data_is_flagged(year):
    assert annual_summary(year.plan, 2015, today=TODAY).contains_demo is False
    year.report("cq-jw", year.two, "2015-11", "in_progress", DEMO + "演示。", state="draft")
    assert annual_summary(year.plan, 2015, today=TODAY).contains_demo is True


@pytest.mark.parametrize(
    ("comparator", "aggregates", "best", "outcome"),
    [
        (">=", (10, 2, None, 10), 10, MET),  # the maximum
        (">=", (9, 2, 9, None), 9, MISSED),
        ("<=", (10, 2, 2, 10), 2, MET),  # the minimum
        ("<=", (12, 11, None, 11), 11, MISSED),
        ("=", (12, 8, 10, 10), 10, MET),  # exactly the target
        ("=", (12, 8, 8, 12), 8, MISSED),  # equally near below and above: the lower
        ("=", (12, 9, 9, 12), 9, MISSED),  # nearer below
        ("=", (12, 8, 8, 11), 11, MISSED),  # nearer above
        ("=", (12, 11, None, 11), 11, MISSED),
        (">=", (None, None, None, None), None, NO_DATA),
    ],
)
def test_best_figure_and_verdict_rules(comparator, aggregates, best, outcome):
    target = Decimal(10)
    highest, lowest, below, above = (None if a is None else Decimal(a) for a in aggregates)
    found = best_figure(
        comparator, target, highest=highest, lowest=lowest, nearest_below=below, nearest_above=above
    )
    assert found == (None if best is None else Decimal(best))
    assert verdict(comparator, target, found) == outcome


def test_an_unknown_comparator_is_an_error():
    with pytest.raises(ValueError, match="comparator"):
        verdict("~", Decimal(1), Decimal(1))


def test_report_years_run_from_the_plans_year_to_this_year(seed_plan):
    assert seed_plan.issued_on == D(2014, 6, 30)
    assert report_years(seed_plan, today=TODAY) == range(2014, 2017)


# -- The workbook ----------------------------------------------------------------------------


def test_the_workbook_has_a_measure_sheet_and_a_target_sheet(year, client_as, pinned_today):
    response = client_as("department").get(
        reverse("plans:annual", args=[year.plan.pk, 2015]), {"format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["措施", "目标"]
    measures = [list(r) for r in book["措施"].iter_rows(values_only=True)]
    assert measures[0] == ["编号", "措施", "时限", "责任单位", "完成情况", "主要进展"]
    assert len(measures) == 1 + 19
    two = next(r for r in measures if r[0] == "（二）")
    assert two[:5] == [
        "（二）",
        "提高劳动者技能素质",
        dt.datetime(2015, 9, 30),
        "市人力社保局、市教委、市经济信息委、市质监局",
        "完成 1/4（25.0%），逾期 3 项",
    ]
    assert two[5] == (
        "市人力社保局（2015-09，进行中）：新增技师累计3200人。\n"
        "市质监局（2015-09，已完成）：技能人才评价工作完成。"
    )
    one = next(r for r in measures if r[0] == "（一）")
    assert (one[2], one[4], one[5]) == (None, "未设时限", None)

    targets = [list(r) for r in book["目标"].iter_rows(values_only=True)]
    assert targets[0] == ["措施", "目标原文", "目标值", "单位", "年度最好值", "结论"]
    assert len(targets) == 1 + 7
    rows = {r[1]: r for r in targets[1:]}
    assert rows["新增急需紧缺技师、高级技师5000人"] == [
        "（二）提高劳动者技能素质", "新增急需紧缺技师、高级技师5000人", 5000, "人", 3200, "未达成",
    ]  # fmt: skip
    assert rows["确保2015年全市制造业产品质量合格率达到90%以上"][2:] == [90, "%", 91.2, "达成"]
    assert rows["主要农产品安全监测合格率达到94%以上"][2:] == [94, "%", None, "无数据"]


def test_the_workbook_keeps_formula_like_text_as_text():
    data = xlsx_book_bytes(
        [Sheet("A", ["x"], [['=HYPERLINK("http://evil")']]), Sheet("B", ["d"], [[D(2015, 1, 2)]])]
    )
    book = load_workbook(io.BytesIO(data))
    cell = book["A"]["A2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil")', "s")
    assert book["B"]["A2"].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize("titles", [["A", "a"], ["A" * 32], ["a/b"], []])
def test_a_bad_sheet_title_is_refused(titles):
    with pytest.raises(ValueError):
        xlsx_book_bytes([Sheet(t, ["x"], []) for t in titles])


# -- The page and the PDF --------------------------------------------------------------------


def test_the_page_shows_each_measure_and_verdict(year, client_as, pinned_today):
    response = client_as("department").get(reverse("plans:annual", args=[year.plan.pk, 2015]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2015年度执行情况报告" in html
    assert "提高劳动者技能素质" in html and "新增技师累计3200人。" in html
    assert "完成 1/4（25.0%），逾期 3 项" in html
    assert 'class="verdict-missed">未达成' in html and 'class="verdict-met">达成' in html
    assert "累计5100人" not in html  # submitted, not accepted
    assert "演示数据" not in html
    assert reverse("plans:annual_pdf", args=[year.plan.pk, 2015]) in html
    assert "@media print" in html


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_the_pdf_report(year, client_as, pinned_today):
    response = client_as("office").get(reverse("plans:annual_pdf", args=[year.plan.pk, 2015]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "《重庆市贯彻实施质量发展纲要2015年行动计划工作方案》2015年度执行情况报告" in text
    assert "生成日期：2016年2月15日" in text and "统计截至：2015年12月31日" in text
    for m in PlanItem.objects.filter(plan=year.plan, is_leaf=True):
        assert m.title in text
    assert "未达成" in text
    assert len(re.findall(r"(?<!未)达成", text)) >= 3
    assert "无数据" in text
    assert "新增技师累计3200人。" in text
    assert "演示数据" not in text


def test_the_pdf_cover_says_when_it_holds_demo_data(year, client_as, pinned_today):
    year.report("cq-jw", year.two, "2015-11", "in_progress", DEMO + "演示。", state="accepted")
    response = client_as("office").get(reverse("plans:annual_pdf", args=[year.plan.pk, 2015]))
    reader = PdfReader(io.BytesIO(response.content))
    cover = re.sub(r"\s+", "", reader.pages[0].extract_text())
    assert "本报告含有演示数据" in cover


# -- Access and bad addresses ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["office", "admin", "department", "inspector"])
def test_citywide_readers_may_read_it(seed_plan, client_as, pinned_today, name):
    response = client_as(name).get(reverse("plans:annual", args=[seed_plan.pk, 2015]))
    assert response.status_code == 200


# The summary quotes every unit's accepted narratives, other districts' included.
@pytest.mark.parametrize(
    "name", ["district", "other_district", "outsider", "hospital", "enterprise_user"]
)
@pytest.mark.parametrize("url_name", ["plans:annual", "plans:annual_pdf"])
def test_others_are_refused(seed_plan, client_as, pinned_today, name, url_name):
    assert client_as(name).get(reverse(url_name, args=[seed_plan.pk, 2015])).status_code == 403


@pytest.mark.parametrize("url_name", ["plans:annual", "plans:annual_pdf"])
def test_anonymous_users_go_to_the_login_page(seed_plan, client_as, url_name):
    url = reverse(url_name, args=[seed_plan.pk, 2015])
    response = client_as(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "path",
    [
        "/plans/{plan}/annual/1800/",
        "/plans/{plan}/annual/1800/pdf/",
        "/plans/{plan}/annual/2013/",  # before the plan was issued
        "/plans/{plan}/annual/2017/",  # not begun on the pinned day
        "/plans/{plan}/annual/99999999999999999999/",
        "/plans/{plan}/annual/abc/",
        "/plans/{plan}/annual/abc/pdf/",
        "/plans/{plan}/annual/2015/?format=csv",
        "/plans/999999/annual/2015/",
    ],
)
def test_a_bad_year_or_plan_is_not_found(seed_plan, client_as, pinned_today, path):
    response = client_as("office").get(path.format(plan=seed_plan.pk))
    assert response.status_code == 404
