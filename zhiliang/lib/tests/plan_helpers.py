"""Helpers shared by the plan parser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zhiliang.lib.planparse import parse_plan, read_plan_file

PLANS = Path(__file__).resolve().parent / "fixtures" / "plans"

Row = tuple[str, int, str, list[str], str | None, bool, list[tuple[Any, ...]]]


def _rows(items: list[dict[str, Any]], path: str = "") -> list[Row]:
    """Every node as (path, number, title, departments, lead, open_ended, targets)."""
    rows: list[Row] = []
    for node in items:
        here = path + node["label"]
        targets = [(t["text"], t["value"], t["unit"], t["comparator"]) for t in node["targets"]]
        rows.append(
            (
                here,
                node["number"],
                node["title"],
                node["departments"],
                node["lead"],
                node["open_ended"],
                targets,
            )
        )
        rows += _rows(node["children"], here)
    return rows


def _header(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "items"}


def _parse_fixture(name: str) -> dict[str, Any]:
    return parse_plan(read_plan_file(PLANS / name))
