"""Dashboards at scale (issue 3): every dashboard page and XLSX export under 300 ms.

All data here is GENERATED (seeded random, nothing real): the seed plan's 19 measures
× 38 district governments, each district with a 实施方案 and one task per measure,
and 5 years (2015-07 … 2020-06) of monthly progress reports per task: 38 × 19 × 60 =
43,320 ProgressReport rows, plus ReportFigure rows against the plan's 6 quantified
targets (38 × 60 × 6 = 13,680). The dashboards' reference date is pinned to
2020-07-10, just after the last generated period, so obligations are a realistic
mix of complete, overdue and open (run with ``--today`` to use the real date).

Run: ``.venv/bin/python benchmarks/bench_dashboards.py`` (SQLite in a temporary
directory; exits 1 when a p95 is over the limit).

Interpreter: it measures in its own process, so it first runs itself again in the
runtime-only virtualenv (``benchmarks/runtime_venv.py``: pyproject's pinned runtime
dependencies, no dev extras and so no pandas, this working tree on ``PYTHONPATH``), as a
production install would run the code; the header line names it.
"""

from __future__ import annotations

import argparse
import atexit
import calendar
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import runtime_venv  # noqa: E402  (benchmarks/runtime_venv.py)
from machine import describe  # noqa: E402  (benchmarks/machine.py)

LIMIT_SECONDS = 0.300
RUNS = 30
START = (2015, 7)
MONTHS = 60  # 5 years of monthly reports
PINNED_TODAY = dt.date(2020, 7, 10)


def months(n: int) -> list[str]:
    year, month = START
    out = []
    for _ in range(n):
        out.append(f"{year}-{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def month_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def setup_django() -> None:
    tmp = tempfile.mkdtemp(prefix="zhiliang-bench-dash-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    os.environ["ZHILIANG_VAR_DIR"] = tmp
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhiliang.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("bootstrap", stdout=open(os.devnull, "w"))  # noqa: SIM115


def generate() -> dict[str, int]:
    """GENERATED data (see the module docstring); seeded, so every run is the same."""
    from django.db import transaction

    from zhiliang.plans.models import (
        DistrictPlan,
        MeasureSchedule,
        Plan,
        PlanItem,
        ProgressReport,
        ReportFigure,
        Task,
    )
    from zhiliang.registry.models import Organisation

    rng = random.Random(20153)
    S, St = ProgressReport.Status, ProgressReport.State
    plan = Plan.objects.get()
    measures = list(PlanItem.objects.filter(plan=plan, is_leaf=True).order_by("position"))
    districts = list(
        Organisation.objects.filter(kind=Organisation.Kind.DISTRICT).order_by("division_id")
    )
    periods = months(MONTHS)
    with transaction.atomic():
        # GENERATED deadlines three months apart, from 2016-06 to 2020-12.
        deadline_periods = months(11 + 3 * len(measures))[11::3]
        deadlines = {
            item.pk: month_end(period)
            for item, period in zip(measures, deadline_periods, strict=True)
        }
        MeasureSchedule.objects.bulk_create(
            MeasureSchedule(item=item, deadline=deadlines[item.pk], reporting_cycle="monthly")
            for item in measures
        )
        district_plans = DistrictPlan.objects.bulk_create(
            DistrictPlan(district=d, plan=plan, title=f"GENERATED {d.name}实施方案")
            for d in districts
        )
        tasks = Task.objects.bulk_create(
            Task(
                item=item,
                district_plan=dp,
                title=f"GENERATED {item.label}区县任务",
                owner_id=dp.district_id,
                deadline=deadlines[item.pk],
            )
            for dp in district_plans
            for item in measures
        )
        targets_of: dict[int, list[tuple[int, Decimal]]] = {}
        for item in measures:
            targets_of[item.pk] = [(t.pk, t.value) for t in item.targets.all()]
        reports = []
        plans_done: dict[int, int] = {}
        for task in tasks:
            # The month the task is finished; beyond the window for about one in five.
            done_at = rng.randint(6, 75)
            plans_done[task.pk] = done_at
            for m, period in enumerate(periods):
                if m >= done_at:
                    status = S.DONE
                elif m < 2:
                    status = S.NOT_STARTED
                elif month_end(period) > task.deadline:
                    status = S.LATE
                else:
                    status = S.IN_PROGRESS
                # The last two periods are still under review, as they would be.
                state = St.ACCEPTED if m < MONTHS - 2 else (St.SUBMITTED, St.DRAFT)[m - MONTHS + 2]
                reports.append(
                    ProgressReport(
                        organisation_id=task.owner_id,
                        item_id=task.item_id,
                        task=task,
                        period=period,
                        status=status,
                        narrative="GENERATED 工作进展",
                        state=state,
                    )
                )
        reports = ProgressReport.objects.bulk_create(reports, batch_size=2000)
        figures = []
        for report in reports:
            targets = targets_of[report.item_id]
            if not targets:
                continue
            m = periods.index(report.period)
            done_at = plans_done[report.task_id]
            progress = min(1.0, (m + 1) / max(done_at, 1))
            for target_id, value in targets:
                # Cumulative figures growing towards (a district's share of) the target.
                share = rng.uniform(0.6, 1.3) * progress
                figures.append(
                    ReportFigure(
                        report=report,
                        target_id=target_id,
                        value=(value * Decimal(str(round(share, 4)))).quantize(Decimal("0.01")),
                    )
                )
        ReportFigure.objects.bulk_create(figures, batch_size=5000)
    return {
        "measures": len(measures),
        "districts": len(districts),
        "tasks": len(tasks),
        "reports": ProgressReport.objects.count(),
        "figures": ReportFigure.objects.count(),
    }


def time_pages(real_today: bool) -> list[tuple[str, str, str, str]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from zhiliang.plans import dashboard_views
    from zhiliang.plans.models import Plan

    if not real_today:
        dashboard_views.today = lambda: PINNED_TODAY  # type: ignore[assignment]
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    pk = Plan.objects.get().pk
    # Warm the process (URL resolver, translation catalogue, base template) on
    # another page, so "first" below is the dashboard's own cold start.
    assert client.get(f"/plans/{pk}/").status_code == 200
    base = f"/plans/{pk}/dashboard/"
    rows = []
    for label, url in [
        ("dashboard: measures, units, overdue", base),
        ("  XLSX by measure", base + "?format=xlsx&table=measures"),
        ("  XLSX by unit", base + "?format=xlsx&table=units"),
        ("  XLSX overdue list", base + "?format=xlsx&table=overdue"),
        ("dashboard: districts", base + "districts/"),
        ("  XLSX districts", base + "districts/?format=xlsx"),
        ("dashboard: targets", base + "targets/"),
        ("  XLSX targets", base + "targets/?format=xlsx&table=targets"),
        ("  XLSX target trends", base + "targets/?format=xlsx&table=trends"),
    ]:
        # The first request (cold caches: templates, the working-day segments) is
        # reported on its own, then left out of the statistics.
        start = time.perf_counter()
        response = client.get(url)
        first = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        samples = []
        for _ in range(RUNS):
            start = time.perf_counter()
            client.get(url)
            samples.append(time.perf_counter() - start)
        p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
        rows.append(
            (
                label.strip() if not label.startswith(" ") else "↳ " + label.strip(),
                f"median {statistics.median(samples) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
                f" (first {first * 1000:.0f} ms)",
                f"limit {LIMIT_SECONDS * 1000:.0f} ms",
                "ok" if p95 < LIMIT_SECONDS else "OVER",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--today", action="store_true", help="use the real date instead of 2020-07-10"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    setup_django()
    counts = generate()
    generated = time.perf_counter() - started
    rows = time_pages(real_today=args.today)
    print(f"machine: {describe()}, SQLite")
    print(
        "GENERATED data: {measures} measures × {districts} districts, {tasks} tasks,"
        " {reports} progress reports, {figures} figures".format(**counts)
        + f" (setup {generated:.1f} s); reference date "
        + ("today" if args.today else PINNED_TODAY.isoformat())
    )
    print(f"{RUNS} runs per page, Django test client, admin (quality office) session")
    print()
    print("| what | ours | peer or limit | verdict |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if any(r[3] != "ok" for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    runtime_venv.reexec()
    main()
