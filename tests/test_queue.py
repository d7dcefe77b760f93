"""The queue end to end: real `formaudit worker` processes on a private redis-server, a SQLite store
they share, documents fanned out page by page across two workers."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import Iterator

import pytest

from extractor.scan.options import ScanOptions
from tests.queue_support import DOCS, REPO, SCANS, Stack, WorkerProcess, clean_env, shared_redis, wait_for

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")

PAGE_DONE = re.compile(r"Task formaudit\.page\[[0-9a-f-]+\] succeeded")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("queue")
    with Stack(work, None, inbox_dir=str(work / "inbox")) as opened:
        opened.start_workers(2)
        yield opened


def stack_url() -> str:
    return shared_redis().url  # the one broker this process's Celery app may send to


def pages_read(stack: Stack) -> int:
    return sum(len(PAGE_DONE.findall(w.text())) for w in stack.workers)


def test_two_workers_read_a_text_pdf_and_a_scan_as_extract_file_does(stack, tmp_path):
    from sqlalchemy import select

    from extractor.pipeline import extract_file
    from worker.store.models import Document, FindingRow, FormRow, PageRow, UploadItem

    files = [DOCS / "ningbo-2023.pdf", SCANS / "shanghai-2023.p3-4.clean.pdf"]
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in files:
            zf.write(path, f"dept/{path.name}")
    upload_id = stack.submit(archive)
    expected = {p.name: extract_file(p).to_dict() for p in files}  # the one-process result, meanwhile
    run = stack.wait_run(upload_id)

    with stack.store.session() as s:
        items = s.scalars(select(UploadItem).where(UploadItem.upload_id == upload_id)).all()
        assert sorted(i.name for i in items) == sorted(f"batch.zip!dept/{p.name}" for p in files)
        for item in items:
            document = s.get(Document, item.document_id)
            want = expected[Path(item.name).name]
            assert (document.status, document.pages_done) == ("done", document.pages_total), document.errors
            forms = s.scalars(select(FormRow.data).where(FormRow.document_id == document.id).order_by(FormRow.index)).all()
            assert forms == want["forms"], item.name
        assert sorted(run.document_ids) == sorted(i.document_id for i in items)
        findings = s.scalars(select(FindingRow.key).where(FindingRow.run_id == run.id)).all()
    scanned = stack.count(PageRow, PageRow.needs_scan)
    assert scanned == 2 and pages_read(stack) == scanned  # a task per scanned page, each read once
    report = json.loads((Path(run.report_dir) / "findings.json").read_text(encoding="utf-8"))
    assert len(findings) == len(set(findings)) == len(report["findings"]) + len(report["suppressed"])
    assert (Path(run.report_dir) / "report.html").is_file() and (Path(run.report_dir) / "report.xlsx").is_file()

    # The same bytes again, under another name: a new upload and its own run, no page read again.
    forms_before = stack.count(FormRow)
    again = stack.submit(files[0], "copy-of-ningbo.pdf")
    second = stack.wait_run(again)
    assert second.id != run.id and len(second.document_ids) == 1
    assert pages_read(stack) == scanned and stack.count(FormRow) == forms_before


def test_the_nightly_task_audits_the_inbox_once_per_day(stack):
    from sqlalchemy import select

    from tests.conftest import seed
    from worker.store.models import Document, FindingRow, Run
    from worker.tasks import nightly_audit

    inbox = Path(stack.settings.service.inbox_dir)
    inbox.mkdir(exist_ok=True)
    shutil.copy(seed("001"), inbox / "targets.txt")
    nightly_audit.delay("2026-12-07")

    def nightly() -> object:
        with stack.store.session() as s:
            return s.scalars(select(Run).where(Run.day == date(2026, 12, 7), Run.status == "done")).one_or_none()

    run = wait_for(nightly, 120, f"the nightly run\n{stack.logs()}")
    assert not (inbox / "targets.txt").exists()
    with stack.store.session() as s:
        names = {s.get(Document, i).original_name for i in run.document_ids}
    assert "targets.txt" in names and len(names) == len(run.document_ids)
    findings = stack.count(FindingRow, FindingRow.run_id == run.id)

    shutil.copy(seed("003"), inbox / "late.txt")
    nightly_audit.delay("2026-12-07")  # beat firing twice the same day
    wait_for(lambda: sum(w.text().count("formaudit.nightly_audit[") for w in stack.workers) >= 4, 60,
             "the second nightly task to end")  # received + succeeded, twice
    assert stack.count(Run, Run.kind == "nightly") == 1 and (inbox / "late.txt").exists()
    assert stack.count(FindingRow, FindingRow.run_id == run.id) == findings


def test_beat_starts_with_the_nightly_audit_at_the_configured_time(stack):
    import shelve

    from worker.queue_commands import BEAT_SCHEDULE_FILE

    data_dir = Path(stack.settings.service.data_dir)
    beat = WorkerProcess(stack.config, stack.work / "beat.log", command="beat")
    try:
        wait_for(lambda: "beat: Starting" in beat.text(), 60, f"beat to start\n{beat.text()}")
        # beat logs that line before its scheduler opens the schedule file: stopped in between,
        # it leaves none (this failed so once under load)
        wait_for(lambda: any(data_dir.glob(BEAT_SCHEDULE_FILE + "*")), 60, f"the beat schedule file\n{beat.text()}")
    finally:
        beat.stop()
    with shelve.open(str(data_dir / BEAT_SCHEDULE_FILE), flag="r") as db:
        entry = db["entries"]["nightly-audit"]
    assert entry.task == "formaudit.nightly_audit"
    assert (entry.schedule.hour, entry.schedule.minute) == ({2}, {0})  # [service] nightly_at's default, 02:00


def test_a_page_that_fails_for_good_is_stored_failed_and_its_document_finishes(tmp_path):
    """The handler of a page task's final failure (here a hard time limit, in the worker's main
    process): the page gets the reason, the document is assembled without it."""
    from celery.exceptions import TimeLimitExceeded

    from tests.service_support import make_settings
    from worker import jobs, tasks
    from worker.ingest import ingest_file
    from worker.store.db import close_stores, store_for
    from worker.store.models import Document

    settings = make_settings(tmp_path / "data", redis_url=stack_url())
    tasks.configure(settings)
    store = store_for(settings.service)
    try:
        upload = ingest_file(store, SCANS / "shanghai-2023.p3-4.clean.pdf", "slow.pdf", "api", None)
        document_id = jobs.upload_documents(settings, upload)[0]
        assert jobs.split_document(settings, document_id) == [1, 2]
        for number in (1, 2):
            tasks._give_up(sender=tasks.page, exception=TimeLimitExceeded(450), args=(None, document_id, number))
        with store.session() as s:
            document = s.get(Document, document_id)
            assert (document.status, document.pages_done, document.pages_total) == ("failed", 2, 2)
            errors = [(e["code"], e["page"]) for e in document.errors]
            assert errors == [("PAGE_FAILED", 1), ("PAGE_FAILED", 2)]
            assert "time limit" in document.errors[0]["message"]
    finally:
        close_stores()


@pytest.mark.ocr
def test_a_new_pool_process_loads_the_models_the_scan_path_then_finds(tmp_path, monkeypatch):
    """What each pool process does when it starts (`worker_process_init`): the OCR engine under
    the settings' options, and the layout model, are in this process's caches before any task."""
    from celery.signals import worker_process_init

    from extractor import ocr
    from extractor.scan import layout, stage
    from tests.service_support import make_settings
    from worker.celery_app import configure

    settings = make_settings(tmp_path, redis_url=stack_url()).model_copy(update={"scan": ScanOptions(ocr_threads=1)})
    configure(settings)
    ocr._CACHE.pop(("rapid", (("threads", 1),)), None)  # as in a process that has read nothing yet
    monkeypatch.setattr(layout, "_MODELS", {})
    worker_process_init.send(sender=None)
    assert stage.scan_engine(settings.scan) is ocr._CACHE[("rapid", (("threads", 1),))]
    assert list(layout._MODELS) == [1]  # with the settings' one thread, as a scan page will ask for it


def test_sending_tasks_loads_neither_opencv_nor_onnx_and_needs_a_redis_url():
    """The API process imports worker.tasks to queue an upload: the extractor's models stay out.
    Unconfigured, with no REDIS_URL, the app refuses to send rather than try Celery's default
    broker (AMQP on localhost)."""
    code = ("import sys, worker.tasks as t\n"
            "print(sorted(m for m in ('cv2', 'onnx', 'onnxruntime', 'worker.jobs') if m in sys.modules))\n"
            "try:\n    t.nightly_audit.delay('2026-12-07')\nexcept ValueError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env=clean_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[]", "the Celery app needs [service] redis_url (REDIS_URL)"]


def test_beat_schedule_and_redelivery_follow_the_settings(tmp_path):
    from worker.celery_app import celery_config
    from tests.service_support import make_settings

    config = celery_config(make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0", nightly_at="03:45",
                                         task_soft_limit_s=20, visibility_timeout_s=40))
    schedule = config["beat_schedule"]["nightly-audit"]["schedule"]
    assert (schedule.hour, schedule.minute) == ({3}, {45})
    assert config["task_time_limit"] == 30 < config["broker_transport_options"]["visibility_timeout"] == 40
    # A killed worker's message comes back within about 1.1 × the visibility timeout, not kombu's 100 s sweep.
    assert config["broker_transport_options"]["unacked_restore_interval"] == 4
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"] and config["worker_prefetch_multiplier"] == 1
