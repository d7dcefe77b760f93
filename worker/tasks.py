"""The pipeline as Celery tasks: thin wrappers over the idempotent steps of `worker.jobs`, taking
ids, never file contents (the bytes are in the blob store every worker reads).

    submit_upload(upload_id) ─► start_upload(upload)
        └─► split(upload, document) per document not yet processed
              └─► page(upload, document, n) per page, fanned out across workers
                    └─► after its page: assemble the document if every page is done (the job
                        checks atomically), then, if every document of the upload is done or
                        failed, audit_upload(upload) ─► a run with its findings and reports

There is no chord: a chord's counter dies with the worker that holds it. Instead every page task
tries the next steps itself, and each step decides from the store whether there is anything to do,
so a page redelivered after a crash, or run twice, leaves the same rows. The audit of an upload is
one run however many page tasks see the upload ready at once (`jobs.audit_upload` finds or creates
the upload's run).

Transient errors (the broker or the database going away) are retried with exponential backoff and
jitter. `worker.jobs` is imported inside the tasks: the API process imports this module to send
tasks, and must not load the extractor's OpenCV and ONNX.
"""
from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, Optional

import kombu.exceptions
import redis.exceptions
import sqlalchemy.exc
from celery import group

from worker.celery_app import NIGHTLY_TASK, app, configure, current_settings
from worker.settings import Settings

log = logging.getLogger(__name__)

TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, kombu.exceptions.OperationalError,
             sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, ConnectionError, TimeoutError)
RETRY: dict[str, Any] = {"autoretry_for": TRANSIENT, "retry_backoff": 2, "retry_backoff_max": 60,
                         "retry_jitter": True, "max_retries": 8}


def submit_upload(upload_id: int, settings: Optional[Settings] = None) -> None:
    """Queue the processing and audit of an upload (what `worker.runner.submit` calls when
    `redis_url` is set). `settings`: the caller's, whose broker is used; None: the environment's."""
    if settings is not None:
        configure(settings)
    else:
        current_settings()
    start_upload.delay(upload_id)


@app.task(name="formaudit.start_upload", **RETRY)
def start_upload(upload_id: int) -> None:
    """Split every document of the upload that is not yet processed; audit at once when there is none
    (every file was refused, or each was already processed for an earlier upload)."""
    from worker import jobs

    settings = current_settings()
    pending = jobs.unprocessed_documents(settings, upload_id)
    for document_id in pending:
        split.delay(upload_id, document_id)
    if not pending:
        _audit_if_ready(settings, upload_id)


@app.task(name="formaudit.split", **RETRY)
def split(upload_id: int, document_id: int) -> None:
    """Read the document's page list and send one task per page still to read."""
    from worker import jobs

    settings = current_settings()
    numbers = jobs.split_document(settings, document_id)
    if numbers:
        group(page.s(upload_id, document_id, n) for n in numbers).apply_async()
    else:  # nothing left to read (a rerun after every page was done, or a file with no page)
        _after_pages(settings, upload_id, document_id)


@app.task(name="formaudit.page", **RETRY)
def page(upload_id: int, document_id: int, number: int) -> None:
    """Read one page (text layer, or rasterise and OCR), then try the steps after it."""
    from worker import jobs

    settings = current_settings()
    jobs.process_page(settings, document_id, number)
    _after_pages(settings, upload_id, document_id)


@app.task(name="formaudit.audit_upload", **RETRY)
def audit_upload(upload_id: int) -> None:
    """Audit the upload's documents as one batch and write the run's reports."""
    from worker import jobs

    jobs.audit_upload(current_settings(), upload_id)


@app.task(name=NIGHTLY_TASK, **RETRY)
def nightly_audit(day: Optional[str] = None) -> int:
    """The nightly batch of `day` (ISO date; default: today, local time); the run's id. Unique
    per day, so beat firing twice, or this task redelivered, makes one run."""
    from worker.nightly import nightly_audit as run_nightly

    when = date.fromisoformat(day) if day else datetime.now().date()
    return run_nightly(current_settings(), when)


def _after_pages(settings: Settings, upload_id: int, document_id: int) -> None:
    from worker import jobs

    jobs.assemble_document(settings, document_id)  # does nothing until every page is done
    _audit_if_ready(settings, upload_id)


def _audit_if_ready(settings: Settings, upload_id: int) -> None:
    from worker import jobs

    if jobs.upload_ready(settings, upload_id):
        audit_upload.delay(upload_id)
