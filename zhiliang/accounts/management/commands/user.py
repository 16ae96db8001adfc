"""``zhiliang user add NAME --organisation KEY --role ROLE`` and ``zhiliang user grant …``."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from zhiliang.accounts.models import Role
from zhiliang.accounts.services import membership_grant, user_create
from zhiliang.registry.models import Organisation
from zhiliang.registry.selectors import alias_index


def _organisation(value: str) -> Organisation:
    org = Organisation.objects.filter(key=value).first() or alias_index().get(value)
    if org is None:
        raise CommandError(
            f"单位“{value}”不存在 (no organisation with key, name or short name {value!r})"
        )
    return org


class Command(BaseCommand):
    help = "用户与角色 (users and their roles)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("add", "grant"):
            p = sub.add_parser(name)
            p.add_argument("username")
            p.add_argument("--organisation", required=True, help="key, full name or short name")
            p.add_argument("--role", required=True, choices=Role.values)
            p.add_argument("--reason", default="")

    @transaction.atomic  # a refused role leaves no user without it
    def handle(self, *args: Any, **options: Any) -> None:
        org = _organisation(options["organisation"])
        User = get_user_model()
        username = options["username"]
        if options["action"] == "add":
            if User.objects.filter(username=username).exists():
                raise CommandError(f"用户“{username}”已存在 (user exists; use grant)")
            password = secrets.token_urlsafe(12)
            user = user_create(username=username, password=password, actor=None)
            self.stdout.write(f"created {username} / {password}")
        else:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"用户“{username}”不存在 (no such user)")
        try:
            membership_grant(
                user=user,
                organisation=org,
                role=options["role"],
                actor=None,
                reason=options["reason"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{username}: {options['role']} @ {org.name}")
