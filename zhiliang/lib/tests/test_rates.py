import pytest

from zhiliang.lib.rates import pass_rate, wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, Table II, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0000),
    ],
)
def test_it_matches_newcombes_worked_examples(successes, n, low, high):
    got = wilson_interval(successes, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_a_wider_confidence_gives_a_wider_interval():
    low95, high95 = wilson_interval(45, 50)
    low99, high99 = wilson_interval(45, 50, confidence=0.99)
    assert low99 < low95 < 0.9 < high95 < high99


def test_pass_rate_is_passed_over_tested():
    assert pass_rate(9, 10) == 0.9
    assert pass_rate(0, 0) is None


@pytest.mark.parametrize(("successes", "n"), [(-1, 5), (6, 5), (1, -1)])
def test_impossible_counts_are_refused(successes, n):
    with pytest.raises(ValueError):
        pass_rate(successes, n)
    with pytest.raises(ValueError):
        wilson_interval(successes, max(n, 1) if n >= 0 else n)


def test_no_interval_without_trials_or_with_a_bad_level():
    with pytest.raises(ValueError, match="zero trials"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=1.0)
