"""The legal clock of one 产品质量监督抽查 (supervision sampling inspection).

Given the facts recorded for one sample, :func:`step_statuses` says for each step of
the workflow when it is due, whether it was done and whether in time. The steps and
their deadlines (see DOMAIN.md §3):

=====================  ==========================================  ==========================
step                   deadline                                    source
=====================  ==========================================  ==========================
``lab_delivery``       5 working days after sampling               secondary (抽样 rule)
``report``             20 working days after the lab received the  secondary (抽样 rule)
                       samples (after sampling if receipt unknown)
``notification``       failing report to the party within 5        secondary (Taiyuan rule)
                       working days of issue
``objection_window``   15 days from the party's receipt of the     产品质量法 Art. 15
                       result
``objection_decision`` accept or refuse within 3 working days of   secondary (local rule)
                       filing
``follow_up``          复查 owed once the rectification deadline   产品质量法 Art. 17
                       has passed
=====================  ==========================================  ==========================

The current national rule (《产品质量监督抽查管理暂行办法》, SAMR Order 18, 2019) was not
retrieved; the working-day deadlines marked "secondary" come from local rules and
secondary sources and are UNCONFIRMED against it.

Counting follows :mod:`zhiliang.lib.workdays`: the day of the triggering act is not
counted (民法典 Art. 201). When a deadline falls in a year the holiday calendar does not
cover yet, Monday–Friday are counted instead and the status is marked ``provisional``;
a page listing next year's deadlines must not crash in December.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from enum import StrEnum

from zhiliang.lib.workdays import CalendarUnavailable, is_workday

# Samples reach the testing lab within 5 working days of sampling. Secondary source:
# 食品/产品安全抽样 rule quoted at https://jumeiguan.com/zhihui/xinli/k6817r.html.
LAB_DELIVERY_WORKDAYS = 5
# The test report is issued within 20 working days of the lab receiving the samples.
# Secondary source: the same rule as LAB_DELIVERY_WORKDAYS.
REPORT_WORKDAYS = 20
# A failing report is sent to the inspected party within 5 working days of issue.
# Secondary source: Taiyuan local rule (DOMAIN.md §3 step 4).
NOTIFY_WORKDAYS = 5
# 产品质量法 Art. 15: the party may apply for a re-test (复检) within 15 days of
# receiving the result. Calendar days: the statute says 日, not 工作日.
OBJECTION_DAYS = 15
# The bureau decides whether to accept an objection within 3 working days of filing.
# Secondary source: local rule summarised at https://ryxmt.com.cn/News/city/125875_2.html.
OBJECTION_DECISION_WORKDAYS = 3

CONCLUSIONS = ("pass", "fail", "")


class Step(StrEnum):
    LAB_DELIVERY = "lab_delivery"
    REPORT = "report"
    NOTIFICATION = "notification"
    OBJECTION_WINDOW = "objection_window"
    OBJECTION_DECISION = "objection_decision"
    FOLLOW_UP = "follow_up"


class StepState(StrEnum):
    DONE = "done"
    DONE_LATE = "done_late"
    PENDING = "pending"
    OVERDUE = "overdue"
    # The step does not apply on the facts recorded so far (e.g. no notification for a
    # passing sample, no objection decision when nobody objected).
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class SampleFacts:
    """What is recorded about one sample; ``None`` means "not (yet) happened"."""

    sampled_on: dt.date
    lab_received_on: dt.date | None = None
    reported_on: dt.date | None = None
    conclusion: str = ""  # 'pass' | 'fail' | '' (no report yet)
    notified_on: dt.date | None = None
    # The party's receipt of the result; when unknown, the notification date stands in.
    result_received_on: dt.date | None = None
    objection_filed_on: dt.date | None = None
    objection_decided_on: dt.date | None = None
    objection_accepted: bool | None = None
    retest_reported_on: dt.date | None = None
    rectify_deadline: dt.date | None = None  # set by the rectification order (Art. 17)
    follow_up_on: dt.date | None = None  # the 复查

    def __post_init__(self) -> None:
        if self.conclusion not in CONCLUSIONS:
            raise ValueError(f"conclusion must be 'pass', 'fail' or '', got {self.conclusion!r}")
        if self.conclusion and self.reported_on is None:
            raise ValueError("a conclusion needs the date of the report (reported_on)")
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, dt.datetime):
                raise TypeError(f"{field.name}: pass a date, not a datetime")
            if isinstance(value, dt.date) and value < self.sampled_on:
                raise ValueError(f"{field.name} ({value}) is before sampled_on ({self.sampled_on})")

    @property
    def effective_result_received_on(self) -> dt.date | None:
        return self.result_received_on or self.notified_on


@dataclass(frozen=True)
class StepStatus:
    step: Step
    due: dt.date | None  # None only when NOT_APPLICABLE
    done_on: dt.date | None
    state: StepState
    # True when ``due`` reaches beyond the holiday calendar and Monday–Friday were
    # counted instead: the real date may move once the State Council publishes the
    # year's holidays.
    provisional: bool = False


def step_statuses(facts: SampleFacts, today: dt.date) -> list[StepStatus]:
    """Status of every step of the sampling workflow, in workflow order.

    All six steps are always returned, so callers can lay them out in a fixed grid.

    Rules
    -----
    - A step that was done is ``DONE``, or ``DONE_LATE`` when done after its due date.
    - A step not done yet is ``OVERDUE`` when ``today`` is after its due date, else
      ``PENDING``.
    - ``notification`` applies only to a failing result, ``objection_decision`` only
      when an objection was filed, ``follow_up`` only when a rectification deadline
      was set; otherwise they are ``NOT_APPLICABLE``.
    - ``objection_window`` is the party's right, not the bureau's duty, so it is never
      ``OVERDUE``. It opens when the party receives the result (``result_received_on``,
      else ``notified_on``; ``NOT_APPLICABLE`` before that). It is ``PENDING`` while
      open; ``DONE`` (``done_on`` = filing date) when an objection was filed in time;
      ``DONE_LATE`` when one was filed after the window (such an objection is refused
      and the result stands); and ``DONE`` with ``done_on=None`` when the window
      lapsed without objection: the window is closed and the result is final.
    - ``lab_delivery`` is ``DONE`` with ``done_on=None`` when the report exists but the
      delivery date was not recorded (the samples evidently reached the lab).
    - ``follow_up`` is due on the rectification deadline; the 复查 itself has no
      statutory deadline and naturally happens after it, so a recorded 复查 is always
      ``DONE``, and a missing one is ``OVERDUE`` once the deadline has passed.
    """
    received = facts.effective_result_received_on
    delivery = _timed(
        Step.LAB_DELIVERY,
        _add_workdays(facts.sampled_on, LAB_DELIVERY_WORKDAYS),
        facts.lab_received_on,
        today,
    )
    if facts.lab_received_on is None and facts.reported_on is not None:
        # The lab reported, so the samples reached it; only the date was not recorded
        # (imports carry no such column). Done, date unknown: never "overdue".
        delivery = StepStatus(
            Step.LAB_DELIVERY, delivery.due, None, StepState.DONE, delivery.provisional
        )
    statuses = [
        delivery,
        _timed(
            Step.REPORT,
            _add_workdays(facts.lab_received_on or facts.sampled_on, REPORT_WORKDAYS),
            facts.reported_on,
            today,
        ),
    ]

    if facts.conclusion == "fail" and facts.reported_on is not None:
        due = _add_workdays(facts.reported_on, NOTIFY_WORKDAYS)
        statuses.append(_timed(Step.NOTIFICATION, due, facts.notified_on, today))
    else:
        statuses.append(_not_applicable(Step.NOTIFICATION))

    if received is not None:
        statuses.append(_objection_window(received, facts.objection_filed_on, today))
    else:
        statuses.append(_not_applicable(Step.OBJECTION_WINDOW))

    if facts.objection_filed_on is not None:
        due = _add_workdays(facts.objection_filed_on, OBJECTION_DECISION_WORKDAYS)
        statuses.append(_timed(Step.OBJECTION_DECISION, due, facts.objection_decided_on, today))
    else:
        statuses.append(_not_applicable(Step.OBJECTION_DECISION))

    if facts.rectify_deadline is not None:
        statuses.append(_follow_up(facts.rectify_deadline, facts.follow_up_on, today))
    else:
        statuses.append(_not_applicable(Step.FOLLOW_UP))
    return statuses


def objection_window_end(result_received_on: dt.date) -> tuple[dt.date, bool]:
    """Last day to object to a result received on ``result_received_on``.

    Returns ``(last_day, provisional)``. The 15 days start the day after receipt
    (民法典 Art. 201); when the 15th day is a public holiday or rest day, the period
    ends on the first working day after it (民法典 Art. 203) — so the window can be
    longer than 15 days around 春节 or 国庆.
    """
    last = result_received_on + dt.timedelta(days=OBJECTION_DAYS)
    provisional = False
    while True:
        workday, guessed = _is_workday(last)
        provisional = provisional or guessed
        if workday:
            return last, provisional
        last += dt.timedelta(days=1)


def objection_in_time(result_received_on: dt.date, filed_on: dt.date) -> bool:
    """Whether an objection filed on ``filed_on`` is within the Art. 15 window.

    A late objection is refused and counts as acceptance of the result (DOMAIN.md §3
    step 5). Beyond the holiday calendar the Monday–Friday estimate is used.
    """
    last, _ = objection_window_end(result_received_on)
    return filed_on <= last


class Rung(StrEnum):
    """The Art. 17 disposal ladder for a producer whose product failed (产品质量法 Art. 17)."""

    RECTIFY = "rectify"
    ANNOUNCE = "announce"
    SUSPEND = "suspend"
    REVOKE = "revoke"


# 产品质量法 Art. 17: order to rectify by a deadline; if not rectified, public
# announcement by a provincial-level or higher bureau; if the 复查 after the
# announcement still fails, order to suspend business for rectification; if it
# fails again after that period, revoke the business licence.
RUNG_ORDER: tuple[Rung, ...] = (Rung.RECTIFY, Rung.ANNOUNCE, Rung.SUSPEND, Rung.REVOKE)

RUNG_LABELS: dict[Rung, str] = {
    Rung.RECTIFY: "责令限期改正",
    Rung.ANNOUNCE: "公告",
    Rung.SUSPEND: "责令停业限期整顿",
    Rung.REVOKE: "吊销营业执照",
}


def next_rung(current: Rung | None) -> Rung | None:
    """The rung after ``current`` (``None``: nothing ordered yet); ``None`` after REVOKE."""
    if current is None:
        return RUNG_ORDER[0]
    position = RUNG_ORDER.index(current)
    return RUNG_ORDER[position + 1] if position + 1 < len(RUNG_ORDER) else None


def _timed(
    step: Step, due: tuple[dt.date, bool], done_on: dt.date | None, today: dt.date
) -> StepStatus:
    due_on, provisional = due
    if done_on is not None:
        state = StepState.DONE_LATE if done_on > due_on else StepState.DONE
    else:
        state = StepState.OVERDUE if today > due_on else StepState.PENDING
    return StepStatus(step, due_on, done_on, state, provisional)


def _objection_window(received: dt.date, filed_on: dt.date | None, today: dt.date) -> StepStatus:
    last, provisional = objection_window_end(received)
    if filed_on is not None:
        state = StepState.DONE if filed_on <= last else StepState.DONE_LATE
    else:
        # Open until the end of its last day; closed after it, and the result is final.
        state = StepState.DONE if today > last else StepState.PENDING
    return StepStatus(Step.OBJECTION_WINDOW, last, filed_on, state, provisional)


def _follow_up(deadline: dt.date, follow_up_on: dt.date | None, today: dt.date) -> StepStatus:
    if follow_up_on is not None:
        state = StepState.DONE
    else:
        state = StepState.OVERDUE if today > deadline else StepState.PENDING
    return StepStatus(Step.FOLLOW_UP, deadline, follow_up_on, state)


def _not_applicable(step: Step) -> StepStatus:
    return StepStatus(step, None, None, StepState.NOT_APPLICABLE)


def _is_workday(day: dt.date) -> tuple[bool, bool]:
    """``(is_workday, guessed)``: Monday–Friday when the calendar lacks the year."""
    try:
        return is_workday(day), False
    except CalendarUnavailable:
        return day.weekday() < 5, True


def _add_workdays(start: dt.date, days: int) -> tuple[dt.date, bool]:
    """Like :func:`workdays.add_workdays` (``days > 0``), but estimates uncovered years.

    Days the calendar covers are counted exactly even when the deadline runs past its
    end, so only the uncovered part of the count is a guess.
    """
    current = start
    remaining = days
    provisional = False
    while remaining:
        current += dt.timedelta(days=1)
        workday, guessed = _is_workday(current)
        provisional = provisional or guessed
        remaining -= workday
    return current, provisional
