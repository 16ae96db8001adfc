"""The Safety Gate (RAPEX) risk assessment: the guideline's worked example, the matrix's
band edges, several scenarios, bad input."""

from __future__ import annotations

from fractions import Fraction

import pytest

from zhiliang.lib.rapex import RAPEX_2010, Band, Risk, RiskMatrix, assess, probability, scenario


def test_the_folding_chair_of_the_guideline_is_low_risk():
    # 2010/15/EU Part IV: 1 x 1/50 x 1/10 x 1 = 1/500, "> 1/1 000", severity 1 -> low
    chair = scenario(
        "手指夹伤（折叠椅铰链）",
        "成人",
        [
            ("打开折叠椅时手指放在铰链处", "1"),
            ("铰链未锁紧而突然合拢", "1/50"),
            ("手指被夹住", "1/10"),
            ("夹伤需简单处理", 1),
        ],
        "手指挫伤",
        1,
    )
    result = assess([chair])
    assert result.scenarios[0].probability == Fraction(1, 500)
    assert result.scenarios[0].band.label == "> 1/1 000"
    assert result.risk is Risk.LOW
    # the same scenario with a worse injury
    assert assess([scenario("同上", "成人", [("同上", "1/500")], "骨折", 2)]).risk is Risk.HIGH
    assert assess([scenario("同上", "成人", [("同上", "1/500")], "截指", 3)]).risk is Risk.SERIOUS


@pytest.mark.parametrize(
    ("p", "label", "risks"),
    [
        ("1", "> 50 %", "H S S S"),
        ("0.5", "> 1/10", "M S S S"),  # exactly 50 % is not "> 50 %"
        ("1/10", "> 1/100", "M S S S"),
        ("1/1000", "> 1/10 000", "L M H S"),
        ("1/999", "> 1/1 000", "L H S S"),
        ("1/1000000", "< 1/1 000 000", "L L L L"),
        ("1/999999", "> 1/1 000 000", "L L L M"),
        ("0", "< 1/1 000 000", "L L L L"),
    ],
)
def test_each_band_is_above_its_edge_strictly(p, label, risks):
    band = RAPEX_2010.band_of(probability(p))
    assert band.label == label
    assert [RAPEX_2010.risk(probability(p), s).value for s in (1, 2, 3, 4)] == risks.split()


def test_the_product_takes_the_highest_risk_of_its_scenarios():
    small = scenario(
        "小零件", "36个月以下儿童", [("零件脱落", "1/100"), ("放入口中", "1/10")], "窒息", 4
    )
    edge = scenario("锐边", "儿童", [("接触锐边", "1/10")], "割伤", 1)
    result = assess([edge, small])
    assert [r.risk for r in result.scenarios] == [Risk.MEDIUM, Risk.SERIOUS]
    assert result.risk is Risk.SERIOUS


def test_probabilities_are_read_exactly():
    assert probability("1/50") == Fraction(1, 50)
    assert probability("2%") == Fraction(1, 50)
    assert probability("0.02") == Fraction(1, 50)
    assert probability(" 1 / 3 ") == Fraction(1, 3)
    for bad in ("", "2", "-1/2", "1/0", "abc", "150%"):
        with pytest.raises(ValueError):
            probability(bad)


def test_bad_scenarios_and_matrices_are_refused():
    with pytest.raises(ValueError):
        scenario("x", "y", [("a", "1/2")], "z", 5)
    with pytest.raises(ValueError):
        assess([])
    with pytest.raises(ValueError):
        assess([scenario("x", "y", [], "z", 1)])
    with pytest.raises(ValueError):
        RiskMatrix(
            "unordered",
            (
                Band(Fraction(0), "any", (Risk.LOW,) * 4),
                Band(Fraction(1, 2), "half", (Risk.LOW,) * 4),
            ),
        )  # type: ignore[arg-type]


def test_the_matrix_is_configuration():
    strict = RiskMatrix(
        "stricter",
        (
            Band(Fraction(1, 1000), "> 1/1 000", (Risk.HIGH,) * 4),
            Band(Fraction(0), "rest", (Risk.MEDIUM,) * 4),
        ),  # type: ignore[arg-type]
    )
    chair = scenario("h", "c", [("s", "1/500")], "i", 1)
    assert assess([chair], strict).risk is Risk.HIGH
    assert assess([chair], strict).matrix == "stricter"
