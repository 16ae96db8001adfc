from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from zhiliang.plans.deadlines import obligations, reminders_email, reminders_for, reminders_generate
from zhiliang.plans.models import PlanItem, Reminder
from zhiliang.plans.services import execution as ex
from zhiliang.registry.models import Organisation

D = dt.date


@pytest.fixture
def scheduled(seed_plan, users):
    item = PlanItem.objects.get(plan=seed_plan, label="（二）")  # four units named
    ex.schedule_set(
        item=item, deadline=D(2015, 10, 9), reporting_cycle="monthly", actor=users["office"]
    )
    return item


def test_due_soon_counts_working_days_across_national_day(scheduled):
    # 2015-09-30 + 5 working days = 2015-10-14 (Oct 1–7 are holidays, Oct 10 a make-up day).
    states = {ob.organisation.key: ob.state(D(2015, 9, 30)) for ob in obligations()}
    assert states == {
        "cq-rsj": "due_soon",
        "cq-jw": "due_soon",
        "cq-jxw": "due_soon",
        "cq-zjj": "due_soon",
    }
    assert {ob.state(D(2015, 9, 1)) for ob in obligations()} == {"open"}
    assert {ob.state(D(2015, 10, 12)) for ob in obligations()} == {"overdue"}


def test_an_accepted_done_report_completes_the_obligation(scheduled, users):
    zjj = Organisation.objects.get(key="cq-zjj")
    report = ex.report_save(
        organisation=zjj,
        item=scheduled,
        period="2015-10",
        status="done",
        narrative="完成",
        actor=users["department"],
    )
    ex.report_submit(report=report, actor=users["department"])
    ex.report_accept(report=report, actor=users["office"])
    states = {ob.organisation.key: ob.state(D(2015, 10, 12)) for ob in obligations()}
    assert states["cq-zjj"] == "complete" and states["cq-rsj"] == "overdue"


def test_the_reminder_run_is_idempotent(scheduled):
    # Four units are overdue, and none has reported for September (monthly cycle).
    assert reminders_generate(today=D(2015, 10, 12)) == 8
    assert reminders_generate(today=D(2015, 10, 12)) == 0
    assert reminders_generate(today=D(2015, 10, 13)) == 0  # the same obligations and period
    kinds = list(Reminder.objects.values_list("kind", flat=True))
    assert sorted(kinds) == ["overdue"] * 4 + ["report_due"] * 4
    assert "已于 2015-10-09 到期" in Reminder.objects.first().message


def test_the_command_reports_what_it_did(scheduled, capsys):
    call_command("plan", "remind", "--today", "2015-10-12")
    assert "reminders created 8" in capsys.readouterr().out
    call_command("plan", "remind", "--today", "2015-10-12")
    assert "reminders created 0" in capsys.readouterr().out


def test_reminders_reach_the_officers_of_the_unit(scheduled, users):
    reminders_generate(today=D(2015, 10, 12))
    assert {r.organisation.key for r in reminders_for(users["department"])} == {"cq-zjj"}
    assert list(reminders_for(users["district"])) == []


def test_email_is_sent_once_when_configured(scheduled, users, settings):
    users["department"].email = "zjj@example.gov.cn"
    users["department"].save()
    reminders_generate(today=D(2015, 10, 12))
    assert reminders_email() == 0  # off by default
    settings.ZHILIANG_REMINDER_EMAIL = True
    assert reminders_email() == 2  # only 市质监局 has an officer with an address: 2 reminders
    assert reminders_email() == 0
    assert mail.outbox[0].to == ["zjj@example.gov.cn"]
    assert Reminder.objects.filter(emailed_at=None).count() == 0


def test_the_reminder_run_survives_a_year_whose_holidays_are_not_published(seed_plan, users):
    item = PlanItem.objects.get(plan=seed_plan, label="（二）")
    ex.schedule_set(
        item=item, deadline=D(2027, 1, 4), reporting_cycle="monthly", actor=users["office"]
    )
    # 2026-12-28 + 5 working days reaches into 2027, which chinesecalendar 1.11 lacks.
    assert reminders_generate(today=D(2026, 12, 28)) == 8  # due soon + November not reported
    assert set(Reminder.objects.values_list("kind", flat=True)) == {"due_soon", "report_due"}


def test_a_mail_failure_leaves_the_reminder_for_the_next_run(
    scheduled, users, settings, monkeypatch
):
    users["department"].email = "zjj@example.gov.cn"
    users["department"].save()
    reminders_generate(today=D(2015, 10, 12))
    settings.ZHILIANG_REMINDER_EMAIL = True

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("zhiliang.plans.deadlines.send_mail", refuse)
    assert reminders_email() == 0
    assert not Reminder.objects.filter(organisation__key="cq-zjj").exclude(emailed_at=None).exists()
    monkeypatch.undo()
    settings.ZHILIANG_REMINDER_EMAIL = True
    assert reminders_email() == 2


def test_a_submitted_report_for_the_last_period_stops_the_report_reminder(scheduled, users):
    zjj = Organisation.objects.get(key="cq-zjj")
    report = ex.report_save(
        organisation=zjj,
        item=scheduled,
        period="2015-09",
        status="in_progress",
        narrative="九月进展",
        actor=users["department"],
    )
    reminders_generate(today=D(2015, 10, 2))
    assert Reminder.objects.filter(
        kind="report_due", organisation=zjj
    ).exists()  # a draft is not handed in
    Reminder.objects.all().delete()
    ex.report_submit(report=report, actor=users["department"])
    reminders_generate(today=D(2015, 10, 2))
    due = set(
        Reminder.objects.filter(kind="report_due").values_list("organisation__key", flat=True)
    )
    assert due == {"cq-rsj", "cq-jw", "cq-jxw"}
    assert (
        "请报送“（二）提高劳动者技能素质”2015-09的工作进展"
        in Reminder.objects.filter(kind="report_due").first().message
    )


def test_an_officer_marks_their_reminder_read(scheduled, users, client_as):
    reminders_generate(today=D(2015, 10, 12))
    mine = reminders_for(users["department"]).first()
    others = Reminder.objects.exclude(organisation__key="cq-zjj").first()
    assert client_as("district").post(f"/plans/reminders/{mine.pk}/read/").status_code == 404
    assert client_as("department").post(f"/plans/reminders/{others.pk}/read/").status_code == 404
    assert client_as("department").post(f"/plans/reminders/{mine.pk}/read/").status_code == 302
    assert mine.pk not in {r.pk for r in reminders_for(users["department"])}
