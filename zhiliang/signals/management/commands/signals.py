"""``zhiliang signals detect --method M [--param NAME=VALUE …] FILE`` and
``zhiliang signals disproportionality FILE``: CSV in, CSV on standard output.

The work is in :mod:`zhiliang.lib.signals.io`; a bad file, method or parameter ends the
command with exit status 2 and one line naming the problem (and the file line).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiliang.lib.signals import DETECTORS, REQUIRED
from zhiliang.lib.signals.io import (
    DETECTION_COLUMNS,
    DISPROPORTIONALITY_COLUMNS,
    FROM_FILE,
    PAIR_COLUMNS,
    WEEKLY_COLUMNS,
    InputError,
    detect_table,
    detection_rows,
    disproportionality_rows,
    parse_parameters,
    read_pair_counts,
    read_weekly_counts,
)

#: Exit status for a bad file, method or parameter (as argparse uses for bad usage).
BAD_INPUT = 2
#: Output rows written to standard output at a time.
_BATCH = 10_000


def _methods_help() -> str:
    lines = []
    for name, method in DETECTORS.items():
        parameters = ", ".join(
            name if default is REQUIRED else f"{name}={_default(default)}"
            for name, default in method.parameters.items()
            if name not in FROM_FILE
        )
        summary = re.sub(r":\w+:`~?([^`]*)`", r"\1", method.summary).replace("``", "")
        lines.append(f"  {name}: {summary} [{method.reference}]\n    {parameters}")
    return "\n".join(lines)


def _default(value: Any) -> str:
    """A default as it is written with --param (``5,4`` for a pair)."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value).lower() if isinstance(value, bool | type(None)) else str(value)


class Command(BaseCommand):
    help = "产品伤害监测预警 (early warning of product injuries: weekly aberrations, pair scores)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        detect = sub.add_parser(
            "detect",
            help="flag aberrant weeks in weekly counts",
            description=(
                f"Reads CSV {','.join(WEEKLY_COLUMNS)} (one row per series and week, dates "
                "YYYY-MM-DD seven days apart within a series, counts whole numbers ≥ 0; "
                "other columns are ignored) and prints "
                f"{','.join(DETECTION_COLUMNS)} for each row, empty where the method "
                "defines no value or does not decide the week. Series on the same weeks "
                "are run together; farrington finds its reference weeks by the dates; "
                "regression and switch fit weekly counts without day-of-week terms.\n\n"
                f"Methods and their parameters (defaults):\n{_methods_help()}"
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        detect.add_argument("--method", required=True, metavar="METHOD", help=", ".join(DETECTORS))
        detect.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a method parameter, e.g. --param alpha=0.01 (repeat for more)",
        )
        detect.add_argument("file")
        pairs = sub.add_parser(
            "disproportionality",
            help="score product × hazard pairs",
            description=(
                f"Reads CSV {','.join(PAIR_COLUMNS)} (one row per pair, counts whole numbers "
                f"≥ 0) and prints {','.join(DISPROPORTIONALITY_COLUMNS)} for each pair: its "
                "2×2 table, the expected count E, PRR and ROR with Wald 95 % intervals "
                "(Haldane–Anscombe +0.5 on a table with an empty cell), χ² with Yates's "
                "correction and the BCPNN IC with IC025 (vigipy 3.5.1 / PhViD closed form). "
                "Margins and N are sums of the pair counts (vigipy's convention). A pair with "
                "no reports gets its table and E only. ebgm and eb05 are empty: MGPS "
                "(DuMouchel's gamma-Poisson shrinker) is not implemented yet."
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        pairs.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            if options["action"] == "detect":
                method = options["method"]
                parameters = parse_parameters(method, options["param"])
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    table = read_weekly_counts(handle)
                rows = detection_rows(table, detect_table(table, method, parameters))
            else:
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    rows = disproportionality_rows(read_pair_counts(handle))
            self._write(rows)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}", returncode=BAD_INPUT) from None
        except InputError as exc:
            raise CommandError(f"{path}: {exc}", returncode=BAD_INPUT) from None

    def _write(self, rows: Iterable[list[str]]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for count, row in enumerate(rows, start=1):
            writer.writerow(row)
            if count % _BATCH == 0:
                self.stdout.write(buffer.getvalue(), ending="")
                buffer.seek(0)
                buffer.truncate()
        self.stdout.write(buffer.getvalue(), ending="")
        self.stdout.flush()
