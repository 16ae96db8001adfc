"""Publishing a department's 责任清单 (S2): only what the office chooses, audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.access import require_office
from zhiliang.accounts.audit import audit_record
from zhiliang.plans.models import ProgressReport, Responsibility, ResponsibilityPublication
from zhiliang.plans.services.execution import ExecutionError

ERR_UNRESOLVED = gettext_noop("“%(name)s”尚未对应到已登记单位，不能公开。")


@transaction.atomic
def responsibility_publish(
    *, responsibility: Responsibility, status: str, note: str, actor: Any
) -> ResponsibilityPublication:
    require_office(actor)
    if responsibility.organisation_id is None:
        raise ExecutionError(_(ERR_UNRESOLVED) % {"name": responsibility.name_as_written})
    if status not in ProgressReport.Status.values:
        raise ExecutionError(_("公开状态“%(status)s”无效。") % {"status": status})
    publication = ResponsibilityPublication.objects.filter(responsibility=responsibility).first()
    before = {"status": publication.status, "note": publication.note} if publication else None
    if publication is None:
        publication = ResponsibilityPublication(responsibility=responsibility)
    publication.status = status
    publication.note = note.strip()
    publication.published_by = actor
    publication.full_clean()
    publication.save()
    audit_record(
        actor=actor,
        action="duty.publish",
        obj=responsibility,
        before=before,
        after={"status": status, "note": publication.note},
    )
    return publication


@transaction.atomic
def responsibility_unpublish(
    *, responsibility: Responsibility, actor: Any, reason: str = ""
) -> None:
    require_office(actor)
    publication = ResponsibilityPublication.objects.filter(responsibility=responsibility).first()
    if publication is None:
        return
    before = {"status": publication.status, "note": publication.note}
    publication.delete()
    audit_record(
        actor=actor,
        action="duty.unpublish",
        obj=responsibility,
        before=before,
        after=None,
        reason=reason,
    )
