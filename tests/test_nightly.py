"""The nightly audit: the inbox taken once, everything new audited as one batch, one run per day."""
from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import seed
from tests.service_support import database_url, make_settings, pg_database  # noqa: F401
from worker import jobs
from worker.ingest import ingest_file
from worker.nightly import nightly_audit
from worker.store.db import close_stores, store_for
from worker.store.models import Document, FindingRow, Run, Upload

DAY = date(2026, 12, 7)


@pytest.fixture()
def settings(tmp_path, database_url):
    (tmp_path / "inbox" / "财政局").mkdir(parents=True)
    yield make_settings(tmp_path / "data", database_url, inbox_dir=str(tmp_path / "inbox"))
    close_stores()


def _counts(store):
    with store.session() as s:
        return tuple(s.scalar(select(func.count(model.id))) for model in (Run, Upload, Document, FindingRow))


def test_nightly_batch_once_per_day(settings, tmp_path):
    store = store_for(settings.service)
    earlier = ingest_file(store, seed("000"), "000.txt", "api", None)  # received over the API, already read
    jobs.process_document(settings, jobs.upload_documents(settings, earlier)[0])
    shutil.copy(seed("001"), tmp_path / "inbox" / "财政局" / "targets.txt")
    (tmp_path / "inbox" / "notes.md").write_text("not an input", encoding="utf-8")

    run_id = nightly_audit(settings, DAY)
    assert not (tmp_path / "inbox" / "财政局" / "targets.txt").exists()  # taken into the store
    assert (tmp_path / "inbox" / "notes.md").exists()
    with store.session() as s:
        run = s.get(Run, run_id)
        names = [s.get(Document, i).original_name for i in run.document_ids]
        assert (run.kind, run.day, run.status) == ("nightly", DAY, "done")
        assert names == ["000.txt", "财政局/targets.txt"]
        assert s.scalars(select(Upload.origin).order_by(Upload.id)).all() == ["api", "inbox"]
    report = json.loads((store.data_dir / "reports" / "nightly-2026-12-07" / "findings.json").read_text(encoding="utf-8"))
    assert report["files"] == 2 and report["findings"]  # seeds 000 and 001 together, as issue 3 audits them
    before = _counts(store)

    shutil.copy(seed("003"), tmp_path / "inbox" / "late.txt")
    assert nightly_audit(settings, DAY) == run_id  # the same day again: nothing more
    assert _counts(store) == before and (tmp_path / "inbox" / "late.txt").exists()

    next_day = nightly_audit(settings, date(2026, 12, 8))  # the next night takes only what is new
    with store.session() as s:
        assert [s.get(Document, i).original_name for i in s.get(Run, next_day).document_ids] == ["late.txt"]
