"""Writing an Excel workbook of several sheets (each a header row + rows) for downloads.

The multi-sheet sibling of :func:`zhiliang.lib.xlsx.xlsx_bytes`, with the same
conventions: a bold header row, panes frozen below it, and text that looks like a
formula kept as text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

#: Excel refuses sheet names longer than this or containing these characters.
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = frozenset("[]:*?/\\")


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its tab name, the header row, the rows, optional column widths in
    characters (``None`` or a missing entry keeps Excel's default), and the columns
    (1-based) formatted as text, so that what an official types there stays as typed
    (Excel keeps 15 digits of a number: an 18-character credit code would lose some)."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[float | None] = field(default=())
    text_columns: Sequence[int] = field(default=())


def _check_titles(sheets: Sequence[Sheet]) -> None:
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    seen: set[str] = set()
    for sheet in sheets:
        title = sheet.title
        if not title or len(title) > SHEET_TITLE_MAX:
            raise ValueError(f"sheet title {title!r} must be 1 to {SHEET_TITLE_MAX} characters")
        if SHEET_TITLE_FORBIDDEN & set(title):
            raise ValueError(f"sheet title {title!r} contains a character Excel forbids")
        # Excel compares sheet names case-insensitively.
        if title.casefold() in seen:
            raise ValueError(f"sheet title {title!r} is used twice")
        seen.add(title.casefold())


def xlsx_book_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The workbook with ``sheets`` in order, as the bytes of an .xlsx file.

    Dates are written as dates (shown ``yyyy-mm-dd``), numbers as numbers, ``None``
    as an empty cell. Long text wraps. A bad sheet title (empty, over 31 characters,
    one of ``[]:*?/\\``, or repeated) raises :class:`ValueError` before anything is
    written.
    """
    _check_titles(sheets)
    book = Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    bold = Font(bold=True)
    heading = Alignment(wrap_text=True, vertical="center")
    body = Alignment(wrap_text=True, vertical="top")
    for spec in sheets:
        sheet = book.create_sheet(spec.title)
        for column, value in enumerate(spec.header, start=1):
            cell = sheet.cell(row=1, column=column, value=value)
            cell.font = bold
            cell.alignment = heading
        # Cells are made by position: ``sheet[sheet.max_row]`` after each append scans
        # every cell written so far, which made a 20,000-row export take minutes.
        for number, row in enumerate(spec.rows, start=2):
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(row=number, column=column, value=value)
                # Text that starts like a formula ("=HYPERLINK(…)") stays text: an
                # exported narrative must never run in the reader's Excel.
                if isinstance(value, str) and cell.data_type == "f":
                    cell.data_type = "s"
                if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd"
                cell.alignment = body
        for index, width in enumerate(spec.widths, start=1):
            if width is not None:
                sheet.column_dimensions[get_column_letter(index)].width = width
        for index in spec.text_columns:
            sheet.column_dimensions[get_column_letter(index)].number_format = "@"
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "@"
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
