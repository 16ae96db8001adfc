"""Responsible units of a plan item: departments, the lead unit and whether the list is open.

A measure names who carries it out in one of five ways, all read here:

* a trailing parenthetical: （市质监局牵头，市工商局、市商委配合）,
  （质检总局、发展改革委、工业和信息化部等按职责分工负责）, （各区县（自治县）人民政府负责）,
  also in 【】, and also when a time note follows it: （市质监局负责）（2016年底前完成）;
* 责任单位：/牵头单位：/配合单位： lines (or a parenthetical holding them), where a unit may be
  marked 省质监局（牵头）, and further lines such as 完成时限：2016年12月底前 are skipped;
* a closing clause or sentence starting with 由: …，由市质监局负责。 / 此项工作由市质监局牵头，
  市住建委配合。 Only accepted when every name in it is a unit name (ends in 局/委/办/府…, or is
  各镇街/各街道), so …，由企业自主选择。 stays part of the text;
* a closing sentence without 由 and without brackets: 。市质监局负责。 / 。市卫生计生委会同有关部门
  负责。 / 。市质监局牵头，会同市发改委、市工商局等有关部门负责。 / 。市工商局牵头，市公安局配合。
  It must be a whole sentence (after 。；！？ or a line break, never after a comma), hold a
  connector (负责/牵头/配合/会同…), and every name in it must pass the same unit-name test as
  由…; in addition no name may hold a word of a sentence (加强/积极/落实/的/由…, or start with
  与/对/在/将/要…). So 企业负责落实主体责任。, 各地要加强领导，主要负责同志亲自抓。,
  加强与市公安局配合。 and 经费由市财政局负责。 stay part of the text;
* nothing – the item then has no departments (and the parser warns, see planparse).

Judgement calls:

* ``lead`` is the first unit marked 牵头/主责/主办 (by 牵头单位：, …牵头, or …（牵头）); a clause
  such as 市质监局、市工商局牵头 marks both, and ``lead`` is the first of them. 责任单位： names
  the lead only when the same block also has 配合单位：/协办单位：/参与单位： (责任 vs 配合);
  alone it lists equals and there is no lead.
* Time notes inside the responsibility part (2016年12月底前完成, 完成时限：…, 长期坚持) are not
  units and are skipped.
* Generic groups – 有关部门, 各有关部门, 省直有关部门, 区级有关部门, 国务院有关部门, 等 … – are not
  departments; they set ``open_ended``. Named groups such as 市质量工作部门联席会议成员单位 or
  各区县（自治县）人民政府 are departments, kept whole, nested parentheses included.
* The sentence form trusts the unit-name test: 行业协会配合。 or 项目建设单位负责。 name
  行业协会 / 项目建设单位 as departments, exactly as 由行业协会配合。 would.
* Names are kept as written (市质监局, 质检总局, 区市场监管局); mapping them to organisations is
  the caller's business.
"""

from __future__ import annotations

import re

__all__ = [
    "is_unit_label_line",
    "might_hold_responsibility",
    "parse_units",
    "split_responsibility",
]

_UNIT_END_RE = re.compile(
    r"(?:局|委|办|厅|部|院|府|单位|会|中心|公司|集团|室|处|署|站|队|社|联|协|关|部门|机构|银行|支行|分行)$"
)
# A district plan's grass-roots units: 各镇街, 各街道, 各乡镇, 各镇（街道）, 各村（社区）.
_GRASSROOTS_RE = re.compile(r"^各(?:镇街|街镇|乡镇|镇|乡|街道|村|社区|园区)+$")
_TRAILING_PAREN_RE = re.compile(r"[（(][^（）()]*[）)]$")
_ROLES = "牵头|责任|主责|配合|协办|参与|主办|承办|协同"
_CONNECTOR_RE = re.compile(
    r"负责(?![制人任])|牵头|配合|会同|协助|按职责|按职能|分工|组织实施|承担"
    rf"|(?:{_ROLES})(?:单位|部门)\s*[:：]"
)
_ROLE_PREFIX_RE = re.compile(rf"^(?:主要)?({_ROLES})(?:单位|部门)\s*[:：]\s*")
_RESP_LABEL_RE = re.compile(
    rf"(?:^|(?<=[\n。；;（(]))\s*(?:主要)?(?:{_ROLES})(?:单位|部门)\s*[:：]"
)
# 完成时限：2016年12月底前 – part of a task's 责任单位 block, but not a unit.
_DEADLINE_RE = re.compile(r"^(?:完成|办结)?(?:时限|时间)(?:要求)?\s*[:：]")
_LEAD_ROLES = frozenset({"牵头", "主责", "主办"})
_HELPER_ROLES = frozenset({"配合", "协办", "参与", "协同"})
# 2016年12月底前完成, 年底前, 长期坚持, 每季度: when, not who.
_TIME_CLAUSE_RE = re.compile(
    r"^(?:(?:于|在|从)?\d{4}\s*年|\d{1,2}\s*月|年底|年内|上半年|下半年|长期|持续|每年|每季度|每月)"
)
_LEAD_MARK_RE = re.compile(r"\s*[（(]\s*(?:牵头|主责|主办)(?:单位|部门)?\s*[）)]")
_UNIT_CLAUSE_RE = re.compile(
    rf"[，,；;\n]|\s+(?=(?:主要)?(?:{_ROLES})(?:单位|部门)\s*[:：]|(?:完成|办结)?(?:时限|时间)\s*[:：])"
)
_LIST_SEP_RE = re.compile(r"、|会同")
_CONJ_RE = re.compile(r"以及|和|及|与")
_LEADING_RE = re.compile(r"^(?:由|请)")
_TRAIL_CONN_RE = re.compile(
    r"(?:(?:按照?|根据|依据|依照|依)(?:各自)?(?:职责|职能)+(?:分工)?|分工|分别|分头|共同|具体"
    r"|牵头|负责|配合|参与|协助|协同|落实|抓好|组织实施|承担)+$"
)
# 有关部门, 各有关部门, 其他相关单位, 省直有关部门, 区级有关部门, 国务院有关部门, 有关部门和单位
_OPEN_GROUP = (
    r"(?:国务院|中央|[省市区县](?:直|级|政府)?)?(?:其他|各)*(?:有关|相关)(?:部门|单位)"
    r"(?:(?:和|及|与|、)(?:有关|相关)?(?:部门|单位))?"
)
_OPEN_PIECE_RE = re.compile(rf"^{_OPEN_GROUP}$")
_TRAIL_OPEN_RE = re.compile(
    rf"(?:等(?:其他)?(?:有关|相关)?(?:部门|单位)?|(?:^|会同|以及|及|和|与|、){_OPEN_GROUP})$"
)
# Where a closing 由… clause may start: after a comma or full stop, or 此项工作由….
_INLINE_START_RE = re.compile(
    r"(?<=[，,。；;\n])\s*(?:(?:此项|该项|本项|以上|上述|相关)(?:工作|任务)|具体工作)?(?=由)"
)
# Where a closing sentence without 由 may start: 。市质监局负责。 / ；市质监局牵头，市工商局配合。
_SENTENCE_START_RE = re.compile(r"(?<=[。；;！？!?\n])\s*")
# Words of a sentence, not of a unit's name: 加强与市公安局配合 ends in 局 but names no unit.
_SENTENCE_WORD_RE = re.compile(
    r"[的由]|加强|积极|主动|做好|推动|加快|建立|完善|开展|落实|督促|确保|切实|认真|及时|进一步"
    r"|充分|同志|^(?:与|和|及|同|对|向|在|将|把|要|应|请|并)"
)
_TRAIL_PUNCT = " \t\n。；;.，,"


def _is_unit_name(piece: str) -> bool:
    """市质监局, 各区县（自治县）人民政府, 各镇（街道）: looks like the name of a unit."""
    bare = _TRAILING_PAREN_RE.sub("", piece)
    return bool(
        _UNIT_END_RE.search(piece) or _UNIT_END_RE.search(bare) or _GRASSROOTS_RE.match(bare)
    )


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


def parse_units(content: str) -> tuple[list[str], str | None, bool]:
    """(departments, lead, open_ended) named in a responsibility parenthetical or line."""
    units: list[str] = []
    leads: list[str] = []
    open_ended = False
    clauses = [c.strip() for c in _UNIT_CLAUSE_RE.split(content)]
    roles = {m.group(1) for m in map(_ROLE_PREFIX_RE.match, clauses) if m}
    lead_roles = _LEAD_ROLES | ({"责任"} if roles & _HELPER_ROLES else set())
    for clause in clauses:
        if _DEADLINE_RE.match(clause) or _TIME_CLAUSE_RE.match(clause):
            continue
        role = _ROLE_PREFIX_RE.match(clause)
        if role:
            clause = clause[role.end() :]
        clause_lead = (role is not None and role.group(1) in lead_roles) or (
            "牵头" in _LEAD_MARK_RE.sub("", clause)
        )
        clause, clause_open = _strip_connectors(clause)
        open_ended |= clause_open
        for raw_piece in _split_pieces(clause):
            piece, marks = _LEAD_MARK_RE.subn("", raw_piece)
            piece = piece.strip()
            if not piece:
                continue
            if _OPEN_PIECE_RE.match(piece):
                open_ended = True
                continue
            if piece not in units:
                units.append(piece)
            if clause_lead or marks:
                leads.append(piece)
    return units, (leads[0] if leads else None), open_ended


def _is_responsibility(content: str) -> bool:
    """Does a parenthetical/line name responsible units (not QC小组（质量管理小组）)?"""
    content = content.strip(_TRAIL_PUNCT)
    if not content or len(content) > 200 or "。" in content:
        return False
    units, _, open_ended = parse_units(content)
    has_connector = bool(_CONNECTOR_RE.search(content))
    if not units:
        return open_ended and has_connector
    if has_connector:
        return any(_is_unit_name(u) for u in units)
    return all(_is_unit_name(u) for u in units)


def _is_inline_responsibility(content: str) -> bool:
    """由市质监局牵头，市工商局配合: a connector, and nothing but unit names."""
    content = content.strip(_TRAIL_PUNCT)
    if not content or len(content) > 120 or "。" in content:
        return False
    if not _CONNECTOR_RE.search(content):
        return False
    units, _, open_ended = parse_units(content)
    return bool(units or open_ended) and all(_is_unit_name(u) for u in units)


def _is_sentence_responsibility(content: str) -> bool:
    """市卫生计生委会同有关部门负责: the 由-less closing sentence, names and connectors only."""
    if not _is_inline_responsibility(content) or re.search(r"[！？!?]", content):
        return False
    units = parse_units(content.strip(_TRAIL_PUNCT))[0]
    return not any(_SENTENCE_WORD_RE.search(unit) for unit in units)


def _matching_open(text: str) -> int | None:
    """Position of the bracket opening the group that closes at the end of ``text``."""
    closer = text[-1:]
    opener, closers = ("【", "】") if closer == "】" else ("（(", "）)")
    depth = 0
    for pos in range(len(text) - 1, -1, -1):
        if text[pos] in closers:
            depth += 1
        elif text[pos] in opener:
            depth -= 1
            if depth == 0:
                return pos
    return None


def _trailing_group(text: str) -> tuple[int, str] | None:
    """The bracketed group at the end of ``text``: (start, content), nesting respected."""
    stripped = text.rstrip(_TRAIL_PUNCT)
    if not stripped.endswith(("）", ")", "】")):
        return None
    start = _matching_open(stripped)
    return None if start is None else (start, stripped[start + 1 : -1])


def _strip_unmatched_close(content: str) -> str:
    """（责任单位：市质监局） → 责任单位：市质监局, but 省质监局（牵头） keeps its bracket."""
    while content.endswith(("）", ")")) and _matching_open(content) is None:
        content = content[:-1].rstrip(_TRAIL_PUNCT)
    return content


def is_unit_label_line(text: str) -> bool:
    """A 责任单位：/牵头单位：… or 完成时限：… line: it starts a new line of the item's text."""
    return bool(_RESP_LABEL_RE.match(text) or _DEADLINE_RE.match(text))


def _is_unit_lines(lines: list[str]) -> bool:
    """责任单位 lines end the item: each further line is a role or deadline line, or wraps a list."""
    return all(
        _ROLE_PREFIX_RE.match(line.lstrip("（("))
        or _DEADLINE_RE.match(line)
        or lines[pos - 1].endswith(("、", "，", ","))
        for pos, line in enumerate(lines[1:], 1)
    )


def might_hold_responsibility(text: str) -> bool:
    """Cheap test: could a line end an item's responsibility part?"""
    ends_group = text.rstrip(_TRAIL_PUNCT).endswith(("）", ")", "】"))
    return ends_group or bool(_CONNECTOR_RE.search(text))


def split_responsibility(text: str) -> tuple[str, str | None]:
    """(text without the responsibility part, the responsibility content or None)."""
    stripped = text.rstrip(_TRAIL_PUNCT)
    end = len(stripped)
    for _ in range(2):  # the unit group, or a unit group followed by a time note
        group = _trailing_group(stripped[:end])
        if group is None:
            break
        start, content = group
        if _is_responsibility(content):
            return text[:start].rstrip(), content
        if not _TIME_CLAUSE_RE.match(content.strip()):
            break
        end = start
    m = _RESP_LABEL_RE.search(text)
    if m and _is_unit_lines(text[m.start() :].strip().split("\n")):
        content = _strip_unmatched_close(text[m.start() :].strip().rstrip(_TRAIL_PUNCT))
        if _is_responsibility(content):
            return text[: m.start()].rstrip().rstrip("（("), content
    for m in _INLINE_START_RE.finditer(stripped):
        content = stripped[m.end() :]
        if _is_inline_responsibility(content):
            return text[: m.start()].rstrip(), content
    for m in _SENTENCE_START_RE.finditer(stripped):
        content = stripped[m.end() :]
        if _is_sentence_responsibility(content):
            return text[: m.start()].rstrip(), content
    return text, None
