"""The column-at-a-time reader must give exactly what the row checker gives.

Each test writes a CSV, reads it both ways — tablestream + ``RowValidator.check`` row by
row, and ``samplebatch.read_checked`` — and compares the accepted rows (every field) and
the errors (line, field, code, parameters). Rows are GENERATED (``lib/samplegen``) and
then spoiled at random with the values real files hold: other date spellings, lower
case codes, padding (also U+3000), producer markers, doubled numbers, wrong values.
"""

import csv
import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from zhiliang.lib import samplebatch
from zhiliang.lib.samplebatch import NotColumnar, read_checked
from zhiliang.lib.samplegen import HEADER, OTHER_REGIONS, sample_rows
from zhiliang.lib.samplerows import (
    HEADERS,
    REQUIRED_COLUMNS,
    SUGGESTIONS,
    RowError,
    RowValidator,
    SampleRow,
)
from zhiliang.lib.tablestream import open_table

TODAY = dt.date(2025, 6, 30)
DISTRICTS = ["500101", "500103", "500108", "500112", "500231", "500237"]
CATEGORIES = {"1401": "1401", "1402": "1402", "玩具": "1402", "食用油": "0201", "0201": "0201"}
AMBIGUOUS = {"家用电器": ["2021-07", "2023-07"]}


def make_validator() -> RowValidator:
    return RowValidator(
        categories=CATEGORIES,
        region_codes=frozenset([*DISTRICTS, *OTHER_REGIONS, "500000", "110101"]),
        city_regions=frozenset(DISTRICTS),
        today=TODAY,
        ambiguous=AMBIGUOUS,
    )


Check = Callable[[int, dict[str, str]], tuple[SampleRow | None, list[RowError]]]


def _counting(check: Check, calls: list[int]) -> Check:
    def counted(line: int, values: dict[str, str]) -> tuple[SampleRow | None, list[RowError]]:
        calls.append(line)
        return check(line, values)

    return counted


def _as_row(line: int, row: SampleRow) -> tuple[object, ...]:
    return (line, *(v.isoformat() if isinstance(v, dt.date) else v for v in row))


def row_by_row(path: Path, may_write: Callable[[str], bool]) -> tuple[list, list]:
    validator = make_validator()
    accepted, errors = [], []
    with open_table(path, HEADERS, REQUIRED_COLUMNS, SUGGESTIONS) as table:
        for line, values in table:
            row, found = validator.check(line, values)
            if row is not None and not may_write(row.sampling_region):
                row, found = None, [RowError(line, "sampling_region", "_district", {})]
            if row is not None:
                accepted.append(_as_row(line, row))
            errors += found
    return accepted, errors


def columnar(
    path: Path, may_write: Callable[[str], bool], block_size: int = 4096
) -> tuple[list, list, list[int], int]:
    validator = make_validator()

    def check(line: int, values: dict[str, str]) -> tuple[SampleRow | None, list[RowError]]:
        row, found = validator.check(line, values)
        if row is not None and not may_write(row.sampling_region):
            return None, [RowError(line, "sampling_region", "_district", {})]
        return row, found

    calls: list[int] = []
    accepted, errors, rows = [], [], 0
    with open_table(path, HEADERS, REQUIRED_COLUMNS, SUGGESTIONS) as table:
        columns = table.columns
    for batch in read_checked(
        path, columns, validator, _counting(check, calls), may_write, block_size=block_size
    ):
        assert batch.table.column_names == ["line", *SampleRow._fields]
        accepted += [tuple(r.values()) for r in batch.table.to_pylist()]
        errors += batch.errors
        rows += batch.rows
    return accepted, errors, calls, rows


def write(path: Path, rows: list[list[str]], header: tuple[str, ...] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def generated(n: int, seed: int = 7) -> list[list[str]]:
    rows = sample_rows(
        n, seed=seed, year=2024, categories=["1401", "1402", "0201"], districts=DISTRICTS
    )
    return [list(r) for r in rows]


COL = {name: i for i, name in enumerate(HEADER)}
SPOILS: dict[str, list[str]] = {
    "抽样单编号": ["", "A B", "X" * 41, "GEN-7-00000001", "Ａ１", "S\u30001"],
    "产品类别": ["", "玩具", "toy", "家用电器", "9999", " 1401 ", "\u30001402"],
    "产品名称": ["", "x" * 201, " 名称 "],
    "规格型号": ["m" * 101, ""],
    "被抽样单位": ["", "n" * 201],
    "被抽样单位统一社会信用代码": ["", "91500108mae5g7mx3h", "914403001924440861", "123"],
    "标称生产者": ["/", "无", "", "不详", "p" * 201],
    "标称生产者统一社会信用代码": ["/", "", "91330100757206158J", "bad"],
    "生产者所在地区代码": ["/", "", "999999", "110101", "500000"],
    "抽样地区代码": ["", "110101", "999999", "500101", "500231"],
    "抽样环节": ["", "生产", "销售", "ONLINE", "网购"],
    "抽样日期": [
        "",
        "2024/3/5",
        "2024年3月5日",
        "20240305",
        "2099-01-01",
        "1999-12-31",
        "2024-02-30",
        "2024-12-31",
    ],
    "检验机构": ["", "l" * 201],
    "检验结论": ["", "合格", "不合格", "PASS", "Failed", "待定"],
    "不合格项目": ["", "标签", "f" * 1001],
    "报告编号": ["", "r" * 61],
    "报告日期": ["", "2024/12/31", "2023-01-01", "2099-01-01", "x"],
}


def spoiled(rows: list[list[str]], seed: int, rate: float) -> list[list[str]]:
    rng = random.Random(seed)
    out = []
    for row in rows:
        row = list(row)
        if rng.random() < rate:
            for _ in range(rng.randrange(1, 4)):
                header = rng.choice(list(SPOILS))
                row[COL[header]] = rng.choice(SPOILS[header])
        if rng.random() < 0.02:
            row[COL["抽样单编号"]] = rng.choice(out)[0] if out else row[0]  # doubled number
        if rng.random() < 0.02:
            row = [""] * len(row)  # an empty row is skipped, not an error
        out.append(row)
    return out


def assert_same(path: Path, may_write: Callable[[str], bool] = lambda code: True) -> list[int]:
    expected_rows, expected_errors = row_by_row(path, may_write)
    got_rows, got_errors, calls, _rows = columnar(path, may_write)
    assert got_rows == expected_rows
    assert got_errors == expected_errors
    return calls


def test_arrow_trims_exactly_the_characters_python_strips():
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    trimmed = pc.utf8_trim_whitespace(pa.array([f"{s}a{s}" for s in spaces])).to_pylist()
    assert trimmed == ["a"] * len(spaces)
    others = [chr(c) for c in range(0x110000) if not chr(c).isspace() and not 0xD800 <= c < 0xE000]
    kept = pc.utf8_trim_whitespace(pa.array([f"{c}a{c}" for c in others])).to_pylist()
    assert kept == [f"{c}a{c}" for c in others]


def test_clean_generated_rows_all_take_the_column_path(tmp_path):
    rows = generated(3000)
    calls = assert_same(write(tmp_path / "g.csv", rows))
    assert calls == []  # not one row needed the row checker


def test_spoiled_rows_give_the_same_rows_and_errors(tmp_path):
    for seed in range(6):
        rows = spoiled(generated(1500, seed=seed), seed=seed, rate=0.3)
        calls = assert_same(write(tmp_path / f"s{seed}.csv", rows))
        assert 0 < len(calls) < len(rows)


def test_the_importers_district_rule_is_applied_both_ways(tmp_path):
    rows = generated(800)
    calls = assert_same(write(tmp_path / "d.csv", rows), lambda code: code == "500101")
    assert calls  # other districts' rows went to the row checker, which refused them


def test_optional_columns_may_be_absent_and_columns_in_any_order(tmp_path):
    rows = spoiled(generated(600), seed=3, rate=0.2)
    keep = [h for h in HEADER if h not in ("规格型号", "生产日期或批号", "检验机构")][::-1]
    picked = [[r[COL[h]] for h in keep] for r in rows]
    assert_same(write(tmp_path / "o.csv", picked, tuple(keep)))


def test_a_role_column_is_read_the_same_way(tmp_path):
    rows = generated(400)
    rng = random.Random(1)
    roles = ["", "生产者", "销售者", "电商平台", "SELLER", "批发商"]
    with_role = [[*r, rng.choice(roles)] for r in rows]
    assert_same(write(tmp_path / "r.csv", with_role, (*HEADER, "被抽样单位类型")))


def test_repeated_numbers_across_batches_name_the_first_line(tmp_path):
    rows = generated(200)
    rows[150][0] = rows[3][0]
    path = write(tmp_path / "dup.csv", rows)
    _rows, errors, _calls, _n = columnar(path, lambda code: True, block_size=2048)
    assert [(e.line, e.code, e.params["line"]) for e in errors] == [
        (152, "sample_no_duplicate", "5")
    ]


def _on_line(change: Callable[[bytes], bytes], index: int = 2) -> Callable[[bytes], bytes]:
    def changed(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[index] = change(lines[index])
        return b"\n".join(lines)

    return changed


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a line break inside a cell", _on_line(lambda ln: ln.replace(b",", b',"a\nb",', 1))),
        ("a cell too many", _on_line(lambda ln: ln + b",x")),
        ("a short row", _on_line(lambda ln: ln.split(b",")[0])),
        ("not UTF-8", _on_line(lambda ln: ln + "玩具".encode("gbk"), 250)),
        ("lines ended by CR alone", lambda data: data.replace(b"\n", b"\r")),
        (
            "a quoted header",
            lambda data: '"抽样单编号"'.encode() + data[len("抽样单编号".encode()) :],
        ),
    ],
)
def test_files_it_cannot_read_exactly_are_left_to_the_row_reader(tmp_path, name, content):
    path = write(tmp_path / "f.csv", generated(300))
    path.write_bytes(content(path.read_bytes()))
    with pytest.raises(NotColumnar):
        columnar(path, lambda code: True)


def test_a_blank_header_cell_is_left_to_the_row_reader(tmp_path):
    path = write(tmp_path / "b.csv", [[*r, ""] for r in generated(10)], (*HEADER, ""))
    with pytest.raises(NotColumnar):
        columnar(path, lambda code: True)


def test_crlf_lines_bom_and_a_missing_last_line_feed_are_read(tmp_path):
    path = write(tmp_path / "w.csv", spoiled(generated(300), seed=9, rate=0.2))
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n").removesuffix("\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert_same(path)


def test_colliding_number_hashes_change_nothing(tmp_path, monkeypatch):
    # Every number hashes alike: each row after the first batch looks possibly seen, is
    # looked up exactly, and only true repeats are reported.
    monkeypatch.setattr(
        samplebatch._Numbers,
        "hashes",
        staticmethod(lambda numbers: np.zeros(len(numbers), np.int64)),
    )
    rows = spoiled(generated(600, seed=4), seed=4, rate=0.2)
    assert_same(write(tmp_path / "c.csv", rows))


def test_the_whitespace_it_knows_is_pythons():
    assert set(samplebatch.WHITESPACE) == {c for c in range(0x110000) if chr(c).isspace()}
