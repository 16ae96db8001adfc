"""An inspector records a sample in a real browser and takes it from the test report to
the second rung of the 产品质量法 Art. 17 ladder, one form at a time."""

from __future__ import annotations

import re

from zhiliang.inspections.models import Referral, Sample
from zhiliang.lib.samplegen import fake_uscc
from zhiliang.tests.browser.test_it_logs_in_and_opens_the_plan import _login


def _step(page, key: str, values: dict[str, str]) -> None:
    form = page.locator(f"#form-{key}")
    for name, value in values.items():
        field = form.locator(f"[name={key}-{name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_an_inspector_records_a_sample_through_to_disposal(page, live_server, users):
    base = live_server.url
    _login(page, base, "inspector")
    page.wait_for_url(f"{base}/")
    page.click("header nav >> text=监督抽查")
    page.click("text=登记样品")
    page.fill("[name=sample_no]", "GC2025-0042")
    page.select_option("[name=category]", label="IND23-02 家用电器及电器附件")
    page.fill("[name=product_name]", "电热水壶")
    page.fill("[name=sampled_party_name]", "重庆某商场有限公司")
    page.fill("[name=sampled_party_uscc]", fake_uscc("500103", 77))
    page.select_option("[name=sampled_party_role]", "seller")
    page.fill("[name=producer_name]", "某电器制造有限公司")
    page.fill("[name=producer_uscc]", fake_uscc("510107", 78))
    page.fill("[name=producer_region]", "510107")
    page.select_option("[name=sampling_district]", "500103")
    page.select_option("[name=channel]", "circulation")
    page.fill("[name=sampled_on]", "2025-03-03")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/inspections/samples/GC2025-0042/$"))
    assert "样品已登记" in page.inner_text("main")

    _step(
        page,
        "report",
        {
            "lab": "重庆市产品质量监督检验研究院",
            "lab_received_on": "2025-03-05",
            "report_no": "R-0042",
            "reported_on": "2025-03-20",
            "conclusion": "fail",
            "failed_items": "电气强度｜击穿｜1250V 1min 不击穿",
        },
    )
    assert "不合格" in page.inner_text("dl.meta")
    # The producer is registered in 四川: an outgoing 协查函 record is opened.
    assert "外省市协查函" in page.inner_text("#referral")
    _step(page, "notify", {"notified_on": "2025-03-21", "received_on": "2025-03-24"})
    _step(page, "objection", {"filed_on": "2025-03-28", "reason": "样品运输中受潮"})
    _step(
        page,
        "decide",
        {
            "decided_on": "2025-03-31",
            "accepted": "yes",
            "retest_lab": "国家家用电器质量检验检测中心",
        },
    )
    _step(
        page, "retest", {"report_no": "RR-0042", "reported_on": "2025-04-15", "conclusion": "fail"}
    )
    assert "复检结论" in page.inner_text("#objection")
    _step(
        page, "disposal", {"rung": "rectify", "ordered_on": "2025-04-16", "deadline": "2025-05-16"}
    )
    _step(page, "check", {"checked_on": "2025-05-19", "passed": "no"})
    _step(
        page, "disposal", {"rung": "announce", "ordered_on": "2025-05-20", "deadline": "2025-06-20"}
    )
    _step(page, "referral_send", {"sent_on": "2025-03-25", "letter_no": "渝质协〔2025〕12号"})

    rows = page.locator("#disposals tbody tr")
    assert rows.count() == 2
    assert "责令限期改正" in rows.nth(0).inner_text() and "公告" in rows.nth(1).inner_text()
    steps = page.inner_text("#steps")
    assert "已逾期" not in steps.split("整改复查")[0]  # every step before the follow-up on time
    sample = Sample.objects.get(sample_no="GC2025-0042")
    assert sample.final_conclusion == "fail"
    assert Referral.objects.get(sample=sample).letter_no == "渝质协〔2025〕12号"
