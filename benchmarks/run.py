"""Zhiliang benchmarks: one command (`make bench`), each figure beside its peer or limit.

- USCC validation: ours against the minimal reference checker of DOMAIN.md §1 on the
  same generated codes (GENERATED data: random bodies with a computed check character).
- Plan parsing: the seed plan, against a 50 ms budget per document.
- Plan pages: the plan, matrix and matrix-XLSX responses on SQLite with the seed plan,
  against the 300 ms page budget the project holds its dashboards to (issue 3).

Interpreter: it measures in its own process, so it first runs itself again in the
runtime-only virtualenv (``benchmarks/runtime_venv.py``: pyproject's pinned runtime
dependencies, no dev extras and so no pandas, this working tree on ``PYTHONPATH``), as a
production install would run the code; the header line names it.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import runtime_venv  # noqa: E402  (benchmarks/runtime_venv.py)
from machine import describe  # noqa: E402  (benchmarks/machine.py)

from zhiliang.lib.planparse import parse_plan  # noqa: E402
from zhiliang.lib.uscc import ALPHABET, check_character, validate_uscc  # noqa: E402

SEED = ROOT / "zhiliang" / "plans" / "data" / "chongqing-2015-quality-plan.txt"


def reference_uscc_ok(c: str) -> bool:
    """The minimal checker printed in DOMAIN.md §1 (the peer)."""
    a = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    if len(c) != 18 or any(ch not in a for ch in c):
        return False
    s = sum(a.index(ch) * pow(3, i, 31) for i, ch in enumerate(c[:17]))
    return a[(31 - s % 31) % 31] == c[17]


def generated_codes(n: int) -> list[str]:
    """GENERATED test codes: 91 + 500xxx + random body + correct check character;
    every fifth one has its check character altered so both paths are exercised."""
    rng = random.Random(20151)
    codes = []
    for i in range(n):
        body = (
            "91"
            + "5001"
            + f"{rng.randint(1, 55):02d}"
            + "".join(rng.choice(ALPHABET) for _ in range(9))
        )
        check = check_character(body)
        if i % 5 == 0:
            check = ALPHABET[(ALPHABET.index(check) + 1) % 31]
        codes.append(body + check)
    return codes


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_uscc() -> list[tuple[str, str, str, str]]:
    codes = generated_codes(100_000)
    ours = [validate_uscc(c).valid for c in codes]
    peer = [reference_uscc_ok(c) for c in codes]
    assert ours == peer, "ours and the reference disagree"
    t_ours = best_of(3, lambda: [validate_uscc(c) for c in codes])
    t_peer = best_of(3, lambda: [reference_uscc_ok(c) for c in codes])
    per = lambda t: f"{t / len(codes) * 1e6:.2f} µs/code"  # noqa: E731
    return [
        (
            "USCC check, 100k generated codes",
            per(t_ours),
            f"reference checker {per(t_peer)}",
            "ok" if t_ours <= t_peer * 1.5 else "SLOWER",
        )
    ]


def bench_parse() -> list[tuple[str, str, str, str]]:
    text = SEED.read_text(encoding="utf-8")
    t = best_of(20, lambda: parse_plan(text))
    return [
        (
            "parse seed plan (14.7 kB, 19 measures)",
            f"{t * 1000:.1f} ms",
            "limit 50 ms",
            "ok" if t < 0.05 else "OVER",
        )
    ]


def bench_pages() -> list[tuple[str, str, str, str]]:
    tmp = tempfile.mkdtemp(prefix="zhiliang-bench-")
    os.environ["ZHILIANG_VAR_DIR"] = tmp
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiliang.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("bootstrap", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from django.contrib.auth import get_user_model

    from zhiliang.plans.models import Plan

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    plan = Plan.objects.get()
    rows = []
    for label, url in [
        ("plan page", f"/plans/{plan.pk}/"),
        ("responsibility matrix page", f"/plans/{plan.pk}/matrix/"),
        ("matrix XLSX export", f"/plans/{plan.pk}/matrix/?format=xlsx"),
        ("unit page (市质监局)", "/plans/units/cq-zjj/"),
        ("targets page", "/plans/targets/"),
    ]:
        assert client.get(url).status_code == 200
        samples = []
        for _ in range(30):
            start = time.perf_counter()
            client.get(url)
            samples.append(time.perf_counter() - start)
        p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
        rows.append(
            (
                label,
                f"median {statistics.median(samples) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms",
                "limit 300 ms",
                "ok" if p95 < 0.3 else "OVER",
            )
        )
    return rows


def main() -> None:
    rows = bench_uscc() + bench_parse() + bench_pages()
    print(f"machine: {describe()}")
    print("| what | ours | peer or limit | verdict |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if any(r[3] != "ok" for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    runtime_venv.reexec()
    main()
