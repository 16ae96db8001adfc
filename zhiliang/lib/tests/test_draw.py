from collections import Counter

import pytest

from zhiliang.lib.draw import Candidate, draw

POOL = [Candidate(f"E{i:03d}", "C34|500103", "ABCD"[i % 4]) for i in range(40)] + [
    Candidate(f"F{i:03d}", "C34|500108", None) for i in range(10)
]
QUOTAS = {"C34|500103": 5, "C34|500108": 3}


def test_the_same_inputs_and_seed_give_the_same_draw_in_any_order():
    first = draw(POOL, QUOTAS, seed=2015)
    again = draw(list(reversed(POOL)), QUOTAS, seed=2015)
    assert first.chosen == again.chosen
    assert len(first.chosen["C34|500103"]) == 5 and len(first.chosen["C34|500108"]) == 3


def test_another_seed_gives_another_draw():
    assert draw(POOL, QUOTAS, seed=1).chosen != draw(POOL, QUOTAS, seed=2).chosen


def test_adding_a_stratum_does_not_change_the_others():
    more = {**QUOTAS, "C35|500101": 2}
    assert (
        draw(POOL, more, seed=7).chosen["C34|500103"]
        == draw(POOL, QUOTAS, seed=7).chosen["C34|500103"]
    )


def test_excluded_and_already_drawn_enterprises_are_never_drawn():
    pool = POOL + [Candidate("E000", "C34|500108")]  # the same enterprise in a second stratum
    result = draw(pool, QUOTAS, seed=3, exclude={"E001", "E002"})
    chosen = [k for keys in result.chosen.values() for k in keys]
    assert len(chosen) == len(set(chosen))
    assert not {"E001", "E002"} & set(chosen)


def test_a_quota_larger_than_the_pool_takes_all_and_reports_the_shortfall():
    result = draw(POOL, {"C34|500108": 12}, seed=5)
    assert sorted(result.chosen["C34|500108"]) == [f"F{i:03d}" for i in range(10)]
    assert result.shortfalls == {"C34|500108": 2}


def test_high_risk_enterprises_are_drawn_more_often():
    counts: Counter[str] = Counter()
    risk = {c.key: c.risk_class for c in POOL}
    for seed in range(400):
        for key in draw(POOL, {"C34|500103": 4}, seed=seed).chosen["C34|500103"]:
            counts[risk[key]] += 1
    # 10 enterprises per class; weights A .05, B .2, C .6, D 1.
    assert counts["D"] > counts["C"] > counts["B"] > counts["A"]


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError):
        draw(POOL, QUOTAS, seed=1, class_weights={"A": 0})
    with pytest.raises(ValueError):
        draw(POOL, {"C34|500103": -1}, seed=1)
    with pytest.raises(ValueError, match="unknown risk class 'E'"):
        draw([Candidate("X", "s", "E")], {"s": 1}, seed=1)
