"""GENERATED enterprise names: the usual shape, reproducible from the seed."""

from __future__ import annotations

import random

from zhiliang.lib.samplegen import INDUSTRY_WORDS, LEGAL_FORMS, enterprise_name


def test_a_name_is_place_trade_name_industry_and_legal_form():
    rng = random.Random(7)
    for _ in range(200):
        name = enterprise_name(rng, "C38")
        assert name.startswith("重庆") or "（重庆" in name
        assert any(word in name for word in INDUSTRY_WORDS["C38"])
        assert any(name.endswith(form) for form, _ in LEGAL_FORMS)


def test_a_region_outside_the_city_names_its_city():
    names = [enterprise_name(random.Random(n), "F51", "440305") for n in range(50)]
    assert all("深圳" in name and "重庆" not in name for name in names)


def test_the_same_seed_gives_the_same_names_and_trade_names_recur():
    assert enterprise_name(random.Random(1), "C14") == enterprise_name(random.Random(1), "C14")
    rng = random.Random(2)
    names = [enterprise_name(rng, "C14") for _ in range(5000)]
    # Zipf-like trade names: some recur, most names are different.
    assert 1000 < len(set(names)) < 5000
