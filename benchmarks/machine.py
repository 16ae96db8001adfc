"""The machine a benchmark ran on, in one line, for every benchmark's report."""

from __future__ import annotations

import os
import platform
from pathlib import Path


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
    """e.g. 'Intel(R) Xeon(R) Processor, 2 cores, 24 GiB, Python 3.11.7'."""
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, {memory_gib()}, Python {platform.python_version()}"
    )
