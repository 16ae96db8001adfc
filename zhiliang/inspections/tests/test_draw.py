"""Plans, quotas and the 双随机 draw: random enterprises from the registry per stratum,
random inspectors, recorded so that anyone can re-run and verify it (产品质量法 Art. 15)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from zhiliang.accounts.models import AuditEntry
from zhiliang.inspections.models import Assignment, Draw, PlanQuota, SamplingPlan
from zhiliang.inspections.services import plans as svc
from zhiliang.inspections.tests import factories as f
from zhiliang.lib.draw import inputs_digest
from zhiliang.registry.models import Division, Organisation

Y2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def _plan(actor=None, *, code="cq-2025-01", level="provincial", organiser="cq-zjj", period=Y2025):
    return svc.plan_create(
        actor=actor,
        code=code,
        title="2025年市级产品质量监督抽查",
        year=period[0].year,
        level=level,
        organiser=Organisation.objects.get(key=organiser),
        starts_on=period[0],
        ends_on=period[1],
    )


@pytest.fixture
def kettles(users):
    """家用电器 made by 渝中区 enterprises of industry C38: six candidates, fixed codes."""
    cat = f.category("IND23-02", industries="C38 C3854")
    makers = [f.enterprise(f.YUZHONG, number=500 + i, industry="C3854") for i in range(6)]
    f.enterprise(f.YUZHONG, number=600, industry="C17")  # textiles: not a candidate
    f.enterprise(f.YUZHONG, number=601, industry="C3854", status="revoked")  # not active
    f.enterprise(f.WANZHOU, number=602, industry="C3854")  # another district
    f.inspectors(3)
    return cat, makers


def _quota(plan, cat, district=f.YUZHONG, batches=3, actor=None):
    return svc.quota_set(
        actor=actor,
        plan=plan,
        category=cat,
        district=Division.objects.get(code=district),
        batches=batches,
    )


# --- plan_create ----------------------------------------------------------------------


def test_it_creates_a_plan_with_an_audit_entry(users):
    plan = _plan(users["office"])
    assert plan.organiser.key == "cq-zjj" and plan.created_by == users["office"]
    entry = AuditEntry.objects.get(action="sampling_plan.create")
    assert entry.actor == users["office"] and entry.after["code"] == "cq-2025-01"
    assert entry.after["period"] == ["2025-01-01", "2025-12-31"]


def test_a_plan_period_must_be_ordered_and_inside_its_year(users):
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        _plan(users["office"], period=(dt.date(2025, 6, 1), dt.date(2025, 5, 1)))
    assert exc.value.messages == [svc.ERR_PLAN_PERIOD]
    with pytest.raises(ValidationError) as exc:
        _plan(users["office"], period=(dt.date(2025, 6, 1), dt.date(2026, 1, 31)))
    assert exc.value.messages == [svc.ERR_PLAN_YEAR % {"year": 2025}]
    assert not SamplingPlan.objects.exists() and AuditEntry.objects.count() == audits


def test_only_the_organisers_officers_create_its_plans(users):
    with pytest.raises(PermissionDenied):
        _plan(users["outsider"])
    with pytest.raises(PermissionDenied):
        _plan(users["district"])  # 渝中区 officer for 市质监局
    with pytest.raises(PermissionDenied):
        _plan(users["other_district"], level="district", organiser="district-500103")
    assert _plan(users["department"]).organiser.key == "cq-zjj"


def test_a_district_officer_creates_only_district_level_plans(users):
    with pytest.raises(ValidationError) as exc:
        _plan(users["district"], organiser="district-500103", level="provincial")
    assert exc.value.messages == [svc.ERR_DISTRICT_LEVEL]
    plan = _plan(users["district"], organiser="district-500103", level="district")
    assert plan.level == "district"


# --- quota_set ------------------------------------------------------------------------


def test_it_sets_changes_and_removes_quotas_with_audit(kettles, users):
    cat, _makers = kettles
    plan = _plan(users["office"])
    _quota(plan, cat, batches=3, actor=users["department"])
    _quota(plan, cat, batches=5, actor=users["department"])
    assert PlanQuota.objects.get().batches == 5
    assert _quota(plan, cat, batches=0, actor=users["department"]) is None
    assert not PlanQuota.objects.exists()
    entries = AuditEntry.objects.filter(action="sampling_plan.quota").order_by("id")
    assert [(e.before["batches"], e.after["batches"]) for e in entries] == [(0, 3), (3, 5), (5, 0)]
    assert entries[0].after["stratum"] == "IND23-02|500103"


def test_quotas_are_set_only_by_the_plans_managers(kettles, users):
    cat, _makers = kettles
    plan = _plan(users["office"])
    for name in ("outsider", "district", "inspector"):
        with pytest.raises(PermissionDenied):
            _quota(plan, cat, actor=users[name])
    district_plan = _plan(
        users["district"], code="yz-2025", organiser="district-500103", level="district"
    )
    with pytest.raises(PermissionDenied):
        _quota(district_plan, cat, actor=users["other_district"])
    with pytest.raises(ValidationError) as exc:
        _quota(district_plan, cat, district=f.WANZHOU, actor=users["district"])
    assert exc.value.messages == [svc.ERR_QUOTA_DISTRICT % {"district": "万州区"}]
    assert not PlanQuota.objects.exists()


# --- the draw -------------------------------------------------------------------------


def test_it_draws_enterprises_of_the_category_and_two_inspectors_each(kettles, users):
    cat, makers = kettles
    plan = _plan(users["office"])
    _quota(plan, cat, batches=3)
    record = svc.draw_run(actor=users["department"], plan=plan, seed=20250301)

    candidates = sorted(e.uscc for e in makers)
    assert [c["key"] for c in record.inputs["candidates"]] == candidates
    assert {c["stratum"] for c in record.inputs["candidates"]} == {"IND23-02|500103"}
    assert record.inputs["quotas"] == {"IND23-02|500103": 3}
    assert record.inputs["inspectors"] == sorted(
        ["inspector", "insp-cq-zjj-0", "insp-cq-zjj-1", "insp-cq-zjj-2"]
    )
    assert record.digest == inputs_digest(record.inputs) and record.seed == 20250301
    assert record.drawn_by == users["department"]

    assignments = list(Assignment.objects.filter(plan=plan))
    assert len(assignments) == 3
    assert {a.enterprise.uscc for a in assignments} <= set(candidates)
    assert {a.enterprise.uscc for a in assignments} == set(
        record.result["chosen"]["IND23-02|500103"]
    )
    for a in assignments:
        people = {u.username for u in a.inspectors.all()}
        assert len(people) == 2 and people <= set(record.inputs["inspectors"])
        assert a.category == cat and a.district_id == f.YUZHONG
    entry = AuditEntry.objects.get(action="sampling_plan.draw")
    assert entry.actor == users["department"]
    assert entry.after == {"seed": 20250301, "digest": record.digest, "chosen": 3, "shortfalls": {}}


def test_the_same_inputs_and_seed_give_the_same_draw(kettles, users):
    cat, _makers = kettles
    plan = _plan(users["office"])
    _quota(plan, cat, batches=3)
    first = svc.draw_run(actor=None, plan=plan, seed=7)
    first_assignments = sorted(
        (a.enterprise.uscc, sorted(u.username for u in a.inspectors.all()))
        for a in plan.assignments.all()
    )
    assert svc.draw_compute(first.inputs, 7) == first.result

    # Start over: the same registry and seed draw the same enterprises and inspectors.
    Assignment.objects.filter(plan=plan).delete()
    Draw.objects.filter(plan=plan).delete()
    plan.refresh_from_db()
    again = svc.draw_run(actor=None, plan=plan, seed=7)
    assert again.result == first.result and again.digest == first.digest
    assert (
        sorted(
            (a.enterprise.uscc, sorted(u.username for u in a.inspectors.all()))
            for a in plan.assignments.all()
        )
        == first_assignments
    )
    # Another seed is another draw (fixed seeds; these two differ).
    assert svc.draw_compute(first.inputs, 8)["chosen"] != first.result["chosen"]


def test_verify_passes_and_detects_tampering(kettles, users):
    cat, makers = kettles
    plan = _plan(users["office"])
    _quota(plan, cat, batches=3)
    record = svc.draw_run(actor=None, plan=plan, seed=7)
    assert svc.draw_verify(plan=plan).ok

    # A stored result changed after the fact.
    chosen = record.result["chosen"]["IND23-02|500103"]
    other = next(e.uscc for e in makers if e.uscc not in chosen)
    forged = {**record.result, "chosen": {"IND23-02|500103": [other, *chosen[1:]]}}
    Draw.objects.filter(pk=record.pk).update(result=forged)
    check = svc.draw_verify(plan=plan)
    assert not check.ok and not check.same_result and check.same_assignments
    Draw.objects.filter(pk=record.pk).update(result=record.result)

    # An assignment swapped to another enterprise.
    a = Assignment.objects.filter(plan=plan).first()
    original = a.enterprise
    a.enterprise = next(e for e in makers if e.uscc not in chosen)
    a.save()
    check = svc.draw_verify(plan=plan)
    assert not check.ok and check.same_result and not check.same_assignments
    a.enterprise = original
    a.save()

    # An inspector swapped.
    a.inspectors.set([users["inspector"], users["office"]])
    assert not svc.draw_verify(plan=plan).same_assignments
    a.inspectors.set(
        [
            u
            for u in users["inspector"].__class__.objects.filter(
                username__in=record.result["inspectors"][f"IND23-02|500103|{a.enterprise.uscc}"]
            )
        ]
    )
    assert svc.draw_verify(plan=plan).ok

    # The recorded inputs edited (e.g. a candidate removed): the digest no longer matches.
    inputs = {**record.inputs, "candidates": record.inputs["candidates"][1:]}
    Draw.objects.filter(pk=record.pk).update(inputs=inputs)
    assert not svc.draw_verify(plan=plan).digest_ok


def test_no_enterprise_is_drawn_twice_in_one_plan_and_shortfalls_are_recorded(kettles, users):
    cat, makers = kettles
    other = f.category("IND23-11", industries="C38")  # 日用杂品, same makers
    plan = _plan(users["office"])
    _quota(plan, cat, batches=4)
    _quota(plan, other, batches=4)
    record = svc.draw_run(actor=None, plan=plan, seed=11)
    drawn = [a.enterprise.uscc for a in Assignment.objects.filter(plan=plan)]
    assert len(drawn) == len(set(drawn)) == 6  # all six makers, each once
    assert record.result["shortfalls"] == {"IND23-11|500103": 2}
    assert AuditEntry.objects.get(action="sampling_plan.draw").after["shortfalls"] == {
        "IND23-11|500103": 2
    }


def test_a_shortfall_when_the_registry_has_too_few_candidates(kettles, users):
    cat, makers = kettles
    plan = _plan(users["office"])
    _quota(plan, cat, batches=10)
    record = svc.draw_run(actor=None, plan=plan, seed=1)
    assert record.result["shortfalls"] == {"IND23-02|500103": 4}
    assert Assignment.objects.filter(plan=plan).count() == 6


def test_a_product_sampled_by_a_higher_level_in_the_period_is_excluded(kettles, users):
    """产品质量法 Art. 15: no re-sampling at a lower level of what a higher level samples."""
    cat, makers = kettles
    national = _plan(
        None, code="samr-2025", level="national", period=(dt.date(2025, 3, 1), dt.date(2025, 9, 30))
    )
    _quota(national, cat, batches=2)
    svc.draw_run(actor=None, plan=national, seed=3)
    barred = sorted(a.enterprise.uscc for a in national.assignments.all())

    # An earlier national plan that ended before ours began bars nothing.
    old = _plan(
        None,
        code="samr-2024",
        level="national",
        period=(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    )
    _quota(old, cat, batches=2)
    svc.draw_run(actor=None, plan=old, seed=99)

    plan = _plan(users["office"], period=(dt.date(2025, 6, 1), dt.date(2025, 12, 31)))
    _quota(plan, cat, batches=6)
    record = svc.draw_run(actor=None, plan=plan, seed=3)
    assert record.inputs["excluded"] == [
        {"stratum": "IND23-02|500103", "key": u, "reason": "art15:samr-2025"} for u in barred
    ]
    drawn = {a.enterprise.uscc for a in plan.assignments.all()}
    assert drawn.isdisjoint(barred) and len(drawn) == 4
    assert record.result["shortfalls"] == {"IND23-02|500103": 2}


def test_a_lower_level_plan_does_not_bar_a_higher_one(kettles, users):
    cat, makers = kettles
    district_plan = _plan(None, code="yz-2025", level="district", organiser="district-500103")
    _quota(district_plan, cat, batches=6)
    f.inspectors(2, org_key="district-500103")
    svc.draw_run(actor=None, plan=district_plan, seed=5)
    plan = _plan(None)
    _quota(plan, cat, batches=6)
    record = svc.draw_run(actor=None, plan=plan, seed=5)
    assert record.inputs["excluded"] == [] and plan.assignments.count() == 6


def test_a_plan_is_drawn_once(kettles, users):
    cat, _makers = kettles
    plan = _plan(users["office"])
    _quota(plan, cat)
    svc.draw_run(actor=None, plan=plan, seed=7)
    with pytest.raises(ValidationError) as exc:
        svc.draw_run(actor=users["office"], plan=plan, seed=8)
    today = Draw.objects.get().drawn_at.date().isoformat()
    assert exc.value.messages == [svc.ERR_ALREADY_DRAWN % {"when": today, "seed": 7}]
    with pytest.raises(ValidationError) as exc:
        _quota(plan, cat, batches=5)
    assert exc.value.messages == [svc.ERR_PLAN_DRAWN]
    assert Draw.objects.count() == 1 and plan.assignments.count() == 3


def test_a_draw_needs_quotas_and_enough_inspectors(kettles, users):
    cat, _makers = kettles
    plan = _plan(users["office"])
    with pytest.raises(ValidationError) as exc:
        svc.draw_run(actor=None, plan=plan, seed=1)
    assert exc.value.messages == [svc.ERR_NO_QUOTAS]

    district_plan = _plan(None, code="yz-2025", level="district", organiser="district-500103")
    _quota(district_plan, cat)
    with pytest.raises(ValidationError) as exc:
        svc.draw_run(actor=None, plan=district_plan, seed=1)
    assert exc.value.messages == [svc.ERR_NO_INSPECTORS % {"org": district_plan.organiser.name}]
    # One inspector is not enough: a check needs two officers (行政处罚法 Art. 42).
    f.inspectors(1, org_key="district-500103")
    with pytest.raises(ValidationError) as exc:
        svc.draw_run(actor=None, plan=district_plan, seed=1)
    assert exc.value.messages == [
        svc.ERR_TOO_FEW_INSPECTORS % {"org": district_plan.organiser.name, "count": 1, "needed": 2}
    ]
    assert not Draw.objects.exists() and not Assignment.objects.exists()
    assert not AuditEntry.objects.filter(action="sampling_plan.draw").exists()


def test_outsiders_and_other_districts_may_not_draw(kettles, users):
    cat, _makers = kettles
    plan = _plan(users["office"])
    _quota(plan, cat)
    district_plan = _plan(None, code="yz-2025", level="district", organiser="district-500103")
    _quota(district_plan, cat)
    for name in ("outsider", "hospital", "enterprise_user", "district"):
        with pytest.raises(PermissionDenied):
            svc.draw_run(actor=users[name], plan=plan, seed=1)
    with pytest.raises(PermissionDenied):
        svc.draw_run(actor=users["other_district"], plan=district_plan, seed=1)
    assert not Draw.objects.exists()


# --- the command ------------------------------------------------------------------------


def _command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("inspections", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_the_draw_command_draws_then_verifies_with_the_same_seed(kettles, users):
    cat, _makers = kettles
    plan = _plan(users["office"])
    _quota(plan, cat)
    out = _command("draw", "--plan", plan.code, "--seed", "42")
    record = Draw.objects.get(plan=plan)
    lines = out.splitlines()
    assert lines[0] == "category,district,uscc,enterprise,inspectors"
    rows = [line.split(",") for line in lines[1:4]]
    assert [r[2] for r in rows] == sorted(record.result["chosen"]["IND23-02|500103"])
    for r in rows:
        key = f"IND23-02|500103|{r[2]}"
        assert r[4] == " ".join(record.result["inspectors"][key])
    assert lines[4] == f"digest {record.digest}"

    again = _command("draw", "--plan", plan.code, "--seed", "42")
    assert again.splitlines()[:4] == lines[:4]
    assert again.splitlines()[-1] == f"verified: seed 42, digest {record.digest}"
    assert Draw.objects.count() == 1

    with pytest.raises(CommandError, match="drawn with seed 42"):
        _command("draw", "--plan", plan.code, "--seed", "43")

    Draw.objects.filter(pk=record.pk).update(result={**record.result, "chosen": {}})
    with pytest.raises(CommandError, match="does NOT verify"):
        _command("verify", "--plan", plan.code)


def test_the_draw_command_reports_problems(kettles):
    with pytest.raises(CommandError, match="no sampling plan"):
        _command("draw", "--plan", "nope", "--seed", "1")
    plan = _plan(None)
    with pytest.raises(CommandError, match=svc.ERR_NO_QUOTAS):
        _command("draw", "--plan", plan.code, "--seed", "1")
    with pytest.raises(CommandError, match="has not been drawn"):
        _command("verify", "--plan", plan.code)


def test_a_sample_of_a_higher_level_plan_also_bars_its_producer(kettles, users):
    from zhiliang.inspections.services.samples import sample_record

    cat, makers = kettles
    national = _plan(None, code="samr-2025", level="national")
    data = f.sample_input(cat=cat, producer_uscc=makers[0].uscc)
    sample_record(actor=None, data=data, plan=national)
    plan = _plan(None)
    _quota(plan, cat, batches=6)
    record = svc.draw_run(actor=None, plan=plan, seed=2)
    assert record.inputs["excluded"] == [
        {"stratum": "IND23-02|500103", "key": makers[0].uscc, "reason": "art15:samr-2025"}
    ]
    assert makers[0] not in {a.enterprise for a in plan.assignments.all()}
