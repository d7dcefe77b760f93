"""The embedded runner: in this process for the CLI, in a spawned child for the API."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import seed
from tests.service_support import make_settings
from worker.ingest import ingest_file
from worker.runner import submit, wait_for_run
from worker.store.db import close_stores, store_for
from worker.store.models import Document, FindingRow, Run


def test_submit_runs_the_upload_in_a_child_process(tmp_path):
    settings = make_settings(tmp_path / "data")
    try:
        store = store_for(settings.service)
        upload_id = ingest_file(store, seed("000"), "000.txt", "api", None)
        submit(settings, upload_id)  # returns at once; a spawned child does the work
        seen: list[tuple[int, int]] = []
        run_id = wait_for_run(settings, upload_id, lambda done, total: seen.append((done, total)), timeout_s=120)
        assert seen[-1] == (1, 1)
        with store.session() as s:
            assert s.get(Run, run_id).status == "done"
            assert s.scalars(select(Document.status)).all() == ["done"]
            assert s.scalars(select(FindingRow.run_id)).all()  # seed 000 has findings
    finally:
        close_stores()


def test_submit_and_wait_runs_here(tmp_path):
    settings = make_settings(tmp_path / "data")
    try:
        store = store_for(settings.service)
        upload_id = ingest_file(store, seed("001"), "001.txt", "cli", None)
        calls: list[tuple[int, int]] = []
        submit(settings, upload_id, wait=True, progress=lambda done, total: calls.append((done, total)))
        assert calls == [(1, 1)]
        with store.session() as s:
            assert s.scalar(select(Run.status).where(Run.upload_id == upload_id)) == "done"
    finally:
        close_stores()
