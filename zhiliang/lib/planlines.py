"""Lines and numbering of a plan document: 一、 （一） 1． (1) 第一条 and Chinese numerals."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Label", "Line", "cn_to_int", "match_label", "split_lines"]

_CN_DIGITS = {
    ch: int(d) for ch, d in zip("〇零○Ｏ0一二两三四五六七八九", "000001223456789", strict=True)
}
_CN = "一二三四五六七八九十百零〇两"


def cn_to_int(numeral: str) -> int:
    """Chinese numeral to int: 十九 → 19, 二十三 → 23, 一百零五 → 105, 二〇一六 → 2016."""
    if len(numeral) > 1 and all(ch in _CN_DIGITS for ch in numeral):
        return int("".join(str(_CN_DIGITS[ch]) for ch in numeral))
    total = current = 0
    for ch in numeral:
        if ch in "十百":
            total += (current or 1) * (10 if ch == "十" else 100)
            current = 0
        else:
            current = _CN_DIGITS[ch]
    return total + current


@dataclass(frozen=True)
class Line:
    """A non-blank line, stripped, remembering the layout around it."""

    text: str
    blank_before: bool
    indented: bool


def split_lines(text: str) -> list[Line]:
    """Non-blank stripped lines; CRLF/CR, BOM, tabs and full-width spaces are handled."""
    out: list[Line] = []
    blank = False
    for raw in text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = raw.strip()
        if not stripped:
            blank = True
            continue
        out.append(Line(stripped, blank, raw[:1].isspace()))
        blank = False
    return out


_LABEL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(rf"^第([{_CN}]+)(?:章|部分)")),
    ("article", re.compile(rf"^第([{_CN}]+)条")),
    ("cn_dun", re.compile(rf"^([{_CN}]+)\s*、")),
    ("cn_paren", re.compile(rf"^[（(]\s*([{_CN}]+)\s*[）)]")),
    ("ar_paren", re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]")),
    ("ar_dot", re.compile(r"^(\d{1,3})\s*[.．、](?!\d)")),
)


@dataclass(frozen=True)
class Label:
    """The numbering that starts a line: its style, as written, its value and the rest."""

    kind: str
    label: str
    number: int
    rest: str


def match_label(line: str) -> Label | None:
    """The numbering at the start of ``line``, if any."""
    for kind, pattern in _LABEL_PATTERNS:
        m = pattern.match(line)
        if m:
            raw = m.group(1)
            number = int(raw) if raw.isdigit() else cn_to_int(raw)
            return Label(kind, m.group(0), number, line[m.end() :].strip())
    return None
