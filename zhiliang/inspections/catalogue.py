"""The product-category catalogue Zhiliang ships (``data/categories.csv``, sources in
``data/README.md``) and loading it into :class:`ProductCategory`."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

CATALOGUE_CSV = Path(__file__).resolve().parent / "data" / "categories.csv"
KINDS = frozenset({"manufactured", "food", "farm", "other"})


def catalogue_rows(path: Path = CATALOGUE_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]
    codes = {r["code"] for r in rows}
    for number, row in enumerate(rows, start=2):
        if row["kind"] not in KINDS:
            raise ValueError(f"{path}:{number}: unknown kind {row['kind']!r}")
        if row["parent"] and row["parent"] not in codes:
            raise ValueError(f"{path}:{number}: unknown parent {row['parent']!r}")
    if len(codes) != len(rows):
        counts = Counter(r["code"] for r in rows)
        repeated = sorted(code for code, n in counts.items() if n > 1)
        raise ValueError(f"{path}: duplicate category codes: {', '.join(repeated)}")
    return rows


def load_catalogue(model: Any, path: Path = CATALOGUE_CSV) -> tuple[int, int]:
    """Add new categories and bring names/kinds up to date; never deletes one (samples
    refer to it). ``model`` is ProductCategory (or its historical version in a migration).
    Returns (created, updated)."""
    rows = catalogue_rows(path)
    existing = {c.code: c for c in model.objects.all()}
    created = updated = 0
    for row in rows:
        found = existing.get(row["code"])
        values = {"name": row["name"], "kind": row["kind"], "catalogue": row["catalogue"]}
        if found is None:
            existing[row["code"]] = model.objects.create(code=row["code"], **values)
            created += 1
        elif any(getattr(found, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(found, k, v)
            found.save(update_fields=list(values))
            updated += 1
    for row in rows:
        item = existing[row["code"]]
        parent = existing.get(row["parent"]) if row["parent"] else None
        if item.parent_id != (parent.pk if parent else None):
            item.parent = parent
            item.save(update_fields=["parent"])
    return created, updated
