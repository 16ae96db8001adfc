"""Which uploaded evidence files are accepted, decided by content as well as name.

Only document and image formats officials exchange are allowed. A file whose bytes
do not match its extension (an ``.exe`` renamed ``.pdf``, an HTML page renamed
``.png``) is refused: the extension alone is the attacker's choice.
"""

from __future__ import annotations

import io
import zipfile

#: extension → (label, content type)
ALLOWED: dict[str, tuple[str, str]] = {
    ".pdf": ("PDF", "application/pdf"),
    ".png": ("PNG", "image/png"),
    ".jpg": ("JPEG", "image/jpeg"),
    ".jpeg": ("JPEG", "image/jpeg"),
    ".docx": ("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".ofd": ("OFD", "application/ofd"),  # GB/T 33190 electronic documents
}

_ZIP_MEMBER = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".ofd": "OFD.xml"}


class FileTypeError(ValueError):
    pass


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def sniff_upload(name: str, head: bytes, whole: bytes | None = None) -> str:
    """The content type to store for an accepted file; :class:`FileTypeError` otherwise.

    ``head`` is the first bytes of the file; ``whole`` is needed for zip-based
    formats (docx, xlsx, ofd) to look inside the archive.
    """
    ext = _extension(name)
    if ext not in ALLOWED:
        allowed = "、".join(sorted({label for label, _ in ALLOWED.values()}))
        raise FileTypeError(
            f"不允许上传“{ext or name}”类型的文件，只接受 {allowed}"
            f" (file type {ext or name!r} is not accepted)"
        )
    label, content_type = ALLOWED[ext]
    ok = False
    if ext == ".pdf":
        ok = head.startswith(b"%PDF-")
    elif ext == ".png":
        ok = head.startswith(b"\x89PNG\r\n\x1a\n")
    elif ext in (".jpg", ".jpeg"):
        ok = head.startswith(b"\xff\xd8\xff")
    elif ext in _ZIP_MEMBER and head.startswith(b"PK\x03\x04") and whole is not None:
        try:
            with zipfile.ZipFile(io.BytesIO(whole)) as archive:
                ok = _ZIP_MEMBER[ext] in archive.namelist()
        except zipfile.BadZipFile:
            ok = False
    if not ok:
        raise FileTypeError(
            f"文件“{name}”的内容不是{label}格式，可能被改了扩展名 (the content of {name!r} is not {label})"
        )
    return content_type
