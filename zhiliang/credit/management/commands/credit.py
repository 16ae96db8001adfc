"""``zhiliang credit classify``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhiliang.credit.services import classify_all


class Command(BaseCommand):
    help = "质量信用：风险分类 (quality credit)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        classify = sub.add_parser("classify", help="recompute every enterprise's risk class")
        classify.add_argument(
            "--today", type=dt.date.fromisoformat, default=None, help="assess as of this date"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = classify_all(today=options["today"])
        self.stdout.write(
            "risk classes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
