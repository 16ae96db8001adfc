"""``zhiliang signals detect --method M [--param NAME=VALUE …] FILE`` and
``zhiliang signals disproportionality [--param NAME=VALUE …] FILE``: CSV in, CSV on
standard output (``disproportionality`` adds one line on standard error naming the MGPS
prior it used and, when it fitted it, how the fit ended); ``zhiliang signals run`` runs
detectors over the case store's weekly series and stores the signals (safe from cron;
see :func:`zhiliang.signals.services.run_detection`).

The work is in :mod:`zhiliang.lib.signals.io`; a bad file, method or parameter ends the
command with exit status 2 and one line naming the problem (and the file line).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from zhiliang.lib.signals import DETECTORS, PAIR_STATISTICS, REQUIRED, Method
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
    mgps_summary,
    pair_mgps,
    parse_parameters,
    read_pair_counts,
    read_weekly_counts,
)

#: Exit status for a bad file, method or parameter (as argparse uses for bad usage).
BAD_INPUT = 2
#: Output rows written to standard output at a time.
_BATCH = 10_000


#: The pair method whose parameters ``disproportionality --param`` sets.
MGPS = "gps"
#: Detectors ``run`` uses unless told: EARS C2 (a week against the 7 before it, from
#: two months of data) and Farrington flexible (the same weeks of past years, once five
#: years are there; earlier it decides nothing).
RUN_METHODS = ("ears-c2", "farrington")
#: Weeks ``run`` counts: Farrington's 5 years back ± 3 weeks, and a little more.
RUN_WEEKS = 5 * 52 + 8


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (YYYY-MM-DD)") from None


def _methods_help() -> str:
    lines = []
    for name, method in DETECTORS.items():
        summary = re.sub(r":\w+:`~?([^`]*)`", r"\1", method.summary).replace("``", "")
        lines.append(f"  {name}: {summary} [{method.reference}]\n    {_parameters_help(method)}")
    return "\n".join(lines)


def _parameters_help(method: Method) -> str:
    return ", ".join(
        name if default is REQUIRED else f"{name}={_default(default)}"
        for name, default in method.parameters.items()
        if name not in FROM_FILE
    )


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
                "are run together; farrington finds its reference weeks by the dates, "
                "serfling-pynssp the season of each week by its month; regression and "
                "switch fit weekly counts without day-of-week terms.\n\n"
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
                "Margins and N are sums of the pair counts (vigipy's convention). ebgm and "
                "eb05 are MGPS's (DuMouchel's gamma-Poisson shrinker, vigipy 3.5.1 gps): "
                "the prior is fitted by maximum likelihood on the pairs with a report unless "
                "given with --param prior=alpha1,beta1,alpha2,beta2,weight (e.g. DuMouchel's "
                "0.2041,0.05816,1.415,1.838,0.0969); eb05 is the exact 5 % posterior quantile, "
                "or vigipy's bisection with --param quantile_method=vigipy. The prior used "
                "(and the fit's status) is printed on standard error. A pair with no reports "
                "gets its table and E only.\n\n"
                f"MGPS parameters (defaults; prior=none: fitted):\n  "
                f"{_parameters_help(PAIR_STATISTICS[MGPS])}"
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        pairs.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="an MGPS parameter, e.g. --param prior=0.2041,0.05816,1.415,1.838,0.0969",
        )
        pairs.add_argument("file")
        run = sub.add_parser(
            "run",
            help="run detectors over every series of the case store and store the signals",
            description=(
                "Counts the injury cases of the store by week of visit, one series per "
                "product category × reporting district, for --weeks weeks ending with the "
                "week of --through (default: the last full week before today), runs each "
                "--method over all series at once and stores the alarms of the last "
                "--recent weeks as signals for triage, each with the method, parameters and "
                "counts that reproduce it. Safe to repeat (from cron): a signal already "
                "stored for the same method, series and week is left as it is."
            ),
        )
        run.add_argument(
            "--method",
            action="append",
            default=[],
            metavar="METHOD",
            help=f"a detector (repeat for more; default: {', '.join(RUN_METHODS)})",
        )
        run.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a parameter of the method (only with a single --method)",
        )
        run.add_argument("--through", type=_date, help="a day of the last week (YYYY-MM-DD)")
        run.add_argument("--weeks", type=int, default=RUN_WEEKS, help=f"default {RUN_WEEKS}")
        run.add_argument("--recent", type=int, default=1, help="weeks whose alarms are stored")
        run.add_argument(
            "--source", action="append", default=[], help="only cases of this source (repeat)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "run":
            self._run(options)
            return
        path = Path(options["file"])
        try:
            if options["action"] == "detect":
                method = options["method"]
                parameters = parse_parameters(method, options["param"])
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    table = read_weekly_counts(handle)
                rows = detection_rows(table, detect_table(table, method, parameters))
            else:
                parameters = parse_parameters(MGPS, options["param"], registry=PAIR_STATISTICS)
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    pairs = read_pair_counts(handle)
                mgps = pair_mgps(pairs, parameters)
                rows = disproportionality_rows(pairs, mgps)
                # a note, not an error: without the error colour Django gives stderr
                self.stderr.write(mgps_summary(mgps), style_func=lambda text: text)
            self._write(rows)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}", returncode=BAD_INPUT) from None
        except InputError as exc:
            raise CommandError(f"{path}: {exc}", returncode=BAD_INPUT) from None

    def _run(self, options: dict[str, Any]) -> None:
        from zhiliang.signals.selectors import monday_of, weekly_series
        from zhiliang.signals.services import run_detection

        methods = options["method"] or list(RUN_METHODS)
        unknown = [m for m in methods if m not in DETECTORS]
        if unknown:
            raise CommandError(f"unknown method {unknown[0]}", returncode=BAD_INPUT)
        if options["param"] and len(methods) != 1:
            raise CommandError("--param needs a single --method", returncode=BAD_INPUT)
        if options["weeks"] < 2 or options["recent"] < 1 or options["recent"] > options["weeks"]:
            raise CommandError("need --weeks ≥ 2 and 1 ≤ --recent ≤ --weeks", returncode=BAD_INPUT)
        # the last full week: a week still under way would look like a drop
        through = options["through"] or monday_of(timezone.localdate()) - dt.timedelta(days=1)
        data = weekly_series(through=through, weeks=options["weeks"], sources=options["source"])
        for method in methods:
            try:
                parameters = parse_parameters(method, options["param"])
            except InputError as exc:
                raise CommandError(str(exc), returncode=BAD_INPUT) from None
            if not data.series:
                self.stdout.write(f"{method}: no cases in the {options['weeks']} weeks")
                continue
            try:
                run = run_detection(
                    method=method,
                    series=data.series,
                    counts=data.counts,
                    first_week=data.first_week,
                    source=data.source,
                    params=parameters,
                    recent=options["recent"],
                )
            except ValueError as exc:  # a required parameter missing, too few weeks …
                raise CommandError(f"{method}: {exc}", returncode=BAD_INPUT) from None
            self.stdout.write(
                f"{method}: {run.series} series × {run.weeks} weeks through {run.through}, "
                f"{run.alarms} new signals ({run.seconds:.2f} s, run #{run.pk})"
            )

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
