"""The public credit query finds an enterprise by any part of its name (two characters or
more, anywhere, any case) or by its exact credit code, on SQLite and on PostgreSQL, where
the search goes through the trigram and bigram indexes of registry 0004."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from zhiliang.credit import selectors
from zhiliang.credit.services import record_create
from zhiliang.inspections.tests import factories as f
from zhiliang.registry.models import Enterprise
from zhiliang.registry.selectors import NAME_TIERS, enterprises_named_sql

URL = "/public/credit/"
NOT_FOUND = "没有找到相符的企业。"


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


def _firms(*names: str) -> list[Enterprise]:
    return [f.enterprise(name=name) for name in names]


def _found(query: str) -> list[str]:
    answer = selectors.public_credit(query, today=timezone.localdate())
    return [r.enterprise.name for r in answer.results]


def test_two_characters_find_the_pair_anywhere_in_the_name(registry):
    _firms("宏达电器有限公司", "重庆宏达五金厂", "重庆市兴旺宏达", "重庆宏发电器有限公司")
    assert _found("宏达") == ["宏达电器有限公司", "重庆宏达五金厂", "重庆市兴旺宏达"]
    assert _found("达宏") == []
    assert _found("重庆") == ["重庆宏发电器有限公司", "重庆宏达五金厂", "重庆市兴旺宏达"]


def test_a_longer_part_must_be_there_as_written_not_only_its_pairs(registry):
    # 宏达 and 达电 are both in the second name, 宏达电 is not.
    _firms("重庆宏达电器有限公司", "重庆宏达五金达电商行")
    assert _found("宏达电") == ["重庆宏达电器有限公司"]
    assert _found("宏达电器有限公司") == ["重庆宏达电器有限公司"]
    assert _found("五金达电商行") == ["重庆宏达五金达电商行"]


# On PostgreSQL with persistent connections (as served) the name statement is prepared
# once a session; without them it is sent as it is: both ways here.
@pytest.mark.parametrize("conn_max_age", [0, 60])
def test_case_and_wildcards_are_text(registry, monkeypatch, conn_max_age):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", conn_max_age)
    _firms("重庆ABC科技有限公司", "重庆A_C商行", "重庆A%C商行", "重庆A\\C商行", "重庆A..C商行")
    assert _found("ab") == ["重庆ABC科技有限公司"]
    assert _found("bC科技") == ["重庆ABC科技有限公司"]
    assert _found("a_") == ["重庆A_C商行"]
    assert _found("A_C") == ["重庆A_C商行"]
    assert _found("A%") == ["重庆A%C商行"]
    assert _found("A%C商") == ["重庆A%C商行"]
    assert _found("A\\C") == ["重庆A\\C商行"]
    assert _found("..") == ["重庆A..C商行"]
    assert _found("a..") == ["重庆A..C商行"]  # no trigram in it: asked by its pairs
    assert _found("...") == []


def test_a_credit_code_finds_exactly_its_enterprise(registry):
    firm, other = _firms("重庆宏达电器有限公司", "重庆宏达五金厂")
    assert _found(firm.uscc) == ["重庆宏达电器有限公司"]
    assert _found(firm.uscc.lower()) == ["重庆宏达电器有限公司"]
    assert _found(other.uscc[:-1]) == []  # a part of a code is a name search, and no name has it


def test_no_match_says_so(users, client):
    _firms("重庆宏达电器有限公司")
    for query in ("狗牛", "有限公司重庆", "宏达电器厂"):
        page = client.get(URL, {"q": query}).content.decode()
        assert NOT_FOUND in page, query


def test_a_name_search_shows_only_public_penalties(users, client):
    firm = f.enterprise(name="重庆渝信电器有限公司")
    today = timezone.localdate()
    common = {
        "kind": "penalty",
        "decided_on": today - dt.timedelta(days=30),
        "source_name": "重庆市市场监督管理局",
    }
    record_create(
        actor=users["office"],
        enterprise=firm,
        document_no="渝市监罚〔2026〕1号",
        summary="摘要公示中",
        published_on=today - dt.timedelta(days=20),
        **common,
    )
    record_create(
        actor=users["office"],
        enterprise=firm,
        document_no="渝市监罚〔2026〕2号",
        summary="摘要未公示",
        published_on=None,
        **common,
    )
    record_create(
        actor=users["office"],
        enterprise=firm,
        document_no="渝市监罚〔2025〕3号",
        summary="摘要已过期",
        light=True,
        decided_on=today - dt.timedelta(days=200),
        published_on=today - dt.timedelta(days=190),
        source_name="重庆市市场监督管理局",
        kind="penalty",
    )
    for query in ("渝信", "渝信电器有限"):
        page = client.get(URL, {"q": query}).content.decode()
        assert "摘要公示中" in page
        assert "摘要未公示" not in page and "摘要已过期" not in page


def test_up_to_the_candidates_the_first_by_name_beyond_them_a_notice(users, client, monkeypatch):
    names = [f"重庆宏达{i}号五金厂" for i in (5, 3, 9, 1, 7)]
    _firms(*names)
    monkeypatch.setattr(selectors, "PUBLIC_RESULTS", 2)
    monkeypatch.setattr(selectors, "NAME_CANDIDATES", 5)
    answer = selectors.public_credit("宏达", today=timezone.localdate())
    assert [r.enterprise.name for r in answer.results] == ["重庆宏达1号五金厂", "重庆宏达3号五金厂"]
    assert not answer.too_many
    monkeypatch.setattr(selectors, "NAME_CANDIDATES", 4)
    answer = selectors.public_credit("宏达", today=timezone.localdate())
    assert len(answer.results) == 2 and answer.too_many
    assert all("宏达" in r.enterprise.name for r in answer.results)
    monkeypatch.setattr("zhiliang.portal.views.NAME_CANDIDATES", 4)
    page = client.get(URL, {"q": "宏达"}).content.decode()
    assert "名称含有“宏达”的企业超过 4 家，以下只列出其中 2 家。" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
@pytest.mark.parametrize(
    ("query", "index"),
    [("宏达", "registry_enterprise_name_bigrams"), ("宏达电", "registry_enterprise_name_trgm")],
)
def test_postgresql_answers_from_the_name_indexes_tier_by_tier(registry, query, index):
    _firms("重庆宏达电器有限公司")
    sql, params = enterprises_named_sql(query, 201)
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    # one index a tier, asked in the tiers' order under the one LIMIT
    used = [f"{index}_{n}" for n in range(len(NAME_TIERS))]
    assert all(name in plan for name in used), plan
    assert [plan.index(name) for name in used] == sorted(plan.index(name) for name in used)
    assert "Seq Scan" not in plan and plan.lstrip().startswith("Limit"), plan
