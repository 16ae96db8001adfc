"""One sample's life (产品质量法 Art. 15–17): record → test report → notification →
objection and re-test → disposal ladder, the trace-back referral, and each legal clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhiliang.accounts.models import AuditEntry
from zhiliang.inspections.models import (
    DisposalAction,
    Laboratory,
    Objection,
    PassTally,
    Referral,
    Sample,
)
from zhiliang.inspections.selectors import overdue_steps, sample_steps
from zhiliang.inspections.services import samples as svc
from zhiliang.inspections.services.tallies import tally_rebuild
from zhiliang.inspections.tests import factories as f
from zhiliang.lib.samplingsteps import Step, StepState
from zhiliang.registry.models import Enterprise

D = dt.date


def _tally() -> list[tuple[int, int]]:
    """(tested, passed) of the cells counted where samples were sampled; those counted
    where they were made must hold the same totals."""
    cells = PassTally.objects.order_by("id")
    sampled = list(cells.filter(place="sampled").values_list("tested", "passed"))
    made = list(cells.filter(place="made").values_list("tested", "passed"))
    totals = [sum(c[i] for c in sampled) for i in (0, 1)]
    assert [sum(c[i] for c in made) for i in (0, 1)] == totals
    return sampled


def _report(sample, actor=None, conclusion="fail", failed_items="电气强度", **kwargs):
    values = {
        "lab": f.lab(),
        "report_no": "R-" + sample.sample_no,
        "reported_on": D(2025, 3, 20),
        "conclusion": conclusion,
        "failed_items": failed_items,
    }
    values.update(kwargs)
    return svc.sample_report(actor=actor, sample=sample, **values)


def _steps(sample, today) -> dict[str, tuple[dt.date | None, str]]:
    fresh = Sample.objects.get(pk=sample.pk)
    return {s.step: (s.due, s.state) for s in sample_steps(fresh, today)}


# --- record ---------------------------------------------------------------------------------


def test_recording_registers_unknown_parties_and_audits(users):
    known = f.enterprise(f.YUZHONG, industry="C3854")
    data = f.sample_input(party_uscc=known.uscc, producer_region=f.WANZHOU)
    sample = svc.sample_record(actor=users["district"], data=data)

    assert sample.sampled_party == known and known.registered_via == ""
    producer = Enterprise.objects.get(uscc=data.producer_uscc)
    assert producer.registered_via == "抽样单 CQ-2025-0001"
    assert producer.district_id == f.WANZHOU and producer.region == f.WANZHOU
    assert sample.final_conclusion == "" and sample.created_by == users["district"]
    entry = AuditEntry.objects.get(action="sample.record")
    assert entry.actor == users["district"] and entry.object_id == str(sample.pk)
    assert entry.after["producer"] == data.producer_uscc and entry.after["district"] == f.YUZHONG
    assert not PassTally.objects.exists()


def test_a_producer_outside_the_city_is_registered_with_its_region_only(users):
    data = f.sample_input(producer_region=f.CHENGDU_WUHOU)
    svc.sample_record(actor=users["inspector"], data=data)
    producer = Enterprise.objects.get(uscc=data.producer_uscc)
    assert producer.district is None and producer.region == f.CHENGDU_WUHOU


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sampled_on": D(2099, 1, 1)}, svc.ERR_FUTURE % {"what": "抽样日期"}),
        ({"producer_region": "509999"}, svc.ERR_REGION % {"code": "509999"}),
        ({"party_uscc": "91500103MA5U000000"}, None),  # bad check character
    ],
)
def test_bad_records_write_nothing(users, change, message):
    before = (Enterprise.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as exc:
        svc.sample_record(actor=users["office"], data=f.sample_input(**change))
    if message:
        assert exc.value.messages == [message]
    else:
        assert "统一社会信用代码“91500103MA5U000000”无效" in exc.value.messages[0]
    assert not Sample.objects.exists()
    assert (Enterprise.objects.count(), AuditEntry.objects.count()) == before


def test_production_channel_samples_are_taken_from_the_producer(users):
    data = f.sample_input(channel="production")
    data.sampled_party_role = "seller"
    with pytest.raises(ValidationError) as exc:
        svc.sample_record(actor=users["office"], data=data)
    assert exc.value.messages == [svc.ERR_ROLE]


def test_who_may_record_where(users):
    with pytest.raises(ValidationError) as exc:
        svc.sample_record(actor=users["other_district"], data=f.sample_input())
    assert exc.value.messages == [svc.ERR_DISTRICT % {"district": "渝中区"}]
    for name in ("outsider", "hospital", "enterprise_user"):
        with pytest.raises(PermissionDenied):
            svc.sample_record(actor=users[name], data=f.sample_input())
    assert not Sample.objects.exists() and not Enterprise.objects.exists()


# --- report ---------------------------------------------------------------------------------


def test_a_passing_report_counts_once_and_opens_nothing(users):
    sample = svc.sample_record(
        actor=users["district"], data=f.sample_input(producer_region=f.WANZHOU)
    )
    sample = _report(sample, users["district"], conclusion="pass", failed_items="")
    assert (sample.conclusion, sample.final_conclusion) == ("pass", "pass")
    assert _tally() == [(1, 1)]
    assert not Referral.objects.exists()
    entry = AuditEntry.objects.get(action="sample.report")
    assert entry.before["conclusion"] == "" and entry.after["final_conclusion"] == "pass"
    with pytest.raises(ValidationError) as exc:
        _report(sample, users["district"], conclusion="pass", failed_items="")
    assert exc.value.messages == [svc.ERR_REPORTED]
    assert _tally() == [(1, 1)]


def test_report_rules_on_failed_items(users):
    sample = svc.sample_record(actor=None, data=f.sample_input())
    with pytest.raises(ValidationError) as exc:
        _report(sample, conclusion="fail", failed_items="")
    assert exc.value.messages == [svc.ERR_FAILED_ITEMS]
    with pytest.raises(ValidationError) as exc:
        _report(sample, conclusion="pass", failed_items="标签")
    assert exc.value.messages == [svc.ERR_PASS_WITH_ITEMS]
    with pytest.raises(ValidationError) as exc:
        _report(sample, reported_on=D(2025, 3, 1))  # before sampling on 3 March
    assert exc.value.messages == [
        svc.ERR_BEFORE % {"what": "报告日期", "other": "送样或抽样日期", "date": "2025-03-03"}
    ]
    sample.refresh_from_db()
    assert sample.conclusion == "" and not PassTally.objects.exists()
    assert not AuditEntry.objects.filter(action="sample.report").exists()

    # Failed items may come from the per-item results.
    items = [
        svc.ItemInput(name="标签", result="符合", passed=True),
        svc.ItemInput(name="电气强度", result="击穿", passed=False, requirement="无击穿"),
    ]
    sample = _report(sample, conclusion="fail", failed_items="", items=items)
    assert sample.failed_items == "电气强度"
    assert sample.items.count() == 2


def test_only_the_sampling_districts_writers_report(users):
    sample = svc.sample_record(actor=users["district"], data=f.sample_input())
    for name in ("other_district", "outsider", "hospital"):
        with pytest.raises(PermissionDenied):
            _report(sample, users[name])
    assert Sample.objects.get().conclusion == ""


# --- notification and objection ---------------------------------------------------------------


def test_only_failed_samples_are_notified_and_only_once(users):
    passed = svc.sample_record(actor=None, data=f.sample_input(sample_no="P-1"))
    passed = _report(passed, conclusion="pass", failed_items="")
    with pytest.raises(ValidationError) as exc:
        svc.sample_notify(actor=None, sample=passed, notified_on=D(2025, 3, 24))
    assert exc.value.messages == [svc.ERR_NOT_FAILED]

    failed = f.failed_sample(users["district"])
    with pytest.raises(ValidationError) as exc:
        svc.sample_notify(actor=users["district"], sample=failed, notified_on=D(2025, 3, 19))
    assert exc.value.messages == [
        svc.ERR_BEFORE % {"what": "通知日期", "other": "报告日期", "date": "2025-03-20"}
    ]
    svc.sample_notify(
        actor=users["district"],
        sample=failed,
        notified_on=D(2025, 3, 24),
        received_on=D(2025, 3, 25),
    )
    failed.refresh_from_db()
    assert (failed.notified_on, failed.result_received_on) == (D(2025, 3, 24), D(2025, 3, 25))
    entry = AuditEntry.objects.get(action="sample.notify")
    assert entry.before["notified_on"] is None and entry.after["notified_on"] == "2025-03-24"
    with pytest.raises(ValidationError) as exc:
        svc.sample_notify(actor=users["district"], sample=failed, notified_on=D(2025, 4, 1))
    assert exc.value.messages == [svc.ERR_NOTIFIED % {"date": "2025-03-24"}]


MARCH_25 = D(2025, 3, 25)


def _notified(actor=None, received=MARCH_25, **kwargs):
    sample = f.failed_sample(actor, **kwargs)
    return svc.sample_notify(
        actor=actor,
        sample=sample,
        notified_on=received - dt.timedelta(days=1),
        received_on=received,
    )


def test_an_objection_needs_a_notified_failure(users):
    sample = f.failed_sample()
    with pytest.raises(ValidationError) as exc:
        svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 3, 26), reason="异议")
    assert exc.value.messages == [svc.ERR_NOT_NOTIFIED]
    assert not Objection.objects.exists()


def test_an_objection_on_the_fifteenth_day_is_in_time(users):
    sample = _notified(users["district"])  # received 25 March: window ends 9 April
    objection = svc.objection_file(
        actor=users["district"], sample=sample, filed_on=D(2025, 4, 9), reason="样品保存不当"
    )
    assert objection.in_time and objection.accepted is None
    entry = AuditEntry.objects.get(action="sample.objection")
    assert entry.after == {"filed_on": "2025-04-09", "in_time": True}
    assert entry.reason == "样品保存不当"
    with pytest.raises(ValidationError) as exc:
        svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 4, 9), reason="再次")
    assert exc.value.messages == [svc.ERR_OBJECTION_EXISTS]


def test_a_late_objection_is_refused_at_once_and_the_result_stands(users):
    sample = _notified(users["district"])
    objection = svc.objection_file(
        actor=users["district"], sample=sample, filed_on=D(2025, 4, 10), reason="迟到"
    )
    assert not objection.in_time and objection.accepted is False
    assert objection.decided_on == D(2025, 4, 10) and "视为承认检验结果" in objection.decision_note
    with pytest.raises(ValidationError) as exc:
        svc.objection_decide(
            actor=None,
            objection=objection,
            decided_on=D(2025, 4, 11),
            accepted=True,
            retest_lab=f.lab("另一检验机构"),
        )
    assert exc.value.messages == [svc.ERR_DECIDED]
    assert Sample.objects.get().final_conclusion == "fail"


def test_the_window_ending_in_a_holiday_runs_to_the_next_working_day(users):
    """民法典 Art. 203: received 20 Sep 2025, day 15 is 5 Oct (National Day holiday
    1–8 Oct), so the window closes on Thursday 9 Oct."""
    sample = _notified(
        received=D(2025, 9, 20), sampled_on=D(2025, 9, 1), reported_on=D(2025, 9, 15)
    )
    objection = svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 10, 9), reason="x")
    assert objection.in_time
    steps = _steps(sample, D(2025, 10, 9))
    assert steps[Step.OBJECTION_WINDOW] == (D(2025, 10, 9), StepState.DONE)


def test_the_retest_lab_must_differ_from_the_first_lab(users):
    sample = _notified(users["district"])
    objection = svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 4, 1), reason="x")
    with pytest.raises(ValidationError) as exc:
        svc.objection_decide(
            actor=users["district"],
            objection=objection,
            decided_on=D(2025, 4, 2),
            accepted=True,
            retest_lab=f.lab(),
        )
    assert exc.value.messages == [svc.ERR_SAME_LAB % {"lab": f.lab().name}]
    objection.refresh_from_db()
    assert objection.accepted is None
    with pytest.raises(PermissionDenied):
        svc.objection_decide(
            actor=users["other_district"],
            objection=objection,
            decided_on=D(2025, 4, 2),
            accepted=True,
            retest_lab=f.lab("国家检测中心"),
        )
    svc.objection_decide(
        actor=users["district"],
        objection=objection,
        decided_on=D(2025, 4, 2),
        accepted=True,
        retest_lab=f.lab("国家检测中心"),
        note="受理",
    )
    entry = AuditEntry.objects.get(action="sample.objection_decide")
    assert entry.after == {
        "accepted": True,
        "decided_on": "2025-04-02",
        "retest_lab": "国家检测中心",
    }


def test_a_refused_objection_has_no_retest(users):
    sample = _notified()
    objection = svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 4, 1), reason="x")
    svc.objection_decide(actor=None, objection=objection, decided_on=D(2025, 4, 2), accepted=False)
    with pytest.raises(ValidationError) as exc:
        svc.retest_record(
            actor=None,
            objection=objection,
            report_no="RT",
            reported_on=D(2025, 4, 20),
            conclusion="pass",
        )
    assert exc.value.messages == [svc.ERR_NOT_ACCEPTED]


def test_a_passing_retest_replaces_the_conclusion_and_withdraws_the_referral(users):
    sample = _notified(users["district"], producer_region=f.WANZHOU)
    referral = Referral.objects.get(sample=sample)
    assert referral.status == "open" and referral.created_on == D(2025, 3, 20)
    assert _tally() == [(1, 0)]
    objection = svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 4, 1), reason="x")
    svc.objection_decide(
        actor=None,
        objection=objection,
        decided_on=D(2025, 4, 2),
        accepted=True,
        retest_lab=f.lab("国家检测中心"),
    )
    svc.retest_record(
        actor=users["district"],
        objection=objection,
        report_no="RT-1",
        reported_on=D(2025, 4, 20),
        conclusion="pass",
    )
    sample.refresh_from_db()
    assert (sample.conclusion, sample.final_conclusion) == ("fail", "pass")
    assert _tally() == [(1, 1)]
    assert Referral.objects.get().status == "withdrawn"
    entry = AuditEntry.objects.get(action="sample.retest")
    assert entry.before["final_conclusion"] == "fail" and entry.after["final_conclusion"] == "pass"
    # A passing sample has nothing to dispose of.
    with pytest.raises(ValidationError) as exc:
        svc.disposal_order(
            actor=None,
            sample=sample,
            rung="rectify",
            ordered_on=D(2025, 4, 21),
            deadline=D(2025, 5, 21),
        )
    assert exc.value.messages == [svc.ERR_NOT_FAILED]
    with pytest.raises(ValidationError) as exc:
        svc.retest_record(
            actor=None,
            objection=Objection.objects.get(),
            report_no="RT-2",
            reported_on=D(2025, 4, 21),
            conclusion="fail",
        )
    assert exc.value.messages == [svc.ERR_RETEST_DONE]


def test_a_failing_retest_keeps_the_referral_and_tallies(users):
    sample = _notified(producer_region=f.WANZHOU)
    objection = svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 4, 1), reason="x")
    svc.objection_decide(
        actor=None,
        objection=objection,
        decided_on=D(2025, 4, 2),
        accepted=True,
        retest_lab=f.lab("国家检测中心"),
    )
    svc.retest_record(
        actor=None,
        objection=objection,
        report_no="RT-1",
        reported_on=D(2025, 4, 20),
        conclusion="fail",
    )
    assert Sample.objects.get().final_conclusion == "fail"
    assert _tally() == [(1, 0)] and Referral.objects.get().status == "open"


# --- disposal ------------------------------------------------------------------------------


def _order(sample, rung, ordered_on, deadline, actor=None):
    return svc.disposal_order(
        actor=actor, sample=sample, rung=rung, ordered_on=ordered_on, deadline=deadline
    )


def _check(action, checked_on, passed, actor=None):
    return svc.disposal_check(actor=actor, action=action, checked_on=checked_on, passed=passed)


def test_the_art17_ladder_runs_in_order_each_rung_after_a_failed_check(users):
    sample = f.failed_sample(users["district"])
    with pytest.raises(ValidationError) as exc:
        _order(sample, "announce", D(2025, 3, 25), D(2025, 4, 25))
    assert exc.value.messages == [svc.ERR_RUNG_ORDER % {"expected": "责令限期改正"}]
    with pytest.raises(ValidationError) as exc:
        _order(sample, "rectify", D(2025, 3, 25), None)
    assert exc.value.messages == [svc.ERR_DEADLINE_NEEDED % {"rung": "责令限期改正"}]

    rectify = _order(sample, "rectify", D(2025, 3, 25), D(2025, 4, 25), users["district"])
    with pytest.raises(ValidationError) as exc:
        _order(sample, "announce", D(2025, 4, 1), D(2025, 5, 1))
    assert exc.value.messages == [svc.ERR_PREVIOUS_OPEN % {"rung": "责令限期改正"}]
    _check(rectify, D(2025, 4, 28), False, users["district"])

    # The announcement is the city (provincial-level) bureau's, not a district's.
    with pytest.raises(ValidationError) as exc:
        _order(sample, "announce", D(2025, 5, 1), D(2025, 6, 1), users["district"])
    assert exc.value.messages == [svc.ERR_ANNOUNCE_LEVEL]
    with pytest.raises(ValidationError) as exc:
        _order(sample, "announce", D(2025, 4, 27), D(2025, 6, 1), users["department"])
    assert exc.value.messages == [
        svc.ERR_BEFORE % {"what": "决定日期", "other": "上一措施复查日期", "date": "2025-04-28"}
    ]
    announce = _order(sample, "announce", D(2025, 5, 1), D(2025, 6, 1), users["department"])
    _check(announce, D(2025, 6, 3), False)
    with pytest.raises(ValidationError) as exc:
        _order(sample, "revoke", D(2025, 6, 5), None)
    assert exc.value.messages == [svc.ERR_RUNG_ORDER % {"expected": "责令停业，限期整顿"}]
    suspend = _order(sample, "suspend", D(2025, 6, 5), D(2025, 8, 5))
    _check(suspend, D(2025, 8, 6), False)
    _order(sample, "revoke", D(2025, 8, 10), None)
    with pytest.raises(ValidationError) as exc:
        _order(sample, "revoke", D(2025, 8, 11), None)
    assert exc.value.messages == [svc.ERR_LADDER_END]

    assert list(DisposalAction.objects.values_list("rung", flat=True)) == [
        "rectify",
        "announce",
        "suspend",
        "revoke",
    ]
    assert list(
        AuditEntry.objects.filter(action="sample.disposal")
        .order_by("id")
        .values_list("after__rung", flat=True)
    ) == ["rectify", "announce", "suspend", "revoke"]
    assert AuditEntry.objects.filter(action="sample.disposal_check").count() == 3
    with pytest.raises(ValidationError) as exc:
        _check(rectify, D(2025, 9, 1), True)
    assert exc.value.messages == [svc.ERR_CHECKED]


def test_after_a_passed_check_there_is_no_escalation(users):
    sample = f.failed_sample()
    rectify = _order(sample, "rectify", D(2025, 3, 25), D(2025, 4, 25))
    _check(rectify, D(2025, 4, 28), True)
    with pytest.raises(ValidationError) as exc:
        _order(sample, "announce", D(2025, 5, 1), D(2025, 6, 1))
    assert exc.value.messages == [svc.ERR_PREVIOUS_PASSED]
    assert DisposalAction.objects.count() == 1


# --- trace-back referral ---------------------------------------------------------------------


def test_a_failure_made_in_another_district_is_referred_to_its_government(users):
    sample = f.failed_sample(users["district"], producer_region=f.WANZHOU)
    referral = Referral.objects.get(sample=sample)
    assert referral.kind == "district" and referral.to_region == f.WANZHOU
    assert referral.to_organisation.key == "district-500101"

    svc.referral_send(
        actor=users["district"],
        referral=referral,
        sent_on=D(2025, 3, 21),
        letter_no="渝中移〔2025〕1号",
    )
    assert (
        AuditEntry.objects.get(action="sample.referral_send").after["letter_no"]
        == "渝中移〔2025〕1号"
    )
    for name in ("district", "inspector", "outsider"):
        with pytest.raises(PermissionDenied):
            svc.referral_reply(
                actor=users[name], referral=referral, replied_on=D(2025, 4, 1), reply="已处理"
            )
    with pytest.raises(ValidationError) as exc:
        svc.referral_reply(
            actor=users["other_district"], referral=referral, replied_on=D(2025, 4, 1), reply=" "
        )
    assert exc.value.messages == [svc.ERR_REPLY_EMPTY]
    svc.referral_reply(
        actor=users["other_district"],
        referral=referral,
        replied_on=D(2025, 4, 1),
        reply="已责令整改",
    )
    referral.refresh_from_db()
    assert referral.status == "replied" and referral.replied_on == D(2025, 4, 1)
    entry = AuditEntry.objects.get(action="sample.referral_reply")
    assert entry.actor == users["other_district"] and entry.reason == "已责令整改"
    with pytest.raises(ValidationError) as exc:
        svc.referral_reply(
            actor=users["office"], referral=referral, replied_on=D(2025, 4, 2), reply="再"
        )
    assert exc.value.messages == [svc.ERR_REFERRAL_CLOSED]


def test_a_failure_made_outside_the_city_is_an_outgoing_letter(users):
    sample = f.failed_sample(producer_region=f.CHENGDU_WUHOU)
    referral = Referral.objects.get(sample=sample)
    assert (referral.kind, referral.to_region, referral.to_organisation) == (
        "outgoing",
        f.CHENGDU_WUHOU,
        None,
    )
    with pytest.raises(PermissionDenied):
        svc.referral_reply(
            actor=users["district"], referral=referral, replied_on=D(2025, 4, 1), reply="x"
        )
    svc.referral_reply(
        actor=users["office"], referral=referral, replied_on=D(2025, 4, 1), reply="成都回函"
    )
    assert Referral.objects.get().status == "replied"


def test_no_referral_for_a_local_producer_or_none(users):
    f.failed_sample(sample_no="L-1")  # producer in 渝中区 like the sampling
    f.failed_sample(sample_no="L-2", producer_region="", producer_uscc="")
    assert not Referral.objects.exists()


# --- the legal clock -----------------------------------------------------------------------


def test_notification_is_due_five_working_days_after_the_report_across_national_day(users):
    """Reported Tue 30 Sep 2025; 1–8 Oct are holidays and Sat 11 Oct is a make-up
    working day: 9, 10, 11, 13, 14 Oct, so due 14 Oct."""
    sample = f.failed_sample(sampled_on=D(2025, 9, 1), reported_on=D(2025, 9, 30))
    assert _steps(sample, D(2025, 10, 14))[Step.NOTIFICATION] == (
        D(2025, 10, 14),
        StepState.PENDING,
    )
    assert _steps(sample, D(2025, 10, 15))[Step.NOTIFICATION] == (
        D(2025, 10, 14),
        StepState.OVERDUE,
    )
    # The delivery date was not recorded, but the report shows the samples arrived.
    assert _steps(sample, D(2025, 10, 15))[Step.LAB_DELIVERY][1] == StepState.DONE
    assert [s.step for s in overdue_steps(Sample.objects.get(), D(2025, 10, 15))] == [
        Step.NOTIFICATION,
    ]
    svc.sample_notify(actor=None, sample=sample, notified_on=D(2025, 10, 15))
    assert _steps(sample, D(2025, 10, 20))[Step.NOTIFICATION] == (
        D(2025, 10, 14),
        StepState.DONE_LATE,
    )


def test_the_steps_of_a_sample_through_its_life(users):
    sample = svc.sample_record(actor=None, data=f.sample_input())  # Mon 3 March 2025
    steps = _steps(sample, D(2025, 3, 10))
    assert steps[Step.LAB_DELIVERY] == (D(2025, 3, 10), StepState.PENDING)
    assert steps[Step.NOTIFICATION] == (None, StepState.NOT_APPLICABLE)
    assert _steps(sample, D(2025, 3, 11))[Step.LAB_DELIVERY] == (D(2025, 3, 10), StepState.OVERDUE)

    sample = _report(sample, lab_received_on=D(2025, 3, 5), reported_on=D(2025, 3, 20))
    steps = _steps(sample, D(2025, 3, 21))
    assert steps[Step.LAB_DELIVERY] == (D(2025, 3, 10), StepState.DONE)
    assert steps[Step.REPORT] == (D(2025, 4, 2), StepState.DONE)  # 20 working days from 5 March
    assert steps[Step.NOTIFICATION] == (D(2025, 3, 27), StepState.PENDING)

    svc.sample_notify(
        actor=None, sample=sample, notified_on=D(2025, 3, 24), received_on=D(2025, 3, 25)
    )
    steps = _steps(sample, D(2025, 4, 9))
    assert steps[Step.NOTIFICATION] == (D(2025, 3, 27), StepState.DONE)
    assert steps[Step.OBJECTION_WINDOW] == (D(2025, 4, 9), StepState.PENDING)
    objection = svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 4, 3), reason="x")
    # Filed Thu 3 April; 4 April is 清明 (holiday), so 3 working days end Wed 9 April.
    steps = _steps(sample, D(2025, 4, 10))
    assert steps[Step.OBJECTION_DECISION] == (D(2025, 4, 9), StepState.OVERDUE)
    svc.objection_decide(actor=None, objection=objection, decided_on=D(2025, 4, 10), accepted=False)
    assert _steps(sample, D(2025, 4, 10))[Step.OBJECTION_DECISION] == (
        D(2025, 4, 9),
        StepState.DONE_LATE,
    )

    action = _order(sample, "rectify", D(2025, 4, 11), D(2025, 5, 11))
    assert _steps(sample, D(2025, 5, 11))[Step.FOLLOW_UP] == (D(2025, 5, 11), StepState.PENDING)
    assert _steps(sample, D(2025, 5, 12))[Step.FOLLOW_UP] == (D(2025, 5, 11), StepState.OVERDUE)
    _check(action, D(2025, 5, 13), True)
    assert _steps(sample, D(2025, 5, 13))[Step.FOLLOW_UP] == (D(2025, 5, 11), StepState.DONE)


def test_incremental_tallies_equal_a_rebuild_after_mixed_steps(users):
    a = f.failed_sample(sample_no="A", producer_region=f.WANZHOU)
    f.failed_sample(sample_no="B", channel="production")
    c = svc.sample_record(actor=None, data=f.sample_input(sample_no="C"))
    _report(c, conclusion="pass", failed_items="")
    svc.sample_record(actor=None, data=f.sample_input(sample_no="D"))  # not tested yet
    svc.sample_notify(actor=None, sample=a, notified_on=D(2025, 3, 21))
    objection = svc.objection_file(actor=None, sample=a, filed_on=D(2025, 3, 25), reason="x")
    svc.objection_decide(
        actor=None,
        objection=objection,
        decided_on=D(2025, 3, 26),
        accepted=True,
        retest_lab=f.lab("国家检测中心"),
    )
    svc.retest_record(
        actor=None,
        objection=objection,
        report_no="RT",
        reported_on=D(2025, 4, 1),
        conclusion="pass",
    )

    def cells():
        return sorted(
            PassTally.objects.filter(tested__gt=0).values_list(
                "year",
                "category_id",
                "place",
                "region",
                "channel",
                "tested",
                "passed",
            )
        )

    incremental = cells()
    # Each sample counts twice: where it was sampled and where it was made.
    assert sum(c[5] for c in incremental) == 2 * 3 and sum(c[6] for c in incremental) == 2 * 2
    tally_rebuild()
    assert cells() == incremental


def test_a_passing_retest_ends_an_open_rectification_order_and_says_so(users):
    sample = _notified(users["district"], producer_region=f.WANZHOU)
    order = svc.disposal_order(
        actor=None,
        sample=sample,
        rung="rectify",
        ordered_on=D(2025, 3, 25),
        deadline=D(2025, 5, 30),
    )
    objection = svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 4, 1), reason="x")
    svc.objection_decide(
        actor=None,
        objection=objection,
        decided_on=D(2025, 4, 2),
        accepted=True,
        retest_lab="国家检测中心",
    )
    svc.retest_record(
        actor=users["district"],
        objection=objection,
        report_no="RT-1",
        reported_on=D(2025, 4, 20),
        conclusion="pass",
    )
    order.refresh_from_db()
    assert (order.check_passed, order.checked_on) == (True, D(2025, 4, 20))
    assert "复检结论合格" in order.note
    assert _steps(sample, D(2026, 1, 1))[Step.FOLLOW_UP][1] == StepState.DONE
    actions = set(
        AuditEntry.objects.filter(object_id=str(sample.pk)).values_list("action", flat=True)
    )
    assert {"sample.disposal_end", "sample.referral_withdraw"} <= actions


def test_a_laboratory_named_in_a_refused_decision_is_not_registered(users):
    sample = _notified(users["district"])
    objection = svc.objection_file(actor=None, sample=sample, filed_on=D(2025, 4, 1), reason="x")
    with pytest.raises(ValidationError):
        svc.objection_decide(
            actor=None,
            objection=objection,
            decided_on=D(2025, 4, 2),
            accepted=True,
            retest_lab=sample.lab.name,
        )
    assert Laboratory.objects.count() == 1


def test_a_sample_taken_at_the_factory_without_a_producer_names_the_factory(users):
    data = f.sample_input(channel=Sample.Channel.PRODUCTION, producer_region="", producer_uscc="")
    sample = svc.sample_record(actor=None, data=data)
    assert sample.producer == sample.sampled_party
    assert sample.producer_region == f.YUZHONG


def test_a_date_before_2000_is_a_typo_not_a_sample(users):
    with pytest.raises(ValidationError) as exc:
        svc.sample_record(actor=None, data=f.sample_input(sampled_on=D(25, 3, 1)))
    assert "2000-01-01" in exc.value.messages[0]
    assert not Sample.objects.exists()
