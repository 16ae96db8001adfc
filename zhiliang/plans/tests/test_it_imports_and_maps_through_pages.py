from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from zhiliang.accounts.models import AuditEntry
from zhiliang.conftest import SEED_PLAN
from zhiliang.plans.models import Plan, Responsibility

PLAN_WITH_UNKNOWN_UNIT = """某市质量提升工作方案

一、加强监管

（一）开展抽查。对重点产品开展监督抽查，抽查合格率达到92%以上。（市质监局、市新区管委会按职责分工负责）

（二）加强信用建设。建立企业质量信用档案。（市工商局负责）
"""


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def test_the_office_imports_a_plan_file_and_is_told_about_unknown_units(client_as):
    response = client_as("office").post(
        "/plans/import/", {"file": _upload("p.txt", PLAN_WITH_UNKNOWN_UNIT.encode())}, follow=True
    )
    page = response.content.decode()
    assert "方案已导入" in page and "市新区管委会" in page
    plan = Plan.objects.get()
    assert AuditEntry.objects.get(action="plan.import").actor.username == "office"
    again = client_as("office").post(
        "/plans/import/", {"file": _upload("p.txt", PLAN_WITH_UNKNOWN_UNIT.encode())}, follow=True
    )
    assert "此前已导入" in again.content.decode()
    assert Plan.objects.get() == plan


def test_a_gbk_file_is_refused_with_advice_and_nothing_is_written(client_as):
    response = client_as("office").post(
        "/plans/import/", {"file": _upload("p.txt", SEED_PLAN.read_text().encode("gb18030"))}
    )
    assert response.status_code == 400
    assert "GB18030" in response.content.decode()
    assert Plan.objects.count() == 0


def test_the_office_maps_an_unknown_unit_on_the_page(client_as):
    client = client_as("office")
    client.post("/plans/import/", {"file": _upload("p.txt", PLAN_WITH_UNKNOWN_UNIT.encode())})
    listing = client.get("/plans/units/unresolved/").content.decode()
    assert "市新区管委会" in listing
    from zhiliang.registry.models import Organisation

    org = Organisation.objects.get(key="cq-gov")
    response = client.post(
        "/plans/units/unresolved/",
        {"name_as_written": "市新区管委会", "organisation": org.pk, "reason": "经核实"},
        follow=True,
    )
    assert "已映射 1 条责任分工" in response.content.decode()
    assert Responsibility.objects.get(name_as_written="市新区管委会").organisation == org
    assert "所有单位均已对应" in client.get("/plans/units/unresolved/").content.decode()
