"""Ingest: uploads, archive members one by one, refusals as items, one document per content."""
from __future__ import annotations

import zipfile

from sqlalchemy import func, select

from tests.conftest import REPO
from tests.service_support import database_url, pg_database, service_settings, store  # noqa: F401
from worker.ingest import ingest_file
from worker.store.blobs import blob_path
from worker.store.models import Document, Upload, UploadItem

PDF = REPO / "samples" / "docs" / "ningbo-2023.pdf"


def _items(store, upload_id):
    with store.session() as s:
        return {i.name: i for i in s.scalars(select(UploadItem).where(UploadItem.upload_id == upload_id))}


def test_same_bytes_twice_are_one_document(store, tmp_path):
    first = ingest_file(store, PDF, "ningbo.pdf", "api", "alice", store.data_dir)
    copy = tmp_path / "renamed.PDF"
    copy.write_bytes(PDF.read_bytes())
    second = ingest_file(store, copy, "renamed.PDF", "cli", None, store.data_dir)
    assert first != second
    with store.session() as s:
        doc = s.scalars(select(Document)).one()
        assert (doc.original_name, doc.suffix, doc.status, doc.size) == ("ningbo.pdf", ".pdf", "queued", PDF.stat().st_size)
        assert s.get(Upload, first).api_key == "alice" and s.get(Upload, second).origin == "cli"
    assert [i.document_id for i in _items(store, second).values()] == [doc.id]
    assert blob_path(store.data_dir, doc).read_bytes() == PDF.read_bytes()
    assert copy.exists()  # copied, not taken


def test_archive_members_are_items_and_refusals_are_errors(store, tmp_path):
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(PDF, "财政局/a.pdf")
        zf.writestr("财政局/sub/notes.txt", "项目支出绩效自评表\n")
        zf.write(PDF, "again/same.pdf")  # the same bytes under another name
        zf.writestr("../x", "climbing out")
    upload_id = ingest_file(store, archive, "batch.zip", "api", None, store.data_dir)
    items = _items(store, upload_id)
    assert sorted(items) == ["batch.zip!../x", "batch.zip!again/same.pdf", "batch.zip!财政局/a.pdf",
                             "batch.zip!财政局/sub/notes.txt"]
    assert items["batch.zip!../x"].error_code == "UNSAFE_PATH" and items["batch.zip!../x"].document_id is None
    assert items["batch.zip!again/same.pdf"].document_id == items["batch.zip!财政局/a.pdf"].document_id
    with store.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 2
        txt = s.get(Document, items["batch.zip!财政局/sub/notes.txt"].document_id)
        assert txt.suffix == ".txt" and blob_path(store.data_dir, txt).read_text(encoding="utf-8").startswith("项目")
    assert not list((store.data_dir / "tmp").iterdir())  # the expansion is cleaned up


def test_empty_archive_and_move(store, tmp_path):
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    items = _items(store, ingest_file(store, empty, "empty.zip", "inbox", None, store.data_dir))
    assert [(i.name, i.error_code) for i in items.values()] == [("empty.zip", "EMPTY_ARCHIVE")]
    dropped = tmp_path / "dropped.txt"
    dropped.write_text("项目支出绩效自评表\n", encoding="utf-8")
    ingest_file(store, dropped, "dropped.txt", "inbox", None, store.data_dir, move=True)
    assert not dropped.exists()
    with store.session() as s:
        assert s.scalars(select(Document.original_name)).all() == ["dropped.txt"]
