"""Weighted NEISS-style estimates (zhiliang/lib/estimates.py).

Four kinds of test:

1. parity with samplics 0.6.1 ``TaylorEstimator(PopParam.total)`` — totals and domains on
   the real infants file (446,194 cases, 5 strata, 99 hospitals) and on small hand-made
   designs with a single-PSU stratum (``skip`` ↔ ``SinglePSUEst.skip``, ``units`` ↔
   ``SinglePSUEst.certainty``), estimate, SE, CV and the t interval to 1e-9 relative;
2. a design worked by hand, the formula written out;
3. CPSC's published figures: ``product_year_estimates_2010_2021.csv`` has the columns
   ``Product_1, Product_Name, Year, Category, Age, Weight`` — all ages, by product, no
   CV, no interval and no under-2 breakdown, while the infants file has no product
   column. No figure of the one can be compared with the other; the test below only
   pins that layout so that a richer file is noticed;
4. the stability flags at their edges.
"""

from __future__ import annotations

import csv
import gzip
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from zhiliang.lib.estimates import (
    CPSC_MAX_CV,
    REASON_CV_TOO_HIGH,
    REASON_TOO_FEW_CASES,
    REASON_TOO_SMALL,
    WISQARS_MAX_CV,
    Z_95,
    Estimates,
    weighted_estimates,
)
from zhiliang.lib.neissfile import read_neiss_cases

NEISS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "neiss"
INFANTS = NEISS / "infants_under2_2002_2021.csv.gz"
PUBLISHED = NEISS / "product_year_estimates_2010_2021.csv"
needs_neiss = pytest.mark.skipif(not INFANTS.exists(), reason="shared/data/neiss not present")

#: Parity tolerance with samplics (relative).
RELATIVE = 1e-9


# --- reference: samplics ----------------------------------------------------------------


def samplics_totals(
    weight: np.ndarray,
    stratum: np.ndarray,
    psu: np.ndarray,
    domain: np.ndarray | None,
    single_psu: str = "skip",
) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # samplics warns that it is archived (FutureWarning)
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam, SinglePSUEst

        option = {"skip": SinglePSUEst.skip, "units": SinglePSUEst.certainty}[single_psu]
        estimator = TaylorEstimator(PopParam.total)
        estimator.estimate(
            y=np.ones(weight.size),
            samp_weight=weight,
            stratum=stratum,
            psu=psu,
            domain=domain,
            single_psu=option,
        )
    return estimator


def domain_labels(result: Estimates) -> list[str]:
    """Our groups as the string domain labels handed to samplics."""
    return ["|".join(str(k[i]) for k in result.keys) for i in range(len(result))]


def assert_parity(result: Estimates, reference: Any, labels: list[str] | None) -> float:
    """Estimate, SE, CV and t interval equal samplics'; returns the largest relative gap."""
    if labels is None:
        expected = {
            "estimate": [reference.point_est],
            "se": [reference.stderror],
            "cv": [reference.coef_var],
            "lower": [reference.lower_ci],
            "upper": [reference.upper_ci],
        }
    else:
        expected = {
            "estimate": [reference.point_est[k] for k in labels],
            "se": [reference.stderror[k] for k in labels],
            "cv": [reference.coef_var[k] for k in labels],
            "lower": [reference.lower_ci[k] for k in labels],
            "upper": [reference.upper_ci[k] for k in labels],
        }
    assert result.df == reference.degree_of_freedom
    worst = 0.0
    for name, values in expected.items():
        ours = getattr(result, name)
        theirs = np.asarray(values, dtype=float)
        np.testing.assert_allclose(ours, theirs, rtol=RELATIVE, atol=0, err_msg=name)
        gap = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)
        worst = max(worst, float(np.max(gap, initial=0.0)))
    return worst


@pytest.fixture(scope="module")
def infants() -> Any:
    return read_neiss_cases(INFANTS)


@needs_neiss
def test_total_of_the_infants_file_matches_samplics(infants: Any) -> None:
    result = weighted_estimates(infants.weight, infants.stratum, infants.psu, interval="t")
    reference = samplics_totals(infants.weight, infants.stratum, infants.psu, None)
    assert_parity(result, reference, None)
    assert result.cases[0] == 446_194
    assert result.df == 99 - 5


@needs_neiss
@pytest.mark.parametrize("columns", [("year",), ("year", "sex"), ("disposition",)])
def test_domains_of_the_infants_file_match_samplics(infants: Any, columns: tuple[str, ...]) -> None:
    groups = [getattr(infants, c) for c in columns]
    result = weighted_estimates(infants.weight, infants.stratum, infants.psu, groups, interval="t")
    labels = domain_labels(result)
    domain = np.array(["|".join(map(str, row)) for row in zip(*groups, strict=True)])
    reference = samplics_totals(infants.weight, infants.stratum, infants.psu, domain)
    assert_parity(result, reference, labels)
    assert int(result.cases.sum()) == len(infants)


def small_design(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Four strata, the last with a single PSU; hospital numbers repeat across strata."""
    rng = np.random.default_rng(seed)
    n = 400
    stratum = rng.choice(np.array(["S", "M", "L", "C"]), n)
    psu = rng.integers(1, 5, n)
    psu[stratum == "C"] = 7
    weight = rng.uniform(5.0, 90.0, n)
    group = rng.choice(np.array(["stairs", "beds", "toys"]), n, p=[0.6, 0.3, 0.1])
    return weight, stratum, psu, group


@pytest.mark.parametrize("single_psu", ["skip", "units"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_small_designs_with_a_single_psu_stratum_match_samplics(seed: int, single_psu: str) -> None:
    weight, stratum, psu, group = small_design(seed)
    total = weighted_estimates(weight, stratum, psu, single_psu=single_psu, interval="t")  # type: ignore[arg-type]
    assert_parity(total, samplics_totals(weight, stratum, psu, None, single_psu), None)
    by_group = weighted_estimates(
        weight, stratum, psu, (group,), single_psu=single_psu, interval="t"
    )  # type: ignore[arg-type]
    reference = samplics_totals(weight, stratum, psu, group, single_psu)
    assert_parity(by_group, reference, domain_labels(by_group))


# --- a design worked by hand ------------------------------------------------------------
#
# stratum A, 3 PSUs    A1: x 10, y 20   A2: x 30        A3: y 40
# stratum B, 2 PSUs    B1: x 5          B2: x 15, y 25
# stratum C, 1 PSU     C9: x 100, y 60
#
# V = Σ_h n_h/(n_h − 1) Σ_i (z_hi − z̄_h)², z_hi = the group's weight in PSU i of stratum h.
#
# x: A z = (10, 30, 0), z̄ = 40/3, Σ(z − z̄)² = 1000 − 40²/3 = 1400/3, × 3/2 = 700
#    B z = (5, 15), z̄ = 10, Σ = 50, × 2 = 100;  C skipped → V = 800, estimate 160
# y: A z = (20, 0, 40), z̄ = 20, Σ = 800, × 3/2 = 1200
#    B z = (0, 25), z̄ = 12.5, Σ = 312.5, × 2 = 625; C skipped → V = 1825, estimate 145
# all: A (30, 30, 40) → Σ = 200/3, × 3/2 = 100; B (5, 40) → 612.5 × 2 = 1225 → V = 1325
# "units": C's two cases become PSUs: x z = (100, 0) → 5000 × 2 = 10000, V = 10800;
#          y z = (0, 60) → 1800 × 2 = 3600, V = 5425.

HAND_STRATUM = np.array(["A", "A", "A", "A", "B", "B", "B", "C", "C"])
HAND_PSU = np.array([1, 1, 2, 3, 1, 2, 2, 9, 9])
HAND_WEIGHT = np.array([10.0, 20.0, 30.0, 40.0, 5.0, 15.0, 25.0, 100.0, 60.0])
HAND_GROUP = np.array(["x", "y", "x", "y", "x", "x", "y", "x", "y"])


def test_hand_worked_design() -> None:
    result = weighted_estimates(HAND_WEIGHT, HAND_STRATUM, HAND_PSU, (HAND_GROUP,))
    assert list(result.keys[0]) == ["x", "y"]
    np.testing.assert_allclose(result.estimate, [160.0, 145.0], rtol=1e-15)
    np.testing.assert_allclose(result.variance, [800.0, 1825.0], rtol=1e-13)
    np.testing.assert_allclose(result.se, np.sqrt([800.0, 1825.0]), rtol=1e-13)
    np.testing.assert_allclose(result.cv, np.sqrt([800.0, 1825.0]) / [160.0, 145.0], rtol=1e-13)
    np.testing.assert_allclose(result.lower, [160 - Z_95 * 800**0.5, 145 - Z_95 * 1825**0.5])
    np.testing.assert_allclose(result.upper, [160 + Z_95 * 800**0.5, 145 + Z_95 * 1825**0.5])
    assert list(result.cases) == [5, 4]
    assert result.df == 6 - 3

    total = weighted_estimates(HAND_WEIGHT, HAND_STRATUM, HAND_PSU)
    assert total.keys == ()
    np.testing.assert_allclose(total.estimate, [305.0])
    np.testing.assert_allclose(total.variance, [1325.0], rtol=1e-13)


def test_hand_worked_design_with_single_psu_cases_as_units() -> None:
    result = weighted_estimates(
        HAND_WEIGHT, HAND_STRATUM, HAND_PSU, (HAND_GROUP,), single_psu="units"
    )
    np.testing.assert_allclose(result.variance, [10800.0, 5425.0], rtol=1e-13)
    assert result.df == 7 - 3


def test_domain_variance_uses_the_psus_without_cases_of_the_group() -> None:
    # Estimating y from its own cases only would see A as (20, 40) → 200 × 2 = 400 and B
    # and C as one PSU each (skipped): 400 instead of 1825.
    y = HAND_GROUP == "y"
    filtered = weighted_estimates(HAND_WEIGHT[y], HAND_STRATUM[y], HAND_PSU[y])
    np.testing.assert_allclose(filtered.variance, [400.0], rtol=1e-13)
    domain = weighted_estimates(HAND_WEIGHT, HAND_STRATUM, HAND_PSU, (HAND_GROUP,))
    np.testing.assert_allclose(domain.variance[1], 1825.0, rtol=1e-13)


def test_several_grouping_columns_give_every_present_combination() -> None:
    year = np.array([2020, 2020, 2021, 2021, 2020, 2021, 2021, 2020, 2021])
    result = weighted_estimates(HAND_WEIGHT, HAND_STRATUM, HAND_PSU, (year, HAND_GROUP))
    assert list(zip(result.keys[0].tolist(), result.keys[1].tolist(), strict=True)) == [
        (2020, "x"),
        (2020, "y"),
        (2021, "x"),
        (2021, "y"),
    ]
    np.testing.assert_allclose(result.estimate, [115.0, 20.0, 45.0, 125.0])
    assert result.estimate.sum() == pytest.approx(HAND_WEIGHT.sum())


def test_t_interval_uses_psus_minus_strata_degrees_of_freedom() -> None:
    from scipy import stats

    result = weighted_estimates(HAND_WEIGHT, HAND_STRATUM, HAND_PSU, interval="t")
    half = stats.t.ppf(0.975, 3) * np.sqrt(1325.0)
    np.testing.assert_allclose(result.lower, [305.0 - half])
    np.testing.assert_allclose(result.upper, [305.0 + half])


# --- the published CPSC figures ---------------------------------------------------------


@needs_neiss
def test_published_product_year_estimates_have_no_under_two_breakdown() -> None:
    with PUBLISHED.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle))
    # All ages by product; the infants file has no product column. If a CV, interval or
    # age-group column appears here, compare the under-2 figures with the infants file.
    assert header == ["Product_1", "Product_Name", "Year", "Category", "Age", "Weight"]


# --- stability flags --------------------------------------------------------------------


def two_psu_design(a: float, b: float, cases_each: int = 10) -> Estimates:
    """One stratum, two PSUs with totals a and b: estimate a + b, SE = |a − b|."""
    weight = np.r_[np.full(cases_each, a / cases_each), np.full(cases_each, b / cases_each)]
    psu = np.r_[np.zeros(cases_each, int), np.ones(cases_each, int)]
    return weighted_estimates(weight, np.zeros(2 * cases_each, int), psu)


def test_cv_exactly_33_percent_is_stable_and_just_above_is_not() -> None:
    at = two_psu_design(6650.0, 3350.0)
    assert at.cv[0] == 0.33
    assert not at.cv_too_high[0] and not at.unstable[0]
    above = two_psu_design(6651.0, 3349.0)
    assert above.cv_too_high[0] and above.unstable[0]
    assert not above.too_small[0] and not above.too_few_cases[0]


def test_wisqars_threshold_flags_a_cv_of_31_percent() -> None:
    result = two_psu_design(6550.0, 3450.0)  # CV = 3100 / 10000
    assert not result.cv_too_high[0]
    assert CPSC_MAX_CV == 0.33 and WISQARS_MAX_CV == 0.30
    wisqars = weighted_estimates(
        np.r_[np.full(10, 655.0), np.full(10, 345.0)],
        np.zeros(20, int),
        np.r_[np.zeros(10, int), np.ones(10, int)],
        max_cv=WISQARS_MAX_CV,
    )
    assert wisqars.cv_too_high[0]


def test_estimate_of_1200_is_stable_and_just_below_is_too_small() -> None:
    at = two_psu_design(600.0, 600.0)
    assert at.estimate[0] == 1200.0 and not at.too_small[0] and not at.unstable[0]
    below = two_psu_design(600.0, 599.99)
    assert below.too_small[0] and below.unstable[0] and not below.cv_too_high[0]


def test_twenty_cases_are_enough_and_nineteen_are_too_few() -> None:
    twenty = two_psu_design(5000.0, 5000.0, cases_each=10)
    assert list(twenty.cases) == [20] and not twenty.too_few_cases[0]
    weight = np.full(19, 500.0)
    psu = np.r_[np.zeros(10, int), np.ones(9, int)]
    nineteen = weighted_estimates(weight, np.zeros(19, int), psu)
    assert nineteen.too_few_cases[0] and nineteen.unstable[0] and not nineteen.too_small[0]


def test_thresholds_are_parameters() -> None:
    result = two_psu_design(600.0, 600.0)
    lax = weighted_estimates(
        np.full(20, 60.0),
        np.zeros(20, int),
        np.r_[np.zeros(10, int), np.ones(10, int)],
        min_estimate=1500.0,
        min_cases=25,
    )
    assert not result.unstable[0]
    assert lax.too_small[0] and lax.too_few_cases[0]


# --- bad input --------------------------------------------------------------------------


def test_single_psu_error_option_refuses_the_design() -> None:
    with pytest.raises(ValueError, match="single PSU"):
        weighted_estimates(HAND_WEIGHT, HAND_STRATUM, HAND_PSU, single_psu="error")


@pytest.mark.parametrize(
    ("weight", "stratum", "psu", "message"),
    [
        ([1.0, 2.0], [0], [0, 1], "one entry per case"),
        ([1.0, -2.0], [0, 0], [0, 1], "non-negative"),
        ([1.0, float("nan")], [0, 0], [0, 1], "finite"),
        ([], [], [], "non-empty"),
    ],
)
def test_bad_input_is_refused(
    weight: list[float], stratum: list[int], psu: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        weighted_estimates(weight, stratum, psu)


# --- the reader -------------------------------------------------------------------------


@needs_neiss
def test_reader_reads_the_infants_file(infants: Any) -> None:
    assert len(infants) == 446_194
    assert infants.case_id[0] == 20102409
    assert infants.weight[0] == 15.0084
    assert str(infants.date[0]) == "2002-01-01"
    assert infants.year.min() == 2002 and infants.year.max() == 2021
    assert set(np.unique(infants.stratum)) == {"C", "L", "M", "S", "V"}
    assert set(np.unique(infants.sex)) == {"", "F", "M"}
    assert int((infants.sex == "").sum()) == 62
    assert len(np.unique(infants.psu)) == 99


def test_reader_turns_blanks_into_minus_one(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        handle.write(
            "id,weight,date,age,sex,race,disposition,location,fire,alcohol,drugs,stratum,psu\n"
        )
        handle.write("1,15.5,2019-03-04,8,,,1,,,0,1,C,12\n")
    cases = read_neiss_cases(path)
    assert cases.race[0] == -1 and cases.location[0] == -1 and cases.fire[0] == -1
    assert cases.sex[0] == "" and cases.drugs[0] == 1 and cases.psu[0] == 12
    assert cases.year[0] == 2019


def test_reader_names_a_bad_integer(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,weight,date,stratum,psu\n1,2.0,2019-01-01,C,x7\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: psu 'x7'"):
        read_neiss_cases(path)


def test_reader_names_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,weight,date,psu\n1,2.0,2019-01-01,7\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        read_neiss_cases(path)


def test_many_wide_grouping_columns_do_not_overflow_the_group_code() -> None:
    # Eight columns of up to 10⁶ values each: their mixed-radix product (10⁴⁸) would not
    # fit an int64; every case here is its own group.
    rng = np.random.default_rng(6)
    columns = [rng.integers(0, 1_000_000, 500) for _ in range(8)]
    weight = rng.uniform(1.0, 50.0, 500)
    result = weighted_estimates(weight, np.zeros(500, int), np.arange(500) % 5, columns)
    order = np.lexsort(columns[::-1])
    assert len(result) == 500
    for k, column in enumerate(columns):
        np.testing.assert_array_equal(result.keys[k], column[order])
    np.testing.assert_allclose(result.estimate, weight[order])


@needs_neiss
def test_year_keyed_strata_give_each_year_its_own_design(infants: Any) -> None:
    year = infants.year
    keyed = np.char.add(year.astype(str), infants.stratum)
    together = weighted_estimates(infants.weight, keyed, infants.psu, (year,))
    for k, one_year in enumerate(together.keys[0]):
        m = year == one_year
        alone = weighted_estimates(infants.weight[m], infants.stratum[m], infants.psu[m])
        np.testing.assert_allclose(together.estimate[k], alone.estimate[0], rtol=1e-12)
        np.testing.assert_allclose(together.se[k], alone.se[0], rtol=1e-12)


def test_reasons_name_each_flag() -> None:
    weight = np.r_[np.full(10, 60.0), np.full(9, 10.0), np.full(20, 300.0), np.full(20, 300.0)]
    group = np.r_[np.zeros(19, int), np.ones(40, int)]
    psu = np.r_[np.zeros(10, int), np.ones(9, int), np.zeros(20, int), np.ones(20, int)]
    result = weighted_estimates(weight, np.zeros(59, int), psu, (group,))
    # group 0: 690 from 19 cases, PSU totals 600 and 90 (in a stratum with group 1) → CV > 33 %
    assert result.reasons(0) == (REASON_TOO_SMALL, REASON_TOO_FEW_CASES, REASON_CV_TOO_HIGH)
    assert result.reasons(1) == ()
