"""Reading officials' tables (CSV or XLSX) into rows of strings.

Headers may be Chinese or English; callers pass a mapping of accepted header
spellings to field names. Decoding problems are reported, never guessed around.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field


class TableError(ValueError):
    """The file as a whole cannot be read (wrong type, encoding, missing columns)."""


@dataclass
class Table:
    fields: list[str]
    #: (row number as the user sees it in Excel, values by field name)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    #: (row number, field) of cells Excel stored as numbers too long to be exact
    #: (over 15 digits, e.g. an 18-digit credit code typed into a number cell).
    inexact: set[tuple[int, str]] = field(default_factory=set)


def _decode_csv(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise TableError("文件不是文本表格（含二进制内容）(the file is binary, not a CSV table)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError(
            "CSV 文件不是 UTF-8 编码（可能是 GBK），请在 Excel 中另存为“CSV UTF-8”或上传 xlsx 文件"
            " (the CSV is not UTF-8, probably GBK: save it as 'CSV UTF-8' or upload .xlsx)"
        ) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


#: Excel keeps 15 significant digits; a longer number has already lost its tail.
INEXACT_MARK = "\x00inexact:"


def _xlsx_cell(value: object) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e15:
        return INEXACT_MARK + _cell_text(value)
    return _cell_text(value)


def _raw_rows(data: bytes, filename: str) -> list[list[str]]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise TableError(f"无法读取 xlsx 文件 (cannot read the .xlsx file): {exc}") from None
        sheet = book.worksheets[0]
        rows = [[_xlsx_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    if name.endswith(".csv") or name.endswith(".txt"):
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(_decode_csv(data)))]
    raise TableError("只支持 .csv 和 .xlsx 文件 (only .csv and .xlsx files are accepted)")


def read_table(data: bytes, filename: str, headers: Mapping[str, str], required: set[str]) -> Table:
    """Rows keyed by field name. ``headers`` maps each accepted spelling to a field."""
    rows = _raw_rows(data, filename)
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise TableError("文件中没有数据 (the file has no rows)")
    wanted = {k.strip().lower(): v for k, v in headers.items()}
    columns: dict[int, str] = {}
    unknown: list[str] = []
    for i, head in enumerate(rows[0]):
        key = head.strip().lower()
        if not key:
            continue
        if key in wanted:
            columns[i] = wanted[key]
        else:
            unknown.append(head)
    missing = required - set(columns.values())
    if missing:
        accepted = {f: sorted(k for k, v in headers.items() if v == f) for f in sorted(missing)}
        names = "；".join(f"{' / '.join(a)}" for a in accepted.values())
        raise TableError(f"缺少必需的列 (missing required columns): {names}")
    if unknown:
        raise TableError(f"无法识别的列 (unknown columns): {'、'.join(unknown)}")
    table = Table(fields=sorted(set(columns.values())))
    for number, raw in enumerate(rows[1:], start=2):
        if not any(raw):
            continue
        values = {f: "" for f in table.fields}
        for i, value in enumerate(raw):
            if i in columns:
                if value.startswith(INEXACT_MARK):
                    value = value.removeprefix(INEXACT_MARK)
                    table.inexact.add((number, columns[i]))
                values[columns[i]] = value
        table.rows.append((number, values))
    return table
