from __future__ import annotations

import re

from zhiliang.conftest import PASSWORD


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def test_an_officer_logs_in_and_opens_the_plan_and_matrix(page, live_server, users, seed_plan):
    base = live_server.url
    _login(page, base, "department")
    page.wait_for_url(f"{base}/")
    page.click("header nav >> text=工作方案")
    page.click(f"text={seed_plan.title}")
    page.wait_for_url(re.compile(rf".*/plans/{seed_plan.pk}/$"))
    assert "渝府办发〔2015〕101号" in page.inner_text("dl.meta")
    assert page.locator(".measure").count() == 19
    page.click("text=责任矩阵 >> nth=0")
    page.wait_for_url(re.compile(r".*/matrix/$"))
    assert page.locator("table.matrix tbody tr").count() == 19
    assert page.locator("table.matrix thead th.unit", has_text="市质监局").count() == 1
    with page.expect_download() as download:
        page.click("text=导出 Excel")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_a_wrong_password_gets_a_clear_message(page, live_server, users):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "department")
    page.fill("input[name=password]", "wrong")
    page.click("main button[type=submit]")
    assert "用户名或密码不正确" in page.inner_text("main")


def test_the_interface_switches_to_english(page, live_server, users, seed_plan):
    _login(page, live_server.url, "office")
    page.wait_for_url(f"{live_server.url}/")
    page.click("button[value=en]")
    page.wait_for_load_state()
    nav = page.inner_text("header nav")
    assert "Plans" in nav and "工作方案" not in nav
