from __future__ import annotations

import os
import subprocess
import sys

import pytest

from zhiliang.lib.envvars import EnvError, database_url_checked, env_bool, env_int, env_list


def _zhiliang(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "-m", "zhiliang", *args],
        capture_output=True,
        text=True,
        env={**base, **env},
        check=False,
    )


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("0", False), ("Yes", True), ("off", False), ("", True)]
)
def test_it_reads_booleans(raw, value):
    assert env_bool("X", True, {"X": raw}) is value


@pytest.mark.parametrize("raw", ["ture", "y", "2", "enabled"])
def test_a_misspelt_boolean_is_an_error_not_false(raw):
    with pytest.raises(EnvError, match="X="):
        env_bool("X", False, {"X": raw})


def test_it_reads_integers_and_lists_strictly():
    assert env_int("N", 1, {"N": " 42 "}) == 42
    with pytest.raises(EnvError):
        env_int("N", 1, {"N": "4 2"})
    assert env_list("L", [], {"L": "a.gov.cn, b.gov.cn"}) == ["a.gov.cn", "b.gov.cn"]
    with pytest.raises(EnvError, match="empty item"):
        env_list("L", [], {"L": "a,,b"})


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:p@db:5432/zhiliang",
        "postgresql://u@127.0.0.1/z",
        "sqlite:////var/lib/zhiliang.sqlite3",
    ],
)
def test_it_accepts_the_usual_database_urls(url):
    assert database_url_checked(url) == url


@pytest.mark.parametrize("url", ["mysql://u@h/db", "zhiliang.sqlite3", "sqlite:/x"])
def test_it_refuses_other_database_urls(url):
    with pytest.raises(EnvError, match="DATABASE_URL"):
        database_url_checked(url)


def test_a_bad_variable_stops_the_command_with_its_name():
    result = _zhiliang("check", DEBUG="ture")
    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr


def test_production_mode_passes_the_deploy_check_without_warnings(tmp_path):
    result = _zhiliang(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ZHILIANG_PRODUCTION="true",
        SECRET_KEY="k" * 20 + "-production-secret-for-the-deploy-check-" + "z" * 20,
        ALLOWED_HOSTS="zhiliang.cq.gov.cn",
        ZHILIANG_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_mode_refuses_a_missing_secret(tmp_path):
    result = _zhiliang("check", ZHILIANG_PRODUCTION="true", ZHILIANG_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("env", "phrase"),
    [
        ({"DATABASE_URL": ""}, "DATABASE_URL is set but empty"),
        ({"DATABASE_URL": "postgres://"}, "needs a host and a database name"),
        (
            {"DATABASE_URL": "postgres://u:p@h:notaport/x"},
            "DATABASE_URL='postgres://u:p@h:notaport/x'",
        ),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL='loud' is not one of"),
        ({"UPLOAD_MAX_BYTES": "-1"}, "UPLOAD_MAX_BYTES='-1' must be at least"),
    ],
)
def test_every_bad_setting_is_named(env, phrase):
    result = _zhiliang("check", **env)
    assert result.returncode != 0
    assert phrase in result.stderr


def test_it_runs_on_the_database_make_asked_for():
    # `make test` runs the suite twice and says which database each pass must use;
    # a PostgreSQL pass that silently fell back to SQLite would fail here.
    from django.db import connection

    expected = os.environ.get("ZHILIANG_EXPECT_DB")
    if expected:
        assert connection.vendor == expected
    else:
        assert connection.vendor in {"sqlite", "postgresql"}
