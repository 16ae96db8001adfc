"""The pynssp 0.1.0 peer of bench_signals_peers.py (issue 6); runs in the peers' virtualenv.

    python pynssp_peer.py METHOD COUNTS.csv SERIES OUTDIR

METHOD is ``ewma``, ``regression`` or ``switch``: pynssp's ``alert_<METHOD>`` with its
defaults (B = 28, g = 2, w1 = 0.4, w2 = 0.9) on the first SERIES rows of the counts CSV
(one row per series, one column per point, no header), as one grouped data frame
(``df.groupby("series_id")``, pynssp's way of running many series). EWMA gets weekly
dates (Sundays from 2023-01-01); regression and switch, which pynssp runs on daily data
only (SIGNALS.md §1.3: weekly dates raise a KeyError on its weekday dummies), get daily
dates from Monday 2023-01-02, as the reference files of ``../shared/data/signals`` do.

Writes OUTDIR/{expected,statistic,p_value,colour}.csv (series × points; NaN where pynssp
gives nothing; colour 0 grey, 1 blue, 2 yellow, 3 red), and OUTDIR/elapsed.txt: the wall
and CPU seconds of the ``alert_*`` call alone (``time.perf_counter``,
``time.process_time``), not of building the data frame or writing files.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pynssp import alert_ewma, alert_regression, alert_switch

DETECTORS = {"ewma": alert_ewma, "regression": alert_regression, "switch": alert_switch}
COLOURS = {"grey": 0.0, "blue": 1.0, "yellow": 2.0, "red": 3.0}


def main() -> int:
    method, counts_file, series, outdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    y = np.loadtxt(counts_file, delimiter=",", max_rows=series, ndmin=2)
    points = y.shape[1]
    if method == "ewma":
        dates = pd.date_range("2023-01-01", periods=points, freq="7D")
    else:
        dates = pd.date_range("2023-01-02", periods=points, freq="D")
    frame = pd.DataFrame(
        {
            "series_id": np.repeat(np.arange(series), points),
            "date": np.tile(dates.values, series),
            "count": y.ravel(),
        }
    )
    detector = DETECTORS[method]
    with warnings.catch_warnings():
        # pandas 2.3's FutureWarnings on pynssp's groupby.apply and .grouper.
        warnings.simplefilter("ignore", FutureWarning)
        start, start_cpu = time.perf_counter(), time.process_time()
        result = detector(frame.groupby("series_id"), t="date", y="count")
        elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu

    # Back to series × points, by series and date (switch re-sorts and re-merges rows).
    result = result.reset_index(drop=True)
    row = result["series_id"].to_numpy(dtype=np.intp)
    column = dates.get_indexer(pd.to_datetime(result["date"]))
    if (column < 0).any() or len(result) != series * points:
        raise SystemExit(f"pynssp {method}: rows do not map back to series × points")
    out = Path(outdir)
    for field, values in (
        ("expected", result["baseline_expected"].to_numpy(dtype=np.float64)),
        ("statistic", result["test_statistic"].to_numpy(dtype=np.float64)),
        ("p_value", result["p_value"].to_numpy(dtype=np.float64)),
        ("colour", result["alert"].map(COLOURS).to_numpy(dtype=np.float64)),
    ):
        grid = np.full((series, points), np.nan)
        grid[row, column] = values
        np.savetxt(out / f"{field}.csv", grid, delimiter=",", fmt="%.17g")
    (out / "elapsed.txt").write_text(f"{elapsed:.6f} {cpu:.6f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
