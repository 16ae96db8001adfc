"""Risk assessment of a consumer product by the EU Safety Gate (RAPEX) method.

Commission Implementing Decision (EU) 2019/417 (carrying the guidelines of 2010/15/EU;
DOMAIN.md §5): an injury scenario is written as steps, each with its probability; the
scenario's probability is the product of its steps' probabilities; the injury it ends
in has a severity of 1–4 (Annex, Table 3); the risk level is read from the matrix of
probability band × severity (Table 4). A product with several scenarios takes the
highest risk of any (DOMAIN.md marks that wording UNCONFIRMED).

The matrix is configuration (:class:`RiskMatrix`), so that the criteria of Delegated
Regulation (EU) 2024/3173 can replace it; :data:`RAPEX_2010` is Table 4 as DOMAIN.md
gives it. Probabilities are exact fractions: a scenario of steps such as 1/50 and 1/10
lands on a band's edge (1/500 is "> 1/1 000") without rounding error deciding the band.

Worked example (the guideline's folding chair): 1 × 1/50 × 1/10 × 1 = 1/500, in the
band "> 1/1 000"; with severity 1 the risk is low.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction


class Risk(Enum):
    """Risk levels, lowest first (S: serious, the top level, requires rapid action)."""

    LOW = "L"
    MEDIUM = "M"
    HIGH = "H"
    SERIOUS = "S"

    @property
    def rank(self) -> int:
        return list(Risk).index(self)


#: Severity levels of 2019/417 Annex Table 3 (the text in DOMAIN.md §5).
SEVERITIES = (1, 2, 3, 4)


@dataclass(frozen=True)
class Band:
    """A row of the matrix: probabilities above ``above`` (the last row: any)."""

    above: Fraction
    label: str
    #: the risk for severity 1, 2, 3, 4
    risks: tuple[Risk, Risk, Risk, Risk]


@dataclass(frozen=True)
class RiskMatrix:
    """Probability bands from the highest down; a probability falls in the first band
    it exceeds (strictly: "> 1/1 000"), the last band taking the rest."""

    name: str
    bands: tuple[Band, ...]

    def __post_init__(self) -> None:
        lows = [band.above for band in self.bands]
        if lows != sorted(lows, reverse=True) or len(set(lows)) != len(lows):
            raise ValueError("bands must run from the highest probability down")
        if self.bands and self.bands[-1].above != 0:
            raise ValueError("the last band must take every probability above 0")

    def band_of(self, probability: Fraction) -> Band:
        if not 0 <= probability <= 1:
            raise ValueError(f"a probability is between 0 and 1, not {probability}")
        for band in self.bands:
            if probability > band.above:
                return band
        return self.bands[-1]

    def risk(self, probability: Fraction, severity: int) -> Risk:
        if severity not in SEVERITIES:
            raise ValueError(f"severity is one of {SEVERITIES}, not {severity}")
        return self.band_of(probability).risks[severity - 1]


def _row(above: Fraction, label: str, risks: str) -> Band:
    levels = tuple(Risk(letter) for letter in risks.split())
    assert len(levels) == 4
    return Band(above, label, levels)


#: Table 4 of the RAPEX guidelines (2010/15/EU, carried into 2019/417), DOMAIN.md §5.
RAPEX_2010 = RiskMatrix(
    "RAPEX 2010/15/EU Table 4 (2019/417)",
    (
        _row(Fraction(1, 2), "> 50 %", "H S S S"),
        _row(Fraction(1, 10), "> 1/10", "M S S S"),
        _row(Fraction(1, 100), "> 1/100", "M S S S"),
        _row(Fraction(1, 1_000), "> 1/1 000", "L H S S"),
        _row(Fraction(1, 10_000), "> 1/10 000", "L M H S"),
        _row(Fraction(1, 100_000), "> 1/100 000", "L L M H"),
        _row(Fraction(1, 1_000_000), "> 1/1 000 000", "L L L M"),
        _row(Fraction(0), "< 1/1 000 000", "L L L L"),
    ),
)


@dataclass(frozen=True)
class Step:
    """One step of an injury scenario: what happens, and its probability."""

    text: str
    probability: Fraction


@dataclass(frozen=True)
class Scenario:
    """An injury scenario: the steps from the product's hazard to the injury."""

    hazard: str
    consumer: str
    steps: tuple[Step, ...]
    injury: str
    severity: int

    @property
    def probability(self) -> Fraction:
        """The product of the steps' probabilities."""
        product = Fraction(1)
        for step in self.steps:
            product *= step.probability
        return product


@dataclass(frozen=True)
class ScenarioRisk:
    scenario: Scenario
    probability: Fraction
    band: Band
    risk: Risk


@dataclass(frozen=True)
class Assessment:
    """Each scenario's risk and the product's: the highest of them."""

    scenarios: tuple[ScenarioRisk, ...]
    risk: Risk
    matrix: str


def probability(text: str | float | Fraction) -> Fraction:
    """A step's probability as a fraction: "1/50", "0.02", "2%", 1, Fraction(1, 50)."""
    if isinstance(text, Fraction):
        value = text
    elif isinstance(text, int | float):
        value = Fraction(str(text))
    else:
        raw = text.strip().replace(" ", "")
        if not raw:
            raise ValueError("a probability is needed")
        try:
            value = Fraction(raw[:-1]) / 100 if raw.endswith("%") else Fraction(raw)
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"not a probability: {text!r}") from exc
    if not 0 <= value <= 1:
        raise ValueError(f"a probability is between 0 and 1, not {text!r}")
    return value


def assess(scenarios: Iterable[Scenario], matrix: RiskMatrix = RAPEX_2010) -> Assessment:
    """The risk of each scenario and of the product (the highest)."""
    rated: list[ScenarioRisk] = []
    for scenario in scenarios:
        if not scenario.steps:
            raise ValueError("an injury scenario has at least one step")
        p = scenario.probability
        band = matrix.band_of(p)
        rated.append(ScenarioRisk(scenario, p, band, matrix.risk(p, scenario.severity)))
    if not rated:
        raise ValueError("an assessment needs at least one injury scenario")
    return Assessment(tuple(rated), max((r.risk for r in rated), key=lambda r: r.rank), matrix.name)


def scenario(
    hazard: str,
    consumer: str,
    steps: Sequence[tuple[str, str | float | Fraction]],
    injury: str,
    severity: int,
) -> Scenario:
    """A scenario from plain values (probabilities as text such as "1/50")."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity is one of {SEVERITIES}, not {severity}")
    return Scenario(
        hazard, consumer, tuple(Step(text, probability(p)) for text, p in steps), injury, severity
    )
