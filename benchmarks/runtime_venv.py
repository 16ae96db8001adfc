"""The runtime-only virtualenv that runs what the benchmarks measure.

The project's ``.venv`` holds the dev extras too (pytest, playwright, samplics and with it
pandas, polars, statsmodels …). Some of that changes what a process costs: pyarrow imports
pandas whenever pandas is installed (its pandas shim runs on the first ``pa.array(list)``),
about 55 MB and a fraction of a second that a production install, which has no pandas,
never pays. So the processes whose time or memory a benchmark reports run with a
virtualenv that holds exactly ``[project.dependencies]`` of ``pyproject.toml`` (pinned, no
extras, with whatever they depend on), and the checked-out code on ``PYTHONPATH`` rather
than installed: the benchmarks measure this working tree as production would run it.

The virtualenv is made once, under the temp dir, in ``zhiliang-bench-venv-<hash>`` where
the hash covers the dependency list and the Python it is made with (the base interpreter of
the one running this), and reused while both are unchanged; a new list makes a new
directory. ``pip`` installs from the index it is configured with. Each process that uses it
checks once that ``import pandas`` fails there, that every pinned version is the one
installed, and that ``import zhiliang`` resolves to this working tree.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COMPLETE = ".zhiliang-bench-complete"  # written last: a directory without it is rebuilt
FREEZE = "freeze.txt"  # `pip freeze` of the virtualenv, kept beside it for the record

#: Run in the virtualenv (PYTHONPATH = the working tree, cwd elsewhere) to check it.
_CHECK = """
import importlib.metadata as md, json, platform, sys
try:
    import pandas
    pandas_file = pandas.__file__
except ImportError:
    pandas_file = None
import zhiliang
names = json.loads(sys.argv[1])
print(json.dumps({
    "python": platform.python_version(),
    "prefix": sys.prefix,
    "zhiliang": zhiliang.__file__,
    "pandas": pandas_file,
    "versions": {n: md.version(n) for n in names},
    "distributions": len(
        {d.metadata["Name"].lower() for d in md.distributions()} - {"pip", "setuptools"}
    ),
}))
"""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def runtime_dependencies() -> list[str]:
    """``[project.dependencies]`` of pyproject.toml, as written (each pinned with ``==``)."""
    with (ROOT / "pyproject.toml").open("rb") as fh:
        deps = list(tomllib.load(fh)["project"]["dependencies"])
    loose = [d for d in deps if "==" not in d]
    if loose:
        raise SystemExit(f"runtime dependencies not pinned with ==: {loose}")
    return deps


def pins() -> dict[str, str]:
    """Distribution name → pinned version, e.g. ``psycopg[binary]==3.3.9`` → psycopg 3.3.9."""
    out = {}
    for dep in runtime_dependencies():
        name, version = dep.split("==", 1)
        out[re.sub(r"\[.*\]", "", name).strip()] = version.strip()
    return out


def base_python() -> str:
    """The interpreter the virtualenvs are made from: this one's base (not a venv's)."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


def venv_dir() -> Path:
    key = json.dumps([runtime_dependencies(), base_python(), platform.python_version()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"zhiliang-bench-venv-{digest}"


def _build(venv: Path) -> None:
    log(f"making the runtime-only virtualenv {venv} (pyproject's pinned dependencies) …")
    start = time.perf_counter()
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([base_python(), "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # pip's output (warnings about index locations among it) only when it fails.
    pip = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-input", *runtime_dependencies()],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        print(pip.stdout[-4000:], pip.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"pip could not install the runtime dependencies into {venv}")
    freeze = subprocess.run(
        [python, "-m", "pip", "freeze"], check=True, capture_output=True, text=True
    ).stdout
    (venv / FREEZE).write_text(freeze)
    (venv / COMPLETE).write_text(json.dumps(runtime_dependencies()) + "\n")
    log(f"  made in {time.perf_counter() - start:.0f} s, {len(freeze.splitlines())} packages")


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) for a process of the runtime virtualenv: the
    working tree on PYTHONPATH, the virtualenv's bin first on PATH."""
    out = dict(os.environ if env is None else env)
    venv = venv_dir()
    out["PYTHONPATH"] = str(ROOT)
    out["VIRTUAL_ENV"] = str(venv)
    out["PATH"] = f"{venv / 'bin'}{os.pathsep}{out.get('PATH', '')}"
    out.pop("PYTHONHOME", None)
    return out


@functools.cache
def python() -> str:
    """The runtime virtualenv's interpreter, made first if need be, and checked."""
    venv = venv_dir()
    with open(f"{venv}.lock", "w") as lock:  # one maker at a time; the others wait
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / COMPLETE).exists():
            _build(venv)
    info()  # checks it
    return str(venv / "bin" / "python")


@functools.cache
def info() -> dict[str, Any]:
    """What the runtime virtualenv holds; exits if it holds pandas, a version other than
    the pinned one, or finds ``zhiliang`` anywhere but in this working tree."""
    venv = venv_dir()
    wanted = pins()
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", _CHECK, json.dumps(list(wanted))],
        cwd="/",  # so that only PYTHONPATH can make the working tree importable
        env=child_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, Any] = json.loads(out.stdout)
    if found["pandas"] is not None:
        raise SystemExit(f"{venv} has pandas ({found['pandas']}): it is not runtime-only")
    if Path(found["zhiliang"]).resolve() != ROOT / "zhiliang" / "__init__.py":
        raise SystemExit(f"{venv}: zhiliang is {found['zhiliang']}, not this working tree's")
    wrong = {n: v for n, v in found["versions"].items() if v != wanted[n]}
    if wrong:
        raise SystemExit(f"{venv}: installed {wrong}, pinned {wanted}; delete it to remake it")
    return found


def describe() -> str:
    """e.g. 'runtime venv /tmp/zhiliang-bench-venv-… (Python 3.11.7; Django 5.2.19, …;
    38 packages, no pandas)'."""
    python()
    found = info()
    versions = ", ".join(f"{n} {v}" for n, v in found["versions"].items())
    return (
        f"runtime venv {found['prefix']} (Python {found['python']}; {versions}; "
        f"{found['distributions']} packages, no pandas)"
    )


def reexec() -> None:
    """Run this script again in the runtime virtualenv, unless it already runs there: for
    benchmarks that measure in their own process."""
    venv = venv_dir()
    target = python()
    if Path(sys.prefix).resolve() == venv.resolve():
        return
    log(f"running {Path(sys.argv[0]).name} in the runtime virtualenv {venv}")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(target, [target, *sys.argv], child_env())
