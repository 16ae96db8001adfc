"""GENERATED sampling results for scale tests, benchmarks and the demo.

Every row this module makes is invented: enterprise names end in “（生成数据）”,
sample numbers start with ``GEN-`` and the credit codes are made up (with correct
check characters). Nothing here describes a real enterprise or a real inspection.
The output is a pure function of the seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from zhiliang.lib.uscc import check_character, gb11714_check_character

GENERATED_MARK = "（生成数据）"
HEADER = (
    "抽样单编号",
    "产品类别",
    "产品名称",
    "规格型号",
    "生产日期或批号",
    "被抽样单位",
    "被抽样单位统一社会信用代码",
    "标称生产者",
    "标称生产者统一社会信用代码",
    "生产者所在地区代码",
    "抽样地区代码",
    "抽样环节",
    "抽样日期",
    "检验机构",
    "检验结论",
    "不合格项目",
    "报告编号",
    "报告日期",
)
#: Real GB/T 2260 codes outside Chongqing for producers from elsewhere.
OTHER_REGIONS = ("510107", "440305", "330106", "320105", "110105", "420106")
CHANNELS = ("生产", "流通", "电商")
LABS = ("重庆市产品质量监督检验研究院（生成数据）", "重庆市食品药品检验检测研究院（生成数据）")
FAILED_ITEMS = ("标签", "菌落总数", "蓄电池容量", "甲醛释放量", "电气强度")


def fake_uscc(region: str, number: int) -> str:
    """A made-up but well-formed 统一社会信用代码 (registration authority 9, type 1)."""
    body8 = f"{number % 10**8:08d}"
    first17 = "91" + region + body8 + gb11714_check_character(body8)
    return first17 + check_character(first17)


@dataclass(frozen=True)
class Party:
    uscc: str
    name: str
    region: str


def parties(
    regions: Sequence[str], count: int, seed: int, prefix: str, mark: str = GENERATED_MARK
) -> list[Party]:
    rng = random.Random(f"{seed}:{prefix}")
    # Different prefixes get different code ranges (str hash() varies per process).
    offset = sum(ord(ch) for ch in prefix) * 100_000
    out = []
    for i in range(count):
        region = regions[rng.randrange(len(regions))]
        number = seed * 7919 + i + offset
        out.append(Party(fake_uscc(region, number), f"{prefix}{i:05d}{mark}", region))
    return out


def sample_rows(
    n: int,
    *,
    seed: int,
    year: int,
    categories: Sequence[str],
    districts: Sequence[str],
    fail_rate: float = 0.1,
    enterprises: int = 2000,
    today: dt.date | None = None,
    mark: str = GENERATED_MARK,
    number_prefix: str = "GEN",
) -> Iterator[tuple[str, ...]]:
    """``n`` rows in the import's column order (see :data:`HEADER`). ``mark`` ends every
    party and laboratory name (the demo passes “（演示数据）”)."""
    rng = random.Random(seed)
    makers = parties([*districts, *OTHER_REGIONS], enterprises, seed, "制造企业", mark)
    shops = parties(districts, enterprises, seed, "销售单位", mark)
    labs = [lab.replace(GENERATED_MARK, mark) for lab in LABS]
    start = dt.date(year, 1, 1)
    last = dt.date(year, 12, 31) if today is None else min(dt.date(year, 12, 31), today)
    span = (last - start).days + 1
    for i in range(n):
        maker = makers[rng.randrange(len(makers))]
        channel = CHANNELS[rng.randrange(3)]
        if channel == "生产" and maker.region not in districts:
            channel = "流通"  # a factory outside the city is sampled in the city's shops
        sampled = start + dt.timedelta(days=rng.randrange(span))
        if channel == "生产":
            party, district = maker, maker.region
        else:
            party = shops[rng.randrange(len(shops))]
            district = party.region
        reported = min(sampled + dt.timedelta(days=rng.randrange(5, 25)), last)
        failed = rng.random() < fail_rate
        yield (
            f"{number_prefix}-{seed}-{i:08d}",
            categories[rng.randrange(len(categories))],
            f"样品{rng.randrange(500):03d}{mark}",
            f"型号{rng.randrange(100)}",
            sampled.isoformat(),
            party.name,
            party.uscc,
            maker.name,
            maker.uscc,
            maker.region,
            district,
            channel,
            sampled.isoformat(),
            labs[i % 2],
            "不合格" if failed else "合格",
            FAILED_ITEMS[rng.randrange(len(FAILED_ITEMS))] if failed else "",
            f"{number_prefix}-R-{seed}-{i:08d}",
            reported.isoformat(),
        )


def write_csv(out: TextIO, rows: Iterator[tuple[str, ...]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


# --- GENERATED enterprise names -------------------------------------------------------------

#: Characters of invented trade names (字号), the commonest first. Drawn with Zipf-like
#: weights, so that some 字号 recur often (as 宏达, 兴旺 … do in a real register) and most
#: are rare; a name search then meets both common and rare fragments.
TRADE_NAME_CHARACTERS = (
    "华兴达宏盛泰恒鑫源隆昌福瑞祥安康宁德信诚和永广新金丰利旺发通顺明光辉远大东西南北中"
    "天宇海山川江城国民佳美嘉雅博睿智创力荣富贵祺益众联合正长乐乾坤春秋龙凤鹏飞腾云星月"
    "阳晨旭日升平高峰林森茂青绿蓝红紫白银铭卓越群英杰俊豪迪凯威鸿运亨硕琪禾晟昊炜煜"
    "锦绣彩虹宝玉晶润泽涵洋波澜湘蜀渝巴岳黔滇桂粤闽浙苏皖鲁豫冀晋秦陇"
)
#: Words of the trade by GB/T 4754 industry code (the ones the generators use).
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "C13": ("农副食品", "粮油", "肉类加工", "饲料"),
    "C14": ("食品", "调味品", "火锅底料", "糕点"),
    "C15": ("酒业", "饮品", "茶业"),
    "C17": ("纺织", "棉纺", "丝绸"),
    "C18": ("服饰", "服装"),
    "C26": ("化工", "涂料", "化学"),
    "C27": ("药业", "制药", "生物医药"),
    "C33": ("金属制品", "五金", "门窗"),
    "C38": ("电器", "电气", "电机"),
    "C39": ("电子", "电子科技", "通信设备"),
    "F51": ("商贸", "贸易", "供应链"),
    "F52": ("超市", "百货", "日用品"),
}
#: Legal forms and how often they occur (weights).
LEGAL_FORMS = (
    ("有限公司", 60),
    ("有限责任公司", 15),
    ("股份有限公司", 5),
    ("厂", 8),
    ("经营部", 7),
)
#: Places a name starts with: Chongqing for the city's enterprises, else the region's city.
REGION_PLACES = {
    "510107": "成都",
    "440305": "深圳",
    "330106": "杭州",
    "320105": "南京",
    "110105": "北京",
    "420106": "武汉",
}
_CHAR_WEIGHTS = list(
    itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(TRADE_NAME_CHARACTERS)))
)
_FORM_NAMES = [form for form, _ in LEGAL_FORMS]
_FORM_WEIGHTS = list(itertools.accumulate(weight for _, weight in LEGAL_FORMS))


def enterprise_name(rng: random.Random, industry: str, region: str = "") -> str:
    """An invented enterprise name of the usual shape 行政区划 + 字号 + 行业 + 组织形式
    (企业名称登记管理规定), e.g. 重庆宏达金属制品有限公司, without any mark: callers append
    :data:`GENERATED_MARK`. ``region`` is a GB/T 2260 code; unknown regions and ``""`` are
    Chongqing."""
    place = REGION_PLACES.get(region, "重庆")
    if place == "重庆" and rng.random() < 0.2:
        place = "重庆市"
    length = 2 if rng.random() < 0.7 else 3
    trade = "".join(rng.choices(TRADE_NAME_CHARACTERS, cum_weights=_CHAR_WEIGHTS, k=length))
    words = INDUSTRY_WORDS.get(industry, ("实业",))
    word = words[rng.randrange(len(words))]
    form = rng.choices(_FORM_NAMES, cum_weights=_FORM_WEIGHTS)[0]
    if rng.random() < 0.1:
        return f"{trade}（{place}）{word}{form}"  # e.g. 宏达（重庆）电器有限公司
    return f"{place}{trade}{word}{form}"
