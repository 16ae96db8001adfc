from __future__ import annotations

import io

from openpyxl import load_workbook

from zhiliang.conftest import PERSONAS


def test_the_plan_page_shows_sections_measures_and_units(client_as, seed_plan):
    page = client_as("department").get(f"/plans/{seed_plan.pk}/").content.decode()
    assert "渝府办发〔2015〕101号" in page
    assert "一、简政放权，充分发挥企业质量主体作用" in page
    assert "（十九）建立健全质量法治体系" in page
    assert "市政府法制办" in page
    assert "解析提示" in page  # the date warning is shown, not hidden


def test_the_matrix_has_one_row_per_measure_and_exports_the_same(client_as, seed_plan):
    client = client_as("office")
    page = client.get(f"/plans/{seed_plan.pk}/matrix/").content.decode()
    assert page.count("<tr>") == 1 + 19
    response = client.get(f"/plans/{seed_plan.pk}/matrix/?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 19
    header = rows[0]
    assert header[:2] == ("编号", "措施")
    zjj = header.index("市质监局")
    two = next(r for r in rows if r[0] == "（二）")
    assert two[zjj] == "●"
    assert two[header.index("市教委")] == "●"
    assert two[header.index("市公安局")] in (None, "")


def test_a_unit_sees_its_own_measures_including_as_joint_meeting_member(client_as, seed_plan):
    page = client_as("department").get("/plans/units/cq-zjj/").content.decode()
    assert "（二）提高劳动者技能素质" in page
    assert "（一）深化质量领域行政审批改革" in page  # 市质量工作部门联席会议成员单位
    assert "市质量工作部门联席会议成员单位" in page
    police = client_as("department").get("/plans/units/cq-gaj/").content.decode()
    assert "（九）依法严厉打击质量安全违法犯罪行为" in police
    assert "（二）提高劳动者技能素质" not in police


def test_the_targets_page_lists_each_target(client_as, seed_plan):
    page = client_as("district").get("/plans/targets/").content.decode()
    assert "合格率达到90%以上" in page
    assert "100项" in page or "标准100项" in page


def test_every_navigation_link_works_for_every_persona(client_as, seed_plan):
    from django.test import RequestFactory

    from zhiliang.accounts.context_processors import navigation

    for name in PERSONAS:
        client = client_as(name)
        request = RequestFactory().get("/")
        request.user = client.get("/").wsgi_request.user
        for label, url in navigation(request)["nav_links"]:
            assert client.get(url).status_code == 200, (name, label, url)


def test_an_outsider_is_told_they_have_no_role(client_as):
    page = client_as("outsider").get("/").content.decode()
    assert "尚未分配任何单位角色" in page


def test_the_plan_page_links_to_its_years_annual_report(client_as, seed_plan):
    page = client_as("office").get(f"/plans/{seed_plan.pk}/").content.decode()
    assert f"/plans/{seed_plan.pk}/annual/2015/" in page
    assert client_as("office").get(f"/plans/{seed_plan.pk}/annual/2015/").status_code == 200


def test_every_link_a_district_officer_is_shown_works(client_as, seed_plan):
    import re

    client = client_as("district")
    for page in (f"/plans/{seed_plan.pk}/", f"/plans/{seed_plan.pk}/dashboard/districts/"):
        html = client.get(page).content.decode()
        for href in set(re.findall(r'href="(/plans/[^"#?]*)"', html)):
            assert client.get(href).status_code == 200, (page, href)
