"""``zhiliang uscc check CODE...``: one line per code, exit 1 if any is invalid."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhiliang.lib.uscc import validate_uscc


class Command(BaseCommand):
    help = "统一社会信用代码校验 (check unified social credit codes, GB 32100-2015)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="check codes")
        check.add_argument("codes", nargs="+", metavar="CODE")

    def handle(self, *args: Any, **options: Any) -> None:
        all_valid = True
        for raw in options["codes"]:
            result = validate_uscc(raw)
            all_valid &= result.valid
            verdict = "valid" if result.valid else f"invalid: {result.reason}"
            self.stdout.write(f"{raw}\t{verdict}")
        self.stdout.flush()
        if not all_valid:
            sys.exit(1)
