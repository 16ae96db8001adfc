"""Enterprises by risk class (internal): the list with its counts per class, filtered by
class and district, paged in SQL with a fixed number of queries, exported to XLSX, and
scoped as ``may_see_risk``: citywide readers all, a district officer their district,
everyone else refused."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhiliang.credit import views
from zhiliang.credit.access import may_see_risk
from zhiliang.credit.models import RiskAssessment
from zhiliang.inspections.tests import factories as f
from zhiliang.registry.models import Enterprise

URL = "/credit/risk/"
DAY = dt.date(2026, 11, 1)
CITYWIDE = ["admin", "office", "department", "inspector"]
REFUSED = ["hospital", "enterprise_user", "outsider"]


def _assess(enterprise: Enterprise, risk_class: str, score: float) -> RiskAssessment:
    return RiskAssessment.objects.create(
        enterprise=enterprise, risk_class=risk_class, score=score, assessed_on=DAY, model="test"
    )


@pytest.fixture
def classes(users):
    """Two of 渝中区 (the ``district`` persona's), two of 万州区, one registered outside
    the city, and one enterprise never assessed."""
    made = {
        "yz_d": _assess(f.enterprise(f.YUZHONG, name="渝中丁公司"), "D", 55.0),
        "yz_a": _assess(f.enterprise(f.YUZHONG, name="渝中甲公司"), "A", 2.5),
        "wz_c": _assess(f.enterprise(f.WANZHOU, name="万州丙公司"), "C", 30.0),
        "wz_d": _assess(f.enterprise(f.WANZHOU, name="万州丁公司"), "D", 80.0),
    }
    outside = Enterprise.objects.create(
        uscc=f.uscc(f.CHENGDU_WUHOU), name="成都乙公司", region=f.CHENGDU_WUHOU
    )
    made["out_b"] = _assess(outside, "B", 12.0)
    f.enterprise(f.YUZHONG, name="渝中未评定公司")
    return made


def _names(response) -> list[str]:
    return [r.enterprise.name for r in response.context["page"]]


def _counts(response) -> dict[str, int]:
    return {value: n for value, _label, n, _q in response.context["classes"]}


@pytest.mark.parametrize("persona", CITYWIDE)
def test_citywide_readers_see_every_class_highest_risk_first(client_as, classes, persona):
    response = client_as(persona).get(URL)
    assert response.status_code == 200
    assert _names(response) == [
        "万州丁公司",
        "渝中丁公司",
        "万州丙公司",
        "成都乙公司",
        "渝中甲公司",
    ]
    assert _counts(response) == {"A": 1, "B": 1, "C": 1, "D": 2}
    page = response.content.decode()
    assert "内部资料" in page  # never published: the page says so
    assert f'href="/credit/enterprises/{classes["wz_d"].enterprise.uscc}/"' in page


def test_filters_by_class_and_district_and_counts_per_class_within_the_district(client_as, classes):
    client = client_as("office")
    assert _names(client.get(URL, {"class": "D"})) == ["万州丁公司", "渝中丁公司"]
    in_yuzhong = client.get(URL, {"district": f.YUZHONG})
    assert _names(in_yuzhong) == ["渝中丁公司", "渝中甲公司"]
    assert _counts(in_yuzhong) == {"A": 1, "B": 0, "C": 0, "D": 1}
    assert _names(client.get(URL, {"class": "A", "district": f.YUZHONG})) == ["渝中甲公司"]
    assert _names(client.get(URL, {"district": "outside"})) == ["成都乙公司"]
    assert _names(client.get(URL, {"class": "X"})) == _names(client.get(URL))  # no such class


def test_a_district_officer_sees_only_their_district_and_is_refused_another(client_as, classes):
    client = client_as("district")
    response = client.get(URL)
    assert _names(response) == ["渝中丁公司", "渝中甲公司"]
    assert _counts(response) == {"A": 1, "B": 0, "C": 0, "D": 1}
    assert [code for code, _name in response.context["districts"]] == [f.YUZHONG]
    assert "万州" not in response.content.decode()
    for district in (f.WANZHOU, "outside", "999999"):
        assert client.get(URL, {"district": district}).status_code == 403
        assert client.get(URL, {"district": district, "format": "xlsx"}).status_code == 403
    other = client_as("other_district").get(URL)
    assert _names(other) == ["万州丁公司", "万州丙公司"]


@pytest.mark.parametrize("persona", [*CITYWIDE, "district", "other_district"])
def test_the_list_shows_exactly_the_classes_may_see_risk_allows(client_as, users, classes, persona):
    shown = {r.enterprise.uscc for r in client_as(persona).get(URL).context["page"]}
    allowed = {
        a.enterprise.uscc
        for a in RiskAssessment.objects.select_related("enterprise")
        if may_see_risk(users[persona], a.enterprise)
    }
    assert shown == allowed and shown


@pytest.mark.parametrize("persona", REFUSED)
def test_other_roles_are_refused_the_list_and_its_export(client_as, classes, persona):
    client = client_as(persona)
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "xlsx"}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client_as, classes):
    for query in ("", "?format=xlsx"):
        response = client_as(None).get(URL + query)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_pages_keep_the_filters_and_read_only_their_rows(client_as, users, monkeypatch):
    monkeypatch.setattr(views, "RISK_PAGE_SIZE", 10)
    for i in range(25):
        _assess(f.enterprise(f.YUZHONG, name=f"渝中企业{i:02d}"), "B", float(i))
    _assess(f.enterprise(f.WANZHOU), "B", 99.0)
    client = client_as("office")
    first = client.get(URL, {"class": "B", "district": f.YUZHONG})
    assert _names(first) == [f"渝中企业{i:02d}" for i in range(24, 14, -1)]
    assert first.context["page"].paginator.num_pages == 3
    assert f'href="?class=B&amp;district={f.YUZHONG}&amp;page=2"' in first.content.decode()
    last = client.get(URL, {"class": "B", "district": f.YUZHONG, "page": "3"})
    assert _names(last) == [f"渝中企业{i:02d}" for i in range(4, -1, -1)]
    beyond = client.get(URL, {"class": "B", "district": f.YUZHONG, "page": "99"})
    assert _names(beyond) == _names(last)


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(ctx)


#: Queries of one page, whatever its rows: session, user, memberships, the banner's demo
#: check, the districts for the filter, the counts per class (which give the total, so
#: no COUNT), and the page's rows with their enterprises and districts.
PAGE_QUERIES = 7


@pytest.mark.parametrize("persona", ["office", "district"])
def test_a_page_takes_the_same_few_queries_for_few_or_many_rows(client_as, persona):
    client = client_as(persona)
    _assess(f.enterprise(f.YUZHONG), "C", 25.0)
    few = _queries(client)
    for i in range(60):
        _assess(f.enterprise(f.YUZHONG if i % 2 else f.WANZHOU), "ABCD"[i % 4], float(i))
    assert few == _queries(client) == _queries(client, **{"class": "D"}) == PAGE_QUERIES
    assert _queries(client, district=f.YUZHONG, page="2") == PAGE_QUERIES


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def test_the_export_holds_the_filtered_list_in_the_same_order(client_as, classes):
    rows = _sheet(client_as("office").get(URL, {"class": "D", "format": "xlsx"}))
    assert rows[0] == (
        "统一社会信用代码",
        "企业名称",
        "所在区县",
        "风险分类",
        "风险分值",
        "评定日期",
    )
    assert rows[1:] == [
        (
            classes["wz_d"].enterprise.uscc,
            "万州丁公司",
            "万州区",
            "D 信用风险高",
            80,
            dt.datetime(2026, 11, 1),
        ),
        (
            classes["yz_d"].enterprise.uscc,
            "渝中丁公司",
            "渝中区",
            "D 信用风险高",
            55,
            dt.datetime(2026, 11, 1),
        ),
    ]
    outside = _sheet(client_as("office").get(URL, {"district": "outside", "format": "xlsx"}))
    assert [r[:3] for r in outside[1:]] == [
        (classes["out_b"].enterprise.uscc, "成都乙公司", f.CHENGDU_WUHOU)
    ]


def test_a_district_officers_export_holds_only_their_district(client_as, classes):
    rows = _sheet(client_as("district").get(URL, {"format": "xlsx"}))
    assert [r[1] for r in rows[1:]] == ["渝中丁公司", "渝中甲公司"]


def test_an_export_over_the_limit_is_refused_with_a_hint_to_filter(client_as, classes, monkeypatch):
    monkeypatch.setattr(views, "RISK_EXPORT_MAX", 2)
    client = client_as("office")
    response = client.get(URL, {"class": "", "format": "xlsx"})
    assert response.status_code == 302 and "format" not in response["Location"]
    assert "请先按风险分类或区县筛选" in client.get(response["Location"]).content.decode()
    assert len(_sheet(client.get(URL, {"class": "D", "format": "xlsx"}))) == 3  # within it


def test_an_empty_list_says_so(client_as, users):
    response = client_as("district").get(URL, {"class": "D", "page": "2"})
    assert response.status_code == 200 and _names(response) == []
    assert "暂无风险分类。" in response.content.decode()
