"""A district officer records a heavier penalty and opens a 严重违法失信名单 case in a real
browser; the city office approves it; after more than a year the district removes it early
on application, and the public query no longer shows it."""

from __future__ import annotations

import datetime as dt
import re

from zhiliang.credit.models import Listing
from zhiliang.inspections.tests import factories as f
from zhiliang.tests.browser.test_it_logs_in_and_opens_the_plan import _login


def _days_ago(n: int) -> str:
    return (dt.date.today() - dt.timedelta(days=n)).isoformat()


def _fill(page, form, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = form.locator(f"[name={name}]")
        kind = field.evaluate("e => e.tagName + ':' + (e.type || '')")
        if kind.startswith("SELECT"):
            field.select_option(value)
        elif kind.endswith(":checkbox"):
            field.check() if value else field.uncheck()
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_a_listing_from_proposal_to_early_removal(page, live_server, users):
    base = live_server.url
    firm = f.enterprise(f.YUZHONG)
    _login(page, base, "district")
    page.wait_for_url(f"{base}/")
    page.click("header nav >> text=质量信用")
    page.click("text=录入信用记录")
    _fill(
        page,
        page.locator("main form"),
        {
            "uscc": firm.uscc,
            "kind": "penalty",
            "heavier": "on",
            "document_no": "渝中市监罚〔2024〕17号",
            "decided_on": _days_ago(500),
            "source_name": "重庆市渝中区市场监督管理局",
            "published_on": _days_ago(490),
            "summary": "生产销售不合格电热水壶",
        },
    )
    page.wait_for_url(re.compile(rf".*/credit/enterprises/{firm.uscc}/$"))
    assert "渝中市监罚〔2024〕17号" in page.inner_text("main")
    _fill(
        page,
        page.locator("form.propose"),
        {
            "reasons": "货值金额巨大，情节严重",
            "basis": "管理办法第七条",
            "proposed_on": _days_ago(480),
        },
    )
    page.wait_for_url(re.compile(r".*/credit/listings/\d+/$"))
    _fill(page, page.locator("#form-notify"), {"notify-notified_on": _days_ago(470)})
    assert "已告知" in page.inner_text(".listing-status")
    assert page.locator("#form-approve").count() == 0  # the district cannot approve
    url = page.url

    page.context.clear_cookies()
    _login(page, base, "office")
    page.goto(url)
    _fill(page, page.locator("#form-approve"), {"approve-approved_on": _days_ago(400)})
    assert "已列入" in page.inner_text(".listing-status")
    assert "不适用告知承诺制" in page.inner_text("main")
    page.goto(f"{base}/public/credit/?q={firm.uscc}")
    assert "货值金额巨大" in page.inner_text("main")

    page.context.clear_cookies()
    _login(page, base, "district")
    page.goto(url)
    _fill(
        page,
        page.locator("#form-remove"),
        {
            "remove-removed_on": dt.date.today().isoformat(),
            "remove-evidence": "罚款缴纳凭证、整改报告",
            "remove-obligations_fulfilled": "on",
            "remove-harm_removed": "on",
        },
    )
    assert "已移出" in page.inner_text(".listing-status")
    assert Listing.objects.get().removal == "early"
    page.goto(f"{base}/public/credit/?q={firm.uscc}")
    assert "货值金额巨大" not in page.inner_text("main")
