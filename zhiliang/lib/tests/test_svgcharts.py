"""SVG charts checked against worked examples computed by hand (layout in the module
docstring), parsed as XML so a stray ``<`` or unbalanced tag fails the test."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from zhiliang.lib.svgcharts import (
    bar_chart,
    fit_text,
    format_number,
    format_percent,
    line_chart,
    nice_ceiling,
)

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iterfind("svg:rect", NS) if r.get("class") == "bar"]


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (5000, 1, "5000"),
        (5000.0, 1, "5000"),
        (66.666, 1, "66.7"),
        (90.04, 1, "90"),
        (0.5, 2, "0.5"),
        (12500, 1, "12,500"),
        (-0.01, 1, "0"),
        (1234567.891, 2, "1,234,567.89"),
    ],
)
def test_numbers_are_written_as_people_write_them(value, decimals, expected):
    assert format_number(value, decimals) == expected


def test_a_percentage_has_one_decimal_at_most():
    assert format_percent(200 / 3) == "66.7%"
    assert format_percent(100) == "100%"


def test_non_finite_numbers_are_refused():
    with pytest.raises(ValueError):
        format_number(float("nan"))


def test_the_bar_chart_worked_example():
    # width 400, labels 100 → plot 400 − 100 − 60 = 240 px; rows 18 + 6 = 24 px high.
    svg = bar_chart(
        ["（一）深化改革", "（二）技能素质"],
        [50, 100],
        title="按措施完成率",
        width=400,
        label_width=100,
        target=75,
        target_label="目标",
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find("svg:title", NS).text == "按措施完成率"
    assert (root.get("width"), root.get("height")) == ("400", str(8 + 2 * 24 + 24))
    rects = bars(root)
    assert [(r.get("x"), r.get("y"), r.get("width"), r.get("height")) for r in rects] == [
        ("100", "11", "120", "18"),  # 50 % of 240; y = 8 + (24 − 18) / 2
        ("100", "35", "240", "18"),
    ]
    # The first bar is below the 75 % target, so it is drawn in amber.
    assert rects[0].get("fill") != rects[1].get("fill")
    assert rects[0].find("svg:title", NS).text == "（一）深化改革: 50%"
    target = next(e for e in root.iterfind("svg:line", NS) if e.get("class") == "target")
    assert target.get("x1") == target.get("x2") == "280"  # 100 + 0.75 × 240
    assert target.get("stroke-dasharray")
    values = [t.text for t in root.iterfind("svg:text", NS) if t.get("class") == "value"]
    assert values == ["50%", "100%"]


def test_a_missing_value_draws_no_bar_and_a_dash():
    root = parse(bar_chart(["甲", "乙", "丙"], [10, None, 0], title="t"))
    assert len(bars(root)) == 2
    values = [t.text for t in root.iterfind("svg:text", NS) if t.get("class") == "value"]
    assert values == ["10%", "—", "0%"]


def test_values_over_100_are_drawn_full_width_but_labelled_truthfully():
    root = parse(bar_chart(["甲"], [104.2], title="t", width=400, label_width=100))
    assert bars(root)[0].get("width") == "240"
    assert "104.2%" in [t.text for t in root.iterfind("svg:text", NS)]


def test_a_fixed_height_is_shared_by_the_rows():
    root = parse(bar_chart(["甲", "乙"], [1, 2], title="t", height=8 + 100 + 24))
    assert root.get("height") == "132"
    # Rows of 100 / 2 = 50 px; bars keep the 18 : 24 proportion, 37.5 → 38 px, centred.
    assert [(r.get("y"), r.get("height")) for r in bars(root)] == [("14", "38"), ("64", "38")]


def test_long_labels_are_cut_and_kept_whole_in_a_title():
    label = "市质量工作部门联席会议成员单位及各区县人民政府"
    root = parse(bar_chart([label], [30], title="t", label_width=120))
    text = next(t for t in root.iterfind("svg:text", NS) if t.find("svg:title", NS) is not None)
    assert text.find("svg:title", NS).text == label
    shown = "".join(text.itertext())[len(label) :]
    assert shown.endswith("…") and len(shown) <= 10


def test_fit_text_counts_cjk_as_one_em():
    assert fit_text("质量", 24, font_size=12) == "质量"
    assert fit_text("质量发展", 36, font_size=12) == "质量…"
    assert fit_text("abcd", 24, font_size=10) == "abcd"  # 4 × 6 px


def test_text_is_escaped_everywhere():
    evil = '<script>alert("x")</script>&'
    svg = bar_chart([evil], [10], title=evil, target=5, target_label=evil)
    svg += line_chart([evil], [1], title=evil, target=2, target_label=evil, unit=evil)
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in svg
    for chunk in svg.split("</svg>")[:-1]:
        parse(chunk + "</svg>")


@pytest.mark.parametrize(
    "call",
    [
        lambda: bar_chart(["a"], [1, 2], title="t"),
        lambda: bar_chart(["a"], [-1], title="t"),
        lambda: bar_chart(["a"], [float("inf")], title="t"),
        lambda: bar_chart(["a"], [1], title="t", width=200, label_width=150),
        lambda: line_chart(["2015-01"], [], title="t"),
        lambda: line_chart(["2015-01"], [float("nan")], title="t"),
        lambda: line_chart(["2015-01"], [1], title="t", height=40),
    ],
)
def test_bad_input_is_refused_up_front(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5000, (5000, 5)), (4200, (5000, 5)), (90, (100, 5)), (180, (200, 4)), (0.3, (0.5, 5))],
)
def test_axis_maxima_are_round(value, expected):
    assert nice_ceiling(value) == expected


def test_the_line_chart_worked_example():
    # 400 × 240: plot 400 − 64 − 16 = 320 wide, 240 − 20 − 32 = 188 high; y from 0 to 5000.
    svg = line_chart(
        ["2015-01", "2015-02", "2015-03"],
        [1000, 2500, 4000],
        title="新增技师",
        target=5000,
        target_label="目标",
        unit="人",
        width=400,
        height=240,
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find("svg:title", NS).text == "新增技师"
    line = root.find("svg:polyline", NS)
    # x: 64, 64 + 160, 64 + 320; y = 208 − v / 5000 × 188.
    assert line.get("points") == "64,170.4 224,114 384,57.6"
    points = [c for c in root.iterfind("svg:circle", NS) if c.get("class") == "point"]
    assert [c.find("svg:title", NS).text for c in points] == [
        "2015-01: 1000人",
        "2015-02: 2500人",
        "2015-03: 4000人",
    ]
    target = next(e for e in root.iterfind("svg:line", NS) if e.get("class") == "target")
    assert (target.get("y1"), target.get("y2")) == ("20", "20")
    assert target.get("stroke-dasharray") == "6 4"
    assert "目标 5000人" in [t.text for t in root.iterfind("svg:text", NS)]
    axis = [t.text for t in root.iterfind("svg:text", NS) if t.get("text-anchor") == "end"]
    assert axis[:6] == ["0", "1000", "2000", "3000", "4000", "5000"]


def test_period_labels_are_thinned_but_every_point_is_drawn():
    periods = [f"{2015 + m // 12}-{m % 12 + 1:02d}" for m in range(60)]
    root = parse(line_chart(periods, list(range(60)), title="t", max_period_labels=6))
    labels = [t.text for t in root.iterfind("svg:text", NS) if t.get("class") == "period"]
    assert labels == ["2015-01", "2015-11", "2016-09", "2017-07", "2018-05", "2019-03"]
    assert len([c for c in root.iterfind("svg:circle", NS)]) == 60


def test_a_single_point_sits_in_the_middle_and_no_data_draws_only_axes():
    root = parse(line_chart(["2015-Q3"], [3], title="t", width=400))
    assert root.find("svg:circle", NS).get("cx") == "224"
    empty = parse(line_chart([], [], title="t", target=90))
    assert empty.find("svg:polyline", NS) is None
    assert any(e.get("class") == "target" for e in empty.iterfind("svg:line", NS))
