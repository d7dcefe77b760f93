"""The pipeline's steps over the store: the same extraction as `extract_file`, idempotent steps,
audits whose findings keep their review status by key, one run per upload."""
from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import func, select

from audit.engine import audit_results
from extractor.pipeline import extract_file
from tests.conftest import REPO, seed
from tests.service_support import database_url, make_settings, pg_database, service_settings  # noqa: F401
from worker import jobs
from worker.ingest import ingest_file
from worker.store.db import close_stores, store_for
from worker.store.models import Document, FindingRow, FormRow, PageRow, Run

DOCS = sorted((REPO / "samples" / "docs").iterdir())
SCAN = REPO / "samples" / "scans" / "ningbo-2023.p2.clean.png"


@pytest.fixture()
def settings(service_settings):
    yield service_settings
    close_stores()


def _ingest(settings, path, name=None):
    return ingest_file(store_for(settings.service), path, name or path.name, "cli", None)


def _process(settings, upload_id):
    for document_id in jobs.unprocessed_documents(settings, upload_id):
        jobs.process_document(settings, document_id)


def _doc_ids(settings, upload_id):
    return {store_for(settings.service).session().get(Document, i).original_name: i
            for i in jobs.upload_documents(settings, upload_id)}


def test_stored_extraction_equals_extract_file(settings, database_url, tmp_path):
    docs = DOCS if database_url is None else [REPO / "samples" / "docs" / "shanghai-2023.pdf"]  # every kind once is enough
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in docs:
            zf.write(path, f"docs/{path.name}")
    upload_id = _ingest(settings, archive)
    _process(settings, upload_id)
    assert jobs.upload_ready(settings, upload_id)
    ids = _doc_ids(settings, upload_id)
    assert len(ids) == len(docs)
    for path in docs:
        expected = extract_file(path, source=f"docs.zip!docs/{path.name}").to_dict()
        got = jobs.document_result(settings, ids[expected["source"]], cells=True)
        assert got == json.loads(json.dumps(expected, ensure_ascii=False)), path.name
        with store_for(settings.service).session() as s:
            doc = s.get(Document, ids[expected["source"]])
            assert (doc.status, doc.pages_done, doc.pages_total) == ("done", expected["pages"], expected["pages"])
            assert [f.provenance for f in doc.forms] == [
                {"source": expected["source"], "sha256": expected["sha256"], "pages": f["pages"],
                 "input_kind": expected["input_kind"]} for f in expected["forms"]]


@pytest.mark.ocr
def test_a_scanned_page_is_a_page_task(tmp_path):
    settings = make_settings(tmp_path / "data")
    try:
        upload_id = _ingest(settings, SCAN)
        (document_id,) = jobs.upload_documents(settings, upload_id)
        assert jobs.split_document(settings, document_id) == [1]
        assert not jobs.assemble_document(settings, document_id)  # the page is not read yet
        jobs.process_page(settings, document_id, 1)
        jobs.process_page(settings, document_id, 1)  # redelivered: nothing more
        assert jobs.assemble_document(settings, document_id)
        expected = extract_file(SCAN).to_dict()
        got = jobs.document_result(settings, document_id, cells=True)
        assert got["forms"] == json.loads(json.dumps(expected["forms"], ensure_ascii=False))
        assert (got["status"], got["input_kind"], got["errors"]) == (expected["status"], "image", expected["errors"])
        with store_for(settings.service).session() as s:
            page = s.scalars(select(PageRow)).one()
            assert (page.status, page.attempts, page.needs_scan) == ("done", 1, True)
    finally:
        close_stores()


def test_steps_run_twice_leave_one_set_of_rows(settings):
    path = REPO / "samples" / "docs" / "ningbo-targets-2023.pdf"  # text pages only
    upload_id = _ingest(settings, path)
    (document_id,) = jobs.upload_documents(settings, upload_id)
    for _ in range(2):
        assert jobs.split_document(settings, document_id) == []  # text pages are read while splitting
        jobs.process_page(settings, document_id, 1)
        assert jobs.assemble_document(settings, document_id)
    with store_for(settings.service).session() as s:
        pages = s.get(Document, document_id).pages_total
        assert pages > 1 and s.scalar(select(func.count(PageRow.id))) == s.get(Document, document_id).pages_done == pages
        assert s.scalar(select(func.count(FormRow.id))) == len(extract_file(path).forms)


def test_an_unreadable_file_fails_with_its_reason(settings, tmp_path):
    bad = tmp_path / "truncated.pdf"
    bad.write_bytes((REPO / "samples" / "docs" / "ningbo-targets-2023.pdf").read_bytes()[:300])
    upload_id = _ingest(settings, bad)
    _process(settings, upload_id)
    (document_id,) = jobs.upload_documents(settings, upload_id)
    result = jobs.document_result(settings, document_id)
    assert result == json.loads(json.dumps(extract_file(bad, source="truncated.pdf").to_dict()))
    assert result["status"] == "failed" and result["errors"][0]["code"] == "CORRUPT_FILE"
    assert jobs.upload_ready(settings, upload_id)


def test_upload_audit_keeps_review_status_by_key(settings, tmp_path):
    archive = tmp_path / "seeds.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(seed("000"), "000.txt")
        zf.write(seed("001"), "001.txt")
        zf.writestr("../x", "no")
    upload_id = _ingest(settings, archive)
    _process(settings, upload_id)
    run_id = jobs.audit_upload(settings, upload_id)
    assert jobs.audit_upload(settings, upload_id) == run_id  # one run per upload
    expected = audit_results([extract_file(seed("000"), "seeds.zip!000.txt").to_dict(),
                              extract_file(seed("001"), "seeds.zip!001.txt").to_dict()])
    store = store_for(settings.service)
    with store.session() as s:
        run = s.get(Run, run_id)
        rows = list(s.scalars(select(FindingRow).where(FindingRow.run_id == run_id).order_by(FindingRow.id)))
        assert [r.data for r in rows] == [f.to_dict() for f in expected.findings]
        assert len({r.key for r in rows}) == len(rows) and all(r.status == "open" for r in rows)
        assert "seeds.zip!../x: UNSAFE_PATH: the member's path leads outside the archive; refused" in run.messages
        report = json.loads((store.data_dir / "reports" / f"run-{run_id}" / "findings.json").read_text(encoding="utf-8"))
        assert report["files"] == 3 and len(report["findings"]) == len(rows)
        assert (store.data_dir / "reports" / f"run-{run_id}" / "report.html").stat().st_size > 0
    target = next(r for r in rows if r.rule == "FUNDS_SUBTOTAL" or r.form_id is not None)
    other = next(r for r in rows if r.form_id is not None and r.form_id != target.form_id)
    with store.session() as s, s.begin():
        s.get(FindingRow, other.id).status = "dismissed"
        s.delete(s.get(FormRow, target.form_id))  # the form is gone: its findings go with the re-audit
    jobs.audit_run(settings, run_id)
    with store.session() as s:
        after = {r.key: r for r in s.scalars(select(FindingRow).where(FindingRow.run_id == run_id))}
        assert after[other.key].status == "dismissed" and after[other.key].id == other.id
        assert target.key not in after and len(after) < len(rows)


def test_a_page_given_up_on_is_stored_failed_and_the_rest_assembled(settings):
    from extractor.model import ErrorItem

    upload_id = _ingest(settings, SCAN)
    (document_id,) = jobs.upload_documents(settings, upload_id)
    assert jobs.split_document(settings, document_id) == [1]
    error = ErrorItem("PAGE_FAILED", "page 1 could not be read: the time limit passed", 1)
    jobs.fail_page(settings, document_id, 1, error)
    jobs.fail_page(settings, document_id, 1, ErrorItem("PAGE_FAILED", "again", 1))  # the first word stays
    assert jobs.assemble_document(settings, document_id)
    result = jobs.document_result(settings, document_id)
    assert result["status"] == "failed" and result["errors"] == [error.to_dict()]
    with store_for(settings.service).session() as s:
        assert (s.get(Document, document_id).pages_done, s.get(Document, document_id).status) == (1, "failed")
    other = _ingest(settings, seed("001"))
    (doc_id,) = jobs.upload_documents(settings, other)
    jobs.fail_document(settings, doc_id, ErrorItem("DOCUMENT_FAILED", "the file could not be read: boom"))
    assert jobs.document_result(settings, doc_id)["errors"][0]["code"] == "DOCUMENT_FAILED"
    assert jobs.upload_ready(settings, other)


def test_run_report_crops_come_from_the_blobs(tmp_path):
    from worker.runner import run_upload

    settings = make_settings(tmp_path / "data")
    try:
        pdf = REPO / "samples" / "docs" / "shanghai-2023.pdf"
        run_id = run_upload(settings, _ingest(settings, pdf, "uploaded/shanghai.pdf"))  # the name is no path on disk
        html = (tmp_path / "data" / "reports" / f"run-{run_id}" / "report.html").read_text(encoding="utf-8")
        assert "uploaded/shanghai.pdf" in html and "data:image/png;base64," in html
    finally:
        close_stores()
