"""The public credit query: no login, only penalties published within their term and
listings in force; nothing else, and a limit per client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from zhiliang.credit import listings
from zhiliang.credit.models import CreditRecord
from zhiliang.credit.services import record_create
from zhiliang.inspections.tests import factories as f
from zhiliang.portal import views

URL = "/public/credit/"


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


def _record(users, firm, no, **kw):
    today = timezone.localdate()
    args = {
        "kind": "penalty",
        "document_no": no,
        "decided_on": today - dt.timedelta(days=30),
        "published_on": today - dt.timedelta(days=20),
        "source_name": "重庆市市场监督管理局",
        "summary": f"摘要{no}",
    }
    args.update(kw)
    return record_create(actor=users["office"], enterprise=firm, **args)


def test_only_published_penalties_in_their_term_are_shown(users, client):
    firm = f.enterprise()
    firm.name = "重庆测试电器有限公司"
    firm.save()
    today = timezone.localdate()
    _record(users, firm, "公示中")
    _record(users, firm, "未公示", published_on=None)
    _record(
        users,
        firm,
        "已过期",
        light=True,
        decided_on=today - dt.timedelta(days=200),
        published_on=today - dt.timedelta(days=190),
    )
    repaired = _record(users, firm, "已修复")
    CreditRecord.objects.filter(pk=repaired.pk).update(repaired_on=today)
    _record(users, firm, "贷款", kind="bad_loan", published_on=None, source_name="某银行")
    page = client.get(URL, {"q": "测试电器"}).content.decode()
    assert "摘要公示中" in page
    for hidden in ("摘要未公示", "摘要已过期", "摘要已修复", "摘要贷款"):
        assert hidden not in page
    assert "风险" not in page  # the internal class is never public
    assert client.get(URL, {"q": firm.uscc}).content.decode().count(firm.name) == 1


def test_a_listing_shows_while_in_force_and_not_after_removal(users, client):
    firm = f.enterprise()
    today = timezone.localdate()
    record = _record(users, firm, "重罚", heavier=True, decided_on=today - dt.timedelta(days=400))
    case = listings.listing_propose(
        actor=users["office"],
        record=record,
        reasons="无证生产",
        basis="第七条",
        proposed_on=today - dt.timedelta(days=399),
    )
    listings.listing_notify(
        actor=users["office"], listing=case, notified_on=today - dt.timedelta(days=398)
    )
    listings.listing_approve(
        actor=users["office"], listing=case, approved_on=today - dt.timedelta(days=380)
    )
    page = client.get(URL, {"q": firm.uscc}).content.decode()
    assert "无证生产" in page and "不适用告知承诺制" in page
    listings.listing_remove_early(
        actor=users["office"],
        listing=case,
        removed_on=today,
        evidence="凭证",
        obligations_fulfilled=True,
        harm_removed=True,
    )
    page = client.get(URL, {"q": firm.uscc}).content.decode()
    assert "无证生产" not in page and "不适用告知承诺制" not in page


def test_anyone_may_query_but_not_too_often(users, client, monkeypatch):
    monkeypatch.setattr(views, "CREDIT_QUERIES_PER_MINUTE", 3)
    assert client.get(URL).status_code == 200  # the form alone is not counted
    for _ in range(3):
        assert client.get(URL, {"q": "某某"}).status_code == 200
    assert client.get(URL, {"q": "某某"}).status_code == 429
    client.force_login(users["outsider"])  # a logged-in outsider is the public too
    cache.clear()
    assert client.get(URL, {"q": "某某"}).status_code == 200


def test_the_results_markup_escapes_every_value_and_speaks_english(users, client):
    """The results are put together in Python (templatetags/public_credit.py): what the
    database holds is escaped, the labels follow the visitor's language."""
    firm = f.enterprise()
    firm.name = "重庆<b>粗体</b>&电器有限公司"
    firm.save()
    today = timezone.localdate()
    days = dt.timedelta(days=1)
    record = _record(
        users,
        firm,
        "渝<script>1</script>号",
        heavier=True,
        summary="a & b",
        decided_on=today - 40 * days,
        published_on=today - 39 * days,
    )
    case = listings.listing_propose(
        actor=users["office"],
        record=record,
        reasons="<i>无证</i>",
        basis="第七条",
        proposed_on=today - 38 * days,
    )
    listings.listing_notify(actor=users["office"], listing=case, notified_on=today - 37 * days)
    listings.listing_approve(actor=users["office"], listing=case, approved_on=today - 20 * days)
    listed = (today - 20 * days).isoformat()
    page = client.get(URL, {"q": firm.uscc}).content.decode()
    assert "<script>1" not in page and "<b>粗体" not in page and "<i>无证" not in page
    assert "重庆&lt;b&gt;粗体&lt;/b&gt;&amp;电器有限公司" in page
    assert "渝&lt;script&gt;1&lt;/script&gt;号" in page and "a &amp; b" in page
    assert (
        f"<h2>重庆&lt;b&gt;粗体&lt;/b&gt;&amp;电器有限公司 <small>{firm.uscc}</small></h2>" in page
    )
    decided = (today - 40 * days).isoformat()
    assert f"<td>{decided}</td>" in page  # the decision date as YYYY-MM-DD
    assert f"列入日期 {listed}，期限至" in page and "不予授予" in page
    assert "<th>决定文书号</th>" in page

    client.cookies["django_language"] = "en"
    english = client.get(URL, {"q": firm.uscc}).content.decode()
    assert "<th>Decision document number</th>" in english
    assert "<h3>Administrative penalties</h3>" in english
    assert "<h3>List of serious illegal and dishonest parties</h3>" in english
    assert "行政处罚信息" not in english and "&lt;i&gt;无证&lt;/i&gt;" in english
    nothing = client.get(URL, {"q": "不存在的名字"}).content.decode()
    assert "<p>No matching enterprise was found.</p>" in nothing
