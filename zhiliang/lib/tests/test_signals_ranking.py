"""vigipy's BCPNN ranking, Bayesian rates and decision rules (SIGNALS.md §2.3, §5)."""

import numpy as np
import pytest

from zhiliang.lib.signals import (
    PAIR_STATISTICS,
    bayesian_rates,
    bcpnn,
    bcpnn_signals,
    signal_count,
    two_by_two,
)
from zhiliang.lib.tests.signals_data import RELATIVE, needs_reference, relative_error, rows
from zhiliang.lib.tests.test_signals_disproportionality import pair_index, product_hazard_table

RATES = [("fdr", "fdr"), ("fnr", "FNR"), ("false_omission", "FOR"), ("sensitivity", "Se")]
RATES += [("specificity", "Sp")]


def compare(got, cells, index, reference, columns):
    worst = 0.0
    for r in reference:
        i = index[(r["product"], r["hazard"])]
        values = {
            "count": cells.a[i],
            "expected": cells.expected[i],
            "count/expected": cells.a[i] / cells.expected[i],
            "product margin": cells.product_total[i],
            "event margin": cells.event_total[i],
            "quantile": got.ic.ic025[i],
            "p_value": got.ic.posterior[i],
            "posterior_probability": got.ic.posterior[i],
            **{theirs: getattr(got.rates, mine)[i] for mine, theirs in RATES},
        }
        for column in columns:
            worst = max(worst, relative_error(values[column], float(r[column])))
        assert got.signal[i] == (r["signal"] == "True"), (r["product"], r["hazard"])
        assert got.num_signals == int(r["num_signals"])
    return worst


@needs_reference
def test_ranked_by_posterior_it_matches_vigipy_and_signals_nothing():
    # vigipy bcpnn(ranking_statistic="p_value"): decision "rank" keeps decision_thres=0.0,
    # so only a posterior of exactly 0 would signal — none does (SIGNALS.md §5).
    table, products, hazards = product_hazard_table()
    cells = two_by_two(table, min_count=1)
    got = bcpnn_signals(cells, ranking_statistic="p_value")
    reference = rows("ref_vigipy_bcpnn_pvalue_rank.csv")
    assert {r["run"] for r in reference} == {"min_events1"} and len(reference) == 20
    columns = ["count", "expected", "p_value", "quantile", "count/expected", "product margin"]
    columns += ["event margin"] + [theirs for _, theirs in RATES]
    index = pair_index(cells, products, hazards)
    assert compare(got, cells, index, reference, columns) < RELATIVE
    assert got.num_signals == 0
    np.testing.assert_array_equal(got.rank, got.ic.posterior)
    # the rates follow the ranking: FDR non-decreasing, sensitivity rising to 1
    order = np.argsort(got.ic.posterior)
    assert (np.diff(got.rates.fdr[order]) >= 0).all()
    assert got.rates.sensitivity[order][-1] == 1.0


@needs_reference
@pytest.mark.parametrize(("run", "min_count"), [("min_events1", 1), ("defaults", 3)])
def test_ranked_by_ic025_its_rates_and_signals_match_vigipy(run, min_count):
    table, products, hazards = product_hazard_table()
    cells = two_by_two(table, min_count=min_count)
    got = bcpnn_signals(cells)  # vigipy's defaults: IC025 ≥ 0
    reference = [r for r in rows("ref_vigipy_bcpnn.csv") if r["run"] == run]
    columns = ["quantile", "posterior_probability", "count/expected"]
    columns += [theirs for _, theirs in RATES]
    index = pair_index(cells, products, hazards)
    assert compare(got, cells, index, reference, columns) < RELATIVE
    np.testing.assert_array_equal(got.signal, got.ic.ic025 >= 0)


@needs_reference
def test_a_p_value_threshold_or_the_fdr_gives_the_signals_the_default_misses():
    table, _, _ = product_hazard_table()
    cells = two_by_two(table, min_count=1)
    by_p = bcpnn_signals(cells, ranking_statistic="p_value", decision_threshold=0.05)
    np.testing.assert_array_equal(by_p.signal, by_p.ic.posterior <= 0.05)
    assert by_p.num_signals == 6
    by_fdr = bcpnn_signals(
        cells, ranking_statistic="p_value", decision_metric="fdr", decision_threshold=0.05
    )
    np.testing.assert_array_equal(by_fdr.signal, by_fdr.rates.fdr <= 0.05)
    assert by_fdr.num_signals == 8


def test_the_rates_worked_by_hand():
    # posteriors of no signal 0.9, 0.1, 0.5 ranked 0.1, 0.5, 0.9
    got = bayesian_rates([0.9, 0.1, 0.5], [1, 2, 0])
    ranked = [1, 2, 0]
    assert got.fdr[ranked] == pytest.approx([0.1, 0.3, 0.5])  # running means of p
    # 1 − p: 0.9, 0.5, 0.1 of 1.5 in all
    assert got.sensitivity[ranked] == pytest.approx([0.6, 1.4 / 1.5, 1.0])
    assert got.fnr[ranked] == pytest.approx([0.4, 0.1 / 1.5, 0.0], abs=1e-15)
    assert got.false_omission[ranked] == pytest.approx([0.6 / 2, 0.1 / 1, 0.0], abs=1e-6)
    assert got.specificity[ranked] == pytest.approx([1.4 / 1.5, 0.9 / 1.5, 0.0], abs=1e-15)
    with pytest.raises(ValueError, match="rank every pair once"):
        bayesian_rates([0.9, 0.1], [0, 0])


def test_vigipys_decision_rules():
    rank = np.array([0.01, 0.2, 0.04, 0.9])
    fdr = np.array([0.02, 0.3, 0.05, 0.6])
    assert signal_count("rank", 0.05, rank=rank, ascending=True, fdr=fdr) == 2
    assert signal_count("rank", 0.2, rank=rank, ascending=False, fdr=fdr) == 2
    assert signal_count("fdr", 0.05, rank=rank, ascending=True, fdr=fdr) == 2
    assert signal_count("signals", 3, rank=rank, ascending=True, fdr=fdr) == 3
    assert signal_count("signals", 9, rank=rank, ascending=True, fdr=fdr) == 4
    assert signal_count("signals", 0.5, rank=rank, ascending=True, fdr=fdr) == 2
    with pytest.raises(ValueError, match="decision_metric"):
        signal_count("top", 1, rank=rank, ascending=True, fdr=fdr)  # type: ignore[arg-type]


def test_it_is_registered_and_keeps_the_bcpnn_statistics():
    cells = two_by_two(np.array([[20, 80, 5], [40, 860, 1]]), min_count=1)
    method = PAIR_STATISTICS["bcpnn-signals"]
    assert dict(method.parameters) == {
        "relative_risk": 1.0,
        "ranking_statistic": "quantile",
        "decision_metric": "rank",
        "decision_threshold": 0.0,
    }
    got = method.function(cells)
    np.testing.assert_array_equal(got.ic.ic025, bcpnn(cells).ic025)
    with pytest.raises(ValueError, match="ranking_statistic"):
        bcpnn_signals(cells, ranking_statistic="log2")  # type: ignore[arg-type]
