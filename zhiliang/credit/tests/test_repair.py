"""Credit repair of a published penalty: the minimum period at its edge, the conditions,
and what the public sees afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from zhiliang.accounts.models import AuditEntry
from zhiliang.credit.models import CreditRecord
from zhiliang.credit.selectors import public_credit
from zhiliang.credit.services import record_create, record_repair
from zhiliang.inspections.tests import factories as f

D = dt.date
TODAY = D(2026, 12, 31)
OK = {"obligations_fulfilled": True, "harm_removed": True, "evidence": "罚款缴纳凭证"}


def _penalty(users, firm, no="罚-1", sector="general", **kw):
    args = {
        "kind": "penalty",
        "document_no": no,
        "decided_on": D(2025, 3, 3),
        "published_on": D(2025, 3, 10),
        "source_name": "重庆市市场监督管理局",
        "sector": sector,
        "today": TODAY,
    }
    return record_create(actor=users["office"], enterprise=firm, **(args | kw))


@pytest.mark.parametrize(
    ("sector", "last_refused", "first_allowed"),
    [("general", D(2025, 9, 10), D(2025, 9, 11)), ("food", D(2026, 3, 10), D(2026, 3, 11))],
)
def test_repair_opens_after_six_months_or_a_year(users, sector, last_refused, first_allowed):
    record = _penalty(users, f.enterprise(), sector=sector)
    with pytest.raises(ValidationError) as err:
        record_repair(
            actor=users["office"], record=record, repaired_on=last_refused, today=TODAY, **OK
        )
    assert first_allowed.isoformat() in err.value.messages[0]
    record_repair(
        actor=users["office"], record=record, repaired_on=first_allowed, today=TODAY, **OK
    )
    assert CreditRecord.objects.get(pk=record.pk).repaired_on == first_allowed
    assert AuditEntry.objects.get(action="credit.record.repair").after["evidence"] == "罚款缴纳凭证"
    assert public_credit(record.enterprise.uscc, today=D(2026, 6, 1)).results[0].records == []


def test_repair_needs_every_condition(users):
    firm = f.enterprise()
    record = _penalty(users, firm)
    record_create(
        actor=users["office"],
        enterprise=firm,
        kind="penalty",
        document_no="罚-2",
        decided_on=D(2025, 5, 5),
        source_name="重庆市市场监督管理局",
        today=TODAY,
    )
    with pytest.raises(ValidationError) as err:
        record_repair(
            actor=users["office"],
            record=record,
            repaired_on=D(2026, 1, 5),
            obligations_fulfilled=False,
            harm_removed=True,
            evidence="",
            today=TODAY,
        )
    assert err.value.messages == [
        "不符合信用修复条件：尚未履行行政处罚决定规定的义务；此后又受到行政处罚"
    ]


def test_heavier_or_unpublished_penalties_and_other_kinds_are_not_repaired(users):
    firm = f.enterprise()
    for kwargs in ({"heavier": True}, {"no": "罚-3", "published_on": None}):
        record = _penalty(users, firm, **kwargs)
        with pytest.raises(ValidationError):
            record_repair(
                actor=users["office"], record=record, repaired_on=D(2026, 6, 1), today=TODAY, **OK
            )
    loan = record_create(
        actor=users["office"],
        enterprise=firm,
        kind="bad_loan",
        document_no="贷",
        decided_on=D(2025, 3, 3),
        source_name="银行",
        today=TODAY,
    )
    with pytest.raises(ValidationError):
        record_repair(
            actor=users["office"], record=loan, repaired_on=D(2026, 6, 1), today=TODAY, **OK
        )
