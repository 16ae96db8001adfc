"""Sampling inspection at scale (issue 4): the import of a million rows and pass rates.

All data here is GENERATED (``zhiliang.lib.samplegen``: seeded random rows, enterprise
names marked “（生成数据）”, sample numbers ``GEN-…``, made-up credit codes); nothing
describes a real enterprise or inspection. Categories are the catalogue the database
ships; districts are Chongqing's 38 district codes from the registry (``Division``).

For each database (SQLite file; PostgreSQL) the benchmark

1. writes the CSV once (cached in the temp dir between runs, keyed by rows/seed/year and
   the catalogue/districts it was made from);
2. times a *bare bulk load* of the same file, the peer: ``csv.reader`` into a plain table
   of 18 text columns, with ``sqlite3`` ``executemany`` into a separate database file
   (same journal pragmas as the app) or ``COPY … FROM STDIN`` via psycopg into the same
   PostgreSQL database;
3. times ``zhiliang inspections import FILE`` (``samples_import``) in a subprocess on a
   freshly migrated database with the 2015 registry loaded, and takes that process's
   peak RSS from ``wait4`` (summed with its checking process's, if the row reader ran
   one; the column reader of a CSV runs in the import's own process);
4. times ``pass_rates(year=…, by=…)`` for every grouping (median of ``--runs`` after a
   warm-up) in a fresh process, with the equivalent GROUP BY over the samples table
   beside it for information, and checks both give the same counts.

Limits (issue 4): import ≤ 3× the bare load of the same run; import peak memory
< 500 MB; each pass-rate grouping < 300 ms. Exits 1 when a limit is missed.

Interpreters: everything timed or measured (the bare loads, the import, the pass rates)
runs in a child process of the runtime-only virtualenv (``benchmarks/runtime_venv.py``:
pyproject's pinned runtime dependencies, no dev extras and so no pandas, this working tree
on ``PYTHONPATH``), as do the migrations and the catalogue lookup. The driver (this
process: it writes the GENERATED CSV, starts the children and prints the table) runs on
whatever interpreter starts it, ``.venv``'s under ``make bench``. The header line names both.

Run: ``.venv/bin/python benchmarks/bench_inspections.py [--rows N] [--db sqlite|postgres|both]``
(the runtime virtualenv is made on the first run, in about 20 s, and reused after).
PostgreSQL: ``DATABASE_URL_PG`` or the cluster of ``scripts/pg.sh`` (started if it is not
running, and then stopped again at the end); the benchmark works in its own database
``zhiliang_bench_inspections`` on that server, created fresh and dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402  (benchmarks/harness.py)
    log,
    pg_conninfo,
    pg_fresh_database,
    pg_server_url,
    run_measured,
    runtime_python,
    zl,
    zl_env,
)
from machine import describe  # noqa: E402  (benchmarks/machine.py)

IMPORT_FACTOR_LIMIT = 3.0
MEMORY_LIMIT_MB = 500
RATES_LIMIT_S = 0.300
BENCH_PG_DB = "zhiliang_bench_inspections"
GROUPINGS = ("producer_district", "sampling_district", "category", "channel")
COLUMNS = 18  # samplegen.HEADER

Row = tuple[str, str, str, str]


# --- helpers ------------------------------------------------------------------------------


def csv_rows(path: Path):  # type: ignore[no-untyped-def]
    fh = open(path, encoding="utf-8", newline="")  # noqa: SIM115
    reader = csv.reader(fh)
    next(reader)  # header
    return fh, reader


# --- step 1: the GENERATED file -----------------------------------------------------------


def catalogue_info(env: dict[str, str]) -> tuple[list[str], list[str]]:
    """Category codes and the 38 district codes, read from a prepared database."""
    out = subprocess.run(
        [runtime_python(), __file__, "--child", "info"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(out.stdout)
    return info["categories"], info["districts"]


def generated_csv(
    cache: Path, rows: int, seed: int, year: int, categories: list[str], districts: list[str]
) -> Path:
    from zhiliang.lib.samplegen import sample_rows, write_csv

    key = hashlib.sha256(
        json.dumps([rows, seed, year, categories, districts]).encode()
    ).hexdigest()[:12]
    path = cache / f"GENERATED-samples-{rows}-{key}.csv"
    if path.exists():
        log(f"GENERATED file (cached): {path}")
        return path
    cache.mkdir(parents=True, exist_ok=True)
    log(f"writing {rows:,} GENERATED rows to {path} …")
    start = time.perf_counter()
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        write_csv(
            fh,
            sample_rows(rows, seed=seed, year=year, categories=categories, districts=districts),
        )
    tmp.rename(path)
    log(f"  written in {time.perf_counter() - start:.1f} s, {path.stat().st_size / 1e6:.0f} MB")
    return path


# --- step 2: the bare bulk loads (the peer) -----------------------------------------------


def bare_sqlite(path: Path, db: Path) -> tuple[float, int]:
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    start = time.perf_counter()
    con = sqlite3.connect(db)
    # The app's own pragmas (settings.py), so the only difference is the work done.
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    cols = ", ".join(f"c{i} TEXT" for i in range(COLUMNS))
    con.execute(f"CREATE TABLE bare ({cols})")
    fh, reader = csv_rows(path)
    with fh:
        marks = ", ".join("?" * COLUMNS)
        with con:
            con.executemany(f"INSERT INTO bare VALUES ({marks})", reader)
    elapsed = time.perf_counter() - start
    (count,) = con.execute("SELECT count(*) FROM bare").fetchone()
    con.close()
    return elapsed, count


def bare_postgres(path: Path, url: str) -> tuple[float, int]:
    import psycopg

    with psycopg.connect(pg_conninfo(url), autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS bench_bare_samples")
        cols = ", ".join(f"c{i} text" for i in range(COLUMNS))
        start = time.perf_counter()
        with con.transaction():
            con.execute(f"CREATE TABLE bench_bare_samples ({cols})")
            fh, reader = csv_rows(path)
            with (
                fh,
                con.cursor() as cur,
                cur.copy("COPY bench_bare_samples FROM STDIN") as copy,
            ):
                for row in reader:
                    copy.write_row(row)
        elapsed = time.perf_counter() - start
        (count,) = con.execute("SELECT count(*) FROM bench_bare_samples").fetchone()  # type: ignore[misc]
        con.execute("DROP TABLE bench_bare_samples")
    return elapsed, count


def bare_load(target: str, data: Path, env: dict[str, str]) -> tuple[float, int]:
    """The bare load of ``data`` into ``target`` (a ``sqlite:///`` file of its own or the
    PostgreSQL database), timed in a child of the runtime virtualenv as the import is."""
    out = subprocess.run(
        [runtime_python(), __file__, "--child", "bare", "--target", target, "--data", str(data)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed, count = json.loads(out.stdout)
    return float(elapsed), int(count)


# --- steps 3 and 4, per database -----------------------------------------------------------


def prepare_db(env: dict[str, str]) -> None:
    start = time.perf_counter()
    zl(["migrate", "-v", "0"], env)
    zl(["registry", "load-chongqing-2015"], env)
    log(f"  migrated, registry loaded ({time.perf_counter() - start:.1f} s)")


def bench_database(
    label: str,
    url: str,
    var_dir: Path,
    args: argparse.Namespace,
    bare_target: str,
    data: Path | None,
) -> tuple[list[Row], Path]:
    env = zl_env(url, var_dir)
    log(f"{label}: fresh database {url}")
    prepare_db(env)
    if data is None:
        categories, districts = catalogue_info(env)
        if len(districts) != 38:
            raise SystemExit(f"expected Chongqing's 38 districts, found {len(districts)}")
        data = generated_csv(args.cache, args.rows, args.seed, args.year, categories, districts)

    log(f"{label}: bare bulk load …")
    t_bare, n_bare = bare_load(bare_target, data, env)
    if n_bare != args.rows:
        raise SystemExit(f"bare load wrote {n_bare} rows, expected {args.rows}")
    log(f"  {t_bare:.1f} s")

    log(f"{label}: zhiliang inspections import …")
    python = runtime_python()
    cmd = [python, "-m", "zhiliang", "inspections", "import", "--stats", str(data)]
    if args.profile:
        prof = var_dir / f"import-{label}.prof"
        cmd = [python, "-m", "cProfile", "-o", str(prof), "-m", "zhiliang", *cmd[3:]]
        log(f"  (profiling to {prof}; timing includes cProfile overhead)")
    t_imp, rss, status, out, err = run_measured(cmd, env)
    if status != 0:
        print(err[-4000:], file=sys.stderr)
        raise SystemExit(f"{label}: the import failed (exit {status})")
    # Big files are checked in a second process: count both processes' peaks, summed
    # (the kernel's figure for the waited-for child is a maximum, not a sum).
    found = re.search(r"sum (\d+)", out)
    if found:
        rss = max(rss, float(found.group(1)))
    log(f"  {t_imp:.1f} s, peak RSS {rss:.0f} MB: {out.strip()}")

    log(f"{label}: pass rates …")
    res = subprocess.run(
        [runtime_python(), __file__, "--child", "rates", "--year", str(args.year)]
        + ["--runs", str(args.runs), "--rows", str(args.rows)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    rates = json.loads(res.stdout)

    factor = t_imp / t_bare
    n = f"{args.rows:,}"
    rows: list[Row] = [
        (
            f"{label}: bare bulk load, {n} rows (peer)",
            f"{t_bare:.1f} s ({args.rows / t_bare:,.0f} rows/s)",
            "—",
            "info",
        ),
        (
            f"{label}: import {n} rows (`inspections import`)",
            f"{t_imp:.1f} s = {factor:.2f}× bare ({args.rows / t_imp:,.0f} rows/s)",
            f"≤ {IMPORT_FACTOR_LIMIT:.0f}× bare = {IMPORT_FACTOR_LIMIT * t_bare:.1f} s",
            "PASS" if factor <= IMPORT_FACTOR_LIMIT else "FAIL",
        ),
        (
            f"{label}: import peak memory (RSS)",
            f"{rss:.0f} MB",
            f"< {MEMORY_LIMIT_MB} MB",
            "PASS" if rss < MEMORY_LIMIT_MB else "FAIL",
        ),
    ]
    for by in GROUPINGS:
        r = rates[by]
        ok = r["median"] < RATES_LIMIT_S and r["same_counts"]
        rows.append(
            (
                f"{label}: pass_rates by {by} ({r['groups']} groups)",
                f"median {r['median'] * 1000:.1f} ms, max {r['max'] * 1000:.1f} ms"
                + ("" if r["same_counts"] else " — COUNTS DIFFER FROM SAMPLES"),
                f"< {RATES_LIMIT_S * 1000:.0f} ms",
                "PASS" if ok else "FAIL",
            )
        )
    for by in GROUPINGS:
        r = rates[by]
        rows.append(
            (
                f"{label}: direct GROUP BY samples by {by}",
                f"median {r['direct_median'] * 1000:.1f} ms",
                "—",
                "info",
            )
        )
    rows.append(
        (
            f"{label}: pass-tally rows read by pass_rates",
            f"{rates['tally_rows']:,} (for {rates['tested']:,} tested samples)",
            "—",
            "info",
        )
    )
    return rows, data


# --- child processes (Django set up against DATABASE_URL) ----------------------------------


def child(mode: str, args: argparse.Namespace) -> None:
    if mode == "bare":
        target: str = args.target
        if target.startswith("sqlite:///"):
            print(json.dumps(bare_sqlite(args.data, Path(target[len("sqlite:///") :]))))
        else:
            print(json.dumps(bare_postgres(args.data, target)))
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiliang.settings")
    import django

    django.setup()
    if mode == "info":
        from zhiliang.inspections.models import ProductCategory
        from zhiliang.registry.models import Division

        print(
            json.dumps(
                {
                    "categories": list(
                        ProductCategory.objects.order_by("code").values_list("code", flat=True)
                    ),
                    "districts": list(
                        Division.objects.filter(level=Division.Level.COUNTY)
                        .order_by("code")
                        .values_list("code", flat=True)
                    ),
                }
            )
        )
        return
    from django.db.models import Count, Q

    from zhiliang.inspections.models import PassTally, ProductCategory, Sample
    from zhiliang.inspections.selectors import SAMPLE_COLUMNS as COLUMN_OF
    from zhiliang.inspections.selectors import pass_rates

    codes = dict(ProductCategory.objects.values_list("pk", "code"))

    def direct(by: str) -> dict[str, tuple[int, int]]:
        column = COLUMN_OF[by]
        qs = (
            Sample.objects.filter(sampled_on__year=args.year)
            .exclude(final_conclusion="")
            .values(column)
            .annotate(t=Count("id"), p=Count("id", filter=Q(final_conclusion="pass")))
            .order_by()
        )
        out = {}
        for r in qs:
            key = r[column]
            key = codes[key] if by == "category" else str(key)
            out[key] = (r["t"], r["p"])
        return out

    def timed(fn, runs: int) -> tuple[list[float], object]:  # type: ignore[no-untyped-def]
        result = fn()  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        return times, result

    report: dict[str, object] = {}
    for by in GROUPINGS:
        times, got = timed(lambda by=by: pass_rates(year=args.year, by=by), args.runs)
        dtimes, expected = timed(lambda by=by: direct(by), max(3, args.runs // 2))
        mine = {r.group: (r.tested, r.passed) for r in got}  # type: ignore[attr-defined]
        report[by] = {
            "median": statistics.median(times),
            "max": max(times),
            "direct_median": statistics.median(dtimes),
            "groups": len(mine),
            "same_counts": mine == expected,
        }
    report["tally_rows"] = PassTally.objects.filter(year=args.year).count()
    report["tested"] = Sample.objects.exclude(final_conclusion="").count()
    print(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--year", type=int, default=2019, help="year of the generated samples")
    parser.add_argument("--runs", type=int, default=9, help="timed pass_rates runs per grouping")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "zhiliang-bench-inspections",
        help="where the GENERATED CSV is kept between runs",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--profile", action="store_true", help="run the import under cProfile (times inflated)"
    )
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=["info", "rates", "bare"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return

    work = Path(tempfile.mkdtemp(prefix="zhiliang-bench-insp-"))
    all_rows: list[Row] = []
    data: Path | None = None
    started_pg = False
    pg_server = ""
    try:
        if args.db in ("sqlite", "both"):
            var = work / "sqlite"
            var.mkdir()
            url = f"sqlite:///{var / 'import.sqlite3'}"
            bare_url = f"sqlite:///{work / 'bare.sqlite3'}"
            rows, data = bench_database("SQLite", url, var, args, bare_url, data)
            all_rows += rows
            (work / "bare.sqlite3").unlink(missing_ok=True)
        if args.db in ("postgres", "both"):
            pg_server, started_pg = pg_server_url()
            url = pg_fresh_database(pg_server, BENCH_PG_DB)
            var = work / "postgres"
            var.mkdir()
            rows, data = bench_database("PostgreSQL", url, var, args, url, data)
            all_rows += rows
    finally:
        if pg_server and not args.keep:
            pg_fresh_database(pg_server, BENCH_PG_DB, drop_only=True)
        if started_pg:
            subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop"], capture_output=True)
        if args.keep:
            log(f"databases kept in {work}" + (f" and {BENCH_PG_DB}" if pg_server else ""))
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"machine: {describe()}, SQLite {sqlite3.sqlite_version}")
    print(f"data: {args.rows:,} GENERATED rows (lib/samplegen, seed {args.seed}, year {args.year})")
    print("| measure | figure | limit | verdict |")
    print("|---|---|---|---|")
    for row in all_rows:
        print("| " + " | ".join(row) + " |")
    if any(r[3] == "FAIL" for r in all_rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
