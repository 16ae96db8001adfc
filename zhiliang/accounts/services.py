"""Writes to accounts: users and their roles (each audited)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from zhiliang.accounts.audit import audit_record
from zhiliang.accounts.models import Membership, Role


@transaction.atomic
def user_create(*, username: str, password: str, actor: Any, email: str = "") -> Any:
    user = get_user_model().objects.create_user(username=username, password=password, email=email)
    audit_record(actor=actor, action="user.create", obj=user, after={"username": username})
    return user


@transaction.atomic
def membership_grant(
    *, user: Any, organisation: Any, role: str, actor: Any, reason: str = ""
) -> Membership:
    # A district officer's scope is their district's division; anywhere else the
    # role would read as "sees this organisation's district", which is meaningless.
    if role == Role.DISTRICT_OFFICER and organisation.kind != "district":
        raise ValueError(
            f"区县工作人员角色只能授予区县政府，“{organisation.name}”不是 "
            "(the district officer role belongs to a district government)"
        )
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role
    )
    if created:
        audit_record(
            actor=actor,
            action="membership.grant",
            obj=membership,
            after={"user": user.get_username(), "organisation": organisation.name, "role": role},
            reason=reason,
        )
    return membership
