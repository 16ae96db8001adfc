"""Injury cases from CSV or XLSX in the report card's columns (the import page, and
``zhiliang surveillance import FILE --reporter KEY``).

Every row is checked with the entry form's rules (``services.case_problems`` and the
model's field checks); a file with any problem writes nothing, and each problem is
reported by line and column in the official's language. The reporter's case number
is the key: a case number already stored for the reporter is left as it is (a
re-import adds nothing), and a number twice in the file is an error naming the first
line. Coded cells may hold the card's code (``3``), its label (``跌倒/坠落``) or both
(``3 跌倒/坠落``, as the template's lists show them).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.audit import audit_record
from zhiliang.importproblems import ImportOutcome, ImportProblem, file_problem
from zhiliang.inspections.models import ProductCategory
from zhiliang.lib.samplerows import parse_date
from zhiliang.lib.tablestream import (
    EXTRA_KEY,
    INEXACT_KEY,
    TableError,
    open_table,
)
from zhiliang.lib.xlsxbook import Sheet, xlsx_book_bytes
from zhiliang.registry.models import Organisation
from zhiliang.surveillance import codes
from zhiliang.surveillance.access import require_reporter
from zhiliang.surveillance.models import InjuryCase
from zhiliang.surveillance.services import case_problems, case_with_defaults

#: Field → its column label (the first accepted header spelling).
FIELD_LABELS: dict[str, str] = {
    "case_number": gettext_noop("病例编号"),
    "visit_date": gettext_noop("就诊日期"),
    "visit_hour": gettext_noop("就诊时"),
    "sex": gettext_noop("性别"),
    "age_years": gettext_noop("年龄"),
    "age_months": gettext_noop("月龄"),
    "residence": gettext_noop("户籍"),
    "education": gettext_noop("文化程度"),
    "occupation": gettext_noop("职业"),
    "injury_date": gettext_noop("伤害发生日期"),
    "injury_hour": gettext_noop("伤害发生时"),
    "cause": gettext_noop("伤害发生原因"),
    "place": gettext_noop("伤害发生地点"),
    "activity": gettext_noop("伤害发生时活动"),
    "intent": gettext_noop("伤害意图"),
    "nature": gettext_noop("伤害性质"),
    "body_part": gettext_noop("伤害部位"),
    "severity": gettext_noop("伤害严重程度"),
    "outcome": gettext_noop("伤害结局"),
    "product_1_category": gettext_noop("产品1类别"),
    "product_1_code": gettext_noop("产品1代码"),
    "product_2_category": gettext_noop("产品2类别"),
    "product_2_code": gettext_noop("产品2代码"),
    "product_3_category": gettext_noop("产品3类别"),
    "product_3_code": gettext_noop("产品3代码"),
    "narrative": gettext_noop("伤害经过"),
    "weight": gettext_noop("统计权重"),
    "stratum": gettext_noop("抽样层"),
    "psu": gettext_noop("初级抽样单位"),
    "source": gettext_noop("来源"),
}
HEADERS: dict[str, str] = {
    **{label: name for name, label in FIELD_LABELS.items()},
    "门诊号": "case_number",
    "病例号": "case_number",
    "就诊时间": "visit_date",
    "伤害发生时间": "injury_date",
    "伤害原因": "cause",
    "伤害地点": "place",
    "是否故意": "intent",
    "伤害结局": "outcome",
    "年龄（岁）": "age_years",
    **{name: name for name in FIELD_LABELS},
}
REQUIRED_COLUMNS = frozenset({"case_number", "visit_date"})
SUGGESTIONS = {"编号": "case_number", "日期": "visit_date", "产品": "product_1_category"}
_MODEL_FIELDS = {"product_1_category", "product_2_category", "product_3_category"}

ERR_NO_ROWS = gettext_noop("文件中没有病例")
ERR_CODE = gettext_noop("“%(value)s”不是“%(column)s”的代码或名称，应为：%(choices)s")
ERR_NUMBER = gettext_noop("“%(value)s”不是整数")
ERR_WEIGHT = gettext_noop("“%(value)s”不是数字")
ERR_DATE = gettext_noop("日期“%(value)s”无法识别，应为 2024-03-15、2024/3/15 或 20240315")
ERR_CATEGORY = gettext_noop("“%(value)s”不是产品类别代码或名称（见模板“产品类别”表）")
ERR_DUPLICATE = gettext_noop("病例编号“%(value)s”与第%(line)s行重复")
ERR_EXTRA = gettext_noop("表头以外的列中有内容：%(value)s")
ERR_INEXACT = gettext_noop("单元格是过长的数字，Excel 已丢失末尾数字；请把此列设为“文本”格式")
ERR_SOURCE = gettext_noop("来源“%(value)s”无法识别")


class CaseImportProblem(ImportProblem):
    labels = FIELD_LABELS


class CaseImportOutcome(ImportOutcome[CaseImportProblem]):
    """``parties_registered`` is always 0 here (the import pages' message counts it)."""


def _spellings(label: Any) -> set[str]:
    """A label in Chinese (the card's) and in the official's language."""
    with translation.override("zh-hans"):
        chinese = str(label)
    return {chinese, str(label)}


def _coded_lookup(choices: type[models.IntegerChoices]) -> dict[str, int]:
    """Every spelling of a code: "3", "跌倒/坠落", "3 跌倒/坠落"."""
    lookup: dict[str, int] = {}
    for value, label in choices.choices:
        lookup[str(value)] = value
        for spelling in _spellings(label):
            lookup[spelling] = value
            lookup[f"{value} {spelling}"] = value
    return lookup


def _categories() -> dict[str, ProductCategory]:
    lookup: dict[str, ProductCategory] = {}
    # The 2023 national catalogue's class names win over older catalogues' namesakes.
    for c in ProductCategory.objects.order_by("-catalogue", "code"):
        lookup.setdefault(c.code.upper(), c)
        lookup.setdefault(f"{c.code} {c.name}".upper(), c)
    for c in ProductCategory.objects.filter(code__startswith="IND23-"):
        lookup[c.name] = c
    for c in ProductCategory.objects.all():
        lookup.setdefault(c.name, c)
    return lookup


class _RowReader:
    def __init__(self, reporter: Organisation, today: dt.date, actor: Any) -> None:
        self.reporter = reporter
        self.today = today
        self.actor = actor
        self.coded = {name: _coded_lookup(c) for name, c in codes.CODED_FIELDS.items()}
        self.sources = _coded_source_lookup()
        self.categories = _categories()
        self.first_line: dict[str, int] = {}

    def read(self, line: int, values: dict[str, str]) -> tuple[InjuryCase, list[CaseImportProblem]]:
        problems: list[CaseImportProblem] = []

        def problem(name: str, message: str, **params: Any) -> None:
            problems.append(CaseImportProblem(line, name, _(message) % params))

        if values.get(EXTRA_KEY):
            problem("", ERR_EXTRA, value=values[EXTRA_KEY])
        inexact = set(values.get(INEXACT_KEY, "").split(",")) - {""}
        for name in inexact:
            problem(name, ERR_INEXACT)
        fields: dict[str, Any] = {}
        for name, text in values.items():
            if name in (EXTRA_KEY, INEXACT_KEY) or name in inexact or not text:
                continue
            if name in self.coded:
                found = self.coded[name].get(text) or self.coded[name].get(text.split(" ")[0])
                if found is None:
                    choices = codes.CODED_FIELDS[name].choices
                    problem(
                        name,
                        ERR_CODE,
                        value=text,
                        column=_(FIELD_LABELS[name]),
                        choices="、".join(f"{v} {label}" for v, label in choices),
                    )
                fields[name] = found
            elif name in ("visit_date", "injury_date"):
                parsed = parse_date(text)
                if isinstance(parsed, str):
                    problem(name, ERR_DATE, value=text)
                else:
                    fields[name] = parsed
            elif name in ("visit_hour", "injury_hour", "age_years", "age_months"):
                try:
                    fields[name] = int(text)
                except ValueError:
                    problem(name, ERR_NUMBER, value=text)
            elif name == "weight":
                try:
                    fields[name] = float(text)
                except ValueError:
                    problem(name, ERR_WEIGHT, value=text)
            elif name in _MODEL_FIELDS:
                category = self.categories.get(text.upper()) or self.categories.get(text)
                if category is None:
                    problem(name, ERR_CATEGORY, value=text)
                fields[name] = category
            elif name == "source":
                source = self.sources.get(text) or self.sources.get(text.lower())
                if source is None:
                    problem(name, ERR_SOURCE, value=text)
                fields[name] = source or codes.Source.HOSPITAL
            else:
                fields[name] = text
        case = case_with_defaults(
            InjuryCase(
                reporter=self.reporter,
                case_number=values.get("case_number", ""),
                created_by=self.actor if getattr(self.actor, "is_authenticated", False) else None,
                **{k: v for k, v in fields.items() if k != "case_number"},
            )
        )
        # Each field once: one already refused above is not checked again.
        refused = {p.field for p in problems}
        try:
            case.full_clean(exclude=refused, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    problems.append(CaseImportProblem(line, name, message))
        for name, found in case_problems(case, today=self.today).items():
            if name not in refused:
                for message, params in found:
                    problem(name, message, **params)
        number = case.case_number
        if number in self.first_line:
            problem("case_number", ERR_DUPLICATE, value=number, line=self.first_line[number])
        elif number:
            self.first_line[number] = line
        return case, problems


def _coded_source_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in codes.Source.choices:
        lookup[value] = value
        for spelling in _spellings(label):
            lookup[spelling] = value
    return lookup


def cases_import(
    *,
    path: Path,
    file_name: str,
    actor: Any,
    reporter: Organisation,
    today: dt.date | None = None,
) -> CaseImportOutcome:
    """Import a file of cases for ``reporter``; all or nothing."""
    if actor is not None:
        require_reporter(actor, reporter)
    today = today or timezone.localdate()
    outcome = CaseImportOutcome()
    try:
        table = open_table(path, HEADERS, REQUIRED_COLUMNS, SUGGESTIONS)
    except TableError as exc:
        outcome.problems.append(CaseImportProblem(0, "", file_problem(exc, FIELD_LABELS)))
        return outcome
    reader = _RowReader(reporter, today, actor)
    cases: list[InjuryCase] = []
    try:
        with table:
            for line, values in table:
                outcome.rows += 1
                case, problems = reader.read(line, values)
                outcome.problems += problems
                cases.append(case)
    except TableError as exc:
        outcome.problems.append(CaseImportProblem(0, "", str(exc)))
    if outcome.ok and not cases:
        outcome.problems.append(CaseImportProblem(0, "", _(ERR_NO_ROWS)))
    if not outcome.ok:
        return outcome
    with transaction.atomic():
        stored = set(
            InjuryCase.objects.filter(
                reporter=reporter, case_number__in=[c.case_number for c in cases]
            ).values_list("source", "case_number")
        )
        new = [c for c in cases if (c.source, c.case_number) not in stored]
        InjuryCase.objects.bulk_create(new, batch_size=1000)
        outcome.created = len(new)
        outcome.unchanged = len(cases) - len(new)
        audit_record(
            actor=actor,
            action="surveillance.case.import",
            object_type="surveillance.injurycase",
            object_repr=file_name[:255],
            after={
                "reporter": reporter.pk,
                "rows": outcome.rows,
                "created": outcome.created,
                "unchanged": outcome.unchanged,
            },
        )
    return outcome


def importer_for(reporter: Organisation) -> Any:
    """``cases_import`` bound to a reporter, as ``importproblems.import_upload`` calls it."""

    def run(*, path: Path, file_name: str, actor: Any) -> CaseImportOutcome:
        if actor is not None and not getattr(actor, "is_authenticated", False):
            raise PermissionDenied
        return cases_import(path=path, file_name=file_name, actor=actor, reporter=reporter)

    return run


# --- the blank file the import page offers ---------------------------------------------------


def cases_template_xlsx() -> bytes:
    """An empty import file: the header row the import reads (in Chinese: the file is
    read in Chinese), a sheet with each coded column's codes, and the product categories."""
    fields = [f for f in FIELD_LABELS if f != "source"]
    code_rows = [
        [_(FIELD_LABELS[name]), str(value), str(label)]
        for name, choices in codes.CODED_FIELDS.items()
        for value, label in choices.choices
    ]
    categories = [
        [c.code, c.name]
        for c in ProductCategory.objects.filter(parent=None).exclude(kind="farm").order_by("code")
    ]
    notes = [
        [_(FIELD_LABELS["case_number"]), _("必填；医院自己的病例编号，同一医院不重复")],
        [_(FIELD_LABELS["visit_date"]), _("必填；如 2024-03-15，不晚于今天")],
        ["", _("代码列可填代码（3）、名称（跌倒/坠落）或两者（3 跌倒/坠落），见“代码表”。")],
        ["", _("不得填写姓名、身份证号、住址、电话等可识别个人身份的信息。")],
        ["", _("导入时只读取第一张工作表。")],
    ]
    return xlsx_book_bytes(
        [
            Sheet(
                _("伤害病例"),
                [FIELD_LABELS[name] for name in fields],
                [],
                text_columns=[fields.index("case_number") + 1],
            ),
            Sheet(_("代码表"), [_("列名"), _("代码"), _("名称")], code_rows, widths=[16, 8, 40]),
            Sheet(_("产品类别"), [_("类别代码"), _("类别名称")], categories, widths=[14, 40]),
            Sheet(_("填写说明"), [_("列名"), _("填写说明")], notes, widths=[16, 80]),
        ]
    )
