"""HTTP responses for downloads (the byte builders live in ``zhiliang.lib``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse

from zhiliang.lib.xlsx import XLSX_MIME, xlsx_bytes


def xlsx_response(
    filename: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(sheet_title, header, rows), content_type=XLSX_MIME)
    # RFC 6266 filename* so Chinese file names survive every browser.
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
