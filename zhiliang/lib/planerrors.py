"""The plan parser's one exception and its user-facing messages (Chinese first, then English).

The messages are module constants so that callers and tests can refer to them by name.
"""

from __future__ import annotations

__all__ = [
    "ERR_BINARY",
    "ERR_BLANK",
    "ERR_EMPTY",
    "ERR_GBK",
    "ERR_NOT_PLAN",
    "ERR_NOT_UTF8",
    "ERR_NO_PLAN_SIGNS",
    "ERR_TEXT_EMPTY",
    "ERR_UNREADABLE",
    "ERR_UTF16",
    "PlanParseError",
]


class PlanParseError(ValueError):
    """The file or text is not a readable plan; the message is in Chinese and English."""


ERR_EMPTY = "文件为空 / the file is empty"
ERR_BLANK = "文件只包含空白字符 / the file contains only whitespace"
ERR_UNREADABLE = "无法读取文件 / cannot read file {path}: {reason}"
ERR_BINARY = "文件是二进制文件（{what}），不是纯文本 / the file is binary ({what}), not plain text"
ERR_UTF16 = (
    "文件是UTF-16编码，请先转换为UTF-8（用记事本打开后“另存为”，编码选“UTF-8”；或命令行 iconv -f UTF-16 -t UTF-8 原文件 > 新文件） / "
    "the file is UTF-16 encoded; convert it to UTF-8 first: iconv -f UTF-16 -t UTF-8 in.txt > out.txt"
)
ERR_GBK = (
    "文件不是UTF-8编码，很可能是GBK/GB18030；请先转换（用记事本打开后“另存为”，编码选“UTF-8”；或命令行 iconv -f GB18030 -t UTF-8 原文件 > 新文件） / "
    "the file is not UTF-8, most likely GBK/GB18030; convert it first: "
    "iconv -f GB18030 -t UTF-8 in.txt > out.txt"
)
ERR_NOT_UTF8 = (
    "文件不是有效的UTF-8文本（第{offset}字节无法解码），可能是二进制文件或其他编码 / "
    "the file is not valid UTF-8 text (undecodable byte at offset {offset}); "
    "it may be binary or in another encoding"
)
ERR_NO_PLAN_SIGNS = (
    "有编号条目，但既无方案标题也无责任单位，不像是工作方案 / numbered lines found, but neither "
    "a plan title nor responsible units; this does not look like a plan document"
)
ERR_TEXT_EMPTY = "文本为空 / the text is empty"
ERR_NOT_PLAN = (
    "未找到编号条目（如“一、”“（一）”“1.”），不像是工作方案 / "
    "no numbered items found (一、 （一） 1.); this does not look like a plan document"
)
