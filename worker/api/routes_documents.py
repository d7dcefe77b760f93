"""Uploads, documents, their forms, and runs with their reports."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.api.auth import ANONYMOUS, Caller, any_key
from worker.api.deps import session, settings_of, store_of
from worker.api.upload_stream import FIELD, receive_file
from worker.ingest import ingest_file
from worker.store.models import FINAL, Document, FormRow, Run, Upload

router = APIRouter(tags=["documents"])
REPORT_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": [FIELD],
    "properties": {FIELD: {"type": "string", "format": "binary",
                           "description": "one document (.pdf .xlsx .docx .txt .png .jpg .tif) or a .zip of many"}}}}}}}


@router.post("/api/uploads", status_code=202, openapi_extra=UPLOAD_BODY,
             summary="Upload one file or a .zip archive; returns the upload with one item per file")
async def upload(request: Request, caller: Caller = Depends(any_key)) -> dict[str, Any]:
    settings, store = settings_of(request), store_of(request)
    received = await receive_file(request, settings.service.max_upload_mb * 1024 * 1024, store.data_dir / "tmp")
    key_name = None if caller.name == ANONYMOUS else caller.name
    try:
        upload_id = await run_in_threadpool(ingest_file, store, received.path, received.filename, "api",
                                            key_name, store.data_dir)
    finally:
        received.path.unlink(missing_ok=True)
    from worker.runner import submit  # here: the runner reaches the extractor; the API needs it only to hand over

    await run_in_threadpool(submit, settings, upload_id)
    request.app.state.metrics.uploads.inc()
    with store.session() as opened:
        return upload_dict(opened, upload_id)


@router.get("/api/uploads/{upload_id}", summary="An upload's items, their documents' progress, and its run")
def get_upload(upload_id: int, db: Session = Depends(session), _: Caller = Depends(any_key)) -> dict[str, Any]:
    return upload_dict(db, upload_id)


@router.get("/api/documents/{document_id}", summary="A document's status, kind, progress and errors")
def get_document(document_id: int, db: Session = Depends(session), _: Caller = Depends(any_key)) -> dict[str, Any]:
    return document_dict(_document(db, document_id))


@router.get("/api/documents/{document_id}/forms",
            summary="The document's forms as FORMS.md JSON, reviewers' corrections applied")
def get_forms(document_id: int, db: Session = Depends(session), _: Caller = Depends(any_key)) -> dict[str, Any]:
    doc = _document(db, document_id)
    return {
        "document_id": doc.id, "source": doc.original_name, "sha256": doc.sha256, "input_kind": doc.kind,
        "pages": doc.pages_total, "status": doc.status, "errors": doc.errors, "warnings": doc.warnings,
        "tables": doc.tables or [], "forms": [form.data for form in doc.forms],
        "form_rows": [form_row_dict(form) for form in doc.forms],
    }


@router.get("/api/runs", summary="Audit runs, newest first")
def list_runs(limit: int = 50, db: Session = Depends(session), _: Caller = Depends(any_key)) -> list[dict[str, Any]]:
    runs = db.scalars(select(Run).order_by(Run.id.desc()).limit(max(1, min(limit, 500))))
    return [run_dict(run) for run in runs]


@router.get("/api/runs/{run_id}", summary="One audit run: status, totals, messages, report links")
def get_run(run_id: int, db: Session = Depends(session), _: Caller = Depends(any_key)) -> dict[str, Any]:
    return run_dict(_run(db, run_id))


@router.get("/api/runs/{run_id}/report.{fmt}", summary="A run's report: json, html or xlsx",
            response_class=FileResponse)
def get_report(run_id: int, fmt: str, db: Session = Depends(session), _: Caller = Depends(any_key)) -> FileResponse:
    if fmt not in REPORT_TYPES:
        raise HTTPException(404, f"no report.{fmt}: reports are {', '.join('report.' + f for f in REPORT_TYPES)}")
    run = _run(db, run_id)
    path = report_file(run, fmt)
    if path is None:
        raise HTTPException(404, f"run {run_id} has no {fmt} report yet (status {run.status})")
    return FileResponse(path, media_type=REPORT_TYPES[fmt], filename=f"run-{run_id}-{path.name}")


def report_file(run: Run, fmt: str) -> Optional[Path]:
    """The run's report of that type (nightly runs name theirs by date, so go by suffix)."""
    if not run.report_dir:
        return None
    found = sorted(Path(run.report_dir).glob(f"*.{fmt}"))
    return found[0] if found else None


def upload_dict(db: Session, upload_id: int) -> dict[str, Any]:
    upload = db.get(Upload, upload_id)
    if upload is None:
        raise HTTPException(404, f"no upload {upload_id}")
    items, documents = [], {}  # an archive may hold the same bytes twice: one document
    for item in upload.items:
        doc = db.get(Document, item.document_id) if item.document_id is not None else None
        if doc is not None:
            documents[doc.id] = doc
        items.append({"name": item.name, "document_id": item.document_id, "error_code": item.error_code,
                      "error_message": item.error_message, "status": doc.status if doc else "refused",
                      "pages_done": doc.pages_done if doc else None, "pages_total": doc.pages_total if doc else None})
    run = db.scalar(select(Run).where(Run.upload_id == upload.id))
    return {"id": upload.id, "filename": upload.filename, "received_at": upload.received_at.isoformat(),
            "origin": upload.origin, "api_key": upload.api_key, "items": items,
            "ready": all(doc.status in FINAL for doc in documents.values()),
            "run": run_dict(run) if run is not None else None}


def document_dict(doc: Document) -> dict[str, Any]:
    return {"id": doc.id, "name": doc.original_name, "sha256": doc.sha256, "kind": doc.kind, "status": doc.status,
            "pages_done": doc.pages_done, "pages_total": doc.pages_total, "errors": doc.errors,
            "warnings": doc.warnings, "forms": len(doc.forms), "received_at": doc.received_at.isoformat(),
            "updated_at": doc.updated_at.isoformat()}


def form_row_dict(form: FormRow) -> dict[str, Any]:
    return {"id": form.id, "document_id": form.document_id, "index": form.index, "kind": form.kind,
            "department": form.department, "project": form.project, "provenance": form.provenance}


def run_dict(run: Run) -> dict[str, Any]:
    reports = {fmt: f"/api/runs/{run.id}/report.{fmt}" for fmt in REPORT_TYPES if report_file(run, fmt) is not None}
    return {"id": run.id, "kind": run.kind, "upload_id": run.upload_id, "day": run.day.isoformat() if run.day else None,
            "status": run.status, "document_ids": run.document_ids, "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None, "totals": run.totals,
            "messages": run.messages, "reports": reports}


def _document(db: Session, document_id: int) -> Document:
    doc = db.get(Document, document_id)
    if doc is None:
        raise HTTPException(404, f"no document {document_id}")
    return doc


def _run(db: Session, run_id: int) -> Run:
    run = db.get(Run, run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    return run
