"""The credit pages: a record by form, the enterprise page with its (internal) class, and a
listing case taken step by step through its forms; each page refuses those it must."""

from __future__ import annotations

import datetime as dt

from zhiliang.credit.models import CreditRecord, Listing
from zhiliang.inspections.tests import factories as f

TODAY = dt.date.today()


def _days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


def _post_record(client, firm, **changes):
    data = {
        "uscc": firm.uscc,
        "kind": "penalty",
        "heavier": "on",
        "document_no": "渝中市监罚〔2024〕9号",
        "decided_on": _days_ago(500),
        "source_name": "重庆市渝中区市场监督管理局",
        "sector": "general",
        "published_on": _days_ago(490),
        "summary": "无证生产",
    }
    data.update(changes)
    return client.post("/credit/records/new/", data)


def test_a_record_by_form_and_the_enterprise_page(users, client):
    firm = f.enterprise(f.YUZHONG)
    client.force_login(users["district"])
    response = _post_record(client, firm)
    assert (
        response.status_code == 302 and response["Location"] == f"/credit/enterprises/{firm.uscc}/"
    )
    page = client.get(response["Location"]).content.decode()
    assert "渝中市监罚〔2024〕9号" in page and "信用风险分类" in page and "立案" in page
    bad = _post_record(client, firm, document_no="渝中市监罚〔2024〕9号")  # the same again
    assert bad.status_code == 200 and "已有记录" in bad.content.decode()
    assert CreditRecord.objects.count() == 1


def test_pages_are_scoped_and_closed_to_outsiders(users, client):
    theirs = f.enterprise(f.WANZHOU)
    client.force_login(users["district"])
    assert client.get(f"/credit/enterprises/{theirs.uscc}/").status_code == 403
    assert _post_record(client, theirs).status_code == 403
    for persona in ("outsider", "hospital", "enterprise_user"):
        client.force_login(users[persona])
        for url in ("/credit/", "/credit/records/new/", f"/credit/enterprises/{theirs.uscc}/"):
            assert client.get(url).status_code == 403


def test_a_case_through_its_forms_from_proposal_to_early_removal(users, client):
    firm = f.enterprise(f.YUZHONG)
    client.force_login(users["district"])
    _post_record(client, firm)
    record = CreditRecord.objects.get()
    response = client.post(
        f"/credit/records/{record.pk}/propose/",
        {"reasons": "无证生产，情节严重", "basis": "第七条", "proposed_on": _days_ago(480)},
    )
    listing = Listing.objects.get()
    assert response["Location"] == f"/credit/listings/{listing.pk}/"

    def step(name, **data):
        return client.post(
            f"/credit/listings/{listing.pk}/{name}/", {f"{name}-{k}": v for k, v in data.items()}
        )

    step("notify", notified_on=_days_ago(470))
    page = client.get(f"/credit/listings/{listing.pk}/").content.decode()
    assert 'id="form-object"' in page and 'id="form-approve"' not in page  # the city approves
    client.force_login(users["office"])
    assert 'id="form-approve"' in client.get(f"/credit/listings/{listing.pk}/").content.decode()
    step("approve", approved_on=_days_ago(400), years="3")
    listing.refresh_from_db()
    assert listing.status == "listed"
    client.force_login(users["district"])
    step("remove", removed_on=TODAY.isoformat(), evidence="凭证", obligations_fulfilled="on")
    listing.refresh_from_db()
    assert listing.status == "listed"  # harm not yet removed: refused, with the reason
    step(
        "remove",
        removed_on=TODAY.isoformat(),
        evidence="凭证",
        obligations_fulfilled="on",
        harm_removed="on",
        measure_period_ended="on",
    )
    listing.refresh_from_db()
    assert (listing.status, listing.removal) == ("removed", "early")
