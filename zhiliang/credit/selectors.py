"""Reading credit data: what the public may see."""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import ProgrammingError, connection
from django.db.models import Count, Q, QuerySet, Subquery

from zhiliang.accounts.access import CITYWIDE_READERS, district_codes_of, has_role
from zhiliang.accounts.models import Role
from zhiliang.credit.listings import listings_in_force
from zhiliang.credit.models import CreditRecord, Listing, RiskAssessment
from zhiliang.credit.services import model_digest, risk_model
from zhiliang.lib.creditrules import Contribution, CreditFact, Kind, RiskClass, classify
from zhiliang.lib.uscc import validate_uscc
from zhiliang.registry.models import Division
from zhiliang.registry.selectors import (
    enterprises_named_sql,
    enterprises_named_tiered_sql,
    name_match,
)

#: Enterprises a public query lists at most.
PUBLIC_RESULTS = 20
#: Enterprises a name query orders by name at most: beyond this many the page lists 20
#: of these and asks for more of the name (see :func:`public_credit`).
NAME_CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class PublicEnterprise:
    id: int
    uscc: str
    name: str


@dataclass(frozen=True, slots=True)
class PublicRecord:
    """A penalty as the public page shows it."""

    document_no: str
    decided_on: dt.date
    source_name: str
    summary: str
    public_until: dt.date


@dataclass(frozen=True, slots=True)
class PublicListing:
    """A listing in force as the public page shows it."""

    listed_on: dt.date
    last_day: dt.date
    reasons: str
    basis: str


@dataclass(frozen=True)
class PublicCredit:
    enterprise: PublicEnterprise
    records: list[PublicRecord]
    listings: list[PublicListing]


@dataclass(frozen=True)
class PublicAnswer:
    results: list[PublicCredit]
    #: more than :data:`NAME_CANDIDATES` names contain the query: ``results`` are the
    #: first by name of :data:`NAME_CANDIDATES` of them, not of all
    too_many: bool = False


def public_records_q(today: dt.date) -> Q:
    """Penalty records the public may see: published, within their public term, not
    repaired by then (Order 45; 信用修复: publication stops on the day of repair).
    Nothing else is public: not other departments' records, not risk classes.
    :data:`_PUBLIC_RECORDS_SQL` says the same in SQL (a test holds them together)."""
    return (
        Q(kind=Kind.PENALTY)
        & Q(published_on__isnull=False, published_on__lte=today)
        & Q(public_until__gte=today)
        & (Q(repaired_on__isnull=True) | Q(repaired_on__gt=today))
    )


# The public query's reads in plain SQL, the same on SQLite and PostgreSQL. Through the
# ORM they cost about 2 ms of Python a query (building and compiling the SQL, making
# model instances), more than the database's work; the page is the one the public may
# ask any number of (issue 5: p95 < 50 ms under 20 concurrent clients). The conditions
# are those of public_records_q and ListingQuerySet.in_force; tests check that they
# choose the same rows on the days at the edges. ``{ids}`` is a list of placeholders or
# a subquery choosing the enterprises.
_PUBLIC_RECORDS_SQL = (
    "SELECT enterprise_id, document_no, decided_on, source_name, summary, public_until"
    " FROM credit_creditrecord WHERE enterprise_id IN ({ids}) AND kind = %s"
    " AND published_on IS NOT NULL AND published_on <= %s AND public_until >= %s"
    " AND (repaired_on IS NULL OR repaired_on > %s)"
    " ORDER BY decided_on DESC, id DESC"
)
_LISTINGS_IN_FORCE_SQL = (
    "SELECT enterprise_id, listed_on, last_day, reasons, basis FROM credit_listing"
    " WHERE enterprise_id IN ({ids}) AND status IN (%s, %s)"
    " AND listed_on <= %s AND last_day >= %s AND (removed_on IS NULL OR removed_on > %s)"
    " ORDER BY listed_on, id"
)
_BY_USCC_SQL = "SELECT id, uscc, name FROM registry_enterprise WHERE uscc = %s"
_ID_BY_USCC_SQL = "SELECT id FROM registry_enterprise WHERE uscc = %s"
#: the first PUBLIC_RESULTS by name of the candidates, with how many candidates there were
_BY_NAME_SQL = (
    "SELECT pk, uscc, name, COUNT(*) OVER () FROM ({candidates}) AS candidate"
    " ORDER BY name, pk LIMIT {results:d}"
)
#: How PostgreSQL plans a name statement (``SET LOCAL``: for its own transaction only).
#: A parallel plan took two to four times as long as a serial one: its workers start for
#: a query that stops after 201 rows, and under concurrent requests they only compete
#: for the same cores. The tiers' indexes (registry 0007) serve the statement only if
#: the table is not read instead. The prepared statement keeps one plan for every
#: fragment (the tiered plan suits each), so it is not planned anew each time: 0.2 ms of
#: PostgreSQL's time a query, a fifth of the whole.
_NAME_SETTINGS = (
    "SET LOCAL max_parallel_workers_per_gather = 0",
    "SET LOCAL enable_seqscan = off",
    "SET LOCAL plan_cache_mode = force_generic_plan",
)

_Statement = tuple[str, Sequence[Any]]


def _fetch_all(
    cursor: Any, statements: list[_Statement], *, settings: Sequence[str] = ()
) -> list[list[tuple[Any, ...]]]:
    """Each statement's rows. On PostgreSQL the statements go in one message, one round
    trip: psycopg's client-side binding (Django's default for psycopg 3) puts the
    parameters in, and the server runs them as one transaction; ``settings`` (``SET
    LOCAL`` statements) go first and end with it (or, inside a transaction of the
    caller's, with that: requests have none, ``ATOMIC_REQUESTS`` being off)."""
    if connection.vendor != "postgresql":
        out = []
        for sql, params in statements:
            cursor.execute(sql, params)
            out.append(cursor.fetchall())
        return out
    sql = "; ".join([*settings, *(sql for sql, _ in statements)])
    cursor.execute(sql, [p for _, params in statements for p in params])
    for _ in settings:
        cursor.nextset()
    out = [cursor.fetchall()]
    while cursor.nextset():
        out.append(cursor.fetchall())
    return out


#: PostgreSQL's SQLSTATE for "prepared statement does not exist" (invalid_sql_statement_name).
_NO_SUCH_STATEMENT = "26000"
#: The name statements prepared in each PostgreSQL session: by connection, their names.
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _name_statement(cursor: Any, query: str) -> _Statement:
    """The statement finding the first :data:`PUBLIC_RESULTS` by name of at most
    :data:`NAME_CANDIDATES` + 1 enterprises named like ``query``, with how many
    candidates there were. On PostgreSQL with persistent connections an ``EXECUTE`` of a
    statement prepared once a session (its name is its text's digest, so a changed text
    is a new statement); without them (``CONN_MAX_AGE`` 0, a session a request) a
    statement would be prepared for one use, so the SQL is sent as it is."""
    limit = NAME_CANDIDATES + 1
    if connection.vendor != "postgresql" or not connection.settings_dict.get("CONN_MAX_AGE"):
        candidates, params = enterprises_named_sql(query, limit)
        return _BY_NAME_SQL.format(candidates=candidates, results=PUBLIC_RESULTS), params
    text = _BY_NAME_SQL.format(
        candidates=enterprises_named_tiered_sql(name_match(query), limit, "$1"),
        results=PUBLIC_RESULTS,
    )
    name = "zhiliang_public_names_" + hashlib.sha256(text.encode()).hexdigest()[:16]
    session = _prepared.setdefault(connection.connection, set())
    if name not in session:
        # on its own, so that it is known to be there once this returns (a PREPARE is
        # not undone by a rollback; an EXECUTE failing in the same message would leave
        # it there unrecorded); empty parameters turn the text's %% into %
        cursor.execute(f"PREPARE {name} (text) AS {text}", ())
        session.add(name)
    return f"EXECUTE {name} (%s)", (query,)


def _names_found(cursor: Any, query: str) -> list[tuple[Any, ...]]:
    """The rows of :func:`_name_statement`. Should the session have lost a prepared
    statement this process recorded (``DEALLOCATE ALL`` or ``DISCARD ALL`` on the
    connection; psycopg sends the first on a rollback when its own prepared statements
    are in use), it is prepared again and the query asked once more, unless a
    transaction of the caller's is open (the failed statement has aborted it)."""
    try:
        (rows,) = _fetch_all(cursor, [_name_statement(cursor, query)], settings=_NAME_SETTINGS)
    except ProgrammingError as error:
        lost = getattr(error.__cause__, "sqlstate", None) == _NO_SUCH_STATEMENT
        if not lost or connection.in_atomic_block:
            raise
        _prepared.pop(connection.connection, None)
        (rows,) = _fetch_all(cursor, [_name_statement(cursor, query)], settings=_NAME_SETTINGS)
    return rows


def _records_statement(ids: str, ids_params: Sequence[Any], day: dt.date) -> _Statement:
    return _PUBLIC_RECORDS_SQL.format(ids=ids), [*ids_params, Kind.PENALTY.value, day, day, day]


def _listings_statement(ids: str, ids_params: Sequence[Any], day: dt.date) -> _Statement:
    statuses = [Listing.Status.LISTED.value, Listing.Status.REMOVED.value]
    return _LISTINGS_IN_FORCE_SQL.format(ids=ids), [*ids_params, *statuses, day, day, day]


def _placeholders(ids: list[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def _by_enterprise(rows: list[tuple[Any, ...]], make: Any) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for enterprise_id, *fields in rows:
        found.setdefault(enterprise_id, []).append(make(*fields))
    return found


def public_credit(query: str, *, today: dt.date) -> PublicAnswer:
    """A public query by credit code (exact) or name (part of it, at least two
    characters): each enterprise found with its public records and listings in force.

    A name query lists the first :data:`PUBLIC_RESULTS` by name of the enterprises whose
    name contains it. When more than :data:`NAME_CANDIDATES` do, the first by name of
    :data:`NAME_CANDIDATES` of them are listed instead and ``too_many`` is set: finding
    the first 20 by name of, say, every name containing 重庆 (most of a million) means
    reading them all, or walking the names in order until 20 are found, which for a
    fragment whose names sort late (庆隆: the 重庆隆… names) passes most of the table;
    either takes seconds. Only the fragment's index is used here, and stops early.

    On PostgreSQL a query by code is one round trip to the database, by name two (the
    names, then their records and listings); on SQLite three statements either way."""
    query = query.strip()
    if len(query) < 2:
        return PublicAnswer([])
    checked = validate_uscc(query)
    too_many = False
    with connection.cursor() as cursor:
        if checked.valid:
            code = [checked.code]
            found_rows, record_rows, listing_rows = _fetch_all(
                cursor,
                [
                    (_BY_USCC_SQL, code),
                    _records_statement(_ID_BY_USCC_SQL, code, today),
                    _listings_statement(_ID_BY_USCC_SQL, code, today),
                ],
            )
            found = [PublicEnterprise(*row) for row in found_rows]
        else:
            # At most NAME_CANDIDATES + 1 matches, unordered (the index's or the table's
            # order, so a scan stops as soon as it has them), then ordered by name, with
            # how many there were. The fragment's condition is the registry's.
            rows = _names_found(cursor, query)
            found = [PublicEnterprise(*row[:3]) for row in rows]
            too_many = bool(rows) and rows[0][3] > NAME_CANDIDATES
            ids = [enterprise.id for enterprise in found]
            record_rows, listing_rows = (
                _fetch_all(
                    cursor,
                    [
                        _records_statement(_placeholders(ids), ids, today),
                        _listings_statement(_placeholders(ids), ids, today),
                    ],
                )
                if ids
                else ([], [])
            )
    records = _by_enterprise(record_rows, PublicRecord)
    listings = _by_enterprise(listing_rows, PublicListing)
    results = [
        PublicCredit(enterprise, records.get(enterprise.id, []), listings.get(enterprise.id, []))
        for enterprise in found
    ]
    return PublicAnswer(results, too_many)


@dataclass(frozen=True)
class Explained:
    """How an enterprise's stored class came about: its records' points on the day it
    was assessed (recomputed from the records, the same numbers as the nightly run) and
    any listing that made it D. ``current`` is false when the records or the model have
    changed since, so that the page says the figures are not the stored ones."""

    assessment: RiskAssessment
    #: each counted record's contribution with its kind's name in the user's language
    rows: list[tuple[Contribution, str]]
    listings: list[Any]
    score: float
    risk_class: str
    current: bool


def risk_explained(assessment: RiskAssessment) -> Explained:
    """The explanation of a stored risk class (internal: callers check ``may_see_risk``)."""
    model = risk_model()
    day = assessment.assessed_on
    facts = [
        CreditFact(id=pk, kind=Kind(kind), decided_on=decided_on, heavier=heavier)
        for pk, kind, decided_on, heavier in CreditRecord.objects.filter(
            enterprise_id=assessment.enterprise_id
        ).values_list("pk", "kind", "decided_on", "heavier")
    ]
    result = classify(facts, today=day, model=model)
    listings = listings_in_force(assessment.enterprise, day)
    risk_class = RiskClass.D.value if listings else result.risk_class.value
    return Explained(
        assessment=assessment,
        rows=[(c, CreditRecord.RecordKind(c.kind.value).label) for c in result.contributions],
        listings=listings,
        score=result.score,
        risk_class=risk_class,
        current=(
            assessment.model == model_digest(model)
            and assessment.score == result.score
            and assessment.risk_class == risk_class
        ),
    )


# --- enterprises by risk class (internal, 国市监信发〔2022〕6号: 不公开) -------------------

#: The district filter's value for enterprises registered outside the city (producers
#: of failed samples): citywide readers only.
OUTSIDE_CITY = "outside"


def risk_visible_q(user: Any) -> Q:
    """The stored risk classes ``user`` may see, as :func:`zhiliang.credit.access.may_see_risk`
    decides for one enterprise: citywide readers all, a district officer those of their
    district's enterprises, anyone else none."""
    if has_role(user, CITYWIDE_READERS):
        return Q()
    if has_role(user, {Role.DISTRICT_OFFICER}):
        return Q(enterprise__district_id__in=district_codes_of(user))
    return Q(pk__in=[])


def risk_districts(user: Any) -> list[tuple[str, str]]:
    """The districts (code, name) ``user`` may filter the risk classes by, in code order;
    for citywide readers also :data:`OUTSIDE_CITY` (its label is the caller's)."""
    divisions = Division.objects.filter(level=Division.Level.COUNTY)
    citywide = has_role(user, CITYWIDE_READERS)
    if not citywide:
        divisions = divisions.filter(code__in=district_codes_of(user))
    choices = list(divisions.order_by("code").values_list("code", "name"))
    return [*choices, (OUTSIDE_CITY, "")] if citywide else choices


def _risk_q(user: Any, district: str) -> Q:
    q = risk_visible_q(user)
    if district == OUTSIDE_CITY:
        q &= Q(enterprise__district__isnull=True)
    elif district:
        q &= Q(enterprise__district_id=district)
    return q


#: Highest risk first: class D to A, then score; the enterprise breaks ties.
RISK_ORDER = ("-risk_class", "-score", "enterprise_id")


def risk_assessments(
    user: Any, *, risk_class: str = "", district: str = ""
) -> QuerySet[RiskAssessment]:
    """The stored classes ``user`` may see, of one class and one district (code or
    :data:`OUTSIDE_CITY`) or all, in :data:`RISK_ORDER`, each with its enterprise and
    district in the same query."""
    rows = RiskAssessment.objects.filter(_risk_q(user, district))
    if risk_class:
        rows = rows.filter(risk_class=risk_class)
    return rows.select_related("enterprise__district").order_by(*RISK_ORDER)


@dataclass(frozen=True)
class RiskPages:
    """:func:`risk_assessments` as :class:`django.core.paginator.Paginator` reads it.

    ``total`` is known beforehand (the class counts give it: no COUNT query), and a page
    is one query that orders the assessments' own columns and joins the enterprises of
    that page only: ordering 300,000 joined rows to keep 50 took five times as long."""

    rows: QuerySet[RiskAssessment]
    total: int

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list[RiskAssessment]:
        page = self.rows.values("pk")[index]
        return list(
            RiskAssessment.objects.filter(pk__in=Subquery(page))
            .select_related("enterprise__district")
            .order_by(*RISK_ORDER)
        )


def risk_class_counts(user: Any, *, district: str = "") -> dict[str, int]:
    """The number of enterprises per class (A–D, each present) that ``user`` may see,
    in one district or all: one GROUP BY query."""
    counts = dict.fromkeys(RiskAssessment.Class.values, 0)
    rows = (
        RiskAssessment.objects.filter(_risk_q(user, district))
        .order_by()
        .values_list("risk_class")
        .annotate(n=Count("pk"))
    )
    for risk_class, n in rows:
        counts[risk_class] = n
    return counts
