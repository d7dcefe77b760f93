"""Issue 5 point 8 against real servers: a private redis-server and the machine's PostgreSQL (a
schema of this module's own), two `formaudit worker` processes.

- two workers reading the pages of one scan, one's pool process and the other worker whole
  SIGKILLed: the first sends its page again at once, the second's message comes back after the
  visibility timeout, the first worker finishes the document, and no form, finding or run is
  duplicated;
- Redis stopped and started again mid-run: the run completes;
- an archive with a corrupt PDF, an encrypted PDF, a photo and a zip-slip member: each gets its
  own error, the good file is processed and audited.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.queue_support import DOCS, SCANS, Stack, WorkerProcess, wait_for
from tests.service_support import pg_database, pg_schema_url  # noqa: F401  (pg_database: a fixture)

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")

PAGE_RECEIVED = re.compile(r"Task formaudit\.page\[([0-9a-f-]+)\] received")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, pg_database: str) -> Iterator[Stack]:  # noqa: F811
    for url in pg_schema_url(pg_database):
        # Limits short enough that a message lost with a connection comes back within the test
        # (visibility 31 s), long enough for a scanned page on a busy machine.
        with Stack(tmp_path_factory.mktemp("reliability"), url, task_soft_limit_s=20, visibility_timeout_s=31) as opened:
            opened.start_workers(2)
            yield opened


def pool_children(proc: WorkerProcess) -> list[int]:
    """The worker's pool processes (its children, from /proc)."""
    path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    try:
        return [int(pid) for pid in path.read_text().split()]
    except OSError:
        return []


def busy_workers(stack: Stack) -> list[WorkerProcess]:
    """The workers running a page task now: each logged a page's arrival and not yet its end."""
    def busy(text: str) -> bool:
        return any(f"formaudit.page[{task}] succeeded" not in text for task in PAGE_RECEIVED.findall(text))

    return [proc for proc in stack.workers if busy(proc.text())]


def assert_one_of_each(stack: Stack, upload_id: int, run, forms: int) -> None:
    from worker.store.models import FindingRow, FormRow, Run

    assert stack.count(Run, Run.upload_id == upload_id) == 1
    assert stack.count(FormRow, FormRow.document_id.in_(run.document_ids)) == forms
    report = json.loads((Path(run.report_dir) / "findings.json").read_text(encoding="utf-8"))
    assert stack.count(FindingRow, FindingRow.run_id == run.id) == len(report["findings"]) + len(report["suppressed"])


def reading(stack: Stack) -> list[WorkerProcess]:
    """The workers inside a page's reading: as many pages claimed (attempts counted, not yet
    stored) as workers busy with a page task, so each busy worker is past its page's claim."""
    from sqlalchemy import func, select

    from worker.store.models import PageRow

    busy = [proc for proc in busy_workers(stack) if pool_children(proc)]
    with stack.store.session() as s:
        claimed = s.scalar(select(func.count()).where(PageRow.attempts >= 1, PageRow.status == "pending"))
    return busy if claimed >= len(busy) else []


def test_workers_killed_mid_document_leave_it_finished_once(stack):
    """Both workers reading a page of one scanned document, then killed two ways at once:
    - one worker's pool process SIGKILLed: its main process sends the page again;
    - the other worker SIGKILLed whole (main and pool process: the machine died): its message waits
      in Redis until the visibility timeout (31 s here), when the first worker's sweep puts it back.
    The first worker reads both pages again; no form, finding or run is duplicated."""
    from sqlalchemy import select

    from worker.store.models import Document, PageRow

    upload_id = stack.submit(SCANS / "shanghai-2023.p3-4.mild.pdf")
    survivor, dead = wait_for(lambda: len(reading(stack)) == 2 and reading(stack), 120,
                              f"both workers reading a page\n{stack.logs()}", interval=0.05)
    for pid in pool_children(survivor):
        os.kill(pid, signal.SIGKILL)
    dead.kill()
    stack.workers.remove(dead)
    assert stack.redis.client().hlen("unacked") >= 1  # the dead worker's message: held, not lost

    run = stack.wait_run(upload_id, timeout=240)
    with stack.store.session() as s:
        document = s.get(Document, run.document_ids[0])
        assert (document.status, document.pages_done, document.pages_total) == ("done", 2, 2), document.errors
        attempts = sorted(s.scalars(select(PageRow.attempts).where(PageRow.document_id == document.id)))
    assert attempts == [2, 2]  # each page: the killed reading, and the one after it
    assert "WorkerLostError" in survivor.text()
    assert_one_of_each(stack, upload_id, run, forms=1)


def test_redis_restarted_mid_run_and_the_run_completes(stack):
    from sqlalchemy import select

    from worker.store.models import Document

    upload_id = stack.submit(SCANS / "ningbo-2023.p2.mild.jpg")

    def split() -> bool:
        with stack.store.session() as s:
            return bool(s.scalar(select(Document.id).where(Document.pages_total.is_not(None),
                                                             Document.original_name == "ningbo-2023.p2.mild.jpg")))

    wait_for(split, 120, f"the document to be split\n{stack.logs()}", interval=0.05)
    stack.redis.stop()
    time.sleep(1)
    stack.redis.start()
    run = stack.wait_run(upload_id, timeout=240)
    assert all("Connection to broker lost" in w.text() for w in stack.workers)  # it was mid-run for both
    assert_one_of_each(stack, upload_id, run, forms=1)


def test_an_archive_of_bad_files_names_each_and_processes_the_rest(stack, tmp_path):
    from reportlab.pdfgen import canvas
    from sqlalchemy import select

    from worker.store.models import Document, UploadItem

    locked = tmp_path / "locked.pdf"
    pdf = canvas.Canvas(str(locked), encrypt="secret")
    pdf.drawString(72, 720, "hello")
    pdf.save()
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(DOCS / "ningbo-2023.txt", "dept/ningbo-2023.txt")
        zf.writestr("dept/corrupt.pdf", (DOCS / "ningbo-2023.pdf").read_bytes()[:300])
        zf.write(locked, "dept/locked.pdf")
        zf.write(SCANS / "bad.photo.jpg", "photos/holiday.jpg")
        zf.writestr("../x", b"climbing out")
    upload_id = stack.submit(archive)
    run = stack.wait_run(upload_id)

    with stack.store.session() as s:
        items = {i.name.partition("!")[2]: i for i in s.scalars(select(UploadItem).where(UploadItem.upload_id == upload_id))}
        docs = {name: s.get(Document, i.document_id) for name, i in items.items() if i.document_id is not None}
    assert (items["../x"].document_id, items["../x"].error_code) == (None, "UNSAFE_PATH")
    assert "outside the archive" in items["../x"].error_message
    codes = {name: [e["code"] for e in doc.errors] for name, doc in docs.items()}
    assert docs["dept/ningbo-2023.txt"].status == "done" and codes["dept/ningbo-2023.txt"] == []
    assert codes["dept/corrupt.pdf"] == ["CORRUPT_FILE"] and codes["dept/locked.pdf"] == ["ENCRYPTED"]
    assert docs["photos/holiday.jpg"].status == "failed" and codes["photos/holiday.jpg"] == ["NO_TABLE"]
    assert "page 1" in docs["photos/holiday.jpg"].errors[0]["message"]
    assert {"dept/corrupt.pdf", "dept/locked.pdf"} <= {n for n, d in docs.items() if d.status == "failed"}
    assert sorted(run.document_ids) == sorted(d.id for d in docs.values())
    assert run.totals  # the good file was audited with the rest
