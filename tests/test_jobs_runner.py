"""The embedded runner: in this process for the CLI, in a spawned child for the API."""
from __future__ import annotations

import multiprocessing
import shutil

from sqlalchemy import func, select

from extractor.pipeline import extract_file
from tests.conftest import REPO, seed
from tests.service_support import database_url, make_settings, pg_database  # noqa: F401
from worker import jobs
from worker.cli import main
from worker.ingest import ingest_file
from worker.runner import resume, submit, wait_for_run
from worker.store.db import close_stores, store_for
from worker.store.models import Document, FindingRow, FormRow, PageRow, Run, Upload

PDF = REPO / "samples" / "docs" / "shanghai-2023.pdf"


def test_resume_submits_api_uploads_left_without_a_run_to_a_child_process(tmp_path):
    settings = make_settings(tmp_path / "data")
    try:
        store = store_for(settings.service)
        left = ingest_file(store, seed("000"), "000.txt", "api", None)  # stored, then the server stopped
        ingest_file(store, seed("001"), "001.txt", "cli", None)  # not the API's: its command waited for it
        assert resume(settings) == [left]  # submit: returns at once, a spawned child does the work
        seen: list[tuple[int, int]] = []
        run_id = wait_for_run(settings, left, lambda done, total: seen.append((done, total)), timeout_s=120)
        assert seen[-1] == (1, 1)
        with store.session() as s:
            assert s.get(Run, run_id).status == "done"
            assert s.scalars(select(Document.status).order_by(Document.id)).all() == ["done", "queued"]
            assert s.scalars(select(FindingRow.run_id)).all()  # seed 000 has findings
        assert resume(settings) == []
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


def _race(settings, document_id, barrier):
    barrier.wait()
    jobs.process_document(settings, document_id)
    jobs.audit_documents(settings, [document_id], "nightly", day=__import__("datetime").date(2026, 12, 7))


def test_two_processes_on_one_document_leave_one_set_of_rows(tmp_path, database_url):
    settings = make_settings(tmp_path / "data", database_url)
    try:
        store = store_for(settings.service)
        (document_id,) = jobs.upload_documents(settings, ingest_file(store, PDF, PDF.name, "cli", None))
        ctx = multiprocessing.get_context("fork")  # as Celery's pool forks; jobs drop inherited connections
        barrier = ctx.Barrier(2)
        racers = [ctx.Process(target=_race, args=(settings, document_id, barrier)) for _ in range(2)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(120)
        assert [r.exitcode for r in racers] == [0, 0]
        with store.session() as s:
            doc = s.get(Document, document_id)
            assert doc.status == "done" and doc.pages_done == doc.pages_total == extract_file(PDF).pages
            assert s.scalar(select(func.count(PageRow.id))) == doc.pages_total
            assert s.scalar(select(func.count(FormRow.id))) == len(extract_file(PDF).forms)
            assert s.scalar(select(func.count(Run.id))) == 1
    finally:
        close_stores()


def test_run_keeps_a_store_beside_its_output(capsys, tmp_path):
    docs = tmp_path / "in"
    docs.mkdir()
    shutil.copy(seed("001"), docs / "targets.txt")
    shutil.copy(seed("001"), docs / "same-bytes.txt")
    out = tmp_path / "out"
    for _ in range(2):
        assert main(["run", str(docs), "--out", str(out)]) == 0
    assert "read 2 file(s), 0 failed" in capsys.readouterr().out
    settings = make_settings(out / ".formaudit-data")
    try:
        with store_for(settings.service).session() as s:
            assert s.scalars(select(Document.original_name)).all() == [str(docs / "same-bytes.txt")]  # read once
            assert s.scalar(select(func.count(Upload.id))) == s.scalar(select(func.count(Run.id))) == 2
    finally:
        close_stores()
    config = tmp_path / "formaudit.toml"
    config.write_text(f'[service]\ndata_dir = "{tmp_path / "elsewhere"}"\n', encoding="utf-8")
    assert main(["run", str(docs), "--out", str(tmp_path / "out2"), "--config", str(config)]) == 0
    assert (tmp_path / "elsewhere" / "formaudit.db").exists() and not (tmp_path / "out2" / ".formaudit-data").exists()
