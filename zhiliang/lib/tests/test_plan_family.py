"""The parser on plans of the same family from other issuers and levels of government.

Each fixture imitates a real style: a 国办发 notice naming central ministries, a province's
责任单位：…（牵头） lines, a 工作要点 numbered 1. 2. 3. only, a city plan whose items end
由…负责, a district 实施方案 with 各镇街, a plan followed by an annexed 任务分解表, and a
reviewer's 工作要点 mixing every way of naming units, some in a closing sentence without 由.
"""

from __future__ import annotations

from typing import Any

from zhiliang.lib.tests.plan_helpers import _header, _parse_fixture, _rows


def test_state_council_notice_with_central_ministries() -> None:
    result = _parse_fixture("guoban_2016_national_action_plan.txt")
    assert _header(result) == {
        "title": "贯彻实施质量发展纲要2016年行动计划",
        "notice_title": "国务院办公厅关于印发贯彻实施质量发展纲要2016年行动计划的通知",
        "doc_number": "国办发〔2016〕18号",
        "issuer": "国务院办公厅",
        "issued_on": "2016-04-04",
        "closing": "各地区、各部门要高度重视质量工作，加强组织领导，抓好本行动计划的贯彻落实。"
        "质检总局要会同有关部门加强督促检查，重大情况及时向国务院报告。",
        "warnings": [],
    }
    assert _rows(result["items"]) == [
        ("一、", 1, "增强质量和品牌提升的动力", [], None, False, []),
        (
            "一、（一）",
            1,
            "深入开展质量提升行动",
            ["质检总局", "发展改革委", "工业和信息化部"],
            None,
            True,
            [],
        ),
        (
            "一、（二）",
            2,
            "大力提高劳动者职业技能和质量素养",
            ["人力资源社会保障部", "教育部", "质检总局", "全国总工会", "共青团中央"],
            None,
            True,
            [("全年培训高技能人才不少于100万人次", 1000000, "人次", ">=")],
        ),
        (
            "一、（三）",
            3,
            "推行企业产品和服务标准自我声明公开和监督制度",
            ["质检总局"],  # 各有关部门 is no department: it makes the list open-ended
            "质检总局",
            True,
            [
                ("企业产品标准自我声明公开平台覆盖率达到100%", 100, "%", ">="),
                ("力争自我声明公开标准的企业突破10万家", 100000, "家", ">="),
            ],
        ),
        ("二、", 2, "优化质量和品牌提升的环境", [], None, False, []),
        (
            "二、（四）",
            4,
            "加强质量整治和淘汰落后产能",
            ["发展改革委", "工业和信息化部", "国土资源部", "环境保护部", "质检总局"]
            + ["安全监管总局"],
            None,
            False,
            [("全年压减粗钢产能4500万吨左右", 45000000, "吨", "=")],
        ),
        (
            "二、（五）",
            5,
            "依法严厉打击质量违法行为",
            ["质检总局", "工商总局", "农业部", "公安部", "海关总署"],
            None,
            True,
            [("组织跨部门联合执法检查不少于3次", 3, "次", ">=")],
        ),
        (
            "二、（六）",
            6,
            "加快推进重要产品追溯体系建设",
            ["商务部", "工业和信息化部", "农业部", "质检总局", "食品药品监管总局"],
            "商务部",
            False,
            [("重点食品生产企业追溯覆盖率提高2个百分点", 2, "个百分点", ">=")],
        ),
        ("三、", 3, "培育质量和品牌竞争新优势", [], None, False, []),
        (
            "三、（七）",
            7,
            "加强质量基础设施建设",
            ["质检总局", "国家标准委", "国家认监委"],
            None,
            False,
            [
                ("制修订国家标准3000项以上", 3000, "项", ">="),
                ("其中强制性标准控制在200项以内", 200, "项", "<="),
            ],
        ),
        (
            "三、（八）",
            8,
            "深入开展省级人民政府质量工作考核",
            ["全国质量工作部际联席会议成员单位"],
            None,
            False,
            [],
        ),
        (
            "三、（九）",
            9,
            "发挥新闻媒体宣传监督作用",
            ["中央宣传部", "新闻出版广电总局", "国家网信办"],
            None,
            True,
            [],
        ),
    ]


def test_province_plan_with_lead_markers_deadlines_and_non_measure_sections() -> None:
    result = _parse_fixture("hunan_province_lead_marker_lines.txt")
    assert _header(result) == {
        "title": "湖南省贯彻实施质量发展纲要2016年行动计划实施方案",
        "notice_title": "湖南省人民政府办公厅关于印发《湖南省贯彻实施质量发展纲要2016年行动计划实施方案》的通知",
        "doc_number": "湘政办发〔2016〕42号",
        "issuer": "湖南省人民政府办公厅",
        "issued_on": "2016-05-20",
        "closing": "各市州人民政府、省直各有关部门要按照本方案要求，制定具体工作措施，"
        "于2016年12月10日前将落实情况报送省质监局。",
        # 指导思想, 主要目标 and 保障措施 name no unit, and are not measures: no warning.
        "warnings": [],
    }
    assert _rows(result["items"]) == [
        ("一、", 1, "总体要求", [], None, False, []),
        ("一、（一）", 1, "指导思想", [], None, False, []),
        (
            "一、（二）",
            2,
            "主要目标",
            [],
            None,
            False,
            [
                ("制造业产品质量合格率稳定在93%以上", 93, "%", ">="),
                ("主要农产品质量安全监测合格率保持在96%以上", 96, "%", ">="),
                ("规模以上工业企业单位增加值能耗减少10%以上", 10, "%", ">="),
                ("推动80%以上规模以上工业企业建立首席质量官制度", 80, "%", ">="),
            ],
        ),
        ("二、", 2, "重点任务", [], None, False, []),
        (
            "二、（一）",
            1,
            "开展质量提升行动",
            ["省质监局", "省经信委", "省商务厅"],
            "省质监局",
            False,
            [
                ("组织500家企业开展质量对标", 500, "家", ">="),
                ("力争自我声明公开标准的企业突破1000家", 1000, "家", ">="),
            ],
        ),
        (
            "二、（二）",
            2,
            "加强食品药品安全监管",
            ["省食品药品监管局", "省农委", "省卫生计生委", "各市（州）人民政府"],
            "省食品药品监管局",
            False,
            [("食品抽检量达到每千人4批次", 4, "批次", ">=")],
        ),
        (
            "二、（三）",
            3,
            "推进质量信用体系建设",
            ["省发展改革委", "省工商局", "省质监局"],
            "省质监局",  # marked last, still the lead
            False,
            [],
        ),
        (
            "二、（四）",
            4,
            "强化检验检测能力建设",
            ["省质监局", "省发展改革委", "省财政厅"],
            "省质监局",
            True,  # 省直有关部门
            [("新建省级检验检测公共服务平台5个", 5, "个", ">=")],
        ),
        ("三、", 3, "保障措施", [], None, False, []),
        ("三、（一）", 1, "加强组织领导", [], None, False, []),
        ("三、（二）", 2, "强化督查考核", [], None, False, []),
    ]
    tasks = result["items"][1]["children"]
    assert tasks[1]["text"] == (
        "加强食品药品安全监管。深化食品安全示范城市创建，食品抽检量达到每千人4批次。\n"
        "责任单位：省食品药品监管局（牵头）、省农委、省卫生计生委、各市（州）人民政府\n"
        "完成时限：2016年11月底前"
    )
    goals = result["items"][0]["children"][1]["text"]
    assert goals.startswith("主要目标。到2016年底，全省质量工作取得新成效：\n——制造业")


def test_work_points_numbered_one_two_three_with_lead_and_helper_units() -> None:
    result = _parse_fixture("jiangsu_work_points_arabic_only.txt")
    assert _header(result) == {
        "title": "江苏省2017年质量强省工作要点",
        "notice_title": None,
        "doc_number": None,
        "issuer": "江苏省质量发展委员会办公室",
        "issued_on": "2017-03-15",
        "closing": "各设区市、省各有关部门要对照本要点，细化工作措施，确保各项任务落到实处。",
        "warnings": [],
    }
    assert _rows(result["items"]) == [
        (
            "1.",
            1,
            "深入开展质量提升行动",
            ["省质监局", "省经济和信息化委", "省商务厅"],
            "省质监局",
            False,
            [("规模以上工业企业产品质量合格率提高2个百分点", 2, "个百分点", ">=")],
        ),
        (
            "2.",
            2,
            "推进品牌建设",
            ["省工商局", "省质监局", "省农委"],
            "省工商局",
            False,
            [
                ("新增省名牌产品200个", 200, "个", ">="),
                ("地理标志商标注册量达到260件", 260, "件", ">="),
            ],
        ),
        (
            "3.",
            3,
            "加强重点产品质量监管",
            ["省质监局", "省公安厅", "省工商局"],  # 牵头单位：…　　配合单位：… on one line
            "省质监局",
            False,
            [("全年组织跨部门联合执法不少于3次", 3, "次", ">=")],
        ),
        (
            "4.",
            4,
            "强化特种设备安全监察",
            ["省质监局", "省住房城乡建设厅", "省安监局"],
            "省质监局",
            False,
            # 死亡率控制在0.3以下 has no unit and is not read
            [("电梯故障率控制在5‰以内", 5, "‰", "<=")],
        ),
        (
            "5.",
            5,
            "加强质量基础建设",
            ["省质监局", "省科技厅"],
            "省质监局",
            True,
            [
                ("新建社会公用计量标准50项", 50, "项", ">="),
                ("省级以上检验检测机构达到120家", 120, "家", ">="),
            ],
        ),
        (
            "6.",
            6,
            "推进质量社会共治",
            ["各设区市人民政府"],
            None,
            False,
            [("组织质量开放日活动不少于3次", 3, "次", ">=")],
        ),
        (
            "7.",
            7,
            "抓好质量工作考核",
            ["省质监局", "省质量发展委员会各成员单位"],
            "省质监局",
            False,
            [],
        ),
    ]


def test_city_plan_whose_items_end_with_you_fuze() -> None:
    result = _parse_fixture("yichang_inline_you_fuze.txt")
    assert _header(result) == {
        "title": "宜昌市2016年质量兴市工作方案",
        "notice_title": "宜昌市人民政府办公室关于印发宜昌市2016年质量兴市工作方案的通知",
        "doc_number": "宜府办发〔2016〕23号",
        "issuer": "宜昌市人民政府办公室",
        "issued_on": "2016-03-28",
        "closing": "各县市区人民政府、市直各有关部门要明确分管领导和具体责任人，"
        "每季度末将工作进展情况报市质监局。",
        # 考核办法由市质监局另行制定 says who writes the rules, not who carries out (六)
        "warnings": ["二、（六）未标注责任单位"],
    }
    assert _rows(result["items"]) == [
        ("一、", 1, "提升产品质量", [], None, False, []),
        (
            "一、（一）",
            1,
            "开展质量对标活动",
            ["市经信委"],  # 由企业自主选择… earlier in the item is not a unit clause
            None,
            False,
            [("组织100家重点企业对照国内外先进标准开展对标", 100, "家", ">=")],
        ),
        (
            "一、（二）",
            2,
            "加强监督抽查",
            ["市质监局"],
            None,
            False,
            [
                ("全年监督抽查产品2000批次", 2000, "批次", ">="),
                ("不合格产品后处理率达到100%", 100, "%", ">="),
            ],
        ),
        (
            "一、（三）",
            3,
            "推进电梯安全监管",
            ["市质监局", "市住建委", "市房管局"],
            "市质监局",
            False,
            [("全市电梯应急处置平台覆盖率达到100%", 100, "%", ">=")],  # 2016年 is not
        ),
        ("二、", 2, "提升服务质量", [], None, False, []),
        (
            "二、（四）",
            4,
            "提升旅游服务质量",
            ["市旅游委"],
            None,
            True,
            [("旅游投诉处理满意率不低于90%", 90, "%", ">=")],
        ),
        (
            "二、（五）",
            5,
            "规范物业服务",
            ["市房管局"],
            None,
            False,
            [("物业服务企业等级评定覆盖率提高5个百分点", 5, "个百分点", ">=")],
        ),
        ("二、（六）", 6, "加强质量工作考核", [], None, False, []),
    ]
    three = result["items"][0]["children"][2]["text"]
    assert three.endswith("此项工作由市质监局牵头，市住建委、市房管局配合。")  # text as written


def test_district_plan_with_township_units() -> None:
    result = _parse_fixture("jiangbei_district_implementation.txt")
    assert _header(result) == {
        "title": "江北区2019年质量提升行动实施方案",
        "notice_title": "重庆市江北区人民政府办公室关于印发江北区2019年质量提升行动实施方案的通知",
        "doc_number": "江北府办发〔2019〕56号",
        "issuer": "重庆市江北区人民政府办公室",
        "issued_on": "2019-04-12",
        "closing": None,
        "warnings": [],  # 三、工作要求 holds no measures
    }
    assert _rows(result["items"]) == [
        (
            "一、",
            1,
            "工作目标",
            [],
            None,
            False,
            [
                ("全区制造业产品质量合格率达到93%以上", 93, "%", ">="),
                ("食品抽检合格率稳定在97%以上", 97, "%", ">="),
                ("新增市级以上质量标杆企业不少于3家", 3, "家", ">="),
            ],
        ),
        ("二、", 2, "重点任务", [], None, False, []),
        (
            "二、（一）",
            1,
            "实施产品质量提升",
            ["区经济信息委", "区市场监管局", "各镇街"],
            "区经济信息委",
            False,
            [("规模以上工业企业首席质量官制度覆盖率提高5个百分点", 5, "个百分点", ">=")],
        ),
        (
            "二、（二）",
            2,
            "开展食品安全示范创建",
            ["区市场监管局", "区教委", "各镇街"],
            None,
            False,
            [("全区学校食堂“明厨亮灶”覆盖率达到100%", 100, "%", ">=")],
        ),
        (
            "二、（三）",
            3,
            "提升服务质量",
            ["区商务委", "区住房城乡建委", "区文化旅游委"],
            None,
            False,
            [("消费投诉按时办结率不低于95%", 95, "%", ">=")],
        ),
        (
            "二、（四）",
            4,
            "加强质量安全监管",
            ["区市场监管局", "区应急局", "区城市管理局", "各街道", "各镇"],
            "区市场监管局",
            False,
            [("全年开展联合执法检查不少于4次", 4, "次", ">=")],
        ),
        (
            "二、（五）",
            5,
            "推动质量社会共治",
            ["区委宣传部", "区市场监管局", "各镇街"],
            None,
            True,  # 区级有关部门
            [("发放宣传资料1万份以上", 10000, "份", ">=")],
        ),
        ("二、（六）", 6, "夯实基层质量监管", ["各镇（街道）"], None, False, []),
        ("三、", 3, "工作要求", [], None, False, []),
        ("三、（一）", 1, "加强组织领导", [], None, False, []),
        ("三、（二）", 2, "强化督查考核", [], None, False, []),
    ]


def test_annexed_task_table_is_not_read_as_items() -> None:
    result = _parse_fixture("chongqing_2016_annex_task_table.txt")
    assert _header(result) == {
        "title": "重庆市贯彻实施质量发展纲要2016年行动计划工作方案",
        "notice_title": "重庆市人民政府办公厅关于印发"
        "重庆市贯彻实施质量发展纲要2016年行动计划工作方案的通知",
        "doc_number": "渝府办发〔2016〕93号",
        "issuer": "重庆市人民政府办公厅",
        "issued_on": "2016-05-26",
        "closing": "各区县（自治县）人民政府要加强组织领导，按照附件任务分解表明确责任，"
        "确保各项任务落到实处。",
        "warnings": ["附件“重点任务分解表”未解析"],
    }
    assert _rows(result["items"]) == [
        ("一、", 1, "增强质量和品牌提升动力", [], None, False, []),
        (
            "一、（一）",
            1,
            "开展消费品质量提升行动",
            ["市经济信息委", "市质监局", "市商务委"],
            None,
            False,
            [],
        ),
        (
            "一、（二）",
            2,
            "实施质量强区县示范创建",
            ["各区县（自治县）人民政府", "两江新区管委会", "万盛经开区管委会"],
            None,
            False,
            [("力争新增“全国质量强市示范城市”创建城市2个", 2, "个", ">=")],
        ),
        ("二、", 2, "优化质量发展环境", [], None, False, []),
        (
            "二、（三）",
            3,
            "加强食品药品安全监管",
            ["市食品药品监管局", "各区县（自治县）人民政府"],
            "市食品药品监管局",
            False,
            [
                ("较大以上食品安全事故发生率控制在0.5‰以内", 0.5, "‰", "<="),
                ("食品抽检量达到每千人4批次", 4, "批次", ">="),
            ],
        ),
        (
            "二、（四）",
            4,
            "推进质量信用体系建设",
            ["市发展改革委", "市工商局", "市质监局", "人行重庆营管部"],
            None,
            False,
            [("归集企业质量信用信息50万条以上", 500000, "条", ">=")],
        ),
    ]
    last = result["items"][1]["children"][1]["text"]
    assert last.endswith("（市发展改革委、市工商局、市质监局、人行重庆营管部按职责分工负责）")


def _item(
    label: str,
    number: int,
    title: str,
    text: str,
    departments: list[str],
    lead: str | None = None,
    open_ended: bool = False,
    targets: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "label": label,
        "number": number,
        "title": title,
        "text": text,
        "departments": departments,
        "lead": lead,
        "open_ended": open_ended,
        "targets": targets or [],
        "children": [],
    }


def test_review_plan_with_unit_sentences_without_you_and_duration_ceilings() -> None:
    result = _parse_fixture("inline_units_review.txt")
    assert result == {
        "title": "某市2016年质量工作要点",
        "notice_title": None,
        "doc_number": None,
        "issuer": None,
        "issued_on": None,
        "items": [
            {
                **_item("一、", 1, "加强质量监管", "加强质量监管", []),
                "children": [
                    _item(
                        "（一）",
                        1,
                        "开展监督抽查",
                        "开展监督抽查。重点产品抽查合格率达到92%以上。"
                        "（市质监局负责，2015年12月底前完成）",
                        ["市质监局"],
                        targets=[
                            {
                                "text": "重点产品抽查合格率达到92%以上",
                                "value": 92,
                                "unit": "%",
                                "comparator": ">=",
                            }
                        ],
                    ),
                    _item(
                        "（二）",
                        2,
                        "加强信用建设",
                        "加强信用建设。建立企业信用档案。（责任单位：市质监局；完成时限：2015年底）",
                        ["市质监局"],
                    ),
                    # 市卫生计生委会同有关部门负责。 – a closing sentence without 由
                    _item(
                        "（三）",
                        3,
                        "提升医疗服务",
                        "提升医疗服务。平均住院日降至9天以下，急救到达时间不超过30分钟。"
                        "市卫生计生委会同有关部门负责。",
                        ["市卫生计生委"],
                        open_ended=True,
                        targets=[
                            {
                                "text": "平均住院日降至9天以下",
                                "value": 9,
                                "unit": "天",
                                "comparator": "<=",
                            },
                            {
                                "text": "急救到达时间不超过30分钟",
                                "value": 30,
                                "unit": "分钟",
                                "comparator": "<=",
                            },
                        ],
                    ),
                    _item(
                        "（四）",
                        4,
                        "打击假冒",
                        "打击假冒。市质监局牵头，会同市发改委、市工商局等有关部门负责。",
                        ["市质监局", "市发改委", "市工商局"],
                        lead="市质监局",
                        open_ended=True,
                    ),
                    _item(
                        "（五）",
                        5,
                        "整治市场",
                        "整治市场。由市工商局牵头，市公安局、市质监局配合。",
                        ["市工商局", "市公安局", "市质监局"],
                        lead="市工商局",
                    ),
                    # the 完成时限 line stays in the last item: it is not a closing paragraph
                    _item(
                        "（六）",
                        6,
                        "电梯安全",
                        "电梯安全。加强电梯维保。\n责任单位：市质监局、市工商局\n完成时限：2015年10月",
                        ["市质监局", "市工商局"],
                    ),
                ],
            }
        ],
        "closing": None,
        "warnings": [],
    }
