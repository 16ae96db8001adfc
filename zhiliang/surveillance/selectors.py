"""Reads of the case store, scoped to what a user may see: the case list with its filters,
and weighted estimates (``lib/estimates.py``) by product category, year, age group, sex,
outcome and district."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhiliang.inspections.models import ProductCategory
from zhiliang.lib.estimates import weighted_estimates
from zhiliang.registry.models import Division, Organisation
from zhiliang.surveillance import codes
from zhiliang.surveillance.access import cases_visible_q
from zhiliang.surveillance.models import PRODUCT_SLOTS, InjuryCase

#: Age groups of the estimates: (first year, last year or None, label).
AGE_GROUPS: list[tuple[int, int | None, Any]] = [
    (0, 0, gettext_lazy("不满1岁")),
    (1, 4, gettext_lazy("1–4岁")),
    (5, 14, gettext_lazy("5–14岁")),
    (15, 24, gettext_lazy("15–24岁")),
    (25, 44, gettext_lazy("25–44岁")),
    (45, 64, gettext_lazy("45–64岁")),
    (65, None, gettext_lazy("65岁及以上")),
]
UNKNOWN = -1
#: Category keys that are not catalogue rows.
NO_PRODUCT = -2
OTHER_PRODUCT = -1

#: What the estimates may be broken down by, with the column's label.
DIMENSIONS: dict[str, Any] = {
    "category": gettext_lazy("产品类别"),
    "year": gettext_lazy("年份"),
    "age_group": gettext_lazy("年龄组"),
    "sex": gettext_lazy("性别"),
    "outcome": gettext_lazy("伤害结局"),
    "district": gettext_lazy("区县"),
}


def visible_cases(user: Any) -> QuerySet[InjuryCase]:
    return InjuryCase.objects.filter(cases_visible_q(user))


@dataclass(frozen=True)
class CaseFilter:
    """The list's and the estimates' filters; empty values filter nothing."""

    source: str = ""
    reporter: int | None = None
    category: int | None = None
    year: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sex: int | None = None
    outcome: int | None = None
    age_group: int | None = None
    text: str = ""

    def q(self) -> Q:
        q = Q()
        if self.source:
            q &= Q(source=self.source)
        if self.reporter is not None:
            q &= Q(reporter_id=self.reporter)
        if self.category is not None:
            q &= (
                Q(product_1_category_id=self.category)
                | Q(product_2_category_id=self.category)
                | Q(product_3_category_id=self.category)
            )
        if self.year is not None:
            q &= Q(visit_date__year=self.year)
        if self.date_from is not None:
            q &= Q(visit_date__gte=self.date_from)
        if self.date_to is not None:
            q &= Q(visit_date__lte=self.date_to)
        if self.sex is not None:
            q &= Q(sex=self.sex)
        if self.outcome is not None:
            q &= Q(outcome=self.outcome)
        if self.age_group is not None and 0 <= self.age_group < len(AGE_GROUPS):
            first, last, _label = AGE_GROUPS[self.age_group]
            q &= Q(age_years__gte=first)
            if last is not None:
                q &= Q(age_years__lte=last)
        if self.text:
            q &= Q(case_number__icontains=self.text) | Q(narrative__icontains=self.text)
        return q


def cases_filtered(user: Any, filters: CaseFilter) -> QuerySet[InjuryCase]:
    return (
        visible_cases(user)
        .filter(filters.q())
        .select_related("reporter", "product_1_category")
        .order_by("-visit_date", "-id")
    )


def reporters_with_cases(user: Any) -> list[tuple[int, str]]:
    """The reporting units among the cases the user sees (the list's filter)."""
    # order_by(): the default ordering's columns would make every case distinct.
    ids = visible_cases(user).exclude(reporter=None).order_by().values("reporter_id").distinct()
    return [(o.pk, o.name) for o in Organisation.objects.filter(pk__in=ids).order_by("name")]


# --- weighted estimates -------------------------------------------------------------------


@dataclass(frozen=True)
class EstimateRow:
    labels: tuple[str, ...]
    estimate: float
    se: float
    cv: float | None
    lower: float
    upper: float
    cases: int
    reasons: tuple[str, ...]

    @property
    def unstable(self) -> bool:
        return bool(self.reasons)

    @property
    def cv_percent(self) -> float | None:
        return None if self.cv is None else 100 * self.cv

    @property
    def reason_texts(self) -> list[str]:
        return [str(REASON_LABELS[r]) for r in self.reasons]


@dataclass
class EstimateTable:
    by: list[str]
    rows: list[EstimateRow] = field(default_factory=list)
    total_cases: int = 0
    psus: int = 0
    strata: int = 0


REASON_LABELS = {
    "estimate_too_small": gettext_lazy("估计值小于 1,200"),
    "too_few_cases": gettext_lazy("病例少于 20 例"),
    "cv_too_high": gettext_lazy("变异系数大于 33%"),
}


def _integers(values: tuple[int | None, ...]) -> np.ndarray:
    return np.fromiter(
        (UNKNOWN if v is None else v for v in values), dtype=np.int64, count=len(values)
    )


def _factorized(values: Any) -> np.ndarray:
    """Each value's index in the order of first appearance."""
    codes: dict[Any, int] = {}
    return np.fromiter((codes.setdefault(v, len(codes)) for v in values), dtype=np.int64)


def _age_group(years: np.ndarray) -> np.ndarray:
    out = np.full(years.shape, UNKNOWN, dtype=np.int64)
    for index, (first, last, _label) in enumerate(AGE_GROUPS):
        upper = np.iinfo(np.int64).max if last is None else last
        out[(years >= first) & (years <= upper)] = index
    return out


def case_estimates(user: Any, filters: CaseFilter, by: list[str]) -> EstimateTable:
    """Weighted estimates of the cases the user sees, matching ``filters`` except
    category, year and the breakdown's own dimensions: those select groups, and every
    case of the source stays in the design so that each PSU enters the variance (domain
    estimation, ``lib/estimates.py``). Strata are taken per year (hospitals join and
    leave a sample), so a year's estimate is that year's design. By category a case
    counts under each distinct category of its products (groups overlap, as CPSC's do)."""
    by = [d for d in by if d in DIMENSIONS]
    table = EstimateTable(by=by)
    design = CaseFilter(source=filters.source, reporter=filters.reporter)
    columns = [
        "weight",
        "stratum",
        "psu",
        "year",
        "age_years",
        "sex",
        "outcome",
        *(f"product_{n}_category_id" for n in range(1, PRODUCT_SLOTS + 1)),
        *(f"product_{n}_code" for n in range(1, PRODUCT_SLOTS + 1)),
    ]
    if "district" in by:  # the only column that needs the reporter's row
        columns.append("reporter__division_id")
    rows = list(
        visible_cases(user)
        .filter(design.q())
        .annotate(year=ExtractYear("visit_date"))
        .values_list(*columns)
    )
    if not rows:
        return table
    weight, stratum, psu, year, age, sex, outcome, *rest = zip(*rows, strict=True)
    products = rest[: 2 * PRODUCT_SLOTS]
    years = np.fromiter(year, dtype=np.int64, count=len(rows))
    data: dict[str, np.ndarray] = {
        "year": years,
        "age_group": _age_group(_integers(age)),
        "sex": _integers(sex),
        "outcome": _integers(outcome),
    }
    if "district" in by:
        data["district"] = np.array([d or "" for d in rest[-1]], dtype=str)
    w = np.fromiter(weight, dtype=np.float64, count=len(rows))
    # Design labels as integer codes (NumPy sorts integers far faster than strings): a
    # stratum is (year, stratum), a PSU is (stratum, psu) as lib/estimates pairs them.
    strata = _factorized(zip(year, stratum, strict=True))
    psus = _factorized(psu)
    # Selection of groups: a case outside the filter is in the design but in no group.
    keep = np.ones(len(rows), dtype=bool)
    if filters.year is not None:
        keep &= years == filters.year
    for name in ("sex", "outcome", "age_group"):
        value = getattr(filters, name)
        if value is not None:
            keep &= data[name] == value
    case_index = np.arange(len(rows))
    category = None
    if "category" in by or filters.category is not None:
        case_index, category = _categories(products)
    selected = keep[case_index]
    if filters.category is not None and category is not None:
        selected &= category == filters.category
    # The first key puts the cases outside the selection in groups of their own, which
    # are left out of the table; their PSUs still count in every group's variance.
    group_columns: list[np.ndarray] = [np.where(selected, 0, 1)]
    for dimension in by:
        group_columns.append(category if dimension == "category" else data[dimension][case_index])
    table.total_cases = int(np.unique(case_index[selected]).size)
    table.psus = int(np.unique(strata * (int(psus.max()) + 1) + psus).size)
    table.strata = int(strata.max()) + 1
    if not table.total_cases:
        return table
    result = weighted_estimates(w[case_index], strata[case_index], psus[case_index], group_columns)
    names = _key_labels(by)
    for i in range(len(result)):
        if result.keys[0][i] != 0:
            continue
        cv = float(result.cv[i])
        table.rows.append(
            EstimateRow(
                labels=tuple(names[d](result.keys[j + 1][i]) for j, d in enumerate(by)),
                estimate=float(result.estimate[i]),
                se=float(result.se[i]),
                cv=None if np.isnan(cv) else cv,
                lower=float(result.lower[i]),
                upper=float(result.upper[i]),
                cases=int(result.cases[i]),
                reasons=result.reasons(i),
            )
        )
    return table


def _categories(products: list[tuple[Any, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """One row per (case, distinct category of its products): the case's index and the
    category's id, ``OTHER_PRODUCT`` for a product no category holds, ``NO_PRODUCT``
    for a case that names none."""
    slots = PRODUCT_SLOTS
    categories, product_codes = products[:slots], products[slots:]
    index: list[int] = []
    keys: list[int] = []
    for i, row in enumerate(zip(*categories, *product_codes, strict=True)):
        found: set[int] = set()
        for n in range(slots):
            category, code = row[n], row[slots + n]
            if category is not None:
                found.add(category)
            elif code:
                found.add(OTHER_PRODUCT)
        for key in sorted(found) or [NO_PRODUCT]:
            index.append(i)
            keys.append(key)
    return np.asarray(index, dtype=np.int64), np.asarray(keys, dtype=np.int64)


def _key_labels(by: list[str]) -> dict[str, Any]:
    names: dict[str, Any] = {}
    if "category" in by:
        categories = {c.pk: f"{c.code} {c.name}" for c in ProductCategory.objects.all()}
        categories[OTHER_PRODUCT] = _("其他（未归入类别）")
        categories[NO_PRODUCT] = _("未涉及产品")
        names["category"] = lambda k: categories.get(int(k), str(k))
    names["year"] = lambda k: str(int(k))
    ages = {i: str(label) for i, (_f, _l, label) in enumerate(AGE_GROUPS)}
    names["age_group"] = lambda k: ages.get(int(k), _("不详"))
    sexes = dict(codes.Sex.choices)
    names["sex"] = lambda k: str(sexes.get(int(k), _("不详")))
    outcomes = dict(codes.Outcome.choices)
    names["outcome"] = lambda k: str(outcomes.get(int(k), _("不详")))
    if "district" in by:
        districts = dict(Division.objects.values_list("code", "name"))
        names["district"] = lambda k: districts.get(str(k), str(k) or _("不详"))
    return names
