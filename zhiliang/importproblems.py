"""Problems of a rejected import, shared by the table imports.

- :func:`header_problem`: what is wrong with a file's header row, in the official's
  language (the reader's own message is in Chinese and English at once);
- :func:`problems_keep` / :func:`problems_response`: an import page shows the first
  problems; the whole list (line, column, problem) is kept as an XLSX file under
  ``MEDIA_ROOT/import-errors`` for a day, named by a random token that only the
  importer's session holds. Files older than a day go at the next rejected import.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.lib.tables import TableError
from zhiliang.lib.tablestream import TableStructureError
from zhiliang.lib.xlsx import XLSX_MIME, xlsx_bytes


@dataclass(frozen=True)
class ImportProblem:
    """One problem of an imported file: its line (0 for the file as a whole), the field
    it is about and the message in the official's language. Each import subclasses it
    with its own ``labels`` (field → its Chinese, marked column label)."""

    line: int
    field: str
    message: str
    labels: ClassVar[Mapping[str, str]] = MappingProxyType({})

    @property
    def column(self) -> str:
        return _(self.labels[self.field]) if self.field in self.labels else ""


P = TypeVar("P", bound=ImportProblem)


@dataclass
class ImportOutcome(Generic[P]):
    """What an import did: rows read, created, already there unchanged, parties it
    registered, and its problems (none: it wrote; any: it wrote nothing)."""

    rows: int = 0
    created: int = 0
    unchanged: int = 0
    parties_registered: int = 0
    problems: list[P] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


ERR_HEADER = gettext_noop("表头有误：%(reason)s")
ERR_MISSING = gettext_noop("缺少必需的列：%(columns)s")
ERR_UNKNOWN = gettext_noop("无法识别的列：%(columns)s")
ERR_DUPLICATE_COLUMNS = gettext_noop("重复的列：%(columns)s")
SUGGEST = gettext_noop("“%(header)s”（是否应为“%(field)s”？）")


def header_problem(exc: TableStructureError, labels: Mapping[str, str]) -> str:
    """The header row's problems in the official's language; ``labels`` maps each
    field to its (Chinese, marked) label."""

    def label(f: str) -> str:
        return _(labels[f]) if f in labels else f

    parts = []
    if exc.missing:
        parts.append(
            _(ERR_MISSING)
            % {
                "columns": "；".join(
                    f"{label(f)}（{' / '.join(exc.accepted[f])}）" for f in exc.missing
                )
            }
        )
    if exc.unknown:
        parts.append(
            _(ERR_UNKNOWN)
            % {
                "columns": "、".join(
                    _(SUGGEST) % {"header": h, "field": label(exc.suggested[h])}
                    if h in exc.suggested
                    else f"“{h}”"
                    for h in exc.unknown
                )
            }
        )
    if exc.duplicates:
        parts.append(
            _(ERR_DUPLICATE_COLUMNS)
            % {
                "columns": "；".join(
                    f"{label(f)}: {'、'.join(h)}" for f, h in exc.duplicates.items()
                )
            }
        )
    return "。".join(parts)


#: How long a problem list stays downloadable; older ones are removed at the next import.
ERRORS_KEPT_SECONDS = 24 * 3600
#: Tokens a session remembers (per kind of import).
TOKENS_KEPT = 20


def _folder() -> Path:
    path = Path(settings.MEDIA_ROOT) / "import-errors"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _prune(folder: Path) -> None:
    cutoff = time.time() - ERRORS_KEPT_SECONDS
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def problems_keep(request: HttpRequest, session_key: str, problems: Iterable[Sequence[Any]]) -> str:
    """Keep the problems (rows of line, column, problem) as XLSX for this session;
    returns the token that names the download."""
    token = uuid.uuid4().hex
    folder = _folder()
    _prune(folder)
    header = [_("行号"), _("列"), _("问题")]
    (folder / f"{token}.xlsx").write_bytes(xlsx_bytes(_("导入问题"), header, problems))
    kept = request.session.get(session_key, [])
    request.session[session_key] = [*kept[-(TOKENS_KEPT - 1) :], token]
    return token


def problems_response(request: HttpRequest, session_key: str, token: str) -> FileResponse:
    """The kept problem list; 404 for a token this session did not make (only the
    official who ran the import may download it) or one that has expired."""
    if token not in request.session.get(session_key, []):
        raise Http404
    path = _folder() / f"{token}.xlsx"
    if not path.exists():
        raise Http404
    return FileResponse(
        path.open("rb"), as_attachment=True, filename="import-problems.xlsx", content_type=XLSX_MIME
    )


#: What a page says when an import went in.
IMPORTED = gettext_noop(
    "导入完成：共 %(rows)s 行，新增 %(created)s，未变 %(unchanged)s，新登记单位 %(parties)s。"
)


def import_upload(
    request: HttpRequest, upload: Any, importer: Any, session_key: str
) -> tuple[Any, str | None]:
    """Run an import (``importer(path=, file_name=, actor=)``) on an uploaded file, which
    is written to a temporary file first (the readers take a path: XLSX needs to seek)
    and removed when it is done. On success the page's message is set; on failure the
    problem list is kept for download. Returns the outcome and the list's token."""
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        outcome = importer(path=Path(tmp.name), file_name=upload.name, actor=request.user)
    if outcome.ok:
        messages.success(
            request,
            _(IMPORTED)
            % {
                "rows": outcome.rows,
                "created": outcome.created,
                "unchanged": outcome.unchanged,
                "parties": outcome.parties_registered,
            },
        )
        return outcome, None
    rows = [[p.line or "", p.column, p.message] for p in outcome.problems]
    return outcome, problems_keep(request, session_key, rows)


def file_problem(exc: TableError, labels: Mapping[str, str]) -> str:
    """Why a file could not be read as a table (its header, or the file itself), in the
    official's language."""
    if isinstance(exc, TableStructureError):
        return _(ERR_HEADER) % {"reason": header_problem(exc, labels)}
    return str(exc)
