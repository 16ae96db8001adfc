"""The vigipy 3.5.1 peer of bench_signals_peers.py (issue 6); runs in the peers' virtualenv.

    python vigipy_peer.py PAIRS.csv OUTDIR

PAIRS.csv holds ``product,event,count`` (integer codes, one row per pair with a report).
Each method runs with vigipy's defaults on one ``convert``-ed container:

* ``prr``, ``ror``, ``bcpnn`` (closed form): median of 3 runs;
* ``gps(prior_param=DuMouchel 1999)``: the posterior alone, median of 3;
* ``gps()``: its Nelder–Mead prior fit on every pair with a report and the posterior,
  once; the fit alone is timed by wrapping vigipy's ``_optimize_gps_priors``.

Writes OUTDIR/<method>.csv (the pairs vigipy scores, a ≥ 3, with its columns and
``signal``: the row is in ``signals``) and OUTDIR/meta.json: the wall and CPU seconds of
each call (``time.perf_counter``, ``time.process_time``), the fitted prior, the optimiser's message, and vigipy's own
``truncated_likelihood`` (−ln L) at that prior.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import vigipy.GPS.GPS as vigipy_gps
from scipy.special import gammaln
from vigipy import bcpnn, convert, gps, prr, ror

DUMOUCHEL_1999 = [0.2041, 0.05816, 1.415, 1.838, 0.0969]
RUNS = 3
COLUMNS = {
    "prr": ["p_value", "PRR", "CI Lower", "CI Upper", "fdr"],
    "ror": ["p_value", "ROR", "CI Lower", "CI Upper", "fdr"],
    "bcpnn": ["quantile", "posterior_probability"],
    "gps_fixed": ["log2", "p_value", "EBGM", "LowerBound", "UpperBound"],
    "gps_fitted": ["log2", "p_value", "EBGM", "LowerBound", "UpperBound"],
}


def timed(run: Callable[[], Any], runs: int = RUNS) -> tuple[list[float], Any]:
    """[wall, CPU] seconds, medians of ``runs`` runs, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return [statistics.median(walls), statistics.median(cpus)], result


def main() -> int:
    pairs_file, outdir = sys.argv[1], Path(sys.argv[2])
    frame = pd.read_csv(pairs_file).rename(columns={"product": "name", "event": "AE"})
    seconds: dict[str, list[float]] = {}
    seconds["convert"], container = timed(lambda: convert(frame))
    results = {}
    seconds["prr"], results["prr"] = timed(lambda: prr(container))
    seconds["ror"], results["ror"] = timed(lambda: ror(container))
    seconds["bcpnn"], results["bcpnn"] = timed(lambda: bcpnn(container))
    seconds["gps_fixed"], results["gps_fixed"] = timed(
        lambda: gps(container, prior_param=DUMOUCHEL_1999)
    )

    fit_seconds: list[list[float]] = []
    optimise = vigipy_gps._optimize_gps_priors

    def timed_optimise(*args: Any, **kwargs: Any) -> Any:
        start, start_cpu = time.perf_counter(), time.process_time()
        out = optimise(*args, **kwargs)
        fit_seconds.append([time.perf_counter() - start, time.process_time() - start_cpu])
        return out

    vigipy_gps._optimize_gps_priors = timed_optimise
    seconds["gps_fitted"], results["gps_fitted"] = timed(lambda: gps(container), runs=1)
    vigipy_gps._optimize_gps_priors = optimise
    seconds["gps_fit"] = fit_seconds[0]

    params = results["gps_fitted"].params
    prior = np.asarray(params["prior_param"], dtype=np.float64)
    n11 = container.data["events"].to_numpy(dtype=np.float64)
    expected = (
        container.data["product_aes"].to_numpy(dtype=np.float64)
        * container.data["count_across_brands"].to_numpy(dtype=np.float64)
        / container.N
    )
    kept = n11 >= 1
    neg_log_likelihood = vigipy_gps.truncated_likelihood(
        prior, n11[kept], expected[kept], 0, gammaln(n11[kept] + 1.0)
    )

    for name, result in results.items():
        table = result.all_signals
        signal = np.zeros(len(table), dtype=np.int8)
        signal[: result.num_signals] = 1
        out = pd.DataFrame(
            {
                "product": table["Product"].to_numpy(),
                "event": table["Adverse Event"].to_numpy(),
                "count": table["Count"].to_numpy(),
                "expected": table["Expected Count"].to_numpy(),
                **{column: table[column].to_numpy() for column in COLUMNS[name]},
                "signal": signal,
            }
        )
        out.to_csv(outdir / f"{name}.csv", index=False, float_format="%.17g")
    meta = {
        "seconds": seconds,
        "pairs": int(kept.sum()),
        "scored": len(results["prr"].all_signals),
        "prior": prior.tolist(),
        "convergence": str(params["convergence"]),
        "neg_log_likelihood": float(neg_log_likelihood),
    }
    (outdir / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
