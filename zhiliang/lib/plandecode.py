"""Bytes to text for uploaded plan files: UTF-8 only, with a clear refusal for everything else.

A government office's plan usually arrives as a Word file, a PDF, or text saved as GBK or
UTF-16 by Windows tools. Guessing an encoding silently turns 质监局 into mojibake that then
fails to match any organisation, so anything that is not UTF-8 text is refused with a message
that names the likely format and the ``iconv`` command that converts it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from zhiliang.lib.planerrors import (
    ERR_BINARY,
    ERR_BLANK,
    ERR_EMPTY,
    ERR_GBK,
    ERR_NOT_UTF8,
    ERR_UNREADABLE,
    ERR_UTF16,
    PlanParseError,
)

__all__ = ["CJK_RE", "decode_plan_bytes", "read_plan_file"]

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "PNG图片 / a PNG image"),
    (b"%PDF", "PDF文件 / a PDF file"),
    (b"PK\x03\x04", "ZIP压缩包或Word(.docx)文档 / a ZIP archive or .docx document"),
    (b"\xd0\xcf\x11\xe0", "旧版Word/Excel文档 / a legacy .doc/.xls document"),
    (b"\xff\xd8\xff", "JPEG图片 / a JPEG image"),
    (b"GIF8", "GIF图片 / a GIF image"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
CJK_RE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")
"""A CJK ideograph, CJK punctuation or a full-width form."""


def _looks_like_text(text: str, min_cjk: float) -> bool:
    """True when ``text`` has no control characters and enough CJK characters."""
    chars = [c for c in text if not c.isspace()]
    if not chars or _CONTROL_RE.search(text):
        return False
    return sum(1 for c in chars if CJK_RE.match(c)) / len(chars) >= min_cjk


def _is_utf16(data: bytes) -> bool:
    """UTF-16 with a BOM, or BOM-less UTF-16 that decodes to clean text."""
    if data.startswith(_UTF16_BOMS) and not data.startswith(b"\xff\xfe\x00\x00"):  # UTF-32
        return True
    if b"\x00" not in data or len(data) % 2:
        return False
    texts = [data.decode(enc, errors="replace") for enc in ("utf-16-le", "utf-16-be")]
    return any("\ufffd" not in text and _looks_like_text(text, min_cjk=0.0) for text in texts)


def decode_plan_bytes(data: bytes) -> str:
    """Decode an uploaded plan: UTF-8 (with or without BOM) only, never a silent GBK guess.

    Raises :class:`PlanParseError` for empty, blank, binary, UTF-16, GBK or otherwise
    undecodable input.
    """
    if not data:
        raise PlanParseError(ERR_EMPTY)
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise PlanParseError(ERR_BINARY.format(what=what))
    if _is_utf16(data):
        raise PlanParseError(ERR_UTF16)
    if b"\x00" in data:
        raise PlanParseError(ERR_BINARY.format(what="含NUL字节 / contains NUL bytes"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            gbk_ok = _looks_like_text(data.decode("gb18030"), min_cjk=0.3)
        except UnicodeDecodeError:
            gbk_ok = False
        if gbk_ok:
            raise PlanParseError(ERR_GBK) from None
        raise PlanParseError(ERR_NOT_UTF8.format(offset=exc.start)) from None
    if _CONTROL_RE.search(text):
        raise PlanParseError(ERR_BINARY.format(what="含控制字符 / contains control characters"))
    if not text.strip():
        raise PlanParseError(ERR_BLANK)
    return text


def read_plan_file(path: str | os.PathLike[str]) -> str:
    """Read a plan file as text (see :func:`decode_plan_bytes`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PlanParseError(ERR_UNREADABLE.format(path=path, reason=exc.strerror or exc)) from exc
    return decode_plan_bytes(data)
