"""Helpers for the queue's tests: a private redis-server, `formaudit worker` processes, and waiting
on the store.

Every process started here runs in a session of its own, so stopping (or killing) it takes its
Celery pool processes with it: a test leaves no orphans, whatever happened in it. The private
Redis appends every write to its log (`appendfsync always`), as a deployed broker would, so a
restart loses no queued message.
"""
from __future__ import annotations

import atexit
import os
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from extractor.scan.options import ScanOptions
from worker.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SCANS = REPO / "samples" / "scans"
DOCS = REPO / "samples" / "docs"
START_TIMEOUT_S = 90  # a worker's start includes loading the OCR and layout models
T = TypeVar("T")


def wait_for(check: Callable[[], Optional[T]], timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A redis-server of the test's own on a free port, which the test may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> "RedisServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
             "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
            stdout=open(self.workdir / "redis.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self.ping, 20, f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)


def write_config(settings: Settings, path: Path) -> Path:
    """The settings' `[service]` and `[scan]` tables as a TOML file for `--config`."""
    lines = []
    for table, options in (("service", settings.service), ("scan", settings.scan)):
        values = options.model_dump(exclude_defaults=True, exclude_none=True)
        lines.append(f"[{table}]")
        lines += [f"{key} = {_toml(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def clean_env() -> dict[str, str]:
    """This environment less what would override a test's config file (a developer's REDIS_URL)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("FORMAUDIT_") and k not in ("REDIS_URL", "DATABASE_URL")}


class WorkerProcess:
    """`formaudit worker --config FILE --concurrency N` (or `formaudit beat --config FILE`), logging
    to a file the test can read."""

    def __init__(self, config: Path, log: Path, concurrency: int = 1, command: str = "worker") -> None:
        self.log = log
        args = ["--concurrency", str(concurrency)] if command == "worker" else []
        self._process = subprocess.Popen(
            [sys.executable, "-m", "worker.cli", command, "--config", str(config), *args],
            cwd=REPO, env=clean_env(), stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self._process.pid

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self) -> "WorkerProcess":
        def ready() -> bool:
            if self._process.poll() is not None:
                raise AssertionError(f"worker exited with {self._process.returncode}:\n{self.text()[-3000:]}")
            return " ready." in self.text()

        wait_for(ready, START_TIMEOUT_S, f"the worker logging to {self.log} to be ready")
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: a machine that died."""
        _signal_group(self._process, signal.SIGKILL)
        self._process.wait(timeout=30)

    def stop(self) -> None:
        stop_process(self._process)


def stop_process(process: "subprocess.Popen[bytes]", grace_s: float = 15) -> None:
    """SIGTERM the process's session, then SIGKILL what is left after `grace_s`."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process, signal.SIGKILL)  # pool processes still finishing a task, too
    process.wait(timeout=30)


def _signal_group(process: "subprocess.Popen[bytes]", sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # start_new_session: the group's id is the process's
    except ProcessLookupError:
        pass


_SHARED_REDIS: list[RedisServer] = []


def shared_redis() -> RedisServer:
    """This process's private redis-server, started on first use and stopped at exit: the Celery
    app sends to one broker per process (`worker.celery_app.configure`)."""
    if not _SHARED_REDIS:
        server = RedisServer(Path(tempfile.mkdtemp(prefix="formaudit-redis-"))).start()
        atexit.register(shutil.rmtree, server.workdir, ignore_errors=True)  # runs after the stop below
        atexit.register(server.stop)
        _SHARED_REDIS.append(server)
    return _SHARED_REDIS[0]


class Stack:
    """The shared private Redis (emptied), a migrated store and `formaudit worker` processes
    sharing one config file."""

    def __init__(self, work: Path, database_url: Optional[str], **service: Any) -> None:
        from worker.store.db import open_store
        from tests.service_support import make_settings

        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.redis = shared_redis()
        self.redis.client().flushall()
        # One ONNX thread per model: two workers and the test share two cores.
        self.settings = make_settings(work / "data", database_url, self.redis.url, **service).model_copy(
            update={"scan": ScanOptions(ocr_threads=1)})
        self.store = open_store(self.settings.service)
        self.store.upgrade()
        self.config = write_config(self.settings, work / "formaudit.toml")
        self.workers: list[WorkerProcess] = []
        from worker.celery_app import configure

        configure(self.settings)  # what this process sends goes to this stack's Redis

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def start_workers(self, n: int) -> list[WorkerProcess]:
        """Start `n` more workers (at once: their models load side by side) and wait until each is ready."""
        started = [WorkerProcess(self.config, self.work / f"worker-{len(self.workers) + i}.log") for i in range(n)]
        self.workers += started
        return [proc.wait_ready() for proc in started]

    def submit(self, path: Path, name: Optional[str] = None) -> int:
        """Ingest `path` as an upload and queue it; the upload's id."""
        from worker.ingest import ingest_file
        from worker.tasks import submit_upload

        upload_id = ingest_file(self.store, path, name or path.name, "api", None)
        submit_upload(upload_id, self.settings)
        return upload_id

    def wait_run(self, upload_id: int, timeout: float = 120) -> Any:
        """The upload's run once it is done (failed: the test fails, naming its messages)."""
        from sqlalchemy import select

        from worker.store.models import Run

        def finished() -> Any:
            with self.store.session() as s:
                return s.scalars(select(Run).where(Run.upload_id == upload_id,
                                                   Run.status.in_(("done", "failed")))).one_or_none()

        run = wait_for(finished, timeout, f"the run of upload {upload_id}\n{self.logs()}")
        assert run.status == "done", run.messages
        return run

    def count(self, model: Any, *where: Any) -> int:
        from sqlalchemy import func, select

        with self.store.session() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.text()[-2000:]}" for w in self.workers)

    def close(self) -> None:
        for proc in self.workers:
            proc.stop()
        self.store.dispose()
        self.redis.client().flushall()
