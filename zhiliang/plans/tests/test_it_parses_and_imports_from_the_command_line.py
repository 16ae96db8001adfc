from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from zhiliang.conftest import SEED_PLAN
from zhiliang.plans.models import Plan, PlanItem


def test_parse_prints_one_json_object_and_writes_nothing(db, capsys):
    call_command("plan", "parse", str(SEED_PLAN))
    out = json.loads(capsys.readouterr().out)
    assert out["doc_number"] == "渝府办发〔2015〕101号"
    assert [item["label"] for item in out["items"]] == ["一、", "二、", "三、", "四、"]
    assert sum(len(item["children"]) for item in out["items"]) == 19
    assert Plan.objects.count() == 0


def test_import_twice_stores_once_and_says_so(registry, capsys):
    call_command("plan", "import", str(SEED_PLAN))
    first = capsys.readouterr().out
    assert first.startswith("imported plan")
    items = PlanItem.objects.count()
    call_command("plan", "import", str(SEED_PLAN))
    assert "nothing changed" in capsys.readouterr().out
    assert Plan.objects.count() == 1 and PlanItem.objects.count() == items


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        ("一、加强监管\n（一）开展抽查。（市质监局负责）\n".encode("gbk"), "GB18030"),
        ("今天天气很好，我们去公园散步。\n".encode(), "not"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_a_non_zero_exit(db, tmp_path, content, phrase):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError) as caught:
        call_command("plan", "parse", str(path))
    assert phrase.lower() in str(caught.value).lower()
    assert Plan.objects.count() == 0


def test_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="nope.txt"):
        call_command("plan", "import", str(tmp_path / "nope.txt"))


def test_bootstrap_is_idempotent_and_prints_the_admin_login(db, settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("bootstrap")
    first = capsys.readouterr().out
    password = (tmp_path / "admin-password.txt").read_text().strip()
    assert f"admin login: admin / {password}" in first
    call_command("bootstrap")
    second = capsys.readouterr().out
    assert "already present" in second and password in second
    assert Plan.objects.count() == 1


def test_bootstrap_demo_loads_labelled_demo_data_once(db, settings, tmp_path, capsys):
    from zhiliang.plans.models import ProgressReport

    settings.VAR_DIR = tmp_path
    call_command("bootstrap", "--demo")
    out = capsys.readouterr().out
    assert "demo data loaded (演示数据)" in out and "demo-zjj / " in out
    count = ProgressReport.objects.count()
    assert count > 0
    call_command("bootstrap", "--demo")
    assert ProgressReport.objects.count() == count
    assert "demo-zjj / " in capsys.readouterr().out
