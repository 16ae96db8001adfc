"""信用修复 of a published penalty record (市场监督管理信用修复管理办法, 2021; Order 45).

applied → accepted (or not accepted) → repaired (its publication stops early) or refused.
Every step is audited; the record itself stays, marked repaired, and the public no longer
sees it.

The rules (DOMAIN.md §2.4): repair opens once 6 months of publication have passed (1 year
in food, drugs, special equipment); it needs the obligations fulfilled, the harm removed,
no later penalty and no listing on the 严重违法失信名单; a heavier penalty (停产停业,
吊销, 降级 …) is never repaired early. The application is complete with the application
form and the 守信承诺书. The deadlines below are the measures' as this project reads them
(accept within 2 working days, decide within 15 working days of acceptance); DOMAIN.md
does not confirm them, so they are constants a city can change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.access import organisations_of
from zhiliang.accounts.audit import audit_record
from zhiliang.credit.access import may_record_about
from zhiliang.credit.listings import listings_in_force
from zhiliang.credit.models import CreditRecord, RepairCase
from zhiliang.lib.creditrules import Kind, Sector, repair_from
from zhiliang.lib.workdays import add_workdays

#: Working days to accept (or not) an application, from the day it is received.
ACCEPT_WORKDAYS = 2
#: Working days to decide, from acceptance.
DECIDE_WORKDAYS = 15

ERR_REPAIR_KIND = gettext_noop("只有已公示的行政处罚信息可以申请信用修复。")
ERR_REPAIR_TOO_SOON = gettext_noop("公示满最短期限后方可修复：%(from)s 起可申请。")
ERR_REPAIR_SEVERE = gettext_noop("较重行政处罚（停产停业、吊销、降级等）信息不得提前停止公示。")
ERR_REPAIR_CONDITIONS = gettext_noop("不符合信用修复条件：%(unmet)s")
ERR_REPAIRED = gettext_noop("该记录已修复。")
ERR_OPEN = gettext_noop("该记录已有未办结的信用修复申请。")
ERR_STATUS = gettext_noop("申请当前状态为“%(status)s”，不能办理此步骤。")
ERR_NO_COMMITMENT = gettext_noop("申请材料不全：未提交守信承诺书，应当不予受理并说明理由。")
ERR_REASONS = gettext_noop("请写明理由。")
ERR_FUTURE = gettext_noop("%(what)s不能晚于今天。")
ERR_BEFORE = gettext_noop("%(what)s不能早于%(other)s。")
ERR_EMPTY = gettext_noop("%(what)s必须填写。")


def _require_officer(actor: Any, record: CreditRecord) -> Any:
    """The officer handling the case, and the organisation deciding it."""
    if actor is None or not may_record_about(actor, record.enterprise):
        raise PermissionDenied
    orgs = organisations_of(actor)
    if not orgs:
        raise PermissionDenied
    return orgs[0]


def _step(case: RepairCase, *expected: str) -> None:
    if case.status not in expected:
        raise ValidationError(_(ERR_STATUS) % {"status": case.get_status_display()})


def _dated(day: dt.date, what: str, today: dt.date, after: tuple[dt.date, str]) -> None:
    if day > today:
        raise ValidationError(_(ERR_FUTURE) % {"what": what})
    if day < after[0]:
        raise ValidationError(_(ERR_BEFORE) % {"what": what, "other": after[1]})


def repairable(record: CreditRecord) -> None:
    """Raise unless the record is of a kind that can be repaired at all."""
    if record.repaired_on is not None:
        raise ValidationError(_(ERR_REPAIRED))
    if record.kind != Kind.PENALTY or record.published_on is None:
        raise ValidationError(_(ERR_REPAIR_KIND))
    if record.heavier:
        raise ValidationError(_(ERR_REPAIR_SEVERE))


def repair_unmet(
    record: CreditRecord, on: dt.date, *, obligations_fulfilled: bool, harm_removed: bool
) -> list[str]:
    """The conditions of repair not met on ``on`` (empty: it may be granted)."""
    unmet = []
    if not obligations_fulfilled:
        unmet.append(_("尚未履行行政处罚决定规定的义务"))
    if not harm_removed:
        unmet.append(_("尚未消除危害后果和不良影响"))
    if CreditRecord.objects.filter(
        enterprise=record.enterprise, kind=Kind.PENALTY, decided_on__gt=record.decided_on
    ).exists():
        unmet.append(_("此后又受到行政处罚"))
    if listings_in_force(record.enterprise, on):
        unmet.append(_("企业在严重违法失信名单中"))
    return unmet


@transaction.atomic
def repair_apply(
    *,
    actor: Any,
    record: CreditRecord,
    applied_on: dt.date,
    applicant: str,
    application: str,
    commitment: bool,
    evidence: str = "",
    today: dt.date | None = None,
) -> RepairCase:
    """Register an application received (online or at the counter) for a record."""
    _require_officer(actor, record)
    today = today or timezone.localdate()
    repairable(record)
    if RepairCase.objects.filter(
        record=record, status__in=[RepairCase.Status.APPLIED, RepairCase.Status.ACCEPTED]
    ).exists():
        raise ValidationError(_(ERR_OPEN))
    for value, what in ((applicant, _("申请人")), (application, _("信用修复申请书"))):
        if not value.strip():
            raise ValidationError(_(ERR_EMPTY) % {"what": what})
    assert record.published_on is not None  # repairable() checked it
    _dated(applied_on, _("申请日期"), today, (record.published_on, _("公示日期")))
    case = RepairCase.objects.create(
        record=record,
        applicant=applicant.strip(),
        applied_on=applied_on,
        application=application.strip(),
        commitment=commitment,
        evidence=evidence.strip(),
        accept_due=add_workdays(applied_on, ACCEPT_WORKDAYS),
    )
    audit_record(
        actor=actor,
        action="credit.repair.apply",
        obj=case,
        after={
            "record": record.document_no,
            "applicant": case.applicant,
            "applied_on": applied_on.isoformat(),
            "commitment": commitment,
            "evidence": case.evidence,
        },
    )
    return case


@transaction.atomic
def repair_accept(
    *, actor: Any, case: RepairCase, accepted_on: dt.date, today: dt.date | None = None
) -> RepairCase:
    """Accept a complete application; the decision is then due within its working days."""
    _require_officer(actor, case.record)
    today = today or timezone.localdate()
    _step(case, RepairCase.Status.APPLIED)
    _dated(accepted_on, _("受理日期"), today, (case.applied_on, _("申请日期")))
    if not case.commitment:
        raise ValidationError(_(ERR_NO_COMMITMENT))
    case.status = RepairCase.Status.ACCEPTED
    case.accepted_on = accepted_on
    case.decide_due = add_workdays(accepted_on, DECIDE_WORKDAYS)
    case.save(update_fields=["status", "accepted_on", "decide_due"])
    audit_record(
        actor=actor,
        action="credit.repair.accept",
        obj=case,
        after={"accepted_on": accepted_on.isoformat(), "decide_due": case.decide_due.isoformat()},
    )
    return case


@transaction.atomic
def repair_not_accept(
    *,
    actor: Any,
    case: RepairCase,
    decided_on: dt.date,
    reasons: str,
    today: dt.date | None = None,
) -> RepairCase:
    """Decline an application (materials incomplete, not a repairable record …), with
    the reasons the party is told."""
    case.decided_by = _require_officer(actor, case.record)
    today = today or timezone.localdate()
    _step(case, RepairCase.Status.APPLIED)
    _dated(decided_on, _("决定日期"), today, (case.applied_on, _("申请日期")))
    if not reasons.strip():
        raise ValidationError(_(ERR_REASONS))
    case.status = RepairCase.Status.NOT_ACCEPTED
    case.decided_on = decided_on
    case.reasons = reasons.strip()
    case.save(update_fields=["status", "decided_on", "reasons", "decided_by"])
    audit_record(
        actor=actor,
        action="credit.repair.not_accept",
        obj=case,
        after={"decided_on": decided_on.isoformat(), "reasons": case.reasons},
    )
    return case


@transaction.atomic
def repair_decide(
    *,
    actor: Any,
    case: RepairCase,
    decided_on: dt.date,
    grant: bool,
    obligations_fulfilled: bool,
    harm_removed: bool,
    reasons: str = "",
    today: dt.date | None = None,
) -> RepairCase:
    """Decide an accepted application. Granted only when the minimum period has passed
    and every condition holds on the day of the decision: the record's publication then
    stops that day. A refusal needs its reasons."""
    case.decided_by = _require_officer(actor, case.record)
    today = today or timezone.localdate()
    _step(case, RepairCase.Status.ACCEPTED)
    assert case.accepted_on is not None
    _dated(decided_on, _("决定日期"), today, (case.accepted_on, _("受理日期")))
    record = CreditRecord.objects.select_for_update().get(pk=case.record_id)
    if grant:
        repairable(record)
        assert record.published_on is not None
        opens = repair_from(record.published_on, Sector(record.sector))
        if decided_on < opens:
            raise ValidationError(_(ERR_REPAIR_TOO_SOON) % {"from": opens.isoformat()})
        unmet = repair_unmet(
            record,
            decided_on,
            obligations_fulfilled=obligations_fulfilled,
            harm_removed=harm_removed,
        )
        if unmet:
            raise ValidationError(_(ERR_REPAIR_CONDITIONS) % {"unmet": "；".join(unmet)})
        record.repaired_on = decided_on
        record.save(update_fields=["repaired_on"])
    elif not reasons.strip():
        raise ValidationError(_(ERR_REASONS))
    case.status = RepairCase.Status.REPAIRED if grant else RepairCase.Status.REFUSED
    case.decided_on = decided_on
    case.obligations_fulfilled = obligations_fulfilled
    case.harm_removed = harm_removed
    case.reasons = reasons.strip()
    case.save(
        update_fields=[
            "status",
            "decided_on",
            "obligations_fulfilled",
            "harm_removed",
            "reasons",
            "decided_by",
        ]
    )
    audit_record(
        actor=actor,
        action="credit.repair.grant" if grant else "credit.repair.refuse",
        obj=case,
        after={
            "record": record.document_no,
            "decided_on": decided_on.isoformat(),
            "obligations_fulfilled": obligations_fulfilled,
            "harm_removed": harm_removed,
            "reasons": case.reasons,
            "repaired_on": record.repaired_on.isoformat() if record.repaired_on else None,
        },
    )
    return case


def open_repairs(actor: Any) -> list[RepairCase]:
    """Applications not yet decided that this officer may handle, oldest first."""
    cases = (
        RepairCase.objects.filter(
            status__in=[RepairCase.Status.APPLIED, RepairCase.Status.ACCEPTED]
        )
        .select_related("record__enterprise")
        .order_by("applied_on", "id")
    )
    return [c for c in cases if may_record_about(actor, c.record.enterprise)]
