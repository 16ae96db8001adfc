"""Small builders for the inspection tests: categories with industries, enterprises with
well-formed (made-up) credit codes, extra inspectors, and samples through the steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from zhiliang.accounts.models import Membership, Role
from zhiliang.inspections.models import Laboratory, ProductCategory, Sample
from zhiliang.inspections.services import samples as svc
from zhiliang.lib.samplegen import fake_uscc
from zhiliang.registry.models import Division, Enterprise, Organisation

YUZHONG = "500103"  # 渝中区, the ``district`` persona's district
WANZHOU = "500101"  # 万州区, the ``other_district`` persona's district
CHENGDU_WUHOU = "510107"  # outside the city

_counter = iter(range(10_000, 10**8))


def category(code: str = "IND23-02", industries: str = "") -> ProductCategory:
    cat = ProductCategory.objects.get(code=code)
    if industries:
        cat.industries = industries
        cat.save(update_fields=["industries"])
    return cat


def uscc(region: str = YUZHONG, number: int | None = None) -> str:
    return fake_uscc(region, next(_counter) if number is None else number)


def enterprise(
    district: str = YUZHONG,
    *,
    number: int | None = None,
    industry: str = "",
    name: str = "",
    status: str = "active",
) -> Enterprise:
    code = uscc(district, number)
    return Enterprise.objects.create(
        uscc=code,
        name=name or f"测试企业{code[-6:]}",
        district_id=district,
        region=district,
        industry=industry,
        status=status,
    )


def inspectors(count: int, org_key: str = "cq-zjj") -> list[Any]:
    User = get_user_model()
    org = Organisation.objects.get(key=org_key)
    made = []
    for i in range(count):
        user = User.objects.create_user(username=f"insp-{org_key}-{i}", password="x")
        Membership.objects.create(user=user, organisation=org, role=Role.INSPECTOR)
        made.append(user)
    return made


def lab(name: str = "重庆市产品质量监督检验研究院") -> Laboratory:
    return Laboratory.objects.get_or_create(name=name)[0]


def sample_input(
    *,
    sample_no: str = "CQ-2025-0001",
    cat: ProductCategory | None = None,
    district: str = YUZHONG,
    producer_region: str = YUZHONG,
    sampled_on: dt.date = dt.date(2025, 3, 3),
    channel: str = Sample.Channel.CIRCULATION,
    party_uscc: str = "",
    producer_uscc: str | None = None,
) -> svc.SampleInput:
    return svc.SampleInput(
        sample_no=sample_no,
        category=cat or category(),
        product_name="电热水壶",
        sampled_party_uscc=party_uscc or uscc(district),
        sampled_party_name="重庆某商场有限公司",
        sampled_party_role="producer" if channel == Sample.Channel.PRODUCTION else "seller",
        sampling_district=Division.objects.get(code=district),
        channel=channel,
        sampled_on=sampled_on,
        producer_name="某电器制造有限公司" if producer_region else "",
        producer_uscc=(uscc(producer_region) if producer_region else "")
        if producer_uscc is None
        else producer_uscc,
        producer_region=producer_region,
        model="SWF-17",
        batch="20250101",
    )


def failed_sample(
    actor: Any = None,
    *,
    reported_on: dt.date = dt.date(2025, 3, 20),
    **kwargs: Any,
) -> Sample:
    sample = svc.sample_record(actor=actor, data=sample_input(**kwargs))
    return svc.sample_report(
        actor=actor,
        sample=sample,
        lab=lab(),
        report_no="R-" + sample.sample_no,
        reported_on=reported_on,
        conclusion=Sample.Conclusion.FAIL,
        failed_items="电气强度",
    )
