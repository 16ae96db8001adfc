"""Quantified targets in a plan item: 新增5000人, 合格率达到90%以上, 控制在5‰以内.

Each target is ``{"text", "value", "unit", "comparator"}``: ``text`` is the smallest clause that
holds the number (between ， 。 ； or 、 when a clause holds several numbers), ``value`` an int or
float with 万/亿/千 applied (1.5万吨 → 15000), ``unit`` as written after the number (个百分点, %,
‰, 家, 批次 …).

Judgement calls:

* Numbers need a unit and Arabic digits (full-width digits are read; 五千人 and unit-less ratios
  such as 万台死亡率控制在0.3以下 are not targets).
* Dates, durations, ordinals and categories are not targets: 2016年, 到2016年底, 3个月内, 第43届,
  1类 – their units are skipped; so are numbers after 第/每 and inside codes (96333, 6+1).
  5个工作日 is read as one duration unit ``个工作日`` (not 5 个).
* Exception: a duration in 天, 分钟, 小时 or 个工作日 right after a ceiling cue (不超过/不高于/
  低于/降至/降到/下降到/控制在/压缩至/缩短至…, nothing but spaces between) is a goal, ``<=``:
  平均住院日降至9天以下, 急救到达时间不超过30分钟, 办结时限不超过5个工作日. Without such a cue it
  stays a time frame (3天内完成整改, 在5个工作日内办结, 24小时值守), and floors on durations
  (不低于3天) or conditions (超过30天未办结的) are not read. 年/月/周/个月 are never goals.
* A size qualifier of the noun that follows is not a target: 20蒸吨及以上燃煤锅炉,
  5000万元以上企业. A share is, even before a noun: 推动80%以上规模以上工业企业… is 80 %.
* Comparator: ``>=`` when 以上/之上 follows; ``<=`` when 以下/以内/之内 follows; ``=`` when 左右
  follows. Otherwise the last cue before the number decides: ``<=`` after 不超过/控制在/降至/
  减少到…, ``=`` after 保持在/稳定在, ``>=`` after 不少于/突破/至少…. With no cue a plan's
  quantities are minimums (``>=``). The comparator applies to the quantity as written: 减少10%以上
  is a reduction of at least 10 % (``>=``), 减少到10%以下 a level of at most 10 % (``<=``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

__all__ = ["find_targets"]

_NORM_TABLE = str.maketrans("０１２３４５６７８９％．＋－～／", "0123456789%.+-~/")
# Numbers in these units are dates, durations, ordinals or categories (第43届, 1类), not goals.
_SKIP_UNITS_TEXT = "年 月 个月 日 个工作日 天 周 小时 分钟 秒 届 号 类 级 星级 岁 时"
# …unless a ceiling cue comes first: 平均住院日降至9天以下, 到达时间不超过30分钟.
_DURATION_UNITS = frozenset({"天", "分钟", "小时", "个工作日"})
_COUNT_UNITS_TEXT = (
    "个百分点 百分点 % ‰ 人次 人 户 家 项 个 台套 台 套 件 批次 批 次 起 宗 条 场 期 辆 艘 名 位 份 种 处 "
    "所 座 栋 村 亩 公顷 平方公里 平方米 公里 千米 米 吨 蒸吨 千瓦时 千瓦 兆瓦 立方米 微克/立方米 元 美元 "
    "部 本 篇 张 床 间 支 块 株 头 只 棵 倍 分 门 节"
)
_SKIP_UNITS = frozenset(_SKIP_UNITS_TEXT.split())
_SHARE_UNITS = frozenset({"%", "‰"})
_UNIT_ALT = "|".join(
    re.escape(u) for u in sorted({*_COUNT_UNITS_TEXT.split(), *_SKIP_UNITS}, key=len, reverse=True)
)
_QTY_RE = re.compile(
    rf"(?<![A-Za-z0-9.+\-~/第每])(\d+(?:\.\d+)?)(万|亿|千)?(?:余|多)?({_UNIT_ALT})"
)
_MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "千": Decimal(1_000)}
_TARGET_CLAUSE_RE = re.compile(r"[^，。；,;！？!?\n]+")
# 20蒸吨及以上燃煤锅炉: a size qualifier of the noun that follows, not a goal.
_QUALIFIER_RE = re.compile(r"(?:及|或)?(?:以上|以下)(?=[\u4e00-\u9fff])(?!的)")
_AFTER_GE_RE = re.compile(r"(?:及|或)?(?:以上|之上)")
_AFTER_LE_RE = re.compile(r"(?:及|或)?(?:以下|以内|之内)")
_AFTER_EQ_RE = re.compile(r"左右")
_LE_CUES = (
    "不超过|不高于|不多于|控制在|降低到|降低至|降到|降至|下降到|下降至|减少到|减少至"
    "|压减到|压减至|压缩到|压缩至|缩短到|缩短至|低于|少于|小于"
)
_CUE_RE = re.compile(
    rf"(?P<le>{_LE_CUES})"
    r"|(?P<ge>不低于|不少于|至少|超过|突破|高于|大于)|(?P<eq>保持在|稳定在|维持在)"
)
# A ceiling cue right before a duration's number: 降至9天, 不超过 30分钟.
_CEILING_BEFORE_RE = re.compile(rf"(?<!不)(?:{_LE_CUES})\s*$")
# ——制造业产品质量合格率…: list bullets are not part of the target's text.
_BULLET_RE = re.compile(r"^(?:——|—|--|-|·|•|●|○|■|□|▪)+\s*")


def _cue(clause: str, m: re.Match[str]) -> str | None:
    """The last comparator cue before the quantity: "le", "ge", "eq" or None."""
    cues = list(_CUE_RE.finditer(clause[: m.start()]))
    return cues[-1].lastgroup if cues else None


def _comparator(clause: str, m: re.Match[str]) -> str:
    """>=, <= or = for the quantity matched by ``m`` (see the module docstring)."""
    after = clause[m.end() :]
    if _AFTER_GE_RE.match(after):
        return ">="
    if _AFTER_LE_RE.match(after):
        return "<="
    if _AFTER_EQ_RE.match(after):
        return "="
    cue = _cue(clause, m)
    if cue == "le":
        return "<="
    if cue == "eq":
        return "="
    return ">="


def _value(m: re.Match[str]) -> int | float:
    """The quantity with 万/亿 applied: 1.5万 → 15000."""
    value = Decimal(m.group(1)) * _MULTIPLIERS.get(m.group(2) or "", Decimal(1))
    return int(value) if value == value.to_integral_value() else float(value)


def _is_target(clause: str, m: re.Match[str]) -> bool:
    """Not a date/ordinal unit, and not a size qualifier such as 20蒸吨及以上锅炉."""
    unit = m.group(3)
    if unit in _DURATION_UNITS and _CEILING_BEFORE_RE.search(clause[: m.start()]):
        return True  # 降至9天以下, 不超过30分钟: a ceiling on a duration is a goal
    if unit in _SKIP_UNITS:
        return False
    return unit in _SHARE_UNITS or not _QUALIFIER_RE.match(clause[m.end() :])


def find_targets(body: str) -> list[dict[str, Any]]:
    """Quantified goals in ``body``; each ``text`` is the smallest clause holding the number."""
    norm = body.translate(_NORM_TABLE)
    targets: list[dict[str, Any]] = []
    for span in _TARGET_CLAUSE_RE.finditer(norm):
        clause = span.group(0)
        hits = [m for m in _QTY_RE.finditer(clause) if _is_target(clause, m)]
        seg_start = 0
        for m in hits:
            seg_end = len(clause)
            if len(hits) > 1:  # 合格率达到90%以上、…达到94%以上: one 、-segment per number
                found = clause.find("、", m.end())
                seg_end = found if found >= 0 else len(clause)
            text = body[span.start() + seg_start : span.start() + seg_end].strip()
            text = _BULLET_RE.sub("", text)
            unit, comparator = m.group(3), _comparator(clause, m)
            targets.append(dict(text=text, value=_value(m), unit=unit, comparator=comparator))
            seg_start = seg_end + 1
    return targets
