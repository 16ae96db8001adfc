"""Writes to plans: importing a document and mapping unresolved unit names."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.audit import audit_record
from zhiliang.lib.planparse import parse_plan
from zhiliang.plans.models import Plan, PlanItem, Responsibility, Target
from zhiliang.registry.models import Organisation, OrganisationAlias
from zhiliang.registry.selectors import alias_index

ERR_SAME_NUMBER_OTHER_TEXT = gettext_noop(
    "文号“%(number)s”的方案已导入（%(title)s），但内容不同；如为修订版，请先由质量办确认。"
)
ERR_ALIAS_TAKEN = gettext_noop("简称“%(alias)s”已指向%(org)s。")
ERR_TOO_LONG = gettext_noop("%(what)s过长（%(length)d字，上限%(limit)d字），请检查原文：%(value)s")


class PlanImportError(ValueError):
    pass


@dataclass
class PlanImportOutcome:
    plan: Plan
    created: bool
    unresolved: list[str] = field(default_factory=list)


def normalised_text(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").strip()


def text_sha256(text: str) -> str:
    return hashlib.sha256(normalised_text(text).encode("utf-8")).hexdigest()


def _check_length(what: str, value: str, limit: int) -> None:
    """Refuse rather than cut: a stored value must be what the document says."""
    if len(value) > limit:
        raise PlanImportError(
            _(ERR_TOO_LONG)
            % {"what": what, "length": len(value), "limit": limit, "value": value[:60] + "…"}
        )


def _check_node(node: dict[str, Any]) -> None:
    _check_length(_("编号"), node["label"], 16)
    _check_length(_("条目标题"), node["title"], 500)
    for name in node.get("departments") or []:
        _check_length(_("单位名称"), name, 128)
    for target in node.get("targets") or []:
        _check_length(_("目标原文"), target["text"], 500)
        _check_length(_("计量单位"), target["unit"], 16)
    for child in node.get("children") or []:
        _check_node(child)


def _check_header(parsed: dict[str, Any], source_name: str) -> None:
    _check_length(_("方案名称"), parsed["title"], 255)
    _check_length(_("通知标题"), parsed.get("notice_title") or "", 255)
    _check_length(_("文号"), parsed.get("doc_number") or "", 64)
    _check_length(_("发文机关"), parsed.get("issuer") or "", 128)
    _check_length(_("来源文件"), source_name, 255)
    for node in parsed["items"]:
        _check_node(node)


def _store_node(
    *,
    plan: Plan,
    node: dict[str, Any],
    parent: PlanItem | None,
    depth: int,
    counter: list[int],
    aliases: dict[str, Organisation],
    unresolved: list[str],
) -> None:
    counter[0] += 1
    children = node.get("children") or []
    item = PlanItem.objects.create(
        plan=plan,
        parent=parent,
        depth=depth,
        position=counter[0],
        label=node["label"],
        number=node["number"],
        title=node["title"],
        text=node["text"],
        is_leaf=not children,
        open_ended=bool(node.get("open_ended")),
    )
    lead = node.get("lead")
    for position, name in enumerate(node.get("departments") or []):
        org = aliases.get(name)
        if org is None and name not in unresolved:
            unresolved.append(name)
        Responsibility.objects.create(
            item=item,
            position=position,
            name_as_written=name,
            organisation=org,
            is_lead=name == lead,
        )
    for position, target in enumerate(node.get("targets") or []):
        Target.objects.create(
            item=item,
            position=position,
            text=target["text"],
            value=Decimal(str(target["value"])),
            unit=target["unit"],
            comparator=target["comparator"],
        )
    for child in children:
        _store_node(
            plan=plan,
            node=child,
            parent=item,
            depth=depth + 1,
            counter=counter,
            aliases=aliases,
            unresolved=unresolved,
        )


@transaction.atomic
def plan_import(*, text: str, source_name: str, actor: Any) -> PlanImportOutcome:
    """Parse and store a plan document; the same document again is a no-op.

    Raises ``PlanParseError`` for a file that is not a plan and ``PlanImportError``
    when a different text carries the number of a plan already imported.
    """
    digest = text_sha256(text)
    existing = Plan.objects.filter(source_sha256=digest).first()
    if existing is not None:
        unresolved = sorted(
            set(
                Responsibility.objects.filter(item__plan=existing, organisation=None).values_list(
                    "name_as_written", flat=True
                )
            )
        )
        return PlanImportOutcome(plan=existing, created=False, unresolved=unresolved)
    parsed = parse_plan(normalised_text(text))
    _check_header(parsed, source_name)
    doc_number = parsed.get("doc_number") or ""
    if doc_number:
        clash = Plan.objects.filter(doc_number=doc_number).first()
        if clash is not None:
            raise PlanImportError(
                _(ERR_SAME_NUMBER_OTHER_TEXT) % {"number": doc_number, "title": clash.title}
            )
    issued_on = parsed.get("issued_on")
    plan = Plan.objects.create(
        title=parsed["title"],
        notice_title=parsed.get("notice_title") or "",
        doc_number=doc_number,
        issuer=parsed.get("issuer") or "",
        issued_on=date.fromisoformat(issued_on) if issued_on else None,
        closing=parsed.get("closing") or "",
        warnings=list(parsed.get("warnings") or []),
        source_name=source_name,
        source_text=normalised_text(text),
        source_sha256=digest,
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    unresolved: list[str] = []
    aliases = alias_index()
    counter = [0]
    for node in parsed["items"]:
        _store_node(
            plan=plan,
            node=node,
            parent=None,
            depth=0,
            counter=counter,
            aliases=aliases,
            unresolved=unresolved,
        )
    audit_record(
        actor=actor,
        action="plan.import",
        obj=plan,
        after={
            "doc_number": plan.doc_number,
            "items": counter[0],
            "measures": plan.items.filter(is_leaf=True).count(),
            "targets": Target.objects.filter(item__plan=plan).count(),
            "responsibilities": Responsibility.objects.filter(item__plan=plan).count(),
            "unresolved": unresolved,
            "warnings": plan.warnings,
        },
        reason=source_name,
    )
    return PlanImportOutcome(plan=plan, created=True, unresolved=unresolved)


@transaction.atomic
def responsibility_map(
    *, name_as_written: str, organisation: Organisation, actor: Any, reason: str = ""
) -> int:
    """Map a unit name the parser could not resolve: record it as an alias and link
    every unresolved responsibility with that name. Returns how many were linked."""
    alias = (
        OrganisationAlias.objects.filter(alias=name_as_written)
        .select_related("organisation")
        .first()
    )
    if alias is not None and alias.organisation_id != organisation.pk:
        raise PlanImportError(
            _(ERR_ALIAS_TAKEN) % {"alias": name_as_written, "org": alias.organisation.name}
        )
    if alias is None:
        OrganisationAlias.objects.create(
            organisation=organisation, alias=name_as_written, position=organisation.aliases.count()
        )
    pending = Responsibility.objects.select_for_update().filter(
        name_as_written=name_as_written, organisation=None
    )
    ids = list(pending.values_list("id", flat=True))
    Responsibility.objects.filter(id__in=ids).update(organisation=organisation)
    audit_record(
        actor=actor,
        action="responsibility.map",
        obj=organisation,
        before={"name_as_written": name_as_written, "organisation": None},
        after={
            "name_as_written": name_as_written,
            "organisation": organisation.name,
            "responsibilities": ids,
        },
        reason=reason,
    )
    return len(ids)
