"""The 严重违法失信名单 (SAMR Order 44, 2021): from a heavier penalty to listing and removal.

proposed → notified → (objected → upheld: dropped | rejected) → listed → removed (early,
on application after a year; or at the end of the term). Every step is audited.

Deadlines that Order 44 leaves to local rules (DOMAIN.md §2.2: "UNCONFIRMED") are set
here: the party may object within ``OBJECTION_WORKDAYS`` working days of the notice, and
the objection is verified and answered within ``REPLY_WORKDAYS`` working days. Listing by
a district bureau needs the approval of the city (provincial-level) bureau; the city
bureau's own cases are approved by itself (Order 44: approval by the level above for
county and city bureaus).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.access import CITYWIDE_READERS, has_role, organisations_of
from zhiliang.accounts.audit import audit_record
from zhiliang.credit.access import may_record_about
from zhiliang.credit.models import CreditRecord, Listing
from zhiliang.credit.services import classify_enterprise
from zhiliang.lib.creditrules import (
    LISTING_MAX_YEARS,
    CreditFact,
    Kind,
    early_removal_check,
    is_listing_candidate,
    listing_for,
)
from zhiliang.lib.workdays import add_workdays
from zhiliang.registry.models import Enterprise

#: Local rule: working days after the notice within which the party may object.
OBJECTION_WORKDAYS = 5
#: Local rule: working days to verify an objection and answer it.
REPLY_WORKDAYS = 5

#: Order 44's management measures on a listed party: key → label.
MEASURES: dict[str, str] = {
    "licensing_review": gettext_noop(
        "在审查行政许可、资质、资格、委托承担政府采购项目、工程招投标时作为重要考量因素"
    ),
    "key_supervision": gettext_noop("列为重点监管对象，提高检查频次"),
    "no_commitment_approval": gettext_noop("不适用告知承诺制"),
    "no_honours": gettext_noop("不予授予市场监督管理部门荣誉称号等表彰奖励"),
}

ERR_NOT_CANDIDATE = gettext_noop("只有较重行政处罚可以作为列入严重违法失信名单的依据。")
ERR_OPEN_CASE = gettext_noop("该处罚已有未办结的列入案件。")
ERR_STATUS = gettext_noop("案件当前状态为“%(status)s”，不能办理此步骤。")
ERR_LATE_OBJECTION = gettext_noop("异议提出日期晚于异议截止日期 %(due)s。")
ERR_TOO_SOON = gettext_noop("异议期至 %(due)s 届满，届满前不能批准列入。")
ERR_BEFORE = gettext_noop("%(what)s不能早于%(other)s。")
ERR_FUTURE = gettext_noop("%(what)s不能晚于今天。")
ERR_YEARS = gettext_noop("列入期限为 1 至 %(max)s 年。")
ERR_REASONS = gettext_noop("请写明列入事由和依据。")
ERR_EARLY_REMOVAL = gettext_noop("不符合提前移出条件：%(unmet)s")


def _acting_org(actor: Any) -> Any:
    orgs = organisations_of(actor)
    if not orgs:
        raise PermissionDenied
    return orgs[0]


def _require_case_officer(actor: Any, enterprise: Enterprise) -> None:
    if actor is None or not may_record_about(actor, enterprise):
        raise PermissionDenied


def _check_date(day: dt.date, what: str, today: dt.date, after: tuple[dt.date, str] | None) -> None:
    if day > today:
        raise ValidationError(_(ERR_FUTURE) % {"what": what})
    if after is not None and day < after[0]:
        raise ValidationError(_(ERR_BEFORE) % {"what": what, "other": after[1]})


def _require_status(listing: Listing, *allowed: str) -> None:
    if listing.status not in allowed:
        raise ValidationError(_(ERR_STATUS) % {"status": listing.get_status_display()})


def _audit(actor: Any, action: str, listing: Listing, **after: Any) -> None:
    audit_record(
        actor=actor,
        action=f"credit.listing.{action}",
        obj=listing,
        after={k: v.isoformat() if isinstance(v, dt.date) else v for k, v in after.items()},
    )


def listing_candidates() -> list[CreditRecord]:
    """Heavier penalties no case has been opened on: the system proposes, an officer
    judges whether the conduct was 性质恶劣、情节严重、社会危害较大."""
    records = CreditRecord.objects.filter(kind=Kind.PENALTY, heavier=True, listings__isnull=True)
    return list(records.select_related("enterprise").order_by("decided_on", "id"))


@transaction.atomic
def listing_propose(
    *,
    actor: Any,
    record: CreditRecord,
    reasons: str,
    basis: str,
    proposed_on: dt.date,
    today: dt.date | None = None,
) -> Listing:
    """Open a case (立案) on a heavier penalty."""
    _require_case_officer(actor, record.enterprise)
    today = today or timezone.localdate()
    fact = CreditFact(record.pk, Kind(record.kind), record.decided_on, record.heavier)
    if not is_listing_candidate(fact):
        raise ValidationError(_(ERR_NOT_CANDIDATE))
    if not reasons.strip() or not basis.strip():
        raise ValidationError(_(ERR_REASONS))
    _check_date(proposed_on, _("立案日期"), today, (record.decided_on, _("处罚决定日期")))
    if Listing.objects.filter(record=record).exclude(
        status__in=[Listing.Status.DROPPED, Listing.Status.REMOVED]
    ):
        raise ValidationError(_(ERR_OPEN_CASE))
    listing = Listing.objects.create(
        enterprise=record.enterprise,
        record=record,
        reasons=reasons.strip(),
        basis=basis.strip(),
        proposed_on=proposed_on,
        proposed_by=_acting_org(actor),
    )
    _audit(actor, "propose", listing, record=record.document_no, proposed_on=proposed_on)
    return listing


@transaction.atomic
def listing_notify(
    *, actor: Any, listing: Listing, notified_on: dt.date, today: dt.date | None = None
) -> Listing:
    """The party is told the reasons, the basis and its rights (objection, 行政复议,
    行政诉讼); the objection window starts."""
    _require_case_officer(actor, listing.enterprise)
    _require_status(listing, Listing.Status.PROPOSED)
    today = today or timezone.localdate()
    _check_date(notified_on, _("告知日期"), today, (listing.proposed_on, _("立案日期")))
    listing.notified_on = notified_on
    listing.objection_due = add_workdays(notified_on, OBJECTION_WORKDAYS)
    listing.status = Listing.Status.NOTIFIED
    listing.save(update_fields=["notified_on", "objection_due", "status"])
    _audit(actor, "notify", listing, notified_on=notified_on, objection_due=listing.objection_due)
    return listing


@transaction.atomic
def listing_object(
    *,
    actor: Any,
    listing: Listing,
    filed_on: dt.date,
    text: str,
    today: dt.date | None = None,
) -> Listing:
    """Record the party's objection (received by the officer)."""
    _require_case_officer(actor, listing.enterprise)
    _require_status(listing, Listing.Status.NOTIFIED)
    today = today or timezone.localdate()
    assert listing.notified_on is not None and listing.objection_due is not None
    _check_date(filed_on, _("异议提出日期"), today, (listing.notified_on, _("告知日期")))
    if filed_on > listing.objection_due:
        raise ValidationError(_(ERR_LATE_OBJECTION) % {"due": listing.objection_due.isoformat()})
    listing.objection_filed_on = filed_on
    listing.objection = text.strip()
    listing.status = Listing.Status.OBJECTED
    listing.save(update_fields=["objection_filed_on", "objection", "status"])
    _audit(actor, "object", listing, filed_on=filed_on)
    return listing


def objection_reply_due(listing: Listing) -> dt.date | None:
    if listing.objection_filed_on is None:
        return None
    return add_workdays(listing.objection_filed_on, REPLY_WORKDAYS)


@transaction.atomic
def listing_decide_objection(
    *,
    actor: Any,
    listing: Listing,
    decided_on: dt.date,
    upheld: bool,
    reply: str,
    today: dt.date | None = None,
) -> Listing:
    """Verify the objection and answer it: upheld, the case is dropped; rejected, it
    goes on to approval."""
    _require_case_officer(actor, listing.enterprise)
    _require_status(listing, Listing.Status.OBJECTED)
    today = today or timezone.localdate()
    assert listing.objection_filed_on is not None
    _check_date(
        decided_on, _("异议核实日期"), today, (listing.objection_filed_on, _("异议提出日期"))
    )
    if not reply.strip():
        raise ValidationError(_(ERR_REASONS))
    listing.objection_decided_on = decided_on
    listing.objection_upheld = upheld
    listing.objection_reply = reply.strip()
    listing.status = Listing.Status.DROPPED if upheld else Listing.Status.NOTIFIED
    listing.save(
        update_fields=["objection_decided_on", "objection_upheld", "objection_reply", "status"]
    )
    _audit(
        actor,
        "objection_decide",
        listing,
        decided_on=decided_on,
        upheld=upheld,
        in_time=decided_on <= (objection_reply_due(listing) or decided_on),
    )
    return listing


@transaction.atomic
def listing_approve(
    *,
    actor: Any,
    listing: Listing,
    approved_on: dt.date,
    years: int = LISTING_MAX_YEARS,
    today: dt.date | None = None,
) -> Listing:
    """The city bureau approves and the party is listed from ``approved_on`` for
    ``years`` (at most three). Not before the objection window has passed, unless an
    objection was answered."""
    if actor is None or not has_role(actor, CITYWIDE_READERS):
        raise PermissionDenied  # district bureaus need the city's approval
    _require_status(listing, Listing.Status.NOTIFIED)
    today = today or timezone.localdate()
    assert listing.notified_on is not None and listing.objection_due is not None
    _check_date(approved_on, _("批准日期"), today, (listing.notified_on, _("告知日期")))
    if listing.objection_decided_on is None and approved_on <= listing.objection_due:
        raise ValidationError(_(ERR_TOO_SOON) % {"due": listing.objection_due.isoformat()})
    if not 1 <= years <= LISTING_MAX_YEARS:
        raise ValidationError(_(ERR_YEARS) % {"max": LISTING_MAX_YEARS})
    term = listing_for(approved_on, years)
    listing.approved_on = listing.listed_on = approved_on
    listing.approved_by = _acting_org(actor)
    listing.last_day = term.last_day
    listing.status = Listing.Status.LISTED
    listing.save(update_fields=["approved_on", "listed_on", "approved_by", "last_day", "status"])
    _audit(actor, "approve", listing, listed_on=approved_on, last_day=term.last_day, years=years)
    classify_enterprise(listing.enterprise, today=max(today, approved_on))
    return listing


def early_removal_unmet(
    listing: Listing,
    *,
    on: dt.date,
    obligations_fulfilled: bool,
    harm_removed: bool,
    measure_period_ended: bool = True,
) -> list[str]:
    """The conditions of early removal not met on ``on`` (empty: it may be removed). A
    heavier penalty since the listing is read from the records."""
    assert listing.listed_on is not None
    heavier_since = CreditRecord.objects.filter(
        enterprise=listing.enterprise,
        kind=Kind.PENALTY,
        heavier=True,
        decided_on__gt=listing.listed_on,
    ).exists()
    return early_removal_check(
        listing_for(listing.listed_on),
        on=on,
        obligations_fulfilled=obligations_fulfilled,
        harm_removed=harm_removed,
        heavier_penalty_since=heavier_since,
        measure_period_ended=measure_period_ended,
    )


@transaction.atomic
def listing_remove_early(
    *,
    actor: Any,
    listing: Listing,
    removed_on: dt.date,
    evidence: str,
    obligations_fulfilled: bool,
    harm_removed: bool,
    measure_period_ended: bool = True,
    today: dt.date | None = None,
) -> Listing:
    """Early removal on the party's application: after at least a year, every condition
    met. Afterwards the public pages no longer show the listing."""
    _require_case_officer(actor, listing.enterprise)
    _require_status(listing, Listing.Status.LISTED)
    today = today or timezone.localdate()
    _check_date(removed_on, _("移出日期"), today, None)
    unmet = early_removal_unmet(
        listing,
        on=removed_on,
        obligations_fulfilled=obligations_fulfilled,
        harm_removed=harm_removed,
        measure_period_ended=measure_period_ended,
    )
    if unmet:
        raise ValidationError(_(ERR_EARLY_REMOVAL) % {"unmet": "；".join(unmet)})
    listing.removed_on = removed_on
    listing.removal = Listing.Removal.EARLY
    listing.removal_evidence = evidence.strip()
    listing.status = Listing.Status.REMOVED
    listing.save(update_fields=["removed_on", "removal", "removal_evidence", "status"])
    _audit(actor, "remove_early", listing, removed_on=removed_on)
    classify_enterprise(listing.enterprise, today=today)
    return listing


@transaction.atomic
def listings_expire(*, today: dt.date | None = None) -> int:
    """Remove the listings whose term has ended (``zhiliang credit expire``, daily). The
    check and the public pages already treat them as ended from the day after."""
    today = today or timezone.localdate()
    ended = list(Listing.objects.filter(status=Listing.Status.LISTED, last_day__lt=today))
    for listing in ended:
        assert listing.last_day is not None
        listing.removed_on = listing.last_day + dt.timedelta(days=1)
        listing.removal = Listing.Removal.EXPIRED
        listing.status = Listing.Status.REMOVED
        listing.save(update_fields=["removed_on", "removal", "status"])
        _audit(None, "expire", listing, removed_on=listing.removed_on)
        classify_enterprise(listing.enterprise, today=today)
    return len(ended)


def listings_in_force(enterprise: Enterprise, day: dt.date) -> list[Listing]:
    """The enterprise's listings in force on ``day``: within their term and not removed
    by then (so a past day is answered as it stood)."""
    return listings_in_force_of([enterprise.pk], day).get(enterprise.pk, [])


def listings_in_force_of(enterprise_ids: list[int], day: dt.date) -> dict[int, list[Listing]]:
    """:func:`listings_in_force` for several enterprises in one query, by enterprise id
    (enterprises without any are left out)."""
    found: dict[int, list[Listing]] = {}
    for listing in (
        Listing.objects.in_force(day)
        .filter(enterprise_id__in=enterprise_ids)
        .select_related("approved_by")
        .order_by("listed_on")
    ):
        found.setdefault(listing.enterprise_id, []).append(listing)
    return found


def credit_check(uscc: str, *, today: dt.date | None = None) -> dict[str, Any] | None:
    """The joint-punishment check (联合惩戒): whether the enterprise is listed on
    ``today`` and which measures apply. ``None`` if no such enterprise is registered."""
    today = today or timezone.localdate()
    enterprise = Enterprise.objects.filter(uscc=uscc.strip().upper()).first()
    if enterprise is None:
        return None
    listings = listings_in_force(enterprise, today)
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "listed": bool(listings),
        "listings": [
            {
                "listed_on": x.listed_on.isoformat() if x.listed_on else None,
                "last_day": x.last_day.isoformat() if x.last_day else None,
                "reasons": x.reasons,
                "basis": x.basis,
                "decided_by": x.approved_by.name if x.approved_by_id else "",
            }
            for x in listings
        ],
        "measures": (
            [{"key": k, "label": _(label)} for k, label in MEASURES.items()] if listings else []
        ),
        "checked_on": today.isoformat(),
    }
