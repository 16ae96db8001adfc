"""Credit rules at the edges of their dates (DOMAIN.md §2; 民法典 Arts. 201–203)."""

import datetime as dt

import numpy as np
import pytest

from zhiliang.lib.creditrules import (
    CLASSES,
    CreditFact,
    Kind,
    RiskClass,
    RiskModel,
    Sector,
    add_months,
    add_years,
    classify,
    early_removal_check,
    is_listing_candidate,
    listing_for,
    publicity,
    repair_from,
    score_many,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # no 31 February: the month's last day
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 3, 15), 6, D(2024, 9, 15)),
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2024, 11, 30), 3, D(2025, 2, 28)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),
    ],
)
def test_months_end_on_the_corresponding_day(day, months, expected):
    assert add_months(day, months) == expected


def test_a_year_from_29_february_ends_on_28_february():
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)


# --- publicity (Order 45) ------------------------------------------------------------------


def test_a_warning_alone_is_not_published():
    assert not publicity(decided_on=D(2025, 3, 3), warning_only=True).published


def test_a_light_penalty_is_public_three_months_and_others_three_years():
    light = publicity(decided_on=D(2025, 3, 3), published_on=D(2025, 3, 10), light=True)
    assert (light.start, light.end, light.term) == (D(2025, 3, 10), D(2025, 6, 10), "3 months")
    heavy = publicity(decided_on=D(2025, 3, 3), published_on=D(2025, 3, 10))
    assert (heavy.end, heavy.term) == (D(2028, 3, 10), "3 years")


def test_a_longer_restriction_keeps_the_record_public_until_it_ends():
    p = publicity(decided_on=D(2025, 3, 3), restricted_until=D(2030, 3, 2))
    assert (p.end, p.term) == (D(2030, 3, 2), "restriction")
    shorter = publicity(decided_on=D(2025, 3, 3), restricted_until=D(2026, 3, 2))
    assert shorter.term == "3 years"


def test_publication_is_due_twenty_working_days_after_the_decision():
    # 2024-09-20 (Fri), counted by hand: 23–27 Sep (5), the make-up working day 29 Sep
    # (Sun, 6), 30 Sep (7), the National Day holiday 1–7 Oct skipped, 8–11 Oct (11), the
    # make-up 12 Oct (Sat, 12), 14–18 Oct (17), 21, 22, 23 Oct (20).
    assert publicity(decided_on=D(2024, 9, 20)).due_by == D(2024, 10, 23)


# --- repair --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sector", "not_yet", "first"),
    [
        (Sector.GENERAL, D(2025, 9, 10), D(2025, 9, 11)),
        (Sector.FOOD, D(2026, 3, 10), D(2026, 3, 11)),
        (Sector.SPECIAL_EQUIPMENT, D(2026, 3, 10), D(2026, 3, 11)),
    ],
)
def test_repair_opens_the_day_after_six_months_or_a_year(sector, not_yet, first):
    opens = repair_from(D(2025, 3, 10), sector)
    assert opens == first and not_yet < opens


# --- the 严重违法失信名单 -------------------------------------------------------------------


def test_only_a_heavier_penalty_makes_a_listing_candidate():
    assert is_listing_candidate(CreditFact(1, Kind.PENALTY, D(2025, 1, 1), heavier=True))
    assert not is_listing_candidate(CreditFact(2, Kind.PENALTY, D(2025, 1, 1)))
    assert not is_listing_candidate(
        CreditFact(3, Kind.INSPECTION_FAILURE, D(2025, 1, 1), heavier=True)
    )


def test_a_listing_is_in_force_three_years_and_ends_by_itself():
    listing = listing_for(D(2024, 3, 15))
    assert listing.last_day == D(2027, 3, 15)
    assert listing.in_force(D(2027, 3, 15)) and not listing.in_force(D(2027, 3, 16))
    assert not listing.in_force(D(2024, 3, 14))
    assert not listing.in_force(D(2025, 6, 1), removed_on=D(2025, 5, 1))
    with pytest.raises(ValueError):
        listing_for(D(2024, 3, 15), years=4)


def test_early_removal_opens_after_a_full_year_of_listing():
    listing = listing_for(D(2025, 3, 15))  # no 29 February in the year: 365 days
    day_365 = D(2026, 3, 15)  # the year's last day: still within it
    assert (day_365 - listing.listed_on).days == 365
    facts = {"obligations_fulfilled": True, "harm_removed": True, "heavier_penalty_since": False}
    assert early_removal_check(listing, on=day_365, **facts) == [
        "列入未满一年（2026-03-16 起可申请提前移出）"
    ]
    assert early_removal_check(listing, on=D(2026, 3, 16), **facts) == []


def test_early_removal_across_a_leap_day_counts_the_calendar_year():
    listing = listing_for(D(2024, 2, 1))
    assert listing.early_removal_from == D(2025, 2, 2)  # 367 days later: 2024 had 29 Feb


def test_each_unmet_condition_of_early_removal_is_named():
    listing = listing_for(D(2023, 1, 10))
    unmet = early_removal_check(
        listing,
        on=D(2025, 1, 10),
        obligations_fulfilled=False,
        harm_removed=False,
        heavier_penalty_since=True,
        measure_period_ended=False,
    )
    assert unmet == [
        "法律法规规定的管理措施期限尚未届满",
        "尚未履行行政处罚等决定规定的义务",
        "尚未主动整改、消除危害后果和不良影响",
        "列入后又受到较重行政处罚",
    ]


# --- risk classes --------------------------------------------------------------------------

TODAY = D(2025, 6, 30)


def test_no_records_is_class_a():
    c = classify([], today=TODAY)
    assert (c.risk_class, c.score, c.contributions) == (RiskClass.A, 0.0, ())


def test_a_records_points_halve_every_half_life():
    fresh = classify([CreditFact(1, Kind.PENALTY, TODAY)], today=TODAY)
    year_old = classify([CreditFact(1, Kind.PENALTY, TODAY - dt.timedelta(days=365))], today=TODAY)
    assert fresh.score == 20.0 and year_old.score == 10.0
    assert year_old.contributions[0].decay == 0.5


def test_the_explanation_adds_up_to_the_score_and_names_each_factor():
    facts = [
        CreditFact("p1", Kind.PENALTY, D(2025, 1, 10), heavier=True),
        CreditFact("p2", Kind.PENALTY, D(2025, 6, 1)),
        CreditFact("f1", Kind.INSPECTION_FAILURE, D(2025, 6, 30)),
        CreditFact("a1", Kind.AWARD, D(2025, 6, 30)),
    ]
    c = classify(facts, today=TODAY)
    # In date order, then by record.
    assert [x.record for x in c.contributions] == ["p1", "p2", "a1", "f1"]
    p1, p2, a1, f1 = c.contributions
    assert p1.heavier == 2.0 and p1.repeat == 1.0
    assert p1.points == round(20 * 2 * 0.5 ** (171 / 365), 2) == 28.91  # 171 days old
    assert p2.repeat == 1.5  # the second penalty within two years
    assert p2.points == round(20 * 1.5 * 0.5 ** (29 / 365), 2) == 28.39
    assert f1.points == 15.0 and a1.points == -10.0
    assert c.score == round(sum(x.points for x in c.contributions), 2) == 62.3
    assert c.risk_class == RiskClass.D  # 60 ≤ score


def test_records_outside_the_horizon_or_in_the_future_count_nothing():
    facts = [
        CreditFact(1, Kind.ACCIDENT, TODAY - dt.timedelta(days=5 * 365 + 1)),
        CreditFact(2, Kind.ACCIDENT, TODAY + dt.timedelta(days=1)),
    ]
    assert classify(facts, today=TODAY).contributions == ()


def test_positive_records_offset_but_the_score_never_goes_below_zero():
    c = classify([CreditFact(1, Kind.AWARD, TODAY), CreditFact(2, Kind.BRAND, TODAY)], today=TODAY)
    assert c.score == 0.0 and c.risk_class == RiskClass.A


@pytest.mark.parametrize(
    ("score_kind_count", "expected"),
    [(0, RiskClass.A), (1, RiskClass.B), (2, RiskClass.C), (3, RiskClass.D)],
)
def test_the_thresholds_are_inclusive(score_kind_count, expected):
    # A model whose records score exactly the thresholds: 10, 30, 60.
    model = RiskModel(points={Kind.PENALTY: 10.0, Kind.RECALL: 20.0, Kind.ACCIDENT: 30.0})
    kinds = [Kind.PENALTY, Kind.RECALL, Kind.ACCIDENT][:score_kind_count]
    facts = [CreditFact(i, k, TODAY) for i, k in enumerate(kinds)]
    assert classify(facts, today=TODAY, model=model).risk_class == expected


def test_a_model_must_have_rising_thresholds():
    with pytest.raises(ValueError):
        RiskModel(thresholds=(30.0, 10.0, 60.0))


def test_a_penalty_beyond_the_holiday_calendar_still_gets_its_term():
    # chinesecalendar 1.11 ends with 2026: the due date is unknown, never guessed, but the
    # public term (calendar days) is computed and the record can be saved.
    p = publicity(decided_on=D(2026, 12, 20))
    assert p.due_by is None and p.end == D(2029, 12, 20)


# --- many enterprises at once (the nightly run) ----------------------------------------------


def _reference_score(facts, today, model):
    """The model's rules written out record by record (an independent oracle for
    ``score_many``): date order, then id; repetition counts earlier records of the same
    kind within the window; points in whole cents."""
    cents = 0
    earlier: dict = {}
    for f in sorted(facts, key=lambda f: (f.decided_on, f.id)):
        age = (today - f.decided_on).days
        if age < 0 or age > model.horizon_days:
            continue
        same = earlier.setdefault(f.kind, [])
        n = sum(1 for d in same if (f.decided_on - d).days <= model.repeat_window_days)
        same.append(f.decided_on)
        base = model.points.get(f.kind, 0.0)
        value = base * (model.heavier_factor if f.heavier else 1.0) * 0.5 ** (age / 365.0)
        value *= 1.0 + model.repeat_step * n if base > 0 else 1.0
        cents += round(value * 100)
    return max(cents, 0) / 100


def test_scoring_many_enterprises_at_once_gives_each_the_reference_score():
    rng = np.random.default_rng(7)
    model = RiskModel()
    kinds = list(Kind)
    n = 4000
    enterprise = rng.integers(1, 300, n)
    kind = rng.integers(0, len(kinds), n)
    # Dates around the horizon and window edges, with many records on the same day.
    day = TODAY.toordinal() - rng.integers(-5, 5 * 365 + 5, n)
    day[: n // 4] = TODAY.toordinal() - rng.choice([0, 730, 731, 1825, 1826], n // 4)
    heavier = rng.random(n) < 0.2
    ids = rng.permutation(n) + 1
    scored = score_many(enterprise, kind, day, heavier, ids, today=TODAY, model=model)
    by_enterprise: dict = {}
    for i in range(n):
        fact = CreditFact(
            int(ids[i]), kinds[kind[i]], dt.date.fromordinal(int(day[i])), bool(heavier[i])
        )
        by_enterprise.setdefault(int(enterprise[i]), []).append(fact)
    found = dict(zip(scored.enterprises.tolist(), scored.scores.tolist(), strict=True))
    assert len(found) > 250
    for e, facts in by_enterprise.items():
        expected = _reference_score(facts, TODAY, model)
        assert found.get(e, 0.0) == pytest.approx(expected, abs=0.011 * len(facts)), e
        one = classify(facts, today=TODAY, model=model)
        # The explanation an officer reads is the nightly number exactly.
        assert one.score == found.get(e, 0.0)
        if e in found:
            assert one.risk_class == CLASSES[int(scored.classes[list(found).index(e)])]
        else:
            assert one.risk_class == RiskClass.A and one.contributions == ()


def test_repeats_count_only_earlier_records_of_the_same_kind_and_enterprise():
    d = TODAY.toordinal()
    scored = score_many(
        np.array([1, 1, 1, 2, 1]),
        np.array([0, 0, 0, 0, 1]),  # penalties, and one inspection failure
        np.array([d - 731, d - 1, d - 1, d - 1, d - 1]),
        np.zeros(5, dtype=bool),
        np.array([5, 9, 8, 1, 2]),
        today=TODAY,
        model=RiskModel(),
    )
    repeat = dict(zip(scored.index.tolist(), scored.repeat.tolist(), strict=True))
    # Record 0 is 730 days before records 1 and 2: within the window. Of the two on one
    # day, id 8 (record 2) comes first. Enterprise 2 and the other kind start afresh.
    assert repeat == {0: 1.0, 2: 1.5, 1: 2.0, 3: 1.0, 4: 1.0}
