"""Early-warning detectors beside their reference implementations, in one run (issue 6).

Ours runs on every series (10,000 GENERATED weekly series × 260 weeks, the data of
``bench_signals.py``) and on the whole GENERATED product × hazard table (1,000,000
reports, 5,000 × 200); each peer runs in its own environment, a slow one on the first
series only, and its outputs are compared with ours on those series:

* R ``surveillance`` (Debian ``r-cran-surveillance``, 1.20.3) for EARS C1/C2/C3,
  CUSUM and Farrington flexible (surveillance's defaults, and Noufaily's settings),
  called once per series by ``Rscript peers/surveillance_peer.R``;
* pynssp 0.1.0 for EWMA, regression and switch, one grouped data frame
  (``peers/pynssp_peer.py``), compared with our pynssp modes (``ewma-pynssp``,
  ``variant=pynssp``), since pynssp's port differs from Rnssp's (SIGNALS.md §1.2–1.4);
  regression and switch on daily dates, the only data pynssp runs them on;
* vigipy 3.5.1 for PRR, ROR, BCPNN and GPS with its prior fit (``peers/vigipy_peer.py``).

Goals (issue 6): at least 100× faster per series than the reference with identical
output (alarms identical on the compared series, every value within 1e−6 relative,
1e−12 absolute near 0, undefined where the peer's is); PRR + ROR + χ² + IC together under
0.1 s; the GPS prior fit at least 10× faster than vigipy's with a −log-likelihood no
worse. The MGPS posterior is held to vigipy's own time (``bench_signals.py``'s limit).
Exits 1 when a goal is missed or an output differs.

Times: ours, the median of 3 runs in this process; a peer, the median of 3 of its calls
for vigipy's fast methods, otherwise one run, timed inside the peer around its calls
alone (R ``proc.time``, Python ``time.perf_counter``), not its start-up or file I/O. The
CPU seconds of the same calls are printed beside the wall seconds: the machine these run on
is shared, and CPU time shows how much of the wall time was waiting for a core.

Run: ``.venv/bin/python benchmarks/peers/setup_peers.py`` once (R from Debian as root, and
the peers' virtualenv), then ``.venv/bin/python benchmarks/bench_signals_peers.py``
(``make bench-peers`` does both; 2.5–5 minutes on 2 cores, as busy as the machine is).
Like ``bench_signals.py`` it runs itself again in the runtime-only virtualenv
(``benchmarks/runtime_venv.py``), which measures ours; the peers never run in it.
``--max-peer-series N`` caps the peers' series for a quick look, ``--only series|pairs``
runs one half.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import runtime_venv  # noqa: E402  (benchmarks/runtime_venv.py)
from bench_signals import HAZARDS, PRODUCTS, report_rows, weekly_counts  # noqa: E402
from machine import describe  # noqa: E402  (benchmarks/machine.py)
from peers import setup_peers  # noqa: E402  (benchmarks/peers/setup_peers.py)

from zhiliang.lib.signals import (  # noqa: E402
    DETECTORS,
    DUMOUCHEL_1999,
    NOUFAILY_2013,
    bcpnn,
    detect,
    disproportionality,
    gps_fit_prior,
    gps_neg_log_likelihood,
    gps_posterior,
    lbe_fdr,
    nssp_alert,
    prr,
    ror,
    table_from_reports,
    two_by_two,
)

PEERS = Path(__file__).resolve().parent / "peers"
SEED = 20261126  # bench_signals.py's: the same GENERATED data
RUNS = 3
SPEEDUP_GOAL = 100.0
GPS_FIT_SPEEDUP_GOAL = 10.0
PAIRS_LIMIT = 0.1
RTOL, ATOL = 1e-6, 1e-12
#: The −ln L of two fits counts as no worse within this relative slack (float noise).
LIKELIHOOD_SLACK = 1e-9
#: pynssp's regression and switch run on daily data only: the same counts, one a day.
DAILY = [datetime.date(2023, 1, 2) + datetime.timedelta(days=i) for i in range(260)]
#: Our Farrington parameter names → surveillance's control names.
R_CONTROL = {
    "b": "b",
    "no_periods": "noPeriods",
    "past_weeks_not_included": "pastWeeksNotIncluded",
    "weights_threshold": "weightsThreshold",
    "p_threshold_trend": "pThresholdTrend",
    "threshold_method": "thresholdMethod",
}
COLOUR_CODES = {"grey": 0.0, "blue": 1.0, "yellow": 2.0, "red": 3.0}


@dataclass(frozen=True)
class SeriesRun:
    """One detector: ours on every series, its peer on the first ``subset``."""

    label: str
    detector: str
    parameters: dict[str, Any]
    peer: str  # "surveillance" or "pynssp"
    peer_args: list[str]
    subset: int
    fields: tuple[str, ...]


def _farrington_args(parameters: dict[str, Any]) -> list[str]:
    return ["farrington", *(f"{R_CONTROL[k]}={v}" for k, v in parameters.items())]


FARRINGTON = {"b": 4}  # b = 5 would test no week of 260 (bench_signals.py)
NOUFAILY = {"b": 4, **NOUFAILY_2013}
EARS_FIELDS = ("upperbound", "alarm")
FARRINGTON_FIELDS = ("upperbound", "alarm", "expected", "statistic", "p_value")
NSSP_FIELDS = ("expected", "statistic", "p_value", "alarm", "colour")
#: Subsets: the peers' costs per series (SIGNALS.md §4) times these make about 2 minutes
#: of peer time (R surveillance ~50 s, pynssp ~40 s, vigipy ~20–30 s with its GPS fit).
SERIES_RUNS = [
    SeriesRun("EARS C1", "ears-c1", {}, "surveillance", ["C1"], 1_000, EARS_FIELDS),
    SeriesRun("EARS C2", "ears-c2", {}, "surveillance", ["C2"], 1_000, EARS_FIELDS),
    SeriesRun("EARS C3", "ears-c3", {}, "surveillance", ["C3"], 1_000, EARS_FIELDS),
    SeriesRun(
        "CUSUM",
        "cusum",
        {"training_weeks": 52},
        "surveillance",
        ["cusum", "training=52"],
        10_000,
        ("upperbound", "alarm", "statistic"),
    ),
    SeriesRun(
        "Farrington (b = 4)",
        "farrington",
        FARRINGTON,
        "surveillance",
        _farrington_args(FARRINGTON),
        40,
        FARRINGTON_FIELDS,
    ),
    SeriesRun(
        "Farrington, Noufaily (b = 4)",
        "farrington",
        NOUFAILY,
        "surveillance",
        _farrington_args(NOUFAILY),
        40,
        FARRINGTON_FIELDS,
    ),
    SeriesRun("EWMA (pynssp mode)", "ewma-pynssp", {}, "pynssp", ["ewma"], 100, NSSP_FIELDS),
    SeriesRun(
        "regression (pynssp mode, daily dates)",
        "regression",
        {"variant": "pynssp", "dates": DAILY},
        "pynssp",
        ["regression"],
        50,
        NSSP_FIELDS,
    ),
    SeriesRun(
        "switch (pynssp mode, daily dates)",
        "switch",
        {"variant": "pynssp", "dates": DAILY},
        "pynssp",
        ["switch"],
        30,
        NSSP_FIELDS,
    ),
]


@dataclass
class Row:
    """A line of the results table, and what was found comparing outputs."""

    method: str
    ours: str
    peer: str
    speedup: str
    goal: str
    verdict: str
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Seconds:
    """Wall-clock and CPU seconds of one measurement. The machine is shared, so the
    verdicts go by wall time, as the goals are stated, and the CPU time (user + system
    of the process, all its threads) shows how much of it was waiting for the cores."""

    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.3g} s (CPU {self.cpu:.3g} s)"

    def over(self, count: int) -> Seconds:
        return Seconds(self.wall / count, self.cpu / count)

    def __add__(self, other: Seconds) -> Seconds:
        return Seconds(self.wall + other.wall, self.cpu + other.cpu)


def timed(run: Callable[[], Any]) -> tuple[Seconds, Any]:
    """Median wall and CPU seconds of ``RUNS`` runs, and the last run's result."""
    walls, cpus, result = [], [], None
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return Seconds(statistics.median(walls), statistics.median(cpus)), result


def per(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def speedup(peer: Seconds, ours: Seconds) -> tuple[float, str]:
    """Wall-time ratio, and it written with the CPU-time ratio beside it."""
    wall = peer.wall / ours.wall
    return wall, f"{wall:,.1f}× (CPU {peer.cpu / ours.cpu:,.1f}×)"


# --- comparing outputs ---------------------------------------------------------------------


def difference(name: str, ours: np.ndarray, peer: np.ndarray, exact: bool) -> str | None:
    """None when ``ours`` matches ``peer`` (NaN where it is NaN; equal if ``exact``, else
    within RTOL relative or ATOL absolute), else what differs."""
    ours, peer = np.asarray(ours, dtype=np.float64), np.asarray(peer, dtype=np.float64)
    if ours.shape != peer.shape:
        return f"{name}: shapes {ours.shape} and {peer.shape}"
    nan_ours, nan_peer = np.isnan(ours), np.isnan(peer)
    undefined = int((nan_ours != nan_peer).sum())
    both = ~nan_ours & ~nan_peer
    o, p = ours[both], peer[both]
    with np.errstate(invalid="ignore"):
        gap = np.abs(o - p)
        gap[o == p] = 0.0  # equal infinities
        scale = np.maximum(np.abs(o), np.abs(p))
        relative = np.where(gap == 0, 0.0, gap / scale)
    off = gap != 0 if exact else (relative > RTOL) & (gap > ATOL)
    if not undefined and not off.any():
        return None
    worst = float(np.nanmax(relative)) if relative.size else 0.0
    parts = []
    if undefined:
        parts.append(f"{undefined:,} cells defined on one side only")
    if off.any():
        parts.append(f"{int(off.sum()):,} of {both.sum():,} cells differ (max rel. {worst:.2g})")
    return f"{name}: " + "; ".join(parts)


def worst_relative(ours: np.ndarray, peer: np.ndarray) -> float:
    """The largest relative difference among finite cells of magnitude above 1e−9: the
    cancellations below that (a Farrington score of −1.8e−12 against −1.8e−12 ± 3e−15
    where y equals μ₀) pass on the absolute floor ATOL and say nothing of the method."""
    both = np.isfinite(ours) & np.isfinite(peer)
    o, p = ours[both], peer[both]
    scale = np.maximum(np.abs(o), np.abs(p))
    sized = scale > 1e-9
    if not sized.any():
        return 0.0
    return float((np.abs(o - p)[sized] / scale[sized]).max())


def ours_fields(result: Any) -> dict[str, np.ndarray]:
    """Our detection's arrays as the peers write theirs: alarm NaN where undecided."""
    colour = nssp_alert(result.p_value)
    codes = np.zeros(colour.shape)
    for name, code in COLOUR_CODES.items():
        codes[colour == name] = code
    return {
        "expected": result.expected,
        "upperbound": result.upperbound,
        "statistic": result.statistic,
        "p_value": result.p_value,
        "alarm": np.where(result.decided, result.alarm.astype(np.float64), np.nan),
        "colour": codes,
    }


# --- the peers -----------------------------------------------------------------------------


def peer_env() -> dict[str, str]:
    """This process's environment without the runtime virtualenv's settings."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    venv_bin = str(runtime_venv.venv_dir() / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def run_peer(command: list[str], outdir: Path) -> None:
    """Run a peer script, which writes its outputs into ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(command, env=peer_env(), cwd=outdir, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"peer failed: {' '.join(command)}")


def peer_series(run: SeriesRun, counts_file: Path, outdir: Path) -> tuple[Seconds, dict]:
    if run.peer == "surveillance":
        command = ["Rscript", str(PEERS / "surveillance_peer.R"), run.peer_args[0]]
        command += [str(counts_file), str(run.subset), str(outdir), *run.peer_args[1:]]
    else:
        command = [setup_peers.python(), str(PEERS / "pynssp_peer.py"), run.peer_args[0]]
        command += [str(counts_file), str(run.subset), str(outdir)]
    run_peer(command, outdir)
    wall, cpu = (outdir / "elapsed.txt").read_text().split()  # the peer's own timing
    seconds = Seconds(float(wall), float(cpu))
    out = {}
    for name in run.fields:
        path = outdir / f"{name}.csv"
        if path.exists():
            out[name] = np.loadtxt(path, delimiter=",", ndmin=2)
    if run.peer == "pynssp":  # red is the alarm; grey is undecided
        colour = out["colour"]
        out["alarm"] = np.where(colour == 0, np.nan, (colour == 3).astype(np.float64))
    return seconds, out


# --- time series ---------------------------------------------------------------------------


def series_row(run: SeriesRun, counts: np.ndarray, counts_file: Path, work: Path) -> Row:
    series = counts.shape[0]
    if run.detector not in DETECTORS:
        return Row(
            f"{run.label} — `{run.detector}`",
            "not in this tree",
            f"not run ({run.peer})",
            "—",
            f"≥ {SPEEDUP_GOAL:.0f}× per series, identical",
            "MISSING",
            [f"{run.label}: zhiliang.lib.signals has no detector {run.detector!r}"],
        )
    log(f"{run.label}: ours on {series:,} series …")
    ours_seconds, result = timed(lambda: detect(run.detector, counts, **run.parameters))
    log(f"{run.label}: {run.peer} on {run.subset:,} series …")
    peer_seconds, peer = peer_series(run, counts_file, work / run.label.replace(" ", "_"))
    ours_per, peer_per = ours_seconds.over(series), peer_seconds.over(run.subset)
    ratio, ratios = speedup(peer_per, ours_per)
    mine = {k: v[: run.subset] for k, v in ours_fields(result).items()}
    differences = [
        d
        for name in run.fields
        if (d := difference(name, mine[name], peer[name], exact=name in ("alarm", "colour")))
    ]
    alarms_ours = int(np.nansum(mine["alarm"]))
    alarms_peer = int(np.nansum(peer["alarm"]))
    compared = f"{alarms_ours:,} alarms vs {alarms_peer:,}"
    worst = max(
        (worst_relative(mine[n], peer[n]) for n in run.fields if n not in ("alarm", "colour")),
        default=0.0,
    )
    peer_name = "R surveillance" if run.peer == "surveillance" else "pynssp"
    subset = "all" if run.subset == series else "first"
    verdict = "ok"
    if differences:
        verdict = "DIFFER"
    elif ratio < SPEEDUP_GOAL:
        verdict = "MISSED"
    return Row(
        f"{run.label} — `{run.detector}`",
        f"{ours_seconds}, {per(ours_per.wall)}",
        f"{peer_name}, {subset} {run.subset:,}: {peer_seconds}, {per(peer_per.wall)}",
        ratios,
        f"≥ {SPEEDUP_GOAL:.0f}×, identical ({compared}; max rel. {worst:.1g})",
        verdict,
        differences,
    )


# --- disproportionality --------------------------------------------------------------------


def vigipy_table(path: Path, products: np.ndarray, events: np.ndarray) -> dict[str, np.ndarray]:
    """A vigipy output CSV as columns in the order of our pairs (product, event)."""
    with path.open() as fh:
        header = fh.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    columns = {name: data[:, i] for i, name in enumerate(header)}
    key = columns["product"].astype(np.int64) * HAZARDS + columns["event"].astype(np.int64)
    wanted = products.astype(np.int64) * HAZARDS + events.astype(np.int64)
    order = np.argsort(key)
    position = np.searchsorted(key[order], wanted)
    position = np.minimum(position, key.size - 1)
    if key.size != wanted.size or not np.array_equal(key[order][position], wanted):
        raise SystemExit(f"{path.name}: vigipy scored other pairs than ours")
    return {name: values[order][position] for name, values in columns.items()}


def pair_rows(table: np.ndarray, work: Path) -> list[Row]:
    every = two_by_two(table, min_count=1)
    cells = two_by_two(table, min_count=3)
    pairs_file = work / "pairs.csv"
    np.savetxt(
        pairs_file,
        np.column_stack([every.product, every.event, every.a]),
        fmt="%d",
        delimiter=",",
        header="product,event,count",
        comments="",
    )
    log(f"vigipy on {every.a.size:,} pairs (its GPS prior fit takes about half a minute) …")
    outdir = work / "vigipy"
    outdir.mkdir()
    run_peer([setup_peers.python(), str(PEERS / "vigipy_peer.py"), str(pairs_file), "."], outdir)
    meta = json.loads((outdir / "meta.json").read_text())
    peer_seconds = {name: Seconds(*values) for name, values in meta["seconds"].items()}
    scored = f"{cells.a.size:,} pairs a ≥ 3"

    def vigipy(name: str) -> dict[str, np.ndarray]:
        return vigipy_table(outdir / f"{name}.csv", cells.product, cells.event)

    def check(method: str, pairs: list[tuple[str, np.ndarray, np.ndarray, bool]]) -> list[str]:
        return [
            d for name, o, p, exact in pairs if (d := difference(f"{method} {name}", o, p, exact))
        ]

    rows = []
    log("ours: PRR, ROR, BCPNN, χ², the one pass …")
    for name, function, column in (("PRR", prr, "PRR"), ("ROR", ror, "ROR")):

        def ratio_and_fdr(function: Callable[..., Any] = function) -> tuple[Any, np.ndarray]:
            ratio = function(two_by_two(table, min_count=3))
            return ratio, lbe_fdr(ratio.p_value)

        seconds, (ratio, fdr) = timed(ratio_and_fdr)
        theirs = vigipy(name.lower())
        differences = check(
            name,
            [
                (name, ratio.ratio, theirs[column], False),
                ("CI lower", ratio.lower, theirs["CI Lower"], False),
                ("CI upper", ratio.upper, theirs["CI Upper"], False),
                ("p-value", ratio.p_value, theirs["p_value"], False),
                ("signal (fdr ≤ 0.05)", fdr <= 0.05, theirs["signal"], True),
            ],
        )
        fdr_difference, fdr_note = tied_fdr(name, ratio.p_value, fdr, theirs["fdr"])
        differences += [fdr_difference] if fdr_difference else []
        signals = f"{int((fdr <= 0.05).sum()):,} signals vs {int(theirs['signal'].sum()):,}"
        row = pair_row(
            f"{name} (+CI, p, LBE FDR)",
            seconds,
            peer_seconds[name.lower()],
            scored,
            differences,
            f"identical ({signals})",
        )
        row.notes += [fdr_note] if fdr_note else []
        rows.append(row)

    seconds, ic = timed(lambda: bcpnn(two_by_two(table, min_count=3)))
    theirs = vigipy("bcpnn")
    differences = check(
        "BCPNN",
        [
            ("IC025", ic.ic025, theirs["quantile"], False),
            ("P(IC < 0)", ic.posterior, theirs["posterior_probability"], False),
            ("signal (IC025 ≥ 0)", ic.ic025 >= 0, theirs["signal"], True),
        ],
    )
    rows.append(
        pair_row(
            "BCPNN IC025 (closed form)",
            seconds,
            peer_seconds["bcpnn"],
            scored,
            differences,
            f"identical ({int((ic.ic025 >= 0).sum()):,} signals vs {int(theirs['signal'].sum()):,})",
        )
    )

    seconds, _ = timed(lambda: disproportionality(two_by_two(table, min_count=3)))
    together = peer_seconds["prr"] + peer_seconds["ror"] + peer_seconds["bcpnn"]
    row = pair_row(
        "PRR + ROR + χ² + IC, one pass (no FDR)",
        seconds,
        together,
        f"{scored}, prr + ror + bcpnn (with FDRs; no χ²)",
        [],
        f"< {PAIRS_LIMIT} s",
    )
    row.verdict = "ok" if seconds.wall < PAIRS_LIMIT else "MISSED"
    rows.append(row)

    rows += gps_posterior_rows(cells, vigipy("gps_fixed"), peer_seconds["gps_fixed"], scored)
    rows.append(gps_fit_row(every, meta, peer_seconds["gps_fit"]))
    return rows


def gps_posterior_rows(
    cells: Any, theirs: dict[str, np.ndarray], peer_seconds: Seconds, scored: str
) -> list[Row]:
    """The MGPS posterior under DuMouchel's prior, twice: with vigipy's bisection for
    EB05/EB95 (outputs identical to vigipy's), and with our default exact quantiles
    (held to vigipy's time, as in bench_signals.py; its EB05/EB95 differ from vigipy's
    by vigipy's bisection tolerance, |F(x) − p| < 1e−5: SIGNALS.md §2.4)."""
    rows = []
    for method in ("vigipy", "exact"):
        seconds, posterior = timed(
            lambda method=method: gps_posterior(
                cells.a, cells.expected, DUMOUCHEL_1999, quantile_method=method
            )
        )
        compared = [
            ("EBlog2", posterior.eb_log2, theirs["log2"], False),
            ("EBGM", posterior.ebgm, theirs["EBGM"], False),
            ("P(λ < 1)", posterior.p_value, theirs["p_value"], False),
            ("signal (EBlog2 ≥ 0.05)", posterior.eb_log2 >= 0.05, theirs["signal"], True),
        ]
        quantiles = [
            ("EB05", posterior.eb05, theirs["LowerBound"], False),
            ("EB95", posterior.eb95, theirs["UpperBound"], False),
        ]
        notes = []
        if method == "vigipy":
            compared += quantiles
            label, goal = "vigipy's bisection", "identical"
        else:
            label, goal = "exact (our default)", "≤ vigipy's time"
            for name, ours, peer, _ in quantiles:
                notes.append(
                    f"GPS exact {name}: max rel. {worst_relative(ours, peer):.1g} from vigipy's "
                    "bisection, which stops at |F(x) − p| < 1e−5 (SIGNALS.md §2.4; expected)"
                )
        differences = [
            d for name, o, p, exact in compared if (d := difference(f"GPS {name}", o, p, exact))
        ]
        row = pair_row(
            f"GPS posterior, DuMouchel's prior, EB05/EB95 {label}",
            seconds,
            peer_seconds,
            scored,
            differences,
            goal + ("" if method == "vigipy" else ", EBGM identical"),
        )
        if method == "exact" and not differences and seconds.wall > peer_seconds.wall:
            row.verdict = "MISSED"
        row.notes += notes
        rows.append(row)
    return rows


def tied_fdr(
    method: str, p: np.ndarray, ours: np.ndarray, theirs: np.ndarray
) -> tuple[str | None, str | None]:
    """Compare LBE FDRs: (a difference, or None; a note, or None).

    Above p = ½ vigipy's fdr of the i-th smallest p is π₀m/(2i) + 1 − m_½/i, which still
    depends on i after the step-up minimum when π₀m/2 < m_½: pairs with equal p-values
    get different fdrs by their rank among the ties, i.e. by the order of the rows
    (vigipy's rows and ours are in different orders). Such cells are told apart from a
    real difference by comparing the fdrs sorted within each group of equal p-values.
    """
    found = difference(f"{method} fdr", ours, theirs, exact=False)
    if found is None:
        return None, None
    same_groups = difference(
        f"{method} fdr", ours[np.lexsort((ours, p))], theirs[np.lexsort((theirs, p))], False
    )
    if same_groups is not None:
        return found, None
    return None, (
        f"{found} — only in which of several pairs with the same p-value (> ½) gets which "
        "rank: vigipy's fdr there depends on the order of tied p-values, and the sorted "
        "fdrs of every group of ties are the same; fdr > ½, so no signal is affected"
    )


def pair_row(
    method: str, ours: Seconds, peer: Seconds, scored: str, differences: list[str], goal: str
) -> Row:
    verdict = "DIFFER" if differences else "ok"
    return Row(
        method,
        str(ours),
        f"vigipy, {scored}: {peer}",
        speedup(peer, ours)[1],
        goal,
        verdict,
        differences,
    )


def gps_fit_row(every: Any, meta: dict[str, Any], peer_seconds: Seconds) -> Row:
    log("ours: GPS prior fit …")
    seconds, fit = timed(lambda: gps_fit_prior(every.a, every.expected))
    theirs = float(meta["neg_log_likelihood"])
    # vigipy's −ln L by our function at its prior: the two likelihoods must agree.
    ours_at_theirs = gps_neg_log_likelihood(tuple(meta["prior"]), every.a, every.expected)
    ratio, ratios = speedup(peer_seconds, seconds)
    worse = fit.neg_log_likelihood > theirs + LIKELIHOOD_SLACK * abs(theirs)
    differences = []
    if abs(ours_at_theirs - theirs) > 1e-9 * abs(theirs):
        differences.append(
            f"−ln L at vigipy's prior: vigipy {theirs:,.6f}, ours {ours_at_theirs:,.6f}"
        )
    verdict = "ok"
    if worse or differences or not fit.converged:
        verdict = "WORSE"
    elif ratio < GPS_FIT_SPEEDUP_GOAL:
        verdict = "MISSED"
    prior = ", ".join(f"{v:.5g}" for v in fit.prior)
    vigipy_prior = ", ".join(f"{v:.5g}" for v in meta["prior"])
    notes = [
        f"GPS prior fit: ours ({prior}), −ln L {fit.neg_log_likelihood:,.4f}, "
        f"{'converged' if fit.converged else 'NOT converged'} ({fit.message}); vigipy "
        f"({vigipy_prior}), −ln L {theirs:,.4f}, Nelder–Mead: {meta['convergence']}"
    ]
    return Row(
        "GPS prior fit (a ≥ 1)",
        str(seconds),
        f"vigipy, {every.a.size:,} pairs a ≥ 1: {peer_seconds}",
        ratios,
        f"≥ {GPS_FIT_SPEEDUP_GOAL:.0f}×, −ln L ≤ vigipy's "
        f"({fit.neg_log_likelihood:,.2f} vs {theirs:,.2f})",
        verdict,
        differences,
        notes,
    )


# --- main ----------------------------------------------------------------------------------


def header() -> None:
    found = setup_peers.r_versions()
    if found is None:
        raise SystemExit(
            "R or surveillance is missing: run .venv/bin/python benchmarks/peers/setup_peers.py"
        )
    versions = ", ".join(f"{n} {v}" for n, v in setup_peers.python_versions().items())
    print(f"bench_signals_peers on {describe()}")
    print(f"peers: R {found[0]} with surveillance {found[1]} (Debian r-cran-surveillance)")
    print(f"       peers' virtualenv {setup_peers.venv_dir()}: {versions}")
    print("data: GENERATED, seeded (bench_signals.py's; not real counts or reports)")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average at the start: {load} (other work on the machine slows both sides)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-peer-series",
        type=int,
        metavar="N",
        help="run each time-series peer on at most N series (a quick look; the table says so)",
    )
    parser.add_argument(
        "--only", choices=("series", "pairs"), help="only the time series or the pairs"
    )
    options = parser.parse_args()
    start = time.perf_counter()
    header()
    rng = np.random.default_rng(SEED)
    counts = weekly_counts(rng)
    product, hazard = report_rows(rng)
    table = table_from_reports(product, hazard, products=PRODUCTS, events=HAZARDS)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="zhiliang-peers-") as tmp:
        work = Path(tmp)
        counts_file = work / "counts.csv"
        np.savetxt(counts_file, counts, fmt="%d", delimiter=",")
        if options.only != "pairs":
            for run in SERIES_RUNS:
                if options.max_peer_series:
                    run = dataclasses.replace(run, subset=min(run.subset, options.max_peer_series))
                rows.append(series_row(run, counts, counts_file, work))
        if options.only != "series":
            rows.extend(pair_rows(table, work))
    series, weeks = counts.shape
    print(
        f"\n{series:,} series × {weeks} weeks (ours: all series, median of {RUNS}); "
        f"{int(table.sum()):,} reports, {PRODUCTS:,} products × {HAZARDS} hazards\n"
    )
    print(
        "| method | ours: all series or pairs (wall s (CPU s), per series) | peer: which "
        "series or pairs (wall s (CPU s), per series) | speed-up per series | goal | verdict |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.method} | {row.ours} | {row.peer} | {row.speedup} | {row.goal} | "
            f"{row.verdict} |"
        )
    notes = [d for row in rows for d in (*row.differences, *row.notes)]
    if notes:
        print("\nDifferences and notes:")
        for note in notes:
            print(f"- {note}")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nwhole run {time.perf_counter() - start:.0f} s; load average at the end: {load}")
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    runtime_venv.reexec()
    sys.exit(main())
