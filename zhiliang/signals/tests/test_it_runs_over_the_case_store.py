"""``zhiliang signals run``: the case store's weekly series per product category ×
district, a planted spike found and stored once, repeated runs harmless, bad options
refused. All cases here are GENERATED for the test."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhiliang.inspections.models import ProductCategory
from zhiliang.registry.models import Organisation
from zhiliang.signals.models import DetectionRun, Signal
from zhiliang.signals.selectors import weekly_series
from zhiliang.surveillance.models import InjuryCase

FIRST = dt.date(2025, 6, 2)  # a Monday
WEEKS = 20


@pytest.fixture
def store(registry):
    """Two hospitals; 20 weeks of background cases (about 4 a week for two product
    categories at each); in the last week 25 more cases of one category at one hospital."""
    hospitals = [
        Organisation.objects.create(
            key=f"hospital-{code}",
            name=f"测试医院{code}（生成数据）",
            kind=Organisation.Kind.HOSPITAL,
            division_id=code,
            parent=Organisation.objects.get(key=f"district-{code}"),
        )
        for code in ("500103", "500101")
    ]
    categories = list(ProductCategory.objects.order_by("code")[:2])
    rng = random.Random(3)
    cases = []
    for week in range(WEEKS):
        for h in hospitals:
            for c in categories:
                extra = (
                    25 if (week == WEEKS - 1 and h is hospitals[0] and c is categories[0]) else 0
                )
                for _ in range(rng.randint(3, 5) + extra):
                    cases.append(
                        InjuryCase(
                            reporter=h,
                            case_number=f"{h.pk}-{len(cases)}",
                            visit_date=FIRST + dt.timedelta(weeks=week, days=rng.randrange(7)),
                            product_1_category=c,
                            psu=h.key,
                        )
                    )
    # one case with two products counts under both; one without a product under "-"
    cases.append(
        InjuryCase(
            reporter=hospitals[1],
            case_number="two",
            visit_date=FIRST,
            product_1_category=categories[0],
            product_2_category=categories[1],
        )
    )
    cases.append(InjuryCase(reporter=hospitals[1], case_number="none", visit_date=FIRST))
    InjuryCase.objects.bulk_create(cases)
    return hospitals, categories


def test_the_series_count_cases_by_week_category_and_district(store):
    hospitals, categories = store
    data = weekly_series(through=FIRST + dt.timedelta(weeks=WEEKS - 1, days=3), weeks=WEEKS)
    assert data.first_week == FIRST and data.counts.shape[1] == WEEKS
    keys = {s.key: i for i, s in enumerate(data.series)}
    spiked = keys[f"category={categories[0].code}|district=500103"]
    assert data.counts[spiked, -1] >= 28
    assert data.counts.sum() == InjuryCase.objects.count() + 1  # the two-product case twice
    assert data.counts[keys["category=-|district=500101"], 0] == 1


def test_a_run_finds_the_planted_spike_once(store, capsys):
    hospitals, categories = store
    through = (FIRST + dt.timedelta(weeks=WEEKS - 1)).isoformat()
    call_command("signals", "run", "--method", "ears-c2", "--through", through, "--weeks", "20")
    out = capsys.readouterr().out
    assert "ears-c2:" in out and "new signals" in out
    signal = Signal.objects.get(category=categories[0].code, district="500103")
    assert signal.week == FIRST + dt.timedelta(weeks=WEEKS - 1)
    assert Signal.objects.filter(week__lt=signal.week).count() == 0  # only the last week
    call_command("signals", "run", "--method", "ears-c2", "--through", through, "--weeks", "20")
    assert Signal.objects.filter(category=categories[0].code, district="500103").count() == 1
    assert DetectionRun.objects.count() == 2
    assert DetectionRun.objects.order_by("pk").last().alarms == 0


def test_farrington_without_five_years_decides_nothing(store):
    through = (FIRST + dt.timedelta(weeks=WEEKS - 1)).isoformat()
    call_command("signals", "run", "--method", "farrington", "--through", through, "--weeks", "20")
    assert not Signal.objects.exists()
    assert DetectionRun.objects.get().method == "farrington"


@pytest.mark.parametrize(
    "args",
    [
        ["--method", "nope"],
        ["--method", "ears-c1", "--method", "ears-c2", "--param", "alpha=0.01"],
        ["--method", "ears-c1", "--param", "bogus=1"],
        ["--weeks", "1"],
        ["--recent", "30", "--weeks", "20"],
        ["--method", "cusum"],  # needs training_weeks
    ],
)
def test_bad_options_are_refused(store, args):
    with pytest.raises(CommandError):
        call_command("signals", "run", *args)
    assert not DetectionRun.objects.exists()
