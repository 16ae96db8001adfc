import io

from openpyxl import load_workbook

from zhiliang.lib.xlsx import xlsx_bytes


def test_text_that_looks_like_a_formula_is_exported_as_text():
    data = xlsx_bytes(
        "企业", ["名称", "数量"], [['=HYPERLINK("http://evil.example","点击")', 3], ["+1-2", 4]]
    )
    sheet = load_workbook(io.BytesIO(data)).active
    assert [(c.value, c.data_type) for c in sheet["A"]][1:] == [
        ('=HYPERLINK("http://evil.example","点击")', "s"),
        ("+1-2", "s"),
    ]
    assert sheet["B2"].value == 3 and sheet["B2"].data_type == "n"


def test_dates_numbers_and_empty_cells_keep_their_place_and_format():
    import datetime as dt

    rows = [["甲", dt.date(2025, 3, 3), None, 1.5] for _ in range(3)]
    sheet = load_workbook(io.BytesIO(xlsx_bytes("表", ["a", "b", "c", "d"], rows))).active
    assert sheet.max_row == 4 and sheet["A1"].font.bold
    assert [c.value for c in sheet[4]] == ["甲", dt.datetime(2025, 3, 3), None, 1.5]
    assert sheet["B4"].number_format == "yyyy-mm-dd"


def test_text_columns_are_formatted_as_text_for_what_is_typed_later():
    from zhiliang.lib.xlsxbook import Sheet, xlsx_book_bytes

    data = xlsx_book_bytes([Sheet("表", ["代码", "数量"], [["91500103", 2]], text_columns=[1])])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.column_dimensions["A"].number_format == "@"  # cells typed into it later
    assert (sheet["A2"].number_format, sheet["B2"].number_format) == ("@", "General")
