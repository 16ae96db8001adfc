"""Writing injury cases: one at a time (the entry form, the API), each checked and
audited. Files go through ``importing.py`` (hospital layout) and ``neiss.py`` (NEISS),
which use the same checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.audit import audit_record
from zhiliang.registry.models import Organisation
from zhiliang.surveillance import codes
from zhiliang.surveillance.access import require_reporter
from zhiliang.surveillance.models import PRODUCT_SLOTS, InjuryCase

ERR_VISIT_FUTURE = gettext_noop("就诊日期不能晚于今天。")
ERR_INJURY_FUTURE = gettext_noop("伤害发生日期不能晚于今天。")
ERR_CORRECTION_REASON = gettext_noop("更正病例须说明理由。")
ERR_INJURY_AFTER_VISIT = gettext_noop("伤害发生日期不能晚于就诊日期。")
ERR_HOUR = gettext_noop("小时应为 0–23。")
ERR_AGE = gettext_noop("年龄应为 0–120 岁。")
ERR_MONTHS = gettext_noop("月龄只用于两岁以下儿童，应为 0–23，且与年龄一致。")
ERR_WEIGHT = gettext_noop("统计权重应为正数。")
ERR_DUPLICATE = gettext_noop("报告单位“%(reporter)s”的病例编号“%(no)s”已有记录。")
ERR_NO_REPORTER = gettext_noop("哨点医院病例必须有报告单位。")
ERR_NOT_HOSPITAL = gettext_noop("哨点医院病例的报告单位必须是哨点医院。")
ERR_CASE_NUMBER = gettext_noop("病例编号必须填写。")
ERR_PRODUCT_GAP = gettext_noop("请按顺序填写产品：产品%(n)s为空时，其后的产品也应为空。")

#: Fields a caller may give ``case_create`` besides the key.
CASE_FIELDS = (
    "sex",
    "age_years",
    "age_months",
    "residence",
    "education",
    "occupation",
    "injury_date",
    "injury_hour",
    "visit_hour",
    *codes.CODED_FIELDS.keys() - {"sex", "residence", "education", "occupation"},
    *(f"product_{n}_{part}" for n in range(1, PRODUCT_SLOTS + 1) for part in ("code", "category")),
    "narrative",
    "weight",
    "stratum",
    "psu",
)


#: An untranslated message template and its parameters.
Problem = tuple[str, dict[str, Any]]


def case_problems(case: InjuryCase, *, today: dt.date) -> dict[str, list[Problem]]:
    """The rules across fields, as untranslated messages by field. Field types and code
    lists are checked by ``full_clean``."""
    problems: dict[str, list[Problem]] = {}

    def add(field: str, message: str, **params: Any) -> None:
        problems.setdefault(field, []).append((message, params))

    if not case.case_number.strip():
        add("case_number", ERR_CASE_NUMBER)
    if case.visit_date and case.visit_date > today:
        add("visit_date", ERR_VISIT_FUTURE)
    if case.injury_date and case.injury_date > today:
        add("injury_date", ERR_INJURY_FUTURE)
    elif case.injury_date and case.visit_date and case.injury_date > case.visit_date:
        add("injury_date", ERR_INJURY_AFTER_VISIT)
    for hour in ("injury_hour", "visit_hour"):
        value = getattr(case, hour)
        if value is not None and not 0 <= value <= 23:
            add(hour, ERR_HOUR)
    if case.age_years is not None and not 0 <= case.age_years <= 120:
        add("age_years", ERR_AGE)
    if case.age_months is not None and not (
        0 <= case.age_months <= 23
        and (case.age_years is None or case.age_years == case.age_months // 12)
    ):
        add("age_months", ERR_MONTHS)
    if case.weight is None or not case.weight > 0:
        add("weight", ERR_WEIGHT)
    empty_slot = 0
    for n in range(1, PRODUCT_SLOTS + 1):
        named = getattr(case, f"product_{n}_code") or getattr(case, f"product_{n}_category_id")
        if not named and not empty_slot:
            empty_slot = n
        elif named and empty_slot:
            add(f"product_{n}_code", ERR_PRODUCT_GAP, n=empty_slot)
    if case.source == codes.Source.HOSPITAL:
        if case.reporter_id is None:
            add("reporter", ERR_NO_REPORTER)
        elif case.reporter.kind != Organisation.Kind.HOSPITAL:
            add("reporter", ERR_NOT_HOSPITAL)
    return problems


def case_with_defaults(case: InjuryCase) -> InjuryCase:
    """A case's design defaults: a hospital that is not part of a weighted sample is
    its own PSU in a single stratum, with weight 1."""
    if not case.psu and case.reporter_id is not None:
        case.psu = case.reporter.key[:32]
    case.age_years = (
        case.age_months // 12
        if case.age_years is None and case.age_months is not None
        else case.age_years
    )
    return case


@transaction.atomic
def case_create(
    *,
    actor: Any,
    reporter: Organisation | None,
    case_number: str,
    visit_date: dt.date,
    source: str = codes.Source.HOSPITAL,
    today: dt.date | None = None,
    **fields: Any,
) -> InjuryCase:
    """Record one case. Raises ``ValidationError`` (messages by field, translated) on
    bad input and ``PermissionDenied`` if ``actor`` may not report for ``reporter``."""
    require_reporter(actor, reporter)
    unknown = set(fields) - set(CASE_FIELDS)
    if unknown:
        raise TypeError(f"unknown case fields: {sorted(unknown)}")
    today = today or timezone.localdate()
    case = case_with_defaults(
        InjuryCase(
            source=source,
            reporter=reporter,
            case_number=case_number.strip(),
            visit_date=visit_date,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **fields,
        )
    )
    _check(case, today)
    case.save()
    audit_record(
        actor=actor,
        action="surveillance.case.create",
        obj=case,
        after=case_snapshot(case),
    )
    return case


@transaction.atomic
def case_correct(
    *,
    actor: Any,
    case: InjuryCase,
    reason: str,
    visit_date: dt.date,
    today: dt.date | None = None,
    **fields: Any,
) -> InjuryCase:
    """Correct a recorded case: the same checks as a new one; the reporter, source and
    case number stay (they are the case's key in its reporter's own records). The audit
    entry keeps the fields before and after and the reason; nothing is deleted."""
    require_reporter(actor, case.reporter)
    unknown = set(fields) - set(CASE_FIELDS)
    if unknown:
        raise TypeError(f"unknown case fields: {sorted(unknown)}")
    if not reason.strip():
        raise ValidationError({"reason": [_(ERR_CORRECTION_REASON)]})
    case = InjuryCase.objects.select_for_update().get(pk=case.pk)
    before = case_snapshot(case)
    narrative_before = case.narrative
    case.visit_date = visit_date
    for name, value in fields.items():
        setattr(case, name, value)
    case = case_with_defaults(case)
    _check(case, today or timezone.localdate())
    case.save()
    after = case_snapshot(case)
    if case.narrative != narrative_before:
        # the narrative is not copied into the log (it is free text); that it changed is
        after["narrative_changed"] = True
    audit_record(
        actor=actor,
        action="surveillance.case.correct",
        obj=case,
        before=before,
        after=after,
        reason=reason.strip(),
    )
    return case


def _check(case: InjuryCase, today: dt.date) -> None:
    errors: dict[str, list[str]] = {}
    try:
        case.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = {k: list(v) for k, v in exc.message_dict.items()}
    for field, messages in case_problems(case, today=today).items():
        errors.setdefault(field, []).extend(_(m) % params for m, params in messages)
    if not errors and _taken(case):
        reporter = str(case.reporter) if case.reporter_id else case.get_source_display()
        errors["case_number"] = [_(ERR_DUPLICATE) % {"reporter": reporter, "no": case.case_number}]
    if errors:
        raise ValidationError(errors)


def _taken(case: InjuryCase) -> bool:
    """Whether another case holds this one's reporter, source and number."""
    return (
        InjuryCase.objects.filter(
            reporter_id=case.reporter_id, source=case.source, case_number=case.case_number
        )
        .exclude(pk=case.pk)
        .exists()
    )


def case_snapshot(case: InjuryCase) -> dict[str, Any]:
    """What the audit log keeps of a case: its key and coded fields (no narrative)."""
    return {
        "source": case.source,
        "reporter": case.reporter_id,
        "case_number": case.case_number,
        "visit_date": case.visit_date.isoformat() if case.visit_date else None,
        **{name: getattr(case, name) for name in codes.CODED_FIELDS},
        "products": [
            [getattr(case, f"product_{n}_code"), getattr(case, f"product_{n}_category_id")]
            for n in range(1, PRODUCT_SLOTS + 1)
        ],
        "weight": case.weight,
    }
