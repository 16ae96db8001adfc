"""Every surveillance page and API endpoint: who gets in, whose cases they see, and that
outsiders — anonymous visitors, enterprise users, inspectors, people without a role,
another hospital's reporter — are refused."""

from __future__ import annotations

import pytest

from zhiliang.surveillance.models import InjuryCase

READERS = {
    "admin",
    "office",
    "department",
    "district",
    "other_district",
    "hospital_yz",
    "hospital_wz",
}
WRITERS = {"admin", "office", "department", "hospital_yz", "hospital_wz"}
REFUSED = ["inspector", "enterprise_user", "outsider"]
EVERYONE = sorted(READERS | set(REFUSED)) + [None]

PAGES = [
    ("/surveillance/", READERS),
    ("/surveillance/estimates/", READERS),
    ("/surveillance/estimates/?by=category&by=sex&source=neiss", READERS),
    ("/surveillance/cases/new/", WRITERS),
    ("/surveillance/import/", WRITERS),
    ("/surveillance/import/template/", WRITERS),
]
#: persona → the cases it sees (keys of the ``cases`` fixture)
SEES = {
    "admin": {"yz", "wz", "neiss"},
    "office": {"yz", "wz", "neiss"},
    "department": {"yz", "wz", "neiss"},
    "district": {"yz"},  # 渝中区
    "other_district": {"wz"},  # 万州区
    "hospital_yz": {"yz"},
    "hospital_wz": {"wz"},
}


@pytest.mark.parametrize("persona", EVERYONE)
@pytest.mark.parametrize(("url", "allowed"), PAGES)
def test_it_lets_in_only_its_roles(client_of, cases, url, allowed, persona):
    response = client_of(persona).get(url)
    if persona is None:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif persona in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", EVERYONE)
def test_a_case_page_opens_only_for_those_who_see_the_case(client_of, cases, persona):
    for key, case in cases.items():
        response = client_of(persona).get(f"/surveillance/cases/{case.pk}/")
        if persona is None:
            assert response.status_code == 302
        elif persona in SEES:
            assert response.status_code == (200 if key in SEES[persona] else 404), key
        else:
            assert response.status_code == 403


@pytest.mark.parametrize("persona", sorted(SEES))
def test_the_list_shows_only_the_cases_one_sees(client_of, cases, persona):
    page = client_of(persona).get("/surveillance/").content.decode()
    for key, case in cases.items():
        assert (f"/surveillance/cases/{case.pk}/" in page) == (key in SEES[persona]), key


@pytest.mark.parametrize("persona", sorted(SEES))
def test_the_api_lists_only_the_cases_one_sees(client_of, cases, persona):
    response = client_of(persona).get("/api/surveillance/cases")
    assert response.status_code == 200
    numbers = {row["case_number"] for row in response.json()["results"]}
    assert numbers == {cases[k].case_number for k in SEES[persona]}


@pytest.mark.parametrize("persona", [*REFUSED, None])
def test_the_api_refuses_outsiders_reading_and_writing(client_of, cases, persona):
    client = client_of(persona)
    for response in (
        client.get("/api/surveillance/cases"),
        client.post(
            "/api/surveillance/cases",
            {"case_number": "X-1", "visit_date": "2025-06-01", "reporter": "hospital-yz"},
            content_type="application/json",
        ),
    ):
        assert response.status_code == 403
        assert set(response.json()) == {"message", "extra"}
    assert not InjuryCase.objects.filter(case_number="X-1").exists()


@pytest.mark.parametrize("persona", ["district", "other_district"])
def test_district_officers_read_but_do_not_write(client_of, cases, persona):
    client = client_of(persona)
    assert client.post("/surveillance/cases/new/", {}).status_code == 403
    response = client.post(
        "/api/surveillance/cases",
        {"case_number": "X-2", "visit_date": "2025-06-01", "reporter": "hospital-yz"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_a_hospital_cannot_report_for_another_hospital(client_of, cases):
    client = client_of("hospital_yz")
    response = client.post(
        "/api/surveillance/cases",
        {"case_number": "X-3", "visit_date": "2025-06-01", "reporter": "hospital-wz"},
        content_type="application/json",
    )
    assert response.status_code == 403 and set(response.json()) == {"message", "extra"}
    form = client.post(
        "/surveillance/cases/new/",
        {"reporter": cases["wz"].reporter_id, "case_number": "X-3", "visit_date": "2025-06-01"},
    )
    assert form.status_code == 400  # not one of the form's choices
    assert not InjuryCase.objects.filter(case_number="X-3").exists()


def test_a_reporter_role_without_a_hospital_enters_nothing(client_of, cases):
    # The shared ``hospital`` persona reports in 市卫计委, which is not a sentinel hospital.
    client = client_of("hospital")
    assert client.get("/surveillance/").status_code == 200
    assert client.get("/surveillance/cases/new/").status_code == 403
    assert client.get("/surveillance/import/").status_code == 403
    assert (
        f"/surveillance/cases/{cases['yz'].pk}/"
        not in client.get("/surveillance/").content.decode()
    )


def test_the_navigation_links_the_case_list_for_readers_only(client_of, cases):
    assert "/surveillance/" in client_of("hospital_yz").get("/").content.decode()
    assert "/surveillance/" not in client_of("inspector").get("/").content.decode()
