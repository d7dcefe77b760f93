"""`formaudit run`'s documents through the store and the pipeline: one Upload (origin "cli") holding
every document given, processed by the embedded pipeline in this process, or by Celery workers
when REDIS_URL is set, and read back as the FORMS.md JSON `extract` gives. A document already in the
store (the same bytes, from an earlier run or upload) is not read again.

Each input keeps the name it was given (its path as typed, "batch.zip!dept/a.pdf" for a member),
so the command's output and reports name files as they always have.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from sqlalchemy import select

from extractor.archive import is_archive
from worker import jobs
from worker.ingest import ingest_files
from worker.runner import submit
from worker.runs import refused_result
from worker.settings import Settings
from worker.store.db import store_for
from worker.store.models import UploadItem


def read_through_store(paths: list[Path], settings: Settings,
                       progress: Optional[Callable[[int, int], None]] = None) -> Iterator[list[dict[str, Any]]]:
    """Ingest and process `paths` as one upload (before the first yield); then, for each path in
    order, the results of its file (one) or archive (one per member, refused ones included)."""
    store = store_for(settings.service)
    upload_id = ingest_files(store, [(p, str(p)) for p in paths], "formaudit run", "cli", None)
    submit(settings, upload_id, wait=True, progress=progress)
    with store.session() as session:
        items = list(session.scalars(select(UploadItem).where(UploadItem.upload_id == upload_id).order_by(UploadItem.id)))
    return _per_path(paths, items, settings)


def _per_path(paths: list[Path], items: list[UploadItem], settings: Settings) -> Iterator[list[dict[str, Any]]]:
    # Results are made as they are asked for: a large batch never holds every table's cells at once.
    at = 0
    for path in paths:
        name = str(path)
        end = at + 1
        if is_archive(path):  # its members are the items named "<archive>!…" (or the archive, when refused)
            while end < len(items) and items[end].name.startswith(name + "!"):
                end += 1
        yield [_result(item, settings) for item in items[at:end]]
        at = end


def _result(item: UploadItem, settings: Settings) -> dict[str, Any]:
    if item.document_id is None:
        return refused_result(item)
    data = jobs.document_result(settings, item.document_id, cells=True)
    data["source"] = item.name  # the same bytes may have arrived under another name first
    return data
