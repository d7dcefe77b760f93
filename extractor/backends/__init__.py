"""Input backends: one per input kind, behind a small Protocol and a plain dict registry.

A file is routed by its content (magic bytes, zip members, text layer), not its extension alone.
Backends register themselves on import; `load_backends()` imports the built-in ones.
"""
from __future__ import annotations

import importlib
import zipfile
from pathlib import Path
from typing import Protocol

from extractor.model import InputError, Page

SNIFF_BYTES = 8192


class Backend(Protocol):
    """Reads one kind of input into pages whose `lines`/`grids` (or `spans`/`image`) slots are filled."""

    kind: str

    def load(self, path: Path) -> list[Page]:
        """Return the file's pages; raise `InputError` when the file as a whole cannot be read."""
        ...


BACKENDS: dict[str, Backend] = {}

_BUILTIN_MODULES = (
    "extractor.backends.text",
    "extractor.backends.xlsx",
    "extractor.backends.docx",
    "extractor.backends.pdf",
    "extractor.backends.image",
)
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # PNG, JPEG, TIFF (both byte orders)


def register(backend: Backend) -> Backend:
    BACKENDS[backend.kind] = backend
    return backend


def load_backends() -> dict[str, Backend]:
    for name in _BUILTIN_MODULES:
        importlib.import_module(name)
    return BACKENDS


def detect_kind(path: Path) -> str:
    """Name the backend for a file from its first bytes; raise `InputError` for what no backend reads."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError("UNREADABLE_FILE", f"cannot open: {exc.strerror or exc}") from exc
    if not head:
        raise InputError("EMPTY_FILE", "the file is empty")
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(IMAGE_MAGIC):
        return "image"
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # an OLE2 container is a password-protected OOXML file or a legacy .xls/.doc: say which
        from extractor.backends.office import check_office_container

        check_office_container(path, ".xlsx/.docx", "")
    if _looks_like_text(head):
        return "text"
    raise InputError("UNSUPPORTED_FORMAT", "not a PDF, .xlsx, .docx, PNG/JPEG/TIFF image or text export (binary content)")


def _office_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError("CORRUPT_FILE", f"damaged zip container: {exc}") from exc
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    raise InputError("UNSUPPORTED_FORMAT", "a zip archive that is neither .xlsx nor .docx")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            # a multi-byte character cut by the sniff window is still text
            if encoding == "utf-8" and exc.start >= len(head) - 4:
                return True
    return False
