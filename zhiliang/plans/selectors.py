"""Reads of plans: the tree, the responsibility matrix, a unit's measures, targets."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from zhiliang.plans.models import Plan, PlanItem, Responsibility, Target
from zhiliang.registry.models import Organisation


def plan_items(plan: Plan) -> QuerySet[PlanItem]:
    return plan.items.prefetch_related(
        Prefetch(
            "responsibilities",
            queryset=Responsibility.objects.select_related("organisation").order_by("position"),
        ),
        "targets",
    ).order_by("position")


def plan_tree(plan: Plan) -> list[tuple[PlanItem, list[PlanItem]]]:
    """Top-level items with their descendants flattened in document order."""
    tree: list[tuple[PlanItem, list[PlanItem]]] = []
    for item in plan_items(plan):
        if item.parent_id is None:
            tree.append((item, []))
        else:
            tree[-1][1].append(item)
    return tree


RESPONSIBLE = "responsible"
LEAD = "lead"


@dataclass
class MatrixColumn:
    key: str  # organisation key, or "?" + name for an unresolved unit
    label: str
    organisation: Organisation | None


@dataclass
class Matrix:
    columns: list[MatrixColumn] = field(default_factory=list)
    #: (measure, one cell per column: "" / RESPONSIBLE / LEAD)
    rows: list[tuple[PlanItem, list[str]]] = field(default_factory=list)


def responsibility_matrix(plan: Plan) -> Matrix:
    """Measures × responsible units, units in order of first mention in the plan."""
    measures = [item for item in plan_items(plan) if item.is_leaf]
    matrix = Matrix()
    index: dict[str, int] = {}
    for item in measures:
        for resp in item.responsibilities.all():
            key = resp.organisation.key if resp.organisation else "?" + resp.name_as_written
            if key not in index:
                index[key] = len(matrix.columns)
                label = str(resp.organisation) if resp.organisation else resp.name_as_written
                matrix.columns.append(MatrixColumn(key, label, resp.organisation))
    for item in measures:
        cells = [""] * len(matrix.columns)
        for resp in item.responsibilities.all():
            key = resp.organisation.key if resp.organisation else "?" + resp.name_as_written
            cells[index[key]] = LEAD if resp.is_lead else RESPONSIBLE
        matrix.rows.append((item, cells))
    return matrix


def responsibilities_of(org: Organisation) -> QuerySet[Responsibility]:
    """What a unit answers for: named directly, or through a group it belongs to
    (all joint-meeting members; all district governments)."""
    condition = Q(organisation=org)
    if org.joint_meeting_member:
        condition |= Q(organisation__kind=Organisation.Kind.JOINT_MEETING)
    if org.kind == Organisation.Kind.DISTRICT:
        condition |= Q(organisation__kind=Organisation.Kind.DISTRICT_GROUP)
    return (
        Responsibility.objects.filter(condition)
        .select_related("item__plan", "item__parent", "organisation")
        .prefetch_related("item__targets")
        .order_by("item__plan", "item__position")
    )


def targets_all() -> QuerySet[Target]:
    return (
        Target.objects.select_related("item__plan", "item__parent")
        .prefetch_related(
            Prefetch(
                "item__responsibilities",
                queryset=Responsibility.objects.select_related("organisation").order_by("position"),
            )
        )
        .order_by("item__plan", "item__position", "position")
    )


def unresolved_names() -> list[tuple[str, int]]:
    """Unit names as written that no organisation matches yet, with their counts."""
    counts: dict[str, int] = {}
    for name in Responsibility.objects.filter(organisation=None).values_list(
        "name_as_written", flat=True
    ):
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items())
