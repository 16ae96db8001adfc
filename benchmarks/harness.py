"""What the benchmarks share: a log line, running ``zhiliang`` in a child process with a
database of its own (and measuring that child), and fresh PostgreSQL databases on the
``scripts/pg.sh`` cluster or ``DATABASE_URL_PG``.

Every child started through these helpers runs in the runtime-only virtualenv
(``benchmarks/runtime_venv.py``: pyproject's pinned ``[project.dependencies]``, no dev
extras, this working tree on ``PYTHONPATH``), as production would run it, whatever
interpreter runs the benchmark itself: ``runtime_python()`` is that interpreter and
``zl_env()`` the environment that goes with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import runtime_venv  # benchmarks/runtime_venv.py

ROOT = Path(__file__).resolve().parents[1]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def runtime_python() -> str:
    """The interpreter of the runtime-only virtualenv (made on first use)."""
    return runtime_venv.python()


def zl_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of a runtime-virtualenv child on ``database_url``."""
    env = runtime_venv.child_env()
    env["DATABASE_URL"] = database_url
    env["ZHILIANG_VAR_DIR"] = str(var_dir)
    env["DJANGO_SETTINGS_MODULE"] = "zhiliang.settings"
    # As in production: with DEBUG on, Django keeps the SQL of every query of a
    # command's transaction (about 1 GB more for `credit classify`).
    env["DEBUG"] = "false"
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def zl(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(
        [runtime_python(), "-m", "zhiliang", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, str, str]:
    """Wall seconds, peak RSS (MB) of exactly this child, exit status, stdout, stderr.
    ``cmd`` runs in the runtime virtualenv: it starts with ``runtime_python()``."""
    if cmd[0] != runtime_python():
        raise ValueError(f"a measured child runs in the runtime virtualenv, not {cmd[0]}")
    with tempfile.TemporaryFile(mode="w+") as out_f, tempfile.TemporaryFile(mode="w+") as err_f:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out_f, stderr=err_f)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        return wall, usage.ru_maxrss / 1024, proc.returncode, out_f.read(), err_f.read()


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def pg_conninfo(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url


def pg_server_url() -> tuple[str, bool]:
    """The server URL, and whether this run started the pg.sh cluster (to stop it after)."""
    url = os.environ.get("DATABASE_URL_PG")
    if url:
        return url, False
    script = ["bash", str(ROOT / "scripts" / "pg.sh")]
    running = subprocess.run([*script, "status"], capture_output=True).returncode == 0
    if running:
        return subprocess.run(
            [*script, "url"], capture_output=True, text=True
        ).stdout.strip(), False
    log("starting the scripts/pg.sh cluster …")
    url = subprocess.run([*script, "start"], capture_output=True, text=True, check=True).stdout
    return url.strip(), True


def pg_fresh_database(server_url: str, name: str, *, drop_only: bool = False) -> str:
    import psycopg

    with psycopg.connect(pg_conninfo(server_url), autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            con.execute(f'CREATE DATABASE "{name}"')
    return with_db(server_url, name)
