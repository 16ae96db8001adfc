from zhiliang.lib.measurematch import best_match

MUNICIPAL = {
    1: "深化质量领域行政审批改革",
    2: "提高劳动者技能素质",
    8: "强化重点领域质量安全监管",
    14: "抓好质量工作考核",
}


def test_a_locally_edited_heading_finds_its_measure():
    assert best_match("深化全区质量领域行政审批改革", MUNICIPAL)[0] == 1
    assert best_match("强化辖区重点领域质量安全监管", MUNICIPAL)[0] == 8
    assert best_match("抓好全区质量工作考核。", MUNICIPAL)[0] == 14


def test_an_unrelated_item_is_left_unmatched():
    key, ratio = best_match("加强河长制巡河工作", MUNICIPAL)
    assert key is None and ratio < 0.6
