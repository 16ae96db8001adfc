"""Parser for Chinese government plan documents (工作方案、行动计划、工作要点).

A plain-text plan – bare, or attached to a 通知 that 印发 it – becomes a JSON-ready dict::

    {"title", "notice_title", "doc_number", "issuer", "issued_on",
     "items", "closing", "warnings"}

Each item is ``{"label", "number", "title", "text", "departments", "lead",
"open_ended", "targets", "children"}``. Conventions:

* ``label`` is the numbering as written (一、 （一） 1． (1) 第一条); ``title`` and ``text``
  leave it out, so ``label + text`` is the item as written.
* ``departments`` are taken from the item's trailing responsibility parenthetical
  （市质监局牵头，市工商局配合） or from 责任单位：/牵头单位： lines, in written order.
* Target comparators: ``<=`` after 以下/以内/不超过/控制在/降至…; ``=`` after 保持在/稳定在;
  otherwise ``>=`` – a plan's quantities (新增5000人, 改造81台, 90%以上) are minimums.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["PlanParseError", "decode_plan_bytes", "parse_plan", "read_plan_file"]


class PlanParseError(ValueError):
    """The file or text is not a readable plan; the message is in Chinese and English."""


# ---------------------------------------------------------------- reading bytes

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "PNG图片 / a PNG image"),
    (b"%PDF", "PDF文件 / a PDF file"),
    (b"PK\x03\x04", "ZIP压缩包或Word(.docx)文档 / a ZIP archive or .docx document"),
    (b"\xd0\xcf\x11\xe0", "旧版Word/Excel文档 / a legacy .doc/.xls document"),
    (b"\xff\xd8\xff", "JPEG图片 / a JPEG image"),
    (b"GIF8", "GIF图片 / a GIF image"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CJK_RE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")

ERR_EMPTY = "文件为空 / the file is empty"
ERR_BLANK = "文件只包含空白字符 / the file contains only whitespace"
ERR_BINARY = "文件是二进制文件（{what}），不是纯文本 / the file is binary ({what}), not plain text"
ERR_UTF16 = (
    "文件是UTF-16编码，请先转换为UTF-8：iconv -f UTF-16 -t UTF-8 原文件 > 新文件 / "
    "the file is UTF-16 encoded; convert it to UTF-8 first: iconv -f UTF-16 -t UTF-8 in.txt > out.txt"
)
ERR_GBK = (
    "文件不是UTF-8编码，很可能是GBK/GB18030；请先转换：iconv -f GB18030 -t UTF-8 原文件 > 新文件 / "
    "the file is not UTF-8, most likely GBK/GB18030; convert it first: "
    "iconv -f GB18030 -t UTF-8 in.txt > out.txt"
)
ERR_NOT_UTF8 = (
    "文件不是有效的UTF-8文本（第{offset}字节无法解码），可能是二进制文件或其他编码 / "
    "the file is not valid UTF-8 text (undecodable byte at offset {offset}); "
    "it may be binary or in another encoding"
)
ERR_NO_PLAN_SIGNS = (
    "有编号条目，但既无方案标题也无责任单位，不像是工作方案 / numbered lines found, but neither "
    "a plan title nor responsible units; this does not look like a plan document"
)
ERR_TEXT_EMPTY = "文本为空 / the text is empty"
ERR_NOT_PLAN = (
    "未找到编号条目（如“一、”“（一）”“1.”），不像是工作方案 / "
    "no numbered items found (一、 （一） 1.); this does not look like a plan document"
)


def _looks_like_text(text: str, min_cjk: float) -> bool:
    """True when ``text`` has no control characters and enough CJK characters."""
    chars = [c for c in text if not c.isspace()]
    if not chars or _CONTROL_RE.search(text):
        return False
    return sum(1 for c in chars if _CJK_RE.match(c)) / len(chars) >= min_cjk


def _is_utf16(data: bytes) -> bool:
    """UTF-16 with a BOM, or BOM-less UTF-16 that decodes to clean text."""
    if data.startswith(_UTF16_BOMS) and not data.startswith(b"\xff\xfe\x00\x00"):  # UTF-32
        return True
    if b"\x00" not in data or len(data) % 2:
        return False
    texts = [data.decode(enc, errors="replace") for enc in ("utf-16-le", "utf-16-be")]
    return any("\ufffd" not in text and _looks_like_text(text, min_cjk=0.0) for text in texts)


def decode_plan_bytes(data: bytes) -> str:
    """Decode an uploaded plan: UTF-8 (with or without BOM) only, never a silent GBK guess."""
    if not data:
        raise PlanParseError(ERR_EMPTY)
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise PlanParseError(ERR_BINARY.format(what=what))
    if _is_utf16(data):
        raise PlanParseError(ERR_UTF16)
    if b"\x00" in data:
        raise PlanParseError(ERR_BINARY.format(what="含NUL字节 / contains NUL bytes"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            gbk_ok = _looks_like_text(data.decode("gb18030"), min_cjk=0.3)
        except UnicodeDecodeError:
            gbk_ok = False
        if gbk_ok:
            raise PlanParseError(ERR_GBK) from None
        raise PlanParseError(ERR_NOT_UTF8.format(offset=exc.start)) from None
    if _CONTROL_RE.search(text):
        raise PlanParseError(ERR_BINARY.format(what="含控制字符 / contains control characters"))
    if not text.strip():
        raise PlanParseError(ERR_BLANK)
    return text


def read_plan_file(path: str | os.PathLike[str]) -> str:
    """Read a plan file as text (see :func:`decode_plan_bytes`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PlanParseError(
            f"无法读取文件 / cannot read file {path}: {exc.strerror or exc}"
        ) from exc
    return decode_plan_bytes(data)


# ---------------------------------------------------------------- lines and numerals

_CN_DIGITS = {
    ch: int(d) for ch, d in zip("〇零○Ｏ0一二两三四五六七八九", "000001223456789", strict=True)
}
_CN = "一二三四五六七八九十百零〇两"


def _cn_to_int(numeral: str) -> int:
    """Chinese numeral to int: 十九 → 19, 二十三 → 23, 一百零五 → 105, 二〇一六 → 2016."""
    if len(numeral) > 1 and all(ch in _CN_DIGITS for ch in numeral):
        return int("".join(str(_CN_DIGITS[ch]) for ch in numeral))
    total = current = 0
    for ch in numeral:
        if ch in "十百":
            total += (current or 1) * (10 if ch == "十" else 100)
            current = 0
        else:
            current = _CN_DIGITS[ch]
    return total + current


@dataclass(frozen=True)
class _Line:
    """A non-blank line, stripped, remembering the layout around it."""

    text: str
    blank_before: bool
    indented: bool


def _split_lines(text: str) -> list[_Line]:
    """Non-blank stripped lines; CRLF/CR, BOM, tabs and full-width spaces are handled."""
    out: list[_Line] = []
    blank = False
    for raw in text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = raw.strip()
        if not stripped:
            blank = True
            continue
        out.append(_Line(stripped, blank, raw[:1].isspace()))
        blank = False
    return out


_LABEL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(rf"^第([{_CN}]+)(?:章|部分)")),
    ("article", re.compile(rf"^第([{_CN}]+)条")),
    ("cn_dun", re.compile(rf"^([{_CN}]+)\s*、")),
    ("cn_paren", re.compile(rf"^[（(]\s*([{_CN}]+)\s*[）)]")),
    ("ar_paren", re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]")),
    ("ar_dot", re.compile(r"^(\d{1,3})\s*[.．、](?!\d)")),
)


@dataclass(frozen=True)
class _Label:
    kind: str
    label: str
    number: int
    rest: str


def _match_label(line: str) -> _Label | None:
    """The numbering at the start of ``line``, if any."""
    for kind, pattern in _LABEL_PATTERNS:
        m = pattern.match(line)
        if m:
            raw = m.group(1)
            number = int(raw) if raw.isdigit() else _cn_to_int(raw)
            return _Label(kind, m.group(0), number, line[m.end() :].strip())
    return None


# ---------------------------------------------------------------- header: numbers, dates, titles

_DOC_NO_RE = re.compile(
    r"^[（(]?\s*([\u4e00-\u9fff]{1,12}[〔［\[【(（]\s*(\d{4})\s*[〕］\]】)）]\s*第?\s*\d+\s*号)\s*[）)]?$"
)
_DATE_RE = re.compile(r"^[（(]?\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[）)]?$")
_CN_DATE_RE = re.compile(
    r"^[（(]?\s*([〇零○Ｏ0一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月"
    r"\s*([一二三四五六七八九十]{1,3})\s*日\s*[）)]?$"
)
_ORG_LINE_RE = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,40}(?:政府|办公厅|办公室|委员会|局|委|厅|办|部|院|会|中心|小组|指挥部)$"
)
_NOTICE_PLAN_RE = re.compile(r"关于(?:印发|转发|下发)《?(.+?)》?的通知$")
_NOTICE_ISSUER_RE = re.compile(r"^(.+?)关于")
_QUOTED_RE = re.compile(r"《([^《》]+)》")
_ISSUE_WORD_RE = re.compile(r"印发|转发|下发")
_PLAN_WORD_RE = re.compile(r"方案|计划|要点|意见|通知|办法|规划|纲要|措施|决定|细则|安排|任务|实施")
_NOT_TITLE_RE = re.compile(r"[，。；：,;:！？]")
_SKIP_LINE_RE = re.compile(r"^(?:附件\s*\d*[:：]?|[（(]此件.{0,10}[）)])$")


def _find_doc_number(lines: list[_Line]) -> tuple[int | None, str | None, int | None]:
    """The document number standing on its own line near the top: (position, number, year)."""
    for pos, line in enumerate(lines[:8]):
        m = _DOC_NO_RE.match(line.text)
        if m:
            return pos, re.sub(r"\s+", "", m.group(1)), int(m.group(2))
    return None, None, None


def _parse_date(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a stand-alone date line, Arabic or Chinese numerals."""
    m = _DATE_RE.match(text)
    if m:
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    m = _CN_DATE_RE.match(text)
    if m:
        return _cn_to_int(m.group(1)), _cn_to_int(m.group(2)), _cn_to_int(m.group(3))
    return None


def _find_date(lines: list[_Line]) -> tuple[int | None, str | None, str | None]:
    """The first stand-alone date line: (position, ISO date or None, warning or None)."""
    for pos, line in enumerate(lines):
        ymd = _parse_date(line.text)
        if ymd:
            try:
                return pos, dt.date(*ymd).isoformat(), None
            except ValueError:
                return pos, None, f"发文日期无效：{line.text}"
    return None, None, None


def _title_block(lines: list[_Line], start: int, skip: set[int]) -> tuple[str | None, int]:
    """Join the consecutive short title lines from ``start``; return (title, next position)."""
    parts: list[str] = []
    pos = start
    while pos < len(lines):
        line = lines[pos]
        if pos in skip or (not parts and _SKIP_LINE_RE.match(line.text)):
            pos += 1
            continue
        if parts and (line.blank_before or len(parts) >= 3):
            break
        if _match_label(line.text) or _NOT_TITLE_RE.search(line.text) or len(line.text) > 60:
            break
        parts.append(line.text)
        pos += 1
    return ("".join(parts) or None), pos


# ---------------------------------------------------------------- responsible units

_UNIT_END_RE = re.compile(
    r"(?:局|委|办|厅|部|院|府|单位|会|中心|公司|集团|室|处|署|站|队|社|联|协|关|部门|机构|银行|支行|分行)$"
)
_CONNECTOR_RE = re.compile(
    r"负责(?![制人任])|牵头|配合|会同|协助|按职责|按职能|分工"
    r"|(?:牵头|责任|主责|配合|协办|参与|主办)(?:单位|部门)\s*[:：]"
)
_ROLE_PREFIX_RE = re.compile(
    r"^(?:主要)?(牵头|责任|主责|配合|协办|参与|主办)(?:单位|部门)\s*[:：]\s*"
)
_RESP_LABEL_RE = re.compile(
    r"(?:^|(?<=[\n。；;（(]))\s*(?:主要)?(?:牵头|责任|主责|配合|协办|参与|主办)(?:单位|部门)\s*[:：]"
)
_LEAD_ROLES = frozenset({"牵头", "主责", "主办"})
_UNIT_CLAUSE_RE = re.compile(r"[，,；;\n]")
_LIST_SEP_RE = re.compile(r"、|会同")
_CONJ_RE = re.compile(r"以及|和|及|与")
_LEADING_RE = re.compile(r"^(?:由|请)")
_TRAIL_CONN_RE = re.compile(
    r"(?:(?:按照?|根据)(?:各自)?(?:职责|职能)+(?:分工)?|分工|分别|共同|具体"
    r"|牵头|负责|配合|参与|协助|协同|落实|抓好)+$"
)
_TRAIL_OPEN_RE = re.compile(
    r"(?:等(?:其他)?(?:有关|相关)?(?:部门|单位)?|(?:会同|及|和|与|、)(?:其他)?(?:有关|相关)(?:部门|单位))$"
)
_OPEN_PIECES = frozenset(
    {"有关部门", "相关部门", "其他有关部门", "其他相关部门", "有关单位", "相关单位"}
)
_TRAIL_PUNCT = " \t\n。；;.，,"


def _strip_connectors(clause: str) -> tuple[str, bool]:
    """Remove 按职责分工负责/牵头/配合… and 等有关部门…; report whether the list is open-ended."""
    clause = _LEADING_RE.sub("", clause.strip())
    open_ended = False
    while True:
        new = _TRAIL_CONN_RE.sub("", clause)
        m = _TRAIL_OPEN_RE.search(new)
        if m:
            open_ended, new = True, new[: m.start()]
        if new == clause:
            return clause.strip(), open_ended
        clause = new


def _split_conj(part: str) -> list[str]:
    """Split on 和/及/与 only between two units (市人力资源和社会保障局 stays whole)."""
    out: list[str] = []
    start = 0
    for m in _CONJ_RE.finditer(part):
        left = part[start : m.start()]
        if m.start() > start and m.end() < len(part) and _UNIT_END_RE.search(left):
            out.append(left)
            start = m.end()
    out.append(part[start:])
    return out


def _split_pieces(clause: str) -> list[str]:
    """Unit names in a clause; 各区、县（市）人民政府 stays one unit."""
    pieces = [p.strip() for part in _LIST_SEP_RE.split(clause) for p in _split_conj(part)]
    merged: list[str] = []
    for piece in filter(None, pieces):
        if merged and piece.startswith("县") and not _UNIT_END_RE.search(merged[-1]):
            merged[-1] += "、" + piece
        else:
            merged.append(piece)
    return merged


def _parse_units(content: str) -> tuple[list[str], str | None, bool]:
    """(departments, lead, open_ended) named in a responsibility parenthetical or line."""
    units: list[str] = []
    leads: list[str] = []
    open_ended = False
    for raw_clause in _UNIT_CLAUSE_RE.split(content):
        clause = raw_clause.strip()
        role = _ROLE_PREFIX_RE.match(clause)
        is_lead = "牵头" in clause or (role is not None and role.group(1) in _LEAD_ROLES)
        if role:
            clause = clause[role.end() :]
        clause, clause_open = _strip_connectors(clause)
        open_ended |= clause_open
        for piece in _split_pieces(clause):
            if piece in _OPEN_PIECES:
                open_ended = True
                continue
            if piece not in units:
                units.append(piece)
            if is_lead:
                leads.append(piece)
    return units, (leads[0] if leads else None), open_ended


def _is_responsibility(content: str) -> bool:
    """Does a parenthetical/line name responsible units (not QC小组（质量管理小组）)?"""
    content = content.strip(_TRAIL_PUNCT)
    if not content or len(content) > 200 or "。" in content:
        return False
    units, _, open_ended = _parse_units(content)
    has_connector = bool(_CONNECTOR_RE.search(content))
    if not units:
        return open_ended and has_connector
    if has_connector:
        return any(_UNIT_END_RE.search(u) for u in units)
    return all(_UNIT_END_RE.search(u) for u in units)


def _matching_open(text: str) -> int | None:
    """Position of the bracket opening the group that closes at the end of ``text``."""
    depth = 0
    for pos in range(len(text) - 1, -1, -1):
        if text[pos] in "）)":
            depth += 1
        elif text[pos] in "（(":
            depth -= 1
            if depth == 0:
                return pos
    return None


def _is_unit_lines(lines: list[str]) -> bool:
    """责任单位 lines end the item: each further line is another role line or a wrapped list."""
    return all(
        _ROLE_PREFIX_RE.match(line.lstrip("（(")) or lines[pos - 1].endswith(("、", "，", ","))
        for pos, line in enumerate(lines[1:], 1)
    )


def _split_responsibility(text: str) -> tuple[str, str | None]:
    """(text without the responsibility part, the responsibility content or None)."""
    stripped = text.rstrip(_TRAIL_PUNCT)
    if stripped.endswith(("）", ")")):
        start = _matching_open(stripped)
        if start is not None and _is_responsibility(stripped[start + 1 : -1]):
            return text[:start].rstrip(), stripped[start + 1 : -1]
    m = _RESP_LABEL_RE.search(text)
    if m and _is_unit_lines(text[m.start() :].strip().split("\n")):
        content = text[m.start() :].strip().rstrip(_TRAIL_PUNCT + "）)")
        if _is_responsibility(content):
            return text[: m.start()].rstrip().rstrip("（("), content
    return text, None


# ---------------------------------------------------------------- quantified targets

_NORM_TABLE = str.maketrans("０１２３４５６７８９％．＋－～／", "0123456789%.+-~/")
# Numbers in these units are dates, durations, ordinals or categories (第43届, 1类), not goals.
_SKIP_UNITS_TEXT = "年 月 个月 日 天 周 小时 分钟 秒 届 号 类 级 星级 岁 时"
_COUNT_UNITS_TEXT = (
    "个百分点 百分点 % ‰ 人次 人 户 家 项 个 台套 台 套 件 批次 批 次 起 宗 条 场 期 辆 艘 名 位 份 种 处 "
    "所 座 栋 村 亩 公顷 平方公里 平方米 公里 千米 米 吨 蒸吨 千瓦时 千瓦 兆瓦 立方米 微克/立方米 元 美元 "
    "部 本 篇 张 床 间 支 块 株 头 只 棵 倍 分 门 节"
)
_SKIP_UNITS = frozenset(_SKIP_UNITS_TEXT.split())
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
_CUE_RE = re.compile(
    r"(?P<le>不超过|不高于|不多于|控制在|降低到|降低至|降到|降至|下降到|下降至|减少到|减少至"
    r"|压减到|压减至|压缩到|压缩至|低于|少于|小于)"
    r"|(?P<ge>不低于|不少于|至少|超过|突破|高于|大于)|(?P<eq>保持在|稳定在|维持在)"
)


def _comparator(clause: str, m: re.Match[str]) -> str:
    """>=, <= or = for the quantity matched by ``m`` (see the module docstring)."""
    after = clause[m.end() :]
    if _AFTER_GE_RE.match(after):
        return ">="
    if _AFTER_LE_RE.match(after):
        return "<="
    cues = list(_CUE_RE.finditer(clause[: m.start()]))
    if cues and cues[-1].lastgroup == "le":
        return "<="
    if cues and cues[-1].lastgroup == "eq":
        return "="
    return ">="


def _value(m: re.Match[str]) -> int | float:
    """The quantity with 万/亿 applied: 1.5万 → 15000."""
    value = Decimal(m.group(1)) * _MULTIPLIERS.get(m.group(2) or "", Decimal(1))
    return int(value) if value == value.to_integral_value() else float(value)


def _find_targets(body: str) -> list[dict[str, Any]]:
    """Quantified goals in ``body``; each ``text`` is the smallest clause holding the number."""
    norm = body.translate(_NORM_TABLE)
    targets: list[dict[str, Any]] = []
    for span in _TARGET_CLAUSE_RE.finditer(norm):
        clause = span.group(0)
        hits = [
            m
            for m in _QTY_RE.finditer(clause)
            if m.group(3) not in _SKIP_UNITS and not _QUALIFIER_RE.match(clause[m.end() :])
        ]
        seg_start = 0
        for m in hits:
            seg_end = len(clause)
            if len(hits) > 1:  # 合格率达到90%以上、…达到94%以上: one 、-segment per number
                found = clause.find("、", m.end())
                seg_end = found if found >= 0 else len(clause)
            text = body[span.start() + seg_start : span.start() + seg_end].strip()
            unit, comparator = m.group(3), _comparator(clause, m)
            targets.append(dict(text=text, value=_value(m), unit=unit, comparator=comparator))
            seg_start = seg_end + 1
    return targets


# ---------------------------------------------------------------- the item tree

_SENTENCE_END = ("。", "；", "！", "？", "：", "）", ")")
_HEADING_PUNCT_RE = re.compile(r"[，；,;]")
_CLOSING_RE = re.compile(
    r"^(?:各(?:区|县|市|地|级|部门|有关|单位|乡镇)|本(?:方案|计划|要点|意见|办法)|附件)"
)


@dataclass
class _Node:
    kind: str
    label: str
    number: int
    lines: list[_Line]
    children: list[_Node] = field(default_factory=list)


def _is_heading(first: str, following: _Line) -> bool:
    """一、总体目标 on its own line, followed by its intro paragraph (not a wrapped sentence)."""
    if "。" in first or len(first) > 30:
        return False
    return following.indented or not _HEADING_PUNCT_RE.search(first)


def _join(lines: list[_Line]) -> str:
    """Join an item's lines: wrapped lines run on, new paragraphs and 责任单位 lines get a newline."""
    out = ""
    for pos, line in enumerate(lines):
        if pos and (
            line.blank_before
            or _RESP_LABEL_RE.match(line.text)
            or (line.indented and out.endswith(_SENTENCE_END))
            or (pos == 1 and _is_heading(out, line))
        ):
            out += "\n"
        out += line.text
    return out


def _closing_cut(lines: list[_Line]) -> int | None:
    """Where the closing paragraph starts inside the last item's lines, if it does."""
    for pos in range(len(lines) - 1, max(-1, len(lines) - 200), -1):  # bounded: no O(n²)
        text, before = lines[pos].text, lines[pos - 1].text if pos else ""
        maybe = text.rstrip(_TRAIL_PUNCT).endswith(("）", ")")) or _CONNECTOR_RE.search(text)
        if not (maybe or before.endswith(("、", "，", ","))):
            continue
        if _split_responsibility(_join(lines[: pos + 1]))[1] is not None:
            return pos + 1 if pos + 1 < len(lines) else None
    for pos in range(1, len(lines)):
        line = lines[pos]
        if (line.blank_before or line.indented) and _CLOSING_RE.match(line.text):
            return pos
    return None


def _build_tree(lines: list[_Line]) -> tuple[list[_Node], str | None]:
    """Numbered lines become nodes; depth follows the order in which numbering styles appear."""
    roots: list[_Node] = []
    stack: list[_Node] = []
    for line in lines:
        label = _match_label(line.text)
        if label is None:
            if stack:  # text before the first item is the preamble and is dropped
                stack[-1].lines.append(line)
            continue
        for depth, open_node in enumerate(stack):
            if open_node.kind == label.kind:
                del stack[depth:]
                break
        node = _Node(label.kind, label.label, label.number, [replace(line, text=label.rest)])
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    closing = None
    if stack:
        cut = _closing_cut(stack[-1].lines)
        if cut is not None:
            closing = _join(stack[-1].lines[cut:])
            del stack[-1].lines[cut:]
    return roots, closing


def _item_title(text: str) -> str:
    """First sentence of the item's first line, without 。 or a responsibility parenthetical."""
    first = text.split("\n", 1)[0]
    first = first.split("。", 1)[0] if "。" in first else _split_responsibility(first)[0]
    return first.strip().rstrip("，,；;：:。 ")


def _node_dict(node: _Node) -> dict[str, Any]:
    """The JSON shape of one node and its children."""
    text = _join(node.lines)
    body, resp = _split_responsibility(text)
    departments, lead, open_ended = _parse_units(resp) if resp else ([], None, False)
    return {
        "label": node.label,
        "number": node.number,
        "title": _item_title(text),
        "text": text,
        "departments": departments,
        "lead": lead,
        "open_ended": open_ended,
        "targets": _find_targets(body),
        "children": [_node_dict(child) for child in node.children],
    }


# ---------------------------------------------------------------- warnings


def _numbering_warnings(roots: list[_Node]) -> list[str]:
    """Gaps and duplicates; a run may restart at 1 or continue from the previous group."""
    warnings: list[str] = []
    last_of_kind: dict[str, _Node] = {}

    def visit(siblings: list[_Node]) -> None:
        prev: _Node | None = None
        for node in siblings:
            before = prev if prev is not None and prev.kind == node.kind else None
            if before is None:
                last = last_of_kind.get(node.kind)
                allowed = {1} if last is None else {1, last.number + 1}
                if node.number not in allowed:
                    before = last
                    if last is None:
                        warnings.append(f"编号不连续：第一个条目是{node.label}")
            if before is not None and node.number != before.number + 1:
                step = node.number - before.number
                problem = "重复" if step == 0 else "倒序" if step < 0 else "不连续"
                warnings.append(f"编号{problem}：{before.label}之后是{node.label}")
            last_of_kind[node.kind] = prev = node
            visit(node.children)

    visit(roots)
    return warnings


def _has_units(node: dict[str, Any]) -> bool:
    return bool(node["departments"]) or bool(node["open_ended"])


def _depth(items: list[dict[str, Any]]) -> int:
    return max((1 + _depth(item["children"]) for item in items), default=0)


def _unit_warnings(items: list[dict[str, Any]]) -> list[str]:
    """Leaf measures without a responsible unit of their own or of an ancestor."""
    if not any(_has_units(node) for node in _walk_dicts(items)):
        return ["全文未标注责任单位"]
    max_depth = _depth(items) - 1
    found: list[str] = []

    def walk(nodes: list[dict[str, Any]], depth: int, path: str, covered: bool) -> None:
        for node in nodes:
            has = _has_units(node)
            here = path + node["label"]
            is_measure = not node["children"] and (depth >= 1 or depth == max_depth)
            if is_measure and not (has or covered):
                found.append(f"{here}未标注责任单位")
            walk(node["children"], depth + 1, here, covered or has)

    walk(items, 0, "", False)
    return found


# ---------------------------------------------------------------- the document


@dataclass
class _Header:
    """What the document says about itself before (or after) the items."""

    title: str | None = None
    notice_title: str | None = None
    doc_number: str | None = None
    doc_year: int | None = None
    issuer: str | None = None
    issued_on: str | None = None
    body_start: int = 0
    skip: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def _read_header(lines: list[_Line]) -> _Header:
    """Notice title, number, issuer, date, the plan's own title and where its body starts."""
    head = _Header()
    doc_pos, head.doc_number, head.doc_year = _find_doc_number(lines)
    date_pos, head.issued_on, date_warning = _find_date(lines)
    head.warnings += [date_warning] if date_warning else []
    head.skip = {pos for pos in (doc_pos, date_pos) if pos is not None}
    if date_pos and date_pos > 1 and _ORG_LINE_RE.match(lines[date_pos - 1].text):
        head.issuer = lines[date_pos - 1].text  # the signature above the date
        head.skip.add(date_pos - 1)
    head_title, head_end = _title_block(lines, 0, head.skip)
    head.body_start = head_end
    if not (head_title and head_title.endswith("通知")):
        head.title = head_title
        return head
    head.notice_title = head_title
    plan_title = None
    after_date = lines[date_pos + 1 :] if date_pos is not None and date_pos >= head_end else []
    if date_pos is not None and any(_match_label(line.text) for line in after_date):
        plan_title, head.body_start = _title_block(lines, date_pos + 1, head.skip)
    quoted = None
    for line in lines[head_end : date_pos if date_pos is not None else head.body_start]:
        m = _QUOTED_RE.search(line.text)
        if m and _ISSUE_WORD_RE.search(line.text):
            quoted = m.group(1)
            break
    from_notice = _NOTICE_PLAN_RE.search(head_title)
    head.title = plan_title or quoted or (from_notice.group(1) if from_notice else head_title)
    if plan_title and quoted and re.sub(r"\s", "", plan_title) != re.sub(r"\s", "", quoted):
        head.warnings.append(f"通知中的方案名称《{quoted}》与方案标题“{plan_title}”不一致")
    issuer_in_title = _NOTICE_ISSUER_RE.match(head_title)
    if head.issuer is None and issuer_in_title and _ORG_LINE_RE.match(issuer_in_title.group(1)):
        head.issuer = issuer_in_title.group(1)
    return head


def parse_plan(text: str) -> dict[str, Any]:
    """Parse a plan document (see the module docstring for the result's shape).

    Raises :class:`PlanParseError` for empty text or text without numbered items.
    """
    lines = _split_lines(text)
    if not lines:
        raise PlanParseError(ERR_TEXT_EMPTY)
    head = _read_header(lines)
    body = [
        line for pos, line in enumerate(lines) if pos >= head.body_start and pos not in head.skip
    ]
    roots, closing = _build_tree(body)
    nodes = _walk(roots)
    if len(nodes) < 2 or not any(_CJK_RE.search(_join(node.lines)) for node in nodes):
        raise PlanParseError(ERR_NOT_PLAN)
    items = [_node_dict(node) for node in roots]
    has_units = any(_has_units(node) for node in _walk_dicts(items))
    if not has_units and not _PLAN_WORD_RE.search(head.title or ""):
        raise PlanParseError(ERR_NO_PLAN_SIGNS)
    warnings = list(head.warnings)
    if not head.title:
        warnings.append("未找到方案标题")
    if head.issued_on and head.doc_year and int(head.issued_on[:4]) < head.doc_year:
        warnings.append(f"发文日期{head.issued_on}早于文号年份{head.doc_year}")
    if head.doc_number and not head.issuer:
        warnings.append("有文号但未找到发文机关")
    warnings += _numbering_warnings(roots) + _unit_warnings(items)
    return {
        "title": head.title or "",
        "notice_title": head.notice_title,
        "doc_number": head.doc_number,
        "issuer": head.issuer,
        "issued_on": head.issued_on,
        "items": items,
        "closing": closing,
        "warnings": warnings,
    }


def _walk(nodes: list[_Node]) -> list[_Node]:
    """All nodes, depth first."""
    return [n for node in nodes for n in (node, *_walk(node.children))]


def _walk_dicts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All result nodes, depth first."""
    return [n for item in items for n in (item, *_walk_dicts(item["children"]))]
