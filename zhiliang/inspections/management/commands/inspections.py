"""``zhiliang inspections draw|verify|import|categories|pass-rates|retally``."""

from __future__ import annotations

import csv
import resource
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiliang.inspections.catalogue import load_catalogue
from zhiliang.inspections.models import ProductCategory, SamplingPlan
from zhiliang.inspections.selectors import GROUPINGS, pass_rates
from zhiliang.inspections.services.importing import samples_import
from zhiliang.inspections.services.plans import draw_run, draw_verify
from zhiliang.inspections.services.tallies import tally_rebuild


class Command(BaseCommand):
    help = "监督抽查：抽取、导入、产品类别、合格率 (sampling inspection)"
    # The system checks import every URL module (the PDF library among them): a second
    # per run that a data command does not need (`zhiliang check` runs them).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        draw = sub.add_parser(
            "draw", help="双随机 draw for a plan; with the seed of a recorded draw, verifies it"
        )
        draw.add_argument("--plan", required=True, help="plan code")
        draw.add_argument("--seed", required=True, type=int)
        verify = sub.add_parser("verify", help="re-run a recorded draw and compare")
        verify.add_argument("--plan", required=True)
        imp = sub.add_parser("import", help="import sampling results (CSV or XLSX)")
        imp.add_argument("file")
        imp.add_argument("--plan", default=None, help="plan code the samples belong to")
        imp.add_argument(
            "--stats",
            action="store_true",
            help="also print peak memory of this process and of the checking process",
        )
        cats = sub.add_parser("categories", help="print the product catalogue as CSV")
        cats.add_argument(
            "--load", action="store_true", help="first add catalogue rows missing from the database"
        )
        rates = sub.add_parser("pass-rates", help="pass rates with Wilson 95% intervals")
        rates.add_argument("--year", required=True, type=int)
        rates.add_argument("--by", required=True, choices=sorted(GROUPINGS))
        rates.add_argument("--format", default="csv", choices=["csv"])
        sub.add_parser("retally", help="recount the pass-rate tallies from the samples")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        getattr(self, "do_" + action.replace("-", "_"))(options)

    def _plan(self, code: str) -> SamplingPlan:
        plan = SamplingPlan.objects.filter(code=code).first()
        if plan is None:
            raise CommandError(f"no sampling plan with code {code!r}")
        return plan

    def do_draw(self, options: dict[str, Any]) -> None:
        plan = self._plan(options["plan"])
        seed = options["seed"]
        recorded = getattr(plan, "draw", None)
        if recorded is not None:
            if recorded.seed != seed:
                raise CommandError(
                    f"plan {plan.code} was drawn with seed {recorded.seed}; "
                    "a plan is drawn once (use that seed to verify it)"
                )
            self.do_verify(options)
            return
        try:
            record = draw_run(actor=None, plan=plan, seed=seed)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self._print_draw(plan)
        self.stdout.write(f"digest {record.digest}")
        for stratum, missing in sorted(record.result["shortfalls"].items()):
            self.stdout.write(f"shortfall {stratum}: {missing} fewer than the quota")

    def _print_draw(self, plan: SamplingPlan) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["category", "district", "uscc", "enterprise", "inspectors"])
        for a in plan.assignments.select_related("category", "enterprise").prefetch_related(
            "inspectors"
        ):
            writer.writerow(
                [
                    a.category.code,
                    a.district_id,
                    a.enterprise.uscc,
                    a.enterprise.name,
                    " ".join(sorted(u.username for u in a.inspectors.all())),
                ]
            )

    def do_verify(self, options: dict[str, Any]) -> None:
        plan = self._plan(options["plan"])
        if not hasattr(plan, "draw"):
            raise CommandError(f"plan {plan.code} has not been drawn")
        check = draw_verify(plan=plan)
        self._print_draw(plan)
        if not check.ok:
            raise CommandError(
                f"draw of {plan.code} does NOT verify: result {check.same_result}, "
                f"assignments {check.same_assignments}, digest {check.digest_ok}"
            )
        self.stdout.write(f"verified: seed {plan.draw.seed}, digest {plan.draw.digest}")

    def do_import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        plan = self._plan(options["plan"]) if options["plan"] else None
        outcome = samples_import(path=path, file_name=path.name, actor=None, plan=plan)
        if not outcome.ok:
            for p in outcome.problems:
                where = f"row {p.line}" if p.line else "file"
                column = f" [{p.column}]" if p.column else ""
                self.stderr.write(f"{path.name}: {where}{column}: {p.message}")
            if outcome.problem_count > len(outcome.problems):
                self.stderr.write(
                    f"... and {outcome.problem_count - len(outcome.problems)} more problems"
                )
            raise CommandError(
                f"{outcome.problem_count} problem(s) in {path.name}; nothing was imported"
            )
        self.stdout.write(
            f"rows {outcome.rows}: created {outcome.created}, unchanged {outcome.unchanged}, "
            f"parties registered {outcome.parties_registered}"
        )
        if options["stats"]:
            # Linux reports ru_maxrss in KiB; the checking process is the only child.
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            checker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            self.stdout.write(
                f"peak memory MB: import {own:.0f}, checking process {checker:.0f}, "
                f"sum {own + checker:.0f}"
            )
            self.stdout.write(
                "seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in outcome.phases.items())
            )

    def do_categories(self, options: dict[str, Any]) -> None:
        if options["load"]:
            created, updated = load_catalogue(ProductCategory)
            self.stderr.write(f"catalogue: {created} added, {updated} updated")
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["code", "name", "kind"])
        for code, name, kind in ProductCategory.objects.order_by("code").values_list(
            "code", "name", "kind"
        ):
            writer.writerow([code, name, kind])

    def do_pass_rates(self, options: dict[str, Any]) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["group", "tested", "passed", "pass_rate", "ci_low", "ci_high"])
        for row in pass_rates(year=options["year"], by=options["by"]):
            writer.writerow([row.label, row.tested, row.passed, *row.percent()])

    def do_retally(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"tally cells rebuilt: {tally_rebuild()}")
