from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from zhiliang.accounts.models import AuditEntry
from zhiliang.lib.tables import TableError, read_table
from zhiliang.registry.models import Enterprise
from zhiliang.registry.services import ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED, enterprise_import

GOOD_CSV = (
    "统一社会信用代码,企业名称,所在区县,行业代码\n"
    "91500108MAE5G7MX3H,重庆示例机械有限公司（演示数据）,500108,C34\n"
    "91330100757206158J,浙江春风动力股份有限公司,渝中区,C3752\n"
)


def _table(text: str, name: str = "e.csv"):
    return read_table(text.encode("utf-8"), name, ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED)


def test_it_imports_a_valid_csv_and_audits_it(users):
    report = enterprise_import(table=_table(GOOD_CSV), actor=users["office"], source_name="e.csv")
    assert report.ok and report.created == 2
    e = Enterprise.objects.get(uscc="91330100757206158J")
    assert e.district_id == "500103" and e.industry == "C3752"
    entry = AuditEntry.objects.get(action="enterprise.import")
    assert entry.actor == users["office"] and entry.after["created"] == 2


def test_it_accepts_english_headers_and_xlsx(users):
    book = Workbook()
    sheet = book.active
    sheet.append(["uscc", "name", "district", "status"])
    sheet.append(["91500108MAE5G7MX3H", "Demo Co. (demo data)", "500108", "存续"])
    buf = io.BytesIO()
    book.save(buf)
    table = read_table(buf.getvalue(), "e.xlsx", ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED)
    report = enterprise_import(table=table, actor=users["office"], source_name="e.xlsx")
    assert report.ok and Enterprise.objects.get().status == "active"


def test_one_bad_row_rejects_the_whole_file_with_row_numbers(users):
    text = GOOD_CSV + "91350203M0001QAY9B,坏代码公司,500103,C34\n,无代码,不存在区,ZZ\n"
    report = enterprise_import(table=_table(text), actor=users["office"], source_name="e.csv")
    assert not report.ok
    rows = {row for row, _ in report.errors}
    assert rows == {4, 5}
    messages = " ".join(m for _, m in report.errors)
    assert "校验码应为“9”" in messages
    assert "所在区县“不存在区”" in messages
    assert "行业代码“ZZ”" in messages
    assert Enterprise.objects.count() == 0
    assert not AuditEntry.objects.filter(action="enterprise.import").exists()


def test_it_reports_a_code_repeated_in_the_file(users):
    text = GOOD_CSV + "91500108MAE5G7MX3H,又一次,500108,\n"
    report = enterprise_import(table=_table(text), actor=users["office"], source_name="e.csv")
    assert report.errors == [(4, "统一社会信用代码与第2行重复")]


def test_a_district_officer_imports_only_into_their_district(users):
    report = enterprise_import(table=_table(GOOD_CSV), actor=users["district"], source_name="e.csv")
    assert [row for row, _ in report.errors] == [2]  # 500108 南岸区 is not 渝中区
    assert Enterprise.objects.count() == 0


def test_a_reimport_updates_with_before_and_after(users):
    enterprise_import(table=_table(GOOD_CSV), actor=users["office"], source_name="e.csv")
    changed = GOOD_CSV.replace("C3752", "C3751")
    report = enterprise_import(table=_table(changed), actor=users["office"], source_name="e2.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    entry = AuditEntry.objects.get(action="enterprise.update")
    assert entry.before["industry"] == "C3752" and entry.after["industry"] == "C3751"


@pytest.mark.parametrize(
    ("data", "name", "phrase"),
    [
        ("统一社会信用代码,企业名称\n".encode(), "e.csv", "缺少必需的列"),
        ("统一社会信用代码,企业名称,所在区县,电话\n".encode(), "e.csv", "无法识别的列"),
        ("统一社会信用代码,企业名称,所在区县\n".encode("gbk"), "e.csv", "不是 UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "e.csv", "二进制"),
        (b"", "e.csv", "没有数据"),
        (b"x", "e.pdf", "只支持"),
        (b"not a zip", "e.xlsx", "无法读取"),
    ],
)
def test_it_explains_unreadable_files(data, name, phrase):
    with pytest.raises(TableError) as caught:
        read_table(data, name, ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED)
    assert phrase in str(caught.value)


def test_the_import_page_shows_row_errors_and_writes_nothing(client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = GOOD_CSV + "91350203M0001QAY9B,坏代码公司,500103,\n"
    upload = SimpleUploadedFile("e.csv", bad.encode("utf-8"), content_type="text/csv")
    response = client_as("office").post("/registry/enterprises/import/", {"file": upload})
    assert response.status_code == 400
    assert "校验码应为“9”" in response.content.decode()
    assert Enterprise.objects.count() == 0


def test_a_district_officer_lists_only_their_district(users, client_as):
    enterprise_import(table=_table(GOOD_CSV), actor=users["office"], source_name="e.csv")
    page = client_as("district").get("/registry/enterprises/").content.decode()
    assert "浙江春风动力" in page and "重庆示例机械" not in page
    api = client_as("district").get("/api/enterprises/").json()
    assert [e["uscc"] for e in api["results"]] == ["91330100757206158J"]
    api = client_as("department").get("/api/enterprises/").json()
    assert api["count"] == 2


def test_a_code_excel_stored_as_a_number_gets_advice_not_a_wrong_code(users):
    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "企业名称", "所在区县"])
    sheet.append([914403001922038216, "数字单元格公司（演示数据）", "500103"])
    buf = io.BytesIO()
    book.save(buf)
    table = read_table(buf.getvalue(), "e.xlsx", ENTERPRISE_HEADERS, ENTERPRISE_REQUIRED)
    report = enterprise_import(table=table, actor=users["office"], source_name="e.xlsx")
    assert len(report.errors) == 1
    row, message = report.errors[0]
    assert row == 2 and "文本" in message and "914403001922038272" not in message


def test_a_district_officer_cannot_take_over_another_districts_enterprise(users):
    enterprise_import(table=_table(GOOD_CSV), actor=users["office"], source_name="e.csv")
    # 91500108MAE5G7MX3H is registered in 南岸区; 渝中区's officer re-imports it as theirs.
    takeover = "uscc,name,district\n91500108MAE5G7MX3H,改名公司,500103\n"
    report = enterprise_import(table=_table(takeover), actor=users["district"], source_name="t.csv")
    assert report.errors == [(2, "该企业登记在其他区县，无权修改")]
    assert Enterprise.objects.get(uscc="91500108MAE5G7MX3H").district_id == "500108"


def test_an_oversized_upload_is_refused_before_reading(client_as, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_MAX_BYTES = 1024
    upload = SimpleUploadedFile("e.csv", GOOD_CSV.encode("utf-8") * 20, content_type="text/csv")
    response = client_as("office").post("/registry/enterprises/import/", {"file": upload})
    assert "超过上限" in response.content.decode()
    assert Enterprise.objects.count() == 0
