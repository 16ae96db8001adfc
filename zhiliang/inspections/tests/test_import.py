"""``zhiliang inspections import``: CSV and XLSX, all or nothing, row and column errors,
re-import a no-op, referrals and tallies for what it imports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from openpyxl import Workbook

from zhiliang.accounts.models import AuditEntry
from zhiliang.credit.models import CreditRecord, RiskAssessment
from zhiliang.importproblems import ERR_MISSING
from zhiliang.inspections.models import ImportBatch, Laboratory, PassTally, Referral, Sample
from zhiliang.inspections.services import importing as imp
from zhiliang.inspections.services.tallies import tally_rebuild
from zhiliang.inspections.tests import factories as f
from zhiliang.lib.samplegen import HEADER
from zhiliang.lib.samplerows import FIELD_LABELS, MESSAGES
from zhiliang.registry.models import Enterprise

MESSY = Path("/work/shared/data/sampling/cqn_unqualified_sampling_2019.csv")
TODAY = dt.date(2025, 12, 31)

MAKER_YZ = f.uscc(f.YUZHONG, 71)
MAKER_WZ = f.uscc(f.WANZHOU, 72)
MAKER_CD = f.uscc(f.CHENGDU_WUHOU, 73)
SHOP_YZ = f.uscc(f.YUZHONG, 74)
SHOP_WZ = f.uscc(f.WANZHOU, 75)
LAB = "重庆市产品质量监督检验研究院"

# In samplegen.HEADER order: the import's Chinese headers.
ROWS = [
    # production in 渝中区, passed
    [
        "S-1",
        "IND23-02",
        "电热水壶",
        "SWF-17",
        "20250101",
        "渝中电器厂",
        MAKER_YZ,
        "渝中电器厂",
        MAKER_YZ,
        f.YUZHONG,
        f.YUZHONG,
        "生产",
        "2025-03-03",
        LAB,
        "合格",
        "",
        "R-1",
        "2025-03-20",
    ],
    # circulation in 渝中区, made in 万州区, failed: referred to 万州区
    [
        "S-2",
        "IND23-02",
        "电饭煲",
        "",
        "",
        "渝中商场",
        SHOP_YZ,
        "万州电器厂",
        MAKER_WZ,
        f.WANZHOU,
        f.YUZHONG,
        "流通",
        "2025/3/4",
        LAB,
        "不合格",
        "电气强度",
        "R-2",
        "2025-03-21",
    ],
    # e-commerce, made in 成都, failed: an outgoing letter; category given by name
    [
        "S-3",
        "蔬菜",
        "豇豆",
        "",
        "",
        "渝中商场",
        SHOP_YZ,
        "成都农场",
        MAKER_CD,
        f.CHENGDU_WUHOU,
        f.YUZHONG,
        "电商",
        "2025年3月5日",
        LAB,
        "不合格",
        "灭蝇胺",
        "R-3",
        "2025-03-22",
    ],
    # circulation in 万州区, not tested yet; no producer on the label
    [
        "S-4",
        "FARM-34",
        "青菜",
        "",
        "",
        "万州超市",
        SHOP_WZ,
        "/",
        "",
        "",
        f.WANZHOU,
        "流通",
        "2025-03-06",
        "",
        "",
        "",
        "",
        "",
    ],
]


@pytest.fixture(autouse=True, params=["columnar", "rows"])
def reader(request, monkeypatch):
    """Every test here runs with both CSV readers: column at a time (Arrow) and row by
    row (tablestream, as for XLSX), which must behave the same."""
    if request.param == "rows":
        monkeypatch.setattr(imp, "COLUMNAR_MIN_BYTES", 1 << 60)
    return request.param


def _csv(tmp_path, rows, header=HEADER, name="results.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _xlsx(tmp_path, rows, header, name="results.xlsx"):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    path = tmp_path / name
    book.save(path)
    return path


def _import(path, actor=None, today=TODAY):
    return imp.samples_import(path=path, file_name=path.name, actor=actor, today=today)


def _counts():
    return (
        Sample.objects.count(),
        Enterprise.objects.count(),
        Laboratory.objects.count(),
        ImportBatch.objects.count(),
        PassTally.objects.count(),
        Referral.objects.count(),
        AuditEntry.objects.count(),
        CreditRecord.objects.count(),
    )


def _cells():
    return sorted(
        PassTally.objects.filter(tested__gt=0).values_list(
            "year",
            "category__code",
            "place",
            "region",
            "channel",
            "tested",
            "passed",
        )
    )


def _problems(outcome):
    return [(p.line, p.column, p.message) for p in outcome.problems]


# --- good files ---------------------------------------------------------------------------


def test_a_good_csv_imports_registers_parties_refers_and_tallies(users, tmp_path):
    f.enterprise(f.YUZHONG)  # an unrelated registered enterprise
    outcome = _import(_csv(tmp_path, ROWS), users["office"])
    assert outcome.ok, _problems(outcome)
    assert (outcome.rows, outcome.created, outcome.unchanged, outcome.parties_registered) == (
        4,
        4,
        0,
        5,
    )
    batch = ImportBatch.objects.get()
    assert (batch.rows, batch.created, batch.imported_by) == (4, 4, users["office"])

    s2 = Sample.objects.get(sample_no="S-2")
    assert (s2.category.code, s2.channel, s2.sampled_party_role) == (
        "IND23-02",
        "circulation",
        "seller",
    )
    assert (s2.sampled_on, s2.reported_on, s2.final_conclusion) == (
        dt.date(2025, 3, 4),
        dt.date(2025, 3, 21),
        "fail",
    )
    assert s2.lab.name == LAB and s2.import_batch == batch and s2.created_by == users["office"]
    assert Sample.objects.get(sample_no="S-3").category.code == "FARM-34"
    s4 = Sample.objects.get(sample_no="S-4")
    assert (s4.producer, s4.producer_name, s4.conclusion) == (None, "", "")

    made = Enterprise.objects.get(uscc=MAKER_WZ)
    assert made.registered_via == f"抽查结果导入 #{batch.pk} results.csv"
    assert (made.district_id, made.region) == (f.WANZHOU, f.WANZHOU)
    assert Enterprise.objects.get(uscc=MAKER_CD).district is None

    referrals = {r.sample.sample_no: r for r in Referral.objects.select_related("sample")}
    assert set(referrals) == {"S-2", "S-3"}
    assert referrals["S-2"].kind == "district"
    assert referrals["S-2"].to_organisation.key == "district-500101"
    assert referrals["S-2"].created_on == dt.date(2025, 3, 21)
    assert (referrals["S-3"].kind, referrals["S-3"].to_region) == ("outgoing", f.CHENGDU_WUHOU)

    entry = AuditEntry.objects.get(action="sample.import")
    assert entry.actor == users["office"] and entry.object_id == str(batch.pk)
    assert entry.after["created"] == 4 and entry.after["referrals"] == 2
    assert entry.after["credit_records"] == 2

    # Each failure is a credit record of its producer (S15), its class computed at once.
    records = {r.document_no: r for r in CreditRecord.objects.select_related("enterprise")}
    assert set(records) == {"S-2", "S-3"}
    assert records["S-2"].enterprise.uscc == MAKER_WZ and records["S-2"].sample == s2
    assert records["S-2"].decided_on == dt.date(2025, 3, 21)
    assert records["S-2"].summary == "电饭煲：电气强度（检验报告 R-2）"
    assert records["S-3"].enterprise.uscc == MAKER_CD
    assert {r.created_by for r in records.values()} == {users["office"]}
    assert RiskAssessment.objects.filter(enterprise__uscc__in=[MAKER_WZ, MAKER_CD]).count() == 2
    credit = AuditEntry.objects.get(action="credit.record.create")
    assert (credit.after["records"], credit.after["import_batch"]) == (2, batch.pk)

    cells = _cells()
    for place in ("sampled", "made"):  # each sample counts where sampled and where made
        assert sum(c[5] for c in cells if c[2] == place) == 3
        assert sum(c[6] for c in cells if c[2] == place) == 1
    tally_rebuild()
    assert _cells() == cells


def test_a_failure_whose_number_a_typed_record_already_holds_is_left_to_it(users, tmp_path):
    from zhiliang.credit.services import SAMPLING_SOURCE, record_create

    typed = record_create(
        actor=users["office"],
        enterprise=f.enterprise(f.WANZHOU),
        kind="inspection_failure",
        document_no="S-2",
        decided_on=dt.date(2025, 3, 21),
        source_name=SAMPLING_SOURCE,
    )
    outcome = _import(_csv(tmp_path, ROWS), users["office"])
    assert outcome.ok and outcome.created == 4
    records = {r.document_no: r for r in CreditRecord.objects.all()}
    assert set(records) == {"S-2", "S-3"} and records["S-2"] == typed
    assert records["S-2"].sample is None and records["S-3"].sample.sample_no == "S-3"


def test_an_imported_failure_is_the_record_a_hand_entered_result_makes(users, tmp_path):
    from zhiliang.credit.services import inspection_failure_record

    _import(_csv(tmp_path, ROWS), users["office"])
    fields = [f.name for f in CreditRecord._meta.fields if f.name not in ("id", "created_at")]
    for bulk in CreditRecord.objects.all():
        made = {name: getattr(bulk, name) for name in fields}
        sample = bulk.sample
        bulk.delete()
        one = inspection_failure_record(sample, actor=users["office"])
        assert {name: getattr(one, name) for name in fields} == made


def test_a_good_xlsx_with_english_headers_imports_the_same(users, tmp_path):
    english = list(FIELD_LABELS)  # field names are accepted as headers
    english.remove("sampled_party_role")
    path = _xlsx(tmp_path, ROWS, english)
    outcome = _import(path, users["department"])
    assert outcome.ok, _problems(outcome)
    assert outcome.created == 4 and Referral.objects.count() == 2
    assert Sample.objects.get(sample_no="S-3").sampled_on == dt.date(2025, 3, 5)


def test_reimporting_the_same_rows_writes_nothing(users, tmp_path):
    path = _csv(tmp_path, ROWS)
    _import(path, users["office"])
    before = _counts()
    again = _import(_csv(tmp_path, list(reversed(ROWS)), name="again.csv"), users["office"])
    assert again.ok and (again.created, again.unchanged, again.parties_registered) == (0, 4, 0)
    assert again.batch is None
    assert _counts() == before


def test_a_partly_new_file_adds_only_the_new_rows(users, tmp_path):
    _import(_csv(tmp_path, ROWS[:2]), users["office"])
    outcome = _import(_csv(tmp_path, ROWS, name="all.csv"), users["office"])
    assert (outcome.created, outcome.unchanged) == (2, 2)
    assert Sample.objects.count() == 4 and ImportBatch.objects.count() == 2


# --- bad files: nothing written --------------------------------------------------------------


def _set(row, field, value):
    """Set a field of a row in samplegen.HEADER order."""
    columns = [FIELD_LABELS[name] for name in FIELD_LABELS if name != "sampled_party_role"]
    assert list(HEADER) == columns
    row = list(row)
    row[columns.index(FIELD_LABELS[field])] = value
    return row


BAD_USCC = "91500103MA5U000000"


@pytest.mark.parametrize(
    "field, value, code, params",
    [
        ("sampled_party_uscc", BAD_USCC, "uscc_invalid", None),
        ("producer_region", "509999", "region_invalid", {"value": "509999"}),
        (
            "sampled_on",
            "2026-01-02",
            "sampled_on_future",
            {"value": "2026-01-02", "today": "2025-12-31"},
        ),
        ("conclusion", "基本合格", "conclusion_unknown", {"value": "基本合格"}),
        ("category", "不存在的类别", "category_unknown", {"value": "不存在的类别"}),
        # In the 2021 and 2023 industrial catalogues both: a guess would count it wrongly.
        (
            "category",
            "家用电器及电器附件",
            "category_ambiguous",
            {"value": "家用电器及电器附件", "codes": "CQ21-02、IND21-01、IND23-02"},
        ),
    ],
)
def test_one_bad_cell_rejects_the_file_with_its_row_and_column(
    users, tmp_path, field, value, code, params
):
    f.enterprise(f.YUZHONG)
    before = _counts()
    rows = [ROWS[0], _set(ROWS[1], field, value), ROWS[2]]
    outcome = _import(_csv(tmp_path, rows), users["office"])
    assert not outcome.ok and outcome.problem_count == 1
    (problem,) = outcome.problems
    assert (problem.line, problem.field, problem.column) == (3, field, FIELD_LABELS[field])
    if params is not None:
        assert problem.message == MESSAGES[code] % params
    else:
        assert problem.message.startswith(f"统一社会信用代码“{BAD_USCC}”无效")
    assert _counts() == before


def test_a_sample_no_repeated_in_the_file_is_an_error(users, tmp_path):
    before = _counts()
    rows = [ROWS[0], ROWS[1], _set(ROWS[2], "sample_no", "S-1")]
    outcome = _import(_csv(tmp_path, rows), users["office"])
    assert _problems(outcome) == [
        (4, "抽样单编号", MESSAGES["sample_no_duplicate"] % {"value": "S-1", "line": "2"})
    ]
    assert _counts() == before


def test_a_row_that_differs_from_the_stored_sample_is_an_error_not_an_overwrite(users, tmp_path):
    _import(_csv(tmp_path, ROWS), users["office"])
    before = _counts()
    changed = _set(_set(ROWS[1], "product_name", "电压力锅"), "failed_items", "标签")
    rows = [changed, ROWS[0], ["S-9", *ROWS[0][1:]]]
    outcome = _import(_csv(tmp_path, rows, name="changed.csv"), users["office"])
    assert _problems(outcome) == [
        (2, "产品名称", imp.ERR_CONFLICT % {"no": "S-2", "fields": "产品名称、不合格项目"})
    ]
    assert _counts() == before
    assert Sample.objects.get(sample_no="S-2").product_name == "电饭煲"


def test_a_missing_column_is_named_with_its_accepted_spellings(users, tmp_path):
    header = [h for h in HEADER if h != "标称生产者"]
    rows = [[c for h, c in zip(HEADER, row, strict=True) if h != "标称生产者"] for row in ROWS]
    before = _counts()
    outcome = _import(_csv(tmp_path, rows, header=header), users["office"])
    assert [(p.line, p.field) for p in outcome.problems] == [(0, "")]
    message = outcome.problems[0].message
    assert message == ERR_MISSING % {
        "columns": "标称生产者（标称生产者 / 标称生产者名称 / 标称生产企业 / 标称生产企业名称 / producer_name）"
    }
    assert _counts() == before


def test_the_real_2019_table_is_explained_not_imported(users):
    before = _counts()
    outcome = _import(MESSY, users["office"])
    assert not outcome.ok and len(outcome.problems) == 1
    message = outcome.problems[0].message
    assert message.startswith("缺少必需的列：抽样单编号（")
    for field in ("产品类别", "被抽样单位统一社会信用代码", "抽样地区代码", "抽样日期", "检验结论"):
        assert f"；{field}（" in message
    assert "“company_name”（是否应为“标称生产者”？）" in message
    assert "“sampled_unit”（是否应为“被抽样单位”？）" in message
    assert "“sample_name”（是否应为“产品名称”？）" in message
    assert "“unqualified”（是否应为“不合格项目”？）" in message
    assert "“inspection_institution”（是否应为“检验机构”？）" in message
    assert "“source_url”" in message
    assert _counts() == before


def test_a_district_officer_imports_only_rows_of_their_district(users, tmp_path):
    before = _counts()
    outcome = _import(_csv(tmp_path, ROWS), users["district"])
    assert _problems(outcome) == [
        (5, "抽样地区代码", imp.ERR_NOT_YOUR_DISTRICT % {"district": f.WANZHOU})
    ]
    assert _counts() == before
    assert _import(_csv(tmp_path, ROWS[:3], name="yz.csv"), users["district"]).created == 3


def test_outsiders_may_not_import(users, tmp_path):
    for name in ("outsider", "hospital", "enterprise_user"):
        with pytest.raises(PermissionDenied):
            _import(_csv(tmp_path, ROWS), users[name])
    assert not Sample.objects.exists()


def test_an_empty_file_says_so(users, tmp_path):
    outcome = _import(_csv(tmp_path, []), users["office"])
    assert _problems(outcome) == [(0, "", imp.ERR_NO_ROWS)]
    assert not ImportBatch.objects.exists()


# --- the command ------------------------------------------------------------------------------


def test_the_import_command(registry, tmp_path):
    out = io.StringIO()
    call_command("inspections", "import", str(_csv(tmp_path, ROWS)), stdout=out)
    assert out.getvalue() == "rows 4: created 4, unchanged 0, parties registered 5\n"

    err = io.StringIO()
    bad = _csv(
        tmp_path,
        [
            _set(ROWS[0], "sample_no", "S-10"),
            _set(_set(ROWS[1], "sample_no", "S-11"), "sampled_party_uscc", BAD_USCC),
        ],
        name="bad.csv",
    )
    with pytest.raises(CommandError, match="1 problem\\(s\\) in bad.csv; nothing was imported"):
        call_command("inspections", "import", str(bad), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().startswith(
        f"bad.csv: row 3 [被抽样单位统一社会信用代码]: 统一社会信用代码“{BAD_USCC}”无效"
    )
    assert Sample.objects.count() == 4


# --- large files: checked in a second process -----------------------------------------------


def test_a_large_file_is_checked_in_a_second_process_with_the_same_result(
    users, tmp_path, monkeypatch
):
    monkeypatch.setattr(imp, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(imp, "COLUMNAR_MIN_BYTES", 1 << 60)
    monkeypatch.setattr(imp, "CHUNK", 2)  # several chunks cross the process boundary
    outcome = _import(_csv(tmp_path, ROWS), users["office"])
    assert outcome.ok, _problems(outcome)
    assert (outcome.rows, outcome.created, outcome.parties_registered) == (4, 4, 5)
    assert Referral.objects.count() == 2
    cells = _cells()
    tally_rebuild()
    assert _cells() == cells


def test_problems_found_in_the_second_process_reject_the_file(users, tmp_path, monkeypatch):
    monkeypatch.setattr(imp, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(imp, "COLUMNAR_MIN_BYTES", 1 << 60)
    monkeypatch.setattr(imp, "CHUNK", 2)
    before = _counts()
    rows = [ROWS[0], ROWS[1], ROWS[2], _set(ROWS[3], "sampled_on", "2099-01-01")]
    outcome = _import(_csv(tmp_path, rows), users["office"])
    assert not outcome.ok and outcome.rows == 4
    assert [(p.line, p.field) for p in outcome.problems] == [(5, "sampled_on")]
    assert _counts() == before


def test_a_file_that_turns_unreadable_midway_is_rejected_from_the_second_process(
    users, tmp_path, monkeypatch
):
    monkeypatch.setattr(imp, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(imp, "COLUMNAR_MIN_BYTES", 1 << 60)
    monkeypatch.setattr(imp, "CHUNK", 2)
    path = _csv(tmp_path, ROWS)
    path.write_bytes(path.read_bytes() + b"S-9," + "渝中".encode("gbk") + b"\n")
    before = _counts()
    outcome = _import(path, users["office"])
    assert not outcome.ok and "UTF-8" in outcome.problems[0].message
    assert _counts() == before


def test_a_number_taken_in_another_district_reveals_nothing_about_that_sample(users, tmp_path):
    _import(_csv(tmp_path, ROWS), users["office"])  # S-4 was sampled in 万州区
    stolen = _set(ROWS[3], "sampling_region", f.YUZHONG)
    stolen = _set(stolen, "product_name", "猜测的产品")
    outcome = _import(_csv(tmp_path, [stolen], name="probe.csv"), users["district"])
    assert _problems(outcome) == [(2, "抽样单编号", imp.ERR_TAKEN % {"no": "S-4"})]


# --- the column reader, its fallback, and bulk loads ------------------------------------------


def test_a_plain_csv_is_checked_by_columns_not_row_by_row(users, tmp_path, monkeypatch, reader):
    calls = []
    check = imp.RowValidator.check
    monkeypatch.setattr(
        imp.RowValidator, "check", lambda self, *a: calls.append(a[0]) or check(self, *a)
    )
    rows = [_set(ROWS[1], "sampled_on", "2025-03-04"), ROWS[2], ROWS[3]]
    outcome = _import(_csv(tmp_path, rows), users["office"])
    assert outcome.ok and outcome.created == 3
    assert calls == ([] if reader == "columnar" else [2, 3, 4])


def test_a_line_break_inside_a_cell_is_read_row_by_row_with_true_line_numbers(users, tmp_path):
    rows = [
        _set(ROWS[0], "product_name", "电热水壶\n（双层）"),
        ROWS[1],
        _set(ROWS[2], "sampled_on", "2099-01-01"),
    ]
    outcome = _import(_csv(tmp_path, rows), users["office"])
    # The first record takes lines 2–3, so the third starts on line 5.
    assert [(p.line, p.field) for p in outcome.problems] == [(5, "sampled_on")]
    assert not Sample.objects.exists()
    outcome = _import(_csv(tmp_path, rows[:2]), users["office"])
    assert outcome.ok and Sample.objects.get(sample_no="S-1").product_name == "电热水壶\n（双层）"


def _schema():
    out = {}
    with connection.cursor() as cursor:
        for model in (Sample, Referral, CreditRecord):
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
            out |= {
                name: (c["columns"], c["unique"], c["index"], c["foreign_key"])
                for name, c in found.items()
            }
    return out


def test_a_bulk_load_rebuilds_the_indexes_and_keys_it_dropped(users, tmp_path, monkeypatch):
    monkeypatch.setattr(imp, "BULK_MIN_BYTES", 0)
    before = _schema()
    assert any(fk for *_x, fk in before.values())  # foreign keys to enterprises, districts
    outcome = _import(_csv(tmp_path, ROWS), users["office"])
    assert outcome.ok and outcome.created == 4
    assert _schema() == before
    cells = _cells()
    tally_rebuild()
    assert _cells() == cells
    # A rejected bulk load rolls back the dropped indexes with everything else.
    bad = [_set(ROWS[0], "sample_no", "S-20"), _set(ROWS[1], "sampled_on", "2099-01-01")]
    monkeypatch.setattr(imp, "BULK_BYTES_PER_ROW", 1)
    assert not _import(_csv(tmp_path, bad, name="bad.csv"), users["office"]).ok
    assert _schema() == before
    assert Sample.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_outside_a_transaction_checks_sqlites_keys_itself(users, tmp_path, monkeypatch):
    """The command runs outside any transaction: on SQLite the per-row key checks are
    switched off for the load and ``PRAGMA foreign_key_check`` runs before commit."""
    monkeypatch.setattr(imp, "BULK_MIN_BYTES", 0)
    checked = []
    real = imp._foreign_key_check
    monkeypatch.setattr(imp, "_foreign_key_check", lambda **kw: checked.append(1) or real(**kw))
    before = _schema()
    outcome = _import(_csv(tmp_path, ROWS), users["office"])
    assert outcome.ok and outcome.created == 4 and Referral.objects.count() == 2
    assert CreditRecord.objects.count() == 2  # the credit records' index dropped too
    assert _schema() == before
    assert checked == ([1] if connection.vendor == "sqlite" else [])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone() == (1,)  # back on for everything else


@pytest.mark.django_db(transaction=True)
def test_a_broken_reference_found_by_the_key_check_rejects_the_load(users, tmp_path, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL validates the keys it adds back itself")
    monkeypatch.setattr(imp, "BULK_MIN_BYTES", 0)
    real = imp._referrals_for_batch

    def and_a_dangling_one(batch, after_id, **kwargs):
        made = real(batch, after_id, **kwargs)
        with connection.cursor() as cursor:  # a referral to a sample that does not exist
            cursor.execute(
                "INSERT INTO inspections_referral (sample_id, kind, to_region, created_on, "
                "letter_no, reply, status) VALUES (999999, 'outgoing', '510107', '2025-01-01', "
                "'', '', 'open')"
            )
        return made

    monkeypatch.setattr(imp, "_referrals_for_batch", and_a_dangling_one)
    outcome = _import(_csv(tmp_path, ROWS), users["office"])
    assert _problems(outcome) == [(0, "", imp.ERR_REFERENCE)]
    assert not Sample.objects.exists() and not Referral.objects.exists()
