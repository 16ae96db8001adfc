"""Install the peers of ``bench_signals_peers.py`` apart from the project's dependencies.

* R and ``surveillance`` from Debian (``r-base-core``, ``r-cran-surveillance``; 1.20.3 on
  bookworm), for EARS C1/C2/C3, CUSUM and Farrington flexible: for the benchmark only,
  nothing of the project uses R. Installed with ``apt-get`` when this runs as root and
  they are missing (``apt-cache policy`` is asked first, so a release without them says
  so instead of failing halfway).
* A virtualenv of its own for the Python peers, ``zhiliang-peers-venv-<hash>`` under the
  temp dir, with exactly ``benchmarks/peers/requirements.txt`` (pynssp 0.1.0, vigipy
  3.5.1 and the stack they are timed with), the hash covering that file and the Python it
  is made from; reused while both are unchanged. The project's ``.venv`` and the runtime
  virtualenv of the benchmarks are not touched.

Run: ``.venv/bin/python benchmarks/peers/setup_peers.py`` (prints the peers' versions);
``bench_signals_peers.py`` calls :func:`python` itself and makes the virtualenv on first
use, but leaves the system packages to this script.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
R_PACKAGES = ("r-base-core", "r-cran-surveillance")
COMPLETE = ".zhiliang-peers-complete"  # written last: a directory without it is rebuilt
FREEZE = "freeze.txt"

#: Run with Rscript: R's and surveillance's versions.
_R_VERSIONS = (
    'cat(paste0(R.version$major, ".", R.version$minor), '
    'as.character(packageVersion("surveillance")))'
)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def base_python() -> str:
    """The interpreter the virtualenv is made from: this one's base (not a venv's)."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


def venv_dir() -> Path:
    key = json.dumps([REQUIREMENTS.read_text(), base_python(), platform.python_version()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"zhiliang-peers-venv-{digest}"


def _build(venv: Path) -> None:
    log(f"making the peers' virtualenv {venv} ({REQUIREMENTS.name}) …")
    start = time.perf_counter()
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([base_python(), "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-input", "-r", str(REQUIREMENTS)],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        print(pip.stdout[-4000:], pip.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"pip could not install {REQUIREMENTS} into {venv}")
    freeze = subprocess.run(
        [python, "-m", "pip", "freeze"], check=True, capture_output=True, text=True
    ).stdout
    (venv / FREEZE).write_text(freeze)
    (venv / COMPLETE).write_text(REQUIREMENTS.read_text())
    log(f"  made in {time.perf_counter() - start:.0f} s, {len(freeze.splitlines())} packages")


@functools.cache
def python() -> str:
    """The peers' virtualenv interpreter, made first if need be."""
    venv = venv_dir()
    with open(f"{venv}.lock", "w") as lock:  # one maker at a time; the others wait
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / COMPLETE).exists():
            _build(venv)
    return str(venv / "bin" / "python")


def python_versions() -> dict[str, str]:
    """Version of each peer package in the virtualenv (pynssp, vigipy, pandas, …)."""
    names = [
        line.split("==")[0].strip()
        for line in REQUIREMENTS.read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    ]
    code = (
        "import importlib.metadata as md, json, sys; "
        "print(json.dumps({n: md.version(n) for n in sys.argv[1:]}))"
    )
    out = subprocess.run(
        [python(), "-c", code, *names], check=True, capture_output=True, text=True, cwd="/"
    )
    found: dict[str, str] = json.loads(out.stdout)
    return found


def r_versions() -> tuple[str, str] | None:
    """(R, surveillance) versions, or None when Rscript or surveillance is missing."""
    if shutil.which("Rscript") is None:
        return None
    out = subprocess.run(["Rscript", "-e", _R_VERSIONS], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    r, surveillance = out.stdout.split()
    return r, surveillance


def install_r() -> None:
    """``apt-get install`` R and surveillance from Debian when missing (root only)."""
    if r_versions() is not None:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"R or surveillance is missing: as root, apt-get install {R_PACKAGES}")
    policy = subprocess.run(
        ["apt-cache", "policy", *R_PACKAGES], capture_output=True, text=True
    ).stdout
    if "Candidate: (none)" in policy or policy.count("Candidate:") < len(R_PACKAGES):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        policy = subprocess.run(
            ["apt-cache", "policy", *R_PACKAGES], capture_output=True, text=True
        ).stdout
        if "Candidate: (none)" in policy or policy.count("Candidate:") < len(R_PACKAGES):
            raise SystemExit(f"this Debian has no {R_PACKAGES}:\n{policy}")
    log(f"apt-get install {' '.join(R_PACKAGES)} …")
    start = time.perf_counter()
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *R_PACKAGES],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
    )
    log(f"  installed in {time.perf_counter() - start:.0f} s")


def main() -> int:
    start = time.perf_counter()
    install_r()
    found = r_versions()
    if found is None:
        raise SystemExit("Rscript cannot load surveillance after the install")
    print(f"R {found[0]}, surveillance {found[1]} (Debian: {', '.join(R_PACKAGES)})")
    interpreter = python()
    versions = ", ".join(f"{n} {v}" for n, v in python_versions().items())
    print(f"peers' virtualenv {Path(interpreter).parents[1]}: {versions}")
    print(f"ready in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
