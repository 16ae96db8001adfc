"""Demo sampling inspection for ``make run``: DEMO DATA, labelled so wherever shown.

Samples are numbered DEMO-…, flagged ``is_demo`` and every party, product and laboratory
name ends with （演示数据）; the plan's title says so too. Everything goes through the real
services (import, plan, draw, each step), so the audit log and tallies read as real use.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction

from zhiliang.accounts.models import Role
from zhiliang.inspections.models import Laboratory, ProductCategory, Sample, SamplingPlan
from zhiliang.inspections.services import plans as plan_services
from zhiliang.inspections.services import samples as s
from zhiliang.inspections.services.importing import samples_import
from zhiliang.lib import samplegen
from zhiliang.registry.models import Division, Organisation

DEMO_SUFFIX = "（演示数据）"
PLAN_CODE = "DEMO-2015-01"
YEAR = 2015
DISTRICTS = ["500103", "500108", "500112", "500106", "500101", "500113"]
CATEGORIES = ["IND23-01", "IND23-02", "IND23-03", "FARM-33", "FARM-36", "01", "03"]
DEMO_USERS = [
    ("demo-inspector-1", "cq-zjj", Role.INSPECTOR),
    ("demo-inspector-2", "cq-zjj", Role.INSPECTOR),
    ("demo-inspector-3", "cq-zjj", Role.INSPECTOR),
]


def _categories() -> list[str]:
    known = set(ProductCategory.objects.filter(code__in=CATEGORIES).values_list("code", flat=True))
    return [c for c in CATEGORIES if c in known]


@transaction.atomic
def inspections_demo_load() -> dict[str, str]:
    """Load once (keyed on the demo plan's code); returns passwords of users it created."""
    if SamplingPlan.objects.filter(code=PLAN_CODE).exists():
        return {}
    from zhiliang.plans.demo import _user

    passwords: dict[str, str] = {}
    inspectors = [_user(name, key, role, passwords) for name, key, role in DEMO_USERS]
    categories = _categories()
    # 1. A year of results, imported as an official would (the file is written and read back).
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-results-2015.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            samplegen.write_csv(
                fh,
                samplegen.sample_rows(
                    400,
                    seed=2015,
                    year=YEAR,
                    categories=categories,
                    districts=DISTRICTS,
                    fail_rate=0.08,
                    enterprises=60,
                    mark=DEMO_SUFFIX,
                    number_prefix="DEMO",
                ),
            )
        outcome = samples_import(path=path, file_name=path.name, actor=None)
    if not outcome.ok:
        raise RuntimeError(f"demo import failed: {outcome.problems[:3]}")
    Sample.objects.filter(import_batch=outcome.batch).update(is_demo=True)
    # 2. A plan for the next round, drawn from the producers those results name.
    organiser = Organisation.objects.get(key="cq-zjj")
    labs = [
        Laboratory.objects.get_or_create(name=n + DEMO_SUFFIX)[0]
        for n in ("重庆市产品质量监督检验研究院", "国家摩托车质量检验检测中心（重庆）")
    ]
    plan = plan_services.plan_create(
        actor=None,
        code=PLAN_CODE,
        title=f"{YEAR}年第四季度市级产品质量监督抽查计划{DEMO_SUFFIX}",
        year=YEAR,
        level=SamplingPlan.Level.PROVINCIAL,
        organiser=organiser,
        starts_on=dt.date(YEAR, 10, 1),
        ends_on=dt.date(YEAR, 12, 31),
        budget=None,
        labs=labs,
        is_demo=True,
    )
    for code in categories[:2]:
        category = ProductCategory.objects.get(code=code)
        for district in DISTRICTS[:3]:
            plan_services.quota_set(
                actor=None,
                plan=plan,
                category=category,
                district=Division.objects.get(code=district),
                batches=2,
            )
    plan_services.draw_run(actor=None, plan=plan, seed=20151001)
    _walk_samples(plan, inspectors, labs)
    return passwords


def _walk_samples(plan: SamplingPlan, inspectors: list[Any], labs: list[Laboratory]) -> None:
    """Three drawn enterprises sampled: one passes, one fails and goes through objection,
    re-test and the first two rungs of the ladder, one waits for its report."""
    actor = inspectors[0]
    assignments = list(plan.assignments.select_related("enterprise", "category", "district")[:3])
    for number, assignment in enumerate(assignments, start=1):
        e = assignment.enterprise
        # A drawn shop is sampled in circulation, with the producer its goods name.
        made = Sample.objects.filter(producer=e).exists()
        maker = e if made else _maker_of(assignment.category, e)
        sample = s.sample_record(
            actor=actor,
            plan=plan,
            assignment=assignment,
            is_demo=True,
            data=s.SampleInput(
                sample_no=f"DEMO-{YEAR}-Q4-{number:03d}",
                category=assignment.category,
                product_name=f"抽查样品{number}{DEMO_SUFFIX}",
                model=f"型号{number}",
                batch=f"{YEAR}-09-{10 + number}",
                sampled_party_uscc=e.uscc,
                sampled_party_name=e.name,
                sampled_party_role=Sample.PartyRole.PRODUCER if made else Sample.PartyRole.SELLER,
                producer_name=maker.name,
                producer_uscc=maker.uscc,
                producer_region=maker.region,
                sampling_district=assignment.district,
                channel=Sample.Channel.PRODUCTION if made else Sample.Channel.CIRCULATION,
                sampled_on=dt.date(YEAR, 10, 12 + number),
                place=("成品库" if made else "销售货架") + DEMO_SUFFIX,
                quantity="6件",
                backup_quantity="3件",
                seal_numbers=f"FY{YEAR}{number:04d}",
                samplers=" ".join(u.get_username() for u in assignment.inspectors.all()),
            ),
        )
        if number == 3:
            continue  # still at the lab
        failed = number == 2
        s.sample_report(
            actor=actor,
            sample=sample,
            lab=labs[0],
            report_no=f"DEMO-R-{YEAR}-{number:03d}",
            reported_on=dt.date(YEAR, 11, 2 + number),
            lab_received_on=dt.date(YEAR, 10, 14 + number),
            conclusion=Sample.Conclusion.FAIL if failed else Sample.Conclusion.PASS,
            standards="GB/T 示例标准" + DEMO_SUFFIX,
            items=[
                s.ItemInput(
                    name="标签", result="不符合", requirement="应标注生产日期", passed=False
                )
            ]
            if failed
            else [],
        )
        if not failed:
            continue
        sample.refresh_from_db()
        s.sample_notify(
            actor=actor,
            sample=sample,
            notified_on=dt.date(YEAR, 11, 6),
            received_on=dt.date(YEAR, 11, 9),
        )
        objection = s.objection_file(
            actor=actor,
            sample=sample,
            filed_on=dt.date(YEAR, 11, 16),
            reason="对标签项目判定有异议" + DEMO_SUFFIX,
        )
        s.objection_decide(
            actor=actor,
            objection=objection,
            decided_on=dt.date(YEAR, 11, 18),
            accepted=True,
            retest_lab=labs[1],
        )
        s.retest_record(
            actor=actor,
            objection=objection,
            report_no=f"DEMO-RR-{YEAR}-{number:03d}",
            reported_on=dt.date(YEAR, 12, 2),
            conclusion=Sample.Conclusion.FAIL,
        )
        sample.refresh_from_db()
        first = s.disposal_order(
            actor=actor,
            sample=sample,
            rung="rectify",
            ordered_on=dt.date(YEAR, 12, 3),
            deadline=dt.date(YEAR, 12, 18),
            note="责令限期改正" + DEMO_SUFFIX,
        )
        s.disposal_check(actor=actor, action=first, checked_on=dt.date(YEAR, 12, 21), passed=False)
        s.disposal_order(
            actor=actor,
            sample=sample,
            rung="announce",
            ordered_on=dt.date(YEAR, 12, 24),
            deadline=dt.date(YEAR + 1, 1, 29),
            note="逾期未改正，予以公告" + DEMO_SUFFIX,
        )


def _maker_of(category: ProductCategory, shop: Any) -> Any:
    sample = (
        Sample.objects.filter(sampled_party=shop, category=category)
        .exclude(producer=None)
        .select_related("producer")
        .first()
    ) or Sample.objects.filter(category=category).exclude(producer=None).select_related(
        "producer"
    ).first()
    assert sample is not None and sample.producer is not None
    return sample.producer
