"""Shared fixtures: the 2015 registry, the seed plan, and named personas.

Personas (healthchecks style): ``office`` (quality office coordinator), ``admin``
(system admin), ``department`` (市质监局 officer), ``district`` (渝中区 officer),
``other_district`` (万州区 officer), ``inspector``, ``hospital``, ``enterprise_user``
and ``outsider`` (a logged-in user with no role anywhere).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from zhiliang.accounts.models import Membership, Role
from zhiliang.registry.models import Organisation
from zhiliang.registry.services import registry_load_chongqing_2015

SEED_PLAN = Path(__file__).resolve().parent / "plans" / "data" / "chongqing-2015-quality-plan.txt"
PASSWORD = "correct-horse-battery-staple-9"

PERSONAS: dict[str, tuple[str, str] | None] = {
    "admin": ("cq-joint-office", Role.SYSTEM_ADMIN),
    "office": ("cq-joint-office", Role.QUALITY_OFFICE),
    "department": ("cq-zjj", Role.DEPARTMENT_OFFICER),
    "district": ("district-500103", Role.DISTRICT_OFFICER),
    "other_district": ("district-500101", Role.DISTRICT_OFFICER),
    "inspector": ("cq-zjj", Role.INSPECTOR),
    "hospital": ("cq-wjw", Role.HOSPITAL_REPORTER),
    "enterprise_user": ("cq-gov", Role.ENTERPRISE_USER),
    "outsider": None,
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 costs ~0.3 s a user by design; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _demo_banner_asks_each_page(settings: Any) -> None:
    # A test's rollback takes a loaded demo away again, which a server never does.
    settings.DEMO_CHECK_SECONDS = 0


@pytest.fixture(autouse=True)
def _default_language_after_each_test(settings: Any) -> Any:
    """A page served in English leaves English active in the thread (LocaleMiddleware
    does not switch back); the next test starts in the site's language again."""
    yield
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_entered_holidays(settings: Any) -> Any:
    """Working days come from the calendar library alone unless a test asks for the
    office's entered arrangements (``entered_holidays``): tests of years the library
    lacks expect the refusal, and many of them may not touch the database."""
    from zhiliang.lib import workdays

    settings.HOLIDAY_CHECK_SECONDS = 0
    registered = workdays._supplement
    workdays.set_supplement(None)
    yield registered
    workdays.set_supplement(registered)


@pytest.fixture
def entered_holidays(_no_entered_holidays: Any, db: Any) -> Any:
    """The app's own supplement of entered arrangements, as registered at start."""
    from zhiliang.lib import workdays

    workdays.set_supplement(_no_entered_holidays)
    return _no_entered_holidays


@pytest.fixture
def registry(db: Any) -> None:
    registry_load_chongqing_2015(actor=None)
    # The catalogue comes with a data migration, but a transactional test (the browser
    # tests' live server) flushes every table when it ends: restore it if it is gone.
    from zhiliang.inspections.catalogue import load_catalogue
    from zhiliang.inspections.models import ProductCategory

    if not ProductCategory.objects.exists():
        load_catalogue(ProductCategory)


@pytest.fixture
def seed_text() -> str:
    return SEED_PLAN.read_text(encoding="utf-8")


@pytest.fixture
def seed_plan(registry: None, seed_text: str) -> Any:
    from zhiliang.plans.services import plan_import

    return plan_import(text=seed_text, source_name=SEED_PLAN.name, actor=None).plan


@pytest.fixture
def users(registry: None) -> dict[str, Any]:
    User = get_user_model()
    made: dict[str, Any] = {}
    for name, grant in PERSONAS.items():
        user = User.objects.create_user(username=name, password=PASSWORD)
        if grant is not None:
            org_key, role = grant
            Membership.objects.create(
                user=user, organisation=Organisation.objects.get(key=org_key), role=role
            )
        made[name] = user
    return made


@pytest.fixture
def client_as(users: dict[str, Any]) -> Any:
    def make(name: str | None) -> Client:
        client = Client()
        if name is not None:
            client.force_login(users[name])
        return client

    return make
