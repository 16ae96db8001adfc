"""Every page and API endpoint: who gets in, and that an outsider never does."""

from __future__ import annotations

import pytest

GOV = {"admin", "office", "department", "district", "other_district", "inspector"}
OFFICE = {"admin", "office"}
ENTERPRISE_READERS = {"admin", "office", "department", "district", "other_district", "inspector"}
ENTERPRISE_WRITERS = {"admin", "office", "department", "district", "other_district"}
MEMBERS = GOV | {"hospital", "enterprise_user"}
ALL = [*sorted(MEMBERS), "outsider", None]

# (url template, allowed personas). {plan} is the seed plan's id.
PAGES = [
    ("/plans/", GOV),
    ("/plans/{plan}/", GOV),
    ("/plans/{plan}/matrix/", GOV),
    ("/plans/{plan}/matrix/?format=xlsx", GOV),
    ("/plans/targets/", GOV),
    ("/plans/units/cq-zjj/", GOV),
    ("/plans/units/unresolved/", OFFICE),
    ("/plans/import/", OFFICE),
    ("/registry/organisations/", GOV),
    ("/registry/enterprises/", ENTERPRISE_READERS),
    ("/registry/enterprises/?format=xlsx", ENTERPRISE_READERS),
    ("/registry/enterprises/import/", ENTERPRISE_WRITERS),
    ("/accounts/audit/", OFFICE),
    ("/plans/measures/{measure}/", GOV),
    ("/plans/reports/", GOV),
    ("/plans/reports/review/", OFFICE),
    ("/plans/{plan}/district-plans/", GOV),
    ("/plans/{plan}/publication/", OFFICE),
]

API_GET = [
    ("/api/schema/", MEMBERS),
    ("/api/plans/", GOV),
    ("/api/plans/{plan}/", GOV),
    ("/api/targets/", GOV),
    ("/api/organisations/", GOV),
    ("/api/enterprises/", ENTERPRISE_READERS),
    ("/api/audit/", OFFICE),
]

API_POST = [
    ("/api/uscc/check/", MEMBERS, {"codes": ["91500108MAE5G7MX3H"]}),
    ("/api/enterprises/import/", ENTERPRISE_WRITERS, None),
]


@pytest.mark.parametrize("persona", ALL)
@pytest.mark.parametrize(("url", "allowed"), PAGES)
def test_it_scopes_pages_by_role(client_as, seed_plan, url, allowed, persona):
    measure = seed_plan.items.filter(is_leaf=True).first()
    response = client_as(persona).get(url.format(plan=seed_plan.pk, measure=measure.pk))
    if persona is None:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif persona in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("persona", ALL)
@pytest.mark.parametrize(("url", "allowed"), API_GET)
def test_it_scopes_api_reads_by_role(client_as, seed_plan, url, allowed, persona):
    response = client_as(persona).get(url.format(plan=seed_plan.pk))
    if persona in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        if "json" in response["Content-Type"]:
            assert set(response.json()) == {"message", "extra"}


@pytest.mark.parametrize("persona", ALL)
@pytest.mark.parametrize(("url", "allowed", "body"), API_POST)
def test_it_scopes_api_writes_by_role(client_as, registry, url, allowed, body, persona):
    client = client_as(persona)
    if body is not None:
        response = client.post(url, body, content_type="application/json")
    else:
        response = client.post(url, {})
    if persona in allowed:
        # Allowed in; an empty upload is then a 400 with the error envelope.
        assert response.status_code in (200, 400)
    else:
        assert response.status_code == 403
        assert set(response.json()) == {"message", "extra"}


def test_the_public_pages_are_open(client, db):
    assert client.get("/").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/public/duties/").status_code == 200


def test_it_gives_outsiders_no_token(users, client):
    from zhiliang.conftest import PASSWORD

    response = client.post("/api/token/", {"username": "outsider", "password": PASSWORD})
    assert response.status_code == 403
    response = client.post("/api/token/", {"username": "office", "password": PASSWORD})
    assert response.status_code == 200 and len(response.json()["token"]) == 40
