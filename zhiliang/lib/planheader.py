"""What a plan document says about itself: notice title, 文号, issuer, date and the plan's title.

A plan is often attached to a 通知 that 印发 it::

    XX市人民政府办公厅关于印发XX方案的通知      ← notice_title (may wrap over two lines)
    （X府办发〔2015〕101号）                  ← doc_number
    各区县人民政府…：现将《XX方案》印发给你们…   ← the quoted title
    XX市人民政府办公厅                        ← issuer (the line above the date)
    2015年6月30日                             ← issued_on
    XX方案                                    ← title; the body starts after it

Judgement calls: the title is the plan's own title line when there is one, else the title quoted
with 《》 in the notice, else the one inside 关于印发…的通知; the issuer is the signature line above
the date, else the organisation that starts the notice title. Dates and numbers are kept as
written – an inconsistency is a warning, not a correction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from zhiliang.lib.planlines import Line, cn_to_int, match_label

__all__ = ["Header", "read_header"]

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
_NOT_TITLE_RE = re.compile(r"[，。；：,;:！？]")
# 附件 before the attached plan, （此件公开发布）, and the masthead 国务院办公厅文件 of a 红头文件.
_SKIP_LINE_RE = re.compile(
    r"^(?:附件\s*\d*[:：]?|[（(]此件.{0,10}[）)]|[\u4e00-\u9fff（）()]{2,30}文件)$"
)


@dataclass
class Header:
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


def _find_doc_number(lines: list[Line]) -> tuple[int | None, str | None, int | None]:
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
        return cn_to_int(m.group(1)), cn_to_int(m.group(2)), cn_to_int(m.group(3))
    return None


def _find_date(lines: list[Line]) -> tuple[int | None, str | None, str | None]:
    """The first stand-alone date line: (position, ISO date or None, warning or None)."""
    for pos, line in enumerate(lines):
        ymd = _parse_date(line.text)
        if ymd:
            try:
                return pos, dt.date(*ymd).isoformat(), None
            except ValueError:
                return pos, None, f"发文日期无效：{line.text}"
    return None, None, None


def _title_block(lines: list[Line], start: int, skip: set[int]) -> tuple[str | None, int]:
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
        if match_label(line.text) or _NOT_TITLE_RE.search(line.text) or len(line.text) > 60:
            break
        parts.append(line.text)
        pos += 1
    return ("".join(parts) or None), pos


def read_header(lines: list[Line]) -> Header:
    """Notice title, number, issuer, date, the plan's own title and where its body starts."""
    head = Header()
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
    if date_pos is not None and any(match_label(line.text) for line in after_date):
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
