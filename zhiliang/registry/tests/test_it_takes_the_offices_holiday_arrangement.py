"""A year the calendar library does not carry yet: the quality office enters the State
Council's arrangement, and working-day deadlines into that year are counted with it; until
then they are refused, never guessed. 2098 stands for such a year (the library will not
carry it), 2026 for one it carries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from zhiliang.accounts.models import AuditEntry
from zhiliang.lib import workdays
from zhiliang.lib.workdays import Arrangement, CalendarUnavailable, add_workdays, is_workday
from zhiliang.registry import calendar
from zhiliang.registry.calendar import arrangement_save, parse_days
from zhiliang.registry.models import HolidayArrangement

URL = reverse("registry:holiday_arrangements")
D = dt.date

# 2098-01-01 is a Wednesday. Days off: 1–3 January (Wed–Fri); worked: Sunday 5 January.
NEW_YEAR = Arrangement(
    year=2098,
    holidays=frozenset({D(2098, 1, 1), D(2098, 1, 2), D(2098, 1, 3)}),
    workdays=frozenset({D(2098, 1, 5)}),
)


def test_a_year_the_library_lacks_is_counted_from_the_arrangement_supplied():
    with pytest.raises(CalendarUnavailable, match="2098"):
        add_workdays(D(2098, 1, 1), 1)
    workdays.set_supplement(lambda year: NEW_YEAR if year == 2098 else None)
    # from Wed 1 Jan: 2–3 Jan off, Sat 4 off, Sun 5 worked (1), Mon 6 (2)
    assert add_workdays(D(2098, 1, 1), 1) == D(2098, 1, 5)
    assert add_workdays(D(2098, 1, 1), 2) == D(2098, 1, 6)
    assert not is_workday(D(2098, 1, 1)) and is_workday(D(2098, 1, 5))
    with pytest.raises(CalendarUnavailable, match="2099"):
        is_workday(D(2099, 1, 1))


def test_the_librarys_own_year_wins_over_an_entered_one():
    # 2026-10-01 is 国庆节 in the library; a supplement saying otherwise is not asked
    workdays.set_supplement(lambda year: Arrangement(year, frozenset(), frozenset()))
    assert not is_workday(D(2026, 10, 1))
    assert workdays.library_has(2026) and not workdays.library_has(2098)


def test_dates_are_read_one_by_one_and_as_ranges():
    text = "2098-02-10~2098-02-12，2098-01-01 2098-05-01至2098-05-02\n2098-01-01"
    assert parse_days(text, 2098, "放假日期") == [
        D(2098, 1, 1),
        D(2098, 2, 10),
        D(2098, 2, 11),
        D(2098, 2, 12),
        D(2098, 5, 1),
        D(2098, 5, 2),
    ]
    with pytest.raises(ValidationError) as caught:
        parse_days("2098-13-01 2098-02-12~2098-02-10 2097-12-31 明天", 2098, "放假日期")
    messages = caught.value.messages
    assert len(messages) == 4
    assert "“2098-13-01”不是日期" in messages[0] and "结束日期早于开始日期" in messages[1]
    assert "不在 2098 年" in messages[2] and "“明天”不是日期" in messages[3]


def _save(actor, **fields):
    values = {
        "year": 2098,
        "document": "国办发明电〔2097〕9号（测试）",
        "holidays": "2098-01-01~2098-01-03",
        "workdays": "2098-01-05",
    }
    return arrangement_save(actor=actor, **{**values, **fields})


def test_the_office_enters_and_corrects_a_year_and_both_are_audited(users):
    saved = _save(users["office"])
    assert saved.holidays == ["2098-01-01", "2098-01-02", "2098-01-03"]
    assert saved.workdays == ["2098-01-05"]
    _save(users["office"], holidays="2098-01-01~2098-01-02", workdays="")
    first, second = AuditEntry.objects.filter(action="holiday_arrangement.save").order_by("id")
    assert first.before is None and first.after["holidays"][-1] == "2098-01-03"
    assert second.before["holidays"][-1] == "2098-01-03"
    assert second.after == {
        "document": "国办发明电〔2097〕9号（测试）",
        "holidays": ["2098-01-01", "2098-01-02"],
        "workdays": [],
    }
    assert HolidayArrangement.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"year": 2026}, "已由日历库收录"),
        ({"document": " "}, "请填写通知文号"),
        ({"holidays": ""}, "请填写放假日期"),
        ({"workdays": "2098-01-01"}, "既是放假日又是上班日：2098-01-01"),
        ({"workdays": "2098-01-06"}, "应是周六或周日，这些不是：2098-01-06"),
        ({"holidays": "2098-01-01 2099-01-01"}, "不在 2098 年"),
        ({"holidays": "2098-10-01~2098-12-07"}, "超过 12 天，请检查"),
        (
            {"holidays": " ".join(f"2098-{m:02d}-01~2098-{m:02d}-04" for m in range(1, 13))},
            "共 48 天，超过 45 天",
        ),
        ({"holidays": "2098-01-01", "workdays": "明天"}, "“明天”不是日期"),
    ],
)
def test_a_wrong_arrangement_is_refused_with_the_reason_and_nothing_is_written(
    users, fields, message
):
    with pytest.raises(ValidationError) as caught:
        _save(users["office"], **fields)
    assert any(message in m for m in caught.value.messages), caught.value.messages
    assert not HolidayArrangement.objects.exists()
    assert not AuditEntry.objects.filter(action="holiday_arrangement.save").exists()


@pytest.mark.parametrize("who", ["department", "district", "inspector", "outsider"])
def test_only_the_office_enters_arrangements(users, who):
    with pytest.raises(PermissionDenied):
        _save(users[who])
    assert not HolidayArrangement.objects.exists()


def test_the_app_supplies_what_the_office_entered(users, entered_holidays):
    assert entered_holidays is calendar.arrangement_for  # registered when the app started
    with pytest.raises(CalendarUnavailable):
        add_workdays(D(2098, 1, 1), 1)
    _save(users["office"])
    assert add_workdays(D(2098, 1, 1), 1) == D(2098, 1, 5)


def test_a_process_rereads_an_arrangement_after_its_own_save_or_its_time(
    users, settings, django_capture_on_commit_callbacks
):
    settings.HOLIDAY_CHECK_SECONDS = 60
    calendar.forget()
    assert calendar.arrangement_for(2098) is None  # remembered for 60 s
    HolidayArrangement.objects.create(year=2098, document="x", holidays=["2098-01-01"])
    assert calendar.arrangement_for(2098) is None
    with django_capture_on_commit_callbacks(execute=True):
        _save(users["office"])
    assert calendar.arrangement_for(2098) == NEW_YEAR
    settings.HOLIDAY_CHECK_SECONDS = 0
    HolidayArrangement.objects.filter(year=2098).update(workdays=[])
    assert calendar.arrangement_for(2098).workdays == frozenset()


def test_the_page_is_the_offices(client_as, users):
    assert client_as(None).get(URL).status_code == 302  # to the login page
    for who in ("outsider", "department", "district", "inspector", "enterprise_user"):
        assert client_as(who).get(URL).status_code == 403, who
        assert client_as(who).post(URL, {"year": 2098}).status_code == 403, who
    office = client_as("office")
    page = office.get(URL).content.decode()
    assert "尚未录入任何年份" in page
    bad = office.post(
        URL,
        {
            "year": 2098,
            "document": "国办发明电",
            "holidays": "2098-01-01",
            "workdays": "2098-01-07",
        },
    )
    assert bad.status_code == 400 and "应是周六或周日" in bad.content.decode()
    assert not HolidayArrangement.objects.exists()
    good = office.post(
        URL,
        {"year": 2098, "document": "国办发明电〔2097〕9号", "holidays": "2098-01-01~2098-01-03"},
        follow=True,
    )
    assert good.status_code == 200
    page = good.content.decode()
    assert "已保存 2098 年的节假日安排" in page and "2098-01-03" in page
    assert HolidayArrangement.objects.get().entered_by == users["office"]


def test_both_fields_reasons_come_at_once(users):
    with pytest.raises(ValidationError) as caught:
        _save(users["office"], holidays="昨天", workdays="明天")
    assert [m[:4] for m in caught.value.messages] == ["放假日期", "调休上班"]


def test_an_unreadable_table_counts_as_nothing_entered(entered_holidays, monkeypatch, caplog):
    """The table not migrated yet or the database away: the callers' own fallbacks and
    refusals apply, and the error is logged, not raised from a deadline."""
    from django.db import DatabaseError

    def broken(*args, **kwargs):
        raise DatabaseError("no such table: registry_holidayarrangement")

    monkeypatch.setattr(HolidayArrangement.objects, "filter", broken)
    calendar.forget()
    with pytest.raises(CalendarUnavailable):
        is_workday(D(2098, 1, 2))
    assert "could not read the holiday arrangement of 2098" in caplog.text


def test_the_dashboards_count_an_entered_year_afresh(entered_holidays, users):
    """The overdue counts reuse library years' segments; an entered year's are counted
    again, as the office may correct it."""
    from zhiliang.plans.dashboards import workdays_overdue

    _save(users["office"], holidays="2098-01-01~2098-01-03", workdays="")
    assert workdays_overdue({D(2098, 1, 1)}, D(2098, 1, 9)) == {D(2098, 1, 1): 4}
    _save(users["office"], holidays="2098-01-01~2098-01-06", workdays="")
    assert workdays_overdue({D(2098, 1, 1)}, D(2098, 1, 9)) == {D(2098, 1, 1): 3}


def test_pages_say_what_is_missing_in_the_users_language(client_as, users, monkeypatch):
    """A new supervision notice late in a year whose successor is neither in the library
    nor entered: the reply deadline is left to the office, with the reason, in Chinese or
    English."""
    from django.utils import translation

    from zhiliang.plans import notice_views

    monkeypatch.setattr(notice_views.timezone, "localdate", lambda *args: D(2097, 12, 30))
    office = client_as("office")
    page = office.get(reverse("plans:notice_new")).content.decode()
    assert "2097年的节假日安排尚未录入：请质量办在“节假日安排”页按国务院办公厅的通知录入。" in page
    office.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = office.get(reverse("plans:notice_new")).content.decode()
    assert "The holiday arrangement for 2097 has not been entered" in page
    with translation.override("en"):
        assert calendar.unavailable_message(CalendarUnavailable("x", 2097)).startswith(
            "The holiday arrangement for 2097"
        )
