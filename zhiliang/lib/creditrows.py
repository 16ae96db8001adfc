"""Checking one row of a credit-record import (信用记录, ``zhiliang credit import FILE``).

:class:`RowValidator` turns a row of stripped strings (as
:class:`zhiliang.lib.tablestream.StreamTable` yields them) into a
:class:`CreditRow`, or reports every problem of the row as :class:`RowError`
values, at most one per field. Messages are Chinese templates in
:data:`MESSAGES`, marked for ``makemessages`` and translated by the caller.

The import is idempotent by (来源单位, 决定文书号), so a document number repeated in
the file for the same source is an error naming the row where it first appeared.
Dates follow :func:`zhiliang.lib.samplerows.parse_date` and its bounds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import NamedTuple

from zhiliang.lib import samplerows
from zhiliang.lib.creditrules import Kind
from zhiliang.lib.samplerows import EARLIEST_DATE, ROW_FIELD, check_date
from zhiliang.lib.tablestream import EXTRA_KEY as _EXTRA_KEY
from zhiliang.lib.tablestream import INEXACT_KEY as _INEXACT_KEY
from zhiliang.lib.uscc import UsccResult, validate_uscc

__all__ = [
    "EARLIEST_DATE",
    "FIELD_LABELS",
    "HEADERS",
    "KINDS",
    "MAX_LENGTHS",
    "MESSAGES",
    "REQUIRED_COLUMNS",
    "ROW_FIELD",
    "SUGGESTIONS",
    "CreditRow",
    "RowError",
    "RowValidator",
    "flag_of",
    "kind_of",
]


def gettext_noop(s: str) -> str:
    """Marks a string for ``makemessages``; the Django layer translates it."""
    return s


#: Field → its label, the first accepted header spelling.
FIELD_LABELS: dict[str, str] = {
    "uscc": gettext_noop("统一社会信用代码"),
    "name": gettext_noop("企业名称"),
    "kind": gettext_noop("记录类型"),
    "heavier": gettext_noop("较重处罚"),
    "document_no": gettext_noop("决定文书号"),
    "decided_on": gettext_noop("决定日期"),
    "source": gettext_noop("来源单位"),
    "summary": gettext_noop("摘要"),
    "published_on": gettext_noop("公示日期"),
}

#: Accepted header spelling → field. Each field's label and its English name are
#: accepted, plus a few variants that cannot mean anything else.
HEADERS: dict[str, str] = {
    **{label: name for name, label in FIELD_LABELS.items()},
    "企业统一社会信用代码": "uscc",
    "当事人统一社会信用代码": "uscc",
    "当事人名称": "name",
    "较重行政处罚": "heavier",
    "是否较重处罚": "heavier",
    "是否较重行政处罚": "heavier",
    "决定书文号": "document_no",
    "行政处罚决定书文号": "document_no",
    "作出决定日期": "decided_on",
    "处罚决定日期": "decided_on",
    "作出决定机关": "source",
    "决定机关": "source",
    **{name: name for name in FIELD_LABELS},
}

#: Fields whose column must be present; ``heavier``, ``summary`` and
#: ``published_on`` may be left out of the file (an absent 较重处罚 means 否).
REQUIRED_COLUMNS: frozenset[str] = frozenset(
    {"uscc", "name", "kind", "document_no", "decided_on", "source"}
)

#: Header spellings that probably mean a field; used only to suggest it in the header
#: error (each could mean something else, so none is accepted silently).
SUGGESTIONS: dict[str, str] = {
    "信用代码": "uscc",
    "社会信用代码": "uscc",
    "代码": "uscc",
    "名称": "name",
    "单位名称": "name",
    "类型": "kind",
    "信用记录类型": "kind",
    "文号": "document_no",
    "文书号": "document_no",
    "日期": "decided_on",
    "处罚日期": "decided_on",
    "处罚机关": "source",
    "部门": "source",
    "内容": "summary",
    "处罚内容": "summary",
    "公示时间": "published_on",
}

#: Longest accepted text per field (characters); the database columns match.
MAX_LENGTHS: dict[str, int] = {
    "name": 200,
    "document_no": 100,
    "source": 200,
    "summary": 1000,
}

#: Error code → Chinese message template (``%(name)s`` placeholders from ``params``).
MESSAGES: dict[str, str] = {
    "required": gettext_noop("此项必须填写"),
    "too_long": gettext_noop("内容过长：%(length)s个字符，最多%(max)s个字符"),
    "uscc_invalid": gettext_noop("统一社会信用代码“%(value)s”无效：%(reason)s"),
    "kind_unknown": gettext_noop(
        "记录类型“%(value)s”无法识别，应为“行政处罚”“监督抽查不合格”“不良信贷”“欠税欠费”"
        "“劳动仲裁”“司法判决”“失信被执行人”“召回”“事故”“经营异常名录”“表彰”或“品牌”"
    ),
    "heavier_unknown": gettext_noop("较重处罚“%(value)s”无法识别，应为“是”或“否”（空白为否）"),
    "heavier_not_penalty": gettext_noop(
        "只有行政处罚才有较重处罚，本行记录类型为“%(kind)s”，此项应为“否”或空白"
    ),
    "document_no_duplicate": gettext_noop(
        "来源单位“%(source)s”的决定文书号“%(value)s”与第%(line)s行重复"
    ),
    "date_format": gettext_noop(
        "日期“%(value)s”格式无法识别，应为 2024-03-15、2024/3/15、2024.3.15、20240315 或 2024年3月15日"
    ),
    "date_invalid": gettext_noop("日期“%(value)s”不存在，请检查月份和日"),
    "date_too_early": gettext_noop("日期 %(value)s 早于 %(earliest)s，请检查年份"),
    "decided_on_future": gettext_noop("决定日期 %(value)s 晚于今天 %(today)s"),
    "published_on_future": gettext_noop("公示日期 %(value)s 晚于今天 %(today)s"),
    "published_before_decided": gettext_noop("公示日期 %(value)s 早于决定日期 %(decided_on)s"),
    "inexact_number": gettext_noop(
        "单元格是数字格式，Excel 只保留15位有效数字，“%(value)s”已丢失末尾数字；"
        "请把此列设为“文本”格式后重新输入"
    ),
    "extra_cells": gettext_noop("表头以外的列中有内容：%(value)s（请删除，或为该列补上表头）"),
}


class RowError(samplerows.RowError):
    """:class:`zhiliang.lib.samplerows.RowError` whose ``code`` is a key of this
    module's :data:`MESSAGES`; code written for sample imports handles it unchanged."""

    __slots__ = ()

    def message(self, translate: Callable[[str], str] = gettext_noop) -> str:
        """The message, translated by ``translate`` (e.g. Django's ``gettext``)."""
        return translate(MESSAGES[self.code]) % self.params


class CreditRow(NamedTuple):
    """A checked row."""

    #: normalised (upper case) 统一社会信用代码
    uscc: str
    name: str
    kind: Kind
    #: a 较重行政处罚; only ever true for :attr:`Kind.PENALTY`
    heavier: bool
    document_no: str
    decided_on: dt.date
    #: the deciding unit as the file names it
    source: str
    summary: str
    published_on: dt.date | None


#: Accepted record-type spelling → kind; the :class:`Kind` values are added below and
#: every spelling also matches case-insensitively (see :func:`kind_of`).
KINDS: dict[str, Kind] = {
    "行政处罚": Kind.PENALTY,
    "监督抽查不合格": Kind.INSPECTION_FAILURE,
    "抽查不合格": Kind.INSPECTION_FAILURE,
    "不良信贷": Kind.BAD_LOAN,
    "欠税欠费": Kind.TAX_ARREARS,
    "劳动仲裁": Kind.LABOUR_AWARD,
    "劳动仲裁裁决": Kind.LABOUR_AWARD,
    "司法判决": Kind.JUDGMENT,
    "失信被执行人": Kind.DISHONEST_DEBTOR,
    "缺陷产品召回": Kind.RECALL,
    "召回": Kind.RECALL,
    "质量安全事故": Kind.ACCIDENT,
    "事故": Kind.ACCIDENT,
    "经营异常名录": Kind.ABNORMAL_OPERATION,
    "表彰": Kind.AWARD,
    "质量奖": Kind.AWARD,
    "表彰奖励": Kind.AWARD,
    "品牌": Kind.BRAND,
    "名牌": Kind.BRAND,
    "品牌认定": Kind.BRAND,
    **{kind.value: kind for kind in Kind},
}
_KINDS_FOLDED = {k.casefold(): v for k, v in KINDS.items()}

_FLAGS = {
    **dict.fromkeys(["是", "yes", "true", "1"], True),
    **dict.fromkeys(["否", "no", "false", "0"], False),
}

_NAME_MAX = MAX_LENGTHS["name"]
_DOCUMENT_NO_MAX = MAX_LENGTHS["document_no"]
_SOURCE_MAX = MAX_LENGTHS["source"]
_SUMMARY_MAX = MAX_LENGTHS["summary"]

#: Bound on the credit-code cache: a file repeats the same enterprises a lot.
_USCC_CACHE_SIZE = 100_000


def kind_of(raw: str) -> Kind | None:
    """The kind a record-type cell names (Chinese or English, any case), or ``None``."""
    found = KINDS.get(raw)
    if found is None:
        found = _KINDS_FOLDED.get(raw.casefold().replace("-", "_").replace(" ", "_"))
    return found


def flag_of(raw: str) -> bool | None:
    """是/否, yes/no, true/false, 1/0 (any case; empty is 否), or ``None``."""
    if not raw:
        return False
    found = _FLAGS.get(raw)
    return _FLAGS.get(raw.casefold()) if found is None else found


class RowValidator:
    """Validates the rows of one file; keep one instance per file.

    ``today`` bounds every date. The validator remembers each (source, document
    number) it has seen so a repeat names its first line.
    """

    def __init__(self, *, today: dt.date) -> None:
        self._today = today
        self._seen: dict[tuple[str, str], int] = {}
        self._uscc_cache: dict[str, UsccResult] = {}

    def check(
        self, line: int, values: Mapping[str, str]
    ) -> tuple[CreditRow | None, list[RowError]]:
        """The cleaned row, or ``None`` and every error found (at most one per field).

        ``values`` holds stripped strings; a missing key is an empty cell (an
        optional column that is absent). The reserved keys of
        :mod:`zhiliang.lib.tablestream` become errors: ``extra_cells`` (field
        :data:`ROW_FIELD`) and ``inexact_number`` on each inexact field, which
        then gets no other error.
        """
        errors: list[RowError] = []
        get = values.get

        uscc = self._uscc(get("uscc", ""), errors, line)
        name = _text(values, "name", _NAME_MAX, True, errors, line)

        raw_kind = get("kind", "")
        kind = kind_of(raw_kind) if raw_kind else None
        if kind is None:
            if raw_kind:
                errors.append(RowError(line, "kind", "kind_unknown", {"value": raw_kind}))
            else:
                errors.append(RowError(line, "kind", "required", {}))

        raw_heavier = get("heavier", "")
        heavier = flag_of(raw_heavier)
        if heavier is None:
            errors.append(RowError(line, "heavier", "heavier_unknown", {"value": raw_heavier}))
        elif heavier and kind is not None and kind != Kind.PENALTY:
            errors.append(RowError(line, "heavier", "heavier_not_penalty", {"kind": raw_kind}))

        document_no = _text(values, "document_no", _DOCUMENT_NO_MAX, True, errors, line)
        decided_on = self._date(values, "decided_on", True, errors, line)
        source = _text(values, "source", _SOURCE_MAX, True, errors, line)
        summary = _text(values, "summary", _SUMMARY_MAX, False, errors, line)

        published_on = self._date(values, "published_on", False, errors, line)
        if published_on is not None and decided_on is not None and published_on < decided_on:
            errors.append(
                RowError(
                    line,
                    "published_on",
                    "published_before_decided",
                    {"value": published_on.isoformat(), "decided_on": decided_on.isoformat()},
                )
            )

        if (
            document_no
            and len(document_no) <= _DOCUMENT_NO_MAX
            and source
            and len(source) <= _SOURCE_MAX
        ):
            first = self._seen.setdefault((source, document_no), line)
            if first != line:
                errors.append(
                    RowError(
                        line,
                        "document_no",
                        "document_no_duplicate",
                        {"value": document_no, "source": source, "line": str(first)},
                    )
                )

        if _EXTRA_KEY in values or _INEXACT_KEY in values:
            errors = _table_errors(line, values, errors)
        if errors or kind is None or heavier is None or decided_on is None:
            return None, errors
        return (
            CreditRow(
                uscc=uscc,
                name=name,
                kind=kind,
                heavier=heavier,
                document_no=document_no,
                decided_on=decided_on,
                source=source,
                summary=summary,
                published_on=published_on,
            ),
            errors,
        )

    def first_line_of(self, source: str, document_no: str) -> int | None:
        """The line where this file first had the document, if it has been seen."""
        return self._seen.get((source, document_no))

    def _uscc(self, text: str, errors: list[RowError], line: int) -> str:
        if not text:
            errors.append(RowError(line, "uscc", "required", {}))
            return text
        result = self._uscc_cache.get(text)
        if result is None:
            result = validate_uscc(text)
            if len(self._uscc_cache) >= _USCC_CACHE_SIZE:
                self._uscc_cache.clear()
            self._uscc_cache[text] = result
        if not result.valid:
            errors.append(
                RowError(line, "uscc", "uscc_invalid", {"value": text, "reason": result.reason})
            )
        return result.code

    def _date(
        self,
        values: Mapping[str, str],
        name: str,
        required: bool,
        errors: list[RowError],
        line: int,
    ) -> dt.date | None:
        """The date in ``values[name]`` if valid, else ``None`` and at most one error."""
        text = values.get(name, "")
        if not text:
            if required:
                errors.append(RowError(line, name, "required", {}))
            return None
        parsed, code, params = check_date(text, name, self._today)
        if parsed is None:
            errors.append(RowError(line, name, code, params))
        return parsed


def _text(
    values: Mapping[str, str],
    name: str,
    limit: int,
    required: bool,
    errors: list[RowError],
    line: int,
) -> str:
    text = values.get(name, "")
    if not text:
        if required:
            errors.append(RowError(line, name, "required", {}))
    elif len(text) > limit:
        errors.append(
            RowError(line, name, "too_long", {"length": str(len(text)), "max": str(limit)})
        )
    return text


def _table_errors(line: int, values: Mapping[str, str], errors: list[RowError]) -> list[RowError]:
    """Add the reader's findings; an inexact cell's other errors only repeat it."""
    found: list[RowError] = []
    extra = values.get(_EXTRA_KEY)
    if extra:
        found.append(RowError(line, ROW_FIELD, "extra_cells", {"value": extra}))
    inexact_text = values.get(_INEXACT_KEY)
    inexact = set(inexact_text.split(",")) if inexact_text else set()
    for name in sorted(inexact):
        found.append(RowError(line, name, "inexact_number", {"value": values.get(name, "")}))
    return found + [e for e in errors if e.field not in inexact]
