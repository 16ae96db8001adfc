"""``zhiliang credit import``: all or nothing, row errors, idempotent by source and
document number, parties registered, enterprises reclassified."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from zhiliang.accounts.models import AuditEntry
from zhiliang.credit.importing import ERR_CONFLICT, ERR_NOT_YOUR_DISTRICT, records_import
from zhiliang.credit.models import CreditRecord, RiskAssessment
from zhiliang.credit.selectors import risk_explained
from zhiliang.inspections.tests import factories as f
from zhiliang.registry.models import Enterprise

TODAY = dt.date(2025, 6, 30)
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
YZ1, YZ2, WZ = f.uscc(f.YUZHONG, 501), f.uscc(f.YUZHONG, 502), f.uscc(f.WANZHOU, 503)
SOURCE = "重庆市市场监督管理局"


def rows():
    return [
        [
            YZ1,
            "渝中甲公司",
            "行政处罚",
            "是",
            "渝市监罚〔2025〕11号",
            "2025-03-03",
            SOURCE,
            "无证生产",
        ],
        [YZ1, "渝中甲公司", "召回", "", "召回-2025-1", "2025/4/1", SOURCE, ""],
        [YZ2, "渝中乙公司", "不良信贷", "否", "贷-88", "20250501", "某银行重庆分行", ""],
    ]


def _csv(tmp_path, data, name="credit.csv", header=HEADER):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(data)
    return path


def _import(path, actor=None):
    return records_import(path=path, file_name=path.name, actor=actor, today=TODAY)


def _counts():
    return (
        CreditRecord.objects.count(),
        Enterprise.objects.count(),
        RiskAssessment.objects.count(),
    )


def test_a_good_file_imports_registers_and_reclassifies(users, tmp_path):
    f.enterprise(f.YUZHONG, number=501)  # YZ1 is known; YZ2 is not
    outcome = _import(_csv(tmp_path, rows()), users["office"])
    assert outcome.ok, outcome.problems
    assert (outcome.rows, outcome.created, outcome.parties_registered) == (3, 3, 1)
    new = Enterprise.objects.get(uscc=YZ2)
    assert (new.name, new.district_id, new.region) == ("渝中乙公司", f.YUZHONG, f.YUZHONG)
    assert new.registered_via == "信用记录导入 credit.csv"
    penalty = CreditRecord.objects.get(document_no="渝市监罚〔2025〕11号")
    assert penalty.heavier and penalty.public_until == dt.date(2028, 3, 3)
    assert CreditRecord.objects.get(document_no="召回-2025-1").decided_on == dt.date(2025, 4, 1)
    risk = RiskAssessment.objects.get(enterprise__uscc=YZ1)
    assert risk.risk_class in "BCD" and len(risk_explained(risk).rows) == 2
    assert AuditEntry.objects.get(action="credit.import").after["created"] == 3


def test_importing_the_same_file_again_changes_nothing(users, tmp_path):
    path = _csv(tmp_path, rows())
    _import(path, users["office"])
    before = _counts()
    outcome = _import(path, users["office"])
    assert outcome.ok and (outcome.created, outcome.unchanged) == (0, 3)
    assert _counts() == before and AuditEntry.objects.filter(action="credit.import").count() == 1


def test_a_row_that_differs_from_the_stored_record_rejects_the_file(users, tmp_path):
    _import(_csv(tmp_path, rows()), users["office"])
    before = _counts()
    changed = rows()
    changed[0][5] = "2025-03-04"
    changed.append([WZ, "万州丙公司", "事故", "", "事故-1", "2025-05-05", SOURCE, ""])
    outcome = _import(_csv(tmp_path, changed, name="again.csv"), users["office"])
    assert [(p.line, p.field) for p in outcome.problems] == [(2, "decided_on")]
    assert outcome.problems[0].message == ERR_CONFLICT % {
        "source": SOURCE,
        "no": "渝市监罚〔2025〕11号",
        "fields": "决定日期",
    }
    assert _counts() == before and not Enterprise.objects.filter(uscc=WZ).exists()


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        (0, "91500103MA5U0000XX", "uscc"),
        (2, "罚单", "kind"),
        (5, "2025-07-01", "decided_on"),
        (4, "", "document_no"),
    ],
)
def test_bad_rows_write_nothing_and_say_where(users, tmp_path, column, value, field):
    bad = rows()
    bad[1][column] = value
    before = _counts()
    outcome = _import(_csv(tmp_path, bad), users["office"])
    assert [(p.line, p.field) for p in outcome.problems] == [(3, field)]
    assert _counts() == before


def test_heavier_is_only_for_penalties(users, tmp_path):
    bad = rows()
    bad[1][3] = "是"
    outcome = _import(_csv(tmp_path, bad), users["office"])
    assert [(p.line, p.field) for p in outcome.problems] == [(3, "heavier")]


def test_a_district_officer_imports_only_their_districts_enterprises(users, tmp_path):
    data = [*rows(), [WZ, "万州丙公司", "事故", "", "事故-1", "2025-05-05", SOURCE, ""]]
    outcome = _import(_csv(tmp_path, data), users["district"])
    assert [(p.line, p.field, p.message) for p in outcome.problems] == [
        (5, "uscc", ERR_NOT_YOUR_DISTRICT % {"uscc": WZ})
    ]
    assert _counts() == (0, 0, 0)
    assert _import(_csv(tmp_path, rows(), name="mine.csv"), users["district"]).ok


def test_outsiders_may_not_import(users, tmp_path):
    for persona in ("outsider", "hospital", "enterprise_user"):
        with pytest.raises(PermissionDenied):
            _import(_csv(tmp_path, rows()), users[persona])


def test_xlsx_with_english_headers(users, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["uscc", "name", "kind", "heavier", "document_no", "decided_on", "source"])
    ws.append([YZ1, "渝中甲公司", "penalty", "no", "X-1", "2025-02-01", SOURCE])
    path = tmp_path / "credit.xlsx"
    wb.save(path)
    outcome = _import(path, users["department"])
    assert outcome.ok and outcome.created == 1


def test_the_command(registry, tmp_path):
    out = io.StringIO()
    call_command("credit", "import", str(_csv(tmp_path, rows())), stdout=out)
    assert out.getvalue() == "rows 3: created 3, unchanged 0, parties registered 2\n"
    bad = rows()
    bad[0][4] = "新号"
    bad[0][5] = "2099-01-01"
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("credit", "import", str(_csv(tmp_path, bad, "bad.csv")), stderr=err)
    assert err.getvalue().startswith("bad.csv: row 2 [决定日期]:")
