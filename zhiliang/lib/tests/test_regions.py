from __future__ import annotations

import time
from pathlib import Path

import pytest

from zhiliang.lib.regions import Region, Regions, load_regions

DATA = Path(__file__).resolve().parents[2] / "registry" / "data" / "china_divisions.csv"


@pytest.fixture(scope="module")
def regions() -> Regions:
    return load_regions(DATA)


def test_it_knows_current_codes(regions):
    assert regions.get("500103") == Region("500103", "渝中区", "county", "500100")
    assert regions.get("510107") == Region("510107", "武侯区", "county", "510100")
    assert regions.get("510000") == Region("510000", "四川省", "province", None)
    assert "510107" in regions


def test_retired_codes_stay_valid_for_old_records(regions):
    # 长寿县 became 长寿区 (500115) in 2001; 崇文区 merged into 东城区 in 2010.
    assert regions.get("500221") == Region("500221", "长寿县", "county", "500200")
    assert "110103" in regions
    assert "500234" in regions  # 开县, 开州区 (500154) since 2016
    assert "500154" in regions


def test_unknown_codes_are_not_found(regions):
    assert regions.get("999999") is None
    assert "500199" not in regions
    assert "" not in regions
    assert regions.province_of("999999") is None
    with pytest.raises(KeyError, match="999999"):
        regions.full_name("999999")


@pytest.mark.parametrize(
    ("code", "full_name"),
    [
        ("510107", "四川省成都市武侯区"),
        ("510100", "四川省成都市"),
        ("510000", "四川省"),
        ("500103", "重庆市渝中区"),  # 直辖市: the 市辖区 group is not a place
        ("500221", "重庆市长寿县"),  # retired, under the 县 group
        ("500381", "重庆市江津市"),  # retired county-level city directly under Chongqing
        ("110103", "北京市崇文区"),
        ("429004", "湖北省仙桃市"),  # 省直辖县级行政区划 left out
        ("441900", "广东省东莞市"),  # prefecture-level city without counties
    ],
)
def test_full_names_walk_the_parents(regions, code, full_name):
    assert regions.full_name(code) == full_name


def test_province_of(regions):
    assert regions.province_of("500103") == regions.get("500000")
    assert regions.province_of("510107") == regions.get("510000")
    assert regions.province_of("429004") == regions.get("420000")
    assert regions.province_of("510000") == regions.get("510000")


def test_the_table_covers_all_of_china(regions):
    provinces = [r for r in regions if r.level == "province"]
    assert len(provinces) == 34  # 31 mainland + 台湾, 香港, 澳门
    assert all(len(code) == 6 and code.isdigit() for code in regions.codes())
    assert len(regions.codes()) == len(regions) > 6800
    # Every parent is in the table and one level up (or the province for 直辖 codes).
    for region in regions:
        if region.parent is not None:
            assert region.parent in regions
            assert region.code[:2] == region.parent[:2]


def test_the_file_is_sorted_and_has_the_expected_header():
    lines = DATA.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code,name,level,parent"
    codes = [line.split(",", 1)[0] for line in lines[1:]]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))


def test_loading_is_fast_and_cached(tmp_path):
    copy = tmp_path / "divisions.csv"
    copy.write_bytes(DATA.read_bytes())
    start = time.perf_counter()
    fresh = load_regions(copy)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.05, f"loading took {elapsed * 1000:.1f} ms"
    assert load_regions(str(copy)) is fresh


def test_a_file_with_the_wrong_header_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("代码,名称\n500103,渝中区\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected header"):
        load_regions(bad)
