"""The sampling-inspection pages: who may open them, what they show, and that each form
goes through its service (and its refusals come back to the official, not as a 500)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from zhiliang.accounts.models import AuditEntry
from zhiliang.inspections.models import Referral, Sample, SamplingPlan
from zhiliang.inspections.services import plans as plan_svc
from zhiliang.inspections.services import samples as svc
from zhiliang.inspections.tests import factories as fx
from zhiliang.lib.samplegen import HEADER
from zhiliang.registry.models import Division, Organisation

pytestmark = pytest.mark.django_db

PAGES = [
    "/inspections/",
    "/inspections/plans/",
    "/inspections/import/",
    "/inspections/pass-rates/",
    "/inspections/targets/",
    "/inspections/referrals/",
    "/inspections/categories/",
    "/inspections/samples/new/",
]
READERS = ["admin", "office", "department", "district", "inspector"]
REFUSED = ["hospital", "enterprise_user", "outsider"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", READERS)
def test_it_opens_pages_for_government_readers(client_as, url, persona):
    assert client_as(persona).get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", REFUSED)
def test_it_refuses_other_roles(client_as, url, persona):
    assert client_as(persona).get(url).status_code == 403


def test_it_sends_anonymous_visitors_to_log_in(client_as):
    response = client_as(None).get("/inspections/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_hides_another_districts_sample(client_as, users):
    sample = svc.sample_record(
        actor=None, data=fx.sample_input(district=fx.WANZHOU, producer_region=fx.WANZHOU)
    )
    url = f"/inspections/samples/{sample.sample_no}/"
    assert client_as("district").get(url).status_code == 404
    assert client_as("other_district").get(url).status_code == 200
    listing = client_as("district").get("/inspections/").content.decode()
    assert sample.sample_no not in listing


def test_it_shows_a_producers_district_its_failed_sample(client_as):
    sample = fx.failed_sample(district=fx.WANZHOU, producer_region=fx.YUZHONG)
    page = client_as("district").get(f"/inspections/samples/{sample.sample_no}/").content.decode()
    assert sample.sample_no in page and "市内移送" in page
    # ...and may answer the referral, but not write the sample's own steps.
    response = client_as("district").post(
        f"/inspections/sample-steps/notify/{sample.sample_no}/",
        {"notify-notified_on": "2025-03-21"},
    )
    assert response.status_code == 403


def test_it_records_a_sample_from_the_form(client_as):
    party = fx.uscc(fx.YUZHONG)
    response = client_as("inspector").post(
        "/inspections/samples/new/",
        {
            "sample_no": "GC2025/0007",
            "category": fx.category().pk,
            "product_name": "电热水壶",
            "sampled_party_name": "重庆某商场有限公司",
            "sampled_party_uscc": party,
            "sampled_party_role": "seller",
            "sampling_district": "500103",
            "channel": "circulation",
            "sampled_on": "2025-03-03",
        },
    )
    assert response.status_code == 302
    sample = Sample.objects.get(sample_no="GC2025/0007")
    assert sample.sampled_party.uscc == party and sample.producer is None
    # A sample number with "/" still has a working page.
    assert client_as("inspector").get(response["Location"]).status_code == 200


def test_it_refuses_a_district_officer_recording_in_another_district(client_as):
    response = client_as("district").post(
        "/inspections/samples/new/",
        {
            "sample_no": "GC-X-1",
            "category": fx.category().pk,
            "product_name": "电热水壶",
            "sampled_party_name": "某商场",
            "sampled_party_uscc": fx.uscc(fx.WANZHOU),
            "sampled_party_role": "seller",
            "sampling_district": fx.WANZHOU,
            "channel": "circulation",
            "sampled_on": "2025-03-03",
        },
    )
    assert response.status_code == 200
    assert "无权在万州区录入样品" in response.content.decode()
    assert not Sample.objects.filter(sample_no="GC-X-1").exists()


def test_it_walks_a_failed_sample_through_the_steps_by_form(client_as):
    sample = svc.sample_record(actor=None, data=fx.sample_input(sampled_on=dt.date(2025, 3, 3)))
    client = client_as("inspector")

    def post(step: str, data: dict[str, str]) -> str:
        response = client.post(
            f"/inspections/sample-steps/{step}/{sample.sample_no}/",
            {f"{step}-{k}": v for k, v in data.items()},
            follow=True,
        )
        assert response.status_code == 200
        return response.content.decode()

    post(
        "report",
        {
            "lab": "重庆市产品质量监督检验研究院",
            "report_no": "R-1",
            "reported_on": "2025-03-20",
            "conclusion": "fail",
            "failed_items": "电气强度｜击穿｜1250V 1min 不击穿",
        },
    )
    sample.refresh_from_db()
    assert sample.final_conclusion == "fail"
    assert sample.items.get().name == "电气强度"
    post("notify", {"notified_on": "2025-03-21", "received_on": "2025-03-24"})
    post("objection", {"filed_on": "2025-03-28", "reason": "样品保存不当"})
    page = post(
        "decide",
        {
            "decided_on": "2025-03-31",
            "accepted": "yes",
            "retest_lab": "重庆市产品质量监督检验研究院",
        },
    )
    assert "复检应由原检验机构以外的机构承担" in page  # refused, shown to the official
    post("decide", {"decided_on": "2025-03-31", "accepted": "yes", "retest_lab": "国家检测中心"})
    post("retest", {"report_no": "RR-1", "reported_on": "2025-04-15", "conclusion": "fail"})
    post("disposal", {"rung": "announce", "ordered_on": "2025-04-16", "deadline": "2025-05-16"})
    assert not sample.disposals.exists()  # the ladder starts with 责令限期改正
    post("disposal", {"rung": "rectify", "ordered_on": "2025-04-16", "deadline": "2025-05-16"})
    post("check", {"checked_on": "2025-05-19", "passed": "no"})
    post("disposal", {"rung": "announce", "ordered_on": "2025-05-20", "deadline": "2025-06-20"})
    assert list(sample.disposals.values_list("rung", flat=True)) == ["rectify", "announce"]
    actions = set(
        AuditEntry.objects.filter(object_id=str(sample.pk)).values_list("action", flat=True)
    )
    assert {
        "sample.report",
        "sample.notify",
        "sample.objection",
        "sample.retest",
        "sample.disposal",
    } <= actions


def test_it_flags_an_overdue_step_on_the_sample_page(client_as):
    sample = fx.failed_sample(reported_on=dt.date(2025, 3, 20))
    page = client_as("office").get(f"/inspections/samples/{sample.sample_no}/").content.decode()
    # The failing result was never notified: 5 working days after 2025-03-20 passed long ago.
    assert 'data-step="notification"' in page and "state-overdue" in page
    listing = client_as("office").get("/inspections/").content.decode()
    assert "已逾期" in page and "通知被抽样单位" in listing


def test_it_creates_a_plan_sets_quotas_and_draws_from_the_page(client_as):
    fx.inspectors(2)
    category = fx.category("IND23-02", industries="C38")
    for _ in range(3):
        fx.enterprise(fx.YUZHONG, industry="C3854")
    client = client_as("department")
    response = client.post(
        "/inspections/plans/new/",
        {
            "code": "CQ-2025-01",
            "title": "2025年市级监督抽查",
            "year": "2025",
            "level": "provincial",
            "organiser": "cq-zjj",
            "starts_on": "2025-03-01",
            "ends_on": "2025-11-30",
            "labs": "重庆市产品质量监督检验研究院\n国家检测中心",
            "class_weights": "A=0.1, B=0.3 C=0.6 D=1",
        },
    )
    assert response.status_code == 302
    plan = SamplingPlan.objects.get(code="CQ-2025-01")
    assert plan.labs.count() == 2
    assert plan.class_weights == {"A": 0.1, "B": 0.3, "C": 0.6, "D": 1.0}
    client.post(
        "/inspections/plans/CQ-2025-01/quota/",
        {"category": category.pk, "district": "500103", "batches": "2"},
    )
    client.post("/inspections/plans/CQ-2025-01/draw/", {"seed": "42"})
    assert plan.assignments.count() == 2
    page = client.get("/inspections/plans/CQ-2025-01/").content.decode()
    assert "42" in page and plan.draw.digest in page
    verified = client.get("/inspections/plans/CQ-2025-01/verify/", follow=True).content.decode()
    assert "复核通过" in verified
    # The district officer sees the plan (it has a quota in 渝中区) but may not draw again.
    assert client_as("district").get("/inspections/plans/CQ-2025-01/").status_code == 200
    assert client_as("other_district").get("/inspections/plans/CQ-2025-01/").status_code == 404
    assert (
        client_as("district").post("/inspections/plans/CQ-2025-01/draw/", {"seed": "1"}).status_code
        == 403
    )


def test_it_refuses_a_plan_in_the_name_of_another_unit(client_as):
    response = client_as("department").post(
        "/inspections/plans/new/",
        {
            "code": "X-1",
            "title": "x",
            "year": "2025",
            "level": "provincial",
            "organiser": "cq-joint-office",
            "starts_on": "2025-03-01",
            "ends_on": "2025-11-30",
        },
    )
    assert response.status_code == 200
    assert not SamplingPlan.objects.filter(code="X-1").exists()


def _csv(rows: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    out.write(",".join(HEADER) + "\n")
    for row in rows:
        out.write(",".join(row) + "\n")
    return out.getvalue().encode()


def _row(no: str, **changes: str) -> tuple[str, ...]:
    values = dict(
        zip(
            HEADER,
            (
                no,
                "IND23-02",
                "电热水壶",
                "SWF-17",
                "20250101",
                "重庆某商场有限公司",
                fx.uscc(fx.YUZHONG, 4242),
                "某电器制造有限公司",
                fx.uscc(fx.WANZHOU, 4343),
                fx.WANZHOU,
                fx.YUZHONG,
                "流通",
                "2025-03-03",
                "重庆市产品质量监督检验研究院",
                "不合格",
                "电气强度",
                "R-" + no,
                "2025-03-20",
            ),
            strict=True,
        )
    )
    values.update(changes)
    return tuple(values[h] for h in HEADER)


def test_it_imports_a_file_from_the_page(client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "results.csv", _csv([_row("CQ-1"), _row("CQ-2", 检验结论="合格", 不合格项目="")])
    )
    response = client_as("inspector").post("/inspections/import/", {"file": upload}, follow=True)
    assert "导入完成" in response.content.decode()
    assert Sample.objects.count() == 2
    assert Referral.objects.get(sample__sample_no="CQ-1").to_region == fx.WANZHOU


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client_as, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_MAX_BYTES = 1024
    rows = [_row(f"CQ-{n}") for n in range(20)]  # more than 1 KB
    upload = SimpleUploadedFile("results.csv", _csv(rows))
    response = client_as("inspector").post("/inspections/import/", {"file": upload})
    assert response.status_code == 200 and "超过上限" in response.content.decode()
    assert not Sample.objects.exists()


def test_it_reports_import_problems_with_a_download_only_for_the_importer(
    client_as, settings, tmp_path
):
    import os

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    stale = tmp_path / "import-errors" / "old.xlsx"
    stale.parent.mkdir()
    stale.write_bytes(b"x")
    os.utime(stale, (0, 0))  # a problem list from long ago is removed at the next import

    bad = _row("CQ-1", 抽样日期="2099-01-01")
    upload = SimpleUploadedFile("results.csv", _csv([bad]))
    client = client_as("inspector")
    response = client.post("/inspections/import/", {"file": upload})
    page = response.content.decode()
    assert "没有写入任何数据" in page and "抽样日期" in page
    assert Sample.objects.count() == 0
    token = response.context["token"]
    download = client.get(f"/inspections/import/problems/{token}/")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1][0] == 2 and rows[1][1] == "抽样日期"
    assert client_as("office").get(f"/inspections/import/problems/{token}/").status_code == 404
    assert not stale.exists()


def test_it_shows_pass_rates_and_exports_them(client_as):
    svc.sample_record(actor=None, data=fx.sample_input(sample_no="A-1"))
    fx.failed_sample(sample_no="A-2")
    passed = svc.sample_record(actor=None, data=fx.sample_input(sample_no="A-3"))
    svc.sample_report(
        actor=None,
        sample=passed,
        lab=fx.lab(),
        report_no="R-3",
        reported_on=dt.date(2025, 3, 20),
        conclusion="pass",
    )
    page = (
        client_as("office")
        .get("/inspections/pass-rates/?year=2025&by=sampling_district")
        .content.decode()
    )
    assert "渝中区" in page and "50.00" in page and "<svg" in page
    export = client_as("office").get("/inspections/pass-rates/?year=2025&by=channel&format=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1][:3] == ("流通", 2, 1)
    # A district officer of another district sees none of it.
    other = client_as("other_district").get(
        "/inspections/pass-rates/?year=2025&by=sampling_district"
    )
    assert "渝中区" not in other.content.decode().split('id="rates"')[1]


def test_it_shows_the_plans_pass_rate_targets(client_as, seed_plan):
    cat = fx.category("IND23-02")
    for i in range(10):
        sample = svc.sample_record(
            actor=None,
            data=fx.sample_input(sample_no=f"T-{i}", cat=cat, producer_region=fx.YUZHONG),
        )
        svc.sample_report(
            actor=None,
            sample=sample,
            lab=fx.lab(),
            report_no=f"R-{i}",
            reported_on=dt.date(2025, 3, 20),
            conclusion="pass" if i < 8 else "fail",
            failed_items="" if i < 8 else "标签",
        )
    page = client_as("office").get("/inspections/targets/").content.decode()
    assert "制造业产品质量合格率" in page and "80.00" in page and "未达标" in page
    plan_page = client_as("office").get("/plans/targets/").content.decode()
    assert "80.00%" in plan_page
    # 渝中区's officer sees 渝中区's row; 万州区's officer does not.
    assert "渝中区" in client_as("district").get("/inspections/targets/").content.decode()
    other = client_as("other_district").get("/inspections/targets/").content.decode()
    assert "80.00" not in other


def test_it_lists_referrals_for_the_receiving_district(client_as):
    sample = fx.failed_sample(district=fx.WANZHOU, producer_region=fx.YUZHONG)
    assert sample.sample_no in client_as("district").get("/inspections/referrals/").content.decode()
    org = Organisation.objects.get(division=Division.objects.get(code=fx.YUZHONG), kind="district")
    assert Referral.objects.get(sample=sample).to_organisation == org


def test_it_verifies_a_draw_by_command_line_value_shown_on_the_page(client_as):
    fx.inspectors(2)
    category = fx.category("IND23-02", industries="C38")
    fx.enterprise(fx.YUZHONG, industry="C3854")
    plan = plan_svc.plan_create(
        actor=None,
        code="P-1",
        title="t",
        year=2025,
        level="provincial",
        organiser=Organisation.objects.get(key="cq-zjj"),
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    plan_svc.quota_set(
        actor=None,
        plan=plan,
        category=category,
        district=Division.objects.get(code="500103"),
        batches=1,
    )
    plan_svc.draw_run(actor=None, plan=plan, seed=7)
    page = client_as("inspector").get("/inspections/plans/P-1/").content.decode()
    assert "zhiliang inspections draw --plan P-1 --seed 7" in page


def test_it_refuses_bad_class_weights(client_as):
    response = client_as("department").post(
        "/inspections/plans/new/",
        {
            "code": "W-1",
            "title": "w",
            "year": "2025",
            "level": "provincial",
            "organiser": "cq-zjj",
            "starts_on": "2025-03-01",
            "ends_on": "2025-11-30",
            "class_weights": "A=0.1 E=2",
        },
    )
    assert "风险分类权重应写成" in response.content.decode()
    assert not SamplingPlan.objects.filter(code="W-1").exists()


def test_a_district_officer_sees_only_their_districts_part_of_a_city_plan(client_as):
    fx.inspectors(2)
    category = fx.category("IND23-02", industries="C38")
    fx.enterprise(fx.YUZHONG, industry="C3854", name="渝中电器厂")
    fx.enterprise(fx.WANZHOU, industry="C3854", name="万州电器厂")
    plan = plan_svc.plan_create(
        actor=None,
        code="P-CITY",
        title="t",
        year=2025,
        level="provincial",
        organiser=Organisation.objects.get(key="cq-zjj"),
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    for code in (fx.YUZHONG, fx.WANZHOU):
        plan_svc.quota_set(
            actor=None,
            plan=plan,
            category=category,
            district=Division.objects.get(code=code),
            batches=1,
        )
    plan_svc.draw_run(actor=None, plan=plan, seed=3)
    svc.sample_record(
        actor=None,
        plan=plan,
        data=fx.sample_input(
            sample_no="WZ-PLAN-1", district=fx.WANZHOU, producer_region=fx.WANZHOU
        ),
    )
    page = client_as("district").get("/inspections/plans/P-CITY/").content.decode()
    assert "渝中电器厂" in page
    assert "万州电器厂" not in page and "WZ-PLAN-1" not in page
    office = client_as("office").get("/inspections/plans/P-CITY/").content.decode()
    assert "万州电器厂" in office and "WZ-PLAN-1" in office


def test_the_pass_rate_total_adds_up_the_rows_shown(client_as):
    # Made in 渝中区, sampled in 万州区: 渝中区's officer sees it by producer district.
    fx.failed_sample(sample_no="M-1", district=fx.WANZHOU, producer_region=fx.YUZHONG)
    page = client_as("district").get("/inspections/pass-rates/?year=2025&by=producer_district")
    rows = page.context["rows"]
    total = page.context["total"]
    assert [(r.tested, r.passed) for r in rows] == [(1, 0)]
    assert (total.tested, total.passed) == (1, 0)


def test_a_refused_step_registers_no_laboratory(client_as):
    from zhiliang.inspections.models import Laboratory

    sample = fx.failed_sample()
    before = Laboratory.objects.count()
    client_as("inspector").post(
        f"/inspections/sample-steps/report/{sample.sample_no}/",
        {
            "report-lab": "JUNK LAB",
            "report-report_no": "R-9",
            "report-reported_on": "2025-03-20",
            "report-conclusion": "pass",
        },
    )
    assert Laboratory.objects.count() == before
    assert not Laboratory.objects.filter(name="JUNK LAB").exists()


def test_pass_rate_pages_say_when_they_count_demo_data(client_as):
    sample = fx.failed_sample(sample_no="DEMO-X-1")
    Sample.objects.filter(pk=sample.pk).update(is_demo=True)
    for url in ("/inspections/pass-rates/?year=2025", "/inspections/targets/", "/plans/targets/"):
        assert 'id="demo-note"' in client_as("office").get(url).content.decode()


def test_the_samples_export_imports_back_unchanged(client_as, tmp_path):
    from zhiliang.inspections.services.importing import samples_import

    fx.failed_sample(sample_no="X-1", district=fx.YUZHONG, producer_region=fx.WANZHOU)
    svc.sample_record(actor=None, data=fx.sample_input(sample_no="X-2", producer_region=""))
    export = client_as("inspector").get("/inspections/?format=xlsx")
    assert export.status_code == 200
    path = tmp_path / "samples.xlsx"
    path.write_bytes(export.content)
    before = Sample.objects.count()
    outcome = samples_import(path=path, file_name=path.name, actor=None)
    assert outcome.ok, [(p.line, p.field, p.message) for p in outcome.problems]
    assert (outcome.rows, outcome.unchanged, outcome.created) == (2, 2, 0)
    assert Sample.objects.count() == before
    # A district officer's export holds only what they may see.
    svc.sample_record(
        actor=None, data=fx.sample_input(sample_no="WZ-9", district=fx.WANZHOU, producer_region="")
    )
    mine = client_as("district").get("/inspections/?format=xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(mine.content)).active.iter_rows(values_only=True))
    assert sorted(r[0] for r in rows[1:]) == ["X-1", "X-2"]


def test_the_sample_list_reads_each_samples_clock_without_a_query_per_sample(client_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as("office")
    fx.failed_sample(sample_no="Q-1")
    client.get("/inspections/")
    with CaptureQueriesContext(connection) as one:
        client.get("/inspections/")
    for i in range(2, 7):
        fx.failed_sample(sample_no=f"Q-{i}")
    with CaptureQueriesContext(connection) as six:
        page = client.get("/inspections/").content.decode()
    assert "Q-6" in page
    assert len(six) == len(one)
