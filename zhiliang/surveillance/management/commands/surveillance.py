"""``zhiliang surveillance import-neiss FILE`` and ``import FILE --reporter KEY``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiliang.registry.models import Organisation
from zhiliang.surveillance.importing import cases_import
from zhiliang.surveillance.neiss import neiss_import


class Command(BaseCommand):
    help = "产品伤害监测 (product injury surveillance)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        neiss = sub.add_parser(
            "import-neiss",
            help="import US CPSC NEISS cases (official case file or the reduced layout; "
            "tab- or comma-separated, optionally gzipped)",
        )
        neiss.add_argument("file")
        cases = sub.add_parser(
            "import", help="import a hospital's cases in the report card's columns (CSV or XLSX)"
        )
        cases.add_argument("file")
        cases.add_argument("--reporter", required=True, help="the reporting unit's key")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["action"].replace("-", "_"))(options)

    def do_import_neiss(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        outcome = neiss_import(path=path, actor=None)
        if not outcome.ok:
            for p in outcome.problems[:50]:
                where = f"line {p.line}" if p.line else "file"
                column = f" [{p.column}]" if p.column else ""
                self.stderr.write(f"{path.name}: {where}{column}: {p.message}")
            raise CommandError(
                f"{outcome.problem_count} problem(s) in {path.name}; nothing was imported"
            )
        if outcome.ignored_columns:
            self.stdout.write(f"columns not read: {', '.join(outcome.ignored_columns)}")
        self.stdout.write(
            f"{outcome.layout} layout, rows {outcome.rows}: created {outcome.created}, "
            f"unchanged {outcome.unchanged}, products not mapped to a category "
            f"{outcome.unmapped_products} ({outcome.seconds:.1f} s)"
        )

    def do_import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        reporter = Organisation.objects.filter(key=options["reporter"]).first()
        if reporter is None:
            raise CommandError(f"no organisation with key {options['reporter']!r}")
        outcome = cases_import(path=path, file_name=path.name, actor=None, reporter=reporter)
        if not outcome.ok:
            for p in outcome.problems[:50]:
                where = f"row {p.line}" if p.line else "file"
                column = f" [{p.column}]" if p.column else ""
                self.stderr.write(f"{path.name}: {where}{column}: {p.message}")
            raise CommandError(
                f"{len(outcome.problems)} problem(s) in {path.name}; nothing was imported"
            )
        self.stdout.write(
            f"rows {outcome.rows}: created {outcome.created}, unchanged {outcome.unchanged}"
        )
