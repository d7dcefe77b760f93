"""The nightly audit: everything received since the last nightly run, plus the files dropped into
the inbox directory, audited as one batch (so the cross-document rules see the department
summaries, targets tables and forms together), with a dated report
(`<data_dir>/reports/nightly-YYYY-MM-DD/`).

One run per day: a second call for a day already audited returns that run and does nothing else
(the run's `day` is unique in the store, so two calls at once still make one run). A run that
died half-way is finished by the next call, over the documents it had already chosen.
"""
from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Optional, Sequence

from sqlalchemy import select

from extractor.pipeline import INPUT_EXTENSIONS, iter_inputs
from worker import jobs
from worker.ingest import ingest_file
from worker.settings import Settings
from worker.store.db import store_for
from worker.store.models import Document, Run

log = logging.getLogger(__name__)


def nightly_audit(settings: Settings, day: date) -> int:
    """Take the inbox, read what is pending, audit the night's batch; the run's id."""
    done = finished_run(settings, day)
    if done is not None:
        return done
    take_inbox(settings)
    for document_id in unread_documents(settings):
        try:
            jobs.process_document(settings, document_id)
        except Exception:  # one bad document must not cost the night's batch; it waits for the next night
            log.exception("formaudit: nightly %s: document %s could not be processed", day, document_id)
    return jobs.audit_documents(settings, _not_yet_audited(settings), "nightly", day=day)


def take_inbox(settings: Settings) -> list[int]:
    """Move every file of the inbox into the store (origin "inbox"); the new uploads' ids. A file
    is gone from the inbox once taken, so it is taken once; the same bytes dropped again are the
    same document, read once."""
    inbox = settings.service.inbox_dir
    if not inbox or not Path(inbox).is_dir():
        return []
    store = store_for(settings.service)
    uploads = []
    for path in list(iter_inputs([Path(inbox)], INPUT_EXTENSIONS)):
        name = path.relative_to(inbox).as_posix()
        try:
            uploads.append(ingest_file(store, path, name, "inbox", None, move=True))
        except OSError as exc:  # a file still being copied in, or unreadable: the next night tries again
            log.warning("formaudit: inbox %s: not taken: %s", name, exc)
    return uploads


def finished_run(settings: Settings, day: date) -> Optional[int]:
    """The id of the day's nightly run once it is done, else None."""
    with store_for(settings.service).session() as session:
        return session.scalar(select(Run.id).where(Run.day == day, Run.status == "done"))


def unread_documents(settings: Settings, among: Optional[Sequence[int]] = None) -> list[int]:
    """The documents neither done nor failed (of `among`, when given), oldest first."""
    query = select(Document.id).where(Document.status.not_in(jobs.FINAL)).order_by(Document.id)
    if among is not None:
        query = query.where(Document.id.in_(among))
    with store_for(settings.service).session() as session:
        return list(session.scalars(query))


def _not_yet_audited(settings: Settings) -> list[int]:
    """Documents read (done or failed) and in no nightly run yet, oldest first."""
    with store_for(settings.service).session() as session:
        audited = {i for ids in session.scalars(select(Run.document_ids).where(Run.kind == "nightly")) for i in ids}
        read = session.scalars(select(Document.id).where(Document.status.in_(jobs.FINAL)).order_by(Document.id))
        return [i for i in read if i not in audited]
