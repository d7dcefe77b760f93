"""Files into the store: one Upload, one UploadItem per file (an archive's members one by one),
one Document per distinct content.

The same bytes are one Document whatever their name or how often they arrive, so they are
stored once and processed once; every arrival still gets its own UploadItem under the name it came
with ("batch.zip!dept/a.pdf" for a member). Archive members the archive reader refuses (paths
that climb out, links, encrypted members, zip bombs) become items with the refusal's code and
message and no document; the rest of the archive goes on. Whether a stored file is a form at all
is for extraction to say (its document then fails with the reason).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterator, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from extractor.archive import expand, is_archive
from extractor.digest import sha256_of
from worker.store.blobs import blob_suffix, put_blob
from worker.store.db import Store, insert_or_ignore
from worker.store.models import Document, Upload, UploadItem

ORIGINS = ("api", "inbox", "cli")


def ingest_file(store: Store, path: Path, filename: str, origin: str, api_key_name: Optional[str],
                data_dir: Optional[Path] = None, move: bool = False) -> int:
    """Store the file at `path` (named `filename` by whoever sent it) and return the new Upload's id.

    `data_dir` defaults to the store's; `move` takes the file away (the inbox) instead of copying it.
    """
    return ingest_files(store, [(Path(path), filename)], filename, origin, api_key_name, data_dir, move)


def ingest_files(store: Store, files: Sequence[tuple[Path, str]], upload_name: str, origin: str,
                 api_key_name: Optional[str], data_dir: Optional[Path] = None, move: bool = False) -> int:
    """Several files (path, name) as one Upload named `upload_name`, items in the order given; its id."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
    data_dir = Path(data_dir) if data_dir is not None else store.data_dir
    with store.session() as session, session.begin():
        upload = Upload(filename=upload_name[:1024], origin=origin, api_key=api_key_name)
        session.add(upload)
        session.flush()
        for path, filename in files:
            for name, member, error in _files(path, filename, data_dir):
                item = UploadItem(upload_id=upload.id, name=name[:2048])
                if error is not None:
                    item.error_code, item.error_message = error
                else:
                    assert member is not None
                    item.document_id = _document(session, data_dir, member, name, move=move or member != path)
                session.add(item)
        upload_id = upload.id
    if move:  # an archive's members were taken; the archive itself goes too
        for path, _ in files:
            path.unlink(missing_ok=True)
    return upload_id


def _files(path: Path, filename: str, data_dir: Path) -> Iterator[tuple[str, Optional[Path], Optional[tuple[str, str]]]]:
    """(name, file on disk, refusal) for the file, or for each member of an archive."""
    if not is_archive(path):
        yield filename, path, None
        return
    work = data_dir / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    # Expanded beside the blobs: a member then moves into its place instead of being copied.
    with tempfile.TemporaryDirectory(prefix="expand-", dir=work) as tmp:
        found = False
        for member in expand(path, Path(tmp), name=filename):
            found = True
            yield member.name, member.path, member.error
        if not found:
            yield filename, None, ("EMPTY_ARCHIVE", "the archive holds no files")


def _document(session: Session, data_dir: Path, file: Path, name: str, move: bool) -> int:
    """The id of the Document holding these bytes; a new one (queued) when they are new."""
    digest = sha256_of(file)
    known = session.scalars(select(Document.id).where(Document.sha256 == digest)).one_or_none()
    if known is not None:
        if move:
            file.unlink(missing_ok=True)
        return known
    suffix = blob_suffix(name.rpartition("!")[2])
    values = {"sha256": digest, "original_name": name[:2048], "suffix": suffix, "size": file.stat().st_size,
              "status": "queued", "errors": [], "warnings": [], "pages_done": 0}
    put_blob(data_dir, file, digest, suffix, move=move)
    insert_or_ignore(session, Document, values, ["sha256"])  # two uploads of the same bytes at once: one row
    return session.scalars(select(Document.id).where(Document.sha256 == digest)).one()
