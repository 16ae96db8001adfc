"""Reads of the registry, scoped to what a user may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet

from zhiliang.accounts.access import CITYWIDE_READERS, district_codes_of, has_role
from zhiliang.registry.models import Enterprise, Organisation, OrganisationAlias


def enterprises_visible_to(user: Any) -> QuerySet[Enterprise]:
    """City-wide readers see every enterprise; a district officer only their district's."""
    qs = Enterprise.objects.select_related("district")
    if has_role(user, CITYWIDE_READERS):
        return qs
    return qs.filter(district_id__in=district_codes_of(user))


def organisations_with_aliases() -> QuerySet[Organisation]:
    return Organisation.objects.select_related("parent", "division", "successor").prefetch_related(
        Prefetch("aliases", queryset=OrganisationAlias.objects.order_by("position"))
    )


def alias_index() -> dict[str, Organisation]:
    """Every full name and short name → its organisation, for resolving document text."""
    index: dict[str, Organisation] = {}
    for org in organisations_with_aliases():
        index[org.name] = org
        for alias in org.aliases.all():
            index[alias.alias] = org
    return index


def organisations_named(names: Iterable[str]) -> dict[str, Organisation]:
    """The organisations whose full name is exactly one of ``names`` (after trimming),
    by that name. Short names are not matched: 市质监局 in another city's document
    would name another bureau (see :func:`alias_index` for reading our own documents)."""
    wanted = {name.strip() for name in names} - {""}
    if not wanted:
        return {}
    return {org.name: org for org in Organisation.objects.filter(name__in=wanted)}
