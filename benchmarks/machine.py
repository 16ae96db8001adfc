"""The machine a benchmark ran on, and the interpreters, in one line, for every
benchmark's report."""

from __future__ import annotations

import os
import platform
import sys
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


def describe() -> str:
    """e.g. 'Intel(R) Xeon(R) Processor, 2 cores, 24 GiB; measured in runtime venv
    /tmp/zhiliang-bench-venv-… (Python 3.11.7; Django 5.2.19, …; 38 packages, no pandas);
    driver Python 3.11.7 in /work/main/.venv'."""
    if Path(sys.prefix).resolve() == runtime_venv.venv_dir().resolve():
        driver = "the driver runs there too"
    else:
        driver = f"driver Python {platform.python_version()} in {sys.prefix}"
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, {memory_gib()}; "
        f"measured in {runtime_venv.describe()}; {driver}"
    )
