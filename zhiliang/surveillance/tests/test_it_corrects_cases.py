"""A recorded case is corrected, never silently changed: its hospital's reporters (or the
office) correct it with a reason, the same checks as a new case apply, the key stays,
and the audit log keeps the fields before and after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhiliang.accounts.models import AuditEntry
from zhiliang.surveillance.codes import Outcome, Sex
from zhiliang.surveillance.models import InjuryCase
from zhiliang.surveillance.services import case_correct, case_create

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def case(reporters, hospitals) -> InjuryCase:
    return case_create(
        actor=reporters["hospital_yz"],
        reporter=hospitals["yz"],
        case_number="YZ-100",
        visit_date=DAY,
        sex=Sex.MALE,
        age_years=7,
        narrative="滑板车摔伤",
        today=DAY,
    )


def test_a_correction_keeps_the_key_and_logs_before_and_after(reporters, case):
    corrected = case_correct(
        actor=reporters["hospital_yz"],
        case=case,
        reason="性别录错",
        visit_date=DAY,
        sex=Sex.FEMALE,
        age_years=7,
        outcome=Outcome.ADMITTED,
        narrative="滑板车摔伤，左腕骨折",
        today=DAY,
    )
    assert corrected.sex == Sex.FEMALE and corrected.case_number == "YZ-100"
    entry = AuditEntry.objects.get(action="surveillance.case.correct")
    assert entry.reason == "性别录错"
    assert entry.before["sex"] == Sex.MALE and entry.after["sex"] == Sex.FEMALE
    assert entry.after["narrative_changed"] is True
    assert "narrative" not in entry.after  # free text is not copied into the log
    assert InjuryCase.objects.count() == 1


def test_a_correction_needs_a_reason_and_passes_the_checks(reporters, case):
    with pytest.raises(ValidationError) as no_reason:
        case_correct(actor=reporters["hospital_yz"], case=case, reason=" ", visit_date=DAY)
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError):
        case_correct(
            actor=reporters["hospital_yz"],
            case=case,
            reason="日期",
            visit_date=DAY + dt.timedelta(days=3),
            today=DAY,
        )
    case.refresh_from_db()
    assert case.visit_date == DAY and case.sex == Sex.MALE
    assert not AuditEntry.objects.filter(action="surveillance.case.correct").exists()


def test_only_its_hospital_or_the_office_may_correct(reporters, case):
    for who in ("hospital_wz", "district", "enterprise_user"):
        with pytest.raises(PermissionDenied):
            case_correct(actor=reporters[who], case=case, reason="x", visit_date=DAY)
    case_correct(actor=reporters["office"], case=case, reason="质控", visit_date=DAY, today=DAY)


def test_the_correction_page(client_of, case):
    client = client_of("hospital_yz")
    page = client.get(f"/surveillance/cases/{case.pk}/")
    assert f"/surveillance/cases/{case.pk}/correct/" in page.content.decode()
    form = client.get(f"/surveillance/cases/{case.pk}/correct/").content.decode()
    assert 'value="2026-03-02"' in form and "滑板车摔伤" in form
    assert 'name="case_number"' not in form and 'name="reporter"' not in form
    refused = client.post(f"/surveillance/cases/{case.pk}/correct/", {"visit_date": "2026-03-02"})
    assert refused.status_code == 400
    done = client.post(
        f"/surveillance/cases/{case.pk}/correct/",
        {
            "visit_date": "2026-03-01",
            "sex": str(Sex.FEMALE),
            "age_years": "7",
            "reason": "日期录错",
        },
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.visit_date == dt.date(2026, 3, 1) and case.sex == Sex.FEMALE
    other = client_of("hospital_wz")
    assert other.get(f"/surveillance/cases/{case.pk}/correct/").status_code in (403, 404)
    assert client_of(None).get(f"/surveillance/cases/{case.pk}/correct/").status_code == 302
