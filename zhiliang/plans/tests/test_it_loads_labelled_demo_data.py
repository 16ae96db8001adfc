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


def test_a_server_process_looks_again_after_demo_check_seconds(
    client_as, seed_plan, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Pages ask whether the demo is loaded at most every DEMO_CHECK_SECONDS; a demo
    loaded by another process (bootstrap --demo) shows its banner after that time, one
    loaded by this process at once."""
    from zhiliang.plans import demo

    settings.DEMO_CHECK_SECONDS = 10
    clock = [1_000.0]
    monkeypatch.setattr(demo, "_clock", lambda: clock[0])
    demo._banner_seen.clear()
    office = client_as("office")
    assert "本系统当前含有演示数据" not in office.get("/").content.decode()
    # as another process's `bootstrap --demo` leaves it: the audit entry that marks the load
    AuditEntry.objects.create(action=demo.DEMO_ACTION, reason="演示数据")
    assert demo.demo_loaded()
    clock[0] += 9.9
    assert "本系统当前含有演示数据" not in office.get("/").content.decode()
    clock[0] += 0.2
    assert "本系统当前含有演示数据" in office.get("/").content.decode()

    AuditEntry.objects.filter(action=demo.DEMO_ACTION).delete()
    clock[0] += 10.1
    assert "本系统当前含有演示数据" not in office.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        demo.demo_load(plan=seed_plan)
    assert "本系统当前含有演示数据" in office.get("/").content.decode()  # no waiting
    demo._banner_seen.clear()
