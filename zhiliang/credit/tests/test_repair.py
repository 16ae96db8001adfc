"""Credit repair of a published penalty, as a case: application, acceptance, decision.
The minimum period at its edge, the conditions, the deadlines in working days, every step
audited, the pages with their forms, and what the public sees afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhiliang.accounts.models import AuditEntry
from zhiliang.credit import repairs
from zhiliang.credit.models import CreditRecord, RepairCase
from zhiliang.credit.selectors import public_credit
from zhiliang.credit.services import record_create
from zhiliang.inspections.tests import factories as f

D = dt.date
TODAY = D(2026, 12, 31)
OK = {"obligations_fulfilled": True, "harm_removed": True}


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


APPLIED = D(2025, 9, 1)


def _applied(users, record, on=APPLIED, commitment=True):
    return repairs.repair_apply(
        actor=users["office"],
        record=record,
        applied_on=on,
        applicant="渝中电器厂",
        application="已缴清罚款并完成整改，申请停止公示。",
        commitment=commitment,
        evidence="罚款缴纳凭证",
        today=TODAY,
    )


def _accepted(users, record, on=APPLIED):
    case = _applied(users, record, on)
    return repairs.repair_accept(actor=users["office"], case=case, accepted_on=on, today=TODAY)


@pytest.mark.parametrize(
    ("sector", "last_refused", "first_allowed"),
    [("general", D(2025, 9, 10), D(2025, 9, 11)), ("food", D(2026, 3, 10), D(2026, 3, 11))],
)
def test_repair_is_granted_from_six_months_or_a_year(users, sector, last_refused, first_allowed):
    record = _penalty(users, f.enterprise(), sector=sector)
    case = _accepted(users, record)
    with pytest.raises(ValidationError) as err:
        repairs.repair_decide(
            actor=users["office"],
            case=case,
            decided_on=last_refused,
            grant=True,
            today=TODAY,
            **OK,
        )
    assert first_allowed.isoformat() in err.value.messages[0]
    case = RepairCase.objects.get(pk=case.pk)  # the refused step changed nothing
    assert case.status == "accepted" and CreditRecord.objects.get(pk=record.pk).repaired_on is None
    repairs.repair_decide(
        actor=users["office"], case=case, decided_on=first_allowed, grant=True, today=TODAY, **OK
    )
    assert CreditRecord.objects.get(pk=record.pk).repaired_on == first_allowed
    assert RepairCase.objects.get(pk=case.pk).status == "repaired"
    shown = public_credit(record.enterprise.uscc, today=D(2025, 9, 10)).results[0].records
    assert [r.document_no for r in shown] == [record.document_no]
    assert public_credit(record.enterprise.uscc, today=first_allowed).results[0].records == []
    steps = list(
        AuditEntry.objects.filter(action__startswith="credit.repair.").values_list(
            "action", flat=True
        )
    )
    assert sorted(steps) == ["credit.repair.accept", "credit.repair.apply", "credit.repair.grant"]


def test_the_deadlines_are_working_days(users):
    record = _penalty(users, f.enterprise())
    # Friday 2025-09-26; 2025-10-01…08 is the National Day holiday, 09-28 and 10-11 are
    # make-up working days.
    case = _applied(users, record, on=D(2025, 9, 26))
    assert case.accept_due == D(2025, 9, 29)  # Sunday 28th is worked: 28th, 29th
    case = repairs.repair_accept(
        actor=users["office"], case=case, accepted_on=D(2025, 9, 29), today=TODAY
    )
    # 30 Sep; 9, 10, 11 (Saturday, worked) Oct; 13–17; 20–24; 27 Oct is the 15th.
    assert case.decide_due == D(2025, 10, 27)


def test_repair_needs_every_condition_and_a_refusal_keeps_the_record_public(users):
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
    case = _accepted(users, record, on=D(2026, 1, 5))
    with pytest.raises(ValidationError) as err:
        repairs.repair_decide(
            actor=users["office"],
            case=case,
            decided_on=D(2026, 1, 5),
            grant=True,
            obligations_fulfilled=False,
            harm_removed=True,
            today=TODAY,
        )
    assert err.value.messages == [
        "不符合信用修复条件：尚未履行行政处罚决定规定的义务；此后又受到行政处罚"
    ]
    with pytest.raises(ValidationError):  # a refusal gives its reasons
        repairs.repair_decide(
            actor=users["office"],
            case=case,
            decided_on=D(2026, 1, 5),
            grant=False,
            obligations_fulfilled=False,
            harm_removed=True,
            today=TODAY,
        )
    repairs.repair_decide(
        actor=users["office"],
        case=case,
        decided_on=D(2026, 1, 5),
        grant=False,
        obligations_fulfilled=False,
        harm_removed=True,
        reasons="未缴清罚款；此后又受到行政处罚。",
        today=TODAY,
    )
    case = RepairCase.objects.get(pk=case.pk)
    assert (case.status, case.decided_by.key) == ("refused", "cq-joint-office")
    assert CreditRecord.objects.get(pk=record.pk).repaired_on is None
    assert AuditEntry.objects.get(action="credit.repair.refuse").after["reasons"]
    _applied(users, record, on=D(2026, 2, 2))  # a new application may follow


def test_heavier_or_unpublished_penalties_and_other_kinds_cannot_be_applied_for(users):
    firm = f.enterprise()
    for kwargs in ({"heavier": True}, {"no": "罚-3", "published_on": None}):
        with pytest.raises(ValidationError):
            _applied(users, _penalty(users, firm, **kwargs))
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
        _applied(users, loan)
    assert not RepairCase.objects.exists()


def test_an_incomplete_application_is_not_accepted_and_one_case_is_open_at_a_time(users):
    record = _penalty(users, f.enterprise())
    case = _applied(users, record, commitment=False)
    with pytest.raises(ValidationError) as err:
        _applied(users, record)
    assert err.value.messages == ["该记录已有未办结的信用修复申请。"]
    with pytest.raises(ValidationError) as err:
        repairs.repair_accept(
            actor=users["office"], case=case, accepted_on=D(2025, 9, 2), today=TODAY
        )
    assert "守信承诺书" in err.value.messages[0]
    repairs.repair_not_accept(
        actor=users["office"],
        case=case,
        decided_on=D(2025, 9, 2),
        reasons="未提交守信承诺书。",
        today=TODAY,
    )
    assert RepairCase.objects.get(pk=case.pk).status == "not_accepted"
    with pytest.raises(ValidationError):  # a closed case takes no further step
        repairs.repair_accept(
            actor=users["office"], case=case, accepted_on=D(2025, 9, 2), today=TODAY
        )


def test_only_officers_who_may_record_about_the_enterprise_handle_its_repair(users):
    record = _penalty(users, f.enterprise(f.YUZHONG))
    for name in ("other_district", "hospital", "outsider"):
        with pytest.raises(PermissionDenied):
            repairs.repair_apply(
                actor=users[name],
                record=record,
                applied_on=D(2025, 9, 1),
                applicant="x",
                application="x",
                commitment=True,
                today=TODAY,
            )
    case = _applied(users, record)
    with pytest.raises(PermissionDenied):
        repairs.repair_accept(
            actor=users["other_district"], case=case, accepted_on=D(2025, 9, 1), today=TODAY
        )
    repairs.repair_accept(
        actor=users["district"], case=case, accepted_on=D(2025, 9, 1), today=TODAY
    )


# --- the pages ---------------------------------------------------------------------------------


def test_a_repair_walked_through_its_forms(users, client_as):
    firm = f.enterprise(f.YUZHONG)
    today = dt.date.today()
    record = record_create(
        actor=users["office"],
        enterprise=firm,
        kind="penalty",
        document_no="渝中市监罚〔2024〕7号",
        decided_on=today - dt.timedelta(days=400),
        published_on=today - dt.timedelta(days=390),
        source_name="重庆市渝中区市场监督管理局",
        today=today,
    )
    client = client_as("district")
    page = client.get(f"/credit/enterprises/{firm.uscc}/").content.decode()
    assert f'id="form-repair-apply-{record.pk}"' in page
    response = client.post(
        f"/credit/records/{record.pk}/repair/",
        {
            "applicant": firm.name,
            "applied_on": today.isoformat(),
            "application": "已整改",
            "commitment": "on",
            "evidence": "凭证",
        },
    )
    case = RepairCase.objects.get()
    assert response["Location"] == f"/credit/repairs/{case.pk}/"
    assert 'id="form-repair-accept"' in client.get(response["Location"]).content.decode()
    assert client.get("/credit/").content.decode().count(f"/credit/repairs/{case.pk}/") == 1
    client.post(f"/credit/repairs/{case.pk}/accept/", {"accept-accepted_on": today.isoformat()})
    client.post(
        f"/credit/repairs/{case.pk}/decide/",
        {
            "decide-decided_on": today.isoformat(),
            "decide-grant": "1",
            "decide-obligations_fulfilled": "on",
            "decide-harm_removed": "on",
        },
    )
    assert RepairCase.objects.get().status == "repaired"
    assert CreditRecord.objects.get(pk=record.pk).repaired_on == today
    page = client.get(f"/credit/repairs/{case.pk}/").content.decode()
    assert "准予修复" in page and "<form" not in page.split("</h1>", 1)[1].split("footer")[0]
    # Another district's officer and the public are refused.
    assert client_as("other_district").get(f"/credit/repairs/{case.pk}/").status_code == 403
    refused = client_as("other_district").post(
        f"/credit/repairs/{case.pk}/decide/", {"decide-decided_on": today.isoformat()}
    )
    assert refused.status_code == 403
    assert client_as(None).get(f"/credit/repairs/{case.pk}/").status_code in (302, 401, 403)
