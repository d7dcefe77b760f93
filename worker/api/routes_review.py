"""Findings and what a reviewer does with them: list with filters, confirm, dismiss, reopen,
correct a value (then the runs holding the form are re-audited), and the page crop of a finding.
The rules of review live in `worker.review`; these routes only translate HTTP."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.findings import FormView
from audit.report import labels
from audit.report.crops import IMAGE_SUFFIXES, PDF_SUFFIXES, Cropper
from audit.report.html_detail import detail
from worker import review
from worker.api.auth import Caller, any_key, review_key
from worker.api.deps import session, settings_of, store_of
from worker.api.routes_documents import run_dict
from worker.store.blobs import blob_path
from worker.store.models import Document, FindingRow, FormRow, Run

router = APIRouter(tags=["review"])
CROPPABLE = PDF_SUFFIXES | IMAGE_SUFFIXES
LABELS = {
    "severity": labels.SEVERITY, "rule": {rule: labels.rule(rule) for rule in labels.RULES},
    "status": {"open": "待处理 Open", "confirmed": "已确认 Confirmed", "dismissed": "已驳回 Dismissed",
               "corrected": "已更正 Corrected"},
    "action": {"confirm": "确认 confirmed", "dismiss": "驳回 dismissed", "reopen": "重新打开 reopened",
               "correct": "更正 corrected"},
}


class Reason(BaseModel):
    reason: Optional[str] = Field(None, description="why (kept with the decision)")


class Dismissal(BaseModel):
    reason: str = Field(min_length=1, description="why the finding does not apply (required)")


class CorrectionIn(BaseModel):
    path: str = Field(description="FORMS.md path of the value, e.g. 'funds.rows.total.executed'")
    value: Any = Field(description="the right value; amounts, weights and scores are read as numbers")
    reason: str = Field(min_length=1, description="where the right value comes from (required)")


def _filters(run: Optional[int], severity: Optional[str], rule: Optional[str], department: Optional[str],
             status: Optional[str], db: Session) -> review.FindingFilter:
    """The filter asked for; no run given means the newest run (older runs repeat the same documents)."""
    return review.FindingFilter(run=run if run is not None else review.latest_run_id(db), severity=severity,
                                rule=rule, department=department, status=status)


@router.get("/api/findings", summary="Findings of a run (default: the newest) with filters")
def list_findings(run: Optional[int] = None, severity: Optional[str] = None, rule: Optional[str] = None,
                  department: Optional[str] = None, status: Optional[str] = None,
                  db: Session = Depends(session), _: Caller = Depends(any_key)) -> dict[str, Any]:
    filt = _filters(run, severity, rule, department, status, db)
    rows = review.list_findings(db, filt)
    return {"run": filt.run, "count": len(rows), "findings": [review.finding_dict(row) for row in rows]}


@router.get("/api/findings/{finding_id}", summary="One finding with its decisions")
def get_finding(finding_id: int, db: Session = Depends(session), _: Caller = Depends(any_key)) -> dict[str, Any]:
    return review.finding_dict(review.get_finding(db, finding_id))


@router.post("/api/findings/{finding_id}/confirm", summary="Confirm a finding (it stands)")
def confirm(finding_id: int, body: Optional[Reason] = None, db: Session = Depends(session),
            caller: Caller = Depends(review_key)) -> dict[str, Any]:
    return _decide(db, finding_id, "confirm", caller, body.reason if body else None)


@router.post("/api/findings/{finding_id}/dismiss", summary="Dismiss a finding; a reason is required")
def dismiss(finding_id: int, body: Dismissal, db: Session = Depends(session),
            caller: Caller = Depends(review_key)) -> dict[str, Any]:
    return _decide(db, finding_id, "dismiss", caller, body.reason)


@router.post("/api/findings/{finding_id}/reopen", summary="Reopen a confirmed, dismissed or corrected finding")
def reopen(finding_id: int, body: Optional[Reason] = None, db: Session = Depends(session),
           caller: Caller = Depends(review_key)) -> dict[str, Any]:
    return _decide(db, finding_id, "reopen", caller, body.reason if body else None)


def _decide(db: Session, finding_id: int, action: str, caller: Caller, why: Optional[str]) -> dict[str, Any]:
    row = review.decide(db, finding_id, action, caller.name, why)
    db.commit()
    return review.finding_dict(row)


@router.post("/api/forms/{form_id}/corrections", status_code=201,
             summary="Correct an extracted value; the runs holding the form are re-audited")
async def add_correction(form_id: int, body: CorrectionIn, request: Request,
                         caller: Caller = Depends(review_key)) -> dict[str, Any]:
    settings, store = settings_of(request), store_of(request)

    def record() -> tuple[dict[str, Any], list[int]]:
        with store.session() as db:
            correction = review.correct(db, form_id, body.path, body.value, caller.name, body.reason)
            db.commit()
            runs = review.runs_holding(db, review.get_form(db, form_id).document_id)
            return {"id": correction.id, "path": correction.path, "old_value": correction.old_value,
                    "new_value": correction.new_value}, runs

    correction, runs = await run_in_threadpool(record)
    from worker.jobs import audit_run  # here: the jobs module reaches the extractor; a correction needs only the audit

    for run_id in runs:
        await run_in_threadpool(audit_run, settings, run_id)
    with store.session() as db:
        findings = review.list_findings(db, review.FindingFilter(form=form_id))
        return {"correction": correction, "reaudited": [run_dict(db.get(Run, r)) for r in runs],
                "findings": [review.finding_dict(f) for f in findings]}


@router.get("/api/forms/{form_id}", summary="One form: FORMS.md JSON (corrections applied) and provenance")
def get_form(form_id: int, db: Session = Depends(session), _: Caller = Depends(any_key)) -> dict[str, Any]:
    form = review.get_form(db, form_id)
    return {"id": form.id, "document_id": form.document_id, "index": form.index, "form": form.data,
            "provenance": form.provenance}


@router.get("/api/forms/{form_id}/history", summary="A form's corrections, oldest first, with the old values")
def get_history(form_id: int, db: Session = Depends(session), _: Caller = Depends(any_key)) -> list[dict[str, Any]]:
    return review.history(db, form_id)


@router.get("/api/findings/{finding_id}/crop.png", response_class=Response,
            summary="The page around the finding's cell (PDF and image inputs), the cell framed in red")
def crop(finding_id: int, request: Request, db: Session = Depends(session), _: Caller = Depends(any_key)) -> Response:
    row = review.get_finding(db, finding_id)
    png = crop_png(db, row, store_of(request).data_dir)
    if png is None:
        raise HTTPException(404, f"finding {finding_id} has no page image (no position on a PDF or image page)")
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def crop_png(db: Session, row: FindingRow, data_dir: Path) -> Optional[bytes]:
    doc = db.get(Document, row.document_id) if row.document_id is not None else None
    if doc is None or doc.suffix not in CROPPABLE:
        return None
    with Cropper(max_crops=1) as cropper:
        return cropper.crop(str(blob_path(data_dir, doc)), row.data.get("page"), row.data.get("bbox"))


@router.get("/api/review", summary="What the review page shows: findings grouped by severity and department")
def review_data(request: Request, run: Optional[int] = None, severity: Optional[str] = None,
                rule: Optional[str] = None, department: Optional[str] = None, status: Optional[str] = None,
                db: Session = Depends(session), _: Caller = Depends(any_key)) -> dict[str, Any]:
    filt = _filters(run, severity, rule, department, status, db)
    everything = review.list_findings(db, review.FindingFilter(run=filt.run))
    shown = review.list_findings(db, filt)
    config = settings_of(request).audit
    forms: dict[int, Optional[FormRow]] = {}
    docs: dict[int, Optional[Document]] = {}

    def card(row: FindingRow) -> dict[str, Any]:
        form = forms.setdefault(row.form_id, db.get(FormRow, row.form_id)) if row.form_id else None
        doc = docs.setdefault(row.document_id, db.get(Document, row.document_id)) if row.document_id else None
        view = FormView(form.data, row.data.get("source"), config) if form is not None else None
        has_crop = doc is not None and doc.suffix in CROPPABLE and bool(row.data.get("bbox"))
        return {**review.finding_dict(row), "detail_html": detail(review.as_finding(row), view, None),
                "current": view.get(row.data["field"]) if view is not None and row.data.get("field") else None,
                "crop_url": f"/api/findings/{row.id}/crop.png" if has_crop else None}

    groups = review.group_findings(shown)
    for group in groups:
        for dept in group["departments"]:
            dept["findings"] = [card(row) for row in dept["findings"]]
    runs = db.scalars(select(Run).order_by(Run.id.desc()).limit(50))
    return {"run": filt.run, "runs": [{"id": r.id, "kind": r.kind, "day": r.day.isoformat() if r.day else None,
                                        "started_at": r.started_at.isoformat(), "status": r.status} for r in runs],
            "count": len(shown), "total": len(everything), "groups": groups,
            "labels": LABELS,
            "facets": {"rule": sorted({r.rule for r in everything}),
                       "department": sorted({review.nfkc(r.department) for r in everything if r.department}),
                       "severity": list(review.SEVERITIES), "status": list(review.STATUSES)}}
