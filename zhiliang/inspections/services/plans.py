"""Sampling plans, their quotas and the 双随机 draw (random enterprises, random inspectors)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.access import district_codes_of, has_role, is_office
from zhiliang.accounts.audit import audit_record
from zhiliang.accounts.models import Membership, Role
from zhiliang.inspections.access import require_plan_manager
from zhiliang.inspections.models import (
    Assignment,
    Draw,
    Laboratory,
    PlanQuota,
    ProductCategory,
    Sample,
    SamplingPlan,
)
from zhiliang.lib import draw as drawlib
from zhiliang.registry.models import Division, Enterprise, Organisation

ERR_PLAN_PERIOD = gettext_noop("结束日期不能早于开始日期。")
ERR_WEIGHTS = gettext_noop(
    "风险分类权重应写成 A=0.05 B=0.2 C=0.6 D=1，类别为 A–D，权重大于 0 且不超过 1。"
)
ERR_TWO_INSPECTORS = gettext_noop("每户至少选派两名检查人员（行政处罚法第四十二条）。")
ERR_PLAN_YEAR = gettext_noop("抽查期间必须在计划年度 %(year)s 内。")
ERR_NOT_ORGANISER = gettext_noop("只能以本单位名义制定抽查计划。")
ERR_DISTRICT_LEVEL = gettext_noop("区县工作人员只能制定本区县的区县级抽查计划。")
ERR_PLAN_DRAWN = gettext_noop("计划已完成抽取，不能再修改配额。")
ERR_QUOTA_DISTRICT = gettext_noop("无权为%(district)s设置配额。")
ERR_NO_QUOTAS = gettext_noop("计划还没有任何配额，无法抽取。")
ERR_ALREADY_DRAWN = gettext_noop("该计划已于 %(when)s 抽取（种子 %(seed)s），每个计划只抽取一次。")
ERR_NO_INSPECTORS = gettext_noop("组织单位%(org)s没有检查人员，无法随机选派。")
ERR_TOO_FEW_INSPECTORS = gettext_noop(
    "组织单位%(org)s只有 %(count)s 名检查人员，每户须选派 %(needed)s 名，无法随机选派。"
)


def plan_create(
    *,
    actor: Any,
    code: str,
    title: str,
    year: int,
    level: str,
    organiser: Organisation,
    starts_on: dt.date,
    ends_on: dt.date,
    budget: Decimal | None = None,
    labs: list[Laboratory] | None = None,
    class_weights: dict[str, float] | None = None,
    inspectors_per_task: int = 2,
    is_demo: bool = False,
) -> SamplingPlan:
    """``class_weights``: relative draw weight per credit risk class (A–D), the city's
    configuration of 国市监信发〔2022〕6号's sampling ratios; empty means the defaults."""
    if actor is not None and not is_office(actor):
        if not any(
            m.organisation_id == organiser.pk
            and m.role in (Role.DEPARTMENT_OFFICER, Role.DISTRICT_OFFICER)
            for m in Membership.objects.filter(user=actor)
        ):
            raise PermissionDenied(_(ERR_NOT_ORGANISER))
        if has_role(actor, {Role.DISTRICT_OFFICER}) and level != SamplingPlan.Level.DISTRICT:
            raise ValidationError(_(ERR_DISTRICT_LEVEL))
    if ends_on < starts_on:
        raise ValidationError(_(ERR_PLAN_PERIOD))
    if starts_on.year != year or ends_on.year != year:
        raise ValidationError(_(ERR_PLAN_YEAR) % {"year": year})
    weights = dict(class_weights or {})
    if any(k not in "ABCD" or len(k) != 1 for k in weights) or any(
        not 0 < float(v) <= 1 for v in weights.values()
    ):
        raise ValidationError(_(ERR_WEIGHTS))
    if inspectors_per_task < 2:
        # 行政处罚法 Art. 42: at least two law-enforcement officers.
        raise ValidationError(_(ERR_TWO_INSPECTORS))
    with transaction.atomic():
        plan = SamplingPlan(
            code=code,
            title=title,
            year=year,
            level=level,
            organiser=organiser,
            starts_on=starts_on,
            ends_on=ends_on,
            budget=budget,
            class_weights={k: float(v) for k, v in sorted(weights.items())},
            inspectors_per_task=inspectors_per_task,
            is_demo=is_demo,
            created_by=actor,
        )
        plan.full_clean()
        plan.save()
        if labs:
            plan.labs.set(labs)
        audit_record(actor=actor, action="sampling_plan.create", obj=plan, after=_plan_facts(plan))
    return plan


def _plan_facts(plan: SamplingPlan) -> dict[str, Any]:
    return {
        "code": plan.code,
        "title": plan.title,
        "year": plan.year,
        "level": plan.level,
        "organiser": plan.organiser.key,
        "period": [plan.starts_on.isoformat(), plan.ends_on.isoformat()],
        "budget": str(plan.budget) if plan.budget is not None else None,
        "labs": sorted(lab.name for lab in plan.labs.all()),
        "class_weights": plan.class_weights,
        "inspectors_per_task": plan.inspectors_per_task,
    }


def quota_set(
    *,
    actor: Any,
    plan: SamplingPlan,
    category: ProductCategory,
    district: Division,
    batches: int,
) -> PlanQuota | None:
    """Set the number of batches for one stratum (0 removes it)."""
    require_plan_manager(actor, plan)
    if Draw.objects.filter(plan=plan).exists():
        raise ValidationError(_(ERR_PLAN_DRAWN))
    if (
        actor is not None
        and not is_office(actor)
        and plan.level == SamplingPlan.Level.DISTRICT
        and district.code not in district_codes_of(actor)
        and not has_role(actor, {Role.DEPARTMENT_OFFICER})
    ):
        raise ValidationError(_(ERR_QUOTA_DISTRICT) % {"district": district.name})
    with transaction.atomic():
        found = PlanQuota.objects.filter(plan=plan, category=category, district=district).first()
        before = found.batches if found else 0
        if batches <= 0:
            if found:
                found.delete()
            quota = None
        else:
            quota, _created = PlanQuota.objects.update_or_create(
                plan=plan, category=category, district=district, defaults={"batches": batches}
            )
        if before != max(batches, 0):
            audit_record(
                actor=actor,
                action="sampling_plan.quota",
                obj=plan,
                before={"stratum": f"{category.code}|{district.code}", "batches": before},
                after={"stratum": f"{category.code}|{district.code}", "batches": max(batches, 0)},
            )
    return quota


# --- the draw ---------------------------------------------------------------------------


@dataclass
class DrawInputs:
    quotas: dict[str, int]
    candidates: list[dict[str, Any]]
    excluded: list[dict[str, str]]
    class_weights: dict[str, float]
    inspectors: list[str]
    inspectors_per_task: int
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "quotas": self.quotas,
            "candidates": self.candidates,
            "excluded": self.excluded,
            "class_weights": self.class_weights,
            "unclassified_weight": drawlib.UNCLASSIFIED_WEIGHT,
            "inspectors": self.inspectors,
            "inspectors_per_task": self.inspectors_per_task,
        }


def risk_classes_of(enterprise_ids: list[int]) -> dict[int, str]:
    """Credit risk class (A–D) of each enterprise that has one (the credit system,
    DESIGN.md S15); an enterprise without one draws as unclassified
    (``UNCLASSIFIED_WEIGHT``). The draw records the classes it used."""
    from zhiliang.credit.services import risk_classes

    return risk_classes(enterprise_ids)


def _candidates_for(quota: PlanQuota) -> list[Enterprise]:
    category = quota.category
    prefixes = category.industries.split()
    qs = Enterprise.objects.filter(district=quota.district, status=Enterprise.Status.ACTIVE)
    if prefixes:
        match = Q()
        for prefix in prefixes:
            match |= Q(industry__startswith=prefix)
        return list(qs.filter(match))
    # No industry mapping for this category: the enterprises already known to make or
    # sell it (earlier samples) are the population.
    return list(
        qs.filter(
            Q(samples_made__category=category) | Q(samples_taken__category=category)
        ).distinct()
    )


def _higher_level_exclusions(plan: SamplingPlan, quotas: list[PlanQuota]) -> dict[str, str]:
    """(stratum|uscc) -> reason: products a higher level samples in an overlapping period
    may not be sampled again at this level (产品质量法 Art. 15)."""
    rank = SamplingPlan.LEVEL_RANK[SamplingPlan.Level(plan.level)]
    higher = [level for level, r in SamplingPlan.LEVEL_RANK.items() if r > rank]
    overlapping = SamplingPlan.objects.filter(
        level__in=higher, starts_on__lte=plan.ends_on, ends_on__gte=plan.starts_on
    ).exclude(pk=plan.pk)
    categories = {q.category_id for q in quotas}
    out: dict[str, str] = {}
    rows = Assignment.objects.filter(plan__in=overlapping, category_id__in=categories).values_list(
        "category__code", "enterprise__uscc", "plan__code"
    )
    samples = Sample.objects.filter(plan__in=overlapping, category_id__in=categories).values_list(
        "category__code", "producer__uscc", "plan__code"
    )
    for code, uscc, plan_code in [*rows, *samples]:
        if uscc:
            out[f"{code}|{uscc}"] = f"art15:{plan_code}"
    return out


def draw_inputs(plan: SamplingPlan) -> DrawInputs:
    quotas = list(PlanQuota.objects.filter(plan=plan).select_related("category", "district"))
    barred = _higher_level_exclusions(plan, quotas)
    candidates: list[dict[str, Any]] = []
    excluded: list[dict[str, str]] = []
    for quota in quotas:
        people = _candidates_for(quota)
        classes = risk_classes_of([e.pk for e in people])
        for e in sorted(people, key=lambda e: e.uscc):
            reason = barred.get(f"{quota.category.code}|{e.uscc}")
            if reason:
                excluded.append({"stratum": quota.stratum, "key": e.uscc, "reason": reason})
            else:
                candidates.append(
                    {"stratum": quota.stratum, "key": e.uscc, "risk_class": classes.get(e.pk)}
                )
    inspector_ids = (
        Membership.objects.filter(role=Role.INSPECTOR)
        .filter(Q(organisation=plan.organiser) | Q(organisation__parent=plan.organiser))
        .values_list("user__username", flat=True)
    )
    weights = plan.class_weights or dict(drawlib.DEFAULT_CLASS_WEIGHTS)
    return DrawInputs(
        quotas={q.stratum: q.batches for q in quotas},
        candidates=candidates,
        excluded=excluded,
        class_weights={k: float(v) for k, v in sorted(weights.items())},
        inspectors=sorted(set(inspector_ids)),
        inspectors_per_task=plan.inspectors_per_task,
    )


def draw_compute(inputs: dict[str, Any], seed: int) -> dict[str, Any]:
    """The draw as a pure function of its recorded inputs: what verification re-runs."""
    result = drawlib.draw(
        [
            drawlib.Candidate(key=c["key"], stratum=c["stratum"], risk_class=c["risk_class"])
            for c in inputs["candidates"]
        ],
        inputs["quotas"],
        seed,
        class_weights=inputs["class_weights"],
    )
    tasks = [f"{stratum}|{key}" for stratum, keys in result.chosen.items() for key in keys]
    inspectors = drawlib.draw_inspectors(
        inputs["inspectors"], tasks, seed, per_task=inputs["inspectors_per_task"]
    )
    return {
        "chosen": result.chosen,
        "shortfalls": result.shortfalls,
        "inspectors": inspectors,
    }


@transaction.atomic
def draw_run(*, actor: Any, plan: SamplingPlan, seed: int) -> Draw:
    require_plan_manager(actor, plan)
    plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
    existing = Draw.objects.filter(plan=plan).first()
    if existing is not None:
        raise ValidationError(
            _(ERR_ALREADY_DRAWN)
            % {"when": existing.drawn_at.date().isoformat(), "seed": existing.seed}
        )
    inputs = draw_inputs(plan)
    if not inputs.quotas:
        raise ValidationError(_(ERR_NO_QUOTAS))
    if not inputs.inspectors:
        raise ValidationError(_(ERR_NO_INSPECTORS) % {"org": plan.organiser.name})
    if len(inputs.inspectors) < inputs.inspectors_per_task:
        # lib/draw.py would hand every task the whole (too small) pool; a check needs at
        # least two officers (行政处罚法 Art. 42), so the draw is refused instead.
        raise ValidationError(
            _(ERR_TOO_FEW_INSPECTORS)
            % {
                "org": plan.organiser.name,
                "count": len(inputs.inspectors),
                "needed": inputs.inspectors_per_task,
            }
        )
    data = inputs.as_json()
    result = draw_compute(data, seed)
    record = Draw.objects.create(
        plan=plan,
        seed=seed,
        inputs=data,
        result=result,
        digest=drawlib.inputs_digest(data),
        drawn_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _assignments_create(plan, result)
    audit_record(
        actor=actor,
        action="sampling_plan.draw",
        obj=plan,
        after={
            "seed": seed,
            "digest": record.digest,
            "chosen": sum(len(v) for v in result["chosen"].values()),
            "shortfalls": result["shortfalls"],
        },
    )
    return record


def _assignments_create(plan: SamplingPlan, result: dict[str, Any]) -> None:
    categories = {c.code: c for c in ProductCategory.objects.filter(plan_quotas_codes(plan))}
    usccs = [key for keys in result["chosen"].values() for key in keys]
    enterprises = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=usccs)}
    people = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in={n for names in result["inspectors"].values() for n in names}
        )
    }
    for stratum in sorted(result["chosen"]):
        code, district = stratum.split("|")
        for key in result["chosen"][stratum]:
            assignment = Assignment.objects.create(
                plan=plan,
                category=categories[code],
                district_id=district,
                enterprise=enterprises[key],
            )
            assignment.inspectors.set([people[n] for n in result["inspectors"][f"{stratum}|{key}"]])


def plan_quotas_codes(plan: SamplingPlan) -> Q:
    return Q(pk__in=PlanQuota.objects.filter(plan=plan).values("category_id"))


@dataclass
class DrawCheck:
    same_result: bool
    same_assignments: bool
    digest_ok: bool

    @property
    def ok(self) -> bool:
        return self.same_result and self.same_assignments and self.digest_ok


def draw_verify(*, plan: SamplingPlan) -> DrawCheck:
    """Re-run the recorded draw from its inputs and seed, and compare with what was stored
    and with the assignments in the database."""
    record = Draw.objects.get(plan=plan)
    again = draw_compute(record.inputs, record.seed)
    stored = {
        f"{a.category.code}|{a.district_id}|{a.enterprise.uscc}": sorted(
            u.username for u in a.inspectors.all()
        )
        for a in Assignment.objects.filter(plan=plan)
        .select_related("category", "enterprise")
        .prefetch_related("inspectors")
    }
    expected = {
        f"{stratum}|{key}": again["inspectors"][f"{stratum}|{key}"]
        for stratum, keys in again["chosen"].items()
        for key in keys
    }
    return DrawCheck(
        same_result=again == record.result,
        same_assignments=stored == expected,
        digest_ok=drawlib.inputs_digest(record.inputs) == record.digest,
    )
