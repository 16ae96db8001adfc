import datetime as dt
import os
import tracemalloc
from pathlib import Path

import pytest
from openpyxl import Workbook

from zhiliang.lib.samplerows import HEADERS, REQUIRED_COLUMNS, SUGGESTIONS
from zhiliang.lib.tables import TableError
from zhiliang.lib.tablestream import (
    EXTRA_KEY,
    INEXACT_KEY,
    TableStructureError,
    header_key,
    open_table,
)

MESSY = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "sampling"
MESSY_FILE = MESSY / "cqn_unqualified_sampling_2019.csv"

PEOPLE = {
    "姓名": "name",
    "name": "name",
    "年龄": "age",
    "age": "age",
    "备注": "note",
    "note": "note",
}
REQUIRED = {"name", "age"}


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(tmp_path: Path, rows: list[list[object]], name: str = "t.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    path = tmp_path / name
    book.save(path)
    return path


def read_all(path: Path, headers=PEOPLE, required=REQUIRED):
    with open_table(path, headers, required) as table:
        return table.fields, list(table)


# --- CSV -----------------------------------------------------------------------


def test_it_reads_a_csv_with_bom_lazily_with_excel_line_numbers(tmp_path):
    path = write_csv(tmp_path, "姓名,年龄\r\n张三, 30 \r\n\r\n,,\r\n李四,41\r\n", "utf-8-sig")
    table = open_table(path, PEOPLE, REQUIRED)
    assert table.fields == ["name", "age"]
    rows = iter(table)
    assert next(rows) == (2, {"name": "张三", "age": "30"})
    # Lines 3 (empty) and 4 (only commas) are skipped; numbering follows the file.
    assert next(rows) == (5, {"name": "李四", "age": "41"})
    assert next(rows, None) is None


def test_it_matches_headers_ignoring_case_spaces_width_and_star(tmp_path):
    path = write_csv(tmp_path, " NAME ,年\u3000龄*,ＮＯＴＥ\n王五,1,x\n")
    fields, rows = read_all(path)
    assert fields == ["name", "age", "note"]
    assert rows == [(2, {"name": "王五", "age": "1", "note": "x"})]
    assert header_key(" 抽样 单号 ") == header_key("抽样单号")


def test_it_numbers_a_record_by_its_first_line_when_a_cell_holds_a_line_break(tmp_path):
    path = write_csv(tmp_path, 'name,age,note\n"A",1,"two\nlines"\nB,2,\n')
    _, rows = read_all(path)
    assert [(line, v["name"]) for line, v in rows] == [(2, "A"), (4, "B")]
    assert rows[0][1]["note"] == "two\nlines"


def test_it_pads_short_rows_and_marks_cells_beyond_the_header(tmp_path):
    path = write_csv(tmp_path, "name,age,note\nA\nB,2,n,extra 1, ,extra 2\nC,3,,,\n")
    _, rows = read_all(path)
    assert rows[0] == (2, {"name": "A", "age": "", "note": ""})
    assert rows[1] == (3, {"name": "B", "age": "2", "note": "n", EXTRA_KEY: "extra 1 | extra 2"})
    # Empty trailing cells (trailing commas) are not extra data.
    assert rows[2] == (4, {"name": "C", "age": "3", "note": ""})


def test_it_marks_data_under_a_blank_header_cell(tmp_path):
    path = write_csv(tmp_path, "name,,age\nA,,1\nB,lost?,2\n")
    _, rows = read_all(path)
    assert rows == [
        (2, {"name": "A", "age": "1"}),
        (3, {"name": "B", "age": "2", EXTRA_KEY: "lost?"}),
    ]


def test_it_skips_empty_lines_before_the_header(tmp_path):
    path = write_csv(tmp_path, "\n,,\nname,age\nA,1\n")
    _, rows = read_all(path)
    assert rows == [(4, {"name": "A", "age": "1"})]


def test_it_refuses_a_gbk_csv_naming_the_line_and_how_to_resave(tmp_path):
    # The text layer decodes in chunks; the bad line lies well past the first one.
    rows = "".join(f"person {i},{i}\n" for i in range(2000))
    path = write_csv(tmp_path, "name,age\n" + rows + "张三,2\n", "gbk")
    table = open_table(path, PEOPLE, REQUIRED)
    with pytest.raises(TableError) as caught:
        list(table)
    message = str(caught.value)
    assert "第2002行" in message and "line 2002" in message
    assert "GBK" in message
    assert "CSV UTF-8" in message
    assert message.index("另存为") < message.index("Save As")  # Chinese first


def test_it_refuses_a_gbk_header_when_opening(tmp_path):
    path = write_csv(tmp_path, "姓名,年龄\n张三,2\n", "gbk")
    with pytest.raises(TableError, match="第1行不是 UTF-8"):
        open_table(path, PEOPLE, REQUIRED)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "文件为空"),
        (b"\n\n ,\n", "找不到表头行"),
        ("name,age\n".encode("utf-16"), "UTF-16"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"PK\x03\x04not really a zip", "xlsx"),
        (b"ab\x00cd", "二进制"),
    ],
)
def test_it_refuses_unreadable_files(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(TableError, match=expected):
        open_table(path, PEOPLE, REQUIRED)


def test_it_streams_without_accumulating_rows(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("name,age,note\n")
        for i in range(30_000):
            f.write(f"person number {i},{i},some note text for row {i}\n")
    assert path.stat().st_size > 1_000_000
    tracemalloc.start()
    try:
        count = 0
        with open_table(path, PEOPLE, REQUIRED) as table:
            for _line, _values in table:
                count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert peak < 300_000  # a fraction of the file: rows are not kept


def test_it_closes_the_file_when_done_or_closed(tmp_path):
    path = write_csv(tmp_path, "name,age\nA,1\nB,2\n")
    fds = len(os.listdir("/proc/self/fd"))
    table = open_table(path, PEOPLE, REQUIRED)
    assert len(os.listdir("/proc/self/fd")) == fds + 1
    list(table)
    assert len(os.listdir("/proc/self/fd")) == fds
    with open_table(path, PEOPLE, REQUIRED) as table:
        next(iter(table))
    assert len(os.listdir("/proc/self/fd")) == fds


def test_it_can_be_iterated_only_once(tmp_path):
    table = open_table(write_csv(tmp_path, "name,age\nA,1\n"), PEOPLE, REQUIRED)
    list(table)
    with pytest.raises(RuntimeError):
        list(table)


# --- header problems -------------------------------------------------------------


def test_it_lists_a_missing_column_with_its_accepted_names(tmp_path):
    path = write_csv(tmp_path, "姓名,备注\nA,x\n")
    with pytest.raises(TableStructureError) as caught:
        open_table(path, PEOPLE, REQUIRED)
    error = caught.value
    assert error.missing == ["age"]
    assert error.accepted == {"age": ["年龄", "age"]}
    assert error.unknown == []
    assert "缺少必需的列：年龄（可用列名：年龄 / age）" in str(error)
    assert "missing required columns: age (accepted: 年龄 / age)" in str(error)


def test_it_refuses_unknown_columns_with_a_suggestion(tmp_path):
    path = write_csv(tmp_path, "姓名,年龄,remark,colour\nA,1,x,red\n")
    with pytest.raises(TableStructureError) as caught:
        open_table(path, PEOPLE, REQUIRED, suggestions={"remark": "note"})
    error = caught.value
    assert error.missing == []
    assert error.unknown == ["remark", "colour"]
    assert error.suggested == {"remark": "note"}
    assert "“remark”（是否应为“备注”？）" in str(error)
    assert "'remark' (did you mean '备注'?)" in str(error)


def test_it_refuses_two_columns_for_one_field(tmp_path):
    path = write_csv(tmp_path, "姓名,name,年龄\nA,A,1\n")
    with pytest.raises(TableStructureError) as caught:
        open_table(path, PEOPLE, REQUIRED)
    assert caught.value.duplicates == {"name": ["姓名", "name"]}
    assert "重复的列" in str(caught.value)


def test_it_refuses_a_header_mapping_with_conflicts():
    with pytest.raises(ValueError):
        open_table("unused.csv", {"Name": "a", "name": "b"}, set())
    with pytest.raises(ValueError):
        open_table("unused.csv", {"name": "name"}, {"age"})


@pytest.mark.skipif(not MESSY_FILE.exists(), reason="shared data set not present")
def test_it_explains_what_is_wrong_with_the_real_cqn_export():
    with pytest.raises(TableStructureError) as caught:
        open_table(MESSY_FILE, HEADERS, REQUIRED_COLUMNS, SUGGESTIONS)
    error = caught.value
    assert {"sample_no", "sampled_party_uscc", "channel", "sampled_on"} <= set(error.missing)
    assert "product_name" in error.missing  # sample_name is only a suggestion
    assert error.suggested["company_name"] == "producer_name"
    assert error.suggested["sampled_unit"] == "sampled_party_name"
    assert error.suggested["sample_name"] == "product_name"
    assert error.suggested["inspection_institution"] == "lab"
    assert "source_url" in error.unknown and "source_url" not in error.suggested
    assert "“company_name”（是否应为“标称生产者”？）" in str(error)


# --- XLSX ------------------------------------------------------------------------


def test_it_reads_xlsx_cells_as_the_official_typed_them(tmp_path):
    path = write_xlsx(
        tmp_path,
        [
            [None],
            ["姓名", "年龄", "备注"],
            ["  张三 ", 30, dt.date(2024, 3, 15)],
            [None, None, None],
            ["李四", 41.0, dt.datetime(2024, 3, 16, 0, 0)],
            ["王五", 2.5, dt.datetime(2024, 3, 17, 9, 30)],
            ["赵六", 123456789012345, True],
        ],
    )
    fields, rows = read_all(path)
    assert fields == ["name", "age", "note"]
    assert rows == [
        (3, {"name": "张三", "age": "30", "note": "2024-03-15"}),
        (5, {"name": "李四", "age": "41", "note": "2024-03-16"}),
        (6, {"name": "王五", "age": "2.5", "note": "2024-03-17 09:30:00"}),
        (7, {"name": "赵六", "age": "123456789012345", "note": "TRUE"}),
    ]


def test_it_marks_an_18_digit_number_cell_as_inexact(tmp_path):
    # Typed into a number cell, 913305007490121183 is stored as 9.13305007490121E+17.
    path = write_xlsx(
        tmp_path,
        [["姓名", "年龄", "备注"], ["A", 913305007490121183.0, "913305007490121183"]],
    )
    _, rows = read_all(path)
    line, values = rows[0]
    assert line == 2
    assert values[INEXACT_KEY] == "age"
    assert values["age"].startswith("9133050074901")
    assert values["note"] == "913305007490121183"


def test_it_marks_xlsx_cells_beyond_the_header(tmp_path):
    path = write_xlsx(tmp_path, [["姓名", "年龄"], ["A", 1, None, "stray"], ["B", 2]])
    _, rows = read_all(path)
    assert rows == [
        (2, {"name": "A", "age": "1", EXTRA_KEY: "stray"}),
        (3, {"name": "B", "age": "2"}),
    ]


def test_it_reports_xlsx_header_problems_too(tmp_path):
    path = write_xlsx(tmp_path, [["name", "company_name"], ["A", "x"]])
    with pytest.raises(TableStructureError) as caught:
        open_table(path, PEOPLE, REQUIRED, {"company_name": "note"})
    assert caught.value.missing == ["age"]
    assert caught.value.suggested == {"company_name": "note"}
