"""``zhiliang credit classify|import|export|check|expire``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiliang.credit.exchange import shared_records, write_csv, write_json
from zhiliang.credit.importing import records_import
from zhiliang.credit.listings import credit_check, listings_expire
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
        classify.add_argument("--stats", action="store_true", help="print each step's seconds")

        imp = sub.add_parser("import", help="import credit records (CSV or XLSX)")
        imp.add_argument("file")
        check = sub.add_parser("check", help="joint-punishment check of one enterprise (JSON)")
        check.add_argument("uscc")
        sub.add_parser("expire", help="remove listings whose term has ended (run daily)")
        export = sub.add_parser("export", help="the shared credit records (exchange)")
        export.add_argument("--since", type=dt.date.fromisoformat, default=None)
        export.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["action"])(options)

    def do_classify(self, options: dict[str, Any]) -> None:
        phases: dict[str, float] = {}
        counts = classify_all(today=options["today"], phases=phases)
        self.stdout.write(
            "risk classes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
        if options["stats"]:
            self.stdout.write(", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))

    def do_check(self, options: dict[str, Any]) -> None:
        result = credit_check(options["uscc"])
        if result is None:
            raise CommandError(f"no enterprise with credit code {options['uscc']}")
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))

    def do_export(self, options: dict[str, Any]) -> None:
        records = shared_records(None, since=options["since"])
        writer = write_json if options["format"] == "json" else write_csv
        writer(records, self.stdout)

    def do_expire(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"listings ended: {listings_expire()}")

    def do_import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        outcome = records_import(path=path, file_name=path.name, actor=None)
        if not outcome.ok:
            for p in outcome.problems[:50]:
                where = f"row {p.line}" if p.line else "file"
                column = f" [{p.column}]" if p.column else ""
                self.stderr.write(f"{path.name}: {where}{column}: {p.message}")
            raise CommandError(
                f"{len(outcome.problems)} problem(s) in {path.name}; nothing was imported"
            )
        self.stdout.write(
            f"rows {outcome.rows}: created {outcome.created}, unchanged {outcome.unchanged}, "
            f"parties registered {outcome.parties_registered}"
        )
