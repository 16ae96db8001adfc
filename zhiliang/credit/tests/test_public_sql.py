"""The public query reads in plain SQL (for speed, issue 5); these tests hold that SQL to
the ORM's definitions of what is public: ``public_records_q`` for penalties and
``Listing.objects.in_force`` for listings, on every combination of dates at the edges,
on SQLite and on PostgreSQL. And the name search's statement (on PostgreSQL through the
tiers of registry 0007) finds what ``name__icontains`` finds."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext

from zhiliang.credit import selectors
from zhiliang.credit.models import CreditRecord, Listing
from zhiliang.credit.selectors import (
    public_credit,
    public_records_q,
)
from zhiliang.credit.services import record_create
from zhiliang.inspections.tests import factories as f
from zhiliang.registry.models import Enterprise, Organisation
from zhiliang.registry.selectors import (
    NAME_TIERS,
    _gives_trigrams,
    enterprises_named_sql,
)

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


def test_the_name_search_statement_finds_what_the_orm_finds(registry):
    """On PostgreSQL the statement asks the tiers' indexes with the stored upper-cased
    name (registry 0006, 0007), by trigrams or by character pairs: it finds exactly what
    ``name__icontains`` finds, LIKE's own characters included."""
    from zhiliang.registry.models import Enterprise

    names = [
        "重庆宏达电器有限公司",
        "宏达五金厂",
        "重庆A_C商行",
        "重庆A%C商行",
        "重庆abc商行",
        "ＡＢＣ",
        "重庆A\\C商行",
        "重庆A..C商行",
    ]
    for n, name in enumerate(names):
        f.enterprise(name=name, number=n + 1)
    for fragment in (
        *("宏达", "达电器", "a_", "A%C", "重庆", "ABC", "bC", "ａｂ", "没有"),
        *("A_C", "A\\C", "a..", "...", "..C商", "A.", "%"),
    ):
        expected = sorted(
            Enterprise.objects.filter(name__icontains=fragment).values_list("pk", flat=True)
        )
        sql, params = enterprises_named_sql(fragment, 201)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            got = sorted(row[0] for row in cursor.fetchall())
        assert got == expected, fragment


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's tiered name indexes (registry 0007)"
)


@postgresql_only
def test_the_tiers_hold_every_enterprise_once_and_are_the_indexes_conditions(registry):
    with connection.cursor() as cur:
        tiers = [tier.replace("%", "%%") for tier in NAME_TIERS]  # the parameters' %
        checks = " + ".join(f"({tier})::int" for tier in tiers)
        cur.execute(
            f"SELECT count(*) FROM generate_series(1::bigint, 70000) AS id WHERE {checks} <> 1",
            (),
        )
        assert cur.fetchone()[0] == 0
        for kind in ("trgm", "bigrams"):
            for n, tier in enumerate(tiers):
                cur.execute(
                    "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i"
                    " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                    [f"registry_enterprise_name_{kind}_{n}"],
                )
                predicate = cur.fetchone()[0].replace("%", "%%")
                cur.execute(
                    "SELECT count(*) FROM generate_series(1::bigint, 70000) AS id"
                    f" WHERE ({predicate}) IS DISTINCT FROM ({tier})",
                    (),
                )
                assert cur.fetchone()[0] == 0, (kind, n, predicate)


@pytest.fixture
def prepared(monkeypatch):
    """Persistent connections, as served: the name statement is prepared."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)


@postgresql_only
def test_a_name_query_reads_the_tiers_in_order_and_stops_when_it_has_enough(
    registry, monkeypatch, prepared
):
    """Tier 0 (ids 256·k), tier 1 (16·k), tier 2 (the rest): with room for five
    candidates the first two tiers fill it and the third is not read; with room for all,
    the first by name of all of them (the names of the third tier sort first)."""
    base = (Enterprise.objects.aggregate(top=Max("id"))["top"] or 0) // 256 * 256 + 2560
    ids = {"甲": 512, "乙": 256, "丙": 48, "丁": 32, "戊": 16, "一": 1, "七": 2}
    for n, (mark, offset) in enumerate(ids.items()):
        firm = f.enterprise(name=f"重庆宏达{mark}五金厂", number=900 + n)
        Enterprise.objects.filter(pk=firm.pk).update(id=base + offset)
    monkeypatch.setattr(selectors, "PUBLIC_RESULTS", 3)
    for query in ("宏达", "五金厂"):  # the pairs' indexes, the trigrams'
        monkeypatch.setattr(selectors, "NAME_CANDIDATES", 4)
        answer = public_credit(query, today=DAY)
        assert answer.too_many
        assert [r.enterprise.id - base for r in answer.results] == [32, 48, 256]  # 丁 丙 乙
        with connection.cursor() as cur:
            statement, params = selectors._name_statement(cur, query)
            cur.execute(
                "; ".join([*selectors._NAME_SETTINGS, "EXPLAIN (ANALYZE) " + statement]), params
            )
            for _ in selectors._NAME_SETTINGS:
                cur.nextset()
            plan = [row[0] for row in cur.fetchall()]
        tier2 = next(line for line in plan if "_2 " in line and "Index Scan" in line)
        assert "never executed" in tier2, "\n".join(plan)
        monkeypatch.setattr(selectors, "NAME_CANDIDATES", 7)
        answer = public_credit(query, today=DAY)
        assert not answer.too_many
        assert [r.enterprise.id - base for r in answer.results] == [1, 32, 2]  # 一 丁 七


def _prepares(query: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert [r.enterprise.name for r in public_credit(query, today=DAY).results] == [
            "重庆宏达电器有限公司"
        ]
    return sum(q["sql"].startswith("PREPARE") for q in queries.captured_queries)


@postgresql_only
def test_the_prepared_name_statement_plans_the_tiers_and_is_prepared_once_a_session(
    registry, prepared
):
    f.enterprise(name="重庆宏达电器有限公司", number=901)
    assert [_prepares("达电器"), _prepares("达电器"), _prepares("宏达"), _prepares("宏达")] == [
        1,
        0,
        1,
        0,
    ]
    with connection.cursor() as cur:
        statement, params = selectors._name_statement(cur, "达电器")
        cur.execute("; ".join([*selectors._NAME_SETTINGS, "EXPLAIN " + statement]), params)
        for _ in selectors._NAME_SETTINGS:
            cur.nextset()
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "Seq Scan" not in plan and "registry_enterprise_name_trgm_2" in plan, plan
    # a new session (here: the same one with its statements and their record gone)
    # prepares the statement again before it executes it
    assert selectors._prepared.pop(connection.connection)
    with connection.cursor() as cur:
        cur.execute("DEALLOCATE ALL")
    assert _prepares("达电器") == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_statement_the_session_lost_is_prepared_again(registry, prepared):
    """DEALLOCATE ALL on the connection while this process still records the statement:
    the query fails once inside, prepares it again and answers (requests run without a
    transaction of their own, as here)."""
    f.enterprise(name="重庆宏达电器有限公司", number=901)
    _prepares("达电器")  # prepared now, or by an earlier test on this connection
    with connection.cursor() as cur:
        cur.execute("DEALLOCATE ALL")
    assert selectors._prepared[connection.connection]
    assert _prepares("达电器") == 1
    assert _prepares("达电器") == 0


@pytest.mark.parametrize(
    ("fragment", "trigrams"),
    [
        # as PostgreSQL's pg_trgm took them from LIKE '%…%' (measured: a fragment with
        # none made the index return every name it held)
        *[("...", False), ("a..", False), ("重..", False), ("ab.", True), ("a.b", True)],
        *[(".a.", True), ("..a", True), ("abc", True), (".重.", True), ("重庆.", True)],
    ],
)
def test_a_fragment_without_trigrams_is_asked_by_its_pairs(fragment, trigrams):
    assert _gives_trigrams(fragment, str.isalnum) is trigrams
    # where the database's LC_CTYPE does not count Chinese as letters, none does
    ascii_only = lambda c: c.isascii() and c.isalnum()  # noqa: E731
    assert _gives_trigrams(fragment, ascii_only) is (trigrams and fragment.isascii())
