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


def test_the_enterprise_import_command_writes_all_or_nothing(registry, tmp_path, capsys):
    import pytest
    from django.core.management import CommandError, call_command

    from zhiliang.registry.models import Enterprise

    good = tmp_path / "e.csv"
    good.write_text(
        "uscc,name,district\n91500108MAE5G7MX3H,演示企业（演示数据）,500108\n", encoding="utf-8"
    )
    call_command("registry", "import-enterprises", str(good))
    assert "created 1" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "uscc,name,district\n91330100757206158J,好企业,500103\n123,坏,500103\n", encoding="utf-8"
    )
    with pytest.raises(CommandError, match=r"nothing written"):
        call_command("registry", "import-enterprises", str(bad))
    assert "第3行" in capsys.readouterr().err
    assert Enterprise.objects.count() == 1
