"""Linking a district's 实施方案 items to the municipal measures they implement.

District plans usually copy the municipal headings with small edits
("深化质量领域行政审批改革" → "深化全区质量领域行政审批改革"), so the titles are compared
with :class:`difflib.SequenceMatcher`; the best municipal measure at or above
``threshold`` wins, each district item independently. Below it the item is left
unmatched for the officer to link by hand, never guessed.
"""

from __future__ import annotations

from difflib import SequenceMatcher

DEFAULT_THRESHOLD = 0.6


def _normal(title: str) -> str:
    # 全区/全县/我区 and 市/区 prefixes are the usual local edits; they carry no meaning here.
    for word in ("全市", "全区", "全县", "我市", "我区", "我县", "辖区"):
        title = title.replace(word, "")
    return title.strip("。； ")


def best_match(
    title: str, candidates: dict[int, str], threshold: float = DEFAULT_THRESHOLD
) -> tuple[int | None, float]:
    """The candidate key whose title is most like ``title``, with its ratio (or None)."""
    best_key, best_ratio = None, 0.0
    wanted = _normal(title)
    for key, candidate in candidates.items():
        ratio = SequenceMatcher(None, wanted, _normal(candidate)).ratio()
        if ratio > best_ratio:
            best_key, best_ratio = key, ratio
    if best_ratio < threshold:
        return None, best_ratio
    return best_key, best_ratio
