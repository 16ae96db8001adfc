"""Credit-record exchange: who takes which shared records, ``since`` by entry date, and the
exact CSV and JSON forms."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from zhiliang.credit.exchange import COLUMNS, shared_records, write_csv, write_json
from zhiliang.credit.models import CreditRecord
from zhiliang.credit.services import record_create
from zhiliang.inspections.tests import factories as f

TODAY = dt.date(2025, 6, 30)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _record(actor: Any, enterprise: Any, document_no: str, **kw: Any) -> CreditRecord:
    args: dict[str, Any] = {
        "kind": "penalty",
        "decided_on": dt.date(2025, 3, 3),
        "source_name": "重庆市市场监督管理局",
        "today": TODAY,
    }
    args.update(kw)
    return record_create(actor=actor, enterprise=enterprise, document_no=document_no, **args)


def _entered(record: CreditRecord, when: dt.datetime) -> CreditRecord:
    CreditRecord.objects.filter(pk=record.pk).update(created_at=when)
    record.refresh_from_db()
    return record


@pytest.fixture
def two_districts(users: dict[str, Any]) -> dict[str, CreditRecord]:
    yuzhong, wanzhou = f.enterprise(f.YUZHONG), f.enterprise(f.WANZHOU)
    return {
        "yuzhong": _record(users["office"], yuzhong, "渝中罚〔2025〕1号"),
        "wanzhou": _record(users["office"], wanzhou, "万州罚〔2025〕1号"),
        "yuzhong_loan": _record(
            users["office"], yuzhong, "贷-1", kind="bad_loan", source_name="某银行"
        ),
    }


def _ids(records: Any) -> list[int]:
    return list(records.values_list("id", flat=True))


@pytest.mark.parametrize("who", ["office", "admin", "department", "inspector"])
def test_citywide_readers_take_every_record_in_id_order(users, two_districts, who):
    expected = sorted(r.pk for r in two_districts.values())
    assert _ids(shared_records(users[who], since=None)) == expected


def test_the_system_takes_every_record(two_districts):
    assert len(_ids(shared_records(None, since=None))) == 3


def test_a_district_officer_takes_only_their_districts_records(users, two_districts):
    mine = _ids(shared_records(users["district"], since=None))
    assert mine == sorted([two_districts["yuzhong"].pk, two_districts["yuzhong_loan"].pk])
    assert _ids(shared_records(users["other_district"], since=None)) == [
        two_districts["wanzhou"].pk
    ]


@pytest.mark.parametrize("who", ["outsider", "hospital", "enterprise_user"])
def test_others_are_refused(users, two_districts, who):
    with pytest.raises(PermissionDenied):
        shared_records(users[who], since=None)


def test_since_goes_by_entry_date_so_late_entered_records_are_not_missed(users):
    firm = f.enterprise(f.YUZHONG)
    old = _entered(
        _record(users["office"], firm, "旧-1", decided_on=dt.date(2025, 1, 5)),
        dt.datetime(2025, 1, 10, 9, 0, tzinfo=SHANGHAI),
    )
    # decided long ago, entered after the cut-off: a department taking records from
    # 1 June has not seen it yet
    late = _entered(
        _record(users["office"], firm, "补录-1", decided_on=dt.date(2024, 5, 1)),
        dt.datetime(2025, 6, 20, 9, 0, tzinfo=SHANGHAI),
    )
    # 00:30 on 1 June in Chongqing is still 31 May in UTC: it counts as 1 June
    midnight = _entered(
        _record(users["office"], firm, "新-1", decided_on=dt.date(2025, 5, 30)),
        dt.datetime(2025, 5, 31, 16, 30, tzinfo=dt.UTC),
    )
    just_before = _entered(
        _record(users["office"], firm, "新-2", decided_on=dt.date(2025, 5, 30)),
        dt.datetime(2025, 5, 31, 23, 59, tzinfo=SHANGHAI),
    )
    since = dt.date(2025, 6, 1)
    assert _ids(shared_records(users["office"], since=since)) == sorted([late.pk, midnight.pk])
    assert old.pk not in _ids(shared_records(users["office"], since=dt.date(2025, 1, 11)))
    assert just_before.pk in _ids(shared_records(users["office"], since=dt.date(2025, 5, 31)))
    assert len(_ids(shared_records(users["office"], since=None))) == 4


def test_since_and_district_combine(users, two_districts):
    for record in two_districts.values():
        _entered(record, dt.datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI))
    assert _ids(shared_records(users["district"], since=dt.date(2025, 3, 4))) == []
    assert len(_ids(shared_records(users["district"], since=dt.date(2025, 3, 3)))) == 2


@pytest.fixture
def penalty(users: dict[str, Any]) -> CreditRecord:
    firm = f.enterprise(f.YUZHONG, name="重庆山城食品有限公司")
    record = _record(
        users["office"],
        firm,
        "渝中市监罚〔2025〕12号",
        heavier=True,
        decided_on=dt.date(2025, 3, 3),
        published_on=dt.date(2025, 3, 10),
        summary="抽检不合格，罚款 5,000 元",
    )
    return _entered(record, dt.datetime(2025, 3, 11, 8, 30, 15, 123456, tzinfo=SHANGHAI))


def test_csv_has_the_english_header_and_exact_rows(users, penalty):
    loan = _entered(
        _record(users["office"], penalty.enterprise, "贷-9", kind="bad_loan", source_name="某银行"),
        dt.datetime(2025, 3, 12, 0, 0, tzinfo=dt.UTC),
    )
    out = io.StringIO()
    assert write_csv(shared_records(users["district"], since=None), out) == 2
    lines = out.getvalue().split("\n")
    uscc = penalty.enterprise.uscc
    assert lines == [
        "id,uscc,enterprise_name,kind,heavier,document_no,decided_on,source,summary,"
        "published_on,public_until,created_at",
        f"{penalty.pk},{uscc},重庆山城食品有限公司,penalty,true,渝中市监罚〔2025〕12号,"
        '2025-03-03,重庆市市场监督管理局,"抽检不合格，罚款 5,000 元",2025-03-10,2028-03-10,'
        "2025-03-11T08:30:15+08:00",
        f"{loan.pk},{uscc},重庆山城食品有限公司,bad_loan,false,贷-9,2025-03-03,某银行,,,,"
        "2025-03-12T08:00:00+08:00",
        "",
    ]


def test_csv_of_no_records_is_the_header_alone(users):
    out = io.StringIO()
    assert write_csv(shared_records(users["office"], since=None), out) == 0
    assert out.getvalue() == ",".join(COLUMNS) + "\n"


def test_json_parses_with_the_count_and_typed_values(users, penalty):
    other = _record(users["office"], f.enterprise(f.WANZHOU), "万州罚-1", kind="award")
    out = io.StringIO()
    assert write_json(shared_records(users["office"], since=None), out) == 2
    text = out.getvalue()
    assert "重庆山城食品有限公司" in text  # not \\u-escaped
    data = json.loads(text)
    assert data["count"] == 2
    assert [r["id"] for r in data["records"]] == [penalty.pk, other.pk]
    first = data["records"][0]
    assert list(first) == list(COLUMNS)
    assert first == {
        "id": penalty.pk,
        "uscc": penalty.enterprise.uscc,
        "enterprise_name": "重庆山城食品有限公司",
        "kind": "penalty",
        "heavier": True,
        "document_no": "渝中市监罚〔2025〕12号",
        "decided_on": "2025-03-03",
        "source": "重庆市市场监督管理局",
        "summary": "抽检不合格，罚款 5,000 元",
        "published_on": "2025-03-10",
        "public_until": "2028-03-10",
        "created_at": "2025-03-11T08:30:15+08:00",
    }
    assert data["records"][1]["heavier"] is False
    assert data["records"][1]["published_on"] is None
    assert data["records"][1]["public_until"] is None


def test_json_of_no_records(users):
    out = io.StringIO()
    assert write_json(shared_records(users["district"], since=None), out) == 0
    assert json.loads(out.getvalue()) == {"records": [], "count": 0}


def test_the_writers_stream_with_one_query_for_enterprises(
    users, penalty, django_assert_max_num_queries
):
    for n in range(3):
        _record(users["office"], f.enterprise(f.YUZHONG), f"批-{n}")
    records = shared_records(users["office"], since=None)
    with django_assert_max_num_queries(1):
        write_csv(records, io.StringIO())
    with django_assert_max_num_queries(1):
        write_json(records, io.StringIO())
