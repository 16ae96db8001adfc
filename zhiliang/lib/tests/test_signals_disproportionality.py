"""PRR, ROR, χ², IC against vigipy 3.5.1 and the closed forms (SIGNALS.md §2)."""

import math

import numpy as np
import pytest
from scipy import stats

from zhiliang.lib.signals import (
    DUMOUCHEL_1999,
    TwoByTwo,
    bcpnn,
    chi2_yates,
    disproportionality,
    ic_shrinkage,
    lbe_fdr,
    prr,
    rfet,
    rfet_midp,
    ror,
    table_from_reports,
    two_by_two,
)
from zhiliang.lib.signals.io import disproportionality_rows, pair_mgps, read_pair_counts
from zhiliang.lib.tests.signals_data import RELATIVE, needs_reference, relative_error, rows


def product_hazard_table():
    """input_product_hazard_counts.csv as a products × hazards table, with the names."""
    data = rows("input_product_hazard_counts.csv")
    products = list(dict.fromkeys(r["product"] for r in data))
    hazards = list(dict.fromkeys(r["hazard"] for r in data))
    table = np.zeros((len(products), len(hazards)))
    for r in data:
        table[products.index(r["product"]), hazards.index(r["hazard"])] = float(r["count"])
    return table, products, hazards


def tables_from_file():
    """input_2x2_tables.csv as the TwoByTwo of its scored pairs (a ≥ 1, as vigipy), with
    the product and hazard names: the closed forms computed from the shared tables, not
    from :func:`two_by_two`."""
    data = [r for r in rows("input_2x2_tables.csv") if int(r["a"]) >= 1]
    products = list(dict.fromkeys(r["product"] for r in data))
    hazards = list(dict.fromkeys(r["hazard"] for r in data))
    (total,) = {float(r["N"]) for r in data}
    cells = TwoByTwo(
        product=np.array([products.index(r["product"]) for r in data]),
        event=np.array([hazards.index(r["hazard"]) for r in data]),
        **{k: np.array([float(r[k]) for r in data]) for k in "abcd"},
        total=total,
    )
    return cells, products, hazards


def pair_index(cells, products, hazards):
    return {
        (products[p], hazards[e]): i
        for i, (p, e) in enumerate(zip(cells.product, cells.event, strict=True))
    }


RUNS = {"min_events1": 1, "defaults": 3}


@needs_reference
@pytest.mark.parametrize("run", list(RUNS))
@pytest.mark.parametrize(
    ("method", "function", "column"), [("prr", prr, "PRR"), ("ror", ror, "ROR")]
)
def test_prr_and_ror_match_vigipy_with_their_fdr_and_signals(run, method, function, column):
    table, products, hazards = product_hazard_table()
    cells = two_by_two(table, min_count=RUNS[run])
    index = pair_index(cells, products, hazards)
    got = function(cells)
    fdr = lbe_fdr(got.p_value)
    reference = [r for r in rows(f"ref_vigipy_{method}.csv") if r["run"] == run]
    assert len(reference) == len(cells.a) == {"min_events1": 20, "defaults": 16}[run]
    worst = 0.0
    for r in reference:
        i = index[(r["product"], r["hazard"])]
        for mine, theirs in [
            (got.ratio[i], column),
            (got.lower[i], "CI Lower"),
            (got.upper[i], "CI Upper"),
            (got.p_value[i], "p_value"),
            (cells.expected[i], "expected"),
            (fdr[i], "fdr"),
            (cells.a[i], "count"),
            (cells.product_total[i], "product margin"),
            (cells.event_total[i], "event margin"),
        ]:
            worst = max(worst, relative_error(mine, float(r[theirs])))
        assert (fdr[i] <= 0.05) == (r["signal"] == "True"), (r["product"], r["hazard"])
    assert worst < RELATIVE


@needs_reference
@pytest.mark.parametrize("run", list(RUNS))
def test_bcpnn_matches_vigipy(run):
    table, products, hazards = product_hazard_table()
    cells = two_by_two(table, min_count=RUNS[run])
    index = pair_index(cells, products, hazards)
    got = bcpnn(cells)
    worst = 0.0
    for r in (r for r in rows("ref_vigipy_bcpnn.csv") if r["run"] == run):
        i = index[(r["product"], r["hazard"])]
        worst = max(
            worst,
            relative_error(got.ic025[i], float(r["quantile"])),
            relative_error(got.posterior[i], float(r["posterior_probability"])),
        )
        # vigipy's default decision: rank by IC025, signal where IC025 ≥ 0.
        assert (got.ic025[i] >= 0) == (r["signal"] == "True")
    assert worst < RELATIVE


@needs_reference
def test_every_closed_form_matches():
    cells, products, hazards = tables_from_file()
    index = pair_index(cells, products, hazards)
    got = disproportionality(cells)
    scipy_chi2 = chi2_yates(cells, variant="scipy")
    umc = ic_shrinkage(cells)
    columns = {
        "a": cells.a,
        "b": cells.b,
        "c": cells.c,
        "d": cells.d,
        "E_MH": got.expected,
        "PRR": got.prr.ratio,
        "PRR_lo95": got.prr.lower,
        "PRR_hi95": got.prr.upper,
        "ROR": got.ror.ratio,
        "ROR_lo95": got.ror.lower,
        "ROR_hi95": got.ror.upper,
        "chi2_yates_textbook": got.chi2_yates,
        "chi2_yates_scipy": scipy_chi2,
        "IC_UMC": umc.ic,
        "IC025_UMC_gamma": umc.ic025,
        "IC_BCPNN_PhViD": got.ic.ic,
        "IC025_BCPNN_PhViD": got.ic.ic025,
    }
    reference = rows("ref_closed_form_2x2.csv")
    assert len(reference) == 20
    worst = {name: 0.0 for name in columns}
    for r in reference:
        i = index[(r["product"], r["hazard"])]
        for name, values in columns.items():
            worst[name] = max(worst[name], relative_error(values[i], float(r[name])))
        evans = r["evans_signal(PRR>=2&chi2_yates>=4&a>=3)"] == "True"
        assert got.evans_signal[i] == evans, (r["product"], r["hazard"])
        # the published approximation of the UMC IC025 is within 0.05 of the exact one
        assert abs(float(r["IC025_UMC_approx"]) - umc.ic025[i]) < 0.05
    assert max(worst.values()) < RELATIVE, worst


@needs_reference
def test_two_by_two_gives_the_shared_tables_exactly():
    table, products, hazards = product_hazard_table()
    cells = two_by_two(table, min_count=1)
    index = pair_index(cells, products, hazards)
    reference = rows("input_2x2_tables.csv")
    assert len(reference) == table.size == 24
    empty = set()
    for r in reference:
        want = tuple(int(r[k]) for k in ("a", "b", "c", "d", "N"))
        if want[0] == 0:  # an empty pair is not scored (vigipy)
            empty.add((r["product"], r["hazard"]))
            continue
        i = index[(r["product"], r["hazard"])]
        assert (cells.a[i], cells.b[i], cells.c[i], cells.d[i], cells.total) == want, r
    assert len(index) == 20 and empty.isdisjoint(index)
    assert empty == {("kettle", "ingestion")} | {
        ("hoverboard", h) for h in ("burn", "ingestion", "other")
    }


@needs_reference
def test_the_command_line_tables_of_every_pair_are_the_shared_ones():
    # Pairs without reports get their table too (zhiliang signals disproportionality).
    lines = ["product,event,count"] + [
        f"{r['product']},{r['hazard']},{r['count']}"
        for r in rows("input_product_hazard_counts.csv")
    ]
    table = read_pair_counts(lines)
    mgps = pair_mgps(table, {"prior": DUMOUCHEL_1999})  # given: no prior fit needed here
    header, *printed = disproportionality_rows(table, mgps)
    got = [dict(zip(header, row, strict=True)) for row in printed]
    reference = rows("input_2x2_tables.csv")
    assert [(g["product"], g["event"]) for g in got] == [
        (r["product"], r["hazard"]) for r in reference
    ]
    for g, r in zip(got, reference, strict=True):
        assert [g[k] for k in "abcd"] == [r[k] for k in "abcd"], r


RFET_RUNS = {"min_events1": 1, "defaults": 3}


@needs_reference
@pytest.mark.parametrize("run", list(RFET_RUNS))
def test_rfet_with_mid_p_matches_vigipy_with_its_fdr_and_signals(run):
    table, products, hazards = product_hazard_table()
    cells = two_by_two(table, min_count=RFET_RUNS[run])
    index = pair_index(cells, products, hazards)
    got = rfet_midp(cells)
    fdr = lbe_fdr(got.p_value)
    reference = [r for r in rows("ref_vigipy_rfet_midp.csv") if r["run"] == run]
    assert len(reference) == len(cells.a) == {"min_events1": 20, "defaults": 16}[run]
    worst = 0.0
    for r in reference:
        i = index[(r["product"], r["hazard"])]
        for mine, theirs in [
            (got.p_value[i], "p_value"),
            (got.odds_ratio[i], "RFET"),
            (fdr[i], "fdr"),
            (cells.expected[i], "expected"),
            (cells.a[i], "count"),
            (cells.product_total[i], "product margin"),
            (cells.event_total[i], "event margin"),
        ]:
            worst = max(worst, relative_error(mine, float(r[theirs])))
        # vigipy's default decision: signals where the LBE FDR ≤ 0.05
        assert (fdr[i] <= 0.05) == (r["signal"] == "True"), (r["product"], r["hazard"])
        assert int(r["num_signals"]) == int((fdr <= 0.05).sum())
    assert worst < RELATIVE
    # vigipy's "RFET" column is the (Haldane-corrected) reporting odds ratio
    np.testing.assert_array_equal(got.odds_ratio, ror(cells).ratio)


@needs_reference
def test_rfet_is_fishers_one_sided_exact_test_and_mid_p_takes_off_half_the_point():
    table, _, _ = product_hazard_table()
    cells = two_by_two(table, min_count=1)
    classic, mid = rfet(cells), rfet_midp(cells)
    for i in range(len(cells.a)):
        cell = [[cells.a[i], cells.b[i]], [cells.c[i], cells.d[i]]]
        want = stats.fisher_exact(cell, alternative="greater").pvalue
        assert classic.p_value[i] == pytest.approx(want, rel=1e-9)
    # hoverboard–fire by hand: its 4 reports, all fire, among N = 3514 with 198 fires
    a, n, fires = 4, 3514, 198
    point = math.comb(fires, a) / math.comb(n, a)  # P(X = 4) = P(X ≥ 4)
    h = int(np.flatnonzero((cells.a == 4) & (cells.b == 0))[0])
    assert classic.p_value[h] == pytest.approx(point, rel=1e-12)
    assert mid.p_value[h] == pytest.approx(point / 2, rel=1e-12)


def test_the_exact_test_refuses_fractional_counts():
    cells = two_by_two(np.array([[2.5, 3.0], [4.0, 5.0]]), min_count=1)
    with pytest.raises(ValueError, match="whole counts"):
        rfet_midp(cells)


@needs_reference
def test_the_spot_values_of_signals_md():
    table, products, hazards = product_hazard_table()
    cells = two_by_two(table, min_count=1)
    index = pair_index(cells, products, hazards)
    got = disproportionality(cells)
    m = index[("magnet_toy", "ingestion")]
    assert cells.a[m] == 30 and got.expected[m] == pytest.approx(2.0774, abs=5e-5)
    assert (got.prr.ratio[m], got.prr.lower[m], got.prr.upper[m]) == pytest.approx(
        (23.8186, 15.6231, 36.3133), abs=5e-5
    )
    assert got.ror.ratio[m] == pytest.approx(33.598, abs=5e-4)
    assert got.chi2_yates[m] == pytest.approx(380.50, abs=5e-3)
    assert got.ic.ic025[m] == pytest.approx(2.6372, abs=5e-5)
    h = index[("hoverboard", "fire")]  # b = 0: Haldane–Anscombe +0.5 on all four cells
    assert cells.b[h] == 0
    assert got.prr.ratio[h] == pytest.approx(16.2463, abs=5e-5)
    assert got.ror.ratio[h] == pytest.approx(153.46, abs=5e-3)


def test_a_two_by_two_worked_by_hand():
    # a = 20, b = 80, c = 40, d = 860, N = 1000.
    table = np.array([[20, 80], [40, 860]])
    cells = two_by_two(table, min_count=1)
    first = int(np.flatnonzero((cells.product == 0) & (cells.event == 0))[0])
    assert (cells.a[first], cells.b[first], cells.c[first], cells.d[first]) == (20, 80, 40, 860)
    assert cells.expected[first] == pytest.approx(100 * 60 / 1000)
    p = prr(cells)
    assert p.ratio[first] == pytest.approx((20 / 100) / (40 / 900))  # 4.5
    se = math.sqrt(1 / 20 - 1 / 100 + 1 / 40 - 1 / 900)
    assert p.lower[first] == pytest.approx(4.5 * math.exp(-1.959963984540054 * se))
    assert p.p_value[first] == pytest.approx(stats.norm.sf(math.log(4.5) / se))
    o = ror(cells)
    assert o.ratio[first] == pytest.approx(20 * 860 / (80 * 40))  # 5.375
    assert o.upper[first] == pytest.approx(
        5.375 * math.exp(1.959963984540054 * math.sqrt(1 / 20 + 1 / 80 + 1 / 40 + 1 / 860))
    )
    # Yates: N(|ad − bc| − N/2)² / (row and column totals) = 1000 · (14000 − 500)² / (100·900·60·940)
    assert chi2_yates(cells)[first] == pytest.approx(1000 * 13500**2 / (100 * 900 * 60 * 940))
    assert chi2_yates(cells)[first] == pytest.approx(
        stats.chi2_contingency(table, correction=True)[0]
    )


def test_scipy_yates_is_zero_where_the_textbook_formula_turns_positive_again():
    # |ad − bc| = |10·10 − 10·9| = 10 < N/2 = 19.5
    table = np.array([[10, 10], [9, 10]])
    cells = two_by_two(table, min_count=1)
    textbook, clamped = chi2_yates(cells), chi2_yates(cells, variant="scipy")
    assert (textbook > 0).all() and (clamped == 0).all()
    assert clamped[0] == stats.chi2_contingency(table, correction=True)[0]


def test_bcpnn_is_the_closed_form_of_noren_2006():
    from scipy.special import digamma, polygamma

    table = np.array([[20, 80], [40, 860]], dtype=float)
    cells = two_by_two(table, min_count=1)
    n, a, n1, n_1 = 1000.0, 20.0, 100.0, 60.0
    p1, p2, q1, q2, r1 = 1 + n1, 1 + n - n1, 1 + n_1, 1 + n - n_1, 1 + a
    r2 = n - a - 1 + (2 + n) ** 2 / (q1 * p1)
    mean = (
        digamma(r1)
        - digamma(r1 + r2)
        - (digamma(p1) - digamma(p1 + p2) + digamma(q1) - digamma(q1 + q2))
    ) / math.log(2)
    var = (
        polygamma(1, r1)
        - polygamma(1, r1 + r2)
        + polygamma(1, p1)
        - polygamma(1, p1 + p2)
        + polygamma(1, q1)
        - polygamma(1, q1 + q2)
    ) / math.log(2) ** 2
    got = bcpnn(cells)
    assert got.ic[0] == pytest.approx(mean, rel=1e-13)
    assert got.ic025[0] == pytest.approx(mean + stats.norm.ppf(0.025) * math.sqrt(var), rel=1e-13)
    assert got.posterior[0] == pytest.approx(stats.norm.cdf(0, mean, math.sqrt(var)), rel=1e-10)


def test_the_evans_rule_needs_all_three_conditions():
    from zhiliang.lib.signals import evans_signal

    got = evans_signal(
        np.array([2.0, 1.99, 3, 3]), np.array([4.0, 9, 3.99, 9]), np.array([3, 3, 3, 2])
    )
    assert got.tolist() == [True, False, False, False]


def test_min_count_keeps_only_pairs_with_enough_reports_and_never_empty_ones():
    table = np.array([[0, 1, 3], [5, 2, 0]])
    assert len(two_by_two(table, min_count=1).a) == 4
    kept = two_by_two(table)  # vigipy's default min_events = 3
    assert sorted(zip(kept.product.tolist(), kept.event.tolist(), strict=True)) == [(0, 2), (1, 0)]
    # the margins are still those of the whole table
    assert sorted(kept.product_total.tolist()) == [4, 7]


def test_report_totals_replace_the_pair_sums():
    # Two reports each naming both hazards: pairs sum to 4, reports are 2.
    table = np.array([[2, 2]])
    pairs = two_by_two(table, min_count=1)
    reports = two_by_two(table, min_count=1, product_totals=[2], event_totals=[2, 2], total=2)
    assert pairs.total == 4 and reports.total == 2
    assert pairs.expected.tolist() == [2.0, 2.0] and reports.expected.tolist() == [2.0, 2.0]
    with pytest.raises(ValueError):
        two_by_two(table, min_count=1, total=1)


def test_a_table_is_tallied_from_report_rows():
    table = table_from_reports([0, 0, 1, 2, 0], [1, 1, 0, 2, 2], products=3, events=3)
    assert table.tolist() == [[0, 2, 1], [1, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError):
        table_from_reports([3], [0], products=3, events=3)


def test_lbe_fdr_is_monotone_in_the_p_values():
    p = np.array([1e-9, 0.001, 0.3, 0.6, 0.02, 0.9])
    fdr = lbe_fdr(p)
    order = np.argsort(p)
    assert (np.diff(fdr[order]) >= 0).all()
    assert ((fdr >= 0) & (fdr <= 1)).all()
    with pytest.raises(ValueError):
        lbe_fdr([0.5, 1.5])


@pytest.mark.parametrize(
    ("table", "kwargs"),
    [([[1, -1]], {}), ([1, 2], {}), ([[1, 2]], {"min_count": 0}), ([[1, 2]], {"min_count": 1.5})],
)
def test_bad_tables_are_refused(table, kwargs):
    with pytest.raises(ValueError):
        two_by_two(table, **kwargs)


def test_the_fast_trigamma_equals_scipys():
    from scipy.special import polygamma

    from zhiliang.lib.signals.disproportionality import _trigamma

    x = np.concatenate([np.arange(1.0, 40.0), np.linspace(1, 30, 2001), [19.99, 20.0, 1e6, 3.5e9]])
    np.testing.assert_allclose(_trigamma(x), polygamma(1, x), rtol=2e-15)
