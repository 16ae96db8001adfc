"""Who may see and do what: one set of helpers for every view and API endpoint.

Roles are held through :class:`~zhiliang.accounts.models.Membership` (scoped to an
organisation). A logged-in user without a membership is an *outsider* and is
refused everywhere except the login and public pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

from zhiliang.accounts.models import Membership, Role

OFFICE = frozenset({Role.SYSTEM_ADMIN, Role.QUALITY_OFFICE})
GOVERNMENT = OFFICE | {Role.DEPARTMENT_OFFICER, Role.DISTRICT_OFFICER, Role.INSPECTOR}
#: Who may read the enterprise registry beyond one district.
CITYWIDE_READERS = OFFICE | {Role.DEPARTMENT_OFFICER, Role.INSPECTOR}
ENTERPRISE_WRITERS = OFFICE | {Role.DEPARTMENT_OFFICER, Role.DISTRICT_OFFICER}
ALL_ROLES = frozenset(Role)

_CACHE_ATTR = "_zhiliang_memberships"


def memberships_of(user: Any) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("organisation__division"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def roles_of(user: Any) -> frozenset[str]:
    return frozenset(m.role for m in memberships_of(user))


def has_role(user: Any, roles: frozenset[str] | set[str]) -> bool:
    return bool(roles_of(user) & set(roles))


def is_office(user: Any) -> bool:
    return has_role(user, OFFICE)


def district_codes_of(user: Any) -> frozenset[str]:
    """Division codes of the districts whose non-public data the user may see."""
    return frozenset(
        m.organisation.division_id
        for m in memberships_of(user)
        if m.role == Role.DISTRICT_OFFICER and m.organisation.division_id
    )


def organisations_of(user: Any, roles: frozenset[str] | None = None) -> list[Any]:
    return [m.organisation for m in memberships_of(user) if roles is None or m.role in roles]


def acts_for(user: Any, organisation: Any) -> bool:
    """Whether the user may write for an organisation: office staff for anyone; others
    for organisations they hold a role in, and district officers also for the units
    inside their district (whose parent is the district government)."""
    if is_office(user):
        return True
    for m in memberships_of(user):
        if m.organisation_id == organisation.pk:
            return True
        if m.role == Role.DISTRICT_OFFICER and organisation.parent_id == m.organisation_id:
            return True
    return False


def require_office(user: Any) -> None:
    """For services: only the quality office (and system admins) may do this."""
    if not is_office(user):
        raise PermissionDenied


def require_roles(roles: frozenset[str]) -> Callable[..., Any]:
    """View decorator: anonymous users go to the login page, others without a role get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorator


class RolesPermission(BasePermission):
    """DRF permission built from the same role sets as :func:`require_roles`."""

    roles: frozenset[str] = ALL_ROLES

    def has_permission(self, request: Any, view: Any) -> bool:
        return has_role(request.user, getattr(view, "required_roles", self.roles))


class IsMember(RolesPermission):
    roles = ALL_ROLES
