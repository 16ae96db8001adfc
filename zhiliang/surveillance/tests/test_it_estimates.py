"""Weighted estimates through the case store: the same numbers as ``lib/estimates.py`` on
the file the cases came from, a hand-worked design, products counted under each of
their categories, and unstable estimates flagged on the page, not hidden."""

from __future__ import annotations

import datetime as dt
import gzip
import math
from pathlib import Path

import numpy as np
import pytest

from zhiliang.inspections.models import ProductCategory
from zhiliang.lib.estimates import weighted_estimates
from zhiliang.lib.neissfile import read_neiss_cases
from zhiliang.surveillance.models import InjuryCase
from zhiliang.surveillance.neiss import neiss_import
from zhiliang.surveillance.selectors import CaseFilter, case_estimates

from .test_it_imports_neiss import INFANTS, needs_shared

DAY = dt.date(2024, 5, 6)


@pytest.fixture
def infants_every_150th(tmp_path: Path) -> Path:
    with gzip.open(INFANTS, "rt", encoding="utf-8") as fh:
        header = next(fh)
        lines = [line for i, line in enumerate(fh) if i % 150 == 0]
    path = tmp_path / "infants_sample.csv"
    path.write_text(header + "".join(lines), encoding="utf-8")
    return path


@needs_shared
def test_it_gives_the_librarys_numbers_for_the_file(users, infants_every_150th):
    assert neiss_import(path=infants_every_150th, actor=None).ok
    table = case_estimates(users["office"], CaseFilter(source="neiss"), ["year", "sex"])
    cases = read_neiss_cases(infants_every_150th)
    year = cases.year
    sex = np.select([cases.sex == "M", cases.sex == "F"], [1, 2], -1)
    strata = np.char.add(year.astype(str), cases.stratum)
    expected = weighted_estimates(cases.weight, strata, cases.psu.astype(str), [year, sex])
    assert len(table.rows) == len(expected) > 40
    labels = {1: "男", 2: "女", -1: "不详"}
    for i, row in enumerate(table.rows):
        assert row.labels == (str(expected.keys[0][i]), labels[int(expected.keys[1][i])])
        assert row.estimate == pytest.approx(expected.estimate[i], rel=1e-12)
        assert row.se == pytest.approx(expected.se[i], rel=1e-9)
        assert row.cases == expected.cases[i]
        assert row.reasons == expected.reasons(i)
    assert table.total_cases == len(cases)


def _case(number, stratum, psu, weight, *, category=None, code="", second=None, **kw):
    return InjuryCase.objects.create(
        case_number=number,
        visit_date=DAY,
        stratum=stratum,
        psu=psu,
        weight=weight,
        product_1_category=category,
        product_1_code=code,
        product_2_category=second,
        **kw,
    )


def test_a_hand_worked_design(users, registry):
    # Stratum A: PSUs a1 (z = 10) and a2 (z = 30): mean 20, Σ(z − z̄)² = 200, × 2/1 = 400.
    # Stratum B: b1 (z = 5) and b2, whose only case is a woman (z = 0 for men): mean
    # 2.5, Σ = 12.5, × 2 = 25. Men: estimate 45, variance 425.
    _case("1", "A", "a1", 10, sex=1)
    _case("2", "A", "a2", 30, sex=1)
    _case("3", "B", "b1", 5, sex=1)
    _case("4", "B", "b2", 7, sex=2)
    table = case_estimates(users["office"], CaseFilter(source="hospital", sex=1), ["sex"])
    [men] = table.rows
    assert (men.labels, men.estimate, men.cases) == (("男",), 45.0, 3)
    assert men.se == pytest.approx(math.sqrt(425))
    assert men.lower == pytest.approx(45 - 1.959963984540054 * math.sqrt(425))
    assert set(men.reasons) == {"estimate_too_small", "too_few_cases", "cv_too_high"}
    assert table.total_cases == 3 and table.psus == 4


def test_a_case_counts_under_each_of_its_categories(users, registry):
    toys = ProductCategory.objects.get(code="IND23-06")
    furniture = ProductCategory.objects.get(code="IND23-03")
    _case("1", "A", "a1", 10, category=toys, second=furniture)
    _case("2", "A", "a2", 20, category=toys)
    _case("3", "A", "a2", 40, code="9999")  # a product no category holds
    _case("4", "A", "a1", 80)  # no product
    table = case_estimates(users["office"], CaseFilter(source="hospital"), ["category"])
    found = {row.labels[0]: (row.estimate, row.cases) for row in table.rows}
    assert found == {
        "IND23-03 家具及建筑装饰装修材料": (10.0, 1),
        "IND23-06 儿童用品": (30.0, 2),
        "其他（未归入类别）": (40.0, 1),
        "未涉及产品": (80.0, 1),
    }
    only_toys = case_estimates(users["office"], CaseFilter(source="hospital", category=toys.pk), [])
    assert [(r.estimate, r.cases) for r in only_toys.rows] == [(30.0, 2)]
    assert only_toys.total_cases == 2


def test_the_page_flags_unstable_estimates_and_still_shows_them(client_as, registry):
    _case("1", "A", "a1", 10, sex=1)
    _case("2", "A", "a2", 3000, sex=2)
    page = client_as("office").get("/surveillance/estimates/?by=sex").content.decode()
    assert "不稳定" in page and "病例少于 20 例" in page and "估计值小于 1,200" in page
    assert ">3000 ※<" in page.replace("\n", "")
