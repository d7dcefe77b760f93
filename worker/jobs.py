"""The pipeline's steps over the store: split a document into pages, read one page, assemble the
document's forms, audit a batch (`worker.runs`). Celery tasks (`worker.tasks`) and the embedded
runner (`worker.runner`) call the same steps.

Every step takes ids and the settings, commits its own transaction and is idempotent: run twice,
or again after a worker died half-way, it leaves the rows it would have left once. The slow part
(reading a file, OCR, parsing) runs outside any transaction; the write then starts with a
conditional UPDATE ("… WHERE status is not final") that both claims the row and locks it, so of
two workers finishing the same step at once one writes and the other finds nothing to do.

Text pages are read when the document is split (a backend reads a text-layer PDF, a spreadsheet or
an export whole, in milliseconds); only pages without text (scans) become page tasks.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import delete, func, select, update

from extractor.model import ErrorItem, Grid, Page, without_cells
from extractor.pipeline import READ_ERRORS, ExtractResult, collect_pages, load_pages, read_error
from extractor.scan.stage import scan_pages, wants_scan
from worker.pagedata import fatal_error, page_from_result, page_result
from worker.runs import audit_documents, audit_run, audit_upload, stored_result, upload_documents
from worker.settings import Settings
from worker.store.blobs import blob_path
from worker.store.db import Store, close_stores, forget_connections, store_for
from worker.store.models import FINAL, Document, FormRow, PageRow


def split_document(settings: Settings, document_id: int) -> list[int]:
    """Read the document's pages once: store every page, text pages already read; the numbers of
    the pages still to read (scans), which each need `process_page`."""
    store = store_for(settings.service)
    with store.session() as session:
        doc = _document(session, document_id)
        path = blob_path(store.data_dir, doc)
        split_before = doc.pages_total is not None
    if not split_before:
        _split(store, document_id, path)
    with store.session() as session:
        return list(session.scalars(select(PageRow.number).where(
            PageRow.document_id == document_id, PageRow.status == "pending").order_by(PageRow.number)))


def _split(store: Store, document_id: int, path: Path) -> None:
    try:
        pages, kind = load_pages(path)
        error = None
    except READ_ERRORS as exc:
        pages, kind, error = [], None, read_error(exc)
    with store.session() as session, session.begin():
        claim = update(Document).where(Document.id == document_id, Document.pages_total.is_(None))
        values: dict[str, Any] = {"pages_total": len(pages), "kind": kind, "status": "processing"}
        if error is not None:  # the file as a whole cannot be read: that is the document's one error
            values.update(status="failed", errors=[error.to_dict()], tables=[])
        if not session.execute(claim.values(**values)).rowcount:
            return  # split meanwhile by another worker
        for page in pages:
            scan = wants_scan(page)
            session.add(PageRow(document_id=document_id, number=page.number, needs_scan=scan,
                                status="pending" if scan else "done", result=None if scan else page_result(page)))
        session.flush()
        _count_pages(session, document_id)


def process_page(settings: Settings, document_id: int, number: int) -> None:
    """Read one page without text (rasterise, clean up, OCR) and store what it gave; a page
    already read is left as it is."""
    store = store_for(settings.service)
    with store.session() as session, session.begin():
        row = session.scalars(select(PageRow).where(PageRow.document_id == document_id, PageRow.number == number)).one()
        if row.status in FINAL:
            return
        row.attempts += 1  # kept even when this attempt dies: a page that kills workers is visible
        path = blob_path(store.data_dir, row.document)
    started = time.perf_counter()
    page, fatal = _read_page(settings, path, number)
    _store_page(store, document_id, number, "failed" if fatal else "done", page_result(page, fatal),
                time.perf_counter() - started)


def fail_page(settings: Settings, document_id: int, number: int, error: ErrorItem) -> None:
    """Store the page as read, with no content and `error` (a page task that gave up for good: time
    limit, its worker killed again and again); the document is then assembled from the other pages.
    A page stored meanwhile is left as it is."""
    _store_page(store_for(settings.service), document_id, number, "failed", page_result(Page(number, errors=[error])))


def fail_document(settings: Settings, document_id: int, error: ErrorItem) -> None:
    """The document failed with `error` and no forms (its split gave up for good), unless it was
    finished meanwhile."""
    with store_for(settings.service).session() as session, session.begin():
        session.execute(update(Document).where(Document.id == document_id, Document.status.not_in(FINAL)).values(
            status="failed", errors=[error.to_dict()], tables=[]))


def _store_page(store: Store, document_id: int, number: int, status: str, result: dict[str, Any],
                seconds: Optional[float] = None) -> None:
    with store.session() as session, session.begin():
        stored = session.execute(update(PageRow).where(PageRow.document_id == document_id, PageRow.number == number,
                                                       PageRow.status.not_in(FINAL)).values(
            status=status, result=result, seconds=seconds))
        if stored.rowcount:
            _count_pages(session, document_id)


def _read_page(settings: Settings, path: Path, number: int) -> tuple[Page, Optional[ErrorItem]]:
    try:
        pages, _ = load_pages(path)
        page = next((p for p in pages if p.number == number), None)
        if page is None:
            return Page(number), ErrorItem("UNREADABLE_PAGE", f"page {number} is missing from the file", number)
        scan_pages(path, [page], settings.scan)
        return page, None
    except READ_ERRORS as exc:
        return Page(number), read_error(exc)


def _count_pages(session: Any, document_id: int) -> None:
    # Counted, not incremented: a count stays right however often a page is redelivered.
    read = select(func.count(PageRow.id)).where(PageRow.document_id == document_id, PageRow.status.in_(FINAL))
    session.execute(update(Document).where(Document.id == document_id).values(pages_done=read.scalar_subquery()))


def assemble_document(settings: Settings, document_id: int) -> bool:
    """Once every page is read: parse the forms from the stored pages (as `extract_file` parses a
    file read in one go) and store them with the document's status, errors and warnings. Whether
    the document is assembled (now or before); False while pages are still to read."""
    store = store_for(settings.service)
    with store.session() as session:
        doc = _document(session, document_id)
        if doc.status in FINAL:
            return True
        rows = list(session.scalars(select(PageRow).where(PageRow.document_id == document_id).order_by(PageRow.number)))
        if doc.pages_total is None or len(rows) < doc.pages_total or any(r.status not in FINAL for r in rows):
            return False
        result = ExtractResult(source=doc.original_name, sha256=doc.sha256, input_kind=doc.kind)
        fatal = next((e for e in (fatal_error(r.result) for r in rows) if e is not None), None)
        if fatal is not None:
            result.errors.append(fatal)  # as extract_file: that one error, no forms
        else:
            collect_pages(result, [page_from_result(r.number, r.result or {}) for r in rows])
    data = result.to_dict()
    with store.session() as session, session.begin():
        claimed = session.execute(update(Document).where(Document.id == document_id, Document.status.not_in(FINAL)).values(
            status="failed" if result.status == "failed" else "done", errors=data["errors"], warnings=data["warnings"],
            tables=[without_cells(t) for t in data["tables"]]))
        if not claimed.rowcount:
            return True  # assembled meanwhile by another worker
        session.execute(delete(FormRow).where(FormRow.document_id == document_id))
        for index, form in enumerate(data["forms"]):
            session.add(FormRow(
                document_id=document_id, index=index, kind=form["kind"], department=_cut(form.get("department"), 512),
                project=_cut(form.get("project"), 1024), data=form,
                provenance={"source": result.source, "sha256": result.sha256, "pages": form.get("pages") or [],
                            "input_kind": result.input_kind}))
    return True


def document_result(settings: Settings, document_id: int, cells: bool = False) -> dict[str, Any]:
    """The document's extraction as FORMS.md JSON (`extract` output), from the store: forms as
    stored (corrections applied); tables with their cells when `cells`, else without (as audited)."""
    store = store_for(settings.service)
    with store.session() as session:
        doc = _document(session, document_id)
        forms = [f.data for f in doc.forms]
        tables = doc.tables or []
        if cells:
            tables = [Grid.from_dict(g).to_dict() for r in doc.pages for g in (r.result or {}).get("grids", [])]
        return stored_result(doc, forms, tables)


def unprocessed_documents(settings: Settings, upload_id: int) -> list[int]:
    """The upload's documents not yet done or failed (each needs `split_document` and its pages)."""
    ids = upload_documents(settings, upload_id)
    with store_for(settings.service).session() as session:
        final = set(session.scalars(select(Document.id).where(Document.id.in_(ids), Document.status.in_(FINAL))))
    return [i for i in ids if i not in final]


def upload_ready(settings: Settings, upload_id: int) -> bool:
    """Every document of the upload is done or failed: the upload can be audited as one batch."""
    return not unprocessed_documents(settings, upload_id)


def process_document(settings: Settings, document_id: int) -> None:
    """All of one document's steps in this process, one after the other (the embedded pipeline)."""
    for number in split_document(settings, document_id):
        process_page(settings, document_id, number)
    assemble_document(settings, document_id)


def _document(session: Any, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise LookupError(f"no document {document_id} in the store")
    return doc


def _cut(text: Optional[str], width: int) -> Optional[str]:
    return text[:width] if text else text


__all__ = ["assemble_document", "audit_documents", "audit_run", "audit_upload", "close_stores", "document_result",
           "fail_document", "fail_page", "forget_connections", "process_document", "process_page", "split_document", "store_for", "unprocessed_documents",
           "upload_documents", "upload_ready"]
