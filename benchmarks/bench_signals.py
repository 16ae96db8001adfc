"""Early-warning detectors at scale (issue 6): each detector on 10,000 series × 260 weeks
within 2 s (Farrington, half a million small GLM fits: within 5 s, with surveillance's
and with Noufaily's settings; the NSSP switch, which runs the regression and the EWMA:
within 4 s), PRR + ROR + χ² + IC for 1,000,000 reports within 0.1 s,
and MGPS on the same table: the posterior (EBGM, EB05, EB95, P(λ < 1)) of the pairs with
a ≥ 3 under DuMouchel's prior within vigipy 3.5.1's 1.26 s, and the prior fit on every
pair with a report within 4 s (10× faster than vigipy's 39.9 s, SIGNALS.md §4) reaching a
−log-likelihood no worse than vigipy's on this table.

The issue asks the NSSP regression and switch to be at least 100 times faster per series
than pynssp 0.1.0, which took 474–514 ms per series for the regression and 900 ms for the
switch on daily dates (SIGNALS.md §4): 10,000 series would then be allowed 47 s and 90 s.
Their limits here are those of the other detectors, far inside that; they also run on the
same counts dated daily (the ports' design, with day-of-week terms), as pynssp was timed.

All data here is GENERATED (seeded random, nothing real), shaped like SIGNALS.md §4:

* 10,000 weekly Poisson series of 260 weeks, levels Γ(shape 2, scale 5) (mean 10) with an
  annual cosine season of ±30 %;
* 1,000,000 product–hazard report rows over 5,000 products × 200 hazards, log-normal
  popularities, 500 planted pairs with a relative risk of 3–10.

Times are wall-clock medians of 3 runs (``time.perf_counter``). The disproportionality
time starts from the products × hazards table (tallying the rows is reported apart).
Farrington looks b years back and tests from week 52·b + w + 1: with surveillance's b = 5
nothing of 260 weeks would be tested, so it runs with b = 4 (weeks 212–260, 49 weeks).

Run: ``.venv/bin/python benchmarks/bench_signals.py`` (exits 1 when a limit is exceeded).

Interpreter: it measures in its own process, so it first runs itself again in the
runtime-only virtualenv (``benchmarks/runtime_venv.py``: pyproject's pinned runtime
dependencies, no dev extras and so no pandas, this working tree on ``PYTHONPATH``), as a
production install would run the code; the header line names it.
"""

from __future__ import annotations

import datetime
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import runtime_venv  # noqa: E402  (benchmarks/runtime_venv.py)
from machine import describe  # noqa: E402  (benchmarks/machine.py)

from zhiliang.lib.signals import (  # noqa: E402
    DETECTORS,
    DUMOUCHEL_1999,
    NOUFAILY_2013,
    REQUIRED,
    detect,
    disproportionality,
    gps_fit_prior,
    gps_posterior,
    lbe_fdr,
    table_from_reports,
    two_by_two,
)

SERIES, WEEKS = 10_000, 260
REPORTS, PRODUCTS, HAZARDS = 1_000_000, 5_000, 200
DETECTOR_LIMIT = 2.0
FARRINGTON_LIMIT = 5.0
SWITCH_LIMIT = 4.0  # regression + EWMA, each within DETECTOR_LIMIT
#: pynssp 0.1.0's time per series on daily dates (SIGNALS.md §4: 100 series in 51.4 s,
#: 40 in 36.0 s), and the factor the issue asks to beat it by.
PYNSSP_SECONDS_PER_SERIES = {"regression": 0.514, "switch": 0.900}
PYNSSP_FACTOR = 100
DAYS = [datetime.date(2021, 1, 4) + datetime.timedelta(days=i) for i in range(WEEKS)]
WEEK_DATES = [datetime.date(2021, 1, 3) + datetime.timedelta(weeks=i) for i in range(WEEKS)]
PAIRS_LIMIT = 0.1
#: vigipy 3.5.1 gps(prior_param=DuMouchel's) on 81,450 pairs with a ≥ 3 (SIGNALS.md §4).
GPS_POSTERIOR_LIMIT = 1.26
#: A tenth of vigipy 3.5.1's 39.9 s for gps() with its prior fit (SIGNALS.md §4).
GPS_FIT_LIMIT = 4.0
#: vigipy 3.5.1 gps() defaults on this GENERATED table (seed 20261126; 272,504 pairs with a
#: report): Nelder–Mead stopped at maxiter 500 ("Maximum number of iterations has been
#: exceeded") at prior (18.844, 2.5199, 9.9207, 9.99999, 0.000241) with this −ln L, after
#: 25.2 s (fit and posterior) on this machine, 2026-11-26. Our fit must not be worse.
VIGIPY_GPS_NEG_LOG_LIKELIHOOD = 337_855.3437355597
RUNS = 3
REQUIRED_VALUES = {"training_weeks": 52}
#: detectors the issue does not name, timed without a limit
SEASONAL = ("serfling-pynssp", "nbinom-pynssp")
#: Runs of the detectors: name, detector, parameters, limit in seconds.
RUNS_OF: list[tuple[str, str, dict[str, Any], float]] = [
    *(
        (name, name, {}, DETECTOR_LIMIT)
        for name in DETECTORS
        if name not in ("farrington", "switch", *SEASONAL)
    ),
    ("regression-daily", "regression", {"dates": DAYS}, DETECTOR_LIMIT),
    ("switch", "switch", {}, SWITCH_LIMIT),
    ("switch-daily", "switch", {"dates": DAYS}, SWITCH_LIMIT),
    ("farrington", "farrington", {"b": 4}, FARRINGTON_LIMIT),
    ("farr-noufaily", "farrington", {"b": 4, **NOUFAILY_2013}, FARRINGTON_LIMIT),
    # pynssp's multi-year seasonal detectors: beyond the list, timed for
    # information (no limit), with 208 training weeks
    ("serfling-pynssp", "serfling-pynssp", {"training_weeks": 208, "dates": WEEK_DATES}, math.inf),
    ("nbinom-pynssp", "nbinom-pynssp", {"training_weeks": 208}, math.inf),
]


def weekly_counts(rng: np.random.Generator) -> np.ndarray:
    level = rng.gamma(2.0, 5.0, size=(SERIES, 1))
    season = 1 + 0.3 * np.cos(2 * np.pi * np.arange(WEEKS) / 52.18)
    return rng.poisson(level * season).astype(np.float64)


def report_rows(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    product_weight = rng.lognormal(0, 1.5, PRODUCTS)
    hazard_weight = rng.lognormal(0, 1.2, HAZARDS)
    product = rng.choice(PRODUCTS, size=REPORTS, p=product_weight / product_weight.sum())
    hazard = rng.choice(HAZARDS, size=REPORTS, p=hazard_weight / hazard_weight.sum())
    # Plant 500 pairs: re-point a share of each planted product's reports at its hazard,
    # so the pair is reported 3–10 times as often as independence predicts.
    planted = rng.choice(PRODUCTS, size=500, replace=False)
    target = rng.choice(HAZARDS, size=500)
    risk = rng.uniform(3, 10, size=500)
    share = hazard_weight / hazard_weight.sum()
    for p, h, rr in zip(planted, target, risk, strict=True):
        rows = np.flatnonzero(product == p)
        extra = min(1.0, (rr - 1) * share[h])
        hazard[rows[rng.random(rows.size) < extra]] = h
    return product, hazard


def median_seconds(run: Callable[[], Any]) -> float:
    return timed(run)[0]


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    """The median wall time of ``RUNS`` runs, and the last run's result."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    print(f"bench_signals on {describe()}")
    print("data: GENERATED, seeded (not real reports)")
    rng = np.random.default_rng(20261126)
    counts = weekly_counts(rng)
    failed = False
    print(f"\n{SERIES:,} series × {WEEKS} weeks")
    for label, name, parameters, limit in RUNS_OF:
        method = DETECTORS[name]
        given = {
            p: REQUIRED_VALUES[p]
            for p, d in method.parameters.items()
            if d is REQUIRED and p not in parameters
        }
        given |= parameters
        seconds, result = timed(lambda name=name, given=given: detect(name, counts, **given))
        over = seconds > limit
        failed |= over
        flag = "  OVER" if over else ""
        pynssp = PYNSSP_SECONDS_PER_SERIES.get(name)
        versus = f", {pynssp * SERIES / seconds:,.0f}× pynssp" if pynssp else ""
        print(
            f"  {label:<16} {seconds:6.3f} s  {result.alarms:>8,} alarms "
            + (f"(limit {limit:.0f} s{versus}){flag}" if math.isfinite(limit) else "(no limit)")
        )
        if pynssp:
            failed |= pynssp * SERIES / seconds < PYNSSP_FACTOR

    product, hazard = report_rows(rng)
    print(f"\n{REPORTS:,} report rows, {PRODUCTS:,} products × {HAZARDS} hazards")
    tally = median_seconds(
        lambda: table_from_reports(product, hazard, products=PRODUCTS, events=HAZARDS)
    )
    table = table_from_reports(product, hazard, products=PRODUCTS, events=HAZARDS)
    print(f"  tally rows → table           {tally:6.3f} s")
    for min_count in (3, 1):
        cells = two_by_two(table, min_count=min_count)

        def one_pass(min_count: int = min_count) -> None:
            disproportionality(two_by_two(table, min_count=min_count))

        seconds = median_seconds(one_pass)
        result = disproportionality(cells)
        over = min_count == 3 and seconds > PAIRS_LIMIT
        failed |= over
        flag = "  OVER" if over else ""
        print(
            f"  PRR+ROR+χ²+IC, a ≥ {min_count}: {len(cells.a):>7,} pairs {seconds:6.3f} s "
            f"({int(result.evans_signal.sum()):,} Evans signals){flag}"
        )
    cells = two_by_two(table)
    result = disproportionality(cells)
    fdr_seconds = median_seconds(lambda: lbe_fdr(result.prr.p_value))
    print(
        f"  LBE FDR of the PRR p-values  {fdr_seconds:6.3f} s (limit {PAIRS_LIMIT} s excludes it)"
    )
    failed |= mgps(table)
    return 1 if failed else 0


def mgps(table: np.ndarray) -> bool:
    """Time the MGPS posterior and prior fit on the GENERATED table; True if a limit is
    missed or the fit is less likely than vigipy's."""
    failed = False
    every = two_by_two(table, min_count=1)
    scored = every.a >= 3
    a, expected = every.a[scored], every.expected[scored]
    print("\n  MGPS (GENERATED table; vigipy fits on a ≥ 1, scores a ≥ 3)")
    for method in ("exact", "vigipy"):
        seconds, posterior = timed(
            lambda method=method: gps_posterior(a, expected, DUMOUCHEL_1999, quantile_method=method)
        )
        over = method == "exact" and seconds > GPS_POSTERIOR_LIMIT
        failed |= over
        limit = f"limit {GPS_POSTERIOR_LIMIT} s" if method == "exact" else "vigipy's bisection"
        print(
            f"  posterior, EB05 {method:<6}  {len(a):>7,} pairs {seconds:6.3f} s "
            f"({int((posterior.eb05 >= 2).sum()):,} with EB05 ≥ 2; {limit})"
            + ("  OVER" if over else "")
        )
    seconds, fit = timed(lambda: gps_fit_prior(every.a, every.expected))
    worse = fit.neg_log_likelihood > VIGIPY_GPS_NEG_LOG_LIKELIHOOD
    over = seconds > GPS_FIT_LIMIT
    failed |= over or worse or not fit.converged
    prior = ", ".join(f"{v:.6g}" for v in fit.prior)
    print(
        f"  prior fit, a ≥ 1:   {fit.cells:>7,} pairs {seconds:6.3f} s "
        f"(limit {GPS_FIT_LIMIT} s){'  OVER' if over else ''}\n"
        f"    {fit.points:,} distinct (a, E); prior ({prior}); on bounds: "
        f"{', '.join(fit.at_bounds) or 'none'}\n"
        f"    −ln L {fit.neg_log_likelihood:,.4f} vs vigipy's {VIGIPY_GPS_NEG_LOG_LIKELIHOOD:,.4f}"
        f"{'  WORSE' if worse else ''}; "
        f"{'converged' if fit.converged else 'NOT CONVERGED'} after {fit.iterations} "
        f"iterations, {fit.evaluations} evaluations: {fit.message}; scaled projected "
        f"gradient {fit.gradient:.2g}"
    )
    return failed


if __name__ == "__main__":
    runtime_venv.reexec()
    sys.exit(main())
