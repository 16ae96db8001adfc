"""The plan document parser: the Chongqing seed, variant plans, and files that are not plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zhiliang.lib.planparse import PlanParseError, decode_plan_bytes, parse_plan, read_plan_file
from zhiliang.lib.tests.plan_helpers import _header, _parse_fixture, _rows

HERE = Path(__file__).resolve().parent
PLANS = HERE / "fixtures" / "plans"
# The seed travels with the plans app; the shared copy is the same file.
SEED_IN_REPO = HERE.parents[1] / "plans" / "data" / "chongqing-2015-quality-plan.txt"
SEED_SHARED = HERE.parents[3].parent / "shared" / "seed" / "chongqing-2015-quality-plan.txt"
SEED = SEED_IN_REPO if SEED_IN_REPO.exists() else SEED_SHARED

# ---------------------------------------------------------------- the seed

SEED_MEASURES: list[tuple[str, list[str], bool]] = [
    ("深化质量领域行政审批改革", ["市质量工作部门联席会议成员单位"], False),
    ("提高劳动者技能素质", ["市人力社保局", "市教委", "市经济信息委", "市质监局"], False),
    (
        "推动企业质量技术创新",
        ["市经济信息委", "市科委", "市财政局", "市质监局", "市知识产权局"],
        False,
    ),
    ("推广先进标准和管理制度", ["市经济信息委", "市农委", "市商委", "市质监局"], False),
    (
        "切实加强质量品牌建设",
        ["市质监局", "市经济信息委", "市人力社保局", "重庆检验检疫局"],
        True,
    ),
    (
        "落实企业质量安全主体责任",
        ["市质监局", "市工商局", "市城乡建委", "市交委", "市水利局", "市卫生计生委", "重庆保监局"],
        False,
    ),
    (
        "加强质量安全风险研判和防范",
        ["市质监局", "市工商局", "市经济信息委", "市农委", "市食品药品监管局", "市教委"]
        + ["市卫生计生委"],
        False,
    ),
    (
        "强化重点领域质量安全监管",
        ["市质监局", "市工商局", "市商委", "市城乡建委", "市交委", "市水利局"]
        + ["市食品药品监管局"],
        False,
    ),
    (
        "依法严厉打击质量安全违法犯罪行为",
        ["市质监局", "市食品药品监管局", "市农委", "市工商局", "市城乡建委", "市交委"]
        + ["市水利局", "市知识产权局", "市文化委", "市卫生计生委", "市旅游局", "市公安局"],
        False,
    ),
    (
        "加快质量信用体系建设",
        ["市发展改革委", "市城乡建委", "市水利局", "市工商局", "市质监局", "市农委"]
        + ["市食品药品监管局", "人行重庆营管部"],
        False,
    ),
    ("促进大气环境质量改善", ["市经济信息委", "市环保局", "市发展改革委", "市质监局"], False),
    (
        "深入开展质量提升专项行动",
        ["市质监局", "市经济信息委", "市卫生计生委", "市工商局", "市旅游局"],
        False,
    ),
    (
        "完善质量发展规划",
        ["市发展改革委", "市经济信息委", "市环保局", "市科委", "市财政局", "市人力社保局"]
        + ["市质监局"],
        False,
    ),
    ("抓好质量工作考核", ["市质量工作部门联席会议成员单位"], False),
    ("加快构建质量社会共治机制", ["市质量工作部门联席会议成员单位"], False),
    ("加强企业质量基础建设", ["市质监局", "市科委", "市知识产权局", "重庆检验检疫局"], False),
    (
        "强化检验检测能力建设",
        ["市发展改革委", "市农委", "市交委", "市水利局", "市质监局", "市食品药品监管局"]
        + ["重庆检验检疫局"],
        False,
    ),
    (
        "加强质量教育和文化建设",
        ["市教委", "市人力社保局", "市质监局", "市经济信息委", "市文化委"],
        False,
    ),
    (
        "建立健全质量法治体系",
        ["市政府法制办", "市食品药品监管局", "市质监局", "市城乡建委", "市旅游局", "市环保局"]
        + ["市发展改革委", "市工商局"],
        False,
    ),
]

SEED_TARGETS: dict[int, list[tuple[str, int, str, str]]] = {
    2: [("新增急需紧缺技师、高级技师5000人", 5000, "人", ">=")],
    11: [
        ("通过煤改天然气、电、成型生物质等方式改造81台燃煤锅炉", 81, "台", ">="),
        (
            "完成钢铁、水泥、化工、石化、有色金属冶炼等重点行业的72家企业清洁生产审核",
            72,
            "家",
            ">=",
        ),
    ],
    14: [
        ("确保2015年全市制造业产品质量合格率达到90%以上", 90, "%", ">="),
        ("主要农产品安全监测合格率达到94%以上", 94, "%", ">="),
    ],
    16: [("新增国际、国家、行业和地方标准100项", 100, "项", ">=")],
}


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    return parse_plan(read_plan_file(SEED))


def test_seed_header(seed: dict[str, Any]) -> None:
    assert seed["title"] == "重庆市贯彻实施质量发展纲要2015年行动计划工作方案"
    assert seed["notice_title"] == (
        "重庆市人民政府办公厅关于印发重庆市贯彻实施质量发展纲要2015年行动计划工作方案的通知"
    )
    assert seed["doc_number"] == "渝府办发〔2015〕101号"
    assert seed["issuer"] == "重庆市人民政府办公厅"
    assert seed["issued_on"] == "2014-06-30"
    assert seed["closing"].startswith("各区县（自治县）人民政府要加强对质量工作的组织领导")


def test_seed_warns_only_that_the_date_is_before_the_number_year(seed: dict[str, Any]) -> None:
    assert seed["warnings"] == ["发文日期2014-06-30早于文号年份2015"]


def test_seed_sections(seed: dict[str, Any]) -> None:
    sections = seed["items"]
    assert [s["label"] for s in sections] == ["一、", "二、", "三、", "四、"]
    assert [s["number"] for s in sections] == [1, 2, 3, 4]
    assert sections[0]["title"] == "简政放权，充分发挥企业质量主体作用"
    assert sections[0]["text"] == "简政放权，充分发挥企业质量主体作用"
    assert [len(s["children"]) for s in sections] == [6, 6, 3, 4]
    for section in sections:
        assert section["departments"] == [] and section["targets"] == []


def test_seed_measures_number_on_across_sections(seed: dict[str, Any]) -> None:
    measures = [m for s in seed["items"] for m in s["children"]]
    assert [m["number"] for m in measures] == list(range(1, 20))
    assert measures[6]["label"] == "（七）" and measures[18]["label"] == "（十九）"
    assert all(m["children"] == [] for m in measures)


def test_seed_departments_of_every_measure(seed: dict[str, Any]) -> None:
    measures = [m for s in seed["items"] for m in s["children"]]
    got = [(m["title"], m["departments"], m["open_ended"]) for m in measures]
    assert got == SEED_MEASURES
    assert all(m["lead"] is None for m in measures)


def test_seed_targets_of_every_measure(seed: dict[str, Any]) -> None:
    measures = [m for s in seed["items"] for m in s["children"]]
    got = {
        m["number"]: [(t["text"], t["value"], t["unit"], t["comparator"]) for t in m["targets"]]
        for m in measures
        if m["targets"]
    }
    assert got == SEED_TARGETS


def test_seed_measure_text_keeps_its_responsibility_parenthetical(seed: dict[str, Any]) -> None:
    first = seed["items"][0]["children"][0]
    assert first["text"].startswith("深化质量领域行政审批改革。对质量领域行政审批事项")
    assert first["text"].endswith("主动接受监督。（市质量工作部门联席会议成员单位按职责分工负责）")
    four = seed["items"][0]["children"][3]
    assert "QC小组（质量管理小组）" in four["text"]


def test_seed_result_is_json(seed: dict[str, Any]) -> None:
    assert json.loads(json.dumps(seed, ensure_ascii=False)) == seed


def test_seed_with_crlf_and_bom_parses_the_same(seed: dict[str, Any]) -> None:
    raw = SEED.read_text(encoding="utf-8").replace("\n", "\r\n")
    assert parse_plan(decode_plan_bytes(("\ufeff" + raw).encode("utf-8"))) == seed


# ---------------------------------------------------------------- variant plans


def test_bare_plan_with_sections_restarting_numbering_and_lead_units() -> None:
    result = _parse_fixture("chengdu_bare_plan_restart.txt")
    assert _header(result) == {
        "title": "成都市2016年产品质量提升行动方案",
        "notice_title": None,
        "doc_number": None,
        "issuer": "成都市人民政府办公厅",
        "issued_on": "2016-02-18",
        "closing": "各区（市）县政府要高度重视，结合实际制定具体措施，确保各项任务落到实处。",
        "warnings": [],
    }
    assert _rows(result["items"]) == [
        ("一、", 1, "强化企业质量主体责任", [], None, False, []),
        (
            "一、（一）",
            1,
            "落实质量首负责任制",
            ["市质监局", "市经信委", "市商务委"],
            "市质监局",
            False,
            [("2016年底前新增质量追溯示范企业30家", 30, "家", ">=")],
        ),
        (
            "一、（二）",
            2,
            "开展质量对标提升",
            ["市经信委"],
            None,
            False,
            [
                ("组织200家重点企业开展质量对标活动", 200, "家", ">="),
                ("规模以上工业企业产品质量合格率不低于95％", 95, "%", ">="),
            ],
        ),
        ("二、", 2, "加强质量安全监管", [], None, False, []),
        (
            "二、（一）",
            1,
            "加强监督抽查",
            ["市质监局", "市工商局"],
            None,
            False,
            [
                ("全年监督抽查产品1.2万批次", 12000, "批次", ">="),
                ("不合格产品后处理率达到100%", 100, "%", ">="),
            ],
        ),
        (
            "二、（二）",
            2,
            "严厉打击质量违法行为",
            ["市质监局", "市公安局", "市工商局"],
            None,
            True,
            [("查处质量违法案件不少于500起", 500, "起", ">=")],
        ),
        (
            "二、（三）",
            3,
            "推进质量信用建设",
            ["市发展改革委", "市质监局", "市工商局", "市商务委"],
            "市发展改革委",
            False,
            [],
        ),
    ]


def test_notice_with_only_paren_items_and_a_chinese_numeral_date() -> None:
    result = _parse_fixture("hangzhou_notice_items_only.txt")
    assert _header(result) == {
        "title": "杭州市2016年食品安全工作要点",
        "notice_title": "杭州市人民政府办公厅关于印发杭州市2016年食品安全工作要点的通知",
        "doc_number": "杭政办函〔2016〕28号",
        "issuer": "杭州市人民政府办公厅",
        "issued_on": "2016-03-10",
        "closing": None,
        "warnings": [],
    }
    assert _rows(result["items"]) == [
        (
            "（一）",
            1,
            "加强源头治理",
            ["市农办", "市农业局"],
            None,
            False,
            [
                ("全市化肥使用量减少1.5万吨", 15000, "吨", ">="),
                ("主要农产品农药残留抽检合格率保持在98.5%以上", 98.5, "%", ">="),
            ],
        ),
        (
            "（二）",
            2,
            "强化食品生产监管",
            ["市市场监管局"],
            None,
            False,
            [
                ("完成2000家小作坊整治提升", 2000, "家", ">="),
                ("食品抽检总量达到每千人4批次", 4, "批次", ">="),
                ("问题食品核查处置率100％", 100, "%", ">="),
            ],
        ),
        (
            "（三）",
            3,
            "严控餐饮环节风险",
            ["市市场监管局", "市教育局", "市卫生计生委"],
            None,
            False,
            [
                ("全市食物中毒事故发生率控制在每10万人0.8起以下", 0.8, "起", "<="),
                ("学校食堂量化等级评定覆盖率不低于99%", 99, "%", ">="),
            ],
        ),
        (
            "（四）",
            4,
            "推进食品安全城市创建",
            ["市食安办", "各区、县（市）人民政府"],
            "市食安办",
            False,
            [("考核权重不低于3%", 3, "%", ">=")],
        ),
        (
            "（五）",
            5,
            "加强宣传和社会共治",
            ["市市场监管局", "市委宣传部"],
            None,
            True,
            [
                ("12331投诉举报电话受理率100%", 100, "%", ">="),
                ("群众满意度提升2个百分点", 2, "个百分点", ">="),
            ],
        ),
    ]


def test_three_levels_with_responsibility_lines() -> None:
    result = _parse_fixture("wuhan_three_levels.txt")
    assert _header(result) == {
        "title": "武汉市推进标准化战略实施方案",
        "notice_title": None,
        "doc_number": None,
        "issuer": None,
        "issued_on": None,
        "closing": None,
        "warnings": [],
    }
    assert _rows(result["items"]) == [
        (
            "一、",
            1,
            "总体目标",
            [],
            None,
            False,
            [
                (
                    "全市主导和参与制修订国际标准、国家标准和行业标准累计达到300项以上",
                    300,
                    "项",
                    ">=",
                ),
                ("标准化示范试点项目不少于50个", 50, "个", ">="),
            ],
        ),
        ("二、", 2, "重点任务", [], None, False, []),
        ("二、（一）", 1, "实施标准提升工程", [], None, False, []),
        (
            "二、（一）1．",
            1,
            "推动企业参与标准制定",
            ["市质监局", "市科技局"],
            None,
            False,
            [("每年新增企业标准自我声明公开产品5000个", 5000, "个", ">=")],
        ),
        (
            "二、（一）2．",
            2,
            "开展标准化试点示范",
            ["市质监局", "市农委", "市商务局"],
            "市质监局",
            False,
            [("新建农业、服务业标准化试点项目20个", 20, "个", ">=")],
        ),
        ("二、（二）", 2, "夯实标准化工作基础", [], None, False, []),
        (
            "二、（二）1．",
            1,
            "加强标准化人才培养",
            ["市质监局", "市人社局"],
            None,
            False,
            [("培训标准化专业人员1000人次", 1000, "人次", ">=")],
        ),
        (
            "二、（二）2．",
            2,
            "完善标准信息服务平台",
            ["市质监局"],
            None,
            False,
            [("平台标准文献量不低于10万条", 100000, "条", ">=")],
        ),
        ("三、", 3, "保障措施", [], None, False, []),
        (
            "三、（一）",
            1,
            "加强组织领导",
            ["市标准化工作联席会议成员单位"],
            None,
            False,
            [],
        ),
        (
            "三、（二）",
            2,
            "加大经费投入",
            ["市财政局"],
            None,
            False,
            [("市财政每年安排标准化专项资金不低于2000万元", 20000000, "元", ">=")],
        ),
    ]
    goal = result["items"][0]
    assert goal["text"].startswith("总体目标\n到2017年，")
    first = result["items"][1]["children"][0]["children"][0]
    assert first["text"] == (
        "推动企业参与标准制定。鼓励企业主导制定国际标准和国家标准，"
        "每年新增企业标准自我声明公开产品5000个。\n责任单位：市质监局、市科技局"
    )


def test_gap_duplicate_and_missing_unit_are_warned() -> None:
    result = _parse_fixture("xian_gap_missing_unit.txt")
    assert result == {
        "title": "西安市2017年质量强市工作要点",
        "notice_title": None,
        "doc_number": None,
        "issuer": None,
        "issued_on": None,
        "items": [
            {
                "label": "1.",
                "number": 1,
                "title": "开展质量提升行动",
                "text": "开展质量提升行动。围绕装备制造、电子信息等重点产业，培育质量标杆企业10家。"
                "（市质监局、市工信委按职责分工负责）",
                "departments": ["市质监局", "市工信委"],
                "lead": None,
                "open_ended": False,
                "targets": [
                    {"text": "培育质量标杆企业10家", "value": 10, "unit": "家", "comparator": ">="}
                ],
                "children": [],
            },
            {
                "label": "2.",
                "number": 2,
                "title": "加强质量基础设施建设",
                "text": "加强质量基础设施建设。推进国家级检验检测中心建设，新建社会公用计量标准15项。",
                "departments": [],
                "lead": None,
                "open_ended": False,
                "targets": [
                    {
                        "text": "新建社会公用计量标准15项",
                        "value": 15,
                        "unit": "项",
                        "comparator": ">=",
                    }
                ],
                "children": [],
            },
            {
                "label": "4.",
                "number": 4,
                "title": "深化质量宣传教育",
                "text": "深化质量宣传教育。开展“质量月”活动，举办质量知识讲座不少于20场。"
                "（市质监局、市教育局负责）",
                "departments": ["市质监局", "市教育局"],
                "lead": None,
                "open_ended": False,
                "targets": [
                    {
                        "text": "举办质量知识讲座不少于20场",
                        "value": 20,
                        "unit": "场",
                        "comparator": ">=",
                    }
                ],
                "children": [],
            },
            {
                "label": "4.",
                "number": 4,
                "title": "强化质量工作考核",
                "text": "强化质量工作考核。将质量工作纳入区县目标责任考核体系。（市考核办负责）",
                "departments": ["市考核办"],
                "lead": None,
                "open_ended": False,
                "targets": [],
                "children": [],
            },
        ],
        "closing": None,
        "warnings": ["编号不连续：2.之后是4.", "编号重复：4.之后是4.", "2.未标注责任单位"],
    }


def test_half_width_parentheses_crlf_bom_and_wrapped_lines() -> None:
    raw = (PLANS / "shenzhen_halfwidth_crlf.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # the fixture really is BOM + CRLF
    result = _parse_fixture("shenzhen_halfwidth_crlf.txt")
    assert _header(result) == {
        "title": "深圳市质量提升三年行动计划(2018—2020年)",
        "notice_title": None,
        "doc_number": None,
        "issuer": None,
        "issued_on": None,
        "closing": None,
        "warnings": [],
    }
    assert _rows(result["items"]) == [
        ("一、", 1, "提升产品质量", [], None, False, []),
        (
            "一、(一)",
            1,
            "实施消费品质量提升工程",
            ["市市场监管局", "市经贸信息委", "市科技创新委"],
            "市市场监管局",
            False,
            [
                ("重点消费品抽查合格率达到95%以上", 95, "%", ">="),
                ("培育深圳标准认证产品300个", 300, "个", ">="),
            ],
        ),
        ("一、(二)", 2, "实施质量对标行动", [], None, False, []),
        (
            "一、(二)(1)",
            1,
            "电子信息行业对标企业不少于100家",
            ["市经贸信息委"],
            None,
            False,
            [("电子信息行业对标企业不少于100家", 100, "家", ">=")],
        ),
        (
            "一、(二)(2)",
            2,
            "生物医药行业对标企业不少于30家",
            ["市卫生计生委"],
            None,
            False,
            [("生物医药行业对标企业不少于30家", 30, "家", ">=")],
        ),
        ("二、", 2, "提升服务质量", [], None, False, []),
        (
            "二、(三)",
            3,
            "提升旅游服务质量",
            ["市文体旅游局"],
            None,
            False,
            [
                ("旅游投诉结案率达到98%", 98, "%", ">="),
                ("全市A级景区游客满意度不低于85分", 85, "分", ">="),
            ],
        ),
    ]
    wrapped = result["items"][0]["children"][0]["text"]
    assert wrapped == (
        "实施消费品质量提升工程。到2020年，重点消费品抽查合格率达到95%以上，"
        "培育深圳标准认证产品300个。(市市场监管局牵头,市经贸信息委、市科技创新委配合)"
    )


def test_notice_preface_numbering_is_not_items() -> None:
    result = _parse_fixture("guangzhou_notice_preface_numbered.txt")
    assert _header(result) == {
        "title": "广州市提升城市品质三年行动方案",
        "notice_title": "广州市人民政府关于印发广州市提升城市品质三年行动方案的通知",
        "doc_number": "穗府〔2016〕5号",
        "issuer": "广州市人民政府",
        "issued_on": "2016-01-20",
        "closing": None,
        "warnings": ["二、3.未标注责任单位"],
    }
    assert _rows(result["items"]) == [
        ("一、", 1, "提升城市环境质量", [], None, False, []),
        (
            "一、1.",
            1,
            "推进大气污染防治",
            ["市环保局", "市公安局", "市交委"],
            "市环保局",
            False,
            [
                ("全市PM2.5年均浓度下降到35微克/立方米以下", 35, "微克/立方米", "<="),
                ("淘汰黄标车2.3万辆", 23000, "辆", ">="),
            ],
        ),
        (
            "一、2.",
            2,
            "加强水环境治理",
            ["市水务局", "市环保局"],
            None,
            False,
            [
                ("城市生活污水处理率达到95%", 95, "%", ">="),
                ("黑臭水体整治完成率不低于80%", 80, "%", ">="),
            ],
        ),
        ("二、", 2, "提升城市管理水平", [], None, False, []),
        (
            "二、3.",
            3,
            "推进生活垃圾分类",
            [],
            None,
            False,
            [
                ("生活垃圾回收利用率达到35%", 35, "%", ">="),
                ("生活垃圾焚烧处理能力达到每日1.4万吨", 14000, "吨", ">="),
            ],
        ),
        (
            "二、4.",
            4,
            "规范户外广告管理",
            ["市城管委", "各区人民政府"],
            None,
            False,
            [("拆除违法户外广告1000处", 1000, "处", ">=")],
        ),
    ]


# ---------------------------------------------------------------- smaller cases in line

CN_NUMERALS = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十 二十一 二十二 二十三"


def test_chinese_numerals_up_to_twenty_three() -> None:
    numerals = CN_NUMERALS.split()
    lines = ["某市质量工作方案", ""]
    lines += [f"（{n}）开展第{i}项工作。（市质监局负责）" for i, n in enumerate(numerals, 1)]
    result = parse_plan("\n".join(lines))
    assert [item["number"] for item in result["items"]] == list(range(1, 24))
    assert result["items"][18]["label"] == "（十九）"
    assert result["warnings"] == []


def test_large_chinese_numerals_and_a_run_not_starting_at_one() -> None:
    result = parse_plan(
        "某市工作方案\n（九十八）甲。（市质监局负责）\n（九十九）乙。（市质监局负责）\n"
    )
    assert [item["number"] for item in result["items"]] == [98, 99]
    assert result["warnings"] == ["编号不连续：第一个条目是（九十八）"]


def test_signature_right_under_the_title_and_wrapped_unit_lines() -> None:
    text = """某市质量提升方案
某市人民政府办公厅
2016年1月1日
一、加强监管
（一）开展抽查。
牵头单位：市质监局
配合单位：市工商局、市商务委、
市公安局
（二）开展培训。（市人力社保局负责）
"""
    result = parse_plan(text)
    assert (result["title"], result["issuer"], result["issued_on"]) == (
        "某市质量提升方案",
        "某市人民政府办公厅",
        "2016-01-01",
    )
    first = result["items"][0]["children"][0]
    assert first["departments"] == ["市质监局", "市工商局", "市商务委", "市公安局"]
    assert first["lead"] == "市质监局"
    assert result["warnings"] == []


def test_a_gap_in_a_run_that_crosses_sections_is_warned() -> None:
    text = """某市工作方案
一、第一部分
（一）甲。（市质监局负责）
（二）乙。（市质监局负责）
二、第二部分
（四）丙。（市质监局负责）
"""
    assert parse_plan(text)["warnings"] == ["编号不连续：（二）之后是（四）"]


def test_article_style_and_closing_without_units() -> None:
    text = """某市质量奖评审工作方案
第一条　成立评审委员会。
第二条　评审每两年开展一次，每次授奖企业不超过10家。
第三条　获奖企业名单向社会公布。

　　各区县要认真组织申报工作。
"""
    result = parse_plan(text)
    assert [i["label"] for i in result["items"]] == ["第一条", "第二条", "第三条"]
    assert result["items"][1]["targets"] == [
        {"text": "每次授奖企业不超过10家", "value": 10, "unit": "家", "comparator": "<="}
    ]
    assert result["closing"] == "各区县要认真组织申报工作。"
    assert result["warnings"] == ["全文未标注责任单位"]


NOTICE_WITHOUT_PLAN_TITLE = """某市人民政府办公室关于印发某市质量提升方案的通知
（某府办发〔2016〕3号）
各区县人民政府：
　　现将《某市质量提升实施方案》印发给你们，请认真执行。

2016年2月30日

　　为提升质量，制定本方案。
　　一、加强监管
　　（一）开展抽查。（市质监局负责）
"""


def test_notice_without_plan_title_lines_takes_the_quoted_title() -> None:
    result = parse_plan(NOTICE_WITHOUT_PLAN_TITLE)
    assert _header(result) == {
        "title": "某市质量提升实施方案",
        "notice_title": "某市人民政府办公室关于印发某市质量提升方案的通知",
        "doc_number": "某府办发〔2016〕3号",
        "issuer": "某市人民政府办公室",  # no issuer line: taken from the notice title
        "issued_on": None,
        "closing": None,
        "warnings": ["发文日期无效：2016年2月30日"],
    }
    assert [i["label"] for i in result["items"]] == ["一、"]


def test_plan_title_differing_from_the_notice_is_warned() -> None:
    text = NOTICE_WITHOUT_PLAN_TITLE.replace(
        "2016年2月30日\n", "2016年2月3日\n\n某市质量提升方案\n"
    )
    result = parse_plan(text)
    assert result["title"] == "某市质量提升方案"
    assert result["issued_on"] == "2016-02-03"
    assert result["warnings"] == [
        "通知中的方案名称《某市质量提升实施方案》与方案标题“某市质量提升方案”不一致"
    ]


def test_wrapped_items_and_a_closing_paragraph_in_a_plan_without_unit_parentheticals() -> None:
    text = """某市质量提升方案

　　一、加强监管
　　（一）开展抽查。
　　对重点产品开展抽查，抽查合格率达到
90%以上。
　　（二）开展培训。培训1000人。
责任单位：市质监局

　　各区县要加强领导。
"""
    result = parse_plan(text)
    one, two = result["items"][0]["children"]
    assert one["text"] == "开展抽查。\n对重点产品开展抽查，抽查合格率达到90%以上。"
    assert one["targets"] == [
        {"text": "抽查合格率达到90%以上", "value": 90, "unit": "%", "comparator": ">="}
    ]
    assert two["departments"] == ["市质监局"]
    assert result["closing"] == "各区县要加强领导。"
    assert result["warnings"] == ["一、（一）未标注责任单位"]


@pytest.mark.parametrize(
    ("paren", "departments", "lead", "open_ended"),
    [
        (
            "（市质监局牵头，市工商局、市商委配合）",
            ["市质监局", "市工商局", "市商委"],
            "市质监局",
            False,
        ),
        ("（市质监局会同有关部门负责）", ["市质监局"], None, True),
        ("（各区县（自治县）人民政府负责）", ["各区县（自治县）人民政府"], None, False),
        (
            "（市人力资源和社会保障局、市发展和改革委员会和市财政局按职能分工负责）",
            ["市人力资源和社会保障局", "市发展和改革委员会", "市财政局"],
            None,
            False,
        ),
        ("(市质监局、市工商局等)", ["市质监局", "市工商局"], None, True),
        ("（责任单位：市质监局、市商务委）", ["市质监局", "市商务委"], None, False),
        ("（牵头单位：市经信委；配合单位：市质监局）", ["市经信委", "市质监局"], "市经信委", False),
    ],
)
def test_responsibility_parentheticals(
    paren: str, departments: list[str], lead: str | None, open_ended: bool
) -> None:
    text = f"某市工作方案\n（一）开展抽查。{paren}\n（二）开展培训。（市质监局负责）\n"
    item = parse_plan(text)["items"][0]
    assert (item["departments"], item["lead"], item["open_ended"]) == (
        departments,
        lead,
        open_ended,
    )
    assert item["title"] == "开展抽查"


@pytest.mark.parametrize(
    "tail",
    [
        "加强工程建设“四制”（项目法人负责制、招标投标制、工程建设监理制和合同管理制）",
        "开展QC小组（质量管理小组）",
        "贯彻质量发展纲要（2011―2020年）",
    ],
)
def test_parentheses_that_are_not_responsibilities(tail: str) -> None:
    text = f"某市工作方案\n（一）{tail}。\n（二）开展培训。（市质监局负责）\n"
    result = parse_plan(text)
    assert result["items"][0]["departments"] == []
    assert result["warnings"] == ["（一）未标注责任单位"]


@pytest.mark.parametrize(
    "sentence",
    [
        "举办第四届职业技能大赛",
        "承办第43届世界技能大赛",
        "加强“96333”电梯应急处置平台建设",
        "推进20蒸吨及以上燃煤锅炉改造",
        "围绕“6＋1”支柱产业开展提升行动",
        "针对1类电子商务产品开展抽查",
        "2015年底前完成",
        "落实国发〔2012〕9号文件",
        "3个月内完成整改",
    ],
)
def test_numbers_that_are_not_targets(sentence: str) -> None:
    text = (
        f"某市工作方案\n（一）开展工作。{sentence}。（市质监局负责）\n（二）乙。（市质监局负责）\n"
    )
    assert parse_plan(text)["items"][0]["targets"] == []


@pytest.mark.parametrize(
    ("sentence", "value", "unit", "comparator"),
    [
        ("改造燃煤锅炉1.5万台", 15000, "台", ">="),
        ("合格率不低于95.5％", 95.5, "%", ">="),
        ("投诉率控制在0.5‰以内", 0.5, "‰", "<="),
        ("事故率降低到3%以下", 3, "%", "<="),
        ("库存不超过2亿元", 200000000, "元", "<="),
        ("市场占有率稳定在30%", 30, "%", "="),
    ],
)
def test_target_values_and_comparators(
    sentence: str, value: float, unit: str, comparator: str
) -> None:
    text = (
        f"某市工作方案\n（一）开展工作。{sentence}。（市质监局负责）\n（二）乙。（市质监局负责）\n"
    )
    assert parse_plan(text)["items"][0]["targets"] == [
        {"text": sentence, "value": value, "unit": unit, "comparator": comparator}
    ]


# ---------------------------------------------------------------- files that are not plans


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "plan.txt"
    path.write_bytes(data)
    return path


GBK_TEXT = "重庆市质量工作方案\n一、加强监管\n（一）开展抽查。（市质监局负责）\n"


@pytest.mark.parametrize(
    ("data", "phrases"),
    [
        (b"", ["文件为空", "empty"]),
        (b" \r\n\t\n" + "\u3000\u3000\n".encode(), ["空白", "whitespace"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", ["二进制", "PNG", "binary"]),
        (b"PK\x03\x04\x14\x00\x06\x00", ["docx"]),
        (b"abc\x00\x01\x02\xff\xfe\x00", ["二进制", "binary"]),
        (GBK_TEXT.encode("gbk"), ["不是UTF-8", "GBK", "iconv -f GB18030 -t UTF-8"]),
        (GBK_TEXT.encode("utf-16"), ["UTF-16", "iconv -f UTF-16 -t UTF-8"]),
        (GBK_TEXT.encode("utf-16-le"), ["UTF-16"]),
        (b"plain text \x80\x81 more", ["UTF-8", "offset"]),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    tmp_path: Path, data: bytes, phrases: list[str]
) -> None:
    with pytest.raises(PlanParseError) as caught:
        read_plan_file(_write(tmp_path, data))
    for phrase in phrases:
        assert phrase in str(caught.value)


def test_a_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(PlanParseError, match="cannot read file"):
        read_plan_file(tmp_path / "nope.txt")


def test_utf8_with_bom_is_read_without_it(tmp_path: Path) -> None:
    text = read_plan_file(_write(tmp_path, b"\xef\xbb\xbf" + GBK_TEXT.encode("utf-8")))
    assert text == GBK_TEXT


@pytest.mark.parametrize(
    "text",
    [
        "　　新华社北京3月5日电 十二届全国人大三次会议5日上午在人民大会堂开幕，"
        "国务院总理作政府工作报告。报告提出，今年国内生产总值增长7%左右。\n",
        "def main():\n    print('hello')\n\nif __name__ == '__main__':\n    main()\n",
        "1. Install the package\n2. Run the tests\n",
        "1.今天天气很好，我们去公园散步。\n2.明天下雨，在家看书。\n",
    ],
)
def test_text_that_is_not_a_plan_is_refused(text: str) -> None:
    with pytest.raises(PlanParseError, match="不像是工作方案"):
        parse_plan(text)


def test_empty_text_is_refused() -> None:
    with pytest.raises(PlanParseError, match="文本为空"):
        parse_plan(" \n\u3000\n")
