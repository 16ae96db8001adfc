"""The loop of issue 6 behind the pages: a planted spike → a stored, reproducible signal
→ triage → Safety Gate assessment → consumer warning reviewed by someone else and
published → targeted sampling plan and recall referral; every step audited, refusals
clear, repeated runs harmless."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhiliang.accounts.models import AuditEntry
from zhiliang.inspections.models import PlanQuota, ProductCategory, SamplingPlan
from zhiliang.registry.models import Organisation
from zhiliang.signals import services as s
from zhiliang.signals.models import CaseAction, ConsumerWarning, RiskCase, Signal

MONDAY = dt.date(2026, 1, 5)


def _weeks(n: int, spike: bool) -> np.ndarray:
    rng = np.random.default_rng(7)
    counts = rng.poisson(5, size=n).astype(float)
    if spike:
        counts[-1] = 40
    return counts


def _run(**kw):
    series = [
        s.Series("category=A|district=500103", "A", "500103"),
        s.Series("category=B|district=500101", "B", "500101"),
    ]
    counts = np.vstack([_weeks(30, spike=True), _weeks(30, spike=False)])
    return s.run_detection(
        method="ears-c1", series=series, counts=counts, first_week=MONDAY, source="测试", **kw
    )


def test_a_run_stores_the_spike_once_and_can_reproduce_it(db):
    run = _run()
    assert run.alarms == 1 and run.series == 2 and run.weeks == 30
    signal = Signal.objects.get()
    assert signal.series_key == "category=A|district=500103"
    assert signal.week == MONDAY + dt.timedelta(weeks=29) == run.through
    assert signal.observed == 40 and len(signal.counts) == 30
    again = s.reproduce(signal)
    assert again["alarm"] is True
    assert again["upperbound"] == pytest.approx(signal.upperbound, rel=1e-12)
    assert again["statistic"] == pytest.approx(signal.statistic, rel=1e-12)
    # cron runs it again: nothing new, nothing lost
    second = _run()
    assert second.alarms == 0 and Signal.objects.count() == 1
    assert second.digest == run.digest
    assert AuditEntry.objects.filter(action="signals.run").count() == 2


def test_bad_runs_are_refused(db):
    with pytest.raises(ValidationError):
        s.run_detection(
            method="nope", series=[], counts=np.zeros((0, 5)), first_week=MONDAY, source="x"
        )
    with pytest.raises(ValidationError):
        s.run_detection(
            method="ears-c1",
            series=[s.Series("a")],
            counts=np.zeros((2, 5)),
            first_week=MONDAY,
            source="x",
        )


def test_triage_dismisses_with_a_reason_or_opens_a_case(users):
    _run()
    signal = Signal.objects.get()
    with pytest.raises(PermissionDenied):
        s.signal_dismiss(actor=users["district"], signal=signal, reason="x")
    with pytest.raises(PermissionDenied):
        s.signal_dismiss(actor=users["hospital"], signal=signal, reason="x")
    with pytest.raises(ValidationError):
        s.signal_dismiss(actor=users["office"], signal=signal, reason="  ")
    office = Organisation.objects.get(key="cq-joint-office")
    case = s.case_open(
        actor=users["department"],
        signal=signal,
        title="儿童推车折叠夹伤",
        organisation=office,
        hazard="折叠机构夹伤手指",
    )
    signal.refresh_from_db()
    assert signal.status == Signal.Status.CASE and signal.case == case
    assert case.category == "A"
    # a signal is triaged once
    with pytest.raises(ValidationError):
        s.signal_dismiss(actor=users["office"], signal=signal, reason="重复")
    assert AuditEntry.objects.filter(action="signals.case.open").count() == 1


def _case(users) -> RiskCase:
    _run()
    return s.case_open(
        actor=users["office"],
        signal=Signal.objects.get(),
        title="儿童推车折叠夹伤",
        organisation=Organisation.objects.get(key="cq-joint-office"),
    )


def test_the_assessment_follows_the_safety_gate_method(users):
    case = _case(users)
    assessment = s.case_assess(
        actor=users["office"],
        case=case,
        product="某品牌婴儿推车",
        scenarios=[
            {
                "hazard": "折叠机构",
                "consumer": "成人",
                "steps": [
                    ["展开推车时手指位于铰链", "1"],
                    ["铰链突然合拢", "1/50"],
                    ["夹伤", "1/10"],
                ],
                "injury": "手指挫伤",
                "severity": 1,
            },
            {
                "hazard": "折叠机构",
                "consumer": "儿童",
                "steps": [["儿童手指伸入铰链", "1/100"], ["铰链合拢", "1/10"]],
                "injury": "指骨骨折",
                "severity": 2,
            },
        ],
    )
    # 1/500 at severity 1 is low; 1/1000 is "> 1/10 000", severity 2: medium
    assert [x["risk"] for x in assessment.scenarios] == ["L", "M"]
    assert [x["probability"] for x in assessment.scenarios] == ["1/500", "1/1000"]
    assert assessment.risk == "M"
    with pytest.raises(ValidationError) as bad:
        s.case_assess(
            actor=users["office"],
            case=case,
            product="x",
            scenarios=[{"hazard": "x", "steps": [["a", "1/0"]], "injury": "y", "severity": 2}],
        )
    assert "第 1 个伤害情景" in bad.value.messages[0]
    with pytest.raises(ValidationError):
        s.case_assess(actor=users["office"], case=case, product="x", scenarios=[])


def test_a_warning_is_reviewed_by_someone_else_then_published(users):
    case = _case(users)
    warning = s.warning_draft(
        actor=users["department"],
        case=case,
        title="警惕婴儿推车折叠夹伤",
        product="婴儿推车",
        hazard="折叠时铰链可能夹伤手指",
        advice="展开和折叠时让儿童远离铰链",
    )
    with pytest.raises(ValidationError):
        s.warning_publish(actor=users["office"], warning=warning)  # still a draft
    warning = s.warning_submit(actor=users["department"], warning=warning)
    with pytest.raises(PermissionDenied):
        s.warning_publish(actor=users["department"], warning=warning)  # not the office
    warning = s.warning_return(actor=users["office"], warning=warning, reason="补充型号")
    assert warning.status == ConsumerWarning.Status.DRAFT
    warning = s.warning_submit(actor=users["department"], warning=warning)
    warning = s.warning_publish(actor=users["office"], warning=warning)
    assert warning.status == ConsumerWarning.Status.PUBLISHED and warning.published_on
    assert warning.reviewed_by == users["office"]
    own = s.warning_draft(
        actor=users["office"], case=case, title="t", product="p", hazard="h", advice="a"
    )
    own = s.warning_submit(actor=users["office"], warning=own)
    with pytest.raises(PermissionDenied):
        s.warning_publish(actor=users["office"], warning=own)  # not one's own
    with pytest.raises(ValidationError):
        s.warning_draft(
            actor=users["office"], case=case, title="t", product="", hazard="h", advice="a"
        )
    actions = list(
        AuditEntry.objects.filter(action__startswith="signals.warning").values_list(
            "action", flat=True
        )
    )
    assert actions.count("signals.warning.published") == 1


def test_a_case_leads_to_a_targeted_plan_and_a_recall_referral(users):
    case = _case(users)
    category = ProductCategory.objects.order_by("code").first()
    assert category is not None
    RiskCase.objects.filter(pk=case.pk).update(category=category.code)
    case.refresh_from_db()
    action = s.case_targeted_plan(
        actor=users["office"],
        case=case,
        code="ZX-2026-01",
        title="婴儿推车专项抽查",
        organiser=Organisation.objects.get(key="cq-joint-office"),
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 6, 30),
        quotas={"500103": 5, "500101": 3},
    )
    plan = SamplingPlan.objects.get(code="ZX-2026-01")
    assert action.reference == plan.code and action.kind == CaseAction.Kind.SAMPLING
    assert sorted(PlanQuota.objects.filter(plan=plan).values_list("district_id", "batches")) == [
        ("500101", 3),
        ("500103", 5),
    ]
    recall = s.case_refer_recall(
        actor=users["office"], case=case, to="市场监管总局缺陷产品管理中心", note="疑似设计缺陷"
    )
    assert recall.kind == CaseAction.Kind.RECALL
    assert AuditEntry.objects.filter(action__startswith="signals.action").count() == 2
    with pytest.raises(PermissionDenied):
        s.case_refer_recall(actor=users["enterprise_user"], case=case, to="x", note="y")


def test_a_plan_for_an_unknown_district_or_without_a_category_is_refused_clearly(users):
    case = _case(users)  # its series' category "A" is not in the catalogue
    args = {
        "actor": users["office"],
        "case": case,
        "code": "ZX-2026-02",
        "title": "专项抽查",
        "organiser": Organisation.objects.get(key="cq-joint-office"),
        "starts_on": dt.date(2026, 3, 1),
        "ends_on": dt.date(2026, 6, 30),
        "quotas": {"500103": 2},
    }
    with pytest.raises(ValidationError) as no_category:
        s.case_targeted_plan(**args)
    assert "产品类别" in no_category.value.messages[0]
    category = ProductCategory.objects.order_by("code").first()
    RiskCase.objects.filter(pk=case.pk).update(category=category.code)
    case.refresh_from_db()
    with pytest.raises(ValidationError) as typo:
        s.case_targeted_plan(**{**args, "case": case, "quotas": {"500103": 2, "50013": 1}})
    assert "50013" in typo.value.messages[0]
    assert not SamplingPlan.objects.filter(code="ZX-2026-02").exists()
