"""The early-warning loop in a real browser: the demo's planted spike of injury cases is
in the signal inbox; a city department officer opens a case from it, assesses the risk by
the Safety Gate method and drafts a consumer warning; the quality office publishes it;
the public portal shows it."""

from __future__ import annotations

import re

from zhiliang.signals.demo import SPIKE, signals_demo_load
from zhiliang.signals.models import ConsumerWarning, Signal
from zhiliang.tests.browser.test_it_logs_in_and_opens_the_plan import _login
from zhiliang.tests.browser.test_it_walks_a_listing_to_early_removal import _fill


def test_a_planted_spike_becomes_a_published_warning(page, live_server, users):
    signals_demo_load()
    spike = Signal.objects.get(district="500103", observed__gte=SPIKE)
    base = live_server.url
    _login(page, base, "department")
    page.wait_for_url(f"{base}/")
    page.click("header nav >> text=预警信号")
    inbox = page.inner_text("main")
    assert spike.week.isoformat() in inbox and "渝中区" in inbox
    page.click(f"a[href='/signals/{spike.pk}/']")
    assert "演示数据" in page.inner_text("main")  # the run's source says so
    _fill(
        page,
        page.locator("#form-case"),
        {"title": "儿童推车夹伤手指（演示数据）", "hazard": "折叠机构夹伤手指"},
    )
    page.wait_for_url(re.compile(r".*/signals/cases/\d+/$"))
    _fill(
        page,
        page.locator("#form-assess"),
        {
            "product": "某品牌儿童推车（演示数据）",
            "s1-hazard": "折叠机构",
            "s1-consumer": "3岁以下儿童",
            "s1-steps": "儿童手指伸入铰链 | 1/10\n推车被折叠 | 1/10",
            "s1-injury": "指骨骨折",
            "s1-severity": "3",
        },
    )
    # 1/100 is "> 1/1 000"; severity 3 there is serious
    page.wait_for_selector(".assessment >> text=严重风险")
    _fill(
        page,
        page.locator("#form-warning"),
        {
            "warning-title": "警惕儿童推车折叠夹伤手指（演示数据）",
            "warning-product": "折叠式儿童推车",
            "warning-hazard": "折叠时铰链可能夹伤儿童手指",
            "warning-advice": "折叠和展开推车时让儿童远离铰链",
        },
    )
    page.wait_for_selector("text=提交审核")
    warning = ConsumerWarning.objects.get()
    page.click(f"#submit-{warning.pk}")
    page.wait_for_selector("text=待审核")
    page.click("header form button:has-text('退出')")
    _login(page, base, "office")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/signals/cases/{warning.case_id}/")
    page.click(f"#publish-{warning.pk}")
    page.wait_for_selector(".warning >> text=已发布")
    page.goto(f"{base}/public/warnings/")
    page.click("text=警惕儿童推车折叠夹伤手指（演示数据）")
    article = page.inner_text("main")
    assert "折叠和展开推车时让儿童远离铰链" in article
