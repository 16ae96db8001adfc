"""``zhiliang credit import FILE``: credit records from CSV or XLSX.

Every row is checked (``lib/creditrows.py``); a file with any problem writes nothing and
every problem is reported by row and column in the official's language. (来源单位,
决定文书号) is the key: a row equal to the stored record changes nothing, a row that
differs from it is an error, never an overwrite. Enterprises not yet in the registry
are registered from the row (credit code, name, and the registering authority's region
in positions 3–8 of the code) and marked with the import. The enterprises concerned are
reclassified before the import commits.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.access import district_codes_of, has_role
from zhiliang.accounts.audit import audit_record
from zhiliang.accounts.models import Role
from zhiliang.credit.access import RECORD_WRITERS
from zhiliang.credit.models import CreditRecord
from zhiliang.credit.services import classify_enterprises, public_until_of
from zhiliang.importproblems import ImportOutcome, ImportProblem, file_problem
from zhiliang.lib.creditrows import (
    FIELD_LABELS,
    HEADERS,
    KINDS,
    REQUIRED_COLUMNS,
    SUGGESTIONS,
    CreditRow,
    RowValidator,
)
from zhiliang.lib.creditrules import Kind
from zhiliang.lib.tablestream import TableError, open_table
from zhiliang.lib.xlsxbook import Sheet, xlsx_book_bytes
from zhiliang.registry.models import Division, Enterprise
from zhiliang.registry.selectors import organisations_named

ERR_CONFLICT = gettext_noop(
    "来源单位“%(source)s”的决定文书号“%(no)s”已有记录，且以下内容不同：%(fields)s"
)
ERR_NOT_YOUR_DISTRICT = gettext_noop("无权导入其他区县企业的信用记录（%(uscc)s）")
ERR_NO_ROWS = gettext_noop("文件中没有信用记录")

#: Fields compared with a stored record when a row comes again.
COMPARED = ("uscc", "kind", "heavier", "decided_on", "summary", "published_on")


class CreditImportProblem(ImportProblem):
    labels = FIELD_LABELS


class CreditImportOutcome(ImportOutcome[CreditImportProblem]):
    pass


class _Rejected(Exception):
    pass


def records_import(
    *, path: Path, file_name: str, actor: Any, today: dt.date | None = None
) -> CreditImportOutcome:
    """Import credit records; all or nothing. ``actor`` ``None`` is the system."""
    if actor is not None and not has_role(actor, RECORD_WRITERS):
        raise PermissionDenied
    today = today or timezone.localdate()
    outcome = CreditImportOutcome()
    try:
        table = open_table(path, HEADERS, REQUIRED_COLUMNS, SUGGESTIONS)
    except TableError as exc:
        outcome.problems.append(CreditImportProblem(0, "", file_problem(exc, FIELD_LABELS)))
        return outcome
    validator = RowValidator(today=today)
    rows: list[tuple[int, CreditRow]] = []
    try:
        with table:
            for line, values in table:
                outcome.rows += 1
                row, errors = validator.check(line, values)
                for error in errors:
                    outcome.problems.append(
                        CreditImportProblem(error.line, error.field, error.message(_))
                    )
                if row is not None:
                    rows.append((line, row))
    except TableError as exc:
        outcome.problems.append(CreditImportProblem(0, "", str(exc)))
    if outcome.ok and not rows:
        outcome.problems.append(CreditImportProblem(0, "", _(ERR_NO_ROWS)))
    if not outcome.ok:
        return outcome
    try:
        with transaction.atomic():
            _write(rows, outcome, actor, file_name, today)
            if not outcome.ok or outcome.created + outcome.parties_registered == 0:
                raise _Rejected
    except _Rejected:
        outcome.created = outcome.parties_registered = 0  # rolled back
    return outcome


def _write(
    rows: list[tuple[int, CreditRow]],
    outcome: CreditImportOutcome,
    actor: Any,
    file_name: str,
    today: dt.date,
) -> None:
    via = f"信用记录导入 {file_name}"[:200]
    enterprises = _enterprises(rows, outcome, via)
    allowed = None
    if actor is not None and not has_role(actor, RECORD_WRITERS - {Role.DISTRICT_OFFICER}):
        allowed = district_codes_of(actor)
    stored = {
        (r.source_name, r.document_no): r
        for r in CreditRecord.objects.filter(
            document_no__in={row.document_no for _line, row in rows}
        ).select_related("enterprise")
    }
    # A source named exactly as one of our organisations is linked to it.
    sources = organisations_named({row.source for _line, row in rows})
    new: list[CreditRecord] = []
    for line, row in rows:
        enterprise = enterprises[row.uscc]
        if allowed is not None and enterprise.district_id not in allowed:
            outcome.problems.append(
                CreditImportProblem(line, "uscc", _(ERR_NOT_YOUR_DISTRICT) % {"uscc": row.uscc})
            )
            continue
        found = stored.get((row.source, row.document_no))
        if found is not None:
            differing = _differing(row, found)
            if differing:
                fields = "、".join(_(FIELD_LABELS[f]) for f in differing)
                outcome.problems.append(
                    CreditImportProblem(
                        line,
                        differing[0],
                        _(ERR_CONFLICT)
                        % {"source": row.source, "no": row.document_no, "fields": fields},
                    )
                )
            else:
                outcome.unchanged += 1
            continue
        new.append(
            CreditRecord(
                enterprise=enterprise,
                kind=row.kind,
                heavier=row.heavier,
                document_no=row.document_no,
                decided_on=row.decided_on,
                source_name=row.source,
                source=sources.get(row.source),
                summary=row.summary,
                published_on=row.published_on,
                public_until=public_until_of(row.kind, row.decided_on, row.published_on, False),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        )
    if not outcome.ok or not new:
        return
    CreditRecord.objects.bulk_create(new, batch_size=1000)
    outcome.created = len(new)
    ids = sorted({r.enterprise.pk for r in new})
    counts = classify_enterprises(ids, today=today)
    audit_record(
        actor=actor,
        action="credit.import",
        object_type="credit.creditrecord",
        object_repr=file_name[:255],
        after={
            "rows": outcome.rows,
            "created": outcome.created,
            "unchanged": outcome.unchanged,
            "parties_registered": outcome.parties_registered,
            "classes": counts,
        },
    )


def _enterprises(
    rows: list[tuple[int, CreditRow]], outcome: CreditImportOutcome, via: str
) -> dict[str, Enterprise]:
    codes = {row.uscc for _line, row in rows}
    known = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=codes)}
    districts = set(Division.objects.values_list("code", flat=True))
    names = {}
    for _line, row in rows:
        names.setdefault(row.uscc, row.name)
    missing = [
        Enterprise(
            uscc=code,
            name=names[code][:200],
            # Positions 3–8: the registering authority's division (GB 32100).
            region=code[2:8],
            district_id=code[2:8] if code[2:8] in districts else None,
            registered_via=via,
        )
        for code in sorted(codes - set(known))
    ]
    if missing:
        Enterprise.objects.bulk_create(missing)
        known.update({e.uscc: e for e in Enterprise.objects.filter(uscc__in=codes)})
        outcome.parties_registered = len(missing)
    return known


def _differing(row: CreditRow, found: CreditRecord) -> list[str]:
    stored = {
        "uscc": found.enterprise.uscc,
        "kind": found.kind,
        "heavier": found.heavier,
        "decided_on": found.decided_on,
        "summary": found.summary,
        "published_on": found.published_on,
    }
    return [f for f in COMPARED if getattr(row, f) != stored[f]]


# --- the blank file the import page offers ---------------------------------------------------

#: What to enter in each column (the import's own rules, in words), for the template's
#: second sheet.
TEMPLATE_NOTES: dict[str, str] = {
    "uscc": gettext_noop("18 位统一社会信用代码；本列已设为文本格式，请勿改为数字"),
    "name": gettext_noop("企业尚未登记时，按此名称登记"),
    "kind": gettext_noop("以下之一：%(kinds)s"),
    "heavier": gettext_noop("是或否（空白为否）；只有行政处罚可以填“是”"),
    "document_no": gettext_noop(
        "与来源单位一起确定一条记录：再次导入相同的行不作改动，内容不同的行作为错误报告"
    ),
    "decided_on": gettext_noop("如 2024-03-15，不晚于今天"),
    "source": gettext_noop("作出决定的单位全称；与平台登记的单位全称一致时关联到该单位"),
    "summary": gettext_noop("最多 1000 字"),
    "published_on": gettext_noop("行政处罚的公示日期，不早于决定日期"),
}


def records_template_xlsx() -> bytes:
    """An empty import file: the first sheet has the header row the import reads (in
    Chinese, whatever the official's language: the file is read in Chinese) with the
    credit-code column formatted as text; the second explains each column."""
    fields = list(FIELD_LABELS)
    spellings: dict[Kind, str] = {}
    for spelling, kind in KINDS.items():
        if not spelling.isascii():
            spellings.setdefault(kind, spelling)
    notes = [
        [
            FIELD_LABELS[name],
            _("必填") if name in REQUIRED_COLUMNS else _("选填"),
            _(TEMPLATE_NOTES[name]) % {"kinds": "、".join(spellings.values())}
            if name == "kind"
            else _(TEMPLATE_NOTES[name]),
        ]
        for name in fields
    ]
    notes.append(["", "", _("导入时只读取第一张工作表，本页不会导入。")])
    return xlsx_book_bytes(
        [
            Sheet(
                _("信用记录"),
                [FIELD_LABELS[name] for name in fields],
                [],
                widths=[22, 30, 16, 10, 26, 12, 30, 40, 12],
                text_columns=[fields.index("uscc") + 1, fields.index("document_no") + 1],
            ),
            Sheet(
                _("填写说明"), [_("列名"), _("是否必填"), _("填写说明")], notes, widths=[18, 10, 80]
            ),
        ]
    )
