"""Uploaded files, content-addressed: `<data_dir>/blobs/ab/abcdef…<suffix>`, named by the sha256
of their bytes. The same file uploaded twice is one blob. A blob is written to a temporary name
beside its place and renamed, so a reader never sees half a file, and a crash leaves no blob
that looks whole."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

from extractor.digest import BLOCK

MAX_SUFFIX = 16  # Document.suffix's column width


class Named(Protocol):
    """What names a blob: a Document row, or anything with its sha256 and suffix."""

    sha256: str
    suffix: str


def blob_suffix(filename: str) -> str:
    """The suffix a blob keeps (lower case, ".pdf"): reports and crops route files by it."""
    suffix = Path(filename).suffix.lower()
    return suffix if len(suffix) <= MAX_SUFFIX and suffix.isascii() else ""


def blob_path(data_dir: Path, document: Named) -> Path:
    """Where the document's bytes are kept."""
    return blob_location(data_dir, document.sha256, document.suffix)


def blob_location(data_dir: Path, sha256: str, suffix: str) -> Path:
    return Path(data_dir) / "blobs" / sha256[:2] / f"{sha256}{suffix}"


def put_blob(data_dir: Path, source: Path, sha256: str, suffix: str, move: bool = False) -> Path:
    """Copy (or with `move`, move) `source` into the store and return its path. An existing blob
    is kept as it is; a moved source is removed either way."""
    target = blob_location(data_dir, sha256, suffix)
    if target.exists():
        if move:
            source.unlink(missing_ok=True)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if move:
        try:
            os.replace(source, target)
            return target
        except OSError:  # another file system: copy, then remove
            pass
    fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, BLOCK)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if move:
        source.unlink(missing_ok=True)
    return target
