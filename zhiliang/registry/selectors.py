"""Reads of the registry, scoped to what a user may see."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.db.models import Prefetch, QuerySet

from zhiliang.accounts.access import CITYWIDE_READERS, district_codes_of, has_role
from zhiliang.registry.models import Enterprise, Organisation, OrganisationAlias


def enterprises_visible_to(user: Any) -> QuerySet[Enterprise]:
    """City-wide readers see every enterprise; a district officer only their district's."""
    qs = Enterprise.objects.select_related("district")
    if has_role(user, CITYWIDE_READERS):
        return qs
    return qs.filter(district_id__in=district_codes_of(user))


def enterprises_named(fragment: str) -> QuerySet[Enterprise]:
    """Enterprises whose name contains ``fragment``, ignoring case; in no particular
    order. The definition :func:`enterprises_named_sql`'s statement is held to (on
    PostgreSQL that statement asks the name indexes of registry 0007, which this
    queryset cannot use)."""
    return Enterprise.objects.filter(name__icontains=fragment)


#: The name indexes of registry 0007 (PostgreSQL), each on a tier of the enterprises by
#: id: 1 in 256, 15 in 256, the other 15 in 16. Together the tiers hold every enterprise
#: once. A search asks them in this order and stops as soon as it has enough names (see
#: :func:`enterprises_named_tiered_sql`). The migration writes the same conditions; a test
#: holds them together.
NAME_TIERS = ("id % 256 = 0", "id % 16 = 0 AND id % 256 <> 0", "id % 16 <> 0")
# The fragment upper-cased by PostgreSQL, as name__icontains does, with LIKE's own
# characters escaped (LIKE's escape character is the backslash).
_LIKE_FRAGMENT = (
    "'%%' || replace(replace(replace(upper({fragment}), '\\', '\\\\'),"
    " '%%', '\\%%'), '_', '\\_') || '%%'"
)
_NAMED_MATCH = {
    # the name's character pairs include this pair: exactly the names containing it
    "pair": "zhiliang_bigrams(name_upper) @> ARRAY[upper({fragment})]",
    # the trigram indexes serve the LIKE itself
    "trigrams": "name_upper LIKE " + _LIKE_FRAGMENT,
    # the name's pairs include all the fragment's pairs, and then the LIKE
    "pairs": "zhiliang_bigrams(name_upper) @> zhiliang_bigrams(upper({fragment}))"
    " AND name_upper LIKE " + _LIKE_FRAGMENT,
}
#: Whether pg_trgm counts Chinese characters as letters in this database (its LC_CTYPE;
#: registry 0005): asked once a process.
_trigram_letters: dict[str, bool] = {}


def _letters_for_trigrams() -> Callable[[str], bool]:
    alias = connection.alias
    if alias not in _trigram_letters:
        with connection.cursor() as cursor:
            cursor.execute("SELECT show_trgm('重庆') <> '{}'::text[]")
            _trigram_letters[alias] = bool(cursor.fetchone()[0])
    if _trigram_letters[alias]:
        return str.isalnum
    return lambda character: character.isascii() and character.isalnum()


def _gives_trigrams(fragment: str, letter: Callable[[str], bool]) -> bool:
    """Whether pg_trgm takes a trigram from ``LIKE '%fragment%'``: from each run of
    letters, padded with two blanks before it unless it begins the fragment and one
    after it unless it ends it (pg_trgm's LPADDING and RPADDING; a run at an end meets
    the wildcard there). A fragment it takes none from (``...``, ``a..``, or any Chinese
    one where the database's LC_CTYPE is "C") would be answered by reading every entry
    of the trigram indexes."""
    runs = []
    start = None
    for position, character in enumerate([*fragment, ""]):
        if character and letter(character):
            if start is None:
                start = position
        elif start is not None:
            runs.append((start, position))
            start = None
    return any(
        end - start + (2 if start else 0) + (1 if end < len(fragment) else 0) >= 3
        for start, end in runs
    )


def name_match(fragment: str) -> str:
    """PostgreSQL: which index a name fragment is asked through: ``pair`` (two
    characters), ``trigrams``, or ``pairs`` (three or more that give no trigram: all the
    fragment's character pairs through the pairs' indexes, then the LIKE)."""
    if len(fragment) == 2:
        return "pair"
    return "trigrams" if _gives_trigrams(fragment, _letters_for_trigrams()) else "pairs"


def enterprises_named_tiered_sql(match: str, limit: int, fragment: str) -> str:
    """PostgreSQL: SQL selecting ``pk``, ``uscc`` and ``name`` of at most ``limit``
    enterprises named like a fragment, asked through the indexes :func:`name_match`
    chose, tier by tier (:data:`NAME_TIERS`); ``fragment`` is what stands for the
    fragment in the SQL (``%s``, or ``$1`` in a prepared statement). Written for
    parameters: a literal ``%`` is ``%%``.

    A GIN index finds every name it holds before the first is read, so on one index over
    all the names a fragment in 20,000 names cost as much as 20,000 and one in 200,000
    more, for the 201 the page needs (5-12 ms; reading the table instead costs about as
    much for these, and the planner chose between the two by guesses). Here the
    tiers are a UNION ALL under the LIMIT: PostgreSQL reads the next tier only while it
    has fewer names than the LIMIT, so a fragment in more than about 51,000 of the names
    (5 %) is answered from the first tier (1 in 256 of them), one in more than about
    3,200 from the first two (1 in 16), and a rarer one from all three, as before. The
    index of each tier serves it only if the table is not read instead: the caller sets
    ``enable_seqscan`` off."""
    condition = _NAMED_MATCH[match].format(fragment=fragment)
    tiers = " UNION ALL ".join(
        f"(SELECT id AS pk, uscc, name FROM registry_enterprise"
        f" WHERE {tier.replace('%', '%%')} AND {condition})"
        for tier in NAME_TIERS
    )
    return f"{tiers} LIMIT {int(limit)}"


def enterprises_named_sql(fragment: str, limit: int) -> tuple[str, tuple[Any, ...]]:
    """SQL and parameters selecting ``pk``, ``uscc`` and ``name`` of at most ``limit``
    enterprises named like ``fragment`` (:func:`enterprises_named`), in no particular
    order, for a query of one's own.

    On PostgreSQL the statement asks the name indexes tier by tier
    (:func:`enterprises_named_tiered_sql`; the caller sets ``enable_seqscan`` off); on
    SQLite it is the ORM's."""
    if connection.vendor == "postgresql":
        match = name_match(fragment)
        uses = _NAMED_MATCH[match].count("{fragment}") * len(NAME_TIERS)
        return enterprises_named_tiered_sql(match, limit, "%s"), (fragment,) * uses
    sql, params = (
        enterprises_named(fragment)
        .order_by()
        .values("pk", "uscc", "name")[:limit]
        .query.sql_with_params()
    )
    return sql, tuple(params)


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
