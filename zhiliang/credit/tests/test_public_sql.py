"""The public query reads in plain SQL (for speed, issue 5); these tests hold that SQL to
the ORM's definitions of what is public: ``public_records_q`` for penalties and
``Listing.objects.in_force`` for listings, on every combination of dates at the edges,
on SQLite and on PostgreSQL. And the name search's statement, built once with a stand-in
for the fragment, is the one the ORM builds for the fragment itself."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection

from zhiliang.credit.models import CreditRecord, Listing
from zhiliang.credit.selectors import (
    public_credit,
    public_records_q,
)
from zhiliang.credit.services import record_create
from zhiliang.inspections.tests import factories as f
from zhiliang.registry.models import Organisation
from zhiliang.registry.selectors import enterprises_named, enterprises_named_sql

DAY = dt.date(2026, 3, 16)
EDGES = [None, DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)]


def test_the_sql_shows_exactly_the_penalties_public_records_q_shows(users):
    firms = [f.enterprise(number=n) for n in (1, 2)]
    seed = record_create(
        actor=users["office"],
        enterprise=firms[0],
        kind="penalty",
        document_no="种子",
        decided_on=DAY - dt.timedelta(days=60),
        published_on=DAY - dt.timedelta(days=50),
        source_name="重庆市市场监督管理局",
        summary="摘要",
    )
    rows = []
    for n, (kind, published, until, repaired) in enumerate(
        itertools.product(["penalty", "bad_loan"], EDGES, EDGES[1:], EDGES)
    ):
        rows.append(
            CreditRecord(
                enterprise=firms[n % 2],
                kind=kind,
                heavier=False,
                document_no=f"第{n}号",
                decided_on=DAY - dt.timedelta(days=n),
                published_on=published,
                public_until=until,
                repaired_on=repaired,
                source_name=seed.source_name,
                summary=f"摘要{n}",
                sector=seed.sector,
                light=False,
            )
        )
    CreditRecord.objects.bulk_create(rows)
    ids = [firm.pk for firm in firms]
    for day in EDGES[1:]:
        orm = CreditRecord.objects.filter(public_records_q(day), enterprise_id__in=ids)
        expected = {firm: [] for firm in ids}
        for r in orm.order_by("-decided_on", "-id"):
            expected[r.enterprise_id].append(r.document_no)
        # by name (the enterprises' ids in the statement) and by code (a subquery)
        got = {r.enterprise.id: r.records for r in public_credit("测试企业", today=day).results}
        assert {firm: [r.document_no for r in got.get(firm, [])] for firm in ids} == expected
        for firm in firms:
            (answer,) = public_credit(firm.uscc, today=day).results
            assert answer.records == got.get(firm.pk, [])
        # some shown, some not: the comparison is not empty on either side
        assert 0 < sum(map(len, expected.values())) < len(rows)
    shown = public_credit(firms[0].uscc, today=DAY).results[0].records[0]
    record = CreditRecord.objects.get(document_no=shown.document_no)
    assert (shown.decided_on, shown.public_until, shown.source_name, shown.summary) == (
        record.decided_on,
        record.public_until,
        record.source_name,
        record.summary,
    )
    assert isinstance(shown.decided_on, dt.date)


def test_the_sql_shows_exactly_the_listings_in_force(users):
    firm = f.enterprise()
    record = record_create(
        actor=users["office"],
        enterprise=firm,
        kind="penalty",
        heavier=True,
        document_no="较重",
        decided_on=DAY - dt.timedelta(days=400),
        published_on=DAY - dt.timedelta(days=390),
        source_name="重庆市市场监督管理局",
        summary="摘要",
    )
    office = Organisation.objects.get(key="cq-joint-office")
    combinations = list(itertools.product(Listing.Status.values, EDGES, EDGES, EDGES))
    # a listing rests on a record of its own
    records = CreditRecord.objects.bulk_create(
        [
            CreditRecord(
                enterprise=firm,
                kind=record.kind,
                heavier=True,
                document_no=f"较重{n}",
                decided_on=record.decided_on,
                source_name=record.source_name,
                sector=record.sector,
                light=False,
            )
            for n in range(len(combinations))
        ]
    )
    listings = [
        Listing(
            enterprise=firm,
            record=records[n],
            status=status,
            reasons=f"事由{n}",
            basis="依据",
            proposed_on=DAY - dt.timedelta(days=100),
            proposed_by=office,
            listed_on=listed,
            last_day=last,
            removed_on=removed,
        )
        for n, (status, listed, last, removed) in enumerate(combinations)
    ]
    Listing.objects.bulk_create(listings)
    for day in EDGES[1:]:
        expected = [
            x.reasons
            for x in Listing.objects.in_force(day)
            .filter(enterprise=firm)
            .order_by("listed_on", "id")
        ]
        (by_name,) = public_credit("测试企业", today=day).results
        got = [x.reasons for x in by_name.listings]
        assert got == expected
        (answer,) = public_credit(firm.uscc, today=day).results
        assert [x.reasons for x in answer.listings] == expected
        assert 0 < len(expected) < len(listings)


@pytest.mark.parametrize(
    "fragment", ["电器", "瑞坤南电子", "ab", "重庆宏达电器有限公司", "a_", "50%", "a\\b", "宏"]
)
def test_the_name_search_statement_is_the_orms(registry, fragment):
    for limit in (201, 5):
        sql, params = (
            enterprises_named(fragment)
            .order_by()
            .values("pk", "uscc", "name")[:limit]
            .query.sql_with_params()
        )
        assert enterprises_named_sql(fragment, limit) == (sql, tuple(params))


def test_the_name_search_statement_finds_what_the_orm_finds(registry):
    """On PostgreSQL the search compares the stored upper-cased name (registry 0006): it
    finds exactly what ``name__icontains`` finds, also inside a subquery of another
    query (where Django gives the enterprise table another alias)."""
    from zhiliang.registry.models import Enterprise

    names = [
        "重庆宏达电器有限公司",
        "宏达五金厂",
        "重庆A_C商行",
        "重庆A%C商行",
        "重庆abc商行",
        "ＡＢＣ",
    ]
    for n, name in enumerate(names):
        f.enterprise(name=name, number=n + 1)
    for fragment in ("宏达", "达电器", "a_", "A%C", "重庆", "ABC", "bC", "ａｂ", "没有"):
        expected = sorted(
            Enterprise.objects.filter(name__icontains=fragment).values_list("pk", flat=True)
        )
        sql, params = enterprises_named_sql(fragment, 201)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            got = sorted(row[0] for row in cursor.fetchall())
        assert got == expected, fragment
        inner = Enterprise.objects.filter(pk__in=enterprises_named(fragment).values("pk"))
        assert sorted(inner.values_list("pk", flat=True)) == expected, fragment
    assert sorted(
        Enterprise.objects.filter(pk__in=enterprises_named("重庆").values("pk")).values_list(
            "name", flat=True
        )
    ) == sorted(n for n in names if "重庆" in n)
