"""The case file import (page and command): the card's columns with codes or labels,
every problem by line and column in the official's language, nothing written on any
problem, re-imports add nothing, and the template's header is what the import reads."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from zhiliang.accounts.models import AuditEntry
from zhiliang.surveillance.importing import FIELD_LABELS
from zhiliang.surveillance.models import InjuryCase

URL = "/surveillance/import/"
HEADER = [
    "病例编号",
    "就诊日期",
    "性别",
    "年龄",
    "伤害发生原因",
    "伤害结局",
    "产品1类别",
    "伤害经过",
]
GOOD = [
    ["YZ-001", "2025-06-01", "1", "34", "3 跌倒/坠落", "处理后离院", "IND23-03", "在家中楼梯摔倒"],
    ["YZ-002", "2025/6/2", "女", "5", "7", "4", "儿童用品", "被电热水壶烫伤"],
]


def _upload(rows, header=HEADER, name="cases.csv"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"))


def test_a_good_file_goes_in_once(client_of, hospitals):
    client = client_of("hospital_yz")
    response = client.post(URL, {"file": _upload(GOOD), "reporter": hospitals["yz"].pk})
    assert response.status_code == 302
    first, second = InjuryCase.objects.order_by("case_number")
    assert (first.reporter, first.cause, first.outcome, first.product_1_category.code) == (
        hospitals["yz"],
        3,
        1,
        "IND23-03",
    )
    assert (second.sex, second.cause, second.outcome, second.product_1_category.code) == (
        2,
        7,
        4,
        "IND23-06",
    )
    assert AuditEntry.objects.get(action="surveillance.case.import").after["created"] == 2
    again = client.post(URL, {"file": _upload(GOOD), "reporter": hospitals["yz"].pk}, follow=True)
    assert "新增 0，未变 2" in again.content.decode()
    assert InjuryCase.objects.count() == 2


def test_every_problem_is_named_by_line_and_column_and_nothing_is_written(client_of, hospitals):
    rows = [
        GOOD[0],
        ["YZ-001", "2025-06-03", "", "", "", "", "", ""],  # the same number again
        ["YZ-003", "2025-13-01", "", "", "", "", "", ""],
        ["YZ-004", "2025-06-01", "9", "", "跌倒", "", "IND99", ""],
        ["YZ-005", "2099-01-01", "", "130", "", "", "", ""],
    ]
    response = client_of("hospital_yz").post(
        URL, {"file": _upload(rows), "reporter": hospitals["yz"].pk}
    )
    assert response.status_code == 400
    problems = {(p.line, p.column) for p in response.context["outcome"].problems}
    assert problems == {
        (3, "病例编号"),
        (4, "就诊日期"),
        (5, "性别"),
        (5, "伤害发生原因"),
        (5, "产品1类别"),
        (6, "就诊日期"),
        (6, "年龄"),
    }
    page = response.content.decode()
    assert "与第2行重复" in page and "就诊日期不能晚于今天" in page
    assert not InjuryCase.objects.exists()
    assert not AuditEntry.objects.filter(action="surveillance.case.import").exists()


def test_a_hospital_imports_only_for_itself(client_of, hospitals):
    response = client_of("hospital_yz").post(
        URL, {"file": _upload(GOOD), "reporter": hospitals["wz"].pk}
    )
    assert response.status_code == 200  # the form refuses a unit that is not a choice
    assert not InjuryCase.objects.exists()


def test_the_template_header_is_what_the_import_reads(client_of, hospitals, tmp_path):
    client = client_of("hospital_yz")
    response = client.get("/surveillance/import/template/")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header == [label for name, label in FIELD_LABELS.items() if name != "source"]
    assert "3" in [c.value for c in book["代码表"]["B"]]
    sheet.append(["YZ-100", "2025-06-01"] + [None] * (len(header) - 2))
    path = tmp_path / "filled.xlsx"
    book.save(path)
    with path.open("rb") as fh:
        upload = SimpleUploadedFile("filled.xlsx", fh.read())
    assert client.post(URL, {"file": upload, "reporter": hospitals["yz"].pk}).status_code == 302
    assert InjuryCase.objects.get().case_number == "YZ-100"


def test_problems_are_told_in_english_to_an_english_reader(client_of, hospitals):
    client = client_of("hospital_yz")
    client.cookies["django_language"] = "en"
    rows = [GOOD[0], ["YZ-001", "2099-01-01", "9", "", "", "", "", ""]]
    response = client.post(URL, {"file": _upload(rows), "reporter": hospitals["yz"].pk})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Case number “YZ-001” repeats line 2" in page
    assert "The visit date cannot be after today." in page
    assert "is not a code or name of “Sex”" in page
    assert not InjuryCase.objects.exists()


def test_the_command_imports_for_a_hospital(hospitals, tmp_path, capsys):
    path = tmp_path / "cases.csv"
    path.write_bytes(_upload(GOOD).read())
    call_command("surveillance", "import", str(path), "--reporter", "hospital-wz")
    assert "created 2" in capsys.readouterr().out
    assert set(InjuryCase.objects.values_list("reporter__key", flat=True)) == {"hospital-wz"}
    with pytest.raises(CommandError, match="no organisation"):
        call_command("surveillance", "import", str(path), "--reporter", "nowhere")
