"""统一社会信用代码 (unified social credit code) validation, GB 32100-2015.

Structure (18 characters): 1 registration authority, 2 organisation type, 3–8 the
registering authority's GB/T 2260 division code, 9–17 the GB 11714 organisation
code (17 is its own check character), 18 the GB/T 17710 MOD 31 check character.
See DOMAIN.md §1 for the sources.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The 31 symbols, values 0–30 in this order; I, O, Z, S and V are never used.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
#: Weights of positions 1–17: 3**(i-1) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

#: Position 2's allowed values per position-1 authority (GB 32100-2015 table 1).
#: ``None`` where the sources in DOMAIN.md §1 do not confirm the list: any symbol
#: is accepted there rather than refusing a code that may be real.
ORGANISATION_TYPES: dict[str, str | None] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": None,  # 外交
    "3": None,  # 司法行政
    "4": None,  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": None,  # 旅游
    "7": None,  # 宗教
    "8": None,  # 工会
    "9": "123",  # 工商 (市场监管): 企业, 个体工商户, 农民专业合作社
    "A": None,  # 中央军委改革和编制办公室
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class UsccResult:
    code: str
    valid: bool
    reason: str = ""


def check_character(first17: str) -> str:
    """The GB/T 17710 MOD 31 check character for the first 17 characters."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def gb11714_check_character(body8: str) -> str:
    """The GB 11714 check character (position 17) over positions 9–16."""
    total = 0
    for ch, w in zip(body8, _GB11714_WEIGHTS, strict=True):
        value = int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10
        total += value * w
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def validate_uscc(raw: str) -> UsccResult:
    """Check one code; the reason is bilingual so officials and logs both read it.

    The inner GB 11714 character is not enforced: some issued codes are known to
    fail it (DOMAIN.md §1), and most national validators check only position 18.
    """
    code = raw.strip().upper()
    if len(code) != 18:
        return UsccResult(
            code, False, f"长度为{len(code)}位，应为18位 (length {len(code)}, expected 18)"
        )
    for pos, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            return UsccResult(
                code,
                False,
                f"第{pos}位字符“{ch}”不允许（不使用 I、O、Z、S、V）"
                f" (character {ch!r} at position {pos} is not allowed)",
            )
    authority, org_type = code[0], code[1]
    if authority not in ORGANISATION_TYPES:
        return UsccResult(
            code,
            False,
            f"登记管理部门代码“{authority}”不存在 (unknown registration authority {authority!r})",
        )
    allowed_types = ORGANISATION_TYPES[authority]
    if allowed_types is not None and org_type not in allowed_types:
        return UsccResult(
            code,
            False,
            f"机构类别代码“{org_type}”不适用于登记管理部门“{authority}”"
            f" (organisation type {org_type!r} is not defined for authority {authority!r})",
        )
    if not code[2:8].isdigit():
        return UsccResult(
            code,
            False,
            f"第3–8位“{code[2:8]}”应为6位行政区划代码"
            f" (positions 3–8 {code[2:8]!r} must be a 6-digit division code)",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        return UsccResult(
            code,
            False,
            f"校验码应为“{expected}”，实为“{code[17]}” (check character should be {expected!r}, got {code[17]!r})",
        )
    return UsccResult(code, True)


def is_valid_uscc(raw: str) -> bool:
    return validate_uscc(raw).valid
