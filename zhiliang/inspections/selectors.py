"""Reads for sampling inspection: pass rates (from the tallies), the plan's pass-rate
targets, and each sample's legal clock."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from zhiliang.accounts.access import district_codes_of
from zhiliang.inspections.access import is_citywide, may_answer_referral, may_write_sample
from zhiliang.inspections.models import (
    DisposalAction,
    PassTally,
    ProductCategory,
    Referral,
    Sample,
)
from zhiliang.lib.rates import pass_rate, wilson_interval
from zhiliang.lib.regions import Regions, load_regions
from zhiliang.lib.samplingsteps import SampleFacts, StepState, StepStatus, step_statuses
from zhiliang.registry.models import Division

REGIONS_CSV = Path(__file__).resolve().parent.parent / "registry" / "data" / "china_divisions.csv"

#: Grouping → the tally column it groups by. Producer districts read the cells counted
#: where samples were made, every other grouping those counted where they were sampled.
GROUPINGS = {
    "producer_district": "region",
    "sampling_district": "region",
    "category": "category_id",
    "channel": "channel",
}
#: Grouping → the sample column it groups by (for direct counts over samples).
SAMPLE_COLUMNS = {
    "producer_district": "producer_region",
    "sampling_district": "sampling_district_id",
    "category": "category_id",
    "channel": "channel",
}


def regions() -> Regions:
    return load_regions(REGIONS_CSV)


def region_codes() -> frozenset[str]:
    """Every GB/T 2260 code a producer may be registered under: the national list and
    the city's own divisions (which include codes retired since, e.g. 500234 开县)."""
    return regions().codes() | frozenset(Division.objects.values_list("code", flat=True))


@dataclass(frozen=True)
class RateRow:
    group: str  # the code: region, category code or channel
    label: str
    tested: int
    passed: int

    @property
    def rate(self) -> float | None:
        return pass_rate(self.passed, self.tested)

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.passed, self.tested) if self.tested else None

    def percent(self) -> tuple[str, str, str]:
        """(rate, ci_low, ci_high) in per cent with two decimals, '' when untested."""
        if not self.tested:
            return "", "", ""
        low, high = self.interval or (0.0, 0.0)
        return tuple(f"{100 * x:.2f}" for x in (self.rate or 0.0, low, high))  # type: ignore[return-value]


def tallies_visible(user: Any) -> QuerySet[PassTally]:
    """Tallies of the samples the user may see (the rule of ``access.samples_visible_q``)."""
    qs = PassTally.objects.all()
    if user is not None and not is_citywide(user):
        codes = district_codes_of(user)
        qs = qs.filter(region__in=codes)
    return qs


def _tallies_for(user: Any, by: str) -> QuerySet[PassTally]:
    """The tallies behind one grouping. A district officer sees their own district's
    figures, whole: by producer district, every batch made there (wherever in the city
    it was sampled); otherwise the batches sampled there. Mixing both would show other
    districts' rates computed from a fraction of their batches."""
    place = PassTally.Place.MADE if by == "producer_district" else PassTally.Place.SAMPLED
    qs = PassTally.objects.filter(place=place)
    if user is None or is_citywide(user):
        return qs
    return qs.filter(region__in=district_codes_of(user))


def _labels(by: str, codes: list[str]) -> dict[str, str]:
    if by == "category":
        return {
            str(c.pk): f"{c.code} {c.name}" for c in ProductCategory.objects.filter(pk__in=codes)
        }
    if by == "sampling_district":
        return dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    if by == "channel":
        return {str(v): str(label) for v, label in Sample.Channel.choices}
    table = regions()
    return {
        code: (table.full_name(code) if code in table else code) if code else _("未标明生产者")
        for code in codes
    }


def pass_rates(
    *, year: int, by: str, user: Any = None, kinds: set[str] | None = None
) -> list[RateRow]:
    """Pass rates of one year grouped ``by`` producer_district, sampling_district,
    category or channel, from the tallies (counted by batch, final conclusions)."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}")
    column = GROUPINGS[by]
    qs = _tallies_for(user, by).filter(year=year)
    if kinds:
        qs = qs.filter(category__kind__in=kinds)
    rows = qs.values(column).annotate(t=Sum("tested"), p=Sum("passed")).order_by(column)
    counts = [(str(r[column]), int(r["t"]), int(r["p"])) for r in rows]
    labels = _labels(by, [c for c, _t, _p in counts])
    out = [RateRow(group=c, label=labels.get(c, c), tested=t, passed=p) for c, t, p in counts]
    if by == "category":
        codes = dict(ProductCategory.objects.values_list("pk", "code"))
        out = [
            RateRow(group=codes[int(r.group)], label=r.label, tested=r.tested, passed=r.passed)
            for r in out
        ]
        out.sort(key=lambda r: r.group)
    return out


def pass_rate_total(*, year: int, user: Any = None, kinds: set[str] | None = None) -> RateRow:
    qs = _tallies_for(user, "sampling_district").filter(year=year)
    if kinds:
        qs = qs.filter(category__kind__in=kinds)
    agg = qs.aggregate(t=Sum("tested"), p=Sum("passed"))
    return RateRow(group="", label=_("合计"), tested=agg["t"] or 0, passed=agg["p"] or 0)


def demo_samples_counted() -> bool:
    """Whether the pass rates include demo samples (pages that show rates must say so)."""
    return Sample.objects.filter(is_demo=True).exists()


def tally_years(user: Any = None) -> list[int]:
    return sorted(set(tallies_visible(user).values_list("year", flat=True)), reverse=True)


# --- the plan's pass-rate targets (measure 十四) ----------------------------------------------

#: Which batches a target's text is about. Manufactured products are counted where they
#: were made (the producer's district); main farm products where they were monitored
#: (the sampling district), as most have no registered producer.
TARGET_KINDS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"制造业产品质量合格率"), ProductCategory.Kind.MANUFACTURED, "producer_district"),
    (re.compile(r"农产品.{0,8}合格率"), ProductCategory.Kind.FARM, "sampling_district"),
]


@dataclass(frozen=True)
class TargetRate:
    target: Any  # plans.Target
    kind: str
    year: int
    district: str  # '' for the whole city
    label: str
    row: RateRow

    @property
    def met(self) -> bool | None:
        if not self.row.tested:
            return None
        # Exact: 100 × passed / tested compared without floats (57/100 is 56.99999… as a
        # float, which would miss a 57 % target it meets exactly).
        value = Decimal(100 * self.row.passed) / Decimal(self.row.tested)
        if self.target.comparator == "<=":
            return value <= self.target.value
        if self.target.comparator == "=":
            return value == self.target.value
        return value >= self.target.value


def target_kind(text: str) -> tuple[str, str] | None:
    for pattern, kind, by in TARGET_KINDS:
        if pattern.search(text):
            return kind, by
    return None


def target_rates(targets: list[Any], user: Any = None) -> dict[int, list[TargetRate]]:
    """For each pass-rate target: the city's rate per year, then each district's.

    A district officer sees only their own district's rows, but those count every batch
    of the district (e.g. its producers' products sampled anywhere in the city), so the
    figures are computed over all tallies and then cut to their districts."""
    out: dict[int, list[TargetRate]] = defaultdict(list)
    citywide = user is None or is_citywide(user)
    own = None if citywide else district_codes_of(user)
    years = tally_years(None)
    names = dict(Division.objects.values_list("code", "name"))
    for target in targets:
        found = target_kind(target.text)
        if found is None:
            continue
        kind, by = found
        for year in years:
            # Only the city's own districts count: a manufactured product made in 成都
            # and sampled in a Chongqing shop says nothing of 全市制造业产品质量, so the
            # city's rate is the sum of its districts' rows, not of every tally.
            rows = [r for r in pass_rates(year=year, by=by, kinds={kind}) if r.group in names]
            if citywide:
                total = RateRow(
                    group="",
                    label=_("全市"),
                    tested=sum(r.tested for r in rows),
                    passed=sum(r.passed for r in rows),
                )
                out[target.pk].append(TargetRate(target, kind, year, "", _("全市"), total))
            for row in rows:
                if own is None or row.group in own:
                    out[target.pk].append(
                        TargetRate(target, kind, year, row.group, names[row.group], row)
                    )
    return dict(out)


# --- one sample's legal clock ---------------------------------------------------------------


def with_steps(qs: QuerySet[Sample]) -> QuerySet[Sample]:
    """Samples with what their legal clock and open steps read, in two queries in all
    (not two per sample on a list page)."""
    return qs.select_related("objection__retest_lab", "referral__to_organisation").prefetch_related(
        "disposals"
    )


def current_disposal(sample: Sample) -> DisposalAction | None:
    """The rung ordered last, from the prefetched disposals when there are."""
    actions = list(sample.disposals.all())
    return max(actions, key=lambda a: (a.ordered_on, a.pk)) if actions else None


def sample_facts(sample: Sample) -> SampleFacts:
    # A missing reverse one-to-one raises an AttributeError subclass: getattr's default.
    objection = getattr(sample, "objection", None)
    current = current_disposal(sample)
    return SampleFacts(
        sampled_on=sample.sampled_on,
        lab_received_on=sample.lab_received_on,
        reported_on=sample.reported_on,
        conclusion=sample.conclusion,
        notified_on=sample.notified_on,
        result_received_on=sample.result_received_on,
        objection_filed_on=objection.filed_on if objection else None,
        objection_decided_on=objection.decided_on if objection else None,
        objection_accepted=objection.accepted if objection else None,
        retest_reported_on=objection.retest_reported_on if objection else None,
        rectify_deadline=current.deadline
        if current is not None and current.rung != DisposalAction.Rung.REVOKE
        else None,
        follow_up_on=current.checked_on if current is not None else None,
    )


def sample_steps(sample: Sample, today: dt.date) -> list[StepStatus]:
    return step_statuses(sample_facts(sample), today)


def overdue_steps(sample: Sample, today: dt.date) -> list[StepStatus]:
    return [s for s in sample_steps(sample, today) if s.state == StepState.OVERDUE]


def open_steps(sample: Sample, user: Any) -> list[str]:
    """The steps that can be taken on a sample now, by this user (the forms its page
    offers); the services check the same rules again when a step is taken."""
    objection = getattr(sample, "objection", None)
    referral = getattr(sample, "referral", None)
    referral_open = referral is not None and referral.status == Referral.Status.OPEN
    may_reply = referral_open and may_answer_referral(user, referral)
    if not may_write_sample(user, sample):
        return ["referral_reply"] if may_reply else []
    failed = sample.conclusion == Sample.Conclusion.FAIL
    steps = []
    if not sample.conclusion:
        steps.append("report")
    if failed and not sample.notified_on:
        steps.append("notify")
    if failed and sample.result_received_on and objection is None:
        steps.append("objection")
    if objection is not None and objection.accepted is None:
        steps.append("decide")
    if objection is not None and objection.accepted and not objection.retest_conclusion:
        steps.append("retest")
    if sample.final_conclusion == Sample.Conclusion.FAIL:
        last = current_disposal(sample)
        ended = last is not None and last.rung == DisposalAction.Rung.REVOKE
        if last is None or (not ended and last.check_passed is False):
            steps.append("disposal")
        if last is not None and not ended and last.check_passed is None:
            steps.append("check")
    if referral_open and referral is not None and not referral.sent_on:
        steps.append("referral_send")
    if may_reply:
        steps.append("referral_reply")
    return steps
