"""Credit records and risk classes: terms computed, bad input refused, every change audited,
classes explained and recomputed, and used by the sampling draw."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from zhiliang.accounts.models import AuditEntry
from zhiliang.credit.models import CreditRecord, RiskAssessment
from zhiliang.credit.selectors import risk_explained
from zhiliang.credit.services import classify_all, model_digest, record_create, risk_model
from zhiliang.inspections.services.plans import risk_classes_of
from zhiliang.inspections.tests import factories as f

TODAY = dt.date(2025, 6, 30)


def _record(actor, enterprise, **kw):
    args = {
        "kind": "penalty",
        "document_no": "渝市监罚〔2025〕1号",
        "decided_on": dt.date(2025, 3, 3),
        "source_name": "重庆市市场监督管理局",
        "today": TODAY,
    }
    args.update(kw)
    return record_create(actor=actor, enterprise=enterprise, **args)


def test_a_penalty_is_public_three_years_and_reclassifies_its_enterprise(users):
    firm = f.enterprise()
    record = _record(users["office"], firm, heavier=True, published_on=dt.date(2025, 3, 10))
    assert record.public_until == dt.date(2028, 3, 10)
    risk = RiskAssessment.objects.get(enterprise=firm)
    assert risk.risk_class == "C" and risk.score == record_points(record)
    [(contribution, label)] = risk_explained(risk).rows
    assert (contribution.record, contribution.heavier, label) == (record.pk, 2.0, "行政处罚")
    assert risk.model == model_digest(risk_model())
    entry = AuditEntry.objects.get(action="credit.record.create")
    assert entry.after["public_until"] == "2028-03-10" and entry.after["heavier"] is True


def record_points(record):
    age = (TODAY - record.decided_on).days
    return round(20 * 2 * 0.5 ** (age / 365), 2)


def test_a_light_penalty_is_public_three_months_and_other_kinds_not_at_all(users):
    firm = f.enterprise()
    light = _record(users["office"], firm, light=True)
    assert light.public_until == dt.date(2025, 6, 3)
    loan = _record(users["office"], firm, kind="bad_loan", document_no="贷-7", source_name="某银行")
    assert loan.public_until is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "recall", "heavier": True}, "heavier"),
        ({"decided_on": dt.date(2025, 7, 1)}, "decided_on"),
        ({"decided_on": dt.date(1999, 12, 31)}, "decided_on"),
        ({"published_on": dt.date(2025, 3, 2)}, "published_on"),
        ({"document_no": "  "}, "document_no"),
        ({"source_name": ""}, "source_name"),
    ],
)
def test_bad_records_are_refused_and_nothing_is_written(users, changes, field):
    firm = f.enterprise()
    with pytest.raises(ValidationError) as err:
        _record(users["office"], firm, **changes)
    assert field in err.value.message_dict
    assert not CreditRecord.objects.exists() and not RiskAssessment.objects.exists()


def test_the_same_document_of_the_same_source_is_recorded_once(users):
    firm = f.enterprise()
    _record(users["office"], firm)
    with pytest.raises(ValidationError) as err:
        _record(users["department"], firm)
    assert "document_no" in err.value.message_dict
    _record(users["office"], firm, source_name="重庆市万州区市场监督管理局")  # another source


def test_who_may_record_about_whom(users):
    mine, theirs = f.enterprise(f.YUZHONG), f.enterprise(f.WANZHOU)
    _record(users["district"], mine, document_no="A")
    with pytest.raises(PermissionDenied):
        _record(users["district"], theirs, document_no="B")
    for persona in ("outsider", "hospital", "enterprise_user"):
        with pytest.raises(PermissionDenied):
            _record(users[persona], mine, document_no=f"C-{persona}")
    _record(users["department"], theirs, document_no="D")
    _record(None, theirs, document_no="E")  # the system (the sampling services)


def test_classify_all_recomputes_every_class_and_ages_the_records(users):
    old, fresh, clean = f.enterprise(), f.enterprise(), f.enterprise()
    _record(users["office"], old, document_no="1", decided_on=dt.date(2021, 1, 4))
    _record(users["office"], fresh, document_no="2", heavier=True)
    _record(users["office"], fresh, document_no="3", kind="accident", decided_on=TODAY)
    assert RiskAssessment.objects.get(enterprise=fresh).risk_class == "D"  # on TODAY: 61.91
    counts = classify_all(today=dt.date(2026, 1, 31))
    assert counts == {"A": 1, "B": 0, "C": 1, "D": 0}
    assert RiskAssessment.objects.get(enterprise=old).risk_class == "A"
    # Seven months on: 40 × 0.5^(334/365) + 30 × 0.5^(215/365) = 21.21 + 19.94
    fresh_risk = RiskAssessment.objects.get(enterprise=fresh)
    assert (fresh_risk.risk_class, fresh_risk.score) == ("C", 41.15)
    assert not RiskAssessment.objects.filter(enterprise=clean).exists()
    # A record beyond the five-year horizon still leaves an (A) assessment behind.
    assert risk_explained(RiskAssessment.objects.get(enterprise=old)).rows == []
    assert risk_explained(fresh_risk).current
    assert AuditEntry.objects.filter(action="credit.classify").count() == 1


def test_the_command_prints_the_classes(users, capsys):
    _record(users["office"], f.enterprise(), heavier=True)
    call_command("credit", "classify", "--today", "2025-06-30")
    assert capsys.readouterr().out == "risk classes: A 0, B 0, C 1, D 0\n"


def test_the_sampling_draw_reads_the_classes(users):
    a, b = f.enterprise(), f.enterprise()
    _record(users["office"], a, heavier=True)
    assert risk_classes_of([a.pk, b.pk]) == {a.pk: "C"}


@pytest.mark.parametrize("few", [500, 1])
def test_classifying_some_enterprises_by_ids_or_by_a_joined_table_is_the_same(
    users, monkeypatch, few
):
    from zhiliang.credit import services

    monkeypatch.setattr(services, "_FEW", few)  # 1: the temporary-table path
    firms = [f.enterprise() for _ in range(4)]
    _record(users["office"], firms[0], document_no="1", heavier=True)
    _record(users["office"], firms[1], document_no="2", kind="accident", decided_on=TODAY)
    _record(users["office"], firms[3], document_no="3")
    RiskAssessment.objects.all().delete()
    counts = services.classify_enterprises([x.pk for x in firms[:3]], today=TODAY)
    assert counts == {"A": 1, "B": 0, "C": 2, "D": 0}
    stored = dict(RiskAssessment.objects.values_list("enterprise__uscc", "risk_class"))
    # The fourth was not asked about; the third has no records: class A.
    assert stored == {firms[0].uscc: "C", firms[1].uscc: "C", firms[2].uscc: "A"}


def test_a_reclassification_updates_the_stored_class_in_place(users):
    firm = f.enterprise()
    _record(users["office"], firm, document_no="1")
    first = RiskAssessment.objects.get(enterprise=firm)
    _record(users["office"], firm, document_no="2", heavier=True)
    first.refresh_from_db()  # the same row, updated: no delete and insert
    assert first.score > 20 and RiskAssessment.objects.count() == 1
