"""The language switch on every page: a plain form (no CSRF token: it sets only the
visitor's own language cookie), so a first visit to a public page makes no CSRF secret."""

from __future__ import annotations

from django.conf import settings
from django.test import Client


def test_a_visitor_switches_to_english_and_back_without_a_csrf_token(db):
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get("/public/credit/")
    assert page.status_code == 200
    assert settings.CSRF_COOKIE_NAME not in page.cookies  # no secret made for a visitor
    assert 'name="csrfmiddlewaretoken"' not in page.content.decode()
    assert "企业质量信用查询" in page.content.decode()

    switched = visitor.post("/i18n/setlang/", {"language": "en", "next": "/public/credit/"})
    assert switched.status_code == 302 and switched["Location"] == "/public/credit/"
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    english = visitor.get("/public/credit/").content.decode()
    assert "Enterprise quality credit query" in english and 'lang="en"' in english

    back = visitor.post("/i18n/setlang/", {"language": "zh-hans", "next": "/public/credit/"})
    assert back.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert "企业质量信用查询" in visitor.get("/public/credit/").content.decode()


def test_the_switch_goes_back_only_to_this_site(db):
    switched = Client(enforce_csrf_checks=True).post(
        "/i18n/setlang/", {"language": "en", "next": "https://evil.example/"}
    )
    assert switched.status_code == 302 and switched["Location"] == "/"


def test_signed_in_forms_keep_their_token(client_as):
    page = client_as("office").get("/").content.decode()
    assert 'action="/accounts/logout/"' in page
    assert page.count('name="csrfmiddlewaretoken"') >= 1
