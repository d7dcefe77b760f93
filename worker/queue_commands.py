"""`formaudit worker` and `formaudit beat`: Celery's worker and beat, started in this process with
the app configured from the settings (so `--config` and `FORMAUDIT_*` reach every pool process,
which forks from this one).

Beat's schedule file lives in the data directory, beside the store: a restarted beat knows when
it last sent the nightly audit, and the nightly audit itself is unique per day, so a beat that
fires twice still makes one run.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Optional

from worker.celery_app import configure
from worker.settings import Settings

LOGLEVEL = "INFO"  # a task's start, end and retries: what an operator reads when a document is slow
BEAT_SCHEDULE_FILE = "celerybeat-schedule"


def start_worker(settings: Settings, concurrency: Optional[int] = None) -> int:
    """Run a Celery worker until it is stopped; its exit code. `concurrency`: pool processes
    (default: the machine's cores)."""
    app = configure(settings)
    # Several workers on one machine need distinct node names, or Celery warns and their
    # control replies mix. Gossip, mingle and heartbeats serve Celery's monitoring, which the
    # service does not use (progress is in the store); without them a worker starts faster and
    # rides out a broker restart without their reconnection errors.
    worker = app.Worker(hostname=f"formaudit-{os.getpid()}@{socket.gethostname()}", concurrency=concurrency,
                        loglevel=LOGLEVEL, quiet=True, without_gossip=True, without_mingle=True,
                        without_heartbeat=True)
    worker.start()
    return int(worker.exitcode or 0)


def start_beat(settings: Settings) -> int:
    """Run Celery beat (the nightly audit at `[service] nightly_at`, local time) until it is stopped."""
    app = configure(settings)
    data_dir = Path(settings.service.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    app.Beat(loglevel=LOGLEVEL, schedule=str(data_dir / BEAT_SCHEDULE_FILE), quiet=True).run()
    return 0
