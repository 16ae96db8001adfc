"""One sample's life: record → test report → notification → objection and re-test →
disposal (产品质量法 Art. 15–17), with the trace-back referral of a failed sample whose
nominal producer is registered elsewhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.access import CITYWIDE_READERS, has_role
from zhiliang.accounts.audit import audit_record
from zhiliang.inspections.access import (
    SAMPLE_WRITERS,
    may_answer_referral,
    require_sample_writer,
    writable_districts,
)
from zhiliang.inspections.models import (
    DisposalAction,
    Laboratory,
    Objection,
    ProductCategory,
    Referral,
    Sample,
    TestItem,
)
from zhiliang.inspections.selectors import region_codes
from zhiliang.inspections.services.tallies import tally_add, tally_delta, tally_keys
from zhiliang.lib.samplerows import EARLIEST_DATE
from zhiliang.lib.samplingsteps import Rung, next_rung, objection_in_time
from zhiliang.lib.uscc import validate_uscc
from zhiliang.registry.models import Division, Enterprise, Organisation

ERR_FUTURE = gettext_noop("%(what)s不能晚于今天。")
ERR_TOO_EARLY = gettext_noop("%(what)s不能早于 %(earliest)s，请检查年份。")
ERR_BEFORE = gettext_noop("%(what)s不能早于%(other)s %(date)s。")
ERR_NO_REPORT = gettext_noop("样品还没有检验报告。")
ERR_REPORTED = gettext_noop("检验报告已录入，不能重复录入；如需更正请走异议复检程序。")
ERR_NOT_FAILED = gettext_noop("只有不合格样品需要通知、异议和后处理。")
ERR_FAILED_ITEMS = gettext_noop("不合格样品必须填写不合格项目。")
ERR_PASS_WITH_ITEMS = gettext_noop("合格样品不应填写不合格项目。")
ERR_NOT_NOTIFIED = gettext_noop("结果尚未通知被抽样单位，不能提出异议。")
ERR_OBJECTION_EXISTS = gettext_noop("该样品已有异议记录。")
ERR_DECIDED = gettext_noop("该异议已作出受理决定。")
ERR_NOT_ACCEPTED = gettext_noop("异议未受理，不进行复检。")
ERR_SAME_LAB = gettext_noop("复检应由原检验机构以外的机构承担（原检验机构：%(lab)s）。")
ERR_RETEST_DONE = gettext_noop("复检结果已录入。")
ERR_RUNG_ORDER = gettext_noop("下一步处理措施应为“%(expected)s”。")
ERR_LADDER_END = gettext_noop("已吊销营业执照，后处理程序已终结。")
ERR_PREVIOUS_OPEN = gettext_noop("上一措施“%(rung)s”尚未复查。")
ERR_PREVIOUS_PASSED = gettext_noop("上一措施复查合格，无需升级处理。")
ERR_CHECKED = gettext_noop("该措施已复查。")
ERR_DEADLINE_NEEDED = gettext_noop("“%(rung)s”须规定整改或复查期限。")
ERR_DISTRICT = gettext_noop("无权在%(district)s录入样品。")
ERR_REFERRAL_CLOSED = gettext_noop("该移送已回复或撤回。")
ERR_ROLE = gettext_noop("生产环节的被抽样单位应为生产者。")
ERR_REGION = gettext_noop("生产者所在地区代码“%(code)s”不是有效的行政区划代码（GB/T 2260）。")
ERR_PRODUCER_REGION = gettext_noop("已填写标称生产者统一社会信用代码，须填写生产者所在地区代码。")
ERR_NOTIFIED = gettext_noop("结果已于 %(date)s 通知被抽样单位，不能重复通知。")
ERR_ANNOUNCE_LEVEL = gettext_noop(
    "公告须由省级以上市场监督管理部门发布（产品质量法第十七条），区县不能决定。"
)
ERR_REPLY_EMPTY = gettext_noop("请填写回复内容。")


def _lab_name(lab: Laboratory | str) -> str:
    return lab.name if isinstance(lab, Laboratory) else lab.strip()


def _lab(lab: Laboratory | str) -> Laboratory:
    """The laboratory, registered by name if new: called only once a step's checks have
    passed, so a refused step leaves no laboratory behind."""
    if isinstance(lab, Laboratory):
        return lab
    name = lab.strip()
    if not name:
        raise ValidationError(_("请填写检验机构名称。"))
    return Laboratory.objects.get_or_create(name=name[:200])[0]


def _plausible(day: dt.date | None, what: str) -> None:
    """Not in the future, and not before the importer's earliest date: a typo such as
    0025-03-01 must not become a sample of year 25 in the tallies."""
    if day is not None and day > timezone.localdate():
        raise ValidationError(_(ERR_FUTURE) % {"what": what})
    if day is not None and day < EARLIEST_DATE:
        raise ValidationError(
            _(ERR_TOO_EARLY) % {"what": what, "earliest": EARLIEST_DATE.isoformat()}
        )


def _not_before(day: dt.date | None, other: dt.date | None, what: str, other_name: str) -> None:
    if day is not None and other is not None and day < other:
        raise ValidationError(
            _(ERR_BEFORE) % {"what": what, "other": other_name, "date": other.isoformat()}
        )


def _snapshot(sample: Sample) -> dict[str, Any]:
    return {
        "conclusion": sample.conclusion,
        "final_conclusion": sample.final_conclusion,
        "report_no": sample.report_no,
        "reported_on": sample.reported_on.isoformat() if sample.reported_on else None,
        "notified_on": sample.notified_on.isoformat() if sample.notified_on else None,
    }


# --- parties -------------------------------------------------------------------------------


def party_resolve(*, uscc: str, name: str, region: str, registered_via: str) -> Enterprise:
    """The registered enterprise with this code, or a new one registered from the record."""
    result = validate_uscc(uscc)
    if not result.valid:
        raise ValidationError(
            _("统一社会信用代码“%(code)s”无效：%(reason)s")
            % {"code": uscc, "reason": result.reason}
        )
    found = Enterprise.objects.filter(uscc=result.code).first()
    if found is not None:
        return found
    district = Division.objects.filter(code=region).first()
    enterprise = Enterprise(
        uscc=result.code,
        name=name,
        district=district,
        region=region,
        registered_via=registered_via,
    )
    enterprise.full_clean()
    enterprise.save()
    return enterprise


# --- record --------------------------------------------------------------------------------


@dataclass
class SampleInput:
    sample_no: str
    category: ProductCategory
    product_name: str
    sampled_party_uscc: str
    sampled_party_name: str
    sampled_party_role: str
    sampling_district: Division
    channel: str
    sampled_on: dt.date
    producer_name: str = ""
    producer_uscc: str = ""
    producer_region: str = ""
    model: str = ""
    batch: str = ""
    place: str = ""
    quantity: str = ""
    backup_quantity: str = ""
    seal_numbers: str = ""
    samplers: str = ""


@transaction.atomic
def sample_record(
    *,
    actor: Any,
    data: SampleInput,
    plan: Any = None,
    assignment: Any = None,
    is_demo: bool = False,
) -> Sample:
    if actor is not None and not has_role(actor, SAMPLE_WRITERS):
        raise PermissionDenied
    districts = writable_districts(actor) if actor is not None else None
    if districts is not None and data.sampling_district.code not in districts:
        raise ValidationError(_(ERR_DISTRICT) % {"district": data.sampling_district.name})
    _plausible(data.sampled_on, _("抽样日期"))
    if data.channel == Sample.Channel.PRODUCTION and data.sampled_party_role != "producer":
        raise ValidationError(_(ERR_ROLE))
    if data.channel == Sample.Channel.PRODUCTION and not data.producer_uscc:
        # Sampled at the factory with no producer named: the sampled party made it.
        data = dataclasses.replace(
            data,
            producer_name=data.sampled_party_name,
            producer_uscc=data.sampled_party_uscc,
            producer_region=data.sampling_district.code,
        )
    if data.producer_region:
        # The region decides the trace-back referral: a typo must not send it nowhere.
        if data.producer_region not in region_codes():
            raise ValidationError(_(ERR_REGION) % {"code": data.producer_region})
    elif data.producer_uscc:
        raise ValidationError(_(ERR_PRODUCER_REGION))
    # Stored data, so in Chinese whatever the official's interface language.
    via = f"抽样单 {data.sample_no}"
    party = party_resolve(
        uscc=data.sampled_party_uscc,
        name=data.sampled_party_name,
        region=data.sampling_district.code,
        registered_via=via,
    )
    producer = None
    if data.producer_uscc:
        producer = party_resolve(
            uscc=data.producer_uscc,
            name=data.producer_name,
            region=data.producer_region,
            registered_via=via,
        )
    sample = Sample(
        sample_no=data.sample_no,
        plan=plan,
        assignment=assignment,
        category=data.category,
        product_name=data.product_name,
        model=data.model,
        batch=data.batch,
        sampled_party=party,
        sampled_party_name=data.sampled_party_name,
        sampled_party_role=data.sampled_party_role,
        producer=producer,
        producer_name=data.producer_name,
        producer_region=data.producer_region,
        sampling_district=data.sampling_district,
        channel=data.channel,
        place=data.place,
        sampled_on=data.sampled_on,
        quantity=data.quantity,
        backup_quantity=data.backup_quantity,
        seal_numbers=data.seal_numbers,
        samplers=data.samplers,
        is_demo=is_demo,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    sample.full_clean()
    sample.save()
    audit_record(
        actor=actor,
        action="sample.record",
        obj=sample,
        after={
            "sample_no": sample.sample_no,
            "category": data.category.code,
            "party": party.uscc,
            "producer": producer.uscc if producer else "",
            "district": data.sampling_district.code,
            "sampled_on": data.sampled_on.isoformat(),
        },
    )
    return sample


# --- test report ---------------------------------------------------------------------------


@dataclass
class ItemInput:
    name: str
    result: str
    passed: bool
    requirement: str = ""


def _final_set(
    sample: Sample, new_final: str, on: dt.date | None = None, actor: Any = None
) -> None:
    """Set the final conclusion (reported on ``on``), keep the tallies, open or withdraw
    the referral, and record or withdraw the failure in the enterprise's credit."""
    old = sample.final_conclusion
    if old == new_final:
        return
    sample.final_conclusion = new_final
    sample.save(update_fields=["final_conclusion"])
    tested, passed = tally_delta(old, new_final)
    tally_add([(key, tested, passed) for key in tally_keys(sample)])
    from zhiliang.credit.services import inspection_failure_record, inspection_failure_withdraw

    if new_final == Sample.Conclusion.FAIL:
        referral_open(sample, on)
        inspection_failure_record(sample, actor=actor)
        return
    inspection_failure_withdraw(sample, actor=actor, reason=_("复检结论合格"))
    # A re-test found the product in order: the trace-back referral is withdrawn and any
    # rectification order still open ends, each recorded.
    withdrawn = Referral.objects.filter(sample=sample, status=Referral.Status.OPEN)
    for referral in withdrawn:
        referral.status = Referral.Status.WITHDRAWN
        referral.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="sample.referral_withdraw",
            obj=sample,
            after={"to": referral.to_region, "status": referral.status},
            reason=_("复检结论合格"),
        )
    for action in DisposalAction.objects.filter(sample=sample, check_passed__isnull=True):
        action.checked_on = on or timezone.localdate()
        action.check_passed = True
        action.note = f"{action.note}\n{_('复检结论合格，本措施终止。')}".strip()
        action.save(update_fields=["checked_on", "check_passed", "note"])
        audit_record(
            actor=actor,
            action="sample.disposal_end",
            obj=sample,
            after={"rung": action.rung, "checked_on": action.checked_on.isoformat()},
            reason=_("复检结论合格"),
        )


@transaction.atomic
def sample_report(
    *,
    actor: Any,
    sample: Sample,
    lab: Laboratory | str,
    report_no: str,
    reported_on: dt.date,
    conclusion: str,
    failed_items: str = "",
    standards: str = "",
    lab_received_on: dt.date | None = None,
    items: list[ItemInput] | None = None,
) -> Sample:
    require_sample_writer(actor, sample)
    sample = Sample.objects.select_for_update().get(pk=sample.pk)
    if sample.conclusion:
        raise ValidationError(_(ERR_REPORTED))
    _plausible(reported_on, _("报告日期"))
    _plausible(lab_received_on, _("样品送达日期"))
    _not_before(lab_received_on, sample.sampled_on, _("样品送达日期"), _("抽样日期"))
    _not_before(
        reported_on, lab_received_on or sample.sampled_on, _("报告日期"), _("送样或抽样日期")
    )
    if conclusion not in (Sample.Conclusion.PASS, Sample.Conclusion.FAIL):
        raise ValidationError(_("检验结论必须是合格或不合格。"))
    items = items or []
    if conclusion == Sample.Conclusion.FAIL and not (
        failed_items.strip() or any(not i.passed for i in items)
    ):
        raise ValidationError(_(ERR_FAILED_ITEMS))
    if conclusion == Sample.Conclusion.PASS and (
        failed_items.strip() or any(not i.passed for i in items)
    ):
        raise ValidationError(_(ERR_PASS_WITH_ITEMS))
    if not failed_items and items:
        failed_items = "、".join(i.name for i in items if not i.passed)
    before = _snapshot(sample)
    sample.lab = _lab(lab)
    sample.report_no = report_no
    sample.reported_on = reported_on
    sample.conclusion = conclusion
    sample.failed_items = failed_items
    sample.standards = standards
    sample.lab_received_on = lab_received_on
    sample.full_clean()
    sample.save()
    TestItem.objects.bulk_create(
        [
            TestItem(
                sample=sample,
                name=i.name,
                result=i.result,
                passed=i.passed,
                requirement=i.requirement,
            )
            for i in items
        ]
    )
    _final_set(sample, conclusion, reported_on, actor)
    audit_record(
        actor=actor, action="sample.report", obj=sample, before=before, after=_snapshot(sample)
    )
    return sample


# --- notification and objection --------------------------------------------------------------


@transaction.atomic
def sample_notify(
    *, actor: Any, sample: Sample, notified_on: dt.date, received_on: dt.date | None = None
) -> Sample:
    """The failing result is sent to the inspected party (within 5 working days of the
    report, a local rule; DOMAIN.md §3) and its receipt starts the 15-day objection window."""
    require_sample_writer(actor, sample)
    if not sample.reported_on:
        raise ValidationError(_(ERR_NO_REPORT))
    if sample.conclusion != Sample.Conclusion.FAIL:
        raise ValidationError(_(ERR_NOT_FAILED))
    if sample.notified_on:
        # The notification starts the 15-day objection window: moving it would move the
        # party's legal deadline after the fact.
        raise ValidationError(_(ERR_NOTIFIED) % {"date": sample.notified_on.isoformat()})
    _plausible(notified_on, _("通知日期"))
    _plausible(received_on, _("收到结果日期"))
    _not_before(notified_on, sample.reported_on, _("通知日期"), _("报告日期"))
    _not_before(received_on, notified_on, _("收到结果日期"), _("通知日期"))
    before = _snapshot(sample)
    sample.notified_on = notified_on
    sample.result_received_on = received_on or notified_on
    sample.save(update_fields=["notified_on", "result_received_on"])
    audit_record(
        actor=actor, action="sample.notify", obj=sample, before=before, after=_snapshot(sample)
    )
    return sample


@transaction.atomic
def objection_file(*, actor: Any, sample: Sample, filed_on: dt.date, reason: str) -> Objection:
    """Record an objection. One filed more than 15 days after the party received the
    result is refused at once and counts as acceptance of the result (Art. 15)."""
    require_sample_writer(actor, sample)
    if sample.conclusion != Sample.Conclusion.FAIL:
        raise ValidationError(_(ERR_NOT_FAILED))
    if not sample.result_received_on:
        raise ValidationError(_(ERR_NOT_NOTIFIED))
    if Objection.objects.filter(sample=sample).exists():
        raise ValidationError(_(ERR_OBJECTION_EXISTS))
    _plausible(filed_on, _("异议日期"))
    _not_before(filed_on, sample.result_received_on, _("异议日期"), _("收到结果日期"))
    in_time = objection_in_time(sample.result_received_on, filed_on)
    objection = Objection(sample=sample, filed_on=filed_on, reason=reason, in_time=in_time)
    if not in_time:
        objection.decided_on = filed_on
        objection.accepted = False
        objection.decision_note = _(
            "逾期提出异议，不予受理，视为承认检验结果（产品质量法第十五条）。"
        )
    objection.full_clean()
    objection.save()
    audit_record(
        actor=actor,
        action="sample.objection",
        obj=sample,
        after={"filed_on": filed_on.isoformat(), "in_time": in_time},
        reason=reason,
    )
    return objection


@transaction.atomic
def objection_decide(
    *,
    actor: Any,
    objection: Objection,
    decided_on: dt.date,
    accepted: bool,
    note: str = "",
    retest_lab: Laboratory | str | None = None,
) -> Objection:
    sample = objection.sample
    require_sample_writer(actor, sample)
    if objection.accepted is not None:
        raise ValidationError(_(ERR_DECIDED))
    _plausible(decided_on, _("决定日期"))
    _not_before(decided_on, objection.filed_on, _("决定日期"), _("异议日期"))
    if accepted:
        if retest_lab is None:
            raise ValidationError(_("受理异议时须指定复检机构。"))
        if _lab_name(retest_lab) == (sample.lab.name if sample.lab else None):
            raise ValidationError(_(ERR_SAME_LAB) % {"lab": _lab_name(retest_lab)})
    objection.decided_on = decided_on
    objection.accepted = accepted
    objection.decision_note = note
    objection.retest_lab = _lab(retest_lab) if accepted and retest_lab else None
    objection.save()
    audit_record(
        actor=actor,
        action="sample.objection_decide",
        obj=sample,
        after={
            "accepted": accepted,
            "decided_on": decided_on.isoformat(),
            "retest_lab": objection.retest_lab.name if objection.retest_lab else "",
        },
        reason=note,
    )
    return objection


@transaction.atomic
def retest_record(
    *, actor: Any, objection: Objection, report_no: str, reported_on: dt.date, conclusion: str
) -> Objection:
    """The re-test conclusion replaces the first one as the final conclusion."""
    sample = Sample.objects.select_for_update().get(pk=objection.sample_id)
    require_sample_writer(actor, sample)
    if not objection.accepted:
        raise ValidationError(_(ERR_NOT_ACCEPTED))
    if objection.retest_conclusion:
        raise ValidationError(_(ERR_RETEST_DONE))
    if conclusion not in (Sample.Conclusion.PASS, Sample.Conclusion.FAIL):
        raise ValidationError(_("检验结论必须是合格或不合格。"))
    _plausible(reported_on, _("复检报告日期"))
    _not_before(reported_on, objection.decided_on, _("复检报告日期"), _("受理日期"))
    before = _snapshot(sample)
    objection.retest_report_no = report_no
    objection.retest_reported_on = reported_on
    objection.retest_conclusion = conclusion
    objection.save()
    _final_set(sample, conclusion, reported_on, actor)
    audit_record(
        actor=actor, action="sample.retest", obj=sample, before=before, after=_snapshot(sample)
    )
    return objection


# --- disposal: the Art. 17 ladder ----------------------------------------------------------


@transaction.atomic
def disposal_order(
    *,
    actor: Any,
    sample: Sample,
    rung: str,
    ordered_on: dt.date,
    deadline: dt.date | None,
    note: str = "",
) -> DisposalAction:
    """Order the next rung: 责令限期改正 first; each later rung only after the follow-up
    check of the one before failed (Art. 17). A pending objection does not suspend the
    rectification order (DOMAIN.md §3)."""
    require_sample_writer(actor, sample)
    if sample.final_conclusion != Sample.Conclusion.FAIL:
        raise ValidationError(_(ERR_NOT_FAILED))
    done = list(DisposalAction.objects.filter(sample=sample).order_by("ordered_on", "id"))
    if done:
        last = done[-1]
        if last.rung == DisposalAction.Rung.REVOKE:
            raise ValidationError(_(ERR_LADDER_END))
        if last.check_passed is None:
            raise ValidationError(_(ERR_PREVIOUS_OPEN) % {"rung": last.get_rung_display()})
        if last.check_passed:
            raise ValidationError(_(ERR_PREVIOUS_PASSED))
    expected = next_rung(Rung(done[-1].rung) if done else None)
    if rung != expected:
        raise ValidationError(_(ERR_RUNG_ORDER) % {"expected": DisposalAction.Rung(expected).label})
    if (
        rung == DisposalAction.Rung.ANNOUNCE
        and actor is not None
        and not has_role(actor, CITYWIDE_READERS)
    ):
        # Art. 17: the announcement is made by a bureau of provincial level or above;
        # Chongqing's city bureau is of provincial rank, a district's is not.
        raise ValidationError(_(ERR_ANNOUNCE_LEVEL))
    _plausible(ordered_on, _("决定日期"))
    _not_before(ordered_on, sample.reported_on, _("决定日期"), _("报告日期"))
    if done:
        _not_before(ordered_on, done[-1].checked_on, _("决定日期"), _("上一措施复查日期"))
    if rung != DisposalAction.Rung.REVOKE and deadline is None:
        raise ValidationError(_(ERR_DEADLINE_NEEDED) % {"rung": DisposalAction.Rung(rung).label})
    _not_before(deadline, ordered_on, _("期限"), _("决定日期"))
    action = DisposalAction(
        sample=sample, rung=rung, ordered_on=ordered_on, deadline=deadline, note=note
    )
    action.full_clean()
    action.save()
    audit_record(
        actor=actor,
        action="sample.disposal",
        obj=sample,
        after={
            "rung": rung,
            "ordered_on": ordered_on.isoformat(),
            "deadline": deadline.isoformat() if deadline else None,
        },
        reason=note,
    )
    return action


@transaction.atomic
def disposal_check(
    *, actor: Any, action: DisposalAction, checked_on: dt.date, passed: bool, note: str = ""
) -> DisposalAction:
    require_sample_writer(actor, action.sample)
    if action.check_passed is not None:
        raise ValidationError(_(ERR_CHECKED))
    _plausible(checked_on, _("复查日期"))
    _not_before(checked_on, action.ordered_on, _("复查日期"), _("决定日期"))
    action.checked_on = checked_on
    action.check_passed = passed
    if note:
        action.note = f"{action.note}\n{note}".strip()
    action.save()
    audit_record(
        actor=actor,
        action="sample.disposal_check",
        obj=action.sample,
        after={"rung": action.rung, "checked_on": checked_on.isoformat(), "passed": passed},
        reason=note,
    )
    return action


# --- cross-region trace-back ---------------------------------------------------------------


def referral_target(sample: Sample) -> tuple[str, str, Organisation | None] | None:
    """(kind, region, organisation) for a failed sample whose producer is registered
    outside the sampling district; ``None`` when there is nobody to refer to."""
    region = sample.producer_region
    if not region or region == sample.sampling_district_id:
        return None
    if Division.objects.filter(code=region).exists():
        org = Organisation.objects.filter(
            kind=Organisation.Kind.DISTRICT, division_id=region
        ).first()
        return Referral.Kind.DISTRICT, region, org
    return Referral.Kind.OUTGOING, region, None


def referral_open(sample: Sample, failed_on: dt.date | None = None) -> Referral | None:
    """Open (or reopen) the referral of a failed sample. It dates from the report that
    found the failure (``failed_on``), not from when it was typed in: a report recorded
    a month late must not give the producer's regulator a reply date before it."""
    target = referral_target(sample)
    if target is None:
        return None
    kind, region, org = target
    referral, created = Referral.objects.get_or_create(
        sample=sample,
        defaults={
            "kind": kind,
            "to_region": region,
            "to_organisation": org,
            "created_on": failed_on or sample.reported_on or timezone.localdate(),
        },
    )
    if not created and referral.status == Referral.Status.WITHDRAWN:
        referral.status = Referral.Status.OPEN
        referral.save(update_fields=["status"])
    return referral


@transaction.atomic
def referral_send(*, actor: Any, referral: Referral, sent_on: dt.date, letter_no: str) -> Referral:
    require_sample_writer(actor, referral.sample)
    if referral.status != Referral.Status.OPEN:
        raise ValidationError(_(ERR_REFERRAL_CLOSED))
    _plausible(sent_on, _("发出日期"))
    _not_before(sent_on, referral.created_on, _("发出日期"), _("移送生成日期"))
    referral.sent_on = sent_on
    referral.letter_no = letter_no
    referral.save(update_fields=["sent_on", "letter_no"])
    audit_record(
        actor=actor,
        action="sample.referral_send",
        obj=referral.sample,
        after={"to": referral.to_region, "sent_on": sent_on.isoformat(), "letter_no": letter_no},
    )
    return referral


@transaction.atomic
def referral_reply(*, actor: Any, referral: Referral, replied_on: dt.date, reply: str) -> Referral:
    if actor is not None and not may_answer_referral(actor, referral):
        raise PermissionDenied
    if referral.status != Referral.Status.OPEN:
        raise ValidationError(_(ERR_REFERRAL_CLOSED))
    _plausible(replied_on, _("回复日期"))
    if referral.sent_on:
        _not_before(replied_on, referral.sent_on, _("回复日期"), _("发出日期"))
    else:
        _not_before(replied_on, referral.created_on, _("回复日期"), _("移送生成日期"))
    if not reply.strip():
        raise ValidationError(_(ERR_REPLY_EMPTY))
    referral.replied_on = replied_on
    referral.reply = reply
    referral.status = Referral.Status.REPLIED
    referral.save(update_fields=["replied_on", "reply", "status"])
    audit_record(
        actor=actor,
        action="sample.referral_reply",
        obj=referral.sample,
        after={"replied_on": replied_on.isoformat()},
        reason=reply,
    )
    return referral
