"""Schedules, tasks, district plans and the progress report workflow (issue 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from zhiliang.accounts.models import AuditEntry
from zhiliang.plans.models import Milestone, PlanItem, ProgressReport, ReportAttachment, Task
from zhiliang.plans.services import execution as ex
from zhiliang.registry.models import Organisation

D = dt.date


@pytest.fixture
def measure(seed_plan):
    return PlanItem.objects.get(plan=seed_plan, label="（二）")  # 技师 5000人; 市人力社保局 …


@pytest.fixture
def scheduled(measure, users):
    ex.schedule_set(
        item=measure, deadline=D(2015, 12, 31), reporting_cycle="monthly", actor=users["office"]
    )
    return measure


def _org(key: str) -> Organisation:
    return Organisation.objects.get(key=key)


def test_the_office_sets_a_deadline_and_it_is_audited(measure, users):
    ex.schedule_set(
        item=measure, deadline=D(2015, 12, 31), reporting_cycle="quarterly", actor=users["office"]
    )
    ex.schedule_set(
        item=measure,
        deadline=D(2015, 11, 30),
        reporting_cycle="monthly",
        actor=users["office"],
        reason="提前",
    )
    entry = AuditEntry.objects.filter(action="schedule.set").first()
    assert entry.before == {"deadline": "2015-12-31", "reporting_cycle": "quarterly"}
    assert entry.after == {"deadline": "2015-11-30", "reporting_cycle": "monthly"}
    assert entry.reason == "提前"


def test_only_the_office_sets_deadlines(measure, users):
    with pytest.raises(PermissionDenied):
        ex.schedule_set(
            item=measure,
            deadline=D(2015, 12, 31),
            reporting_cycle="monthly",
            actor=users["department"],
        )


def test_a_section_heading_gets_no_deadline(seed_plan, users):
    section = PlanItem.objects.get(plan=seed_plan, label="一、")
    with pytest.raises(ex.ExecutionError, match="章节标题"):
        ex.schedule_set(
            item=section, deadline=D(2015, 12, 31), reporting_cycle="monthly", actor=users["office"]
        )


def test_quarterly_milestones_stop_at_the_deadline(scheduled, users):
    made = ex.milestones_quarterly(item=scheduled, start=D(2015, 7, 1), actor=users["office"])
    assert [m.due_on for m in made] == [D(2015, 9, 30), D(2015, 12, 31)]
    assert ex.milestones_quarterly(item=scheduled, start=D(2015, 7, 1), actor=users["office"]) == []
    with pytest.raises(ex.ExecutionError, match="晚于措施时限"):
        ex.milestone_add(item=scheduled, due_on=D(2016, 1, 5), title="x", actor=users["office"])
    assert Milestone.objects.count() == 2


def test_a_task_may_not_end_after_its_measure(scheduled, users):
    ex.task_create(
        item=scheduled,
        title="技师培训",
        owner=_org("cq-rsj"),
        deadline=D(2015, 10, 31),
        actor=users["office"],
    )
    with pytest.raises(ex.ExecutionError, match="晚于措施"):
        ex.task_create(
            item=scheduled,
            title="晚了",
            owner=_org("cq-rsj"),
            deadline=D(2016, 1, 31),
            actor=users["office"],
        )
    # Nor may the measure's deadline move before an existing task's.
    with pytest.raises(ex.ExecutionError, match="技师培训"):
        ex.schedule_set(
            item=scheduled,
            deadline=D(2015, 9, 30),
            reporting_cycle="monthly",
            actor=users["office"],
        )
    assert Task.objects.count() == 1


def test_a_district_plans_its_own_tasks_and_not_another_districts(scheduled, seed_plan, users):
    yuzhong = _org("district-500103")
    plan = ex.district_plan_create(
        district=yuzhong, plan=seed_plan, title="渝中区实施方案", actor=users["district"]
    )
    task = ex.task_create(
        item=scheduled,
        title="区级技师培训",
        owner=yuzhong,
        deadline=D(2015, 11, 30),
        actor=users["district"],
        district_plan=plan,
    )
    assert task.district_plan == plan
    with pytest.raises(PermissionDenied):
        ex.task_create(
            item=scheduled,
            title="越权",
            owner=yuzhong,
            deadline=D(2015, 11, 30),
            actor=users["other_district"],
            district_plan=plan,
        )
    with pytest.raises(PermissionDenied):
        ex.district_plan_create(
            district=yuzhong, plan=seed_plan, title="越权", actor=users["other_district"]
        )
    with pytest.raises(ex.ExecutionError, match="不属于"):
        ex.task_create(
            item=scheduled,
            title="他区单位",
            owner=_org("district-500101"),
            deadline=D(2015, 11, 30),
            actor=users["district"],
            district_plan=plan,
        )
    with pytest.raises(ex.ExecutionError, match="已有该方案的实施方案"):
        ex.district_plan_create(
            district=yuzhong, plan=seed_plan, title="又一个", actor=users["office"]
        )


def _report(measure, users, **kw):
    args = {
        "organisation": _org("cq-zjj"),
        "item": measure,
        "period": "2015-07",
        "status": "in_progress",
        "narrative": "已组织首席质量官培训两期。",
        "actor": users["department"],
    }
    return ex.report_save(**{**args, **kw})


def test_the_report_workflow_submit_return_accept_then_locked(scheduled, users):
    target = scheduled.targets.get()
    report = _report(scheduled, users, figures={target.pk: "3,200"})
    assert report.state == "draft" and report.figures.get().value == Decimal("3200")
    report = ex.report_submit(report=report, actor=users["department"])
    with pytest.raises(ex.ExecutionError, match="正在审核"):
        _report(scheduled, users, narrative="改")
    with pytest.raises(ex.ExecutionError, match="审核意见"):
        ex.report_return(report=report, actor=users["office"], comment=" ")
    report = ex.report_return(report=report, actor=users["office"], comment="请补充培训人数。")
    report = _report(
        scheduled,
        users,
        narrative="已培训技师3,200人。",
        figures={target.pk: 3200},
        expected_version=report.version,
    )
    report = ex.report_submit(report=report, actor=users["department"])
    report = ex.report_accept(report=report, actor=users["office"])
    assert report.locked
    with pytest.raises(ex.ExecutionError, match="锁定"):
        _report(scheduled, users, narrative="再改")
    with pytest.raises(ex.ExecutionError, match="锁定"):
        ex.report_attach(report=report, name="a.pdf", data=b"%PDF-1.4", actor=users["department"])
    actions = list(
        AuditEntry.objects.filter(object_type="plans.progressreport")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "report.save",
        "report.submit",
        "report.return",
        "report.save",
        "report.submit",
        "report.accept",
    ]
    assert ProgressReport.objects.get().narrative == "已培训技师3,200人。"


def test_a_stale_edit_is_refused_and_the_newer_text_kept(scheduled, users):
    first = _report(scheduled, users)
    _report(scheduled, users, narrative="同事先保存的内容", expected_version=first.version)
    with pytest.raises(ex.ExecutionError, match="已被他人修改"):
        _report(scheduled, users, narrative="我的旧版本", expected_version=first.version)
    assert ProgressReport.objects.get().narrative == "同事先保存的内容"


def test_only_responsible_units_and_their_officers_report(scheduled, users):
    with pytest.raises(ex.ExecutionError, match="不是该措施或任务的责任单位"):
        _report(scheduled, users, organisation=_org("cq-gaj"), actor=users["office"])
    with pytest.raises(PermissionDenied):
        _report(scheduled, users, actor=users["district"])
    with pytest.raises(PermissionDenied):
        ex.report_accept(report=_report(scheduled, users), actor=users["department"])


@pytest.mark.parametrize(
    ("kw", "phrase"),
    [
        ({"period": "2015-Q3"}, "按月报送"),
        ({"period": "2015-13"}, "格式不对"),
        ({"narrative": "  "}, "请填写工作进展"),
        ({"status": "finished"}, "进展状态"),
        ({"figures": {99999: "1"}}, "不属于该措施"),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_written(scheduled, users, kw, phrase):
    with pytest.raises(ex.ExecutionError, match=phrase):
        _report(scheduled, users, **kw)
    assert ProgressReport.objects.count() == 0


def test_a_bad_figure_is_refused(scheduled, users):
    target = scheduled.targets.get()
    with pytest.raises(ex.ExecutionError, match="不是有效数字"):
        _report(scheduled, users, figures={target.pk: "三千"})


def test_attachments_are_checked_for_size_and_type(scheduled, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ZHILIANG_ATTACHMENT_MAX_BYTES = 1000
    report = _report(scheduled, users)
    ok = ex.report_attach(
        report=report, name="培训签到表.pdf", data=b"%PDF-1.4 test", actor=users["department"]
    )
    assert (
        ok.content_type == "application/pdf"
        and (tmp_path / ok.file.name).read_bytes() == b"%PDF-1.4 test"
    )
    with pytest.raises(ex.ExecutionError, match="超过上限"):
        ex.report_attach(
            report=report, name="big.pdf", data=b"%PDF-" + b"x" * 2000, actor=users["department"]
        )
    with pytest.raises(ex.ExecutionError, match="不允许上传"):
        ex.report_attach(report=report, name="virus.exe", data=b"MZ", actor=users["department"])
    with pytest.raises(ex.ExecutionError, match="不是PDF"):
        ex.report_attach(report=report, name="fake.pdf", data=b"MZ\x90", actor=users["department"])
    assert ReportAttachment.objects.count() == 1


DISTRICT_DOC = """渝中区贯彻实施质量发展纲要2015年行动计划实施方案

一、简政放权

（一）深化全区质量领域行政审批改革。推行网上审批。（区质监局负责）

（二）提高辖区劳动者技能素质。新增技师300人。（区人力社保局负责）

二、其他

（三）加强河长制巡河工作。（区水利局负责）
"""


def test_an_uploaded_district_plan_becomes_tasks_under_matching_measures(seed_plan, users):
    one = PlanItem.objects.get(plan=seed_plan, label="（一）")
    two = PlanItem.objects.get(plan=seed_plan, label="（二）")
    ex.schedule_set(
        item=two, deadline=D(2015, 12, 31), reporting_cycle="monthly", actor=users["office"]
    )
    plan = ex.district_plan_create(
        district=_org("district-500103"),
        plan=seed_plan,
        title="渝中区实施方案",
        actor=users["district"],
        source_text=DISTRICT_DOC,
    )
    tasks, skipped = ex.district_plan_tasks_from_document(
        district_plan=plan, actor=users["district"]
    )
    assert [(t.item, t.title, t.deadline) for t in tasks] == [
        (two, "提高辖区劳动者技能素质", D(2015, 12, 31))
    ]
    assert (
        skipped[0].startswith("（一）深化全区质量领域行政审批改革") and "尚未设定时限" in skipped[0]
    )
    assert "未找到对应的市级措施" in skipped[1]
    assert one.tasks.count() == 0
    with pytest.raises(PermissionDenied):
        ex.district_plan_tasks_from_document(district_plan=plan, actor=users["other_district"])


def test_a_district_adds_its_own_units_and_gives_them_tasks(scheduled, seed_plan, users):
    yuzhong = _org("district-500103")
    plan = ex.district_plan_create(
        district=yuzhong, plan=seed_plan, title="渝中区实施方案", actor=users["district"]
    )
    unit = ex.district_unit_create(
        district=yuzhong, name="渝中区人力资源和社会保障局", actor=users["district"]
    )
    assert unit.parent == yuzhong and unit.division_id == "500103"
    task = ex.task_create(
        item=scheduled,
        title="区级技师培训",
        owner=unit,
        deadline=D(2015, 11, 30),
        actor=users["district"],
        district_plan=plan,
    )
    assert task.owner == unit
    with pytest.raises(PermissionDenied):
        ex.district_unit_create(district=yuzhong, name="越权单位", actor=users["other_district"])
    with pytest.raises(ex.ExecutionError, match="已存在"):
        ex.district_unit_create(
            district=yuzhong, name="渝中区人力资源和社会保障局", actor=users["district"]
        )
    # The district officer reports for the unit inside their district.
    report = ex.report_save(
        organisation=unit,
        item=scheduled,
        task=task,
        period="2015-10",
        status="in_progress",
        narrative="已培训80人",
        actor=users["district"],
    )
    assert report.organisation == unit


def test_two_people_creating_the_same_report_do_not_overwrite_each_other(
    scheduled, users, client_as
):
    url = f"/plans/measures/{scheduled.pk}/report/?organisation=cq-zjj"
    form = {"period": "2015-07", "status": "in_progress", "narrative": "甲先保存", "version": ""}
    client_as("department").post(url, form)
    response = client_as("office").post(url, {**form, "narrative": "乙后保存"}, follow=True)
    assert "已被他人修改" in response.content.decode()
    assert ProgressReport.objects.get().narrative == "甲先保存"


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "sNaN", "1e30", "0.00001", "三千"])
def test_impossible_figures_are_refused(scheduled, users, raw):
    target = scheduled.targets.get()
    with pytest.raises(ex.ExecutionError, match="不是有效数字"):
        _report(scheduled, users, figures={target.pk: raw})
    assert ProgressReport.objects.count() == 0


def test_odd_ids_and_names_get_answers_not_errors(scheduled, seed_plan, users, client_as):
    office = client_as("office")
    assert (
        office.get(
            f"/plans/measures/{scheduled.pk}/report/?organisation=cq-zjj&task=abc"
        ).status_code
        == 404
    )
    assert (
        office.post(f"/plans/{seed_plan.pk}/publication/", {"responsibility": "abc"}).status_code
        == 404
    )
    with pytest.raises(ex.ExecutionError, match="不超过128字"):
        ex.district_unit_create(
            district=_org("district-500103"), name="区" * 400, actor=users["district"]
        )
    report = _report(scheduled, users)
    response = client_as("department").post(
        f"/plans/reports/{report.pk}/submit/", {"version": "abc"}, follow=True
    )
    assert "已被他人修改" in response.content.decode()


def test_an_unreadable_upload_leaves_no_empty_district_plan(seed_plan, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhiliang.plans.models import DistrictPlan

    upload = SimpleUploadedFile(
        "p.txt", "只是一段话，不是方案。".encode(), content_type="text/plain"
    )
    response = client_as("district").post(
        f"/plans/{seed_plan.pk}/district-plans/new/",
        {"district": "district-500103", "title": "渝中区实施方案", "file": upload},
        follow=True,
    )
    assert '<li class="error">' in response.content.decode()
    assert DistrictPlan.objects.count() == 0


def test_a_district_does_not_see_another_districts_tasks_on_a_measure(
    scheduled, seed_plan, users, client_as
):
    yuzhong = _org("district-500103")
    plan = ex.district_plan_create(
        district=yuzhong, plan=seed_plan, title="渝中区实施方案", actor=users["district"]
    )
    ex.task_create(
        item=scheduled,
        title="渝中区的秘密任务",
        owner=yuzhong,
        deadline=D(2015, 11, 30),
        actor=users["district"],
        district_plan=plan,
    )
    url = f"/plans/measures/{scheduled.pk}/"
    assert "渝中区的秘密任务" in client_as("district").get(url).content.decode()
    assert "渝中区的秘密任务" in client_as("office").get(url).content.decode()
    assert "渝中区的秘密任务" not in client_as("other_district").get(url).content.decode()


def test_a_deadline_cannot_move_before_its_milestones(scheduled, users):
    ex.milestone_add(
        item=scheduled, due_on=D(2015, 12, 15), title="年底前完成培训", actor=users["office"]
    )
    with pytest.raises(ex.ExecutionError, match="年底前完成培训"):
        ex.schedule_set(
            item=scheduled,
            deadline=D(2015, 11, 30),
            reporting_cycle="monthly",
            actor=users["office"],
        )
