"""Reading officials' large tables (CSV or XLSX) one row at a time.

:func:`open_table` reads and checks the header row, then returns a
:class:`StreamTable` that yields ``(line, values)`` lazily, so a file of a
million rows never sits in memory. Nothing is guessed: a column that is not
recognised is an error (its data would otherwise be dropped silently), and so
is a file that is not UTF-8.

Each yielded ``values`` dict maps every recognised field to its stripped text
(``""`` when the cell is empty or the row is short). Two reserved keys may be
added, and only when there is something to report:

``EXTRA_KEY`` (``"__extra__"``)
    the row has non-empty cells under no header (beyond the last column or
    under a blank header cell); the value is those cells joined by ``" | "``.
``INEXACT_KEY`` (``"__inexact__"``)
    XLSX only: comma-separated fields whose cell was a number of 16 or more
    digits. Excel keeps 15 significant digits, so such a value (an 18-digit
    credit code typed into a number cell) has already lost its tail and must be
    reported, not stored. The field's value is still given, as Excel shows it.

Line numbers are what the official sees: the XLSX row index, or for CSV the
physical line where the record starts (the same as the Excel row unless a
quoted cell contains a line break).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, cast

from zhiliang.lib.tables import TableError

__all__ = [
    "EXTRA_KEY",
    "INEXACT_KEY",
    "StreamTable",
    "TableError",
    "TableStructureError",
    "header_key",
    "open_table",
]

EXTRA_KEY = "__extra__"
INEXACT_KEY = "__inexact__"

#: Excel stores numbers as doubles and shows 15 significant digits.
_EXACT_LIMIT = 1e15

ERR_EMPTY_FILE = "文件为空 / the file is empty"
ERR_NO_HEADER = (
    "文件中没有任何数据，找不到表头行 / the file has no rows, so no header row was found"
)
ERR_BINARY = "文件不是文本表格（含二进制内容）/ the file is binary, not a CSV table"
ERR_XLS = (
    "不支持旧版 Excel（.xls）文件：请在 Excel 中“另存为”“Excel 工作簿（*.xlsx）”后重新上传 / "
    "old Excel (.xls) files are not supported: save the file as 'Excel Workbook (*.xlsx)' and upload it again"
)
ERR_UTF16 = (
    "CSV 文件是 UTF-16 编码（Excel 的“Unicode 文本”）：请在 Excel 中“另存为”"
    "“CSV UTF-8（逗号分隔）(*.csv)”或“Excel 工作簿（*.xlsx）”后重新上传 / "
    "the CSV file is UTF-16 (Excel's 'Unicode Text'): save it as 'CSV UTF-8 (Comma delimited) (*.csv)' "
    "or 'Excel Workbook (*.xlsx)' and upload it again"
)
ERR_NOT_UTF8 = (
    "CSV 文件第{line}行不是 UTF-8 编码{guess_zh}。请用 Excel 打开该文件，选择“文件 → 另存为”，"
    "保存类型选“CSV UTF-8（逗号分隔）(*.csv)”后重新上传（也可直接上传 .xlsx 文件）；"
    "或用记事本打开后“另存为”，编码选“UTF-8” / "
    "line {line} of the CSV file is not UTF-8{guess_en}. Open the file in Excel, choose "
    "File → Save As, pick 'CSV UTF-8 (Comma delimited) (*.csv)' and upload it again (or upload "
    "the .xlsx file); or open it in Notepad, Save As, and choose the encoding 'UTF-8'"
)
ERR_CSV = (
    "CSV 文件第{line}行无法解析：{reason} / line {line} of the CSV file cannot be parsed: {reason}"
)
ERR_XLSX = "无法读取 xlsx 文件：{reason} / cannot read the .xlsx file: {reason}"
ERR_UNREADABLE = "无法打开文件：{reason} / cannot open the file: {reason}"

_NO_SUGGESTIONS: Mapping[str, str] = MappingProxyType({})

#: One raw row: (line, stripped cell texts, indexes of inexact number cells).
_RawRow = tuple[int, list[str], tuple[int, ...]]


def header_key(text: str) -> str:
    """The form in which header texts are compared.

    NFKC folds full-width letters, digits and brackets (“（”) to half-width;
    all whitespace (including the ideographic space U+3000) is removed, a
    required-column star (“抽样日期*”) is dropped and case is ignored.
    """
    folded = "".join(unicodedata.normalize("NFKC", text).split())
    return folded.strip("*").casefold()


class TableStructureError(TableError):
    """The header row does not match the expected columns.

    All header problems are collected into this one error so the official can
    fix the file in one go. ``str()`` is the Chinese-then-English message.
    """

    def __init__(
        self,
        *,
        missing: list[str],
        accepted: dict[str, list[str]],
        unknown: list[str],
        suggested: dict[str, str],
        duplicates: dict[str, list[str]],
        display: dict[str, str],
    ) -> None:
        #: required fields with no column, in the order of ``headers``
        self.missing = missing
        #: field → every accepted header spelling, for each missing field
        self.accepted = accepted
        #: header texts (as in the file) that match no field
        self.unknown = unknown
        #: unknown header text → the field it probably is (from ``suggestions``)
        self.suggested = suggested
        #: field → the two or more header texts that all map to it
        self.duplicates = duplicates
        self._display = display
        super().__init__(self._message())

    def _message(self) -> str:
        zh: list[str] = []
        en: list[str] = []
        if self.missing:
            zh.append(
                "缺少必需的列："
                + "；".join(
                    f"{self._display[f]}（可用列名：{' / '.join(self.accepted[f])}）"
                    for f in self.missing
                )
            )
            en.append(
                "missing required columns: "
                + "; ".join(f"{f} (accepted: {' / '.join(self.accepted[f])})" for f in self.missing)
            )
        if self.unknown:
            zh.append(
                "无法识别的列："
                + "、".join(
                    f"“{h}”（是否应为“{self._display[self.suggested[h]]}”？）"
                    if h in self.suggested
                    else f"“{h}”"
                    for h in self.unknown
                )
            )
            en.append(
                "unknown columns: "
                + ", ".join(
                    f"'{h}' (did you mean '{self._display[self.suggested[h]]}'?)"
                    if h in self.suggested
                    else f"'{h}'"
                    for h in self.unknown
                )
            )
        if self.duplicates:
            zh.append(
                "重复的列："
                + "；".join(
                    f"{'、'.join(hs)} 都是“{self._display[f]}”" for f, hs in self.duplicates.items()
                )
            )
            en.append(
                "duplicate columns: "
                + "; ".join(f"{', '.join(hs)} are all {f}" for f, hs in self.duplicates.items())
            )
        return "表头有误：" + "。".join(zh) + "。 / Header problems: " + "; ".join(en) + "."


class StreamTable:
    """The rows of an opened table, read lazily; iterate it once.

    ``fields`` lists the recognised fields in column order. Iterating yields
    ``(line, values)`` (see the module docstring for the reserved keys); fully
    empty rows are skipped. Use it as a context manager, or call
    :meth:`close`, to release the file before the rows are exhausted.
    """

    def __init__(
        self,
        columns: list[str | None],
        raw: Iterator[_RawRow],
        close: Callable[[], None],
        kind: str = "csv",
    ) -> None:
        #: the field of each column in file order (``None`` under a blank header cell)
        self.columns = columns
        #: ``"csv"`` or ``"xlsx"``
        self.kind = kind
        self._columns = columns
        self.fields: list[str] = [c for c in columns if c is not None]
        self._raw = raw
        self._close = close
        self._used = False

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        if self._used:
            raise RuntimeError("a StreamTable can be iterated only once")
        self._used = True
        return self._rows()

    def _rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        columns = self._columns
        width = len(columns)
        plain = None not in columns
        names = cast(list[str], columns)  # all named when ``plain``
        try:
            for line, cells, inexact in self._raw:
                if plain and len(cells) == width:
                    values = dict(zip(names, cells, strict=True))
                else:
                    values = self._shaped(cells)
                if inexact:
                    named = [n for i in inexact if i < width and (n := columns[i]) is not None]
                    if named:
                        values[INEXACT_KEY] = ",".join(named)
                yield line, values
        finally:
            self.close()

    def _shaped(self, cells: list[str]) -> dict[str, str]:
        """A row that is short, long, or has cells under blank headers."""
        columns = self._columns
        values = dict.fromkeys(self.fields, "")
        extra: list[str] = []
        for i, text in enumerate(cells):
            name = columns[i] if i < len(columns) else None
            if name is not None:
                values[name] = text
            elif text:
                extra.append(text)
        if extra:
            values[EXTRA_KEY] = " | ".join(extra)
        return values

    def close(self) -> None:
        close, self._close = self._close, _nothing
        close()

    def __enter__(self) -> StreamTable:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _nothing() -> None:
    return None


def open_table(
    path: str | os.PathLike[str],
    headers: Mapping[str, str],
    required: Collection[str],
    suggestions: Mapping[str, str] = _NO_SUGGESTIONS,
) -> StreamTable:
    """Open a CSV (UTF-8, optional BOM) or XLSX file and check its header row.

    ``headers`` maps each accepted header spelling to a field; the first
    spelling of a field is the one shown in messages. ``required`` lists the
    fields that must have a column. ``suggestions`` maps other spellings seen
    in the wild to the field they probably mean, for the error message only.
    The type is decided by content: a zip archive is XLSX, anything else CSV.

    Raises :class:`TableStructureError` for header problems and
    :class:`TableError` for unreadable files.
    """
    wanted: dict[str, str] = {}
    for spelling, name in headers.items():
        key = header_key(spelling)
        if wanted.setdefault(key, name) != name:
            raise ValueError(f"header {spelling!r} maps to both {wanted[key]!r} and {name!r}")
    unknown_required = set(required) - set(headers.values())
    if unknown_required:
        raise ValueError(f"required fields with no header spelling: {sorted(unknown_required)}")
    hints = {header_key(k): v for k, v in suggestions.items()}

    try:
        with open(path, "rb") as probe:
            head = probe.read(4096)
    except OSError as exc:
        raise TableError(ERR_UNREADABLE.format(reason=exc.strerror or exc)) from None
    if not head:
        raise TableError(ERR_EMPTY_FILE)
    if head.startswith(b"PK\x03\x04"):
        raw, close = _open_xlsx(path)
        kind = "xlsx"
    else:
        raw, close = _open_csv(path, head)
        kind = "csv"

    try:
        first = next(raw, None)
        if first is None:
            raise TableError(ERR_NO_HEADER)
        columns = _match_header(first[1], headers, wanted, required, hints)
    except BaseException:
        close()
        raise
    return StreamTable(columns, raw, close, kind)


def _match_header(
    cells: list[str],
    headers: Mapping[str, str],
    wanted: dict[str, str],
    required: Collection[str],
    hints: dict[str, str],
) -> list[str | None]:
    columns: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, list[str]] = {}
    for text in cells:
        if not text:
            columns.append(None)
            continue
        name = wanted.get(header_key(text))
        if name is None:
            unknown.append(text)
        else:
            seen.setdefault(name, []).append(text)
        columns.append(name)
    # Trailing blank header cells carry no column; data under them is "extra".
    while columns and columns[-1] is None:
        columns.pop()
    order = list(dict.fromkeys(headers.values()))
    missing = [f for f in order if f in required and f not in seen]
    duplicates = {f: hs for f, hs in seen.items() if len(hs) > 1}
    if missing or unknown or duplicates:
        suggested = {
            h: hints[header_key(h)]
            for h in unknown
            if header_key(h) in hints and hints[header_key(h)] not in seen
        }
        raise TableStructureError(
            missing=missing,
            accepted={f: [h for h, n in headers.items() if n == f] for f in missing},
            unknown=unknown,
            suggested=suggested,
            duplicates=duplicates,
            display={f: next(h for h, n in headers.items() if n == f) for f in order},
        )
    return columns


# --- CSV ---------------------------------------------------------------------


def _open_csv(
    path: str | os.PathLike[str], head: bytes
) -> tuple[Iterator[_RawRow], Callable[[], None]]:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError(ERR_UTF16)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(ERR_XLS)
    if b"\x00" in head:
        raise TableError(ERR_BINARY)
    # newline="" lets the csv module see the line endings (quoted line breaks).
    text = io.TextIOWrapper(open(path, "rb"), encoding="utf-8-sig", newline="")  # noqa: SIM115
    return _csv_rows(text, path), text.close


def _csv_rows(text: io.TextIOWrapper, path: str | os.PathLike[str]) -> Iterator[_RawRow]:
    reader = csv.reader(text)
    previous = 0
    strip = str.strip
    try:
        for row in reader:
            line = previous + 1
            previous = reader.line_num
            cells = list(map(strip, row))
            if any(cells):
                yield line, cells, ()
    except UnicodeDecodeError:
        raise TableError(_not_utf8_message(path)) from None
    except csv.Error as exc:
        raise TableError(ERR_CSV.format(line=previous + 1, reason=exc)) from None


def _not_utf8_message(path: str | os.PathLike[str]) -> str:
    """Find the first undecodable line again, reading the bytes line by line.

    The text layer decodes in chunks, so its error does not say which line; a
    newline byte never occurs inside a UTF-8 sequence, so splitting bytes on it
    is safe.
    """
    line, gbk = 0, False
    with open(path, "rb") as binary:
        for number, raw in enumerate(binary, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                line = number
                try:
                    raw.decode("gb18030")
                    gbk = True
                except UnicodeDecodeError:
                    pass
                break
    return ERR_NOT_UTF8.format(
        line=line or "?",
        guess_zh="（很可能是 GBK/GB18030 编码，Excel 默认保存的“CSV（逗号分隔）”就是这种编码）"
        if gbk
        else "",
        guess_en=" (most likely GBK/GB18030, which Excel's plain 'CSV (Comma delimited)' uses)"
        if gbk
        else "",
    )


# --- XLSX --------------------------------------------------------------------


def _open_xlsx(path: str | os.PathLike[str]) -> tuple[Iterator[_RawRow], Callable[[], None]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken or non-xlsx zip
        raise TableError(ERR_XLSX.format(reason=exc)) from None
    if not book.worksheets:
        book.close()
        raise TableError(ERR_XLSX.format(reason="没有工作表 / no worksheet"))
    sheet: Any = book.worksheets[0]
    # The stored dimension can be wrong (files written by other tools); trusting it
    # would cut off columns beyond it, so rows are read as wide as they really are.
    sheet.reset_dimensions()
    return _xlsx_rows(sheet.iter_rows(values_only=True)), book.close


def _xlsx_rows(rows: Iterator[tuple[object, ...]]) -> Iterator[_RawRow]:
    try:
        for line, row in enumerate(rows, start=1):
            cells: list[str] = []
            inexact: list[int] = []
            for i, value in enumerate(row):
                if value is None:
                    cells.append("")
                elif type(value) is str:
                    cells.append(value.strip())
                else:
                    text, exact = _xlsx_text(value)
                    cells.append(text)
                    if not exact:
                        inexact.append(i)
            if any(cells):
                yield line, cells, tuple(inexact)
    except TableError:
        raise
    except Exception as exc:  # a corrupt sheet surfaces only while parsing
        raise TableError(ERR_XLSX.format(reason=exc)) from None


def _xlsx_text(value: object) -> tuple[str, bool]:
    """A non-string cell as text, and whether the text is exactly what was typed."""
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), True
    if isinstance(value, int):
        return str(value), abs(value) < _EXACT_LIMIT
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
        return text, abs(value) < _EXACT_LIMIT
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat(), True
        return value.isoformat(sep=" "), True
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat(), True
    return str(value).strip(), True
