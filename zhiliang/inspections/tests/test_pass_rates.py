"""合格率 = passed batches / tested batches, with the Wilson 95 % interval, against
hand-computed examples; groupings; the command's CSV; the plan's two targets."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from math import sqrt

import pytest
from django.core.management import call_command

from zhiliang.inspections.models import PassTally, ProductCategory
from zhiliang.inspections.selectors import pass_rate_total, pass_rates, target_rates
from zhiliang.inspections.services.importing import samples_import
from zhiliang.inspections.services.tallies import tally_rebuild
from zhiliang.inspections.tests import factories as f
from zhiliang.lib.samplegen import HEADER
from zhiliang.plans.models import Target

Z95 = 1.959963984540054  # the 97.5 % point of the standard normal distribution


def wilson_by_hand(passed: int, tested: int) -> tuple[float, float]:
    """E. B. Wilson (1927): (p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n)."""
    p = passed / tested
    centre = (p + Z95**2 / (2 * tested)) / (1 + Z95**2 / tested)
    half = Z95 * sqrt(p * (1 - p) / tested + Z95**2 / (4 * tested**2)) / (1 + Z95**2 / tested)
    return max(0.0, centre - half), min(1.0, centre + half)


def percent_row(group: str, passed: int, tested: int) -> list[str]:
    low, high = wilson_by_hand(passed, tested)
    return [group, str(tested), str(passed)] + [
        f"{100 * x:.2f}" for x in (passed / tested, low, high)
    ]


_numbers = iter(range(1_000, 100_000))


def _row(
    no,
    *,
    category="IND23-02",
    sampled_in=f.YUZHONG,
    made_in=f.YUZHONG,
    channel="流通",
    passed=True,
    year=2025,
):
    if made_in:
        producer = ["某制造企业", f.uscc(made_in, next(_numbers)), made_in]
    else:
        producer = ["/", "", ""]
    return [
        no,
        category,
        "样品",
        "",
        "",
        "某商场",
        f.uscc(sampled_in, next(_numbers)),
        *producer,
        sampled_in,
        channel,
        f"{year}-03-03",
        "某检验机构",
        "合格" if passed else "不合格",
        "" if passed else "标签",
        f"R-{no}",
        f"{year}-03-20",
    ]


def _load(tmp_path, rows, name="rates.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    outcome = samples_import(path=path, file_name=name, actor=None)
    assert outcome.ok, outcome.problems[:3]


@pytest.fixture
def six(registry, tmp_path):
    """Six batches of 2025 (plus one of 2024 that must not count)."""
    _load(
        tmp_path,
        [
            _row("A", channel="生产"),
            _row("B", made_in=f.WANZHOU, passed=False),
            _row("C", category="FARM-34", made_in=""),
            _row("D", sampled_in=f.WANZHOU, made_in=f.WANZHOU, channel="生产"),
            _row(
                "E",
                category="FARM-34",
                sampled_in=f.WANZHOU,
                made_in="",
                channel="电商",
                passed=False,
            ),
            _row("F", category="FARM-34", sampled_in=f.WANZHOU, made_in=""),
            _row("OLD", year=2024, passed=False),
        ],
    )


def _counts(rows):
    return [(r.group, r.tested, r.passed) for r in rows]


def test_the_worked_example_497_of_555(registry, tmp_path):
    """DOMAIN.md §3: 497 / 555 = 89.55 %, 不合格率 10.45 %."""
    rows = [_row(f"W-{i}", passed=i >= 58) for i in range(555)]
    _load(tmp_path, rows)
    (row,) = pass_rates(year=2025, by="sampling_district")
    assert (row.group, row.label, row.tested, row.passed) == ("500103", "渝中区", 555, 497)
    low, high = wilson_by_hand(497, 555)
    assert row.rate == pytest.approx(497 / 555) and row.interval == pytest.approx((low, high))
    assert row.percent() == ("89.55", "86.73", "91.83")
    assert f"{100 * (1 - row.rate):.2f}" == "10.45"


@pytest.mark.parametrize(
    "passed, tested, expected",
    [
        (2, 3, ("66.67", "20.77", "93.85")),
        (1, 1, ("100.00", "20.65", "100.00")),
        (0, 2, ("0.00", "0.00", "65.76")),
        (9, 10, ("90.00", "59.58", "98.21")),
    ],
)
def test_small_groups_keep_wide_honest_intervals(registry, passed, tested, expected):
    PassTally.objects.create(
        year=2025,
        category=ProductCategory.objects.get(code="IND23-02"),
        place="sampled",
        region=f.YUZHONG,
        channel="circulation",
        tested=tested,
        passed=passed,
    )
    (row,) = pass_rates(year=2025, by="channel")
    assert row.percent() == expected
    assert list(row.percent()) == percent_row("x", passed, tested)[3:]


def test_it_groups_by_each_dimension(six):
    assert _counts(pass_rates(year=2025, by="sampling_district")) == [
        ("500101", 3, 2),
        ("500103", 3, 2),
    ]
    assert _counts(pass_rates(year=2025, by="producer_district")) == [
        ("", 3, 2),
        ("500101", 2, 1),
        ("500103", 1, 1),
    ]
    assert _counts(pass_rates(year=2025, by="category")) == [("FARM-34", 3, 2), ("IND23-02", 3, 2)]
    assert _counts(pass_rates(year=2025, by="channel")) == [
        ("circulation", 3, 2),
        ("ecommerce", 1, 0),
        ("production", 2, 2),
    ]
    assert _counts(pass_rates(year=2024, by="channel")) == [("circulation", 1, 0)]
    labels = [r.label for r in pass_rates(year=2025, by="producer_district")]
    assert labels == ["未标明生产者", "重庆市万州区", "重庆市渝中区"]
    total = pass_rate_total(year=2025)
    assert (total.tested, total.passed) == (6, 4)
    with pytest.raises(ValueError, match="unknown grouping"):
        pass_rates(year=2025, by="enterprise")


def test_a_district_officer_sees_only_their_districts_figures(six, users):
    district = users["district"]  # 渝中区
    assert _counts(pass_rates(year=2025, by="sampling_district", user=district)) == [
        ("500103", 3, 2)
    ]
    assert _counts(pass_rates(year=2025, by="producer_district", user=district)) == [
        ("500103", 1, 1)
    ]
    assert _counts(pass_rates(year=2025, by="channel", user=district)) == [
        ("circulation", 2, 1),
        ("production", 1, 1),
    ]
    total = pass_rate_total(year=2025, user=district)
    assert (total.tested, total.passed) == (3, 2)
    # The 万州区 officer sees the batch made in 万州区 and sampled in 渝中区 (B).
    assert _counts(pass_rates(year=2025, by="producer_district", user=users["other_district"])) == [
        ("500101", 2, 1)
    ]
    assert _counts(pass_rates(year=2025, by="channel", user=users["department"])) == [
        ("circulation", 3, 2),
        ("ecommerce", 1, 0),
        ("production", 2, 2),
    ]


def _command(*args):
    out = io.StringIO()
    call_command("inspections", *args, stdout=out)
    return out.getvalue()


def test_the_pass_rates_command_prints_csv(six):
    out = _command("pass-rates", "--year", "2025", "--by", "channel", "--format", "csv")
    assert list(csv.reader(io.StringIO(out))) == [
        ["group", "tested", "passed", "pass_rate", "ci_low", "ci_high"],
        percent_row("流通", 2, 3),
        percent_row("电商", 0, 1),
        percent_row("生产", 2, 2),
    ]
    assert out.splitlines()[1] == "流通,3,2,66.67,20.77,93.85"
    out = _command("pass-rates", "--year", "2025", "--by", "category")
    assert out.splitlines()[1:] == [
        ",".join(percent_row("FARM-34 蔬菜", 2, 3)),
        ",".join(percent_row("IND23-02 家用电器及电器附件", 2, 3)),
    ]
    assert _command("pass-rates", "--year", "2030", "--by", "channel") == (
        "group,tested,passed,pass_rate,ci_low,ci_high\n"
    )


def test_retally_rebuilds_the_same_cells(six):
    before = sorted(
        PassTally.objects.values_list(
            "year",
            "category_id",
            "place",
            "region",
            "channel",
            "tested",
            "passed",
        )
    )
    PassTally.objects.update(tested=99)
    assert _command("retally") == f"tally cells rebuilt: {len(before)}\n"
    after = sorted(
        PassTally.objects.values_list(
            "year",
            "category_id",
            "place",
            "region",
            "channel",
            "tested",
            "passed",
        )
    )
    assert after == before == sorted(before)
    assert tally_rebuild() == len(before)


# --- the plan's targets (measure 十四) ----------------------------------------------------------


@pytest.fixture
def target_data(seed_plan, tmp_path):
    rows = []
    # Made in 渝中区: 9 of 10 pass (90 %), four of them sampled in 万州区.
    rows += [
        _row(f"M-YZ-{i}", sampled_in=f.WANZHOU if i < 4 else f.YUZHONG, passed=i != 9)
        for i in range(10)
    ]
    # Made in 万州区: 8 of 10.
    rows += [
        _row(f"M-WZ-{i}", sampled_in=f.WANZHOU, made_in=f.WANZHOU, passed=i < 8) for i in range(10)
    ]
    # Made in 成都, sampled in 渝中区 shops, all failed: not the city's manufacturing.
    rows += [_row(f"M-CD-{i}", made_in=f.CHENGDU_WUHOU, passed=False) for i in range(5)]
    # Farm products monitored in 渝中区: 47 of 50 = 94 % exactly; in 万州区 9 of 10.
    rows += [_row(f"F-YZ-{i}", category="FARM-34", made_in="", passed=i >= 3) for i in range(50)]
    rows += [
        _row(f"F-WZ-{i}", category="FARM-35", sampled_in=f.WANZHOU, made_in="", passed=i > 0)
        for i in range(10)
    ]
    # Processed food counts toward neither target.
    rows += [_row(f"FOOD-{i}", category="0801", made_in="", passed=False) for i in range(5)]
    _load(tmp_path, rows)
    targets = list(Target.objects.filter(item__plan=seed_plan, text__contains="合格率"))
    by_kind = {("manufactured" if "制造业" in t.text else "farm"): t for t in targets}
    assert len(by_kind) == 2
    assert (by_kind["manufactured"].value, by_kind["manufactured"].comparator) == (
        Decimal("90"),
        ">=",
    )
    assert (by_kind["farm"].value, by_kind["farm"].comparator) == (Decimal("94"), ">=")
    return by_kind


def _summary(rates):
    return [(r.year, r.district, r.row.tested, r.row.passed, r.met) for r in rates]


def test_the_two_targets_are_met_or_not_per_district_and_city(target_data):
    rates = target_rates(list(target_data.values()))
    made = target_data["manufactured"]
    # City: 渝中区 9/10 and 万州区 8/10 = 17/20 = 85 % (成都 batches left out): not met.
    assert _summary(rates[made.pk]) == [
        (2025, "", 20, 17, False),
        (2025, "500101", 10, 8, False),
        (2025, "500103", 10, 9, True),  # exactly 90 %: met
    ]
    farm = target_data["farm"]
    assert _summary(rates[farm.pk]) == [
        (2025, "", 60, 56, False),  # 93.33 %
        (2025, "500101", 10, 9, False),
        (2025, "500103", 50, 47, True),  # exactly 94 %: met
    ]
    city = rates[farm.pk][0]
    assert city.label == "全市" and city.row.percent()[0] == "93.33"


def test_a_district_officer_sees_their_districts_target_rows(target_data, users):
    rates = target_rates(list(target_data.values()), users["district"])
    assert _summary(rates[target_data["manufactured"].pk]) == [(2025, "500103", 10, 9, True)]
    assert _summary(rates[target_data["farm"].pk]) == [(2025, "500103", 50, 47, True)]


def test_a_target_with_no_batches_is_neither_met_nor_missed(seed_plan):
    assert target_rates(list(Target.objects.filter(item__plan=seed_plan))) == {}


# --- the catalogue on the command line ---------------------------------------------------------


def test_the_categories_command_prints_code_name_kind(db):
    out = _command("categories")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["code", "name", "kind"]
    assert len(rows) == ProductCategory.objects.count() + 1 == 165
    assert ["FARM-34", "蔬菜", "farm"] in rows
    assert ["IND23-02", "家用电器及电器附件", "manufactured"] in rows
    assert ["0801", "饼干", "food"] in rows
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])
    err = io.StringIO()
    call_command("inspections", "categories", "--load", stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == "catalogue: 0 added, 0 updated\n"
