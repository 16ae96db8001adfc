"""Chinese is the source language; the English catalogue must translate every string."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "zhiliang" / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _msgids(path: Path) -> set[str]:
    return {entry.msgid for entry in polib.pofile(str(path)) if not entry.obsolete}


def test_every_english_entry_is_translated_and_not_fuzzy():
    catalogue = polib.pofile(str(PO))
    assert len(catalogue) > 100
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_the_catalogue_covers_every_string_in_the_code(tmp_path):
    # makemessages on a copy of the package (its settings point LOCALE_PATHS at the
    # copy): a msgid it finds that the committed catalogue lacks is a gap.
    shutil.copytree(
        ROOT / "zhiliang",
        tmp_path / "zhiliang",
        ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "ZHILIANG_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "zhiliang", "makemessages", "-l", "en", "--no-obsolete", "-v", "0"],
        cwd=tmp_path / "zhiliang",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = _msgids(tmp_path / PO.relative_to(ROOT))
    assert sorted(found - _msgids(PO)) == []
