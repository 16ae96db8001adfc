"""The shipped product catalogue and its loader: adds and updates, never deletes, refuses
a broken file."""

from __future__ import annotations

import pytest

from zhiliang.inspections.catalogue import CATALOGUE_CSV, catalogue_rows, load_catalogue
from zhiliang.inspections.models import ProductCategory

HEADER = "code,name,kind,catalogue,parent\n"


def _write(tmp_path, body: str):
    path = tmp_path / "categories.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_the_shipped_catalogue_is_loaded_by_the_migration(db):
    rows = catalogue_rows()
    assert len(rows) == ProductCategory.objects.count() == 164
    kinds = {r["kind"] for r in rows}
    assert kinds == {"manufactured", "food", "farm"}
    biscuit = ProductCategory.objects.get(code="0801")
    assert (biscuit.name, biscuit.kind, biscuit.parent.code) == ("饼干", "food", "08")
    assert load_catalogue(ProductCategory) == (0, 0)


def test_it_adds_updates_and_links_parents_but_never_deletes(db, tmp_path):
    ProductCategory.objects.update(industries="")
    kept = ProductCategory.objects.get(code="IND23-02")
    kept.industries = "C38"
    kept.save()
    path = _write(
        tmp_path,
        "T-1,测试大类,other,测试目录,\n"
        "T-101,测试小类,other,测试目录,T-1\n"
        "IND23-02,家用电器及电器附件（改）,manufactured,重点工业产品质量安全监管目录(2023年版),\n",
    )
    assert load_catalogue(ProductCategory, path) == (2, 1)
    assert ProductCategory.objects.get(code="T-101").parent.code == "T-1"
    kept.refresh_from_db()
    assert kept.name == "家用电器及电器附件（改）" and kept.industries == "C38"
    assert ProductCategory.objects.count() == 166  # nothing removed
    assert load_catalogue(ProductCategory, path) == (0, 0)
    assert load_catalogue(ProductCategory, CATALOGUE_CSV) == (0, 1)  # the name back


@pytest.mark.parametrize(
    "body, message",
    [
        ("T-1,测试,gadget,测试目录,\n", "categories.csv:2: unknown kind 'gadget'"),
        ("T-1,测试,other,测试目录,T-0\n", "categories.csv:2: unknown parent 'T-0'"),
        ("T-1,测试,other,测试目录,\nT-1,又一个,other,测试目录,\n", "duplicate category codes: T-1"),
    ],
)
def test_a_broken_catalogue_is_refused_before_anything_is_written(db, tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises(ValueError, match=message):
        load_catalogue(ProductCategory, path)
    assert not ProductCategory.objects.filter(code__startswith="T-").exists()
