"""The import page: a file of credit records through ``records_import`` (the same as
``zhiliang credit import``), its problems by line and column in the official's language
with nothing written, the counts on success, the size limit, the problem list for the
importer only, and the template file whose header the import reads."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhiliang.accounts.models import AuditEntry
from zhiliang.credit.models import CreditRecord, RiskAssessment
from zhiliang.inspections.tests import factories as f
from zhiliang.lib.creditrows import FIELD_LABELS
from zhiliang.registry.models import Enterprise

URL = "/credit/records/import/"
TEMPLATE = "/credit/records/import/template/"
HEADER = [
    "统一社会信用代码",
    "企业名称",
    "记录类型",
    "较重处罚",
    "决定文书号",
    "决定日期",
    "来源单位",
    "摘要",
]
SOURCE = "重庆市市场监督管理局"
WRITERS = ["admin", "office", "department", "inspector", "district"]
REFUSED = ["hospital", "enterprise_user", "outsider"]


def _rows(district: str = f.YUZHONG) -> list[list[str]]:
    return [
        [
            f.uscc(district),
            "甲公司",
            "行政处罚",
            "是",
            "渝市监罚〔2025〕11号",
            "2025-03-03",
            SOURCE,
            "无证生产",
        ],
        [f.uscc(district), "乙公司", "不良信贷", "", "贷-88", "2025/5/1", "某银行重庆分行", ""],
    ]


def _upload(rows, name="credit.csv", header=HEADER) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"))


def _state():
    return (
        CreditRecord.objects.count(),
        Enterprise.objects.count(),
        RiskAssessment.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("persona", WRITERS)
def test_record_writers_open_the_page_and_the_template(client_as, persona):
    client = client_as(persona)
    page = client.get(URL)
    assert page.status_code == 200 and TEMPLATE in page.content.decode()
    assert client.get(TEMPLATE).status_code == 200


@pytest.mark.parametrize("persona", REFUSED)
def test_other_roles_are_refused_every_import_url(client_as, persona):
    client = client_as(persona)
    before = _state()
    for url in (URL, TEMPLATE, f"{URL}problems/0123abcd/"):
        assert client.get(url).status_code == 403
    assert client.post(URL, {"file": _upload(_rows())}).status_code == 403
    assert _state() == before


def test_anonymous_visitors_are_sent_to_log_in(client_as):
    before = _state()
    for url in (URL, TEMPLATE):
        response = client_as(None).get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client_as(None).post(URL, {"file": _upload(_rows())})
    assert response["Location"].startswith("/accounts/login/") and _state() == before


def test_a_good_file_is_imported_with_its_counts_shown_and_again_changes_nothing(client_as):
    client = client_as("district")
    rows = _rows()
    response = client.post(URL, {"file": _upload(rows)}, follow=True)
    page = response.content.decode()
    assert "导入完成：共 2 行，新增 2，未变 0，新登记单位 2。" in page
    assert CreditRecord.objects.count() == 2 and RiskAssessment.objects.count() == 2
    entry = AuditEntry.objects.get(action="credit.import")
    assert entry.actor.username == "district" and entry.object_repr == "credit.csv"
    assert entry.after["created"] == 2
    before = _state()
    again = client.post(URL, {"file": _upload(rows)}, follow=True).content.decode()
    assert "导入完成：共 2 行，新增 0，未变 2，新登记单位 0。" in again
    assert _state() == before


def test_a_file_with_a_bad_row_writes_nothing_and_lists_the_problems(client_as):
    rows = _rows()
    rows.append([f.uscc(f.YUZHONG), "丙公司", "处分", "", "罚-3", "2099-01-01", SOURCE, ""])
    client = client_as("office")
    before = _state()
    response = client.post(URL, {"file": _upload(rows)})
    assert response.status_code == 200
    assert _state() == before  # the two good rows are not written either
    page = response.content.decode()
    assert "发现 2 个问题（已读 3 行），没有写入任何数据。" in page
    problems = [(p.line, p.column) for p in response.context["outcome"].problems]
    assert problems == [(4, "记录类型"), (4, "决定日期")]
    assert "记录类型“处分”无法识别" in page and "晚于今天" in page


def test_problems_are_in_the_officials_language(client_as):
    rows = [[f.uscc(f.YUZHONG), "", "行政处罚", "", "罚-1", "2025-03-03", SOURCE, ""]]
    client = client_as("office")
    client.cookies["django_language"] = "en"
    response = client.post(URL, {"file": _upload(rows)})
    [problem] = response.context["outcome"].problems
    assert (problem.line, problem.column, problem.message) == (
        2,
        "Enterprise name",
        "This field is required",
    )
    assert CreditRecord.objects.count() == 0


def test_the_problem_list_downloads_for_the_importer_only(client_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = [[f.uscc(f.YUZHONG), "甲公司", "行政处罚", "", "罚-1", "2099-01-01", SOURCE, ""]]
    client = client_as("inspector")
    token = client.post(URL, {"file": _upload(rows)}).context["token"]
    download = client.get(f"{URL}problems/{token}/")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert list(book.active.iter_rows(values_only=True))[1][:2] == (2, "决定日期")
    assert client_as("office").get(f"{URL}problems/{token}/").status_code == 404


def test_a_district_officer_cannot_import_another_districts_records(client_as):
    rows = _rows() + _rows(f.WANZHOU)[:1]
    rows[-1][4] = "万州罚-1"
    before = _state()
    response = client_as("district").post(URL, {"file": _upload(rows)})
    [problem] = response.context["outcome"].problems
    assert problem.line == 4 and "无权导入其他区县企业的信用记录" in problem.message
    assert _state() == before


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client_as, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    rows = _rows() * 1  # …padded past 1 KB with a long summary
    rows[0][7] = "无证生产" * 200
    before = _state()
    response = client_as("office").post(URL, {"file": _upload(rows)})
    assert response.status_code == 200 and response.context["outcome"] is None
    assert "超过上限" in response.content.decode()
    assert _state() == before


def test_a_file_that_is_not_a_table_is_a_problem_not_an_error(client_as):
    before = _state()
    upload = SimpleUploadedFile("credit.xlsx", b"PK\x03\x04 not really a workbook")
    response = client_as("office").post(URL, {"file": upload})
    assert response.status_code == 200 and not response.context["outcome"].ok
    assert "没有写入任何数据" in response.content.decode()
    assert _state() == before


def test_the_template_has_the_import_header_in_chinese_and_imports_back(client_as, tmp_path):
    client = client_as("district")
    client.cookies["django_language"] = "en"  # the header stays Chinese: the import reads it
    response = client.get(TEMPLATE)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "credit-records.xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header == list(FIELD_LABELS.values())
    assert header[:8] == HEADER
    assert sheet.column_dimensions["A"].number_format == "@"  # the credit code stays text
    notes = list(book.worksheets[1].iter_rows(values_only=True))
    assert [r[0] for r in notes[1:10]] == header  # a note per column, in the user's language

    uscc = f.uscc(f.YUZHONG)
    sheet.append([uscc, "甲公司", "召回", "否", "召回-1", dt.date(2025, 3, 3), SOURCE, "", None])
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    upload = SimpleUploadedFile("filled.xlsx", filled.read_bytes())
    client.post(URL, {"file": upload})
    record = CreditRecord.objects.get()
    assert (record.enterprise.uscc, record.kind, record.decided_on) == (
        uscc,
        "recall",
        dt.date(2025, 3, 3),
    )


def test_a_header_problem_is_named_once_in_the_officials_language(client_as):
    header = [h for h in HEADER if h != "企业名称"]
    rows = [[c for h, c in zip(HEADER, row, strict=True) if h != "企业名称"] for row in _rows()]
    client = client_as("office")
    [problem] = client.post(URL, {"file": _upload(rows, header=header)}).context["outcome"].problems
    assert problem.message == "表头有误：缺少必需的列：企业名称（企业名称 / 当事人名称 / name）"
    client.cookies["django_language"] = "en"
    [problem] = client.post(URL, {"file": _upload(rows, header=header)}).context["outcome"].problems
    assert problem.message == (
        "The header row is wrong: Required columns missing: "
        "Enterprise name（企业名称 / 当事人名称 / name）"
    )
    assert CreditRecord.objects.count() == 0
