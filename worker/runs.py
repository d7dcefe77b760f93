"""Audits of stored batches: a run's documents, read from the store (corrections applied), audited
as one batch; the findings stored by key; the run's reports written under the data directory.

A finding's `key` names it apart from the run's numbering: the rule, the document's sha256, the
form's index in it, the field, indicator and project. A re-audit (after a reviewer corrected a
value, or a step redelivered) replaces the run's findings: a finding whose key survives keeps its
row, its review status and its decisions; one that is gone is deleted (its decisions stay, by key);
a new one is open.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from audit.engine import AuditRun, audit_results
from audit.findings import Finding
from audit.report import write_reports
from audit.report.crops import Cropper
from audit.report.html_report import render_html
from audit.report.json_report import totals
from extractor.model import ErrorItem
from extractor.pipeline import ExtractResult, extraction_status
from worker.settings import Settings
from worker.store.blobs import blob_path
from worker.store.db import insert_or_ignore, store_for
from worker.store.models import Document, FindingRow, FormRow, Run, UploadItem

RUN_KINDS = ("upload", "nightly", "cli")
REPORTS = {"json": "findings.json", "html": "report.html", "xlsx": "report.xlsx"}


def audit_documents(settings: Settings, document_ids: Sequence[int], kind: str, day: Optional[date] = None,
                    upload_id: Optional[int] = None) -> int:
    """Audit the documents as one batch; the run's id. A nightly `day`, or an `upload_id`, has one
    run: asked again, the existing run is returned (audited first if it never finished)."""
    if kind not in RUN_KINDS:
        raise ValueError(f"kind must be one of {RUN_KINDS}, not {kind!r}")
    store = store_for(settings.service)
    with store.session() as session, session.begin():
        values = {"kind": kind, "day": day, "upload_id": upload_id, "status": "pending",
                  "document_ids": list(document_ids), "totals": {}, "messages": []}
        if day is None and upload_id is None:
            run = Run(**values)
            session.add(run)
            session.flush()
            run_id, status = run.id, run.status
        else:
            unique = ["day"] if day is not None else ["upload_id"]
            insert_or_ignore(session, Run, values, unique)
            found = Run.day == day if day is not None else Run.upload_id == upload_id
            run_id, status = session.execute(select(Run.id, Run.status).where(found)).one()
    if status != "done":
        audit_run(settings, run_id)
    return run_id


def audit_upload(settings: Settings, upload_id: int) -> int:
    """Audit an upload's documents as one batch (its one run); the run's id."""
    return audit_documents(settings, upload_documents(settings, upload_id), "upload", upload_id=upload_id)


def upload_documents(settings: Settings, upload_id: int) -> list[int]:
    """The distinct documents of an upload, in the order its items arrived."""
    with store_for(settings.service).session() as session:
        ids = session.scalars(select(UploadItem.document_id).where(
            UploadItem.upload_id == upload_id, UploadItem.document_id.is_not(None)).order_by(UploadItem.id))
        return list(dict.fromkeys(ids))


def audit_run(settings: Settings, run_id: int) -> None:
    """(Re-)audit a run's batch from the stored forms, replace its findings by key and write its
    reports to `<data_dir>/reports/<run-N | nightly-YYYY-MM-DD>/`."""
    store = store_for(settings.service)
    with store.session() as session, session.begin():
        # First statement a write: it locks the run, so two audits of one run take turns.
        session.execute(update(Run).where(Run.id == run_id).values(status="running"))
        run = session.get(Run, run_id)
        if run is None:
            raise LookupError(f"no run {run_id} in the store")
        results, forms, docs = _batch(session, run)
        audit = audit_results(results, settings.audit)
        _store_findings(session, run, audit, forms, docs)
        run.totals, run.messages = totals(audit.findings), list(audit.messages)
        folder = store.data_dir / "reports" / (f"nightly-{run.day.isoformat()}" if run.day else f"run-{run.id}")
        blobs = {doc.original_name: blob_path(store.data_dir, doc) for doc in docs}
    # Reports (page crops take a while) are written with no lock held: SQLite has one writer at a time.
    _write_reports(audit, folder, blobs)
    with store.session() as session, session.begin():
        session.execute(update(Run).where(Run.id == run_id).values(
            status="done", finished_at=datetime.now(timezone.utc), report_dir=str(folder)))


def stored_result(doc: Document, forms: list[dict[str, Any]], tables: list[dict[str, Any]]) -> dict[str, Any]:
    """FORMS.md JSON (`extract` output) of a stored document with these forms and tables."""
    return {
        "source": doc.original_name, "sha256": doc.sha256, "input_kind": doc.kind, "pages": doc.pages_total or 0,
        "tables": tables, "forms": forms, "warnings": list(doc.warnings or []),
        "status": extraction_status(bool(forms), bool(doc.errors)), "errors": list(doc.errors or []),
    }


def refused_result(item: UploadItem) -> dict[str, Any]:
    """FORMS.md JSON of a file refused on arrival (an archive member that climbs out, a zip bomb…)."""
    return ExtractResult(source=item.name, errors=[ErrorItem(item.error_code or "REFUSED", item.error_message or "")]).to_dict()


def finding_key(rule: str, sha256: Optional[str], form_index: Optional[int], field: Optional[str],
                indicator: Optional[str], project: Optional[str], occurrence: int = 0) -> str:
    """A finding's stable name (64 hex digits); `occurrence` tells apart findings equal in all the rest."""
    parts = [rule, sha256, form_index, field, indicator, project] + ([occurrence] if occurrence else [])
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


class BlobCropper(Cropper):
    """Crops for findings whose `source` is a stored document's name: read from its blob."""

    def __init__(self, paths: dict[str, Path], max_crops: int = 500) -> None:
        super().__init__(max_crops)
        self.paths = paths

    def crop(self, source: Optional[str], page: Optional[int], bbox: Optional[Sequence[float]]) -> Optional[bytes]:
        path = self.paths.get(source or "")
        return super().crop(str(path), page, bbox) if path is not None else None


def _batch(session: Session, run: Run) -> tuple[list[dict[str, Any]], list[FormRow], list[Document]]:
    """The run's results in order, every form row in the order the audit numbers forms, the documents.
    An upload's run lists its refused files too, as failed results naming the refusal."""
    if run.upload_id is not None:
        items = list(session.scalars(select(UploadItem).where(UploadItem.upload_id == run.upload_id).order_by(UploadItem.id)))
    else:
        items = [UploadItem(document_id=i) for i in run.document_ids]
    ids = [i.document_id for i in items if i.document_id is not None]
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
    rows: dict[int, list[FormRow]] = {}
    for row in session.scalars(select(FormRow).where(FormRow.document_id.in_(ids)).order_by(FormRow.index)):
        rows.setdefault(row.document_id, []).append(row)
    results: list[dict[str, Any]] = []
    forms: list[FormRow] = []
    seen: set[int] = set()
    for item in items:
        if item.document_id is None:
            results.append(refused_result(item))
        elif item.document_id not in seen and item.document_id in docs:
            seen.add(item.document_id)
            doc = docs[item.document_id]
            results.append(stored_result(doc, [r.data for r in rows.get(doc.id, [])], doc.tables or []))
            forms.extend(rows.get(doc.id, []))
    return results, forms, [docs[i] for i in dict.fromkeys(ids) if i in docs]


def _store_findings(session: Session, run: Run, audit: AuditRun, forms: list[FormRow], docs: list[Document]) -> None:
    by_name = {d.original_name: d for d in reversed(docs)}  # the first document of a name wins
    by_id = {d.id: d for d in docs}
    existing = {row.key: row for row in session.scalars(select(FindingRow).where(FindingRow.run_id == run.id))}
    kept: set[str] = set()
    found = [(f, None) for f in audit.findings] + [(f, s.reason) for f, s in audit.suppressed]
    for finding, suppressed in found:
        form = forms[finding.form] if finding.form is not None else None
        doc = by_id.get(form.document_id) if form is not None else by_name.get(finding.source or "")
        key = _unique_key(finding, doc, form, kept)
        kept.add(key)
        row = existing.pop(key, None)
        if row is None:
            row = FindingRow(run_id=run.id, key=key, status="open")
            session.add(row)
        row.form_id, row.document_id = (form.id if form else None), (doc.id if doc else None)
        row.rule, row.severity, row.data, row.suppressed = finding.rule, finding.severity, finding.to_dict(), suppressed
        row.department = finding.department[:512] if finding.department else None
    for gone in existing.values():
        session.delete(gone)


def _unique_key(finding: Finding, doc: Optional[Document], form: Optional[FormRow], taken: set[str]) -> str:
    occurrence = 0
    while True:
        key = finding_key(finding.rule, doc.sha256 if doc else finding.source, form.index if form else None,
                          finding.field, finding.indicator, finding.project, occurrence)
        if key not in taken:
            return key
        occurrence += 1


def _write_reports(audit: AuditRun, folder: Path, blobs: dict[str, Path]) -> None:
    """Each report written beside its place and renamed: two audits of one run never mix their files."""
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".writing-", dir=folder))
    try:
        write_reports(audit, json=work / REPORTS["json"], xlsx=work / REPORTS["xlsx"])
        with open(work / REPORTS["html"], "w", encoding="utf-8") as out, BlobCropper(blobs) as cropper:
            render_html(audit, out, cropper)
        for name in REPORTS.values():
            os.replace(work / name, folder / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
