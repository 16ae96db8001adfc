from __future__ import annotations

from decimal import Decimal

import pytest

from zhiliang.accounts.models import AuditEntry
from zhiliang.plans.models import Plan, PlanItem, Responsibility, Target
from zhiliang.plans.services import PlanImportError, plan_import, responsibility_map
from zhiliang.registry.models import Organisation


def test_it_stores_sections_measures_targets_and_units(seed_plan):
    plan = seed_plan
    assert plan.doc_number == "渝府办发〔2015〕101号"
    assert plan.title == "重庆市贯彻实施质量发展纲要2015年行动计划工作方案"
    assert plan.issuer == "重庆市人民政府办公厅"
    assert str(plan.issued_on) == "2014-06-30"
    assert any("2015" in w for w in plan.warnings)  # date earlier than the number's year
    sections = PlanItem.objects.filter(plan=plan, depth=0)
    assert [s.label for s in sections] == ["一、", "二、", "三、", "四、"]
    measures = PlanItem.objects.filter(plan=plan, is_leaf=True)
    assert [m.number for m in measures] == list(range(1, 20))
    assert Target.objects.filter(item__plan=plan).count() == 6
    assert Responsibility.objects.filter(item__plan=plan).count() > 19


def test_every_unit_the_seed_names_resolves_to_the_registry(seed_plan):
    unresolved = Responsibility.objects.filter(item__plan=seed_plan, organisation=None)
    assert list(unresolved.values_list("name_as_written", flat=True)) == []


def test_the_measure_units_keep_their_written_order(seed_plan):
    item = PlanItem.objects.get(plan=seed_plan, label="（二）")
    names = list(item.responsibilities.values_list("name_as_written", flat=True))
    assert names == ["市人力社保局", "市教委", "市经济信息委", "市质监局"]
    assert item.responsibilities.first().organisation.name == "重庆市人力资源和社会保障局"
    five = PlanItem.objects.get(plan=seed_plan, label="（五）")
    assert five.open_ended


def test_the_quantified_targets_are_stored_with_value_unit_and_comparator(seed_plan):
    got = {
        (t.item.label, t.value, t.unit, t.comparator)
        for t in Target.objects.filter(item__plan=seed_plan).select_related("item")
    }
    assert ("（十四）", Decimal("90"), "%", ">=") in got
    assert ("（十四）", Decimal("94"), "%", ">=") in got
    assert ("（二）", Decimal("5000"), "人", ">=") in got
    assert ("（十六）", Decimal("100"), "项", ">=") in got
    assert {(label, unit) for label, _, unit, _ in got} >= {("（十一）", "台"), ("（十一）", "家")}


def test_importing_the_same_document_again_changes_nothing(seed_plan, seed_text):
    counts = (PlanItem.objects.count(), Target.objects.count(), AuditEntry.objects.count())
    # A different line ending style is still the same document.
    again = plan_import(text=seed_text.replace("\n", "\r\n"), source_name="copy.txt", actor=None)
    assert not again.created and again.plan == seed_plan
    assert (PlanItem.objects.count(), Target.objects.count(), AuditEntry.objects.count()) == counts


def test_a_different_text_under_the_same_number_is_refused(seed_plan, seed_text):
    with pytest.raises(PlanImportError) as caught:
        plan_import(text=seed_text.replace("5000人", "6000人"), source_name="v2.txt", actor=None)
    assert "渝府办发〔2015〕101号" in str(caught.value)
    assert Plan.objects.count() == 1


def test_the_import_is_audited_with_a_summary(users, seed_text):
    plan_import(text=seed_text, source_name="seed.txt", actor=users["office"])
    entry = AuditEntry.objects.get(action="plan.import")
    assert entry.actor == users["office"]
    assert entry.after["measures"] == 19 and entry.after["targets"] == 6
    assert entry.after["unresolved"] == []
    assert entry.reason == "seed.txt"


UNKNOWN_UNIT_PLAN = """某市质量提升工作方案

一、加强监管

（一）开展抽查。对重点产品开展监督抽查，抽查合格率达到92%以上。（市质监局、市新区管委会按职责分工负责）
"""


def test_an_unknown_unit_is_kept_as_written_and_can_be_mapped(users):
    outcome = plan_import(text=UNKNOWN_UNIT_PLAN, source_name="x.txt", actor=users["office"])
    assert outcome.unresolved == ["市新区管委会"]
    kept = Responsibility.objects.get(name_as_written="市新区管委会")
    assert kept.organisation is None
    target_org = Organisation.objects.get(key="cq-gov")
    linked = responsibility_map(
        name_as_written="市新区管委会",
        organisation=target_org,
        actor=users["office"],
        reason="核实",
    )
    assert linked == 1
    kept.refresh_from_db()
    assert kept.organisation == target_org
    entry = AuditEntry.objects.get(action="responsibility.map")
    assert entry.before["organisation"] is None and entry.after["organisation"] == "重庆市人民政府"
    # The mapping is remembered as an alias for the next import.
    assert target_org.aliases.filter(alias="市新区管委会").exists()


def test_an_overlong_unit_name_is_refused_not_cut(registry):
    name = "市" + "很长的单位名称" * 20 + "局"
    text = UNKNOWN_UNIT_PLAN.replace("市新区管委会", name)
    with pytest.raises(PlanImportError, match="单位名称过长"):
        plan_import(text=text, source_name="long.txt", actor=None)
    assert Plan.objects.count() == 0
