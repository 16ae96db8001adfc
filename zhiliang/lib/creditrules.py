"""The rules of quality credit (DOMAIN.md §2), as pure functions of dates and facts.

- Publicity of administrative penalties (SAMR Order 45, 行政处罚信息公示规定, 2021): a
  warning alone is not published; 通报批评 or a low fine is published for 3 months,
  anything else for 3 years, or longer if business or employment is restricted for
  longer; publication is due within 20 working days of the decision.
- Credit repair (市场监督管理信用修复管理办法): a published penalty record may be
  repaired after 6 months of publication, or 1 year in food, drugs and special equipment.
- The 严重违法失信名单 (SAMR Order 44, 2021): the listing test needs a 较重行政处罚
  (heavier penalty: aggravated fine, revoked licence or qualification, restricted or
  stopped production …); a listing lasts up to 3 years; early removal may be requested
  after at least 1 year if the obligations are fulfilled, the harm removed, no further
  heavier penalty was received and any statutory measure period has ended.
- Internal risk classes A–D (国市监信发〔2022〕6号): never published, never a penalty;
  they steer how often an enterprise is inspected. The national thresholds are set
  locally, so the model here is configuration (:class:`RiskModel`), and every class comes
  with the records and points that produced it.

Periods follow 民法典 Arts. 201–203: the day of the act is not counted; a period in
months or years ends on the corresponding day of the last month (the month's last day
if there is none, e.g. 29 February → 28 February), and that day is the period's last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import numpy as np

from zhiliang.lib.workdays import CalendarUnavailable, add_workdays

__all__ = [
    "CLASSES",
    "EARLY_REMOVAL_MIN_YEARS",
    "LISTING_MAX_YEARS",
    "PUBLICATION_DUE_WORKDAYS",
    "Contribution",
    "CreditFact",
    "Kind",
    "Listing",
    "Publicity",
    "RiskClass",
    "RiskModel",
    "Scored",
    "Sector",
    "add_months",
    "add_years",
    "classify",
    "early_removal_check",
    "is_listing_candidate",
    "kind_points",
    "listing_for",
    "publicity",
    "repair_from",
    "score_many",
]

#: Order 44: a listing lasts up to three years.
LISTING_MAX_YEARS = 3
#: Order 44: early removal may be requested once a year of listing has passed.
EARLY_REMOVAL_MIN_YEARS = 1
#: Order 45: a penalty decision is published within 20 working days.
PUBLICATION_DUE_WORKDAYS = 20


class Kind(StrEnum):
    """What a credit record says about an enterprise."""

    PENALTY = "penalty"  # 行政处罚
    INSPECTION_FAILURE = "inspection_failure"  # 监督抽查不合格
    BAD_LOAN = "bad_loan"  # 不良信贷
    TAX_ARREARS = "tax_arrears"  # 欠税欠费
    LABOUR_AWARD = "labour_award"  # 劳动仲裁裁决
    JUDGMENT = "judgment"  # 司法判决
    DISHONEST_DEBTOR = "dishonest_debtor"  # 失信被执行人
    RECALL = "recall"  # 缺陷产品召回
    ACCIDENT = "accident"  # 质量安全事故
    ABNORMAL_OPERATION = "abnormal_operation"  # 经营异常名录
    AWARD = "award"  # 质量奖等表彰 (positive)
    BRAND = "brand"  # 名牌、品牌认定 (positive)


POSITIVE_KINDS = frozenset({Kind.AWARD, Kind.BRAND})


class Sector(StrEnum):
    GENERAL = "general"
    FOOD = "food"
    DRUG = "drug"
    SPECIAL_EQUIPMENT = "special_equipment"


#: Sectors whose penalty records wait a year, not six months, before repair.
_LONG_REPAIR = frozenset({Sector.FOOD, Sector.DRUG, Sector.SPECIAL_EQUIPMENT})


# --- periods ---------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day ``months`` later (民法典 Art. 202): the last day of the
    target month when it has no such day (31 January + 1 month = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


# --- publicity and repair (Order 45, 信用修复管理办法) --------------------------------------


@dataclass(frozen=True)
class Publicity:
    published: bool
    #: the last day the decision may be published (20 working days after it)
    due_by: dt.date | None = None
    #: first and last day of the public term
    start: dt.date | None = None
    end: dt.date | None = None
    #: "3 months", "3 years" or "restriction", for the record's page
    term: str = ""


def publicity(
    *,
    decided_on: dt.date,
    published_on: dt.date | None = None,
    warning_only: bool = False,
    light: bool = False,
    restricted_until: dt.date | None = None,
) -> Publicity:
    """The public term of a penalty decision. ``light``: 通报批评 or a low fine (the
    amount a province sets); ``restricted_until``: the last day business or employment
    is restricted, if the decision restricts it. The term runs from publication (the
    decision date until it is published)."""
    if warning_only:
        return Publicity(published=False)
    try:
        due_by: dt.date | None = add_workdays(decided_on, PUBLICATION_DUE_WORKDAYS)
    except CalendarUnavailable:  # next year's holidays not published yet: no guess
        due_by = None
    start = published_on or decided_on
    if light:
        end, term = add_months(start, 3), "3 months"
    else:
        end, term = add_years(start, 3), "3 years"
    if restricted_until is not None and restricted_until > end:
        end, term = restricted_until, "restriction"
    return Publicity(published=True, due_by=due_by, start=start, end=end, term=term)


def repair_from(published_on: dt.date, sector: Sector = Sector.GENERAL) -> dt.date:
    """The first day a published penalty record may be repaired: once 6 months (1 year
    for food, drugs, special equipment) of publication have passed."""
    months = 12 if sector in _LONG_REPAIR else 6
    return add_months(published_on, months) + dt.timedelta(days=1)


# --- the 严重违法失信名单 (Order 44) ----------------------------------------------------------


@dataclass(frozen=True)
class CreditFact:
    """One credit record as the rules see it."""

    id: int | str
    kind: Kind
    decided_on: dt.date
    #: a 较重行政处罚 (Order 44 Art. 2): aggravated fine, revocation, restriction …
    heavier: bool = False


def is_listing_candidate(fact: CreditFact) -> bool:
    """Whether a record meets the formal half of the listing test (a heavier penalty).
    Whether the conduct was 性质恶劣、情节严重、社会危害较大 is the officer's judgement;
    the system only proposes."""
    return fact.kind == Kind.PENALTY and fact.heavier


@dataclass(frozen=True)
class Listing:
    listed_on: dt.date
    #: the last day of the listing if it is not removed early
    last_day: dt.date
    #: the first day early removal may be requested
    early_removal_from: dt.date

    def in_force(self, day: dt.date, removed_on: dt.date | None = None) -> bool:
        if removed_on is not None and day >= removed_on:
            return False
        return self.listed_on <= day <= self.last_day


def listing_for(listed_on: dt.date, years: int = LISTING_MAX_YEARS) -> Listing:
    """A listing decided on ``listed_on`` for ``years`` (at most three)."""
    if not 1 <= years <= LISTING_MAX_YEARS:
        raise ValueError(f"a listing lasts 1 to {LISTING_MAX_YEARS} years, not {years}")
    return Listing(
        listed_on=listed_on,
        last_day=add_years(listed_on, years),
        early_removal_from=add_years(listed_on, EARLY_REMOVAL_MIN_YEARS) + dt.timedelta(days=1),
    )


def early_removal_check(
    listing: Listing,
    *,
    on: dt.date,
    obligations_fulfilled: bool,
    harm_removed: bool,
    heavier_penalty_since: bool,
    measure_period_ended: bool = True,
) -> list[str]:
    """The conditions of early removal that are not met on ``on`` (empty: removable).
    Messages are Chinese, for the officer's decision and the party's notice."""
    unmet = []
    if on < listing.early_removal_from:
        unmet.append(f"列入未满一年（{listing.early_removal_from.isoformat()} 起可申请提前移出）")
    if not measure_period_ended:
        unmet.append("法律法规规定的管理措施期限尚未届满")
    if not obligations_fulfilled:
        unmet.append("尚未履行行政处罚等决定规定的义务")
    if not harm_removed:
        unmet.append("尚未主动整改、消除危害后果和不良影响")
    if heavier_penalty_since:
        unmet.append("列入后又受到较重行政处罚")
    return unmet


# --- internal risk classes -------------------------------------------------------------------


class RiskClass(StrEnum):
    A = "A"  # 信用风险低
    B = "B"  # 信用风险一般
    C = "C"  # 信用风险较高
    D = "D"  # 信用风险高


_DEFAULT_POINTS: Mapping[Kind, float] = MappingProxyType(
    {
        Kind.PENALTY: 20.0,
        Kind.INSPECTION_FAILURE: 15.0,
        Kind.BAD_LOAN: 8.0,
        Kind.TAX_ARREARS: 8.0,
        Kind.LABOUR_AWARD: 5.0,
        Kind.JUDGMENT: 10.0,
        Kind.DISHONEST_DEBTOR: 25.0,
        Kind.RECALL: 10.0,
        Kind.ACCIDENT: 30.0,
        Kind.ABNORMAL_OPERATION: 12.0,
        Kind.AWARD: -10.0,
        Kind.BRAND: -5.0,
    }
)


@dataclass(frozen=True)
class RiskModel:
    """A transparent point model. Each record scores ``points[kind]`` (negative for
    positive records), × ``heavier_factor`` for a heavier penalty, halved every
    ``half_life_days`` of age, and × (1 + ``repeat_step`` × n) for the n-th earlier
    record of the same kind within ``repeat_window_days``. Records older than
    ``horizon_days`` or in the future count nothing. The score (never below 0) is
    class B from ``thresholds[0]``, C from ``thresholds[1]``, D from ``thresholds[2]``.
    The defaults are this project's, not national figures (none are published)."""

    points: Mapping[Kind, float] = field(default_factory=lambda: _DEFAULT_POINTS)
    heavier_factor: float = 2.0
    half_life_days: float = 365.0
    repeat_window_days: int = 730
    repeat_step: float = 0.5
    horizon_days: int = 5 * 365
    thresholds: tuple[float, float, float] = (10.0, 30.0, 60.0)

    def __post_init__(self) -> None:
        low, mid, high = self.thresholds
        if not 0 < low < mid < high:
            raise ValueError("thresholds must rise: 0 < B < C < D")
        if self.half_life_days <= 0:
            raise ValueError("the half-life must be positive")


@dataclass(frozen=True)
class Contribution:
    """What one record added to the score, and why."""

    record: int | str
    kind: Kind
    decided_on: dt.date
    base: float
    heavier: float
    decay: float
    repeat: float
    points: float


@dataclass(frozen=True)
class Classification:
    risk_class: RiskClass
    score: float
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True)
class Scored:
    """Many enterprises' records scored at once (the nightly run), as arrays.

    Per counted record (records in the future or beyond the horizon count nothing and are
    left out), in the order (enterprise, kind, date, tie-break): ``index`` into the input,
    ``decay``, ``repeat`` and ``cents`` (the record's points × 100, an integer, so that
    sums are exact). Per enterprise that has counted records, in ascending order:
    ``enterprises``, ``scores`` and ``classes`` (0–3 for A–D)."""

    index: np.ndarray
    decay: np.ndarray
    repeat: np.ndarray
    cents: np.ndarray
    enterprises: np.ndarray
    scores: np.ndarray
    classes: np.ndarray


def kind_points(model: RiskModel) -> np.ndarray:
    """Base points per kind, indexed by a kind's position in :class:`Kind`."""
    return np.array([model.points.get(k, 0.0) for k in Kind], dtype=np.float64)


def score_many(
    enterprise: np.ndarray,
    kind: np.ndarray,
    day: np.ndarray,
    heavier: np.ndarray,
    tiebreak: np.ndarray,
    *,
    today: dt.date,
    model: RiskModel,
) -> Scored:
    """Score records of many enterprises in one pass (the rules of :class:`RiskModel`).

    ``enterprise`` and ``tiebreak`` (records of one day are taken in its order) are
    integers, ``kind`` is a kind's position in :class:`Kind`, ``day`` is the decision date
    as a proleptic Gregorian ordinal (``date.toordinal()``), ``heavier`` is boolean. The
    n-th earlier record of the same kind within ``repeat_window_days`` (earlier by date,
    then by tie-break) raises a record's points by ``repeat_step`` × n.
    :func:`classify` is this function applied to one enterprise, so the nightly classes
    and the explanation an officer reads are the same numbers."""
    age = today.toordinal() - np.asarray(day, dtype=np.int64)
    counted = np.flatnonzero((age >= 0) & (age <= model.horizon_days))
    group = np.asarray(enterprise, dtype=np.int64)[counted]
    kinds = np.asarray(kind, dtype=np.int64)[counted]
    age = age[counted]
    order = np.lexsort((np.asarray(tiebreak)[counted], -age, kinds, group))
    index, group, kinds, age = counted[order], group[order], kinds[order], age[order]
    n = len(index)
    # Runs of one enterprise and kind; within a run, records are in date order. The
    # earlier records within the window are those from the first one dated at least
    # ``window`` days before: found by binary search on (run, date) packed in one key.
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = (group[1:] != group[:-1]) | (kinds[1:] != kinds[:-1])
    run = np.cumsum(new_run) - 1
    dated = model.horizon_days - age  # 0 … horizon, rising with the date
    span = model.horizon_days + model.repeat_window_days + 2
    key = run * span + dated
    first = np.searchsorted(key, key - model.repeat_window_days, side="left")
    repeats = np.arange(n) - first
    base = kind_points(model)[kinds]
    repeat = np.where(base > 0, 1.0 + model.repeat_step * repeats, 1.0)
    decay = np.power(0.5, age / model.half_life_days)
    factor = np.where(np.asarray(heavier, dtype=bool)[index], model.heavier_factor, 1.0)
    cents = np.rint(base * factor * decay * repeat * 100.0).astype(np.int64)
    enterprises, inverse = np.unique(group, return_inverse=True)
    totals = np.bincount(inverse, weights=cents, minlength=len(enterprises)).astype(np.int64)
    scores = np.maximum(totals, 0) / 100.0
    classes = np.searchsorted(np.asarray(model.thresholds), scores, side="right")
    return Scored(
        index=index,
        decay=decay,
        repeat=repeat,
        cents=cents,
        enterprises=enterprises,
        scores=scores,
        classes=classes,
    )


#: The classes in the order of :attr:`Scored.classes`.
CLASSES: tuple[RiskClass, ...] = (RiskClass.A, RiskClass.B, RiskClass.C, RiskClass.D)


def classify(
    facts: Iterable[CreditFact], *, today: dt.date, model: RiskModel | None = None
) -> Classification:
    """The enterprise's risk class on ``today`` from its records, with the points each
    record contributed (in date order; their sum, floored at 0, is the score). Records
    of one day are taken in the order of their ids (numbers before texts)."""
    model = model or RiskModel()
    facts = list(facts)
    kinds = list(Kind)
    ranked = sorted(
        range(len(facts)),
        key=lambda i: (0, facts[i].id, "") if isinstance(facts[i].id, int) else (1, 0, facts[i].id),
    )
    tiebreak = np.empty(len(facts), dtype=np.int64)
    tiebreak[ranked] = np.arange(len(facts))
    scored = score_many(
        np.zeros(len(facts), dtype=np.int64),
        np.array([kinds.index(f.kind) for f in facts], dtype=np.int64),
        np.array([f.decided_on.toordinal() for f in facts], dtype=np.int64),
        np.array([f.heavier for f in facts], dtype=bool),
        tiebreak,
        today=today,
        model=model,
    )
    contributions = []
    for at in sorted(
        range(len(scored.index)),
        key=lambda j: (facts[scored.index[j]].decided_on, int(tiebreak[scored.index[j]])),
    ):
        fact = facts[scored.index[at]]
        contributions.append(
            Contribution(
                record=fact.id,
                kind=fact.kind,
                decided_on=fact.decided_on,
                base=model.points.get(fact.kind, 0.0),
                heavier=model.heavier_factor if fact.heavier else 1.0,
                decay=round(float(scored.decay[at]), 4),
                repeat=float(scored.repeat[at]),
                points=int(scored.cents[at]) / 100.0,
            )
        )
    if len(scored.enterprises):
        score, risk = float(scored.scores[0]), CLASSES[int(scored.classes[0])]
    else:
        score, risk = 0.0, RiskClass.A
    return Classification(risk_class=risk, score=score, contributions=tuple(contributions))
