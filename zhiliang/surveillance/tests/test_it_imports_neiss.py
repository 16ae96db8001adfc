"""``zhiliang surveillance import-neiss``: the reduced infants file (a slice, and the whole
file), a hand-made file in the official CPSC layout, the labelled 100-case sample; codes
mapped onto the card and products onto catalogue classes; bad files write nothing;
re-imports add nothing."""

from __future__ import annotations

import datetime as dt
import gzip
import time
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from zhiliang.accounts.models import AuditEntry
from zhiliang.inspections.models import ProductCategory
from zhiliang.lib.neissfile import read_neiss_cases
from zhiliang.surveillance.codes import Outcome, Place, Sex, Source
from zhiliang.surveillance.models import InjuryCase
from zhiliang.surveillance.neiss import neiss_import

NEISS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "neiss"
INFANTS = NEISS / "infants_under2_2002_2021.csv.gz"
LABELLED = NEISS / "cases_sample_2014_2023_n100_labelled.csv"
needs_shared = pytest.mark.skipif(not INFANTS.exists(), reason="shared/data/neiss not present")

#: The official layout (tab-separated, MM/DD/YYYY, codes), written by hand: a fracture on
#: stairs, an infant (age 205 = 5 months) with a crib and an unmapped product, a
#: narrative with a lone double quote (CPSC's files do not quote), a death.
CPSC_HEADER = (
    "CPSC_Case_Number\tTreatment_Date\tAge\tSex\tRace\tRace_Other\tHispanic\tBody_Part\t"
    "Diagnosis\tDiag_Other\tBody_Part_2\tDiagnosis_2\tDiag_Other_2\tDisposition\tLocation\t"
    "Fire_Involvement\tAlcohol\tDrug\tProduct_1\tProduct_2\tProduct_3\tNarrative\tStratum\tPSU\tWeight"
)
CPSC_ROWS = [
    "230101001\t01/03/2023\t67\t2\t1\t\t2\t37\t57\t\t\t\t\t4\t1\t0\t0\t0\t1842\t0\t0\t"
    "67YOF FELL DOWN 3 STEPS AT HOME, 5'2\" TALL, DX ANKLE FX\tV\t8\t15.7703",
    "230101002\t01/04/2023\t205\t1\t0\t\t0\t75\t62\t\t\t\t\t1\t1\t0\t0\t0\t1545\t9999\t0\t"
    "5MOM ROLLED OFF CRIB, HIT HEAD\tC\t95\t4.9239",
    "230101003\t02/11/2023\t34\t1\t3\tFILIPINO\t2\t89\t71\tSTRANGULATION\t\t\t\t8\t5\t0\t0\t0\t"
    "1893\t\t\tDOOR CLOSED ON NECK\tL\t41\t90.0005",
]


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cpsc_file(tmp_path: Path) -> Path:
    return _write(tmp_path / "neiss2023.tsv", CPSC_HEADER, CPSC_ROWS)


@pytest.fixture
def infants_slice(tmp_path: Path) -> Path:
    with gzip.open(INFANTS, "rt", encoding="utf-8") as fh:
        lines = [next(fh) for _ in range(3001)]
    path = tmp_path / "infants_slice.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_the_official_layout_fills_the_card(db, cpsc_file):
    outcome = neiss_import(path=cpsc_file, actor=None)
    assert outcome.ok and (outcome.layout, outcome.created) == ("cpsc", 3)
    stairs, crib, door = InjuryCase.objects.order_by("case_number")
    assert (stairs.source, stairs.reporter, stairs.visit_date) == (
        Source.NEISS,
        None,
        dt.date(2023, 1, 3),
    )
    assert (stairs.sex, stairs.age_years, stairs.age_months) == (Sex.FEMALE, 67, None)
    assert (stairs.outcome, stairs.place, stairs.nature, stairs.body_part) == (
        Outcome.ADMITTED,
        Place.HOME,
        1,  # 骨折
        3,  # 下肢
    )
    assert stairs.product_1_code == "1842"
    assert stairs.product_1_category == ProductCategory.objects.get(code="IND23-03")
    assert stairs.narrative == "67YOF FELL DOWN 3 STEPS AT HOME, 5'2\" TALL, DX ANKLE FX"
    assert (stairs.weight, stairs.stratum, stairs.psu) == (15.7703, "V", "8")
    assert stairs.source_codes["diagnosis"] == 57 and stairs.source_codes["disposition"] == 4
    assert (crib.age_years, crib.age_months, crib.sex) == (0, 5, Sex.MALE)
    assert crib.product_1_category.code == "IND23-06"  # cribs: 儿童用品
    # 9999 UNCATEGORIZED PRODUCT: no class; kept as "other" with its code.
    assert (crib.product_2_code, crib.product_2_category) == ("9999", None)
    assert outcome.unmapped_products == 1
    assert door.outcome == Outcome.DIED and door.place == Place.SCHOOL_PUBLIC
    assert door.source_codes["race_other"] == "FILIPINO"
    assert door.source_codes["diagnosis_other"] == "STRANGULATION"
    entry = AuditEntry.objects.get(action="surveillance.neiss.import")
    assert entry.after["created"] == 3 and entry.actor is None


def test_a_comma_separated_gzipped_copy_reads_the_same(db, tmp_path, cpsc_file):
    text = cpsc_file.read_text(encoding="utf-8").replace('"', '""').splitlines()
    rows = [",".join(f'"{c}"' for c in line.split("\t")) for line in text]
    path = tmp_path / "neiss2023.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    outcome = neiss_import(path=path, actor=None)
    assert outcome.ok and outcome.created == 3
    assert InjuryCase.objects.get(case_number="230101001").narrative.endswith(
        "5'2\" TALL, DX ANKLE FX"
    )


@needs_shared
def test_the_labelled_sample_reads_by_code_book_labels(db):
    outcome = neiss_import(path=LABELLED, actor=None)
    assert outcome.ok and outcome.created == 100, outcome.problems[:5]
    assert set(outcome.ignored_columns) == {"year", "month", "day"}
    first = InjuryCase.objects.get(case_number="140223502")  # STAIRS OR STEPS, FEMALE, 12
    assert (first.sex, first.age_years, first.product_1_code) == (Sex.FEMALE, 12, "1842")
    assert first.product_1_category.code == "IND23-03"
    infant = InjuryCase.objects.get(case_number="140253539")  # 1.75 years
    assert (infant.age_years, infant.age_months) == (1, 21)
    assert InjuryCase.objects.filter(sex=None).count() == 0


@needs_shared
def test_a_slice_of_the_infants_file_imports_once(db, infants_slice):
    expected = read_neiss_cases(infants_slice)
    outcome = neiss_import(path=infants_slice, actor=None)
    assert outcome.ok and (outcome.layout, outcome.created) == ("reduced", 3000)
    stored = InjuryCase.objects.filter(source=Source.NEISS)
    weights = np.array(stored.values_list("weight", flat=True))
    assert weights.sum() == pytest.approx(expected.weight.sum(), rel=1e-12)
    # Dispositions onto the card's outcome (1 → 处理后离院, 4 → 住院, 9 → not recorded).
    assert stored.filter(outcome=Outcome.RELEASED).count() == int((expected.disposition == 1).sum())
    assert stored.filter(outcome=Outcome.ADMITTED).count() == int((expected.disposition == 4).sum())
    assert stored.filter(outcome=None).count() == int(np.isin(expected.disposition, [9, -1]).sum())
    assert stored.filter(sex=Sex.MALE).count() == int((expected.sex == "M").sum())
    assert stored.filter(age_months=None).count() == 0
    again = neiss_import(path=infants_slice, actor=None)
    assert again.ok and (again.created, again.unchanged) == (0, 3000)
    assert stored.count() == 3000


def test_a_bad_file_writes_nothing_and_names_each_problem(db, tmp_path):
    rows = [
        CPSC_ROWS[0],
        CPSC_ROWS[0],  # the same case number again
        CPSC_ROWS[1].replace("01/04/2023", "13/45/2023"),
        CPSC_ROWS[2].replace("90.0005", "-1").replace("\t8\t5\t", "\t3\t5\t"),
        CPSC_ROWS[2].replace("230101003", "230101004").replace("02/11/2023", "02/11/2099"),
    ]
    outcome = neiss_import(path=_write(tmp_path / "bad.tsv", CPSC_HEADER, rows), actor=None)
    assert not outcome.ok
    found = {(p.line, p.column) for p in outcome.problems}
    assert found == {
        (3, "cpsc_case_number"),
        (4, "treatment_date"),
        (5, "weight"),
        (5, "disposition"),  # 3 is no NEISS disposition
        (6, "treatment_date"),
    }
    assert "晚于今天" in next(p.message for p in outcome.problems if p.line == 6)
    assert "与第 2 行重复" in next(p.message for p in outcome.problems if p.line == 3)
    assert InjuryCase.objects.count() == 0
    assert not AuditEntry.objects.filter(action="surveillance.neiss.import").exists()


def test_a_file_of_another_kind_is_refused(db, tmp_path):
    path = _write(tmp_path / "x.csv", "name,date", ["a,2024-01-01"])
    outcome = neiss_import(path=path, actor=None)
    assert not outcome.ok and "CPSC_Case_Number" in outcome.problems[0].message


def test_the_command_reports_and_refuses(db, cpsc_file, tmp_path, capsys):
    call_command("surveillance", "import-neiss", str(cpsc_file))
    assert "created 3" in capsys.readouterr().out
    bad = _write(tmp_path / "bad.tsv", CPSC_HEADER, [CPSC_ROWS[0].replace("15.7703", "x")])
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("surveillance", "import-neiss", str(bad))


@needs_shared
def test_the_whole_infants_file_imports_fast_and_once(db):
    started = time.perf_counter()
    outcome = neiss_import(path=INFANTS, actor=None)
    seconds = time.perf_counter() - started
    assert outcome.ok and outcome.created == 446_194
    assert seconds < 120, seconds  # 9 s measured on SQLite here
    again = neiss_import(path=INFANTS, actor=None)
    assert (again.created, again.unchanged) == (0, 446_194)
