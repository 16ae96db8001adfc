"""Parser for Chinese government plan documents (工作方案、行动计划、实施方案、工作要点).

A plain-text plan – bare, or attached to a 通知 that 印发 it – becomes a JSON-ready dict::

    {"title", "notice_title", "doc_number", "issuer", "issued_on",
     "items", "closing", "warnings"}

Each item is ``{"label", "number", "title", "text", "departments", "lead",
"open_ended", "targets", "children"}``; each target ``{"text", "value", "unit", "comparator"}``.

The work is split by sub-domain; each module's docstring records its judgement calls:

* :mod:`zhiliang.lib.plandecode` – bytes to text (UTF-8 only, clear refusals);
* :mod:`zhiliang.lib.planlines` – lines, numbering styles, Chinese numerals;
* :mod:`zhiliang.lib.planheader` – notice title, 文号, issuer, date, plan title;
* :mod:`zhiliang.lib.planunits` – departments, lead and open_ended from the responsibility part;
* :mod:`zhiliang.lib.plantargets` – quantified targets and their comparators;
* this module – the item tree, the closing paragraph, annexes and warnings.

Conventions of the tree:

* ``label`` is the numbering as written (一、 （一） 1． (1) 第一条); ``title`` and ``text``
  leave it out, so ``label + text`` is the item as written. ``title`` is the item's first
  sentence without a responsibility part.
* Depth follows the order in which numbering styles first appear, so 一、/（一）/1． and
  1./（1） plans both nest correctly; text before the first item (the preamble) is dropped.
* The closing paragraph (各区县要…) is split off the last item after its responsibility part;
  a 完成时限：… line right after the last item's 责任单位 line stays in the item. A paragraph of
  its own that starts like a closing (各…/本方案…) is the closing even when it reads like a unit
  sentence (各区县人民政府负责组织实施。), unless it ends in a bracketed unit group.
* An annex after the items (附件 / 附件1 / 附表, e.g. a 任务分解表 typed as lines) is not parsed:
  its rows would otherwise become items of the last measure. A warning names it.
* Warnings are hints for the person importing the plan: numbering gaps and duplicates, measures
  without a responsible unit, a date before the 文号's year, an annex left unread. Items under
  sections such as 总体要求/指导思想/主要目标/保障措施/工作要求 are not measures and are not
  warned about when they name no unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from zhiliang.lib.plandecode import CJK_RE, decode_plan_bytes, read_plan_file
from zhiliang.lib.planerrors import (
    ERR_NO_PLAN_SIGNS,
    ERR_NOT_PLAN,
    ERR_TEXT_EMPTY,
    PlanParseError,
)
from zhiliang.lib.planheader import read_header
from zhiliang.lib.planlines import Line, match_label, split_lines
from zhiliang.lib.plantargets import find_targets
from zhiliang.lib.planunits import (
    is_unit_label_line,
    might_hold_responsibility,
    parse_units,
    split_responsibility,
)

__all__ = ["PlanParseError", "decode_plan_bytes", "parse_plan", "read_plan_file"]

_PLAN_WORD_RE = re.compile(r"方案|计划|要点|意见|通知|办法|规划|纲要|措施|决定|细则|安排|任务|实施")
_SENTENCE_END = ("。", "；", "！", "？", "：", "）", ")")
_HEADING_PUNCT_RE = re.compile(r"[，；,;]")
_CLOSING_RE = re.compile(
    r"^(?:各(?:区|县|市|地|级|部门|有关|单位|乡镇|镇|街道)|本(?:方案|计划|要点|意见|办法)|附件)"
)
_ANNEX_RE = re.compile(r"^(?:附件|附表)\s*[0-9０-９一二三四五六七八九十]*\s*(?:[:：]\s*([^。]*))?$")
_ANNEX_TITLE_RE = re.compile(r"^[^，。；：,;:！？\s]{2,40}$")
# Sections that state aims or arrangements rather than measures carried out by a unit.
_NOT_MEASURES_RE = re.compile(
    r"^(?:总体要求|指导思想|基本原则|工作原则|(?:总体|主要|工作|发展|预期|具体)?目标(?:任务)?"
    r"|保障措施|组织保障|组织实施|工作要求|实施步骤|工作步骤|进度安排|时间安排|工作安排)$"
)


@dataclass
class _Node:
    kind: str
    label: str
    number: int
    lines: list[Line]
    children: list[_Node] = field(default_factory=list)


def _is_heading(first: str, following: Line) -> bool:
    """一、总体目标 on its own line, followed by its intro paragraph (not a wrapped sentence)."""
    if "。" in first or len(first) > 30:
        return False
    return following.indented or not _HEADING_PUNCT_RE.search(first)


def _join(lines: list[Line]) -> str:
    """Join an item's lines: wrapped lines run on, new paragraphs and 责任单位 lines get a newline."""
    out = ""
    for pos, line in enumerate(lines):
        if pos and (
            line.blank_before
            or is_unit_label_line(line.text)
            or (line.indented and out.endswith(_SENTENCE_END))
            or (pos == 1 and _is_heading(out, line))
        ):
            out += "\n"
        out += line.text
    return out


def _opens_closing(lines: list[Line], pos: int) -> bool:
    """A paragraph of its own that reads like a closing: 各区县要… / 本方案…."""
    line, before = lines[pos], lines[pos - 1].text if pos else ""
    return (
        (line.blank_before or line.indented)
        and not before.endswith(("、", "，", ","))
        and bool(_CLOSING_RE.match(line.text))
    )


def _closing_cut(lines: list[Line]) -> int | None:
    """Where the closing paragraph starts inside the last item's lines, if it does."""
    for pos in range(len(lines) - 1, max(-1, len(lines) - 200), -1):  # bounded: no O(n²)
        text, before = lines[pos].text, lines[pos - 1].text if pos else ""
        if _opens_closing(lines, pos) and not text.rstrip(" 。；;").endswith(("）", ")", "】")):
            continue  # 各区县人民政府负责组织实施。 closes the plan; it is not the last item's unit
        if not (
            might_hold_responsibility(text)
            or is_unit_label_line(text)  # 完成时限：… after the 责任单位 line stays in the item
            or before.endswith(("、", "，", ","))
        ):
            continue
        if split_responsibility(_join(lines[: pos + 1]))[1] is not None:
            return pos + 1 if pos + 1 < len(lines) else None
    for pos in range(1, len(lines)):
        if _opens_closing(lines, pos):
            return pos
    return None


def _split_annex(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """(the lines before an annex that follows the items, the annexes' names)."""
    seen_item = False
    for pos, line in enumerate(lines):
        if not seen_item:
            seen_item = match_label(line.text) is not None
            continue
        if _ANNEX_RE.match(line.text):
            return lines[:pos], _annex_names(lines[pos:])
    return lines, []


def _annex_names(lines: list[Line]) -> list[str]:
    """附件：任务分解表 / 附件1 + 任务分解表 on the next line; 附件 alone when unnamed."""
    names: list[str] = []
    for pos, line in enumerate(lines):
        m = _ANNEX_RE.match(line.text)
        if not m:
            continue
        name = (m.group(1) or "").strip()
        following = lines[pos + 1].text if pos + 1 < len(lines) else ""
        if not name and _ANNEX_TITLE_RE.match(following) and not _ANNEX_RE.match(following):
            name = following
        names.append(name)
    return names


def _build_tree(lines: list[Line]) -> tuple[list[_Node], str | None]:
    """Numbered lines become nodes; depth follows the order in which numbering styles appear."""
    roots: list[_Node] = []
    stack: list[_Node] = []
    for line in lines:
        label = match_label(line.text)
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
    """First sentence of the item's first line, without 。 or a responsibility part."""
    first = text.split("\n", 1)[0]
    first = first.split("。", 1)[0] if "。" in first else split_responsibility(first)[0]
    return first.strip().rstrip("，,；;：:。 ")


def _node_dict(node: _Node) -> dict[str, Any]:
    """The JSON shape of one node and its children."""
    text = _join(node.lines)
    body, resp = split_responsibility(text)
    departments, lead, open_ended = parse_units(resp) if resp else ([], None, False)
    return {
        "label": node.label,
        "number": node.number,
        "title": _item_title(text),
        "text": text,
        "departments": departments,
        "lead": lead,
        "open_ended": open_ended,
        "targets": find_targets(body),
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
            exempt = covered or has or bool(_NOT_MEASURES_RE.match(node["title"]))
            is_measure = not node["children"] and (depth >= 1 or depth == max_depth)
            if is_measure and not exempt:
                found.append(f"{here}未标注责任单位")
            walk(node["children"], depth + 1, here, exempt)

    walk(items, 0, "", False)
    return found


def _annex_warnings(names: list[str]) -> list[str]:
    return [f"附件“{name}”未解析" if name else "附件未解析" for name in names]


# ---------------------------------------------------------------- the document


def parse_plan(text: str) -> dict[str, Any]:
    """Parse a plan document (see the module docstring for the result's shape).

    Raises :class:`PlanParseError` for empty text or text without numbered items.
    """
    lines = split_lines(text)
    if not lines:
        raise PlanParseError(ERR_TEXT_EMPTY)
    head = read_header(lines)
    body = [
        line for pos, line in enumerate(lines) if pos >= head.body_start and pos not in head.skip
    ]
    body, annexes = _split_annex(body)
    roots, closing = _build_tree(body)
    nodes = _walk(roots)
    if len(nodes) < 2 or not any(CJK_RE.search(_join(node.lines)) for node in nodes):
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
    warnings += _numbering_warnings(roots) + _unit_warnings(items) + _annex_warnings(annexes)
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
