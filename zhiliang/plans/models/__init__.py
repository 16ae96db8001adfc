"""Plan models: the document's structure (``documents``) and its execution (``execution``)."""

from zhiliang.plans.models.documents import Plan, PlanItem, Responsibility, Target
from zhiliang.plans.models.execution import (
    DistrictPlan,
    MeasureSchedule,
    Milestone,
    ProgressReport,
    Reminder,
    ReportAttachment,
    ReportFigure,
    ReportingCycle,
    ResponsibilityPublication,
    SupervisionNotice,
    Task,
)

__all__ = [
    "DistrictPlan",
    "MeasureSchedule",
    "Milestone",
    "Plan",
    "PlanItem",
    "ProgressReport",
    "Reminder",
    "ReportAttachment",
    "ReportFigure",
    "ReportingCycle",
    "Responsibility",
    "ResponsibilityPublication",
    "SupervisionNotice",
    "Target",
    "Task",
]
