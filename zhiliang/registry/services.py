"""Writes to the registry: reference data loads and enterprise imports."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zhiliang.accounts.access import OFFICE, district_codes_of, has_role
from zhiliang.accounts.audit import audit_record
from zhiliang.lib.tables import Table
from zhiliang.lib.uscc import validate_uscc
from zhiliang.registry.models import Division, Enterprise, Organisation, OrganisationAlias

DATA_DIR = Path(__file__).resolve().parent / "data"
DIVISIONS_2015 = DATA_DIR / "chongqing_2015_derived.csv"
ORGANISATIONS_2015 = DATA_DIR / "chongqing_2015_organisations.csv"

ENTERPRISE_HEADERS = {
    "统一社会信用代码": "uscc",
    "uscc": "uscc",
    "企业名称": "name",
    "名称": "name",
    "name": "name",
    "所在区县": "district",
    "区划代码": "district",
    "district": "district",
    "行业代码": "industry",
    "industry": "industry",
    "状态": "status",
    "status": "status",
}
ENTERPRISE_REQUIRED = {"uscc", "name", "district"}
ERR_USCC_AS_NUMBER = _lazy(
    "统一社会信用代码在 Excel 中被存成了数字，末几位已丢失；请把该列设为“文本”格式后重新输入代码"
)


def _district_org_name(row: dict[str, str]) -> str:
    return f"{row['name']}人民政府"


@transaction.atomic
def registry_load_chongqing_2015(*, actor: Any = None) -> dict[str, int]:
    """Load Chongqing's 2015 divisions, departments and 38 district governments.

    Idempotent: rows already present are left as they are.
    """
    created = {"divisions": 0, "organisations": 0, "aliases": 0}
    with DIVISIONS_2015.open(encoding="utf-8") as fh:
        division_rows = list(csv.DictReader(fh))
    for row in division_rows:
        _, made = Division.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "level": row["level"],
                "parent_id": row["parent"] or None,
                "type": row["type"],
            },
        )
        created["divisions"] += made

    with ORGANISATIONS_2015.open(encoding="utf-8") as fh:
        org_rows = list(csv.DictReader(fh))
    by_key: dict[str, Organisation] = {}
    for row in org_rows:
        org, made = Organisation.objects.get_or_create(
            key=row["key"],
            defaults={
                "name": row["name"],
                "kind": row["kind"],
                "joint_meeting_member": row["joint_meeting_member"] == "true",
            },
        )
        by_key[row["key"]] = org
        created["organisations"] += made
        for position, alias in enumerate(a for a in row["aliases"].split("|") if a):
            _, made = OrganisationAlias.objects.get_or_create(
                alias=alias, defaults={"organisation": org, "position": position}
            )
            created["aliases"] += made
    for row in org_rows:  # second pass: links need every row present
        org = by_key[row["key"]]
        parent = by_key.get(row["parent"]) if row["parent"] else None
        successor = by_key.get(row["successor"]) if row["successor"] else None
        if org.parent_id is None and parent:
            org.parent = parent
            org.save(update_fields=["parent"])
        if org.successor_id is None and successor:
            org.successor = successor
            org.save(update_fields=["successor"])

    city = by_key["cq-gov"]
    for row in division_rows:
        if row["level"] != "county":
            continue
        org, made = Organisation.objects.get_or_create(
            key=f"district-{row['code']}",
            defaults={
                "name": _district_org_name(row),
                "kind": Organisation.Kind.DISTRICT,
                "parent": city,
                "division_id": row["code"],
            },
        )
        created["organisations"] += made
        _, made = OrganisationAlias.objects.get_or_create(
            alias=row["name"], defaults={"organisation": org, "position": 0}
        )
        created["aliases"] += made
    if any(created.values()):
        audit_record(
            actor=actor,
            action="registry.load",
            object_type="registry",
            object_repr="重庆市 2015",
            after=created,
        )
    return created


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    errors: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _division_lookup() -> dict[str, Division]:
    lookup: dict[str, Division] = {}
    for d in Division.objects.all():
        lookup[d.code] = d
        lookup[d.name] = d
    return lookup


def _industry_ok(code: str) -> bool:
    # GB/T 4754: a section letter A–T, or a division/group/class of 2–4 digits,
    # optionally written after its section letter (C3670).
    if not code:
        return True
    if code[0].isalpha():
        return code[0] in "ABCDEFGHIJKLMNOPQRST" and (
            len(code) == 1 or (code[1:].isdigit() and 2 <= len(code) - 1 <= 4)
        )
    return code.isdigit() and 2 <= len(code) <= 4


STATUS_WORDS = {label: value for value, label in Enterprise.Status.choices} | {
    value: value for value in Enterprise.Status.values
}


def _enterprise_row_errors(
    values: dict[str, str], divisions: dict[str, Division], allowed: frozenset[str] | None
) -> tuple[list[str], dict[str, Any]]:
    errors: list[str] = []
    result = validate_uscc(values["uscc"])
    if not result.valid:
        errors.append(
            _("统一社会信用代码“%(code)s”无效：%(reason)s")
            % {"code": values["uscc"], "reason": result.reason}
        )
    if not values["name"]:
        errors.append(_("企业名称不能为空"))
    district = divisions.get(values["district"])
    if district is None:
        errors.append(
            _("所在区县“%(value)s”不是已登记的区划代码或名称") % {"value": values["district"]}
        )
    elif allowed is not None and district.code not in allowed:
        errors.append(_("无权导入%(district)s的企业") % {"district": district.name})
    industry = values.get("industry", "").upper()
    if not _industry_ok(industry):
        errors.append(
            _("行业代码“%(value)s”不符合 GB/T 4754") % {"value": values.get("industry", "")}
        )
    status_raw = values.get("status", "") or Enterprise.Status.ACTIVE
    status = STATUS_WORDS.get(str(status_raw))
    if status is None:
        errors.append(_("状态“%(value)s”无法识别") % {"value": status_raw})
    clean = {
        "uscc": result.code,
        "name": values["name"],
        "district": district,
        "region": district.code if district is not None else "",
        "industry": industry,
        "status": status,
    }
    return errors, clean


@transaction.atomic
def enterprise_import(*, table: Table, actor: Any, source_name: str) -> ImportReport:
    """Create or update enterprises from a table; any row error means nothing is written."""
    report = ImportReport()
    divisions = _division_lookup()
    # The command line runs as the system (actor None), which is not limited to a district.
    allowed = (
        None
        if actor is None or has_role(actor, OFFICE | {"department_officer"})
        else district_codes_of(actor)
    )
    cleaned: list[dict[str, Any]] = []
    first_row_of: dict[str, int] = {}
    for number, values in table.rows:
        errors, clean = _enterprise_row_errors(values, divisions, allowed)
        if (number, "uscc") in table.inexact:
            errors = [str(ERR_USCC_AS_NUMBER)]
        if clean["uscc"] in first_row_of:
            errors.append(
                _("统一社会信用代码与第%(row)d行重复") % {"row": first_row_of[clean["uscc"]]}
            )
        first_row_of.setdefault(clean["uscc"], number)
        report.errors += [(number, e) for e in errors]
        cleaned.append(clean)
    if not cleaned and not report.errors:
        report.errors.append((0, _("文件中没有企业数据")))
    if report.errors:
        return report
    existing = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=[c["uscc"] for c in cleaned])}
    if allowed is not None:
        # A district officer may not touch an enterprise registered in another district,
        # even by importing the same code with their own district.
        for number, clean in zip((n for n, _ in table.rows), cleaned, strict=True):
            found = existing.get(clean["uscc"])
            if found is not None and found.district_id not in allowed:
                report.errors.append((number, _("该企业登记在其他区县，无权修改")))
        if report.errors:
            return report
    for clean in cleaned:
        found = existing.get(clean["uscc"])
        if found is None:
            enterprise = Enterprise(**clean)
            enterprise.full_clean()
            enterprise.save()
            report.created += 1
            continue
        before = _enterprise_snapshot(found)
        for key, value in clean.items():
            setattr(found, key, value)
        after = _enterprise_snapshot(found)
        if before == after:
            report.unchanged += 1
            continue
        found.full_clean()
        found.save()
        report.updated += 1
        audit_record(
            actor=actor,
            action="enterprise.update",
            obj=found,
            before=before,
            after=after,
            reason=source_name,
        )
    audit_record(
        actor=actor,
        action="enterprise.import",
        object_type="registry.enterprise",
        object_repr=source_name,
        after={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
    )
    return report


def _enterprise_snapshot(e: Enterprise) -> dict[str, str]:
    return {
        "uscc": e.uscc,
        "name": e.name,
        "district": e.district_id,
        "region": e.region,
        "industry": e.industry,
        "status": e.status,
    }
