"""Issue 3 end to end in Chromium: a district plans and reports, the office reviews."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from zhiliang.conftest import PASSWORD
from zhiliang.plans.models import PlanItem, ProgressReport
from zhiliang.plans.services import execution as ex


def _login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


@pytest.fixture
def scheduled(seed_plan, users):
    item = PlanItem.objects.get(plan=seed_plan, label="（十四）")  # 合格率 90% / 94%
    ex.schedule_set(
        item=item, deadline=dt.date(2015, 12, 31), reporting_cycle="monthly", actor=users["office"]
    )
    return item


def test_a_district_plans_reports_and_the_office_returns_then_accepts(
    page, live_server, users, seed_plan, scheduled
):
    base = live_server.url
    # The district officer creates the district's 实施方案 and a task under 一(十四).
    _login(page, base, "district")
    page.goto(f"{base}/plans/{seed_plan.pk}/district-plans/")
    page.fill("#district-plan-form input[name=title]", "渝中区2015年质量工作实施方案")
    _submit(page, "#district-plan-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/district-plans/\d+/$"))
    page.select_option("#district-task-form select[name=item]", str(scheduled.pk))
    page.fill("#district-task-form input[name=title]", "辖区制造业产品质量合格率达到90%以上")
    page.select_option("#district-task-form select[name=owner]", label="渝中区人民政府")
    page.fill(
        "#district-task-form input[name=deadline]", "2016-01-31"
    )  # after the measure: refused
    _submit(page, "#district-task-form button[type=submit]")
    assert "晚于措施" in page.inner_text(".messages")
    page.fill("#district-task-form input[name=deadline]", "2015-11-30")
    _submit(page, "#district-task-form button[type=submit]")
    assert "辖区制造业产品质量合格率达到90%以上" in page.inner_text("table.grid")

    # …then reports progress on it.
    page.goto(f"{base}/plans/measures/{scheduled.pk}/")
    page.click("a.button:has-text('报送进展')")
    page.fill("#report-form input[name=period]", "2015-10")
    page.select_option("#report-form select[name=status]", "in_progress")
    page.fill("#report-form textarea[name=narrative]", "抽查企业120家，合格率91.2%。")
    target = scheduled.targets.order_by("position").first()
    page.fill(f"#report-form input[name=target_{target.pk}]", "91.2")
    _submit(page, "#report-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/reports/\d+/$"))
    _submit(page, "#submit-report")
    assert page.inner_text("#report-state").startswith("已报送")

    # The office returns it with a comment.
    _login(page, base, "office")
    page.click("header nav >> text=待审核")
    page.click("text=2015-10")
    page.fill("#review-form textarea[name=comment]", "请附抽查结果通报。")
    _submit(page, "#return-report")
    assert page.inner_text("#report-state").startswith("已退回")

    # The district corrects and resubmits; the office accepts, which locks it.
    _login(page, base, "district")
    report = ProgressReport.objects.get()
    page.goto(f"{base}/plans/reports/{report.pk}/edit/")
    page.fill("#report-form textarea[name=narrative]", "抽查企业120家，合格率91.2%，通报已印发。")
    _submit(page, "#report-form button[type=submit]")
    _submit(page, "#submit-report")
    _login(page, base, "office")
    page.goto(f"{base}/plans/reports/{report.pk}/")
    _submit(page, "#accept-report")
    assert "已采纳" in page.inner_text("#report-state")
    report.refresh_from_db()
    assert report.locked and report.narrative.endswith("通报已印发。")
    assert report.figures.get().value == Decimal("91.2")

    # Another district's officer cannot even see it.
    _login(page, base, "other_district")
    response = page.goto(f"{base}/plans/reports/{report.pk}/")
    assert response.status == 404


def test_a_notice_is_issued_and_answered_and_the_public_sees_only_what_is_published(
    page, live_server, users, seed_plan, scheduled
):
    base = live_server.url
    _login(page, base, "office")
    page.goto(f"{base}/plans/notices/new/?item={scheduled.pk}&organisation=district-500103")
    page.fill("textarea[name=facts]", "你区10月进展报告未按时报送，请说明原因并提出整改措施。")
    _submit(page, "main form button[type=submit]")
    assert re.search(r"渝质督〔\d{4}〕1号", page.inner_text("main"))
    pdf = page.request.get(page.url + "pdf/")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    _login(page, base, "district")
    page.click("header nav >> text=督办通知")
    page.click("main table a >> nth=0")
    page.fill("textarea[name=reply_text]", "已于11月3日补报，并建立按月报送提醒。")
    _submit(page, "main form button[type=submit]")
    assert "已于11月3日补报" in page.inner_text("main")

    # The office publishes one of 市质监局's duties; the public sees it and nothing else.
    _login(page, base, "office")
    page.goto(f"{base}/plans/{seed_plan.pk}/publication/")
    row = page.locator("tr", has_text="重庆市质量技术监督局").filter(
        has_text="（二）提高劳动者技能素质"
    )
    row.locator("select[name=status]").select_option("in_progress")
    with page.expect_navigation():
        row.locator("button[type=submit]").first.click()
    page.context.clear_cookies()
    page.goto(f"{base}/public/duties/")
    assert "重庆市质量技术监督局" in page.inner_text("main")
    assert "重庆市公安局" not in page.inner_text("main")
    page.click("text=重庆市质量技术监督局")
    table = page.inner_text("main table")
    assert "（二）提高劳动者技能素质" in table and "进行中" in table
    assert "（三）" not in table
