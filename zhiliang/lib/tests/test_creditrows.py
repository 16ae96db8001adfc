import ast
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from zhiliang.lib import creditrows, samplerows
from zhiliang.lib.creditrows import (
    FIELD_LABELS,
    HEADERS,
    KINDS,
    MAX_LENGTHS,
    MESSAGES,
    REQUIRED_COLUMNS,
    ROW_FIELD,
    SUGGESTIONS,
    CreditRow,
    RowError,
    RowValidator,
    flag_of,
    kind_of,
)
from zhiliang.lib.creditrules import Kind
from zhiliang.lib.tablestream import EXTRA_KEY, INEXACT_KEY, header_key, open_table

TODAY = dt.date(2025, 6, 30)
# Real codes from /work/shared/data/uscc_examples.txt (check character valid).
SHOP_USCC = "91500108MAE5G7MX3H"  # a Chongqing (南岸区) code
MAKER_USCC = "91330100757206158J"  # 浙江春风动力股份有限公司
BAD_CHECK_USCC = "914403001924440861"  # printed beside 海王集团, check character wrong
SOURCE = "重庆市南岸区市场监督管理局"


def validator() -> RowValidator:
    return RowValidator(today=TODAY)


def good(**changes: str) -> dict[str, str]:
    row = {
        "uscc": SHOP_USCC,
        "name": "重庆某某电器有限公司",
        "kind": "行政处罚",
        "heavier": "否",
        "document_no": "渝南市监处罚〔2025〕12号",
        "decided_on": "2025-03-04",
        "source": SOURCE,
        "summary": "销售不合格电热水壶，罚款人民币五万元",
        "published_on": "2025-03-20",
    }
    row.update(changes)
    return row


def errors_of(values: dict[str, str], line: int = 2) -> list[tuple[str, str]]:
    row, errors = validator().check(line, values)
    assert (row is None) == bool(errors)
    for error in errors:
        error.message()  # every template renders with the params it is given
    return [(e.field, e.code) for e in errors]


# --- valid rows ------------------------------------------------------------------


def test_it_cleans_a_valid_row():
    row, errors = validator().check(
        7,
        good(
            uscc=SHOP_USCC.lower(),
            kind="PENALTY",
            heavier="是",
            decided_on="2025/3/4",
            published_on="2025年3月20日",
        ),
    )
    assert errors == []
    assert row == CreditRow(
        uscc=SHOP_USCC,
        name="重庆某某电器有限公司",
        kind=Kind.PENALTY,
        heavier=True,
        document_no="渝南市监处罚〔2025〕12号",
        decided_on=dt.date(2025, 3, 4),
        source=SOURCE,
        summary="销售不合格电热水壶，罚款人民币五万元",
        published_on=dt.date(2025, 3, 20),
    )
    assert row is not None and type(row.kind) is Kind


def test_it_accepts_optional_columns_being_absent():
    values = good()
    for name in ("heavier", "summary", "published_on"):
        del values[name]
    row, errors = validator().check(2, values)
    assert errors == []
    assert row is not None
    assert (row.heavier, row.summary, row.published_on) == (False, "", None)


def test_it_accepts_optional_cells_being_empty():
    row, errors = validator().check(2, good(heavier="", summary="", published_on=""))
    assert errors == []
    assert row is not None
    assert (row.heavier, row.summary, row.published_on) == (False, "", None)


def test_it_accepts_dates_up_to_today_and_publication_on_the_decision_day():
    row, errors = validator().check(
        2, good(decided_on=TODAY.isoformat(), published_on=TODAY.isoformat())
    )
    assert errors == []
    assert row is not None and row.decided_on == row.published_on == TODAY
    assert validator().check(2, good(decided_on="2000-01-01"))[1] == []


@pytest.mark.parametrize(
    ("given", "kind"),
    [
        ("行政处罚", Kind.PENALTY),
        ("监督抽查不合格", Kind.INSPECTION_FAILURE),
        ("不良信贷", Kind.BAD_LOAN),
        ("欠税欠费", Kind.TAX_ARREARS),
        ("劳动仲裁", Kind.LABOUR_AWARD),
        ("劳动仲裁裁决", Kind.LABOUR_AWARD),
        ("司法判决", Kind.JUDGMENT),
        ("失信被执行人", Kind.DISHONEST_DEBTOR),
        ("缺陷产品召回", Kind.RECALL),
        ("召回", Kind.RECALL),
        ("质量安全事故", Kind.ACCIDENT),
        ("事故", Kind.ACCIDENT),
        ("经营异常名录", Kind.ABNORMAL_OPERATION),
        ("表彰", Kind.AWARD),
        ("质量奖", Kind.AWARD),
        ("品牌", Kind.BRAND),
        ("名牌", Kind.BRAND),
        ("penalty", Kind.PENALTY),
        ("Inspection_Failure", Kind.INSPECTION_FAILURE),
        ("BAD_LOAN", Kind.BAD_LOAN),
        ("tax arrears", Kind.TAX_ARREARS),
        ("labour-award", Kind.LABOUR_AWARD),
        ("Recall", Kind.RECALL),
    ],
)
def test_it_understands_the_kind(given, kind):
    assert kind_of(given) is kind
    row, errors = validator().check(2, good(kind=given))
    assert errors == []
    assert row is not None and row.kind is kind


def test_every_kind_value_is_accepted():
    for kind in Kind:
        assert kind_of(kind.value) is kind
        assert kind_of(kind.value.upper()) is kind
    assert set(KINDS.values()) == set(Kind)


@pytest.mark.parametrize(
    ("given", "flag"),
    [
        ("是", True),
        ("yes", True),
        ("YES", True),
        ("true", True),
        ("TRUE", True),  # an XLSX boolean cell as the reader gives it
        ("1", True),
        ("否", False),
        ("No", False),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("", False),
    ],
)
def test_it_understands_heavier(given, flag):
    assert flag_of(given) is flag
    row, errors = validator().check(2, good(heavier=given))
    assert errors == []
    assert row is not None and row.heavier is flag


@pytest.mark.parametrize("kind", ["监督抽查不合格", "award", "召回"])
def test_heavier_no_is_fine_for_any_kind(kind):
    row, errors = validator().check(2, good(kind=kind, heavier="否"))
    assert errors == [] and row is not None and row.heavier is False


@pytest.mark.parametrize(
    "text", ["2025-03-04", "2025/3/4", "2025.3.4", "2025.03.04", "20250304", "2025年3月4日"]
)
def test_it_reads_the_date_formats_officials_type(text):
    row, _ = validator().check(2, good(decided_on=text))
    assert row is not None and row.decided_on == dt.date(2025, 3, 4)


# --- every rule: (changes, field, code) ------------------------------------------------

RULES = [
    ({"uscc": ""}, "uscc", "required"),
    ({"uscc": BAD_CHECK_USCC}, "uscc", "uscc_invalid"),
    ({"uscc": "91500108MAE5G7MX3"}, "uscc", "uscc_invalid"),
    ({"uscc": "/"}, "uscc", "uscc_invalid"),
    ({"name": ""}, "name", "required"),
    ({"name": "企" * 201}, "name", "too_long"),
    ({"kind": ""}, "kind", "required"),
    ({"kind": "警告"}, "kind", "kind_unknown"),
    ({"kind": "严重违法失信名单"}, "kind", "kind_unknown"),
    ({"heavier": "可能"}, "heavier", "heavier_unknown"),
    ({"heavier": "Y"}, "heavier", "heavier_unknown"),
    ({"kind": "监督抽查不合格", "heavier": "是"}, "heavier", "heavier_not_penalty"),
    ({"kind": "award", "heavier": "true"}, "heavier", "heavier_not_penalty"),
    ({"document_no": ""}, "document_no", "required"),
    ({"document_no": "号" * 101}, "document_no", "too_long"),
    ({"decided_on": ""}, "decided_on", "required"),
    ({"decided_on": "04/03/2025"}, "decided_on", "date_format"),
    ({"decided_on": "2025-02-30"}, "decided_on", "date_invalid"),
    ({"decided_on": "1999-12-31"}, "decided_on", "date_too_early"),
    ({"decided_on": "2025-07-01", "published_on": ""}, "decided_on", "decided_on_future"),
    ({"source": ""}, "source", "required"),
    ({"source": "局" * 201}, "source", "too_long"),
    ({"summary": "摘" * 1001}, "summary", "too_long"),
    ({"published_on": "2025-3-32"}, "published_on", "date_invalid"),
    ({"published_on": "2025-07-01"}, "published_on", "published_on_future"),
    ({"published_on": "2025-03-03"}, "published_on", "published_before_decided"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "field", "code"), RULES)
def test_it_reports_each_rule_on_its_field(changes, field, code):
    assert errors_of(good(**changes)) == [(field, code)]


def test_every_code_has_a_rule_test_and_a_message():
    tested = {code for _, _, code in RULES} | {
        "document_no_duplicate",
        "inexact_number",
        "extra_cells",
    }
    assert tested == set(MESSAGES)


def test_the_longest_texts_are_accepted():
    values = good(**{name: "字" * limit for name, limit in MAX_LENGTHS.items()})
    row, errors = validator().check(2, values)
    assert errors == [] and row is not None


def test_it_reports_missing_required_values_for_each_field():
    values = {name: "" for name in FIELD_LABELS}
    assert sorted(errors_of(values)) == sorted((name, "required") for name in REQUIRED_COLUMNS)
    # an absent column is an empty cell
    assert sorted(errors_of({})) == sorted((name, "required") for name in REQUIRED_COLUMNS)


def test_it_reports_every_error_of_a_row_once_per_field():
    values = good(
        uscc=BAD_CHECK_USCC,
        name="",
        kind="处分",
        heavier="是",
        document_no="",
        decided_on="2025-13-01",
        published_on="2030-01-01",
    )
    assert sorted(errors_of(values)) == sorted(
        [
            ("uscc", "uscc_invalid"),
            ("name", "required"),
            ("kind", "kind_unknown"),  # 是 is not judged against an unknown kind
            ("document_no", "required"),
            ("decided_on", "date_invalid"),
            ("published_on", "published_on_future"),
        ]
    )


def test_heavier_for_an_unknown_kind_reports_only_the_kind():
    assert errors_of(good(kind="其他", heavier="是")) == [("kind", "kind_unknown")]


def test_it_names_the_first_line_of_a_repeated_document_number():
    check = validator().check
    assert check(2, good())[1] == []
    assert check(3, good(document_no="渝南市监处罚〔2025〕13号"))[1] == []
    # the same number from another unit is another record
    assert check(4, good(source="重庆市渝中区市场监督管理局"))[1] == []
    row, errors = check(9, good(uscc=MAKER_USCC, name="另一家公司"))
    assert row is None
    assert errors == [
        RowError(
            9,
            "document_no",
            "document_no_duplicate",
            {"value": "渝南市监处罚〔2025〕12号", "source": SOURCE, "line": "2"},
        )
    ]
    assert errors[0].message() == (
        f"来源单位“{SOURCE}”的决定文书号“渝南市监处罚〔2025〕12号”与第2行重复"
    )


def test_a_rejected_row_still_claims_its_document_number():
    check = validator().check
    row, errors = check(2, good(uscc=BAD_CHECK_USCC))
    assert row is None and [e.code for e in errors] == ["uscc_invalid"]
    _, errors = check(3, good())
    assert [(e.code, e.params["line"]) for e in errors] == [("document_no_duplicate", "2")]


def test_its_messages_say_what_is_wrong():
    _, errors = validator().check(
        4,
        good(uscc=BAD_CHECK_USCC, decided_on="2025-07-01", kind="judgment", heavier="是"),
    )
    messages = {e.field: e.message() for e in errors}
    assert messages["uscc"].startswith(f"统一社会信用代码“{BAD_CHECK_USCC}”无效：校验码应为")
    assert messages["decided_on"] == "决定日期 2025-07-01 晚于今天 2025-06-30"
    assert messages["heavier"] == (
        "只有行政处罚才有较重处罚，本行记录类型为“judgment”，此项应为“否”或空白"
    )
    _, errors = validator().check(4, good(published_on="2025-03-01"))
    assert errors[0].message() == "公示日期 2025-03-01 早于决定日期 2025-03-04"
    assert (
        errors[0]
        .message(lambda s: s.replace("公示日期", "Publication date"))
        .startswith("Publication date 2025-03-01")
    )


def test_its_errors_are_sample_row_errors_with_credit_messages():
    error = RowError(3, "kind", "kind_unknown", {"value": "x"})
    assert isinstance(error, samplerows.RowError)
    assert "kind_unknown" not in samplerows.MESSAGES
    assert error.message().startswith("记录类型“x”无法识别")
    assert error != samplerows.RowError(3, "kind", "kind_unknown", {"value": "x"})


# --- what the table reader found ------------------------------------------------------


def test_it_reports_an_inexact_number_cell_instead_of_an_invalid_code():
    values = good(uscc="913305007490121000")
    values[INEXACT_KEY] = "uscc"
    row, errors = validator().check(5, values)
    assert row is None
    assert [(e.field, e.code) for e in errors] == [("uscc", "inexact_number")]
    assert "913305007490121000" in errors[0].message()


def test_it_reports_cells_outside_the_header_for_the_row():
    values = good()
    values[EXTRA_KEY] = "多余 | 内容"
    row, errors = validator().check(5, values)
    assert row is None
    assert [(e.field, e.code, e.params) for e in errors] == [
        (ROW_FIELD, "extra_cells", {"value": "多余 | 内容"})
    ]


# --- headers and messages as data -------------------------------------------------------


def test_headers_accept_each_label_and_english_name_and_know_every_field():
    for name, label in FIELD_LABELS.items():
        assert HEADERS[label] == name
        assert HEADERS[name] == name
    assert set(HEADERS.values()) == set(FIELD_LABELS) == set(CreditRow._fields)
    assert set(FIELD_LABELS) >= REQUIRED_COLUMNS
    assert set(MAX_LENGTHS) <= set(FIELD_LABELS)
    assert set(SUGGESTIONS.values()) <= set(FIELD_LABELS)
    keys = [header_key(h) for h in HEADERS]
    assert not {header_key(s) for s in SUGGESTIONS} & set(keys)  # never an accepted name
    assert len({(k, HEADERS[h]) for k, h in zip(keys, HEADERS, strict=True)}) == len(set(keys))


def test_messages_are_marked_for_translation():
    # makemessages extracts only literal strings inside gettext_noop(...) calls.
    tree = ast.parse(Path(creditrows.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") in (
            "MESSAGES",
            "FIELD_LABELS",
        ):
            assert isinstance(node.value, ast.Dict)
            for value in node.value.values:
                assert isinstance(value, ast.Call) and value.func.id == "gettext_noop"


def _check_file(path: Path) -> list[tuple[int, CreditRow | None, list[RowError]]]:
    check = validator().check
    with open_table(path, HEADERS, REQUIRED_COLUMNS, SUGGESTIONS) as table:
        return [(line, *check(line, values)) for line, values in table]


def test_it_validates_a_csv_with_chinese_headers(tmp_path):
    path = tmp_path / "credit.csv"
    header = ",".join(FIELD_LABELS.values())
    first = ",".join(good().values())
    second = ",".join(good(document_no="渝南市监处罚〔2025〕13号", kind="召回").values())
    bad = ",".join(good(uscc=MAKER_USCC).values())
    path.write_text(f"{header}\n{first}\n\n{second}\n{bad}\n", encoding="utf-8-sig")
    results = _check_file(path)
    assert [(line, row is not None) for line, row, _ in results] == [
        (2, True),
        (4, True),
        (5, False),
    ]
    assert results[1][1] is not None and results[1][1].kind is Kind.RECALL
    assert results[2][2][0].message().endswith("与第2行重复")


def test_it_validates_a_csv_with_english_headers_in_any_order(tmp_path):
    path = tmp_path / "credit.csv"
    names = [
        "Source",
        "document_no",
        "decided_on",
        "kind",
        "USCC",
        "name",
        "heavier",
    ]
    values = good(uscc=MAKER_USCC.lower(), kind="Penalty", heavier="Yes", decided_on="20250304")
    row_text = ",".join(values[n.lower()] for n in names)
    path.write_text(",".join(names) + "\n" + row_text + "\n", encoding="utf-8")
    [(line, row, errors)] = _check_file(path)
    assert (line, errors) == (2, [])
    assert row == CreditRow(
        uscc=MAKER_USCC,
        name="重庆某某电器有限公司",
        kind=Kind.PENALTY,
        heavier=True,
        document_no="渝南市监处罚〔2025〕12号",
        decided_on=dt.date(2025, 3, 4),
        source=SOURCE,
        summary="",
        published_on=None,
    )


def test_it_validates_an_xlsx_with_typed_cells(tmp_path):
    path = tmp_path / "credit.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(FIELD_LABELS.values()))
    sheet.append(
        [
            SHOP_USCC,
            "重庆某某电器有限公司",
            "行政处罚",
            True,
            "渝南市监处罚〔2025〕12号",
            dt.datetime(2025, 3, 4),
            SOURCE,
            "",
            dt.date(2025, 3, 20),
        ]
    )
    sheet.append(
        [
            913305007490121183,  # a code typed into a number cell: its tail is lost
            "天能电池集团股份有限公司",
            "监督抽查不合格",
            False,
            "渝南市监抽〔2025〕3号",
            dt.datetime(2025, 4, 1),
            SOURCE,
            "",
            None,
        ]
    )
    book.save(path)
    results = _check_file(path)
    assert results[0][2] == []
    row = results[0][1]
    assert row is not None
    assert (row.heavier, row.decided_on, row.published_on) == (
        True,
        dt.date(2025, 3, 4),
        dt.date(2025, 3, 20),
    )
    assert [(e.field, e.code) for e in results[1][2]] == [("uscc", "inexact_number")]
