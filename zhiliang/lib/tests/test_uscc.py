from pathlib import Path

import pytest

from zhiliang.lib.uscc import check_character, validate_uscc

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "uscc_examples.txt"
FIXTURE = Path(__file__).parent / "fixtures" / "uscc_examples.txt"


def _examples() -> list[tuple[str, bool]]:
    # The shared data set sits beside the repo; a copy travels in fixtures for installs without it.
    path = SHARED if SHARED.exists() else FIXTURE
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        code, _name, valid, _context = line.split("\t")
        rows.append((code, valid == "True"))
    return rows


def test_it_has_real_examples_of_both_kinds():
    rows = _examples()
    assert sum(v for _, v in rows) >= 12
    assert sum(not v for _, v in rows) >= 3


@pytest.mark.parametrize(("code", "expected"), _examples())
def test_it_agrees_with_real_codes(code, expected):
    assert validate_uscc(code).valid is expected


@pytest.mark.parametrize(
    "code",
    ["914403001922038216", "11500000MB1633299M", "11500000MB1678200K", "91500108MAE5G7MX3H"],
)
def test_it_accepts_domain_reference_codes(code):
    assert validate_uscc(code).valid


def test_it_names_the_expected_check_character():
    result = validate_uscc("91350203M0001QAY9B")
    assert not result.valid
    assert "校验码应为“9”" in result.reason and "got 'B'" in result.reason


def test_it_computes_the_check_character_of_a_known_code():
    assert check_character("91500000202801640") == "A"


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        ("9150010", "长度为7位"),
        ("91500108MAE5G7MX3HX", "长度为19位"),
        ("91500108MAE5G7MI3H", "第16位字符“I”"),
        ("B1500108MAE5G7MX3H", "登记管理部门代码“B”"),
        ("94500108MAE5G7MX3H", "机构类别代码“4”"),
        ("9150A108MAE5G7MX3H", "第3–8位"),
    ],
)
def test_it_explains_each_kind_of_error(code, phrase):
    result = validate_uscc(code)
    assert not result.valid
    assert phrase in result.reason


def test_it_ignores_case_and_surrounding_space():
    assert validate_uscc("  91500108mae5g7mx3h ").valid
