"""A record's source unit is linked to the organisation whose full name it is (exactly,
after trimming), whichever way the record comes in: form, API, import or a failed
sample; a name that is not one of ours leaves the link empty."""

from __future__ import annotations

import csv
import datetime as dt

from zhiliang.credit.importing import records_import
from zhiliang.credit.models import CreditRecord
from zhiliang.credit.services import record_create
from zhiliang.inspections.services import plans as plan_svc
from zhiliang.inspections.services import samples as sample_svc
from zhiliang.inspections.tests import factories as f
from zhiliang.registry.models import Organisation

OURS = "重庆市市场监督管理局"  # an organisation of the 2015 registry (cq-samr)
BANK = "某银行重庆分行"  # not one of ours
TODAY = dt.date(2025, 6, 30)


def _ours():
    return Organisation.objects.get(name=OURS)


def _form(client, firm, document_no, source_name):
    return client.post(
        "/credit/records/new/",
        {
            "uscc": firm.uscc,
            "kind": "penalty",
            "document_no": document_no,
            "decided_on": "2025-03-03",
            "source_name": source_name,
            "sector": "general",
        },
    )


def test_a_record_by_form_is_linked_to_the_named_organisation_or_to_none(users, client):
    firm = f.enterprise(f.YUZHONG)
    client.force_login(users["district"])
    assert _form(client, firm, "罚-1", f"  {OURS} ").status_code == 302
    assert _form(client, firm, "罚-2", BANK).status_code == 302
    records = {r.document_no: r for r in CreditRecord.objects.all()}
    assert (records["罚-1"].source, records["罚-1"].source_name) == (_ours(), OURS)
    assert records["罚-2"].source is None and records["罚-2"].source_name == BANK


def test_a_record_by_api_is_linked_the_same_way(users, client):
    firm = f.enterprise(f.YUZHONG)
    client.force_login(users["office"])
    for no, source_name in (("API-1", OURS), ("API-2", BANK)):
        body = {
            "uscc": firm.uscc,
            "kind": "bad_loan",
            "document_no": no,
            "decided_on": "2025-03-03",
            "source_name": source_name,
        }
        response = client.post("/api/credit/records", body, content_type="application/json")
        assert response.status_code == 201
    assert CreditRecord.objects.get(document_no="API-1").source == _ours()
    assert CreditRecord.objects.get(document_no="API-2").source is None


def test_only_the_exact_full_name_links_not_a_short_name_or_a_part(users):
    firm = f.enterprise(f.YUZHONG)
    for no, name in (("1", "市市场监管局"), ("2", "重庆市市场监督管理"), ("3", OURS + "局")):
        record = record_create(
            actor=users["office"],
            enterprise=firm,
            kind="penalty",
            document_no=no,
            decided_on=dt.date(2025, 3, 3),
            source_name=name,
            today=TODAY,
        )
        assert record.source is None, name


def test_an_import_links_each_row_to_its_named_organisation(users, tmp_path):
    path = tmp_path / "credit.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["统一社会信用代码", "企业名称", "记录类型", "决定文书号", "决定日期", "来源单位"]
        )
        writer.writerow(
            [f.uscc(f.YUZHONG), "甲公司", "行政处罚", "罚-1", "2025-03-03", f" {OURS} "]
        )
        writer.writerow([f.uscc(f.YUZHONG), "乙公司", "不良信贷", "贷-1", "2025-03-03", BANK])
    outcome = records_import(path=path, file_name=path.name, actor=users["office"], today=TODAY)
    assert outcome.ok and outcome.created == 2, outcome.problems
    records = {r.document_no: r for r in CreditRecord.objects.all()}
    assert (records["罚-1"].source, records["罚-1"].source_name) == (_ours(), OURS)
    assert records["贷-1"].source is None


def test_a_failed_sample_of_a_plan_is_linked_to_the_plan_organiser(users):
    organiser = Organisation.objects.get(key="cq-zjj")
    plan = plan_svc.plan_create(
        actor=None,
        code="P-1",
        title="2025 年省级监督抽查",
        year=2025,
        level="provincial",
        organiser=organiser,
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    sample = sample_svc.sample_record(actor=None, data=f.sample_input(), plan=plan)
    sample_svc.sample_report(
        actor=None,
        sample=sample,
        lab=f.lab(),
        report_no="R-1",
        reported_on=dt.date(2025, 3, 20),
        conclusion="fail",
        failed_items="电气强度",
    )
    record = CreditRecord.objects.get(sample=sample)
    assert (record.source, record.source_name) == (organiser, organiser.name)


def test_a_bulk_import_of_a_plan_links_its_failures_as_one_by_one_would(users, tmp_path):
    from zhiliang.credit.services import inspection_failure_record
    from zhiliang.inspections.services.importing import samples_import
    from zhiliang.inspections.tests.test_import import HEADER, ROWS
    from zhiliang.inspections.tests.test_import import TODAY as SAMPLING_TODAY

    organiser = Organisation.objects.get(key="cq-zjj")
    plan = plan_svc.plan_create(
        actor=None,
        code="P-2",
        title="2025 年省级监督抽查",
        year=2025,
        level="provincial",
        organiser=organiser,
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    path = tmp_path / "results.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    outcome = samples_import(
        path=path, file_name=path.name, actor=users["office"], plan=plan, today=SAMPLING_TODAY
    )
    assert outcome.ok, outcome.problems
    bulk = list(CreditRecord.objects.select_related("sample"))
    assert bulk and {(r.source, r.source_name) for r in bulk} == {(organiser, organiser.name)}
    for record in bulk:
        sample = record.sample
        record.delete()
        one = inspection_failure_record(sample, actor=users["office"])
        assert (one.source, one.source_name) == (organiser, organiser.name)
