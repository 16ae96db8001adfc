from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from zhiliang.accounts.models import AuditEntry
from zhiliang.plans.models import Responsibility
from zhiliang.plans.services.publication import responsibility_publish, responsibility_unpublish


@pytest.fixture
def duties(seed_plan):
    zjj = Responsibility.objects.filter(item__plan=seed_plan, organisation__key="cq-zjj").order_by(
        "item__position"
    )
    return list(zjj[:2])


def test_the_public_sees_only_published_duties(client, duties, users):
    responsibility_publish(
        responsibility=duties[0], status="in_progress", note="按计划推进", actor=users["office"]
    )
    index = client.get("/public/duties/").content.decode()
    assert "重庆市质量技术监督局" in index and "（1）" in index
    page = client.get("/public/duties/cq-zjj/").content.decode()
    assert duties[0].item.title in page and "进行中" in page and "按计划推进" in page
    assert duties[1].item.title not in page
    # A department with nothing published is not shown at all.
    assert client.get("/public/duties/cq-gaj/").status_code == 404


def test_unpublishing_removes_it_and_is_audited(client, duties, users):
    responsibility_publish(responsibility=duties[0], status="done", note="", actor=users["office"])
    responsibility_unpublish(responsibility=duties[0], actor=users["office"], reason="数据核实中")
    assert client.get("/public/duties/cq-zjj/").status_code == 404
    assert "重庆市质量技术监督局" not in client.get("/public/duties/").content.decode()
    actions = list(
        AuditEntry.objects.filter(action__startswith="duty.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["duty.publish", "duty.unpublish"]
    assert AuditEntry.objects.get(action="duty.unpublish").reason == "数据核实中"


def test_only_the_office_publishes(duties, users, client_as):
    with pytest.raises(PermissionDenied):
        responsibility_publish(
            responsibility=duties[0], status="done", note="", actor=users["department"]
        )
    assert (
        client_as("department").get(f"/plans/{duties[0].item.plan_id}/publication/").status_code
        == 403
    )
    assert (
        client_as("outsider").get(f"/plans/{duties[0].item.plan_id}/publication/").status_code
        == 403
    )
    response = client_as("office").post(
        f"/plans/{duties[0].item.plan_id}/publication/",
        {"responsibility": duties[0].pk, "status": "late", "note": "进度滞后"},
        follow=True,
    )
    assert "已公开" in response.content.decode()
    assert duties[0].__class__.objects.get(pk=duties[0].pk).publication.status == "late"
