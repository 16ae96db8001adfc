from __future__ import annotations

from zhiliang.accounts.models import AuditEntry
from zhiliang.plans.demo import DEMO, DEMO_SUFFIX, demo_load
from zhiliang.plans.models import DistrictPlan, ProgressReport, Task


def test_demo_data_is_labelled_everywhere_and_loads_once(seed_plan, client_as, users):
    passwords = demo_load(plan=seed_plan)
    assert set(passwords) >= {"demo-office", "demo-zjj", "demo-yuzhong"}
    assert ProgressReport.objects.count() >= 9
    assert all(r.narrative.startswith(DEMO) for r in ProgressReport.objects.all())
    assert all(t.title.endswith(DEMO_SUFFIX) for t in Task.objects.all())
    assert all(p.title.endswith(DEMO_SUFFIX) for p in DistrictPlan.objects.all())
    assert set(ProgressReport.objects.values_list("state", flat=True)) == {
        "accepted",
        "submitted",
        "returned",
        "draft",
    }
    page = client_as("office").get("/plans/reports/").content.decode()
    assert "本系统当前含有演示数据" in page
    assert demo_load(plan=seed_plan) == {}
    assert AuditEntry.objects.filter(action="demo.load").count() == 1


def test_without_demo_data_there_is_no_banner(client_as, seed_plan):
    assert "本系统当前含有演示数据" not in client_as("office").get("/").content.decode()
