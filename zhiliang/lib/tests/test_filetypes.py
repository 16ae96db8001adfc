from __future__ import annotations

import io
import zipfile

import pytest

from zhiliang.lib.filetypes import FileTypeError, sniff_upload


def _zip(member: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member, "<x/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("证明.pdf", b"%PDF-1.7\n...", "application/pdf"),
        ("现场.PNG", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("现场.jpg", b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (
            "台账.xlsx",
            _zip("xl/workbook.xml"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "报告.docx",
            _zip("word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_it_accepts_documents_whose_content_matches(name, data, content_type):
    assert sniff_upload(name, data[:16], data) == content_type


@pytest.mark.parametrize(
    ("name", "data", "phrase"),
    [
        ("run.exe", b"MZ\x90\x00", "不允许上传"),
        ("page.html", b"<html>", "不允许上传"),
        ("logo.svg", b"<svg onload=alert(1)>", "不允许上传"),
        ("noext", b"%PDF-", "不允许上传"),
        ("fake.pdf", b"MZ\x90\x00", "不是PDF"),
        ("fake.png", b"<script>", "不是PNG"),
        ("fake.docx", _zip("xl/workbook.xml"), "不是Word"),
        ("broken.xlsx", b"PK\x03\x04garbage", "不是Excel"),
    ],
)
def test_it_refuses_dangerous_or_disguised_files(name, data, phrase):
    with pytest.raises(FileTypeError) as caught:
        sniff_upload(name, data[:16], data)
    assert phrase in str(caught.value)
