"""Writes to plans: importing documents (``documents``) and carrying them out (``execution``)."""

from zhiliang.plans.services.documents import (
    PlanImportError,
    PlanImportOutcome,
    normalised_text,
    plan_import,
    responsibility_map,
    text_sha256,
)

__all__ = [
    "PlanImportError",
    "PlanImportOutcome",
    "normalised_text",
    "plan_import",
    "responsibility_map",
    "text_sha256",
]
