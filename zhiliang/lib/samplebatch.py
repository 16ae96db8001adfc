"""Checking a large CSV of sampling results a column at a time (Apache Arrow).

The row checker (:class:`~zhiliang.lib.samplerows.RowValidator`) spends about 9 µs a
row in Python, so a million-row file takes longer to check than the database takes to
store it. This reader parses the CSV in C++ (pyarrow) and checks whole columns: each
*distinct* value of a column (categories, credit codes, regions, dates, channels,
conclusions …) is judged once by the row checker's own methods, and lengths and the
rules between fields are array expressions. A row that passes all of them is accepted
as the row checker would accept it; every other row — wrong, or only unusual (a
doubled sample number, a producer given without its code …) — goes through
:meth:`RowValidator.check` itself, which accepts it or says what is wrong. A row is
therefore never accepted here that the row checker would refuse, and its stored values
are the same (``tests/test_samplebatch.py`` compares both on generated and real rows).

The file must be a UTF-8 CSV whose first line is the header, with one cell per header
column on every line and no line break inside a cell (so a row's line is its index plus
two). Anything else raises :class:`NotColumnar`, possibly after some batches were
yielded; the caller then reads the whole file again row by row
(:mod:`zhiliang.lib.tablestream`), which explains such files precisely.

Checked rows come out as :class:`CheckedBatch` tables of :data:`CLEAN_SCHEMA`: the
line, then the :class:`SampleRow` fields as text, dates in ISO form and ``reported_on``
null when the sample was not tested yet.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from zhiliang.lib.samplerows import (
    MAX_LENGTHS,
    NO_PRODUCER,
    RowError,
    RowValidator,
    SampleRow,
    channel_of,
    conclusion_of,
    role_of,
)

__all__ = [
    "CLEAN_SCHEMA",
    "CheckedBatch",
    "NotColumnar",
    "RowCheck",
    "clean_table",
    "read_checked",
]

#: Checked rows: the line, then every :class:`SampleRow` field as text.
CLEAN_SCHEMA = pa.schema(
    [pa.field("line", pa.int64()), *(pa.field(name, pa.string()) for name in SampleRow._fields)]
)

#: One row through the row checker: ``(line, values) → (row or None, errors)``.
RowCheck = Callable[[int, dict[str, str]], tuple[SampleRow | None, list[RowError]]]

#: Bytes of CSV parsed per batch (about 25,000 rows of a typical file).
BLOCK_SIZE = 8 << 20

#: Python's whitespace: the code points for which ``str.isspace`` is true (a test checks).
WHITESPACE = (
    0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
    *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
)  # fmt: skip
#: The same as a character class for RE2.
_WHITESPACE = "[" + "".join(f"\\x{{{c:x}}}" for c in WHITESPACE) + "]"

_TEXT = pa.string()
#: Distinct values remembered per field (credit codes of a big file are the most).
_JUDGED_MAX = 200_000
_NO_PRODUCER = pa.array(sorted(NO_PRODUCER), _TEXT)


class NotColumnar(Exception):
    """The file is not a plain CSV this reader can take; read it row by row."""


@dataclass
class CheckedBatch:
    #: accepted rows, :data:`CLEAN_SCHEMA`, in line order
    table: pa.Table
    #: every problem of the rejected rows, in line order
    errors: list[RowError]
    #: rows read (empty rows are skipped, as by tablestream)
    rows: int


def clean_table(rows: Sequence[tuple[int, SampleRow]]) -> pa.Table:
    """Checked rows as a :data:`CLEAN_SCHEMA` table."""
    columns: list[list[Any]] = [[line for line, _row in rows]]
    for i, name in enumerate(SampleRow._fields):
        if name in ("sampled_on", "reported_on"):
            columns.append([_iso(r[i]) for _line, r in rows])
        else:
            columns.append([r[i] for _line, r in rows])
    return pa.Table.from_arrays(
        [pa.array(c, f.type) for c, f in zip(columns, CLEAN_SCHEMA, strict=True)],
        schema=CLEAN_SCHEMA,
    )


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else None


def read_checked(
    path: str | os.PathLike[str],
    columns: Sequence[str | None],
    validator: RowValidator,
    check: RowCheck,
    may_write: Callable[[str], bool],
    *,
    block_size: int = BLOCK_SIZE,
) -> Iterator[CheckedBatch]:
    """Read and check the CSV at ``path`` whose header tablestream matched to
    ``columns`` (a field per column). ``check`` is the row checker for rows that need
    it (``validator.check`` plus the caller's own rules); ``may_write(code)`` says
    whether rows sampled in that district may be imported (the caller's rule, which
    ``check`` enforces on the other rows)."""
    if None in columns:
        raise NotColumnar
    fields = [c for c in columns if c is not None]
    names = [f"c{i}" for i in range(len(fields))]
    options = {
        "read_options": pa_csv.ReadOptions(column_names=names),
        "parse_options": pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        "convert_options": pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }
    checker = _BatchChecker(fields, validator, check, may_write)
    line = 2
    for block in _blocks(path, len(fields), block_size):
        try:
            table = pa_csv.read_csv(pa.py_buffer(block), **options)
        except pa.ArrowInvalid as exc:  # ragged rows, bad UTF-8 …
            raise NotColumnar(str(exc)) from None
        for batch in table.combine_chunks().to_batches():  # one batch, or none
            yield checker.check(batch, line)
            line += batch.num_rows


def _blocks(path: str | os.PathLike[str], width: int, size: int) -> Iterator[bytes]:
    """The data lines of the file in blocks of about ``size`` bytes, each ending at a
    line feed. (Arrow's own streaming reader reads far ahead: most of a 300 MB file
    sat in memory.) The header must be the first line, of ``width`` cells without
    quotes, so the data starts on line 2."""
    with open(path, "rb") as fh:
        head = fh.readline(1 << 16)
        header = head.removeprefix(b"\xef\xbb\xbf").removesuffix(b"\n").removesuffix(b"\r")
        if not head.endswith(b"\n") or b"\r" in header or b'"' in header:
            raise NotColumnar
        try:
            cells = next(csv.reader([header.decode("utf-8")]), [])
        except UnicodeDecodeError:
            raise NotColumnar from None
        if len(cells) != width:
            raise NotColumnar
        rest = b""
        while True:
            data = fh.read(size)
            if not data:
                break
            end = data.rfind(b"\n")
            if end < 0:
                rest += data
                if len(rest) > 8 * size:  # no line feeds: not a file of lines
                    raise NotColumnar
                continue
            block, rest = rest + data[: end + 1], data[end + 1 :]
            yield block
        if rest.strip(b"\r\n"):
            yield rest


class _Numbers:
    """The sample numbers accepted column-wise so far, compactly: the numbers and lines
    as Arrow arrays per batch (~30 MB for a million) and their hashes in sorted NumPy
    arrays merged like an LSM tree, instead of a dict of Python strings (~150 MB)."""

    def __init__(self) -> None:
        self.batches: list[tuple[pa.Array, pa.Array]] = []
        self.levels: list[np.ndarray] = []

    @staticmethod
    def hashes(numbers: list[str]) -> np.ndarray:
        return np.fromiter(map(hash, numbers), np.int64, len(numbers))

    def may_hold(self, hashes: np.ndarray) -> np.ndarray:
        """True where a number may have been accepted before (false positives possible)."""
        order = np.argsort(hashes)
        wanted = hashes[order]  # sorted needles: searchsorted walks the level once
        found = np.zeros(len(hashes), dtype=bool)
        for level in self.levels:
            at = np.searchsorted(level, wanted).clip(0, len(level) - 1)
            found[order[level[at] == wanted]] = True
        return found

    def first_lines(self, numbers: pa.Array) -> dict[str, int]:
        """The lines where these numbers were accepted before, for those that were."""
        out: dict[str, int] = {}
        for held, lines in self.batches:
            at = pc.index_in(numbers, value_set=held)
            hit = pc.is_valid(at)
            if pc.any(hit).as_py():
                found = lines.take(at.filter(hit)).to_pylist()
                for number, line in zip(numbers.filter(hit).to_pylist(), found, strict=True):
                    out.setdefault(number, line)
        return out

    def add(self, numbers: pa.Array, lines: pa.Array, hashes: np.ndarray) -> None:
        if not len(hashes):
            return
        self.batches.append((numbers, lines))
        level = np.sort(hashes)
        while self.levels and len(self.levels[-1]) <= 2 * len(level):
            level = np.sort(np.concatenate([self.levels.pop(), level]))
        self.levels.append(level)


class _BatchChecker:
    def __init__(
        self,
        fields: list[str],
        validator: RowValidator,
        check: RowCheck,
        may_write: Callable[[str], bool],
    ) -> None:
        self.fields = fields
        self.validator = validator
        self.row_check = check
        self.may_write = may_write
        self.accepted = _Numbers()
        self.judged: dict[str, dict[str, Any]] = {}

    def _each(
        self, field: str, column: pa.Array, judge: Callable[[str], Any], kind: pa.DataType = _TEXT
    ) -> Any:
        """``judge`` applied to each distinct value of ``column`` once per file (results
        are kept per field), spread back over the rows (``None`` → null)."""
        known = self.judged.setdefault(field, {})
        if len(known) > _JUDGED_MAX:
            known.clear()
        encoded = column.dictionary_encode()
        values = encoded.dictionary.to_pylist()
        judged = [known[x] if x in known else known.setdefault(x, judge(x)) for x in values]
        return pa.array(judged, kind).take(encoded.indices)

    def check(self, batch: pa.RecordBatch, first_line: int) -> CheckedBatch:
        n = batch.num_rows
        for column in batch.columns:
            data = column.buffers()[2]
            if data is not None and (b"\n" in (raw := data.to_pybytes()) or b"\r" in raw):
                # A record spanning lines: the line numbers would be wrong.
                raise NotColumnar
        v = self.validator
        empty = pa.nulls(n, pa.string()).fill_null("")
        # tablestream strips every cell with str.strip(); Arrow trims the same characters
        # (tests compare the two sets).
        given = {f: pc.utf8_trim_whitespace(batch.column(i)) for i, f in enumerate(self.fields)}

        def cell(name: str) -> pa.Array:
            return given.get(name, empty)

        def length(name: str) -> pa.Array:
            return pc.utf8_length(cell(name))

        def at_most(name: str, low: int = 0) -> pa.Array:
            size = length(name)
            return pc.and_(pc.greater_equal(size, low), pc.less_equal(size, MAX_LENGTHS[name]))

        lines = pa.array(range(first_line, first_line + n), pa.int64())
        used = _any([pc.not_equal(given[f], "") for f in self.fields], n)

        # -- each distinct value judged once by the row checker's rules (null = refused)
        category = self._each("category", cell("category"), v.category_code)
        party_uscc = self._each(
            "sampled_party_uscc",
            cell("sampled_party_uscc"),
            lambda x: v.uscc_code(x) if x else None,
        )
        maker_uscc = self._each(
            "producer_uscc",
            cell("producer_uscc"),
            lambda x: None if x in NO_PRODUCER else v.uscc_code(x),
        )
        maker_region_ok = self._each(
            "producer_region",
            cell("producer_region"),
            lambda x: x not in NO_PRODUCER and v.is_region(x),
            pa.bool_(),
        )
        district_ok = self._each(
            "sampling_region",
            cell("sampling_region"),
            lambda x: v.is_city_region(x) and self.may_write(x),
            pa.bool_(),
        )
        channel = self._each("channel", cell("channel"), lambda x: channel_of(x) or None)
        given_role = self._each(
            "sampled_party_role",
            cell("sampled_party_role"),
            lambda x: (role_of(x) or None) if x else "",
        )
        sampled_on = self._each(
            "sampled_on", cell("sampled_on"), lambda x: v.date_text(x) if x else None
        )
        conclusion = self._each(
            "conclusion", cell("conclusion"), lambda x: (conclusion_of(x) or None) if x else ""
        )
        reported_on = self._each(
            "reported_on", cell("reported_on"), lambda x: v.date_text(x) if x else ""
        )

        no_maker = pc.is_in(cell("producer_name"), _NO_PRODUCER)
        named_maker = _all(
            pc.invert(no_maker),
            at_most("producer_name"),
            pc.is_valid(maker_uscc),
            maker_region_ok,
        )
        unnamed_maker = _all(
            no_maker,
            pc.is_in(cell("producer_uscc"), _NO_PRODUCER),
            pc.is_in(cell("producer_region"), _NO_PRODUCER),
        )
        tested = pc.not_equal(conclusion, "")
        failed = pc.equal(conclusion, "fail")
        result_ok = pc.if_else(
            tested,
            _all(
                pc.not_equal(cell("lab"), ""),
                at_most("report_no", 1),
                pc.not_equal(reported_on, ""),
                pc.greater_equal(reported_on, sampled_on),  # ISO text orders as dates
                pc.if_else(failed, at_most("failed_items", 1), pc.equal(cell("failed_items"), "")),
            ),
            _all(
                pc.equal(cell("report_no"), ""),
                pc.equal(cell("reported_on"), ""),
                pc.equal(cell("failed_items"), ""),
            ),
        )

        # -- sample numbers: well-formed, new to the file and once in this batch (a
        # repeated number goes to the row checker, which names its first line)
        numbers = cell("sample_no")
        counts = pc.value_counts(numbers.filter(used))
        repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
        number_list = numbers.to_pylist()
        hashes = _Numbers.hashes(number_list)
        held = self.accepted.may_hold(hashes)
        if held.any():
            # Tell the row checker where each such number was first accepted.
            earlier = self.accepted.first_lines(numbers.filter(pa.array(held)))
            v.remember(list(earlier), list(earlier.values()))
        if v.has_seen_numbers():  # rows checked one by one so far
            unseen = pa.array(
                [
                    not h and v.first_line_of(x) is None
                    for x, h in zip(number_list, held.tolist(), strict=True)
                ]
            )
        else:
            unseen = pa.array(~held)

        ok = _all(
            used,
            at_most("sample_no", 1),
            pc.invert(pc.match_substring_regex(numbers, _WHITESPACE)),
            pc.invert(pc.is_in(numbers, repeated)),
            unseen,
            pc.is_valid(category),
            at_most("product_name", 1),
            at_most("model"),
            at_most("batch"),
            at_most("sampled_party_name", 1),
            pc.is_valid(party_uscc),
            pc.or_(named_maker, unnamed_maker),
            district_ok,
            pc.is_valid(channel),
            pc.is_valid(given_role),
            pc.is_valid(sampled_on),
            pc.is_valid(conclusion),
            at_most("lab"),
            result_ok,
        )

        # -- the accepted rows, as the row checker would return them
        role = pc.if_else(
            pc.equal(given_role, ""),
            pc.if_else(pc.equal(channel, "production"), "producer", "seller"),
            given_role,
        )
        maker_name = pc.if_else(named_maker, cell("producer_name"), "")
        maker_code = pc.if_else(named_maker, maker_uscc, "")
        maker_region = pc.if_else(named_maker, cell("producer_region"), "")
        # Sampled at the factory with no producer named: the sampled party is the producer.
        own = pc.and_(pc.equal(channel, "production"), pc.equal(maker_code, ""))
        values = {
            "sample_no": numbers,
            "category": category,
            "product_name": cell("product_name"),
            "model": cell("model"),
            "batch": cell("batch"),
            "sampled_party_name": cell("sampled_party_name"),
            "sampled_party_uscc": party_uscc,
            "sampled_party_role": role,
            "producer_name": pc.if_else(own, cell("sampled_party_name"), maker_name),
            "producer_uscc": pc.if_else(own, party_uscc, maker_code),
            "producer_region": pc.if_else(own, cell("sampling_region"), maker_region),
            "sampling_region": cell("sampling_region"),
            "channel": channel,
            "sampled_on": sampled_on,
            "lab": cell("lab"),
            "conclusion": conclusion,
            "failed_items": cell("failed_items"),
            "report_no": cell("report_no"),
            "reported_on": pc.if_else(tested, reported_on, pa.scalar(None, pa.string())),
        }
        table = pa.Table.from_arrays(
            [lines.filter(ok), *(values[f].filter(ok) for f in SampleRow._fields)],
            schema=CLEAN_SCHEMA,
        )
        mask = ok.to_numpy(zero_copy_only=False)
        self.accepted.add(table.column("sample_no"), table.column("line"), hashes[mask])

        # -- the other rows, one by one
        slow = pc.and_(used, pc.invert(ok))
        errors: list[RowError] = []
        accepted: list[tuple[int, SampleRow]] = []
        if pc.any(slow).as_py():
            slow_lines = lines.filter(slow).to_pylist()
            slow_cells = [given[f].filter(slow).to_pylist() for f in self.fields]
            for i, line in enumerate(slow_lines):
                row, row_errors = self.row_check(
                    line, {f: slow_cells[j][i] for j, f in enumerate(self.fields)}
                )
                if row is not None:
                    accepted.append((line, row))
                errors.extend(row_errors)
        if accepted:
            table = pa.concat_tables([table, clean_table(accepted)])
            table = table.take(pc.sort_indices(table.column("line")))
        return CheckedBatch(table=table, errors=errors, rows=pc.sum(used).as_py() or 0)


def _all(*masks: Any) -> Any:
    """Elementwise AND; a null (unknown) counts as false, so such a row is refused here
    and goes to the row checker."""
    result = None
    for mask in masks:
        mask = mask.fill_null(False)
        result = mask if result is None else pc.and_(result, mask)
    return result


def _any(masks: list[Any], n: int) -> Any:
    result = pa.array([False] * n)
    for mask in masks:
        result = pc.or_(result, mask.fill_null(False))
    return result
