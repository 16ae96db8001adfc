"""Checking one row of supervision sampling-inspection results (监督抽查结果).

:class:`RowValidator` turns a row of stripped strings (as
:class:`zhiliang.lib.tablestream.StreamTable` yields them) into a
:class:`SampleRow`, or reports every problem of the row as :class:`RowError`
values, at most one per field. Messages are Chinese templates in
:data:`MESSAGES`, marked for ``makemessages`` and translated by the caller.

The validator is pure and meant for files of a million rows: 5–10 µs a row on
a 2-core Xeon, the usual value accepted with one comparison and helpers called
only to explain a problem. It keeps a dict of the sample numbers seen (about
100 MB for 1M rows) so a repeated number names its first line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from zhiliang.lib.tablestream import EXTRA_KEY as _EXTRA_KEY
from zhiliang.lib.tablestream import INEXACT_KEY as _INEXACT_KEY
from zhiliang.lib.uscc import UsccResult, validate_uscc

__all__ = [
    "EARLIEST_DATE",
    "FIELD_LABELS",
    "HEADERS",
    "MAX_LENGTHS",
    "MESSAGES",
    "NO_PRODUCER",
    "REQUIRED_COLUMNS",
    "ROW_FIELD",
    "SUGGESTIONS",
    "RowError",
    "RowValidator",
    "SampleRow",
    "channel_of",
    "check_date",
    "conclusion_of",
    "parse_date",
    "role_of",
]


def gettext_noop(s: str) -> str:
    """Marks a string for ``makemessages``; the Django layer translates it."""
    return s


#: Field → its label, the first accepted header spelling.
FIELD_LABELS: dict[str, str] = {
    "sample_no": gettext_noop("抽样单编号"),
    "category": gettext_noop("产品类别"),
    "product_name": gettext_noop("产品名称"),
    "model": gettext_noop("规格型号"),
    "batch": gettext_noop("生产日期或批号"),
    "sampled_party_name": gettext_noop("被抽样单位"),
    "sampled_party_uscc": gettext_noop("被抽样单位统一社会信用代码"),
    "sampled_party_role": gettext_noop("被抽样单位类型"),
    "producer_name": gettext_noop("标称生产者"),
    "producer_uscc": gettext_noop("标称生产者统一社会信用代码"),
    "producer_region": gettext_noop("生产者所在地区代码"),
    "sampling_region": gettext_noop("抽样地区代码"),
    "channel": gettext_noop("抽样环节"),
    "sampled_on": gettext_noop("抽样日期"),
    "lab": gettext_noop("检验机构"),
    "conclusion": gettext_noop("检验结论"),
    "failed_items": gettext_noop("不合格项目"),
    "report_no": gettext_noop("报告编号"),
    "reported_on": gettext_noop("报告日期"),
}

#: Accepted header spelling → field. Each field's label and its English name are
#: accepted, plus a few variants that cannot mean anything else.
HEADERS: dict[str, str] = {
    **{label: name for name, label in FIELD_LABELS.items()},
    "抽样单号": "sample_no",
    "样品名称": "product_name",
    "生产日期/批号": "batch",
    "被抽样单位名称": "sampled_party_name",
    "标称生产者名称": "producer_name",
    "标称生产企业": "producer_name",
    "标称生产企业名称": "producer_name",
    "承检机构": "lab",
    "检验报告编号": "report_no",
    **{name: name for name in FIELD_LABELS},
}

#: Fields whose column must be present (the cell may still be empty where the
#: rules allow, e.g. the producer's code when the producer is unknown).
REQUIRED_COLUMNS: frozenset[str] = frozenset(
    {
        "sample_no",
        "category",
        "product_name",
        "sampled_party_name",
        "sampled_party_uscc",
        "producer_name",
        "producer_uscc",
        "producer_region",
        "sampling_region",
        "channel",
        "sampled_on",
        "conclusion",
    }
)

#: Header spellings seen in real files (e.g. the cqn.com.cn 2019 export) that
#: probably mean a field; used only to suggest it in the header error.
SUGGESTIONS: dict[str, str] = {
    "company_name": "producer_name",
    "producer": "producer_name",
    "sampled_unit": "sampled_party_name",
    "sample_name": "product_name",
    "product": "product_name",
    "specification_type": "model",
    "specification": "model",
    "production_date": "batch",
    "unqualified": "failed_items",
    "unqualified_items": "failed_items",
    "inspection_institution": "lab",
    "product_category": "category",
    "生产企业": "producer_name",
    "生产企业名称": "producer_name",
    "生产者": "producer_name",
    "生产者名称": "producer_name",
    "企业名称": "producer_name",
    "标称生产企业统一社会信用代码": "producer_uscc",
    "规格": "model",
    "型号": "model",
    "生产日期": "batch",
    "批号": "batch",
    "不合格项目（单项）": "failed_items",
    "抽检结论": "conclusion",
    "判定结论": "conclusion",
    "结论": "conclusion",
    "检验机构名称": "lab",
    "抽样时间": "sampled_on",
    "报告时间": "reported_on",
    "类别": "category",
    "食品类别": "category",
}

#: Longest accepted text per field (characters); the database columns match.
MAX_LENGTHS: dict[str, int] = {
    "sample_no": 40,
    "product_name": 200,
    "model": 100,
    "batch": 100,
    "sampled_party_name": 200,
    "producer_name": 200,
    "lab": 200,
    "report_no": 60,
    "failed_items": 1000,
}

#: Dates before this are typing errors (the sampling system starts later).
EARLIEST_DATE = dt.date(2000, 1, 1)

#: The ``field`` of an error about the row as a whole (cells outside the header).
ROW_FIELD = ""

#: Error code → Chinese message template (``%(name)s`` placeholders from ``params``).
MESSAGES: dict[str, str] = {
    "required": gettext_noop("此项必须填写"),
    "too_long": gettext_noop("内容过长：%(length)s个字符，最多%(max)s个字符"),
    "sample_no_whitespace": gettext_noop("抽样单编号“%(value)s”中含有空格"),
    "sample_no_duplicate": gettext_noop("抽样单编号“%(value)s”与第%(line)s行重复"),
    "category_unknown": gettext_noop("产品类别“%(value)s”不在产品目录中（可填类别代码或名称）"),
    "category_ambiguous": gettext_noop(
        "产品类别名称“%(value)s”在多个目录中都有（%(codes)s），请填写类别代码"
    ),
    "uscc_invalid": gettext_noop("统一社会信用代码“%(value)s”无效：%(reason)s"),
    "region_invalid": gettext_noop("地区代码“%(value)s”不是有效的行政区划代码（GB/T 2260）"),
    "sampling_region_outside_city": gettext_noop(
        "抽样地区代码“%(value)s”不是本市的区县代码，抽样地区必须在本市"
    ),
    "role_unknown": gettext_noop(
        "被抽样单位类型“%(value)s”无法识别，应为“生产者”“销售者”或“电商平台经营者”"
    ),
    "channel_unknown": gettext_noop("抽样环节“%(value)s”无法识别，应为“生产”“流通”或“电商”"),
    "producer_required_for_value": gettext_noop("已填写标称生产者“%(producer)s”，此项必须填写"),
    "producer_unknown_value_given": gettext_noop(
        "标称生产者未注明（“%(producer)s”），此项应为空或“/”，实为“%(value)s”"
    ),
    "date_format": gettext_noop(
        "日期“%(value)s”格式无法识别，应为 2024-03-15、2024/3/15、2024.3.15、20240315 或 2024年3月15日"
    ),
    "date_invalid": gettext_noop("日期“%(value)s”不存在，请检查月份和日"),
    "date_too_early": gettext_noop("日期 %(value)s 早于 %(earliest)s，请检查年份"),
    "sampled_on_future": gettext_noop("抽样日期 %(value)s 晚于今天 %(today)s"),
    "reported_on_future": gettext_noop("报告日期 %(value)s 晚于今天 %(today)s"),
    "reported_before_sampled": gettext_noop("报告日期 %(value)s 早于抽样日期 %(sampled_on)s"),
    "conclusion_unknown": gettext_noop(
        "检验结论“%(value)s”无法识别，应为“合格”“不合格”，尚未检验的留空"
    ),
    "required_when_tested": gettext_noop("已填写检验结论“%(conclusion)s”，此项必须填写"),
    "failed_items_required": gettext_noop("检验结论为不合格，必须填写不合格项目"),
    "failed_items_when_pass": gettext_noop("检验结论为合格，不合格项目应为空，实为“%(value)s”"),
    "must_be_empty_when_pending": gettext_noop(
        "检验结论为空（尚未检验），此项应为空，实为“%(value)s”"
    ),
    "inexact_number": gettext_noop(
        "单元格是数字格式，Excel 只保留15位有效数字，“%(value)s”已丢失末尾数字；"
        "请把此列设为“文本”格式后重新输入"
    ),
    "extra_cells": gettext_noop("表头以外的列中有内容：%(value)s（请删除，或为该列补上表头）"),
}


@dataclass(frozen=True, slots=True)
class RowError:
    #: line as the official sees it (Excel row)
    line: int
    #: the field, or :data:`ROW_FIELD` for the row as a whole
    field: str
    #: key of :data:`MESSAGES`
    code: str
    params: dict[str, str]

    def message(self, translate: Callable[[str], str] = gettext_noop) -> str:
        """The message, translated by ``translate`` (e.g. Django's ``gettext``)."""
        return translate(MESSAGES[self.code]) % self.params


class SampleRow(NamedTuple):
    """A checked row. A named tuple rather than a frozen dataclass: a million of them
    are built and sent between processes per file (0.2 µs each instead of ~2 µs)."""

    sample_no: str
    category: str
    product_name: str
    model: str
    batch: str
    sampled_party_name: str
    sampled_party_uscc: str
    #: 'producer' | 'seller' | 'platform'
    sampled_party_role: str
    #: "" when the label names no producer
    producer_name: str
    producer_uscc: str
    producer_region: str
    sampling_region: str
    #: 'production' | 'circulation' | 'ecommerce'
    channel: str
    sampled_on: dt.date
    lab: str
    #: 'pass' | 'fail' | '' (not yet tested)
    conclusion: str
    failed_items: str
    report_no: str
    reported_on: dt.date | None


#: Written where the label names no producer (“/” is the 抽样单 convention).
NO_PRODUCER = frozenset({"", "/", "／", "-", "－", "—", "——", "无", "不详"})

_CHANNELS = {
    **dict.fromkeys(["生产", "生产环节", "production"], "production"),
    **dict.fromkeys(["流通", "流通环节", "销售", "销售环节", "circulation"], "circulation"),
    **dict.fromkeys(
        ["电商", "电商环节", "网络", "网售", "电子商务", "ecommerce", "e-commerce", "online"],
        "ecommerce",
    ),
}
_ROLES = {
    **dict.fromkeys(["生产者", "生产企业", "producer"], "producer"),
    **dict.fromkeys(["销售者", "销售企业", "seller"], "seller"),
    # 电子商务法 Art. 9 names the platform operator 电子商务平台经营者.
    **dict.fromkeys(["电商平台经营者", "电子商务平台经营者", "电商平台", "platform"], "platform"),
}
_CONCLUSIONS = {
    **dict.fromkeys(["合格", "pass", "passed", "qualified"], "pass"),
    **dict.fromkeys(["不合格", "fail", "failed", "unqualified"], "fail"),
}
_CONCLUSION_LABELS = {"pass": "合格", "fail": "不合格"}

#: YYYY/M/D, YYYY.M.D, YYYY年M月D日 (YYYY-MM-DD and YYYYMMDD are sliced, not matched).
_DATE_PATTERN = re.compile(
    r"(\d{4})(?:([/.\-])(\d{1,2})\2(\d{1,2})|年(\d{1,2})月(\d{1,2})日)", re.ASCII
)

_SAMPLE_NO_MAX = MAX_LENGTHS["sample_no"]
_PRODUCT_NAME_MAX = MAX_LENGTHS["product_name"]
_MODEL_MAX = MAX_LENGTHS["model"]
_BATCH_MAX = MAX_LENGTHS["batch"]
_SAMPLED_PARTY_NAME_MAX = MAX_LENGTHS["sampled_party_name"]
_LAB_MAX = MAX_LENGTHS["lab"]
_REPORT_NO_MAX = MAX_LENGTHS["report_no"]
_FAILED_ITEMS_MAX = MAX_LENGTHS["failed_items"]
_DATE_CACHE_SIZE = 50_000

_from_iso = dt.date.fromisoformat

#: Bound on the credit-code cache: real files repeat the same parties a lot.
_USCC_CACHE_SIZE = 100_000


class RowValidator:
    """Validates the rows of one file; keep one instance per file.

    ``categories`` maps category codes and names to the canonical code
    (codes match case-insensitively); ``ambiguous`` maps a name that several
    catalogues share to its codes, and such a name is refused (a guess would
    count the batch toward the wrong catalogue); ``region_codes`` holds every valid GB/T
    2260 code; ``city_regions`` the codes of this city's districts, where
    sampling must have taken place; ``today`` bounds every date.
    """

    def __init__(
        self,
        *,
        categories: Mapping[str, str],
        region_codes: Container[str],
        city_regions: Container[str],
        today: dt.date,
        ambiguous: Mapping[str, Sequence[str]] = MappingProxyType({}),
    ) -> None:
        self._ambiguous = {k.strip(): list(v) for k, v in ambiguous.items()}
        self._categories = {k.strip(): v for k, v in categories.items()}
        self._categories_folded = {k.strip().casefold(): v for k, v in categories.items()}
        self._region_codes = region_codes
        self._city_regions = city_regions
        self._today = today
        self._seen: dict[str, int] = {}
        self._uscc_cache: dict[str, UsccResult] = {}
        #: date text → valid date (between EARLIEST_DATE and today)
        self._dates: dict[str, dt.date] = {}

    def check(
        self, line: int, values: Mapping[str, str]
    ) -> tuple[SampleRow | None, list[RowError]]:
        """The cleaned row, or ``None`` and every error found (at most one per field).

        ``values`` holds stripped strings; a missing key is an empty cell (an
        optional column that is absent). The reserved keys of
        :mod:`zhiliang.lib.tablestream` become errors: ``extra_cells`` (field
        :data:`ROW_FIELD`) and ``inexact_number`` on each inexact field, which
        then gets no other error.
        """
        errors: list[RowError] = []
        get = values.get

        # -- identification
        sample_no = get("sample_no", "")
        if not sample_no:
            errors.append(RowError(line, "sample_no", "required", {}))
        elif len(sample_no) > _SAMPLE_NO_MAX:
            errors.append(_too_long(line, "sample_no", sample_no, _SAMPLE_NO_MAX))
        elif len(sample_no.split()) != 1:
            errors.append(RowError(line, "sample_no", "sample_no_whitespace", {"value": sample_no}))
        else:
            first = self._seen.setdefault(sample_no, line)
            if first != line:
                errors.append(
                    RowError(
                        line,
                        "sample_no",
                        "sample_no_duplicate",
                        {"value": sample_no, "line": str(first)},
                    )
                )

        raw_category = get("category", "")
        category = self.category_code(raw_category)
        if raw_category in self._ambiguous:
            errors.append(
                RowError(
                    line,
                    "category",
                    "category_ambiguous",
                    {"value": raw_category, "codes": "、".join(self._ambiguous[raw_category])},
                )
            )
        elif category is None:
            if raw_category:
                errors.append(
                    RowError(line, "category", "category_unknown", {"value": raw_category})
                )
            else:
                errors.append(RowError(line, "category", "required", {}))

        # Hot path (a million calls per file): accept the usual value with one
        # comparison and call the helper only to explain a problem.
        product_name = get("product_name", "")
        if not product_name or len(product_name) > _PRODUCT_NAME_MAX:
            _text(values, "product_name", True, errors, line)
        model = get("model", "")
        if len(model) > _MODEL_MAX:
            _text(values, "model", False, errors, line)
        batch = get("batch", "")
        if len(batch) > _BATCH_MAX:
            _text(values, "batch", False, errors, line)

        # -- parties
        sampled_party_name = get("sampled_party_name", "")
        if not sampled_party_name or len(sampled_party_name) > _SAMPLED_PARTY_NAME_MAX:
            _text(values, "sampled_party_name", True, errors, line)
        known = self._uscc_cache.get(get("sampled_party_uscc", ""))
        if known is not None and known.valid:
            sampled_party_uscc = known.code
        else:
            sampled_party_uscc = self._uscc(values, "sampled_party_uscc", errors, line)

        raw_producer = get("producer_name", "")
        producer_region = get("producer_region", "")
        producer_uscc = ""
        if raw_producer in NO_PRODUCER:
            # A label without a producer (bulk goods): nothing else about it can be known.
            producer_name = ""
            for name in ("producer_uscc", "producer_region"):
                given = get(name, "")
                if given not in NO_PRODUCER:
                    errors.append(
                        RowError(
                            line,
                            name,
                            "producer_unknown_value_given",
                            {"producer": raw_producer, "value": given},
                        )
                    )
            producer_region = ""
        else:
            producer_name = _text(values, "producer_name", True, errors, line)
            if get("producer_uscc", "") in NO_PRODUCER:
                errors.append(
                    RowError(
                        line,
                        "producer_uscc",
                        "producer_required_for_value",
                        {"producer": raw_producer},
                    )
                )
            else:
                known = self._uscc_cache.get(get("producer_uscc", ""))
                if known is not None and known.valid:
                    producer_uscc = known.code
                else:
                    producer_uscc = self._uscc(values, "producer_uscc", errors, line)
            if producer_region in NO_PRODUCER:
                errors.append(
                    RowError(
                        line,
                        "producer_region",
                        "producer_required_for_value",
                        {"producer": raw_producer},
                    )
                )
            elif producer_region not in self._region_codes:
                errors.append(
                    RowError(line, "producer_region", "region_invalid", {"value": producer_region})
                )

        sampling_region = get("sampling_region", "")
        if not sampling_region:
            errors.append(RowError(line, "sampling_region", "required", {}))
        elif sampling_region not in self._city_regions:
            code = (
                "sampling_region_outside_city"
                if sampling_region in self._region_codes
                else "region_invalid"
            )
            errors.append(RowError(line, "sampling_region", code, {"value": sampling_region}))

        raw_channel = get("channel", "")
        channel = channel_of(raw_channel)
        if not channel:
            if raw_channel:
                errors.append(RowError(line, "channel", "channel_unknown", {"value": raw_channel}))
            else:
                errors.append(RowError(line, "channel", "required", {}))

        raw_role = get("sampled_party_role", "")
        if raw_role:
            role = role_of(raw_role)
            if not role:
                errors.append(
                    RowError(line, "sampled_party_role", "role_unknown", {"value": raw_role})
                )
        else:
            role = "producer" if channel == "production" else "seller"

        sampled_on = self._dates.get(get("sampled_on", ""))
        if sampled_on is None:
            sampled_on = self._date(values, "sampled_on", True, errors, line)

        # -- result
        raw_conclusion = get("conclusion", "")
        conclusion = ""
        if raw_conclusion:
            conclusion = conclusion_of(raw_conclusion)
            if not conclusion:
                errors.append(
                    RowError(line, "conclusion", "conclusion_unknown", {"value": raw_conclusion})
                )
        lab = get("lab", "")
        if len(lab) > _LAB_MAX:
            _text(values, "lab", False, errors, line)
        report_no = get("report_no", "")
        failed_items = get("failed_items", "")
        reported_on: dt.date | None = None
        if conclusion:
            # A result needs the document it comes from: lab, report number and date.
            if not lab:
                errors.append(_required_when_tested(line, "lab", conclusion))
            if not report_no:
                errors.append(_required_when_tested(line, "report_no", conclusion))
            elif len(report_no) > _REPORT_NO_MAX:
                _text(values, "report_no", False, errors, line)
            if not get("reported_on"):
                errors.append(_required_when_tested(line, "reported_on", conclusion))
            else:
                reported_on = self._dates.get(get("reported_on", ""))
                if reported_on is None:
                    reported_on = self._date(values, "reported_on", False, errors, line)
            if reported_on is not None and sampled_on is not None and reported_on < sampled_on:
                errors.append(
                    RowError(
                        line,
                        "reported_on",
                        "reported_before_sampled",
                        {"value": reported_on.isoformat(), "sampled_on": sampled_on.isoformat()},
                    )
                )
            if conclusion == "fail":
                if not failed_items:
                    errors.append(RowError(line, "failed_items", "failed_items_required", {}))
                elif len(failed_items) > _FAILED_ITEMS_MAX:
                    _text(values, "failed_items", False, errors, line)
            elif failed_items:
                errors.append(
                    RowError(
                        line, "failed_items", "failed_items_when_pass", {"value": failed_items}
                    )
                )
        elif not raw_conclusion:
            for name in ("report_no", "reported_on", "failed_items"):
                given = get(name, "")
                if given:
                    errors.append(
                        RowError(line, name, "must_be_empty_when_pending", {"value": given})
                    )

        if _EXTRA_KEY in values or _INEXACT_KEY in values:
            errors = _table_errors(line, values, errors)
        if errors or sampled_on is None or category is None:
            return None, errors
        if channel == "production" and not producer_uscc:
            # Sampled at the factory with no producer named: the sampled party is the
            # producer, so the batch counts toward its district's 制造业 rate.
            producer_name, producer_uscc = sampled_party_name, sampled_party_uscc
            producer_region = sampling_region
        return (
            SampleRow(
                sample_no=sample_no,
                category=category,
                product_name=product_name,
                model=model,
                batch=batch,
                sampled_party_name=sampled_party_name,
                sampled_party_uscc=sampled_party_uscc,
                sampled_party_role=role,
                producer_name=producer_name,
                producer_uscc=producer_uscc,
                producer_region=producer_region,
                sampling_region=sampling_region,
                channel=channel,
                sampled_on=sampled_on,
                lab=lab,
                conclusion=conclusion,
                failed_items=failed_items,
                report_no=report_no,
                reported_on=reported_on,
            ),
            errors,
        )

    # --- one value at a time, for readers that check a column's distinct values once
    # (``lib/samplebatch.py``); ``check`` uses the same rules.

    def category_code(self, raw: str) -> str | None:
        """The catalogue code a category cell names, or ``None`` (unknown or ambiguous)."""
        if raw in self._ambiguous:
            return None
        return self._categories.get(raw) or self._categories_folded.get(raw.casefold())

    def uscc_code(self, raw: str) -> str | None:
        """The credit code of a non-empty cell if it is valid, else ``None``."""
        errors: list[RowError] = []
        code = self._uscc({"v": raw}, "v", errors, 0)
        return None if errors else code

    def date_text(self, raw: str) -> str | None:
        """A non-empty date cell as ISO text if it is a valid date up to today."""
        errors: list[RowError] = []
        parsed = self._dates.get(raw) or self._date({"v": raw}, "v", True, errors, 0)
        return None if parsed is None else parsed.isoformat()

    def is_region(self, code: str) -> bool:
        return code in self._region_codes

    def is_city_region(self, code: str) -> bool:
        return code in self._city_regions

    def has_seen_numbers(self) -> bool:
        """Whether any sample number has been seen (by :meth:`check` or remembered)."""
        return bool(self._seen)

    def first_line_of(self, sample_no: str) -> int | None:
        """The line where this file first had ``sample_no``, if it has been seen."""
        return self._seen.get(sample_no)

    def remember(self, numbers: Iterable[str], lines: Iterable[int]) -> None:
        """Record sample numbers accepted without :meth:`check` (new, unique numbers)."""
        self._seen.update(zip(numbers, lines, strict=True))

    def _date(
        self,
        values: Mapping[str, str],
        name: str,
        required: bool,
        errors: list[RowError],
        line: int,
    ) -> dt.date | None:
        """The date in ``values[name]`` if valid, else ``None`` and one error.

        Valid dates are remembered by their text: a file holds few distinct days.
        """
        text = values.get(name, "")
        if not text:
            if required:
                errors.append(RowError(line, name, "required", {}))
            return None
        parsed, code, params = check_date(text, name, self._today)
        if parsed is None:
            errors.append(RowError(line, name, code, params))
            return None
        if len(self._dates) < _DATE_CACHE_SIZE:
            self._dates[text] = parsed
        return parsed

    def _uscc(self, values: Mapping[str, str], name: str, errors: list[RowError], line: int) -> str:
        text = values.get(name, "")
        if not text:
            errors.append(RowError(line, name, "required", {}))
            return text
        result = self._uscc_cache.get(text)
        if result is None:
            result = validate_uscc(text)
            if len(self._uscc_cache) >= _USCC_CACHE_SIZE:
                self._uscc_cache.clear()
            self._uscc_cache[text] = result
        if not result.valid:
            errors.append(
                RowError(line, name, "uscc_invalid", {"value": text, "reason": result.reason})
            )
        return result.code


# The helpers below record at most one error for their field.


def _too_long(line: int, name: str, text: str, limit: int) -> RowError:
    return RowError(line, name, "too_long", {"length": str(len(text)), "max": str(limit)})


def _required_when_tested(line: int, name: str, conclusion: str) -> RowError:
    params = {"conclusion": _CONCLUSION_LABELS[conclusion]}
    return RowError(line, name, "required_when_tested", params)


def _text(
    values: Mapping[str, str], name: str, required: bool, errors: list[RowError], line: int
) -> str:
    text = values.get(name, "")
    if not text:
        if required:
            errors.append(RowError(line, name, "required", {}))
    elif len(text) > MAX_LENGTHS[name]:
        errors.append(_too_long(line, name, text, MAX_LENGTHS[name]))
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


def channel_of(raw: str) -> str:
    """The channel a cell names ('production' | 'circulation' | 'ecommerce'), or ""."""
    return _CHANNELS.get(raw) or _CHANNELS.get(raw.casefold(), "")


def role_of(raw: str) -> str:
    """The sampled party's role a non-empty cell names, or ""."""
    return _ROLES.get(raw) or _ROLES.get(raw.casefold(), "")


def conclusion_of(raw: str) -> str:
    """'pass' | 'fail' for a non-empty conclusion cell, or "" if not recognised."""
    return _CONCLUSIONS.get(raw) or _CONCLUSIONS.get(raw.casefold(), "")


def check_date(text: str, name: str, today: dt.date) -> tuple[dt.date | None, str, dict[str, str]]:
    """The date a non-empty cell of field ``name`` holds, or ``None`` with the error code
    and its parameters: unreadable, before :data:`EARLIEST_DATE`, or after ``today``
    (code ``<name>_future``)."""
    parsed = parse_date(text)
    if isinstance(parsed, str):
        return None, parsed, {"value": text}
    if parsed < EARLIEST_DATE:
        return (
            None,
            "date_too_early",
            {"value": parsed.isoformat(), "earliest": EARLIEST_DATE.isoformat()},
        )
    if parsed > today:
        return None, f"{name}_future", {"value": parsed.isoformat(), "today": today.isoformat()}
    return parsed, "", {}


def parse_date(text: str) -> dt.date | str:
    """The date, or the error code ``date_format`` / ``date_invalid``.

    Accepts YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD and YYYY年M月D日 (also
    YYYY-M-D). The common ISO and compact shapes are sliced without a regex.
    """
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            # With this shape fromisoformat takes exactly YYYY-MM-DD of ASCII digits.
            return _from_iso(text)
        except ValueError:
            year, month, day = text[:4], text[5:7], text[8:]
    elif len(text) == 8 and text.isascii() and text.isdigit():
        year, month, day = text[:4], text[4:6], text[6:]
    else:
        match = _DATE_PATTERN.fullmatch(text)
        if match is None:
            return "date_format"
        year = match[1]
        month = match[3] or match[5]
        day = match[4] or match[6]
    if not (year + month + day).isascii() or not (year + month + day).isdigit():
        return "date_format"
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return "date_invalid"
