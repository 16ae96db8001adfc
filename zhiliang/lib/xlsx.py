"""Writing a simple Excel sheet (header row + rows) for downloads: a one-sheet
workbook from :mod:`zhiliang.lib.xlsxbook`, which holds the formatting and the
guard that keeps formula-like text as text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from zhiliang.lib.xlsxbook import SHEET_TITLE_FORBIDDEN, SHEET_TITLE_MAX, Sheet, xlsx_book_bytes

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    # Titles come from translated labels; trim them to what Excel allows rather than fail.
    title = "".join(ch for ch in sheet_title if ch not in SHEET_TITLE_FORBIDDEN)[:SHEET_TITLE_MAX]
    return xlsx_book_bytes([Sheet(title or "Sheet1", list(header), list(rows))])
