"""Holiday arrangements the quality office enters for years ``chinesecalendar`` lacks.

The State Council publishes the next year's 节假日安排 late in the year; until a release of
``chinesecalendar`` carries it, working-day deadlines running into that year cannot be
counted (:mod:`zhiliang.lib.workdays` refuses them rather than guess). The office enters
the notice's days here; :func:`arrangement_for` supplies them to the working-day
calculations (registered by the app at start), and the library's own data wins once it
has the year.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from zhiliang.accounts.access import OFFICE, has_role
from zhiliang.accounts.audit import audit_record
from zhiliang.lib.workdays import Arrangement, CalendarUnavailable, library_has
from zhiliang.registry.models import HolidayArrangement

log = logging.getLogger(__name__)
_SEPARATORS = re.compile(r"[\s,，、;；]+")
#: No holiday of the State Council's arrangements has run longer (春节 2026: 9 days), nor
#: have a year's days off summed to more than about 35: beyond these a range is a typo.
LONGEST_HOLIDAY = 12
MOST_DAYS_OFF = 45
_RANGE = re.compile(r"(.+?)(?:~|～|至|--)(.+)")


def parse_days(text: str, year: int, label: str) -> list[dt.date]:
    """Dates written one by one or as ranges (``2027-02-10~2027-02-17``, ``至`` too),
    separated by blanks, commas or semicolons; each must fall in ``year``."""
    days: set[dt.date] = set()
    errors = []
    for token in filter(None, _SEPARATORS.split(text.strip())):
        bounds = _RANGE.fullmatch(token)
        try:
            if bounds:
                first, last = (dt.date.fromisoformat(b.strip()) for b in bounds.groups())
            else:
                first = last = dt.date.fromisoformat(token)
        except ValueError:
            errors.append(
                _("%(label)s：“%(token)s”不是日期（应写作 2027-01-01 或 2027-02-10~2027-02-17）")
                % {"label": label, "token": token}
            )
            continue
        if last < first:
            errors.append(
                _("%(label)s：“%(token)s”的结束日期早于开始日期") % {"label": label, "token": token}
            )
            continue
        if (last - first).days >= LONGEST_HOLIDAY:
            errors.append(
                _("%(label)s：“%(token)s”超过 %(n)d 天，请检查")
                % {"label": label, "token": token, "n": LONGEST_HOLIDAY}
            )
            continue
        if first.year != year or last.year != year:
            errors.append(
                _("%(label)s：“%(token)s”不在 %(year)d 年")
                % {"label": label, "token": token, "year": year}
            )
            continue
        while first <= last:
            days.add(first)
            first += dt.timedelta(days=1)
    if errors:
        raise ValidationError(errors)
    return sorted(days)


@transaction.atomic
def arrangement_save(
    *, actor: Any, year: int, document: str, holidays: str, workdays: str
) -> HolidayArrangement:
    """Enter or correct a year's arrangement (quality office only); audited."""
    if not has_role(actor, OFFICE):
        raise PermissionDenied
    document = document.strip()
    errors = []
    if not 2000 <= year <= 2100:
        raise ValidationError(_("年份应在 2000 至 2100 之间"))
    if library_has(year):
        raise ValidationError(_("%(year)d 年的节假日安排已由日历库收录，无需录入") % {"year": year})
    if not document:
        errors.append(_("请填写通知文号（如 国办发明电〔2026〕X号）"))
    parsed = []
    for text, label in ((holidays, _("放假日期")), (workdays, _("调休上班日期"))):
        try:
            parsed.append(parse_days(text, year, label))
        except ValidationError as exc:
            errors += exc.messages
            parsed.append([])
    days_off, days_on = parsed
    if errors:
        raise ValidationError(errors)
    if not days_off:
        errors.append(_("请填写放假日期"))
    if len(days_off) > MOST_DAYS_OFF:
        errors.append(
            _("放假日期共 %(n)d 天，超过 %(most)d 天，请检查")
            % {"n": len(days_off), "most": MOST_DAYS_OFF}
        )
    both = sorted(set(days_off) & set(days_on))
    if both:
        errors.append(
            _("这些日期既是放假日又是上班日：%(days)s")
            % {"days": "、".join(d.isoformat() for d in both)}
        )
    weekdays = [d for d in days_on if d.weekday() < 5]
    if weekdays:
        errors.append(
            _("调休上班日应是周六或周日，这些不是：%(days)s")
            % {"days": "、".join(d.isoformat() for d in weekdays)}
        )
    if errors:
        raise ValidationError(errors)
    after = {
        "document": document,
        "holidays": [d.isoformat() for d in days_off],
        "workdays": [d.isoformat() for d in days_on],
    }
    existing = HolidayArrangement.objects.select_for_update().filter(year=year).first()
    before = (
        {
            "document": existing.document,
            "holidays": existing.holidays,
            "workdays": existing.workdays,
        }
        if existing
        else None
    )
    arrangement, _created = HolidayArrangement.objects.update_or_create(
        year=year, defaults={**after, "entered_by": actor}
    )
    audit_record(
        actor=actor,
        action="holiday_arrangement.save",
        obj=arrangement,
        before=before,
        after=after,
    )
    transaction.on_commit(forget)
    return arrangement


def unavailable_message(exc: CalendarUnavailable) -> str:
    """What a page says when a deadline runs into a year whose holidays are not known."""
    return _(
        "%(year)d年的节假日安排尚未录入：请质量办在“节假日安排”页按国务院办公厅的通知录入。"
    ) % {"year": exc.year}


#: year → (when read, its arrangement or None), per process
_read: dict[int, tuple[float, Arrangement | None]] = {}


def forget() -> None:
    _read.clear()


def arrangement_for(year: int) -> Arrangement | None:
    """The entered arrangement of ``year``, read at most every
    ``settings.HOLIDAY_CHECK_SECONDS`` per process (another process's correction shows
    within that time; 0: every time)."""
    now = time.monotonic()
    cached = _read.get(year)
    if cached is not None and now - cached[0] < settings.HOLIDAY_CHECK_SECONDS:
        return cached[1]
    try:
        with transaction.atomic():  # a savepoint inside a caller's transaction
            row = HolidayArrangement.objects.filter(year=year).first()
    except DatabaseError:
        # the table not migrated yet, the database away: as if nothing were entered, so
        # that the callers' own fallbacks apply (and refusals say what is missing)
        log.exception("could not read the holiday arrangement of %s", year)
        _read[year] = (now, None)
        return None
    found = (
        Arrangement(
            year=year,
            holidays=frozenset(dt.date.fromisoformat(d) for d in row.holidays),
            workdays=frozenset(dt.date.fromisoformat(d) for d in row.workdays),
        )
        if row
        else None
    )
    _read[year] = (now, found)
    return found
