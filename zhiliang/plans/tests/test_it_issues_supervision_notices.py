"""督办通知: numbering, who issues and who replies, who sees what, and the printed PDF."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from pypdf import PdfReader

from zhiliang.accounts.models import AuditEntry
from zhiliang.plans.models import PlanItem, SupervisionNotice
from zhiliang.plans.services import execution as ex
from zhiliang.plans.services import notices as svc
from zhiliang.registry.models import Organisation

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUE_DAY = D(2015, 10, 12)  # a Monday after the National Day holiday
with translation.override("zh-hans"):
    REQUIRED = str(forms.Field.default_error_messages["required"])


@pytest.fixture
def clock(monkeypatch):
    """Pins ``timezone.now`` (and so ``localdate`` and ``auto_now_add``) to a day at 10:00."""

    def set_to(day: dt.date) -> None:
        moment = dt.datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    set_to(ISSUE_DAY)
    return set_to


@pytest.fixture
def measure(seed_plan):
    return PlanItem.objects.get(plan=seed_plan, label="（二）")  # 提高劳动者技能素质


def _org(key: str) -> Organisation:
    return Organisation.objects.get(key=key)


@pytest.fixture
def issue(measure, users, clock):
    def make(key: str = "cq-zjj", **kwargs):
        defaults = {
            "organisation": _org(key),
            "item": measure,
            "facts": "截至9月底，技师培训完成率仅为35%，明显滞后于序时进度。",
            "reply_due": D(2015, 10, 19),
            "actor": users["office"],
        }
        return svc.notice_issue(**{**defaults, **kwargs})

    return make


@pytest.fixture
def yuzhong_unit(registry):
    """A unit inside 渝中区: the district officer answers for it too."""
    return Organisation.objects.create(
        key="yz-zjj",
        name="重庆市渝中区质量技术监督局",
        kind=Organisation.Kind.DEPARTMENT,
        parent=_org("district-500103"),
    )


# --- numbering -------------------------------------------------------------------------


def test_numbers_run_within_the_year_and_restart_the_next(issue, clock):
    first, second, third = issue(), issue("district-500103"), issue()
    assert [n.serial for n in (first, second, third)] == [1, 2, 3]
    assert first.number == "渝质督〔2015〕1号"
    assert third.number == "渝质督〔2015〕3号"
    clock(D(2016, 1, 4))
    next_year = issue(reply_due=D(2016, 1, 11))
    assert (next_year.year, next_year.serial) == (2016, 1)
    assert next_year.number == "渝质督〔2016〕1号"
    assert SupervisionNotice.objects.filter(year=2015).count() == 3


def test_a_number_taken_in_between_is_skipped_not_reused(issue, measure, users, monkeypatch):
    # Another issuer commits number 1 after this one read the year's numbers: the unique
    # (year, serial) constraint refuses the duplicate and the service takes the next one.
    taken = issue()
    real_next = svc._next_serial
    stale = iter([taken.serial])
    monkeypatch.setattr(svc, "_next_serial", lambda year: next(stale, None) or real_next(year))
    notice = issue()
    assert notice.serial == 2
    assert sorted(SupervisionNotice.objects.values_list("serial", flat=True)) == [1, 2]


def test_the_default_reply_deadline_counts_working_days():
    assert svc.default_reply_due(D(2015, 10, 12)) == D(2015, 10, 19)
    # 10-1 … 10-7 National Day holiday; Saturday 10-10 a make-up working day (调休).
    assert svc.default_reply_due(D(2015, 9, 30)) == D(2015, 10, 13)


# --- issuing ---------------------------------------------------------------------------


def test_issuing_is_audited(issue, users):
    notice = issue()
    entry = AuditEntry.objects.get(action="notice.issue")
    assert entry.actor == users["office"]
    assert entry.object_id == str(notice.pk)
    assert entry.before is None
    assert entry.after == {
        "number": "渝质督〔2015〕1号",
        "organisation": "重庆市质量技术监督局",
        "item": notice.item_id,
        "task": None,
        "facts": notice.facts,
        "reply_due": "2015-10-19",
    }
    assert notice.issued_by == users["office"]
    assert timezone.localdate(notice.issued_at) == ISSUE_DAY


@pytest.mark.parametrize("persona", ["department", "district", "inspector", "hospital"])
def test_only_the_office_issues(issue, users, persona):
    with pytest.raises(PermissionDenied):
        issue(actor=users[persona])
    assert not SupervisionNotice.objects.exists()
    assert not AuditEntry.objects.filter(action="notice.issue").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"facts": ""}, svc.ERR_EMPTY_FACTS),
        ({"facts": " \n\u3000 "}, svc.ERR_EMPTY_FACTS),
        ({"reply_due": ISSUE_DAY}, "必须晚于今天"),
        ({"reply_due": D(2015, 10, 1)}, "必须晚于今天"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(issue, change, message):
    with pytest.raises(ex.ExecutionError, match=message.split("%")[0]):
        issue(**change)
    assert not SupervisionNotice.objects.exists()
    assert not AuditEntry.objects.filter(action="notice.issue").exists()


def test_a_notice_names_one_measure_and_one_unit(issue, seed_plan, users):
    section = PlanItem.objects.get(plan=seed_plan, label="一、")
    with pytest.raises(ex.ExecutionError, match="章节标题"):
        issue(item=section)
    with pytest.raises(ex.ExecutionError, match="不能作为督办对象"):
        issue("cq-districts")  # 各区县（自治县）人民政府: no one to reply
    assert not SupervisionNotice.objects.exists()


def test_a_task_must_belong_to_the_measure(issue, measure, seed_plan, users):
    ex.schedule_set(
        item=measure, deadline=D(2015, 12, 31), reporting_cycle="monthly", actor=users["office"]
    )
    task = ex.task_create(
        item=measure,
        title="完成技师培训5000人",
        owner=_org("cq-rsj"),
        deadline=D(2015, 11, 30),
        actor=users["office"],
    )
    other = PlanItem.objects.get(plan=seed_plan, label="（一）")
    with pytest.raises(ex.ExecutionError, match="不属于措施"):
        issue("cq-rsj", item=other, task=task)
    notice = issue("cq-rsj", task=task)
    assert notice.task == task


# --- replying --------------------------------------------------------------------------


def test_the_addressed_unit_replies_once_and_it_is_audited(issue, users):
    notice = issue("district-500103")
    replied = svc.notice_reply(
        notice=notice, reply_text="  已组织专项培训，完成率提高到80%。 ", actor=users["district"]
    )
    assert replied.reply_text == "已组织专项培训，完成率提高到80%。"
    assert replied.replied_by == users["district"]
    assert timezone.localdate(replied.replied_at) == ISSUE_DAY
    entry = AuditEntry.objects.get(action="notice.reply")
    assert entry.object_id == str(notice.pk)
    assert entry.before == {"reply_text": "", "replied_by": None, "replied_at": None}
    assert entry.after["reply_text"] == "已组织专项培训，完成率提高到80%。"
    assert entry.after["replied_by"] == "district"
    assert entry.after["replied_at"].startswith("2015-10-12")

    with pytest.raises(ex.ExecutionError, match="不能重复反馈"):
        svc.notice_reply(notice=notice, reply_text="改一下", actor=users["district"])
    notice.refresh_from_db()
    assert notice.reply_text == "已组织专项培训，完成率提高到80%。"
    assert AuditEntry.objects.filter(action="notice.reply").count() == 1


@pytest.mark.parametrize("persona", ["other_district", "department", "hospital", "outsider"])
def test_no_one_else_replies(issue, users, persona):
    notice = issue("district-500103")
    with pytest.raises(PermissionDenied):
        svc.notice_reply(notice=notice, reply_text="代为反馈", actor=users[persona])
    notice.refresh_from_db()
    assert notice.replied_at is None and notice.reply_text == ""
    assert not AuditEntry.objects.filter(action="notice.reply").exists()


def test_a_district_officer_replies_for_a_unit_inside_the_district(issue, users, yuzhong_unit):
    notice = issue("yz-zjj")
    with pytest.raises(PermissionDenied):
        svc.notice_reply(notice=notice, reply_text="已整改", actor=users["other_district"])
    svc.notice_reply(notice=notice, reply_text="已整改", actor=users["district"])
    notice.refresh_from_db()
    assert notice.replied_by == users["district"]


def test_the_office_records_a_written_reply_on_behalf_of_the_unit(issue, users):
    notice = svc.notice_reply(
        notice=issue(), reply_text="书面反馈：已整改。", actor=users["office"]
    )
    assert notice.replied_by == users["office"]
    assert AuditEntry.objects.get(action="notice.reply").actor == users["office"]


def test_an_empty_reply_is_refused(issue, users):
    notice = issue()
    with pytest.raises(ex.ExecutionError, match=svc.ERR_EMPTY_REPLY):
        svc.notice_reply(notice=notice, reply_text=" \n ", actor=users["department"])
    notice.refresh_from_db()
    assert notice.replied_at is None
    assert not AuditEntry.objects.filter(action="notice.reply").exists()


def test_status_turns_overdue_after_the_deadline_and_records_a_late_reply(issue, users, clock):
    notice = issue()
    assert svc.notice_status(notice, today=D(2015, 10, 19)) == svc.NoticeStatus.PENDING
    assert svc.notice_status(notice, today=D(2015, 10, 20)) == svc.NoticeStatus.OVERDUE
    clock(D(2015, 10, 21))
    notice = svc.notice_reply(notice=notice, reply_text="已落实", actor=users["department"])
    assert svc.notice_status(notice, today=D(2015, 10, 21)) == svc.NoticeStatus.REPLIED_LATE


# --- who sees what ---------------------------------------------------------------------


@pytest.fixture
def three_notices(issue, yuzhong_unit):
    return {
        "zjj": issue("cq-zjj"),
        "yuzhong": issue("district-500103"),
        "yz_unit": issue("yz-zjj"),
    }


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("office", {"zjj", "yuzhong", "yz_unit"}),
        ("admin", {"zjj", "yuzhong", "yz_unit"}),
        ("department", {"zjj"}),
        ("inspector", {"zjj"}),
        ("district", {"yuzhong", "yz_unit"}),
        ("other_district", set()),
    ],
)
def test_each_persona_lists_only_the_notices_it_may_see(client_as, three_notices, persona, sees):
    response = client_as(persona).get("/plans/notices/")
    assert response.status_code == 200
    page = response.content.decode()
    for name, notice in three_notices.items():
        assert (f"/plans/notices/{notice.pk}/" in page) == (name in sees), name
    if persona in ("office", "admin"):
        assert "/plans/notices/new/" in page
    else:
        assert "/plans/notices/new/" not in page


@pytest.mark.parametrize("persona", ["outsider", "hospital", "enterprise_user"])
def test_people_outside_government_are_refused(client_as, three_notices, persona):
    client = client_as(persona)
    notice = three_notices["zjj"]
    for url in (
        "/plans/notices/",
        f"/plans/notices/{notice.pk}/",
        f"/plans/notices/{notice.pk}/pdf/",
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(client_as, three_notices):
    notice = three_notices["zjj"]
    for url in (
        "/plans/notices/",
        "/plans/notices/new/",
        f"/plans/notices/{notice.pk}/",
        f"/plans/notices/{notice.pk}/pdf/",
    ):
        response = client_as(None).get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_notice_to_another_unit_is_not_found(client_as, three_notices):
    yuzhong = three_notices["yuzhong"]
    for persona in ("other_district", "department"):
        client = client_as(persona)
        assert client.get(f"/plans/notices/{yuzhong.pk}/").status_code == 404
        assert client.get(f"/plans/notices/{yuzhong.pk}/pdf/").status_code == 404
        response = client.post(f"/plans/notices/{yuzhong.pk}/reply/", {"reply_text": "x"})
        assert response.status_code == 404
    yuzhong.refresh_from_db()
    assert yuzhong.replied_at is None


def test_the_district_sees_and_answers_its_notice_on_the_page(client_as, three_notices):
    notice = three_notices["yuzhong"]
    client = client_as("district")
    page = client.get(f"/plans/notices/{notice.pk}/").content.decode()
    assert "渝质督〔2015〕2号" in page
    assert "技师培训完成率仅为35%" in page
    assert f"/plans/notices/{notice.pk}/reply/" in page

    empty = client.post(f"/plans/notices/{notice.pk}/reply/", {"reply_text": "  "})
    assert empty.status_code == 400
    notice.refresh_from_db()
    assert notice.replied_at is None

    done = client.post(f"/plans/notices/{notice.pk}/reply/", {"reply_text": "已完成整改。"})
    assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.reply_text == "已完成整改。"

    again = client.post(f"/plans/notices/{notice.pk}/reply/", {"reply_text": "再次反馈"})
    assert again.status_code == 400
    assert "不能重复反馈" in again.content.decode()
    notice.refresh_from_db()
    assert notice.reply_text == "已完成整改。"
    page = client.get(f"/plans/notices/{notice.pk}/").content.decode()
    assert "已完成整改。" in page
    assert f"/plans/notices/{notice.pk}/reply/" not in page


def test_the_list_marks_a_notice_overdue_once_its_deadline_has_passed(client_as, issue, clock):
    issue()
    assert "待反馈" in client_as("department").get("/plans/notices/").content.decode()
    clock(D(2015, 10, 20))
    page = client_as("department").get("/plans/notices/").content.decode()
    assert "逾期未反馈" in page and "待反馈" not in page


def test_the_reply_page_takes_posts_only(client_as, three_notices):
    notice = three_notices["zjj"]
    assert client_as("department").get(f"/plans/notices/{notice.pk}/reply/").status_code == 405


# --- issuing on the page ---------------------------------------------------------------


def test_the_office_issues_a_notice_through_the_form(client_as, measure, clock):
    client = client_as("office")
    form = client.get(f"/plans/notices/new/?item={measure.pk}&organisation=cq-zjj")
    page = form.content.decode()
    assert form.status_code == 200
    assert '<option value="cq-zjj" selected>' in page
    assert f'<option value="{measure.pk}" selected>' in page
    assert 'value="2015-10-19"' in page  # five working days after 2015-10-12
    assert "章节标题" not in page and "一、简政放权" not in page  # only measures to choose

    response = client.post(
        "/plans/notices/new/",
        {
            "organisation": "cq-zjj",
            "item": measure.pk,
            "facts": "培训进度滞后。",
            "reply_due": "2015-10-19",
        },
    )
    notice = SupervisionNotice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/plans/notices/{notice.pk}/"
    assert (notice.number, notice.organisation.key, notice.item) == (
        "渝质督〔2015〕1号",
        "cq-zjj",
        measure,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"facts": "", "reply_due": "2015-10-19"}, REQUIRED),
        ({"facts": "滞后", "reply_due": "2015-10-12"}, "必须晚于今天"),
        ({"facts": "滞后", "reply_due": "2015-09-30"}, "必须晚于今天"),
    ],
)
def test_the_form_refuses_bad_input_and_writes_nothing(client_as, measure, clock, data, message):
    response = client_as("office").post(
        "/plans/notices/new/", {"organisation": "cq-zjj", "item": measure.pk, **data}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SupervisionNotice.objects.exists()
    assert not AuditEntry.objects.filter(action="notice.issue").exists()


@pytest.mark.parametrize("persona", ["department", "district", "inspector"])
def test_only_the_office_opens_the_form(client_as, measure, persona):
    client = client_as(persona)
    assert client.get("/plans/notices/new/").status_code == 403
    response = client.post(
        "/plans/notices/new/",
        {"organisation": "cq-zjj", "item": measure.pk, "facts": "x", "reply_due": "2030-01-01"},
    )
    assert response.status_code == 403
    assert not SupervisionNotice.objects.exists()


# --- the PDF ---------------------------------------------------------------------------


def _fonts(reader: PdfReader, page: int) -> dict[str, bool]:
    """Font name → whether its program is embedded, for one page."""
    fonts: dict[str, bool] = {}
    resources = reader.pages[page]["/Resources"]["/Font"]
    for ref in resources.values():
        font = ref.get_object()
        descendants = font.get("/DescendantFonts")
        described = descendants[0].get_object() if descendants else font
        descriptor = described["/FontDescriptor"].get_object()
        embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        fonts[str(font["/BaseFont"])] = embedded
    return fonts


def _text(page) -> str:
    return "".join(page.extract_text().split()).replace("\u200b", "")


def test_the_pdf_is_the_official_document(client_as, three_notices):
    notice = three_notices["zjj"]
    response = client_as("department").get(f"/plans/notices/{notice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "inline; filename*=UTF-8''%E6%B8%9D%E8%B4%A8%E7%9D%A3%E3%80%942015%E3%80%951%E5%8F%B7.pdf"
    )
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    first = _text(reader.pages[0])
    assert "重庆市质量工作部门联席会议办公室" in first  # 发文机关标志
    assert "渝质督〔2015〕1号督办通知" in first
    assert "重庆市质量技术监督局：" in first
    assert "“（二）提高劳动者技能素质”" in first
    whole = "".join(_text(page) for page in reader.pages)
    assert "技师培训完成率仅为35%" in whole
    assert "于2015年10月19日前将落实情况书面反馈" in whole
    assert "重庆市质量工作部门联席会议办公室2015年10月12日" in whole  # 署名 and 成文日期
    assert "2015年10月12日印发" in whole
    assert "反馈情况" not in whole  # not replied yet
    fonts = _fonts(reader, 0)
    assert fonts and all(fonts.values()), fonts  # every font embedded: prints anywhere
    assert any("CJK" in name for name in fonts), fonts


def test_a_replied_notice_prints_the_reply_on_its_own_page(client_as, three_notices, users):
    notice = svc.notice_reply(
        notice=three_notices["yuzhong"],
        reply_text="已组织专项培训。\n完成率提高到80%。",
        actor=users["district"],
    )
    response = client_as("district").get(f"/plans/notices/{notice.pk}/pdf/")
    reader = PdfReader(io.BytesIO(response.content))
    *notice_pages, last = [_text(page) for page in reader.pages]
    assert notice_pages and not any("反馈情况" in text for text in notice_pages)
    assert "督办事项" not in last
    unit = notice.organisation.name
    assert last.startswith(f"反馈情况督办通知：渝质督〔2015〕2号反馈单位：{unit}反馈日期")
    assert "反馈日期：2015年10月12日" in last
    assert "已组织专项培训。完成率提高到80%。" in last


def test_a_notice_cannot_cite_another_units_task(seed_plan, users):
    import datetime as dt

    from zhiliang.plans.models import PlanItem
    from zhiliang.plans.services import execution as ex
    from zhiliang.plans.services.notices import notice_issue
    from zhiliang.registry.models import Organisation

    item = PlanItem.objects.get(plan=seed_plan, label="（二）")
    ex.schedule_set(
        item=item, deadline=dt.date(2030, 12, 31), reporting_cycle="monthly", actor=users["office"]
    )
    rsj = Organisation.objects.get(key="cq-rsj")
    task = ex.task_create(
        item=item, title="技师培训", owner=rsj, deadline=dt.date(2030, 6, 30), actor=users["office"]
    )
    with pytest.raises(ex.ExecutionError, match="不是"):
        notice_issue(
            organisation=Organisation.objects.get(key="cq-zjj"),
            item=item,
            task=task,
            facts="进度滞后",
            reply_due=dt.date(2030, 1, 10),
            actor=users["office"],
        )
