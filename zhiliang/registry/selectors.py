"""Reads of the registry, scoped to what a user may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Func, Prefetch, QuerySet, TextField, Value
from django.db.models.expressions import Col, Expression
from django.db.models.functions import Upper

from zhiliang.accounts.access import CITYWIDE_READERS, district_codes_of, has_role
from zhiliang.registry.models import Enterprise, Organisation, OrganisationAlias


def enterprises_visible_to(user: Any) -> QuerySet[Enterprise]:
    """City-wide readers see every enterprise; a district officer only their district's."""
    qs = Enterprise.objects.select_related("district")
    if has_role(user, CITYWIDE_READERS):
        return qs
    return qs.filter(district_id__in=district_codes_of(user))


class NameBigrams(Func):
    """The character pairs of a text, as an array: ``zhiliang_bigrams()`` of migration
    registry 0004 (PostgreSQL only), whose GIN index answers 2-character name searches."""

    function = "zhiliang_bigrams"
    output_field = ArrayField(TextField())


class StoredUpperName(Expression):
    """``name_upper``, ``upper(name)`` as PostgreSQL stores it (registry 0006), a column the
    model does not declare; under the alias the query gives the enterprise table, so that
    it stays right in a subquery or a join (Django relabels the column it resolves to)."""

    output_field = TextField()

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> Col:
        column = TextField()
        column.set_attributes_from_name("name_upper")
        return Col(query.get_initial_alias(), column)


def enterprises_named(fragment: str) -> QuerySet[Enterprise]:
    """Enterprises whose name contains ``fragment``, ignoring case (``name__icontains``);
    in no particular order.

    On PostgreSQL the name is compared upper-cased as stored (``name_upper``, registry
    0006) with the fragment upper-cased by the database too, as ``name__icontains``
    does; the trigram index on it (registry 0004/0006) serves fragments of three
    characters or more by itself. A trigram cannot be taken from two characters, so a
    2-character fragment is also asked as "the name's character pairs include this
    pair" (the bigram index): the same rows, as a name contains a 2-character text exactly
    when that pair is one of its pairs. The LIKE stays beside it, checked first, so that
    a scan of the table for a common pair stops as soon as enough names are found
    without working out every name's pairs."""
    if connection.vendor != "postgresql":
        return Enterprise.objects.filter(name__icontains=fragment)
    upper = Upper(Value(fragment))
    found = Enterprise.objects.alias(name_upper=StoredUpperName()).filter(
        name_upper__contains=upper
    )
    if len(fragment) == 2:
        pair = Func(upper, template="ARRAY[%(expressions)s]")
        found = found.alias(name_bigrams=NameBigrams(StoredUpperName())).filter(
            name_bigrams__contains=pair
        )
    return found


#: Stands in for a fragment in :func:`enterprises_named_sql`'s compiled statements:
#: private-use characters, which neither a name nor LIKE's escaping contains.
_STAND_IN = {True: "\ue000\ue001", False: "\ue000\ue001\ue002"}
_LIKE_SPECIAL = frozenset("%_\\")
_named_sql: dict[tuple[str, bool, int], tuple[str, tuple[Any, ...]]] = {}


def enterprises_named_sql(fragment: str, limit: int) -> tuple[str, tuple[Any, ...]]:
    """SQL and parameters selecting ``pk``, ``uscc`` and ``name`` of at most ``limit``
    enterprises named like ``fragment`` (:func:`enterprises_named`), in no particular
    order, for a query of one's own.

    The ORM builds the statement once per database and kind of fragment (two characters
    or more; see :func:`enterprises_named`) with a stand-in for the fragment, which is
    then put in its parameters: building it anew for each fragment cost more Python than
    PostgreSQL took to answer it (the public query, issue 5). A fragment with a character
    LIKE escapes (``%``, ``_``, ``\\``) is compiled as it is."""

    def compiled(text: str) -> tuple[str, tuple[Any, ...]]:
        sql, params = (
            enterprises_named(text)
            .order_by()
            .values("pk", "uscc", "name")[:limit]
            .query.sql_with_params()
        )
        return sql, tuple(params)

    if _LIKE_SPECIAL & set(fragment):
        return compiled(fragment)
    pair = len(fragment) == 2
    key = (connection.vendor, pair, limit)
    if key not in _named_sql:
        _named_sql[key] = compiled(_STAND_IN[pair])
    sql, params = _named_sql[key]
    stand_in = _STAND_IN[pair]
    return sql, tuple(p.replace(stand_in, fragment) if isinstance(p, str) else p for p in params)


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
