"""The loop of DESIGN.md §2: a failed sample becomes a credit record of the enterprise
responsible, which changes its risk class and so its weight in the next draw; a passing
re-test withdraws the record."""

from __future__ import annotations

import datetime as dt

from zhiliang.accounts.models import AuditEntry
from zhiliang.credit.models import CreditRecord, RiskAssessment
from zhiliang.credit.selectors import risk_explained
from zhiliang.inspections.services import samples as svc
from zhiliang.inspections.services.plans import risk_classes_of
from zhiliang.inspections.tests import factories as f

D = dt.date


def test_a_failed_sample_is_recorded_against_its_producer_and_reclassifies_it(users):
    sample = f.failed_sample(users["district"], producer_region=f.WANZHOU)
    record = CreditRecord.objects.get(sample=sample)
    assert record.enterprise == sample.producer and record.kind == "inspection_failure"
    assert record.document_no == sample.sample_no and record.decided_on == sample.reported_on
    assert sample.failed_items in record.summary and sample.report_no in record.summary
    explained = risk_explained(RiskAssessment.objects.get(enterprise=sample.producer))
    assert [c.record for c, _ in explained.rows] == [record.pk] and explained.current
    assert sample.producer.pk in risk_classes_of([sample.producer.pk])
    assert AuditEntry.objects.filter(action="credit.record.create").count() == 1


def test_a_passing_retest_withdraws_the_record_and_says_what_it_was(users):
    sample = f.failed_sample(users["district"], producer_region=f.WANZHOU)
    sample = svc.sample_notify(
        actor=None, sample=sample, notified_on=D(2025, 3, 24), received_on=D(2025, 3, 25)
    )
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
    assert not CreditRecord.objects.filter(sample=sample).exists()
    entry = AuditEntry.objects.get(action="credit.record.withdraw")
    assert entry.before["sample"] == sample.sample_no and entry.reason == "复检结论合格"
    risk = RiskAssessment.objects.get(enterprise=sample.producer)
    assert (risk.risk_class, risk_explained(risk).rows) == ("A", [])
