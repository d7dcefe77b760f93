"""Hands an upload to whatever runs the pipeline: Celery workers when `redis_url` is set, else the
embedded pipeline (no broker), which runs the same steps of `worker.jobs` one after the other.

Embedded, `submit` runs them in a child process started with `spawn` and returns at once: the API
process must stay responsive and never load OpenCV or ONNX (a fresh interpreter, not a fork of a
process with threads and open connections). `submit(..., wait=True)` (the `run` command) runs them
in this process, or with Celery waits for the upload's run. This module imports nothing heavy at
load time: the API imports it.
"""
from __future__ import annotations

import logging
import multiprocessing
import time
from typing import Callable, Optional

from worker.settings import Settings

log = logging.getLogger(__name__)
POLL_S = 0.5


def submit(settings: Settings, upload_id: int, wait: bool = False,
           progress: Optional[Callable[[int, int], None]] = None) -> None:
    """Process and audit the upload (its one run). `wait`: return once its run is written;
    `progress(documents done, documents)` is called on the way."""
    if settings.service.redis_url:
        from worker.tasks import submit_upload

        submit_upload(upload_id, settings)
        if wait:
            wait_for_run(settings, upload_id, progress)
    elif wait:
        run_upload(settings, upload_id, progress)
    else:
        multiprocessing.active_children()  # reaps the children that have finished
        child = multiprocessing.get_context("spawn").Process(
            target=_child, args=(settings, upload_id), name=f"formaudit-upload-{upload_id}", daemon=False)
        child.start()


def resume(settings: Settings) -> list[int]:
    """Submit again every API upload whose run was never written (the process that had it stopped);
    the uploads' ids. For `serve` at start with the embedded pipeline: Celery redelivers by itself."""
    from sqlalchemy import select

    from worker.store.db import store_for
    from worker.store.models import Run, Upload

    with store_for(settings.service).session() as session:
        done = select(Run.upload_id).where(Run.upload_id.is_not(None), Run.status == "done")
        unfinished = list(session.scalars(select(Upload.id).where(Upload.origin == "api", Upload.id.not_in(done))
                                          .order_by(Upload.id)))
    for upload_id in unfinished:
        submit(settings, upload_id)
    return unfinished


def run_upload(settings: Settings, upload_id: int, progress: Optional[Callable[[int, int], None]] = None) -> int:
    """Every step of the upload here and now; the id of its run."""
    from worker import jobs

    pending = jobs.unprocessed_documents(settings, upload_id)
    for n, document_id in enumerate(pending, 1):
        jobs.process_document(settings, document_id)
        if progress is not None:
            progress(n, len(pending))
    return jobs.audit_upload(settings, upload_id)


def wait_for_run(settings: Settings, upload_id: int, progress: Optional[Callable[[int, int], None]] = None,
                 timeout_s: Optional[float] = None) -> int:
    """The id of the upload's run once it is written (by Celery workers); TimeoutError past `timeout_s`."""
    from sqlalchemy import select

    from worker.runs import upload_documents
    from worker.store.db import store_for
    from worker.store.models import FINAL, Document, Run

    store = store_for(settings.service)
    ids = upload_documents(settings, upload_id)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    said = -1
    while True:
        with store.session() as session:
            run_id = session.scalar(select(Run.id).where(Run.upload_id == upload_id, Run.status == "done"))
            done = len(list(session.scalars(select(Document.id).where(Document.id.in_(ids),
                                                                      Document.status.in_(FINAL)))))
        if progress is not None and done != said:
            progress(done, len(ids))
            said = done
        if run_id is not None:
            return run_id
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"upload {upload_id}: no run after {timeout_s:.0f} s ({done} of {len(ids)} documents "
                               "read): are workers running (`formaudit worker`)?")
        time.sleep(POLL_S)


def _child(settings: Settings, upload_id: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    try:
        run_id = run_upload(settings, upload_id)
        log.info("formaudit: upload %s audited as run %s", upload_id, run_id)
    except Exception:  # the API has answered long ago: the log is where this goes
        log.exception("formaudit: upload %s could not be processed", upload_id)
        raise
