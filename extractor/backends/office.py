"""What .xlsx and .docx share: the OOXML (zip) container and its failure modes.

An OLE2 file is either a password-protected OOXML package or a legacy .xls/.doc; both are refused
with a message saying which, before a library fails with a cryptic one.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from extractor.model import InputError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream name of an Office-encrypted package, as stored (UTF-16LE) in the OLE2 directory
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def one_line(exc: BaseException) -> str:
    """An exception as one line of text: library messages may span lines (lxml)."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def check_office_container(path: Path, label: str, member: str) -> None:
    """Reject what cannot be an OOXML package before the library fails with a cryptic message."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if head == OLE2_MAGIC:
                data = head + fh.read()
                if _ENCRYPTION_STREAM in data:
                    raise InputError("ENCRYPTED_FILE", f"password-protected (encrypted) {label} file: "
                                     f"remove the password in Excel/WPS and save it again")
                raise InputError("UNSUPPORTED_FORMAT", f"legacy OLE2 (.xls/.doc) file: save it as {label}")
    except OSError as exc:
        raise InputError("UNREADABLE_FILE", f"cannot open: {exc.strerror or exc}") from exc
    if not head:
        raise InputError("EMPTY_FILE", "the file is empty (0 bytes)")
    if not head.startswith(b"PK"):
        raise InputError("CORRUPT_FILE", f"not a {label} file: no zip container")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError("CORRUPT_FILE", f"damaged or truncated {label} file: {one_line(exc)}") from exc
    if member not in names:
        raise InputError("UNSUPPORTED_FORMAT", f"a zip archive without {member}: not a {label} file")
