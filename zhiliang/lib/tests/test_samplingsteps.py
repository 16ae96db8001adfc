"""The sampling clock on real holidays, checked by hand against chinesecalendar 1.11.0:

- 2025 国庆+中秋: 10-01…10-08 off; Sun 09-28 and Sat 10-11 are make-up workdays.
- 2026 春节: 02-15…02-23 off; Sat 02-14 and Sat 02-28 are make-up workdays.
- 2027 is not in the calendar: Monday–Friday are counted and the date is provisional.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from zhiliang.lib.samplingsteps import (
    RUNG_LABELS,
    RUNG_ORDER,
    Rung,
    SampleFacts,
    Step,
    StepState,
    StepStatus,
    next_rung,
    objection_in_time,
    objection_window_end,
    step_statuses,
)

D = dt.date


def by_step(facts: SampleFacts, today: dt.date) -> dict[str, StepStatus]:
    return {status.step: status for status in step_statuses(facts, today)}


def test_it_returns_every_step_in_workflow_order():
    statuses = step_statuses(SampleFacts(sampled_on=D(2025, 3, 3)), today=D(2025, 3, 3))
    assert [s.step for s in statuses] == [
        "lab_delivery",
        "report",
        "notification",
        "objection_window",
        "objection_decision",
        "follow_up",
    ]


def test_it_counts_lab_delivery_and_report_across_national_day_2025():
    # Sampled on the make-up Sunday 09-28. Lab: 09-29, 09-30, 10-09, 10-10, 10-11 (Sat).
    facts = SampleFacts(sampled_on=D(2025, 9, 28), lab_received_on=D(2025, 10, 9))
    steps = by_step(facts, today=D(2025, 10, 20))
    assert steps["lab_delivery"] == StepStatus(
        Step.LAB_DELIVERY, D(2025, 10, 11), D(2025, 10, 9), StepState.DONE
    )
    # 20 working days after receipt on 10-09: 10-10, 10-11, 10-13…17, 10-20…24,
    # 10-27…31, 11-03, 11-04, 11-05.
    assert steps["report"] == StepStatus(Step.REPORT, D(2025, 11, 5), None, StepState.PENDING)
    assert steps["notification"].state is StepState.NOT_APPLICABLE
    assert steps["notification"].due is None


def test_the_report_clock_starts_at_sampling_when_lab_receipt_is_unknown():
    # 09-29, 09-30, 10-09, 10-10, 10-11, then 10-13…17, 10-20…24, 10-27…31.
    facts = SampleFacts(sampled_on=D(2025, 9, 28))
    steps = by_step(facts, today=D(2025, 10, 13))
    assert steps["report"].due == D(2025, 10, 31)
    assert steps["lab_delivery"].state is StepState.OVERDUE  # due 10-11, nothing recorded


def test_a_step_done_on_its_due_day_is_in_time_and_a_day_later_is_late():
    on_time = SampleFacts(sampled_on=D(2025, 9, 28), lab_received_on=D(2025, 10, 11))
    late = SampleFacts(sampled_on=D(2025, 9, 28), lab_received_on=D(2025, 10, 12))
    assert by_step(on_time, D(2025, 12, 1))["lab_delivery"].state is StepState.DONE
    assert by_step(late, D(2025, 12, 1))["lab_delivery"].state is StepState.DONE_LATE


def test_pending_until_the_due_day_and_overdue_the_day_after():
    facts = SampleFacts(sampled_on=D(2025, 9, 28))
    assert by_step(facts, D(2025, 10, 11))["lab_delivery"].state is StepState.PENDING
    assert by_step(facts, D(2025, 10, 12))["lab_delivery"].state is StepState.OVERDUE


def failing_sample(**changes: object) -> SampleFacts:
    base: dict[str, object] = {
        "sampled_on": D(2026, 1, 12),
        "lab_received_on": D(2026, 1, 14),
        "reported_on": D(2026, 2, 10),
        "conclusion": "fail",
    }
    base.update(changes)
    return SampleFacts(**base)  # type: ignore[arg-type]


def test_notification_of_a_failing_report_crosses_spring_festival_2026():
    # 02-11, 02-12, 02-13, 02-14 (make-up Saturday), then nothing until 02-24.
    steps = by_step(failing_sample(), today=D(2026, 2, 20))
    assert steps["notification"] == StepStatus(
        Step.NOTIFICATION, D(2026, 2, 24), None, StepState.PENDING
    )
    late = by_step(failing_sample(notified_on=D(2026, 2, 25)), today=D(2026, 3, 1))
    assert late["notification"].state is StepState.DONE_LATE
    overdue = by_step(failing_sample(), today=D(2026, 2, 25))
    assert overdue["notification"].state is StepState.OVERDUE


def test_a_passing_sample_has_no_notification_or_objection_steps():
    facts = SampleFacts(
        sampled_on=D(2025, 3, 3),
        lab_received_on=D(2025, 3, 5),
        reported_on=D(2025, 3, 20),
        conclusion="pass",
    )
    steps = by_step(facts, today=D(2025, 6, 1))
    assert steps["report"].state is StepState.DONE
    for key in ("notification", "objection_window", "objection_decision", "follow_up"):
        assert steps[key] == StepStatus(Step(key), None, None, StepState.NOT_APPLICABLE)


def test_the_objection_window_is_15_calendar_days_from_receipt():
    # Notified Wed 02-25; no separate receipt date, so the notification date stands in.
    facts = failing_sample(notified_on=D(2026, 2, 25))
    open_ = by_step(facts, today=D(2026, 3, 12))["objection_window"]
    assert open_ == StepStatus(Step.OBJECTION_WINDOW, D(2026, 3, 12), None, StepState.PENDING)
    # The day after the last day the window is closed: no objection, the result is final.
    closed = by_step(facts, today=D(2026, 3, 13))["objection_window"]
    assert closed == StepStatus(Step.OBJECTION_WINDOW, D(2026, 3, 12), None, StepState.DONE)


def test_the_parties_receipt_date_wins_over_the_notification_date():
    facts = failing_sample(notified_on=D(2026, 2, 24), result_received_on=D(2026, 2, 26))
    assert by_step(facts, D(2026, 3, 1))["objection_window"].due == D(2026, 3, 13)


def test_a_window_ending_in_the_holiday_runs_to_the_first_working_day_after_it():
    # 民法典 Art. 203: received Sat 01-31, day 15 is 02-15 (春节) → ends Tue 02-24.
    assert objection_window_end(D(2026, 1, 31)) == (D(2026, 2, 24), False)
    assert objection_in_time(D(2026, 1, 31), D(2026, 2, 24))
    assert not objection_in_time(D(2026, 1, 31), D(2026, 2, 25))


def test_objection_in_time_on_an_ordinary_last_day():
    assert objection_in_time(D(2026, 2, 25), D(2026, 3, 12))
    assert not objection_in_time(D(2026, 2, 25), D(2026, 3, 13))
    assert objection_in_time(D(2026, 2, 25), D(2026, 2, 25))  # the same day is fine


def test_an_objection_in_time_closes_the_window_and_starts_the_decision_clock():
    facts = failing_sample(notified_on=D(2026, 2, 11), objection_filed_on=D(2026, 2, 12))
    steps = by_step(facts, today=D(2026, 2, 20))
    assert steps["objection_window"].state is StepState.DONE
    assert steps["objection_window"].done_on == D(2026, 2, 12)
    # 3 working days after 02-12: 02-13, 02-14 (make-up Saturday), 02-24.
    assert steps["objection_decision"] == StepStatus(
        Step.OBJECTION_DECISION, D(2026, 2, 24), None, StepState.PENDING
    )
    decided = failing_sample(
        notified_on=D(2026, 2, 11),
        objection_filed_on=D(2026, 2, 12),
        objection_decided_on=D(2026, 2, 24),
        objection_accepted=True,
    )
    assert by_step(decided, D(2026, 3, 1))["objection_decision"].state is StepState.DONE


def test_a_late_objection_is_marked_late_and_still_needs_a_decision():
    # Window ends 03-12; filing on 03-16 is refused, and the refusal is due 03-19.
    facts = failing_sample(notified_on=D(2026, 2, 25), objection_filed_on=D(2026, 3, 16))
    steps = by_step(facts, today=D(2026, 3, 20))
    assert steps["objection_window"].state is StepState.DONE_LATE
    assert steps["objection_decision"] == StepStatus(
        Step.OBJECTION_DECISION, D(2026, 3, 19), None, StepState.OVERDUE
    )


def test_the_follow_up_is_owed_once_the_rectification_deadline_has_passed():
    facts = failing_sample(notified_on=D(2026, 2, 24), rectify_deadline=D(2026, 3, 31))
    assert by_step(facts, D(2026, 3, 31))["follow_up"].state is StepState.PENDING
    assert by_step(facts, D(2026, 4, 1))["follow_up"].state is StepState.OVERDUE
    done = failing_sample(
        notified_on=D(2026, 2, 24),
        rectify_deadline=D(2026, 3, 31),
        follow_up_on=D(2026, 4, 10),
    )
    assert by_step(done, D(2026, 5, 1))["follow_up"] == StepStatus(
        Step.FOLLOW_UP, D(2026, 3, 31), D(2026, 4, 10), StepState.DONE
    )


def test_beyond_the_calendar_it_counts_weekdays_and_flags_the_date_provisional():
    # 12-29, 12-30, 12-31 are known workdays; 2027-01-01 (元旦, unknown) and 01-04 are
    # counted as weekdays.
    steps = by_step(SampleFacts(sampled_on=D(2026, 12, 28)), today=D(2026, 12, 28))
    assert steps["lab_delivery"] == StepStatus(
        Step.LAB_DELIVERY, D(2027, 1, 4), None, StepState.PENDING, provisional=True
    )
    assert steps["report"].provisional
    in_2027 = by_step(SampleFacts(sampled_on=D(2027, 3, 1)), today=D(2027, 3, 1))
    assert in_2027["lab_delivery"].due == D(2027, 3, 8)
    assert in_2027["lab_delivery"].provisional


def test_dates_inside_the_calendar_are_not_provisional():
    steps = step_statuses(failing_sample(notified_on=D(2026, 2, 24)), today=D(2026, 3, 1))
    assert not any(s.provisional for s in steps)


def test_an_objection_window_ending_in_2027_is_provisional():
    # Received Sat 2027-01-02; day 15 is Sunday 01-17, so Monday 01-18 (Mon–Fri guess).
    assert objection_window_end(D(2027, 1, 2)) == (D(2027, 1, 18), True)
    assert objection_in_time(D(2027, 1, 2), D(2027, 1, 18))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"conclusion": "合格"}, "conclusion must be"),
        ({"conclusion": "fail", "reported_on": None}, "needs the date of the report"),
        ({"lab_received_on": D(2026, 1, 11)}, "lab_received_on (2026-01-11) is before"),
    ],
)
def test_it_rejects_inconsistent_facts(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        failing_sample(**changes)


def test_the_ladder_climbs_from_rectification_to_revocation():
    assert next_rung(None) is Rung.RECTIFY
    assert next_rung(Rung.RECTIFY) is Rung.ANNOUNCE
    assert next_rung(Rung.ANNOUNCE) is Rung.SUSPEND
    assert next_rung(Rung.SUSPEND) is Rung.REVOKE
    assert next_rung(Rung.REVOKE) is None
    assert tuple(Rung) == RUNG_ORDER
    assert [RUNG_LABELS[r] for r in RUNG_ORDER] == [
        "责令限期改正",
        "公告",
        "责令停业限期整顿",
        "吊销营业执照",
    ]
