"""``zhiliang bootstrap``: reference data, the seed plan and an administrator.

Safe to run again: it changes nothing that is already there. The administrator's
password is generated once, kept in ``var/admin-password.txt`` (mode 600) and
printed on every run so ``make run`` can show the login.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiliang.accounts.models import Role
from zhiliang.accounts.services import membership_grant, user_create
from zhiliang.plans.services import PlanImportError, plan_import
from zhiliang.registry.models import Organisation
from zhiliang.registry.services import registry_load_chongqing_2015

SEED_PLAN = (
    Path(__file__).resolve().parents[3] / "plans" / "data" / "chongqing-2015-quality-plan.txt"
)


class Command(BaseCommand):
    help = "载入参考数据、种子方案并创建管理员 (load reference data, the seed plan and an admin)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--admin", default="admin", help="administrator user name")
        parser.add_argument(
            "--demo", action="store_true", help="also load demo progress (labelled 演示数据)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        registry_load_chongqing_2015(actor=None)
        try:
            outcome = plan_import(
                text=SEED_PLAN.read_text(encoding="utf-8"), source_name=SEED_PLAN.name, actor=None
            )
        except PlanImportError as exc:
            # The database holds an earlier text of the seed: keep it, say so, go on.
            self.stderr.write(f"seed plan not re-imported: {exc}")
        else:
            state = "imported" if outcome.created else "already present"
            self.stdout.write(f"seed plan {state}: {outcome.plan}")
        username = options["admin"]
        password_file = Path(settings.VAR_DIR) / "admin-password.txt"
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = user_create(username=username, password=password, actor=None)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n", encoding="utf-8")
            password_file.chmod(0o600)
        office = Organisation.objects.get(key="cq-joint-office")
        membership_grant(
            user=user, organisation=office, role=Role.SYSTEM_ADMIN, actor=None, reason="bootstrap"
        )
        membership_grant(
            user=user, organisation=office, role=Role.QUALITY_OFFICE, actor=None, reason="bootstrap"
        )
        shown = (
            password_file.read_text(encoding="utf-8").strip()
            if password_file.exists()
            else "(unchanged)"
        )
        self.stdout.write(f"admin login: {username} / {shown}")
        if options["demo"]:
            self._demo(Path(settings.VAR_DIR) / "demo-passwords.txt")

    def _demo(self, password_file: Path) -> None:
        from zhiliang.inspections.demo import inspections_demo_load
        from zhiliang.plans.demo import demo_load
        from zhiliang.plans.models import Plan
        from zhiliang.signals.demo import signals_demo_load

        plan = Plan.objects.filter(doc_number="渝府办发〔2015〕101号").first()
        if plan is None:
            raise CommandError("demo data needs the seed plan (渝府办发〔2015〕101号)")
        created = demo_load(plan=plan)
        created |= inspections_demo_load()
        created |= signals_demo_load()
        if created:
            # Keep the passwords of demo users made by an earlier run.
            known = dict(
                line.partition(" ")[::2]
                for line in (
                    password_file.read_text(encoding="utf-8").splitlines()
                    if password_file.exists()
                    else []
                )
            )
            lines = "".join(f"{name} {pw}\n" for name, pw in sorted((known | created).items()))
            password_file.write_text(lines, encoding="utf-8")
            password_file.chmod(0o600)
        self.stdout.write("demo data loaded (演示数据); demo logins:")
        if password_file.exists():
            for line in password_file.read_text(encoding="utf-8").splitlines():
                name, _, password = line.partition(" ")
                self.stdout.write(f"  {name} / {password}")
