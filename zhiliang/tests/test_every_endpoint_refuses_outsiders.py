"""Every URL the project serves, walked from the URL configuration itself: an
outsider (signed in, no role) is refused and an anonymous visitor is sent to log
in, for GET and POST alike. Only the pages meant for everyone are exempt."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {
    "home",
    "accounts:login",
    "accounts:logout",
    "set_language",
    "portal:duty_index",
    "portal:duty_list",
    "portal:credit_search",  # the public credit query (tested in portal/tests)
    # published consumer warnings only (tested in signals/tests/test_its_pages.py)
    "portal:warning_list",
    "portal:warning",
    "portal:warning_photo",
}
ARGUMENTS = {
    "pk": "1",
    "plan_id": "1",
    "key": "cq-zjj",
    "action": "submit",
    "year": "2015",
    "sample_no": "GC2026-0001",
    "step": "report",
    "code": "CQ-2026-01",
    "token": "0123abcd",
    "uscc": "91500108MAE5G7MX3H",
    "record_id": "1",
}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace else p.name
            yield name, prefix + str(p.pattern)


def _endpoints():
    out = []
    for name, route in _walk(get_resolver().url_patterns):
        if name in PUBLIC or route.startswith("api/") or route.startswith("^"):
            continue  # public pages; the API has its own matrix (api/tests)
        url = "/" + route
        for arg, value in ARGUMENTS.items():
            for conv in ("int", "slug", "str", "path"):
                url = url.replace(f"<{conv}:{arg}>", value)
        assert "<" not in url, f"add a sample value for {route}"
        out.append(pytest.param(url, id=name))
    return out


ENDPOINTS = _endpoints()


def test_the_walk_finds_the_endpoints():
    assert len(ENDPOINTS) >= 35


@pytest.mark.parametrize("url", ENDPOINTS)
def test_an_outsider_is_refused(client_as, seed_plan, url):
    client = client_as("outsider")
    # A POST-only endpoint may answer a GET with 405; a POST is always refused.
    assert client.get(url).status_code in (403, 405)
    assert client.post(url, {}).status_code == 403


@pytest.mark.parametrize("url", ENDPOINTS)
def test_an_anonymous_visitor_is_sent_to_log_in(client, db, url):
    assert client.get(url).status_code in (302, 405)
    response = client.post(url, {})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
