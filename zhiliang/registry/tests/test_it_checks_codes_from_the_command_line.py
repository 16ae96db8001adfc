from __future__ import annotations

import subprocess
import sys


def _run(*codes: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zhiliang", "uscc", "check", *codes],
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_prints_one_line_per_code_and_exits_0_when_all_valid():
    result = _run("91500108MAE5G7MX3H", "11500000MB1633299M")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["91500108MAE5G7MX3H\tvalid", "11500000MB1633299M\tvalid"]


def test_it_exits_1_and_gives_the_reason_when_any_is_invalid():
    result = _run("91500108MAE5G7MX3H", "91500000202801640M")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "91500108MAE5G7MX3H\tvalid"
    assert lines[1].startswith("91500000202801640M\tinvalid: ")
    assert "'A'" in lines[1]
