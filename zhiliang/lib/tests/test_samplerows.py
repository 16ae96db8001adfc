import ast
import datetime as dt
from pathlib import Path

import pytest

from zhiliang.lib import samplerows
from zhiliang.lib.samplerows import (
    FIELD_LABELS,
    HEADERS,
    MESSAGES,
    REQUIRED_COLUMNS,
    ROW_FIELD,
    SUGGESTIONS,
    RowError,
    RowValidator,
    SampleRow,
    parse_date,
)
from zhiliang.lib.tablestream import EXTRA_KEY, INEXACT_KEY, open_table

TODAY = dt.date(2025, 6, 30)
# Real codes from /work/shared/data/uscc_examples.txt (check character valid).
SHOP_USCC = "91500108MAE5G7MX3H"  # a Chongqing (南岸区) code
MAKER_USCC = "91330100757206158J"  # 浙江春风动力股份有限公司
OTHER_USCC = "913305007490121183"  # 天能电池集团股份有限公司
BAD_CHECK_USCC = "914403001924440861"  # printed beside 海王集团, check character wrong

CITY_REGIONS = {"500103", "500108", "500112"}
REGION_CODES = CITY_REGIONS | {"330100", "330102", "440300", "110101"}
CATEGORIES = {"FOOD-01": "FOOD-01", "食用植物油": "FOOD-01", "toy-02": "TOY-02", "玩具": "TOY-02"}


def validator() -> RowValidator:
    return RowValidator(
        categories=CATEGORIES, region_codes=REGION_CODES, city_regions=CITY_REGIONS, today=TODAY
    )


def good(**changes: str) -> dict[str, str]:
    row = {
        "sample_no": "SC25500000001",
        "category": "FOOD-01",
        "product_name": "菜籽油",
        "model": "5L",
        "batch": "2025-03-01",
        "sampled_party_name": "重庆某某超市有限公司",
        "sampled_party_uscc": SHOP_USCC,
        "sampled_party_role": "",
        "producer_name": "浙江某某粮油有限公司",
        "producer_uscc": MAKER_USCC,
        "producer_region": "330102",
        "sampling_region": "500108",
        "channel": "流通",
        "sampled_on": "2025-04-02",
        "lab": "重庆市食品药品检验检测研究院",
        "conclusion": "合格",
        "failed_items": "",
        "report_no": "CQ2025-0412",
        "reported_on": "2025-04-20",
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
    row, errors = validator().check(7, good(sampled_party_uscc=SHOP_USCC.lower()))
    assert errors == []
    assert row == SampleRow(
        sample_no="SC25500000001",
        category="FOOD-01",
        product_name="菜籽油",
        model="5L",
        batch="2025-03-01",
        sampled_party_name="重庆某某超市有限公司",
        sampled_party_uscc=SHOP_USCC,
        sampled_party_role="seller",
        producer_name="浙江某某粮油有限公司",
        producer_uscc=MAKER_USCC,
        producer_region="330102",
        sampling_region="500108",
        channel="circulation",
        sampled_on=dt.date(2025, 4, 2),
        lab="重庆市食品药品检验检测研究院",
        conclusion="pass",
        failed_items="",
        report_no="CQ2025-0412",
        reported_on=dt.date(2025, 4, 20),
    )


def test_it_accepts_a_failed_result_with_its_items():
    row, errors = validator().check(
        2, good(conclusion="不合格", failed_items="酸价、过氧化值", channel="生产环节")
    )
    assert errors == []
    assert row is not None
    assert (row.conclusion, row.failed_items) == ("fail", "酸价、过氧化值")
    assert (row.channel, row.sampled_party_role) == ("production", "producer")


def test_it_accepts_a_row_not_yet_tested():
    row, errors = validator().check(
        2, good(conclusion="", lab="", report_no="", reported_on="", failed_items="")
    )
    assert errors == []
    assert row is not None
    assert (row.conclusion, row.report_no, row.reported_on) == ("", "", None)


def test_it_accepts_optional_columns_being_absent():
    values = good(conclusion="")
    for name in ("model", "batch", "sampled_party_role", "lab", "failed_items"):
        del values[name]
    for name in ("report_no", "reported_on"):
        del values[name]
    row, errors = validator().check(2, values)
    assert errors == []
    assert row is not None and row.model == "" and row.lab == ""


@pytest.mark.parametrize("producer", ["", "/", "-", "—", "无"])
def test_it_accepts_a_label_without_a_producer(producer):
    row, errors = validator().check(
        2, good(producer_name=producer, producer_uscc="/", producer_region="")
    )
    assert errors == []
    assert row is not None
    assert (row.producer_name, row.producer_uscc, row.producer_region) == ("", "", "")


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("FOOD-01", "FOOD-01"),
        ("food-01", "FOOD-01"),
        ("食用植物油", "FOOD-01"),
        ("TOY-02", "TOY-02"),
    ],
)
def test_it_finds_the_category_by_code_or_name(given, code):
    row, _ = validator().check(2, good(category=given))
    assert row is not None and row.category == code


def test_it_refuses_a_category_name_that_several_catalogues_share():
    checker = RowValidator(
        categories=CATEGORIES,
        region_codes=REGION_CODES,
        city_regions=CITY_REGIONS,
        today=TODAY,
        ambiguous={"家用电器": ["IND21-02", "IND23-02"]},
    )
    row, errors = checker.check(2, good(category="家用电器"))
    assert row is None
    assert [(e.field, e.code, e.params["codes"]) for e in errors] == [
        ("category", "category_ambiguous", "IND21-02、IND23-02")
    ]


@pytest.mark.parametrize(
    ("given", "channel"),
    [
        ("生产", "production"),
        ("production", "production"),
        ("流通环节", "circulation"),
        ("销售", "circulation"),
        ("Circulation", "circulation"),
        ("电商", "ecommerce"),
        ("网络", "ecommerce"),
        ("网售", "ecommerce"),
        ("电子商务", "ecommerce"),
        ("E-commerce", "ecommerce"),
        ("online", "ecommerce"),
    ],
)
def test_it_understands_the_channel(given, channel):
    row, _ = validator().check(2, good(channel=given))
    assert row is not None and row.channel == channel


@pytest.mark.parametrize(
    ("given", "role"),
    [("生产者", "producer"), ("销售者", "seller"), ("电商平台经营者", "platform"), ("", "seller")],
)
def test_it_understands_the_sampled_party_role(given, role):
    row, _ = validator().check(2, good(sampled_party_role=given))
    assert row is not None and row.sampled_party_role == role


@pytest.mark.parametrize(
    ("given", "conclusion"),
    [("合格", "pass"), ("PASS", "pass"), ("qualified", "pass")],
)
def test_it_understands_a_pass(given, conclusion):
    row, _ = validator().check(2, good(conclusion=given))
    assert row is not None and row.conclusion == conclusion


@pytest.mark.parametrize("given", ["不合格", "fail", "Unqualified"])
def test_it_understands_a_fail(given):
    row, _ = validator().check(2, good(conclusion=given, failed_items="铅"))
    assert row is not None and row.conclusion == "fail"


@pytest.mark.parametrize(
    "text", ["2025-04-02", "2025/4/2", "2025.4.2", "2025.04.02", "20250402", "2025年4月2日"]
)
def test_it_reads_the_date_formats_officials_type(text):
    assert parse_date(text) == dt.date(2025, 4, 2)
    row, _ = validator().check(2, good(sampled_on=text))
    assert row is not None and row.sampled_on == dt.date(2025, 4, 2)


# --- every rule: (changes, field, code) ------------------------------------------------

RULES = [
    ({"sample_no": ""}, "sample_no", "required"),
    ({"sample_no": "S" * 41}, "sample_no", "too_long"),
    ({"sample_no": "SC 2550"}, "sample_no", "sample_no_whitespace"),
    ({"sample_no": "SC\u30002550"}, "sample_no", "sample_no_whitespace"),
    ({"category": ""}, "category", "required"),
    ({"category": "FOOD-99"}, "category", "category_unknown"),
    ({"product_name": ""}, "product_name", "required"),
    ({"product_name": "油" * 201}, "product_name", "too_long"),
    ({"model": "x" * 101}, "model", "too_long"),
    ({"batch": "x" * 101}, "batch", "too_long"),
    ({"sampled_party_name": ""}, "sampled_party_name", "required"),
    ({"sampled_party_name": "店" * 201}, "sampled_party_name", "too_long"),
    ({"sampled_party_uscc": ""}, "sampled_party_uscc", "required"),
    ({"sampled_party_uscc": BAD_CHECK_USCC}, "sampled_party_uscc", "uscc_invalid"),
    ({"sampled_party_role": "批发商"}, "sampled_party_role", "role_unknown"),
    ({"producer_name": "/", "producer_uscc": MAKER_USCC, "producer_region": "/"}, "producer_uscc", "producer_unknown_value_given"),
    ({"producer_name": "无", "producer_uscc": "", "producer_region": "330102"}, "producer_region", "producer_unknown_value_given"),
    ({"producer_name": "厂" * 201}, "producer_name", "too_long"),
    ({"producer_uscc": ""}, "producer_uscc", "producer_required_for_value"),
    ({"producer_uscc": "/"}, "producer_uscc", "producer_required_for_value"),
    ({"producer_uscc": "91330100757206158"}, "producer_uscc", "uscc_invalid"),
    ({"producer_region": ""}, "producer_region", "producer_required_for_value"),
    ({"producer_region": "339999"}, "producer_region", "region_invalid"),
    ({"sampling_region": ""}, "sampling_region", "required"),
    ({"sampling_region": "330102"}, "sampling_region", "sampling_region_outside_city"),
    ({"sampling_region": "5001"}, "sampling_region", "region_invalid"),
    ({"channel": ""}, "channel", "required"),
    ({"channel": "批发"}, "channel", "channel_unknown"),
    ({"sampled_on": ""}, "sampled_on", "required"),
    ({"sampled_on": "02/04/2025"}, "sampled_on", "date_format"),
    ({"sampled_on": "2025-04-02 10:00"}, "sampled_on", "date_format"),
    ({"sampled_on": "2025-02-30"}, "sampled_on", "date_invalid"),
    ({"sampled_on": "2025年13月1日"}, "sampled_on", "date_invalid"),
    ({"sampled_on": "1999-12-31"}, "sampled_on", "date_too_early"),
    ({"sampled_on": "2025-07-01", "conclusion": "", "report_no": "", "reported_on": ""}, "sampled_on", "sampled_on_future"),
    ({"conclusion": "基本合格"}, "conclusion", "conclusion_unknown"),
    ({"lab": ""}, "lab", "required_when_tested"),
    ({"lab": "检" * 201}, "lab", "too_long"),
    ({"report_no": ""}, "report_no", "required_when_tested"),
    ({"report_no": "R" * 61}, "report_no", "too_long"),
    ({"reported_on": ""}, "reported_on", "required_when_tested"),
    ({"reported_on": "2025-4-31"}, "reported_on", "date_invalid"),
    ({"reported_on": "2025-07-01"}, "reported_on", "reported_on_future"),
    ({"reported_on": "2025-04-01"}, "reported_on", "reported_before_sampled"),
    ({"conclusion": "不合格", "failed_items": ""}, "failed_items", "failed_items_required"),
    ({"conclusion": "不合格", "failed_items": "项" * 1001}, "failed_items", "too_long"),
    ({"failed_items": "酸价"}, "failed_items", "failed_items_when_pass"),
    ({"conclusion": "", "report_no": "CQ1", "reported_on": ""}, "report_no", "must_be_empty_when_pending"),
    ({"conclusion": "", "reported_on": "2025-04-20", "report_no": ""}, "reported_on", "must_be_empty_when_pending"),
    ({"conclusion": "", "failed_items": "铅", "report_no": "", "reported_on": ""}, "failed_items", "must_be_empty_when_pending"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "field", "code"), RULES)
def test_it_reports_each_rule_on_its_field(changes, field, code):
    assert errors_of(good(**changes)) == [(field, code)]


def test_every_code_has_a_rule_test_and_a_message():
    tested = {code for _, _, code in RULES} | {
        "sample_no_duplicate",
        "inexact_number",
        "extra_cells",
        "category_ambiguous",
    }
    assert tested == set(MESSAGES)


def test_it_reports_every_error_of_a_row_once_per_field():
    values = good(
        sample_no="",
        category="?",
        sampled_party_uscc="123",
        producer_region="",
        channel="批发",
        sampled_on="2025-13-01",
        conclusion="不合格",
        failed_items="",
        report_no="",
    )
    assert sorted(errors_of(values)) == sorted(
        [
            ("sample_no", "required"),
            ("category", "category_unknown"),
            ("sampled_party_uscc", "uscc_invalid"),
            ("producer_region", "producer_required_for_value"),
            ("channel", "channel_unknown"),
            ("sampled_on", "date_invalid"),
            ("report_no", "required_when_tested"),
            ("failed_items", "failed_items_required"),
        ]
    )


def test_it_names_the_first_line_of_a_repeated_sample_number():
    check = validator().check
    assert check(2, good())[1] == []
    assert check(3, good(sample_no="SC2"))[1] == []
    row, errors = check(9, good())
    assert row is None
    assert errors == [
        RowError(9, "sample_no", "sample_no_duplicate", {"value": "SC25500000001", "line": "2"})
    ]
    assert errors[0].message() == "抽样单编号“SC25500000001”与第2行重复"


def test_its_messages_say_what_is_wrong():
    _, errors = validator().check(
        4, good(sampled_party_uscc=BAD_CHECK_USCC, sampled_on="2025-07-01", reported_on="")
    )
    messages = {e.field: e.message() for e in errors}
    assert messages["sampled_party_uscc"].startswith(
        f"统一社会信用代码“{BAD_CHECK_USCC}”无效：校验码应为"
    )
    assert messages["sampled_on"] == "抽样日期 2025-07-01 晚于今天 2025-06-30"
    _, errors = validator().check(4, good(producer_region="339999"))
    assert errors[0].message() == "地区代码“339999”不是有效的行政区划代码（GB/T 2260）"
    assert (
        errors[0]
        .message(lambda s: s.replace("地区代码", "Region code"))
        .startswith("Region code“339999”")
    )


# --- what the table reader found ------------------------------------------------------


def test_it_reports_an_inexact_number_cell_instead_of_an_invalid_code():
    values = good(sampled_party_uscc="913305007490121000")
    values[INEXACT_KEY] = "sampled_party_uscc"
    row, errors = validator().check(5, values)
    assert row is None
    assert [(e.field, e.code) for e in errors] == [("sampled_party_uscc", "inexact_number")]
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
    assert set(FIELD_LABELS) >= REQUIRED_COLUMNS
    assert set(SUGGESTIONS.values()) <= set(FIELD_LABELS)
    assert not set(SUGGESTIONS) & set(HEADERS)  # a suggestion is never an accepted name


def test_messages_are_marked_for_translation():
    # makemessages extracts only literal strings inside gettext_noop(...) calls.
    tree = ast.parse(Path(samplerows.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") in (
            "MESSAGES",
            "FIELD_LABELS",
        ):
            assert isinstance(node.value, ast.Dict)
            for value in node.value.values:
                assert isinstance(value, ast.Call) and value.func.id == "gettext_noop"


def test_it_validates_a_table_read_from_a_file(tmp_path):
    path = tmp_path / "results.csv"
    header = ",".join(FIELD_LABELS.values())
    first = ",".join(good().values())
    second = ",".join(good(sample_no="SC2", sampled_on="2025年4月3日", channel="网络").values())
    bad = ",".join(good(sample_no="SC2").values())
    path.write_text(f"{header}\n{first}\n\n{second}\n{bad}\n", encoding="utf-8-sig")
    check = validator().check
    with open_table(path, HEADERS, REQUIRED_COLUMNS, SUGGESTIONS) as table:
        results = [(line, *check(line, values)) for line, values in table]
    assert [(line, row is not None) for line, row, _ in results] == [
        (2, True),
        (4, True),
        (5, False),
    ]
    assert results[1][1] is not None and results[1][1].channel == "ecommerce"
    assert results[2][2][0].message() == "抽样单编号“SC2”与第4行重复"


def test_a_factory_sample_without_a_producer_names_the_sampled_party():
    row, errors = validator().check(
        2, good(channel="生产", producer_name="/", producer_uscc="", producer_region="")
    )
    assert errors == [] and row is not None
    assert (row.producer_uscc, row.producer_name, row.producer_region) == (
        row.sampled_party_uscc,
        row.sampled_party_name,
        row.sampling_region,
    )
