"""``zhiliang registry load-chongqing-2015`` and ``zhiliang registry import-enterprises FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiliang.lib.tables import TableError, read_table
from zhiliang.registry.services import (
    ENTERPRISE_HEADERS,
    ENTERPRISE_REQUIRED,
    enterprise_import,
    registry_load_chongqing_2015,
)


class Command(BaseCommand):
    help = "单位与企业登记 (organisations and enterprises)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "load-chongqing-2015", help="load Chongqing's 2015 divisions and organisations"
        )
        imp = sub.add_parser("import-enterprises", help="import enterprises from .csv or .xlsx")
        imp.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load-chongqing-2015":
            created = registry_load_chongqing_2015(actor=None)
            self.stdout.write(
                f"divisions +{created['divisions']}, organisations +{created['organisations']}, "
                f"aliases +{created['aliases']}"
            )
            return
        path = Path(options["file"])
        try:
            table = read_table(
                path.read_bytes(), path.name, ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED
            )
        except (OSError, TableError) as exc:
            raise CommandError(str(exc)) from None
        report = enterprise_import(table=table, actor=None, source_name=path.name)
        if not report.ok:
            for row, message in report.errors:
                self.stderr.write(f"第{row}行 (row {row}): {message}")
            raise CommandError("导入被拒绝，未写入任何数据 (import rejected, nothing written)")
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
        )
