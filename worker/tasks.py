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
jitter; a task whose pool process died runs again (`retry_on_worker_lost`). A page or split task
that fails for good (time limit, too many deaths, a bug) stores its page or document as failed
with the reason and lets the pipeline go on (`_give_up`).

Beat's nightly task takes the inbox, fans its files out to the same page tasks, and a follow-up
task audits the night's batch (`worker.nightly`) once they are read. `worker.jobs` is imported
inside the tasks: the API process imports this module to send tasks, and must not load the
extractor's OpenCV and ONNX.
"""
from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, Optional

import kombu.exceptions
import redis.exceptions
import sqlalchemy.exc
from celery import group
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded, WorkerLostError
from celery.signals import task_failure

from extractor.model import ErrorItem
from worker.celery_app import NIGHTLY_TASK, app, configure, current_settings
from worker.settings import Settings

log = logging.getLogger(__name__)

TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, kombu.exceptions.OperationalError,
             sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, ConnectionError, TimeoutError)
MAX_RETRIES = 8
# A task whose pool process died (killed, out of memory, a crash in native code) runs again, at
# most MAX_RETRIES times: a page that kills every process reading it then fails on its own,
# instead of being requeued for ever.
RETRY: dict[str, Any] = {"autoretry_for": TRANSIENT, "retry_backoff": 2, "retry_backoff_max": 60,
                         "retry_jitter": True, "max_retries": MAX_RETRIES, "retry_on_worker_lost": True,
                         "default_retry_delay": 2}
NIGHTLY_POLL_S = 5  # how often the nightly run looks whether the inbox's files are read
NIGHTLY_POLLS = 6 * 3600 // NIGHTLY_POLL_S  # then, after 6 hours, it audits what is read


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
def split(upload_id: Optional[int], document_id: int) -> None:
    """Read the document's page list and send one task per page still to read."""
    from worker import jobs

    settings = current_settings()
    numbers = jobs.split_document(settings, document_id)
    if numbers:
        group(page.s(upload_id, document_id, n) for n in numbers).apply_async()
    else:  # nothing left to read (a rerun after every page was done, or a file with no page)
        _after_pages(settings, upload_id, document_id)


@app.task(name="formaudit.page", **RETRY)
def page(upload_id: Optional[int], document_id: int, number: int) -> None:
    """Read one page without text (rasterise, clean up, OCR), then try the steps after it."""
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
def nightly_audit(day: Optional[str] = None) -> None:
    """Beat's nightly task: take the inbox into the store and fan its files out to the page tasks
    like an upload's (their uploads are not audited apart), then audit the night's batch once
    every document unread at this moment is read. `day`: ISO date, default today (local time)."""
    from worker import jobs
    from worker.nightly import finished_run, take_inbox, unread_documents

    settings = current_settings()
    when = day or datetime.now().date().isoformat()
    if finished_run(settings, date.fromisoformat(when)) is not None:
        return  # beat fired twice: the inbox waits for the next night, as `nightly_audit` leaves it
    for upload_id in take_inbox(settings):
        for document_id in jobs.unprocessed_documents(settings, upload_id):
            split.delay(None, document_id)
    # Uploads still being read are waited for too: the night's audit reads anything unread itself,
    # in one task, which would read their pages a second time beside their own page tasks.
    nightly_finish.delay(when, unread_documents(settings))


@app.task(name="formaudit.nightly_finish", bind=True, **RETRY)
def nightly_finish(self: Any, day: str, document_ids: list[int]) -> int:
    """The night's run (unique per day: beat firing twice, or this task redelivered, makes one
    run) once `document_ids` are read; after NIGHTLY_POLLS looks (6 hours) it audits what is read
    by then (`worker.nightly.nightly_audit` reads anything still unread itself)."""
    from worker.nightly import nightly_audit as run_nightly, unread_documents

    settings = current_settings()
    if unread_documents(settings, document_ids) and self.request.retries < NIGHTLY_POLLS:
        # soon at first (the inbox is often a few small files), then every NIGHTLY_POLL_S
        raise self.retry(countdown=min(NIGHTLY_POLL_S, 1 + self.request.retries), max_retries=NIGHTLY_POLLS)
    return run_nightly(settings, date.fromisoformat(day))


def _after_pages(settings: Settings, upload_id: Optional[int], document_id: int) -> None:
    from worker import jobs

    jobs.assemble_document(settings, document_id)  # does nothing until every page is done
    _audit_if_ready(settings, upload_id)


def _audit_if_ready(settings: Settings, upload_id: Optional[int]) -> None:
    from worker import jobs

    if upload_id is not None and jobs.upload_ready(settings, upload_id):
        audit_upload.delay(upload_id)


@task_failure.connect
def _give_up(sender: Any = None, exception: Optional[BaseException] = None, args: Any = (), **_: Any) -> None:
    """A page or split task that failed for good (time limit, its process died MAX_RETRIES + 1
    times, an error that is not transient) stores its page or document as failed with the reason,
    and the pipeline goes on: one bad page never leaves its upload waiting for ever. Runs in the
    pool process, or in the worker's main process when the pool process is gone."""
    name = getattr(sender, "name", None)
    if name not in (page.name, split.name) or len(args) < 2:
        return
    from worker import jobs

    settings = current_settings()
    upload_id, document_id = args[0], int(args[1])
    try:
        if name == page.name:
            number = int(args[2])
            jobs.fail_page(settings, document_id, number, _failure(f"page {number}", exception, settings, number))
            _after_pages(settings, upload_id, document_id)
        else:
            jobs.fail_document(settings, document_id, _failure("the file", exception, settings))
            _audit_if_ready(settings, upload_id)
    except Exception:  # the store or the broker is gone too: the page stays pending, named in the log
        log.exception("formaudit: could not record the failure of %s%s", name, tuple(args))


def _failure(what: str, exc: Optional[BaseException], settings: Settings, number: Optional[int] = None) -> ErrorItem:
    """The error item of a task that gave up, its reason in words."""
    service = settings.service
    if isinstance(exc, (SoftTimeLimitExceeded, TimeLimitExceeded)):
        reason = f"reading it took longer than the time limit ({service.task_soft_limit_s} s, hard {service.hard_limit_s} s)"
    elif isinstance(exc, WorkerLostError):
        reason = f"the worker process reading it died {MAX_RETRIES + 1} times ({exc})"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return ErrorItem("PAGE_FAILED" if number else "DOCUMENT_FAILED", f"{what} could not be read: {reason}", number)
