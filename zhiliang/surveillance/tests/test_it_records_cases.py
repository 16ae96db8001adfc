"""Entering cases one at a time: the service's checks and audit entry, the entry form
(defaults, "save and next", errors by field), and the API's POST."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhiliang.accounts.models import AuditEntry
from zhiliang.inspections.models import ProductCategory
from zhiliang.surveillance.codes import Cause, Outcome, Sex
from zhiliang.surveillance.models import InjuryCase
from zhiliang.surveillance.services import case_create

TODAY = dt.date(2025, 6, 30)


def _create(actor, reporter, **kw):
    args = {"case_number": "A-001", "visit_date": dt.date(2025, 6, 2), "today": TODAY}
    args.update(kw)
    return case_create(actor=actor, reporter=reporter, **args)


def test_a_case_is_saved_with_its_design_defaults_and_audited(reporters, hospitals):
    toys = ProductCategory.objects.get(code="IND23-06")
    case = _create(
        reporters["hospital_yz"],
        hospitals["yz"],
        sex=Sex.MALE,
        age_months=14,
        cause=Cause.FALL,
        outcome=Outcome.RELEASED,
        product_1_category=toys,
        product_1_code="滑板车",
        narrative="从滑板车上摔下",
    )
    assert (case.age_years, case.weight, case.stratum, case.psu) == (1, 1.0, "", "hospital-yz")
    assert case.created_by == reporters["hospital_yz"]
    entry = AuditEntry.objects.get(action="surveillance.case.create")
    assert entry.object_id == str(case.pk) and entry.actor == reporters["hospital_yz"]
    assert entry.after["case_number"] == "A-001" and entry.after["products"][0] == [
        "滑板车",
        toys.pk,
    ]
    assert "narrative" not in entry.after


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"visit_date": dt.date(2025, 7, 1)}, "visit_date"),
        ({"injury_date": dt.date(2025, 6, 3)}, "injury_date"),  # after the visit
        ({"visit_hour": 24}, "visit_hour"),
        ({"age_years": 121}, "age_years"),
        ({"age_years": 3, "age_months": 14}, "age_months"),
        ({"weight": 0}, "weight"),
        ({"cause": 99}, "cause"),
        ({"product_2_code": "x"}, "product_2_code"),  # product 1 left empty
        ({"case_number": "  "}, "case_number"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_written(reporters, hospitals, fields, field):
    with pytest.raises(ValidationError) as caught:
        _create(reporters["office"], hospitals["yz"], **fields)
    assert field in caught.value.message_dict
    assert not InjuryCase.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="surveillance").exists()


def test_a_case_number_is_once_per_hospital(reporters, hospitals):
    _create(reporters["office"], hospitals["yz"])
    with pytest.raises(ValidationError) as caught:
        _create(reporters["office"], hospitals["yz"])
    assert "已有记录" in caught.value.message_dict["case_number"][0]
    _create(reporters["office"], hospitals["wz"])  # another hospital's own numbering
    assert InjuryCase.objects.count() == 2


def test_only_the_hospitals_own_reporters_and_the_office_may_report(reporters, hospitals):
    with pytest.raises(PermissionDenied):
        _create(reporters["hospital_wz"], hospitals["yz"])
    with pytest.raises(PermissionDenied):
        _create(reporters["district"], hospitals["yz"])
    with pytest.raises(PermissionDenied):
        _create(reporters["office"], None)  # a dataset without reporter: by command only


def test_the_form_fills_in_today_and_the_hospital_and_keeps_them_for_the_next(client_of, hospitals):
    client = client_of("hospital_yz")
    page = client.get("/surveillance/cases/new/").content.decode()
    assert f'name="reporter" value="{hospitals["yz"].pk}"' in page  # the only choice: hidden
    assert "autofocus" in page and "3 跌倒/坠落" in page
    today = timezone.localdate().isoformat()  # an <input type="date"> reads ISO dates only
    assert f'name="visit_date" value="{today}"' in page
    response = client.post(
        "/surveillance/cases/new/",
        {
            "reporter": hospitals["yz"].pk,
            "case_number": "YZ-2025-0001",
            "visit_date": "2025-06-02",
            "sex": "2",
            "age_years": "7",
            "cause": "3",
            "outcome": "1",
            "product_1_category": ProductCategory.objects.get(code="IND23-12").pk,
            "next": "1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"/surveillance/cases/new/?reporter={hospitals['yz'].pk}&visit_date=2025-06-02"
    )
    case = InjuryCase.objects.get(case_number="YZ-2025-0001")
    assert (case.sex, case.cause, case.product_1_category.code) == (2, 3, "IND23-12")
    following = client.get(response["Location"]).content.decode()
    assert 'value="2025-06-02"' in following and "YZ-2025-0001" in following  # the message


def test_the_form_shows_errors_by_field(client_of, hospitals):
    client = client_of("hospital_yz")
    response = client.post(
        "/surveillance/cases/new/",
        {"reporter": hospitals["yz"].pk, "case_number": "YZ-1", "visit_date": "2099-01-01"},
    )
    assert response.status_code == 400
    assert "就诊日期不能晚于今天" in response.content.decode()
    assert not InjuryCase.objects.exists()


def test_the_api_posts_a_case_for_the_callers_hospital(client_of, hospitals):
    response = client_of("hospital_wz").post(
        "/api/surveillance/cases",
        {
            "case_number": "WZ-9",
            "visit_date": "2025-06-01",
            "sex": 1,
            "cause": 7,
            "products": [{"category": "IND23-02", "code": "电热水壶"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reporter"] == "hospital-wz" and body["products"] == [
        {"category": "IND23-02", "code": "电热水壶"}
    ]
    assert AuditEntry.objects.filter(action="surveillance.case.create").count() == 1


def test_the_api_answers_bad_input_in_the_envelope(client_of, hospitals):
    client = client_of("hospital_wz")
    response = client.post(
        "/api/surveillance/cases",
        {"case_number": "WZ-9", "visit_date": "2025-06-01", "age_years": 300},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"message", "extra"}
    assert "age_years" in response.json()["extra"]["fields"]
    unknown = client.post(
        "/api/surveillance/cases",
        {"case_number": "WZ-9", "visit_date": "2025-06-01", "products": [{"category": "NO"}]},
        content_type="application/json",
    )
    assert unknown.status_code == 400
    assert not InjuryCase.objects.exists()
