"""Writes of the early-warning loop: detection runs, triage, assessment, warnings,
actions. Every change is audited; every refusal says why in the user's language."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.access import OFFICE, has_role
from zhiliang.accounts.audit import audit_record
from zhiliang.accounts.models import Role
from zhiliang.lib import rapex
from zhiliang.registry.models import Division, Organisation
from zhiliang.signals.models import (
    CaseAction,
    ConsumerWarning,
    DetectionRun,
    RiskCase,
    SafetyAssessment,
    Signal,
)
from zhiliang.signals.selectors import Series

#: who works the inbox and cases: the quality office and the city's departments
SIGNAL_WORKERS = OFFICE | {Role.DEPARTMENT_OFFICER}

ERR_NOT_WORKER = gettext_noop("只有质量办和市级部门工作人员可以处理预警信号。")
ERR_NOT_NEW = gettext_noop("该信号已经研判过。")
ERR_REASON = gettext_noop("排除信号须说明理由。")
ERR_CASE_CLOSED = gettext_noop("案件已结案。")
ERR_SCENARIO = gettext_noop("第 %(n)s 个伤害情景有误：%(error)s")
ERR_NO_SCENARIO = gettext_noop("风险评估至少需要一个伤害情景。")
ERR_WARNING_STATUS = gettext_noop("警示当前状态为“%(status)s”，不能进行此操作。")
ERR_OWN_REVIEW = gettext_noop("警示须由起草人以外的人员审核。")
ERR_REVIEWER = gettext_noop("只有质量办人员可以审核发布消费警示。")
ERR_WARNING_FIELDS = gettext_noop("警示的标题、产品、危害和消费提示都须填写。")
ERR_RETURN_REASON = gettext_noop("退回修改须说明理由。")
ERR_UNKNOWN_METHOD = gettext_noop("未知的检测方法：%(method)s")
ERR_SHAPE = gettext_noop("序列数与计数的行数不一致。")
ERR_NO_CATEGORY = gettext_noop(
    "案件没有可抽查的产品类别（信号来自未归入类别的病例），不能据此制定专项抽查计划。"
)
ERR_DISTRICTS = gettext_noop("没有这些区县代码：%(codes)s。请使用 6 位行政区划代码，如 500103。")


def _require_worker(actor: Any) -> None:
    if not has_role(actor, SIGNAL_WORKERS):
        raise PermissionDenied(_(ERR_NOT_WORKER))


# --- detection runs ---------------------------------------------------------------------------


def run_detection(
    *,
    method: str,
    series: Sequence[Series],
    counts: Any,
    first_week: dt.date,
    source: str,
    params: Mapping[str, Any] | None = None,
    recent: int = 1,
) -> DetectionRun:
    """Run ``method`` over every series at once (``counts``: series × weeks, the first
    column the week of ``first_week``) and store the alarms of the last ``recent`` weeks
    as signals. A signal already stored for the same method, series and week is kept as
    it is (and its triage with it), so a run can be repeated safely (cron)."""
    # Imported here: the detectors bring SciPy, about 120 MB and half a second to every
    # process that loads the URLs (each web worker, every management command).
    from zhiliang.lib.signals import DETECTORS, detect

    if method not in DETECTORS:
        raise ValidationError(_(ERR_UNKNOWN_METHOD) % {"method": method})
    matrix = np.asarray(counts, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != len(series):
        raise ValidationError(_(ERR_SHAPE))
    params = dict(params or {})
    started, clock = timezone.now(), time.perf_counter()
    weeks = matrix.shape[1]
    result = detect(method, matrix, **params, **_dates_for(method, first_week, weeks))
    through = first_week + dt.timedelta(weeks=weeks - 1)
    digest = hashlib.sha256(
        repr((method, sorted(params.items()), [s.key for s in series], first_week)).encode()
        + np.ascontiguousarray(matrix).tobytes()
    ).hexdigest()
    # an alarm where the method decided the week (it may decide nothing without enough history)
    alarm = np.asarray(result.alarm, dtype=bool) & np.asarray(result.decided, dtype=bool)
    start = max(0, weeks - recent)
    rows, cols = np.nonzero(alarm[:, start:])

    def value(array: Any, i: int, j: int) -> float | None:
        x = float(np.asarray(array)[i, j])
        return None if np.isnan(x) else x

    with transaction.atomic():
        run = DetectionRun.objects.create(
            method=method,
            params=params,
            through=through,
            source=source,
            series=len(series),
            weeks=weeks,
            digest=digest,
            started_at=started,
        )
        signals = []
        for i, jj in zip(rows.tolist(), cols.tolist(), strict=True):
            j = start + jj
            s = series[i]
            signals.append(
                Signal(
                    run=run,
                    method=method,
                    series_key=s.key,
                    category=s.category,
                    district=s.district,
                    week=first_week + dt.timedelta(weeks=j),
                    observed=float(matrix[i, j]),
                    expected=value(result.expected, i, j),
                    upperbound=value(result.upperbound, i, j),
                    statistic=value(result.statistic, i, j),
                    p_value=value(result.p_value, i, j),
                    counts=[None if np.isnan(c) else c for c in matrix[i, : j + 1].tolist()],
                    first_week=first_week,
                )
            )
        Signal.objects.bulk_create(signals, ignore_conflicts=True)
        # a signal already stored keeps its first run: those of this run are the new ones
        run.alarms = run.signals.count()
        run.seconds = time.perf_counter() - clock
        run.save(update_fields=["alarms", "seconds"])
        audit_record(
            actor=None,
            action="signals.run",
            obj=run,
            after={
                "method": method,
                "params": params,
                "through": through.isoformat(),
                "series": len(series),
                "new_signals": run.alarms,
                "digest": digest,
            },
        )
    return run


def _dates_for(method: str, first_week: dt.date, weeks: int) -> dict[str, Any]:
    """The weeks' dates for a method that finds its reference weeks by them (farrington)."""
    from zhiliang.lib.signals import DETECTORS

    if "dates" not in DETECTORS[method].parameters:
        return {}
    return {"dates": [first_week + dt.timedelta(weeks=k) for k in range(weeks)]}


def reproduce(signal: Signal) -> dict[str, float | bool | None]:
    """The signal's week computed again from what it stores: the same method and
    parameters on the series' counts up to the week."""
    from zhiliang.lib.signals import detect  # see run_detection

    counts = np.array([np.nan if c is None else c for c in signal.counts], dtype=float)
    dates = _dates_for(signal.method, signal.first_week, len(counts))
    result = detect(signal.method, counts[np.newaxis, :], **signal.run.params, **dates)

    def last(array: Any) -> float | None:
        x = float(np.asarray(array)[0, -1])
        return None if np.isnan(x) else x

    return {
        "expected": last(result.expected),
        "upperbound": last(result.upperbound),
        "statistic": last(result.statistic),
        "p_value": last(result.p_value),
        "alarm": bool(np.asarray(result.alarm)[0, -1]),
    }


# --- triage -----------------------------------------------------------------------------------


def _take(signal: Signal) -> Signal:
    """The signal locked for a triage step; refused if it was triaged already."""
    locked = Signal.objects.select_for_update().get(pk=signal.pk)
    if locked.status != Signal.Status.NEW:
        raise ValidationError(_(ERR_NOT_NEW))
    return locked


def signal_dismiss(*, actor: Any, signal: Signal, reason: str) -> Signal:
    _require_worker(actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_(ERR_REASON))
    with transaction.atomic():
        signal = _take(signal)
        signal.status = Signal.Status.DISMISSED
        signal.dismiss_reason = reason
        signal.triaged_by = actor
        signal.triaged_at = timezone.now()
        signal.save(update_fields=["status", "dismiss_reason", "triaged_by", "triaged_at"])
        audit_record(actor=actor, action="signals.dismiss", obj=signal, after={"reason": reason})
    return signal


def case_open(
    *,
    actor: Any,
    signal: Signal,
    title: str,
    organisation: Organisation,
    hazard: str = "",
    case: RiskCase | None = None,
) -> RiskCase:
    """Take a new signal into a case: a new one (``title``), or ``case`` if given."""
    _require_worker(actor)
    with transaction.atomic():
        signal = _take(signal)
        if case is None:
            case = RiskCase(
                title=title.strip(),
                category=signal.category,
                hazard=hazard.strip(),
                organisation=organisation,
                opened_by=actor,
            )
            case.full_clean()
            case.save()
            audit_record(
                actor=actor,
                action="signals.case.open",
                obj=case,
                after={"title": case.title, "category": case.category, "signal": signal.pk},
            )
        elif case.status != RiskCase.Status.OPEN:
            raise ValidationError(_(ERR_CASE_CLOSED))
        signal.status = Signal.Status.CASE
        signal.case = case
        signal.triaged_by = actor
        signal.triaged_at = timezone.now()
        signal.save(update_fields=["status", "case", "triaged_by", "triaged_at"])
        audit_record(actor=actor, action="signals.to_case", obj=signal, after={"case": case.pk})
    return case


# --- risk assessment --------------------------------------------------------------------------


def case_assess(
    *,
    actor: Any,
    case: RiskCase,
    product: str,
    scenarios: Sequence[Mapping[str, Any]],
    matrix: rapex.RiskMatrix = rapex.RAPEX_2010,
) -> SafetyAssessment:
    """Assess the case's product by the Safety Gate method. Each scenario: ``hazard``,
    ``consumer``, ``steps`` (a list of [text, probability as written, e.g. "1/50"]),
    ``injury``, ``severity`` (1–4). Stored as entered, with the risk they give."""
    _require_worker(actor)
    if case.status != RiskCase.Status.OPEN:
        raise ValidationError(_(ERR_CASE_CLOSED))
    if not scenarios:
        raise ValidationError(_(ERR_NO_SCENARIO))
    parsed = []
    for n, s in enumerate(scenarios, start=1):
        try:
            parsed.append(
                rapex.scenario(
                    str(s.get("hazard", "")),
                    str(s.get("consumer", "")),
                    [(str(text), str(p)) for text, p in s.get("steps", [])],
                    str(s.get("injury", "")),
                    int(s.get("severity", 0)),
                )
            )
            if not parsed[-1].steps:
                raise ValueError("no steps")
        except (ValueError, TypeError) as exc:
            raise ValidationError(_(ERR_SCENARIO) % {"n": n, "error": exc}) from exc
    result = rapex.assess(parsed, matrix)
    stored = [
        {
            "hazard": r.scenario.hazard,
            "consumer": r.scenario.consumer,
            "steps": [[step.text, str(step.probability)] for step in r.scenario.steps],
            "injury": r.scenario.injury,
            "severity": r.scenario.severity,
            "probability": str(r.probability),
            "band": r.band.label,
            "risk": r.risk.value,
        }
        for r in result.scenarios
    ]
    with transaction.atomic():
        assessment = SafetyAssessment.objects.create(
            case=case,
            product=product.strip(),
            scenarios=stored,
            risk=result.risk.value,
            matrix=result.matrix,
            assessed_by=actor,
        )
        audit_record(
            actor=actor,
            action="signals.assess",
            obj=case,
            after={"risk": result.risk.value, "matrix": result.matrix, "scenarios": stored},
        )
    return assessment


# --- consumer warnings ------------------------------------------------------------------------


def warning_draft(
    *,
    actor: Any,
    case: RiskCase,
    title: str,
    product: str,
    hazard: str,
    advice: str,
    photo: Any = None,
) -> ConsumerWarning:
    _require_worker(actor)
    fields = {
        "title": title.strip(),
        "product": product.strip(),
        "hazard": hazard.strip(),
        "advice": advice.strip(),
    }
    if not all(fields.values()):
        raise ValidationError(_(ERR_WARNING_FIELDS))
    warning = ConsumerWarning(case=case, drafted_by=actor, **fields)
    if photo is not None:
        warning.photo = photo
    warning.full_clean()
    with transaction.atomic():
        warning.save()
        audit_record(actor=actor, action="signals.warning.draft", obj=warning, after=fields)
    return warning


def _step(
    actor: Any, warning: ConsumerWarning, allowed: set[str], to: str, reason: str = ""
) -> ConsumerWarning:
    with transaction.atomic():
        warning = ConsumerWarning.objects.select_for_update().get(pk=warning.pk)
        if warning.status not in allowed:
            raise ValidationError(_(ERR_WARNING_STATUS) % {"status": warning.get_status_display()})
        before = warning.status
        warning.status = to
        changed = ["status"]
        if to == ConsumerWarning.Status.PUBLISHED:
            warning.reviewed_by = actor
            warning.published_on = timezone.localdate()
            changed += ["reviewed_by", "published_on"]
        warning.save(update_fields=changed)
        audit_record(
            actor=actor,
            action=f"signals.warning.{to}",
            obj=warning,
            before={"status": before},
            after={"status": to},
            reason=reason,
        )
    return warning


def warning_submit(*, actor: Any, warning: ConsumerWarning) -> ConsumerWarning:
    """The drafter (or a colleague) sends the draft for review."""
    _require_worker(actor)
    return _step(actor, warning, {ConsumerWarning.Status.DRAFT}, ConsumerWarning.Status.REVIEW)


def _require_reviewer(actor: Any, warning: ConsumerWarning) -> None:
    if not has_role(actor, OFFICE):
        raise PermissionDenied(_(ERR_REVIEWER))
    if warning.drafted_by_id == actor.pk:
        raise PermissionDenied(_(ERR_OWN_REVIEW))


def warning_publish(*, actor: Any, warning: ConsumerWarning) -> ConsumerWarning:
    """A reviewer of the quality office, not the drafter, publishes it on the portal."""
    _require_reviewer(actor, warning)
    return _step(actor, warning, {ConsumerWarning.Status.REVIEW}, ConsumerWarning.Status.PUBLISHED)


def warning_return(*, actor: Any, warning: ConsumerWarning, reason: str) -> ConsumerWarning:
    """The reviewer sends it back to draft, saying why."""
    _require_reviewer(actor, warning)
    if not reason.strip():
        raise ValidationError(_(ERR_RETURN_REASON))
    return _step(
        actor,
        warning,
        {ConsumerWarning.Status.REVIEW},
        ConsumerWarning.Status.DRAFT,
        reason=reason.strip(),
    )


def warning_withdraw(*, actor: Any, warning: ConsumerWarning, reason: str) -> ConsumerWarning:
    """Take a published warning off the portal."""
    if not has_role(actor, OFFICE):
        raise PermissionDenied(_(ERR_REVIEWER))
    if not reason.strip():
        raise ValidationError(_(ERR_RETURN_REASON))
    return _step(
        actor,
        warning,
        {ConsumerWarning.Status.PUBLISHED},
        ConsumerWarning.Status.WITHDRAWN,
        reason=reason.strip(),
    )


# --- actions ----------------------------------------------------------------------------------


def case_targeted_plan(
    *,
    actor: Any,
    case: RiskCase,
    code: str,
    title: str,
    organiser: Organisation,
    starts_on: dt.date,
    ends_on: dt.date,
    quotas: Mapping[str, int],
) -> CaseAction:
    """A targeted sampling plan (专项抽查) of the case's product category in the
    inspection system, with ``quotas`` batches per district code, linked to the case."""
    from zhiliang.inspections.models import ProductCategory, SamplingPlan
    from zhiliang.inspections.services.plans import plan_create, quota_set

    _require_worker(actor)
    if case.status != RiskCase.Status.OPEN:
        raise ValidationError(_(ERR_CASE_CLOSED))
    category = ProductCategory.objects.filter(code=case.category).first()
    if category is None:
        raise ValidationError(_(ERR_NO_CATEGORY))
    districts = {d.code: d for d in Division.objects.filter(code__in=quotas)}
    unknown = sorted(set(quotas) - set(districts))
    if unknown:
        raise ValidationError(_(ERR_DISTRICTS) % {"codes": "、".join(unknown)})
    with transaction.atomic():
        plan = plan_create(
            actor=actor,
            code=code,
            title=title,
            year=starts_on.year,
            level=SamplingPlan.Level.PROVINCIAL,
            organiser=organiser,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        for district, batches in sorted(quotas.items()):
            quota_set(
                actor=actor,
                plan=plan,
                category=category,
                district=districts[district],
                batches=batches,
            )
        action = CaseAction.objects.create(
            case=case,
            kind=CaseAction.Kind.SAMPLING,
            reference=plan.code,
            note=title,
            taken_by=actor,
        )
        audit_record(
            actor=actor,
            action="signals.action.sampling",
            obj=case,
            after={"plan": plan.code, "quotas": dict(quotas)},
        )
    return action


def case_refer_recall(*, actor: Any, case: RiskCase, to: str, note: str) -> CaseAction:
    """Refer the case for a recall (消费品召回管理暂行规定, DOMAIN.md §8.2) to ``to``."""
    _require_worker(actor)
    if case.status != RiskCase.Status.OPEN:
        raise ValidationError(_(ERR_CASE_CLOSED))
    with transaction.atomic():
        action = CaseAction.objects.create(
            case=case,
            kind=CaseAction.Kind.RECALL,
            reference=to.strip(),
            note=note.strip(),
            taken_by=actor,
        )
        audit_record(
            actor=actor,
            action="signals.action.recall",
            obj=case,
            after={"to": action.reference, "note": action.note},
        )
    return action
