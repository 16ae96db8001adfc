"""``zhiliang plan parse FILE`` (prints JSON, writes nothing) and ``zhiliang plan import FILE``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from zhiliang.lib.planparse import PlanParseError, parse_plan, read_plan_file
from zhiliang.plans.deadlines import reminders_email, reminders_generate
from zhiliang.plans.services import PlanImportError, plan_import


class Command(BaseCommand):
    help = "工作方案解析与导入 (parse or import a plan document)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        parse = sub.add_parser("parse", help="print the parsed plan as JSON; writes nothing")
        parse.add_argument("file")
        imp = sub.add_parser(
            "import", help="store the plan (a second import of the same file changes nothing)"
        )
        imp.add_argument("file")
        remind = sub.add_parser(
            "remind",
            help="create due-soon/overdue reminders (idempotent; safe from cron every minute)",
        )
        remind.add_argument(
            "--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "remind":
            today = options["today"] or timezone.localdate()
            created = reminders_generate(today=today)
            emailed = reminders_email()
            self.stdout.write(f"reminders created {created}, e-mailed {emailed}")
            return
        path = Path(options["file"])
        try:
            text = read_plan_file(path)
            if options["action"] == "parse":
                self.stdout.write(json.dumps(parse_plan(text), ensure_ascii=False, indent=2))
                return
            outcome = plan_import(text=text, source_name=path.name, actor=None)
        except (OSError, PlanParseError, PlanImportError) as exc:
            raise CommandError(f"{path}: {exc}") from None
        plan = outcome.plan
        if outcome.created:
            self.stdout.write(f"imported plan {plan.pk}: {plan.title} ({plan.doc_number})")
        else:
            self.stdout.write(f"already imported as plan {plan.pk}: nothing changed")
        for name in outcome.unresolved:
            self.stdout.write(f"unresolved unit kept as written: {name}")
