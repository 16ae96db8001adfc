"""Credit-record exchange between departments (DESIGN.md S15 "exchange"): the shared
records a user is entitled to take, and writers for the CSV and JSON forms the
``zhiliang credit export --since DATE --format csv|json`` command and the API feed give.

Entitlement follows the enterprise registry's reading rules (accounts.access): the
system (``user is None``) and citywide readers take every record; a district officer
takes the records of enterprises registered in their district; anyone else is refused.

Columns have stable English keys (:data:`COLUMNS`) so other departments can map them
once. Dates and datetimes are ISO 8601 strings (``created_at`` in local time, with its
offset), booleans are ``true``/``false``, an empty date is ``null`` in JSON and an empty
cell in CSV. The writers stream the records, so a large export never sits in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, TextIO

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from zhiliang.accounts.access import CITYWIDE_READERS, district_codes_of, has_role
from zhiliang.accounts.models import Role
from zhiliang.credit.models import CreditRecord

#: The exported columns, in order: the CSV header and each JSON record's keys.
COLUMNS: tuple[str, ...] = (
    "id",
    "uscc",
    "enterprise_name",
    "kind",
    "heavier",
    "document_no",
    "decided_on",
    "source",
    "summary",
    "published_on",
    "public_until",
    "created_at",
)

#: Rows fetched from the database at a time while streaming.
CHUNK_SIZE = 2000


def shared_records(user: Any, *, since: dt.date | None) -> QuerySet[CreditRecord]:
    """The records ``user`` is entitled to take, ordered by id.

    With ``since``, only records created or decided on or after that day. The test is
    on the day the record was *entered* (``created_at``, local date), not only on its
    decision date: a decision from last year entered today is new to the departments
    that took the records yesterday, and filtering on ``decided_on`` alone would miss
    it for good. (A decision cannot postdate its entry, so ``decided_on`` adds nothing
    in practice; it is kept so the rule reads as stated.)

    Raises :class:`~django.core.exceptions.PermissionDenied` for a user who is not
    entitled to any shared records.
    """
    records = CreditRecord.objects.select_related("enterprise").order_by("id")
    if user is None or has_role(user, CITYWIDE_READERS):
        pass
    elif has_role(user, {Role.DISTRICT_OFFICER}):
        records = records.filter(enterprise__district_id__in=district_codes_of(user))
    else:
        raise PermissionDenied
    if since is not None:
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        records = records.filter(Q(created_at__gte=start) | Q(decided_on__gte=since))
    return records


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def record_row(record: CreditRecord) -> dict[str, Any]:
    """One record as an exported row: :data:`COLUMNS` to JSON-ready values."""
    return {
        "id": record.pk,
        "uscc": record.enterprise.uscc,
        "enterprise_name": record.enterprise.name,
        "kind": record.kind,
        "heavier": record.heavier,
        "document_no": record.document_no,
        "decided_on": _iso(record.decided_on),
        "source": record.source_name,
        "summary": record.summary,
        "published_on": _iso(record.published_on),
        "public_until": _iso(record.public_until),
        "created_at": _iso(record.created_at),
    }


def _stream(records: QuerySet[CreditRecord]) -> Iterator[dict[str, Any]]:
    for record in records.select_related("enterprise").iterator(chunk_size=CHUNK_SIZE):
        yield record_row(record)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_csv(records: QuerySet[CreditRecord], out: TextIO) -> int:
    """Write the records as CSV (a header row of :data:`COLUMNS`, then one row a record,
    lines ending in ``\\n``) to a text stream the caller opened as UTF-8. Returns the
    number of records written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in _stream(records):
        writer.writerow([_csv_cell(row[key]) for key in COLUMNS])
        count += 1
    return count


def write_json(records: QuerySet[CreditRecord], out: TextIO) -> int:
    """Write the records as one JSON object ``{"records": [...], "count": N}`` (non-ASCII
    text as is, ``ensure_ascii=False``), a record at a time. Returns the number written."""
    out.write('{"records": [')
    count = 0
    for row in _stream(records):
        if count:
            out.write(", ")
        out.write(json.dumps(row, ensure_ascii=False))
        count += 1
    out.write(f'], "count": {count}}}\n')
    return count
