"""The exchange wired up: ``zhiliang credit export`` and ``GET /api/credit/records``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from django.core.management import call_command

from zhiliang.credit.services import record_create
from zhiliang.inspections.tests import factories as f


def _records(users):
    mine, theirs = f.enterprise(f.YUZHONG), f.enterprise(f.WANZHOU)
    for i, firm in enumerate([mine, theirs, mine]):
        record_create(
            actor=users["office"],
            enterprise=firm,
            kind="penalty",
            document_no=f"罚-{i}",
            decided_on=dt.date(2025, 3, 3),
            source_name="重庆市市场监督管理局",
            today=dt.date(2025, 6, 30),
        )
    return mine, theirs


def test_the_export_command_writes_csv_and_json(users):
    _records(users)
    out = io.StringIO()
    call_command("credit", "export", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["document_no"] for r in rows] == ["罚-0", "罚-1", "罚-2"]
    out = io.StringIO()
    call_command("credit", "export", "--format", "json", "--since", "2999-01-01", stdout=out)
    assert json.loads(out.getvalue()) == {"records": [], "count": 0}


def test_the_feed_pages_by_id_and_scopes_a_district(users, client):
    mine, _theirs = _records(users)
    client.force_login(users["office"])
    first = client.get("/api/credit/records?limit=2").json()
    assert first["count"] == 2
    rest = client.get(f"/api/credit/records?after={first['records'][-1]['id']}").json()
    assert [r["document_no"] for r in rest["records"]] == ["罚-2"]
    assert client.get("/api/credit/records?since=yesterday").status_code == 400
    client.force_login(users["district"])
    body = client.get("/api/credit/records").json()
    assert {r["uscc"] for r in body["records"]} == {mine.uscc}
    for persona in ("outsider", "hospital", "enterprise_user"):
        client.force_login(users[persona])
        assert client.get("/api/credit/records").status_code == 403
    client.logout()
    assert client.get("/api/credit/records").status_code in (401, 403)


def test_a_record_by_api(users, client):
    firm = f.enterprise(f.YUZHONG)
    client.force_login(users["district"])
    body = {
        "uscc": firm.uscc.lower(),
        "kind": "penalty",
        "document_no": "API-1",
        "decided_on": "2025-03-03",
        "source_name": "重庆市渝中区市场监督管理局",
        "heavier": True,
    }
    response = client.post("/api/credit/records", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["public_until"] == "2028-03-03"
    again = client.post("/api/credit/records", body, content_type="application/json")
    assert again.status_code == 400 and "document_no" in again.json()["extra"]["fields"]
    other = f.enterprise(f.WANZHOU)
    refused = client.post(
        "/api/credit/records",
        body | {"uscc": other.uscc, "document_no": "API-2"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    client.force_login(users["outsider"])
    assert (
        client.post("/api/credit/records", body, content_type="application/json").status_code == 403
    )
