"""Smaller cases for the parser's rules: responsibility wording, targets, annexes, mastheads."""

from __future__ import annotations

import pytest

from zhiliang.lib import planparse
from zhiliang.lib.plandecode import decode_plan_bytes as decode_in_module
from zhiliang.lib.planerrors import PlanParseError as ErrorInModule
from zhiliang.lib.planparse import PlanParseError, decode_plan_bytes, parse_plan
from zhiliang.lib.plantargets import find_targets
from zhiliang.lib.planunits import parse_units


def _first_item(tail: str) -> dict[str, object]:
    text = f"某市工作方案\n（一）开展抽查，抽查合格率达到90%。{tail}\n（二）开展培训。（市质监局负责）\n"
    item: dict[str, object] = parse_plan(text)["items"][0]
    return item


def test_public_names_are_the_split_modules_own() -> None:
    assert PlanParseError is ErrorInModule and decode_plan_bytes is decode_in_module
    assert sorted(planparse.__all__) == [
        "PlanParseError",
        "decode_plan_bytes",
        "parse_plan",
        "read_plan_file",
    ]


@pytest.mark.parametrize(
    ("tail", "departments", "lead", "open_ended"),
    [
        # central ministries, no 市 prefix; generic groups are not departments
        ("（质检总局牵头，各有关部门按职责分工负责）", ["质检总局"], "质检总局", True),
        ("（国务院有关部门按职责分工负责）", [], None, True),
        ("（发展改革委、财政部等部门负责）", ["发展改革委", "财政部"], None, True),
        ("（市质监局负责，市级相关部门配合）", ["市质监局"], None, True),
        ("（市质监局会同有关部门和单位负责）", ["市质监局"], None, True),
        # lead marked after the unit, first or last
        ("（责任单位：省质监局（牵头）、省工商局）", ["省质监局", "省工商局"], "省质监局", False),
        ("（责任单位：省工商局、省质监局(牵头)）", ["省工商局", "省质监局"], "省质监局", False),
        # 责任单位 is the lead only beside 配合单位
        (
            "（责任单位：市质监局；配合单位：市工商局、市商务委）",
            ["市质监局", "市工商局", "市商务委"],
            "市质监局",
            False,
        ),
        ("【牵头单位：市质监局；配合单位：市工商局】", ["市质监局", "市工商局"], "市质监局", False),
        # nested parentheses inside the group
        (
            "（市质监局牵头，各区县（自治县）人民政府、两江新区管委会负责）",
            ["市质监局", "各区县（自治县）人民政府", "两江新区管委会"],
            "市质监局",
            False,
        ),
        # a district's grass-roots units
        ("（责任单位：区市场监管局、各镇街）", ["区市场监管局", "各镇街"], None, False),
        ("（各乡镇、各街道负责）", ["各乡镇", "各街道"], None, False),
        # other verbs
        ("（市质监局组织实施）", ["市质监局"], None, False),
        ("（市质监局、市工商局依据职责分工负责）", ["市质监局", "市工商局"], None, False),
        # time notes are not units
        ("（市质监局负责，2016年12月底前完成）", ["市质监局"], None, False),
        ("（市质监局负责）（2016年底前完成）", ["市质监局"], None, False),
        ("（市质监局负责，长期坚持）", ["市质监局"], None, False),
        # a closing 由… clause or sentence
        ("由市质监局负责。", ["市质监局"], None, False),
        ("此项工作由市质监局牵头，市工商局配合。", ["市质监局", "市工商局"], "市质监局", False),
        ("由各区县（自治县）人民政府负责落实。", ["各区县（自治县）人民政府"], None, False),
        # a closing sentence without 由 or brackets, every name a unit
        ("市质监局负责。", ["市质监局"], None, False),
        ("市卫生计生委会同有关部门负责。", ["市卫生计生委"], None, True),
        (
            "市质监局牵头，会同市发改委、市工商局等有关部门负责。",
            ["市质监局", "市发改委", "市工商局"],
            "市质监局",
            True,
        ),
        (
            "市工商局牵头，市公安局、市质监局配合。",
            ["市工商局", "市公安局", "市质监局"],
            "市工商局",
            False,
        ),
        ("各区县（自治县）人民政府负责。", ["各区县（自治县）人民政府"], None, False),
        ("加强宣传；市质监局、市工商局按职责分工负责。", ["市质监局", "市工商局"], None, False),
    ],
)
def test_responsibility_wording(
    tail: str, departments: list[str], lead: str | None, open_ended: bool
) -> None:
    item = _first_item(tail)
    assert (item["departments"], item["lead"], item["open_ended"]) == (
        departments,
        lead,
        open_ended,
    )
    assert item["title"] == "开展抽查，抽查合格率达到90%"
    assert item["targets"] == [
        {"text": "抽查合格率达到90%", "value": 90, "unit": "%", "comparator": ">="}
    ]


@pytest.mark.parametrize(
    "tail",
    [
        "（2016年底前完成）",
        "所需经费由企业负责。",
        "对标结果由企业自主选择是否公开。",
        "考核办法由市质监局另行制定。",
        "（市质监局负责）。加强宣传。",
        # sentences with 负责/配合 that are not a unit sentence
        "企业负责落实主体责任。",
        "各地要加强领导，主要负责同志亲自抓。",
        "生产企业负责。",
        "加强与市公安局配合。",  # ends in 局, but 加强与… is a sentence, not a name
        "积极配合上级部门。",
        "经费由市财政局负责。",
        "质检总局要会同有关部门加强督促检查。",
        "配合市质监局开展检查。",
        "市质监局负责？",
    ],
)
def test_wording_that_names_no_responsible_unit(tail: str) -> None:
    assert _first_item(tail)["departments"] == []


def test_units_module_reads_role_lines_and_deadlines() -> None:
    content = "牵头单位：省质监局　　配合单位：省公安厅、省工商局\n完成时限：2016年12月底前"
    assert parse_units(content) == (["省质监局", "省公安厅", "省工商局"], "省质监局", False)


@pytest.mark.parametrize(
    ("sentence", "targets"),
    [
        (
            "到2016年底，全市电梯应急处置平台覆盖率达到100%",
            [("全市电梯应急处置平台覆盖率达到100%", 100, "%", ">=")],
        ),
        ("力争通过认证的企业突破1000家", [("力争通过认证的企业突破1000家", 1000, "家", ">=")]),
        ("单位产值能耗减少10%以上", [("单位产值能耗减少10%以上", 10, "%", ">=")]),
        ("不合格率减少到10%以下", [("不合格率减少到10%以下", 10, "%", "<=")]),
        ("组织联合执法不少于3次", [("组织联合执法不少于3次", 3, "次", ">=")]),
        ("投诉率控制在5‰以内", [("投诉率控制在5‰以内", 5, "‰", "<=")]),
        ("合格率提高2个百分点", [("合格率提高2个百分点", 2, "个百分点", ">=")]),
        ("压减产能4500万吨左右", [("压减产能4500万吨左右", 45000000, "吨", "=")]),
        (
            "推动80%以上规模以上企业建立首席质量官制度",
            [("推动80%以上规模以上企业建立首席质量官制度", 80, "%", ">=")],
        ),
        ("——食品抽检合格率稳定在97%以上", [("食品抽检合格率稳定在97%以上", 97, "%", ">=")]),
        # durations are goals only right after a ceiling cue
        ("平均住院日降至9天以下", [("平均住院日降至9天以下", 9, "天", "<=")]),
        ("平均住院日降到9天以下", [("平均住院日降到9天以下", 9, "天", "<=")]),
        ("平均住院日下降到9天以下", [("平均住院日下降到9天以下", 9, "天", "<=")]),
        ("急救到达时间不超过30分钟", [("急救到达时间不超过30分钟", 30, "分钟", "<=")]),
        ("应急响应时间不高于2小时", [("应急响应时间不高于2小时", 2, "小时", "<=")]),
        ("投诉处理时间低于7天", [("投诉处理时间低于7天", 7, "天", "<=")]),
        ("办结时限不超过5个工作日", [("办结时限不超过5个工作日", 5, "个工作日", "<=")]),
        ("审批时间压缩至20个工作日以内", [("审批时间压缩至20个工作日以内", 20, "个工作日", "<=")]),
        ("在5个工作日内办结", []),
        ("24小时值守", []),
        ("超过30天未办结的予以通报", []),
        ("培训时间不低于3天", []),
        ("不合格率降至3%以下并在3天内整改", [("不合格率降至3%以下并在3天内整改", 3, "%", "<=")]),
        ("对5000万元以上项目开展抽查", []),
        ("万台特种设备死亡率控制在0.3以下", []),
        ("抽检合格率不低于百分之九十", []),
    ],
)
def test_targets(sentence: str, targets: list[tuple[object, ...]]) -> None:
    found = [(t["text"], t["value"], t["unit"], t["comparator"]) for t in find_targets(sentence)]
    assert found == targets


PLAN_WITH_ANNEX = """某市质量提升方案

　　一、加强监管
　　（一）开展抽查。（市质监局负责）
　　（二）开展培训。（市人力社保局负责）

　　各镇街要加强领导。

{annex}
1．开展抽查　市质监局　2016年12月底
2．开展培训　市人力社保局　2016年12月底
"""


@pytest.mark.parametrize(
    ("annex", "warning"),
    [
        ("附件\n\n重点任务分解表", "附件“重点任务分解表”未解析"),
        ("附件1\n任务分解表", "附件“任务分解表”未解析"),
        ("附件：重点任务清单", "附件“重点任务清单”未解析"),
        ("附表", "附件未解析"),
    ],
)
def test_annexes_after_the_items_are_cut_off_and_named(annex: str, warning: str) -> None:
    result = parse_plan(PLAN_WITH_ANNEX.format(annex=annex))
    assert [child["label"] for child in result["items"][0]["children"]] == ["（一）", "（二）"]
    assert result["closing"] == "各镇街要加强领导。"
    assert result["warnings"] == [warning]


def test_a_masthead_line_is_not_part_of_the_notice_title() -> None:
    text = """国务院办公厅文件
国办发〔2016〕18号
国务院办公厅关于印发某行动计划的通知
各省、自治区、直辖市人民政府：
　　现将《某行动计划》印发给你们。
国务院办公厅
2016年4月4日
某行动计划
一、加强监管。（质检总局负责）
二、加强培训。（人力资源社会保障部负责）
"""
    result = parse_plan(text)
    assert (result["notice_title"], result["title"], result["issuer"]) == (
        "国务院办公厅关于印发某行动计划的通知",
        "某行动计划",
        "国务院办公厅",
    )
    assert result["warnings"] == []


def test_top_level_items_carry_their_own_units() -> None:
    text = """贯彻实施质量发展纲要2013年行动计划

　　为推动实施《质量发展纲要（2011-2020年）》，特制定本行动计划。

　　一、强化惠民生产品和服务的质量监管。推进实施清洁生产促进工程。（发展改革委、工业和信息化部、质检总局等负责）

　　二、加强服务“三农”产品质量安全监管。开展农资产品质量监督抽查。（农业部、工商总局、质检总局等负责）
"""
    result = parse_plan(text)
    assert [(i["label"], i["departments"], i["open_ended"]) for i in result["items"]] == [
        ("一、", ["发展改革委", "工业和信息化部", "质检总局"], True),
        ("二、", ["农业部", "工商总局", "质检总局"], True),
    ]
    assert result["warnings"] == []


@pytest.mark.parametrize(
    "section", ["总体要求", "指导思想", "工作目标", "保障措施", "组织实施", "工作要求"]
)
def test_sections_that_hold_no_measures_are_not_warned(section: str) -> None:
    text = f"某市工作方案\n一、{section}\n（一）加强领导。\n二、重点任务\n（二）开展抽查。（市质监局负责）\n"
    assert parse_plan(text)["warnings"] == []


def test_a_measure_section_without_units_is_still_warned() -> None:
    text = "某市工作方案\n一、加强监管\n（一）开展检查。\n二、重点任务\n（二）开展抽查。（市质监局负责）\n"
    assert parse_plan(text)["warnings"] == ["一、（一）未标注责任单位"]


def test_a_deadline_line_after_the_last_items_units_is_not_the_closing() -> None:
    text = (
        "某市工作方案\n一、加强监管\n（一）开展抽查。（市质监局负责）\n（二）电梯安全。加强维保。\n"
        "责任单位：市质监局\n完成时限：2016年10月\n\n各区县要加强领导。\n"
    )
    result = parse_plan(text)
    assert result["items"][0]["children"][1]["text"] == (
        "电梯安全。加强维保。\n责任单位：市质监局\n完成时限：2016年10月"
    )
    assert result["closing"] == "各区县要加强领导。"
    assert result["warnings"] == []


def test_a_closing_paragraph_naming_units_is_not_the_last_items_unit_sentence() -> None:
    text = (
        "某市工作方案\n一、加强监管\n（一）开展抽查。（市质监局负责）\n（二）开展培训。\n\n"
        "各区县人民政府负责组织实施。\n"
    )
    result = parse_plan(text)
    assert result["items"][0]["children"][1]["departments"] == []
    assert result["closing"] == "各区县人民政府负责组织实施。"
    assert result["warnings"] == ["一、（二）未标注责任单位"]
