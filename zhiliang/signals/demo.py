"""Demo injury surveillance: two sentinel hospitals, 30 weeks of cases and one planted
spike, run through the detector so that the signal inbox has something to triage.

Everything here is DEMO DATA and says so: the hospitals' names end with （演示数据）,
case numbers begin with DEMO-, narratives begin with 【演示数据】, the detection run's
source says 演示数据, and every page shows the demo banner. The counts are GENERATED
(seeded Poisson weeks), not anyone's injuries.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from zhiliang.accounts.audit import audit_record
from zhiliang.accounts.models import Role
from zhiliang.inspections.models import ProductCategory
from zhiliang.registry.models import Organisation
from zhiliang.signals.selectors import monday_of, weekly_series
from zhiliang.signals.services import run_detection
from zhiliang.surveillance.models import InjuryCase

DEMO = "【演示数据】"
DEMO_SUFFIX = "（演示数据）"
HOSPITALS = [
    ("demo-hospital-yuzhong", "重庆市渝中区哨点医院" + DEMO_SUFFIX, "500103"),
    ("demo-hospital-nanan", "重庆市南岸区哨点医院" + DEMO_SUFFIX, "500108"),
]
WEEKS = 30
#: categories with background cases (the first, 儿童用品, gets the spike), if the catalogue
#: has them
CATEGORIES = ["IND23-06", "IND23-02", "IND23-05"]
BACKGROUND = (3, 7)  # cases a week per category and hospital, uniformly
SPIKE = 22  # extra cases in the last full week, first category, first hospital
STORIES = {
    "background": "就诊病例",
    "spike": "儿童使用该类产品时被夹伤手指",
}


def signals_demo_load(today: dt.date | None = None) -> dict[str, str]:
    """Load once (keyed on the first demo hospital); returns passwords of users it made."""
    if Organisation.objects.filter(key=HOSPITALS[0][0]).exists():
        return {}
    from zhiliang.plans.demo import _user

    today = today or timezone.localdate()
    last = monday_of(today) - dt.timedelta(weeks=1)  # the last full week
    first = last - dt.timedelta(weeks=WEEKS - 1)
    found = {c.code: c for c in ProductCategory.objects.filter(code__in=CATEGORIES)}
    categories = [found[code] for code in CATEGORIES if code in found] or list(
        ProductCategory.objects.order_by("code")[:3]
    )
    passwords: dict[str, str] = {}
    with transaction.atomic():
        hospitals = [
            Organisation.objects.create(
                key=key,
                name=name,
                kind=Organisation.Kind.HOSPITAL,
                division_id=district,
                parent=Organisation.objects.filter(key=f"district-{district}").first(),
            )
            for key, name, district in HOSPITALS
        ]
        _user("demo-hospital", hospitals[0].key, Role.HOSPITAL_REPORTER, passwords)
        rng = random.Random(2026)
        cases: list[InjuryCase] = []
        for week in range(WEEKS):
            for h, hospital in enumerate(hospitals):
                for c, category in enumerate(categories):
                    spike = week == WEEKS - 1 and h == 0 and c == 0
                    n = rng.randint(*BACKGROUND) + (SPIKE if spike else 0)
                    for _ in range(n):
                        cases.append(
                            InjuryCase(
                                reporter=hospital,
                                case_number=f"DEMO-{hospital.pk}-{len(cases) + 1}",
                                visit_date=first + dt.timedelta(weeks=week, days=rng.randrange(7)),
                                age_years=rng.randint(1, 80),
                                product_1_category=category,
                                narrative=DEMO + STORIES["spike" if spike else "background"],
                                psu=hospital.key,
                            )
                        )
        InjuryCase.objects.bulk_create(cases, batch_size=2000)
        audit_record(
            actor=None,
            action="surveillance.demo.load",
            object_type="surveillance.injurycase",
            object_repr=f"{len(cases)} demo cases",
            after={"cases": len(cases), "weeks": WEEKS, "first_week": first.isoformat()},
            reason="演示数据",
        )
        data = weekly_series(through=last, weeks=WEEKS, sources=None)
        run_detection(
            method="ears-c2",
            series=data.series,
            counts=data.counts,
            first_week=data.first_week,
            source=data.source + DEMO_SUFFIX,
        )
    return passwords
