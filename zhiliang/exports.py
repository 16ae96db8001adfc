"""HTTP responses for downloads (the byte builders live in ``zhiliang.lib``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse

from zhiliang.lib.xlsx import XLSX_MIME, xlsx_bytes

PDF_MIME = "application/pdf"


def download_response(
    data: bytes, content_type: str, filename: str, *, inline: bool = False
) -> HttpResponse:
    """A file response; ``inline`` previews it in the browser (PDFs) instead of saving."""
    response = HttpResponse(data, content_type=content_type)
    # RFC 6266 filename* so Chinese file names survive every browser.
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_response(
    filename: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    return download_response(xlsx_bytes(sheet_title, header, rows), XLSX_MIME, filename)
