"""The machine a benchmark ran on, and the interpreters, in one line, for every
benchmark's report."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import runtime_venv  # benchmarks/runtime_venv.py


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> str:
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "? GiB"


def speed_seconds() -> float:
    """How long this interpreter takes for ``sum(i * i for i in range(10**7))``, the best
    of three: this virtual machine's speed drifts (by a quarter within two hours on
    2026-11-27), and a figure means little without it. 0.45 s is a usual day here."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        sum(i * i for i in range(10**7))
        best = min(best, time.perf_counter() - start)
    return best


def describe() -> str:
    """e.g. 'Intel(R) Xeon(R) Processor, 2 cores, 24 GiB, speed 0.46 s (machine.speed_seconds);
    measured in runtime venv
    /tmp/zhiliang-bench-venv-… (Python 3.11.7; Django 5.2.19, …; 38 packages, no pandas);
    driver Python 3.11.7 in /work/main/.venv'."""
    if Path(sys.prefix).resolve() == runtime_venv.venv_dir().resolve():
        driver = "the driver runs there too"
    else:
        driver = f"driver Python {platform.python_version()} in {sys.prefix}"
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, {memory_gib()}, speed "
        f"{speed_seconds():.2f} s (machine.speed_seconds); "
        f"measured in {runtime_venv.describe()}; {driver}"
    )
