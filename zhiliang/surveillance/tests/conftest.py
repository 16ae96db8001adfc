"""Two sentinel hospitals (渝中区, 万州区) with a reporter each, and a case in each plus a
NEISS case; the personas of ``zhiliang/conftest.py`` besides."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from zhiliang.accounts.models import Membership, Role
from zhiliang.registry.models import Organisation
from zhiliang.surveillance.codes import Source
from zhiliang.surveillance.models import InjuryCase

YUZHONG, WANZHOU = "500103", "500101"
DAY = dt.date(2025, 6, 2)


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    # Messages made outside a request are in the active language; a page test in
    # English must not leave English active for the next test.
    with translation.override("zh-hans"):
        yield


def hospital(key: str, name: str, division: str) -> Organisation:
    return Organisation.objects.create(
        key=key,
        name=name,
        kind=Organisation.Kind.HOSPITAL,
        division_id=division,
        parent=Organisation.objects.get(key=f"district-{division}"),
    )


@pytest.fixture
def hospitals(registry: None) -> dict[str, Organisation]:
    return {
        "yz": hospital("hospital-yz", "重庆市渝中区人民医院", YUZHONG),
        "wz": hospital("hospital-wz", "重庆市万州区人民医院", WANZHOU),
    }


@pytest.fixture
def reporters(users: dict[str, Any], hospitals: dict[str, Organisation]) -> dict[str, Any]:
    """``hospital_yz`` and ``hospital_wz``: a reporter of each hospital."""
    made = dict(users)
    for key, org in hospitals.items():
        user = get_user_model().objects.create_user(username=f"hospital_{key}")
        Membership.objects.create(user=user, organisation=org, role=Role.HOSPITAL_REPORTER)
        made[f"hospital_{key}"] = user
    return made


@pytest.fixture
def client_of(reporters: dict[str, Any]) -> Any:
    def make(name: str | None) -> Client:
        client = Client()
        if name is not None:
            client.force_login(reporters[name])
        return client

    return make


@pytest.fixture
def cases(hospitals: dict[str, Organisation]) -> dict[str, InjuryCase]:
    return {
        "yz": InjuryCase.objects.create(
            reporter=hospitals["yz"], case_number="YZ-1", visit_date=DAY, psu="hospital-yz"
        ),
        "wz": InjuryCase.objects.create(
            reporter=hospitals["wz"], case_number="WZ-1", visit_date=DAY, psu="hospital-wz"
        ),
        "neiss": InjuryCase.objects.create(
            source=Source.NEISS, case_number="150101234", visit_date=DAY, stratum="V", psu="8"
        ),
    }
